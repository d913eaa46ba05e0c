//! `townreports coverage CODE`: the township × year matrix of a county,
//! city or province, as a table or CSV. Reports come from the store, the
//! townships from the national table, and each township's report columns
//! from the crawl's frontier (read as `status` reads it).

use std::io::Write;

use anyhow::Context;
use townreports_bus::Shutdown;
use townreports_bus::locate::CrawlNats;
use townreports_scheduler::worker::township_columns_in;
use townreports_store::{Coverage, Location, Store, TownshipCoverage, coverage};

use crate::status::CrawlArgs;

#[derive(Debug, Clone, clap::Args)]
pub struct CoverageArgs {
    /// A province, city or county code (2, 4 or 6 digits: 51, 5114, 511424).
    pub code: String,
    /// Print CSV (one row per township, one column per year) instead of a table.
    #[arg(long)]
    pub csv: bool,
    /// The database: `postgres://…` or `sqlite://PATH`; the data
    /// directory's SQLite without it.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    #[command(flatten)]
    pub crawl: CrawlArgs,
}

/// The coverage of `args.code`, columns included.
pub async fn read(args: &CoverageArgs, shutdown: &Shutdown) -> anyhow::Result<Coverage> {
    let location = Location::from_args(args.database_url.as_deref(), &args.crawl.data_dir)?;
    let columns = CrawlNats::with(
        &args.crawl.data_dir,
        &args.crawl.nats,
        "townreports coverage",
        shutdown,
        async |bus| -> anyhow::Result<_> { Ok(township_columns_in(bus).await?) },
    )
    .await?;
    let store = Store::open(&location).await?;
    let matrix = coverage(&store, &args.code, Some(&columns)).await;
    store.close().await;
    Ok(matrix?)
}

pub async fn print(args: &CoverageArgs, shutdown: &Shutdown) -> anyhow::Result<()> {
    let matrix = read(args, shutdown).await?;
    let mut out = std::io::stdout().lock();
    if args.csv {
        write_csv(&matrix, &mut out)
    } else {
        write_table(&matrix, &mut out)
    }
    .context("writing to stdout")
}

/// The short mark of a report type in the table.
fn mark(doc_type: &str) -> &str {
    match doc_type {
        "government_work_report" => "R",
        "work_summary" => "S",
        "work_summary_and_plan" => "SP",
        "work_plan" => "P",
        other => other,
    }
}

/// The columns cell: how many report columns, or `-` when discovery found
/// no page of the township.
fn columns_cell(t: &TownshipCoverage) -> String {
    t.columns.as_ref().map_or("-".into(), |c| c.len().to_string())
}

/// `text` padded to `width` terminal cells (a CJK character takes two).
fn pad(text: &str, width: usize) -> String {
    let cells: usize = text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(cells)))
}

pub fn write_table(c: &Coverage, out: &mut dyn Write) -> std::io::Result<()> {
    let with_column = c
        .townships
        .iter()
        .filter(|t| t.columns.as_ref().is_some_and(|c| !c.is_empty()));
    let with_report = c.townships.iter().filter(|t| !t.reports.is_empty());
    writeln!(
        out,
        "{} ({}): {} townships, {} with a report column, {} with a stored report",
        c.name,
        c.code,
        c.townships.len(),
        with_column.count(),
        with_report.count()
    )?;
    write!(
        out,
        "{} {} {} {:>7}",
        pad("code", 9),
        pad("township", 16),
        pad("county", 12),
        "columns"
    )?;
    for year in &c.years {
        write!(out, " {year:<7}")?;
    }
    writeln!(out)?;
    for t in &c.townships {
        write!(
            out,
            "{} {} {} {:>7}",
            t.code,
            pad(&t.name, 16),
            pad(&t.county, 12),
            columns_cell(t)
        )?;
        for year in &c.years {
            let cell = t.reports.get(year).map_or("·".into(), |types| {
                types.iter().map(|d| mark(d)).collect::<Vec<_>>().join(" ")
            });
            write!(out, " {cell:<7}")?;
        }
        writeln!(out)?;
    }
    let columns_note = if c.columns_known { "" } else { " (columns unknown)" };
    writeln!(
        out,
        "R 政府工作报告 · S 工作总结 · SP 总结和计划 · P 工作计划 · · missing · columns: report columns found, - no page found{columns_note}"
    )
}

/// One row per township, one column per year; a cell lists the report
/// types stored, `;`-separated, empty when missing.
pub fn write_csv(c: &Coverage, out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let header = ["code", "township", "county", "columns"].map(String::from);
    w.write_record(header.into_iter().chain(c.years.iter().map(i64::to_string)))?;
    for t in &c.townships {
        let columns = t.columns.as_ref().map_or(String::new(), |c| c.len().to_string());
        let cells = c
            .years
            .iter()
            .map(|y| t.reports.get(y).map_or(String::new(), |d| d.join(";")));
        w.write_record(
            [t.code.clone(), t.name.clone(), t.county.clone(), columns]
                .into_iter()
                .chain(cells),
        )?;
    }
    w.flush()
}
