//! Links worth following, each with what it leads to: `<a>`/`<area>`
//! elements, `<option value>` menus (county sites are sometimes only
//! there), and what scripts and CDATA blocks hold (anchors written by
//! `document.write`, Hanweb `<datastore>` records, URL variables, TRS pagers).

mod classify;
mod script;

use std::collections::HashSet;
use std::sync::LazyLock;

use scraper::{ElementRef, Html, Node, Selector};
use townreports_proto::MAX_URL_BYTES;
use townreports_proto::v1::Link;
use url::Url;

pub use classify::{LinkKind, classify, names_a_pager, resolve};
pub use script::MAX_PAGES;

use crate::stats::Stats;
use crate::text;

/// Links kept per page. A government list page has tens; a page with
/// thousands is a sitemap, a trap or a pager numbering every page, and the
/// kinds that matter (pagination, attachments, documents) are kept first,
/// sharing the cap (see [`capped`]).
pub const MAX_LINKS: usize = 2_000;
/// Link candidates examined per page, so a page of a million anchors costs
/// no more than one of this many.
const MAX_CANDIDATES: usize = 20_000;
/// A list row is an anchor's parent (or grandparent) with at most this
/// many bytes of text.
const MAX_ROW: usize = 600;
/// Nodes after an anchor that may hold its row's date.
const ROW_SIBLINGS: usize = 4;

static ANCHORS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("a[href], area[href]").expect("static selector"));
static OPTIONS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("option[value]").expect("static selector"));
static SCRIPTS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("script").expect("static selector"));

/// A link of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageLink {
    pub url: Url,
    pub kind: LinkKind,
    /// The anchor text (the `title=` when the visible text is cut), empty
    /// for links only a pager script implies.
    pub text: String,
}

impl PageLink {
    pub fn to_proto(&self) -> Link {
        Link {
            url: self.url.to_string(),
            kind: self.kind.page_kind() as i32,
            anchor_text: self.text.clone(),
            found_on: None,
        }
    }
}

/// The links of a page and how list-like they are.
#[derive(Debug, Clone, Default)]
pub struct Links {
    pub links: Vec<PageLink>,
    /// Document links sitting in a row with a date, as lists show them.
    pub dated_rows: usize,
}

/// Every followable link of `doc` (decoded from `source`) fetched from
/// `base`, deduplicated, in document order unless over [`MAX_LINKS`].
pub fn links(doc: &Html, source: &str, base: &Url, stats: &Stats) -> Links {
    let mut c = Collector::new(base);
    for a in doc.select(&ANCHORS) {
        let href = a.value().attr("href").unwrap_or("");
        let visible = collapse(&text::flat(a));
        let title = collapse(a.value().attr("title").unwrap_or(""));
        c.add(href, script::prefer_title(visible, title), None, || dated_row(a, stats));
    }
    for option in doc.select(&OPTIONS) {
        let value = option.value().attr("value").unwrap_or("");
        // Menus also carry plain values (年份, 1, 2); only URLs are links.
        if value.contains('/') || value.ends_with("html") || value.ends_with(".htm") {
            c.add(value, collapse(&text::flat(option)), None, || false);
        }
    }
    for script in doc.select(&SCRIPTS) {
        let code: String = script.text().collect();
        c.add_code(&code);
    }
    if source.contains("<![CDATA[") {
        for section in script::cdata(source) {
            c.add_code(section);
        }
    }
    c.finish()
}

struct Collector {
    base: Url,
    seen: HashSet<Url>,
    /// Pages some link names as a pager's (下一页) or a pager script
    /// announces, for [`capped`].
    leading: HashSet<Url>,
    links: Vec<PageLink>,
    candidates: usize,
    dated_rows: usize,
}

impl Collector {
    fn new(base: &Url) -> Self {
        let mut own = base.clone();
        own.set_fragment(None);
        Collector {
            base: base.clone(),
            seen: HashSet::from([own]),
            leading: HashSet::new(),
            links: Vec::new(),
            candidates: 0,
            dated_rows: 0,
        }
    }

    /// Adds a link unless seen, the page itself, too long, or past the
    /// candidate cap.
    /// `kind` overrides classification; `dated` is asked only of documents.
    fn add(&mut self, href: &str, text: String, kind: Option<LinkKind>, dated: impl FnOnce() -> bool) {
        if self.candidates >= MAX_CANDIDATES {
            return;
        }
        self.candidates += 1;
        let Some(url) = resolve(&self.base, href) else { return };
        // Only a generator makes URLs this long and nothing downstream would
        // fetch them: dropped here, before they can take the place of real
        // links under the cap.
        if url.as_str().len() > MAX_URL_BYTES {
            return;
        }
        // The next page is often numbered before it is named 下一页: the
        // name counts even when the link was seen first as a number.
        if names_a_pager(&text) || kind == Some(LinkKind::Pagination) {
            self.leading.insert(url.clone());
        }
        if self.seen.contains(&url) {
            return;
        }
        let kind = kind.unwrap_or_else(|| classify(&url, &text));
        if kind == LinkKind::Article && dated() {
            self.dated_rows += 1;
        }
        self.seen.insert(url.clone());
        self.links.push(PageLink { url, kind, text });
    }

    /// Links in script or CDATA text: anchors, pager pages, and URL strings
    /// that look like documents, files or pages (a bare path in a variable
    /// is too often an image folder to be navigation).
    fn add_code(&mut self, code: &str) {
        for anchor in script::embedded_anchors(code) {
            self.add(&anchor.href, anchor.text, None, || anchor.dated);
        }
        for url in script::pager_urls(code, &self.base) {
            self.add(url.as_str(), String::new(), Some(LinkKind::Pagination), || false);
        }
        for href in script::string_urls(code) {
            if let Some(url) = resolve(&self.base, href)
                && classify(&url, "") != LinkKind::Navigation
            {
                self.add(url.as_str(), String::new(), None, || false);
            }
        }
    }

    fn finish(mut self) -> Links {
        if self.links.len() > MAX_LINKS {
            self.links = capped(self.links, &self.leading);
        }
        Links {
            links: self.links,
            dated_rows: self.dated_rows,
        }
    }
}

/// [`MAX_LINKS`] of `links`, by kind (pagination, attachments, documents,
/// then navigation), shared fairly between the first three: a kind takes
/// what it has up to an equal share of what the smaller kinds leave, so a
/// pager that numbers all of a long list's 8,000 pages cannot push the
/// page's own documents out, nor a wall of documents the pager. Of the
/// pagination, the pages `leading` (named 下一页 or 尾页 by some link, or
/// announced by a pager script) go first: they lead on when the numbered
/// ones are cut.
fn capped(links: Vec<PageLink>, leading: &HashSet<Url>) -> Vec<PageLink> {
    let shared = [LinkKind::Pagination, LinkKind::Attachment, LinkKind::Article];
    let mut by_kind: Vec<(LinkKind, Vec<PageLink>)> = shared
        .iter()
        .chain([&LinkKind::Navigation])
        .map(|&kind| (kind, Vec::new()))
        .collect();
    for link in links {
        if let Some((_, group)) = by_kind.iter_mut().find(|(kind, _)| *kind == link.kind) {
            group.push(link);
        }
    }
    if let Some((_, pagination)) = by_kind.iter_mut().find(|(kind, _)| *kind == LinkKind::Pagination) {
        // Stable: document order within each half.
        pagination.sort_by_key(|l| !leading.contains(&l.url));
    }
    let mut quota = [0; 4];
    let mut smallest_first: Vec<usize> = (0..shared.len()).collect();
    smallest_first.sort_by_key(|&i| by_kind[i].1.len());
    let mut left = MAX_LINKS;
    for (n, &i) in smallest_first.iter().enumerate() {
        quota[i] = by_kind[i].1.len().min(left / (shared.len() - n));
        left -= quota[i];
    }
    quota[shared.len()] = left;
    by_kind
        .into_iter()
        .zip(quota)
        .flat_map(|((_, group), quota)| group.into_iter().take(quota))
        .collect()
}

/// Whether the row around anchor `a` shows a date, as list rows do: its
/// parent or grandparent when small, else (rows without a row element)
/// what follows it up to the next link.
fn dated_row(a: ElementRef, stats: &Stats) -> bool {
    let in_row = a
        .ancestors()
        .take(2)
        .filter_map(ElementRef::wrap)
        .take_while(|row| stats.get(row.id()).len <= MAX_ROW)
        .any(|row| script::DATE.is_match(&text::flat(row)));
    in_row
        || a.next_siblings()
            .take(ROW_SIBLINGS)
            .take_while(|n| n.value().as_element().is_none_or(|e| e.name() != "a"))
            .any(|n| match (n.value(), ElementRef::wrap(n)) {
                (Node::Text(t), _) => script::DATE.is_match(t),
                (_, Some(e)) => stats.get(e.id()).len <= MAX_ROW && script::DATE.is_match(&text::flat(e)),
                _ => false,
            })
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::measure;

    fn base() -> Url {
        Url::parse("http://127.0.0.1:8080/zfxxgk/gzbg/index.html").unwrap()
    }

    fn collect(html: &str) -> Links {
        let doc = Html::parse_document(html);
        let stats = measure(&doc);
        links(&doc, html, &base(), &stats)
    }

    #[test]
    fn anchors_records_options_and_attachments_are_classified() {
        let got = collect(
            r##"<ul><li><a href="./202401/t20240105_1.html" title="某某镇2023年政府工作报告全文">某某镇2023年政府...</a><span>2024-01-05</span></li></ul>
            <a href="index_1.html">下一页</a><a href="javascript:void(0)">打印</a><a href="../../">首页</a><a href="/zwgk/">政府信息公开</a>
            <a href="#top">顶部</a><a href="index.html#x">本页</a><a href="mailto:a@b.cn">信箱</a>
            <select onchange="window.open(this.value)"><option value="">请选择</option><option value="2024">2024</option><option value="http://www.xx.gov.cn"> 某某县人民政府 </option></select>
            <script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=1"></a>]]></nextgroup><recordset><record><![CDATA[<li><a href="/art/2024/1/5/art_1_2.html" title="关于印发某某乡工作要点的通知">关于印发...</a><b>2024-01-05</b></li>]]></record></recordset></datastore></script>
            <script>var file_appendix='<a href="./P020240808575593646209.pdf">附件1：实施方案.pdf</a>'; createPageHTML(3, 0, "index", "html");</script>"##,
        );
        let find = |suffix: &str| {
            got.links
                .iter()
                .find(|l| l.url.as_str().ends_with(suffix))
                .unwrap_or_else(|| panic!("{suffix} in {:?}", got.links))
        };
        assert_eq!(find("t20240105_1.html").kind, LinkKind::Article);
        assert_eq!(find("t20240105_1.html").text, "某某镇2023年政府工作报告全文");
        assert_eq!(find("index_1.html").kind, LinkKind::Pagination);
        assert_eq!(find("index_1.html").text, "下一页", "the anchor came first");
        assert_eq!(find("index_2.html").kind, LinkKind::Pagination);
        assert_eq!(find("art_1_2.html").kind, LinkKind::Article);
        assert_eq!(find("art_1_2.html").text, "关于印发某某乡工作要点的通知");
        assert!(find("dataproxy.jsp?page=1&webid=1").kind == LinkKind::Pagination);
        assert_eq!(find(".pdf").kind, LinkKind::Attachment);
        assert_eq!(find(".pdf").text, "附件1：实施方案.pdf");
        assert_eq!(find("www.xx.gov.cn/").text, "某某县人民政府");
        assert_eq!(find("/zwgk/").kind, LinkKind::Navigation);
        assert_eq!(
            find("127.0.0.1:8080/").kind,
            LinkKind::Navigation,
            "home is not a pager"
        );
        assert_eq!(got.dated_rows, 2);
        let urls: Vec<&str> = got.links.iter().map(|l| l.url.as_str()).collect();
        assert!(
            !urls
                .iter()
                .any(|u| u.contains("javascript") || u.contains("mailto") || u.contains('#'))
        );
        assert!(
            !urls.contains(&base().as_str()),
            "the page itself is not a link: {urls:?}"
        );
        assert!(!urls.iter().any(|u| u.ends_with("/2024")), "{urls:?}");
        assert_eq!(
            got.links[0].to_proto().kind,
            townreports_proto::v1::PageKind::Article as i32
        );
    }

    #[test]
    fn links_are_capped_keeping_what_matters() {
        let many: String = (0..5000).map(|i| format!("<a href='/nav/{i}/'>栏目{i}</a>")).collect();
        let got = collect(&format!(
            "{many}<a href='/f/报告.pdf'>附件</a><script>var countPage = 3;</script>"
        ));
        assert_eq!(got.links.len(), MAX_LINKS);
        assert_eq!(got.links[0].kind, LinkKind::Pagination);
        assert!(got.links.iter().any(|l| l.kind == LinkKind::Attachment));
    }

    #[test]
    fn a_pager_numbering_every_page_cannot_push_the_documents_out() {
        // Page 3,000 of a 6,000-page list whose pager numbers every page
        // (as some older county CMSs draw it), the next-page link last.
        let rows = "<li><a href='./202401/t20240105_1.html'>某某镇2023年工作总结</a><span>2024-01-05</span></li>\
                    <li><a href='./202401/t20240104_2.html'>某某镇2024年工作要点</a><span>2024-01-04</span></li>";
        let pager: String = (1..=6000)
            .map(|n| format!("<a href='index_{n}.html'>{}</a> ", n + 1))
            .collect();
        let got = collect(&format!(
            "<ul>{rows}</ul><div class='page'>{pager}<a href='index_3001.html'>下一页</a></div>"
        ));
        assert_eq!(got.links.len(), MAX_LINKS);
        let kinds = |kind| got.links.iter().filter(|l| l.kind == kind).count();
        assert_eq!(kinds(LinkKind::Article), 2, "the page's own documents");
        assert_eq!(kinds(LinkKind::Pagination), MAX_LINKS - 2);
        assert!(
            got.links.iter().any(|l| l.url.as_str().ends_with("/index_3001.html")),
            "the way on, numbered before it is named"
        );

        // And a wall of documents keeps its pager.
        let wall: String = (0..3000)
            .map(|i| format!("<li><a href='./202401/t20240105_{i}.html'>某某镇第{i}号通知</a></li>"))
            .collect();
        let pager: String = (1..=10)
            .map(|n| format!("<a href='index_{n}.html'>{}</a> ", n + 1))
            .collect();
        let got = collect(&format!("<ul>{wall}</ul>{pager}"));
        assert_eq!(got.links.len(), MAX_LINKS);
        assert_eq!(got.links.iter().filter(|l| l.kind == LinkKind::Pagination).count(), 10);
    }

    #[test]
    fn overlong_links_cannot_push_real_ones_out() {
        let long = "x".repeat(MAX_URL_BYTES);
        let junk: String = (0..MAX_LINKS + 500)
            .map(|i| format!("<a href='/art/{i}/{long}.html'>某某镇通知{i}</a>"))
            .collect();
        let got = collect(&format!("{junk}<a href='/art/real.html'>某某镇2024年政府工作报告</a>"));
        let urls: Vec<&str> = got.links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(urls, ["http://127.0.0.1:8080/art/real.html"]);
    }

    #[test]
    fn rows_without_row_elements_still_have_dates() {
        // One big parent, so only what follows each anchor can date it.
        let rows: String = (1..=30)
            .map(|i| {
                format!(
                    "<a href='./202401/t20240101_{i}.html'>某某镇第{i}期工作情况通报</a> <span>01-{i:02}</span><br>"
                )
            })
            .collect();
        let undated: String = (1..=30)
            .map(|i| format!("<a href='./202402/t20240201_{i}.html'>某某镇第{i}期工作情况通报</a><br>"))
            .collect();
        assert_eq!(collect(&format!("<div>{rows}{undated}</div>")).dated_rows, 30);
    }

    #[test]
    fn candidates_are_capped_too() {
        let many = "<a href='/same.html'>同一个链接的标题文字很长</a>".repeat(MAX_CANDIDATES + 10);
        let got = collect(&format!("{many}<a href='/late.html'>最后</a>"));
        assert_eq!(got.links.len(), 1);
    }
}
