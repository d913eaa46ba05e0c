//! Frontier benchmark: synthetic URLs and outcomes, no fetching.
//!
//! `BENCH_URLS` known URLs (default 1,000,000) on `BENCH_HOSTS` hosts
//! (default 100,000; one site each, a robots.txt already answered, a list
//! page and articles), of which `BENCH_DUE_PERCENT` (default 5) are due now
//! and the rest over the next 30 days, as in a crawl that has run a while.
//! Prints the time to restore them into a frontier (what a scheduler does
//! at start once the entries are read), the process's resident memory, and
//! the rate of dispatch decisions: `due_jobs` hands out what is due and
//! polite, each job is answered at once with a fetched outcome (revisit
//! and politeness applied), and the clock moves on 50 ms per round, the
//! dispatcher's tick.
//!
//! Then `BENCH_BUCKET` entries (default 100,000) are written to the
//! frontier's key-value bucket on a private nats-server and read back as a
//! scheduler reads them at start, timed.
//!
//! With `BENCH_DUE_WINDOW` (`10m`) the entries are restored in chunks and
//! what is not due within the window evicted after each, as the running
//! scheduler's memory sweeps leave it (the rest is in the status index).
//!
//! `cargo bench -p townreports-scheduler --bench frontier`. Under
//! `cargo test` it runs with 20,000 URLs on 200 hosts and 1,000 bucket
//! entries as a smoke test.

use std::time::{Duration, Instant};

use futures::StreamExt;
use townreports_proto::v1::{FetchOutcome, FetchStatus, PageKind};
use townreports_scheduler::frontier::{Frontier, Mode, UrlState, UrlStatus};
use townreports_scheduler::worker::{FRONTIER_BUCKET, load_states};
use townreports_sites::{FetchSettings, Site, SitesFile};
use url::Url;

const DAY_MS: i64 = 24 * 3600 * 1000;
/// The dispatcher's tick and batch (see `worker`).
const TICK_MS: i64 = 50;
const BATCH: usize = 200;
/// Entries restored between two evictions under `BENCH_DUE_WINDOW`.
const RESTORE_CHUNK: usize = 10_000;

struct Config {
    urls: usize,
    hosts: usize,
    due_percent: usize,
    decisions: usize,
    bucket: usize,
    /// `BENCH_DUE_WINDOW` (`10m`): restore in chunks, evicting after each
    /// what is not due within it, as a running scheduler's sweeps do.
    window: Option<Duration>,
}

impl Config {
    fn from_env() -> Config {
        let benching = std::env::args().any(|a| a == "--bench");
        let var = |name: &str, default: usize, smoke: usize| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.replace(['_', ','], "").parse().ok())
                .unwrap_or(if benching { default } else { smoke })
        };
        Config {
            urls: var("BENCH_URLS", 1_000_000, 20_000),
            hosts: var("BENCH_HOSTS", 100_000, 200),
            due_percent: var("BENCH_DUE_PERCENT", 5, 5),
            decisions: var("BENCH_DECISIONS", 200_000, 2_000),
            bucket: var("BENCH_BUCKET", 100_000, 1_000),
            window: std::env::var("BENCH_DUE_WINDOW")
                .ok()
                .map(|w| humantime::parse_duration(&w).expect("BENCH_DUE_WINDOW: a duration such as 10m")),
        }
    }
}

fn host_url(host: usize) -> String {
    format!("http://h{host}.example/")
}

fn sites(config: &Config) -> SitesFile {
    let sites = (0..config.hosts)
        .map(|h| {
            let start = Url::parse(&format!("{}list/", host_url(h))).expect("a valid URL");
            Site {
                id: format!("s{h}"),
                name: format!("镇{h}"),
                division_code: None,
                allowed_hosts: vec![start.host_str().unwrap_or_default().to_string()],
                start_urls: vec![start],
                revisit: Duration::from_secs(6 * 3600),
                recheck: Duration::from_secs(30 * 24 * 3600),
                max_depth: 8,
                max_pages: usize::MAX,
            }
        })
        .collect();
    SitesFile {
        fetch: FetchSettings {
            min_delay: Duration::from_secs(1),
            ..FetchSettings::default()
        },
        sites,
        counties: Vec::new(),
    }
}

/// The `i`-th URL's state: URL 0 of a host is its robots.txt (answered,
/// everything allowed), URL 1 its list page, the rest articles.
fn state(config: &Config, i: usize, now: i64) -> UrlState {
    let host = i % config.hosts;
    let nth = i / config.hosts;
    let (url, kind) = match nth {
        0 => (format!("{}robots.txt", host_url(host)), PageKind::Robots),
        1 => (format!("{}list/", host_url(host)), PageKind::List),
        n => (format!("{}art/{n}.html", host_url(host)), PageKind::Article),
    };
    // Spread deterministically: every (100 / due_percent)-th URL is due.
    let spread = (i as i64).wrapping_mul(2_654_435_761) % 1_000;
    let due = if (spread as usize) < config.due_percent * 10 {
        now - spread
    } else {
        now + 1 + spread * 30 * DAY_MS / 1_000
    };
    UrlState {
        url,
        site_id: format!("s{host}"),
        kind: kind as i32,
        depth: u32::from(nth > 1),
        referrer: String::new(),
        anchor_text: String::new(),
        status: UrlStatus::Fetched,
        next_due_ms: Some(due),
        dispatched_at_ms: None,
        last_fetch_ms: Some(now - DAY_MS),
        http_status: 200,
        etag: "\"5f3a-1a2b\"".into(),
        last_modified: "Mon, 02 Dec 2026 08:00:00 GMT".into(),
        text_sha256: "9f2c1e7a0b4d8e6f5a3c2b1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f".into(),
        revisit_ms: 6 * 3600 * 1000,
        fetches: 1,
        failures: 0,
        error_class: String::new(),
        error_message: String::new(),
        robots_txt: (kind == PageKind::Robots).then(|| "User-agent: *\nAllow: /\n".into()),
        attachment_format: String::new(),
        discovery: None,
        found_on: None,
    }
}

/// This process's resident memory in MiB (`VmRSS`).
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let config = Config::from_env();
    let now = 1_800_000_000_000i64;
    let sites = sites(&config);
    let before = rss_mib();

    let started = Instant::now();
    let mut frontier = Frontier::new(&sites, Mode::Continuous);
    match config.window {
        None => {
            frontier.restore((0..config.urls).map(|i| state(&config, i, now)));
            frontier.seed(now);
        }
        // (Not seeded: every start URL is among the restored entries, and
        // the scheduler seeds before its first eviction, as seeding takes
        // an evicted start URL for a new one.)
        Some(window) => {
            for chunk in (0..config.urls).collect::<Vec<_>>().chunks(RESTORE_CHUNK) {
                frontier.restore(chunk.iter().map(|&i| state(&config, i, now)));
                frontier.evict_cold(now, window);
            }
        }
    }
    drop(frontier.take_dirty());
    let restore = started.elapsed();
    let resident = rss_mib();
    let held = frontier.in_memory();

    let mut clock = now;
    let mut decisions = 0;
    let mut rounds = 0;
    let started = Instant::now();
    // Until the backlog of due URLs is handed out (a round with nothing
    // to hand out) or enough decisions are measured.
    while decisions < config.decisions {
        let jobs = frontier.due_jobs(clock, BATCH);
        if jobs.is_empty() {
            break;
        }
        for job in &jobs {
            let outcome = FetchOutcome {
                job: Some(job.clone()),
                status: FetchStatus::Ok as i32,
                http_status: 200,
                ..Default::default()
            };
            frontier.on_outcome(&outcome, clock);
        }
        decisions += jobs.len();
        drop(frontier.take_dirty());
        clock += TICK_MS;
        rounds += 1;
    }
    let dispatching = started.elapsed();
    assert!(decisions > 0, "nothing was dispatched: the bench's frontier is wrong");

    println!(
        "frontier: {} URLs on {} hosts ({} % due)",
        config.urls, config.hosts, config.due_percent
    );
    println!(
        "  restore {:.2} s ({:.0} URLs/s), resident {:.0} MiB ({:.0} MiB for the frontier, {:.0} bytes per known URL)",
        restore.as_secs_f64(),
        config.urls as f64 / restore.as_secs_f64(),
        resident,
        resident - before,
        (resident - before) * 1024.0 * 1024.0 / config.urls as f64
    );
    if let Some(window) = config.window {
        println!(
            "  due window {}: {held} entries in memory of {} known",
            humantime::format_duration(window),
            config.urls
        );
    }
    println!(
        "  dispatch {decisions} decisions in {rounds} rounds, {:.2} s: {:.0} decisions/s",
        dispatching.as_secs_f64(),
        decisions as f64 / dispatching.as_secs_f64()
    );
    println!("  peak resident {:.0} MiB", rss_mib());
    drop(frontier);
    load_from_bucket(&config, now);
}

/// Writes `config.bucket` entries to the frontier's bucket on a private
/// nats-server and times reading them back as a starting scheduler does.
fn load_from_bucket(config: &Config, now: i64) {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (_server, bus) = townreports_bus::testing::nats(dir.path()).await;
        let kv = bus.key_value(FRONTIER_BUCKET, 1).await.expect("the frontier's bucket");
        let puts = (0..config.bucket).map(|i| {
            let value = serde_json::to_vec(&state(config, i, now)).expect("JSON");
            let kv = kv.clone();
            async move { kv.put(format!("k{i:08}"), value.into()).await }
        });
        let mut puts = futures::stream::iter(puts).buffer_unordered(64);
        while let Some(put) = puts.next().await {
            put.expect("an entry saved");
        }
        let started = Instant::now();
        let states = load_states(&kv).await.expect("the entries read back");
        let elapsed = started.elapsed();
        assert_eq!(states.len(), config.bucket, "every entry read back");
        println!(
            "  bucket: {} entries read in {:.2} s ({:.0} entries/s)",
            config.bucket,
            elapsed.as_secs_f64(),
            config.bucket as f64 / elapsed.as_secs_f64()
        );
    });
}
