//! Page templates, one per CMS family seen on real government and
//! document-sharing sites (see `tests/corpus/html-samples`). They render
//! what such sites render — chrome, metadata, pagers — and nothing a real
//! site would not have: no labels for the crawler.

use crate::{Document, Portal, Template};

/// Documents per list page: small, so every portal paginates.
pub const PER_PAGE: usize = 2;

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `(year, month, day)` of a printed date; a missing day is the 1st.
fn ymd(date: &str) -> (u32, u32, u32) {
    let mut parts = date
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().unwrap_or(1));
    (
        parts.next().unwrap_or(2000),
        parts.next().unwrap_or(1),
        parts.next().unwrap_or(1),
    )
}

fn day(date: &str) -> &str {
    date.split(' ').next().unwrap_or(date)
}

/// Where a document lives on its portal.
pub fn article_path(template: Template, doc: &Document) -> String {
    let (y, m, d) = ymd(&doc.date);
    match template {
        Template::Trs => format!("/zfxxgk/gzbg/{y:04}{m:02}/t{y:04}{m:02}{d:02}_{}.html", doc.id),
        Template::Hanweb => format!("/art/{y}/{m}/{d}/art_{}_{}.html", HANWEB_COLUMN, doc.id),
        Template::Handan => format!("/xxgk/gzzj/{y:04}{m:02}/t{y:04}{m:02}{d:02}_{}.html", doc.id),
        Template::Aggregator => format!("/index/article/detail/detail_id/{}.html", doc.id),
        Template::Docshare => format!("/doc/{}.html", doc.id),
    }
}

pub const HANWEB_COLUMN: u32 = 6525;

/// The first list page.
pub fn list_path(template: Template) -> String {
    match template {
        Template::Trs => "/zfxxgk/gzbg/index.html".into(),
        Template::Hanweb => format!("/col/col{HANWEB_COLUMN}/index.html"),
        Template::Handan => "/xxgk/gzzj/index.html".into(),
        Template::Aggregator => "/list/1.html".into(),
        Template::Docshare => "/docs/".into(),
    }
}

/// Which list page (0-based) a path and query ask for, if any.
pub fn list_page(template: Template, path: &str, query: &str) -> Option<usize> {
    let numbered = |prefix: &str, suffix: &str| -> Option<usize> {
        let n = path.strip_prefix(prefix)?.strip_suffix(suffix)?;
        n.parse().ok()
    };
    let param = |name: &str| {
        query.split('&').find_map(|kv| {
            kv.strip_prefix(&format!("{name}="))
                .and_then(|v| v.parse::<usize>().ok())
        })
    };
    match template {
        Template::Trs if path == "/zfxxgk/gzbg/index.html" || path == "/zfxxgk/gzbg/" => Some(0),
        Template::Trs => numbered("/zfxxgk/gzbg/index_", ".html"),
        Template::Handan if path == "/xxgk/gzzj/index.html" || path == "/xxgk/gzzj/" => Some(0),
        Template::Handan => numbered("/xxgk/gzzj/index_", ".html"),
        Template::Hanweb if path == list_path(template) => Some(0),
        Template::Hanweb if path == "/module/web/jpage/dataproxy.jsp" => param("page").map(|p| p.saturating_sub(1)),
        Template::Aggregator => numbered("/list/", ".html").map(|n| n.saturating_sub(1)),
        Template::Docshare if path == "/docs/" => Some(param("page").unwrap_or(1).saturating_sub(1)),
        _ => None,
    }
}

fn page_count(docs: usize) -> usize {
    docs.div_ceil(PER_PAGE).max(1)
}

fn head(portal: &Portal, title: &str, extra_meta: &str) -> String {
    let charset = if portal.gbk {
        r#"<meta http-equiv="Content-Type" content="text/html; charset=gb2312">"#.to_string()
    } else {
        r#"<meta charset="utf-8">"#.to_string()
    };
    format!(
        "<!DOCTYPE html>\n<html><head>{charset}\n<title>{}</title>\n{extra_meta}<link rel=\"stylesheet\" href=\"/css/style.css\"></head>\n",
        escape(title)
    )
}

fn gov_site_meta(portal: &Portal, column: &str) -> String {
    format!(
        "<meta name=\"SiteName\" content=\"{}\">\n<meta name=\"SiteDomain\" content=\"{}\">\n<meta name=\"SiteIDCode\" content=\"{}\">\n<meta name=\"ColumnName\" content=\"{column}\">\n<meta name=\"ColumnType\" content=\"政府信息公开\">\n",
        escape(&portal.name),
        portal.host,
        portal.site_id_code
    )
}

fn gov_article_meta(doc: &Document) -> String {
    format!(
        "<meta name=\"ArticleTitle\" content=\"{}\">\n<meta name=\"PubDate\" content=\"{}\">\n<meta name=\"ContentSource\" content=\"{}\">\n<meta name=\"Keywords\" content=\"\">\n",
        escape(&doc.title),
        escape(&doc.date),
        escape(doc.publisher.as_deref().unwrap_or(""))
    )
}

fn gov_header(portal: &Portal) -> String {
    format!(
        "<div class=\"top\"><div class=\"topbar\"><a href=\"/\">网站首页</a> | <a href=\"/zwgk/\">政务公开</a> | <a href=\"/hdjl/\">互动交流</a> | <a href=\"/bsfw/\">办事服务</a> | <a href=\"javascript:void(0)\" onclick=\"wza()\">无障碍</a></div>\
         <div class=\"logo\"><h2>{}</h2></div></div>\n",
        escape(&portal.name)
    )
}

fn gov_footer(portal: &Portal) -> String {
    format!(
        "<div class=\"footer\"><p>主办：{} 承办：党政办公室</p><p>网站标识码：{} 蜀ICP备05003306号-1</p><p>联系电话：0833-1234567</p>\
         <p><a href=\"http://bszs.conac.cn/\"><img src=\"/images/red.png\" alt=\"党政机关\"></a></p></div>\n</body></html>\n",
        escape(&portal.name),
        portal.site_id_code
    )
}

fn paragraphs(doc: &Document) -> String {
    doc.body.iter().map(|l| format!("<p>{}</p>\n", escape(l))).collect()
}

fn list_rows(template: Template, docs: &[&Document]) -> String {
    docs.iter()
        .map(|d| {
            let href = article_path(template, d);
            let full = escape(&d.title);
            // Long titles are cut on the list, whole in title=.
            let shown: String = if d.title.chars().count() > 18 {
                format!("{}...", d.title.chars().take(16).collect::<String>())
            } else {
                d.title.clone()
            };
            format!(
                "<li><a href=\"{href}\" title=\"{full}\" target=\"_blank\">{}</a><span class=\"date\">{}</span></li>\n",
                escape(&shown),
                day(&d.date)
            )
        })
        .collect()
}

/// A list page, or `None` past the last page.
pub fn render_list(portal: &Portal, docs: &[&Document], page: usize) -> Option<String> {
    let pages = page_count(docs.len());
    if page >= pages {
        return None;
    }
    let shown: Vec<&Document> = docs.iter().skip(page * PER_PAGE).take(PER_PAGE).copied().collect();
    let t = portal.template;
    Some(match t {
        Template::Trs => format!(
            "{}<body>{}<div class=\"location\">当前位置：<a href=\"/\">首页</a> &gt; <a href=\"/zfxxgk/\">政府信息公开</a> &gt; 工作报告</div>\n\
             <div class=\"list_right\"><ul class=\"list\">\n{}</ul>\n<div class=\"page\"><script type=\"text/javascript\">\n\
             function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){{ /* TRS pager */ }}\n\
             createPageHTML({pages}, {page}, \"index\", \"html\");\n</script></div></div>\n{}",
            head(portal, &format!("工作报告_{}", portal.name), &gov_site_meta(portal, "工作报告")),
            gov_header(portal),
            list_rows(t, &shown),
            gov_footer(portal)
        ),
        Template::Handan => format!(
            "{}<body>{}<div class=\"xxgk_list\"><table class=\"listTab\"><tr><th>名称</th><th>发布日期</th></tr>\n{}</table>\n\
             <script>var countnum= {}; var currentPage={page}; var countPage={pages};</script>\n\
             <div class=\"fy\">共{pages}页</div></div>\n{}",
            head(portal, &format!("工作总结_{}", portal.name), &gov_site_meta(portal, "工作总结")),
            gov_header(portal),
            shown
                .iter()
                .map(|d| format!(
                    "<tr><td class=\"mc\"><a href=\"{}\" title=\"{}\">{}</a></td><td class=\"rq\"><span>{}</span></td></tr>\n",
                    article_path(t, d),
                    escape(&d.title),
                    escape(&d.title),
                    day(&d.date)
                ))
                .collect::<String>(),
            docs.len(),
            gov_footer(portal)
        ),
        Template::Hanweb => {
            let records: String = shown
                .iter()
                .map(|d| {
                    let (y, m, dd) = ymd(&d.date);
                    format!(
                        "<record><![CDATA[<li><a href=\"{}\" title=\"{}\" target=\"_blank\">{}</a><span>{y}-{m:02}-{dd:02}</span></li>]]></record>\n",
                        article_path(t, d),
                        escape(&d.title),
                        escape(&d.title)
                    )
                })
                .collect();
            let next = if page + 1 < pages {
                format!("<a href=\"/module/web/jpage/dataproxy.jsp?page={}&appid=1&webid=1&columnid={HANWEB_COLUMN}\"></a>", page + 2)
            } else {
                String::new()
            };
            format!(
                "{}<body>{}<div id=\"{HANWEB_COLUMN}\"><script type=\"text/xml\"><datastore>\n<nextgroup><![CDATA[{next}]]></nextgroup>\n\
                 <recordset>\n{records}</recordset></datastore></script>\n<script language=\"javascript\" src=\"/module/jslib/jquery/jpage/jquery.page.min.js\"></script></div>\n\
                 <!-- Produced By 大汉网络 大汉版通发布系统 -->\n{}",
                head(portal, &format!("政府工作报告 {}", portal.name), &gov_site_meta(portal, "政府工作报告")),
                gov_header(portal),
                gov_footer(portal)
            )
        }
        Template::Aggregator => {
            let next = if page + 1 < pages { format!("<a href=\"/list/{}.html\">下一页</a>", page + 2) } else { String::new() };
            format!(
                "{}<body><div class=\"header\"><a href=\"/\">{}</a> <a href=\"/search\">搜索</a> <a href=\"/login\">登录</a></div>\n\
                 <div class=\"main\"><ul class=\"articles\">\n{}</ul><div class=\"pages\">{next}</div></div>\n\
                 <div class=\"foot\">Copyright © {} 版权所有</div></body></html>\n",
                head(portal, &format!("最新文章 - {}", portal.name), ""),
                escape(&portal.name),
                list_rows(t, &shown),
                escape(&portal.name)
            )
        }
        Template::Docshare => {
            let pager: String = (1..=pages)
                .map(|n| if n == page + 1 { format!("<span>{n}</span>") } else { format!("<a href=\"/docs/?page={n}\">{n}</a>") })
                .collect::<Vec<_>>()
                .join(" ");
            format!(
                "{}<body><div class=\"nav\"><a href=\"/\">首页</a> <a href=\"/docs/\">文档</a> <a href=\"/vip\">VIP会员</a></div>\n\
                 <div class=\"doclist\"><ul>\n{}</ul></div><div class=\"pager\">{pager}</div>\n<div class=\"foot\">{} 用户上传文档仅供学习交流</div></body></html>\n",
                head(portal, &format!("文档列表 - {}", portal.name), ""),
                list_rows(t, &shown),
                escape(&portal.name)
            )
        }
    })
}

/// A document page.
pub fn render_article(portal: &Portal, doc: &Document) -> String {
    let t = portal.template;
    let publisher = escape(doc.publisher.as_deref().unwrap_or(&portal.name));
    match t {
        Template::Trs => format!(
            "{}<body>{}<div class=\"location\">当前位置：<a href=\"/\">首页</a> &gt; <a href=\"/zfxxgk/\">政府信息公开</a> &gt; <a href=\"../\">工作报告</a></div>\n\
             <div class=\"xxgk_table\"><table class=\"bd1\"><tr><td><b>索 引 号：</b></td><td>{}/{}-{:05}</td><td><b>主题分类：</b></td><td>综合政务</td></tr>\n\
             <tr><td><b>发布机构：</b></td><td>{publisher}</td><td><b>发文日期：</b></td><td>{}</td></tr></table></div>\n\
             <div class=\"article\"><h1 class=\"article-title\">{}</h1>\n<div class=\"info\">字体：[<a href=\"#\">大</a> <a href=\"#\">中</a> <a href=\"#\">小</a>] <a href=\"javascript:window.print()\">打印</a></div>\n\
             <div class=\"TRS_Editor\">\n{}</div></div>\n<div class=\"related\"><h3>相关链接</h3><a href=\"/\">返回首页</a></div>\n{}",
            head(
                portal,
                &format!("{}_{}", doc.title, portal.name),
                &(gov_site_meta(portal, "工作报告") + &gov_article_meta(doc))
            ),
            gov_header(portal),
            portal.site_id_code,
            ymd(&doc.date).0,
            doc.id,
            escape(&doc.date),
            escape(&doc.title),
            paragraphs(doc),
            gov_footer(portal)
        ),
        Template::Handan => format!(
            "{}<body>{}<div class=\"banner\">政府信息公开</div>\n<div class=\"xxgk_info\">\n<p><strong>索引号</strong>：{}/{}-{:05}</p>\n\
             <p><strong>发布机构</strong>：{publisher}</p>\n<!--<p><strong>成文日期</strong>：{}</p>-->\n<p><strong>发布日期</strong>：{}</p>\n</div>\n\
             <div class=\"content\"><h1>{}</h1><div class=\"source\">来源: {publisher} 发布时间: {} 浏览次数: 1</div>\n<div id=\"zoom\">\n{}</div></div>\n\
             <div class=\"share\">分享到：<a href=\"#\">微信</a> <a href=\"#\">微博</a></div>\n{}",
            head(
                portal,
                &format!("{}-{}", doc.title, portal.name),
                &(gov_site_meta(portal, "工作总结") + &gov_article_meta(doc))
            ),
            gov_header(portal),
            portal.site_id_code,
            ymd(&doc.date).0,
            doc.id,
            day(&doc.date),
            day(&doc.date),
            escape(&doc.title),
            escape(&doc.date),
            paragraphs(doc),
            gov_footer(portal)
        ),
        Template::Hanweb => format!(
            "{}<body>{}<div class=\"main\"><div class=\"bt\">{}</div>\n<div class=\"xx\">发布日期：{} 信息来源：{publisher} 【字体：<a href=\"#\">大</a> <a href=\"#\">中</a> <a href=\"#\">小</a>】</div>\n\
             <!--ZJEG_RSS.content.begin--><meta name=\"ContentStart\">\n<div id=\"zoom\">\n{}</div>\n<meta name=\"ContentEnd\"><!--ZJEG_RSS.content.end-->\n\
             <div class=\"print\"><a href=\"javascript:window.print()\">【打印本页】</a> <a href=\"javascript:window.close()\">【关闭窗口】</a></div></div>\n{}",
            head(
                portal,
                &format!("{} {}", doc.title, portal.name),
                &(gov_site_meta(portal, "政府工作报告") + &gov_article_meta(doc))
            ),
            gov_header(portal),
            escape(&doc.title),
            day(&doc.date),
            paragraphs(doc),
            gov_footer(portal)
        ),
        Template::Aggregator => format!(
            "{}<body><div class=\"header\"><a href=\"/\">{}</a> <a href=\"/search\">搜索</a> <a href=\"/login\">登录</a></div>\n\
             <div class=\"article-main\"><h1 class=\"title\">{}</h1><div class=\"meta\"><span>{}</span> <span>{}</span></div>\n\
             <div class=\"article-content\">\n{}</div></div>\n<div class=\"foot\">Copyright © {}</div></body></html>\n",
            head(portal, &format!("{}_{}", doc.title, portal.name), ""),
            escape(&portal.name),
            escape(&doc.title),
            day(&doc.date),
            doc.views.unwrap_or(0),
            paragraphs(doc),
            escape(&portal.name)
        ),
        Template::Docshare => format!(
            "{}<body><div class=\"nav\"><a href=\"/\">首页</a> <a href=\"/docs/\">文档</a> <a href=\"/vip\">VIP会员</a></div>\n\
             <div class=\"doc\"><h1>{}</h1><div class=\"docinfo\">更新时间:{} 来源:{}</div>\n<div class=\"doc-body\">\n{}</div>\n\
             <div class=\"download\"><a href=\"/login\">下载文档</a> 剩余内容需下载后查看</div></div>\n<div class=\"foot\">{}</div></body></html>\n",
            head(portal, &format!("{} - {}", doc.title, portal.name), ""),
            escape(&doc.title),
            escape(&doc.date),
            escape(doc.source.as_deref().unwrap_or("网友投稿")),
            paragraphs(doc),
            escape(&portal.name)
        ),
    }
}

pub const ROBOTS_TXT: &str = "User-agent: *\nDisallow: /admin/\nDisallow: /search\n";
