//! One fetch: a guarded, size-capped, conditional GET with bounded retries,
//! turned into a [`FetchOutcome`] whatever happens.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::{self, HeaderMap};
use reqwest::redirect;
use townreports_proto::v1::{FetchJob, FetchOutcome, FetchStatus};
use townreports_sites::FetchSettings;
use url::Url;

use crate::antibot::blocked_reason;
use crate::guard::{AddressGuard, GuardedResolver, RefusedTarget};

/// Redirect hops followed at most.
pub const MAX_REDIRECTS: usize = 5;
/// Attempts for network errors and 5xx within one job.
const ATTEMPTS: u32 = 3;
/// A `Retry-After` up to this long is waited out inside the job; a longer
/// one is handed to the scheduler, which holds the whole host back.
const INLINE_RETRY_AFTER: Duration = Duration::from_secs(10);

/// Why a fetch failed, classified for the scheduler and the metrics.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    Refused(String),
    #[error("body larger than the {limit}-byte limit")]
    TooLarge { limit: u64 },
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("redirect refused: {0}")]
    Redirect(String),
    #[error("invalid URL {0}")]
    InvalidUrl(String),
    #[error("{0}")]
    Http(String),
}

impl FetchError {
    pub fn class(&self) -> &'static str {
        match self {
            FetchError::Refused(_) => "private_address",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::Timeout(_) => "timeout",
            FetchError::Connect(_) => "connect",
            FetchError::Redirect(_) => "redirect",
            FetchError::InvalidUrl(_) => "invalid_url",
            FetchError::Http(_) => "http",
        }
    }

    fn retryable(&self) -> bool {
        matches!(
            self,
            FetchError::Timeout(_) | FetchError::Connect(_) | FetchError::Http(_)
        )
    }

    fn status(&self) -> FetchStatus {
        match self {
            FetchError::Refused(_) | FetchError::TooLarge { .. } | FetchError::InvalidUrl(_) => FetchStatus::Refused,
            _ => FetchStatus::Failed,
        }
    }
}

/// A response as read.
#[derive(Debug, Clone)]
pub struct Response {
    pub final_url: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// The result of one job: always an outcome for the scheduler, and the body
/// when there is a page for the parser.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub outcome: FetchOutcome,
    pub page: Option<Page>,
    /// Every response received on the way (retries included), for the archive.
    pub responses: Vec<Response>,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub final_url: String,
    pub status: u16,
    pub content_type: String,
    pub body: Bytes,
}

pub struct Fetcher {
    client: reqwest::Client,
    guard: Arc<AddressGuard>,
    max_body: u64,
}

impl Fetcher {
    pub fn new(settings: &FetchSettings) -> Result<Fetcher, FetchError> {
        let guard = Arc::new(AddressGuard::new(settings.allow_private_networks.clone()));
        // Redirects are followed by hand (see `fetch_once`), so each hop
        // is checked by the guard and waits the host's delay like any request.
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .connect_timeout(Duration::from_secs(10).min(settings.timeout))
            .timeout(settings.timeout)
            .redirect(redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver::new(guard.clone())))
            .no_proxy()
            .build()
            .map_err(|e| FetchError::Http(format!("cannot build the HTTP client: {e}")))?;
        Ok(Fetcher {
            client,
            guard,
            max_body: settings.max_body,
        })
    }

    /// Fetches `job`, retrying transient failures; never fails: every end
    /// is an outcome.
    pub async fn fetch(&self, job: &FetchJob) -> Fetched {
        let mut attempt = 0;
        let mut responses = Vec::new();
        loop {
            attempt += 1;
            let result = self.fetch_once(job).await;
            if let Ok(response) = &result {
                responses.push(response.clone());
            }
            let retry_wait = match &result {
                Err(e) if e.retryable() && attempt < ATTEMPTS => Some(backoff(attempt)),
                Ok(r) if (r.status >= 500 || r.status == 429) && attempt < ATTEMPTS => match retry_after(&r.headers) {
                    Some(d) if d > INLINE_RETRY_AFTER => None,
                    Some(d) => Some(d),
                    None if r.status == 429 => None,
                    None => Some(backoff(attempt)),
                },
                _ => None,
            };
            // Retries are requests to the same host: they keep its delay too.
            let retry_wait = retry_wait.map(|w| w.max(Duration::from_millis(job.host_delay_ms)));
            match retry_wait {
                Some(wait) => {
                    tracing::debug!(url = %job.url, attempt, ?wait, "retrying");
                    tokio::time::sleep(wait).await;
                }
                None => {
                    return Fetched {
                        responses,
                        ..self.settle(job, result)
                    };
                }
            }
        }
    }

    fn settle(&self, job: &FetchJob, result: Result<Response, FetchError>) -> Fetched {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let mut outcome = FetchOutcome {
            job: Some(job.clone()),
            fetched_at_ms: now,
            ..Default::default()
        };
        let response = match result {
            Ok(r) => r,
            Err(e) => {
                outcome.status = e.status() as i32;
                outcome.error_class = e.class().to_string();
                outcome.error_message = e.to_string();
                metrics::counter!("townreports_pages_fetched_total", "status" => e.class()).increment(1);
                return Fetched {
                    outcome,
                    page: None,
                    responses: Vec::new(),
                };
            }
        };
        let header = |name: header::HeaderName| {
            response
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        outcome.http_status = u32::from(response.status);
        outcome.final_url = response.final_url.clone();
        outcome.bytes = response.body.len() as u64;
        outcome.etag = header(header::ETAG);
        outcome.last_modified = header(header::LAST_MODIFIED);
        outcome.retry_after_ms = retry_after(&response.headers).map_or(0, |d| d.as_millis() as u64);
        metrics::counter!("townreports_pages_fetched_total", "status" => response.status.to_string()).increment(1);
        metrics::counter!("townreports_bytes_fetched_total").increment(response.body.len() as u64);

        let (status, class) = match response.status {
            _ if blocked_reason(response.status, &response.body).is_some() => (FetchStatus::Blocked, "blocked"),
            304 => (FetchStatus::NotModified, ""),
            200..=299 => (FetchStatus::Ok, ""),
            404 | 410 => (FetchStatus::NotFound, "not_found"),
            429 => (FetchStatus::Failed, "http_429"),
            400..=499 => (FetchStatus::Failed, "http_4xx"),
            _ => (FetchStatus::Failed, "http_5xx"),
        };
        outcome.status = status as i32;
        outcome.error_class = class.to_string();
        if status == FetchStatus::Blocked {
            outcome.error_message = blocked_reason(response.status, &response.body).unwrap_or_default();
            tracing::warn!(url = %job.url, reason = %outcome.error_message, "blocked by an anti-bot challenge; not evading");
        } else if status == FetchStatus::Failed {
            outcome.error_message = format!("HTTP {}", response.status);
        }
        let page = (status == FetchStatus::Ok).then(|| Page {
            final_url: response.final_url,
            status: response.status,
            content_type: header(header::CONTENT_TYPE),
            body: response.body,
        });
        Fetched {
            outcome,
            page,
            responses: Vec::new(),
        }
    }

    /// One request (and its redirects), no retries. Each redirect hop is
    /// checked like the first URL, a loop or more than [`MAX_REDIRECTS`]
    /// hops end it, and a hop to the same host waits the host's delay.
    pub async fn fetch_once(&self, job: &FetchJob) -> Result<Response, FetchError> {
        let mut url = Url::parse(&job.url).map_err(|e| FetchError::InvalidUrl(format!("{}: {e}", job.url)))?;
        let mut visited = vec![url.clone()];
        loop {
            let response = self.request(&url, (visited.len() == 1).then_some(job)).await?;
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .filter(|_| {
                    response.status().is_redirection() && response.status() != reqwest::StatusCode::NOT_MODIFIED
                });
            let Some(location) = location else {
                return self.read(url, response).await;
            };
            let next = url
                .join(location)
                .map_err(|e| FetchError::Redirect(format!("bad Location {location:?} at {url}: {e}")))?;
            if visited.contains(&next) {
                return Err(FetchError::Redirect(format!("redirect loop at {next}")));
            }
            if visited.len() > MAX_REDIRECTS {
                return Err(FetchError::Redirect(format!("more than {MAX_REDIRECTS} redirects")));
            }
            if let Err(reason) = self.allowed(&next) {
                return Err(FetchError::Redirect(format!("redirect to {next} refused ({reason})")));
            }
            if next.host() == url.host() && next.port_or_known_default() == url.port_or_known_default() {
                tokio::time::sleep(Duration::from_millis(job.host_delay_ms)).await;
            }
            visited.push(next.clone());
            url = next;
        }
    }

    /// Whether `url` may be requested at all: http(s), and not a literal
    /// private address (names are checked when resolved).
    fn allowed(&self, url: &Url) -> Result<(), String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err("only http and https are fetched".into());
        }
        literal_host_allowed(&self.guard, url).map_err(|reason| format!("it is a {reason}"))
    }

    /// Sends one GET; conditional headers from `job` on the first hop.
    async fn request(&self, url: &Url, conditional: Option<&FetchJob>) -> Result<reqwest::Response, FetchError> {
        if let Err(reason) = self.allowed(url) {
            return Err(if url.scheme().starts_with("http") {
                FetchError::Refused(format!("refused {url}: {reason}"))
            } else {
                FetchError::InvalidUrl(format!("{url}: {reason}"))
            });
        }
        let mut request = self.client.get(url.clone());
        if let Some(job) = conditional {
            if !job.etag.is_empty() {
                request = request.header(header::IF_NONE_MATCH, &job.etag);
            }
            if !job.last_modified.is_empty() {
                request = request.header(header::IF_MODIFIED_SINCE, &job.last_modified);
            }
        }
        request.send().await.map_err(classify)
    }

    /// Reads the body of a final response within the size cap.
    async fn read(&self, url: Url, mut response: reqwest::Response) -> Result<Response, FetchError> {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if response.content_length().is_some_and(|n| n > self.max_body) {
            return Err(FetchError::TooLarge { limit: self.max_body });
        }
        // The cap counts decoded bytes as they stream in, so a compression
        // bomb stops at the limit like an endless body does.
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if (body.len() + chunk.len()) as u64 > self.max_body {
                return Err(FetchError::TooLarge { limit: self.max_body });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            final_url: url.to_string(),
            status,
            headers,
            body: body.freeze(),
        })
    }
}

/// IP-literal hosts never reach the resolver, so they are checked here.
fn literal_host_allowed(guard: &AddressGuard, url: &Url) -> Result<(), &'static str> {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => guard.check(ip.into()),
        Some(url::Host::Ipv6(ip)) => guard.check(ip.into()),
        _ => Ok(()),
    }
}

fn classify(e: reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<RefusedTarget>() {
            return FetchError::Refused(refused.to_string());
        }
        source = s.source();
    }
    if e.is_timeout() {
        FetchError::Timeout(e.to_string())
    } else if e.is_connect() {
        FetchError::Connect(e.to_string())
    } else if e.is_redirect() {
        FetchError::Redirect(e.to_string())
    } else {
        FetchError::Http(e.to_string())
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(24 * 3600)));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(SystemTime::now()).unwrap_or_default())
}

/// 0.5 s, 1 s, 2 s … with ±25 % jitter.
fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(500) * 2u32.pow(attempt.saturating_sub(1).min(6));
    base.mul_f64(rand::random_range(0.75..1.25))
}
