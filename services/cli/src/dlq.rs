//! `townreports dlq`: the dead letters — list them, show one, replay them
//! after a fix. Reading and replaying are the bus library's
//! ([`townreports_bus::dlq`]); this module is the flags and the printing.

use std::io::Write;

use anyhow::Context;
use townreports_bus::dlq::{LetterFilter, StoredLetter, input_type, preview};
use townreports_bus::locate::CrawlNats;
use townreports_bus::publish::Published;
use townreports_bus::{Bus, Shutdown};
use townreports_proto::topology::StageName;

use crate::status::CrawlArgs;

#[derive(Debug, Clone, clap::Args)]
pub struct DlqArgs {
    #[command(subcommand)]
    pub command: DlqCommand,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum DlqCommand {
    /// One line per dead letter, oldest first: its sequence, when, the
    /// stage and error class, deliveries, the subject it came from and the
    /// error (cut short; whole with --json).
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// JSON Lines instead of the table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        at: CrawlArgs,
    },
    /// One dead letter: its headers and its payload, decoded as its stage's
    /// input (JSON), or escaped when it does not decode.
    Show {
        /// The dead letter's sequence (from `dlq list`).
        sequence: u64,
        #[command(flatten)]
        at: CrawlArgs,
    },
    /// Put dead letters back on the subjects they came from (after fixing
    /// what failed them); each is deleted once JetStream has stored it
    /// again. Replaying one twice puts it back once.
    Replay {
        /// Sequences of the dead letters (from `dlq list`).
        #[arg(required_unless_present = "all", conflicts_with_all = ["all", "stage", "class"])]
        sequences: Vec<u64>,
        /// Every dead letter; with --stage and --class, every one of theirs.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        filter: FilterArgs,
        #[command(flatten)]
        at: CrawlArgs,
    },
}

/// Which dead letters.
#[derive(Debug, Clone, clap::Args)]
pub struct FilterArgs {
    /// Only this stage's (scheduler, fetcher, parser, extractor, indexer).
    #[arg(long, value_parser = parse_stage)]
    pub stage: Option<StageName>,
    /// Only this error class's (decode, invalid_record, max_deliveries, nats, ...).
    #[arg(long)]
    pub class: Option<String>,
}

impl FilterArgs {
    fn filter(&self) -> LetterFilter {
        LetterFilter {
            stage: self.stage,
            class: self.class.clone(),
        }
    }
}

fn parse_stage(name: &str) -> Result<StageName, String> {
    StageName::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = StageName::ALL.iter().map(|s| s.name()).collect();
        format!("no stage {name:?}: one of {}", names.join(", "))
    })
}

pub async fn dlq(args: DlqArgs, shutdown: &Shutdown) -> anyhow::Result<()> {
    let at = match &args.command {
        DlqCommand::List { at, .. } | DlqCommand::Show { at, .. } | DlqCommand::Replay { at, .. } => at,
    };
    let work = async |bus: &Bus| run(&args.command, bus, &mut std::io::stdout().lock()).await;
    CrawlNats::with(&at.data_dir, &at.nats, "townreports dlq", shutdown, work).await
}

async fn run(command: &DlqCommand, bus: &Bus, out: &mut dyn Write) -> anyhow::Result<()> {
    match command {
        DlqCommand::List { filter, json, .. } => {
            let letters = bus.dead_letters(&filter.filter()).await?;
            if *json {
                for letter in &letters {
                    serde_json::to_writer(&mut *out, &summary(letter))?;
                    writeln!(out)?;
                }
            } else {
                write_table(&letters, out)?;
            }
        }
        DlqCommand::Show { sequence, .. } => {
            let letter = bus.dead_letter_at(*sequence).await?;
            write_letter(&letter, out)?;
        }
        DlqCommand::Replay {
            sequences, all, filter, ..
        } => {
            // Every letter is found before any is replayed: a mistyped
            // sequence replays nothing.
            let letters = if *all {
                bus.dead_letters(&filter.filter()).await?
            } else {
                let mut letters = Vec::with_capacity(sequences.len());
                for sequence in sequences {
                    letters.push(bus.dead_letter_at(*sequence).await?);
                }
                letters
            };
            for letter in &letters {
                let replayed = bus.replay(letter).await?;
                let stage = replayed.stage.map_or("?", StageName::name);
                match replayed.published {
                    Published::Stored { sequence } => writeln!(
                        out,
                        "replayed {} ({stage}) to {} (stream sequence {sequence})",
                        replayed.sequence, replayed.subject
                    )?,
                    _ => writeln!(
                        out,
                        "replayed {} ({stage}) to {}: already put back by an earlier replay, not sent twice",
                        replayed.sequence, replayed.subject
                    )?,
                }
            }
            writeln!(out, "replayed {} dead letter(s)", letters.len())?;
        }
    }
    out.flush().context("writing to stdout")
}

/// Error messages longer than this are cut short in the table.
const MESSAGE_WIDTH: usize = 80;

fn write_table(letters: &[StoredLetter], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:>6}  {:<20}  {:<9}  {:<16}  {:>10}  {:<30}  message",
        "seq", "time", "stage", "class", "deliveries", "subject"
    )?;
    for letter in letters {
        let s = summary(letter);
        let message: String = s.message.chars().take(MESSAGE_WIDTH).collect();
        let cut = if s.message.chars().count() > MESSAGE_WIDTH {
            "…"
        } else {
            ""
        };
        writeln!(
            out,
            "{:>6}  {:<20}  {:<9}  {:<16}  {:>10}  {:<30}  {message}{cut}",
            s.sequence,
            s.time,
            s.stage,
            s.class,
            s.deliveries.map_or("-".into(), |d| d.to_string()),
            s.subject
        )?;
    }
    Ok(())
}

/// One dead letter as a line of the table or of `--json`.
#[derive(serde::Serialize)]
struct Summary<'a> {
    sequence: u64,
    time: String,
    stage: &'a str,
    class: &'a str,
    deliveries: Option<i64>,
    subject: &'a str,
    message: &'a str,
    bytes: usize,
}

fn summary(letter: &StoredLetter) -> Summary<'_> {
    Summary {
        sequence: letter.sequence,
        time: humantime::format_rfc3339_seconds(letter.time).to_string(),
        stage: letter.stage.map_or("-", StageName::name),
        class: letter.class.as_deref().unwrap_or("-"),
        deliveries: letter.deliveries,
        subject: letter.original_subject.as_deref().unwrap_or("-"),
        message: letter.message.as_deref().unwrap_or(""),
        bytes: letter.payload.len(),
    }
}

/// Bytes of an undecodable payload `dlq show` prints.
const PREVIEW_BYTES: usize = 2048;

fn write_letter(letter: &StoredLetter, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "dead letter {} at {}",
        letter.sequence,
        humantime::format_rfc3339_seconds(letter.time)
    )?;
    let mut headers: Vec<(String, String)> = letter
        .headers
        .iter()
        .flat_map(|(name, values)| values.iter().map(move |v| (name.to_string(), v.as_str().to_string())))
        .collect();
    headers.sort();
    for (name, value) in headers {
        writeln!(out, "{name}: {value}")?;
    }
    let size = letter.payload.len();
    match letter.decoded() {
        Ok(json) => {
            let kind = letter.stage.map_or("?", input_type);
            writeln!(out, "\npayload: {kind}, {size} bytes")?;
            serde_json::to_writer_pretty(&mut *out, &json)?;
            writeln!(out)?;
        }
        Err(why) => {
            writeln!(out, "\npayload: {size} bytes, {why}")?;
            writeln!(out, "{}", preview(&letter.payload, PREVIEW_BYTES))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use townreports_bus::async_nats::HeaderMap;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        command: DlqCommand,
    }

    fn parse(args: &[&str]) -> Result<DlqCommand, clap::Error> {
        Cli::try_parse_from(std::iter::once("dlq").chain(args.iter().copied())).map(|c| c.command)
    }

    #[test]
    fn replay_takes_sequences_or_all_with_filters() {
        let Ok(DlqCommand::Replay { sequences, all, .. }) = parse(&["replay", "3", "5"]) else {
            panic!("sequences")
        };
        assert_eq!((sequences, all), (vec![3, 5], false));
        let Ok(DlqCommand::Replay { all, filter, .. }) = parse(&["replay", "--all", "--stage", "parser"]) else {
            panic!("--all --stage")
        };
        assert!(all && filter.stage == Some(StageName::Parser));
        // A filter without --all would replay nothing or everything: refused.
        for refused in [
            &["replay"][..],
            &["replay", "3", "--all"],
            &["replay", "3", "--stage", "parser"],
            &["replay", "--class", "decode"],
            &["list", "--stage", "nowhere"],
        ] {
            assert!(parse(refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn the_table_cuts_long_messages_and_json_keeps_them() {
        let letter = StoredLetter {
            sequence: 42,
            time: std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(86_400),
            stage: Some(StageName::Extractor),
            class: Some("nats".into()),
            message: Some("x".repeat(200)),
            deliveries: Some(5),
            original_subject: Some("townreports.docs.parsed".into()),
            headers: HeaderMap::new(),
            payload: "abc".into(),
        };
        let mut out = Vec::new();
        write_table(std::slice::from_ref(&letter), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let row = text.lines().nth(1).unwrap();
        for part in [
            "42",
            "1970-01-02T00:00:00Z",
            "extractor",
            "nats",
            " 5 ",
            "townreports.docs.parsed",
        ] {
            assert!(row.contains(part), "{part} in {row}");
        }
        assert!(row.ends_with(&format!("{}…", "x".repeat(MESSAGE_WIDTH))), "{row}");
        let json = serde_json::to_value(summary(&letter)).unwrap();
        assert_eq!(json["message"].as_str().unwrap().len(), 200);
        assert_eq!(json["deliveries"], 5);
        assert_eq!(json["bytes"], 3);
    }
}
