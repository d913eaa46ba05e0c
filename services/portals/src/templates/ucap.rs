//! The provincial 集约化 platforms built on 开普 UCAP (Jiangxi's is the
//! model): `.shtml` pages, articles at `/column/YYYYMM/{32 hex}.shtml`, a
//! `div.meta-data` of `<dl><dd><label>` disclosure fields, the title in
//! `<ucaptitle>` and the body in `<ucapcontent>`; the list's pager is
//! drawn on the server as numbered links around the current page
//! (`index.shtml`, `index_2.shtml` …, 1-based as these platforms number
//! them) between 首页 / 上一页 and 下一页 / 尾页.

use super::chrome::{self, PrintedDate, attr, text};
use super::{Family, Link, ListPage, Site};
use crate::model::Document;

const COLUMN_DIR: &str = "/zfxxgk/xzxxgk/";

pub struct Ucap;

impl Ucap {
    fn page_file(number: usize) -> String {
        match number {
            0 => "index.shtml".to_string(),
            n => format!("index_{}.shtml", n + 1),
        }
    }

    fn header(site: &Site, here: &str) -> String {
        format!(
            "<body>\n<div class=\"xxgk-header\"><div class=\"xxgk-container\"><div class=\"xxgk-logo\"><img src=\"/images/xxgk_emblems.png\" alt=\"\" />\
             <a href=\"/\" target=\"_blank\"><h1 class=\"zz-name\">{}</h1></a>\
             <p><a href=\"javascript:void(0)\" onclick=\"aria.start()\">网站无障碍</a><a href=\"javascript:void(0)\">关怀版</a></p></div></div></div>\n\
             <div class=\"xxgk-crumb\"><div class=\"xxgk-container\"><h2>您当前所在位置：<a href=\"/\" target=\"_self\">首页</a>&gt;\
             <a href=\"{COLUMN_DIR}index.shtml\" target=\"_self\">政府信息公开</a>&gt;{here}</h2></div></div>\n",
            text(&site.spec.name),
        )
    }
}

/// The platform's 32-hex manuscript id, derived from the article number so
/// URLs are stable across runs (splitmix64, twice).
fn manuscript_id(id: u32) -> String {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    let first = mix(u64::from(id));
    format!("{first:016x}{:016x}", mix(first))
}

/// One `<dd>` of the disclosure block.
fn field(class: &str, label: &str, value: &str) -> String {
    format!(
        "<dd class=\"addWidth {class}\">\n<label><font>{label}</font></label>\n<div class=\"display-block\">\n{}\n</div>\n</dd>\n",
        text(value)
    )
}

impl Family for Ucap {
    fn list_path(&self) -> String {
        format!("{COLUMN_DIR}index.shtml")
    }

    fn list_page(&self, path: &str, _query: &str) -> Option<usize> {
        let file = path.strip_prefix(COLUMN_DIR)?;
        if file.is_empty() || file == "index.shtml" {
            return Some(0);
        }
        let n: usize = file.strip_prefix("index_")?.strip_suffix(".shtml")?.parse().ok()?;
        n.checked_sub(1).filter(|&n| n > 0)
    }

    fn article_path(&self, doc: &Document) -> String {
        let d = PrintedDate::parse(&doc.date);
        format!(
            "{COLUMN_DIR}{:04}{:02}/{}.shtml",
            d.year,
            d.month,
            manuscript_id(doc.id)
        )
    }

    fn render_list(&self, site: &Site, list: &ListPage) -> String {
        let items = self.rows(list.docs, item);
        let mut pager = vec![format!("<a href=\"{}\">首页</a>", Ucap::page_file(0))];
        if list.number > 0 {
            pager.push(format!("<a href=\"{}\">上一页</a>", Ucap::page_file(list.number - 1)));
        }
        for n in chrome::pager_window(list.number, list.count) {
            pager.push(if n == list.number {
                format!("<span class=\"current\">{}</span>", n + 1)
            } else {
                format!("<a href=\"{}\">{}</a>", Ucap::page_file(n), n + 1)
            });
        }
        if list.number + 1 < list.count {
            pager.push(format!("<a href=\"{}\">下一页</a>", Ucap::page_file(list.number + 1)));
        }
        pager.push(format!("<a href=\"{}\">尾页</a>", Ucap::page_file(list.count - 1)));
        format!(
            "{}{}<div class=\"xxgk-container\"><div class=\"xxgk-list\"><h3>{}</h3><ul class=\"common_newslist\">\n{items}</ul>\n\
             <div class=\"pagination\">{} <span>共{}条</span></div></div></div>\n{}",
            chrome::head(
                site,
                &format!("{} | {}", site.spec.column, site.spec.name),
                &chrome::site_metas(site)
            ),
            Ucap::header(site, &text(&site.spec.column)),
            text(&site.spec.column),
            pager.join(" "),
            list.total,
            chrome::gov_footer(site),
        )
    }

    fn render_article(&self, site: &Site, doc: &Document, related: &[&Document]) -> String {
        let date = PrintedDate::parse(&doc.date);
        let metas = chrome::article_metas(site, doc, &doc.date)
            + &format!("<meta name=\"others\" content=\"页面生成时间 {}\">\n", attr(&doc.date));
        let publisher = chrome::publisher(site, doc);
        let meta_data = [
            field("IndexNo", "索 引 号：", &chrome::index_number(site, doc)),
            field("scrq", "生成日期：", &date.iso()),
            field("gkfs", "公开方式：", "主动公开"),
            field("gksx", "公开时限：", "常年公开"),
            field("gkfw", "公开范围：", "面向全社会"),
            field("ReleaseMechanism", "发布机构：", &publisher),
        ]
        .concat();
        let related = self.rows(related.iter().copied(), item);
        format!(
            "{}{}<div class=\"xxgk-container\"><div class=\"xxgk-detail clearfix\">\n<div class=\"meta-main\"><div class=\"meta-data\"><dl class=\"clearfix\">\n{meta_data}</dl></div></div>\n\
             <h1 class=\"article-title\"><ucaptitle>{}</ucaptitle></h1>\n\
             <div class=\"article-attr clearfix\"><span class=\"llcs\">访问量：<b id=\"view\">{}</b></span>\
             <span class=\"article-icon fontsize\"><i class=\"print\" onclick=\"javascript:window.print();\"></i></span></div>\n\
             <div class=\"article-content article-content-body\" id=\"zoomcon\">\n<ucapcontent>{}</ucapcontent>\n\
             <div class=\"fj-a\"><p>附件：</p></div>\n<script type=\"text/javascript\">if(!$(\".fj-a a\").length) {{ $(\".fj-a\").css('display','none'); }}</script>\n</div>\n\
             <dl class=\"article-ewm\"><dt>{}</dt></dl>\n\
             <div class=\"article-extended clearfix\"><div class=\"article-share\" id=\"content-share\"></div>\
             <div class=\"article-btn\"><span class=\"gotop\">【<a href=\"javascript:scrollTo(0,0);\">返回顶部</a>】</span><span class=\"close\">【<a href=\"javascript:window.close()\">关闭本页</a>】</span></div></div>\n\
             <div class=\"article-reldocuments\"><h3><span>相关信息：</span></h3><ul class=\"common_newslist\">\n{related}</ul></div>\n</div></div>\n{}",
            chrome::head(site, &format!("{} | {}", doc.title, site.spec.name), &metas),
            Ucap::header(site, &text(&site.spec.column)),
            text(&doc.title),
            doc.views.unwrap_or(0),
            chrome::paragraphs(doc),
            chrome::qr_box(),
            chrome::gov_footer(site),
        )
    }

    fn disallowed(&self) -> &'static [&'static str] {
        &["/admin/", "/ucap/"]
    }
}

/// A document in a list or a related-links box: the same markup in both.
fn item(d: &Document, link: &Link) -> String {
    format!(
        "<li><a href=\"{}\" target=\"_blank\" title=\"{}\">{}</a><span class=\"time\">{}</span></li>\n",
        link.href,
        link.title_attr,
        link.title,
        PrintedDate::parse(&d.date).iso()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_pages_are_index_then_index_2() {
        assert_eq!(Ucap.list_page("/zfxxgk/xzxxgk/index.shtml", ""), Some(0));
        assert_eq!(Ucap.list_page("/zfxxgk/xzxxgk/index_2.shtml", ""), Some(1));
        assert_eq!(Ucap.list_page("/zfxxgk/xzxxgk/index_1.shtml", ""), None);
        assert_eq!(Ucap.list_page("/zfxxgk/xzxxgk/index_0.shtml", ""), None);
        for n in 0..5 {
            assert_eq!(
                Ucap.list_page(&format!("{COLUMN_DIR}{}", Ucap::page_file(n)), ""),
                Some(n)
            );
        }
    }

    #[test]
    fn manuscript_ids_are_stable_32_hex() {
        let id = manuscript_id(1001);
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(id, manuscript_id(1001));
        assert_ne!(id, manuscript_id(1002));
    }
}
