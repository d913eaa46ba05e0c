//! The frontier: every known URL with its state, and the per-host queues that
//! decide which URL may be fetched next.
//!
//! Modelled on URLFrontier: URLs are handed out per host, only when due and
//! polite — at most one request in flight per host, at least the configured
//! delay (or the host's robots.txt `Crawl-delay`, if longer) between the end
//! of one fetch and the start of the next, and only what robots.txt allows:
//! a host's robots.txt is its first job, and nothing else of the host is
//! handed out until its answer is known.
//! Pure logic: time comes in as milliseconds, persistence is the caller's
//! (it takes the changed entries with [`Frontier::take_dirty`]).
//!
//! Submodules: `discover` (county portals: their townships and report
//! columns) and `queues` (per-host queues and the ready hosts, so that a
//! dispatch decision reads the host it is about, not every known URL).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use townreports_proto::v1::{DiscoveredLinks, FetchJob, FetchOutcome, FetchStatus, Link, PageContext, PageKind};
use townreports_sites::{Site, SitesFile};
use townreports_store::FrontierRow;
use url::Url;

use crate::canon::{canonical, host_key};

mod discover;
mod queues;
use crate::robots::{self, Rules};
use crate::traps::{self, Trap};
pub use discover::{Discovered, township_columns};
use queues::{Candidate, Queues};

/// The longest a failing URL waits before it is tried again.
const MAX_BACKOFF: Duration = Duration::from_secs(30 * 24 * 3600);
/// An in-flight job with no outcome after this long is given up and
/// rescheduled (its fetcher died and the job was dead-lettered).
const IN_FLIGHT_LEASE: Duration = Duration::from_secs(15 * 60);

/// Continuous crawling revisits list pages; a one-off crawl visits every
/// list page once and every new article once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Continuous,
    Once,
}

/// Host partitions of the status index (README, "At country scale"): all
/// of a host's URLs fall in one, so whoever owns a partition owns its
/// hosts' politeness.
pub const PARTITIONS: u64 = 64;

/// The partition of `host`: a stable hash, the same in every process.
pub fn partition_of(host: &str) -> i64 {
    let digest = Sha256::digest(host.as_bytes());
    let first = u64::from_be_bytes(digest[..8].try_into().expect("a SHA-256 digest has 32 bytes"));
    (first % PARTITIONS) as i64
}

impl UrlState {
    /// Its row in the status index: its host's partition, when it is due
    /// (none while in flight), and the whole state as JSON.
    pub fn index_row(&self) -> Result<FrontierRow, serde_json::Error> {
        let host = Url::parse(&self.url).map(|u| host_key(&u)).unwrap_or_default();
        let status = match serde_json::to_value(self.status)? {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        // (`in_flight`, as the index names a dispatched job.)
        let in_flight = self.status == UrlStatus::InFlight;
        Ok(FrontierRow {
            key: self.url.clone(),
            partition: partition_of(&host),
            site: self.site_id.clone(),
            status,
            due_ms: self.next_due_ms.filter(|_| !in_flight),
            state: serde_json::to_string(self)?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UrlStatus {
    Pending,
    InFlight,
    Fetched,
    NotModified,
    NotFound,
    Blocked,
    Refused,
    Failed,
    /// robots.txt disallows it: never fetched.
    Disallowed,
    /// An attachment townreports did not read (`error_class` says its
    /// format, `error_message` why).
    Unsupported,
    /// A PDF of scanned pages: images without text, which only OCR could
    /// read (`error_class` says the format).
    ImageOnly,
}

/// What the frontier knows about one URL; persisted as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UrlState {
    pub url: String,
    pub site_id: String,
    /// `PageKind` as its protobuf number.
    pub kind: i32,
    pub depth: u32,
    pub referrer: String,
    pub anchor_text: String,
    pub status: UrlStatus,
    /// Unix ms when it should be fetched next; `None`: not again.
    pub next_due_ms: Option<i64>,
    pub dispatched_at_ms: Option<i64>,
    pub last_fetch_ms: Option<i64>,
    pub http_status: u32,
    pub etag: String,
    pub last_modified: String,
    /// SHA-256 of the clean text at the last fetch: change is judged by it.
    pub text_sha256: String,
    /// The current revisit interval (adapted for list pages).
    pub revisit_ms: i64,
    pub fetches: u32,
    pub failures: u32,
    pub error_class: String,
    /// What went wrong at the last fetch, in words (a block page's kind).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error_message: String,
    /// For a host's robots.txt entry: the body last answered with 200.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robots_txt: Option<String>,
    /// For an attachment read to text: its format (`pdf`, `doc`, `ofd`, …).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub attachment_format: String,
    /// For a county portal's page: the townships or report columns it
    /// showed at its last visit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discovery: Option<Discovered>,
    /// For an attachment of a page without a body of its own: that page's
    /// metadata, sent with every fetch job of the attachment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found_on: Option<PageContext>,
}

impl UrlState {
    /// A URL not fetched yet, due `now`, found at depth 0 with no referrer.
    fn new(url: &Url, site: &str, kind: PageKind, now: i64, revisit_ms: i64) -> UrlState {
        UrlState {
            url: url.to_string(),
            site_id: site.to_string(),
            kind: kind as i32,
            depth: 0,
            referrer: String::new(),
            anchor_text: String::new(),
            status: UrlStatus::Pending,
            next_due_ms: Some(now),
            dispatched_at_ms: None,
            last_fetch_ms: None,
            http_status: 0,
            etag: String::new(),
            last_modified: String::new(),
            text_sha256: String::new(),
            revisit_ms,
            fetches: 0,
            failures: 0,
            error_class: String::new(),
            error_message: String::new(),
            robots_txt: None,
            attachment_format: String::new(),
            discovery: None,
            found_on: None,
        }
    }

    fn kind(&self) -> PageKind {
        PageKind::try_from(self.kind).unwrap_or(PageKind::Unspecified)
    }
}

#[derive(Debug, Default, Clone)]
struct HostState {
    in_flight: Option<String>,
    next_allowed_ms: i64,
    /// The frontier key of the host's robots.txt entry.
    robots_key: Option<String>,
    /// Parsed from that entry's body; `None` until read.
    rules: Option<Rules>,
}

/// Words in a link's text that promise a report: such links go first.
const REPORT_WORDS: &[&str] = &["工作报告", "工作总结", "工作计划", "工作规划", "工作谋划", "工作要点"];

fn report_like(anchor: &str) -> bool {
    REPORT_WORDS.iter().any(|w| anchor.contains(w))
}

/// What a host's robots.txt lets the frontier do now.
enum RobotsVerdict {
    /// Not answered yet: hand out nothing else of the host.
    Pending,
    /// Just added: fetch it now.
    FetchFirst(String),
    /// 5xx, network error, refused or blocked: nothing until this time (or
    /// never in a one-off crawl).
    Unavailable(Option<i64>),
    Rules(Rules),
}

/// Per-site counts for `townreports status` and the run summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SiteStats {
    pub known: usize,
    /// Fetch attempts that got an answer, over the frontier's life.
    pub fetches: u64,
    pub fetched: usize,
    pub pending: usize,
    pub in_flight: usize,
    pub blocked: usize,
    /// Why, by the block page's kind (`HTTP 412 ruishu challenge`).
    pub blocked_by: BTreeMap<String, usize>,
    /// URLs robots.txt disallows (never fetched).
    pub disallowed: usize,
    /// Attachments read to text, by format.
    pub attachments_read: BTreeMap<String, usize>,
    /// Attachments not read (a format not read, or a file that could not
    /// be), by format.
    pub unsupported: BTreeMap<String, usize>,
    /// Scanned PDFs: only OCR could read them.
    pub image_only: BTreeMap<String, usize>,
    /// Links not followed because they looked like crawl traps, by reason
    /// (since this scheduler started).
    pub trap_links: BTreeMap<String, usize>,
    pub failed_by_class: BTreeMap<String, usize>,
    pub last_success_ms: Option<i64>,
    pub next_visit_ms: Option<i64>,
    /// For a county: townships found and resolved on its portal, names
    /// found but not resolved (not crawled), and townships it no longer shows.
    pub townships: usize,
    pub unresolved: Vec<String>,
    pub gone: Vec<String>,
    /// Townships of the county in the national table its portal shows none of.
    pub not_found: Vec<String>,
}

/// What became of one discovered link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Added {
    Yes,
    /// Known already, off-site, too deep, or a trap.
    No,
    /// The site has its `max_pages` URLs.
    OverPageLimit,
}

pub struct Frontier {
    /// The sites of the sites file, its counties, and the townships found
    /// on the counties' portals.
    sites: HashMap<String, Site>,
    /// County site id to its 6-digit code: these crawl in discovery mode.
    counties: HashMap<String, String>,
    urls: HashMap<String, UrlState>,
    hosts: HashMap<String, HostState>,
    min_delay_ms: i64,
    mode: Mode,
    /// URLs known per site, for the site's `max_pages` (counting them on
    /// every link would make a crawl quadratic in its size).
    site_pages: HashMap<String, usize>,
    dirty: HashSet<String>,
    /// The robots.txt product token of our User-Agent.
    agent: String,
    /// URLs per (site, calendar shape), for [`traps::MAX_CALENDAR_PAGES`].
    calendar_pages: HashMap<(String, String), usize>,
    /// Links refused as traps, per site and reason.
    trap_links: HashMap<String, BTreeMap<String, usize>>,
    queues: Queues,
    /// What the entries evicted to the status index add to each site's
    /// counts ([`Frontier::evict_cold`]), so that [`Frontier::stats`] still
    /// counts every known URL.
    evicted: HashMap<String, SiteStats>,
    /// Entries evicted since start (some may be back).
    evictions: u64,
}

impl Frontier {
    pub fn new(sites: &SitesFile, mode: Mode) -> Frontier {
        Frontier {
            sites: sites
                .sites
                .iter()
                .chain(&sites.counties)
                .map(|s| (s.id.clone(), s.clone()))
                .collect(),
            counties: sites
                .counties
                .iter()
                .filter_map(|c| Some((c.id.clone(), c.division_code.clone()?)))
                .collect(),
            urls: HashMap::new(),
            hosts: HashMap::new(),
            min_delay_ms: sites.fetch.min_delay.as_millis() as i64,
            mode,
            site_pages: HashMap::new(),
            dirty: HashSet::new(),
            agent: robots::agent_token(&sites.fetch.user_agent),
            calendar_pages: HashMap::new(),
            trap_links: HashMap::new(),
            queues: Queues::default(),
            evicted: HashMap::new(),
            evictions: 0,
        }
    }

    /// Restores persisted entries (before [`Frontier::seed`]). Entries in
    /// flight keep their host busy until their outcome arrives or the lease ends.
    pub fn restore(&mut self, states: impl IntoIterator<Item = UrlState>) {
        for state in states {
            let Ok(url) = Url::parse(&state.url) else {
                continue;
            };
            let key = canonical(&url).to_string();
            let host = self.hosts.entry(host_key(&url)).or_default();
            if state.status == UrlStatus::InFlight {
                host.in_flight = Some(key.clone());
            }
            if state.kind() == PageKind::Robots {
                host.robots_key = Some(key.clone());
                host.rules = state
                    .robots_txt
                    .as_ref()
                    .map(|body| Rules::parse(&self.agent, body.as_bytes()));
            }
            if let Some(shape) = traps::calendar_shape(&url) {
                *self.calendar_pages.entry((state.site_id.clone(), shape)).or_default() += 1;
            }
            if state.status == UrlStatus::InFlight {
                self.queues.dispatched(state.dispatched_at_ms.unwrap_or(i64::MIN), &key);
            }
            let site = state.site_id.clone();
            if self.urls.insert(key, state).is_none() {
                *self.site_pages.entry(site).or_default() += 1;
            }
        }
        self.restore_townships();
        let keys: Vec<String> = self.urls.keys().cloned().collect();
        for key in &keys {
            self.enqueue(key);
        }
    }

    /// Adds every site's start URLs. In once mode every known list page is
    /// due again now (one round over the lists finds what is new). Called
    /// at start, before anything is evicted: an evicted start URL would be
    /// taken for a new one.
    pub fn seed(&mut self, now: i64) {
        let starts: Vec<(String, Url, i64, PageKind)> = self
            .sites
            .values()
            .flat_map(|s| {
                // A county's start pages are read for its townships.
                let kind = if self.counties.contains_key(&s.id) {
                    PageKind::Portal
                } else {
                    PageKind::List
                };
                s.start_urls
                    .iter()
                    .map(move |u| (s.id.clone(), u.clone(), s.revisit.as_millis() as i64, kind))
            })
            .collect();
        for (site, url, revisit, kind) in starts {
            let key = canonical(&url).to_string();
            if !self.urls.contains_key(&key) {
                self.insert_new(key, UrlState::new(&url, &site, kind, now, revisit));
            }
        }
        if self.mode == Mode::Once {
            let keys: Vec<String> = self
                .urls
                .iter()
                .filter(|(_, s)| {
                    let stale_robots = s.kind() == PageKind::Robots
                        && s.last_fetch_ms
                            .is_none_or(|t| t + robots::REFRESH.as_millis() as i64 <= now);
                    (matches!(s.kind(), PageKind::List | PageKind::Portal) || stale_robots)
                        && s.status != UrlStatus::InFlight
                        && self.sites.contains_key(&s.site_id)
                })
                .map(|(k, _)| k.clone())
                .collect();
            for key in keys {
                if let Some(state) = self.urls.get_mut(&key) {
                    state.next_due_ms = Some(now);
                    self.touch(key);
                }
            }
        }
    }

    /// `key` is the canonical form (identity); the state's `url` the form
    /// to fetch, as first seen, since a server need not answer the
    /// canonical spelling.
    fn insert_new(&mut self, key: String, state: UrlState) {
        *self.site_pages.entry(state.site_id.clone()).or_default() += 1;
        self.urls.insert(key.clone(), state);
        self.touch(key);
    }

    /// Notes a change of the entry `key`: it is saved with the next batch,
    /// and queued for its host if it will be due.
    fn touch(&mut self, key: String) {
        self.enqueue(&key);
        self.dirty.insert(key);
    }

    fn enqueue(&mut self, key: &str) {
        let Some(state) = self.urls.get(key) else { return };
        let Some(candidate) = candidate(key, state) else {
            return;
        };
        let Ok(url) = Url::parse(key) else { return };
        let host = host_key(&url);
        self.queues.push(&host, candidate);
        self.reschedule_host(&host);
    }

    /// Puts `host` in the ready set at the time it may next be asked for a
    /// URL: not while a fetch of it is in flight, not before its delay has
    /// passed, not before its earliest queued URL is due.
    fn reschedule_host(&mut self, host: &str) {
        let (busy, allowed) = self
            .hosts
            .get(host)
            .map_or((false, 0), |h| (h.in_flight.is_some(), h.next_allowed_ms));
        let at = if busy {
            None
        } else {
            self.queues.earliest_due(host).map(|due| due.max(allowed))
        };
        self.queues.set_ready(host, at);
    }

    /// Hands out the jobs that are due and polite now: per host at most one
    /// in flight, not before the host's delay has passed, its robots.txt
    /// first and then only what that allows. The chosen URLs are marked in
    /// flight.
    pub fn due_jobs(&mut self, now: i64, max: usize) -> Vec<FetchJob> {
        self.expire_leases(now);
        let mut jobs = Vec::new();
        // Hosts asked and not dispatched: ready again after this round, so
        // each host is asked at most once per call.
        let mut again = Vec::new();
        while jobs.len() < max {
            let Some(host) = self.queues.pop_ready(now) else { break };
            let free = self
                .hosts
                .get(&host)
                .is_none_or(|h| h.in_flight.is_none() && h.next_allowed_ms <= now);
            let candidates = if free {
                let (urls, sites) = (&self.urls, &self.sites);
                self.queues.due(&host, now, |c| is_live(c, urls, sites))
            } else {
                Vec::new()
            };
            match (!candidates.is_empty())
                .then(|| self.pick(&host, candidates, now))
                .flatten()
            {
                Some(key) => jobs.extend(self.dispatch(&host, &key, now)),
                None => again.push(host),
            }
        }
        for host in again {
            self.reschedule_host(&host);
        }
        jobs
    }

    /// The URL of `host` to fetch now, if any: its robots.txt when due, else
    /// the first candidate robots.txt allows (the disallowed ones are marked
    /// on the way).
    fn pick(&mut self, host: &str, candidates: Vec<Candidate>, now: i64) -> Option<String> {
        if let Some((false, _, _, key)) = candidates.first() {
            return Some(key.clone());
        }
        match self.robots_verdict(host, &candidates[0].3, now) {
            RobotsVerdict::Pending => None,
            RobotsVerdict::FetchFirst(key) => Some(key),
            RobotsVerdict::Unavailable(retry) => {
                for (_, _, _, key) in candidates {
                    if let Some(state) = self.urls.get_mut(&key) {
                        state.next_due_ms = retry;
                        state.error_class = "robots_unavailable".into();
                        self.touch(key);
                    }
                }
                None
            }
            RobotsVerdict::Rules(rules) => {
                for (_, _, _, key) in candidates {
                    let allowed = Url::parse(&key).is_ok_and(|u| rules.allows(&u));
                    if allowed {
                        return Some(key);
                    }
                    if let Some(state) = self.urls.get_mut(&key) {
                        tracing::debug!(url = %state.url, "disallowed by robots.txt");
                        metrics::counter!("townreports_robots_disallowed_total", "site" => state.site_id.clone())
                            .increment(1);
                        state.status = UrlStatus::Disallowed;
                        state.next_due_ms = None;
                        self.touch(key);
                    }
                }
                None
            }
        }
    }

    /// What the robots.txt of `host` says now; adds its entry (due now) the
    /// first time the host has something due (`example` is one of its URLs).
    fn robots_verdict(&mut self, host: &str, example: &str, now: i64) -> RobotsVerdict {
        let robots_key = self.hosts.get(host).and_then(|h| h.robots_key.clone());
        let Some(robots_key) = robots_key else {
            let (Ok(url), Some(site)) = (Url::parse(example), self.urls.get(example).map(|s| s.site_id.clone())) else {
                return RobotsVerdict::Pending;
            };
            let Some(robots) = robots::robots_url(&url) else {
                return RobotsVerdict::Rules(Rules::allow_all());
            };
            let key = canonical(&robots).to_string();
            if !self.urls.contains_key(&key) {
                let refresh = robots::REFRESH.as_millis() as i64;
                self.insert_new(
                    key.clone(),
                    UrlState::new(&robots, &site, PageKind::Robots, now, refresh),
                );
            }
            self.hosts.entry(host.to_string()).or_default().robots_key = Some(key.clone());
            return RobotsVerdict::FetchFirst(key);
        };
        let Some(entry) = self.urls.get(&robots_key) else {
            return RobotsVerdict::Pending;
        };
        match entry.status {
            UrlStatus::Pending | UrlStatus::InFlight => RobotsVerdict::Pending,
            UrlStatus::Fetched | UrlStatus::NotModified => {
                let host = self.hosts.entry(host.to_string()).or_default();
                let rules = host.rules.get_or_insert_with(|| {
                    Rules::parse(&self.agent, entry.robots_txt.as_deref().unwrap_or("").as_bytes())
                });
                RobotsVerdict::Rules(rules.clone())
            }
            // No robots.txt (4xx): everything is allowed.
            UrlStatus::NotFound => RobotsVerdict::Rules(Rules::allow_all()),
            UrlStatus::Failed if (400..500).contains(&entry.http_status) && entry.http_status != 429 => {
                RobotsVerdict::Rules(Rules::allow_all())
            }
            _ => RobotsVerdict::Unavailable(entry.next_due_ms),
        }
    }

    fn dispatch(&mut self, host: &str, key: &str, now: i64) -> Option<FetchJob> {
        let host_delay_ms = self.host_delay_ms(host) as u64;
        let division_code = self.division_code(&self.urls.get(key)?.site_id);
        let state = self.urls.get_mut(key)?;
        state.status = UrlStatus::InFlight;
        state.dispatched_at_ms = Some(now);
        let job = job_of(state, now, host_delay_ms, division_code);
        self.hosts.entry(host.to_string()).or_default().in_flight = Some(key.to_string());
        self.queues.set_ready(host, None);
        self.queues.dispatched(now, key);
        self.dirty.insert(key.to_string());
        Some(job)
    }

    /// The jobs in flight, exactly as they were dispatched (same URL and
    /// dispatch time, so the same message id): a scheduler that restarts
    /// publishes them again, and JetStream drops those it already has —
    /// which makes a crash between saving and publishing lose nothing.
    pub fn in_flight_jobs(&self) -> Vec<FetchJob> {
        self.urls
            .values()
            .filter(|s| s.status == UrlStatus::InFlight)
            .filter_map(|s| {
                let host = host_key(&Url::parse(&s.url).ok()?);
                Some(job_of(
                    s,
                    s.dispatched_at_ms?,
                    self.host_delay_ms(&host) as u64,
                    self.division_code(&s.site_id),
                ))
            })
            .collect()
    }

    /// The division code of a site, for its jobs; empty when unknown.
    fn division_code(&self, site: &str) -> String {
        self.sites
            .get(site)
            .and_then(|s| s.division_code.clone())
            .unwrap_or_default()
    }

    /// The configured minimum delay, or the host's `Crawl-delay` if longer.
    fn host_delay_ms(&self, host: &str) -> i64 {
        let crawl_delay = self
            .hosts
            .get(host)
            .and_then(|h| h.rules.as_ref())
            .and_then(|r| r.crawl_delay)
            .map_or(0, |d| d.as_millis() as i64);
        self.min_delay_ms.max(crawl_delay)
    }

    /// A dispatched job could not be published: make it due again.
    pub fn revert(&mut self, job: &FetchJob) {
        let Ok(url) = Url::parse(&job.url) else {
            return;
        };
        let key = canonical(&url).to_string();
        let host = host_key(&url);
        if let Some(h) = self.hosts.get_mut(&host) {
            h.in_flight = None;
        }
        if let Some(state) = self.urls.get_mut(&key) {
            state.status = UrlStatus::Pending;
            state.dispatched_at_ms = None;
            self.touch(key);
        }
        self.reschedule_host(&host);
    }

    fn expire_leases(&mut self, now: i64) {
        let lease = IN_FLIGHT_LEASE.as_millis() as i64;
        let expired: Vec<String> = self
            .queues
            .dispatched_before(now - lease)
            .into_iter()
            .filter_map(|(at, key)| {
                let s = self.urls.get(&key)?;
                (s.status == UrlStatus::InFlight && s.dispatched_at_ms.unwrap_or(i64::MIN) == at).then(|| s.url.clone())
            })
            .collect();
        for url in expired {
            tracing::warn!(%url, "no fetch outcome within the lease; rescheduling");
            self.revert(&FetchJob {
                url,
                ..Default::default()
            });
        }
    }

    /// A fetch ended: free the host, record the result, schedule the next visit.
    pub fn on_outcome(&mut self, outcome: &FetchOutcome, now: i64) {
        let Some(job) = &outcome.job else { return };
        let Ok(url) = Url::parse(&job.url) else {
            return;
        };
        let key = canonical(&url).to_string();
        let host = self.hosts.entry(host_key(&url)).or_default();
        if host.in_flight.as_deref() == Some(key.as_str()) {
            host.in_flight = None;
        }
        let status = FetchStatus::try_from(outcome.status).unwrap_or(FetchStatus::Failed);
        if job.kind() == PageKind::Robots && status == FetchStatus::Ok {
            host.rules = Some(Rules::parse(&self.agent, &outcome.robots_txt));
        }
        let host_name = host_key(&url);
        let wait = self.host_delay_ms(&host_name).max(outcome.retry_after_ms as i64);
        let host = self.hosts.entry(host_name.clone()).or_default();
        host.next_allowed_ms = host.next_allowed_ms.max(now + wait);
        self.reschedule_host(&host_name);

        let Some(state) = self.urls.get_mut(&key) else {
            return;
        };
        // A late outcome of an older dispatch must not clobber a newer one.
        if state.status == UrlStatus::InFlight && state.dispatched_at_ms.is_some_and(|d| d > job.scheduled_at_ms) {
            return;
        }
        if state.kind() == PageKind::Robots && status == FetchStatus::Ok {
            state.robots_txt = Some(String::from_utf8_lossy(&outcome.robots_txt).into_owned());
        }
        state.status = match status {
            FetchStatus::Ok => UrlStatus::Fetched,
            FetchStatus::NotModified => UrlStatus::NotModified,
            FetchStatus::NotFound => UrlStatus::NotFound,
            FetchStatus::Blocked => UrlStatus::Blocked,
            FetchStatus::Refused => UrlStatus::Refused,
            FetchStatus::Failed | FetchStatus::Unspecified => UrlStatus::Failed,
        };
        state.dispatched_at_ms = None;
        state.last_fetch_ms = Some(now);
        state.http_status = outcome.http_status;
        state.fetches += 1;
        state.error_class = outcome.error_class.clone();
        state.error_message = outcome.error_message.clone();
        if matches!(state.status, UrlStatus::Fetched | UrlStatus::NotModified) {
            state.failures = 0;
            if !outcome.etag.is_empty() {
                state.etag = outcome.etag.clone();
            }
            if !outcome.last_modified.is_empty() {
                state.last_modified = outcome.last_modified.clone();
            }
        } else {
            state.failures += 1;
        }
        let recheck = self
            .sites
            .get(&state.site_id)
            .map_or(MAX_BACKOFF, |s| s.recheck)
            .as_millis() as i64;
        state.next_due_ms = match (self.mode, state.status, state.kind()) {
            (Mode::Once, _, _) => None,
            (_, UrlStatus::Fetched | UrlStatus::NotModified | UrlStatus::NotFound, PageKind::Robots) => {
                Some(now + robots::REFRESH.as_millis() as i64)
            }
            (_, UrlStatus::Fetched | UrlStatus::NotModified, PageKind::List | PageKind::Portal) => {
                Some(now + state.revisit_ms)
            }
            (_, UrlStatus::Fetched | UrlStatus::NotModified, _) => Some(now + recheck),
            // Failures back off: 1 h, 2 h, 4 h … up to 30 days.
            _ => {
                let backoff = 3_600_000i64.saturating_mul(1 << state.failures.min(10));
                Some(now + backoff.min(MAX_BACKOFF.as_millis() as i64))
            }
        };
        self.touch(key);
    }

    /// A page was parsed: note its text hash (adapting a list page's revisit
    /// interval to how often it changes) and add the links it has.
    pub fn on_links(&mut self, links: &DiscoveredLinks, now: i64) {
        let Some(job) = &links.job else { return };
        let Ok(from) = Url::parse(&job.url) else {
            return;
        };
        let from_key = canonical(&from).to_string();
        let Some(site) = self.sites.get(&job.site_id).cloned() else {
            return;
        };
        if let Some(state) = self.urls.get_mut(&from_key) {
            note_attachment(state, links);
        }
        if let Some(state) = self.urls.get_mut(&from_key) {
            let changed = !state.text_sha256.is_empty() && state.text_sha256 != links.clean_text_sha256;
            let first = state.text_sha256.is_empty();
            state.text_sha256 = links.clean_text_sha256.clone();
            let listing = matches!(state.kind(), PageKind::List | PageKind::Portal);
            if self.mode == Mode::Continuous && listing && !first {
                state.revisit_ms = adapt_interval(state.revisit_ms, changed, site.revisit);
                state.next_due_ms = state.last_fetch_ms.map(|t| t + state.revisit_ms);
            }
            self.touch(from_key.clone());
        }
        if job.kind() == PageKind::Portal
            && let Some(code) = self.counties.get(&site.id).cloned()
        {
            self.on_portal_page(&site, &code, job, links, now);
            return;
        }
        let over_limit = links
            .links
            .iter()
            .filter(|link| self.add_link(&site, job, link, now) == Added::OverPageLimit)
            .count();
        // Once per page, not per link: a page of 10,000 links would
        // otherwise log 10,000 warnings.
        if over_limit > 0 {
            tracing::warn!(
                site = %site.id,
                max_pages = site.max_pages,
                over_limit,
                from = %job.url,
                "page limit reached; links not added (raise the site's max_pages to crawl more)"
            );
        }
    }

    fn add_link(&mut self, site: &Site, from: &FetchJob, link: &Link, now: i64) -> Added {
        let Ok(url) = Url::parse(&link.url) else {
            return Added::No;
        };
        if !matches!(url.scheme(), "http" | "https") || !site.allows(&url) {
            return Added::No;
        }
        let kind = PageKind::try_from(link.kind).unwrap_or(PageKind::Article);
        // Depth counts hops from a list to what it lists; the next page of a
        // list is the same list, or a long column would end at page 8.
        let depth = if kind == PageKind::List {
            from.depth
        } else {
            from.depth + 1
        };
        if depth > site.max_depth {
            return Added::No;
        }
        let key = canonical(&url).to_string();
        if self.urls.contains_key(&key) {
            return Added::No;
        }
        if let Some(trap) = self.trap(&site.id, &url) {
            tracing::debug!(%url, reason = trap.as_str(), "crawl trap; not following");
            metrics::counter!("townreports_trap_links_total", "reason" => trap.as_str()).increment(1);
            *self
                .trap_links
                .entry(site.id.clone())
                .or_default()
                .entry(trap.as_str().to_string())
                .or_default() += 1;
            return Added::No;
        }
        if self.site_pages.get(&site.id).copied().unwrap_or(0) >= site.max_pages {
            return Added::OverPageLimit;
        }
        let state = UrlState {
            depth,
            referrer: from.url.clone(),
            anchor_text: link.anchor_text.clone(),
            found_on: link.found_on.clone(),
            ..UrlState::new(&url, &site.id, kind, now, site.revisit.as_millis() as i64)
        };
        self.insert_new(key, state);
        Added::Yes
    }

    /// Whether `url` (not yet known) would lead into a trap; counts it
    /// against its calendar shape when it is let in.
    fn trap(&mut self, site: &str, url: &Url) -> Option<Trap> {
        if traps::too_long(url) {
            return Some(Trap::LongUrl);
        }
        if traps::repeating_path(url) {
            return Some(Trap::RepeatingPath);
        }
        let shape = traps::calendar_shape(url)?;
        let count = self.calendar_pages.entry((site.to_string(), shape)).or_default();
        if *count >= traps::MAX_CALENDAR_PAGES {
            return Some(Trap::Calendar);
        }
        *count += 1;
        None
    }

    /// Nothing in flight and nothing due: a one-off crawl is complete (once
    /// the work queues are empty too).
    pub fn is_idle(&self, now: i64) -> bool {
        let in_flight = self.queues.in_flight().any(|(at, key)| {
            self.urls.get(key).is_some_and(|s| {
                s.status == UrlStatus::InFlight
                    && s.dispatched_at_ms.unwrap_or(i64::MIN) == *at
                    && self.sites.contains_key(&s.site_id)
            })
        });
        !in_flight && !self.queues.any_due(now, |c| is_live(c, &self.urls, &self.sites))
    }

    /// Drops from memory the lists, articles and attachments that are neither in
    /// flight, nor changed since they were saved, nor due before
    /// `now + window`: the status index holds them, and they come back by
    /// [`Frontier::unknown_keys`] lookups and the due window's refills
    /// ([`Frontier::warm`]). Robots.txt entries and county portals stay:
    /// every host's politeness reads the one, discovery the other. (A list
    /// comes back as an article does: when due, or linked from a page.)
    /// Only a continuous crawl evicts: a one-off crawl's summary counts its
    /// entries. The caller makes sure the index has every saved entry.
    pub fn evict_cold(&mut self, now: i64, window: Duration) -> usize {
        if !self.evicts() {
            return 0;
        }
        let horizon = now.saturating_add(window.as_millis() as i64);
        let cold: Vec<String> = self
            .urls
            .iter()
            .filter(|(key, s)| {
                !matches!(s.kind(), PageKind::Robots | PageKind::Portal)
                    && s.discovery.is_none()
                    && s.status != UrlStatus::InFlight
                    && s.next_due_ms.is_none_or(|due| due > horizon)
                    && !self.dirty.contains(*key)
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in &cold {
            let Some(state) = self.urls.remove(key) else { continue };
            // Its queue entry goes too: the queues would otherwise keep one
            // per known URL (stale entries are only dropped when due).
            if let (Some(queued), Ok(url)) = (candidate(key, &state), Url::parse(key)) {
                self.queues.remove(&host_key(&url), &queued);
            }
            self.evicted.entry(state.site_id.clone()).or_default().tally(&state, 1);
        }
        self.evictions += cold.len() as u64;
        cold.len()
    }

    /// The keys an update would read that are not in memory: the page it is
    /// about and the links it has. Known ones are in the status index.
    /// None while nothing was ever evicted: memory then holds every known URL.
    pub fn unknown_keys(&self, links: &DiscoveredLinks) -> Vec<String> {
        if self.evictions == 0 {
            return Vec::new();
        }
        let job = links.job.iter().map(|j| j.url.as_str());
        job.chain(links.links.iter().map(|l| l.url.as_str()))
            .filter_map(|u| Some(canonical(&Url::parse(u).ok()?).to_string()))
            .filter(|key| !self.urls.contains_key(key))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect()
    }

    /// Takes back entries read from the status index (evicted ones looked
    /// up, or due soon). What memory holds is newer and stays.
    pub fn warm(&mut self, states: impl IntoIterator<Item = UrlState>) {
        for state in states {
            let Ok(url) = Url::parse(&state.url) else {
                continue;
            };
            let key = canonical(&url).to_string();
            if self.urls.contains_key(&key) {
                continue;
            }
            if let Some(evicted) = self.evicted.get_mut(&state.site_id) {
                evicted.tally(&state, -1);
            }
            self.urls.insert(key.clone(), state);
            self.enqueue(&key);
        }
    }

    /// Entries in memory (the rest are in the status index).
    pub fn in_memory(&self) -> usize {
        self.urls.len()
    }

    /// Whether this frontier leaves entries to the index (a continuous
    /// crawl does; a one-off crawl holds all).
    pub fn evicts(&self) -> bool {
        self.mode == Mode::Continuous
    }

    /// Whether memory holds the entry of `url` (in any spelling).
    pub fn holds(&self, url: &str) -> bool {
        self.get(url).is_some()
    }

    /// Entries evicted since start, counted each time.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// Entries changed since the last call, for persistence.
    pub fn take_dirty(&mut self) -> Vec<UrlState> {
        let keys: Vec<String> = self.dirty.drain().collect();
        keys.into_iter().filter_map(|k| self.urls.get(&k).cloned()).collect()
    }

    /// A copy of every entry.
    pub fn all_states(&self) -> Vec<UrlState> {
        self.urls.values().cloned().collect()
    }

    /// Every entry, to be saved again: the store lost some it had
    /// acknowledged (see `Bus::connections`).
    pub fn mark_all_dirty(&mut self) {
        self.dirty.extend(self.urls.keys().cloned());
    }

    /// Entries taken by [`Frontier::take_dirty`] whose save failed: saved
    /// with the next batch instead.
    pub fn unsaved(&mut self, states: &[UrlState]) {
        for state in states {
            if let Ok(url) = Url::parse(&state.url) {
                self.dirty.insert(canonical(&url).to_string());
            }
        }
    }

    /// The entry of `url`, in any spelling.
    pub fn get(&self, url: &str) -> Option<&UrlState> {
        let key = canonical(&Url::parse(url).ok()?).to_string();
        self.urls.get(&key)
    }

    pub fn stats(&self) -> BTreeMap<String, SiteStats> {
        let mut stats: BTreeMap<String, SiteStats> =
            self.sites.keys().map(|k| (k.clone(), SiteStats::default())).collect();
        let known = self.urls.values().filter(|s| self.sites.contains_key(&s.site_id));
        for (site, site_stats) in stats_of(known) {
            stats.insert(site, site_stats);
        }
        for (site, evicted) in &self.evicted {
            if let Some(s) = stats.get_mut(site) {
                s.merge(evicted);
            }
        }
        for (site, reasons) in &self.trap_links {
            if let Some(s) = stats.get_mut(site) {
                s.trap_links = reasons.clone();
            }
        }
        stats
    }
}

/// How `state` (of `key`) is queued for its host, if it will be due.
fn candidate(key: &str, state: &UrlState) -> Option<Candidate> {
    let due = state.next_due_ms.filter(|_| state.status != UrlStatus::InFlight)?;
    Some((
        state.kind() != PageKind::Robots,
        !report_like(&state.anchor_text),
        due,
        key.to_string(),
    ))
}

/// Whether the queued entry `c` still says what its URL's state says (a
/// stale one is dropped), and the URL is of a site being crawled.
fn is_live(c: &Candidate, urls: &HashMap<String, UrlState>, sites: &HashMap<String, Site>) -> bool {
    urls.get(&c.3).is_some_and(|state| {
        state.status != UrlStatus::InFlight
            && state.next_due_ms == Some(c.2)
            && (state.kind() != PageKind::Robots) == c.0
            && report_like(&state.anchor_text) != c.1
            && sites.contains_key(&state.site_id)
    })
}

fn job_of(state: &UrlState, scheduled_at_ms: i64, host_delay_ms: u64, division_code: String) -> FetchJob {
    FetchJob {
        url: state.url.clone(),
        site_id: state.site_id.clone(),
        kind: state.kind,
        depth: state.depth,
        etag: state.etag.clone(),
        last_modified: state.last_modified.clone(),
        referrer: state.referrer.clone(),
        anchor_text: state.anchor_text.clone(),
        scheduled_at_ms,
        host_delay_ms,
        division_code,
        found_on: state.found_on.clone(),
    }
}

/// Per-site counts over frontier entries (as loaded from the bucket by
/// `townreports status`, or held by a running frontier).
pub fn stats_of<'a>(states: impl IntoIterator<Item = &'a UrlState>) -> BTreeMap<String, SiteStats> {
    let mut stats: BTreeMap<String, SiteStats> = BTreeMap::new();
    for state in states {
        stats.entry(state.site_id.clone()).or_default().tally(state, 1);
    }
    stats
}

impl SiteStats {
    /// Counts `state` in (`delta` 1) or out (-1). Counted out, a state
    /// leaves the latest success and the earliest next visit as they were:
    /// an evicted entry counted out again is back in memory, where the
    /// merged figures find the same times.
    fn tally(&mut self, state: &UrlState, delta: isize) {
        fn add(n: &mut usize, delta: isize) {
            *n = n.saturating_add_signed(delta);
        }
        fn add_to(map: &mut BTreeMap<String, usize>, key: &str, delta: isize) {
            let n = map.entry(key.to_string()).or_default();
            add(n, delta);
            if *n == 0 {
                map.remove(key);
            }
        }
        add(&mut self.known, delta);
        let fetches = u64::from(state.fetches);
        self.fetches = if delta < 0 {
            self.fetches.saturating_sub(fetches)
        } else {
            self.fetches + fetches
        };
        match state.status {
            UrlStatus::Fetched | UrlStatus::NotModified => {
                add(&mut self.fetched, delta);
                if !state.attachment_format.is_empty() {
                    add_to(&mut self.attachments_read, &state.attachment_format, delta);
                }
                if delta > 0 {
                    self.last_success_ms = self.last_success_ms.max(state.last_fetch_ms);
                }
            }
            UrlStatus::Pending => add(&mut self.pending, delta),
            UrlStatus::InFlight => add(&mut self.in_flight, delta),
            UrlStatus::Blocked => {
                add(&mut self.blocked, delta);
                add_to(&mut self.blocked_by, &state.error_message, delta);
            }
            UrlStatus::Disallowed => add(&mut self.disallowed, delta),
            UrlStatus::Unsupported => add_to(&mut self.unsupported, &state.error_class, delta),
            UrlStatus::ImageOnly => add_to(&mut self.image_only, &state.error_class, delta),
            UrlStatus::NotFound | UrlStatus::Refused | UrlStatus::Failed => {
                let class = if state.error_class.is_empty() {
                    format!("{:?}", state.status).to_lowercase()
                } else {
                    state.error_class.clone()
                };
                add_to(&mut self.failed_by_class, &class, delta);
            }
        }
        if let Some(Discovered::County {
            findings,
            gone,
            not_found,
        }) = &state.discovery
        {
            // (Entries with findings are never evicted: only counted in.)
            self.townships += findings.townships.len();
            self.not_found.extend(not_found.iter().cloned());
            self.unresolved
                .extend(findings.unresolved.iter().map(|u| u.name.clone()));
            self.gone.extend(gone.iter().map(|g| g.name.clone()));
        }
        if delta > 0
            && let Some(due) = state.next_due_ms
        {
            self.next_visit_ms = Some(self.next_visit_ms.map_or(due, |n| n.min(due)));
        }
    }

    /// Adds the counts of `other` (entries held elsewhere) to these.
    fn merge(&mut self, other: &SiteStats) {
        fn merge_map(into: &mut BTreeMap<String, usize>, from: &BTreeMap<String, usize>) {
            for (k, n) in from {
                *into.entry(k.clone()).or_default() += n;
            }
        }
        self.known += other.known;
        self.fetches += other.fetches;
        self.fetched += other.fetched;
        self.pending += other.pending;
        self.in_flight += other.in_flight;
        self.blocked += other.blocked;
        self.disallowed += other.disallowed;
        merge_map(&mut self.blocked_by, &other.blocked_by);
        merge_map(&mut self.attachments_read, &other.attachments_read);
        merge_map(&mut self.unsupported, &other.unsupported);
        merge_map(&mut self.image_only, &other.image_only);
        merge_map(&mut self.failed_by_class, &other.failed_by_class);
        self.last_success_ms = self.last_success_ms.max(other.last_success_ms);
        self.next_visit_ms = match (self.next_visit_ms, other.next_visit_ms) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// What the parser made of an attachment: read (its format), image-only
/// or not read (format and reason), for the per-site counts.
fn note_attachment(state: &mut UrlState, links: &DiscoveredLinks) {
    if !links.read_format.is_empty() {
        state.attachment_format = links.read_format.clone();
    } else if !links.image_only_format.is_empty() {
        state.status = UrlStatus::ImageOnly;
        state.error_class = links.image_only_format.clone();
    } else if !links.unsupported_format.is_empty() {
        state.status = UrlStatus::Unsupported;
        state.error_class = links.unsupported_format.clone();
        state.error_message = links.unsupported_reason.clone();
    }
}

/// Nutch's adaptive schedule: a page that changed is visited sooner (×0.8),
/// one that did not, later (×1.4), within [configured/8, configured×8].
pub fn adapt_interval(current_ms: i64, changed: bool, configured: Duration) -> i64 {
    let configured = configured.as_millis() as i64;
    let next = if changed {
        current_ms as f64 * 0.8
    } else {
        current_ms as f64 * 1.4
    };
    (next as i64).clamp((configured / 8).max(1_000), configured.saturating_mul(8))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn sites(min_delay: &str) -> SitesFile {
        SitesFile::parse(
            &format!(
                r#"
[fetch]
allow_private_networks = ["127.0.0.0/8"]
min_delay = "{min_delay}"
[[site]]
id = "a"
name = "甲镇"
start_urls = ["http://127.0.0.1:1000/list/index.html"]
revisit = "1h"
[[site]]
id = "b"
name = "乙镇"
start_urls = ["http://127.0.0.1:2000/"]
"#
            ),
            Path::new("t.toml"),
        )
        .unwrap()
    }

    fn outcome(job: &FetchJob, status: FetchStatus) -> FetchOutcome {
        FetchOutcome {
            job: Some(job.clone()),
            status: status as i32,
            http_status: 200,
            ..Default::default()
        }
    }

    #[test]
    fn index_rows_keep_a_host_in_one_partition_and_no_due_time_in_flight() {
        let mut f = Frontier::new(&sites("0s"), Mode::Continuous);
        f.seed(0);
        let jobs = f.due_jobs(0, 100);
        let states = f.take_dirty();
        let rows: Vec<FrontierRow> = states.iter().map(|s| s.index_row().unwrap()).collect();
        assert_eq!(rows.len(), 4, "two start URLs, two robots.txt");
        for row in &rows {
            let host = host_key(&Url::parse(&row.key).unwrap());
            assert_eq!(row.partition, partition_of(&host));
            assert!((0..PARTITIONS as i64).contains(&row.partition));
            let state: UrlState = serde_json::from_str(&row.state).unwrap();
            assert_eq!(state.url, row.key);
            let dispatched = jobs.iter().any(|j| j.url == row.key);
            assert_eq!(row.status == "in_flight", dispatched, "{row:?}");
            assert_eq!(row.due_ms.is_none(), dispatched, "{row:?}");
        }
        // The same host is always the same partition; hosts spread.
        assert_eq!(partition_of("127.0.0.1:1000"), partition_of("127.0.0.1:1000"));
        let spread: HashSet<i64> = (0..1000).map(|i| partition_of(&format!("h{i}.gov.cn"))).collect();
        assert_eq!(spread.len(), PARTITIONS as usize);
    }

    #[test]
    fn evicted_entries_keep_their_counts_and_come_back_as_they_were() {
        let (mut f, list) = list_fetched(Mode::Continuous);
        let arts = [
            ("http://127.0.0.1:1000/art/1.html", PageKind::Article),
            ("http://127.0.0.1:1000/art/2.html", PageKind::Article),
        ];
        f.on_links(&links(&list, "h", &arts), 0);
        let mut now = 0;
        while let Some(job) = f.due_jobs(now, 10).into_iter().find(|j| j.kind() == PageKind::Article) {
            let status = if job.url.ends_with("1.html") {
                FetchStatus::Ok
            } else {
                FetchStatus::Blocked
            };
            f.on_outcome(&outcome(&job, status), now);
            now += 1;
        }
        let saved = f.take_dirty();
        let before = f.stats();
        let held = f.in_memory();
        // The list waits for its revisit (an hour), blocked backs off an
        // hour, fetched waits for its recheck; robots.txt stays.
        assert_eq!(f.evict_cold(now, Duration::from_secs(60)), 3);
        assert_eq!(f.in_memory(), held - 3);
        assert_eq!(f.stats()["a"], before["a"]);
        let unknown = f.unknown_keys(&links(&list, "h", &arts));
        assert_eq!(unknown.len(), 3, "the list and its articles: {unknown:?}");
        // (What memory holds stays as it is.)
        f.warm(saved);
        assert_eq!(f.in_memory(), held);
        assert_eq!(f.stats()["a"], before["a"]);
        assert!(f.unknown_keys(&links(&list, "h", &arts)).is_empty());
        // A one-off crawl's summary counts what it holds: it evicts nothing.
        let mut once = Frontier::new(&sites("0s"), Mode::Once);
        once.seed(0);
        assert_eq!(once.evict_cold(i64::MAX / 2, Duration::ZERO), 0);
    }

    /// A frontier (no delay) whose site `a` list has been fetched at 0,
    /// and that list's job.
    fn list_fetched(mode: Mode) -> (Frontier, FetchJob) {
        let mut f = Frontier::new(&sites("0s"), mode);
        f.seed(0);
        answer_robots(&mut f, 0, None);
        let list = f.due_jobs(0, 10).into_iter().find(|j| j.site_id == "a").unwrap();
        f.on_outcome(&outcome(&list, FetchStatus::Ok), 0);
        (f, list)
    }

    /// Hands out and answers every host's robots.txt at `now` (`None`: 404).
    fn answer_robots(f: &mut Frontier, now: i64, body: Option<&str>) {
        let jobs = f.due_jobs(now, 100);
        assert!(
            !jobs.is_empty() && jobs.iter().all(|j| j.kind() == PageKind::Robots),
            "{jobs:?}"
        );
        for job in jobs {
            let mut o = outcome(
                &job,
                if body.is_some() {
                    FetchStatus::Ok
                } else {
                    FetchStatus::NotFound
                },
            );
            o.http_status = if body.is_some() { 200 } else { 404 };
            o.robots_txt = body.unwrap_or("").as_bytes().to_vec();
            f.on_outcome(&o, now);
        }
    }

    fn links(job: &FetchJob, hash: &str, urls: &[(&str, PageKind)]) -> DiscoveredLinks {
        DiscoveredLinks {
            job: Some(job.clone()),
            clean_text_sha256: hash.into(),
            links: urls
                .iter()
                .map(|(u, k)| Link {
                    url: u.to_string(),
                    kind: *k as i32,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn one_request_per_host_and_the_delay_between() {
        let mut f = Frontier::new(&sites("1s"), Mode::Once);
        f.seed(0);
        answer_robots(&mut f, 0, None);
        assert!(f.due_jobs(500, 10).is_empty(), "the delay follows robots.txt too");
        let jobs = f.due_jobs(1_000, 10);
        assert_eq!(jobs.len(), 2, "one per host");
        assert!(f.due_jobs(1_000, 10).is_empty(), "both hosts busy");

        let a = jobs.iter().find(|j| j.site_id == "a").unwrap();
        assert_eq!(a.url, "http://127.0.0.1:1000/list/index.html", "fetched as written");
        f.on_outcome(&outcome(a, FetchStatus::Ok), 100);
        f.on_links(
            &links(
                a,
                "h1",
                &[
                    ("http://127.0.0.1:1000/list/index_1.html", PageKind::List),
                    ("http://127.0.0.1:1000/list/", PageKind::List),
                    ("http://127.0.0.1:1000/art/1.html#x", PageKind::Article),
                    ("http://127.0.0.1:1000/art/1.html", PageKind::Article),
                    ("http://elsewhere.example/art/2.html", PageKind::Article),
                ],
            ),
            100,
        );
        assert_eq!(
            f.stats()["a"].known,
            4,
            "deduplicated, off-site dropped (robots.txt is the fourth)"
        );
        assert!(f.due_jobs(500, 10).is_empty(), "host a waits its delay");
        let next = f.due_jobs(1_100, 10);
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].depth, 1);
        assert!(!f.is_idle(1_100));
    }

    #[test]
    fn once_mode_finishes_and_a_new_round_revisits_only_lists() {
        let mut f = Frontier::new(&sites("0s"), Mode::Once);
        f.seed(0);
        answer_robots(&mut f, 0, None);
        let mut now = 0;
        while !f.is_idle(now) {
            now += 1;
            for job in f.due_jobs(now, 10) {
                f.on_outcome(&outcome(&job, FetchStatus::Ok), now);
                if job.kind == PageKind::List as i32 {
                    f.on_links(
                        &links(&job, "h", &[("http://127.0.0.1:1000/art/1.html", PageKind::Article)]),
                        now,
                    );
                }
            }
            assert!(now < 100, "bounded");
        }
        assert_eq!(f.stats()["a"].fetched, 2, "{:?}", f.stats());
        // A restart in once mode: the lists are due again, the article is not.
        let saved: Vec<UrlState> = f.urls.values().cloned().collect();
        let mut g = Frontier::new(&sites("0s"), Mode::Once);
        g.restore(saved);
        g.seed(1_000);
        let jobs = g.due_jobs(1_000, 10);
        assert_eq!(jobs.len(), 2);
        assert!(jobs.iter().all(|j| j.kind == PageKind::List as i32));
    }

    #[test]
    fn continuous_mode_adapts_list_revisits() {
        let mut f = Frontier::new(&sites("0s"), Mode::Continuous);
        f.seed(0);
        answer_robots(&mut f, 0, None);
        let job = f.due_jobs(0, 10).into_iter().find(|j| j.site_id == "a").unwrap();
        f.on_outcome(&outcome(&job, FetchStatus::Ok), 10);
        f.on_links(&links(&job, "h1", &[]), 10);
        let hour = 3_600_000;
        assert_eq!(f.get(&job.url).unwrap().next_due_ms, Some(10 + hour));
        // Unchanged: later; changed: sooner.
        let job = FetchJob {
            scheduled_at_ms: 10 + hour,
            ..job
        };
        f.on_outcome(&outcome(&job, FetchStatus::Ok), 10 + hour);
        f.on_links(&links(&job, "h1", &[]), 10 + hour);
        assert_eq!(f.get(&job.url).unwrap().revisit_ms, (hour as f64 * 1.4) as i64);
        f.on_outcome(&outcome(&job, FetchStatus::Ok), 20 + 2 * hour);
        f.on_links(&links(&job, "h2", &[]), 20 + 2 * hour);
        assert_eq!(f.get(&job.url).unwrap().revisit_ms, (hour as f64 * 1.4 * 0.8) as i64);
    }

    #[test]
    fn failures_back_off_and_retry_after_is_honoured() {
        let mut f = Frontier::new(&sites("1s"), Mode::Continuous);
        f.seed(0);
        answer_robots(&mut f, 0, None);
        let job = f.due_jobs(1_000, 10).into_iter().find(|j| j.site_id == "a").unwrap();
        let mut o = outcome(&job, FetchStatus::Failed);
        o.retry_after_ms = 60_000;
        o.error_class = "http_503".into();
        f.on_outcome(&o, 0);
        let st = f.get(&job.url).unwrap();
        assert_eq!(st.failures, 1);
        assert_eq!(st.next_due_ms, Some(2 * 3_600_000));
        assert_eq!(f.stats()["a"].failed_by_class["http_503"], 1);
    }

    #[test]
    fn depth_and_page_limits_hold() {
        let mut file = sites("0s");
        for site in &mut file.sites {
            site.max_depth = 1;
            site.max_pages = 3;
        }
        let mut f = Frontier::new(&file, Mode::Once);
        f.seed(0);
        answer_robots(&mut f, 0, None);
        let job = f.due_jobs(0, 10).into_iter().find(|j| j.site_id == "a").unwrap();
        let many: Vec<(String, PageKind)> = (0..10)
            .map(|i| (format!("http://127.0.0.1:1000/a/{i}.html"), PageKind::Article))
            .collect();
        let refs: Vec<(&str, PageKind)> = many.iter().map(|(u, k)| (u.as_str(), *k)).collect();
        f.on_links(&links(&job, "h", &refs), 0);
        assert_eq!(f.stats()["a"].known, 3, "the limit counts robots.txt and the list too");
        let deep = FetchJob { depth: 1, ..job };
        f.on_links(
            &links(&deep, "h", &[("http://127.0.0.1:1000/deeper.html", PageKind::Article)]),
            0,
        );
        assert!(f.get("http://127.0.0.1:1000/deeper.html").is_none());
    }

    #[test]
    fn jobs_not_sent_are_due_again_and_failed_saves_are_retried() {
        let mut f = Frontier::new(&sites("0s"), Mode::Continuous);
        f.seed(0);
        answer_robots(&mut f, 0, None);
        let jobs = f.due_jobs(0, 10);
        assert!(!jobs.is_empty());
        // Saving them failed: reverted, they are due at once, host free.
        for job in &jobs {
            f.revert(job);
        }
        assert_eq!(f.due_jobs(1, 10).len(), jobs.len());
        let states = f.take_dirty();
        assert!(!states.is_empty());
        assert!(f.take_dirty().is_empty());
        f.unsaved(&states[1..]);
        assert_eq!(f.take_dirty().len(), states.len() - 1);
        // The store lost what it had acknowledged: everything again.
        assert!(f.take_dirty().is_empty());
        f.mark_all_dirty();
        let again = f.take_dirty();
        assert_eq!(again.len(), f.urls.len());
        assert!(again.len() >= states.len());
    }

    #[test]
    fn dispatches_survive_a_restart_without_double_fetching() {
        let mut f = Frontier::new(&sites("0s"), Mode::Continuous);
        f.seed(0);
        answer_robots(&mut f, 0, None);
        let jobs = f.due_jobs(0, 10);
        let saved = f.take_dirty();
        let mut g = Frontier::new(&sites("0s"), Mode::Continuous);
        g.restore(saved);
        g.seed(5);
        assert!(g.due_jobs(5, 10).is_empty(), "in flight before the restart");
        for job in &jobs {
            g.on_outcome(&outcome(job, FetchStatus::Ok), 6);
        }
        assert!(g.is_idle(7));
        // A lost job is rescheduled after its lease.
        let mut h = Frontier::new(&sites("0s"), Mode::Continuous);
        h.seed(0);
        h.due_jobs(0, 10);
        assert_eq!(h.due_jobs(IN_FLIGHT_LEASE.as_millis() as i64 + 1, 10).len(), 2);
    }

    #[test]
    fn robots_txt_comes_first_and_its_rules_and_delay_hold() {
        let mut f = Frontier::new(&sites("1s"), Mode::Once);
        f.seed(0);
        let first = f.due_jobs(0, 10);
        assert!(first.iter().all(|j| j.url.ends_with("/robots.txt")), "{first:?}");
        // Host a forbids /private/ and asks for 3 s; host b's robots.txt fails.
        let a = first.iter().find(|j| j.site_id == "a").unwrap();
        let mut o = outcome(a, FetchStatus::Ok);
        o.robots_txt = b"User-agent: *\nDisallow: /private/\nCrawl-delay: 3\n".to_vec();
        f.on_outcome(&o, 0);
        let b = first.iter().find(|j| j.site_id == "b").unwrap();
        let mut o = outcome(b, FetchStatus::Failed);
        o.http_status = 503;
        f.on_outcome(&o, 0);

        assert!(f.due_jobs(2_000, 10).is_empty(), "crawl-delay 3 s beats min_delay 1 s");
        let list = f.due_jobs(3_000, 10);
        assert_eq!(
            list.len(),
            1,
            "host b holds back while its robots.txt is unavailable: {list:?}"
        );
        f.on_outcome(&outcome(&list[0], FetchStatus::Ok), 3_000);
        f.on_links(
            &links(
                &list[0],
                "h",
                &[
                    ("http://127.0.0.1:1000/private/secret.html", PageKind::Article),
                    ("http://127.0.0.1:1000/art/1.html", PageKind::Article),
                ],
            ),
            3_000,
        );
        let next = f.due_jobs(6_000, 10);
        assert_eq!(next.len(), 1);
        assert!(next[0].url.ends_with("/art/1.html"), "{next:?}");
        f.on_outcome(&outcome(&next[0], FetchStatus::Ok), 6_000);
        assert!(f.due_jobs(9_000, 10).is_empty(), "the rest is disallowed");
        assert_eq!(
            f.get("http://127.0.0.1:1000/private/secret.html").unwrap().status,
            UrlStatus::Disallowed
        );
        assert!(f.is_idle(10_000), "a one-off crawl ends though host b never answered");
        let stats = f.stats();
        assert_eq!(stats["a"].disallowed, 1);
        assert_eq!(stats["b"].fetched, 0);
    }

    #[test]
    fn links_that_name_a_report_go_first() {
        let (mut f, list) = list_fetched(Mode::Once);
        let mut found = links(
            &list,
            "h",
            &[
                ("http://127.0.0.1:1000/a/1.html", PageKind::Article),
                ("http://127.0.0.1:1000/a/2.html", PageKind::Article),
            ],
        );
        found.links[1].anchor_text = "某某镇2023年政府工作报告".into();
        f.on_links(&found, 0);
        let next = f.due_jobs(1, 10);
        assert!(next[0].url.ends_with("/a/2.html"), "{next:?}");
    }

    #[test]
    fn robots_rules_survive_a_restart() {
        let mut f = Frontier::new(&sites("0s"), Mode::Once);
        f.seed(0);
        answer_robots(&mut f, 0, Some("User-agent: *\nDisallow: /list/\n"));
        let saved: Vec<UrlState> = f.urls.values().cloned().collect();
        let mut g = Frontier::new(&sites("0s"), Mode::Once);
        g.restore(saved);
        g.seed(10);
        let jobs = g.due_jobs(10, 10);
        assert!(
            jobs.iter().all(|j| j.site_id == "b"),
            "a's list is disallowed: {jobs:?}"
        );
        assert_eq!(
            g.get("http://127.0.0.1:1000/list/index.html").unwrap().status,
            UrlStatus::Disallowed
        );
    }

    #[test]
    fn traps_and_unsupported_attachments_are_counted() {
        let mut f = Frontier::new(&sites("0s"), Mode::Once);
        f.seed(0);
        answer_robots(&mut f, 0, None);
        let job = f.due_jobs(0, 10).into_iter().find(|j| j.site_id == "a").unwrap();
        let calendar: Vec<String> = (1..=60)
            .map(|d| {
                format!(
                    "http://127.0.0.1:1000/cal/2024-{:02}-{:02}.html",
                    1 + d / 28,
                    1 + d % 28
                )
            })
            .collect();
        let mut found: Vec<(&str, PageKind)> = calendar.iter().map(|u| (u.as_str(), PageKind::List)).collect();
        found.push(("http://127.0.0.1:1000/a/b/a/b/a/b/x.html", PageKind::Article));
        found.push(("http://127.0.0.1:1000/files/old.doc", PageKind::Attachment));
        f.on_links(&links(&job, "h", &found), 0);
        let stats = &f.stats()["a"];
        assert_eq!(stats.trap_links["calendar"], 60 - traps::MAX_CALENDAR_PAGES);
        assert_eq!(stats.trap_links["repeating_path"], 1);

        let doc = FetchJob {
            url: "http://127.0.0.1:1000/files/old.doc".into(),
            kind: PageKind::Attachment as i32,
            ..job.clone()
        };
        f.on_outcome(&outcome(&doc, FetchStatus::Ok), 1);
        f.on_links(
            &DiscoveredLinks {
                unsupported_format: "doc".into(),
                unsupported_reason: "no WordDocument stream".into(),
                ..links(&doc, "x", &[])
            },
            1,
        );
        assert_eq!(f.stats()["a"].unsupported["doc"], 1);
        assert_eq!(f.urls[&doc.url].error_message, "no WordDocument stream");

        let read = |url: &str| FetchJob {
            url: url.into(),
            kind: PageKind::Attachment as i32,
            ..doc.clone()
        };
        let (ofd, scan) = (
            read("http://127.0.0.1:1000/files/r.ofd"),
            read("http://127.0.0.1:1000/files/s.pdf"),
        );
        let attachments: Vec<(&str, PageKind)> = [&ofd, &scan]
            .iter()
            .map(|j| (j.url.as_str(), PageKind::Attachment))
            .collect();
        f.on_links(&links(&job, "h2", &attachments), 2);
        for (job, links_of) in [
            (
                &ofd,
                DiscoveredLinks {
                    read_format: "ofd".into(),
                    ..links(&ofd, "o", &[])
                },
            ),
            (
                &scan,
                DiscoveredLinks {
                    image_only_format: "pdf".into(),
                    ..links(&scan, "s", &[])
                },
            ),
        ] {
            f.on_outcome(&outcome(job, FetchStatus::Ok), 3);
            f.on_links(&links_of, 3);
        }
        let stats = &f.stats()["a"];
        assert_eq!(stats.attachments_read["ofd"], 1);
        assert_eq!(stats.image_only["pdf"], 1);
        assert_eq!(stats.unsupported.len(), 1);
    }

    #[test]
    fn a_page_of_ten_thousand_links_stops_at_the_page_limit() {
        let mut file = sites("0s");
        file.sites[0].max_pages = 100;
        let mut f = Frontier::new(&file, Mode::Once);
        f.seed(0);
        answer_robots(&mut f, 0, None);
        let job = f.due_jobs(0, 10).into_iter().find(|j| j.site_id == "a").unwrap();
        let urls: Vec<String> = (0..10_000)
            .map(|i| format!("http://127.0.0.1:1000/2024/t20240101_{i}.html"))
            .collect();
        let found: Vec<(&str, PageKind)> = urls.iter().map(|u| (u.as_str(), PageKind::Article)).collect();
        let started = std::time::Instant::now();
        f.on_links(&links(&job, "h", &found), 0);
        let took = started.elapsed();
        assert_eq!(f.stats()["a"].known, 100, "robots.txt, the list and 98 links");
        assert!(
            f.get(&urls[97]).is_some() && f.get(&urls[98]).is_none(),
            "the page's first links are kept"
        );
        // The same page again, or another one, adds nothing past the limit.
        f.on_links(&links(&job, "h", &found[5_000..]), 1);
        assert_eq!(f.stats()["a"].known, 100);
        assert_eq!(f.stats()["b"].known, 2, "the other site is untouched");
        assert!(took < Duration::from_secs(5), "10,000 links took {took:?}");
    }

    #[test]
    fn urls_longer_than_the_limit_are_not_added() {
        let mut f = Frontier::new(&sites("0s"), Mode::Once);
        f.seed(0);
        answer_robots(&mut f, 0, None);
        let job = f.due_jobs(0, 10).into_iter().find(|j| j.site_id == "a").unwrap();
        let base = "http://127.0.0.1:1000/";
        let at_limit = format!("{base}{}", "a".repeat(townreports_proto::MAX_URL_BYTES - base.len()));
        let over = format!("{at_limit}b");
        let huge = format!("{base}search?q={}", "x".repeat(100_000));
        f.on_links(
            &links(
                &job,
                "h",
                &[
                    (&at_limit, PageKind::Article),
                    (&over, PageKind::Article),
                    (&huge, PageKind::List),
                ],
            ),
            0,
        );
        assert!(f.get(&at_limit).is_some(), "a URL at the limit is kept");
        assert!(f.get(&over).is_none() && f.get(&huge).is_none());
        assert_eq!(f.stats()["a"].trap_links["long_url"], 2);
    }

    /// Day `n` after 2024-01-01, as `YYYY-MM-DD`.
    fn day(n: u32) -> String {
        let (mut year, mut n) = (2024, n);
        loop {
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
            let lengths = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
            for (month, length) in lengths.into_iter().enumerate() {
                if n < length {
                    return format!("{year}-{:02}-{:02}", month + 1, n + 1);
                }
                n -= length;
            }
            year += 1;
        }
    }

    #[test]
    fn a_crawl_into_an_endless_calendar_ends() {
        // The fault portal's calendar: every day lists the next three and
        // pages on to the next, forever. The crawl follows whatever is due
        // until the frontier is idle. No depth limit: the calendar rule alone
        // must end it.
        let mut file = sites("0s");
        file.sites[0].max_depth = 1_000;
        let mut f = Frontier::new(&file, Mode::Once);
        f.seed(0);
        answer_robots(&mut f, 0, None);
        let mut calendar_fetches = 0;
        let mut now = 0;
        while !f.is_idle(now) {
            now += 1;
            assert!(now < 1_000, "the calendar never ended: {calendar_fetches} days fetched");
            for job in f.due_jobs(now, 10) {
                f.on_outcome(&outcome(&job, FetchStatus::Ok), now);
                let next: Vec<(String, PageKind)> = match job.url.rsplit_once("/cal/") {
                    Some((_, page)) => {
                        calendar_fetches += 1;
                        let today = (0..1_000).find(|n| page == format!("{}.html", day(*n))).unwrap();
                        (1..=3)
                            .map(|d| {
                                (
                                    format!("http://127.0.0.1:1000/cal/{}.html", day(today + d)),
                                    PageKind::Article,
                                )
                            })
                            .chain([(
                                format!("http://127.0.0.1:1000/cal/{}.html", day(today + 1)),
                                PageKind::List,
                            )])
                            .collect()
                    }
                    None if job.kind() == PageKind::List => {
                        vec![(format!("http://127.0.0.1:1000/cal/{}.html", day(0)), PageKind::List)]
                    }
                    None => Vec::new(),
                };
                let refs: Vec<(&str, PageKind)> = next.iter().map(|(u, k)| (u.as_str(), *k)).collect();
                f.on_links(&links(&job, "h", &refs), now);
            }
        }
        assert_eq!(
            calendar_fetches,
            traps::MAX_CALENDAR_PAGES,
            "a month of days, then no more"
        );
        assert!(f.stats()["a"].trap_links["calendar"] > 0);
        assert_eq!(day(365), "2024-12-31");
        assert_eq!(day(366), "2025-01-01");
    }
}
