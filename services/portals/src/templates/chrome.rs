//! Pieces every template shares: escaping, printed dates, the standard
//! government meta tags (《政府网站发展指引》), footers.

use std::borrow::Cow;

use super::Site;
use crate::model::Document;

/// Text between tags.
pub fn text(s: &str) -> Cow<'_, str> {
    html_escape::encode_text(s)
}

/// A double-quoted attribute value.
pub fn attr(s: &str) -> Cow<'_, str> {
    html_escape::encode_double_quoted_attribute(s)
}

/// Page numbers (0-based) a server-drawn pager shows on page `number` of
/// `count`: [`PAGER_NUMBERS`] around the current one, as real platforms
/// draw them (the Handan sample's pager shows six), never every page of
/// a list that may have thousands.
pub fn pager_window(number: usize, count: usize) -> std::ops::Range<usize> {
    let first = number
        .saturating_sub(PAGER_NUMBERS / 2)
        .min(count.saturating_sub(PAGER_NUMBERS));
    first..count.min(first + PAGER_NUMBERS)
}

/// Numbered links a server-drawn pager shows.
pub const PAGER_NUMBERS: usize = 10;

/// The date part of a printed date: `2024-08-19 16:45` → `2024-08-19`.
pub fn day(date: &str) -> &str {
    date.split_whitespace().next().unwrap_or(date)
}

/// A printed date read for URLs and reformatting. Sites print dates many
/// ways and documents can be published with any string, so a missing or
/// absurd part falls back rather than fails: month and day to 1, the year
/// to 2000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrintedDate {
    pub year: u32,
    pub month: u32,
    pub day: u32,
}

impl PrintedDate {
    pub fn parse(date: &str) -> PrintedDate {
        let mut numbers = date
            .split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .map(|p| p.parse::<u32>().ok());
        let mut next = |range: std::ops::RangeInclusive<u32>, fallback: u32| {
            numbers
                .next()
                .flatten()
                .filter(|n| range.contains(n))
                .unwrap_or(fallback)
        };
        let year = next(1900..=2999, 2000);
        let month = next(1..=12, 1);
        let day = next(1..=31, 1);
        PrintedDate { year, month, day }
    }

    /// `2024-08-19`.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// `2024年08月19日`, as Handan-style platforms print PubDate.
    pub fn chinese(self) -> String {
        format!("{:04}年{:02}月{:02}日", self.year, self.month, self.day)
    }
}

/// `<head>` up to the stylesheet, with the charset the portal serves.
pub fn head(site: &Site, title: &str, metas: &str) -> String {
    let charset = if site.gbk() { "gb2312" } else { "utf-8" };
    format!(
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n\
         <html xmlns=\"http://www.w3.org/1999/xhtml\">\n<head>\n\
         <meta http-equiv=\"Content-Type\" content=\"text/html; charset={charset}\" />\n\
         <meta http-equiv=\"X-UA-Compatible\" content=\"IE=edge\" />\n{metas}<title>{}</title>\n\
         <link href=\"/images/style.css\" rel=\"stylesheet\" type=\"text/css\" />\n</head>\n",
        text(title)
    )
}

/// Site and column tags, required on every page of a government site.
pub fn site_metas(site: &Site) -> String {
    let column = attr(&site.spec.column);
    format!(
        "<meta name=\"SiteName\" content=\"{}\">\n<meta name=\"SiteDomain\" content=\"{}\">\n\
         <meta name=\"SiteIDCode\" content=\"{}\">\n<meta name=\"ColumnName\" content=\"{column}\">\n\
         <meta name=\"ColumnDescription\" content=\"{column}\">\n<meta name=\"ColumnKeywords\" content=\"{column}\">\n\
         <meta name=\"ColumnType\" content=\"政府信息公开\">\n",
        attr(&site.spec.name),
        site.host,
        attr(site.spec.site_id_code.as_deref().unwrap_or_default()),
    )
}

/// An article page's tags: the site's, then the article's; `pub_date` as
/// the family formats PubDate.
pub fn article_metas(site: &Site, doc: &Document, pub_date: &str) -> String {
    site_metas(site)
        + &format!(
            "<meta name=\"ArticleTitle\" content=\"{}\">\n<meta name=\"PubDate\" content=\"{}\">\n\
         <meta name=\"ContentSource\" content=\"{}\">\n<meta name=\"Keywords\" content=\"\">\n\
         <meta name=\"Description\" content=\"\">\n",
            attr(&doc.title),
            attr(pub_date),
            attr(&publisher(site, doc)),
        )
}

/// 发布机构: the document's, else the site's name.
pub fn publisher<'a>(site: &'a Site, doc: &'a Document) -> Cow<'a, str> {
    Cow::Borrowed(doc.publisher.as_deref().unwrap_or(&site.spec.name))
}

/// 索引号 as county platforms build it: site code / year - sequence.
pub fn index_number(site: &Site, doc: &Document) -> String {
    format!(
        "{}/{}-{:05}",
        site.spec.site_id_code.as_deref().unwrap_or("000000000"),
        PrintedDate::parse(&doc.date).year,
        doc.id % 100_000
    )
}

/// Body paragraphs as an editor leaves them.
pub fn paragraphs(doc: &Document) -> String {
    doc.body
        .iter()
        .map(|p| format!("<p style=\"text-indent: 2em;\">{}</p>\n", text(p)))
        .collect()
}

/// The QR code box of county sites: its caption is the only text.
pub fn qr_box() -> &'static str {
    "<div id=\"div_div\"><div id=\"qr_container\" style=\"margin:auto; position:relative;\">扫一扫在手机打开当前页</div></div>\n"
}

/// Footer of a government site: sponsor, 网站标识码, ICP, the 党政机关 badge.
pub fn gov_footer(site: &Site) -> String {
    format!(
        "<div class=\"footer\"><div class=\"footer_nav\"><a href=\"/\">网站首页</a> | <a href=\"http://www.gov.cn/\" target=\"_blank\">中国政府网</a></div>\n\
         <p>主办：{name}　承办：{name}党政办公室</p>\n<p>网站标识码：{code}　<a href=\"https://beian.miit.gov.cn/\" target=\"_blank\">{icp}</a></p>\n\
         <p><span id=\"_ideConac\"><a href=\"http://bszs.conac.cn/sitename?method=show&amp;id=1\" target=\"_blank\"><img id=\"imgConac\" src=\"/images/red.png\" alt=\"党政机关\" /></a></span>\
         <script id=\"_jiucuo_\" sitecode=\"{code}\" src=\"/images/jiucuo.js\"></script></p></div>\n</body>\n</html>\n",
        name = text(&site.spec.name),
        code = attr(site.spec.site_id_code.as_deref().unwrap_or_default()),
        icp = text(site.spec.icp.as_deref().unwrap_or_default()),
    )
}

/// A portal's home page: the site name, the list, the latest documents.
/// Crawls start at the list; the home page is there because every link to
/// `/` must lead somewhere.
pub fn home(site: &Site, list_path: &str, docs: &[Document]) -> String {
    let family = site.family();
    let latest: String = docs
        .iter()
        .take(5)
        .map(|d| {
            format!(
                "<li><a href=\"{}\" title=\"{}\">{}</a><span>{}</span></li>\n",
                attr(&family.article_path(d)),
                attr(&d.title),
                text(&d.title),
                text(day(&d.date))
            )
        })
        .collect();
    format!(
        "{}<body>\n<div class=\"header\"><h1>{}</h1></div>\n<div class=\"nav\"><a href=\"/\">首页</a> <a href=\"{}\">{}</a></div>\n\
         <div class=\"main\"><h3>最新信息</h3><ul>\n{latest}</ul></div>\n<div class=\"footer\"><p>{}</p></div>\n</body>\n</html>\n",
        head(
            site,
            &site.spec.name,
            &if site.spec.site_id_code.is_some() {
                site_metas(site)
            } else {
                String::new()
            }
        ),
        text(&site.spec.name),
        attr(list_path),
        text(&site.spec.column),
        text(site.spec.icp.as_deref().unwrap_or(&site.spec.name)),
    )
}

/// The plainest related-links row: a titled link in a list item.
pub fn titled_item(link: &super::Link) -> String {
    format!(
        "<li><a href=\"{}\" title=\"{}\">{}</a></li>",
        link.href, link.title_attr, link.title
    )
}

/// Which page of a column `path` names where pages are `DIR/index.html`
/// (or `DIR/`) and then `DIR/index_1.html`, `DIR/index_2.html` …
pub fn numbered_index(path: &str, dir: &str) -> Option<usize> {
    let file = path.strip_prefix(dir)?;
    if file.is_empty() || file == "index.html" {
        return Some(0);
    }
    let n: usize = file.strip_prefix("index_")?.strip_suffix(".html")?.parse().ok()?;
    (n > 0).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_dates_of_every_shape() {
        let d = |y, m, d| PrintedDate {
            year: y,
            month: m,
            day: d,
        };
        assert_eq!(PrintedDate::parse("2024-08-19 16:45"), d(2024, 8, 19));
        assert_eq!(PrintedDate::parse("2023-11"), d(2023, 11, 1));
        assert_eq!(PrintedDate::parse("2020年08月02日"), d(2020, 8, 2));
        assert_eq!(PrintedDate::parse(""), d(2000, 1, 1));
        assert_eq!(PrintedDate::parse("99999999999999-77-00"), d(2000, 1, 1));
        assert_eq!(PrintedDate::parse("昨天"), d(2000, 1, 1));
        assert_eq!(PrintedDate::parse("2024-08-19").chinese(), "2024年08月19日");
    }

    #[test]
    fn escaping_keeps_markup_out() {
        assert_eq!(text("<a>&"), "&lt;a&gt;&amp;");
        assert_eq!(attr("\"x\""), "&quot;x&quot;");
        assert_eq!(day("2024-08-19 16:45"), "2024-08-19");
        assert_eq!(day(""), "");
    }

    #[test]
    fn pagers_number_the_pages_around_the_current_one() {
        assert_eq!(pager_window(0, 3), 0..3);
        assert_eq!(pager_window(0, 8_000), 0..PAGER_NUMBERS);
        assert_eq!(pager_window(4_000, 8_000), 3_995..4_005);
        assert_eq!(pager_window(7_999, 8_000), 7_990..8_000);
    }
}
