//! The consume → process → publish → ack loop every worker runs.
//!
//! A service implements [`Stage`]: decode nothing, publish nothing, just turn
//! one input into the messages to publish. [`run_stage`] owns delivery:
//!
//! - the input is acked only after JetStream acknowledged every output, so a
//!   crash at any point means redelivery, never loss;
//! - outputs carry content-derived `Nats-Msg-Id`s, so a redelivery's outputs
//!   are deduplicated by the server;
//! - a [`StageError::Permanent`] (bad input) is dead-lettered at once; a
//!   [`StageError::Transient`] one is retried with backoff and dead-lettered
//!   after [`MAX_ATTEMPTS`] deliveries; a panic is caught and dead-lettered;
//! - a [`StageError::Unavailable`] one (a dependency such as the database is
//!   down, full or locked) is held and retried in place, with in-progress
//!   acks, until the dependency returns: an outage of any length neither
//!   uses up the message's deliveries nor dead-letters it, and a worker
//!   whose every slot waits pulls nothing new;
//! - on shutdown it stops pulling, lets in-flight messages finish within the
//!   grace period, and naks what it fetched but did not start.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream::consumer::pull::MessagesErrorKind;
use async_nats::jetstream::{self, AckKind};
use futures::{FutureExt, StreamExt};
use prost::Message as _;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use townreports_proto::topology::StageName;

use crate::dlq::DeadLetter;
use crate::topology::MAX_ATTEMPTS;
use crate::{Bus, BusError, Publish, Shutdown};

/// What a message is about, for logs and spans.
#[derive(Debug, Clone, Default)]
pub struct Label {
    pub site: String,
    pub url: String,
}

/// A fetch job is about its site and URL (the label of every stage whose
/// input is, or carries, one).
impl From<&townreports_proto::v1::FetchJob> for Label {
    fn from(job: &townreports_proto::v1::FetchJob) -> Label {
        Label {
            site: job.site_id.clone(),
            url: job.url.clone(),
        }
    }
}

/// One worker type's logic, as seen by the loop.
///
/// The contract has one shape and three variants, all delivered by
/// [`run_stage`] with the same guarantees (ack after the effects, dead
/// letters, holding through outages):
///
/// - **Transform** (fetcher, parser, extractor): `process` returns the
///   messages its input turns into; the loop publishes them, then acks.
/// - **Store, then announce** (indexer): its effect is a database write
///   and the announcement must follow the write it announces, so
///   `process` writes, publishes through `bus` itself, records that the
///   announcement was acknowledged, and returns nothing. A crash between
///   the steps leaves the event owed, and the redelivery announces it.
/// - **Fold into state** (scheduler): an input (an outcome, new links)
///   changes the frontier and `process` returns nothing; jobs come out of
///   the frontier when they are due, on the scheduler's dispatcher task,
///   not as the answer to any one input.
pub trait Stage: Send + Sync + 'static {
    type Input: prost::Message + Default + Send + 'static;

    /// Which consumer this stage reads.
    const NAME: StageName;

    fn label(input: &Self::Input) -> Label;

    /// Handles one input. Returns the messages to publish; the loop publishes
    /// them and then acks (the variants above return nothing).
    fn process(&self, input: Self::Input, bus: &Bus) -> impl Future<Output = Result<Vec<Publish>, StageError>> + Send;
}

/// A classified failure of one message.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StageError {
    /// The input itself is bad: retrying cannot help. Dead-lettered at once.
    #[error("{class}: {message}")]
    Permanent { class: String, message: String },
    /// Something outside the input failed (network, database, NATS): retried
    /// with backoff, after `retry_after` when the cause says how long.
    #[error("{class}: {message}")]
    Transient {
        class: String,
        message: String,
        retry_after: Option<Duration>,
    },
    /// A dependency of the stage is down, full or locked; the input is
    /// fine and its processing is retried in place until it returns.
    #[error("{class}: {message}")]
    Unavailable { class: String, message: String },
}

impl StageError {
    pub fn permanent(class: impl Into<String>, message: impl std::fmt::Display) -> Self {
        StageError::Permanent {
            class: class.into(),
            message: message.to_string(),
        }
    }

    pub fn transient(class: impl Into<String>, message: impl std::fmt::Display) -> Self {
        StageError::Transient {
            class: class.into(),
            message: message.to_string(),
            retry_after: None,
        }
    }

    pub fn unavailable(class: impl Into<String>, message: impl std::fmt::Display) -> Self {
        StageError::Unavailable {
            class: class.into(),
            message: message.to_string(),
        }
    }

    pub fn class(&self) -> &str {
        match self {
            StageError::Permanent { class, .. }
            | StageError::Transient { class, .. }
            | StageError::Unavailable { class, .. } => class,
        }
    }

    fn message(&self) -> &str {
        match self {
            StageError::Permanent { message, .. }
            | StageError::Transient { message, .. }
            | StageError::Unavailable { message, .. } => message,
        }
    }
}

impl From<BusError> for StageError {
    fn from(e: BusError) -> Self {
        StageError::transient("nats", e)
    }
}

/// How a worker runs.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerOptions {
    /// Messages processed at once by this process.
    #[arg(long, env = "CONCURRENCY", default_value_t = 4)]
    pub concurrency: usize,
    /// On SIGTERM, how long in-flight messages may take to finish before the
    /// worker gives them back and exits.
    #[arg(long, env = "GRACE_PERIOD", default_value = "25s", value_parser = humantime::parse_duration)]
    pub grace_period: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            concurrency: 4,
            grace_period: Duration::from_secs(25),
        }
    }
}

/// Runs `stage` on its durable consumer until `shutdown`.
pub async fn run_stage<S: Stage>(
    bus: Bus,
    stage: Arc<S>,
    opts: WorkerOptions,
    shutdown: Shutdown,
) -> Result<(), BusError> {
    let name = S::NAME.name();
    let concurrency = opts.concurrency.max(1);
    let mut pulling = Pulling {
        permits: Arc::new(Semaphore::new(concurrency)),
        tasks: JoinSet::new(),
        acked: Arc::new(AtomicU64::new(0)),
        bus,
        stage,
        shutdown,
    };
    tracing::info!(stage = name, concurrency, "worker started");
    tokio::spawn(report_lag(pulling.bus.clone(), S::NAME, pulling.shutdown.clone()));

    let mut backoff = Duration::from_millis(100);
    while !pulling.shutdown.is_triggered() {
        let Some(opened) = pulling
            .shutdown
            .unless(open_pull(&pulling.bus, S::NAME, concurrency))
            .await
        else {
            break;
        };
        match opened {
            Ok(messages) => {
                backoff = Duration::from_millis(100);
                pulling.until_broken(messages).await;
            }
            Err(e) => {
                tracing::warn!(stage = name, error = %e, "consumer unavailable; retrying");
                pulling.shutdown.unless(tokio::time::sleep(backoff)).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
    let acked = pulling.acked.clone();
    finish_in_flight(name, pulling.tasks, opts.grace_period).await;
    pulling.bus.flush().await;
    tracing::info!(stage = name, acked = acked.load(Ordering::Relaxed), "worker stopped");
    Ok(())
}

/// A pull subscription on `stage`'s durable consumer.
async fn open_pull(
    bus: &Bus,
    stage: StageName,
    concurrency: usize,
) -> Result<jetstream::consumer::pull::Stream, BusError> {
    let consumer = bus.consumer(stage).await?;
    // A batch of one can stall in async-nats (a message that beats its own
    // request's confirmation leaves the client counting a request the
    // server already filled), so ask for at least two; short expiries
    // bound any stall that remains.
    consumer
        .stream()
        .max_messages_per_batch(concurrency.max(2))
        .heartbeat(Duration::from_secs(3))
        .expires(Duration::from_secs(10))
        .messages()
        .await
        .map_err(|e| BusError::Other(format!("cannot pull from {}: {e}", stage.consumer())))
}

/// A worker's state while it pulls: at most one message per permit in
/// flight, each on its own task.
struct Pulling<S> {
    bus: Bus,
    stage: Arc<S>,
    permits: Arc<Semaphore>,
    tasks: JoinSet<()>,
    // Messages this process processed and acked: logged at stop, so an
    // operator (and the shutdown test) can account for every message.
    acked: Arc<AtomicU64>,
    shutdown: Shutdown,
}

impl<S: Stage> Pulling<S> {
    /// Hands each pulled message to a task until shutdown (then gives the
    /// unstarted ones back) or until the subscription breaks (then the
    /// caller opens a new one).
    async fn until_broken(&mut self, mut messages: jetstream::consumer::pull::Stream) {
        let name = S::NAME.name();
        loop {
            // Take a permit before pulling, so nothing waits in our buffer
            // while its ack deadline runs.
            let pulled = self
                .shutdown
                .unless(async {
                    let permit = self.permits.clone().acquire_owned().await;
                    (permit.expect("semaphore is never closed"), messages.next().await)
                })
                .await;
            let Some((permit, next)) = pulled else {
                give_back(&self.bus, self.stage.as_ref(), &mut messages, &self.shutdown).await;
                return;
            };
            match next {
                Some(Ok(message)) => {
                    let (bus, stage, acked) = (self.bus.clone(), self.stage.clone(), self.acked.clone());
                    let shutdown = self.shutdown.clone();
                    self.tasks.spawn(async move {
                        if handle(&bus, stage.as_ref(), message, &shutdown).await {
                            acked.fetch_add(1, Ordering::Relaxed);
                        }
                        drop(permit);
                    });
                }
                // A missed heartbeat while every permit was busy (or the
                // server restarting) is not fatal: keep pulling.
                Some(Err(e)) if e.kind() == MessagesErrorKind::MissingHeartbeat => {
                    tracing::debug!(stage = name, "missed a pull heartbeat; continuing");
                }
                Some(Err(e)) => {
                    tracing::warn!(stage = name, error = %e, "pull failed; reconnecting consumer");
                    return;
                }
                None => return,
            }
            while self.tasks.try_join_next().is_some() {}
        }
    }
}

/// At stop: gives the in-flight messages the grace period, then abandons
/// them to redelivery.
async fn finish_in_flight(name: &str, mut tasks: JoinSet<()>, grace_period: Duration) {
    while tasks.try_join_next().is_some() {}
    let in_flight = tasks.len();
    if in_flight > 0 {
        tracing::info!(stage = name, in_flight, "finishing in-flight messages");
    }
    let finished = tokio::time::timeout(grace_period, async { while tasks.join_next().await.is_some() {} }).await;
    if finished.is_err() {
        tracing::warn!(
            stage = name,
            "grace period over; abandoning in-flight messages to redelivery"
        );
        tasks.abort_all();
    }
}

/// How often a worker reads its consumer's lag for `/metrics`.
const LAG_INTERVAL: Duration = Duration::from_secs(15);

/// Keeps `townreports_consumer_lag{stage}` at the lag KEDA scales on
/// (messages pending plus delivered but unacknowledged), as this worker
/// sees it, until shutdown.
async fn report_lag(bus: Bus, stage: StageName, shutdown: Shutdown) {
    let mut ticks = tokio::time::interval(LAG_INTERVAL);
    loop {
        tokio::select! {
            _ = shutdown.wait() => return,
            _ = ticks.tick() => {}
        }
        match bus.consumer_lag(stage).await {
            Ok(lag) => metrics::gauge!("townreports_consumer_lag", "stage" => stage.name()).set(lag as f64),
            Err(e) => tracing::debug!(stage = stage.name(), error = %e, "cannot read the consumer's lag"),
        }
    }
}

/// On shutdown, hands back the messages the pull already delivered into
/// this client's buffer but no task started: another replica gets them in
/// [`GIVE_BACK_DELAY`] instead of after the ack wait. The delay also keeps
/// the server from redelivering them into this same buffer while it
/// drains. A message on its last delivery is dead-lettered instead: given
/// back, the server would never deliver it again and it would sit in the
/// work queue for good.
async fn give_back<S: Stage>(
    bus: &Bus,
    stage: &S,
    messages: &mut jetstream::consumer::pull::Stream,
    shutdown: &Shutdown,
) {
    let mut returned = 0;
    while let Ok(Some(Ok(message))) = tokio::time::timeout(GIVE_BACK_WAIT, messages.next()).await {
        let last = message.info().is_ok_and(|info| info.delivered > MAX_ATTEMPTS);
        if last {
            handle(bus, stage, message, shutdown).await;
        } else if ack(&message, AckKind::Nak(Some(GIVE_BACK_DELAY))).await.is_ok() {
            returned += 1;
        }
    }
    if returned > 0 {
        tracing::info!(stage = S::NAME.name(), returned, "gave unstarted messages back");
    }
}

/// How long shutdown waits for the next already-delivered message.
const GIVE_BACK_WAIT: Duration = Duration::from_millis(50);
/// When a message given back at shutdown is delivered again.
const GIVE_BACK_DELAY: Duration = Duration::from_secs(1);

/// Processes one delivery to its ack, nak or dead letter; true when it was
/// processed and acked.
async fn handle<S: Stage>(bus: &Bus, stage: &S, message: jetstream::Message, shutdown: &Shutdown) -> bool {
    let name = S::NAME.name();
    let started = Instant::now();
    let (delivered, origin) = match message.info() {
        Ok(info) => (info.delivered, format!("{}:{}", info.stream, info.stream_sequence)),
        Err(_) => (1, String::new()),
    };
    metrics::gauge!("townreports_in_flight", "stage" => name).increment(1.0);

    let outcome = if delivered > MAX_ATTEMPTS {
        // We saw this message MAX_ATTEMPTS times without settling it: it
        // probably crashes or hangs the worker.
        Err(StageError::permanent(
            "max_deliveries",
            format!("not settled after {MAX_ATTEMPTS} deliveries (the worker may crash or hang on it)"),
        ))
    } else {
        attempt_until_available(bus, stage, &message, delivered, shutdown).await
    };

    let settled = match &outcome {
        Ok(()) => {
            metrics::counter!("townreports_messages_total", "stage" => name, "outcome" => "ok").increment(1);
            ack(&message, AckKind::Ack).await
        }
        // Still unavailable at shutdown: another replica tries soon.
        Err(StageError::Unavailable { .. }) => ack(&message, AckKind::Nak(Some(GIVE_BACK_DELAY))).await,
        Err(e @ StageError::Transient { retry_after, .. }) if delivered < MAX_ATTEMPTS => {
            let delay = retry_after.unwrap_or_else(|| retry_delay(delivered));
            tracing::warn!(stage = name, class = e.class(), error = %e, delivered, ?delay, "will retry");
            metrics::counter!("townreports_messages_total", "stage" => name, "outcome" => "retry").increment(1);
            metrics::counter!("townreports_message_errors_total", "stage" => name, "class" => e.class().to_string())
                .increment(1);
            ack(&message, AckKind::Nak(Some(delay))).await
        }
        Err(e) => {
            metrics::counter!("townreports_messages_total", "stage" => name, "outcome" => "dead_letter").increment(1);
            metrics::counter!("townreports_message_errors_total", "stage" => name, "class" => e.class().to_string())
                .increment(1);
            let letter = DeadLetter {
                stage: S::NAME,
                class: e.class().to_string(),
                message: e.message().to_string(),
                deliveries: delivered,
                original_subject: message.subject.to_string(),
                origin,
            };
            match bus.dead_letter(&letter, message.payload.clone()).await {
                Ok(()) => ack(&message, AckKind::Term).await,
                // Could not store the dead letter: keep the message.
                Err(e) => {
                    tracing::error!(stage = name, error = %e, "cannot dead-letter; will retry");
                    ack(&message, AckKind::Nak(Some(retry_delay(delivered)))).await
                }
            }
        }
    };
    if let Err(e) = &settled {
        // The server will redeliver; outputs dedupe by message id.
        tracing::warn!(stage = name, error = %e, "ack failed; the message will be redelivered");
    }
    metrics::histogram!("townreports_processing_seconds", "stage" => name).record(started.elapsed().as_secs_f64());
    metrics::gauge!("townreports_in_flight", "stage" => name).decrement(1.0);
    outcome.is_ok() && settled.is_ok()
}

/// The longest a held message waits between two attempts while its
/// dependency is unavailable (also bounded by a third of the ack wait, so
/// the in-progress acks keep it ours).
const HOLD_MAX_WAIT: Duration = Duration::from_secs(5);

/// Attempts `message` until it succeeds or fails for a reason of its own;
/// while a dependency is unavailable it is held (in-progress acks keep the
/// server from redelivering it) and tried again. Returns the unavailable
/// error only when shutdown comes first.
async fn attempt_until_available<S: Stage>(
    bus: &Bus,
    stage: &S,
    message: &jetstream::Message,
    delivered: i64,
    shutdown: &Shutdown,
) -> Result<(), StageError> {
    let name = S::NAME.name();
    let longest = HOLD_MAX_WAIT.min(bus.ack_wait() / 3);
    let mut wait = Duration::from_millis(250);
    let mut held_since: Option<Instant> = None;
    loop {
        let result = attempt(bus, stage, message, delivered).await;
        let Err(e @ StageError::Unavailable { .. }) = &result else {
            if let Some(since) = held_since {
                tracing::info!(stage = name, held = ?since.elapsed(), "dependency back; message processed");
            }
            return result;
        };
        if held_since.is_none() {
            tracing::error!(stage = name, class = e.class(), error = %e, "dependency unavailable; holding the message and retrying");
            held_since = Some(Instant::now());
        }
        metrics::counter!("townreports_messages_total", "stage" => name, "outcome" => "held").increment(1);
        metrics::counter!("townreports_message_errors_total", "stage" => name, "class" => e.class().to_string())
            .increment(1);
        if let Err(e) = message.ack_with(AckKind::Progress).await {
            tracing::debug!(stage = name, error = %e, "in-progress ack failed");
        }
        tokio::select! {
            _ = shutdown.wait() => return result,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(longest);
    }
}

/// One attempt: decode, process, publish the outputs; a panic becomes a
/// permanent error.
async fn attempt<S: Stage>(
    bus: &Bus,
    stage: &S,
    message: &jetstream::Message,
    delivered: i64,
) -> Result<(), StageError> {
    let name = S::NAME.name();
    let input = S::Input::decode(message.payload.clone())
        .map_err(|e| StageError::permanent("decode", format!("not a valid {name} input: {e}")))?;
    let label = S::label(&input);
    let span = tracing::info_span!("message", stage = name, site = %label.site, url = %label.url, delivered);
    let work = async {
        let outputs = stage.process(input, bus).await?;
        bus.publish_all(&outputs).await?;
        Ok::<(), StageError>(())
    };
    match AssertUnwindSafe(tracing::Instrument::instrument(work, span))
        .catch_unwind()
        .await
    {
        Ok(result) => result,
        Err(panic) => Err(StageError::permanent("panic", panic_message(&panic))),
    }
}

/// Acks are confirmed by the server (double ack) so a lost ack is noticed.
async fn ack(message: &jetstream::Message, kind: AckKind) -> Result<(), async_nats::Error> {
    message.double_ack_with(kind).await
}

/// 1 s, 4 s, 16 s, … capped at 60 s, with ±20 % jitter so a burst of
/// failures does not return in lock-step.
pub fn retry_delay(delivered: i64) -> Duration {
    let exp = (delivered.max(1) - 1).min(4) as u32;
    let base = Duration::from_secs(4u64.pow(exp)).min(Duration::from_secs(60));
    let jitter = rand::random_range(0.8..1.2);
    base.mul_f64(jitter)
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_and_are_capped() {
        let first = retry_delay(1);
        assert!(first >= Duration::from_millis(800) && first <= Duration::from_millis(1200));
        let third = retry_delay(3);
        assert!(third >= Duration::from_millis(12_800) && third <= Duration::from_millis(19_200));
        assert!(retry_delay(50) <= Duration::from_secs(72));
    }
}
