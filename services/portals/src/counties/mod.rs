//! Simulated county portals, where townships publish on their county's
//! platform or on small sites of their own that the county links to: the
//! pages site discovery starts from. Three layouts ([`Layout`]): a
//! Guangdong-style gkmlpt platform whose department list has a 乡镇（街道）
//! group, a TRS `xxgk` column tree with a 乡镇（街道）信息公开 branch, and a
//! county home page whose 乡镇街道 link block leads to the townships' own
//! Hanweb-style sites. The three counties lie in one province (四川) and
//! their townships are real ones of the national table: 金山镇 exists in
//! two of them, 略坪镇 of 罗江区 has no column, and 双桥镇 on 丹棱县's
//! platform is no township of that county.
//!
//! Under each township sit a 政府工作报告 and a 工作总结 column (reports,
//! and a notice among them) and a 通知公告 column (no report). Townships can
//! be added and removed while a crawl runs ([`CountyPortals::add_township`],
//! [`CountyPortals::remove_township`]). `render` draws the pages.

mod render;

use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How a county portal shows its townships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `/gkmlpt/index.html`: a department list with a 乡镇（街道） group;
    /// each township's columns on the platform.
    Gkmlpt,
    /// `/xxgk/index.html`: a TRS column tree with a 乡镇（街道）信息公开 branch.
    TrsXxgk,
    /// `/index.html`: a home page with a 乡镇街道 link block to the
    /// townships' own sites.
    HomeLinks,
}

/// A township on a county portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Township {
    /// As the portal prints it.
    pub name: String,
    /// Its 9-digit code in the national table; `None` for a name the
    /// county's table does not have.
    pub code: Option<String>,
    /// Its number on the platform (part of its URLs).
    pub number: u32,
    /// Its own site's base URL (home-links layout), else `None`.
    pub own_site: Option<String>,
}

/// A report a crawl of the counties must store, with its township's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountyReport {
    pub county_id: String,
    pub url: String,
    pub title: String,
    pub township: String,
    pub division_code: Option<String>,
    pub review_year: i32,
    pub doc_type: String,
}

/// One simulated county.
#[derive(Debug)]
pub struct County {
    /// Stable, `[a-z0-9-]`.
    pub id: String,
    pub name: String,
    /// 6 digits.
    pub division_code: String,
    pub layout: Layout,
    pub base_url: String,
    townships: RwLock<Vec<Township>>,
}

impl County {
    /// Where discovery starts.
    pub fn start_url(&self) -> String {
        let path = match self.layout {
            Layout::Gkmlpt => "/gkmlpt/index.html",
            Layout::TrsXxgk => "/xxgk/index.html",
            Layout::HomeLinks => "/index.html",
        };
        format!("{}{path}", self.base_url)
    }

    /// The townships as the portal shows them now.
    pub fn townships(&self) -> Vec<Township> {
        self.townships.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The county and township names and codes the portals are built from
/// (township, code or `None` when the county has no such township).
const DANLING: &[(&str, Option<&str>)] = &[
    ("仁美镇", Some("511424102")),
    ("杨场镇", Some("511424106")),
    ("张场镇", Some("511424108")),
    ("齐乐镇", Some("511424109")),
    ("双桥镇", None),
];
const LUOJIANG: &[(&str, Option<&str>)] = &[
    ("万安镇", Some("510604100")),
    ("鄢家镇", Some("510604101")),
    ("金山镇", Some("510604102")),
    ("调元镇", Some("510604106")),
    ("新盛镇", Some("510604107")),
    ("白马关镇", Some("510604113")),
];
const WUTONGQIAO: &[(&str, Option<&str>)] = &[
    ("竹根镇", Some("511112100")),
    ("牛华镇", Some("511112101")),
    ("金山镇", Some("511112105")),
];
/// A township of 丹棱县 that is not on its portal at first: tests add it.
pub const LATE_TOWNSHIP: (&str, &str) = ("顺龙乡", "511424204");
/// The township of 罗江区 no portal has a column for.
pub const MISSING_TOWNSHIP: (&str, &str) = ("略坪镇", "510604103");
/// The name on 丹棱县's platform that is none of its townships.
pub const UNRESOLVABLE: &str = "双桥镇";

/// The running county portals (and the townships' own sites). Dropping
/// them stops the servers.
pub struct CountyPortals {
    counties: Vec<Arc<County>>,
    stop: CancellationToken,
    servers: Vec<JoinHandle<()>>,
}

impl CountyPortals {
    pub fn counties(&self) -> &[Arc<County>] {
        &self.counties
    }

    pub fn county(&self, id: &str) -> Option<&Arc<County>> {
        self.counties.iter().find(|c| c.id == id)
    }

    /// Puts a township on a platform county's portal (not the home-links
    /// one, whose townships need servers of their own); false for an
    /// unknown or home-links county.
    pub fn add_township(&self, county_id: &str, name: &str, code: Option<&str>) -> bool {
        let Some(county) = self.county(county_id).filter(|c| c.layout != Layout::HomeLinks) else {
            return false;
        };
        let mut townships = county.townships.write().unwrap_or_else(|e| e.into_inner());
        let number = townships.iter().map(|t| t.number).max().unwrap_or(0) + 1;
        townships.push(Township {
            name: name.into(),
            code: code.map(Into::into),
            number,
            own_site: None,
        });
        true
    }

    /// Takes a township off its county's portal; false when it was not there.
    pub fn remove_township(&self, county_id: &str, name: &str) -> bool {
        self.county(county_id).is_some_and(|county| {
            let mut townships = county.townships.write().unwrap_or_else(|e| e.into_inner());
            let before = townships.len();
            townships.retain(|t| t.name != name);
            townships.len() < before
        })
    }

    /// Every report on the portals now, with its township's code.
    pub fn expected_reports(&self) -> Vec<CountyReport> {
        self.counties
            .iter()
            .flat_map(|county| {
                county.townships().into_iter().flat_map(move |t| {
                    render::documents(&t)
                        .into_iter()
                        .filter_map(|doc| {
                            let (doc_type, review_year) = doc.report?;
                            Some(CountyReport {
                                county_id: county.id.clone(),
                                url: render::article_url(county, &t, &doc),
                                title: doc.title,
                                township: t.name.clone(),
                                division_code: t.code.clone(),
                                review_year,
                                doc_type: doc_type.into(),
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect()
    }

    /// The sites file that lists only the counties (`[[county]]`), loopback
    /// allowed, `min_delay` between requests to one host, pages revisited
    /// every `revisit`.
    pub fn counties_toml(&self, min_delay: &str, revisit: &str) -> String {
        let mut toml = format!("[fetch]\nallow_private_networks = [\"127.0.0.0/8\"]\nmin_delay = \"{min_delay}\"\n");
        for county in &self.counties {
            toml.push_str(&format!(
                "\n[[county]]\nid = \"{}\"\nname = \"{}\"\ndivision_code = \"{}\"\nstart_urls = [\"{}\"]\nrevisit = \"{revisit}\"\n",
                county.id,
                county.name,
                county.division_code,
                county.start_url()
            ));
        }
        toml
    }

    /// Stops every server and waits until they have.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        for server in std::mem::take(&mut self.servers) {
            let _ = server.await;
        }
    }
}

impl Drop for CountyPortals {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// What a server serves: a county's portal, or one township's own site.
#[derive(Clone)]
struct Served {
    county: Arc<County>,
    /// The township number whose own site this server is.
    township: Option<u32>,
}

/// Starts the three counties and the townships' own sites, each server on
/// its own `127.0.0.1:0` port.
pub async fn start() -> std::io::Result<CountyPortals> {
    let mut portals = CountyPortals {
        counties: Vec::new(),
        stop: CancellationToken::new(),
        servers: Vec::new(),
    };
    let specs = [
        ("danling", "丹棱县", "511424", Layout::Gkmlpt, DANLING),
        ("luojiang", "罗江区", "510604", Layout::TrsXxgk, LUOJIANG),
        ("wutongqiao", "五通桥区", "511112", Layout::HomeLinks, WUTONGQIAO),
    ];
    for (id, name, code, layout, names) in specs {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let mut townships = Vec::new();
        let mut own = Vec::new();
        for (i, (township, code)) in names.iter().enumerate() {
            let own_site = if layout == Layout::HomeLinks {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                let base = format!("http://{}", listener.local_addr()?);
                own.push((listener, i as u32 + 1));
                Some(base)
            } else {
                None
            };
            townships.push(Township {
                name: (*township).into(),
                code: code.map(Into::into),
                number: i as u32 + 1,
                own_site,
            });
        }
        let county = Arc::new(County {
            id: id.into(),
            name: name.into(),
            division_code: code.into(),
            layout,
            base_url: format!("http://{}", listener.local_addr()?),
            townships: RwLock::new(townships),
        });
        portals.serve(listener, county.clone(), None);
        for (listener, number) in own {
            portals.serve(listener, county.clone(), Some(number));
        }
        portals.counties.push(county);
    }
    Ok(portals)
}

impl CountyPortals {
    fn serve(&mut self, listener: tokio::net::TcpListener, county: Arc<County>, township: Option<u32>) {
        let app = Router::new().fallback(answer).with_state(Served { county, township });
        let stopped = self.stop.clone().cancelled_owned();
        self.servers.push(tokio::spawn(async move {
            // A server that fails after binding has no one to tell: its
            // pages fail, which the crawl reports.
            let _ = axum::serve(listener, app).with_graceful_shutdown(stopped).await;
        }));
    }
}

async fn answer(State(served): State<Served>, request: Request) -> Response {
    let path = request.uri().path();
    let page = match served.township {
        None => render::county_page(&served.county, path),
        Some(number) => served
            .county
            .townships()
            .into_iter()
            .find(|t| t.number == number)
            .and_then(|t| render::own_site_page(&served.county, &t, path)),
    };
    match page {
        Some(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
