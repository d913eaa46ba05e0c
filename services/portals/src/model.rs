//! What a portal serves: documents, and for reports the answers a crawl
//! must find.

/// One document on a portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The CMS's article number; it is part of the URL. [`crate::Portals::publish`]
    /// replaces it with a fresh one.
    pub id: u32,
    pub title: String,
    /// As the site prints it (`2024-08-19 16:45`, `2023-11`). Templates also
    /// date the URL with it, as TRS and Hanweb do.
    pub date: String,
    /// 发布机构, on government templates (the site's name when absent).
    pub publisher: Option<String>,
    /// 来源, on document-sharing sites (`网友投稿`).
    pub source: Option<String>,
    /// The view counter aggregators print beside the date.
    pub views: Option<u32>,
    /// Body paragraphs, in order.
    pub body: Vec<String>,
    /// Set for reports only. Never rendered: it is what the pipeline must
    /// work out from the page by itself.
    pub expect: Option<Expect>,
}

/// What a correct crawl must extract from a report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub township: Option<String>,
    /// The township's 9-digit division code.
    pub division_code: Option<String>,
    pub review_year: Option<i32>,
    pub plan_year: Option<i32>,
    /// As the record spells it: `government_work_report`, `work_summary`,
    /// `work_summary_and_plan` or `work_plan`.
    pub doc_type: String,
}

/// A report a crawl must find, where it is, and what it must say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedReport {
    pub site_id: String,
    pub url: String,
    pub title: String,
    pub township: Option<String>,
    pub division_code: Option<String>,
    pub review_year: Option<i32>,
    pub plan_year: Option<i32>,
    pub doc_type: String,
    /// Other URLs with a copy of the same report (its DOCX beside its
    /// page): the crawl must make one report of them.
    pub also_at: Vec<String>,
}

/// A portal as the crawler's sites file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSite {
    /// Stable, `[a-z0-9-]`.
    pub id: String,
    pub name: String,
    pub division_code: Option<String>,
    /// Where a crawl of this portal starts: its first list page.
    pub start_urls: Vec<String>,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base_url: String,
}

/// A generated work summary, number `i`: the benchmarks fill the template
/// portals with as many as they need. Nine years of one township, so many
/// are near copies the indexer merges.
pub fn synthetic_summary(i: u32) -> Document {
    let year = 2015 + i % 9;
    Document {
        id: 0,
        title: format!("测试镇{year}年工作总结（第{i}号）"),
        date: format!("{}-0{}-1{}", year + 1, 1 + i % 9, i % 10),
        publisher: Some("测试镇人民政府".into()),
        source: None,
        views: None,
        body: vec![
            format!("{year}年，全镇上下坚持以习近平新时代中国特色社会主义思想为指导，各项工作取得新成效。"),
            format!("一、{year}年工作推进情况"),
            format!(
                "全年实现财政收入{}万元，同比增长{}.{}%；完成固定资产投资{}.{}亿元。",
                3000 + i,
                i % 9,
                i % 7,
                1 + i % 5,
                i % 10
            ),
            format!(
                "粮食播种面积{}亩，新建村组道路{}.{}公里，清运生活垃圾{}吨。",
                5000 + i * 3,
                i % 20,
                i % 10,
                1000 + i
            ),
            format!("二、{}年工作谋划", year + 1),
            "坚持项目为王，力争全年招商引资到位资金2亿元以上。".repeat(3),
        ],
        expect: None,
    }
}
