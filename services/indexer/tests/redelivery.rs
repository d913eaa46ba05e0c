//! A worker that dies after storing and announcing but before acking: the
//! redelivered record is neither stored nor announced a second time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use townreports_bus::worker::{Label, run_stage};
use townreports_bus::{Bus, Publish, Shutdown, Stage, StageError, WorkerOptions};
use townreports_indexer::worker::IndexStage;
use townreports_proto::content_sha256;
use townreports_proto::topology::{self as names, STREAM_EVENTS, StageName};
use townreports_proto::v1::{Division, ReportRecord, Source};
use townreports_store::Store;

/// The real indexer, except that its first delivery "dies" after doing its
/// work: the message is not acked and comes back.
struct DiesBeforeFirstAck {
    inner: IndexStage,
    died: AtomicBool,
}

impl Stage for DiesBeforeFirstAck {
    type Input = ReportRecord;
    const NAME: StageName = StageName::Indexer;

    fn label(input: &ReportRecord) -> Label {
        IndexStage::label(input)
    }

    async fn process(&self, record: ReportRecord, bus: &Bus) -> Result<Vec<Publish>, StageError> {
        let outputs = self.inner.process(record, bus).await?;
        if !self.died.swap(true, Ordering::SeqCst) {
            return Err(StageError::Transient {
                class: "crash".into(),
                message: "died before the ack".into(),
                retry_after: Some(Duration::from_millis(10)),
            });
        }
        Ok(outputs)
    }
}

#[tokio::test]
async fn redelivery_after_a_crash_stores_and_announces_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, bus) = townreports_bus::testing::nats(&dir.path().join("nats")).await;
    let store = Arc::new(Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap());

    let text = "某镇2023年政府工作报告正文";
    let record = ReportRecord {
        id: "r-1".into(),
        is_report: Some(true),
        text: text.into(),
        content_sha256: content_sha256(text),
        division: Some(Division {
            code: Some("511102109".into()),
            ..Default::default()
        }),
        source: Some(Source {
            url: Some("http://127.0.0.1/a".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    bus.publish(&Publish::proto_by_content(names::SUBJECT_RECORDS_EXTRACTED, &record))
        .await
        .unwrap();

    let stage = DiesBeforeFirstAck {
        inner: IndexStage::new(store.clone()),
        died: AtomicBool::new(false),
    };
    let shutdown = Shutdown::new();
    let worker = tokio::spawn(run_stage(
        bus.clone(),
        Arc::new(stage),
        WorkerOptions::default(),
        shutdown.clone(),
    ));
    for _ in 0..200 {
        if bus.stream_messages(StageName::Indexer.stream()).await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        bus.stream_messages(StageName::Indexer.stream()).await.unwrap(),
        0,
        "acked in the end"
    );
    assert_eq!(store.count().await.unwrap(), 1);
    assert_eq!(store.versions("r-1").await.unwrap(), 1);
    assert_eq!(bus.stream_messages(STREAM_EVENTS).await.unwrap(), 1, "announced once");
    let events = bus.jetstream().get_stream(STREAM_EVENTS).await.unwrap();
    let event = events.get_raw_message(1).await.unwrap();
    assert_eq!(
        event.subject.as_str(),
        "townreports.reports.new.51.5111.511102.511102109.r-1"
    );

    shutdown.trigger();
    worker.await.unwrap().unwrap();
    server.terminate().await;
}
