//! The frontier's status index at crawl scale, on each database:
//! `BENCH_URLS` rows (default 1,000,000) on 100,000 hosts in 64 host
//! partitions, each row's state about 600 bytes of JSON, 5 % due now.
//!
//! - fill: rows saved per second, in transactions of 5,000;
//! - start of one scheduler of three (21 partitions): its jobs in flight
//!   and its first due window (up to 2,000 URLs per partition), timed;
//! - dispatch: 20,000 due URLs marked in flight in transactions of 200 (the
//!   dispatcher's batch), rows per second;
//! - links: 100 keys of a page looked up at once, p50 and p99;
//! - the process's peak resident memory.
//!
//! `cargo bench -p townreports-store --bench frontier` (PostgreSQL: the
//! local server, or `TEST_DATABASE_URL`; `BENCH_BACKENDS=sqlite` for one).
//! Under `cargo test` it runs with 20,000 rows as a smoke test.

use std::time::{Duration, Instant};

use townreports_store::frontier::IN_FLIGHT;
use townreports_store::testing::{ScratchDatabase, on_sqlite};
use townreports_store::{FrontierRow, Location, Store};

const HOSTS: usize = 100_000;
const PARTITIONS: i64 = 64;
const NOW: i64 = 1_800_000_000_000;
const DAY_MS: i64 = 24 * 3600 * 1000;

fn row(i: usize) -> FrontierRow {
    let host = i % HOSTS;
    let key = format!("http://h{host}.example/art/{}.html", i / HOSTS);
    let spread = (i as i64).wrapping_mul(2_654_435_761).rem_euclid(1_000);
    let due = if spread < 50 {
        NOW - spread
    } else {
        NOW + spread * 30 * DAY_MS / 1_000
    };
    let state = format!(
        r#"{{"url":"{key}","site_id":"s{host}","kind":3,"depth":1,"referrer":"http://h{host}.example/list/","anchor_text":"关于印发2024年工作要点的通知","status":"fetched","next_due_ms":{due},"dispatched_at_ms":null,"last_fetch_ms":{},"http_status":200,"etag":"\"5f3a-1a2b\"","last_modified":"Mon, 02 Dec 2026 08:00:00 GMT","text_sha256":"9f2c1e7a0b4d8e6f5a3c2b1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f","revisit_ms":21600000,"fetches":1,"failures":0,"error_class":""}}"#,
        NOW - DAY_MS
    );
    FrontierRow {
        key,
        // The partition of the host, as the scheduler would hash it.
        partition: (host as i64).wrapping_mul(40_503) % PARTITIONS,
        site: format!("s{host}"),
        status: "fetched".into(),
        due_ms: Some(due),
        state,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn peak_rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn run(name: &str, location: Location, urls: usize) {
    let store = Store::open(&location).await.expect("the database");
    let started = Instant::now();
    let mut batch = Vec::with_capacity(5_000);
    for i in 0..urls {
        batch.push(row(i));
        if batch.len() == 5_000 || i + 1 == urls {
            store.save_frontier(&batch).await.expect("rows saved");
            batch.clear();
        }
    }
    let fill = started.elapsed().as_secs_f64();
    println!(
        "{name}: {urls} rows saved in {fill:.1} s = {:.0} rows/s",
        urls as f64 / fill
    );

    // One scheduler of three: a third of the partitions.
    let owned: Vec<i64> = (0..PARTITIONS).filter(|p| p % 3 == 0).collect();
    let started = Instant::now();
    let mut window = Vec::new();
    let mut in_flight = 0;
    for &p in &owned {
        in_flight += store.frontier_in_flight(p).await.expect("in flight").len();
        window.extend(store.frontier_due(p, NOW + 60_000, 2_000).await.expect("due"));
    }
    let start = started.elapsed().as_secs_f64();
    println!(
        "{name}: start of one scheduler of three ({} partitions): {in_flight} in flight and {} due read in {start:.2} s",
        owned.len(),
        window.len()
    );

    let dispatched: Vec<FrontierRow> = window
        .iter()
        .take(20_000)
        .map(|r| FrontierRow {
            status: IN_FLIGHT.into(),
            due_ms: None,
            ..r.clone()
        })
        .collect();
    let started = Instant::now();
    for chunk in dispatched.chunks(200) {
        store.save_frontier(chunk).await.expect("dispatches saved");
    }
    let dispatch = started.elapsed().as_secs_f64();
    println!(
        "{name}: {} dispatches saved in {dispatch:.2} s = {:.0} rows/s",
        dispatched.len(),
        dispatched.len() as f64 / dispatch
    );

    let mut lookups = Vec::new();
    for page in 0..200usize {
        let keys: Vec<String> = (0..100)
            .map(|l| row((page * 7_919 + l * 104_729) % (urls * 2)).key)
            .collect();
        let started = Instant::now();
        store.frontier_get(&keys).await.expect("lookup");
        lookups.push(started.elapsed());
    }
    lookups.sort();
    println!(
        "{name}: a page's 100 links looked up: p50 {:.1} ms, p99 {:.1} ms",
        percentile(&lookups, 0.5),
        percentile(&lookups, 0.99)
    );
    println!("{name}: peak resident memory {} kB", peak_rss_kb());
    store.close().await;
}

#[tokio::main]
async fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let urls: usize = std::env::var("BENCH_URLS")
        .ok()
        .and_then(|v| v.replace(['_', ','], "").parse().ok())
        .unwrap_or(if benching { 1_000_000 } else { 20_000 });
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    if backends.contains("sqlite") {
        on_sqlite(|location| run("sqlite", location, urls)).await;
    }
    if backends.contains("postgres") {
        let db = ScratchDatabase::create().await.expect("a PostgreSQL server");
        run("postgres", db.location.clone(), urls).await;
        db.drop_database().await.expect("scratch database dropped");
    }
}
