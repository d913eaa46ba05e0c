//! The parser: fetched bytes in; a clean document for the extractor and the
//! links the crawler should follow out.
//!
//! Pure logic: [`charset`] (bytes to text), [`dom`] (main text, iteratively),
//! [`meta`] (government meta tags, disclosure tables), [`links`] (list items,
//! pagination including JavaScript pagers, attachments). NATS glue: [`worker`].

pub mod charset;
pub mod dom;
pub mod links;
pub mod meta;
pub mod worker;

use std::collections::BTreeMap;

use scraper::{Html, Selector};
use townreports_proto::v1::{DiscoveredLinks, FetchJob, Link, PageKind, ParsedDocument};
use url::Url;

pub use links::{LinkKind, PageLink};

/// A decoded page reduced to what the rest of the pipeline needs.
#[derive(Debug, Clone)]
pub struct Page {
    pub charset: &'static str,
    pub title: String,
    /// The main text, one paragraph per line.
    pub text: String,
    pub meta: BTreeMap<String, String>,
    pub disclosure: BTreeMap<String, String>,
    pub links: Vec<PageLink>,
    pub government_chrome: bool,
    /// Many listed documents and little text of its own.
    pub is_list_page: bool,
}

/// Parses `bytes` fetched from `url`. Never fails: any bytes make a page.
pub fn parse_page(url: &Url, bytes: &[u8], content_type: Option<&str>) -> Page {
    let decoded = charset::decode(bytes, content_type);
    if is_plain_text(&decoded.text, content_type) {
        return plain_text_page(decoded.charset, &decoded.text);
    }
    if dom::nesting_exceeds(&decoded.text, dom::MAX_NESTING) {
        // html5ever's tree builder is quadratic in nesting depth: a page
        // nested thousands deep (never a real article) is read as text.
        tracing::warn!(%url, "pathologically nested page read as plain text");
        return plain_text_page(decoded.charset, &dom::strip_tags(&decoded.text));
    }
    let doc = Html::parse_document(&decoded.text);
    let meta = meta::meta_tags(&doc);
    let disclosure = meta::disclosure(&doc);
    let text = dom::main_container(&doc).map(dom::block_text).unwrap_or_default();
    let links = links::links(&doc, url);
    let items = links.iter().filter(|l| l.kind == LinkKind::Item).count();
    let readable = text.chars().filter(|c| dom::readable(*c)).count();
    let government_chrome = ["SiteName", "SiteIDCode", "ArticleTitle", "ColumnName"]
        .iter()
        .any(|k| meta.contains_key(*k))
        || ["索引号", "发布机构", "发文机关"]
            .iter()
            .any(|k| disclosure.contains_key(*k))
        || url.host_str().is_some_and(|h| h.ends_with(".gov.cn"))
        || decoded.text.contains("网站标识码");
    Page {
        charset: decoded.charset,
        title: title(&doc, &meta),
        text,
        meta,
        disclosure,
        is_list_page: items >= 5 && readable < 2_000,
        links,
        government_chrome,
    }
}

fn is_plain_text(text: &str, content_type: Option<&str>) -> bool {
    if content_type.is_some_and(|ct| ct.trim().to_ascii_lowercase().starts_with("text/plain")) {
        return true;
    }
    let head: String = text.chars().take(8192).collect::<String>().to_ascii_lowercase();
    ![
        "<html", "<body", "<p", "<div", "<table", "<br", "<head", "<meta", "<span", "<a ",
    ]
    .iter()
    .any(|t| head.contains(t))
}

fn plain_text_page(charset: &'static str, text: &str) -> Page {
    let text: String = text
        .lines()
        .map(|l| l.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}'))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    Page {
        charset,
        title: text.lines().next().unwrap_or("").to_string(),
        text,
        meta: BTreeMap::new(),
        disclosure: BTreeMap::new(),
        links: Vec::new(),
        government_chrome: false,
        is_list_page: false,
    }
}

/// ArticleTitle, else the article heading, else `<title>` without the site name.
fn title(doc: &Html, meta: &BTreeMap<String, String>) -> String {
    if let Some(t) = meta.get("ArticleTitle").filter(|t| !t.trim().is_empty()) {
        return t.trim().to_string();
    }
    for css in ["ucaptitle", "h1.article-title", ".article-title", "h1", ".title", "h2"] {
        let Ok(selector) = Selector::parse(css) else { continue };
        if let Some(el) = doc.select(&selector).next() {
            let t = dom::block_text(el).replace('\n', "");
            if t.chars().count() >= 4 {
                return t;
            }
        }
    }
    let selector = Selector::parse("title").expect("static selector");
    let full = doc
        .select(&selector)
        .next()
        .map(|t| t.text().collect::<String>())
        .unwrap_or_default();
    let full = full.trim();
    // "文章标题 - 某某县人民政府" / "文章标题_某某镇" / "文章标题|站点"
    let first = full
        .split([' ', '_', '|'])
        .find(|p| !p.is_empty() && *p != "-")
        .unwrap_or(full);
    let first = first
        .split(" - ")
        .next()
        .unwrap_or(first)
        .split("——")
        .next()
        .unwrap_or(first)
        .trim();
    if first.chars().count() >= 4 { first } else { full }.to_string()
}

impl Page {
    /// Hex SHA-256 of the clean text: a page whose chrome (view counters,
    /// dates in the footer) changes but whose text does not hashes the same.
    pub fn text_sha256(&self) -> String {
        townreports_proto::content_sha256(&self.text)
    }

    /// Whether this page is a document for the extractor: an article, or a
    /// page expected to be a list that turned out to be a document.
    pub fn is_document(&self, job: &FetchJob) -> bool {
        match PageKind::try_from(job.kind).unwrap_or(PageKind::Unspecified) {
            PageKind::Article | PageKind::Attachment => true,
            PageKind::List => {
                !self.is_list_page
                    && !self
                        .links
                        .iter()
                        .any(|l| matches!(l.kind, LinkKind::Item | LinkKind::Pagination))
            }
            PageKind::Unspecified => !self.is_list_page,
        }
    }

    /// The links the scheduler should know: from a list page its items,
    /// pages and attachments; from a document only its attachments.
    pub fn discovered_links(&self, job: &FetchJob) -> DiscoveredLinks {
        let from_list = !self.is_document(job);
        let links = self
            .links
            .iter()
            .filter_map(|l| {
                let kind = match (l.kind, from_list) {
                    (LinkKind::Attachment, _) => PageKind::Attachment,
                    (LinkKind::Pagination, true) => PageKind::List,
                    (LinkKind::Item, true) => PageKind::Article,
                    _ => return None,
                };
                Some(Link {
                    url: l.url.to_string(),
                    kind: kind as i32,
                    anchor_text: l.text.clone(),
                })
            })
            .collect();
        DiscoveredLinks {
            job: Some(job.clone()),
            clean_text_sha256: self.text_sha256(),
            links,
        }
    }

    pub fn into_document(self, job: FetchJob, url: &str, fetched_at_ms: i64) -> ParsedDocument {
        let attachments = self
            .links
            .iter()
            .filter(|l| l.kind == LinkKind::Attachment)
            .map(|l| Link {
                url: l.url.to_string(),
                kind: PageKind::Attachment as i32,
                anchor_text: l.text.clone(),
            })
            .collect();
        ParsedDocument {
            job: Some(job),
            url: url.to_string(),
            charset: self.charset.to_string(),
            title: self.title,
            text: self.text,
            meta: self.meta,
            disclosure: self.disclosure,
            attachments,
            government_chrome: self.government_chrome,
            fetched_at_ms,
            text_ref: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_passes_through() {
        let url = Url::parse("file:///x.txt").unwrap();
        let page = parse_page(&url, "  某镇2023年工作总结  \n\n正文第一段\n".as_bytes(), None);
        assert_eq!(page.title, "某镇2023年工作总结");
        assert_eq!(page.text, "某镇2023年工作总结\n正文第一段");
    }

    #[test]
    fn an_article_page_yields_title_text_and_metadata() {
        let body = "各位代表：现在，我代表镇人民政府向大会报告工作，请予审议。".repeat(5);
        let html = format!(
            r#"<html><head><title>某某镇2023年政府工作报告_某某镇人民政府</title><meta name="SiteName" content="某某镇人民政府"></head>
            <body><div class="nav"><a href="/">网站首页</a><a href="/zwgk/">政务公开</a></div>
            <div class="xxgk"><table><tr><td>发布机构：</td><td>某某镇人民政府</td></tr></table></div>
            <h1>某某镇2023年政府工作报告</h1><div class="TRS_Editor"><p>{body}</p><p>{body}</p>
            <p><a href="./P020240101.pdf">附件：报告全文.pdf</a></p></div><div class="footer">网站标识码：5111020001</div></body></html>"#
        );
        let url = Url::parse("http://127.0.0.1/zwgk/202401/t20240105_1.html").unwrap();
        let page = parse_page(&url, html.as_bytes(), Some("text/html; charset=utf-8"));
        assert_eq!(page.title, "某某镇2023年政府工作报告");
        assert!(page.text.starts_with("各位代表"), "{}", page.text);
        assert!(!page.text.contains("网站标识码") && !page.text.contains("政务公开"));
        assert_eq!(page.disclosure["发布机构"], "某某镇人民政府");
        assert!(page.government_chrome);
        let job = FetchJob {
            url: url.to_string(),
            kind: PageKind::Article as i32,
            ..Default::default()
        };
        assert!(page.is_document(&job));
        let links = page.discovered_links(&job);
        assert_eq!(links.links.len(), 1, "only the attachment: {:?}", links.links);
        let doc = page.into_document(job, url.as_str(), 7);
        assert_eq!(doc.attachments.len(), 1);
    }
}
