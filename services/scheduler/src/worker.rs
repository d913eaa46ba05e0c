//! NATS glue: the frontier's state lives in the JetStream key-value bucket
//! [`FRONTIER_BUCKET`] (one entry per URL), so a restarted or replacement
//! scheduler continues where the last one stopped, and in the store's status
//! index, from which a continuous crawl reads back what it left out of
//! memory (`--due-window`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::StreamExt;
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, Notify};
use townreports_bus::async_nats::jetstream::kv;
use townreports_bus::health::Readiness;
use townreports_bus::service::{self, ServiceArgs};
use townreports_bus::worker::{Label, run_stage};
use townreports_bus::{Bus, BusError, Publish, Shutdown, Stage, StageError, WorkerOptions};
use townreports_proto::now_ms;
use townreports_proto::topology::{self as names, StageName};
use townreports_proto::v1::frontier_update::Update;
use townreports_proto::v1::{DiscoveredLinks, FetchJob, FrontierUpdate};
use townreports_sites::SitesFile;
use townreports_store::{DatabaseArgs, FrontierRow, Store, StoreError};

use crate::frontier::{Frontier, Mode, PARTITIONS, SiteStats, UrlState};
use crate::lease::{self, Lease};

pub const FRONTIER_BUCKET: &str = "townreports_frontier";
/// How often the dispatcher looks for due work when nothing wakes it.
const TICK: Duration = Duration::from_millis(50);
/// Jobs released per tick at most.
const BATCH: usize = 200;
/// Frontier entries being saved at once.
const SAVES_IN_FLIGHT: usize = 64;
/// Loading the bucket gives up (and is retried) after this long without an entry.
const LOAD_QUIET: Duration = Duration::from_secs(30);

pub struct Scheduler {
    frontier: Mutex<Frontier>,
    kv: kv::Store,
    /// The status index in the store's database (README, "At country
    /// scale"): every entry saved to the bucket is written there too, so
    /// schedulers can come to read only what is due from it.
    index: Arc<Store>,
    /// Rows saved to the bucket and not yet to the index, the latest per
    /// URL, written by [`Scheduler::write_index`] every [`INDEX_FLUSH`]: a
    /// transaction per update cost 40 % of the crawl rate (BENCHMARKS.md).
    /// The bucket stays the record until the index is read.
    index_pending: std::sync::Mutex<HashMap<String, FrontierRow>>,
    /// How far ahead memory holds what is due ([`Scheduler::keep_memory`]),
    /// in milliseconds.
    due_window_ms: AtomicU64,
    wake: Notify,
}

/// The default of `--due-window` (its flag's default spells it `10m`).
pub const DUE_WINDOW: Duration = Duration::from_secs(600);
/// Index rows read at once when every entry is saved again.
const RESAVE_PAGE: i64 = 10_000;
/// Due entries read back from the status index per partition and sweep.
const REFILL_PER_PARTITION: i64 = 10_000;

/// How often saved entries are written to the status index.
const INDEX_FLUSH: Duration = Duration::from_millis(250);

fn kv_key(url: &str) -> String {
    hex::encode(&Sha256::digest(url.as_bytes())[..16])
}

impl Scheduler {
    /// Loads the persisted frontier, adds the sites' start URLs and saves.
    pub async fn start(
        bus: &Bus,
        sites: &SitesFile,
        mode: Mode,
        index: Arc<Store>,
    ) -> Result<Arc<Scheduler>, BusError> {
        let kv = bus.key_value(FRONTIER_BUCKET, 1).await?;
        let states = load_states(&kv).await?;
        tracing::info!(restored = states.len(), "frontier loaded");
        let indexed: i64 = index
            .frontier_sites()
            .await
            .map_err(index_err)?
            .iter()
            .map(|(_, n)| n)
            .sum();
        let mut frontier = Frontier::new(sites, mode);
        // A bucket written before the index existed (or beside a new
        // database) is copied into it. So is every bucket a continuous
        // crawl starts from: the index lags the bucket by a flush, and a
        // scheduler that died in between left it older, while what this one
        // evicts is read back from it.
        let backfill = frontier.evicts() || usize::try_from(indexed).unwrap_or(0) < states.len();
        frontier.restore(states);
        frontier.seed(now_ms());
        let scheduler = Arc::new(Scheduler {
            frontier: Mutex::new(frontier),
            kv,
            index,
            index_pending: std::sync::Mutex::default(),
            due_window_ms: AtomicU64::new(DUE_WINDOW.as_millis() as u64),
            wake: Notify::new(),
        });
        let mut frontier = scheduler.frontier.lock().await;
        if backfill {
            let states = frontier.all_states();
            tracing::info!(
                rows = states.len(),
                indexed,
                "copying the frontier into the status index"
            );
            scheduler.queue_for_index(&states)?;
        }
        scheduler.persist(&mut frontier).await?;
        scheduler.flush_index().await?;
        let in_flight = frontier.in_flight_jobs();
        drop(frontier);
        for job in &in_flight {
            bus.publish(&fetch_job(job)).await?;
        }
        if !in_flight.is_empty() {
            tracing::info!(
                jobs = in_flight.len(),
                "in-flight jobs published again (duplicates are dropped)"
            );
        }
        Ok(scheduler)
    }

    async fn persist(&self, frontier: &mut Frontier) -> Result<(), BusError> {
        let states = frontier.take_dirty();
        // Several at once (each URL once per batch, so their order does not
        // matter): saving a whole frontier again after a reconnect takes
        // seconds, not a round trip per URL. (Collected first: a stream
        // holding the mapping closure is not Send.)
        let saves: Vec<_> = states.iter().map(|state| self.save(state)).collect();
        let mut saves = futures::stream::iter(saves).buffered(SAVES_IN_FLIGHT);
        let mut saved = 0;
        while let Some(result) = saves.next().await {
            if let Err(e) = result {
                // This one and the rest are saved next time.
                frontier.unsaved(&states[saved..]);
                return Err(e);
            }
            saved += 1;
        }
        self.queue_for_index(&states)
    }

    /// Queues the index rows of `states` for the next flush.
    fn queue_for_index(&self, states: &[UrlState]) -> Result<(), BusError> {
        let rows = states
            .iter()
            .map(UrlState::index_row)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| BusError::Other(format!("a frontier entry cannot be written as JSON: {e}")))?;
        let mut pending = self.index_pending.lock().expect("index queue lock");
        pending.extend(rows.into_iter().map(|row| (row.key.clone(), row)));
        Ok(())
    }

    /// Writes what is waiting for the status index, in one transaction;
    /// on failure it waits for the next flush (a newer row for the same
    /// URL, queued meanwhile, wins).
    pub async fn flush_index(&self) -> Result<(), BusError> {
        let rows: Vec<FrontierRow> = std::mem::take(&mut *self.index_pending.lock().expect("index queue lock"))
            .into_values()
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        if let Err(e) = self.index.save_frontier(&rows).await {
            let mut pending = self.index_pending.lock().expect("index queue lock");
            for row in rows {
                pending.entry(row.key.clone()).or_insert(row);
            }
            return Err(index_err(e));
        }
        Ok(())
    }

    /// Flushes the status index every [`INDEX_FLUSH`] until `stop`, and
    /// once more then.
    pub async fn write_index(self: Arc<Self>, stop: Shutdown) {
        loop {
            let stopping = tokio::select! {
                _ = stop.wait() => true,
                _ = tokio::time::sleep(INDEX_FLUSH) => false,
            };
            if let Err(e) = self.flush_index().await {
                tracing::warn!(error = %e, "frontier rows not written to the status index yet; retried");
            }
            if stopping {
                return;
            }
        }
    }

    async fn save(&self, state: &UrlState) -> Result<(), BusError> {
        let value = serde_json::to_vec(state).map_err(|e| BusError::Other(e.to_string()))?;
        self.kv
            .put(kv_key(&state.url), value.into())
            .await
            .map_err(|e| BusError::Kv {
                bucket: FRONTIER_BUCKET.into(),
                message: e.to_string(),
            })?;
        Ok(())
    }

    /// Saves the whole frontier again after every reconnection, until
    /// shutdown: the server may have come back without entries it had
    /// acknowledged. (What a failed save leaves stays dirty and is saved
    /// with the next change.)
    pub async fn save_again_on_reconnect(self: Arc<Self>, bus: Bus, stop: Shutdown) {
        let mut connections = bus.connections();
        connections.borrow_and_update();
        loop {
            tokio::select! {
                _ = stop.wait() => return,
                changed = connections.changed() => if changed.is_err() { return },
            }
            match self.save_all().await {
                Ok(()) => tracing::info!("frontier saved again after reconnecting"),
                Err(e) => tracing::warn!(error = %e, "frontier not saved again yet; retried with the next change"),
            }
        }
    }

    /// Saves every entry to the bucket again: those in memory, then those
    /// left to the status index (whose rows are current: an entry leaves
    /// memory only once its row is written, and the frontier's lock is held
    /// while a page of them is saved, so none changes meanwhile).
    pub async fn save_all(&self) -> Result<(), BusError> {
        {
            let mut frontier = self.frontier.lock().await;
            frontier.mark_all_dirty();
            self.persist(&mut frontier).await?;
        }
        let mut after = String::new();
        loop {
            let frontier = self.frontier.lock().await;
            let rows = self
                .index
                .frontier_after(&after, RESAVE_PAGE)
                .await
                .map_err(index_err)?;
            let Some(last) = rows.last() else { return Ok(()) };
            after = last.key.clone();
            let evicted = states_of(rows.iter().filter(|row| !frontier.holds(&row.key)));
            let saves: Vec<_> = evicted.iter().map(|state| self.save(state)).collect();
            let mut saves = futures::stream::iter(saves).buffer_unordered(SAVES_IN_FLIGHT);
            while let Some(saved) = saves.next().await {
                saved?;
            }
            drop(frontier);
        }
    }

    /// Holds in memory only what is due within `window` (and what is in
    /// flight, robots.txt, county portals) in a continuous crawl; the rest
    /// is read from the status index when needed.
    pub fn set_due_window(&self, window: Duration) {
        self.due_window_ms.store(window.as_millis() as u64, Ordering::Relaxed);
    }

    fn due_window(&self) -> Duration {
        Duration::from_millis(self.due_window_ms.load(Ordering::Relaxed))
    }

    /// Every quarter of the due window (at least each second, at most each
    /// minute) until `stop`: reads back from the status index what comes
    /// due within the window, and evicts from memory what does not. Both
    /// happen under the frontier's lock right after the index is written,
    /// so an evicted entry is always in the index when a lookup asks.
    pub async fn keep_memory(self: Arc<Self>, stop: Shutdown) {
        loop {
            let sweep = (self.due_window() / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
            tokio::select! {
                _ = stop.wait() => return,
                _ = tokio::time::sleep(sweep) => {}
            }
            if let Err(e) = self.sweep_memory().await {
                tracing::warn!(error = %e, "frontier memory not swept; retried at the next sweep");
            }
        }
    }

    /// One sweep of [`Scheduler::keep_memory`].
    pub async fn sweep_memory(&self) -> Result<(), BusError> {
        let mut frontier = self.frontier.lock().await;
        if !frontier.evicts() {
            return Ok(());
        }
        self.flush_index().await?;
        let now = now_ms();
        let window = self.due_window();
        let until = now.saturating_add(window.as_millis() as i64);
        for partition in 0..PARTITIONS as i64 {
            let rows = self
                .index
                .frontier_due(partition, until, REFILL_PER_PARTITION)
                .await
                .map_err(index_err)?;
            // (Most are in memory already: only the others are read.)
            let missing = states_of(rows.iter().filter(|row| !frontier.holds(&row.key)));
            frontier.warm(missing);
        }
        let evicted = frontier.evict_cold(now, window);
        metrics::gauge!("townreports_frontier_in_memory").set(frontier.in_memory() as f64);
        if evicted > 0 {
            tracing::debug!(
                evicted,
                in_memory = frontier.in_memory(),
                "frontier entries left to the index"
            );
        }
        drop(frontier);
        self.wake.notify_one();
        Ok(())
    }

    /// Brings back from the status index the entries `links` reads that
    /// were evicted (`frontier` stays locked: nothing is evicted meanwhile).
    async fn look_up(&self, frontier: &mut Frontier, links: &DiscoveredLinks) -> Result<(), BusError> {
        let keys = frontier.unknown_keys(links);
        if keys.is_empty() {
            return Ok(());
        }
        let rows = self.index.frontier_get(&keys).await.map_err(index_err)?;
        frontier.warm(states_of(&rows));
        Ok(())
    }

    /// Entries in memory (the rest are in the status index only).
    pub async fn in_memory(&self) -> usize {
        self.frontier.lock().await.in_memory()
    }

    /// Entries left to the status index since start, counted each time.
    pub async fn evictions(&self) -> u64 {
        self.frontier.lock().await.evictions()
    }

    pub async fn is_idle(&self) -> bool {
        self.frontier.lock().await.is_idle(now_ms())
    }

    pub async fn stats(&self) -> BTreeMap<String, SiteStats> {
        self.frontier.lock().await.stats()
    }

    /// Releases due, polite jobs until shutdown.
    pub async fn dispatch(self: Arc<Self>, bus: Bus, shutdown: Shutdown) {
        while !shutdown.is_triggered() {
            if let Err(e) = self.dispatch_once(&bus).await {
                tracing::warn!(error = %e, "dispatch failed; retrying");
            }
            tokio::select! {
                _ = shutdown.wait() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(TICK) => {}
            }
        }
    }

    async fn dispatch_once(&self, bus: &Bus) -> Result<(), BusError> {
        let mut frontier = self.frontier.lock().await;
        let jobs = frontier.due_jobs(now_ms(), BATCH);
        if jobs.is_empty() {
            return Ok(());
        }
        // In flight is saved before the job exists: a crash in between
        // leaves a lease to expire, never a job fetched twice.
        if let Err(e) = self.persist(&mut frontier).await {
            // Not sent: due again at the next tick, not after the lease
            // (a NATS node restarting must not hold hosts for minutes).
            for job in &jobs {
                frontier.revert(job);
            }
            return Err(e);
        }
        for (sent, job) in jobs.iter().enumerate() {
            if let Err(e) = bus.publish(&fetch_job(job)).await {
                for unsent in &jobs[sent..] {
                    frontier.revert(unsent);
                }
                // Saved now or with the next change; until then a crash
                // leaves the lease to expire, as above.
                if let Err(persist) = self.persist(&mut frontier).await {
                    tracing::debug!(error = %persist, "cannot save the reverted jobs yet");
                }
                return Err(e);
            }
            metrics::counter!("townreports_jobs_dispatched_total", "site" => job.site_id.clone()).increment(1);
        }
        Ok(())
    }
}

/// A fetch job's message, identified like every output of the job.
fn fetch_job(job: &FetchJob) -> Publish {
    Publish::of_job(names::SUBJECT_FETCH_JOBS, job, job)
}

impl Stage for Scheduler {
    type Input = FrontierUpdate;
    const NAME: StageName = StageName::Scheduler;

    fn label(input: &FrontierUpdate) -> Label {
        let job = match &input.update {
            Some(Update::Outcome(o)) => o.job.as_ref(),
            Some(Update::Links(l)) => l.job.as_ref(),
            None => None,
        };
        job.map(Label::from).unwrap_or_default()
    }

    async fn process(&self, input: FrontierUpdate, _bus: &Bus) -> Result<Vec<Publish>, StageError> {
        let mut frontier = self.frontier.lock().await;
        let now = now_ms();
        match &input.update {
            Some(Update::Outcome(outcome)) => frontier.on_outcome(outcome, now),
            Some(Update::Links(links)) => {
                self.look_up(&mut frontier, links).await?;
                frontier.on_links(links, now);
            }
            None => {
                return Err(StageError::permanent(
                    "invalid_update",
                    "a frontier update with neither outcome nor links",
                ));
            }
        }
        self.persist(&mut frontier).await?;
        drop(frontier);
        self.wake.notify_one();
        Ok(Vec::new())
    }
}

/// Each site's crawl statistics, from the frontier in `bus` (what `status`
/// prints and `/api/sites` returns).
pub async fn site_stats_in(bus: &Bus) -> Result<BTreeMap<String, crate::frontier::SiteStats>, BusError> {
    let kv = bus.key_value(FRONTIER_BUCKET, 1).await?;
    Ok(crate::frontier::stats_of(&load_states(&kv).await?))
}

/// The states of index rows (an unreadable one is logged and left out).
fn states_of<'a>(rows: impl IntoIterator<Item = &'a FrontierRow>) -> Vec<UrlState> {
    rows.into_iter()
        .filter_map(|row| match serde_json::from_str(&row.state) {
            Ok(state) => Some(state),
            Err(e) => {
                tracing::warn!(url = row.key, error = %e, "unreadable status index row skipped");
                None
            }
        })
        .collect()
}

fn index_err(e: StoreError) -> BusError {
    BusError::Other(format!("the frontier status index: {e}"))
}

/// Township code → its report columns, as the frontier in `bus` holds
/// them (see [`crate::frontier::township_columns`]).
pub async fn township_columns_in(bus: &Bus) -> Result<BTreeMap<String, Vec<String>>, BusError> {
    let kv = bus.key_value(FRONTIER_BUCKET, 1).await?;
    Ok(crate::frontier::township_columns(&load_states(&kv).await?))
}

/// Every frontier entry in the bucket (unreadable ones skipped and logged),
/// read in one pass: the bucket's messages (one per key) streamed by one
/// ordered consumer, not a request per key (100,000 entries in a second or two
/// instead of a minute; BENCHMARKS.md, frontier).
pub async fn load_states(kv: &kv::Store) -> Result<Vec<UrlState>, BusError> {
    let kv_err = |e: &dyn std::fmt::Display| BusError::Kv {
        bucket: FRONTIER_BUCKET.into(),
        message: e.to_string(),
    };
    // An empty bucket sends nothing at all: the watch would wait for the
    // first new entry.
    // (Asked now: the store's cached stream info is from when it was opened.)
    let stream = kv.stream.get_info().await.map_err(|e| kv_err(&e))?.state;
    let (stored, last_written) = (stream.messages, stream.last_sequence);
    if stored == 0 {
        return Ok(Vec::new());
    }
    // Every message from the first: the bucket keeps one value per key, so
    // that is each key's value once, then what is written meanwhile. (A
    // last-value-per-key watch on 2.9 was seen to hand out one key's value
    // in another's place while the keys were being rewritten.)
    let mut entries = kv.watch_all_from_revision(1).await.map_err(|e| kv_err(&e))?;
    // By key: an entry written again while the bucket is read (a running
    // crawl read by `status`) comes a second time, and the later value is
    // the one that holds.
    let mut states = HashMap::with_capacity(stored as usize);
    loop {
        let entry = tokio::time::timeout(LOAD_QUIET, entries.next())
            .await
            .map_err(|_| kv_err(&format!("no entry for {LOAD_QUIET:?} while loading")))?
            .ok_or_else(|| kv_err(&"the bucket's stream ended while loading"))?
            .map_err(|e| kv_err(&e))?;
        if entry.operation == kv::Operation::Put {
            match serde_json::from_slice::<UrlState>(&entry.value) {
                Ok(state) => {
                    states.insert(entry.key, state);
                }
                Err(e) => tracing::warn!(key = entry.key, error = %e, "unreadable frontier entry skipped"),
            }
        } else {
            states.remove(&entry.key);
        }
        // Past everything written before the read began, and caught up or
        // holding as many keys as there were (a crawl that keeps writing
        // keeps the reader a message or two behind). A value rewritten
        // meanwhile leaves its old place (one value per key) and comes
        // later, so being past the old last one is not enough by itself.
        let complete = entry.delta == 0 || states.len() as u64 >= stored;
        if entry.revision >= last_written && complete {
            return Ok(states.into_values().collect());
        }
    }
}

/// What a scheduler holds in memory (the flags of `scheduler` and `run`).
#[derive(Debug, Clone, clap::Args)]
pub struct MemoryArgs {
    /// How far ahead memory holds the URLs that will be due; later ones
    /// stay in the status index until they come near (`10m`, `1h`).
    #[arg(long, env = "DUE_WINDOW", default_value = "10m", value_parser = humantime::parse_duration)]
    pub due_window: Duration,
}

impl Default for MemoryArgs {
    fn default() -> MemoryArgs {
        MemoryArgs { due_window: DUE_WINDOW }
    }
}

/// Flags of a scheduler process.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The sites file.
    #[arg(long, env = "SITES_FILE")]
    pub sites: std::path::PathBuf,
    /// Visit every list page once and every new article once, then idle
    /// (instead of revisiting continuously).
    #[arg(long)]
    pub once: bool,
    /// The database of the frontier's status index (the store's).
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub memory: MemoryArgs,
    #[command(flatten)]
    pub service: ServiceArgs,
}

impl townreports_bus::service::WorkerArgs for Args {
    fn service(&self) -> &ServiceArgs {
        &self.service
    }
}

/// A scheduler process: connect, serve health, wait for the lease (other
/// replicas stand by), load the frontier, run.
pub async fn serve(args: Args, shutdown: Shutdown) -> anyhow::Result<()> {
    let sites = SitesFile::load(&args.sites)?;
    let index = Arc::new(args.database.open().await?);
    let bus = service::connect(&args.service, "townreports-scheduler").await?;
    service::serve_health(&args.service, Readiness::nats(&bus), &shutdown).await?;
    let mode = if args.once { Mode::Once } else { Mode::Continuous };
    let Some((scheduler, lease)) = lead(&bus, &sites, mode, Leading::Wait, index.clone(), &shutdown).await? else {
        return Ok(());
    };
    scheduler.set_due_window(args.memory.due_window);
    run(bus, scheduler, lease, args.service.worker, shutdown).await?;
    index.close().await;
    Ok(())
}

/// How a scheduler comes to lead the crawl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leading {
    /// Wait for the lease: replicas take turns.
    Wait,
    /// This process started the server itself (the embedded default) and
    /// holds its data directory, so no other client of it is alive: what
    /// an earlier run had in flight is handed back and the lease taken over
    /// at once.
    Sole,
}

/// What every scheduler does before [`run`]: take the lead, then load the
/// frontier. `None` when shut down while waiting for the lease.
pub async fn lead(
    bus: &Bus,
    sites: &SitesFile,
    mode: Mode,
    leading: Leading,
    index: Arc<Store>,
    shutdown: &Shutdown,
) -> Result<Option<(Arc<Scheduler>, Lease)>, BusError> {
    let lease = match leading {
        Leading::Wait => match Lease::acquire(bus, &lease::holder_id(), shutdown).await? {
            Some(lease) => lease,
            None => return Ok(None),
        },
        Leading::Sole => {
            for stage in StageName::ALL {
                let outstanding = bus.hand_back_abandoned(stage).await?;
                if outstanding > 0 {
                    tracing::info!(
                        stage = stage.name(),
                        messages = outstanding,
                        "handed back messages an earlier run had in flight"
                    );
                }
            }
            Lease::take_over(bus, &lease::holder_id()).await?
        }
    };
    let scheduler = service::patiently("loading the frontier", || {
        Scheduler::start(bus, sites, mode, index.clone())
    })
    .await?;
    Ok(Some((scheduler, lease)))
}

/// Runs a scheduler holding `lease` until shutdown or until the lease is
/// lost: the update consumer, the dispatcher and the lease renewal.
pub async fn run(
    bus: Bus,
    scheduler: Arc<Scheduler>,
    lease: Lease,
    opts: WorkerOptions,
    shutdown: Shutdown,
) -> Result<(), BusError> {
    let workers = shutdown.child();
    let mut keeper = tokio::spawn(lease.keep(workers.clone()));
    let dispatcher = tokio::spawn(scheduler.clone().dispatch(bus.clone(), workers.clone()));
    let index_writer = tokio::spawn(scheduler.clone().write_index(workers.clone()));
    tokio::spawn(scheduler.clone().keep_memory(workers.clone()));
    // One sweeper per deployment, the leader: a crashed nats-server can
    // leave acknowledged messages that would keep the queues from draining.
    tokio::spawn(bus.clone().sweep_acknowledged(workers.clone()));
    tokio::spawn(scheduler.clone().save_again_on_reconnect(bus.clone(), workers.clone()));
    // The frontier is one state: updates are applied one at a time.
    let opts = WorkerOptions { concurrency: 1, ..opts };
    let stage = run_stage(bus, scheduler, opts, workers.clone());
    tokio::pin!(stage);
    let (result, kept) = tokio::select! {
        result = &mut stage => {
            workers.trigger();
            (result, keeper.await)
        }
        kept = &mut keeper => {
            // Lost (or released at shutdown): stop acting as the scheduler.
            workers.trigger();
            (stage.await, kept)
        }
    };
    let _ = dispatcher.await;
    // (Its last flush, after the last update.)
    let _ = index_writer.await;
    match kept {
        Ok(Err(lost)) => Err(lost),
        Err(e) => Err(BusError::Other(format!("the lease keeper failed: {e}"))),
        Ok(Ok(())) => result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn the_due_window_flag_defaults_to_the_schedulers_default() {
        #[derive(Parser)]
        struct Flags {
            #[command(flatten)]
            memory: MemoryArgs,
        }
        assert_eq!(
            Flags::parse_from(["t"]).memory.due_window,
            MemoryArgs::default().due_window
        );
        let set = Flags::parse_from(["t", "--due-window", "90s"]).memory.due_window;
        assert_eq!(set, Duration::from_secs(90));
    }
}
