//! Attachments as portals serve them: a PDF and a DOCX of a report read
//! back to its text; a Word file too broken to read named, with the reason.

use townreports_parser::attachment::{self, AttachmentError, Content, Format};
use townreports_portals::attachments;

fn paragraphs() -> Vec<String> {
    vec![
        "各位代表：现在，我代表镇人民政府向大会报告工作，请予审议。".into(),
        "2023年，全镇实现地区生产总值12.56亿元，同比增长6.2%；一般公共预算收入3260万元。粮食播种面积5.3万亩，总产量2.1万吨。".into(),
        "二、2024年工作安排".into(),
        "力争地区生产总值增长6.5%，新建高标准农田1.2万亩。".into(),
    ]
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn a_pdf_report_reads_back_to_its_paragraphs() {
    let bytes = attachments::pdf("某某镇2023年政府工作报告", &paragraphs());
    assert_eq!(attachment::sniff(&bytes, "/P020240105.pdf"), Some(Format::Pdf));
    let Ok(Content::Text(text)) = attachment::read(Format::Pdf, &bytes) else {
        panic!("no text")
    };
    assert!(text.starts_with("某某镇2023年政府工作报告"), "{text}");
    for p in paragraphs() {
        assert!(squash(&text).contains(&squash(&p)), "{p} missing from {text}");
    }
    // A paragraph broken over PDF lines is one line again.
    assert!(
        text.lines().any(|l| l.contains("12.56亿元") && l.contains("2.1万吨")),
        "{text}"
    );
}

#[test]
fn a_docx_report_reads_back_to_its_paragraphs() {
    let bytes = attachments::docx("某某镇2023年政府工作报告", &paragraphs());
    assert_eq!(attachment::sniff(&bytes, "/download?id=7"), Some(Format::Docx));
    let Ok(Content::Text(text)) = attachment::read(Format::Docx, &bytes) else {
        panic!("no text")
    };
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "某某镇2023年政府工作报告");
    assert_eq!(&lines[1..], paragraphs().iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn a_word_file_too_broken_to_read_is_named_with_the_reason() {
    let bytes = attachments::legacy_doc();
    assert_eq!(attachment::sniff(&bytes, "/files/report.doc"), Some(Format::Doc));
    let Err(AttachmentError::Unreadable { format, message }) = attachment::read(Format::Doc, &bytes) else {
        panic!("read")
    };
    assert_eq!(format, "doc");
    assert!(!message.is_empty());
}
