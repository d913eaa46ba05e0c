//! Simulated township government portals: local HTTP servers that look like
//! the real sites townreports crawls (TRS, Hanweb and Handan-style county
//! CMSs, two document-sharing sites), one per loopback port so each is its
//! own host for politeness. Content comes from `fixtures/portals.toml` and
//! the seed texts; the answers a crawl should find are kept beside them
//! ([`Portals::expected_reports`]) and never rendered into a page.

mod templates;

use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

pub use templates::escape;

/// The seed texts, by name (their content is test data, not code).
const SEEDS: &[(&str, &str)] = &[
    (
        "000_e491edef44edf727",
        include_str!("../../../tests/corpus/seeds/000_e491edef44edf727.txt"),
    ),
    (
        "001_6af4c3e8daa2399a",
        include_str!("../../../tests/corpus/seeds/001_6af4c3e8daa2399a.txt"),
    ),
    (
        "002_d8f1d79376eff192",
        include_str!("../../../tests/corpus/seeds/002_d8f1d79376eff192.txt"),
    ),
    (
        "003_1e60186514b3aaad",
        include_str!("../../../tests/corpus/seeds/003_1e60186514b3aaad.txt"),
    ),
    (
        "004_3cf7a1d2bf17f376",
        include_str!("../../../tests/corpus/seeds/004_3cf7a1d2bf17f376.txt"),
    ),
];
const FIXTURES: &str = include_str!("../fixtures/portals.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Template {
    Trs,
    Hanweb,
    Handan,
    Aggregator,
    Docshare,
}

/// What a correct crawl must extract from a report.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Expect {
    pub township: Option<String>,
    pub division_code: Option<String>,
    pub review_year: Option<i32>,
    pub plan_year: Option<i32>,
    pub doc_type: Option<String>,
}

/// One document on a portal.
#[derive(Debug, Clone)]
pub struct Document {
    pub id: u32,
    pub title: String,
    /// As the site prints it (`2024-08-19 16:45`, `2023-11`).
    pub date: String,
    pub publisher: Option<String>,
    pub source: Option<String>,
    pub views: Option<u32>,
    /// Body paragraphs.
    pub body: Vec<String>,
    pub expect: Option<Expect>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    portal: Vec<FixturePortal>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixturePortal {
    id: String,
    name: String,
    division_code: Option<String>,
    template: Template,
    charset: String,
    #[serde(default)]
    site_id_code: String,
    document: Vec<FixtureDocument>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureDocument {
    title: String,
    date: String,
    publisher: Option<String>,
    source: Option<String>,
    views: Option<u32>,
    seed: Option<String>,
    #[serde(default)]
    skip_lines: usize,
    body: Option<String>,
    expect: Option<Expect>,
}

/// A running portal.
pub struct Portal {
    pub id: String,
    pub name: String,
    pub division_code: Option<String>,
    pub template: Template,
    pub gbk: bool,
    pub site_id_code: String,
    /// `127.0.0.1:PORT`.
    pub host: String,
    docs: RwLock<Vec<Document>>,
    log: Arc<Mutex<Vec<RequestRecord>>>,
}

/// One request a portal answered.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub portal: String,
    pub method: String,
    pub path: String,
    pub started: Instant,
    pub finished: Instant,
    pub status: u16,
}

/// A portal as the crawler's sites file describes it.
#[derive(Debug, Clone)]
pub struct PortalSite {
    pub id: String,
    pub name: String,
    pub division_code: Option<String>,
    pub base_url: String,
    pub start_urls: Vec<String>,
}

/// A report a crawl must find, with its URL.
#[derive(Debug, Clone)]
pub struct ExpectedReport {
    pub site_id: String,
    pub url: String,
    pub title: String,
    pub township: Option<String>,
    pub division_code: Option<String>,
    pub review_year: Option<i32>,
    pub plan_year: Option<i32>,
    pub doc_type: Option<String>,
}

/// The running portals.
pub struct Portals {
    portals: Vec<Arc<Portal>>,
    sites: Vec<PortalSite>,
    log: Arc<Mutex<Vec<RequestRecord>>>,
    shutdown: tokio::sync::watch::Sender<bool>,
    servers: Vec<tokio::task::JoinHandle<()>>,
}

fn seed_body(seed: &str, skip_lines: usize) -> std::io::Result<Vec<String>> {
    let text = SEEDS
        .iter()
        .find(|(name, _)| *name == seed)
        .map(|(_, text)| *text)
        .ok_or_else(|| std::io::Error::other(format!("fixtures name an unknown seed {seed}")))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .skip(skip_lines)
        .map(str::to_string)
        .collect())
}

fn load_fixtures() -> std::io::Result<Vec<FixturePortal>> {
    toml::from_str::<FixtureFile>(FIXTURES)
        .map(|f| f.portal)
        .map_err(|e| std::io::Error::other(format!("fixtures/portals.toml: {e}")))
}

/// Starts every portal on its own `127.0.0.1` port.
pub async fn start() -> std::io::Result<Portals> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let (shutdown, stop) = tokio::sync::watch::channel(false);
    let mut portals = Vec::new();
    let mut sites = Vec::new();
    let mut servers = Vec::new();
    let mut next_id = 1001;
    for fixture in load_fixtures()? {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let host = listener.local_addr()?.to_string();
        let docs = documents(fixture.document, &mut next_id)?;
        let portal = Arc::new(Portal {
            id: fixture.id.clone(),
            name: fixture.name.clone(),
            division_code: fixture.division_code.clone(),
            template: fixture.template,
            gbk: fixture.charset.eq_ignore_ascii_case("gbk"),
            site_id_code: fixture.site_id_code,
            host: host.clone(),
            docs: RwLock::new(docs),
            log: log.clone(),
        });
        let base_url = format!("http://{host}");
        sites.push(PortalSite {
            id: fixture.id,
            name: fixture.name,
            division_code: fixture.division_code,
            start_urls: vec![format!("{base_url}{}", templates::list_path(portal.template))],
            base_url,
        });
        let app = Router::new().fallback(serve).with_state(portal.clone());
        let mut stop = stop.clone();
        servers.push(tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await;
        }));
        portals.push(portal);
    }
    Ok(Portals {
        portals,
        sites,
        log,
        shutdown,
        servers,
    })
}

/// The fixture's documents with their bodies, numbered from `next_id`.
fn documents(fixtures: Vec<FixtureDocument>, next_id: &mut u32) -> std::io::Result<Vec<Document>> {
    fixtures
        .into_iter()
        .map(|d| {
            let body = match (&d.seed, &d.body) {
                (Some(seed), _) => seed_body(seed, d.skip_lines)?,
                (None, Some(body)) => body
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect(),
                (None, None) => {
                    return Err(std::io::Error::other(format!(
                        "document {:?} has neither seed nor body",
                        d.title
                    )));
                }
            };
            *next_id += 1;
            Ok(Document {
                id: *next_id - 1,
                title: d.title,
                date: d.date,
                publisher: d.publisher,
                source: d.source,
                views: d.views,
                body,
                expect: d.expect,
            })
        })
        .collect()
}

/// Every document page of every portal, rendered as the portals serve it
/// (`(url path, bytes)`), without starting a server: for benchmarks.
pub fn rendered_articles() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut pages = Vec::new();
    let mut next_id = 1001;
    for fixture in load_fixtures()? {
        let portal = Portal {
            id: fixture.id,
            name: fixture.name,
            division_code: fixture.division_code,
            template: fixture.template,
            gbk: fixture.charset.eq_ignore_ascii_case("gbk"),
            site_id_code: fixture.site_id_code,
            host: "127.0.0.1".into(),
            docs: RwLock::new(documents(fixture.document, &mut next_id)?),
            log: Arc::new(Mutex::new(Vec::new())),
        };
        for doc in portal.listed() {
            let html = templates::render_article(&portal, &doc);
            let bytes = if portal.gbk {
                encoding_rs::GBK.encode(&html).0.into_owned()
            } else {
                html.into_bytes()
            };
            pages.push((templates::article_path(portal.template, &doc), bytes));
        }
    }
    Ok(pages)
}

impl Portal {
    /// Newest first, as list pages show them.
    fn listed(&self) -> Vec<Document> {
        let mut docs = self.docs.read().unwrap_or_else(|e| e.into_inner()).clone();
        docs.sort_by(|a, b| b.date.cmp(&a.date).then(b.id.cmp(&a.id)));
        docs
    }

    fn page(&self, path: &str, query: &str) -> Option<(String, &'static str)> {
        if path == "/robots.txt" {
            return Some((templates::ROBOTS_TXT.to_string(), "text/plain"));
        }
        let docs = self.listed();
        if let Some(n) = templates::list_page(self.template, path, query) {
            let refs: Vec<&Document> = docs.iter().collect();
            return templates::render_list(self, &refs, n).map(|html| (html, "text/html"));
        }
        docs.iter()
            .find(|d| templates::article_path(self.template, d) == path)
            .map(|d| (templates::render_article(self, d), "text/html"))
    }
}

async fn serve(State(portal): State<Arc<Portal>>, request: Request) -> Response {
    let started = Instant::now();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    let response = match portal.page(&path, &query) {
        Some((body, "text/plain")) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response(),
        Some((html, _)) if portal.gbk => {
            let (bytes, _, _) = encoding_rs::GBK.encode(&html);
            (
                [(header::CONTENT_TYPE, "text/html; charset=gb2312")],
                Body::from(bytes.into_owned()),
            )
                .into_response()
        }
        Some((html, _)) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "<html><body><h1>404 页面不存在</h1></body></html>",
        )
            .into_response(),
    };
    let record = RequestRecord {
        portal: portal.id.clone(),
        method: request.method().to_string(),
        path: if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        },
        started,
        finished: Instant::now(),
        status: response.status().as_u16(),
    };
    portal.log.lock().unwrap_or_else(|e| e.into_inner()).push(record);
    response
}

impl Portals {
    pub fn sites(&self) -> &[PortalSite] {
        &self.sites
    }

    /// The sites file for the crawler: every portal, loopback allowed.
    pub fn sites_toml(&self, min_delay: &str) -> String {
        let mut out = format!("[fetch]\nallow_private_networks = [\"127.0.0.0/8\"]\nmin_delay = \"{min_delay}\"\n");
        for site in &self.sites {
            out.push_str(&format!("\n[[site]]\nid = \"{}\"\nname = \"{}\"\n", site.id, site.name));
            if let Some(code) = &site.division_code {
                out.push_str(&format!("division_code = \"{code}\"\n"));
            }
            let urls: Vec<String> = site.start_urls.iter().map(|u| format!("\"{u}\"")).collect();
            out.push_str(&format!("start_urls = [{}]\nrevisit = \"6h\"\n", urls.join(", ")));
        }
        out
    }

    /// One entry per report on the portals.
    pub fn expected_reports(&self) -> Vec<ExpectedReport> {
        self.portals
            .iter()
            .flat_map(|p| {
                p.listed().into_iter().filter_map(move |d| {
                    let e = d.expect.clone()?;
                    Some(ExpectedReport {
                        site_id: p.id.clone(),
                        url: format!("http://{}{}", p.host, templates::article_path(p.template, &d)),
                        title: d.title.clone(),
                        township: e.township,
                        division_code: e.division_code,
                        review_year: e.review_year,
                        plan_year: e.plan_year,
                        doc_type: e.doc_type,
                    })
                })
            })
            .collect()
    }

    /// Every request answered so far.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Adds a document to a portal (a report published while the crawl runs).
    pub fn publish(&self, site_id: &str, mut doc: Document) -> Option<String> {
        let portal = self.portals.iter().find(|p| p.id == site_id)?;
        let mut docs = portal.docs.write().unwrap_or_else(|e| e.into_inner());
        doc.id = docs.iter().map(|d| d.id).max().unwrap_or(1000) + 1000;
        let url = format!(
            "http://{}{}",
            portal.host,
            templates::article_path(portal.template, &doc)
        );
        docs.push(doc);
        Some(url)
    }

    /// Replaces a document's body (a report edited after publication).
    pub fn edit(&self, site_id: &str, title: &str, body: Vec<String>) -> bool {
        let Some(portal) = self.portals.iter().find(|p| p.id == site_id) else {
            return false;
        };
        let mut docs = portal.docs.write().unwrap_or_else(|e| e.into_inner());
        match docs.iter_mut().find(|d| d.title == title) {
            Some(doc) => {
                doc.body = body;
                true
            }
            None => false,
        }
    }

    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for server in self.servers {
            let _ = server.await;
        }
    }
}
