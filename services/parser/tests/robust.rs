//! No input makes the parser panic or hang: random bytes, tag soup, deep
//! nesting, attribute bombs, huge pages, endless lines, link floods and
//! broken encodings.

use encoding_rs::GB18030;
use proptest::prelude::*;
use townreports_parser::links::MAX_LINKS;
use townreports_parser::parse_page;
use url::Url;

fn url() -> Url {
    Url::parse("http://127.0.0.1/a/b.html").unwrap()
}

/// `PROPTEST_CASES` turns the properties into a long fuzzing run (see the README).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Pieces of the markup government pages are made of, and of broken markup.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<div>".to_string()),
        Just("</div>".to_string()),
        Just("<p>".to_string()),
        Just("<a href='./202401/t20240105_1.html' title='某某镇工作报告'>".to_string()),
        Just("<a href=\"javascript:void(0)\">".to_string()),
        Just("</a>".to_string()),
        Just("<script>".to_string()),
        Just("</script>".to_string()),
        Just("<table><tr><td>".to_string()),
        Just("<th>索 引 号：</th>".to_string()),
        Just("<td><b>发布日期：</b></td>".to_string()),
        Just("索引号：".to_string()),
        Just("<dd><label>公开方式：</label><div>".to_string()),
        Just("createPageHTML(99999999999, 0, \"index\", \"html\")".to_string()),
        Just("var countPage = 7;".to_string()),
        Just("var file_appendix='<a href=\"./P020240808.pdf\">附件</a>';".to_string()),
        Just("<![CDATA[<li><a href=\"/art/2024/1/5/art_1_2.html\">".to_string()),
        Just("]]>".to_string()),
        Just("<!--".to_string()),
        Just("-->".to_string()),
        Just("<meta charset=gbk>".to_string()),
        Just("<meta name=\"ContentStart\">".to_string()),
        Just("<meta name=\"ArticleTitle\" content=\"某某乡2023年工作总结\">".to_string()),
        Just("<select><option value='/c/1/'>".to_string()),
        Just("<div class=\"nav\" style=\"display:none\">".to_string()),
        Just("<div id=\"zoom\">".to_string()),
        Just("<o:p>".to_string()),
        Just("<br/>".to_string()),
        Just("&nbsp;&#x4e2d;&#99999999;&amp".to_string()),
        Just("\u{3000}\n\r\t".to_string()),
        "[\\u4e00-\\u9fa5a-z0-9 ：:，。<>\"'=/]{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(200)))]

    #[test]
    fn random_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        ct in prop::option::of("[a-z/;= 0-9-]{0,40}"),
    ) {
        let _ = parse_page(&url(), &bytes, ct.as_deref());
    }

    #[test]
    fn random_tag_soup_never_panics(parts in proptest::collection::vec(piece(), 0..300)) {
        let html = parts.concat();
        let page = parse_page(&url(), html.as_bytes(), None);
        prop_assert!(page.links.len() <= MAX_LINKS);
        prop_assert!(page.text.lines().all(|l| !l.trim().is_empty()));
    }

    #[test]
    fn gbk_soup_cut_anywhere_never_panics(parts in proptest::collection::vec(piece(), 0..100), cut in any::<prop::sample::Index>()) {
        let bytes = GB18030.encode(&parts.concat()).0.into_owned();
        let cut = cut.index(bytes.len() + 1);
        let _ = parse_page(&url(), &bytes[..cut], Some("text/html; charset=gb2312"));
        let _ = parse_page(&url(), &bytes[..cut], Some("text/html; charset=utf-8"));
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
    assert!(page.text.contains("某镇2023年工作总结 正文"));
}

#[test]
fn unclosed_tags_by_the_hundred_thousand() {
    for unclosed in [
        "<table><tr><td>单元格",
        "<p>段落",
        "<li>条目",
        "<b><i>文字",
        "<a href=/x.html>链接",
    ] {
        let html = unclosed.repeat(100_000);
        let page = parse_page(&url(), html.as_bytes(), None);
        assert!(page.links.len() <= MAX_LINKS);
        assert!(!page.text.is_empty(), "{unclosed}");
    }
}

#[test]
fn a_tag_with_a_hundred_thousand_attributes_loses_them() {
    let attributes: String = (0..100_000).map(|i| format!(" data-a{i}=\"{i}\"")).collect();
    let html = format!("<html><body><div{attributes}><p>某某镇2023年政府工作报告正文。</p></div></body></html>");
    let page = parse_page(&url(), html.as_bytes(), None);
    assert_eq!(page.text, "某某镇2023年政府工作报告正文。");
}

#[test]
fn ten_thousand_links_are_capped() {
    let links: String = (0..10_000)
        .map(|i| format!("<li><a href='./2024/t20240101_{i}.html'>某某镇第{i}号文件</a><span>2024-01-01</span></li>"))
        .collect();
    let html = format!("<ul>{links}</ul><script>createPageHTML(30, 0, \"index\", \"html\");</script>");
    let page = parse_page(&url(), html.as_bytes(), None);
    assert_eq!(page.links.len(), MAX_LINKS);
    assert!(
        page.links
            .iter()
            .filter(|l| l.kind == townreports_parser::LinkKind::Pagination)
            .count()
            == 29,
        "pagination is kept first"
    );
    assert!(page.is_list_page);
}

#[test]
fn megabyte_long_lines() {
    let line = "全镇实现财政收入4720万元，同比增长12%，".repeat(40_000);
    let html =
        format!("<html><body><div class=TRS_Editor><p>{line}</p></div><script>var s='{line}';</script></body></html>");
    let page = parse_page(&url(), html.as_bytes(), None);
    // Compared by hand: a failing assert_eq! would print megabytes.
    assert!(
        page.text == line,
        "{} bytes of text for a {}-byte line",
        page.text.len(),
        line.len()
    );
    let plain = parse_page(&url(), line.as_bytes(), Some("text/plain"));
    assert!(plain.text == line);
}

#[test]
fn broken_encodings_decode_with_replacements() {
    let mut bytes = b"<html><body><div id=zoom><p>".to_vec();
    bytes.extend_from_slice(&GB18030.encode("某某镇二〇二三年工作总结，全年财政收入增长。").0);
    bytes.extend_from_slice(&[0xFF, 0xFE, 0x81, 0x30, 0xC0]);
    bytes.extend_from_slice("正文继续，仍是中文。".as_bytes());
    bytes.extend_from_slice(&[0xE4, 0xB8]);
    bytes.extend_from_slice(b"</p></div></body></html>");
    for ct in [
        None,
        Some("text/html; charset=utf-8"),
        Some("text/html; charset=gbk"),
        Some("text/html; charset=x"),
    ] {
        let page = parse_page(&url(), &bytes, ct);
        assert!(!page.text.is_empty(), "{ct:?}");
    }
}

/// The sentence every charset case must decode to.
const SENTENCE: &str = "某某镇二〇二三年工作总结：全年财政收入增长百分之十二，粮食播种面积五千九百九十七亩。";

fn article(body: &str) -> String {
    format!("<html><head><title>工作总结</title></head><body><div id=zoom><p>{body}</p></div></body></html>")
}

/// Header and `<meta>` both lie, and disagree with each other: the bytes
/// win, whichever way round.
#[test]
fn lying_header_and_meta_lose_to_the_bytes() {
    let utf8 = article(SENTENCE).replace("<head>", "<head><meta charset=\"gbk\">");
    let gbk = GB18030
        .encode(&article(SENTENCE).replace("<head>", "<head><meta charset=\"utf-8\">"))
        .0
        .into_owned();
    for (name, bytes) in [("UTF-8", utf8.into_bytes()), ("GBK", gbk)] {
        for ct in [
            Some("text/html; charset=big5"),
            Some("text/html; charset=iso-8859-1"),
            Some("text/html; charset=shift_jis"),
            Some("text/html; charset=utf-16"),
            Some("text/html; charset=\"no-such-charset\""),
            None,
        ] {
            let page = parse_page(&url(), &bytes, ct);
            assert!(page.text.contains(SENTENCE), "{name} under {ct:?}: {:?}", page.text);
        }
    }
}

/// One page in two charsets (a GBK article with a UTF-8 fragment, or a
/// UTF-8 page with a GBK fragment), declared either way or not at all: no
/// panic, and the larger part reads.
#[test]
fn mixed_charsets_keep_the_larger_part() {
    let long = SENTENCE.repeat(20);
    let short = "短句。";
    let page_of = |major: &[u8], minor: &[u8]| {
        let mut bytes = b"<html><body><div id=zoom><p>".to_vec();
        bytes.extend_from_slice(major);
        bytes.extend_from_slice(b"</p><p>");
        bytes.extend_from_slice(minor);
        bytes.extend_from_slice(b"</p></div></body></html>");
        bytes
    };
    let gbk_page = page_of(&GB18030.encode(&long).0, short.as_bytes());
    let utf8_page = page_of(long.as_bytes(), &GB18030.encode(short).0);
    for (name, bytes, ct) in [
        ("GBK page, UTF-8 part", &gbk_page, None),
        ("GBK page, UTF-8 part", &gbk_page, Some("text/html; charset=gbk")),
        ("GBK page, UTF-8 part", &gbk_page, Some("text/html; charset=utf-8")),
        ("UTF-8 page, GBK part", &utf8_page, Some("text/html; charset=utf-8")),
        ("UTF-8 page, GBK part", &utf8_page, None),
        ("UTF-8 page, GBK part", &utf8_page, Some("text/html; charset=gbk")),
    ] {
        let page = parse_page(&url(), bytes, ct);
        assert!(page.text.contains(SENTENCE), "{name} under {ct:?}");
    }
}

/// A megabyte of ASCII (a script, a comment) before an undeclared GBK
/// article: the detector's sample is all ASCII, and the article must still
/// decode as Chinese.
#[test]
fn gbk_after_a_megabyte_of_ascii_decodes() {
    let padding = format!("<script>var x = '{}';</script>", "a".repeat(1 << 20));
    let html = article(SENTENCE).replace("<body>", &format!("<body>{padding}"));
    let bytes = GB18030.encode(&html).0.into_owned();
    let page = parse_page(&url(), &bytes, Some("text/html"));
    assert!(
        page.text.contains(SENTENCE),
        "decoded as {}: {:?}",
        page.charset,
        page.text.chars().take(80).collect::<String>()
    );
}
