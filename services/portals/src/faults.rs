//! A portal that misbehaves in every way township sites do, for the
//! crawler's fault tests: slow answers, 429 with `Retry-After`, 500s that
//! pass, redirect loops, a redirect to a private address, an oversized page
//! sent without a length, a gzip bomb, a page whose declared charset lies,
//! robots.txt disallows and a `Crawl-delay`, a 412 challenge, an endless
//! calendar, and reports published as attachments in every format
//! townships use: a PDF and an OFD under a short disclosure page, a DOCX
//! and a WPS file beside their pages, a Word 97 file and an XLSX plan
//! alone, a scanned PDF no text can be read from, and an old Word file too
//! broken to read.
//!
//! Its reports are made-up documents of `tests/corpus/made-up` (copied to
//! `fixtures/texts/faults/`), with their gold answers in [`reports`].

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Days, NaiveDate};

use crate::attachments;
use crate::fixtures::{self, FixtureError};
use crate::log::{LogLayerState, RequestLog};
use crate::model::ExpectedReport;

pub const ID: &str = "faults-town";
pub const NAME: &str = "乡镇文档中心";
/// What its robots.txt asks of every crawler.
pub const ROBOTS_TXT: &str = "User-agent: *\nDisallow: /private/\nCrawl-delay: 0.5\n";
/// How long `/art/slow.html` takes to answer.
pub const SLOW: Duration = Duration::from_millis(1500);
/// Bytes of `/art/huge.html` (sent without a length) and decoded bytes of
/// `/art/bomb.html`: both above the sites file's `max_body`.
pub const HUGE_BYTES: usize = 6_000_000;
pub const BOMB_BYTES: usize = 64 * 1024 * 1024;
/// The `max_body` the portals' sites file sets.
pub const MAX_BODY: u64 = 4_000_000;

/// The paths a polite, safe crawler never requests.
pub const NEVER_FETCHED: &[&str] = &["/private/report.html"];

struct Texts {
    m11: &'static str,
    m02: &'static str,
    m03: &'static str,
    m04: &'static str,
    m10: &'static str,
}

/// The indicators of the XLSX plan's table.
const INDICATORS: &[attachments::Indicator] = &[
    ("地区生产总值", "亿元", 18.6, 6.0),
    ("一般公共预算收入", "万元", 4200.0, 5.0),
];

/// The disclosure block of the page that only links the government work
/// report: the metadata its DOC and RTF attachments are joined with.
pub const GWR_DISCLOSURE: &[(&str, &str)] = &[
    ("索引号", "620422108/2024-00012"),
    ("发布机构", "汉家岔镇人民政府"),
    ("发布日期", "2024-01-25"),
];

pub struct FaultPortal {
    texts: Texts,
    bomb: Vec<u8>,
    /// Requests answered so far per path, for faults that pass.
    hits: Mutex<HashMap<String, u32>>,
}

impl FaultPortal {
    pub fn new() -> Result<FaultPortal, FixtureError> {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..BOMB_BYTES / zeros.len() {
            // Writing to memory cannot fail.
            let _ = gzip.write_all(&zeros);
        }
        Ok(FaultPortal {
            texts: Texts {
                m11: fixtures::text("faults/m11.txt")?,
                m02: fixtures::text("faults/m02.txt")?,
                m03: fixtures::text("faults/m03.txt")?,
                m04: fixtures::text("faults/m04.txt")?,
                m10: fixtures::text("faults/m10.txt")?,
            },
            bomb: gzip.finish().unwrap_or_default(),
            hits: Mutex::new(HashMap::new()),
        })
    }

    fn hit(&self, path: &str) -> u32 {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        let n = hits.entry(path.to_string()).or_default();
        *n += 1;
        *n
    }

    // Over 80 lines on purpose: one arm per path, so the whole portal reads
    // as one map from URL to fault; split, the map would be in pieces.
    async fn respond(&self, path: &str, base: &str) -> Response {
        match path {
            "/robots.txt" => text("text/plain; charset=utf-8", ROBOTS_TXT.into()),
            "/" | "/index.html" => html(StatusCode::OK, list_page(0, base)),
            "/index_1.html" => html(StatusCode::OK, list_page(1, base)),
            "/art/slow.html" => {
                tokio::time::sleep(SLOW).await;
                html(StatusCode::OK, article("关于开展冬季消防安全检查的通知", &notice(), &[]))
            }
            "/art/busy.html" if self.hit(path) == 1 => {
                let mut r = html(StatusCode::TOO_MANY_REQUESTS, error_page("429 Too Many Requests"));
                r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                r
            }
            "/art/busy.html" => {
                let (title, body) = split(self.texts.m02);
                html(
                    StatusCode::OK,
                    article(title, &body, &[("/files/m02.docx", "附件：工作总结和工作思路.docx")]),
                )
            }
            "/files/m02.docx" => {
                let (title, body) = split(self.texts.m02);
                file(
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    attachments::docx(title, &body),
                )
            }
            "/art/flaky.html" if self.hit(path) <= 2 => html(StatusCode::INTERNAL_SERVER_ERROR, error_page("500 Internal Server Error")),
            "/art/flaky.html" => html(StatusCode::OK, article("关于调整农贸市场开放时间的公告", &notice(), &[])),
            "/art/loop-a.html" => redirect("/art/loop-b.html"),
            "/art/loop-b.html" => redirect("/art/loop-a.html"),
            // Never connected to: the fetcher's guard refuses the address.
            "/art/to-private.html" => redirect("http://10.255.0.1/internal/report.html"),
            "/art/huge.html" => {
                let chunk = "<p>".to_string() + &"很长的页面。".repeat(1000) + "</p>\n";
                let chunks = HUGE_BYTES / chunk.len() + 1;
                let stream = repeated(chunk, chunks);
                let mut r = Response::new(Body::from_stream(stream));
                r.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
                r
            }
            "/art/bomb.html" => {
                let mut r = Response::new(Body::from(self.bomb.clone()));
                let headers = r.headers_mut();
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                r
            }
            "/art/charset.html" => {
                // Declared UTF-8 twice, sent as GBK: the declaration lies.
                let (title, body) = split(self.texts.m04);
                let page = article(title, &body, &[("/files/m04.wps", "附件：郭扶镇2023年工作总结.wps")]);
                let mut r = Response::new(Body::from(encoding_rs::GBK.encode(&page).0.into_owned()));
                r.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
                r
            }
            "/art/plan.html" => html(
                StatusCode::OK,
                article(
                    "关于公开汉家岔镇2024年工作要点的说明",
                    &["汉家岔镇2024年工作要点已经镇党委会议研究通过，现予公开，全文见附件。".to_string()],
                    &[
                        ("/files/m03.pdf", "附件：汉家岔镇2024年工作要点.pdf"),
                        ("/files/m03.ofd", "附件：汉家岔镇2024年工作要点.ofd"),
                    ],
                ),
            ),
            "/files/m03.pdf" => {
                let (title, body) = split(self.texts.m03);
                file("application/pdf", attachments::pdf(title, &body))
            }
            "/files/m03.ofd" => {
                let (title, body) = split(self.texts.m03);
                file("application/ofd", attachments::ofd(title, &body))
            }
            "/files/m04.wps" => {
                let (title, body) = split(self.texts.m04);
                file("application/octet-stream", attachments::wps(title, &body))
            }
            "/art/gwr.html" => html(
                StatusCode::OK,
                disclosure_article(
                    "汉家岔镇2024年政府工作报告",
                    &["政府工作报告全文见附件。".to_string()],
                    &[
                        ("/files/m11.doc", "附件：2024年政府工作报告.doc"),
                        ("/files/m11.rtf", "附件：2024年政府工作报告.rtf"),
                    ],
                    GWR_DISCLOSURE,
                ),
            ),
            "/files/m11.doc" => {
                let (title, body) = split(self.texts.m11);
                file("application/msword", attachments::doc(title, &body))
            }
            "/files/m11.rtf" => {
                let (title, body) = split(self.texts.m11);
                file("application/rtf", attachments::rtf(title, &body))
            }
            "/art/tasks.html" => html(
                StatusCode::OK,
                article(
                    "郭扶镇2024年工作要点",
                    &["工作要点见附件。".to_string()],
                    &[("/files/m10.xlsx", "附件：郭扶镇2024年工作要点.xlsx")],
                ),
            ),
            "/files/m10.xlsx" => {
                let (title, body) = split(self.texts.m10);
                file(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    attachments::xlsx(title, &body, INDICATORS),
                )
            }
            "/art/scan.html" => html(
                StatusCode::OK,
                article(
                    "2023年度财政预算执行情况",
                    &["财政预算执行情况见附件（扫描件）。".to_string()],
                    &[("/files/scan.pdf", "附件：2023年度财政预算执行情况.pdf")],
                ),
            ),
            "/files/scan.pdf" => file("application/pdf", attachments::scanned_pdf(2)),
            "/art/old-file.html" => html(
                StatusCode::OK,
                article(
                    "2019年度部门决算公开",
                    &["部门决算见附件。".to_string()],
                    &[("/files/old.doc", "附件：2019年度部门决算.doc")],
                ),
            ),
            "/files/old.doc" => file("application/msword", attachments::legacy_doc()),
            "/art/challenge.html" => html(
                StatusCode::PRECONDITION_FAILED,
                "<html><head><meta charset=\"utf-8\"><script>var $_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=41223;</script>\
                 <script src=\"/4QbVtADbnLVIc/c.FxJzG50F.js\" r='m'></script></head><body></body></html>"
                    .into(),
            ),
            "/private/report.html" => {
                let (title, body) = split(self.texts.m04);
                html(StatusCode::OK, article(title, &body, &[]))
            }
            _ => match path
                .strip_prefix("/cal/")
                .and_then(|p| p.strip_suffix(".html"))
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            {
                Some(day) => html(StatusCode::OK, calendar_page(day)),
                None => html(StatusCode::NOT_FOUND, error_page("404 Not Found")),
            },
        }
    }

    /// The reports a crawl must find here, with every URL each is at.
    pub fn reports(&self, base: &str) -> Vec<ExpectedReport> {
        let report = |url: &str,
                      title: &str,
                      township: &str,
                      code: &str,
                      review: Option<i32>,
                      plan: Option<i32>,
                      doc_type: &str| {
            ExpectedReport {
                site_id: ID.into(),
                url: format!("{base}{url}"),
                title: title.into(),
                township: Some(township.into()),
                division_code: Some(code.into()),
                review_year: review,
                plan_year: plan,
                doc_type: doc_type.into(),
                also_at: Vec::new(),
            }
        };
        vec![
            ExpectedReport {
                also_at: vec![format!("{base}/files/m02.docx")],
                ..report(
                    "/art/busy.html",
                    split(self.texts.m02).0,
                    "小港街道",
                    "330206003",
                    Some(2023),
                    Some(2024),
                    "work_summary_and_plan",
                )
            },
            ExpectedReport {
                also_at: vec![format!("{base}/files/m04.wps")],
                ..report(
                    "/art/charset.html",
                    split(self.texts.m04).0,
                    "郭扶镇",
                    "500110116",
                    Some(2023),
                    None,
                    "work_summary",
                )
            },
            ExpectedReport {
                also_at: vec![format!("{base}/files/m03.ofd")],
                ..report(
                    "/files/m03.pdf",
                    split(self.texts.m03).0,
                    "汉家岔镇",
                    "620422108",
                    None,
                    Some(2024),
                    "work_plan",
                )
            },
            ExpectedReport {
                also_at: vec![format!("{base}/files/m11.rtf")],
                ..report(
                    "/files/m11.doc",
                    split(self.texts.m11).0,
                    "汉家岔镇",
                    "620422108",
                    Some(2023),
                    Some(2024),
                    "government_work_report",
                )
            },
            report(
                "/files/m10.xlsx",
                split(self.texts.m10).0,
                "郭扶镇",
                "500110116",
                None,
                Some(2024),
                "work_plan",
            ),
        ]
    }
}

/// The body of the ordinary notices the faults hide behind.
fn notice() -> Vec<String> {
    vec![
        "各村（社区）、镇属各单位：".to_string(),
        "为切实做好相关工作，现将有关事项通知如下，请认真抓好落实。".to_string(),
        "特此通知。".to_string(),
    ]
}

/// The first line is the title; the rest are the body's paragraphs.
fn split(text: &str) -> (&str, Vec<String>) {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let title = lines.next().unwrap_or("");
    (title, lines.map(str::to_string).collect())
}

/// The two list pages: every fault linked from a dated row.
fn list_page(page: usize, _base: &str) -> String {
    let rows: &[(&str, &str, &str)] = if page == 0 {
        &[
            ("/art/busy.html", "小港街道2023年工作总结和2024年工作思路", "2024-01-18"),
            ("/art/charset.html", "郭扶镇2023年工作总结", "2024-01-10"),
            ("/art/plan.html", "关于公开汉家岔镇2024年工作要点的说明", "2024-03-05"),
            ("/art/gwr.html", "汉家岔镇2024年政府工作报告", "2024-01-25"),
            ("/art/tasks.html", "郭扶镇2024年工作要点", "2024-02-20"),
            ("/art/slow.html", "关于开展冬季消防安全检查的通知", "2023-12-01"),
            ("/art/flaky.html", "关于调整农贸市场开放时间的公告", "2023-11-20"),
            ("/art/loop-a.html", "关于印发乡村振兴实施方案的通知", "2023-11-02"),
            ("/art/to-private.html", "关于加强内部资料管理的通知", "2023-10-30"),
        ]
    } else {
        &[
            ("/art/huge.html", "2023年统计资料汇编", "2023-10-12"),
            ("/art/bomb.html", "2023年重点项目清单", "2023-09-28"),
            ("/art/challenge.html", "2023年财政预算公开", "2023-09-15"),
            ("/art/old-file.html", "2019年度部门决算公开", "2023-09-01"),
            ("/art/scan.html", "2023年度财政预算执行情况", "2023-08-25"),
            ("/private/report.html", "郭扶镇2023年工作总结（内部）", "2023-08-20"),
            ("/cal/2024-01-01.html", "2024年1月1日活动安排", "2023-08-01"),
        ]
    };
    let items: String = rows
        .iter()
        .map(|(href, title, date)| {
            format!("<li><a href=\"{href}\" title=\"{title}\">{title}</a><span>{date}</span></li>\n")
        })
        .collect();
    let pager = if page == 0 {
        "<div class=\"page\"><a href=\"/index_1.html\">下一页</a> <a href=\"/index_1.html\">尾页</a></div>"
    } else {
        "<div class=\"page\"><a href=\"/index.html\">首页</a> <a href=\"/index.html\">上一页</a></div>"
    };
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>通知公告_{NAME}</title></head><body>\
         <div class=\"nav\"><a href=\"/\">首页</a></div><h2>通知公告</h2><ul class=\"list\">\n{items}</ul>{pager}</body></html>"
    )
}

/// A day of the endless calendar: the next days as a list, and a pager.
fn calendar_page(day: NaiveDate) -> String {
    let items: String = (1..=3)
        .map(|n| {
            let next = day + Days::new(n);
            format!("<li><a href=\"/cal/{next}.html\">{next}活动安排</a><span>{next}</span></li>\n")
        })
        .collect();
    let next = day + Days::new(1);
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{day}活动日历_{NAME}</title></head><body>\
         <h2>活动日历 {day}</h2><ul class=\"list\">\n{items}</ul><div class=\"page\"><a href=\"/cal/{next}.html\">下一页</a></div></body></html>"
    )
}

fn article(title: &str, body: &[String], attachments: &[(&str, &str)]) -> String {
    disclosure_article(title, body, attachments, &[])
}

/// An article under a disclosure block (索引号, 发布机构, 发布日期 …): what a
/// 政府信息公开 entry that only links its document looks like.
fn disclosure_article(title: &str, body: &[String], attachments: &[(&str, &str)], pairs: &[(&str, &str)]) -> String {
    let paragraphs: String = body
        .iter()
        .map(|p| format!("<p>{}</p>\n", html_escape::encode_text(p)))
        .collect();
    let files: String = attachments
        .iter()
        .map(|(href, name)| format!("<p><a href=\"{href}\">{name}</a></p>"))
        .collect();
    let rows: String = pairs
        .iter()
        .map(|(label, value)| format!("<tr><td>{label}：</td><td>{value}</td></tr>"))
        .collect();
    let block = if rows.is_empty() {
        String::new()
    } else {
        format!("<div class=\"xxgk\"><table>{rows}</table></div>")
    };
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}_{NAME}</title></head><body>\
         <div class=\"nav\"><a href=\"/\">首页</a> &gt; 通知公告</div>{block}\
         <div class=\"article\"><h1>{title}</h1><div class=\"content\">\n{paragraphs}{files}</div></div></body></html>"
    )
}

fn error_page(title: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    )
}

fn html(status: StatusCode, page: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
}

fn text(content_type: &'static str, body: String) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn file(content_type: &'static str, bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
}

fn redirect(to: &'static str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
}

/// `n` copies of `chunk`, streamed (so no Content-Length is sent).
fn repeated(chunk: String, n: usize) -> impl futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send {
    let chunk = bytes::Bytes::from(chunk);
    futures::stream::iter((0..n).map(move |_| Ok(chunk.clone())))
}

#[derive(Clone)]
struct ServeState {
    portal: Arc<FaultPortal>,
    base: Arc<str>,
}

async fn serve(State(state): State<ServeState>, request: Request) -> Response {
    state.portal.respond(request.uri().path(), &state.base).await
}

/// The fault portal's router at `base` (`http://127.0.0.1:PORT`), every request logged.
pub fn router(portal: Arc<FaultPortal>, base: String, log: Arc<RequestLog>) -> Router {
    let logged = LogLayerState {
        log,
        portal: Arc::from(ID),
    };
    Router::new()
        .fallback(serve)
        .with_state(ServeState {
            portal,
            base: Arc::from(base),
        })
        .layer(axum::middleware::from_fn_with_state(logged, crate::log::record))
}
