//! `townreports run` and `townreports demo`: the whole pipeline in one
//! process — on a private nats-server and SQLite under the data directory
//! unless NATS_URL points elsewhere.
//!
//! A run holds its data directory's lock from start to exit: a second run
//! on the same directory stops at once, naming this one's pid. On its
//! private server a run knows it is the only client, so what a crashed run
//! before it left (messages in flight, the scheduler lease) is taken back
//! at once rather than waited out.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;
use prost::Message;
use townreports_bus::async_nats::jetstream::consumer::{self, DeliverPolicy};
use townreports_bus::datadir::{DataDirLock, lock_file};
use townreports_bus::embedded::EmbeddedNats;
use townreports_bus::service::ServiceArgs;
use townreports_bus::{Bus, BusError, NatsOptions, Shutdown, WorkerOptions};
use townreports_proto::topology::{STREAM_EVENTS, StageName};
use townreports_proto::v1::ReportEvent;
use townreports_scheduler::frontier::Mode;
use townreports_scheduler::lease::Lease;
use townreports_scheduler::worker::{Leading, Scheduler};
use townreports_sites::SitesFile;
use townreports_store::Store;
use townreports_store::{Location, sqlite_path};

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// The sites file (see the README for its keys).
    #[arg(long, env = "SITES_FILE")]
    pub sites: PathBuf,
    /// Where the embedded nats-server keeps its store and the indexer its
    /// SQLite database.
    #[arg(long, env = "DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Store reports in this database instead (`postgres://USER:PASSWORD@HOST/DB`).
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Crawl every site once (list pages, their pagination, the articles),
    /// wait until every stage has drained, print a summary and exit.
    #[arg(long)]
    pub once: bool,
    #[command(flatten)]
    pub memory: townreports_scheduler::worker::MemoryArgs,
    #[command(flatten)]
    pub service: ServiceArgs,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub pages_fetched: u64,
    pub reports_stored: i64,
    pub reports_new: i64,
    pub events_published: u64,
    /// `fetch:<class>` for pages that failed, `<stage>:<class>` for dead letters.
    pub errors: BTreeMap<String, u64>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "pages fetched     {}", self.pages_fetched)?;
        writeln!(
            f,
            "reports stored    {} ({} new in this run)",
            self.reports_stored, self.reports_new
        )?;
        writeln!(f, "events published  {}", self.events_published)?;
        if self.errors.is_empty() {
            writeln!(f, "errors            none")
        } else {
            let list: Vec<String> = self.errors.iter().map(|(k, v)| format!("{k} {v}")).collect();
            writeln!(f, "errors            {}", list.join(", "))
        }
    }
}

/// How long past the grace period the workers may take to stop before
/// they are abandoned (their messages go back by redelivery).
const WORKERS_STOP_MARGIN: Duration = Duration::from_secs(2);
/// How long reading a run's figures for its summary may take.
const SUMMARY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long closing the store may take at exit.
const STORE_CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

/// The five workers running in this process.
pub struct Pipeline {
    pub bus: Bus,
    embedded: Option<EmbeddedNats>,
    store: Arc<Store>,
    scheduler: Arc<Scheduler>,
    workers: Shutdown,
    tasks: WorkerTasks,
    before: Counts,
    grace_period: Duration,
    /// Held until everything is stopped, the embedded server last.
    _lock: DataDirLock,
}

#[derive(Debug, Clone, Default)]
struct Counts {
    fetches: u64,
    reports: i64,
    events: u64,
    dead_letters_seq: u64,
}

impl Pipeline {
    /// Validates the sites file, takes the data directory (or fails naming
    /// the process that holds it) and starts the pipeline on it.
    pub async fn start(args: &RunArgs, shutdown: &Shutdown) -> anyhow::Result<Pipeline> {
        let sites = SitesFile::load(&args.sites)?;
        let lock = DataDirLock::acquire(&args.data_dir, "townreports run")?;
        Self::start_holding(args, sites, lock, shutdown).await
    }

    /// Starts the pipeline on the data directory `lock` holds.
    async fn start_holding(
        args: &RunArgs,
        sites: SitesFile,
        lock: DataDirLock,
        shutdown: &Shutdown,
    ) -> anyhow::Result<Pipeline> {
        let (nats, embedded) = match &args.service.nats.nats_url {
            Some(_) => (args.service.nats.clone(), None),
            None => {
                let server = EmbeddedNats::start(&lock).await?;
                let nats = NatsOptions {
                    nats_url: Some(server.url().to_string()),
                    ..args.service.nats.clone()
                };
                (nats, Some(server))
            }
        };
        let bus = Bus::connect(&nats, "townreports-run").await?;
        bus.ensure_topology().await?;
        let location = Location::from_args(args.database_url.as_deref(), &args.data_dir)?;
        let store = Arc::new(Store::open(&location).await?);
        if let Some(addr) = args.service.metrics_addr {
            let readiness = townreports_indexer::worker::readiness(&bus, &store);
            townreports_bus::health::serve(addr, readiness, shutdown.clone()).await?;
        }
        let mode = if args.once { Mode::Once } else { Mode::Continuous };
        let leading = if embedded.is_some() {
            Leading::Sole
        } else {
            Leading::Wait
        };
        let (scheduler, lease) =
            townreports_scheduler::worker::lead(&bus, &sites, mode, leading, store.clone(), shutdown)
                .await?
                .context("interrupted while waiting for the scheduler lease")?;
        scheduler.set_due_window(args.memory.due_window);
        let before = counts(&bus, &store, &scheduler).await?;
        let workers = shutdown.child();
        let grace_period = args.service.worker.grace_period;
        let warc = townreports_fetcher::archive::data_dir_archive(&args.data_dir);
        let running = Running {
            bus: &bus,
            opts: &args.service.worker,
            stop: &workers,
        };
        let tasks = running.spawn_all(scheduler.clone(), lease, sites, warc, store.clone());
        Ok(Pipeline {
            bus,
            embedded,
            store,
            scheduler,
            workers,
            tasks,
            before,
            grace_period,
            _lock: lock,
        })
    }

    /// True when the frontier has nothing due or in flight and every work
    /// queue is empty. A message being worked on stays in its queue until
    /// acked, and outputs are stored before that ack, so work is always
    /// visible somewhere until it is done.
    pub async fn drained(&self) -> anyhow::Result<bool> {
        if !self.scheduler.is_idle().await {
            return Ok(false);
        }
        Ok(self.bus.queue_depths().await?.iter().all(|(_, n)| *n == 0))
    }

    /// Waits until drained (seen twice in a row, a moment apart), showing
    /// progress; an error at once on shutdown, whatever NATS is doing.
    pub async fn wait_drained(&mut self, shutdown: &Shutdown) -> anyhow::Result<()> {
        let progress = Progress::new();
        let mut streak = 0;
        while streak < 2 {
            // Workers run until told to stop: one that ended has failed.
            if let Some(ended) = self.tasks.try_join_next() {
                match ended {
                    Ok((stage, Err(e))) => anyhow::bail!("the {} worker failed: {e}", stage.name()),
                    Ok((stage, Ok(()))) => anyhow::bail!("the {} worker stopped unexpectedly", stage.name()),
                    Err(e) => anyhow::bail!("a worker panicked: {e}"),
                }
            }
            let step = async {
                let drained = self.drained().await;
                progress.show(self).await;
                tokio::time::sleep(Duration::from_millis(150)).await;
                drained
            };
            let drained = tokio::select! {
                _ = shutdown.wait() => anyhow::bail!("interrupted before the crawl finished"),
                drained = step => drained?,
            };
            streak = if drained { streak + 1 } else { 0 };
        }
        progress.finish();
        Ok(())
    }

    /// Frontier entries the scheduler has left to its status index so far
    /// (`--due-window`).
    pub async fn frontier_evictions(&self) -> u64 {
        self.scheduler.evictions().await
    }

    /// What this run did so far.
    pub async fn summary(&self) -> anyhow::Result<Summary> {
        let after = counts(&self.bus, &self.store, &self.scheduler).await?;
        let mut errors = BTreeMap::new();
        for stats in self.scheduler.stats().await.values() {
            for (class, n) in &stats.failed_by_class {
                *errors.entry(format!("fetch:{class}")).or_default() += *n as u64;
            }
        }
        for (key, n) in dead_letters_since(&self.bus, self.before.dead_letters_seq).await? {
            *errors.entry(key).or_default() += n;
        }
        Ok(Summary {
            pages_fetched: after.fetches - self.before.fetches,
            reports_stored: after.reports,
            reports_new: after.reports - self.before.reports,
            events_published: after.events - self.before.events,
            errors,
        })
    }

    /// What this run did, then [`Pipeline::close`] (also when the figures
    /// cannot be read).
    pub async fn stop(self) -> anyhow::Result<Summary> {
        let summary = tokio::time::timeout(SUMMARY_TIMEOUT, self.summary()).await;
        self.close().await;
        summary.map_err(|_| anyhow::anyhow!("the run's figures could not be read within {SUMMARY_TIMEOUT:?}"))?
    }

    /// Stops the workers (each finishes what it holds within the grace
    /// period and hands back what it had not started), the store, then the
    /// embedded server, and lets the data directory go. Every step is
    /// bounded, so this ends within the grace period and a few seconds
    /// whatever state NATS is in (a frozen server included).
    pub async fn close(mut self) {
        self.workers.trigger();
        let deadline = self.grace_period + WORKERS_STOP_MARGIN;
        let tasks = &mut self.tasks;
        let joined = tokio::time::timeout(deadline, async {
            while let Some(joined) = tasks.join_next().await {
                match joined {
                    Ok((stage, Err(e))) => tracing::error!(stage = stage.name(), error = %e, "worker failed"),
                    Err(e) if e.is_panic() => tracing::error!(error = %e, "worker task panicked"),
                    _ => {}
                }
            }
        })
        .await;
        if joined.is_err() {
            tracing::warn!("workers still busy {deadline:?} after the stop; abandoning their messages to redelivery");
            self.tasks.shutdown().await;
        }
        self.bus.flush().await;
        if tokio::time::timeout(STORE_CLOSE_TIMEOUT, self.store.close())
            .await
            .is_err()
        {
            tracing::warn!("the store did not close within {STORE_CLOSE_TIMEOUT:?}");
        }
        if let Some(server) = self.embedded.take() {
            server.stop().await;
        }
    }
}

/// What the five workers of a pipeline share.
struct Running<'a> {
    bus: &'a Bus,
    opts: &'a WorkerOptions,
    stop: &'a Shutdown,
}

type WorkerTasks = tokio::task::JoinSet<(StageName, Result<(), BusError>)>;

impl Running<'_> {
    /// One task per stage, each its worker loop until `stop`.
    fn spawn_all(
        &self,
        scheduler: Arc<Scheduler>,
        lease: Lease,
        sites: SitesFile,
        warc: PathBuf,
        store: Arc<Store>,
    ) -> WorkerTasks {
        let mut tasks = WorkerTasks::new();
        let (bus, o, w) = (self.bus.clone(), self.opts.clone(), self.stop.clone());
        tasks.spawn(async move {
            let result = townreports_scheduler::worker::run(bus, scheduler, lease, o, w).await;
            (StageName::Scheduler, result)
        });
        let (bus, o, w) = (self.bus.clone(), self.opts.clone(), self.stop.clone());
        tasks.spawn(async move {
            let result = townreports_fetcher::worker::run(bus, &sites, Some(&warc), o, w).await;
            (StageName::Fetcher, result)
        });
        let (bus, o, w) = (self.bus.clone(), self.opts.clone(), self.stop.clone());
        tasks.spawn(async move { (StageName::Parser, townreports_parser::worker::run(bus, o, w).await) });
        let (bus, o, w) = (self.bus.clone(), self.opts.clone(), self.stop.clone());
        tasks.spawn(async move {
            (
                StageName::Extractor,
                townreports_extractor::worker::run(bus, o, w).await,
            )
        });
        let (bus, o, w) = (self.bus.clone(), self.opts.clone(), self.stop.clone());
        tasks.spawn(async move {
            (
                StageName::Indexer,
                townreports_indexer::worker::run(bus, store, o, w).await,
            )
        });
        tasks
    }
}

async fn counts(bus: &Bus, store: &Store, scheduler: &Scheduler) -> anyhow::Result<Counts> {
    Ok(Counts {
        fetches: scheduler.stats().await.values().map(|s| s.fetches).sum(),
        reports: store.count().await?,
        events: bus.stream_messages(STREAM_EVENTS).await?,
        dead_letters_seq: bus.dead_letter_mark().await?,
    })
}

/// Dead letters after sequence `after`, counted by `<stage>:<class>`.
async fn dead_letters_since(bus: &Bus, after: u64) -> anyhow::Result<BTreeMap<String, u64>> {
    let mut counts = BTreeMap::new();
    for letter in bus.dead_letters_after(after).await? {
        let stage = letter.stage.map_or("?", |s| s.name());
        let class = letter.class.as_deref().unwrap_or("?");
        *counts.entry(format!("{stage}:{class}")).or_default() += 1;
    }
    Ok(counts)
}

/// A live line on a terminal; a log line every few seconds otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    last_log: std::sync::Mutex<Instant>,
}

impl Progress {
    fn new() -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            last_log: std::sync::Mutex::new(Instant::now()),
        }
    }

    async fn show(&self, pipeline: &Pipeline) {
        let pages: u64 = pipeline
            .scheduler
            .stats()
            .await
            .values()
            .map(|s| s.fetches)
            .sum::<u64>()
            - pipeline.before.fetches;
        let reports = pipeline.store.count().await.unwrap_or(0);
        let queues = pipeline
            .bus
            .queue_depths()
            .await
            .map(|d| {
                d.iter()
                    .map(|(s, n)| format!("{} {n}", s.name()))
                    .collect::<Vec<_>>()
                    .join(" · ")
            })
            .unwrap_or_default();
        let line = format!("pages {pages} · reports {reports} · queues: {queues}");
        match &self.bar {
            Some(bar) => bar.set_message(line),
            None => {
                let mut last = self.last_log.lock().unwrap_or_else(|e| e.into_inner());
                if last.elapsed() > Duration::from_secs(5) {
                    tracing::info!("{line}");
                    *last = Instant::now();
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `townreports run`.
pub async fn run(args: RunArgs, shutdown: Shutdown) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut pipeline = Pipeline::start(&args, &shutdown).await?;
    if args.once {
        if let Err(e) = pipeline.wait_drained(&shutdown).await {
            pipeline.close().await;
            return Err(e);
        }
        let summary = pipeline.stop().await?;
        println!("crawl finished in {:.1}s", started.elapsed().as_secs_f64());
        print!("{summary}");
    } else {
        tracing::info!("crawling continuously; Ctrl-C or SIGTERM stops");
        shutdown.wait().await;
        pipeline.close().await;
    }
    Ok(())
}

#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Where the demo keeps its data (wiped first).
    #[arg(long, default_value = "./data/demo")]
    pub data_dir: PathBuf,
}

/// `townreports demo`: the simulated portals, one crawl, what came out.
pub async fn demo(args: DemoArgs, shutdown: Shutdown) -> anyhow::Result<()> {
    // Taken before it is wiped, so a run working there is never wiped
    // under; everything but the lock file goes.
    let lock = DataDirLock::acquire(&args.data_dir, "townreports demo")?;
    for entry in std::fs::read_dir(lock.dir())? {
        let path = entry?.path();
        if path == lock_file(lock.dir()) {
            continue;
        }
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.with_context(|| format!("cannot clear {}", path.display()))?;
    }
    let portals = townreports_portals::start()
        .await
        .context("cannot start the simulated portals")?;
    let sites_path = args.data_dir.join("sites.toml");
    std::fs::write(&sites_path, portals.sites_toml("100ms"))?;
    println!("simulated portals:");
    for site in portals.sites() {
        println!("  {:<24} {}", site.id, site.start_urls.join(" "));
    }
    println!(
        "  ({} misbehaves on purpose: its redirect loop, private redirect, oversized page, gzip bomb\n   \
         and challenge page show up below as handled fetch problems, its broken .doc and scanned PDF\n   \
         as attachments counted, not read: see `townreports status`)",
        townreports_portals::faults::ID
    );
    let run_args = RunArgs {
        sites: sites_path,
        data_dir: args.data_dir.clone(),
        database_url: None,
        once: true,
        memory: Default::default(),
        service: demo_service_args(),
    };
    let sites = SitesFile::load(&run_args.sites)?;
    let mut pipeline = Pipeline::start_holding(&run_args, sites, lock, &shutdown).await?;
    let events = tokio::spawn(print_events(pipeline.bus.clone(), shutdown.child()));
    let started = Instant::now();
    if let Err(e) = pipeline.wait_drained(&shutdown).await {
        events.abort();
        pipeline.close().await;
        return Err(e);
    }
    // Give the event printer a moment to print the last events.
    tokio::time::sleep(Duration::from_millis(300)).await;
    events.abort();
    let summary = pipeline.stop().await?;
    portals.shutdown().await;
    println!("\ncrawl finished in {:.1}s", started.elapsed().as_secs_f64());
    print!("{summary}");
    let records = args.data_dir.join("records.jsonl");
    write_records(&args.data_dir, &records).await?;
    println!(
        "\nrecords: {}   (townreports export --data-dir {})",
        records.display(),
        args.data_dir.display()
    );
    Ok(())
}

fn demo_service_args() -> ServiceArgs {
    use clap::Parser;
    #[derive(Parser)]
    struct Defaults {
        #[command(flatten)]
        service: ServiceArgs,
    }
    Defaults::parse_from(["townreports"]).service
}

async fn print_events(bus: Bus, stop: Shutdown) -> anyhow::Result<()> {
    let stream = bus.jetstream().get_stream(STREAM_EVENTS).await?;
    let consumer = stream
        .create_consumer(consumer::pull::Config {
            deliver_policy: DeliverPolicy::New,
            ack_policy: consumer::AckPolicy::None,
            ..Default::default()
        })
        .await?;
    let mut messages = consumer.messages().await?;
    println!("\nevents (as a subscriber sees them):");
    loop {
        let next = tokio::select! { _ = stop.wait() => break, n = messages.next() => n };
        let Some(Ok(message)) = next else { break };
        let Ok(event) = ReportEvent::decode(message.payload.clone()) else {
            continue;
        };
        let record = event.record.unwrap_or_default();
        let division = record.division.unwrap_or_default();
        println!(
            "  {}\n      {} {} {} · {}",
            message.subject,
            division.township.as_deref().unwrap_or("(township unknown)"),
            record.review_year.map(|y| y.to_string()).unwrap_or_else(|| "-".into()),
            record.doc_type.as_deref().unwrap_or("-"),
            record.title.as_deref().unwrap_or("-"),
        );
    }
    Ok(())
}

async fn write_records(data_dir: &Path, out: &Path) -> anyhow::Result<()> {
    use std::io::Write;
    let store = Store::open_sqlite(&sqlite_path(data_dir)).await?;
    let mut file = std::io::BufWriter::new(std::fs::File::create(out)?);
    for record in store.records().await? {
        serde_json::to_writer(&mut file, &record)?;
        writeln!(file)?;
    }
    file.flush()?;
    store.close().await;
    Ok(())
}
