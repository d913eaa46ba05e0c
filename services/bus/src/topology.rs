//! Streams and consumers, created idempotently by whichever service starts
//! first. Names come from [`townreports_proto::topology`]; this module only
//! says how each is configured.
//!
//! Only nats-server 2.9 features are used: one filter per consumer, no
//! metadata, no per-message TTL.

use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use townreports_proto::topology::{self as names, StageName};

use crate::{Bus, BusError, Shutdown};

/// How many times a worker tries one message before dead-lettering it.
/// The server's `max_deliver` is one more, so the worker always sees the
/// last delivery and dead-letters it itself: a message that crashes the
/// worker every time is dead-lettered too instead of sticking in the queue.
pub const MAX_ATTEMPTS: i64 = 5;

/// Redeliveries of the same publish within this window are dropped by
/// JetStream (`Nats-Msg-Id`).
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);

/// How long a worker may hold a message before the server redelivers it
/// (`ACK_WAIT`), by default.
pub const DEFAULT_ACK_WAIT: Duration = Duration::from_secs(60);

/// The acknowledgement wait of `stage` given the base: the fetcher retries
/// with backoff inside one delivery, so it gets three times as long.
pub fn ack_wait(stage: StageName, base: Duration) -> Duration {
    match stage {
        StageName::Fetcher => base * 3,
        _ => base,
    }
}

/// The work-queue stream a stage consumes.
pub fn work_stream_config(stage: StageName, replicas: usize) -> stream::Config {
    stream::Config {
        name: stage.stream().to_string(),
        subjects: vec![stage.stream_subjects().to_string()],
        retention: stream::RetentionPolicy::WorkQueue,
        storage: stream::StorageType::File,
        num_replicas: replicas,
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    }
}

/// The events stream: one message per subject, forever. A second "new"
/// event for the same report is rejected by the server (discard new per
/// subject), on top of the indexer's own bookkeeping.
pub fn events_stream_config(replicas: usize) -> stream::Config {
    stream::Config {
        name: names::STREAM_EVENTS.to_string(),
        subjects: vec![format!("{}.>", names::SUBJECT_REPORTS)],
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        num_replicas: replicas,
        duplicate_window: DUPLICATE_WINDOW,
        max_messages_per_subject: 1,
        discard: stream::DiscardPolicy::New,
        discard_new_per_subject: true,
        ..Default::default()
    }
}

/// Dead letters are kept 30 days for `townreports dlq` to inspect and replay.
pub fn dlq_stream_config(replicas: usize) -> stream::Config {
    stream::Config {
        name: names::STREAM_DLQ.to_string(),
        subjects: vec![format!("{}.>", names::SUBJECT_DLQ)],
        retention: stream::RetentionPolicy::Limits,
        storage: stream::StorageType::File,
        num_replicas: replicas,
        duplicate_window: DUPLICATE_WINDOW,
        max_age: Duration::from_secs(30 * 24 * 3600),
        ..Default::default()
    }
}

/// The durable pull consumer every replica of `stage` shares.
pub fn consumer_config(stage: StageName, replicas: usize, base_ack_wait: Duration) -> consumer::pull::Config {
    consumer::pull::Config {
        durable_name: Some(stage.consumer().to_string()),
        description: Some(format!("townreports {} workers", stage.name())),
        ack_policy: consumer::AckPolicy::Explicit,
        ack_wait: ack_wait(stage, base_ack_wait),
        max_deliver: MAX_ATTEMPTS + 1,
        max_ack_pending: 1_000,
        num_replicas: replicas,
        ..Default::default()
    }
}

impl Bus {
    /// Creates every stream and consumer that does not exist yet. Safe to
    /// call from every process at start-up, concurrently.
    pub async fn ensure_topology(&self) -> Result<(), BusError> {
        let js = self.jetstream();
        for stage in StageName::ALL {
            let stream = ensure_stream(js, work_stream_config(stage, self.replicas())).await?;
            stream
                .get_or_create_consumer(
                    stage.consumer(),
                    consumer_config(stage, self.replicas(), self.ack_wait()),
                )
                .await
                .map_err(|e| BusError::topology(format!("consumer {}", stage.consumer()), e))?;
        }
        ensure_stream(js, events_stream_config(self.replicas())).await?;
        ensure_stream(js, dlq_stream_config(self.replicas())).await?;
        Ok(())
    }

    /// The durable consumer of `stage` (created if missing).
    pub async fn consumer(&self, stage: StageName) -> Result<consumer::PullConsumer, BusError> {
        let stream = ensure_stream(self.jetstream(), work_stream_config(stage, self.replicas())).await?;
        stream
            .get_or_create_consumer(
                stage.consumer(),
                consumer_config(stage, self.replicas(), self.ack_wait()),
            )
            .await
            .map_err(|e| BusError::topology(format!("consumer {}", stage.consumer()), e))
    }

    /// Messages waiting in each stage's work queue (including those being
    /// worked on: a work queue drops a message only when it is acked).
    pub async fn queue_depths(&self) -> Result<Vec<(StageName, u64)>, BusError> {
        let mut depths = Vec::with_capacity(StageName::ALL.len());
        for stage in StageName::ALL {
            let mut stream = self
                .jetstream()
                .get_stream(stage.stream())
                .await
                .map_err(|e| BusError::topology(stage.stream(), e))?;
            let info = stream.info().await.map_err(|e| BusError::topology(stage.stream(), e))?;
            depths.push((stage, info.state.messages));
        }
        Ok(depths)
    }

    /// Messages `stage`'s consumer has not settled yet: waiting plus
    /// delivered and unacknowledged (the lag KEDA's nats-jetstream scaler
    /// reads from the monitoring port).
    pub async fn consumer_lag(&self, stage: StageName) -> Result<u64, BusError> {
        let what = || format!("consumer {}", stage.consumer());
        let mut consumer: consumer::PullConsumer = self
            .jetstream()
            .get_consumer_from_stream(stage.consumer(), stage.stream())
            .await
            .map_err(|e| BusError::topology(what(), e))?;
        let info = consumer.info().await.map_err(|e| BusError::topology(what(), e))?;
        Ok(info.num_pending + info.num_ack_pending as u64)
    }

    /// Removes what `stage`'s work queue still holds at or below its
    /// consumer's acknowledgement floor; how many messages went.
    ///
    /// nats-server 2.9 killed with SIGKILL can come back holding such a
    /// message: the consumer's acknowledgement reached its disk, the
    /// message's removal did not. It is never delivered again, so it is no
    /// work, but it stays in the stream's count for good and a crawl
    /// measured by its queues never looks drained. Everything at or below
    /// the floor was acknowledged, so purging up to it loses nothing.
    pub async fn purge_acknowledged(&self, stage: StageName) -> Result<u64, BusError> {
        let what = || format!("stream {}", stage.stream());
        let mut stream = self
            .jetstream()
            .get_stream(stage.stream())
            .await
            .map_err(|e| BusError::topology(what(), e))?;
        let state = stream
            .info()
            .await
            .map_err(|e| BusError::topology(what(), e))?
            .state
            .clone();
        if state.messages == 0 {
            return Ok(0);
        }
        let mut consumer: consumer::PullConsumer = stream
            .get_consumer(stage.consumer())
            .await
            .map_err(|e| BusError::topology(format!("consumer {}", stage.consumer()), e))?;
        let floor = consumer
            .info()
            .await
            .map_err(|e| BusError::topology(format!("consumer {}", stage.consumer()), e))?
            .ack_floor
            .stream_sequence;
        if state.first_sequence > floor {
            return Ok(0);
        }
        // Up to, not including, the sequence given.
        let purged = stream
            .purge()
            .sequence(floor + 1)
            .await
            .map_err(|e| BusError::topology(what(), e))?;
        Ok(purged.purged)
    }

    /// Makes what `stage`'s consumer delivered to clients that are gone
    /// deliverable again now instead of after its ack wait (three minutes
    /// for the fetcher by default); how many messages were outstanding.
    ///
    /// Only for a process that knows no other client of the server is
    /// alive: `townreports run` starting its private server under the data
    /// directory's lock, after the run before it crashed. nats-server 2.9
    /// has no request for this, so each outstanding message is negatively
    /// acknowledged on its acknowledgement subject, as its own client
    /// would have done at shutdown
    /// (`$JS.ACK.<stream>.<consumer>.<deliveries>.<stream seq>.<consumer
    /// seq>.<time>.<pending>`): the server acts on a nak whose stream
    /// sequence it holds as pending and whose consumer sequence it has
    /// delivered, and ignores the rest. A nak keeps the message's delivery
    /// count, so a message that crashed the run every time is still
    /// dead-lettered after [`MAX_ATTEMPTS`]; deleting and recreating the
    /// consumer would also bring the messages back, with the counts reset.
    pub async fn hand_back_abandoned(&self, stage: StageName) -> Result<u64, BusError> {
        let what = || format!("consumer {}", stage.consumer());
        let mut stream = self
            .jetstream()
            .get_stream(stage.stream())
            .await
            .map_err(|e| BusError::topology(stage.stream(), e))?;
        let mut consumer: consumer::PullConsumer = stream
            .get_consumer(stage.consumer())
            .await
            .map_err(|e| BusError::topology(what(), e))?;
        let info = consumer
            .info()
            .await
            .map_err(|e| BusError::topology(what(), e))?
            .clone();
        if info.num_ack_pending == 0 {
            return Ok(0);
        }
        let first = stream
            .info()
            .await
            .map_err(|e| BusError::topology(stage.stream(), e))?
            .state
            .first_sequence;
        // Everything outstanding lies above the acknowledgement floor and
        // at or below the last delivery; a work queue no longer holds what
        // was acknowledged, so only the stream's own messages are asked about.
        let from = first.max(info.ack_floor.stream_sequence + 1);
        let delivered = info.delivered.consumer_sequence;
        for sequence in from..=info.delivered.stream_sequence {
            let subject = format!(
                "$JS.ACK.{}.{}.1.{sequence}.{delivered}.0.0",
                stage.stream(),
                stage.consumer()
            );
            self.client()
                .publish(subject, "-NAK".into())
                .await
                .map_err(|e| BusError::topology(what(), e))?;
        }
        self.client().flush().await.map_err(|e| BusError::topology(what(), e))?;
        Ok(info.num_ack_pending as u64)
    }

    /// Every [`SWEEP_EVERY`] until `stop`, [`Bus::purge_acknowledged`] on
    /// every work queue, logging what it removed.
    pub async fn sweep_acknowledged(self, stop: Shutdown) {
        loop {
            tokio::select! {
                _ = stop.wait() => return,
                _ = tokio::time::sleep(SWEEP_EVERY) => {}
            }
            for stage in StageName::ALL {
                match self.purge_acknowledged(stage).await {
                    Ok(0) => {}
                    Ok(purged) => tracing::warn!(
                        stream = stage.stream(),
                        purged,
                        "removed acknowledged messages the work queue still held (left by a nats-server crash)"
                    ),
                    Err(e) => tracing::debug!(stream = stage.stream(), error = %e, "sweep skipped"),
                }
            }
        }
    }

    /// Number of messages in a stream (events, dead letters).
    pub async fn stream_messages(&self, name: &str) -> Result<u64, BusError> {
        let mut stream = self
            .jetstream()
            .get_stream(name)
            .await
            .map_err(|e| BusError::topology(name, e))?;
        let info = stream.info().await.map_err(|e| BusError::topology(name, e))?;
        Ok(info.state.messages)
    }
}

/// How often [`Bus::sweep_acknowledged`] looks.
pub const SWEEP_EVERY: Duration = Duration::from_secs(5);

pub(crate) async fn ensure_stream(js: &jetstream::Context, config: stream::Config) -> Result<stream::Stream, BusError> {
    let name = config.name.clone();
    js.get_or_create_stream(config)
        .await
        .map_err(|e| BusError::topology(format!("stream {name}"), e))
}
