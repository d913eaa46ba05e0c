//! The SQLite store on a real file: a report stored once, announced once,
//! its edits kept as versions.

use townreports_indexer::store::{Change, SqliteStore};
use townreports_indexer::validate;
use townreports_proto::content_sha256;
use townreports_proto::topology::EventKind;
use townreports_proto::v1::{ReportRecord, Source};

fn record(id: &str, text: &str, url: &str) -> ReportRecord {
    ReportRecord {
        id: id.into(),
        is_report: Some(true),
        text: text.into(),
        content_sha256: content_sha256(text),
        source: Some(Source {
            url: Some(url.into()),
            site_id: "s".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn stored_once_announced_once_versions_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("db.sqlite")).await.unwrap();
    let r = record("r1", "正文一", "http://a/1");

    let first = store.upsert(&r, 1).await.unwrap();
    assert_eq!((first.change, first.owed_event), (Change::New, Some(EventKind::New)));
    // Redelivered before the event was acknowledged: still owed.
    let again = store.upsert(&r, 2).await.unwrap();
    assert_eq!(
        (again.change, again.owed_event),
        (Change::Unchanged, Some(EventKind::New))
    );
    store.mark_announced("r1", 1).await.unwrap();
    let after = store.upsert(&record("r1", "正文一", "http://b/copy"), 3).await.unwrap();
    assert_eq!((after.change, after.owed_event), (Change::Unchanged, None));

    let edited = store.upsert(&record("r1", "正文二", "http://a/1"), 4).await.unwrap();
    assert_eq!(
        (edited.change, edited.version, edited.owed_event),
        (Change::Updated, 2, Some(EventKind::Updated))
    );
    assert_eq!(store.versions("r1").await.unwrap(), 2);
    assert_eq!(store.count().await.unwrap(), 1);

    let all = store.records().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].text, "正文二");
    let urls: Vec<_> = all[0].sources.iter().map(|s| s.url.clone().unwrap()).collect();
    assert_eq!(urls, ["http://a/1", "http://b/copy"]);
}

#[tokio::test]
async fn reopening_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    {
        let store = SqliteStore::open(&path).await.unwrap();
        store.upsert(&record("r1", "x", "u"), 1).await.unwrap();
        store.close().await;
    }
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.count().await.unwrap(), 1);
}

#[test]
fn records_that_contradict_themselves_are_invalid() {
    let mut r = record("r1", "x", "u");
    assert!(validate(&r).is_ok());
    r.content_sha256 = "0".repeat(64);
    assert!(validate(&r).is_err());
    let mut r = record("", "x", "u");
    assert!(validate(&r).is_err());
    r.id = "r".into();
    r.is_report = None;
    assert!(validate(&r).is_err());
}
