//! NATS glue: a record in; stored, then announced, then acked. An event is
//! owed until JetStream acknowledged it, so a crash anywhere in between
//! ends, after redelivery, with the record stored once and announced once.

use std::sync::Arc;

use townreports_bus::health::Readiness;
use townreports_bus::publish::Published;
use townreports_bus::service::{self, ServiceArgs};
use townreports_bus::worker::{Label, run_stage};
use townreports_bus::{Bus, BusError, Publish, Shutdown, Stage, StageError, WorkerOptions};
use townreports_proto::now_ms;
use townreports_proto::topology::{EventKind, StageName, report_event_subject};
use townreports_proto::v1::{ReportEvent, ReportEventKind, ReportRecord};

use townreports_store::{Change, DatabaseArgs, Store, StoreError, diff};

use crate::batch::WriteQueue;
use crate::validate;

pub struct IndexStage {
    store: Arc<Store>,
    writes: WriteQueue,
}

impl IndexStage {
    /// Starts the stage's writer task (it must run in a tokio runtime).
    pub fn new(store: Arc<Store>) -> IndexStage {
        IndexStage {
            writes: WriteQueue::start(store.clone()),
            store,
        }
    }
}

/// An outage (down, locked, full) holds the record until the database is
/// back; anything else about this record is retried a few times and then
/// dead-lettered with the database's reason.
fn database_error(e: StoreError) -> StageError {
    match e {
        StoreError::Unavailable(_) => StageError::unavailable("database", e),
        _ => StageError::transient("database", e),
    }
}

impl Stage for IndexStage {
    type Input = ReportRecord;
    const NAME: StageName = StageName::Indexer;

    fn label(record: &ReportRecord) -> Label {
        let source = record.source.clone().unwrap_or_default();
        Label {
            site: source.site_id,
            url: source.url.or(source.path).unwrap_or_default(),
        }
    }

    async fn process(&self, record: ReportRecord, bus: &Bus) -> Result<Vec<Publish>, StageError> {
        validate(&record).map_err(|e| StageError::permanent("invalid_record", e))?;
        let now = now_ms();
        let stored = self.writes.upsert(record, now).await.map_err(database_error)?;
        let Some(kind) = stored.owed_event else {
            tracing::debug!(id = %stored.id, "unchanged; nothing to announce");
            return Ok(Vec::new());
        };
        let record = stored.record;
        // Computed from the stored versions, so a redelivery that owes the
        // event announces the same changes as the first attempt would have.
        let changes = match kind {
            EventKind::New => Vec::new(),
            EventKind::Updated => self
                .store
                .changes(&stored.id, stored.version)
                .await
                .map_err(database_error)?,
        };
        let code = record.division.as_ref().and_then(|d| d.code.clone());
        let subject = report_event_subject(kind, code.as_deref(), &record.id, stored.version);
        let event = ReportEvent {
            kind: match kind {
                EventKind::New => ReportEventKind::New,
                EventKind::Updated => ReportEventKind::Updated,
            } as i32,
            report_id: record.id.clone(),
            stored_at_ms: now,
            version: stored.version,
            record: Some(record.clone()),
            changed: diff::changed_fields(&changes),
            changes,
        };
        let version = stored.version.to_string();
        let publish = Publish::proto(&subject, &event, &[&record.id, &version]);
        match bus.publish(&publish).await? {
            Published::Stored { .. } => {
                metrics::counter!("townreports_events_published_total", "kind" => kind.token()).increment(1);
                tracing::info!(id = %record.id, %subject, "announced");
            }
            // Announced before (a redelivery after a crash): nothing new.
            Published::Duplicate | Published::SubjectFull => {}
        }
        self.writes
            .mark_announced(&record.id, stored.version)
            .await
            .map_err(database_error)?;
        metrics::counter!("townreports_reports_stored_total").increment(u64::from(stored.change != Change::Unchanged));
        Ok(Vec::new())
    }
}

/// Flags of an indexer process.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub service: ServiceArgs,
}

impl townreports_bus::service::WorkerArgs for Args {
    fn service(&self) -> &ServiceArgs {
        &self.service
    }
}

/// Runs indexer workers on `bus` until shutdown.
pub async fn run(bus: Bus, store: Arc<Store>, opts: WorkerOptions, shutdown: Shutdown) -> Result<(), BusError> {
    run_stage(bus, Arc::new(IndexStage::new(store)), opts, shutdown).await
}

/// Ready when NATS and the database answer.
pub fn readiness(bus: &Bus, store: &Arc<Store>) -> Readiness {
    let db = store.clone();
    Readiness::nats(bus).with("database", move || {
        let db = db.clone();
        async move { db.ping().await.map_err(|e| e.to_string()) }
    })
}

/// An indexer process: open the store, connect, serve health, run.
pub async fn serve(args: Args, shutdown: Shutdown) -> anyhow::Result<()> {
    let store = Arc::new(args.database.open().await?);
    let bus = service::connect(&args.service, "townreports-indexer").await?;
    service::serve_health(&args.service, readiness(&bus, &store), &shutdown).await?;
    run(bus, store.clone(), args.service.worker, shutdown).await?;
    store.close().await;
    Ok(())
}
