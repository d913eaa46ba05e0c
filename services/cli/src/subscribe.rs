//! `townreports subscribe`: report events as JSON Lines, from a pull
//! consumer on the events stream. With `--durable`, the consumer outlives
//! the process, so a restart resumes after the last acknowledged event.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use prost::Message;
use townreports_bus::async_nats::jetstream::consumer::{self, DeliverPolicy};
use townreports_bus::{Bus, NatsOptions, Shutdown};
use townreports_proto::topology::{STREAM_EVENTS, SUBJECT_REPORTS};
use townreports_proto::v1::ReportEvent;

#[derive(Debug, Clone, clap::Args)]
pub struct SubscribeArgs {
    /// A subject filter, e.g. `townreports.reports.new.51.>` for new reports
    /// in Sichuan (see the README for the subject layout).
    #[arg(long, default_value = "townreports.reports.>")]
    pub subject: String,
    /// A durable consumer name: events are acknowledged as printed and a
    /// restart resumes where the last run stopped.
    #[arg(long)]
    pub durable: Option<String>,
    /// Only events published from now on (default: from the beginning).
    #[arg(long)]
    pub new_only: bool,
    /// Exit after this many events.
    #[arg(long)]
    pub count: Option<u64>,
    /// Exit when no event arrived for this long (e.g. `5s`).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub idle_exit: Option<Duration>,
    #[command(flatten)]
    pub nats: NatsOptions,
}

pub async fn subscribe(args: SubscribeArgs, shutdown: Shutdown) -> anyhow::Result<()> {
    subscribe_to(args, shutdown, &mut std::io::stdout()).await.map(|_| ())
}

/// Writes events to `out` as they arrive; returns how many.
pub async fn subscribe_to(args: SubscribeArgs, shutdown: Shutdown, out: &mut dyn Write) -> anyhow::Result<u64> {
    anyhow::ensure!(
        args.subject.starts_with(SUBJECT_REPORTS),
        "--subject must start with {SUBJECT_REPORTS} (got {:?})",
        args.subject
    );
    let bus = Bus::connect(&args.nats, "townreports-subscribe").await?;
    bus.ensure_topology().await?;
    let stream = bus
        .jetstream()
        .get_stream(STREAM_EVENTS)
        .await
        .context("events stream")?;
    let config = consumer::pull::Config {
        durable_name: args.durable.clone(),
        filter_subject: args.subject.clone(),
        deliver_policy: if args.new_only {
            DeliverPolicy::New
        } else {
            DeliverPolicy::All
        },
        ack_policy: consumer::AckPolicy::Explicit,
        inactive_threshold: if args.durable.is_some() {
            Duration::ZERO
        } else {
            Duration::from_secs(60)
        },
        ..Default::default()
    };
    let consumer = match &args.durable {
        Some(name) => stream.get_or_create_consumer(name, config).await?,
        None => stream.create_consumer(config).await?,
    };
    let mut messages = consumer.messages().await?;
    let mut printed = 0u64;
    let idle = args.idle_exit.unwrap_or(Duration::MAX);
    loop {
        if args.count.is_some_and(|c| printed >= c) {
            break;
        }
        let next = tokio::select! {
            _ = shutdown.wait() => break,
            n = tokio::time::timeout(idle, messages.next()) => match n {
                Err(_) => break,
                Ok(n) => n,
            },
        };
        let Some(message) = next else { break };
        let message = message.map_err(|e| anyhow::anyhow!("receiving events: {e}"))?;
        let event = ReportEvent::decode(message.payload.clone()).context("an event that is not a ReportEvent")?;
        serde_json::to_writer(&mut *out, &event)?;
        writeln!(out)?;
        out.flush()?;
        // Printed, then acknowledged: a crash in between repeats one event
        // on the next run rather than losing it.
        message
            .double_ack()
            .await
            .map_err(|e| anyhow::anyhow!("acknowledging an event: {e}"))?;
        printed += 1;
    }
    Ok(printed)
}
