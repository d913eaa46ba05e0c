//! One fetch: a guarded, size-capped, conditional GET with bounded retries,
//! turned into a [`FetchOutcome`] whatever happens.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::{Bytes, BytesMut};
use reqwest::header::{self, HeaderMap};
use reqwest::redirect;
use townreports_proto::MAX_URL_BYTES;
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
    #[error(
        "a URL of {bytes} bytes is longer than the {MAX_URL_BYTES}-byte limit: a generated URL (a crawl trap), not fetched"
    )]
    UrlTooLong { bytes: usize },
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
            FetchError::UrlTooLong { .. } => "url_too_long",
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
            FetchError::Refused(_)
            | FetchError::TooLarge { .. }
            | FetchError::InvalidUrl(_)
            | FetchError::UrlTooLong { .. } => FetchStatus::Refused,
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
        let now = townreports_proto::now_ms();
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
        let mut url = self.first_target(&job.url)?;
        let mut visited = vec![url.clone()];
        loop {
            let response = self.request(&url, (visited.len() == 1).then_some(job)).await?;
            let status = response.status();
            if !status.is_redirection() || status == reqwest::StatusCode::NOT_MODIFIED {
                return self.read(url, response).await;
            }
            let location = location(response.headers())
                .ok_or_else(|| FetchError::Redirect(format!("HTTP {status} at {url} names no Location to follow")))?;
            let next = self.next_hop(&url, &location, &visited)?;
            if next.host() == url.host() && next.port_or_known_default() == url.port_or_known_default() {
                tokio::time::sleep(Duration::from_millis(job.host_delay_ms)).await;
            }
            visited.push(next.clone());
            url = next;
        }
    }

    /// The job's URL, if it may be requested. The length is checked before
    /// anything else, so a 100 KB URL costs no parsing and is never printed.
    fn first_target(&self, raw: &str) -> Result<Url, FetchError> {
        within_length(raw.len())?;
        let url = Url::parse(raw).map_err(|e| FetchError::InvalidUrl(format!("{raw}: {e}")))?;
        self.vet(&url)?;
        Ok(url)
    }

    /// Where a redirect from `from` (after `visited`) to `location` leads,
    /// if it may be followed; every refusal is a [`FetchError::Redirect`].
    fn next_hop(&self, from: &Url, location: &str, visited: &[Url]) -> Result<Url, FetchError> {
        let refused = |e: FetchError| FetchError::Redirect(format!("redirect at {from}: {e}"));
        within_length(location.len()).map_err(refused)?;
        let next = from
            .join(location)
            .map_err(|e| FetchError::Redirect(format!("bad Location {location:?} at {from}: {e}")))?;
        if visited.contains(&next) {
            return Err(FetchError::Redirect(format!("redirect loop at {next}")));
        }
        if visited.len() > MAX_REDIRECTS {
            return Err(FetchError::Redirect(format!("more than {MAX_REDIRECTS} redirects")));
        }
        self.vet(&next).map_err(refused)?;
        Ok(next)
    }

    /// Whether `url` may be requested at all: http(s), at most
    /// [`MAX_URL_BYTES`] long, and not a literal internal address in any
    /// spelling (`2130706433`, `0x7f.1`, `[::ffff:127.0.0.1]` are parsed to
    /// the address they name; names are checked when resolved).
    fn vet(&self, url: &Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::InvalidUrl(format!(
                "{url}: only http and https are fetched"
            )));
        }
        within_length(url.as_str().len())?;
        literal_host_allowed(&self.guard, url).map_err(|reason| {
            FetchError::Refused(format!(
                "refused {url}: it is a {reason} (allow it with [fetch] allow_private_networks)"
            ))
        })
    }

    /// Sends one GET (to a URL already vetted); conditional headers from
    /// `job` on the first hop.
    async fn request(&self, url: &Url, conditional: Option<&FetchJob>) -> Result<reqwest::Response, FetchError> {
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

fn within_length(bytes: usize) -> Result<(), FetchError> {
    if bytes > MAX_URL_BYTES {
        return Err(FetchError::UrlTooLong { bytes });
    }
    Ok(())
}

/// The `Location` header as a URL reference. Header values are bytes, and
/// a server that sends raw non-ASCII ones (a UTF-8 or GBK file name) means
/// those bytes: they are percent-encoded, so the server gets back what it
/// sent, instead of the redirect being lost.
fn location(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(header::LOCATION)?.as_bytes();
    let mut text = String::with_capacity(raw.len());
    for &b in raw {
        if b.is_ascii() {
            text.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(text, "%{b:02X}");
        }
    }
    Some(text)
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
    let mut cause = None;
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<RefusedTarget>() {
            return FetchError::Refused(refused.to_string());
        }
        cause = Some(s);
        source = s.source();
    }
    // reqwest's own message only names the URL; what went wrong (connection
    // refused, message head is too large, end of file before the declared
    // length) is the innermost cause.
    let message = match cause {
        Some(cause) if !std::ptr::addr_eq(cause, &e) => format!("{e}: {cause}"),
        _ => e.to_string(),
    };
    if e.is_timeout() {
        FetchError::Timeout(message)
    } else if e.is_connect() {
        FetchError::Connect(message)
    } else if e.is_redirect() {
        FetchError::Redirect(message)
    } else {
        FetchError::Http(message)
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

#[cfg(test)]
mod tests {
    //! Targets no test may ever connect to, even with a broken guard: they
    //! are judged here, without a network, by the checks every request and
    //! every redirect hop goes through (the loopback tests in `tests/`
    //! prove the fetcher runs them before connecting).

    use super::*;

    /// Internal addresses in the spellings a URL can give them: dotted,
    /// decimal, hex, octal, shortened, IPv6, IPv4-mapped.
    const INTERNAL: &[&str] = &[
        "http://10.0.0.1/",
        "http://10.1/",
        "http://012.0.0.1/",
        "http://167772161/",
        "http://172.16.0.1/",
        "http://172.31.255.254/",
        "http://0xac100001/",
        "http://192.168.0.1/",
        "http://192.168.1/",
        "http://0xc0.0xa8.0.1/",
        "http://169.254.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/latest/meta-data/",
        "http://0xa9fea9fe/",
        "http://0251.0376.0251.0376/",
        "http://169.254.43518/",
        "http://[::ffff:169.254.169.254]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://100.100.100.200/",
        "http://127.0.0.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://0.0.0.0/",
        "http://0/",
        "http://[::]/",
        "http://[fe80::1]/",
        "http://[64:ff9b::a9fe:a9fe]/",
    ];

    fn strict() -> Fetcher {
        Fetcher::new(&FetchSettings::default()).unwrap()
    }

    #[test]
    fn internal_targets_in_any_spelling_are_refused_as_jobs() {
        let f = strict();
        for target in INTERNAL {
            let e = f.first_target(target).expect_err(target);
            assert_eq!(e.class(), "private_address", "{target}: {e}");
            assert_eq!(e.status(), FetchStatus::Refused, "{target}");
            assert!(e.to_string().contains("allow_private_networks"), "{target}: {e}");
        }
        assert!(
            f.first_target("http://93.184.215.14/").is_ok(),
            "a public address passes"
        );
    }

    #[test]
    fn internal_targets_in_any_spelling_are_refused_as_redirects() {
        let f = strict();
        let from = Url::parse("http://93.184.215.14/a/b.html").unwrap();
        for target in INTERNAL {
            let e = f
                .next_hop(&from, target, std::slice::from_ref(&from))
                .expect_err(target);
            assert_eq!(e.class(), "redirect", "{target}: {e}");
            assert!(e.to_string().contains("refused"), "{target}: {e}");
        }
        // Scheme-relative and odd-case spellings resolve to the same hosts.
        for target in [
            "//169.254.169.254/",
            "HTTP://0XA9FEA9FE/",
            "http://169.254.169.254.:80/",
        ] {
            let e = f
                .next_hop(&from, target, std::slice::from_ref(&from))
                .expect_err(target);
            assert_eq!(e.class(), "redirect", "{target}: {e}");
        }
        let next = f.next_hop(&from, "../c.html", std::slice::from_ref(&from)).unwrap();
        assert_eq!(next.as_str(), "http://93.184.215.14/c.html", "a public hop is followed");
    }

    #[test]
    fn urls_longer_than_the_limit_are_refused_without_being_printed() {
        let f = strict();
        let at_limit = format!("http://93.184.215.14/{}", "a".repeat(MAX_URL_BYTES - 21));
        assert_eq!(at_limit.len(), MAX_URL_BYTES);
        assert!(f.first_target(&at_limit).is_ok());
        let long = format!("{at_limit}b");
        let e = f.first_target(&long).unwrap_err();
        assert_eq!((e.class(), e.status()), ("url_too_long", FetchStatus::Refused));
        let huge = format!("http://93.184.215.14/?q={}", "x".repeat(100_000));
        let e = f.first_target(&huge).unwrap_err();
        assert_eq!(e.class(), "url_too_long");
        assert!(e.to_string().len() < 200, "{e}");
        // Percent-encoding can make a URL longer than it was written: the
        // serialised form is what counts.
        let grows = format!("http://93.184.215.14/{}", "报".repeat(MAX_URL_BYTES / 8));
        assert!(grows.len() <= MAX_URL_BYTES);
        assert_eq!(f.first_target(&grows).unwrap_err().class(), "url_too_long");

        let from = Url::parse("http://93.184.215.14/").unwrap();
        for location in [huge.as_str(), &huge[20..], long.as_str()] {
            let e = f.next_hop(&from, location, std::slice::from_ref(&from)).unwrap_err();
            assert_eq!(e.class(), "redirect");
            assert!(
                e.to_string().contains("-byte limit") && e.to_string().len() < 300,
                "{e}"
            );
        }
    }

    #[test]
    fn raw_bytes_in_location_are_percent_encoded() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::LOCATION,
            header::HeaderValue::from_bytes(b"/\xb1\xa8\xb8\xe6 \xff.html?a=\xe6\x8a\xa5").unwrap(),
        );
        assert_eq!(
            location(&headers).as_deref(),
            Some("/%B1%A8%B8%E6 %FF.html?a=%E6%8A%A5")
        );
        assert_eq!(location(&HeaderMap::new()), None);
    }
}
