//! No input makes the extractor panic or hang: random text, huge numbers,
//! impossible dates, long lines, large documents.

use proptest::prelude::*;
use townreports_extractor::numerals::parse_integer;
use townreports_extractor::{Origin, document_from_bytes, extract};

fn run(text: &str) -> townreports_proto::v1::ReportRecord {
    extract(
        &document_from_bytes(text.as_bytes(), "t.txt", None),
        &Origin::File {
            path: "t.txt".into(),
            url: None,
        },
    )
}

/// `PROPTEST_CASES` turns this into a long fuzzing run (see the README).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(300)))]

    #[test]
    fn random_report_like_text_never_panics(parts in proptest::collection::vec(prop_oneof![
        Just("一、".to_string()), Just("（二）".to_string()), Just("增长".to_string()), Just("万元".to_string()), Just("亿".to_string()),
        Just("余".to_string()), Just("%".to_string()), Just("第十届".to_string()), Just("人民代表大会".to_string()), Just("镇".to_string()),
        Just("村".to_string()), Just("\n".to_string()), Just("年".to_string()), Just("月".to_string()), Just("日".to_string()),
        Just("政府工作报告".to_string()), Just("发布机构：".to_string()), Just("此处隐藏".to_string()), Just("，".to_string()),
        "[0-9.]{1,12}", "[\\u4e00-\\u9fa5]{1,6}", "[一二三四五六七八九十百千万零两]{1,6}",
    ], 0..120)) {
        let record = run(&parts.concat());
        for m in &record.metrics {
            let span = m.span.as_ref().unwrap();
            prop_assert!(span.start <= span.end);
            prop_assert!(span.end as usize <= record.text.chars().count());
        }
    }

    #[test]
    fn numerals_never_panic(s in "[一二三四五六七八九十百千万亿零两〇0-9]{0,50}") {
        let _ = parse_integer(&s);
    }
}

/// A figure of 40 digits is more than a double holds exactly: its metric
/// is left out rather than kept rounded (the record says what the page
/// printed or nothing). A figure of 15 digits is kept exactly, and the
/// sentence's other figures are still read.
#[test]
fn forty_digit_figures_are_left_out_not_rounded() {
    let forty = "1234567890".repeat(4);
    let fifteen = "123456789012345";
    let record = run(&format!(
        "某镇2023年政府工作报告\n各位代表：\n\
         全镇财政收入{forty}万元，粮食产量{forty}.5吨，\
         固定资产投资{fifteen}元，同比增长{forty}%，新建道路3公里。\n\
         招商引资九千九百九十九万九千九百九十九亿九千九百九十九万九千九百九十九亿亩。\n\
         全镇户籍人口{}人。",
        "9".repeat(40)
    ));
    let found: Vec<(&str, Option<f64>, Option<f64>)> = record
        .metrics
        .iter()
        .map(|m| (m.name.as_str(), m.value, m.growth_pct))
        .collect();
    for m in &record.metrics {
        for v in [m.value, m.value_normalized, m.growth_pct].into_iter().flatten() {
            assert!(v.is_finite() && v.abs() < 1e16, "{} read as {v}: {found:?}", m.name);
        }
    }
    assert!(
        !found
            .iter()
            .any(|(n, _, _)| n.contains("财政收入") || n.contains("粮食产量")),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(n, _, _)| n.contains("户籍人口") || n.contains("招商引资")),
        "{found:?}"
    );
    let investment = record
        .metrics
        .iter()
        .find(|m| m.name.contains("固定资产投资"))
        .expect("15 digits are kept");
    assert_eq!(investment.value, Some(123_456_789_012_345.0));
    assert_eq!(format!("{}", investment.value.unwrap()), fifteen, "exactly as printed");
    assert_eq!(
        investment.growth_pct, None,
        "a 40-digit growth rate is not a growth rate of 0"
    );
    let road = record
        .metrics
        .iter()
        .find(|m| m.name.contains("道路"))
        .expect("the sentence's last figure");
    assert_eq!(road.value, Some(3.0));
}

/// A meeting line printing `date`, and a meeting line with `date` under it.
fn meeting_lines(date: &str) -> [String; 2] {
    [
        format!("某镇政府工作报告\n——{date}在某镇第十届人民代表大会第二次会议上\n各位代表：全镇粮食播种面积5997亩。"),
        format!(
            "某镇政府工作报告\n——在某镇第十届人民代表大会第二次会议上\n（{date}）\n各位代表：全镇粮食播种面积5997亩。"
        ),
    ]
}

/// Dates that are not on the calendar are not dates, in the meeting line
/// or under it (the info bar's dates: meta.rs's unit tests).
#[test]
fn impossible_dates_are_not_read_as_dates() {
    for date in [
        "2024年13月45日",
        "2023年2月30日",
        "2023年2月29日",
        "2023年4月31日",
        "2023年0月10日",
        "2023年6月0日",
        "二〇二三年二月三十日",
        "二〇二四年十三月一日",
    ] {
        for text in meeting_lines(date) {
            let record = run(&text);
            assert_eq!(record.meeting.as_ref().and_then(|m| m.date.clone()), None, "{text}");
            assert!(!record.metrics.is_empty(), "the rest is still read: {text}");
        }
    }
    // The same lines with a real date are read: the refusals are the dates'.
    for text in meeting_lines("2024年2月29日")
        .iter()
        .chain(&meeting_lines("二〇二四年二月二十九日"))
    {
        let record = run(text);
        assert_eq!(
            record.meeting.and_then(|m| m.date).as_deref(),
            Some("2024-02-29"),
            "{text}"
        );
    }
}

#[test]
fn hostile_values_are_left_empty_not_guessed() {
    let record = run(
        "某镇政府工作报告\n——2024年13月45日在某镇第十届人民代表大会第二次会议上\n各位代表：全镇财政收入99999999999999999999999999999999999999万元。",
    );
    assert_eq!(record.meeting.as_ref().and_then(|m| m.date.clone()), None);
    for m in &record.metrics {
        assert!(m.value.is_none_or(f64::is_finite));
    }
}

/// A page that is one 0.5 MB line: every figure's sentence is looked for
/// within a window, not across the whole line (see tests/huge.rs for
/// large documents).
#[test]
fn a_long_line_finishes() {
    let line = "全镇完成粮食播种面积5997亩，新建道路3公里，".repeat(20_000);
    let record = run(&format!("某镇2023年工作总结\n{line}"));
    assert!(record.metrics.len() > 10_000);
}
