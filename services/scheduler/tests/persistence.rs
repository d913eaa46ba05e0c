//! The frontier survives a scheduler restart through the key-value bucket
//! (on nats-server 2.9, where buckets need their stream made by hand).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use townreports_bus::embedded::NatsServerProcess;
use townreports_bus::{Bus, Shutdown, Stage};
use townreports_proto::topology::StageName;
use townreports_proto::v1::frontier_update::Update;
use townreports_proto::v1::{DiscoveredLinks, FetchJob, FetchOutcome, FetchStatus, FrontierUpdate, Link, PageKind};
use townreports_scheduler::frontier::Mode;
use townreports_scheduler::worker::{FRONTIER_BUCKET, Scheduler, load_states};
use townreports_sites::SitesFile;
use townreports_store::{FrontierRow, Store};

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
    bus.stream_messages(StageName::Fetcher.stream()).await.unwrap()
}

/// A private nats-server (its store in the returned directory), a bus
/// connected to it with the topology made, the sites, and a SQLite store
/// in the same directory for the status index.
async fn private_nats() -> (tempfile::TempDir, NatsServerProcess, Bus, SitesFile, Arc<Store>) {
    let dir = tempfile::tempdir().unwrap();
    let (server, bus) = townreports_bus::testing::nats(dir.path()).await;
    let sites = SitesFile::parse(SITES, Path::new("sites.toml")).unwrap();
    let index = Arc::new(Store::open_sqlite(&dir.path().join("index.sqlite")).await.unwrap());
    (dir, server, bus, sites, index)
}

/// How many URLs `scheduler` knows.
async fn known(scheduler: &Scheduler) -> usize {
    scheduler.stats().await.values().map(|s| s.known).sum()
}

/// The index's rows of every known URL, by URL.
async fn indexed(index: &Store, urls: &[&str]) -> BTreeMap<String, FrontierRow> {
    let keys: Vec<String> = urls.iter().map(|u| u.to_string()).collect();
    index
        .frontier_get(&keys)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.key.clone(), r))
        .collect()
}

/// What a SIGKILLed nats-server 2.9 was seen to do, on purpose: the
/// bucket loses every entry it had acknowledged. Returns the bucket.
async fn lose_every_entry(bus: &Bus) -> townreports_bus::async_nats::jetstream::kv::Store {
    let kv = bus.key_value(FRONTIER_BUCKET, 1).await.unwrap();
    let keys: Vec<String> = kv.keys().await.unwrap().try_collect().await.unwrap();
    for key in &keys {
        kv.purge(key).await.unwrap();
    }
    kv
}

/// A list page of site a.
fn list_job() -> FetchJob {
    FetchJob {
        url: "http://127.0.0.1:1/a/index.html".into(),
        site_id: "a".into(),
        kind: PageKind::List as i32,
        ..Default::default()
    }
}

/// Site a's article `n`.
fn article(n: u32) -> String {
    format!("http://127.0.0.1:1/a/art/{n}.html")
}

/// The list page read, linking articles 1 to `n`.
fn links_to(n: u32) -> FrontierUpdate {
    let links = (1..=n)
        .map(|i| Link {
            url: article(i),
            kind: PageKind::Article as i32,
            ..Default::default()
        })
        .collect();
    FrontierUpdate {
        update: Some(Update::Links(DiscoveredLinks {
            job: Some(list_job()),
            clean_text_sha256: "list".into(),
            links,
            ..Default::default()
        })),
    }
}

/// Article `n` fetched, with the ETag `"v{n}"`.
fn fetched(n: u32) -> FrontierUpdate {
    FrontierUpdate {
        update: Some(Update::Outcome(FetchOutcome {
            job: Some(FetchJob {
                url: article(n),
                site_id: "a".into(),
                kind: PageKind::Article as i32,
                ..Default::default()
            }),
            status: FetchStatus::Ok as i32,
            http_status: 200,
            etag: format!("\"v{n}\""),
            ..Default::default()
        })),
    }
}

#[tokio::test]
async fn restart_neither_loses_nor_repeats_dispatched_jobs() {
    let (_dir, mut server, bus, sites, index) = private_nats().await;

    let first = Scheduler::start(&bus, &sites, Mode::Continuous, index.clone())
        .await
        .unwrap();
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
    first.flush_index().await.unwrap();
    drop(first);
    // The status index holds what the bucket holds: both robots.txt in
    // flight (no due time), the start URLs waiting for them.
    let rows = indexed(
        &index,
        &[
            "http://127.0.0.1:1/robots.txt",
            "http://127.0.0.1:2/robots.txt",
            "http://127.0.0.1:1/a/index.html",
            "http://127.0.0.1:2/",
        ],
    )
    .await;
    assert_eq!(rows.len(), 4, "{rows:?}");
    for (url, row) in &rows {
        let robots = url.ends_with("robots.txt");
        assert_eq!(row.status == "in_flight", robots, "{row:?}");
        assert_eq!(row.due_ms.is_some(), !robots, "{row:?}");
    }
    assert_eq!(
        rows["http://127.0.0.1:1/robots.txt"].partition, rows["http://127.0.0.1:1/a/index.html"].partition,
        "a host's URLs share a partition"
    );

    // A replacement scheduler restores the in-flight jobs and does not send them again.
    let second = Scheduler::start(&bus, &sites, Mode::Continuous, index.clone())
        .await
        .unwrap();
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

#[tokio::test]
async fn entries_the_server_lost_are_saved_again_after_it_comes_back() {
    let (_dir, mut server, bus, sites, index) = private_nats().await;
    let scheduler = Scheduler::start(&bus, &sites, Mode::Continuous, index).await.unwrap();
    let shutdown = Shutdown::new();
    let saver = tokio::spawn(scheduler.clone().save_again_on_reconnect(bus.clone(), shutdown.clone()));
    let kv = bus.key_value(FRONTIER_BUCKET, 1).await.unwrap();
    let known = load_states(&kv).await.unwrap().len();
    assert_eq!(known, 3, "the three start URLs");

    // What a SIGKILLed nats-server 2.9 was seen to do: come back without
    // entries it had acknowledged. Here they are removed on purpose.
    let keys: Vec<String> = kv.keys().await.unwrap().try_collect().await.unwrap();
    for key in &keys[1..] {
        kv.purge(key).await.unwrap();
    }
    assert_eq!(load_states(&kv).await.unwrap().len(), 1);
    server.restart().await.unwrap();

    let mut restored = 0;
    for _ in 0..200 {
        restored = load_states(&kv).await.map(|s| s.len()).unwrap_or(0);
        if restored == known {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        restored, known,
        "the scheduler saved its frontier again after reconnecting"
    );
    shutdown.trigger();
    saver.await.unwrap();
    server.terminate().await;
}

#[tokio::test]
async fn a_bucket_without_its_index_is_copied_into_a_new_one() {
    let (dir, mut server, bus, sites, index) = private_nats().await;
    let first = Scheduler::start(&bus, &sites, Mode::Continuous, index).await.unwrap();
    let known = known(&first).await;
    drop(first);

    // The same bucket beside an empty database (an index added later, or a
    // database replaced): every entry is written to it at start.
    let fresh = Arc::new(Store::open_sqlite(&dir.path().join("fresh.sqlite")).await.unwrap());
    let _second = Scheduler::start(&bus, &sites, Mode::Continuous, fresh.clone())
        .await
        .unwrap();
    let per_site = fresh.frontier_sites().await.unwrap();
    assert_eq!(
        per_site.iter().map(|(_, n)| *n as usize).sum::<usize>(),
        known,
        "{per_site:?}"
    );
    server.terminate().await;
}

#[tokio::test]
async fn the_bucket_read_while_it_is_written_gives_each_url_once() {
    let (_dir, mut server, bus, sites, index) = private_nats().await;
    let scheduler = Scheduler::start(&bus, &sites, Mode::Continuous, index).await.unwrap();
    let known = known(&scheduler).await;
    let kv = bus.key_value(FRONTIER_BUCKET, 1).await.unwrap();
    let entries: Vec<(String, bytes::Bytes)> = {
        let keys: Vec<String> = kv.keys().await.unwrap().try_collect().await.unwrap();
        let mut entries = Vec::new();
        for key in keys {
            entries.push((key.clone(), kv.get(&key).await.unwrap().unwrap()));
        }
        entries
    };
    // Another process (a running crawl) writes the same entries again and
    // again while `status` reads the bucket: a write every millisecond or
    // two, more than a crawl makes.
    let writer = {
        let kv = kv.clone();
        tokio::spawn(async move {
            loop {
                for (key, value) in &entries {
                    kv.put(key, value.clone()).await.unwrap();
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        })
    };
    for _ in 0..20 {
        let states = load_states(&kv).await.unwrap();
        let urls: std::collections::BTreeSet<&str> = states.iter().map(|s| s.url.as_str()).collect();
        assert_eq!((states.len(), urls.len()), (known, known), "each URL once");
    }
    writer.abort();
    server.terminate().await;
}

#[tokio::test]
async fn entries_left_to_the_index_come_back_when_linked_or_due() {
    let (_dir, mut server, bus, sites, index) = private_nats().await;
    let scheduler = Scheduler::start(&bus, &sites, Mode::Continuous, index.clone())
        .await
        .unwrap();
    scheduler.process(links_to(3), &bus).await.unwrap();
    for n in 1..=3 {
        scheduler.process(fetched(n), &bus).await.unwrap();
    }
    let (known_before, held_before) = (known(&scheduler).await, scheduler.in_memory().await);

    // Fetched articles are next due at their recheck, days away: out of a
    // one-minute window they leave memory, and every count still has them.
    scheduler.set_due_window(Duration::from_secs(60));
    scheduler.sweep_memory().await.unwrap();
    assert_eq!(scheduler.in_memory().await, held_before - 3);
    assert_eq!(known(&scheduler).await, known_before);
    assert_eq!(scheduler.stats().await["a"].fetched, 3);

    // The list shows them again with one new article: only that one is new,
    // and the evicted ones keep what they had (not pending again).
    scheduler.process(links_to(4), &bus).await.unwrap();
    assert_eq!(known(&scheduler).await, known_before + 1);
    scheduler.flush_index().await.unwrap();
    let rows = indexed(&index, &[&article(1), &article(4)]).await;
    assert_eq!(rows[&article(1)].status, "fetched", "{rows:?}");
    assert!(rows[&article(1)].state.contains("\\\"v1\\\""), "{rows:?}");
    assert_eq!(rows[&article(4)].status, "pending");

    // Looked up, they were back in memory; left again, a window that
    // reaches their recheck reads them back from the index.
    let held = scheduler.in_memory().await;
    assert_eq!(held, held_before + 1);
    scheduler.sweep_memory().await.unwrap();
    // (The list, linked twice and never fetched, is due no more and goes too.)
    let left = scheduler.in_memory().await;
    assert_eq!(left, held - 4);
    scheduler.set_due_window(Duration::from_secs(400 * 24 * 3600));
    scheduler.sweep_memory().await.unwrap();
    assert_eq!(scheduler.in_memory().await, left + 3);

    // A server that lost what it had acknowledged gets every entry again,
    // those left to the index included, as they are.
    scheduler.set_due_window(Duration::from_secs(60));
    scheduler.sweep_memory().await.unwrap();
    assert_eq!(scheduler.in_memory().await, left);
    let kv = lose_every_entry(&bus).await;
    assert!(load_states(&kv).await.unwrap().is_empty());
    scheduler.save_all().await.unwrap();
    let saved = load_states(&kv).await.unwrap();
    assert_eq!(saved.len(), known_before + 1);
    let first = saved.iter().find(|s| s.url == article(1)).unwrap();
    assert_eq!(first.etag, "\"v1\"", "{first:?}");
    assert_eq!(known(&scheduler).await, known_before + 1);
    server.terminate().await;
}

/// The index lags the bucket by a flush: a scheduler that dies in between
/// leaves it older. Its successor writes the index from the bucket before it
/// leaves anything to it, so nothing comes back from the index as it was.
#[tokio::test]
async fn a_successor_does_not_take_back_what_the_index_had_not_caught_up_with() {
    let (_dir, mut server, bus, sites, index) = private_nats().await;
    let first = Scheduler::start(&bus, &sites, Mode::Continuous, index.clone())
        .await
        .unwrap();
    first.process(links_to(3), &bus).await.unwrap();
    first.flush_index().await.unwrap();
    for n in 1..=3 {
        first.process(fetched(n), &bus).await.unwrap();
    }
    // It dies before its next flush: the index still has them pending.
    drop(first);
    assert_eq!(indexed(&index, &[&article(1)]).await[&article(1)].status, "pending");

    let next = Scheduler::start(&bus, &sites, Mode::Continuous, index.clone())
        .await
        .unwrap();
    let held = next.in_memory().await;
    next.set_due_window(Duration::from_secs(60));
    // The fetched articles leave memory, and are not read back as due.
    next.sweep_memory().await.unwrap();
    next.sweep_memory().await.unwrap();
    assert_eq!(next.in_memory().await, held - 3);
    let stats = &next.stats().await["a"];
    assert_eq!((stats.fetched, stats.known), (3, 5), "{stats:?}");
    let rows = indexed(&index, &[&article(1), &article(2), &article(3)]).await;
    assert!(rows.values().all(|r| r.status == "fetched"), "{rows:?}");

    // Nor saved from the index to a bucket that lost them.
    let kv = lose_every_entry(&bus).await;
    next.save_all().await.unwrap();
    let saved = load_states(&kv).await.unwrap();
    let first_article = saved.iter().find(|s| s.url == article(1)).unwrap();
    assert_eq!(first_article.etag, "\"v1\"", "{first_article:?}");
    server.terminate().await;
}
