//! Scale-out: the workers as separate processes (as in Kubernetes) on a
//! private nats-server, crawling the template portals filled with generated
//! work summaries, politeness delays off.
//!
//! - Throughput with 1, 2 and 4 extractor processes (`BENCH_EXTRACTORS`,
//!   default `1,2,4`; `BENCH_DOCS` summaries per portal, default 300), with
//!   each process's CPU seconds, to show what saturates.
//! - With `BENCH_PAGES=N` instead: one crawl of about N pages with one
//!   process per worker, each worker's resident memory sampled every tenth
//!   of the crawl (flat, or growing with what it must remember).
//!
//! `cargo bench -p townreports --bench scale`. Under `cargo test` it runs
//! one small crawl as a smoke test.

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use tokio::process::Child;
use townreports_bus::embedded::NatsServerProcess;
use townreports_bus::{Bus, NatsOptions};
use townreports_portals::Portals;

struct Process {
    name: String,
    child: Child,
}

impl Process {
    fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// Resident memory in MiB (`VmRSS`).
    fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }

    /// User plus system CPU seconds so far.
    fn cpu_seconds(&self, ticks_per_second: f64) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // Fields after the parenthesised command name; utime and stime are
        // the 14th and 15th of the whole line.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
        (ticks(11) + ticks(12)) / ticks_per_second
    }
}

/// Each process's resident memory, for one line of output.
fn resident(processes: &[Process]) -> String {
    let rss: Vec<String> = processes
        .iter()
        .map(|p| format!("{} {:.0} MiB", p.name, p.rss_mib()))
        .collect();
    rss.join(", ")
}

fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// Portals with `docs` generated summaries on each template portal, and
/// the sites file to crawl them with no delay.
async fn portals(docs: u32, dir: &Path) -> Portals {
    let portals = townreports_portals::start().await.expect("portals");
    portals.publish_synthetic(docs);
    std::fs::write(dir.join("sites.toml"), portals.template_sites_toml("0s")).expect("sites file");
    portals
}

fn start(worker: &str, replica: usize, nats_url: &str, dir: &Path) -> Process {
    let concurrency = if worker == "fetcher" { "8" } else { "2" };
    let env = [
        ("NATS_URL", nats_url.to_string()),
        ("SITES_FILE", dir.join("sites.toml").display().to_string()),
        ("DATA_DIR", dir.join("data").display().to_string()),
        ("CONCURRENCY", concurrency.to_string()),
        ("RUST_LOG", "warn".to_string()),
    ];
    let name = format!("{worker}-{replica}");
    let child = common::spawn_worker(worker, &env, &dir.join(format!("{name}.log")));
    Process { name, child }
}

/// One crawl with `extractors` extractor processes; every `sample_every`
/// pages fetched, `sample` sees the processes.
async fn crawl(docs: u32, extractors: usize, mut sample: impl FnMut(usize, &[Process])) -> (usize, f64, Vec<Process>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = NatsServerProcess::start(&dir.path().join("nats"))
        .await
        .expect("nats-server");
    let portals = portals(docs, dir.path()).await;
    let bus = Bus::connect(&NatsOptions::with_url(server.url()), "bench")
        .await
        .expect("connect");
    bus.ensure_topology().await.expect("topology");
    let started = Instant::now();
    let mut processes: Vec<Process> = ["scheduler", "fetcher", "parser", "indexer"]
        .iter()
        .map(|w| start(w, 1, &server.url(), dir.path()))
        .collect();
    processes.extend((1..=extractors).map(|i| start("extractor", i, &server.url(), dir.path())));
    let crawled = async {
        let mut seen = 0;
        loop {
            let pages = portals.request_log().len();
            if pages > seen {
                sample(pages, &processes);
                seen = pages;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    };
    tokio::select! {
        _ = common::crawl_done(&bus, Duration::from_secs(3600)) => {}
        _ = crawled => unreachable!("the sampler loops until the crawl is done"),
    }
    let elapsed = started.elapsed().as_secs_f64();
    let pages = portals.request_log().len();
    sample(pages, &processes);
    portals.shutdown().await;
    server.terminate().await;
    (pages, elapsed, processes)
}

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let env_or = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_string());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let ticks = ticks_per_second();
    runtime.block_on(async {
        if let Ok(pages) = std::env::var("BENCH_PAGES") {
            let pages: u32 = pages.parse().expect("BENCH_PAGES is a number");
            // Six template portals listing two summaries per list page: a
            // crawl fetches about one and a half pages per summary.
            let docs = pages / 9;
            let mut next = 0;
            let step = (pages as usize / 10).max(1);
            let (fetched, elapsed, mut processes) = crawl(docs, 1, |fetched, processes| {
                if fetched >= next {
                    println!("memory after {fetched} pages: {}", resident(processes));
                    next = fetched + step;
                }
            })
            .await;
            println!(
                "memory run: {fetched} pages in {elapsed:.0} s = {:.0} pages/s; at the end: {}",
                fetched as f64 / elapsed,
                resident(&processes)
            );
            for p in &mut processes {
                let _ = p.child.kill().await;
            }
            return;
        }
        let counts = if benchmarking {
            env_or("BENCH_EXTRACTORS", "1,2,4")
        } else {
            "1".into()
        };
        let docs: u32 = env_or("BENCH_DOCS", if benchmarking { "300" } else { "2" })
            .parse()
            .expect("BENCH_DOCS is a number");
        for extractors in counts.split(',').map(|n| n.trim().parse::<usize>().expect("a number")) {
            let (pages, elapsed, mut processes) = crawl(docs, extractors, |_, _| {}).await;
            let cpu: Vec<String> = processes
                .iter()
                .map(|p| format!("{} {:.1} s", p.name, p.cpu_seconds(ticks)))
                .collect();
            println!(
                "{extractors} extractor process(es): {pages} pages in {elapsed:.1} s = {:.0} pages/s; CPU: {}",
                pages as f64 / elapsed,
                cpu.join(", ")
            );
            for p in &mut processes {
                let _ = p.child.kill().await;
            }
        }
    });
}
