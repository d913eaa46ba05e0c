//! A Handan-style disclosure platform (TRS-generated pages, as 邯郸's
//! 政府信息公开 platform): a table of 名称 / 索引号 / 发布机构 / 发布日期
//! with absolute links, a pager script driven by `var countPage = N`, and
//! articles with `<p><strong>索引号</strong>：…` metadata, some rows
//! commented out, and PubDate in Chinese format.

use super::chrome::{self, PrintedDate, attr, text};
use super::{Family, ListPage, Site};
use crate::model::Document;

const COLUMN_DIR: &str = "/xxgk/zfxxgk/";

pub struct Handan;

impl Handan {
    fn relative(doc: &Document) -> String {
        let d = PrintedDate::parse(&doc.date);
        format!(
            "{:04}{:02}/t{:04}{:02}{:02}_{}.html",
            d.year, d.month, d.year, d.month, d.day, doc.id
        )
    }

    fn header(site: &Site) -> String {
        format!(
            "<body>\n<div class=\"header_szf\"><div class=\"logo\"><a href=\"/\"><img src=\"/images/logo1.png\" alt=\"{}\" /></a></div>\n\
             <div class=\"lj\"><a href=\"http://www.gov.cn/\" target=\"_blank\">中国政府网</a>｜<a href=\"http://www.hunan.gov.cn/\" target=\"_blank\">湖南省人民政府</a></div></div>\n\
             <div class=\"sx-navs\"><ul class=\"sx-list\"><li><a href=\"/\">首页</a></li><li><a href=\"{COLUMN_DIR}index.html\">信息公开</a></li></ul></div>\n",
            attr(&site.spec.name)
        )
    }
}

/// The platform's pager: it `document.write`s its links at run time from
/// the three variables, so only `countPage` tells a crawler how many pages
/// there are.
///
/// The real platform concatenates inside the attribute
/// (`href=\"index"+"_"+nextPage+"."+"html\"`); a crawler that reads such
/// fragments as URLs asks for `index` and gets a 404. This pager builds the
/// URL in a function instead, which real pagers also do, so these portals
/// keep answering 200 to every link a crawler reads.
fn pager(list: &ListPage) -> String {
    format!(
        r#"<div class="page"><script language="javascript">
var countnum= {total};
var currentPage={current};
var prevPage=currentPage-1
var nextPage=currentPage+1
var countPage={count}
var endPage=countPage-1
function pageName(i){{ return i<=0 ? "index.html" : "index_" + i + ".html"; }}
document.write("<a href="" + pageName(0) + "" target="_self">首页</a>&nbsp;&nbsp;");
if(countPage>1&&currentPage!=0)
    document.write("<a href="" + pageName(prevPage) + "" target="_self">上一页</a>&nbsp;&nbsp;");
else
    document.write("<span class='bg'>上一页</span>&nbsp;&nbsp;");
if(countPage>1&&currentPage!=(countPage-1))
    document.write("<a href="" + pageName(nextPage) + "" target="_self">下一页</a>&nbsp;&nbsp;");
else
    document.write("<span class='bg'>下一页</span>&nbsp;&nbsp;");
document.write("<a href="" + pageName(endPage) + "" target="_self">尾页</a>");
</script></div>
"#,
        total = list.total,
        current = list.number,
        count = list.count,
    )
}

impl Family for Handan {
    fn list_path(&self) -> String {
        format!("{COLUMN_DIR}index.html")
    }

    fn list_page(&self, path: &str, _query: &str) -> Option<usize> {
        chrome::numbered_index(path, COLUMN_DIR)
    }

    fn article_path(&self, doc: &Document) -> String {
        format!("{COLUMN_DIR}{}", Handan::relative(doc))
    }

    fn render_list(&self, site: &Site, list: &ListPage) -> String {
        let base = site.base_url();
        let rows = self.rows(list.docs, |d, link| {
            format!(
                "<tr>\n<td height=\"35\"><a href=\"{base}{}\" title=\"{}\">\n{}\n</a></td>\n<td height=\"35\">{}</td>\n\
                 <td height=\"35\">{}</td>\n<td height=\"35\">{}</td>\n</tr>\n",
                link.href,
                link.title_attr,
                link.title,
                chrome::index_number(site, d),
                text(&chrome::publisher(site, d)),
                PrintedDate::parse(&d.date).iso(),
            )
        });
        format!(
            "{}{}<div class=\"sx-more1\"><a href=\"/\" title=\"首页\">首页</a>-&gt;<a href=\"{COLUMN_DIR}index.html\" title=\"{column_attr}\">{column}</a></div>\n\
             <div class=\"szbmtclb\"><table>\n<tr><th width=\"47%\">名称</th><th width=\"21%\">索引号</th><th width=\"19%\">发布机构</th><th width=\"12%\">发布日期</th></tr>\n\
             {rows}</table>\n<div class=\"news-list\"><div class=\"page_box\">{}</div></div></div>\n{}",
            chrome::head(
                site,
                &format!("{}_{}", site.spec.column, site.spec.name),
                &chrome::site_metas(site)
            ),
            Handan::header(site),
            pager(list),
            chrome::gov_footer(site),
            column = text(&site.spec.column),
            column_attr = attr(&site.spec.column),
        )
    }

    fn render_article(&self, site: &Site, doc: &Document, related: &[&Document]) -> String {
        let date = PrintedDate::parse(&doc.date);
        let metas = chrome::article_metas(site, doc, &date.chinese());
        let publisher = chrome::publisher(site, doc);
        let related = self.rows(related.iter().copied(), |_, link| chrome::titled_item(link));
        format!(
            "{}{}<div class=\"bggggg\">{column}</div>\n<div class=\"container content\">\n<div class=\"top cf\"><div class=\"top-l fl\">\n\
             <p><strong>索引号</strong>：{}</p>\n<p><strong>发布机构</strong>：{publisher}</p>\n<p><strong>名称</strong>：{title}</p>\n<p><strong>文号</strong>：无</p>\n\
             <!--<p><strong>主题词</strong>：</p>-->\n</div><div class=\"top-r fr\">\n<p><strong>主题分类</strong>：综合政务</p>\n\
             <!--<p><strong>成文日期</strong>：{chinese}</p>-->\n<p><strong>发布日期</strong>：{chinese}</p>\n<!--<p><strong>有效期</strong>：</p>-->\n</div></div>\n\
             <div class=\"xl-main\"><h1 class=\"title\">{title}</h1>\n<div class=\"source\">来源: {publisher} 发布时间: {} 浏览次数: {}</div>\n\
             <div class=\"view TRS_UEDITOR trs_paper_default\" id=\"zoom\">\n{}</div>\n\
             <div class=\"share\">分享到：<a href=\"javascript:void(0)\" class=\"wx\">微信</a> <a href=\"javascript:void(0)\" class=\"wb\">微博</a></div>\n\
             <div class=\"xgwz\"><h4>相关文章</h4><ul>{related}</ul></div></div></div>\n{}",
            chrome::head(site, &doc.title, &metas),
            Handan::header(site),
            chrome::index_number(site, doc),
            text(&doc.date),
            doc.views.unwrap_or(0),
            chrome::paragraphs(doc),
            chrome::gov_footer(site),
            column = text(&site.spec.column),
            title = text(&doc.title),
            publisher = text(&publisher),
            chinese = date.chinese(),
        )
    }

    fn disallowed(&self) -> &'static [&'static str] {
        &["/admin/", "/search/"]
    }
}
