//! Workers as separate processes, as they run in Kubernetes, on a private
//! nats-server; the scheduler and then a fetcher are killed with SIGKILL
//! mid-crawl and started again. No URL is lost (every report is stored and
//! announced exactly once), no page is fetched twice, except what the
//! killed fetcher held when it died (redelivered: at least once) and the
//! fault portal's in-job retries, and the 100 ms per-host delay holds.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use common::{crawl_done, events, politeness_holds, requests_answered};
use tokio::process::{Child, Command};
use townreports_bus::embedded::NatsServerProcess;
use townreports_store::Store;
use townreports_store::sqlite_path;

/// Pages a fetcher holds at once: at most this many are fetched again
/// after it is killed.
const FETCHER_CONCURRENCY: usize = 2;

struct Workers {
    nats_url: String,
    sites: PathBuf,
    data: PathBuf,
}

impl Workers {
    fn spawn(&self, worker: &str) -> Child {
        let mut command = Command::new(env!("CARGO_BIN_EXE_townreports"));
        command.arg(worker);
        match worker {
            // The scheduler's status index and the reports share the database.
            "indexer" | "scheduler" => {
                command.arg("--data-dir").arg(&self.data);
            }
            "fetcher" => {
                command.arg("--warc-dir").arg(self.data.join("warc"));
            }
            _ => {}
        }
        command
            .env("NATS_URL", &self.nats_url)
            .env("SITES_FILE", &self.sites)
            // A killed worker's messages come back after this, not a minute.
            .env("ACK_WAIT", "5s")
            .env("CONCURRENCY", FETCHER_CONCURRENCY.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_scheduler_and_fetcher_lose_nothing_and_repeat_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = NatsServerProcess::start(&dir.path().join("nats")).await.unwrap();
    let portals = townreports_portals::start().await.unwrap();
    let workers = Workers {
        nats_url: server.url(),
        sites: dir.path().join("sites.toml"),
        data: dir.path().join("data"),
    };
    // Continuous mode: a restarted scheduler does not revisit the lists at once.
    std::fs::write(&workers.sites, portals.sites_toml("100ms")).unwrap();
    let mut scheduler = workers.spawn("scheduler");
    let mut fetcher = workers.spawn("fetcher");
    let mut others: Vec<Child> = ["parser", "extractor", "indexer"].map(|w| workers.spawn(w)).into();

    requests_answered(&portals, 15, Duration::from_secs(60)).await;
    scheduler.kill().await.unwrap();
    let killed_at = portals.request_log().len();
    // The replacement waits out the dead one's lease, then resumes.
    scheduler = workers.spawn("scheduler");

    requests_answered(&portals, killed_at + 15, Duration::from_secs(90)).await;
    fetcher.kill().await.unwrap();
    fetcher = workers.spawn("fetcher");

    let bus = townreports_bus::testing::client(&server.url()).await;
    crawl_done(&bus, Duration::from_secs(180)).await;

    // Every report stored once and announced once.
    let expected = portals.expected_reports();
    let new_events: Vec<String> = events(&bus)
        .await
        .into_iter()
        .filter(|(s, _)| s.starts_with("townreports.reports.new."))
        .map(|(_, e)| e.report_id)
        .collect();
    let mut distinct = new_events.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), new_events.len(), "announced twice: {new_events:?}");
    assert_eq!(new_events.len(), expected.len(), "{new_events:?}");
    let store = Store::open_sqlite(&sqlite_path(&workers.data)).await.unwrap();
    assert_eq!(store.count().await.unwrap() as usize, expected.len());
    store.close().await;

    // Politeness held through the kills: the scheduler keeps the hosts, and
    // a restarted one first waits out its predecessor's lease.
    politeness_holds(&portals.request_log(), Duration::from_millis(100));

    // No page fetched twice, but for what the killed fetcher held.
    let mut per_page: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in portals.request_log() {
        *per_page.entry((r.portal, r.path)).or_default() += 1;
    }
    let retried_in_job = |path: &str| matches!(path, "/art/busy.html" | "/art/flaky.html");
    let twice: Vec<_> = per_page
        .iter()
        .filter(|((_, path), n)| **n > 1 && !retried_in_job(path))
        .collect();
    assert!(twice.len() <= FETCHER_CONCURRENCY, "fetched again: {twice:?}");
    assert!(twice.iter().all(|(_, n)| **n == 2), "{twice:?}");

    for child in others.iter_mut().chain([&mut scheduler, &mut fetcher]) {
        child.kill().await.unwrap();
    }
    portals.shutdown().await;
    server.terminate().await;
}
