//! No input makes the extractor panic or hang: random text, huge numbers,
//! impossible dates, long lines, large documents.

use proptest::prelude::*;
use townreports_extractor::numerals::parse_integer;
use townreports_extractor::{Origin, document_from_bytes, extract};

fn run(text: &str) -> townreports_proto::v1::ReportRecord {
    extract(
        &document_from_bytes(text.as_bytes(), "t.txt"),
        &Origin::Path("t.txt".into()),
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

#[test]
fn long_lines_and_large_documents_finish() {
    let line = "全镇完成粮食播种面积5997亩，新建道路3公里，".repeat(20_000); // ~0.5 MB on one line
    let record = run(&format!("某镇2023年工作总结\n{line}"));
    assert!(record.metrics.len() > 10_000);
    // ~3 MB by default; HOSTILE_MB=50 (release) for the 50 MB case.
    let megabytes: usize = std::env::var("HOSTILE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let paragraph = "一、2023年工作回顾\n全镇实现财政收入4720万元，同比增长12%。\n";
    let big = paragraph.repeat(megabytes * 1_000_000 / paragraph.len());
    let record = run(&format!("某镇2023年政府工作报告\n{big}"));
    assert_eq!(record.review_year, Some(2023));
}
