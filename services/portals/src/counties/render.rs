//! The pages of the county portals and the townships' own sites: a
//! county's index with its township entries, each township's page with its
//! columns, the column lists and the documents.

use html_escape::encode_text as esc;

use super::{County, Layout, Township};

/// A township's columns: URL segment, name.
const COLUMNS: [(&str, &str); 3] = [("zfgzbg", "政府工作报告"), ("gzzj", "工作总结"), ("tzgg", "通知公告")];

/// A document under a township's column.
pub struct Doc {
    /// Index into [`COLUMNS`].
    pub column: usize,
    pub id: u32,
    pub title: String,
    /// `YYYY-MM-DD`.
    pub date: &'static str,
    pub body: Vec<String>,
    /// For reports: the doc type as records spell it, and the year reviewed.
    pub report: Option<(&'static str, i32)>,
}

/// The documents of a township, the same on every visit: a government
/// work report, a work summary and a notice in the report columns, a
/// notice in 通知公告.
pub fn documents(t: &Township) -> Vec<Doc> {
    let name = &t.name;
    let unit = if name.ends_with('乡') { "乡" } else { "镇" };
    let n = t.number;
    let id = |k: u32| t.number * 100 + k;
    vec![
        Doc {
            column: 0,
            id: id(1),
            title: format!("{name}2024年政府工作报告"),
            date: "2024-01-20",
            body: vec![
                format!("——2024年1月12日在{name}第十九届人民代表大会第四次会议上"),
                format!("{unit}长　李明"),
                "各位代表：".into(),
                format!("现在，我代表{name}人民政府向大会报告工作，请予审议。"),
                "一、2023年工作回顾".into(),
                format!(
                    "2023年，全{unit}实现地区生产总值{}.{}亿元，同比增长{}.5%；完成一般公共预算收入{}万元，同比增长{}.2%。",
                    10 + n,
                    n % 10,
                    4 + n % 3,
                    2000 + n * 37,
                    3 + n % 4
                ),
                format!(
                    "新建产业道路{}公里，改造农村危房{}户，新增城镇就业{}人。",
                    5 + n,
                    20 + n,
                    150 + n
                ),
                "二、2024年工作安排".into(),
                "2024年经济社会发展的主要预期目标是：地区生产总值增长6%左右，一般公共预算收入增长5%。".into(),
                format!("各位代表，新的一年，我们将坚定信心、真抓实干，为建设美丽{name}而努力奋斗！"),
            ],
            report: Some(("government_work_report", 2023)),
        },
        Doc {
            column: 1,
            id: id(2),
            title: format!("{name}2023年工作总结"),
            date: "2024-01-05",
            body: vec![
                format!("2023年，{name}党委、政府坚持以习近平新时代中国特色社会主义思想为指导，各项工作取得新成效。"),
                "一、2023年工作推进情况".into(),
                format!(
                    "全年实现财政收入{}万元，同比增长{}.1%；完成固定资产投资{}.3亿元。",
                    1800 + n * 41,
                    3 + n % 5,
                    1 + n % 4
                ),
                format!(
                    "粮食播种面积{}亩，新建村组道路{}.5公里，清运生活垃圾{}吨。",
                    5000 + n * 13,
                    6 + n,
                    900 + n
                ),
                "二、存在的问题".into(),
                "产业结构单一，基础设施仍有短板，群众增收渠道不宽。".into(),
                "三、2024年工作打算".into(),
                "坚持项目为王，力争全年招商引资到位资金2亿元以上。".into(),
            ],
            report: Some(("work_summary_and_plan", 2023)),
        },
        notice(1, id(3), format!("关于{name}做好2024年春季森林防火工作的通知"), unit),
        notice(2, id(4), format!("{name}关于2024年春节期间值班安排的通知"), unit),
    ]
}

fn notice(column: usize, id: u32, title: String, unit: &str) -> Doc {
    Doc {
        column,
        id,
        title,
        date: "2024-03-01",
        body: vec![
            format!("各村（社区）、{unit}属各单位："),
            "为切实做好相关工作，现将有关事项通知如下：".into(),
            "一、提高思想认识，落实工作责任，确保各项措施落实到位。".into(),
            "二、加强值守巡查，发现问题及时报告，不得迟报漏报。".into(),
            "特此通知。".into(),
        ],
        report: None,
    }
}

/// Where a township's page is, relative to the server that serves it.
fn entry_path(layout: Layout, t: &Township) -> String {
    match layout {
        Layout::Gkmlpt => format!("/gkmlpt/dept/{}/index.html", t.number),
        Layout::TrsXxgk => format!("/xxgk/xzjd/x{}/index.html", t.number),
        Layout::HomeLinks => "/index.html".into(),
    }
}

fn column_path(layout: Layout, t: &Township, column: usize) -> String {
    let slug = COLUMNS[column].0;
    match layout {
        Layout::Gkmlpt => format!("/gkmlpt/dept/{}/{slug}/index.html", t.number),
        Layout::TrsXxgk => format!("/xxgk/xzjd/x{}/{slug}/index.html", t.number),
        Layout::HomeLinks => format!("/col/col{}/index.html", hanweb_column(t, column)),
    }
}

fn hanweb_column(t: &Township, column: usize) -> u32 {
    t.number * 1000 + column as u32 + 1
}

fn article_path(layout: Layout, t: &Township, doc: &Doc) -> String {
    let (y, m, d) = (&doc.date[..4], &doc.date[5..7], &doc.date[8..10]);
    match layout {
        Layout::Gkmlpt => format!("/gkmlpt/content/{}/{}/post_{}.html", t.number, doc.id, doc.id),
        Layout::TrsXxgk => format!(
            "/xxgk/xzjd/x{}/{}/{y}{m}/t{y}{m}{d}_{}.html",
            t.number, COLUMNS[doc.column].0, doc.id
        ),
        Layout::HomeLinks => format!(
            "/art/{y}/{}/{}/art_{}_{}.html",
            m.trim_start_matches('0'),
            d.trim_start_matches('0'),
            hanweb_column(t, doc.column),
            doc.id
        ),
    }
}

/// The base URL of the server a township's pages are on.
fn base<'a>(county: &'a County, t: &'a Township) -> &'a str {
    t.own_site.as_deref().unwrap_or(&county.base_url)
}

pub fn article_url(county: &County, t: &Township, doc: &Doc) -> String {
    format!("{}{}", base(county, t), article_path(county.layout, t, doc))
}

fn page(site: &str, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{t}_{s}</title>\
         <meta name=\"SiteName\" content=\"{s}\"><meta name=\"ColumnName\" content=\"{t}\"></head>\
         <body><div class=\"header\"><a href=\"/\">首页</a></div>{body}\
         <div class=\"footer\">主办：{s}</div></body></html>",
        t = esc(title),
        s = esc(site)
    )
}

/// A page of a county's own server: its index, a township's page or
/// column, or a document. `None` is a 404.
pub fn county_page(county: &County, path: &str) -> Option<String> {
    let site = format!("{}人民政府", county.name);
    let townships = county.townships();
    let index = match county.layout {
        Layout::Gkmlpt => "/gkmlpt/index.html",
        Layout::TrsXxgk => "/xxgk/index.html",
        Layout::HomeLinks => "/index.html",
    };
    if path == index || (path == "/" && county.layout == Layout::HomeLinks) {
        return Some(page(&site, "政府信息公开", &county_index(county, &townships)));
    }
    let on_platform = townships.iter().filter(|t| t.own_site.is_none());
    for t in on_platform {
        if let Some(html) = township_page(county.layout, &site, t, path) {
            return Some(html);
        }
    }
    None
}

/// A page of a township's own site.
pub fn own_site_page(county: &County, t: &Township, path: &str) -> Option<String> {
    let path = if path == "/" { "/index.html" } else { path };
    township_page(county.layout, &format!("{}人民政府", t.name), t, path)
}

fn township_page(layout: Layout, site: &str, t: &Township, path: &str) -> Option<String> {
    if path == entry_path(layout, t) {
        let columns: String = (0..COLUMNS.len())
            .map(|c| {
                format!(
                    "<li><a href=\"{}\">{}</a></li>",
                    column_path(layout, t, c),
                    COLUMNS[c].1
                )
            })
            .collect();
        let body = format!("<h2>{}</h2><ul class=\"column-tree\">{columns}</ul>", esc(&t.name));
        return Some(page(site, &t.name, &body));
    }
    let docs = documents(t);
    if let Some(c) = (0..COLUMNS.len()).find(|&c| path == column_path(layout, t, c)) {
        let rows: String = docs
            .iter()
            .filter(|d| d.column == c)
            .map(|d| {
                format!(
                    "<li><a href=\"{}\" title=\"{t}\">{t}</a><span class=\"date\">{}</span></li>",
                    article_path(layout, t, d),
                    d.date,
                    t = esc(&d.title)
                )
            })
            .collect();
        let body = format!("<h2>{}</h2><ul class=\"list\">{rows}</ul>", COLUMNS[c].1);
        return Some(page(site, COLUMNS[c].1, &body));
    }
    let doc = docs.iter().find(|d| path == article_path(layout, t, d))?;
    let paragraphs: String = doc.body.iter().map(|p| format!("<p>{}</p>", esc(p))).collect();
    let body = format!(
        "<div class=\"article\"><h1>{}</h1><div class=\"info\">发布日期：{}　来源：{}人民政府</div>\
         <div class=\"article-content\">{paragraphs}</div></div>",
        esc(&doc.title),
        doc.date,
        esc(&t.name)
    );
    Some(page(site, &doc.title, &body))
}

/// The county's page that lists its townships, among other links.
fn county_index(county: &County, townships: &[Township]) -> String {
    let link = |t: &Township| match &t.own_site {
        Some(base) => format!("<a href=\"{base}/index.html\">{}</a>", esc(&t.name)),
        None => format!("<a href=\"{}\">{}</a>", entry_path(county.layout, t), esc(&t.name)),
    };
    let links: String = townships.iter().map(link).collect::<Vec<_>>().join(" ");
    let (departments, heading) = match county.layout {
        Layout::Gkmlpt => ("/gkmlpt/dept/fgj/index.html", "乡镇（街道）"),
        Layout::TrsXxgk => ("/xxgk/fdzdgknr/index.html", "乡镇（街道）信息公开"),
        Layout::HomeLinks => ("/xwzx/index.html", "乡镇街道"),
    };
    format!(
        "<div class=\"nav\"><a href=\"{departments}\">县发展和改革局</a> <a href=\"/xxgk/zcwj/index.html\">政策文件</a> \
         <a href=\"/xwzx/tpxw/index.html\">新型城镇化建设</a></div>\
         <div class=\"xzjd\"><h3>{heading}</h3>{links}</div>"
    )
}
