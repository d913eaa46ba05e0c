//! A document-sharing site: user uploads at `/p-N.html`, shown as a
//! preview whose middle is cut by a `---此处隐藏N字,下载后查看---` notice,
//! a 下载文档 button and VIP upsell; lists page with `?page=N` links
//! numbered around the current page, and 下一页.

use super::chrome::{self, day, text};
use super::{Family, ListPage, Site};
use crate::model::Document;

const LIST_PATH: &str = "/list/dzfw/";
/// How such sites mark the part of a preview they hold back.
const HIDDEN_MARK: &str = "---此处隐藏";

pub struct Docshare;

impl Docshare {
    fn header(site: &Site) -> String {
        format!(
            "<body>\n<div class=\"top\"><a href=\"/\" class=\"logo\">{}</a>\
             <div class=\"nav\"><a href=\"/\">首页</a> <a href=\"{LIST_PATH}\">{}</a> <a href=\"/vip/\">VIP会员</a> <a href=\"/user/login/\">登录</a> <a href=\"/user/upload/\">上传文档</a></div></div>\n",
            text(&site.spec.name),
            text(&site.spec.column),
        )
    }

    fn footer(site: &Site) -> String {
        format!(
            "<div class=\"foot\"><p>{} 用户上传的文档仅供学习交流，版权归原作者所有</p><p>{}</p></div>\n</body>\n</html>\n",
            text(&site.spec.name),
            text(site.spec.icp.as_deref().unwrap_or_default())
        )
    }
}

/// The preview: paragraphs, with the site's own hidden-text notice as the
/// widget it is rather than as a paragraph.
fn preview(doc: &Document) -> String {
    doc.body
        .iter()
        .map(|p| {
            if p.starts_with(HIDDEN_MARK) {
                format!(
                    "<div class=\"hide-tips\"><a href=\"/user/login/\">{}</a></div>\n",
                    text(p)
                )
            } else {
                format!("<p>{}</p>\n", text(p))
            }
        })
        .collect()
}

impl Family for Docshare {
    fn list_path(&self) -> String {
        LIST_PATH.to_string()
    }

    fn list_page(&self, path: &str, query: &str) -> Option<usize> {
        if path != LIST_PATH {
            return None;
        }
        match query.split('&').find_map(|kv| kv.strip_prefix("page=")) {
            None => Some(0),
            Some(n) => n.parse::<usize>().ok()?.checked_sub(1),
        }
    }

    fn article_path(&self, doc: &Document) -> String {
        format!("/p-{}.html", doc.id)
    }

    fn render_list(&self, site: &Site, list: &ListPage) -> String {
        let items = self.rows(list.docs, |d, link| {
            format!(
                "<li><i class=\"ico-doc\"></i><a href=\"{}\" title=\"{}\" target=\"_blank\">{}</a><span class=\"date\">{}</span></li>\n",
                link.href,
                link.title_attr,
                link.title,
                text(day(&d.date))
            )
        });
        let mut pager: Vec<String> = chrome::pager_window(list.number, list.count)
            .map(|n| n + 1)
            .map(|n| {
                if n == list.number + 1 {
                    format!("<span class=\"on\">{n}</span>")
                } else {
                    format!("<a href=\"{LIST_PATH}?page={n}\">{n}</a>")
                }
            })
            .collect();
        if list.number + 1 < list.count {
            pager.push(format!("<a href=\"{LIST_PATH}?page={}\">下一页</a>", list.number + 2));
        }
        format!(
            "{}{}<div class=\"doclist\"><h2>{}</h2><ul>\n{items}</ul>\n<div class=\"pager\">{}</div></div>\n{}",
            chrome::head(site, &format!("{}-{}", site.spec.column, site.spec.name), ""),
            Docshare::header(site),
            text(&site.spec.column),
            pager.join(" "),
            Docshare::footer(site),
        )
    }

    fn render_article(&self, site: &Site, doc: &Document, related: &[&Document]) -> String {
        let related = self.rows(related.iter().copied(), |_, link| chrome::titled_item(link));
        format!(
            "{}{}<div class=\"doc\"><div class=\"crumb\"><a href=\"/\">首页</a> &gt; <a href=\"{LIST_PATH}\">{}</a></div>\n\
             <h1>{}</h1>\n<div class=\"docinfo\">更新时间:{} 来源:{}</div>\n<div class=\"doc-content\">\n{}</div>\n\
             <div class=\"download\"><a href=\"/user/login/\" class=\"btn-down\">下载文档</a> <a href=\"/vip/\">开通VIP，免费下载</a></div>\n\
             <div class=\"relate\"><h3>相关文档</h3><ul>{related}</ul></div></div>\n{}",
            chrome::head(site, &format!("{}-{}", doc.title, site.spec.name), ""),
            Docshare::header(site),
            text(&site.spec.column),
            text(&doc.title),
            text(&doc.date),
            text(doc.source.as_deref().unwrap_or("网友投稿")),
            preview(doc),
            Docshare::footer(site),
        )
    }

    fn disallowed(&self) -> &'static [&'static str] {
        &["/admin/", "/user/", "/vip/"]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_takes_a_page_parameter() {
        assert_eq!(Docshare.list_page(LIST_PATH, ""), Some(0));
        assert_eq!(Docshare.list_page(LIST_PATH, "page=1"), Some(0));
        assert_eq!(Docshare.list_page(LIST_PATH, "x=1&page=3"), Some(2));
        assert_eq!(Docshare.list_page(LIST_PATH, "page=0"), None);
        assert_eq!(Docshare.list_page(LIST_PATH, "page=abc"), None);
        assert_eq!(Docshare.list_page("/list/other/", "page=1"), None);
    }
}
