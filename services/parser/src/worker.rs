//! NATS glue: a fetched page in; its links to the scheduler and, for a
//! document, the document to the extractor.

use std::sync::Arc;

use townreports_bus::blob::INLINE_LIMIT;
use townreports_bus::health::Readiness;
use townreports_bus::service::{self, ServiceArgs};
use townreports_bus::worker::{Label, run_stage};
use townreports_bus::{Bus, BusError, Publish, Shutdown, Stage, StageError, WorkerOptions};
use townreports_proto::topology::{self as names, Stage as StageName};
use townreports_proto::v1::{DiscoveredLinks, FetchJob, FetchedPage, FrontierUpdate, frontier_update::Update};
use url::Url;

use crate::{Parsed, parse_fetched};

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
        let final_url = if page.final_url.is_empty() {
            job.url.clone()
        } else {
            page.final_url.clone()
        };
        let url = Url::parse(&final_url)
            .map_err(|e| StageError::permanent("invalid_page", format!("bad URL {final_url}: {e}")))?;
        let body = match &page.body_ref {
            Some(r) => bus.get_blob(r).await?.to_vec(),
            None => page.body.clone(),
        };
        let content_type = (!page.content_type.is_empty()).then(|| page.content_type.clone());
        // Parsing is CPU work: keep it off the async threads.
        let parsed = tokio::task::spawn_blocking(move || parse_fetched(&url, &body, content_type.as_deref()))
            .await
            .map_err(|e| StageError::permanent("panic", format!("the parser failed on this page: {e}")))?;

        let at = job.scheduled_at_ms.to_string();
        let identity = [job.url.as_str(), at.as_str()];
        let (parsed, read_format) = match parsed {
            Parsed::Page(page) => (page, ""),
            Parsed::Attachment { format, page } => {
                metrics::counter!("townreports_attachments_read_total", "format" => format).increment(1);
                (page, format)
            }
            Parsed::ImageOnly(format) => {
                tracing::warn!(url = %job.url, format, "scanned attachment without text; counted, not read");
                metrics::counter!("townreports_attachments_image_only_total", "format" => format).increment(1);
                let links = DiscoveredLinks {
                    image_only_format: format.to_string(),
                    ..unread(&job, &page)
                };
                return Ok(vec![links_update(links, &identity)]);
            }
            Parsed::Unsupported { format, reason } => {
                tracing::warn!(url = %job.url, format, reason, "attachment not read; counted");
                metrics::counter!("townreports_attachments_unsupported_total", "format" => format).increment(1);
                let links = DiscoveredLinks {
                    unsupported_format: format.to_string(),
                    unsupported_reason: reason,
                    ..unread(&job, &page)
                };
                return Ok(vec![links_update(links, &identity)]);
            }
        };
        let mut outputs = Vec::with_capacity(2);
        if parsed.is_document(&job) {
            let mut doc = parsed
                .clone()
                .into_document(job.clone(), &final_url, page.fetched_at_ms);
            if doc.text.len() > INLINE_LIMIT {
                doc.text_ref = Some(bus.put_blob(doc.text.as_bytes()).await?);
                doc.text.clear();
            }
            outputs.push(Publish::proto(names::SUBJECT_DOCS_PARSED, &doc, &identity));
        }
        let links = DiscoveredLinks {
            read_format: read_format.to_string(),
            ..parsed.discovered_links(&job)
        };
        outputs.push(links_update(links, &identity));
        Ok(outputs)
    }
}

/// What the scheduler hears of an attachment that gave no text: no links.
fn unread(job: &FetchJob, page: &FetchedPage) -> DiscoveredLinks {
    DiscoveredLinks {
        job: Some(job.clone()),
        clean_text_sha256: page.body_sha256.clone(),
        ..Default::default()
    }
}

fn links_update(links: DiscoveredLinks, identity: &[&str]) -> Publish {
    let update = FrontierUpdate {
        update: Some(Update::Links(links)),
    };
    Publish::proto(names::SUBJECT_FRONTIER_LINKS, &update, identity)
}

/// Flags of a parser process.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub service: ServiceArgs,
}

impl townreports_bus::service::WorkerArgs for Args {
    fn service(&self) -> &ServiceArgs {
        &self.service
    }
}

/// Runs parser workers on `bus` until shutdown.
pub async fn run(bus: Bus, opts: WorkerOptions, shutdown: Shutdown) -> Result<(), BusError> {
    run_stage(bus, Arc::new(ParseStage), opts, shutdown).await
}

/// A parser process: connect, serve health, run until shutdown.
pub async fn serve(args: Args, shutdown: Shutdown) -> anyhow::Result<()> {
    let bus = service::connect(&args.service, "townreports-parser").await?;
    service::serve_health(&args.service, Readiness::nats(&bus), &shutdown).await?;
    run(bus, args.service.worker, shutdown).await?;
    Ok(())
}
