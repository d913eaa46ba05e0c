//! Every metric, section and text-derived field points at the text it came from.

use std::path::Path;

use townreports_extractor::{Origin, document_from_bytes, extract, extract_files};

fn slice(text: &str, start: u32, end: u32) -> String {
    text.chars().skip(start as usize).take((end - start) as usize).collect()
}

#[test]
fn every_span_points_into_the_text() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/seeds");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut checked = 0;
    for record in extract_files(&files).unwrap() {
        let text = &record.text;
        for metric in &record.metrics {
            let span = metric.span.as_ref().expect("every metric has a span");
            let quoted = slice(text, span.start, span.end);
            let first = metric.name.chars().next().unwrap();
            assert!(
                quoted.contains(first) || metric.sentence.contains(&metric.name),
                "{quoted:?} for {metric:?}"
            );
            if let Some(value) = metric.value {
                let digits = format!("{value}");
                let integer = digits.split('.').next().unwrap();
                let chinese = quoted.chars().any(|c| "零〇一二两三四五六七八九十百千万亿".contains(c));
                assert!(quoted.contains(integer) || chinese, "{quoted:?} for {value}");
            }
            assert!(text.contains(&metric.sentence), "sentence from the text");
            checked += 1;
        }
        for section in &record.sections {
            let span = section.span.as_ref().unwrap();
            assert!(
                slice(text, span.start, span.end).contains(&section.heading),
                "{section:?}"
            );
        }
        for evidence in record.evidence.iter().filter(|e| e.origin == "text") {
            let span = evidence
                .span
                .as_ref()
                .unwrap_or_else(|| panic!("{evidence:?} has no span"));
            assert_eq!(slice(text, span.start, span.end), evidence.quote);
        }
        // Every filled scalar field has evidence.
        for (field, filled) in [
            ("title", record.title.is_some()),
            ("review_year", record.review_year.is_some()),
            ("plan_year", record.plan_year.is_some()),
            ("meeting", record.meeting.is_some()),
            ("speaker", record.speaker.is_some()),
        ] {
            if filled {
                assert!(
                    record.evidence.iter().any(|e| e.field == field),
                    "{field} of {}",
                    record.id
                );
            }
        }
    }
    assert!(checked >= 40);
}

/// A mirror in traditional script is the same report: every field and
/// metric as from the simplified page, and every span pointing at the
/// characters as printed.
#[test]
fn a_traditional_mirror_gives_the_same_record_with_printed_spans() {
    let s2t = ferrous_opencc::OpenCC::from_config(ferrous_opencc::config::BuiltinConfig::S2t).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/seeds");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let originals = extract_files(&files).unwrap();
    for (file, simplified) in files.iter().zip(&originals) {
        let printed = s2t.convert(&std::fs::read_to_string(file).unwrap());
        assert_ne!(printed, std::fs::read_to_string(file).unwrap());
        let origin = Origin::File {
            path: file.display().to_string(),
            url: None,
        };
        let mirror = extract(&document_from_bytes(printed.as_bytes(), "mirror.txt", None), &origin);
        let fields = |r: &townreports_proto::v1::ReportRecord| {
            (
                r.is_report,
                r.doc_type.clone(),
                r.title.clone(),
                r.division.clone(),
                r.review_year,
                r.plan_year,
                r.speaker.as_ref().map(|s| (s.name.clone(), s.title.clone())),
                r.metrics
                    .iter()
                    .map(|m| (m.name.clone(), m.value, m.unit.clone(), m.kind.clone()))
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(fields(&mirror), fields(simplified), "{}", file.display());
        assert_eq!(mirror.text.chars().count(), simplified.text.chars().count());
        assert!(printed.contains(&mirror.text.lines().nth(1).unwrap_or_default().to_string()));
        for evidence in mirror.evidence.iter().filter(|e| e.origin == "text") {
            let span = evidence.span.as_ref().unwrap();
            assert_eq!(slice(&mirror.text, span.start, span.end), evidence.quote);
        }
        for metric in &mirror.metrics {
            assert!(
                mirror.text.contains(&metric.sentence),
                "{:?} is not printed",
                metric.sentence
            );
        }
    }
}
