//! The indexer's group commit on both databases: concurrent writes share
//! transactions and each gets its own answer, as if it had been alone.

use std::sync::Arc;

use townreports_indexer::batch::{WRITE_BATCH, WriteQueue};
use townreports_proto::content_sha256;
use townreports_proto::topology::EventKind;
use townreports_proto::v1::{Division, ReportRecord, Source};
use townreports_store::{Change, Location, SearchQuery, Store};

fn record(id: &str, township: &str, code: &str, text: &str) -> ReportRecord {
    ReportRecord {
        id: id.into(),
        is_report: Some(true),
        title: Some(format!("{township}2023年政府工作报告")),
        text: text.into(),
        content_sha256: content_sha256(text),
        division: Some(Division {
            code: Some(code.into()),
            township: Some(township.into()),
            ..Default::default()
        }),
        source: Some(Source {
            url: Some(format!("http://127.0.0.1/{id}.html")),
            site_id: "test".into(),
            source_kind: "official".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Distinct reports, written by many messages at once.
fn reports(n: usize) -> Vec<ReportRecord> {
    (0..n)
        .map(|i| {
            let text = format!(
                "第{i}号镇2023年政府工作报告。各位代表：一年来，第{i}号镇新建道路{}公里，完成投资{}万元，{}",
                i + 3,
                i * 17 + 5,
                "修缮校舍、整治河道、发展特色产业。".repeat(i % 7 + 1)
            );
            record(
                &format!("r-{i}"),
                &format!("第{i}号镇"),
                &format!("{:09}", 110_101_001 + i),
                &text,
            )
        })
        .collect()
}

async fn concurrent_writes_each_get_their_own_answer(location: Location) {
    let store = Arc::new(Store::open(&location).await.unwrap());
    let queue = WriteQueue::start(store.clone());
    let records = reports(WRITE_BATCH * 3 + 5);
    let writes = records.iter().cloned().map(|r| {
        let queue = queue.clone();
        tokio::spawn(async move { queue.upsert(r, 1).await })
    });
    let stored = futures::future::try_join_all(writes).await.unwrap();
    for (record, stored) in records.iter().zip(&stored) {
        let stored = stored.as_ref().unwrap();
        assert_eq!(stored.id, record.id);
        assert_eq!((stored.change, stored.version), (Change::New, 1));
        assert_eq!(stored.owed_event, Some(EventKind::New));
    }
    assert_eq!(store.count().await.unwrap(), records.len() as i64);
    // Every batch's search entries were written.
    let found = store
        .search(&SearchQuery {
            q: Some("修缮校舍".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.total, records.len() as i64);

    // Announced, in batches too: a redelivery owes nothing.
    let marks = records.iter().map(|r| {
        let queue = queue.clone();
        let id = r.id.clone();
        tokio::spawn(async move { queue.mark_announced(&id, 1).await })
    });
    for marked in futures::future::try_join_all(marks).await.unwrap() {
        marked.unwrap();
    }
    let again = queue.upsert(records[7].clone(), 2).await.unwrap();
    assert_eq!((again.change, again.owed_event), (Change::Unchanged, None));
    store.close().await;
}

async fn a_copy_in_the_same_batch_joins_the_report_before_it(location: Location) {
    let store = Arc::new(Store::open(&location).await.unwrap());
    let queue = WriteQueue::start(store.clone());
    let text = "城关镇2023年政府工作报告。各位代表：一年来，全镇新建道路12公里，完成投资3500万元。".repeat(20);
    let original = record("orig", "城关镇", "110101001", &text);
    let mut copy = record("copy", "城关镇", "110101001", &text);
    copy.source.as_mut().unwrap().url = Some("http://127.0.0.1/mirror.html".into());
    // The same record twice, and a copy at another address: one report.
    let (a, b, c) = tokio::join!(
        queue.upsert(original.clone(), 1),
        queue.upsert(original.clone(), 1),
        queue.upsert(copy, 1)
    );
    let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
    assert_eq!(a.change, Change::New);
    assert_eq!((b.id.as_str(), b.change), ("orig", Change::Unchanged));
    assert_eq!((c.id.as_str(), c.change), ("orig", Change::Unchanged));
    assert_eq!(store.count().await.unwrap(), 1);
    store.close().await;
}

townreports_store::on_both_databases!(
    concurrent_writes_each_get_their_own_answer,
    a_copy_in_the_same_batch_joins_the_report_before_it
);
