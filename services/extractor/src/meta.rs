//! Where the document was published, by whom and when, and what kind of
//! site it came from — read from the disclosure table, the page's info bar
//! and its meta tags, never from the report's own text.

use std::sync::LazyLock;

use regex::Regex;
use townreports_proto::v1::ParsedDocument;

use crate::text::{Chrome, PUBLISHER_LABELS};

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"((?:19|20)\d{2})\s*[-年/.]\s*(\d{1,2})(?:\s*[-月/.]\s*(\d{1,2}))?").expect("static regex")
});

/// Labels that date the page, strongest first: the publication date before
/// dates that only approximate it (update, writing).
const DATE_LABELS: &[&str] = &[
    "发布日期",
    "发布时间",
    "公布日期",
    "公布时间",
    "公开日期",
    "发表时间",
    "发表日期",
    "发文日期",
    "上传时间",
    "发布更新时间",
    "更新时间",
    "时间",
    "日期",
    "发布",
    "成文日期",
];
/// Labels only a government disclosure page prints.
const OFFICIAL_LABELS: &[&str] = &[
    "发布机构",
    "发文机关",
    "发文机构",
    "发文日期",
    "成文日期",
    "索引号",
    "发文字号",
    "文号",
];

/// Publishers that name no one.
const ANONYMOUS: &[&str] = &[
    "网友投稿",
    "本网",
    "本站",
    "原创",
    "转载",
    "网络",
    "互联网",
    "佚名",
    "admin",
    "未知",
    "用户上传",
];
/// Endings of a government body's name (某镇人民政府, 某街道办事处, 某乡).
const GOVERNMENT_BODIES: &[&str] = &[
    "人民政府",
    "政府",
    "办事处",
    "党委",
    "党工委",
    "党政办",
    "党政办公室",
    "政府办",
    "人大",
    "镇",
    "乡",
    "街道",
    "苏木",
];

/// A `YYYY-MM-DD` or `YYYY-MM` date from what a page prints.
pub fn normalise_date(raw: &str) -> Option<String> {
    let caps = DATE.captures(raw)?;
    let year: i32 = caps[1].parse().ok()?;
    let month: u32 = caps[2].parse().ok()?;
    if !(1..=12).contains(&month) {
        return None;
    }
    match caps.get(3).and_then(|d| d.as_str().parse::<u32>().ok()) {
        Some(day) => crate::meeting::valid_date(year, month, day),
        None => Some(format!("{year:04}-{month:02}")),
    }
}

/// A value and where it was read (`disclosure:发布机构`, `chrome:来源`, `meta:PubDate`).
pub type Sourced = (String, String);

/// The first value among `labels` in the disclosure table or the info bar,
/// else among the meta tags `metas`.
fn labelled(doc: &ParsedDocument, chrome: &Chrome, labels: &[&str], metas: &[&str]) -> Vec<Sourced> {
    let mut found = Vec::new();
    for label in labels {
        if let Some(v) = doc.disclosure.get(*label).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            found.push((v.to_string(), format!("disclosure:{label}")));
        }
        for (_, v) in chrome.pairs.iter().filter(|(l, v)| l == label && !v.is_empty()) {
            found.push((v.clone(), format!("chrome:{label}")));
        }
    }
    for m in metas {
        if let Some(v) = doc.meta.get(*m).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            found.push((v.to_string(), format!("meta:{m}")));
        }
    }
    found
}

/// The publisher as printed (发布机构 / 来源), unless it names no one.
pub fn publisher(doc: &ParsedDocument, chrome: &Chrome) -> Option<Sourced> {
    labelled(doc, chrome, PUBLISHER_LABELS, &["ContentSource"])
        .into_iter()
        .next()
        .map(|(v, origin)| (publisher_name(&v).to_string(), origin))
        .filter(|(v, _)| !v.is_empty() && !ANONYMOUS.iter().any(|a| v.contains(a)))
}

/// A date or the next label glued after a publisher's name: 长湖乡2017-01-12,
/// 西溪街道统一编号:.
static GLUED_AFTER_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*(?:(?:19|20)\d{2}[-/.年].*|\p{Han}{2,4}[:：]\s*)$").expect("static regex"));

/// The publisher's name without what the page glued after it.
fn publisher_name(value: &str) -> &str {
    GLUED_AFTER_NAME
        .find(value)
        .map_or(value, |m| &value[..m.start()])
        .trim()
}

/// The publication date, normalised, from the first labelled value that is
/// a date, else a date printed alone at the top.
pub fn published_date(doc: &ParsedDocument, chrome: &Chrome) -> Option<Sourced> {
    labelled(doc, chrome, DATE_LABELS, &["PubDate"])
        .into_iter()
        .find_map(|(v, origin)| Some((normalise_date(&v)?, origin)))
        .or_else(|| {
            let date = normalise_date(chrome.bare_date.as_deref()?)?;
            Some((date, "chrome:date".into()))
        })
}

/// A publisher that is a government body (某镇人民政府, 某街道办事处, 某乡).
fn government_body(publisher: &str) -> bool {
    GOVERNMENT_BODIES.iter().any(|s| publisher.ends_with(s))
}

/// `aggregator` for document-sharing sites, `official` for government sites
/// and pages with disclosure chrome, else `unknown`.
pub fn source_kind(doc: &ParsedDocument, chrome: &Chrome, url: Option<&str>, publisher: Option<&str>) -> &'static str {
    let parsed = url.and_then(|u| url::Url::parse(u).ok());
    // A named host decides: the state publishes on gov.cn, and any other
    // domain is someone's copy, however official its chrome looks. Only an
    // address without a domain (a file, an IP literal) leaves it to the page.
    if let Some(url::Host::Domain(host)) = parsed.as_ref().and_then(url::Url::host) {
        let host = host.to_ascii_lowercase();
        if host != "localhost" {
            return if host == "gov.cn" || host.ends_with(".gov.cn") {
                "official"
            } else {
                "aggregator"
            };
        }
    }
    if !chrome.aggregator_signals.is_empty() {
        return "aggregator";
    }
    if doc.government_chrome
        || chrome.disclosure_banner
        || chrome.pairs.iter().any(|(l, _)| OFFICIAL_LABELS.contains(&l.as_str()))
        || OFFICIAL_LABELS.iter().any(|l| doc.disclosure.contains_key(*l))
        || publisher.is_some_and(government_body)
    {
        return "official";
    }
    "unknown"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_glued_after_a_publisher() {
        assert_eq!(publisher_name("长湖乡2017-01-1200:00"), "长湖乡");
        assert_eq!(publisher_name("西溪街道统一编号:"), "西溪街道");
        assert_eq!(publisher_name("某镇人民政府"), "某镇人民政府");
    }
    use crate::text::clean;

    fn doc() -> ParsedDocument {
        ParsedDocument::default()
    }

    #[test]
    fn dates_as_printed() {
        assert_eq!(normalise_date("2024-08-19 16:45").as_deref(), Some("2024-08-19"));
        assert_eq!(normalise_date("2018年12月29日").as_deref(), Some("2018-12-29"));
        assert_eq!(normalise_date("2023-11").as_deref(), Some("2023-11"));
        assert_eq!(normalise_date("2024年13月45日"), None);
        assert_eq!(normalise_date("2023年2月30日"), None);
        assert_eq!(normalise_date("2023-02-29"), None);
        assert_eq!(normalise_date("2024-02-29").as_deref(), Some("2024-02-29"));
        assert_eq!(normalise_date("2023-04-31"), None);
    }

    #[test]
    fn the_publication_date_before_the_writing_date() {
        let (_, chrome) = clean("标题\n成文日期：2024-01-08\n发布日期：2024-01-10\n正文");
        assert_eq!(
            published_date(&doc(), &chrome).map(|d| d.0).as_deref(),
            Some("2024-01-10")
        );
    }

    #[test]
    fn anonymous_publishers_and_site_kinds() {
        let (_, chrome) = clean("标题\n更新时间:2023-11 来源:网友投稿\n正文");
        assert_eq!(publisher(&doc(), &chrome), None);
        assert_eq!(source_kind(&doc(), &chrome, None, None), "aggregator");
        let (_, chrome) = clean("标题\n来源：上杭县某镇  时间：2024-07-15  点击：126\n正文");
        let p = publisher(&doc(), &chrome).map(|p| p.0);
        assert_eq!(p.as_deref(), Some("上杭县某镇"));
        assert_eq!(source_kind(&doc(), &chrome, None, p.as_deref()), "official");
        let (_, chrome) = clean("标题\n正文");
        assert_eq!(
            source_kind(&doc(), &chrome, Some("https://www.example.gov.cn/a.html"), None),
            "official"
        );
        assert_eq!(source_kind(&doc(), &chrome, None, None), "unknown");
    }

    #[test]
    fn a_table_flattened_to_lines_keeps_its_dates() {
        let (_, chrome) =
            clean("标题\n索引号:\nSY0024795101202400020\n成文日期:\n2024-03-22\n发布日期:\n2024-04-07\n正文");
        assert_eq!(
            published_date(&doc(), &chrome).map(|d| d.0).as_deref(),
            Some("2024-04-07")
        );
        let (_, chrome) = clean("标题\n发表时间:2020/4/25 8:31:3\n正文");
        assert_eq!(
            published_date(&doc(), &chrome).map(|d| d.0).as_deref(),
            Some("2020-04-25")
        );
    }

    #[test]
    fn a_named_host_outweighs_the_chrome() {
        // A document-sharing copy keeps the official 发布机构 line it copied.
        let (_, chrome) = clean("标题\n发布机构：某县某镇人民政府\n正文");
        let p = publisher(&doc(), &chrome).map(|p| p.0);
        let copy = Some("https://www.example-docs.com/p-123.html");
        assert_eq!(source_kind(&doc(), &chrome, copy, p.as_deref()), "aggregator");
        assert_eq!(
            source_kind(&doc(), &chrome, Some("http://ZWGK.Example.GOV.CN/a"), None),
            "official"
        );
        // An IP literal or a file names no publisher: the page decides.
        for local in ["http://127.0.0.1:8080/a.html", "file:///tmp/a.html"] {
            assert_eq!(
                source_kind(&doc(), &chrome, Some(local), p.as_deref()),
                "official",
                "{local}"
            );
        }
    }
}
