//! Page templates, one per CMS family seen on real sites (see
//! `tests/corpus/html-samples` and the notes on government sites). A
//! family decides its URLs, its pager and its markup; it renders what such
//! sites render (chrome, metadata, pagers) and nothing a real site would
//! not have: no labels for the crawler.

mod aggregator;
mod chrome;
mod docshare;
mod handan;
mod hanweb;
mod trs;
mod ucap;

use serde::Deserialize;

use crate::fixtures::{Charset, SiteSpec};
use crate::model::Document;

pub use chrome::PrintedDate;

/// The CMS family a portal imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    /// TRS WCM: static `index.html`, `index_1.html` … behind a
    /// `createPageHTML(N, i, "index", "html")` script; articles at
    /// `./YYYYMM/tYYYYMMDD_ID.html`.
    Trs,
    /// Hanweb (大汉) JCMS: `/col/colN/index.html` with a `<datastore>` of
    /// CDATA records and a `dataproxy.jsp` next group; articles at
    /// `/art/YYYY/M/D/art_COL_ID.html`.
    Hanweb,
    /// A Handan-style disclosure platform: a 名称/索引号/发布机构/发布日期
    /// table, `var countPage = N`, `<p><strong>索引号</strong>：` metadata.
    Handan,
    /// A scraping aggregator: ThinkPHP-style URLs, a login wall, reward
    /// and QR widgets, plain 下一页 links.
    Aggregator,
    /// A document-sharing site: numbered `?page=N` links, a preview cut by
    /// 此处隐藏…字 and a download button.
    Docshare,
    /// A provincial 集约化 platform on 开普 UCAP: `.shtml`, 32-hex article
    /// ids, `<dl><dd><label>` disclosure fields, `<ucapcontent>`.
    Ucap,
}

impl Template {
    pub(crate) fn family(self) -> &'static dyn Family {
        match self {
            Template::Trs => &trs::Trs,
            Template::Hanweb => &hanweb::Hanweb,
            Template::Handan => &handan::Handan,
            Template::Aggregator => &aggregator::Aggregator,
            Template::Docshare => &docshare::Docshare,
            Template::Ucap => &ucap::Ucap,
        }
    }
}

/// What every page of a portal knows about its site.
#[derive(Debug, Clone)]
pub struct Site {
    pub spec: SiteSpec,
    /// `127.0.0.1:PORT`.
    pub host: String,
}

impl Site {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.host)
    }

    pub fn gbk(&self) -> bool {
        self.spec.charset == Charset::Gbk
    }

    fn family(&self) -> &'static dyn Family {
        self.spec.template.family()
    }
}

/// One page of a list.
pub struct ListPage<'a> {
    /// The documents on this page, newest first.
    pub docs: &'a [Document],
    /// 0-based.
    pub number: usize,
    pub count: usize,
    /// Documents in the whole list.
    pub total: usize,
}

/// A CMS family: its URL scheme and its markup.
pub trait Family: Sync {
    /// The list's first page: where a crawl starts.
    fn list_path(&self) -> String;
    /// Which list page (0-based) a request names, if it names one.
    fn list_page(&self, path: &str, query: &str) -> Option<usize>;
    /// Where a document lives (absolute path).
    fn article_path(&self, doc: &Document) -> String;
    fn render_list(&self, site: &Site, list: &ListPage) -> String;
    /// A document's page; `related` are other documents of the site,
    /// newest first, for the related-links box such pages have.
    fn render_article(&self, site: &Site, doc: &Document, related: &[&Document]) -> String;
    /// Paths robots.txt disallows. The server answers them 403: a polite
    /// crawler never asks.
    fn disallowed(&self) -> &'static [&'static str];

    /// Each of `docs` through `row`, which gets the document and its link
    /// (path, title escaped as an attribute and as text): the rows of a
    /// list page or of a related-links box, in the family's markup.
    fn rows<'d>(&self, docs: impl IntoIterator<Item = &'d Document>, row: impl Fn(&Document, &Link) -> String) -> String
    where
        Self: Sized,
    {
        docs.into_iter()
            .map(|d| {
                let link = Link {
                    href: self.article_path(d),
                    title_attr: chrome::attr(&d.title).into_owned(),
                    title: chrome::text(&d.title).into_owned(),
                };
                row(d, &link)
            })
            .collect()
    }
}

/// A document's link as a row shows it, escaped.
pub struct Link {
    pub href: String,
    pub title_attr: String,
    pub title: String,
}

/// The page a portal serves for a request, before encoding.
pub enum Page {
    Html(String),
    Text(String),
}

/// Renders what `path?query` names on the site, `None` for nothing.
pub fn render(site: &Site, docs: &[Document], path: &str, query: &str) -> Option<Page> {
    let family = site.family();
    if path == "/robots.txt" {
        return Some(Page::Text(robots_txt(family)));
    }
    if path == "/" || path == "/index.html" {
        return Some(Page::Html(chrome::home(site, &family.list_path(), docs)));
    }
    if let Some(number) = family.list_page(path, query) {
        let count = docs.len().div_ceil(site.spec.per_page).max(1);
        if number >= count {
            return None;
        }
        let start = number * site.spec.per_page;
        let end = (start + site.spec.per_page).min(docs.len());
        let list = ListPage {
            docs: &docs[start..end],
            number,
            count,
            total: docs.len(),
        };
        return Some(Page::Html(family.render_list(site, &list)));
    }
    let doc = docs.iter().find(|d| family.article_path(d) == path)?;
    let related: Vec<&Document> = docs.iter().filter(|d| d.id != doc.id).take(3).collect();
    Some(Page::Html(family.render_article(site, doc, &related)))
}

/// Whether robots.txt keeps crawlers out of `path`.
pub fn is_disallowed(site: &Site, path: &str) -> bool {
    site.family().disallowed().iter().any(|p| path.starts_with(p))
}

pub fn list_path(site: &Site) -> String {
    site.family().list_path()
}

pub fn article_path(site: &Site, doc: &Document) -> String {
    site.family().article_path(doc)
}

fn robots_txt(family: &dyn Family) -> String {
    let mut out = String::from("User-agent: *\n");
    for path in family.disallowed() {
        out.push_str(&format!("Disallow: {path}\n"));
    }
    out.push_str("Allow: /\n");
    out
}
