//! Links worth following: list items, pagination (in `<a>` and in the
//! JavaScript pagers of TRS and Hanweb sites), attachments (also when only
//! a script string names them).

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::dom::block_text;

/// A page with more links than this is a trap or a sitemap; the rest are dropped.
pub const MAX_LINKS: usize = 2_000;
/// Pages a JavaScript pager may announce at most.
pub const MAX_PAGES: u64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// Another page of the same list.
    Pagination,
    /// A document listed on a list page.
    Item,
    /// A file attached to a document.
    Attachment,
    /// Navigation and everything else.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLink {
    pub url: Url,
    pub kind: LinkKind,
    pub text: String,
}

const ATTACHMENT_EXTENSIONS: &[&str] = &[
    "pdf", "doc", "docx", "wps", "ofd", "xls", "xlsx", "et", "zip", "rar", "7z",
];
/// Pager link texts. Not 首页: it names a site's home page as often as a
/// list's first page, which the crawler has anyway.
const PAGER_WORDS: &[&str] = &[
    "下一页",
    "上一页",
    "尾页",
    "末页",
    "下页",
    "上页",
    "next",
    "Next",
    ">",
    ">>",
    "»",
];
/// Words of document titles; navigation labels (政府信息公开, 机构职能) lack them.
const TITLE_WORDS: &[&str] = &[
    "报告", "总结", "计划", "规划", "谋划", "要点", "通知", "方案", "意见", "公告", "公示", "解读", "办法", "决定",
    "纪要", "制度", "情况",
];

static SCRIPT_ANCHOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?is)<a\s[^>]*?href\s*=\s*["']([^"']+)["']([^>]*)>(.*?)</a>"#).expect("static regex")
});
static TITLE_ATTR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"title\s*=\s*["']([^"']+)["']"#).expect("static regex"));
static TAGS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^>]*>").expect("static regex"));
static CREATE_PAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"createPage(?:HTML)?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*["']([\w-]+)["']\s*,\s*["'](\w+)["']"#)
        .expect("static regex")
});
static COUNT_PAGE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"countPage\s*=\s*(\d+)").expect("static regex"));
static PAGED_HREF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(_\d+\.s?html?$|[?&](page|pageno|pageindex|pagenum|startrecord)=\d+)").expect("static regex")
});
static TRS_ATTACHMENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"/P0\d{8,}").expect("static regex"));

/// Every link of the page, classified and deduplicated, at most [`MAX_LINKS`].
pub fn links(doc: &Html, base: &Url) -> Vec<PageLink> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut add = |url: Url, kind: LinkKind, text: String, out: &mut Vec<PageLink>| {
        if out.len() < MAX_LINKS && seen.insert(url.clone()) {
            out.push(PageLink { url, kind, text });
        }
    };

    let anchors = Selector::parse("a[href], area[href]").expect("static selector");
    for a in doc.select(&anchors) {
        let Some(url) = resolve(base, a.value().attr("href").unwrap_or("")) else {
            continue;
        };
        let text = anchor_text(a);
        let kind = classify(&url, &text);
        add(url, kind, text, &mut out);
    }
    let options = Selector::parse("option[value]").expect("static selector");
    for option in doc.select(&options) {
        let value = option.value().attr("value").unwrap_or("");
        if (value.contains('/') || value.starts_with("http"))
            && let Some(url) = resolve(base, value)
        {
            add(url, LinkKind::Other, block_text(option), &mut out);
        }
    }

    // Links written by scripts: Hanweb's <datastore> records (CDATA),
    // TRS's `var file_appendix='<a href=…>'`, document.write(…).
    let scripts = Selector::parse("script").expect("static selector");
    for script in doc.select(&scripts) {
        let code: String = script.text().collect();
        for caps in SCRIPT_ANCHOR.captures_iter(&code) {
            let Some(url) = resolve(base, &caps[1]) else { continue };
            let visible = TAGS.replace_all(&caps[3], "").trim().to_string();
            let text = TITLE_ATTR
                .captures(&caps[2])
                .map(|t| t[1].to_string())
                .filter(|_| visible.is_empty() || visible.ends_with("...") || visible.ends_with('…'))
                .unwrap_or(visible);
            let kind = classify(&url, &text);
            add(url, kind, text, &mut out);
        }
        for url in script_pagination(&code, base) {
            add(url, LinkKind::Pagination, String::new(), &mut out);
        }
    }
    out
}

/// The pages a TRS `createPageHTML(N, current, "index", "html")` or a
/// `var countPage = N` pager would link to: `index_1.html` … `index_{N-1}.html`.
pub fn script_pagination(code: &str, base: &Url) -> Vec<Url> {
    let mut urls = Vec::new();
    if let Some(caps) = CREATE_PAGE.captures(code) {
        let count: u64 = caps[1].parse().unwrap_or(0);
        for k in 1..count.min(MAX_PAGES) {
            if let Ok(url) = base.join(&format!("{}_{k}.{}", &caps[3], &caps[4])) {
                urls.push(url);
            }
        }
    } else if let Some(caps) = COUNT_PAGE.captures(code) {
        let count: u64 = caps[1].parse().unwrap_or(0);
        let file = base.path_segments().and_then(|mut s| s.next_back()).unwrap_or("");
        let (stem, ext) = match file.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => (stem.to_string(), ext.to_string()),
            _ => ("index".to_string(), "html".to_string()),
        };
        // On page k the stem is already `index_k`.
        let stem = match stem.rsplit_once('_') {
            Some((head, n)) if n.chars().all(|c| c.is_ascii_digit()) => head.to_string(),
            _ => stem,
        };
        for k in 1..count.min(MAX_PAGES) {
            if let Ok(url) = base.join(&format!("{stem}_{k}.{ext}")) {
                urls.push(url);
            }
        }
    }
    urls
}

fn anchor_text(a: ElementRef) -> String {
    let visible = block_text(a).replace('\n', " ");
    let title = a.value().attr("title").map(str::trim).unwrap_or("");
    if !title.is_empty() && (visible.is_empty() || visible.ends_with("...") || visible.ends_with('…')) {
        title.to_string()
    } else {
        visible
    }
}

fn resolve(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim();
    let lower = href.to_ascii_lowercase();
    if href.is_empty()
        || href.starts_with('#')
        || ["javascript:", "mailto:", "tel:", "data:"]
            .iter()
            .any(|p| lower.starts_with(p))
    {
        return None;
    }
    let mut url = base.join(href).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    Some(url)
}

fn classify(url: &Url, text: &str) -> LinkKind {
    let path = url.path().to_ascii_lowercase();
    let extension = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    if ATTACHMENT_EXTENSIONS.contains(&extension)
        || path.contains("downfile.jsp")
        || (TRS_ATTACHMENT.is_match(url.path()) && extension != "html" && extension != "htm")
    {
        return LinkKind::Attachment;
    }
    let text = text.trim();
    if PAGER_WORDS.contains(&text) || (!text.is_empty() && text.len() <= 3 && text.chars().all(|c| c.is_ascii_digit()))
    {
        return LinkKind::Pagination;
    }
    if PAGED_HREF.is_match(url.as_str()) && text.chars().count() < 6 {
        return LinkKind::Pagination;
    }
    // A listed document has a title: long, or naming a kind of document or a year.
    let cjk = text.chars().filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c)).count();
    let titled = TITLE_WORDS.iter().any(|w| text.contains(w)) || text.chars().any(|c| c.is_ascii_digit());
    if cjk >= 10 || (cjk >= 4 && titled) {
        LinkKind::Item
    } else {
        LinkKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("http://127.0.0.1:8080/zfxxgk/gzbg/index.html").unwrap()
    }

    #[test]
    fn trs_create_page_html() {
        let urls = script_pagination(r#"createPageHTML(3, 0, "index", "html");"#, &base());
        let got: Vec<String> = urls.iter().map(|u| u.to_string()).collect();
        assert_eq!(
            got,
            [
                "http://127.0.0.1:8080/zfxxgk/gzbg/index_1.html",
                "http://127.0.0.1:8080/zfxxgk/gzbg/index_2.html"
            ]
        );
    }

    #[test]
    fn count_page_from_a_later_page() {
        let b = Url::parse("http://h/list/index_bm_1.shtml").unwrap();
        let got: Vec<String> = script_pagination("var countPage = 3//共多少页", &b)
            .iter()
            .map(|u| u.to_string())
            .collect();
        assert_eq!(
            got,
            ["http://h/list/index_bm_1.shtml", "http://h/list/index_bm_2.shtml"]
        );
    }

    #[test]
    fn anchors_records_and_attachments_are_classified() {
        let doc = Html::parse_document(
            r#"<ul><li><a href="./202401/t20240105_1.html" title="某某镇2023年政府工作报告全文">某某镇2023年政府...</a></li></ul>
            <a href="index_1.html">下一页</a><a href="javascript:void(0)">打印</a><a href="../">首页</a><a href="/zwgk/">政府信息公开</a>
            <script type="text/xml"><datastore><recordset><record><![CDATA[<li><a href="/art/2024/1/5/art_1_2.html" title="关于印发某某乡工作要点的通知">关于印发...</a></li>]]></record></recordset></datastore></script>
            <script>var file_appendix='<a href="./P020240808575593646209.pdf">附件1：实施方案.pdf</a>';</script>"#,
        );
        let got = links(&doc, &base());
        let find = |suffix: &str| {
            got.iter()
                .find(|l| l.url.as_str().ends_with(suffix))
                .unwrap_or_else(|| panic!("{suffix} in {got:?}"))
        };
        assert_eq!(find("t20240105_1.html").kind, LinkKind::Item);
        assert_eq!(find("t20240105_1.html").text, "某某镇2023年政府工作报告全文");
        assert_eq!(find("index_1.html").kind, LinkKind::Pagination);
        assert_eq!(find("art_1_2.html").kind, LinkKind::Item);
        assert_eq!(find("art_1_2.html").text, "关于印发某某乡工作要点的通知");
        assert_eq!(find(".pdf").kind, LinkKind::Attachment);
        assert!(got.iter().all(|l| !l.url.as_str().contains("javascript")));
        assert_eq!(find("/zwgk/").kind, LinkKind::Other, "navigation is not a document");
        assert_eq!(find("/zfxxgk/").kind, LinkKind::Other, "home is not a pager");
    }

    #[test]
    fn links_are_capped() {
        let many: String = (0..5000)
            .map(|i| format!("<a href='/a/{i}.html'>第{i}号文件的标题内容</a>"))
            .collect();
        assert_eq!(links(&Html::parse_document(&many), &base()).len(), MAX_LINKS);
    }
}
