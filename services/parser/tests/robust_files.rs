//! No attachment makes the parser panic or hang: each format's fixture
//! with bytes overwritten, cut short or spliced, and random bytes behind
//! each format's signature, are read to text or refused with a reason.
//! `PROPTEST_CASES` turns the properties into a long fuzzing run.

use proptest::prelude::*;
use townreports_parser::{Parsed, parse_fetched};
use townreports_portals::attachments;
use url::Url;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn paragraphs() -> Vec<String> {
    vec![
        "全年实现地区生产总值12.56亿元，同比增长6.2%。".into(),
        "二、2024年工作计划".into(),
        "新建高标准农田1.2万亩，完成农村户厕改造500户。".into(),
    ]
}

/// A well-formed file of each format, and the path it is served at.
fn fixture(format: usize) -> (Vec<u8>, &'static str) {
    let (title, p) = ("某镇2023年工作总结", paragraphs());
    match format {
        0 => (attachments::doc(title, &p), "/f/a.doc"),
        1 => (attachments::wps(title, &p), "/f/a.wps"),
        2 => (attachments::ofd(title, &p), "/f/a.ofd"),
        3 => (
            attachments::xlsx(title, &p, &[("地区生产总值", "亿元", 12.5, 6.2)]),
            "/f/a.xlsx",
        ),
        4 => (attachments::rtf(title, &p), "/f/a.rtf"),
        5 => (attachments::scanned_pdf(1), "/f/a.pdf"),
        6 => (attachments::docx(title, &p), "/f/a.docx"),
        7 => (
            attachments::xls(title, &p, &[("地区生产总值", "亿元", 12.5, 6.2)]),
            "/f/a.et",
        ),
        _ => (attachments::pdf(title, &p), "/f/b.pdf"),
    }
}

/// What any parse of an attachment must be: no panic (the test would
/// fail), and a refusal always names its format and reason.
fn parse(bytes: &[u8], path: &str) -> Parsed {
    let url = Url::parse(&format!("http://127.0.0.1{path}")).unwrap();
    let parsed = parse_fetched(&url, bytes, None);
    if let Parsed::Unsupported { format, reason } = &parsed {
        assert!(!format.is_empty() && !reason.is_empty());
    }
    parsed
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(64)))]

    #[test]
    fn overwritten_bytes_never_panic(
        format in 0usize..9,
        writes in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..64),
    ) {
        let (mut bytes, path) = fixture(format);
        for (at, byte) in writes {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        parse(&bytes, path);
    }

    #[test]
    fn files_cut_short_never_panic(format in 0usize..9, cut in any::<prop::sample::Index>()) {
        let (bytes, path) = fixture(format);
        parse(&bytes[..cut.index(bytes.len())], path);
    }

    #[test]
    fn spliced_files_never_panic(
        a in 0usize..9,
        b in 0usize..9,
        at in any::<prop::sample::Index>(),
        from in any::<prop::sample::Index>(),
    ) {
        let (mut bytes, path) = fixture(a);
        let (other, _) = fixture(b);
        let at = at.index(bytes.len());
        bytes.truncate(at);
        bytes.extend_from_slice(&other[from.index(other.len())..]);
        parse(&bytes, path);
    }

    #[test]
    fn random_bytes_behind_a_signature_never_panic(
        signature in 0usize..4,
        tail in proptest::collection::vec(any::<u8>(), 0..8192),
    ) {
        let head: &[u8] = match signature {
            0 => &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
            1 => b"PK\x03\x04",
            2 => b"{\\rtf1\\ansi\\ansicpg936 ",
            _ => b"%PDF-1.7\n",
        };
        let bytes = [head, &tail].concat();
        for path in ["/x.doc", "/x.wps", "/x.et", "/x.ofd"] {
            parse(&bytes, path);
        }
    }
}
