//! Simulated township government portals: local HTTP servers that look
//! like the sites townreports crawls, so the whole pipeline can be tested
//! over real HTTP on loopback and the demo can run offline.
//!
//! Each portal is its own server on its own `127.0.0.1` port (a distinct
//! host, for per-host politeness) and imitates one CMS family
//! ([`Template`]): TRS WCM, Hanweb JCMS, a Handan-style disclosure
//! platform, a provincial UCAP platform, a scraping aggregator, a
//! document-sharing site; one serves GBK. Five portals carry the seed
//! reports; a sixth, a county-level site, carries a township report beside
//! the city's own report. Sites, documents and the answers a crawl must find come from
//! `fixtures/` ([`Portals::expected_reports`]); the answers are never
//! rendered into a page.
//!
//! Start with [`start`]; the documents of a running portal can change
//! ([`Portals::publish`], [`Portals::edit`]) and every request is logged
//! ([`Portals::request_log`]).
//!
//! Modules: `fixtures` loads the sites and texts, `model` is what a portal
//! serves, `templates` renders a page per CMS family, `server` routes and
//! encodes, `log` records requests; [`attachments`] builds files in every
//! format townships attach, [`faults`] is the misbehaving portal and
//! [`counties`] the county portals of site discovery.

pub mod attachments;
pub mod counties;
pub mod faults;
mod fixtures;
mod log;
mod model;
mod server;
mod templates;

use std::sync::Arc;

use serde::Serialize;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use fixtures::FixtureError;
pub use log::RequestRecord;
pub use model::{Document, Expect, ExpectedReport, PortalSite, synthetic_summary};
pub use templates::Template;

use log::RequestLog;
use server::Portal;
use templates::Site;

/// The running portals. Dropping them stops the servers too; [`Portals::shutdown`]
/// also waits for them.
pub struct Portals {
    portals: Vec<Arc<Portal>>,
    /// The misbehaving portal and its base URL.
    faults: (Arc<faults::FaultPortal>, String),
    sites: Vec<PortalSite>,
    log: Arc<RequestLog>,
    stop: CancellationToken,
    servers: Vec<JoinHandle<()>>,
}

/// Starts every portal of the fixtures on its own `127.0.0.1:0` port.
pub async fn start() -> std::io::Result<Portals> {
    let log = Arc::new(RequestLog::default());
    let stop = CancellationToken::new();
    let fault_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let fault_base = format!("http://{}", fault_listener.local_addr()?);
    let fault_portal = Arc::new(faults::FaultPortal::new().map_err(std::io::Error::other)?);
    let mut portals = Portals {
        faults: (fault_portal.clone(), fault_base.clone()),
        portals: Vec::new(),
        sites: Vec::new(),
        log: log.clone(),
        stop: stop.clone(),
        servers: Vec::new(),
    };
    for fixture in fixtures::load().map_err(std::io::Error::other)? {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let site = Site {
            spec: fixture.site,
            host: listener.local_addr()?.to_string(),
        };
        portals.sites.push(PortalSite {
            id: site.spec.id.clone(),
            name: site.spec.name.clone(),
            division_code: site.spec.division_code.clone(),
            start_urls: vec![format!("{}{}", site.base_url(), templates::list_path(&site))],
            base_url: site.base_url(),
        });
        let portal = Arc::new(Portal::new(site, fixture.documents));
        let app = server::router(portal.clone(), log.clone());
        let stopped = stop.clone().cancelled_owned();
        portals.servers.push(tokio::spawn(async move {
            // A server that fails after binding has nothing to report to:
            // its requests fail and the request log shows none answered.
            let _ = axum::serve(listener, app).with_graceful_shutdown(stopped).await;
        }));
        portals.portals.push(portal);
    }
    portals.sites.push(PortalSite {
        id: faults::ID.into(),
        name: faults::NAME.into(),
        division_code: None,
        start_urls: vec![format!("{fault_base}/index.html")],
        base_url: fault_base.clone(),
    });
    let app = faults::router(fault_portal, fault_base, log.clone());
    let stopped = stop.clone().cancelled_owned();
    portals.servers.push(tokio::spawn(async move {
        let _ = axum::serve(fault_listener, app).with_graceful_shutdown(stopped).await;
    }));
    Ok(portals)
}

/// Every document page of every portal as the portals serve it (`(url
/// path, bytes)`), without starting a server: for benchmarks.
pub fn rendered_articles() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut pages = Vec::new();
    for fixture in fixtures::load().map_err(std::io::Error::other)? {
        let site = Site {
            spec: fixture.site,
            host: "127.0.0.1".into(),
        };
        let portal = Portal::new(site, fixture.documents);
        let docs = portal.listed();
        for doc in &docs {
            let path = templates::article_path(&portal.site, doc);
            if let Some(templates::Page::Html(html)) = templates::render(&portal.site, &docs, &path, "") {
                pages.push((path, portal.encode(html)));
            }
        }
    }
    Ok(pages)
}

/// The crawler's sites file, as `townreports-sites` reads it.
#[derive(Serialize)]
struct SitesFile<'a> {
    fetch: FetchSection<'a>,
    site: Vec<SiteEntry<'a>>,
}

#[derive(Serialize)]
struct FetchSection<'a> {
    allow_private_networks: [&'a str; 1],
    min_delay: &'a str,
    max_body: u64,
}

#[derive(Serialize)]
struct SiteEntry<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    division_code: Option<&'a str>,
    start_urls: &'a [String],
    revisit: &'a str,
    recheck: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_pages: Option<u64>,
}

/// A page cap no generated portal reaches, for measurements that must
/// crawl everything they published.
const UNCAPPED_PAGES: u64 = 100_000_000;

impl Portals {
    pub fn sites(&self) -> &[PortalSite] {
        &self.sites
    }

    /// The sites file for the crawler: every portal, loopback allowed,
    /// `min_delay` (a humantime duration such as `1s`) between requests to
    /// one host, lists revisited every 6 h, articles rechecked monthly.
    pub fn sites_toml(&self, min_delay: &str) -> String {
        self.sites_toml_every(min_delay, "6h", "30d")
    }

    /// The sites file with the given list `revisit` and article `recheck`
    /// intervals, for continuous crawls that must see changes quickly.
    pub fn sites_toml_every(&self, min_delay: &str, revisit: &str, recheck: &str) -> String {
        self.toml(min_delay, revisit, recheck, None, |_| true)
    }

    /// The sites file of the template portals only, without the fault
    /// portal (whose Crawl-delay and slow pages would dominate a
    /// throughput measurement), with no page cap that would stop the crawl
    /// short of what was generated.
    pub fn template_sites_toml(&self, min_delay: &str) -> String {
        self.toml(min_delay, "6h", "30d", Some(UNCAPPED_PAGES), |s| s.id != faults::ID)
    }

    fn toml(
        &self,
        min_delay: &str,
        revisit: &str,
        recheck: &str,
        max_pages: Option<u64>,
        include: impl Fn(&PortalSite) -> bool,
    ) -> String {
        let file = SitesFile {
            fetch: FetchSection {
                allow_private_networks: ["127.0.0.0/8"],
                min_delay,
                max_body: faults::MAX_BODY,
            },
            site: self
                .sites
                .iter()
                .filter(|s| include(s))
                .map(|s| SiteEntry {
                    id: &s.id,
                    name: &s.name,
                    division_code: s.division_code.as_deref(),
                    start_urls: &s.start_urls,
                    revisit,
                    recheck,
                    max_pages,
                })
                .collect(),
        };
        // Plain strings, lists and tables always serialize.
        toml::to_string(&file).unwrap_or_default()
    }

    /// One entry per report on the portals (not for the other documents),
    /// as they are now: a report published later is included.
    pub fn expected_reports(&self) -> Vec<ExpectedReport> {
        self.portals
            .iter()
            .flat_map(|p| {
                p.listed().into_iter().filter_map(move |d| {
                    let e = d.expect.clone()?;
                    Some(ExpectedReport {
                        site_id: p.site.spec.id.clone(),
                        url: url_of(&p.site, &d),
                        title: d.title,
                        township: e.township,
                        division_code: e.division_code,
                        review_year: e.review_year,
                        plan_year: e.plan_year,
                        doc_type: e.doc_type,
                        also_at: Vec::new(),
                    })
                })
            })
            .chain(self.faults.0.reports(&self.faults.1))
            .collect()
    }

    /// A portal's documents with their URLs, newest first; empty for an
    /// unknown site.
    pub fn documents(&self, site_id: &str) -> Vec<(String, Document)> {
        self.portal(site_id)
            .map(|p| p.listed().into_iter().map(|d| (url_of(&p.site, &d), d)).collect())
            .unwrap_or_default()
    }

    /// Every request answered so far, in the order they finished.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.log.snapshot()
    }

    /// Adds a document to a portal (a report published while a crawl
    /// runs) under a fresh article number, and returns its URL; `None` for
    /// an unknown site.
    pub fn publish(&self, site_id: &str, mut doc: Document) -> Option<String> {
        let portal = self.portal(site_id)?;
        Some(portal.update(|docs| {
            doc.id = docs.iter().map(|d| d.id).max().unwrap_or(0).saturating_add(1);
            let url = url_of(&portal.site, &doc);
            docs.push(doc);
            url
        }))
    }

    /// Adds `per_portal` generated work summaries
    /// ([`synthetic_summary`]) to every template portal (not the fault
    /// portal): the benchmarks' load. Returns how many portals got them.
    pub fn publish_synthetic(&self, per_portal: u32) -> usize {
        let ids: Vec<String> = self
            .sites()
            .iter()
            .map(|s| s.id.clone())
            .filter(|id| id != faults::ID)
            .collect();
        for (n, id) in ids.iter().enumerate() {
            let Some(portal) = self.portal(id) else { continue };
            // One update per portal: each re-sorts the list, and a hundred
            // thousand single publishes would sort it as often.
            portal.update(|docs| {
                let mut next = docs.iter().map(|d| d.id).max().unwrap_or(0);
                for i in 0..per_portal {
                    next = next.saturating_add(1);
                    docs.push(Document {
                        id: next,
                        ..synthetic_summary(i + n as u32 * per_portal)
                    });
                }
            });
        }
        ids.len()
    }

    /// Replaces the body of the document at `url` (a report edited after
    /// publication). False when no portal serves a document there.
    pub fn edit(&self, url: &str, body: Vec<String>) -> bool {
        self.portals.iter().any(|p| {
            p.update(|docs| match docs.iter_mut().find(|d| url_of(&p.site, d) == url) {
                Some(doc) => {
                    doc.body = body.clone();
                    true
                }
                None => false,
            })
        })
    }

    /// Stops every portal and waits until they have.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        for server in std::mem::take(&mut self.servers) {
            let _ = server.await;
        }
    }

    fn portal(&self, site_id: &str) -> Option<&Arc<Portal>> {
        self.portals.iter().find(|p| p.site.spec.id == site_id)
    }
}

impl Drop for Portals {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn url_of(site: &Site, doc: &Document) -> String {
    format!("{}{}", site.base_url(), templates::article_path(site, doc))
}
