//! `townreports run` itself dying, or being stopped while its NATS is
//! frozen, on its embedded default (no NATS_URL), against the simulated
//! portals:
//!
//! - a clean `run --once` is the yardstick; during it a second `run` on the
//!   same data directory is refused at once naming the first one's pid,
//!   and `status` and `dlq list` use the running server without starting
//!   one of their own;
//! - `run --once` SIGKILLed (as the OOM killer does) early, while
//!   indexing and mid-crawl, each time started again: its nats-server never
//!   outlives it, and the last run completes the crawl in no more than a
//!   clean crawl's time plus the restart, with every report stored once
//!   and announced once;
//! - SIGTERM to a `run`, a `status` and a standalone worker whose
//!   nats-server is frozen (SIGSTOP) ends each within the grace period and
//!   a few seconds, and the next `run --once` completes the crawl.
//!
//! Run with `-- --nocapture` to see the figures. The default ACK_WAIT is
//! kept on purpose: a message a dead run held must come back when the next
//! run starts, not minutes later.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{LogsOnFailure, Tally, children_named, dead_letters, readyz, servers_on, signal, until};
use tokio::process::{Child, Command};
use townreports_bus::Bus;
use townreports_bus::embedded::{free_port, url_file};
use townreports_portals::Portals;
use townreports_proto::topology::STREAM_EVENTS;
use townreports_store::{Store, sqlite_path};

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The grace period of the runs stopped by SIGTERM.
const GRACE: Duration = Duration::from_secs(5);
/// What "a few seconds" past the grace period may be.
const STOP_SLACK: Duration = Duration::from_secs(5);
/// What the restarted crawl may take beyond a clean crawl: the restart
/// (stopping nothing, a new server, the topology) and the in-flight work
/// done again, not an ack wait (a minute, three for the fetcher).
const RESTART_ALLOWANCE: Duration = Duration::from_secs(10);

/// A `townreports` command on the data directory, no NATS_URL, logging to
/// `log`, stdout to `out` when given.
fn townreports(args: &[&str], data: &Path, env: &[(&str, String)], log: &Path, out: Option<&Path>) -> Child {
    Command::new(env!("CARGO_BIN_EXE_townreports"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("NATS_URL")
        .env_remove("DATABASE_URL")
        .env_remove("ACK_WAIT")
        .env("RUST_LOG", "info,async_nats=warn")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(out.map_or_else(Stdio::null, |p| std::fs::File::create(p).unwrap().into()))
        .stderr(std::fs::File::create(log).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// A `run` (with `--once` when asked) serving /readyz on a fresh port.
struct Run {
    child: Child,
    pid: u32,
    metrics: String,
    spawned: Instant,
    log: PathBuf,
    out: PathBuf,
}

impl Run {
    fn start(name: &str, dir: &Path, sites: &Path, data: &Path, once: bool, env: &[(&str, String)]) -> Run {
        let metrics = format!("127.0.0.1:{}", free_port().unwrap());
        let mut env = env.to_vec();
        env.push(("METRICS_ADDR", metrics.clone()));
        let mut args = vec!["run", "--sites", sites.to_str().unwrap()];
        if once {
            args.push("--once");
        }
        let (log, out) = (dir.join(format!("{name}.log")), dir.join(format!("{name}.out")));
        let child = townreports(&args, data, &env, &log, Some(&out));
        Run {
            pid: child.id().unwrap(),
            child,
            metrics,
            spawned: Instant::now(),
            log,
            out,
        }
    }

    /// Ready (/readyz 200); how long that took from the spawn.
    async fn ready(&self, http: &reqwest::Client) -> Duration {
        until("`townreports run` ready", Duration::from_secs(60), || async {
            readyz(http, &self.metrics).await == 200
        })
        .await;
        self.spawned.elapsed()
    }

    /// Its nats-server child.
    fn server(&self) -> u32 {
        let servers = children_named(self.pid, "nats-server");
        assert_eq!(
            servers.len(),
            1,
            "one nats-server child of run {}: {servers:?}",
            self.pid
        );
        servers[0]
    }

    /// Waits for the exit (within `within`): its status and its wall time.
    async fn exit(&mut self, within: Duration) -> (std::process::ExitStatus, Duration) {
        let status = tokio::time::timeout(within, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("run {} did not exit within {within:?}", self.pid))
            .unwrap();
        (status, self.spawned.elapsed())
    }

    /// What it logged having taken back from the run before it: messages
    /// handed back per stage, and the lease.
    fn took_back(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let mut parts: Vec<String> = log
            .lines()
            .filter(|l| l.contains("handed back messages an earlier run had in flight"))
            .map(|l| {
                let plain: String = l
                    .split('\u{1b}')
                    .map(|p| p.split_once('m').map_or(p, |(_, t)| t))
                    .collect();
                let field = |name: &str| {
                    plain
                        .split_once(&format!("{name}="))
                        .map_or("?", |(_, t)| t.split_whitespace().next().unwrap_or("?"))
                        .trim_matches('"')
                        .to_string()
                };
                format!("{} {}", field("stage"), field("messages"))
            })
            .collect();
        if parts.is_empty() {
            parts.push("no messages".into());
        }
        if log.contains("scheduler lease of a run that is gone taken over") {
            parts.push("the lease".into());
        }
        format!("took back {}", parts.join(", "))
    }
}

/// A client of the run's embedded server, found where `status` finds it.
async fn client_of(data: &Path) -> Bus {
    let url = std::fs::read_to_string(url_file(data)).unwrap();
    townreports_bus::testing::client(url.trim()).await
}

/// Waits until `pid` (a killed run's nats-server) has exited; how long that took.
async fn gone(pid: u32, since: Instant) -> Duration {
    until(
        &format!("nats-server {pid} exited after its run died"),
        Duration::from_secs(10),
        || async { !common::process_alive(pid) },
    )
    .await;
    since.elapsed()
}

/// After the last run: every report stored once and announced once, the
/// work queues empty, no dead letter. Read on a server of the test's own,
/// started on the store once nothing else runs there.
async fn tally(dir: &Path, data: &Path, portals: &Portals) -> Tally {
    let store_dir = data.join("nats");
    assert_eq!(
        servers_on(&store_dir),
        Vec::<u32>::new(),
        "no nats-server left on the store"
    );
    let (mut server, bus) = townreports_bus::testing::nats(&store_dir).await;
    let store = Store::open_sqlite(&sqlite_path(data)).await.unwrap();
    let tally = Tally::take(&bus, &store, portals).await;
    store.close().await;
    let depths = bus.queue_depths().await.unwrap();
    let letters = dead_letters(&bus).await;
    server.terminate().await;
    tally.assert_each_once();
    assert!(depths.iter().all(|(_, n)| *n == 0), "work left: {depths:?}");
    assert!(
        letters.is_empty(),
        "dead-lettered: {letters:#?} (logs in {})",
        dir.display()
    );
    tally
}

/// "crawl finished in 12.3s" from a `run --once`'s stdout, in seconds.
fn crawl_seconds(out: &Path) -> f64 {
    let text = std::fs::read_to_string(out).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("crawl finished in "))
        .and_then(|t| t.trim_end_matches('s').parse().ok())
        .unwrap_or_else(|| panic!("no crawl time in {text:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_early_while_indexing_and_mid_crawl_is_finished_by_the_next_with_every_report_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let _show = LogsOnFailure(dir.to_path_buf());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();

    // The yardstick: a clean crawl of portals of its own, during which the
    // directory is in use.
    let clean_portals = townreports_portals::start().await.unwrap();
    let clean_sites = dir.join("clean-sites.toml");
    std::fs::write(&clean_sites, clean_portals.sites_toml("100ms")).unwrap();
    let clean_data = dir.join("clean");
    let mut clean = Run::start("clean", dir, &clean_sites, &clean_data, true, &[]);
    clean.ready(&http).await;
    let clean_server = clean.server();

    // A second run on the directory in use: refused at once, naming the first.
    let refused_at = Instant::now();
    let second = townreports(
        &["run", "--once", "--sites", clean_sites.to_str().unwrap()],
        &clean_data,
        &[],
        &dir.join("second.log"),
        None,
    );
    let second = tokio::time::timeout(Duration::from_secs(10), second.wait_with_output())
        .await
        .expect("the second run exits at once")
        .unwrap();
    let refused_in = refused_at.elapsed();
    let said = std::fs::read_to_string(dir.join("second.log")).unwrap();
    assert!(!second.status.success(), "the second run failed: {said}");
    assert!(
        said.contains(&format!("is in use by `townreports run` (pid {})", clean.pid)),
        "the message names the holder's pid: {said}"
    );

    // `status` and `dlq list` during the crawl: the run's server, no other.
    let mut most_servers = Vec::new();
    for (name, args) in [("status", vec!["status"]), ("dlq", vec!["dlq", "list"])] {
        let out = dir.join(format!("{name}.out"));
        let mut command = townreports(&args, &clean_data, &[], &dir.join(format!("{name}.log")), Some(&out));
        let status = loop {
            let servers = servers_on(&clean_data.join("nats"));
            if servers.len() > most_servers.len() {
                most_servers = servers;
            }
            if let Some(status) = command.try_wait().unwrap() {
                break status;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        let err = std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap();
        assert!(status.success(), "{name}: {err}");
        assert!(
            !err.contains("embedded nats-server started"),
            "{name} started a server: {err}"
        );
        if name == "status" {
            let table = std::fs::read_to_string(&out).unwrap();
            assert!(table.contains("queues:"), "{table}");
        }
    }
    assert_eq!(
        most_servers,
        [clean_server],
        "only the run's server ever ran on the store"
    );

    // The first crawl unharmed.
    let (status, _) = clean.exit(Duration::from_secs(180)).await;
    assert!(status.success(), "the clean run: {status}");
    let clean_time = Duration::from_secs_f64(crawl_seconds(&clean.out));
    let clean_requests = clean_portals.request_log().len();
    let clean_tally = tally(dir, &clean_data, &clean_portals).await;
    clean_portals.shutdown().await;

    // The same crawl on fresh portals, SIGKILLed three times.
    let portals = townreports_portals::start().await.unwrap();
    let sites = dir.join("sites.toml");
    std::fs::write(&sites, portals.sites_toml("100ms")).unwrap();
    let data = dir.join("data");
    let expected = portals.expected_reports().len() as u64;
    let mut kills = Vec::new();
    for point in ["early", "while indexing", "mid-crawl"] {
        let requests_before = portals.request_log().len();
        let run = Run::start(point, dir, &sites, &data, true, &[]);
        let ready = run.ready(&http).await;
        let server = run.server();
        let bus = client_of(&data).await;
        let announced = async || bus.stream_messages(STREAM_EVENTS).await.unwrap_or(0);
        let announced_at_kill = match point {
            "early" => {
                requests_answered_since(&portals, requests_before, 3).await;
                announced().await
            }
            "while indexing" => {
                // Killed as soon as this run has announced some reports and
                // not all: the indexer is in the middle of them.
                let start = announced().await;
                assert!(start < expected, "reports left to index when this run starts");
                let waiting = Instant::now();
                loop {
                    let n = announced().await;
                    assert!(n < expected, "every report announced before the kill could land");
                    if n > start {
                        break n;
                    }
                    assert!(waiting.elapsed() < Duration::from_secs(60), "nothing announced");
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            _ => {
                let target = (clean_requests / 2).max(requests_before + 10);
                requests_answered_since(&portals, 0, target).await;
                announced().await
            }
        };
        let mut run = run;
        run.child.start_kill().unwrap();
        let killed = Instant::now();
        run.child.wait().await.unwrap();
        let server_gone = gone(server, killed).await;
        drop(bus);
        // It was asked to stop (by the parent-death signal), not killed:
        // its store was written.
        let exited_cleanly = std::fs::read_to_string(data.join("nats/nats-server.log"))
            .unwrap()
            .lines()
            .any(|l| l.starts_with(&format!("[{server}]")) && l.contains("Server Exiting"));
        assert!(exited_cleanly, "nats-server {server} shut down cleanly");
        kills.push(format!(
            "{point}: ready after {ready:.1?} ({}); killed after {} requests of this run with {announced_at_kill} \
             of {expected} reports announced; its nats-server {server} gone {server_gone:.0?} later",
            run.took_back(),
            portals.request_log().len() - requests_before,
        ));
    }
    // The last run: the rest of the crawl.
    let requests_before = portals.request_log().len();
    let mut last = Run::start("last", dir, &sites, &data, true, &[]);
    let ready = last.ready(&http).await;
    let (status, wall) = last
        .exit(clean_time + RESTART_ALLOWANCE + Duration::from_secs(120))
        .await;
    assert!(status.success(), "the last run: {status}");
    let tally = tally(dir, &data, &portals).await;
    eprintln!(
        "clean crawl: {:.1?} ({clean_requests} requests), reports {} / {} / {}; a second run refused in {refused_in:.0?}; \
         status and dlq saw servers {most_servers:?} only\n  {}\n  \
         last run: ready after {ready:.1?} ({}), done after {wall:.1?} ({} requests)\n  \
         reports expected / stored / announced {} / {} / {}, none twice, none lost; no orphan nats-server",
        clean_time,
        clean_tally.expected,
        clean_tally.stored,
        clean_tally.announced,
        kills.join("\n  "),
        last.took_back(),
        portals.request_log().len() - requests_before,
        tally.expected,
        tally.stored,
        tally.announced,
    );
    assert!(
        wall <= clean_time + RESTART_ALLOWANCE,
        "the restarted crawl took {wall:.1?}, a clean one {clean_time:.1?}"
    );
    portals.shutdown().await;
}

/// Waits until the portals answered `n` requests after the first `since`.
async fn requests_answered_since(portals: &Portals, since: usize, n: usize) {
    until(&format!("{n} requests answered"), Duration::from_secs(120), || async {
        portals.request_log().len() >= since + n
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_run_status_and_a_worker_within_the_grace_period_while_their_nats_is_frozen() {
    let _one = ONE_AT_A_TIME.lock().await;
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let _show = LogsOnFailure(dir.to_path_buf());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let portals = townreports_portals::start().await.unwrap();
    let sites = dir.join("sites.toml");
    std::fs::write(&sites, portals.sites_toml("100ms")).unwrap();
    let data = dir.join("data");
    let grace = [("GRACE_PERIOD", format!("{}s", GRACE.as_secs()))];

    let mut run = Run::start("run", dir, &sites, &data, false, &grace);
    run.ready(&http).await;
    let server = run.server();
    let url = std::fs::read_to_string(url_file(&data)).unwrap().trim().to_string();
    let worker_metrics = format!("127.0.0.1:{}", free_port().unwrap());
    let mut env = grace.to_vec();
    env.push(("NATS_URL", url));
    env.push(("METRICS_ADDR", worker_metrics.clone()));
    let mut worker = Command::new(env!("CARGO_BIN_EXE_townreports"))
        .arg("parser")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("RUST_LOG", "info,async_nats=warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("parser.log")).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    until("the parser worker ready", Duration::from_secs(60), || async {
        readyz(&http, &worker_metrics).await == 200
    })
    .await;
    requests_answered_since(&portals, 0, 10).await;

    // The server frozen mid-crawl, then a status that will wait on it.
    signal(server, "STOP");
    let mut status = townreports(&["status"], &data, &[], &dir.join("status.log"), None);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let requests_at_stop = portals.request_log().len();
    let stopping = Instant::now();
    for pid in [run.pid, worker.id().unwrap(), status.id().unwrap()] {
        signal(pid, "TERM");
    }
    let bound = GRACE + STOP_SLACK;
    // Each waited for at the same time, so each time is its own.
    let exit = async |child: &mut Child, what: &str| {
        let status = tokio::time::timeout(bound, child.wait())
            .await
            .unwrap_or_else(|_| panic!("{what} did not exit within {bound:?} of SIGTERM"))
            .unwrap();
        (status, stopping.elapsed())
    };
    let ((run_status, run_took), (worker_status, worker_took), (status_status, status_took)) = tokio::join!(
        exit(&mut run.child, "run"),
        exit(&mut worker, "the parser worker"),
        exit(&mut status, "status"),
    );
    let server_gone = gone(server, stopping).await;
    assert!(run_status.success(), "run: {run_status}");
    assert!(worker_status.success(), "the worker: {worker_status}");
    assert!(!status_status.success(), "status was interrupted, not finished");
    assert_eq!(servers_on(&data.join("nats")), Vec::<u32>::new(), "no server left");

    // And the next run finishes the crawl, each report once.
    let mut next = Run::start("next", dir, &sites, &data, true, &[]);
    let (next_status, next_took) = next.exit(Duration::from_secs(180)).await;
    assert!(next_status.success(), "the next run: {next_status}");
    let tally = tally(dir, &data, &portals).await;
    eprintln!(
        "nats-server {server} frozen after {requests_at_stop} requests; SIGTERM (grace {GRACE:?}): run exited 0 after {run_took:.1?}, \
         the parser worker after {worker_took:.1?}, status (interrupted) after {status_took:.1?}; \
         the frozen server gone after {server_gone:.1?}\n  \
         the next run --once done after {next_took:.1?} ({}): reports expected / stored / announced {} / {} / {}",
        next.took_back(),
        tally.expected,
        tally.stored,
        tally.announced,
    );
    portals.shutdown().await;
}
