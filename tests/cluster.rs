//! The production topology on one machine: a three-node NATS cluster with
//! every stream replicated on all three, PostgreSQL as the store, and the
//! workers as separate processes with several replicas each (2 schedulers,
//! 2 fetchers, 2 parsers, 3 extractors, 2 indexers), crawling the simulated
//! portals. Mid-crawl one NATS node and one replica of every worker are
//! killed with SIGKILL and started again. In the end every report is stored
//! once and announced once, and the work streams hold nothing: the poison
//! messages injected at the start sit in the dead-letter stream.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::cluster::NatsCluster;
use common::{LogsOnFailure, crawl_done, events, requests_answered, spawn_worker};
use tokio::process::Child;
use townreports_bus::Publish;
use townreports_bus::embedded::free_port;
use townreports_proto::topology::{self as names, STREAM_DLQ, StageName};
use townreports_store::Store;
use townreports_store::testing::ScratchDatabase;

const REPLICAS: [(&str, usize); 5] = [
    ("scheduler", 2),
    ("fetcher", 2),
    ("parser", 2),
    ("extractor", 3),
    ("indexer", 2),
];

/// Undecodable payloads on three stages' subjects.
const POISON: [&str; 3] = [
    names::SUBJECT_PAGES_FETCHED,
    names::SUBJECT_DOCS_PARSED,
    names::SUBJECT_RECORDS_EXTRACTED,
];

struct Replica {
    worker: &'static str,
    metrics_addr: String,
    child: Child,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_with_killed_nodes_and_replicas_stores_and_announces_every_report_once() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let mut cluster = NatsCluster::start(&dir.join("nats"), 3).await;
    let bus = cluster.bus().await;
    let db = ScratchDatabase::create().await.unwrap();
    let townreports_store::Location::Postgres(database_url) = db.location.clone() else {
        unreachable!("a scratch database is on PostgreSQL")
    };
    let portals = townreports_portals::start().await.unwrap();
    let sites = dir.join("sites.toml");
    std::fs::write(&sites, portals.sites_toml("100ms")).unwrap();

    for (i, subject) in POISON.iter().enumerate() {
        bus.publish(&Publish {
            subject: (*subject).into(),
            payload: bytes::Bytes::from_static(&[0xff, 0xff, 0xff]),
            msg_id: format!("poison-{i}"),
            headers: Default::default(),
        })
        .await
        .unwrap();
    }

    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let _show = LogsOnFailure(dir.to_path_buf());
    let nats_url = cluster.urls();
    let mut started = 0;
    let mut spawn = |worker: &'static str| {
        started += 1;
        let metrics_addr = format!("127.0.0.1:{}", free_port().unwrap());
        let env = [
            ("NATS_URL", nats_url.clone()),
            ("NATS_REPLICAS", "3".to_string()),
            ("DATABASE_URL", database_url.clone()),
            ("SITES_FILE", sites.display().to_string()),
            ("METRICS_ADDR", metrics_addr.clone()),
            // A killed replica's messages come back after this, not a minute.
            ("ACK_WAIT", "5s".to_string()),
            ("CONCURRENCY", "2".to_string()),
            (
                "RUST_LOG",
                "info,townreports_scheduler=debug,townreports_bus=debug,async_nats=warn".to_string(),
            ),
        ];
        let log = logs.join(format!("{worker}-{started}.log"));
        Replica {
            worker,
            metrics_addr,
            child: spawn_worker(worker, &env, &log),
        }
    };
    let mut replicas: Vec<Replica> = REPLICAS
        .iter()
        .flat_map(|(worker, n)| std::iter::repeat_n(*worker, *n))
        .map(&mut spawn)
        .collect();

    // Mid-crawl: a NATS node and the first replica of every worker die.
    requests_answered(&portals, 15, Duration::from_secs(90)).await;
    cluster.kill(1).await;
    for (worker, _) in REPLICAS {
        let i = replicas.iter().position(|r| r.worker == worker).unwrap();
        let mut dead = replicas.remove(i);
        dead.child.kill().await.unwrap();
    }
    let killed_at = portals.request_log().len();
    requests_answered(&portals, killed_at + 10, Duration::from_secs(90)).await;
    cluster.restart(1).await;
    for (worker, _) in REPLICAS {
        replicas.push(spawn(worker));
    }

    crawl_done(&bus, Duration::from_secs(300)).await;

    // Every report stored once and announced once.
    let expected = portals.expected_reports();
    let mut announced: BTreeMap<String, usize> = BTreeMap::new();
    for (subject, event) in events(&bus).await {
        if subject.starts_with("townreports.reports.new.") {
            *announced.entry(event.report_id).or_default() += 1;
        }
    }
    assert!(announced.values().all(|n| *n == 1), "announced twice: {announced:?}");
    assert_eq!(announced.len(), expected.len(), "{announced:?}");
    let store = Store::open(&db.location).await.unwrap();
    assert_eq!(store.count().await.unwrap() as usize, expected.len());
    store.close().await;

    // Nothing left in the work streams; the poison, and only it, dead-lettered.
    for (stage, depth) in bus.queue_depths().await.unwrap() {
        assert_eq!(depth, 0, "{} still holds messages", stage.stream());
    }
    assert_eq!(bus.stream_messages(STREAM_DLQ).await.unwrap(), POISON.len() as u64);
    let mut stages = Vec::new();
    for letter in bus.dead_letters(&Default::default()).await.unwrap() {
        assert_eq!(letter.class.as_deref(), Some("decode"));
        stages.push(letter.stage.map_or("", |s| s.name()));
    }
    stages.sort();
    assert_eq!(stages, ["extractor", "indexer", "parser"]);

    // Every replica, the restarted ones too, is ready and counts its work.
    let mut processed: BTreeMap<&str, f64> = BTreeMap::new();
    let start = Instant::now();
    for replica in &replicas {
        loop {
            let ready = reqwest::get(format!("http://{}/readyz", replica.metrics_addr)).await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "{} not ready",
                replica.worker
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let metrics = reqwest::get(format!("http://{}/metrics", replica.metrics_addr))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let stage = StageName::from_name(replica.worker).unwrap().name();
        let ok = format!("townreports_messages_total{{stage=\"{stage}\",outcome=\"ok\"}} ");
        let count: f64 = metrics
            .lines()
            .find_map(|l| l.strip_prefix(ok.as_str()))
            .map_or(0.0, |v| v.parse().unwrap());
        *processed.entry(replica.worker).or_default() += count;
    }
    for (worker, _) in REPLICAS {
        assert!(
            processed.get(worker).copied().unwrap_or(0.0) > 0.0 || worker == "scheduler",
            "the surviving {worker} replicas processed nothing: {processed:?}"
        );
    }
    eprintln!(
        "{} reports stored and announced once; messages processed by the replicas alive at the end: {processed:?}",
        expected.len()
    );

    for mut replica in replicas {
        replica.child.kill().await.unwrap();
    }
    portals.shutdown().await;
    cluster.stop().await;
    db.drop_database().await.unwrap();
}
