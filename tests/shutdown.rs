//! A busy worker process told to stop (SIGTERM, as Kubernetes does) exits 0
//! within its grace period, and every message is processed exactly once
//! between it and the replica that takes over: what it held it finished and
//! acked, what it had fetched but not started it gave back, and the
//! replica publishes no duplicate.

mod common;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::until;
use prost::Message;
use tokio::process::{Child, Command};
use townreports_bus::Publish;
use townreports_bus::embedded::free_port;
use townreports_proto::topology::{self as names, StageName};
use townreports_proto::v1::{FetchJob, ParsedDocument};

const DOCUMENTS: usize = 60;
const GRACE: Duration = Duration::from_secs(10);

fn extractor(nats_url: &str, metrics_addr: Option<&str>, log: &std::path::Path) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_townreports"));
    command
        .arg("extractor")
        .env("NATS_URL", nats_url)
        .env("CONCURRENCY", "4")
        .env("GRACE_PERIOD", format!("{}s", GRACE.as_secs()))
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .kill_on_drop(true);
    if let Some(addr) = metrics_addr {
        command.env("METRICS_ADDR", addr);
    }
    command.spawn().unwrap()
}

/// Parsed documents of the seed reports, each under its own URL.
fn documents() -> Vec<ParsedDocument> {
    let seeds: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/corpus/seeds"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    (0..DOCUMENTS)
        .map(|i| {
            let url = format!("http://127.0.0.1:9/reports/{i}.html");
            ParsedDocument {
                job: Some(FetchJob {
                    url: url.clone(),
                    site_id: "shutdown-test".into(),
                    ..Default::default()
                }),
                url,
                charset: "UTF-8".into(),
                text: seeds[i % seeds.len()].clone(),
                government_chrome: true,
                ..Default::default()
            }
        })
        .collect()
}

/// The Prometheus samples of `/metrics`, by series.
async fn scrape(addr: &str) -> BTreeMap<String, f64> {
    let body = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter_map(|(series, value)| Some((series.to_string(), value.parse().ok()?)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_worker_stops_within_its_grace_period_and_nothing_is_lost_or_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, bus) = townreports_bus::testing::nats(&dir.path().join("nats")).await;
    for doc in documents() {
        bus.publish(&Publish::proto_by_content(names::SUBJECT_DOCS_PARSED, &doc))
            .await
            .unwrap();
    }
    let records = async || bus.stream_messages(StageName::Indexer.stream()).await.unwrap() as usize;

    // The first replica is stopped while it works through the queue.
    let first_log = dir.path().join("first.log");
    let mut first = extractor(&server.url(), None, &first_log);
    until("the first replica has published", Duration::from_secs(60), async || {
        records().await >= 5
    })
    .await;
    let published_before = records().await;
    let signalled = Instant::now();
    let term = std::process::Command::new("kill")
        .args(["-TERM", &first.id().unwrap().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = tokio::time::timeout(GRACE + Duration::from_secs(5), first.wait())
        .await
        .expect("exits within its grace period")
        .unwrap();
    let stopped_in = signalled.elapsed();
    assert!(status.success(), "exit status {status}");
    assert!(stopped_in < GRACE, "stopped after {stopped_in:?}");
    let log = std::fs::read_to_string(&first_log).unwrap();
    let stopped: serde_json::Value = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["fields"]["message"] == "worker stopped")
        .unwrap_or_else(|| panic!("no stop line in the log:\n{log}"));
    let acked_by_first = stopped["fields"]["acked"].as_u64().unwrap() as usize;
    assert!(
        acked_by_first >= published_before,
        "{acked_by_first} < {published_before}"
    );
    assert!(acked_by_first < DOCUMENTS, "the first replica was stopped while busy");
    eprintln!(
        "the first replica stopped {stopped_in:?} after SIGTERM, having processed {acked_by_first} of {DOCUMENTS}"
    );

    // A replica takes over the rest and finds nothing to do twice.
    let metrics_addr = format!("127.0.0.1:{}", free_port().unwrap());
    let second_log = dir.path().join("second.log");
    let _second = extractor(&server.url(), Some(&metrics_addr), &second_log);
    let start = Instant::now();
    loop {
        let queued = bus.stream_messages(StageName::Extractor.stream()).await.unwrap();
        if queued == 0 {
            break;
        }
        if start.elapsed() >= Duration::from_secs(120) {
            let mut consumer: townreports_bus::async_nats::jetstream::consumer::PullConsumer = bus
                .jetstream()
                .get_consumer_from_stream("extractor", StageName::Extractor.stream())
                .await
                .unwrap();
            eprintln!("{:#?}", consumer.info().await.unwrap());
            eprintln!("first log:\n{}", std::fs::read_to_string(&first_log).unwrap());
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{queued} documents still queued, {} records; the second replica's log:\n{}",
            records().await,
            std::fs::read_to_string(&second_log).unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    until("the second replica is ready", Duration::from_secs(10), async || {
        reqwest::get(format!("http://{metrics_addr}/readyz"))
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
    let metrics = scrape(&metrics_addr).await;
    let series = |name: &str| metrics.get(name).copied().unwrap_or(0.0) as usize;
    let acked_by_second = series(r#"townreports_messages_total{stage="extractor",outcome="ok"}"#);
    assert_eq!(acked_by_first + acked_by_second, DOCUMENTS, "{metrics:?}");
    assert_eq!(
        series(r#"townreports_published_total{outcome="duplicate"}"#),
        0,
        "{metrics:?}"
    );
    assert!(
        metrics.contains_key(r#"townreports_consumer_lag{stage="extractor"}"#),
        "{metrics:?}"
    );
    assert_eq!(records().await, DOCUMENTS, "one record per document");

    server.terminate().await;
}

#[test]
fn documents_are_distinct_messages() {
    let docs = documents();
    let mut ids: Vec<_> = docs
        .iter()
        .map(|d| Publish::proto_by_content(names::SUBJECT_DOCS_PARSED, d).msg_id)
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), DOCUMENTS);
    assert!(docs.iter().all(|d| !d.encode_to_vec().is_empty()));
}
