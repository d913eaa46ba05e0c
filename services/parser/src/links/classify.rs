//! What a link leads to, from its URL and its text: a file, another page
//! of the same list, a document, or some other page of the site.

use std::sync::LazyLock;

use regex::Regex;
use townreports_proto::v1::PageKind;
use url::Url;

/// What a link leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkKind {
    /// Another page of the same list.
    Pagination,
    /// A file: PDF, Word, WPS, OFD, spreadsheets, archives.
    Attachment,
    /// A document page: a list's item, a report.
    Article,
    /// Any other page: columns, menus, the home page, other sites.
    Navigation,
}

impl LinkKind {
    /// The scheduler's view: pagination and navigation lead to list pages.
    pub fn page_kind(self) -> PageKind {
        match self {
            LinkKind::Pagination | LinkKind::Navigation => PageKind::List,
            LinkKind::Article => PageKind::Article,
            LinkKind::Attachment => PageKind::Attachment,
        }
    }
}

const ATTACHMENT_EXTENSIONS: &[&str] = &[
    "pdf", "doc", "docx", "wps", "ofd", "xls", "xlsx", "et", "zip", "rar", "7z", "rtf",
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
    "后页",
    "前页",
    "next",
    "prev",
    "last",
    ">",
    ">>",
    "»",
    "<",
    "<<",
    "«",
];
/// Words of document titles; navigation labels (政府信息公开, 机构职能) lack them.
const TITLE_WORDS: &[&str] = &[
    "报告", "总结", "计划", "规划", "谋划", "要点", "通知", "方案", "意见", "公告", "公示", "通告", "解读", "办法",
    "决定", "纪要", "制度", "情况", "公报",
];

/// Files by path: TRS `P0yyyyMMdd….ext`, Hanweb and other download
/// scripts, FastDFS storage paths.
static ATTACHMENT_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)/P0\d{8,}[^/]*\.\w+$|/(downfile|download|filedown)\.(jsp|aspx?|php|do)$|/group\d+/M\d+/")
        .expect("static regex")
});
/// Later pages of a list: `index_3.html`, `index_bm_2.shtml`,
/// `column-index-4.shtml`, `?page=5`, Hanweb's `dataproxy.jsp?startrecord=`.
static PAGED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)/(index|list|default|more|column-index)(_[a-z]+)?[_-]\d+\.(s?html?|jsp|aspx?|php)$|[?&](page|pageno|pageindex|pagenum|pn|curpage|currpage|startrecord)=\d+",
    )
    .expect("static regex")
});
/// Document URLs of the CMS families in the notes (§3): TRS
/// `t20200802_1352104.html`, Hanweb `art_12377_1486865.html`, UCAP
/// `/202305/<32 hex>.shtml`, gov.cn `content_5353307.htm`, gkmlpt
/// `post_123.html`, and `detail` pages.
static ARTICLE_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)/t\d{8}_\d+\.\w+$|/art_\d+_\d+\.\w+$|/\d{6}/[0-9a-f]{32}\.s?html?$|/content_\d+\.\w+$|/m?post_\d+\.\w+$|/detail[_/-]",
    )
    .expect("static regex")
});
/// Column and list URLs: directories (with or without the final slash),
/// index pages, Hanweb columns.
static LIST_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(/|/[^/.]+|/(index|list|default)\.\w+|/col/col\d+/?\w*(\.\w+)?)$").expect("static regex")
});

/// The kind of a link to `url` whose text (or title) is `text`.
pub fn classify(url: &Url, text: &str) -> LinkKind {
    let path = url.path();
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e).to_ascii_lowercase();
    let page = matches!(extension.as_str(), "html" | "htm" | "shtml");
    if ATTACHMENT_EXTENSIONS.contains(&extension.as_str()) || (!page && ATTACHMENT_PATH.is_match(path)) {
        return LinkKind::Attachment;
    }
    let text = text.trim().trim_matches(|c| matches!(c, '[' | ']' | '【' | '】'));
    let short = text.chars().count() < 6;
    if names_a_pager(text)
        || (!text.is_empty() && text.len() <= 4 && text.chars().all(|c| c.is_ascii_digit()))
        || (PAGED.is_match(url.as_str()) && short)
    {
        return LinkKind::Pagination;
    }
    if ARTICLE_PATH.is_match(path) {
        return LinkKind::Article;
    }
    // A listed document has a title: long, or naming a kind of document or
    // a year. On a column-like URL it needs both: menus and link walls name
    // columns and agencies (国家发展和改革委员会) at length. A site's home
    // page is never a document.
    let han = text.chars().filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c)).count();
    let titled = TITLE_WORDS.iter().any(|w| text.contains(w)) || text.chars().any(|c| c.is_ascii_digit());
    let document = if path == "/" {
        false
    } else if LIST_PATH.is_match(path) {
        han >= 10 && titled
    } else {
        han >= 10 || (han >= 4 && titled)
    };
    if document {
        LinkKind::Article
    } else {
        LinkKind::Navigation
    }
}

/// Whether a link's text is a pager's word (下一页, 尾页, »), not a page
/// number or a title.
pub fn names_a_pager(text: &str) -> bool {
    let text = text.trim().trim_matches(|c| matches!(c, '[' | ']' | '【' | '】'));
    PAGER_WORDS.iter().any(|w| text.eq_ignore_ascii_case(w))
}

/// `href` resolved against `base`, fragment dropped; `None` for links that
/// lead nowhere fetchable (`javascript:`, `mailto:`, `#top`, other schemes).
pub fn resolve(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim();
    let lower = href.get(..11).unwrap_or(href).to_ascii_lowercase();
    if href.is_empty()
        || href.starts_with('#')
        || ["javascript:", "mailto:", "tel:", "data:", "vbscript:", "about:"]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(url: &str, text: &str) -> LinkKind {
        classify(&Url::parse(url).unwrap(), text)
    }

    #[test]
    fn files() {
        for url in [
            "http://h/c/202408/P020240808575593646209.pdf",
            "http://h/c/P020201204639988160963.DOCX",
            "http://h/module/download/downfile.jsp?classid=0&filename=abc.doc",
            "http://h/group6/M00/00/1A/abc",
            "http://h/files/报告.wps",
            "http://h/files/report.ofd",
        ] {
            assert_eq!(kind(url, "附件"), LinkKind::Attachment, "{url}");
        }
        assert_eq!(
            kind("http://h/c/P020240808575593646209.html", "某某镇工作报告"),
            LinkKind::Article
        );
    }

    #[test]
    fn pagers() {
        assert_eq!(kind("http://h/l/index_1.html", "下一页"), LinkKind::Pagination);
        assert_eq!(kind("http://h/l/index_4.html", "[5]"), LinkKind::Pagination);
        assert_eq!(kind("http://h/l/index_bm_2.shtml", ""), LinkKind::Pagination);
        assert_eq!(kind("http://h/l/list.jsp?page=3", "3"), LinkKind::Pagination);
        assert_eq!(
            kind("http://h/module/web/jpage/dataproxy.jsp?page=1&webid=1", ""),
            LinkKind::Pagination
        );
        assert_eq!(kind("http://h/", "首页"), LinkKind::Navigation, "home is not a pager");
        assert_eq!(
            kind("http://h/zfxxgk/202401/t20240105_123.html", "详情"),
            LinkKind::Article,
            "a TRS article is not index_N"
        );
    }

    #[test]
    fn documents_by_url_or_title() {
        assert_eq!(
            kind("http://h/art/2022/1/20/art_12377_1486865.html", ""),
            LinkKind::Article
        );
        assert_eq!(
            kind("http://h/a/202305/7215380191c5400397df5d7d0b5fd06b.shtml", ""),
            LinkKind::Article
        );
        assert_eq!(
            kind("http://h/zhengce/content/2018-12/29/content_5353307.htm", ""),
            LinkKind::Article
        );
        assert_eq!(
            kind("http://h/news/show.asp?id=12", "某某镇2023年政府工作报告"),
            LinkKind::Article
        );
        assert_eq!(
            kind(
                "http://h/news/show.asp?id=13",
                "关于进一步加强基层治理工作的实施意见全文"
            ),
            LinkKind::Article
        );
        assert_eq!(kind("http://h/zwgk/", "政府信息公开"), LinkKind::Navigation);
        assert_eq!(
            kind("http://h/col/col6525/index.html", "政府工作报告"),
            LinkKind::Navigation,
            "a column"
        );
        assert_eq!(kind("http://h/jgzn.html", "机构职能"), LinkKind::Navigation);
        assert_eq!(kind("http://h/xxgk/zcjd", "政策解读"), LinkKind::Navigation);
        assert_eq!(
            kind("http://h/xxgk/zcjd/", "某某镇2023年政府工作报告全文"),
            LinkKind::Article
        );
        assert_eq!(
            kind("http://h/ztzl/hbdczl", "大气污染综合治理督查信息公开"),
            LinkKind::Navigation
        );
        assert_eq!(
            kind("http://www.xx.gov.cn/", "国家发展和改革委员会2023年工作总结"),
            LinkKind::Navigation
        );
    }

    #[test]
    fn resolution() {
        let base = Url::parse("http://h.gov.cn/a/b/index.html").unwrap();
        let r = |h: &str| resolve(&base, h).map(|u| u.to_string());
        assert_eq!(
            r("./202401/t1.html#top").as_deref(),
            Some("http://h.gov.cn/a/b/202401/t1.html")
        );
        assert_eq!(r("../c.html").as_deref(), Some("http://h.gov.cn/a/c.html"));
        assert_eq!(r("//other.gov.cn/x").as_deref(), Some("http://other.gov.cn/x"));
        for dead in [
            "",
            "#",
            "JavaScript:void(0)",
            "mailto:a@b.c",
            "ftp://h/x",
            "data:text/html,x",
            " tel:123",
        ] {
            assert_eq!(r(dead), None, "{dead}");
        }
    }

    #[test]
    fn kinds_map_to_the_scheduler_view() {
        assert_eq!(LinkKind::Pagination.page_kind(), PageKind::List);
        assert_eq!(LinkKind::Navigation.page_kind(), PageKind::List);
        assert_eq!(LinkKind::Article.page_kind(), PageKind::Article);
        assert_eq!(LinkKind::Attachment.page_kind(), PageKind::Attachment);
    }
}
