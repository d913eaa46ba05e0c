//! What the end-to-end tests share: the `townreports run` flags they start
//! the pipeline with, and reading back every event.

// Each test binary includes this module and uses part of it.
#![allow(dead_code)]

pub mod cluster;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use prost::Message;
use townreports::run::RunArgs;
use townreports_bus::Bus;
use townreports_proto::topology::STREAM_EVENTS;
use townreports_proto::v1::ReportEvent;
use townreports_scheduler::frontier::stats_of;
use townreports_scheduler::worker::{FRONTIER_BUCKET, load_states};

/// Polls `check` every 20 ms until it holds; fails naming `what` after
/// `within`.
pub async fn until(what: &str, within: Duration, mut check: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `townreports run --sites … --data-dir … --nats-url …` (and `--once`).
pub fn run_args(sites: &Path, data_dir: &Path, nats_url: &str, once: bool) -> RunArgs {
    use clap::Parser;
    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        run: RunArgs,
    }
    let mut args = vec![
        "t",
        "--sites",
        sites.to_str().unwrap(),
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--nats-url",
        nats_url,
    ];
    if once {
        args.push("--once");
    }
    Wrap::parse_from(args).run
}

/// Every event in the stream, with its subject, in order.
pub async fn events(bus: &Bus) -> Vec<(String, ReportEvent)> {
    let stream = bus.jetstream().get_stream(STREAM_EVENTS).await.unwrap();
    let last = bus.stream_messages(STREAM_EVENTS).await.unwrap();
    let mut out = Vec::new();
    for seq in 1..=last {
        let m = stream.get_raw_message(seq).await.unwrap();
        out.push((m.subject.to_string(), ReportEvent::decode(m.payload).unwrap()));
    }
    out
}

/// Per host, from the portals' own log: never two requests at once, never
/// closer than `min_delay` (the fault portal: its robots.txt `Crawl-delay`),
/// and the fault portal's disallowed path never asked for, its calendar
/// trap cut off.
pub fn politeness_holds(log: &[townreports_portals::RequestRecord], min_delay: Duration) {
    let mut by_portal: BTreeMap<&str, Vec<&townreports_portals::RequestRecord>> = BTreeMap::new();
    for r in log {
        by_portal.entry(&r.portal).or_default().push(r);
    }
    let crawl_delay = Duration::from_millis(500).max(min_delay);
    for (portal, mut requests) in by_portal {
        requests.sort_by_key(|r| r.started);
        for pair in requests.windows(2) {
            assert!(
                pair[1].started >= pair[0].finished,
                "{portal}: {} began before {} was answered",
                pair[1].path,
                pair[0].path
            );
            let delay = if portal == townreports_portals::faults::ID {
                crawl_delay
            } else {
                min_delay
            };
            let gap = pair[1].started - pair[0].finished;
            assert!(
                gap >= delay,
                "{portal}: {} only {gap:?} after {}",
                pair[1].path,
                pair[0].path
            );
        }
        if portal == townreports_portals::faults::ID {
            assert_eq!(requests[0].path, "/robots.txt", "robots.txt first");
            for never in townreports_portals::faults::NEVER_FETCHED {
                assert!(requests.iter().all(|r| r.path != *never), "{never} is disallowed");
            }
            let calendar = requests.iter().filter(|r| r.path.starts_with("/cal/")).count();
            assert!(calendar <= 31, "the calendar trap was cut off: {calendar} pages");
        }
    }
}

/// The portals answered at least `at_least` requests (the crawl is under way).
pub async fn requests_answered(portals: &townreports_portals::Portals, at_least: usize, within: Duration) {
    let start = Instant::now();
    while portals.request_log().len() < at_least {
        assert!(start.elapsed() < within, "the crawl stalled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every known URL fetched (or given up) and every queue empty, twice in a row.
pub async fn crawl_done(bus: &Bus, within: Duration) {
    let kv = bus.key_value(FRONTIER_BUCKET, 1).await.unwrap();
    let start = Instant::now();
    let mut streak = 0;
    while streak < 2 {
        assert!(start.elapsed() < within, "the crawl did not finish");
        // A cluster electing a leader answers some requests with errors:
        // they count as "not done yet".
        let (states, depths) = (load_states(&kv).await, bus.queue_depths().await);
        let done = match (states, depths) {
            (Ok(states), Ok(depths)) => {
                let open = stats_of(&states)
                    .values()
                    .map(|s| s.pending + s.in_flight)
                    .sum::<usize>();
                let queued: u64 = depths.iter().map(|(_, n)| n).sum();
                open == 0 && queued == 0 && !states.is_empty()
            }
            _ => false,
        };
        streak = if done { streak + 1 } else { 0 };
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// `townreports <worker>` as its own process, configured by environment
/// variables as in a container, logging to `log`.
pub fn spawn_worker(worker: &str, env: &[(&str, String)], log: &Path) -> tokio::process::Child {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_townreports"));
    command
        .arg(worker)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .kill_on_drop(true);
    command.spawn().unwrap()
}

/// Prints the tail of every `*.log` under a directory if the test fails,
/// so a failure of many processes can be read from the test output.
pub struct LogsOnFailure(pub std::path::PathBuf);

impl Drop for LogsOnFailure {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let mut paths = Vec::new();
        let mut dirs = vec![self.0.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "log") {
                    paths.push(path);
                }
            }
        }
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            eprintln!("==== {} (last 30 lines)", path.display());
            for line in &lines[lines.len().saturating_sub(30)..] {
                eprintln!("{line}");
            }
        }
    }
}

/// What a crawl left against what the portals hold: every expected report
/// should be stored once and announced (one new-report event) once.
#[derive(Debug)]
pub struct Tally {
    pub expected: usize,
    /// Rows in the store.
    pub stored: usize,
    /// New-report events.
    pub announced: usize,
    /// Report ids with more than one new-report event, and how many.
    pub announced_twice: BTreeMap<String, usize>,
    /// Expected reports (by URL) without a stored record, without an event.
    pub not_stored: Vec<String>,
    pub not_announced: Vec<String>,
    /// Stored reports that are none of the expected ones (by id).
    pub unexpected: Vec<String>,
}

impl Tally {
    /// Counts the store's rows and the events stream's new-report events,
    /// and matches both to the portals' reports by URL (a report's page or
    /// its copy beside it).
    pub async fn take(bus: &Bus, store: &townreports_store::Store, portals: &townreports_portals::Portals) -> Tally {
        use std::collections::BTreeSet;
        use townreports_proto::v1::ReportRecord;
        fn urls(record: &ReportRecord) -> BTreeSet<String> {
            record
                .source
                .iter()
                .chain(&record.sources)
                .filter_map(|s| s.url.clone())
                .collect()
        }
        let expected = portals.expected_reports();
        let mut announced_by_id: BTreeMap<String, usize> = BTreeMap::new();
        let mut announced_urls = BTreeSet::new();
        for (subject, event) in events(bus).await {
            if !subject.starts_with("townreports.reports.new.") {
                continue;
            }
            *announced_by_id.entry(event.report_id.clone()).or_default() += 1;
            announced_urls.extend(event.record.as_ref().map(urls).unwrap_or_default());
        }
        let records = store.records().await.unwrap();
        let stored_urls: BTreeSet<String> = records.iter().flat_map(urls).collect();
        let expected_urls: BTreeSet<&String> = expected
            .iter()
            .flat_map(|r| std::iter::once(&r.url).chain(&r.also_at))
            .collect();
        let missing_from = |found: &BTreeSet<String>| -> Vec<String> {
            expected
                .iter()
                .filter(|r| !std::iter::once(&r.url).chain(&r.also_at).any(|u| found.contains(u)))
                .map(|r| r.url.clone())
                .collect()
        };
        Tally {
            expected: expected.len(),
            stored: store.count().await.unwrap() as usize,
            announced: announced_by_id.values().sum(),
            not_stored: missing_from(&stored_urls),
            not_announced: missing_from(&announced_urls),
            unexpected: records
                .iter()
                .filter(|r| !urls(r).iter().any(|u| expected_urls.contains(u)))
                .map(|r| r.id.clone())
                .collect(),
            announced_twice: announced_by_id.into_iter().filter(|(_, n)| *n > 1).collect(),
        }
    }

    /// Every expected report stored once and announced once, nothing else.
    pub fn assert_each_once(&self) {
        assert!(self.announced_twice.is_empty(), "announced twice: {self:#?}");
        assert!(self.not_stored.is_empty(), "lost (not stored): {self:#?}");
        assert!(self.not_announced.is_empty(), "lost (not announced): {self:#?}");
        assert!(self.unexpected.is_empty(), "stored but not expected: {self:#?}");
        assert_eq!(self.stored, self.expected, "stored rows: {self:#?}");
        assert_eq!(self.announced, self.expected, "new-report events: {self:#?}");
    }
}

/// Every dead letter, as `<stage>:<class>: <message>`.
pub async fn dead_letters(bus: &Bus) -> Vec<String> {
    let letters = bus.dead_letters(&Default::default()).await.unwrap();
    letters
        .iter()
        .map(|l| {
            format!(
                "{}:{}: {}",
                l.stage.map_or("", |s| s.name()),
                l.class.as_deref().unwrap_or_default(),
                l.message.as_deref().unwrap_or_default()
            )
        })
        .collect()
}

/// The processes whose parent is `parent` and whose command name is `name`
/// (read from /proc: for a grandchild such as `townreports run`'s
/// nats-server, which the test did not spawn itself).
pub fn children_named(parent: u32, name: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let mut rest = stat[close + 1..].split_whitespace();
        let (state, ppid) = (rest.next(), rest.next().and_then(|p| p.parse::<u32>().ok()));
        if ppid == Some(parent) && comm == name && state != Some("Z") {
            out.push(pid);
        }
    }
    out
}

/// Whether process `pid` exists and is not a zombie.
pub use townreports_bus::embedded::process_alive;

/// The running nats-server processes whose command line names `store`
/// (found in /proc whoever their parent is: an orphan included).
pub fn servers_on(store: &Path) -> Vec<u32> {
    let store = store.to_string_lossy();
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = raw
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_nats = args.first().is_some_and(|a| a.ends_with("nats-server"));
        if is_nats && args.iter().any(|a| *a == store) && process_alive(pid) {
            out.push(pid);
        }
    }
    out
}

/// Sends `signal` (`KILL`, `TERM`) to a process the test did not spawn
/// itself, with kill(1).
pub fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// What keeps a crawl from being done, in words: the frontier's pending and
/// in-flight URLs, and each work stream's messages and consumer state.
pub async fn open_work(bus: &Bus) -> String {
    use std::fmt::Write;
    use townreports_proto::topology::StageName;
    use townreports_scheduler::frontier::UrlStatus;
    let mut out = String::new();
    match bus.key_value(FRONTIER_BUCKET, 1).await {
        Ok(kv) => match load_states(&kv).await {
            Ok(states) => {
                let open: Vec<_> = states
                    .iter()
                    .filter(|s| matches!(s.status, UrlStatus::Pending | UrlStatus::InFlight))
                    .collect();
                let _ = writeln!(out, "frontier: {} URLs, {} open", states.len(), open.len());
                for s in open {
                    let _ = writeln!(
                        out,
                        "  {:?} {} due {:?} dispatched {:?} fetches {} failures {} {}",
                        s.status, s.url, s.next_due_ms, s.dispatched_at_ms, s.fetches, s.failures, s.error_class
                    );
                }
            }
            Err(e) => {
                let _ = writeln!(out, "frontier unreadable: {e}");
            }
        },
        Err(e) => {
            let _ = writeln!(out, "frontier bucket: {e}");
        }
    }
    for stage in StageName::ALL {
        let Ok(mut stream) = bus.jetstream().get_stream(stage.stream()).await else {
            let _ = writeln!(out, "{}: unreadable", stage.stream());
            continue;
        };
        let messages = stream.info().await.map(|i| i.state.messages).ok();
        let consumer = match stream
            .get_consumer::<townreports_bus::async_nats::jetstream::consumer::pull::Config>(stage.consumer())
            .await
        {
            Ok(mut c) => c
                .info()
                .await
                .map(|i| {
                    format!(
                        "pending {} ack-pending {} redelivered {} waiting pulls {}",
                        i.num_pending, i.num_ack_pending, i.num_redelivered, i.num_waiting
                    )
                })
                .unwrap_or_else(|e| e.to_string()),
            Err(e) => e.to_string(),
        };
        let _ = writeln!(out, "{}: {messages:?} messages; consumer {consumer}", stage.stream());
    }
    out
}

/// The status of a worker's `GET /readyz` (0 when nothing answers).
pub async fn readyz(http: &reqwest::Client, addr: &str) -> u16 {
    match http.get(format!("http://{addr}/readyz")).send().await {
        Ok(response) => response.status().as_u16(),
        Err(_) => 0,
    }
}
