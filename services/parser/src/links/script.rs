//! Links that only JavaScript (or a CDATA block) knows: anchors written by
//! `document.write` or kept in Hanweb's `<datastore>` records, URLs in
//! variables (`var strLink = '…'`, `var file_appendix = '<a …>'`), and the
//! pages a TRS pager would draw (`createPageHTML(21, 0, "index", "html")`,
//! `var countPage = 56`). Nothing is executed: these are patterns over the
//! source, hand-written because no crate reads Chinese CMS pagers.

use std::sync::LazyLock;

use regex::Regex;
use url::Url;

/// Pages a JavaScript pager may announce at most: the window of them
/// around the page the pager is on. A list longer than this is reached
/// through its later pages, whose own windows move on (links to further
/// pages of a list keep the depth of the list, so the walk has no end but
/// the list's).
pub const MAX_PAGES: u64 = 500;

/// An `<a>` found in script or CDATA text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embedded {
    pub href: String,
    /// The visible text, or the `title=` when the visible text is cut.
    pub text: String,
    /// A date follows the anchor, as in a list row.
    pub dated: bool,
}

static ANCHOR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?is)<a\s([^>]*)>(.*?)</a\s*>").expect("static regex"));
/// An `href` value; group 3 is set when a string concatenation follows the
/// quoted part (`href=\"index"+"_"+n+".html\"`), which makes it a fragment.
static HREF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\bhref\s*=\s*(?:\\?["']([^"'\\]*)|([^\s>"'\\+]+))(\\?["']\s*\+)?"#).expect("static regex")
});
static TITLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\btitle\s*=\s*\\?["']([^"'\\]*)"#).expect("static regex"));
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^>]*>").expect("static regex"));
static CDATA: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)<!\[CDATA\[(.*?)\]\]>").expect("static regex"));
/// A string assigned to a variable or property named like a link.
static LINK_VARIABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b\w*(?:link|url|href|appendix)\w*\s*=\s*["']([^"'<>\s]+)["']"#).expect("static regex")
});
/// A string naming a file.
static FILE_STRING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)["']([^"'<>\s]+\.(?:pdf|docx?|wps|ofd|xlsx?|et|zip|rar|7z|rtf))["']"#).expect("static regex")
});
static CREATE_PAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"createPage(?:HTML)?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*["']([\w-]+)["']\s*,\s*["'](\w+)["']"#)
        .expect("static regex")
});
static COUNT_PAGE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\bcountPage\s*=\s*(\d+)").expect("static regex"));
static CURRENT_PAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bcurrentPage\s*=\s*(\d+)").expect("static regex"));
pub(crate) static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}|(?:^|[^\d])\d{2}-\d{2}(?:$|[^\d])")
        .expect("static regex")
});

/// How far after an anchor a row's date is looked for, in bytes.
const DATE_WINDOW: usize = 160;

/// The `<a>` elements in `code`.
pub fn embedded_anchors(code: &str) -> Vec<Embedded> {
    ANCHOR
        .captures_iter(code)
        .filter_map(|caps| {
            let attributes = caps.get(1)?.as_str();
            let href = HREF.captures(attributes)?;
            if href.get(3).is_some() {
                return None;
            }
            let href = href.get(1).or_else(|| href.get(2))?.as_str();
            let end = caps.get(0)?.end();
            let visible = collapse(&TAG.replace_all(caps.get(2)?.as_str(), " "));
            let title = TITLE.captures(attributes).map(|t| collapse(&t[1])).unwrap_or_default();
            let following = &code[end..floor_boundary(code, end + DATE_WINDOW)];
            let following = following.split("<a").next().unwrap_or("");
            Some(Embedded {
                href: href.to_string(),
                text: prefer_title(visible, title),
                dated: DATE.is_match(following),
            })
        })
        .filter(|e| !e.href.trim().is_empty() && !is_concatenation(&e.href))
        .collect()
}

/// URLs in strings: link-named variables and file names.
pub fn string_urls(code: &str) -> Vec<&str> {
    LINK_VARIABLE
        .captures_iter(code)
        .chain(FILE_STRING.captures_iter(code))
        .filter_map(|caps| caps.get(1).map(|m| m.as_str()))
        .filter(|s| !is_concatenation(s))
        .collect()
}

/// The contents of the CDATA sections of `source`.
pub fn cdata(source: &str) -> impl Iterator<Item = &str> {
    CDATA.captures_iter(source).filter_map(|c| c.get(1).map(|m| m.as_str()))
}

/// The pages a TRS pager in `code` would link to, the current one left out:
/// `createPageHTML(N, cur, "index", "html")` gives `index.html`,
/// `index_1.html` … `index_{N-1}.html`; `var countPage = N` the same with
/// the name and extension of the page itself (`index_bm.shtml` →
/// `index_bm_1.shtml`). Of a list longer than [`MAX_PAGES`], the
/// [`MAX_PAGES`] around the current page: page 700 of 2,000 announces
/// 450 … 949, so every page is announced by some page before it.
pub fn pager_urls(code: &str, base: &Url) -> Vec<Url> {
    let (count, current, stem, extension) = if let Some(caps) = CREATE_PAGE.captures(code) {
        (
            number(&caps[1]),
            number(&caps[2]),
            caps[3].to_string(),
            caps[4].to_string(),
        )
    } else if let Some(caps) = COUNT_PAGE.captures(code) {
        let current = CURRENT_PAGE.captures(code).map_or(0, |c| number(&c[1]));
        let (stem, extension) = page_name(base);
        (number(&caps[1]), current, stem, extension)
    } else {
        return Vec::new();
    };
    let first = current
        .saturating_sub(MAX_PAGES / 2)
        .min(count.saturating_sub(MAX_PAGES));
    (first..count.min(first.saturating_add(MAX_PAGES)))
        .filter(|k| *k != current)
        .filter_map(|k| {
            let name = if k == 0 {
                format!("{stem}.{extension}")
            } else {
                format!("{stem}_{k}.{extension}")
            };
            base.join(&name).ok()
        })
        .collect()
}

/// The first page's name of the list `base` is on: `index_bm_3.shtml` →
/// (`index_bm`, `shtml`); a directory URL → (`index`, `html`).
fn page_name(base: &Url) -> (String, String) {
    let file = base.path_segments().and_then(|mut s| s.next_back()).unwrap_or("");
    let (stem, extension) = match file.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (stem, extension),
        _ => ("index", "html"),
    };
    let stem = match stem.rsplit_once('_') {
        Some((head, n)) if !head.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => head,
        _ => stem,
    };
    (stem.to_string(), extension.to_string())
}

fn number(digits: &str) -> u64 {
    digits.parse().unwrap_or(u64::MAX)
}

/// A visible text cut with an ellipsis (or missing) gives way to `title=`.
pub fn prefer_title(visible: String, title: String) -> String {
    let cut = visible.is_empty()
        || visible.ends_with("...")
        || visible.ends_with('…')
        || visible.ends_with("。。。")
        || visible.ends_with("..");
    if cut && !title.is_empty() { title } else { visible }
}

/// `"<a href='" + url + "'>"` leaves `+ url +` or a dangling quote.
fn is_concatenation(href: &str) -> bool {
    let href = href.trim();
    href.starts_with('+') || href.ends_with('+') || href.contains("\"+") || href.contains("'+")
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("http://127.0.0.1:8080/zfxxgk/gzbg/index.html").unwrap()
    }

    fn strings(urls: Vec<Url>) -> Vec<String> {
        urls.iter().map(|u| u.to_string()).collect()
    }

    #[test]
    fn trs_create_page_html() {
        let got = strings(pager_urls(r#"createPageHTML(3, 0, "index", "html");"#, &base()));
        assert_eq!(
            got,
            [
                "http://127.0.0.1:8080/zfxxgk/gzbg/index_1.html",
                "http://127.0.0.1:8080/zfxxgk/gzbg/index_2.html"
            ]
        );
        let got = strings(pager_urls(r#"createPage(3, 2, "index", "shtml");"#, &base()));
        assert_eq!(
            got,
            [
                "http://127.0.0.1:8080/zfxxgk/gzbg/index.shtml",
                "http://127.0.0.1:8080/zfxxgk/gzbg/index_1.shtml"
            ]
        );
        let huge = pager_urls(
            r#"createPageHTML(99999999999999999999999, 0, "index", "html")"#,
            &base(),
        );
        assert_eq!(huge.len() as u64, MAX_PAGES - 1);
        assert!(
            pager_urls(
                "function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){}",
                &base()
            )
            .is_empty()
        );
    }

    #[test]
    fn a_long_list_announces_the_window_around_the_current_page() {
        let pages = |code: &str| -> Vec<u64> {
            pager_urls(code, &base())
                .iter()
                .map(|u| {
                    let file = u.path_segments().unwrap().next_back().unwrap();
                    file.trim_start_matches("index_")
                        .trim_end_matches(".html")
                        .parse()
                        .unwrap_or(0)
                })
                .collect()
        };
        let middle = pages(r#"createPageHTML(2000, 700, "index", "html")"#);
        assert_eq!(middle.len() as u64, MAX_PAGES - 1);
        assert_eq!((middle[0], middle[middle.len() - 1]), (450, 949));
        assert!(!middle.contains(&700));
        let end = pages("var countPage = 2000; var currentPage = 1999;");
        assert_eq!((end[0], end[end.len() - 1]), (1500, 1998));
        let start = pages(r#"createPageHTML(2000, 0, "index", "html")"#);
        assert_eq!((start[0], start[start.len() - 1]), (1, 499));
    }

    #[test]
    fn count_page_from_a_later_page() {
        let b = Url::parse("http://h/list/index_bm_1.shtml").unwrap();
        let got = strings(pager_urls("var countPage = 3//共多少页\nvar currentPage = 1;", &b));
        assert_eq!(got, ["http://h/list/index_bm.shtml", "http://h/list/index_bm_2.shtml"]);
        let dir = Url::parse("http://h/list/").unwrap();
        let got = strings(pager_urls(
            "var countnum= 6348; var currentPage=0; var countPage=2",
            &dir,
        ));
        assert_eq!(got, ["http://h/list/index_1.html"]);
    }

    #[test]
    fn anchors_in_strings_and_records() {
        let code = r#"var file_appendix='<a href="./P020201204639988160963.docx">附件：方案.docx</a>';
            document.write("<a href=\"./P020240808.pdf\" class=h12>附件2</a>");
            <record><![CDATA[<li><a target="_blank" href="/art/2022/1/20/art_1_2.html" title="某某乡关于印发2022年工作要点的通知">某某乡关于印发...</a> <b>2022-01-20</b></li>]]></record>
            document.write("<a href='" + url + "'>" + name + "</a>");
            document.write("<a  href=\"index"+"_"+prevPage+"."+"html\" target=\"_self\">上一页</a>");"#;
        let got = embedded_anchors(code);
        let hrefs: Vec<&str> = got.iter().map(|e| e.href.as_str()).collect();
        assert_eq!(
            hrefs,
            [
                "./P020201204639988160963.docx",
                "./P020240808.pdf",
                "/art/2022/1/20/art_1_2.html"
            ]
        );
        assert_eq!(got[0].text, "附件：方案.docx");
        assert_eq!(got[2].text, "某某乡关于印发2022年工作要点的通知");
        assert!(got[2].dated && !got[0].dated);
    }

    #[test]
    fn urls_in_variables_and_file_strings() {
        let code = r#"var strLink = './202401/t20240105_1.html'; window.location.href="index_1.html";
            var fj = "/uploads/报告.pdf"; var img = "/images/logo.png"; var u = '/a/' + id + '.html';"#;
        assert_eq!(
            string_urls(code),
            ["./202401/t20240105_1.html", "index_1.html", "/uploads/报告.pdf"]
        );
    }

    #[test]
    fn cdata_sections() {
        let got: Vec<&str> = cdata("<x><![CDATA[<a href='a'>甲</a>]]></x><![CDATA[乙]]>").collect();
        assert_eq!(got, ["<a href='a'>甲</a>", "乙"]);
    }

    #[test]
    fn titles_replace_cut_texts_only() {
        assert_eq!(prefer_title("某某镇2023年政府...".into(), "全称".into()), "全称");
        assert_eq!(prefer_title("".into(), "全称".into()), "全称");
        assert_eq!(prefer_title("完整标题".into(), "另一个".into()), "完整标题");
        assert_eq!(prefer_title("被截断…".into(), "".into()), "被截断…");
    }
}
