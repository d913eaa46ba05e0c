//! `townreports status`: how the crawl stands, per site, and how much work
//! waits in each stage — read from the frontier bucket, the work streams
//! and the store, so it works beside a running crawl or after one. A
//! county's line says what discovery found on its portal.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use townreports_bus::locate::CrawlNats;
use townreports_bus::{Bus, NatsOptions, Shutdown};
use townreports_proto::now_ms;
use townreports_proto::topology::STREAM_DLQ;
use townreports_scheduler::frontier::SiteStats;
use townreports_scheduler::worker::site_stats_in;
use townreports_store::Store;
use townreports_store::sqlite_path;

/// Which crawl `status` and `dlq` look at.
#[derive(Debug, Clone, clap::Args)]
pub struct CrawlArgs {
    /// The data directory of `townreports run` (its store, and its embedded
    /// NATS when no NATS_URL is given).
    #[arg(long, env = "DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    #[command(flatten)]
    pub nats: NatsOptions,
}

/// The crawl's state.
#[derive(Debug, Clone, Default)]
pub struct Status {
    pub sites: BTreeMap<String, SiteStats>,
    pub reports_by_site: BTreeMap<String, i64>,
    pub queues: Vec<(String, u64)>,
    pub dead_letters: u64,
}

/// Reads the status: from NATS_URL, else from the embedded server of the
/// run holding the data directory, else from a private one started on its
/// store (see [`CrawlNats`]); interrupted by `shutdown`.
pub async fn read(args: &CrawlArgs, shutdown: &Shutdown) -> anyhow::Result<Status> {
    let from_nats = async |bus: &Bus| -> anyhow::Result<Status> {
        Ok(Status {
            sites: site_stats_in(bus).await?,
            queues: bus
                .queue_depths()
                .await?
                .into_iter()
                .map(|(stage, n)| (stage.name().to_string(), n))
                .collect(),
            dead_letters: bus.stream_messages(STREAM_DLQ).await?,
            ..Default::default()
        })
    };
    let mut status = CrawlNats::with(&args.data_dir, &args.nats, "townreports status", shutdown, from_nats).await?;
    let db = sqlite_path(&args.data_dir);
    if db.exists() {
        let store = Store::open_sqlite(&db).await?;
        status.reports_by_site = store.reports_by_site().await?;
        store.close().await;
    }
    Ok(status)
}

pub async fn status(args: &CrawlArgs, shutdown: &Shutdown) -> anyhow::Result<()> {
    let status = read(args, shutdown).await?;
    let mut out = std::io::stdout().lock();
    write_table(&status, now_ms(), &mut out).context("writing to stdout")
}

/// The status as a table, times relative to `now`.
pub fn write_table(status: &Status, now: i64, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<16} {:>6} {:>7} {:>7} {:>10} {:>7}  {:<28} {:<14} {:<12} failed",
        "site", "known", "fetched", "blocked", "disallowed", "reports", "unsupported", "last success", "next visit"
    )?;
    for (site, s) in &status.sites {
        let failed = join(&s.failed_by_class);
        let unsupported = join(&s.unsupported);
        writeln!(
            out,
            "{:<16} {:>6} {:>7} {:>7} {:>10} {:>7}  {:<28} {:<14} {:<12} {}",
            site,
            s.known,
            s.fetched,
            s.blocked,
            s.disallowed,
            status.reports_by_site.get(site).copied().unwrap_or(0),
            if unsupported.is_empty() {
                "-".into()
            } else {
                unsupported
            },
            s.last_success_ms.map_or("never".into(), |t| relative(t - now)),
            s.next_visit_ms.map_or("none".into(), |t| relative(t - now)),
            if failed.is_empty() { "-".into() } else { failed },
        )?;
    }
    for (site, s) in &status.sites {
        for (reason, n) in &s.blocked_by {
            writeln!(out, "blocked: {site}: {n} page(s): {reason}")?;
        }
    }
    for (site, s) in &status.sites {
        let parts: Vec<String> = [
            ("read", &s.attachments_read),
            ("unsupported", &s.unsupported),
            ("image-only", &s.image_only),
        ]
        .into_iter()
        .filter(|(_, counts)| !counts.is_empty())
        .map(|(what, counts)| format!("{what} {}", join(counts)))
        .collect();
        if !parts.is_empty() {
            writeln!(out, "attachments: {site}: {}", parts.join(" · "))?;
        }
        if s.townships > 0 || !(s.unresolved.is_empty() && s.not_found.is_empty() && s.gone.is_empty()) {
            let names = |list: &[String]| if list.is_empty() { "-".into() } else { list.join(", ") };
            writeln!(
                out,
                "county {site}: {} townships found · unresolved: {} · not found: {} · gone: {}",
                s.townships,
                names(&s.unresolved),
                names(&s.not_found),
                names(&s.gone)
            )?;
        }
    }
    let queues: Vec<String> = status.queues.iter().map(|(s, n)| format!("{s} {n}")).collect();
    writeln!(out, "queues: {}", queues.join(" · "))?;
    writeln!(out, "dead letters: {}", status.dead_letters)
}

fn join(counts: &BTreeMap<String, usize>) -> String {
    counts
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `3m ago`, `in 5h59m`, `now`.
fn relative(delta_ms: i64) -> String {
    let secs = (delta_ms.abs() / 1000) as u64;
    if secs == 0 {
        return "now".into();
    }
    let text = humantime::format_duration(std::time::Duration::from_secs(secs)).to_string();
    let short: String = text.split(' ').take(2).collect::<Vec<_>>().join("");
    if delta_ms < 0 {
        format!("{short} ago")
    } else {
        format!("in {short}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_every_count() {
        let mut s = SiteStats {
            known: 12,
            fetched: 9,
            blocked: 1,
            disallowed: 1,
            last_success_ms: Some(1_000),
            next_visit_ms: Some(1_000 + 6 * 3_600_000),
            ..Default::default()
        };
        s.failed_by_class.insert("redirect".into(), 2);
        s.unsupported.insert("doc".into(), 1);
        s.attachments_read.insert("ofd".into(), 2);
        s.attachments_read.insert("wps".into(), 1);
        s.image_only.insert("pdf".into(), 1);
        s.blocked_by.insert("HTTP 412 ruishu challenge".into(), 1);
        let county = SiteStats {
            townships: 5,
            unresolved: vec!["双桥镇".into()],
            not_found: vec!["顺龙乡".into()],
            ..Default::default()
        };
        let status = Status {
            sites: [("faults-town".to_string(), s), ("danling".to_string(), county)].into(),
            reports_by_site: [("faults-town".to_string(), 3)].into(),
            queues: vec![("fetcher".into(), 0), ("parser".into(), 2)],
            dead_letters: 1,
        };
        let mut out = Vec::new();
        write_table(&status, 61_000, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let row = text.lines().find(|l| l.starts_with("faults-town")).unwrap();
        for part in ["faults-town", "12", "9", "doc 1", "1m ago", "in 5h59m", "redirect 2"] {
            assert!(row.contains(part), "{part} in {row}");
        }
        assert!(
            text.contains("attachments: faults-town: read ofd 2, wps 1 · unsupported doc 1 · image-only pdf 1"),
            "{text}"
        );
        assert!(text.contains("queues: fetcher 0 · parser 2"));
        assert!(text.contains("dead letters: 1"));
        assert!(
            text.contains("county danling: 5 townships found · unresolved: 双桥镇 · not found: 顺龙乡 · gone: -"),
            "{text}"
        );
        assert!(!text.contains("county faults-town"), "{text}");
        assert!(
            text.contains("blocked: faults-town: 1 page(s): HTTP 412 ruishu challenge"),
            "{text}"
        );
    }
}
