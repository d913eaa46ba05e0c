//! The frontier survives a scheduler restart through the key-value bucket
//! (on nats-server 2.9, where buckets need their stream made by hand).

use std::path::Path;
use std::time::Duration;

use townreports_bus::embedded::NatsServerProcess;
use townreports_bus::{Bus, NatsOptions, Shutdown};
use townreports_proto::topology::Stage;
use townreports_scheduler::frontier::Mode;
use townreports_scheduler::worker::Scheduler;
use townreports_sites::SitesFile;

const SITES: &str = r#"
[fetch]
allow_private_networks = ["127.0.0.0/8"]
min_delay = "0s"
[[site]]
id = "a"
name = "甲镇"
start_urls = ["http://127.0.0.1:1/a/index.html", "http://127.0.0.1:1/a/other.html"]
[[site]]
id = "b"
name = "乙镇"
start_urls = ["http://127.0.0.1:2/"]
"#;

async fn fetch_queue(bus: &Bus) -> u64 {
    bus.stream_messages(Stage::Fetcher.stream()).await.unwrap()
}

#[tokio::test]
async fn restart_neither_loses_nor_repeats_dispatched_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = NatsServerProcess::start(dir.path()).await.unwrap();
    let bus = Bus::connect(&NatsOptions::with_url(server.url()), "test")
        .await
        .unwrap();
    bus.ensure_topology().await.unwrap();
    let sites = SitesFile::parse(SITES, Path::new("sites.toml")).unwrap();

    let first = Scheduler::start(&bus, &sites, Mode::Continuous).await.unwrap();
    let shutdown = Shutdown::new();
    let dispatcher = tokio::spawn(first.clone().dispatch(bus.clone(), shutdown.clone()));
    for _ in 0..100 {
        if fetch_queue(&bus).await >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // One job per host, robots.txt first: the start URLs wait for it.
    assert_eq!(fetch_queue(&bus).await, 2);
    shutdown.trigger();
    dispatcher.await.unwrap();
    drop(first);

    // A replacement scheduler restores the in-flight jobs and does not send them again.
    let second = Scheduler::start(&bus, &sites, Mode::Continuous).await.unwrap();
    let stats = second.stats().await;
    assert_eq!(stats["a"].known, 3, "two start URLs and robots.txt");
    assert_eq!(stats["a"].in_flight, 1);
    assert_eq!(stats["b"].in_flight, 1);
    let shutdown = Shutdown::new();
    let dispatcher = tokio::spawn(second.clone().dispatch(bus.clone(), shutdown.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fetch_queue(&bus).await, 2, "nothing dispatched twice");
    shutdown.trigger();
    dispatcher.await.unwrap();
    server.terminate().await;
}
