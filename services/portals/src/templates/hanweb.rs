//! Hanweb (大汉) JCMS: a column page whose list is a `<datastore>` of
//! CDATA records inside `<script type="text/xml">`, read by the jpage
//! plugin, with the next group of records behind `dataproxy.jsp`;
//! articles at `/art/YYYY/M/D/art_COL_ID.html` (month and day not padded),
//! the body between `ContentStart` and `ContentEnd` markers.
//!
//! A real `dataproxy.jsp` answers bare XML. Here it answers the column
//! page's shape for the next group, so the chain stays readable by an HTML
//! parser (CDATA outside a script is a bogus comment to HTML parsers).

use super::chrome::{self, PrintedDate, attr, text};
use super::{Family, ListPage, Site};
use crate::model::Document;

/// The column number in list and article URLs.
const COLUMN: u32 = 6525;
const WEB_ID: u32 = 121;
const UNIT_ID: u32 = 40317;
const PROXY: &str = "/module/web/jpage/dataproxy.jsp";

pub struct Hanweb;

impl Hanweb {
    fn header(site: &Site) -> String {
        format!(
            "<body>\n<div class=\"head\"><div class=\"logo\"><a href=\"/\"><img src=\"/images/logo.png\" alt=\"{}\" /></a></div>\n\
             <div class=\"menu\"><a href=\"/\">网站首页</a> <a href=\"/col/col{COLUMN}/index.html\">政府信息公开</a> \
             <a href=\"http://www.jxzwfww.gov.cn/\" target=\"_blank\">网上办事</a> <a href=\"javascript:void(0)\" id=\"wza\">无障碍浏览</a></div></div>\n\
             <div class=\"dqwz\">当前位置：<a href=\"/\">首页</a> &gt;&gt; <a href=\"/col/col{COLUMN}/index.html\">{}</a></div>\n",
            attr(&site.spec.name),
            text(&site.spec.column),
        )
    }

    /// The link jpage follows for the group after `group` (0-based; the
    /// column page is group 0). Raw `&`: CDATA in a script is not HTML.
    fn next_group(site: &Site, group: usize) -> String {
        format!(
            "<a href=\"{PROXY}?page={}&appid=1&webid={WEB_ID}&path=/&columnid={COLUMN}&unitid={UNIT_ID}&webname={}&permissiontype=0\"></a>",
            group + 1,
            percent_twice(&site.spec.name)
        )
    }
}

/// jpage's `webname`: the site name URL-encoded twice (`%25E5…`).
fn percent_twice(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%25{b:02X}")
            }
        })
        .collect()
}

impl Family for Hanweb {
    fn list_path(&self) -> String {
        format!("/col/col{COLUMN}/index.html")
    }

    fn list_page(&self, path: &str, query: &str) -> Option<usize> {
        if path == self.list_path() || path == format!("/col/col{COLUMN}/") {
            return Some(0);
        }
        if path != PROXY {
            return None;
        }
        let page = query.split('&').find_map(|kv| kv.strip_prefix("page="))?;
        page.parse::<usize>().ok().filter(|&p| p > 0)
    }

    fn article_path(&self, doc: &Document) -> String {
        let d = PrintedDate::parse(&doc.date);
        format!("/art/{}/{}/{}/art_{COLUMN}_{}.html", d.year, d.month, d.day, doc.id)
    }

    fn render_list(&self, site: &Site, list: &ListPage) -> String {
        let records = self.rows(list.docs, |d, link| {
            format!(
                "<record><![CDATA[\n<li class=\"clearfix\">    <a target=\"_blank\" href=\"{}\" title=\"{}\">{}</a>    <b>{}</b></li>]]></record>\n",
                link.href,
                link.title_attr,
                text(&shorten(&d.title)),
                PrintedDate::parse(&d.date).iso()
            )
        });
        let next = if list.number + 1 < list.count {
            Hanweb::next_group(site, list.number)
        } else {
            String::new()
        };
        format!(
            "{}{}<div class=\"list\" id=\"{COLUMN}\"><script type=\"text/xml\"><datastore>\n<nextgroup><![CDATA[{next}]]></nextgroup>\n\
             <recordset>\n{records}</recordset>\n</datastore></script>\n\
             <script language=\"javascript\" src=\"/module/jslib/jquery/jpage/jquery.page.min.js\"></script>\n\
             <script>$(document).ready(function(){{ $('#{COLUMN}').jpage({{dataStore: dataStore, perPage: {}, totalRecord: {}, proxyUrl: '{PROXY}', groupSize: 1}}); }});</script></div>\n\
             <!-- Produced By 大汉网络 大汉版通发布系统 -->\n{}",
            chrome::head(
                site,
                &format!("{} {}", site.spec.column, site.spec.name),
                &chrome::site_metas(site)
            ),
            Hanweb::header(site),
            list.docs.len(),
            list.total,
            chrome::gov_footer(site),
        )
    }

    fn render_article(&self, site: &Site, doc: &Document, related: &[&Document]) -> String {
        let date = PrintedDate::parse(&doc.date);
        let metas = chrome::article_metas(site, doc, &doc.date)
            + &format!(
                "<meta name=\"i_columnid\" content=\"{COLUMN}\">\n<meta name=\"i_articleid\" content=\"{}\">\n",
                doc.id
            );
        let related: String = related
            .iter()
            .map(|r| {
                format!(
                    "<li><a href=\"{}\" target=\"_blank\">{}</a></li>",
                    self.article_path(r),
                    text(&r.title)
                )
            })
            .collect();
        format!(
            "{}{}<table class=\"main\" width=\"100%\"><tr><td class=\"bt\" align=\"center\">{}</td></tr>\n\
             <tr><td class=\"xx\" align=\"center\">发布日期：{} 信息来源：{} 浏览次数：<script language=\"javascript\" src=\"/module/visitcount/articlehits.jsp?colid={COLUMN}&amp;artid={}\"></script> \
             【字体：<a href=\"javascript:doZoom(16)\">大</a> <a href=\"javascript:doZoom(14)\">中</a> <a href=\"javascript:doZoom(12)\">小</a>】</td></tr>\n\
             <tr><td class=\"zw\"><!--ZJEG_RSS.content.begin--><meta name=\"ContentStart\"><div id=\"zoom\">\n{}</div><meta name=\"ContentEnd\"><!--ZJEG_RSS.content.end--></td></tr>\n\
             <tr><td align=\"right\"><a href=\"javascript:window.print()\">【打印本页】</a> <a href=\"javascript:window.close()\">【关闭窗口】</a></td></tr></table>\n\
             <div class=\"xgwz\">相关文章：<ul>{related}</ul></div>\n<!-- Produced By 大汉网络 大汉版通发布系统 -->\n{}",
            chrome::head(site, &format!("{} {}", doc.title, site.spec.name), &metas),
            Hanweb::header(site),
            text(&doc.title),
            date.iso(),
            text(&chrome::publisher(site, doc)),
            doc.id,
            chrome::paragraphs(doc),
            chrome::gov_footer(site),
        )
    }

    fn disallowed(&self) -> &'static [&'static str] {
        &["/admin/", "/jcms/"]
    }
}

/// Hanweb lists cut long titles with `...`; the whole title is in title=.
fn shorten(title: &str) -> String {
    const MAX: usize = 30;
    if title.chars().count() > MAX {
        title.chars().take(MAX).chain("...".chars()).collect()
    } else {
        title.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_page_is_group_zero_and_the_proxy_serves_the_rest() {
        assert_eq!(Hanweb.list_page("/col/col6525/index.html", ""), Some(0));
        assert_eq!(Hanweb.list_page(PROXY, "page=2&appid=1"), Some(2));
        assert_eq!(Hanweb.list_page(PROXY, "appid=1&page=1"), Some(1));
        assert_eq!(Hanweb.list_page(PROXY, "page=0"), None);
        assert_eq!(Hanweb.list_page(PROXY, "page=-1"), None);
        assert_eq!(Hanweb.list_page(PROXY, ""), None);
    }

    #[test]
    fn webname_is_encoded_twice() {
        assert_eq!(percent_twice("a镇"), "a%25E9%2595%2587");
    }
}
