//! `townreports subscribe`: report events as JSON Lines, from a pull
//! consumer on the events stream. With `--durable`, the consumer outlives
//! the process, so a restart resumes after the last acknowledged event.
//!
//! Filters: a division code prefix becomes the subject filter (the server
//! sends only those events); year and document type are checked here, and
//! an event they reject is acknowledged unprinted, so a durable subscriber
//! does not see it again either.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use prost::Message;
use townreports_bus::async_nats::jetstream::AckKind;
use townreports_bus::async_nats::jetstream::consumer::{self, DeliverPolicy};
use townreports_bus::{Bus, NatsOptions, Shutdown};
use townreports_proto::topology::{STREAM_EVENTS, SUBJECT_REPORTS, division_tokens};
use townreports_proto::v1::ReportEvent;

#[derive(Debug, Clone, clap::Args)]
pub struct SubscribeArgs {
    /// A subject filter, e.g. `townreports.reports.new.51.>` for new reports
    /// in Sichuan (see the README for the subject layout); default: all
    /// events, narrowed by --code and --kind.
    #[arg(long, conflicts_with_all = ["code", "kind"])]
    pub subject: Option<String>,
    /// Only reports whose division code starts with this (51, 5111, 511102,
    /// 511102109).
    #[arg(long)]
    pub code: Option<String>,
    /// Only `new` or `updated` events.
    #[arg(long, value_parser = ["new", "updated"])]
    pub kind: Option<String>,
    /// Only reports that review or plan this year.
    #[arg(long)]
    pub year: Option<i32>,
    /// Only reports of this document type (government_work_report,
    /// work_summary, work_summary_and_plan, work_plan).
    #[arg(long)]
    pub doc_type: Option<String>,
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
    let bus = Bus::connect(&args.nats, "townreports-subscribe").await?;
    bus.ensure_topology().await?;
    let consumer = events_consumer(&bus, &args).await?;
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
        let event = match ReportEvent::decode(message.payload.clone()) {
            Ok(event) => event,
            Err(e) => {
                // Not ours to fix: say so and move past it for good.
                eprintln!(
                    "warning: skipping an event on {} that is not a ReportEvent: {e}",
                    message.subject
                );
                message
                    .ack_with(AckKind::Term)
                    .await
                    .map_err(|e| anyhow::anyhow!("acknowledging an event: {e}"))?;
                continue;
            }
        };
        let wanted = wanted(&args, &event);
        if wanted {
            serde_json::to_writer(&mut *out, &event)?;
            writeln!(out)?;
            out.flush()?;
        }
        // Printed, then acknowledged: a crash in between repeats one event
        // on the next run rather than losing it.
        message
            .double_ack()
            .await
            .map_err(|e| anyhow::anyhow!("acknowledging an event: {e}"))?;
        printed += u64::from(wanted);
    }
    hand_back(messages).await;
    Ok(printed)
}

/// Hands back what the server sent but nobody printed, so that the next
/// run gets it at once rather than after the ack wait. (Collected first,
/// then handed back: a nak redelivers at once, and to this very stream
/// while it is open.)
async fn hand_back(mut messages: consumer::pull::Stream) {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
    let mut unprinted = Vec::new();
    while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, messages.next()).await {
        unprinted.push(message);
    }
    drop(messages);
    for message in unprinted {
        let _ = message.ack_with(AckKind::Nak(None)).await;
    }
}

/// The pull consumer on the events stream that `args` ask for: durable
/// or not, from the start or new events only, filtered by subject.
async fn events_consumer(
    bus: &Bus,
    args: &SubscribeArgs,
) -> anyhow::Result<consumer::Consumer<consumer::pull::Config>> {
    let subject = subject_filter(args)?;
    let stream = bus
        .jetstream()
        .get_stream(STREAM_EVENTS)
        .await
        .context("events stream")?;
    let config = consumer::pull::Config {
        durable_name: args.durable.clone(),
        filter_subject: subject,
        deliver_policy: if args.new_only {
            DeliverPolicy::New
        } else {
            DeliverPolicy::All
        },
        ack_policy: consumer::AckPolicy::Explicit,
        // Few events in flight, handed back on stop (below), redelivered
        // soon after a crash: a restart neither waits long nor skips.
        max_ack_pending: 16,
        ack_wait: Duration::from_secs(10),
        inactive_threshold: if args.durable.is_some() {
            Duration::ZERO
        } else {
            Duration::from_secs(60)
        },
        ..Default::default()
    };
    Ok(match &args.durable {
        Some(name) => stream.get_or_create_consumer(name, config).await?,
        None => stream.create_consumer(config).await?,
    })
}

/// The subject to ask the server for: `--subject` as given, else the
/// events of `--kind` (both by default) under the `--code` prefix's
/// deepest whole level.
fn subject_filter(args: &SubscribeArgs) -> anyhow::Result<String> {
    if let Some(subject) = &args.subject {
        anyhow::ensure!(
            subject.starts_with(SUBJECT_REPORTS),
            "--subject must start with {SUBJECT_REPORTS} (got {subject:?})"
        );
        return Ok(subject.clone());
    }
    let kind = args.kind.as_deref().unwrap_or("*");
    let Some(code) = &args.code else {
        return Ok(format!("{SUBJECT_REPORTS}.{kind}.>"));
    };
    anyhow::ensure!(
        !code.is_empty() && code.len() <= 12 && code.chars().all(|c| c.is_ascii_digit()),
        "--code must be a division code prefix of 1 to 12 digits, e.g. 51 or 511102 (got {code:?})"
    );
    let levels: Vec<String> = division_tokens(Some(code))
        .into_iter()
        .take_while(|token| token != "_")
        .collect();
    let mut subject = format!("{SUBJECT_REPORTS}.{kind}");
    for token in &levels {
        subject.push('.');
        subject.push_str(token);
    }
    subject.push_str(".>");
    Ok(subject)
}

/// Whether an event passes the filters the subject cannot express.
fn wanted(args: &SubscribeArgs, event: &ReportEvent) -> bool {
    let Some(record) = &event.record else { return false };
    let code = record.division.as_ref().and_then(|d| d.code.as_deref()).unwrap_or("");
    args.code
        .as_ref()
        .is_none_or(|prefix| code.starts_with(prefix.as_str()))
        && args
            .year
            .is_none_or(|y| record.review_year == Some(y) || record.plan_year == Some(y))
        && args
            .doc_type
            .as_ref()
            .is_none_or(|t| record.doc_type.as_deref() == Some(t.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SubscribeArgs,
    }

    fn args(flags: &[&str]) -> SubscribeArgs {
        Cli::try_parse_from(std::iter::once("subscribe").chain(flags.iter().copied()))
            .unwrap()
            .args
    }

    #[test]
    fn code_prefixes_become_subjects() {
        let subject = |flags: &[&str]| subject_filter(&args(flags)).unwrap();
        assert_eq!(subject(&[]), "townreports.reports.*.>");
        assert_eq!(
            subject(&["--kind", "new", "--code", "51"]),
            "townreports.reports.new.51.>"
        );
        assert_eq!(
            subject(&["--code", "511102109"]),
            "townreports.reports.*.51.5111.511102.511102109.>"
        );
        // A prefix between levels: the server filters to the level above,
        // the rest is checked here.
        assert_eq!(subject(&["--code", "51110"]), "townreports.reports.*.51.5111.>");
        assert!(subject_filter(&args(&["--code", "51x"])).is_err());
        assert!(Cli::try_parse_from(["s", "--subject", "townreports.reports.>", "--code", "51"]).is_err());
    }

    #[test]
    fn year_and_type_filter_events() {
        let event = ReportEvent {
            record: Some(townreports_proto::v1::ReportRecord {
                review_year: Some(2023),
                plan_year: Some(2024),
                doc_type: Some("government_work_report".into()),
                division: Some(townreports_proto::v1::Division {
                    code: Some("511102109".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(wanted(&args(&["--year", "2024", "--code", "51110"]), &event));
        assert!(!wanted(&args(&["--year", "2022"]), &event));
        assert!(!wanted(&args(&["--doc-type", "work_plan"]), &event));
        assert!(!wanted(&args(&["--code", "52"]), &event));
    }
}
