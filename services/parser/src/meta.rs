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
}
