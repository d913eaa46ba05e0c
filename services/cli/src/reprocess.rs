//! `townreports reprocess`: parse and extract again from the web archive,
//! without fetching, into a new index — for when the parser or extractor
//! improves. The same library calls as the parser and extractor workers,
//! in archive (fetch) order, into a fresh store through the indexer's own
//! upsert, so copies merge the same way. The live index is never touched.

use std::path::PathBuf;

use anyhow::Context;
use townreports_extractor::extract_crawled;
use townreports_fetcher::archive::{self, ArchiveError, ArchivedResponse};
use townreports_parser::reading::{Response, read_response};
use townreports_proto::v1::{PageKind, ReportRecord};
use townreports_store::sqlite_path;
use townreports_store::{Prepared, Store, Write};

#[derive(Debug, Clone, clap::Args)]
pub struct ReprocessArgs {
    /// The data directory whose archive (`DATA_DIR/warc`) is read.
    #[arg(long, env = "DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Where the new index is written (must not hold one yet).
    #[arg(long)]
    pub out_dir: PathBuf,
}

/// What a reprocessing run read and made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReprocessSummary {
    pub responses: usize,
    pub documents: usize,
    pub reports: usize,
    pub stored: i64,
    /// Attachments not read: formats not read, files that could not be,
    /// scanned PDFs.
    pub unsupported: usize,
    /// Torn archive records and unparseable addresses.
    pub unreadable: usize,
}

pub async fn reprocess(args: &ReprocessArgs) -> anyhow::Result<ReprocessSummary> {
    let target = sqlite_path(&args.out_dir);
    anyhow::ensure!(
        !target.exists(),
        "{} already holds an index; reprocess into an empty directory",
        args.out_dir.display()
    );
    let warc_dir = archive::data_dir_archive(&args.data_dir);
    let files = archive::archive_files(&warc_dir).with_context(|| {
        format!(
            "no web archive in {}: was it crawled by this version?",
            warc_dir.display()
        )
    })?;
    let store = Store::open_sqlite(&target).await?;
    let mut summary = ReprocessSummary::default();
    // While one batch is written, the next is parsed and extracted.
    let mut unwritten: Vec<Write> = Vec::new();
    for file in files {
        let mut responses = archive::read_file(&file)?;
        while !responses.is_empty() {
            let batch: Vec<_> = responses.drain(..responses.len().min(BATCH)).collect();
            let extracting = tokio::spawn(outcomes_of(batch));
            store.write_all(&std::mem::take(&mut unwritten)).await?;
            for outcome in extracting.await? {
                unwritten.extend(summary.count(outcome));
            }
        }
    }
    store.write_all(&unwritten).await?;
    summary.stored = store.count().await?;
    store.close().await;
    Ok(summary)
}

/// Archived responses handled at once: parsed and extracted over all
/// cores, then their reports stored in one transaction.
const BATCH: usize = 64;

enum Outcome {
    /// A document; a report comes with its write, prepared (segmented)
    /// beside the extraction instead of in the writing transaction.
    Record(Box<ReportRecord>, Option<Write>),
    NotADocument,
    Unsupported,
    Unreadable,
}

impl ReprocessSummary {
    /// Counts `outcome`; the write it owes, if a report.
    fn count(&mut self, outcome: Outcome) -> Option<Write> {
        self.responses += 1;
        match outcome {
            Outcome::Record(record, write) => {
                self.documents += 1;
                self.reports += usize::from(record.is_report == Some(true));
                return write;
            }
            Outcome::NotADocument => {}
            Outcome::Unsupported => self.unsupported += 1,
            Outcome::Unreadable => self.unreadable += 1,
        }
        None
    }
}

/// The outcomes of `batch`, in its order, its parts on blocking threads,
/// one per core.
async fn outcomes_of(batch: Vec<Result<ArchivedResponse, ArchiveError>>) -> Vec<Outcome> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let part = batch.len().div_ceil(cores).max(1);
    let mut batch = batch.into_iter();
    let mut parts = Vec::new();
    loop {
        let responses: Vec<_> = batch.by_ref().take(part).collect();
        if responses.is_empty() {
            break;
        }
        let len = responses.len();
        let reading = tokio::task::spawn_blocking(move || responses.into_iter().map(outcome_of).collect::<Vec<_>>());
        parts.push((len, reading));
    }
    let mut outcomes = Vec::new();
    for (len, part) in parts {
        match part.await {
            Ok(part) => outcomes.extend(part),
            // A panic in the parser or extractor: that part's responses
            // are counted unreadable rather than ending the run.
            Err(e) => {
                tracing::error!(error = %e, responses = len, "archived responses could not be read");
                outcomes.extend((0..len).map(|_| Outcome::Unreadable));
            }
        }
    }
    outcomes
}

fn outcome_of(response: Result<ArchivedResponse, ArchiveError>) -> Outcome {
    let response = match response {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "skipping a torn archive record");
            return Outcome::Unreadable;
        }
    };
    match record_of(&response) {
        Outcome::Record(record, _) => {
            let write = (record.is_report == Some(true)).then(|| Write::Upsert {
                prepared: Box::new(Prepared::of((*record).clone())),
                now_ms: response.fetched_at_ms,
            });
            Outcome::Record(record, write)
        }
        other => other,
    }
}

/// What the parser and extractor workers would have made of one response:
/// the same two library calls.
fn record_of(response: &ArchivedResponse) -> Outcome {
    let job = &response.job;
    // The archive keeps every response; the fetcher passes on only these.
    if response.status != 200 || job.kind() == PageKind::Robots {
        return Outcome::NotADocument;
    }
    let body_sha256 = townreports_proto::sha256_hex(&response.body);
    let reading = match read_response(&Response {
        job,
        final_url: &response.final_url,
        content_type: &response.content_type,
        body: &response.body,
        body_sha256: &body_sha256,
        fetched_at_ms: response.fetched_at_ms,
    }) {
        Ok(reading) => reading,
        Err(e) => {
            tracing::warn!(error = %e, "skipping an archived response");
            return Outcome::Unreadable;
        }
    };
    if !reading.links.unsupported_format.is_empty() || !reading.links.image_only_format.is_empty() {
        return Outcome::Unsupported;
    }
    match reading.document {
        Some(doc) => Outcome::Record(Box::new(extract_crawled(&doc)), None),
        None => Outcome::NotADocument,
    }
}
