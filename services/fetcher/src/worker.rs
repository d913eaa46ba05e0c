//! NATS glue: one fetch job in; its outcome to the scheduler and, for a page,
//! the page to the parser (by reference through the object store when large).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use townreports_bus::health::Readiness;
use townreports_bus::service::{self, ServiceArgs};
use townreports_bus::worker::{Label, run_stage};
use townreports_bus::{Bus, BusError, Publish, Shutdown, Stage, StageError, WorkerOptions};
use townreports_proto::topology::{self as names, StageName};
use townreports_proto::v1::{FetchJob, FetchedPage, FrontierUpdate, PageKind, frontier_update::Update};
use townreports_sites::SitesFile;

use crate::archive::{Exchange, WarcArchive};
use crate::http::{Fetched, Fetcher};

pub struct FetchStage {
    fetcher: Fetcher,
    archive: Option<Arc<WarcArchive>>,
}

impl FetchStage {
    /// A stage fetching with the sites file's settings, archiving every
    /// response in `warc_dir` when given.
    pub fn new(sites: &SitesFile, warc_dir: Option<&Path>) -> Result<FetchStage, BusError> {
        let fetcher = Fetcher::new(&sites.fetch).map_err(|e| BusError::Other(e.to_string()))?;
        let archive = warc_dir
            .map(WarcArchive::open)
            .transpose()
            .map_err(|e| BusError::Other(e.to_string()))?
            .map(Arc::new);
        Ok(FetchStage { fetcher, archive })
    }

    /// Writes the responses to the archive before anything is published: a
    /// page the parser saw is always in the archive too. A write failure
    /// (disk full) retries the job later rather than losing the record.
    async fn archive(&self, job: &FetchJob, fetched: &Fetched) -> Result<(), StageError> {
        let Some(archive) = self.archive.clone() else {
            return Ok(());
        };
        if fetched.responses.is_empty() {
            return Ok(());
        }
        let job = job.clone();
        let responses = fetched.responses.clone();
        let fetched_at_ms = fetched.outcome.fetched_at_ms;
        tokio::task::spawn_blocking(move || {
            responses.iter().try_for_each(|r| {
                archive.append(&Exchange {
                    job: &job,
                    final_url: &r.final_url,
                    status: r.status,
                    headers: &r.headers,
                    body: &r.body,
                    fetched_at_ms,
                })
            })
        })
        .await
        .map_err(|e| StageError::transient("archive", format!("the archive writer failed: {e}")))?
        .map_err(|e| StageError::transient("archive", e.to_string()))
    }
}

impl Stage for FetchStage {
    type Input = FetchJob;
    const NAME: StageName = StageName::Fetcher;

    fn label(job: &FetchJob) -> Label {
        Label::from(job)
    }

    async fn process(&self, job: FetchJob, bus: &Bus) -> Result<Vec<Publish>, StageError> {
        let mut fetched = self.fetcher.fetch(&job).await;
        self.archive(&job, &fetched).await?;
        let mut outputs = Vec::with_capacity(2);
        // robots.txt goes back to the scheduler, which keeps each host's rules.
        if job.kind() == PageKind::Robots
            && let Some(page) = fetched.page.take()
        {
            fetched.outcome.robots_txt =
                page.body[..page.body.len().min(townreports_proto::MAX_ROBOTS_TXT_BYTES)].to_vec();
        }
        if let Some(page) = fetched.page {
            let mut message = FetchedPage {
                job: Some(job.clone()),
                final_url: page.final_url,
                http_status: u32::from(page.status),
                content_type: page.content_type,
                body_sha256: townreports_proto::sha256_hex(&page.body),
                fetched_at_ms: fetched.outcome.fetched_at_ms,
                ..Default::default()
            };
            (message.body, message.body_ref) = bus.carry(page.body.to_vec()).await?;
            outputs.push(Publish::of_job(names::SUBJECT_PAGES_FETCHED, &message, &job));
        }
        let update = FrontierUpdate {
            update: Some(Update::Outcome(fetched.outcome)),
        };
        outputs.push(Publish::of_job(names::SUBJECT_FRONTIER_OUTCOMES, &update, &job));
        Ok(outputs)
    }
}

/// Flags of a fetcher process.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The sites file (its `[fetch]` settings apply).
    #[arg(long, env = "SITES_FILE")]
    pub sites: PathBuf,
    /// Where every response is archived as WARC files, for `townreports
    /// reprocess` (a shared volume when fetchers are replicated). None: no
    /// archive.
    #[arg(long, env = "WARC_DIR")]
    pub warc_dir: Option<PathBuf>,
    #[command(flatten)]
    pub service: ServiceArgs,
}

impl townreports_bus::service::WorkerArgs for Args {
    fn service(&self) -> &ServiceArgs {
        &self.service
    }
}

/// Runs fetcher workers on `bus` until shutdown.
pub async fn run(
    bus: Bus,
    sites: &SitesFile,
    warc_dir: Option<&Path>,
    opts: WorkerOptions,
    shutdown: Shutdown,
) -> Result<(), BusError> {
    run_stage(bus, Arc::new(FetchStage::new(sites, warc_dir)?), opts, shutdown).await
}

/// A fetcher process: connect, serve health, run until shutdown.
pub async fn serve(args: Args, shutdown: Shutdown) -> anyhow::Result<()> {
    let sites = SitesFile::load(&args.sites)?;
    let bus = service::connect(&args.service, "townreports-fetcher").await?;
    service::serve_health(&args.service, Readiness::nats(&bus), &shutdown).await?;
    run(bus, &sites, args.warc_dir.as_deref(), args.service.worker, shutdown).await?;
    Ok(())
}
