//! `townreports serve`: a read-only HTTP API and a small web page over the
//! report store (SQLite or PostgreSQL). Every endpoint is a GET; bad
//! parameters get a 400 that says what is wrong; pages are bounded; bulk
//! exports stream a page of rows at a time, so memory stays flat however
//! large the store.
//!
//! Endpoints (documented in `openapi.json`, served at `/api/openapi.json`):
//! `/api/reports`, `/api/reports/{id}`, `/api/reports/{id}/text`,
//! `/api/reports.jsonl`, `/api/metrics.csv`, `/api/metrics.jsonl`,
//! `/api/coverage`, `/api/sites` (the last two read the crawl's NATS),
//! `/healthz`; the web page at `/`.
//!
//! Modules: [`export`] streams the bulk exports a page of rows at a time;
//! [`params`] checks query parameters and says what is wrong with one;
//! `web` serves the page, its script and style sheet from the binary.

pub mod export;
pub mod params;
mod web;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use townreports_bus::{Bus, NatsOptions, Shutdown};
use townreports_scheduler::frontier::SiteStats;
use townreports_scheduler::worker::{site_stats_in, township_columns_in};
use townreports_store::{DatabaseArgs, MetricRow, Store, StoreError, VersionInfo};

use crate::params::Params;

/// The OpenAPI document of this API.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// An error answer: a status and a message for the caller, as JSON
/// `{"error": "…"}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn bad(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    fn not_found(what: String) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: what,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::BadQuery(message) => ApiError::bad(message),
            StoreError::Unavailable(_) | StoreError::Open { .. } => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    message: "the database is unavailable; try again shortly".into(),
                }
            }
            StoreError::Corrupt { .. } | StoreError::Migration(_) | StoreError::Rejected(_) => {
                tracing::error!(error = %e, "store error");
                ApiError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    message: "a stored record could not be read; the operator has the details in the log".into(),
                }
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(serde_json::json!({ "error": self.message }))).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The router over `store`; `crawl` is the crawl's NATS, where coverage
/// reads the townships' report columns (without it, they are unknown).
pub fn router(store: Arc<Store>, crawl: Option<NatsOptions>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi))
        .route("/api/reports", get(search))
        .route("/api/reports.jsonl", get(export::reports_jsonl))
        .route("/api/reports/{id}", get(report))
        .route("/api/reports/{id}/text", get(report_text))
        .route("/api/metrics.csv", get(export::metrics_csv))
        .route("/api/metrics.jsonl", get(export::metrics_jsonl))
        .route("/api/coverage", get(coverage))
        .route("/api/sites", get(sites))
        .merge(web::routes())
        .fallback(|| async { ApiError::not_found("no such endpoint; see /api/openapi.json".into()) })
        .layer(axum::Extension(Crawl(crawl.map(|nats| {
            Arc::new(CrawlBus {
                nats,
                bus: tokio::sync::OnceCell::new(),
            })
        }))))
        .with_state(store)
}

/// The crawl's NATS, if `serve` was given one: connected on the first
/// request that needs it and kept (the client reconnects by itself), not
/// once per request.
#[derive(Clone)]
struct Crawl(Option<Arc<CrawlBus>>);

struct CrawlBus {
    nats: NatsOptions,
    bus: tokio::sync::OnceCell<Bus>,
}

impl CrawlBus {
    async fn bus(&self) -> Result<&Bus, ApiError> {
        self.bus
            .get_or_try_init(|| Bus::connect(&self.nats, "townreports serve"))
            .await
            .map_err(crawl_unavailable)
    }
}

async fn coverage(
    State(store): State<Arc<Store>>,
    axum::Extension(Crawl(crawl)): axum::Extension<Crawl>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult<impl IntoResponse> {
    let code = Params::parse(pairs, &["code"])?.required("code")?;
    let columns = match crawl {
        None => None,
        Some(crawl) => Some(
            township_columns_in(crawl.bus().await?)
                .await
                .map_err(crawl_unavailable)?,
        ),
    };
    Ok(Json(
        townreports_store::coverage(&store, &code, columns.as_ref()).await?,
    ))
}

/// Each site's crawl statistics (pages, failures by class, attachments
/// read / unsupported / image-only by format, discovery), as `status`
/// prints them; only the crawl knows them, so `serve` needs its NATS_URL.
async fn sites(axum::Extension(Crawl(crawl)): axum::Extension<Crawl>) -> ApiResult<Json<BTreeMap<String, SiteStats>>> {
    let Some(crawl) = crawl else {
        return Err(ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "site statistics live in the crawl's NATS: start serve with NATS_URL".into(),
        });
    };
    Ok(Json(
        site_stats_in(crawl.bus().await?).await.map_err(crawl_unavailable)?,
    ))
}

fn crawl_unavailable(e: townreports_bus::BusError) -> ApiError {
    tracing::warn!(error = %e, "cannot read the frontier");
    ApiError {
        status: StatusCode::SERVICE_UNAVAILABLE,
        message: "the crawl's NATS is unavailable; try again shortly".into(),
    }
}

async fn healthz(State(store): State<Arc<Store>>) -> ApiResult<Json<serde_json::Value>> {
    store.ping().await?;
    Ok(Json(
        serde_json::json!({ "status": "ok", "database": store.backend().name() }),
    ))
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

async fn search(
    State(store): State<Arc<Store>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult<impl IntoResponse> {
    let query = Params::parse(pairs, &params::search_keys())?.search()?;
    Ok(Json(store.search(&query).await?))
}

/// A report whole: its record (text, metrics with their spans, evidence),
/// its versions, and for each target it set, the outcome and whether it
/// was attained.
#[derive(Serialize)]
struct ReportView {
    report: serde_json::Value,
    versions: Vec<VersionInfo>,
    targets: Vec<MetricRow>,
}

/// A report id from the path, checked. A path segment that is not UTF-8
/// gets the same JSON 400 as any other impossible id, not axum's plain-text
/// rejection.
struct ReportId(String);

impl<S: Send + Sync> FromRequestParts<S> for ReportId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<ReportId> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad(ID_RULE))?;
        check_id(&id)?;
        Ok(ReportId(id))
    }
}

const ID_RULE: &str = "a report id has up to 200 letters, digits, '-', '_' and '.'";

/// Ids are the extractor's (letters, digits, `-`, `_`, `.`); anything else
/// cannot name a report.
fn check_id(id: &str) -> ApiResult<()> {
    let valid = !id.is_empty()
        && id.len() <= 200
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !id.contains("..");
    if valid { Ok(()) } else { Err(ApiError::bad(ID_RULE)) }
}

/// The stored record of report `id`, or why not.
async fn load(store: &Store, id: &str) -> ApiResult<townreports_proto::v1::ReportRecord> {
    store
        .report(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no report {id}")))
}

async fn report(State(store): State<Arc<Store>>, ReportId(id): ReportId) -> ApiResult<impl IntoResponse> {
    let record = load(&store, &id).await?;
    let targets = store.targets_of(&id).await?;
    Ok(Json(ReportView {
        report: serde_json::to_value(&record).map_err(|e| ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: e.to_string(),
        })?,
        versions: store.version_history(&id).await?,
        targets,
    }))
}

async fn report_text(State(store): State<Arc<Store>>, ReportId(id): ReportId) -> ApiResult<impl IntoResponse> {
    let record = load(&store, &id).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], record.text))
}

/// Flags of `townreports serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// The database to serve.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Where to listen.
    #[arg(long, env = "LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The crawl's NATS (NATS_URL), for the townships' report columns in
    /// /api/coverage; without it they are unknown.
    #[command(flatten)]
    pub nats: NatsOptions,
}

/// Serves the API until shutdown.
pub async fn serve(args: ServeArgs, shutdown: Shutdown) -> anyhow::Result<()> {
    let location = args.database.location()?;
    let store = Arc::new(Store::open(&location).await?);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
    let bound = listener.local_addr()?;
    tracing::info!(%bound, database = %location.describe(), "serving");
    eprintln!("townreports: serving {} at http://{bound}/", location.describe());
    let crawl = args.nats.nats_url.is_some().then(|| args.nats.clone());
    axum::serve(listener, router(store.clone(), crawl))
        .with_graceful_shutdown(async move { shutdown.wait().await })
        .await?;
    store.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_cannot_be_reports_are_refused() {
        assert!(check_id("511102109-gwr-2023-2024").is_ok());
        for bad in ["", "../etc/passwd", "a/b", "a..b", "x'--", &"a".repeat(201)] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }
}
