//! `townreports reprocess`: parse and extract again from the web archive,
//! without fetching, into a new index — for when the parser or extractor
//! improves. The same library calls as the parser and extractor workers,
//! in archive (fetch) order, into a fresh store through the indexer's own
//! upsert, so copies merge the same way. The live index is never touched.

use std::path::PathBuf;

use anyhow::Context;
use townreports_extractor::extract_crawled;
use townreports_fetcher::archive::{self, ArchivedResponse};
use townreports_parser::reading::{Response, read_response};
use townreports_proto::v1::{PageKind, ReportRecord};
use townreports_store::Store;
use townreports_store::sqlite_path;

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
    for file in files {
        for response in archive::read_file(&file)? {
            summary.responses += 1;
            let response = match response {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "skipping a torn archive record");
                    summary.unreadable += 1;
                    continue;
                }
            };
            match record_of(&response) {
                Outcome::Record(record) => {
                    summary.documents += 1;
                    if record.is_report == Some(true) {
                        summary.reports += 1;
                        store.upsert(&record, response.fetched_at_ms).await?;
                    }
                }
                Outcome::NotADocument => {}
                Outcome::Unsupported => summary.unsupported += 1,
                Outcome::Unreadable => summary.unreadable += 1,
            }
        }
    }
    summary.stored = store.count().await?;
    store.close().await;
    Ok(summary)
}

enum Outcome {
    Record(Box<ReportRecord>),
    NotADocument,
    Unsupported,
    Unreadable,
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
        Some(doc) => Outcome::Record(Box::new(extract_crawled(&doc))),
        None => Outcome::NotADocument,
    }
}
