//! The government `<meta>` tags (SiteName, SiteIDCode, ColumnName,
//! ArticleTitle, PubDate, ContentSource, …), as printed.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use scraper::{Html, Selector};

/// Names longer than this are not tag names but markup debris.
const MAX_NAME: usize = 64;
/// Values are cut here: a meta tag is not a place for a document.
const MAX_VALUE: usize = 2_000;
/// Meta tags read at most; a page with more is generated junk.
const MAX_TAGS: usize = 500;

static META: LazyLock<Selector> = LazyLock::new(|| Selector::parse("meta[name][content]").expect("static selector"));

/// `name → content` of the page's `<meta>` tags. Names are kept as printed
/// (the guideline's names are case-sensitive: `SiteName`, not `sitename`);
/// attribute order does not matter; the first non-empty value of a name
/// wins, because templates repeat the block and some copies are empty.
pub fn meta_tags(doc: &Html) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    for meta in doc.select(&META).take(MAX_TAGS) {
        let (Some(name), Some(content)) = (meta.value().attr("name"), meta.value().attr("content")) else {
            continue;
        };
        let name = name.trim();
        let content: String = content
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(MAX_VALUE)
            .collect();
        if content.is_empty() || name.is_empty() || name.len() > MAX_NAME {
            continue;
        }
        tags.entry(name.to_string()).or_insert(content);
    }
    tags
}

/// Tags only government templates carry (notes §1).
pub const GOVERNMENT_TAGS: &[&str] = &[
    "SiteName",
    "SiteDomain",
    "SiteIDCode",
    "ColumnName",
    "ColumnType",
    "ArticleTitle",
    "PubDate",
    "ContentSource",
];

/// How far into a saved page its own address is looked for: browsers write
/// the marker first, and templates put canonical links in the `<head>`.
const SAVED_URL_WINDOW: usize = 64 * 1024;

static SAVED_URL: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    regex::bytes::Regex::new(
        r#"(?i)<!--\s*saved from url=\(\d+\)(https?://[^\s>]+?)\s*-->|<link\s[^>]*?rel=["']?canonical["']?[^>]*?href=["']?(https?://[^"'\s>]+)|<link\s[^>]*?href=["']?(https?://[^"'\s>]+)["']?[^>]*?rel=["']?canonical|<meta\s[^>]*?property=["']?og:url["']?[^>]*?content=["']?(https?://[^"'\s>]+)"#,
    )
    .expect("static regex")
});

/// The address a saved page records of itself: the browser's
/// `<!-- saved from url=(N)… -->` marker, a canonical link or `og:url`, in
/// that order of trust. A file's name says nothing about where it was
/// published; this does, so a saved page is judged as the crawled one was.
pub fn saved_url(bytes: &[u8]) -> Option<url::Url> {
    let head = &bytes[..bytes.len().min(SAVED_URL_WINDOW)];
    SAVED_URL.captures_iter(head).find_map(|caps| {
        let raw = (1..=4).find_map(|i| caps.get(i))?;
        let url = url::Url::parse(std::str::from_utf8(raw.as_bytes()).ok()?).ok()?;
        matches!(url.scheme(), "http" | "https").then_some(url)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_non_empty_wins_in_any_attribute_order() {
        let doc = Html::parse_document(
            r#"<head><meta name="ArticleTitle" content=""><meta content="甲镇2023年政府工作报告" name="ArticleTitle">
            <meta name='PubDate' content='2024-03-01 10:00' /><meta name="ArticleTitle" content="后来的">
            <meta name="sitename" content="小写是另一个名字"></head><body><meta name="SiteIDCode" content=" 5111020001 "></body>"#,
        );
        let m = meta_tags(&doc);
        assert_eq!(m["ArticleTitle"], "甲镇2023年政府工作报告");
        assert_eq!(m["PubDate"], "2024-03-01 10:00");
        assert_eq!(m["SiteIDCode"], "5111020001");
        assert!(!m.contains_key("SiteName"));
        assert_eq!(m["sitename"], "小写是另一个名字");
    }
    #[test]
    fn a_saved_page_tells_where_it_came_from() {
        let marker =
            b"<!DOCTYPE html>\r\n<!-- saved from url=(0050)http://www.example.gov.cn/xxgk/t20240105_1.html -->\n<html>";
        assert_eq!(
            saved_url(marker).unwrap().as_str(),
            "http://www.example.gov.cn/xxgk/t20240105_1.html"
        );
        let canonical = br#"<head><link href="https://wenku.example.com/view/abc.html" rel="canonical"></head>"#;
        assert_eq!(saved_url(canonical).unwrap().host_str(), Some("wenku.example.com"));
        let og = br#"<meta property="og:url" content="https://a.example.org/p/1">"#;
        assert_eq!(saved_url(og).unwrap().path(), "/p/1");
        // Relative or non-web addresses say nothing; neither does plain text.
        assert_eq!(saved_url(br#"<link rel="canonical" href="/p/1">"#), None);
        assert_eq!(saved_url("镇2023年工作总结 http://x.gov.cn 不是标记".as_bytes()), None);
        assert_eq!(saved_url(b"<!-- saved from url=(0017)file:///C:/a.htm -->"), None);
    }
}
