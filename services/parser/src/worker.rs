//! NATS glue: a fetched page in; its links to the scheduler and, for a
//! document, the document to the extractor.

use std::sync::Arc;

use townreports_bus::service::{self, ServiceArgs};
use townreports_bus::worker::{Label, run_stage};
use townreports_bus::{Bus, BusError, Publish, Shutdown, Stage, StageError, WorkerOptions};
use townreports_proto::topology::{self as names, StageName};
use townreports_proto::v1::{DiscoveredLinks, FetchJob, FetchedPage, FrontierUpdate, frontier_update::Update};

use crate::reading::{Response, read_response};

pub struct ParseStage;

impl Stage for ParseStage {
    type Input = FetchedPage;
    const NAME: StageName = StageName::Parser;

    fn label(page: &FetchedPage) -> Label {
        let job = page.job.clone().unwrap_or_default();
        Label {
            site: job.site_id,
            url: job.url,
        }
    }

    async fn process(&self, page: FetchedPage, bus: &Bus) -> Result<Vec<Publish>, StageError> {
        let job = page
            .job
            .clone()
            .ok_or_else(|| StageError::permanent("invalid_page", "a fetched page without its job"))?;
        let body = bus.carried(page.body.clone(), page.body_ref.as_ref()).await?;
        // Parsing is CPU work: keep it off the async threads.
        let reading = {
            let job = job.clone();
            tokio::task::spawn_blocking(move || {
                read_response(&Response {
                    job: &job,
                    final_url: &page.final_url,
                    content_type: &page.content_type,
                    body: &body,
                    body_sha256: &page.body_sha256,
                    fetched_at_ms: page.fetched_at_ms,
                })
            })
            .await
            .map_err(|e| StageError::permanent("panic", format!("the parser failed on this page: {e}")))?
            .map_err(|e| StageError::permanent("invalid_page", e))?
        };
        count_attachment(&job, &reading.links);
        let mut outputs = Vec::with_capacity(2);
        if let Some(mut doc) = reading.document {
            (doc.text, doc.text_ref) = bus.carry(doc.text).await?;
            outputs.push(Publish::of_job(names::SUBJECT_DOCS_PARSED, &doc, &job));
        }
        outputs.push(links_update(reading.links, &job));
        Ok(outputs)
    }
}

/// An attachment's fate in the metrics and, when it was not read, the log.
fn count_attachment(job: &FetchJob, links: &DiscoveredLinks) {
    if !links.read_format.is_empty() {
        metrics::counter!("townreports_attachments_read_total", "format" => links.read_format.clone()).increment(1);
    } else if !links.image_only_format.is_empty() {
        let format = &links.image_only_format;
        tracing::warn!(url = %job.url, format, "scanned attachment without text; counted, not read");
        metrics::counter!("townreports_attachments_image_only_total", "format" => format.clone()).increment(1);
    } else if !links.unsupported_format.is_empty() {
        let (format, reason) = (&links.unsupported_format, &links.unsupported_reason);
        tracing::warn!(url = %job.url, format, reason, "attachment not read; counted");
        metrics::counter!("townreports_attachments_unsupported_total", "format" => format.clone()).increment(1);
    }
}

fn links_update(links: DiscoveredLinks, job: &FetchJob) -> Publish {
    let update = FrontierUpdate {
        update: Some(Update::Links(links)),
    };
    Publish::of_job(names::SUBJECT_FRONTIER_LINKS, &update, job)
}

/// Flags of a parser process: the ones every worker has.
pub type Args = ServiceArgs;

/// Runs parser workers on `bus` until shutdown.
pub async fn run(bus: Bus, opts: WorkerOptions, shutdown: Shutdown) -> Result<(), BusError> {
    run_stage(bus, Arc::new(ParseStage), opts, shutdown).await
}

/// A parser process: connect, serve health, run until shutdown.
pub async fn serve(args: Args, shutdown: Shutdown) -> anyhow::Result<()> {
    service::serve_stage(&args, "townreports-parser", ParseStage, shutdown).await
}
