//! Faults injected into real processes mid-crawl, each ending with every
//! report of the simulated portals stored once and announced once:
//!
//! - `townreports run` on its embedded default: its private nats-server is
//!   SIGKILLed; the supervisor restarts it on the same port and store,
//!   `/readyz` says not-ready meanwhile, the in-process workers reconnect,
//!   the JetStream store (streams, frontier) survives and the crawl
//!   completes. (A clustered NATS losing a node is `tests/cluster.rs`.)
//! - the five workers as separate processes: 20 SIGKILLs of a worker chosen
//!   at random, at random moments, each restarted at once. The choices come
//!   from `CHAOS_SEED` (printed at the start), so a failing run can be
//!   replayed. Run with `-- --nocapture` to see the figures.
//!
//! The two tests run one after the other: each times its faults against
//! the crawl's progress, which a second crawl on the same CPUs would skew.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{
    LogsOnFailure, Tally, children_named, crawl_done, dead_letters, open_work, process_alive, readyz,
    requests_answered, signal, until,
};
use tokio::process::Child;
use townreports_bus::Bus;
use townreports_bus::embedded::{NatsServerProcess, free_port};
use townreports_proto::topology::{STREAM_EVENTS, StageName};
use townreports_scheduler::worker::{FRONTIER_BUCKET, load_states};
use townreports_store::{Store, sqlite_path};

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A killed worker's messages come back after this (the fetcher's after
/// three times as long), not after the default minute.
const ACK_WAIT: &str = "5s";

/// Waits until every known URL is fetched and every queue empty; fails
/// with what is still open.
async fn crawl_finishes(bus: &Bus, within: Duration) {
    if tokio::time::timeout(within, crawl_done(bus, within + Duration::from_secs(60)))
        .await
        .is_err()
    {
        panic!("the crawl did not finish within {within:?}:\n{}", open_work(bus).await);
    }
}

/// A scratch directory, kept (and named) when `KEEP_FAULT_DIRS` is set.
fn scratch() -> tempfile::TempDir {
    let mut temp = tempfile::tempdir().unwrap();
    if std::env::var_os("KEEP_FAULT_DIRS").is_some() {
        temp.disable_cleanup(true);
        eprintln!("keeping {}", temp.path().display());
    }
    temp
}

/// The last sequence of every stream the crawl writes: the work queues, the
/// events and the frontier bucket's stream.
async fn last_sequences(bus: &Bus) -> BTreeMap<String, u64> {
    let names = StageName::ALL
        .iter()
        .map(|s| s.stream().to_string())
        .chain([STREAM_EVENTS.to_string(), format!("KV_{FRONTIER_BUCKET}")]);
    let mut out = BTreeMap::new();
    for name in names {
        let mut stream = bus.jetstream().get_stream(&name).await.unwrap();
        out.insert(name, stream.info().await.unwrap().state.last_sequence);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_nats_server_killed_mid_crawl_is_restarted_and_nothing_is_lost() {
    let _one = ONE_AT_A_TIME.lock().await;
    let started = Instant::now();
    let temp = scratch();
    let dir = temp.path();
    let _show = LogsOnFailure(dir.to_path_buf());
    let portals = townreports_portals::start().await.unwrap();
    let sites = dir.join("sites.toml");
    std::fs::write(&sites, portals.sites_toml("100ms")).unwrap();
    let data = dir.join("data");
    let metrics_addr = format!("127.0.0.1:{}", free_port().unwrap());

    // `townreports run`, no NATS_URL: it starts and supervises its own server.
    let mut run = tokio::process::Command::new(env!("CARGO_BIN_EXE_townreports"))
        .arg("run")
        .arg("--sites")
        .arg(&sites)
        .arg("--data-dir")
        .arg(&data)
        .env_remove("NATS_URL")
        .env_remove("DATABASE_URL")
        .env("METRICS_ADDR", &metrics_addr)
        .env("ACK_WAIT", ACK_WAIT)
        .env("RUST_LOG", "info,async_nats=warn")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.join("run.log")).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let run_pid = run.id().unwrap();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    until(
        "`townreports run` ready on METRICS_ADDR",
        Duration::from_secs(60),
        || async { readyz(&http, &metrics_addr).await == 200 },
    )
    .await;
    let url = std::fs::read_to_string(townreports_bus::embedded::url_file(&data))
        .unwrap()
        .trim()
        .to_string();
    let servers = children_named(run_pid, "nats-server");
    assert_eq!(servers.len(), 1, "one nats-server child of the run: {servers:?}");
    let old_pid = servers[0];
    let bus = townreports_bus::testing::client(&url).await;

    // Mid-crawl: what the store holds, then the server dies.
    requests_answered(&portals, 15, Duration::from_secs(60)).await;
    let frontier = bus.key_value(FRONTIER_BUCKET, 1).await.unwrap();
    let known_before = load_states(&frontier).await.unwrap().len();
    let sequences_before = last_sequences(&bus).await;
    let requests_before = portals.request_log().len();
    signal(old_pid, "KILL");
    let killed = Instant::now();

    // Until the new server answers and the run is ready again, watch
    // /readyz (every 10 ms) and the run's children.
    let mut not_ready_seen = None;
    let mut new_pid = None;
    let mut ready_again = None;
    while ready_again.is_none() {
        assert!(
            killed.elapsed() < Duration::from_secs(30),
            "not ready again 30 s after the kill (new server: {new_pid:?}, not-ready seen: {not_ready_seen:?})"
        );
        let status = readyz(&http, &metrics_addr).await;
        if status == 503 && not_ready_seen.is_none() {
            not_ready_seen = Some(killed.elapsed());
        }
        if new_pid.is_none() {
            new_pid = children_named(run_pid, "nats-server")
                .into_iter()
                .find(|p| *p != old_pid)
                .map(|p| (p, killed.elapsed()));
        }
        if status == 200 && new_pid.is_some() && not_ready_seen.is_some() {
            ready_again = Some(killed.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (new_pid, restarted_after) = new_pid.unwrap();
    assert!(!process_alive(old_pid), "the killed server {old_pid} is gone");
    assert_eq!(
        children_named(run_pid, "nats-server"),
        [new_pid],
        "one server again, a new process"
    );
    assert_eq!(
        std::fs::read_to_string(townreports_bus::embedded::url_file(&data))
            .unwrap()
            .trim(),
        url,
        "the same port"
    );

    // The store survived: no stream started again from 1, no URL forgotten.
    until("the test's own client reconnected", Duration::from_secs(30), || async {
        bus.is_connected()
    })
    .await;
    let sequences_after = last_sequences(&bus).await;
    for (stream, before) in &sequences_before {
        assert!(
            sequences_after[stream] >= *before,
            "{stream} went back from sequence {before} to {}: the store was lost",
            sequences_after[stream]
        );
    }
    let restored: Vec<String> = std::fs::read_to_string(data.join("nats/nats-server.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("Restored") && l.contains("KV_townreports_frontier"))
        .map(|l| l.split("[INF]").last().unwrap_or(l).trim().to_string())
        .collect();
    assert!(
        !restored.is_empty(),
        "the restarted server restored the frontier bucket"
    );
    // The frontier only grows during a crawl. (A key listing that races
    // with the scheduler's writes can miss a key, so this is waited for.)
    let waited = Instant::now();
    let known_after = loop {
        let known = load_states(&frontier).await.map(|s| s.len()).unwrap_or(0);
        if known >= known_before {
            break known;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(15),
            "the frontier knew {known_before} URLs before the kill, {known} after"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    // The workers reconnected and finished the crawl.
    crawl_finishes(&bus, Duration::from_secs(180)).await;
    let crawl_time = started.elapsed();
    let requests_after = portals.request_log().len() - requests_before;
    assert!(requests_after > 0, "the crawl went on after the restart");
    let store = Store::open_sqlite(&sqlite_path(&data)).await.unwrap();
    let tally = Tally::take(&bus, &store, &portals).await;
    store.close().await;
    let letters = dead_letters(&bus).await;
    // Acknowledged messages the restarted server still held, removed by the run.
    let swept: Vec<String> = std::fs::read_to_string(dir.join("run.log"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("removed acknowledged messages"))
        .map(|l| {
            // Without the terminal colours, from the stream name on.
            let plain: String = l
                .split('\u{1b}')
                .map(|p| p.split_once('m').map_or(p, |(_, t)| t))
                .collect();
            plain
                .split_once("stream=")
                .map_or(plain.clone(), |(_, t)| t.to_string())
        })
        .collect();
    // What the server lost of the frontier, the scheduler wrote again.
    let saved_again = std::fs::read_to_string(dir.join("run.log"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("frontier saved again after reconnecting"))
        .count();
    assert!(
        saved_again >= 1,
        "the scheduler saved its frontier again after the restart"
    );
    eprintln!(
        "embedded nats-server SIGKILLed after {requests_before} requests (frontier {known_before} URLs; \
         last sequences {sequences_before:?}):\n  \
         pid {old_pid} -> {new_pid} restarted after {restarted_after:?}; /readyz not ready after {:?}, \
         ready again after {:?}\n  \
         after: {restored:?}; frontier saved again {saved_again}x, {known_after} URLs, last sequences {sequences_after:?}; {requests_after} more requests\n  \
         reports expected {}, stored {}, announced {} (announced twice: {}, lost: {}); dead letters {}; \
         crawl done in {:.1}s\n  acknowledged leftovers swept: {swept:?}",
        not_ready_seen.unwrap(),
        ready_again.unwrap(),
        tally.expected,
        tally.stored,
        tally.announced,
        tally.announced_twice.len(),
        tally.not_stored.len() + tally.not_announced.len(),
        letters.len(),
        crawl_time.as_secs_f64(),
    );
    tally.assert_each_once();
    assert!(letters.is_empty(), "dead-lettered: {letters:#?}");

    // SIGTERM stops the run, and its server with it.
    signal(run_pid, "TERM");
    let status = tokio::time::timeout(Duration::from_secs(30), run.wait())
        .await
        .expect("`townreports run` exits within 30 s of SIGTERM")
        .unwrap();
    assert!(status.success(), "`townreports run` exited with {status}");
    assert!(
        !process_alive(new_pid),
        "the restarted nats-server {new_pid} outlived the run"
    );
    portals.shutdown().await;
}

/// SplitMix64: a few lines, the same sequence for a seed on every platform
/// and every version of every crate.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `range` (the modulo bias is negligible for small ranges).
    fn below(&mut self, range: std::ops::Range<u64>) -> u64 {
        range.start + self.next() % (range.end - range.start)
    }
}

const WORKERS: [&str; 5] = ["scheduler", "fetcher", "parser", "extractor", "indexer"];
const KILLS: usize = 20;
/// Pause before each kill, in milliseconds.
const KILL_GAP_MS: std::ops::Range<u64> = 50..800;
const DEFAULT_SEED: u64 = 20_240_817;

/// The workers of the chaos test: one process each, respawned with a fresh log.
struct Fleet {
    env: Vec<(&'static str, String)>,
    logs: std::path::PathBuf,
    children: BTreeMap<&'static str, Child>,
    spawned: usize,
}

impl Fleet {
    fn spawn(&mut self, worker: &'static str) {
        self.spawned += 1;
        let log = self.logs.join(format!("{:02}-{worker}.log", self.spawned));
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_townreports"))
            .arg(worker)
            // SQLite under DATA_DIR, whatever the caller's environment says.
            .env_remove("DATABASE_URL")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        self.children.insert(worker, child);
    }

    /// SIGKILL, then a new process at once.
    async fn kill_and_restart(&mut self, worker: &'static str) {
        let child = self.children.get_mut(worker).unwrap();
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the {worker} had exited by itself before its kill ({status})");
        }
        child.kill().await.unwrap();
        self.spawn(worker);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_random_worker_kills_lose_nothing_and_announce_nothing_twice() {
    let _one = ONE_AT_A_TIME.lock().await;
    let seed = match std::env::var("CHAOS_SEED") {
        Ok(s) => s.trim().parse().expect("CHAOS_SEED is a number"),
        Err(_) => DEFAULT_SEED,
    };
    let mut rng = SplitMix64(seed);
    let plan: Vec<(&'static str, u64)> = (0..KILLS)
        .map(|_| {
            let worker = WORKERS[rng.below(0..WORKERS.len() as u64) as usize];
            (worker, rng.below(KILL_GAP_MS.clone()))
        })
        .collect();
    eprintln!("chaos: CHAOS_SEED={seed} (set it to replay these kills); plan (worker, pause ms): {plan:?}");

    let started = Instant::now();
    let temp = scratch();
    let dir = temp.path();
    let _show = LogsOnFailure(dir.to_path_buf());
    let mut server = NatsServerProcess::start(&dir.join("nats")).await.unwrap();
    let portals = townreports_portals::start().await.unwrap();
    let sites = dir.join("sites.toml");
    // Continuous mode (a restarted scheduler does not revisit the lists at
    // once), 100 ms between requests to a host: long enough for 20 kills.
    std::fs::write(&sites, portals.sites_toml("100ms")).unwrap();
    let data = dir.join("data");
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut fleet = Fleet {
        env: vec![
            ("NATS_URL", server.url()),
            ("SITES_FILE", sites.display().to_string()),
            ("DATA_DIR", data.display().to_string()),
            ("WARC_DIR", data.join("warc").display().to_string()),
            ("ACK_WAIT", ACK_WAIT.to_string()),
            ("CONCURRENCY", "2".to_string()),
            ("RUST_LOG", "info,async_nats=warn".to_string()),
        ],
        logs,
        children: BTreeMap::new(),
        spawned: 0,
    };
    for worker in WORKERS {
        fleet.spawn(worker);
    }

    requests_answered(&portals, 5, Duration::from_secs(60)).await;
    let kills_began = started.elapsed();
    let mut kills: BTreeMap<&str, usize> = WORKERS.iter().map(|w| (*w, 0)).collect();
    for (worker, pause) in &plan {
        tokio::time::sleep(Duration::from_millis(*pause)).await;
        fleet.kill_and_restart(worker).await;
        *kills.get_mut(worker).unwrap() += 1;
    }
    let kills_ended = started.elapsed();
    let requests_at_last_kill = portals.request_log().len();

    let bus = townreports_bus::testing::client(&server.url()).await;
    crawl_finishes(&bus, Duration::from_secs(180)).await;
    let crawl_time = started.elapsed();
    let log = portals.request_log();
    assert!(
        log.len() > requests_at_last_kill,
        "the crawl was over before the last kill ({requests_at_last_kill} requests): the kills must land during it"
    );

    let store = Store::open_sqlite(&sqlite_path(&data)).await.unwrap();
    let tally = Tally::take(&bus, &store, &portals).await;
    store.close().await;
    let depths = bus.queue_depths().await.unwrap();
    let letters = dead_letters(&bus).await;
    let mut per_page: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for r in &log {
        *per_page.entry((&r.portal, &r.path)).or_default() += 1;
    }
    let fetched_again = per_page.values().filter(|n| **n > 1).count();
    eprintln!(
        "chaos: CHAOS_SEED={seed}: {KILLS} SIGKILLs between {:.1}s and {:.1}s, per worker {kills:?}\n\
         chaos: reports expected {}, stored {}, announced {}; announced twice {}, lost {} \
         (not stored {}, not announced {}), unexpected {}\n\
         chaos: work streams {:?}; dead letters {}; {} requests ({} after the last kill), \
         {fetched_again} pages requested more than once\n\
         chaos: crawl done after {:.1}s",
        kills_began.as_secs_f64(),
        kills_ended.as_secs_f64(),
        tally.expected,
        tally.stored,
        tally.announced,
        tally.announced_twice.len(),
        tally.not_stored.len().max(tally.not_announced.len()),
        tally.not_stored.len(),
        tally.not_announced.len(),
        tally.unexpected.len(),
        depths.iter().map(|(s, n)| (s.name(), *n)).collect::<Vec<_>>(),
        letters.len(),
        log.len(),
        log.len() - requests_at_last_kill,
        crawl_time.as_secs_f64(),
    );
    tally.assert_each_once();
    for (stage, depth) in depths {
        assert_eq!(depth, 0, "{} still holds messages", stage.stream());
    }
    // The portals' faults end as fetch outcomes (redirect, too large,
    // blocked, unsupported), not dead letters: there is none to expect.
    assert!(letters.is_empty(), "dead-lettered: {letters:#?}");

    for (_, mut child) in std::mem::take(&mut fleet.children) {
        child.kill().await.unwrap();
    }
    portals.shutdown().await;
    server.terminate().await;
}
