//! TRS WCM, as county and township sites run it: a static list column
//! (`index.html`, `index_1.html` … written by a `createPageHTML` script),
//! articles beside it at `./YYYYMM/tYYYYMMDD_ID.html`, an info bar of
//! 发布机构 / 发文日期, the body in `.TRS_Editor`.

use super::chrome::{self, PrintedDate, attr, text};
use super::{Family, ListPage, Site};
use crate::model::Document;

/// The column directory; list pages and article months live under it.
const COLUMN_DIR: &str = "/zfxxgk/fdzdgknr/";
/// Titles longer than this are cut on the list (TRS lists have no title=).
const LIST_TITLE_CHARS: usize = 22;

/// WCM's pager function, verbatim in spirit: it writes its links at run
/// time, so a crawler must read the call's arguments.
const PAGER_SCRIPT: &str = r#"<script language="javascript">
<!--
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt)
{
var styleDIY = "fystyle";
if(_nPageCount == null || _nPageCount<=0){
return;
}
var nCurrIndex = _nCurrIndex || 0;
if(nCurrIndex == 0)
	document.write("<font class=\"" + styleDIY + "\">首页</font>　<font class=\"" + styleDIY + "\">上一页</font>　");
else
	document.write("<a class=\"" + styleDIY + "\" href=\"" + _sPageName + "." + _sPageExt + "\">首页</a>　");
if(nCurrIndex + 1 < _nPageCount)
	document.write("<a class=\"" + styleDIY + "\" href=\"" + _sPageName + "_" + (nCurrIndex + 1) + "." + _sPageExt + "\">下一页</a>　");
document.write("<font class=\"" + styleDIY + "\">总共" + _nPageCount + "页</font>　");
document.write("<font class=\"" + styleDIY + "\">当前第" + (nCurrIndex + 1) + "页</font>　");
} //WCM置标
-->
</script>
"#;

pub struct Trs;

impl Trs {
    /// The article's path relative to the column directory.
    fn relative(doc: &Document) -> String {
        let d = PrintedDate::parse(&doc.date);
        format!(
            "{:04}{:02}/t{:04}{:02}{:02}_{}.html",
            d.year, d.month, d.year, d.month, d.day, doc.id
        )
    }

    fn header(site: &Site, here: &str) -> String {
        format!(
            "<body>\n<div class=\"top\"><div class=\"topbar\"><span>欢迎访问{name}网站</span>\
             <a href=\"javascript:void(0)\" onclick=\"aria.start()\">无障碍</a> <a href=\"javascript:void(0)\">关怀版</a></div>\n\
             <div class=\"logo\"><a href=\"/\"><img src=\"/images/logo.png\" alt=\"{name_attr}\" /></a></div>\n\
             <div class=\"nav\"><ul><li><a href=\"/\">首页</a></li><li><a href=\"{COLUMN_DIR}index.html\">政务公开</a></li>\
             <li><a href=\"http://www.sczwfw.gov.cn/\" target=\"_blank\">政务服务</a></li><li><a href=\"/\">走进{short}</a></li></ul></div></div>\n\
             <div class=\"location\">当前位置：<a href=\"/\">首页</a> &gt; <a href=\"{COLUMN_DIR}index.html\">政务公开</a> &gt; {here}</div>\n",
            name = text(&site.spec.name),
            name_attr = attr(&site.spec.name),
            short = text(site.spec.name.trim_end_matches("人民政府")),
        )
    }
}

impl Family for Trs {
    fn list_path(&self) -> String {
        format!("{COLUMN_DIR}index.html")
    }

    fn list_page(&self, path: &str, _query: &str) -> Option<usize> {
        chrome::numbered_index(path, COLUMN_DIR)
    }

    fn article_path(&self, doc: &Document) -> String {
        format!("{COLUMN_DIR}{}", Trs::relative(doc))
    }

    fn render_list(&self, site: &Site, list: &ListPage) -> String {
        let rows: String = list
            .docs
            .iter()
            .map(|d| {
                let shown: String = if d.title.chars().count() > LIST_TITLE_CHARS {
                    d.title
                        .chars()
                        .take(LIST_TITLE_CHARS - 2)
                        .chain("...".chars())
                        .collect()
                } else {
                    d.title.clone()
                };
                let date = PrintedDate::parse(&d.date);
                format!(
                    "<tr><td width=\"3%\"><img src=\"/images/dot.jpg\" /></td>\
                     <td width=\"87%\" align=\"left\"><a href=\"./{}\" target=\"_blank\"><span>{}</span></a></td>\
                     <td width=\"10%\"><span class=\"date\">{:02}-{:02}</span></td></tr>\n",
                    Trs::relative(d),
                    text(&shown),
                    date.month,
                    date.day
                )
            })
            .collect();
        format!(
            "{}{}<div class=\"list_right\"><div class=\"list_title\">{column}</div>\n<table width=\"100%\" class=\"list\">\n{rows}</table>\n\
             <div class=\"page\">{PAGER_SCRIPT}<script>createPageHTML({}, {}, \"index\", \"html\");</script></div></div>\n{}",
            chrome::head(
                site,
                &format!("{}_{}", site.spec.column, site.spec.name),
                &chrome::site_metas(site)
            ),
            Trs::header(site, &text(&site.spec.column)),
            list.count,
            list.number,
            chrome::gov_footer(site),
            column = text(&site.spec.column),
        )
    }

    fn render_article(&self, site: &Site, doc: &Document, related: &[&Document]) -> String {
        let metas = chrome::article_metas(site, doc, &doc.date);
        let related: String = related
            .iter()
            .map(|r| {
                format!(
                    "<li><a href=\"{}\" target=\"_blank\">{}</a></li>\n",
                    attr(&self.article_path(r)),
                    text(&r.title)
                )
            })
            .collect();
        format!(
            "{}{}<div class=\"article\">\n<h1 class=\"article-title\">{}</h1>\n\
             <div class=\"info\">发布机构: <span>{}</span> 发文日期: <span>{}</span> \
             字体: [<a href=\"javascript:doZoom(18)\" class=\"zoom-l\"></a><a href=\"javascript:doZoom(16)\" class=\"zoom-m\"></a><a href=\"javascript:doZoom(14)\" class=\"zoom-s\"></a>]</div>\n\
             <div class=\"TRS_Editor\"><div class=\"Custom_UnionStyle\">\n{}</div></div>\n\
             <script language=\"javascript\">var file_appendix='';</script>\n{}\
             <div class=\"print\"><a href=\"javascript:window.print()\">【打印本页】</a> <a href=\"javascript:window.close()\">【关闭窗口】</a></div>\n\
             <div class=\"related\"><h3>相关链接</h3><ul>\n{related}</ul></div></div>\n{}",
            chrome::head(site, &format!("{}_{}", doc.title, site.spec.name), &metas),
            Trs::header(site, "正文"),
            text(&doc.title),
            text(&chrome::publisher(site, doc)),
            text(&doc.date),
            chrome::paragraphs(doc),
            chrome::qr_box(),
            chrome::gov_footer(site),
        )
    }

    fn disallowed(&self) -> &'static [&'static str] {
        &["/admin/", "/wcm/"]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_pages_are_index_then_index_n() {
        assert_eq!(Trs.list_page("/zfxxgk/fdzdgknr/index.html", ""), Some(0));
        assert_eq!(Trs.list_page("/zfxxgk/fdzdgknr/", ""), Some(0));
        assert_eq!(Trs.list_page("/zfxxgk/fdzdgknr/index_2.html", ""), Some(2));
        assert_eq!(Trs.list_page("/zfxxgk/fdzdgknr/index_0.html", ""), None);
        assert_eq!(Trs.list_page("/zfxxgk/fdzdgknr/index_x.html", ""), None);
        assert_eq!(
            Trs.list_page("/zfxxgk/fdzdgknr/index_99999999999999999999.html", ""),
            None
        );
        assert_eq!(Trs.list_page("/other/index.html", ""), None);
    }
}
