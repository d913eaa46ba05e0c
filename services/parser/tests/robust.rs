//! No input makes the parser panic.

use proptest::prelude::*;
use townreports_parser::parse_page;
use url::Url;

fn url() -> Url {
    Url::parse("http://127.0.0.1/a/b.html").unwrap()
}

/// `PROPTEST_CASES` turns this into a long fuzzing run (see the README).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(200)))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096), ct in prop::option::of("[a-z/;= 0-9-]{0,40}")) {
        let _ = parse_page(&url(), &bytes, ct.as_deref());
    }

    #[test]
    fn random_tag_soup_never_panics(parts in proptest::collection::vec(prop_oneof![
        Just("<div>".to_string()), Just("</div>".to_string()), Just("<p>".to_string()), Just("<a href='x'>".to_string()),
        Just("</a>".to_string()), Just("<script>".to_string()), Just("<table><tr><td>".to_string()), Just("索引号：".to_string()),
        Just("createPageHTML(99999999999, 0, \"index\", \"html\")".to_string()), Just("<meta charset=gbk>".to_string()),
        "[\\u4e00-\\u9fa5a-z0-9 ]{0,20}",
    ], 0..200)) {
        let html = parts.concat();
        let _ = parse_page(&url(), html.as_bytes(), None);
    }
}

#[test]
fn a_hundred_thousand_nested_elements_are_read_as_text() {
    let html = format!(
        "<html><body>{}某镇2023年工作总结 正文{}</body></html>",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    let page = parse_page(&url(), html.as_bytes(), None);
    assert!(page.text.contains("正文"));
}

#[test]
fn large_pages_parse() {
    // ~4 MB by default; HOSTILE_MB=50 (release) for the 50 MB case.
    let megabytes: usize = std::env::var("HOSTILE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let paragraph = "<p>全镇实现财政收入4720万元，同比增长12%，完成固定资产投资2.5亿元。</p>\n";
    let html = format!(
        "<html><body><div class=\"TRS_Editor\">{}</div></body></html>",
        paragraph.repeat(megabytes * 1_000_000 / paragraph.len())
    );
    let page = parse_page(&url(), html.as_bytes(), None);
    assert!(page.text.len() > megabytes * 500_000);
}
