//! A fetched page reduced to what the rest of the pipeline needs, and its
//! two outputs: the document for the extractor and the links for the
//! scheduler.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use scraper::Html;
use townreports_proto::v1::{DiscoveredLinks, FetchJob, Link, PageContext, PageKind, ParsedDocument};
use url::Url;

use crate::attachment::{self, AttachmentError, Content};
use crate::charset::{self, CharsetSource};
use crate::links::{self, LinkKind, PageLink};
use crate::{content, disclosure, guard, meta, stats, title};

/// A decoded page.
#[derive(Debug, Clone)]
pub struct Page {
    /// The encoding the page was decoded with (WHATWG name).
    pub charset: &'static str,
    pub charset_source: CharsetSource,
    /// `ArticleTitle`, else the article heading, else `<title>` without the
    /// site name, else the first line.
    pub title: String,
    /// The main text, one paragraph per line, chrome removed.
    pub text: String,
    /// Government `<meta>` tags as printed (see [`meta::meta_tags`]).
    pub meta: BTreeMap<String, String>,
    /// Disclosure-block pairs, labels normalised (see [`disclosure`]).
    pub disclosure: BTreeMap<String, String>,
    /// Followable links, at most [`links::MAX_LINKS`], none longer than
    /// [`townreports_proto::MAX_URL_BYTES`].
    pub links: Vec<PageLink>,
    /// Government meta tags, a disclosure block, a 网站标识码 or a .gov.cn host.
    pub government_chrome: bool,
    /// Many dated document links and little prose of its own.
    pub is_list_page: bool,
}

/// Document links in dated rows that make a page a list.
const LIST_ROWS: usize = 3;
/// Document links that make a page a list even without dates.
const LIST_LINKS: usize = 10;
/// Lines of at least [`PROSE_LINE`] letters a list page does not have.
const PROSE_LINES: usize = 3;
const PROSE_LINE: usize = 50;
/// Letters in an article container that make a page an article.
const ARTICLE_LETTERS: usize = 100;

/// Letters and digits below which a page's text is no body of its own but
/// a line announcing its attachments ("全文见附件"): the attachment is the
/// document.
pub const MIN_BODY_LETTERS: usize = 300;

/// Whether `text` is a body of its own (see [`MIN_BODY_LETTERS`]).
pub fn has_own_body(text: &str) -> bool {
    text.chars().filter(|c| stats::readable(*c)).count() >= MIN_BODY_LETTERS
}

/// The `meta` key under which an attachment's document carries the title
/// of the page it was found on: a title to fall back on, never one that
/// overrides the attachment's own.
pub const FOUND_ON_TITLE: &str = "FoundOnTitle";

/// Disclosure labels that only government pages print.
const GOVERNMENT_LABELS: &[&str] = &["索引号", "发布机构", "发文机关", "发文字号", "成文日期"];

/// Common tags, or any closing tag: what a body without markup lacks.
static MARKUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)<(!doctype|html|head|body|meta|title|div|p|br|hr|table|tr|td|span|a|script|style|ul|ol|li|h[1-6]|font|center|strong|b|img|form|select|option|section|article|pre)[\s>/]|</[a-z][a-z0-9]*\s*>|<!--",
    )
    .expect("static regex")
});
/// How much of a body is looked at to decide whether it is HTML.
const MARKUP_SNIFF: usize = 64 * 1024;

/// What a fetched body turned out to be.
#[derive(Debug, Clone)]
pub enum Parsed {
    /// An HTML or text page.
    Page(Page),
    /// An attachment of the named format (`pdf`, `doc`, `ofd`, …) read to text.
    Attachment { format: &'static str, page: Page },
    /// A PDF of scanned pages: images and no text layer.
    ImageOnly(&'static str),
    /// An attachment not read: a format townreports does not read, or a
    /// file its reader could not read, and why.
    Unsupported { format: &'static str, reason: String },
}

/// Parses any fetched body: attachments by their bytes (read to text when
/// their format allows), everything else as a page. Never fails: a file
/// that cannot be read is [`Parsed::Unsupported`] with the reason.
pub fn parse_fetched(url: &Url, bytes: &[u8], content_type: Option<&str>) -> Parsed {
    let Some(format) = attachment::sniff(bytes, url.path()) else {
        return Parsed::Page(parse_page(url, bytes, content_type));
    };
    match attachment::read(format, bytes) {
        Ok(Content::Text(text)) => Parsed::Attachment {
            format: format.name(),
            page: plain_text_page(url, &text, "UTF-8", CharsetSource::Detected),
        },
        Ok(Content::ImageOnly) => Parsed::ImageOnly(format.name()),
        Err(AttachmentError::Unreadable { format, message }) => Parsed::Unsupported {
            format,
            reason: message,
        },
    }
}

/// Parses `bytes` fetched from `url`. Never fails and never panics: any
/// bytes make a page (at worst an empty one).
pub fn parse_page(url: &Url, bytes: &[u8], content_type: Option<&str>) -> Page {
    let decoded = charset::decode(bytes, content_type);
    if is_plain_text(&decoded.text, content_type) {
        return plain_text_page(url, &decoded.text, decoded.encoding_name, decoded.source);
    }
    let scan = guard::scan(&decoded.text, guard::MAX_NESTING);
    if scan.too_deep {
        tracing::warn!(%url, "pathologically nested page read as plain text");
        let text = guard::strip_tags(&decoded.text);
        return plain_text_page(url, &text, decoded.encoding_name, decoded.source);
    }
    if !scan.bombs.is_empty() {
        tracing::warn!(%url, tags = scan.bombs.len(), "tags with thousands of attributes lose them");
    }
    let html = guard::defuse(&decoded.text, &scan.bombs);
    let doc = Html::parse_document(&html);
    let stats = stats::measure(&doc);
    let meta = meta::meta_tags(&doc);
    let main = content::main_text(&doc, &stats);
    let disclosure = disclosure::disclosure(&doc, &stats, main.root);
    let links = links::links(&doc, &html, url, &stats);
    let government_chrome = meta::GOVERNMENT_TAGS.iter().any(|k| meta.contains_key(*k))
        || GOVERNMENT_LABELS.iter().any(|k| disclosure.contains_key(*k))
        || government_host(url)
        || decoded.text.contains("网站标识码");
    let is_list_page = is_list(&links, &main);
    Page {
        charset: decoded.encoding_name,
        charset_source: decoded.source,
        title: title::title(&doc, &stats, &meta, &main.text),
        text: main.text,
        meta,
        disclosure,
        links: links.links,
        government_chrome,
        is_list_page,
    }
}

/// `text/plain`, or a body without any HTML tag near its start.
fn is_plain_text(text: &str, content_type: Option<&str>) -> bool {
    let declared = content_type.map(|ct| ct.trim().to_ascii_lowercase());
    if declared.as_deref().is_some_and(|ct| ct.starts_with("text/plain")) {
        return true;
    }
    let mut end = text.len().min(MARKUP_SNIFF);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    !MARKUP.is_match(&text[..end])
}

fn plain_text_page(url: &Url, text: &str, charset: &'static str, source: CharsetSource) -> Page {
    let text = text
        .lines()
        .map(|l| l.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{200b}' | '\u{feff}')))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    Page {
        charset,
        charset_source: source,
        title: text.lines().next().unwrap_or("").to_string(),
        government_chrome: government_host(url) || text.contains("网站标识码"),
        text,
        meta: BTreeMap::new(),
        disclosure: BTreeMap::new(),
        links: Vec::new(),
        is_list_page: false,
    }
}

fn government_host(url: &Url) -> bool {
    url.host_str().is_some_and(|h| h == "gov.cn" || h.ends_with(".gov.cn"))
}

/// Rows of dated document links (or a wall of them, or documents and a
/// pager) and hardly a paragraph of prose: what list pages look like and
/// articles do not, even articles with a "related documents" box or
/// pages of their own. Text in a CMS's article container is an article.
fn is_list(links: &links::Links, main: &content::MainText) -> bool {
    let letters = main.text.chars().filter(|c| stats::readable(*c)).count();
    if matches!(main.found, content::Found::Markers | content::Found::Known) && letters >= ARTICLE_LETTERS {
        return false;
    }
    let count = |kind| links.links.iter().filter(|l| l.kind == kind).count();
    let documents = count(LinkKind::Article);
    let listing =
        links.dated_rows >= LIST_ROWS || documents >= LIST_LINKS || (documents > 0 && count(LinkKind::Pagination) > 0);
    let prose = main
        .text
        .lines()
        .filter(|l| l.chars().filter(|c| stats::readable(*c)).count() >= PROSE_LINE)
        .count();
    listing && prose < PROSE_LINES
}

impl Page {
    /// Hex SHA-256 of the clean text: a page whose chrome (view counters,
    /// footers, menus) changes but whose text does not hashes the same.
    pub fn clean_text_sha256(&self) -> String {
        townreports_proto::content_sha256(&self.text)
    }

    /// Whether this page goes to the extractor: an article or attachment
    /// job always (an attachment-only report may look like a list of
    /// related links); a list job when the page turned out to be a
    /// document (no listed documents, no pager).
    pub fn is_document(&self, job: &FetchJob) -> bool {
        match job.kind() {
            PageKind::Article | PageKind::Attachment => true,
            PageKind::List => {
                !self.is_list_page
                    && !self
                        .links
                        .iter()
                        .any(|l| matches!(l.kind, LinkKind::Article | LinkKind::Pagination))
            }
            PageKind::Unspecified => !self.is_list_page,
            // robots.txt never reaches the parser; if it did, it is no
            // document. A portal page is read for its townships and columns.
            PageKind::Robots | PageKind::Portal => false,
        }
    }

    /// The links for the scheduler. Attachments always; documents and
    /// further pages from lists (and from pages that look like lists
    /// whatever the job said). Navigation never: the sites file names the
    /// columns to crawl, and following menus would crawl whole sites. A
    /// county portal's page (discovery mode) sends every link: its menus
    /// are where the townships and their columns are.
    ///
    /// A page without a body of its own sends its metadata with its
    /// attachments: the attachment's document is joined with it.
    pub fn discovered_links(&self, job: &FetchJob) -> DiscoveredLinks {
        let listing = self.is_list_page || !self.is_document(job);
        let portal = job.kind() == PageKind::Portal;
        let context = (!listing && !has_own_body(&self.text)).then(|| self.context(&job.url));
        let links = self
            .links
            .iter()
            .filter(|l| match l.kind {
                LinkKind::Attachment => true,
                LinkKind::Article | LinkKind::Pagination => listing,
                LinkKind::Navigation => portal,
            })
            .map(|l| Link {
                found_on: context.clone().filter(|_| l.kind == LinkKind::Attachment),
                ..l.to_proto()
            })
            .collect();
        DiscoveredLinks {
            job: Some(job.clone()),
            clean_text_sha256: self.clean_text_sha256(),
            links,
            ..Default::default()
        }
    }

    /// What this page says about the documents it links to.
    fn context(&self, url: &str) -> PageContext {
        PageContext {
            url: url.to_string(),
            title: self.title.clone(),
            disclosure: self.disclosure.clone(),
            meta: self.meta.clone(),
            government_chrome: self.government_chrome,
        }
    }

    /// An attachment's text joined with the metadata of the page it was
    /// found on: the page's disclosure pairs and meta tags where the
    /// attachment has none of its own, its title as [`FOUND_ON_TITLE`]
    /// (the page's `ArticleTitle` likewise: a page titled 关于公开…的说明
    /// must not rename the report it links to).
    fn joined_with(mut self, page: &PageContext) -> Page {
        for (label, value) in &page.disclosure {
            self.disclosure.entry(label.clone()).or_insert_with(|| value.clone());
        }
        for (name, value) in page.meta.iter().filter(|(name, _)| *name != "ArticleTitle") {
            self.meta.entry(name.clone()).or_insert_with(|| value.clone());
        }
        if !page.title.is_empty() {
            self.meta.insert(FOUND_ON_TITLE.to_string(), page.title.clone());
        }
        self.government_chrome |= page.government_chrome;
        self
    }

    /// The document for the extractor. `url` is where the page was found
    /// after redirects (the job has the URL asked for). An attachment found
    /// on a page without a body of its own is joined with that page's
    /// metadata.
    pub fn into_document(self, job: FetchJob, url: &str, fetched_at_ms: i64) -> ParsedDocument {
        let page = match &job.found_on {
            Some(context) => self.joined_with(context),
            None => self,
        };
        let attachments = page
            .links
            .iter()
            .filter(|l| l.kind == LinkKind::Attachment)
            .map(PageLink::to_proto)
            .collect();
        ParsedDocument {
            job: Some(job),
            url: url.to_string(),
            charset: page.charset.to_string(),
            title: page.title,
            text: page.text,
            meta: page.meta,
            disclosure: page.disclosure,
            attachments,
            government_chrome: page.government_chrome,
            fetched_at_ms,
            text_ref: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use townreports_proto::MAX_URL_BYTES;

    fn url() -> Url {
        Url::parse("http://127.0.0.1/zwgk/202401/t20240105_1.html").unwrap()
    }

    fn job(kind: PageKind) -> FetchJob {
        FetchJob {
            url: url().to_string(),
            kind: kind as i32,
            ..Default::default()
        }
    }

    #[test]
    fn plain_text_passes_through() {
        let page = parse_page(
            &url(),
            "  某镇2023年工作总结  \n\n\u{3000}\u{3000}正文第一段\n".as_bytes(),
            None,
        );
        assert_eq!(page.title, "某镇2023年工作总结");
        assert_eq!(page.text, "某镇2023年工作总结\n正文第一段");
        let page = parse_page(&url(), b"<p>as text</p>", Some("text/plain; charset=utf-8"));
        assert_eq!(page.text, "<p>as text</p>");
        assert!(is_plain_text("2 < 3 and a<b", None));
        assert!(!is_plain_text("x<br/>y", None));
        assert!(!is_plain_text("<select><option value=/a/>甲</option></select>", None));
        assert!(!is_plain_text("<!--ZJEG_RSS.content.begin-->", None));
    }

    #[test]
    fn an_article_page_yields_title_text_and_metadata() {
        let body = "各位代表：现在，我代表镇人民政府向大会报告工作，请予审议。".repeat(5);
        let html = format!(
            r#"<html><head><title>某某镇2023年政府工作报告_某某镇人民政府</title><meta name="SiteName" content="某某镇人民政府"></head>
            <body><div class="nav"><a href="/">网站首页</a><a href="/zwgk/">政务公开</a></div>
            <div class="xxgk"><table><tr><td>发布机构：</td><td>某某镇人民政府</td></tr></table></div>
            <h1>某某镇2023年政府工作报告</h1><div class="TRS_Editor"><p>{body}</p><p>{body}</p>
            <p><a href="./P020240101123.pdf">附件：报告全文.pdf</a></p></div><div class="footer">网站标识码：5111020001</div></body></html>"#
        );
        let page = parse_page(&url(), html.as_bytes(), Some("text/html; charset=utf-8"));
        assert_eq!(page.title, "某某镇2023年政府工作报告");
        assert!(page.text.starts_with("各位代表"), "{}", page.text);
        assert!(!page.text.contains("网站标识码") && !page.text.contains("政务公开"));
        assert_eq!(page.disclosure["发布机构"], "某某镇人民政府");
        assert!(page.government_chrome && !page.is_list_page);
        let job = job(PageKind::Article);
        assert!(page.is_document(&job));
        let links = page.discovered_links(&job);
        assert_eq!(links.links.len(), 1, "only the attachment: {:?}", links.links);
        assert_eq!(links.links[0].kind, PageKind::Attachment as i32);
        assert_eq!(links.clean_text_sha256, page.clean_text_sha256());
        let doc = page.into_document(job.clone(), url().as_str(), 7);
        assert_eq!(
            (doc.attachments.len(), doc.fetched_at_ms, doc.charset.as_str()),
            (1, 7, "UTF-8")
        );
        assert_eq!(doc.job, Some(job));
    }

    #[test]
    fn a_list_page_gives_its_documents_and_pages() {
        let rows: String = (1..=6)
            .map(|i| format!("<li><a href='./2024{i:02}/t2024{i:02}01_{i}.html'>某某镇2024年第{i}季度工作总结</a><span>2024-{i:02}-01</span></li>"))
            .collect();
        let html = format!(
            "<html><body><div class=nav><a href=/>首页</a></div><ul class=list>{rows}</ul>\
             <script>createPageHTML(2, 0, \"index\", \"html\");</script></body></html>"
        );
        let list_url = Url::parse("http://127.0.0.1/zfxxgk/gzzj/index.html").unwrap();
        let page = parse_page(&list_url, html.as_bytes(), None);
        assert!(page.is_list_page);
        for kind in [PageKind::List, PageKind::Article, PageKind::Unspecified] {
            let links = page.discovered_links(&job(kind));
            assert_eq!(links.links.len(), 7, "{kind:?}: {:?}", links.links);
            assert!(
                links
                    .links
                    .iter()
                    .any(|l| l.url.ends_with("index_1.html") && l.kind == PageKind::List as i32)
            );
        }
        assert!(!page.is_document(&job(PageKind::List)));
        assert!(
            page.is_document(&job(PageKind::Article)),
            "an article job is always a document"
        );
    }

    #[test]
    fn links_longer_than_the_url_limit_are_dropped() {
        // As the URL is fetched: absolute and percent-encoded.
        let at_limit = format!("/{}.html", "a".repeat(MAX_URL_BYTES - "http://127.0.0.1/.html".len()));
        let over = format!(
            "/{}.html",
            "b".repeat(MAX_URL_BYTES - "http://127.0.0.1/.html".len() + 1)
        );
        let encoded_over = format!("/{}.html", "报".repeat(MAX_URL_BYTES / 8));
        let huge = format!("/search?q={}", "x".repeat(100_000));
        let html = format!(
            "<html><body><ul><li><a href='{at_limit}'>甲</a></li><li><a href='{over}'>乙</a></li>\
             <li><a href='{encoded_over}'>丙</a></li><li><a href='{huge}'>丁</a></li>\
             <li><a href='/zwgk/t20240105_2.html'>某镇2023年工作总结</a></li></ul></body></html>"
        );
        let page = parse_page(&url(), html.as_bytes(), None);
        let kept: Vec<usize> = page.links.iter().map(|l| l.url.as_str().len()).collect();
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert_eq!(kept[0], MAX_URL_BYTES);
        assert!(page.links[1].url.as_str().ends_with("t20240105_2.html"));
    }

    #[test]
    fn chrome_changes_do_not_change_the_hash() {
        let page = |views: u32, news: &str| {
            let html = format!(
                "<html><body><div class=top><a href=/>首页</a></div><div class=info>发布时间：2024-01-05 浏览次数：{views}</div>\
                 <div class=article-content><p>全镇实现地区生产总值12.5亿元，同比增长6.1%。</p><p>【打印本页】【关闭窗口】</p>\
                 <div class=info>阅读次数：{views}</div></div><div class=related><a href=/x.html>{news}</a></div></body></html>"
            );
            parse_page(&url(), html.as_bytes(), None).clean_text_sha256()
        };
        assert_eq!(page(1, "相关新闻甲"), page(987, "相关新闻乙"));
    }

    #[test]
    fn a_page_without_a_body_lends_its_metadata_to_its_attachments() {
        let page = |body: &str| {
            let html = format!(
                r#"<html><head><meta charset="utf-8"><meta name="ArticleTitle" content="关于公开某某镇2024年政府工作报告的说明">
                <title>某某镇2024年政府工作报告</title></head><body>
                <div class="xxgk"><table><tr><td>发布机构：</td><td>某某镇人民政府</td></tr>
                <tr><td>发布日期：</td><td>2024-01-25</td></tr></table></div>
                <h1>某某镇2024年政府工作报告</h1><div class="TRS_Editor"><p>{body}</p>
                <p><a href="./P020240125.doc">附件：政府工作报告.doc</a></p></div></body></html>"#
            );
            parse_page(&url(), html.as_bytes(), None)
        };
        let job = job(PageKind::Article);
        let links = page("全文见附件。").discovered_links(&job);
        let context = links.links[0]
            .found_on
            .clone()
            .expect("a body-less page lends its metadata");
        assert_eq!(context.url, job.url);
        assert_eq!(context.disclosure["发布机构"], "某某镇人民政府");
        let with_body = page(&"现在，我代表镇人民政府向大会报告工作，请予审议。".repeat(20));
        assert!(with_body.discovered_links(&job).links[0].found_on.is_none());

        // The attachment's own text keeps its title; the page's metadata
        // fills what it lacks, the page's title only as a fallback.
        let attachment = Url::parse("http://127.0.0.1/zwgk/P020240125.doc").unwrap();
        let Parsed::Page(read) = parse_fetched(
            &attachment,
            "某某镇2024年政府工作报告\n各位代表：".as_bytes(),
            Some("text/plain"),
        ) else {
            panic!("plain text is a page");
        };
        let attachment_job = FetchJob {
            url: attachment.to_string(),
            kind: PageKind::Attachment as i32,
            found_on: Some(context),
            ..Default::default()
        };
        let doc = read.into_document(attachment_job, attachment.as_str(), 0);
        assert_eq!(doc.title, "某某镇2024年政府工作报告");
        assert_eq!(doc.disclosure["发布日期"], "2024-01-25");
        assert!(!doc.meta.contains_key("ArticleTitle"), "{:?}", doc.meta);
        assert_eq!(doc.meta[FOUND_ON_TITLE], "关于公开某某镇2024年政府工作报告的说明");
    }

    #[test]
    fn government_chrome_needs_a_sign() {
        let plain = "<html><body><p>某某公司2023年工作总结，全年营业收入增长。</p></body></html>";
        let other = Url::parse("http://example.com/a.html").unwrap();
        assert!(!parse_page(&other, plain.as_bytes(), None).government_chrome);
        let gov = Url::parse("http://www.xx.gov.cn/a.html").unwrap();
        assert!(parse_page(&gov, plain.as_bytes(), None).government_chrome);
        let with_code = plain.replace("</body>", "<div>网站标识码：5111020001</div></body>");
        assert!(parse_page(&other, with_code.as_bytes(), None).government_chrome);
    }
}
