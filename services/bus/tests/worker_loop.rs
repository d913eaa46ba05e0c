//! The worker loop against a real nats-server: outputs before acks, dedupe on
//! redelivery, dead letters with their reason, panics contained.

use std::sync::Arc;
use std::time::Duration;

use townreports_bus::embedded::NatsServerProcess;
use townreports_bus::worker::{Label, run_stage};
use townreports_bus::{Bus, BusError, NatsOptions, Publish, Shutdown, Stage, StageError, WorkerOptions};
use townreports_proto::topology::{self as names, StageName};
use townreports_proto::v1::{FetchJob, FetchOutcome};

/// A fetcher stand-in: echoes each job as an outcome, fails on request.
struct Echo;

impl Stage for Echo {
    type Input = FetchJob;
    const NAME: StageName = StageName::Fetcher;

    fn label(input: &FetchJob) -> Label {
        Label::from(input)
    }

    async fn process(&self, job: FetchJob, _bus: &Bus) -> Result<Vec<Publish>, StageError> {
        if job.url.contains("poison") {
            return Err(StageError::permanent("invalid_job", "poison url"));
        }
        if job.url.contains("panic") {
            panic!("stage bug on {}", job.url);
        }
        let outcome = FetchOutcome {
            job: Some(job.clone()),
            http_status: 200,
            ..Default::default()
        };
        Ok(vec![Publish::proto(
            names::SUBJECT_FRONTIER_OUTCOMES,
            &outcome,
            &[&job.url],
        )])
    }
}

/// A private nats-server (its store in the returned directory) and a bus on
/// it with the topology made, its consumers' ack wait `ack_wait` when given.
async fn private_nats(ack_wait: Option<Duration>) -> (tempfile::TempDir, NatsServerProcess, Bus) {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServerProcess::start(dir.path()).await.unwrap();
    let mut options = NatsOptions::with_url(server.url());
    if let Some(ack_wait) = ack_wait {
        options.ack_wait = ack_wait;
    }
    let bus = Bus::connect(&options, "test").await.unwrap();
    bus.ensure_topology().await.unwrap();
    (dir, server, bus)
}

/// Stops a worker and waits for it to return cleanly.
async fn stop(shutdown: Shutdown, worker: tokio::task::JoinHandle<Result<(), BusError>>) {
    shutdown.trigger();
    tokio::time::timeout(Duration::from_secs(30), worker)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

/// Messages left in `stage`'s work queue once it is empty, or after 5 s.
async fn drained(bus: &Bus, stage: StageName) -> u64 {
    for _ in 0..100 {
        if bus.stream_messages(stage.stream()).await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bus.stream_messages(stage.stream()).await.unwrap()
}

async fn wait_for(bus: &Bus, stream: &str, want: u64) -> u64 {
    let mut got = 0;
    for _ in 0..200 {
        got = bus.stream_messages(stream).await.unwrap();
        if got >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    got
}

#[tokio::test]
async fn outputs_are_published_once_and_poison_is_dead_lettered() {
    let (_dir, mut server, bus) = private_nats(None).await;
    // Twice: creation is idempotent.
    bus.ensure_topology().await.unwrap();

    for url in ["http://a/1", "http://a/2", "http://a/poison", "http://a/panic"] {
        let job = FetchJob {
            url: url.into(),
            site_id: "s".into(),
            ..Default::default()
        };
        bus.publish(&Publish::proto(names::SUBJECT_FETCH_JOBS, &job, &[url]))
            .await
            .unwrap();
    }
    // The same job published again (a scheduler redelivery) is deduplicated.
    let again = FetchJob {
        url: "http://a/1".into(),
        site_id: "s".into(),
        ..Default::default()
    };
    let dup = bus
        .publish(&Publish::proto(names::SUBJECT_FETCH_JOBS, &again, &["http://a/1"]))
        .await
        .unwrap();
    assert_eq!(dup, townreports_bus::publish::Published::Duplicate);
    // Garbage that is not a FetchJob at all.
    bus.publish(&Publish {
        subject: names::SUBJECT_FETCH_JOBS.into(),
        payload: bytes::Bytes::from_static(&[0xff, 0xff, 0xff]),
        msg_id: "garbage".into(),
        headers: Default::default(),
    })
    .await
    .unwrap();

    let shutdown = Shutdown::new();
    let worker = tokio::spawn(run_stage(
        bus.clone(),
        Arc::new(Echo),
        WorkerOptions::default(),
        shutdown.clone(),
    ));

    assert_eq!(wait_for(&bus, StageName::Scheduler.stream(), 2).await, 2);
    assert_eq!(wait_for(&bus, names::STREAM_DLQ, 3).await, 3);
    // Work queue drained: everything was acked or terminated.
    assert_eq!(drained(&bus, StageName::Fetcher).await, 0);

    // Dead letters carry their class.
    let dlq = bus.jetstream().get_stream(names::STREAM_DLQ).await.unwrap();
    let mut classes = Vec::new();
    for seq in 1..=3 {
        let m = dlq.get_raw_message(seq).await.unwrap();
        let h = m.headers;
        classes.push(h.get(names::HEADER_ERROR_CLASS).unwrap().to_string());
        assert_eq!(h.get(names::HEADER_STAGE).unwrap().as_str(), "fetcher");
    }
    classes.sort();
    assert_eq!(classes, ["decode", "invalid_job", "panic"]);

    stop(shutdown, worker).await;
    server.terminate().await;
}

#[tokio::test]
async fn transient_failures_after_max_attempts_are_dead_lettered() {
    struct Flaky;
    impl Stage for Flaky {
        type Input = FetchJob;
        const NAME: StageName = StageName::Parser;
        fn label(input: &FetchJob) -> Label {
            Label::from(input)
        }
        async fn process(&self, _job: FetchJob, _bus: &Bus) -> Result<Vec<Publish>, StageError> {
            Err(StageError::Transient {
                class: "db_down".into(),
                message: "always".into(),
                retry_after: Some(Duration::from_millis(10)),
            })
        }
    }
    let (_dir, mut server, bus) = private_nats(None).await;
    let job = FetchJob {
        url: "http://b/1".into(),
        ..Default::default()
    };
    bus.publish(&Publish::proto(names::SUBJECT_PAGES_FETCHED, &job, &["b1"]))
        .await
        .unwrap();

    let shutdown = Shutdown::new();
    let worker = tokio::spawn(run_stage(
        bus.clone(),
        Arc::new(Flaky),
        WorkerOptions::default(),
        shutdown.clone(),
    ));
    assert_eq!(wait_for(&bus, names::STREAM_DLQ, 1).await, 1);
    let dlq = bus.jetstream().get_stream(names::STREAM_DLQ).await.unwrap();
    let letter = dlq.get_raw_message(1).await.unwrap();
    assert_eq!(
        letter.headers.get(names::HEADER_ERROR_CLASS).unwrap().as_str(),
        "db_down"
    );
    assert_eq!(
        letter.headers.get(names::HEADER_DELIVERIES).unwrap().as_str(),
        townreports_bus::topology::MAX_ATTEMPTS.to_string()
    );
    stop(shutdown, worker).await;
    server.terminate().await;
}

#[tokio::test]
async fn a_message_waits_out_an_outage_of_its_dependency_without_using_up_deliveries() {
    /// Its dependency is down until `up` is set; counts the attempts.
    struct NeedsDatabase {
        up: std::sync::atomic::AtomicBool,
        attempts: std::sync::atomic::AtomicUsize,
    }
    impl Stage for NeedsDatabase {
        type Input = FetchJob;
        const NAME: StageName = StageName::Indexer;
        fn label(input: &FetchJob) -> Label {
            Label::from(input)
        }
        async fn process(&self, job: FetchJob, _bus: &Bus) -> Result<Vec<Publish>, StageError> {
            use std::sync::atomic::Ordering;
            self.attempts.fetch_add(1, Ordering::SeqCst);
            if !self.up.load(Ordering::SeqCst) {
                return Err(StageError::unavailable("database", "connection refused"));
            }
            let outcome = FetchOutcome {
                job: Some(job.clone()),
                ..Default::default()
            };
            Ok(vec![Publish::proto(
                names::SUBJECT_FRONTIER_OUTCOMES,
                &outcome,
                &[&job.url],
            )])
        }
    }
    // A short ack wait: holding must keep the message ours through many of them.
    let (_dir, mut server, bus) = private_nats(Some(Duration::from_secs(2))).await;
    let job = FetchJob {
        url: "http://c/1".into(),
        ..Default::default()
    };
    bus.publish(&Publish::proto(names::SUBJECT_RECORDS_EXTRACTED, &job, &["c1"]))
        .await
        .unwrap();

    let stage = Arc::new(NeedsDatabase {
        up: false.into(),
        attempts: 0.into(),
    });
    let shutdown = Shutdown::new();
    let worker = tokio::spawn(run_stage(
        bus.clone(),
        stage.clone(),
        WorkerOptions::default(),
        shutdown.clone(),
    ));
    // An outage of three ack waits, more attempts than MAX_ATTEMPTS.
    tokio::time::sleep(Duration::from_secs(6)).await;
    use std::sync::atomic::Ordering;
    let attempts = stage.attempts.load(Ordering::SeqCst);
    assert!(
        attempts as i64 > townreports_bus::topology::MAX_ATTEMPTS,
        "retried in place: {attempts} attempts"
    );
    assert_eq!(
        bus.stream_messages(names::STREAM_DLQ).await.unwrap(),
        0,
        "not dead-lettered"
    );
    let consumer = bus
        .consumer(StageName::Indexer)
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .clone();
    assert_eq!(consumer.num_redelivered, 0, "held, never redelivered: {consumer:?}");
    assert_eq!(consumer.num_ack_pending, 1, "{consumer:?}");

    stage.up.store(true, Ordering::SeqCst);
    assert_eq!(wait_for(&bus, StageName::Scheduler.stream(), 1).await, 1);
    assert_eq!(drained(&bus, StageName::Indexer).await, 0, "acked once it went through");
    stop(shutdown, worker).await;
    server.terminate().await;
}

/// A client that pulled messages and vanished without settling them (a
/// crashed `townreports run`): handed back, they are delivered again at
/// once, not after the ack wait, and their first delivery still counts.
#[tokio::test]
async fn messages_of_a_vanished_client_are_handed_back_at_once_with_their_deliveries_counted() {
    use futures::StreamExt;
    // An ack wait far longer than the test may take.
    let (_dir, mut server, bus) = private_nats(Some(Duration::from_secs(120))).await;
    for url in ["http://d/1", "http://d/2", "http://d/3"] {
        let job = FetchJob {
            url: url.into(),
            ..Default::default()
        };
        bus.publish(&Publish::proto(names::SUBJECT_FETCH_JOBS, &job, &[url]))
            .await
            .unwrap();
    }
    // Pulls `n` within `within`: (url, deliveries) of each, acked.
    let pull = |n: usize, within: Duration| {
        let bus = bus.clone();
        async move {
            let consumer = bus.consumer(StageName::Fetcher).await.unwrap();
            let mut batch = consumer
                .fetch()
                .max_messages(n)
                .expires(within)
                .messages()
                .await
                .unwrap();
            let mut got = Vec::new();
            while let Some(message) = batch.next().await {
                let message = message.unwrap();
                let job = <FetchJob as prost::Message>::decode(message.payload.clone()).unwrap();
                got.push((job.url, message.info().unwrap().delivered));
                message.double_ack().await.unwrap();
            }
            got
        }
    };

    // The vanishing client takes the first two and disconnects.
    {
        let gone = Bus::connect(&NatsOptions::with_url(server.url()), "gone")
            .await
            .unwrap();
        let consumer = gone.consumer(StageName::Fetcher).await.unwrap();
        let mut batch = consumer.fetch().max_messages(2).messages().await.unwrap();
        for _ in 0..2 {
            batch.next().await.unwrap().unwrap();
        }
        gone.client().drain().await.unwrap();
    }
    // Meanwhile only the third is to be had.
    assert_eq!(
        pull(3, Duration::from_millis(500)).await,
        [("http://d/3".to_string(), 1)]
    );

    let outstanding = bus.hand_back_abandoned(StageName::Fetcher).await.unwrap();
    assert_eq!(outstanding, 2);
    let started = std::time::Instant::now();
    let mut again = pull(2, Duration::from_secs(5)).await;
    again.sort();
    assert_eq!(
        again,
        [("http://d/1".to_string(), 2), ("http://d/2".to_string(), 2)],
        "delivered again at once, as second deliveries"
    );
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    // Nothing outstanding: a second hand-back has nothing to do.
    assert_eq!(bus.hand_back_abandoned(StageName::Fetcher).await.unwrap(), 0);
    assert_eq!(drained(&bus, StageName::Fetcher).await, 0);
    server.terminate().await;
}
