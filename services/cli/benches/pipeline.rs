//! Pipeline throughput: pages per second from scheduler to indexer on the
//! simulated template portals, politeness delays off, every worker in one
//! process on a private nats-server; then a second round over the same,
//! unchanged portals, to measure what conditional GET saves (requests
//! answered 304 and bytes not sent, from the portals' own log). Between the
//! two, `reprocess` reads round one's web archive into a new index: pages
//! per second and per CPU-second of this process (issue 18). Run with
//! `cargo bench -p townreports --bench pipeline` (`BENCH_DOCS` documents are
//! added to each portal first; default 200; under `cargo test` it runs with
//! 2 as a smoke test).

use std::time::Instant;

use std::path::Path;

use townreports::reprocess::ReprocessArgs;
use townreports::run::{Pipeline, RunArgs};
use townreports_bus::Shutdown;
use townreports_bus::embedded::NatsServerProcess;

fn main() {
    townreports_bus::telemetry::init();
    // `cargo bench` passes --bench; `cargo test --all-targets` does not, and
    // then this runs as a quick smoke test.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let default_docs = if benchmarking { 200 } else { 2 };
    let docs: u32 = std::env::var("BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_docs);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut server = NatsServerProcess::start(&dir.path().join("nats"))
            .await
            .expect("nats-server");
        let portals = townreports_portals::start().await.expect("portals");
        let portal_count = portals.publish_synthetic(docs);
        let sites = dir.path().join("sites.toml");
        std::fs::write(&sites, portals.template_sites_toml("0s")).expect("sites file");
        let args = {
            use clap::Parser;
            #[derive(Parser)]
            struct Wrap {
                #[command(flatten)]
                run: RunArgs,
            }
            let (s, d, u) = (
                sites.display().to_string(),
                dir.path().join("data").display().to_string(),
                server.url(),
            );
            Wrap::parse_from([
                "bench",
                "--sites",
                &s,
                "--data-dir",
                &d,
                "--once",
                "--nats-url",
                &u,
                "--concurrency",
                "8",
            ])
            .run
        };
        let shutdown = Shutdown::new();
        let started = Instant::now();
        let mut pipeline = Pipeline::start(&args, &shutdown).await.expect("pipeline");
        pipeline.wait_drained(&shutdown).await.expect("drained");
        let elapsed = started.elapsed().as_secs_f64();
        let summary = pipeline.stop().await.expect("summary");
        println!(
            "pipeline: {} pages, {} reports in {:.2} s = {:.0} pages/s ({} synthetic documents per portal, {} portals)",
            summary.pages_fetched,
            summary.reports_new,
            elapsed,
            summary.pages_fetched as f64 / elapsed,
            docs,
            portal_count
        );
        let first = portals.request_log();
        reprocess(&dir.path().join("data"), &dir.path().join("reprocessed")).await;

        // Round two: the lists again, asked for conditionally.
        let mut pipeline = Pipeline::start(&args, &shutdown).await.expect("pipeline");
        pipeline.wait_drained(&shutdown).await.expect("drained");
        pipeline.stop().await.expect("summary");
        let second = &portals.request_log()[first.len()..];
        let not_modified = second.iter().filter(|r| r.status == 304).count();
        let sent: u64 = second.iter().map(|r| r.bytes).sum();
        let unconditional: u64 = second
            .iter()
            .map(|r| {
                // What the same page cost in round one.
                first
                    .iter()
                    .rev()
                    .find(|f| f.portal == r.portal && f.path == r.path && f.status == 200)
                    .map_or(r.bytes, |f| f.bytes)
            })
            .sum();
        println!(
            "second round: {} requests, {} answered 304 Not Modified; {} bytes sent instead of {} ({:.0}% saved); round one sent {} bytes in {} requests",
            second.len(),
            not_modified,
            sent,
            unconditional,
            100.0 * (1.0 - sent as f64 / unconditional.max(1) as f64),
            first.iter().map(|r| r.bytes).sum::<u64>(),
            first.len()
        );
        assert!(not_modified > 0, "conditional GET is used on the second round");
        portals.shutdown().await;
        server.terminate().await;
    });
}

/// User plus system CPU seconds of this process so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th of the whole line, in clock ticks (100 per second).
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Reprocesses the archive of `data_dir` into `out_dir`, timed.
async fn reprocess(data_dir: &Path, out_dir: &Path) {
    let args = ReprocessArgs {
        data_dir: data_dir.to_path_buf(),
        out_dir: out_dir.to_path_buf(),
    };
    let (started, cpu) = (Instant::now(), cpu_seconds());
    let summary = townreports::reprocess::reprocess(&args).await.expect("reprocess");
    let (elapsed, cpu) = (started.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    println!(
        "reprocess: {} archived responses ({} documents, {} reports, {} stored) in {:.2} s = {:.0} responses/s; {:.1} CPU-s = {:.0} per CPU-second",
        summary.responses,
        summary.documents,
        summary.reports,
        summary.stored,
        elapsed,
        summary.responses as f64 / elapsed,
        cpu,
        summary.responses as f64 / cpu.max(0.01)
    );
    assert!(summary.reports > 0, "the archive's reports were read again");
}
