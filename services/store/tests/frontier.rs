//! The frontier's status index on both databases: rows saved and changed
//! in place, read back by partition and due time, in flight, by key.

use townreports_store::frontier::IN_FLIGHT;
use townreports_store::{FrontierRow, Location, Store};

fn row(key: &str, partition: i64, status: &str, due_ms: Option<i64>) -> FrontierRow {
    FrontierRow {
        key: key.into(),
        partition,
        site: format!("site-{partition}"),
        status: status.into(),
        due_ms,
        state: format!("{{\"url\":\"{key}\"}}"),
    }
}

async fn due_urls_are_read_by_partition_in_time_order(location: Location) {
    let store = Store::open(&location).await.unwrap();
    store
        .save_frontier(&[
            row("http://a/3", 1, "pending", Some(30)),
            row("http://a/1", 1, "fetched", Some(10)),
            row("http://a/2", 1, "pending", Some(20)),
            row("http://a/never", 1, "fetched", None),
            row("http://b/1", 2, "pending", Some(5)),
        ])
        .await
        .unwrap();
    let keys = |rows: Vec<FrontierRow>| rows.into_iter().map(|r| r.key).collect::<Vec<_>>();
    assert_eq!(
        keys(store.frontier_due(1, 25, 10).await.unwrap()),
        ["http://a/1", "http://a/2"],
        "partition 1 only, due by 25, earliest first"
    );
    assert_eq!(keys(store.frontier_due(1, 100, 1).await.unwrap()), ["http://a/1"]);

    // Dispatched: in flight, out of the due order; saved again in place.
    store
        .save_frontier(&[row("http://a/1", 1, IN_FLIGHT, None)])
        .await
        .unwrap();
    assert_eq!(keys(store.frontier_due(1, 25, 10).await.unwrap()), ["http://a/2"]);
    let in_flight = store.frontier_in_flight(1).await.unwrap();
    assert_eq!(in_flight, [row("http://a/1", 1, IN_FLIGHT, None)]);
    assert!(store.frontier_in_flight(2).await.unwrap().is_empty());

    let known = store
        .frontier_get(&["http://b/1".into(), "http://unknown/".into()])
        .await
        .unwrap();
    assert_eq!(known, [row("http://b/1", 2, "pending", Some(5))]);
    assert_eq!(
        store.frontier_sites().await.unwrap(),
        [("site-1".to_string(), 4), ("site-2".to_string(), 1)]
    );
    store.close().await;
}

async fn a_large_batch_is_saved_in_one_call(location: Location) {
    let store = Store::open(&location).await.unwrap();
    // More rows than one statement's placeholders hold.
    let rows: Vec<FrontierRow> = (0..12_000)
        .map(|i| row(&format!("http://h{}/{i}", i % 7), i % 7, "pending", Some(i)))
        .collect();
    store.save_frontier(&rows).await.unwrap();
    let known: i64 = store.frontier_sites().await.unwrap().iter().map(|(_, n)| n).sum();
    assert_eq!(known, 12_000);
    assert_eq!(store.frontier_due(3, i64::MAX, 100_000).await.unwrap().len(), 1_714);
    store.close().await;
}

townreports_store::on_both_databases!(
    due_urls_are_read_by_partition_in_time_order,
    a_large_batch_is_saved_in_one_call
);
