//! A worker that dies after storing and announcing but before acking: the
//! redelivered batch is neither stored nor announced a second time, and a
//! bad record in it goes to the dead letters alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use townreports_bus::embedded::NatsServerProcess;
use townreports_bus::worker::run_batch_stage;
use townreports_bus::{BatchStage, Bus, NatsOptions, Publish, Shutdown, StageError, WorkerOptions};
use townreports_indexer::worker::IndexStage;
use townreports_proto::content_sha256;
use townreports_proto::topology::{self as names, STREAM_DLQ, STREAM_EVENTS, Stage as StageName};
use townreports_proto::v1::{Division, ReportRecord, Source};
use townreports_store::Store;

/// The real indexer, except that its first delivery "dies" after doing its
/// work: the message is not acked and comes back.
struct DiesBeforeFirstAck {
    inner: IndexStage,
    died: AtomicBool,
}

impl BatchStage for DiesBeforeFirstAck {
    type Input = ReportRecord;
    const NAME: StageName = StageName::Indexer;
    const BATCH: usize = IndexStage::BATCH;

    async fn process_batch(&self, records: &[ReportRecord], bus: &Bus) -> Vec<Result<Vec<Publish>, StageError>> {
        let outcomes = self.inner.process_batch(records, bus).await;
        if self.died.swap(true, Ordering::SeqCst) {
            return outcomes;
        }
        outcomes
            .into_iter()
            .map(|_| {
                Err(StageError::Transient {
                    class: "crash".into(),
                    message: "died before the ack".into(),
                    retry_after: Some(Duration::from_millis(10)),
                })
            })
            .collect()
    }
}

fn record(id: &str, code: &str, text: &str) -> ReportRecord {
    ReportRecord {
        id: id.into(),
        is_report: Some(true),
        text: text.into(),
        content_sha256: content_sha256(text),
        division: Some(Division {
            code: Some(code.into()),
            ..Default::default()
        }),
        source: Some(Source {
            url: Some(format!("http://127.0.0.1/{id}")),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn redelivery_after_a_crash_stores_and_announces_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = NatsServerProcess::start(&dir.path().join("nats")).await.unwrap();
    let bus = Bus::connect(&NatsOptions::with_url(server.url()), "test")
        .await
        .unwrap();
    bus.ensure_topology().await.unwrap();
    let store = Arc::new(Store::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap());

    let mut bad = record("r-bad", "511102111", "第三个镇的报告");
    bad.content_sha256 = "0".repeat(64);
    let batch = [
        record("r-1", "511102109", "某镇2023年政府工作报告正文"),
        bad,
        record("r-2", "511102110", "另一个乡2023年工作总结，内容完全不同"),
    ];
    for record in &batch {
        bus.publish(&Publish::proto_by_content(names::SUBJECT_RECORDS_EXTRACTED, record))
            .await
            .unwrap();
    }

    let stage = DiesBeforeFirstAck {
        inner: IndexStage::new(store.clone()),
        died: AtomicBool::new(false),
    };
    let shutdown = Shutdown::new();
    let worker = tokio::spawn(run_batch_stage(
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
    assert_eq!(store.count().await.unwrap(), 2, "the bad record is not stored");
    assert_eq!(store.versions("r-1").await.unwrap(), 1);
    assert_eq!(store.versions("r-2").await.unwrap(), 1);
    assert_eq!(
        bus.stream_messages(STREAM_EVENTS).await.unwrap(),
        2,
        "announced once each"
    );
    assert_eq!(
        bus.stream_messages(STREAM_DLQ).await.unwrap(),
        1,
        "the bad record dead-lettered"
    );
    let events = bus.jetstream().get_stream(STREAM_EVENTS).await.unwrap();
    let mut subjects = Vec::new();
    for sequence in [1, 2] {
        subjects.push(events.get_raw_message(sequence).await.unwrap().subject.to_string());
    }
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "townreports.reports.new.51.5111.511102.511102109.r-1",
            "townreports.reports.new.51.5111.511102.511102110.r-2"
        ]
    );

    shutdown.trigger();
    worker.await.unwrap().unwrap();
    server.terminate().await;
}
