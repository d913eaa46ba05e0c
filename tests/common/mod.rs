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
