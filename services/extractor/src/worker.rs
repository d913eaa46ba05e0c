//! NATS glue: a parsed document in; its record to the indexer when it is a
//! report. Documents that are not reports are counted, not forwarded.

use std::sync::Arc;

use townreports_bus::service::{self, ServiceArgs};
use townreports_bus::worker::{Label, run_stage};
use townreports_bus::{Bus, BusError, Publish, Shutdown, Stage, StageError, WorkerOptions};
use townreports_proto::topology::{self as names, StageName};
use townreports_proto::v1::ParsedDocument;

use crate::extract_crawled;

pub struct ExtractStage;

impl Stage for ExtractStage {
    type Input = ParsedDocument;
    const NAME: StageName = StageName::Extractor;

    fn label(doc: &ParsedDocument) -> Label {
        Label {
            site: doc.job.as_ref().map(|j| j.site_id.clone()).unwrap_or_default(),
            url: doc.url.clone(),
        }
    }

    async fn process(&self, mut doc: ParsedDocument, bus: &Bus) -> Result<Vec<Publish>, StageError> {
        let text_ref = doc.text_ref.take();
        doc.text = bus.carried(std::mem::take(&mut doc.text), text_ref.as_ref()).await?;
        // Extraction is CPU work: keep it off the async threads.
        let record = tokio::task::spawn_blocking(move || extract_crawled(&doc))
            .await
            .map_err(|e| StageError::permanent("panic", format!("the extractor failed on this document: {e}")))?;
        if record.is_report != Some(true) {
            metrics::counter!("townreports_documents_total", "verdict" => "not_report").increment(1);
            tracing::debug!(title = ?record.title, "not a report");
            return Ok(Vec::new());
        }
        metrics::counter!("townreports_documents_total", "verdict" => "report").increment(1);
        Ok(vec![Publish::proto_by_content(
            names::SUBJECT_RECORDS_EXTRACTED,
            &record,
        )])
    }
}

/// Flags of an extractor process: the ones every worker has.
pub type Args = ServiceArgs;

/// Runs extractor workers on `bus` until shutdown.
pub async fn run(bus: Bus, opts: WorkerOptions, shutdown: Shutdown) -> Result<(), BusError> {
    run_stage(bus, Arc::new(ExtractStage), opts, shutdown).await
}

/// An extractor process: connect, serve health, run until shutdown.
pub async fn serve(args: Args, shutdown: Shutdown) -> anyhow::Result<()> {
    service::serve_stage(&args, "townreports-extractor", ExtractStage, shutdown).await
}
