//! `townreports`: the one command-line tool. Every subcommand is a thin
//! wrapper over a service library; flags are documented once, here and in
//! the libraries' `Args` structs, and `--help` prints them.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use townreports_bus::shutdown::STOP_ALLOWANCE;
use townreports_bus::{Shutdown, WorkerOptions};

use townreports::{coverage, discover, dlq, export, extract, reprocess, run, status, subscribe};

/// Township government reports as live, structured data.
#[derive(Parser)]
#[command(name = "townreports", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole pipeline (all five workers) in this process; without
    /// NATS_URL, on a private nats-server under the data directory.
    Run(run::RunArgs),
    /// Start the simulated township portals, crawl them once on the embedded
    /// default, and show the records and events.
    Demo(run::DemoArgs),
    /// Run only the scheduler (the crawl frontier).
    Scheduler(townreports_scheduler::worker::Args),
    /// Run only fetcher workers.
    Fetcher(townreports_fetcher::worker::Args),
    /// Run only parser workers.
    Parser(townreports_parser::worker::Args),
    /// Run only extractor workers.
    Extractor(townreports_extractor::worker::Args),
    /// Run only indexer workers.
    Indexer(townreports_indexer::worker::Args),
    /// Extract records from HTML or text files, as JSON Lines on stdout.
    Extract(extract::ExtractArgs),
    /// Score extraction against hand-checked labels.
    Eval(extract::EvalArgs),
    /// Print every stored record as JSON Lines.
    Export {
        /// The data directory of `townreports run`.
        #[arg(long, env = "DATA_DIR", default_value = "./data")]
        data_dir: PathBuf,
    },
    /// Serve the read-only HTTP API and the web page over the store.
    Serve(townreports_api::ServeArgs),
    /// Print report events as JSON Lines as they arrive.
    Subscribe(subscribe::SubscribeArgs),
    /// Parse and extract again from the web archive (no fetching) into a
    /// new index, after the parser or extractor improved.
    Reprocess(reprocess::ReprocessArgs),
    /// Show the crawl per site (pages known, fetched, failed by class,
    /// blocked, reports found, last success, next visit) and the queues.
    Status(status::CrawlArgs),
    /// Dead letters: list them, show one, replay them after a fix.
    Dlq(dlq::DlqArgs),
    /// Find a county portal's townships and their report columns, and
    /// print them as sites-file entries.
    Discover(discover::DiscoverArgs),
    /// For a county, city or province code: which townships have a report
    /// column and which years have a stored report of which type.
    Coverage(coverage::CoverageArgs),
}

impl Command {
    /// How long the command may take to stop after SIGTERM before it is
    /// given up on: its grace period and the time to close what it opened
    /// for commands that finish their work on a signal; none for those
    /// that have nothing to finish (they are interrupted at once).
    fn stop_allowance(&self) -> Duration {
        use townreports_bus::service::WorkerArgs;
        let grace = match self {
            Command::Run(args) => args.service.worker.grace_period,
            Command::Demo(_) => WorkerOptions::default().grace_period,
            Command::Scheduler(args) => args.service().worker.grace_period,
            Command::Fetcher(args) => args.service().worker.grace_period,
            Command::Parser(args) => args.service().worker.grace_period,
            Command::Extractor(args) => args.service().worker.grace_period,
            Command::Indexer(args) => args.service().worker.grace_period,
            Command::Serve(_) | Command::Subscribe(_) | Command::Status(_) | Command::Coverage(_) | Command::Dlq(_) => {
                Duration::ZERO
            }
            Command::Extract(_)
            | Command::Eval(_)
            | Command::Export { .. }
            | Command::Reprocess(_)
            | Command::Discover(_) => {
                return Duration::ZERO;
            }
        };
        grace + STOP_ALLOWANCE
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    townreports_bus::telemetry::init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let allowance = cli.command.stop_allowance();
    let result = runtime.block_on(async move {
        let shutdown = Shutdown::on_signals();
        let work = async {
            match cli.command {
                Command::Run(args) => run::run(args, shutdown.clone()).await,
                Command::Demo(args) => run::demo(args, shutdown.clone()).await,
                Command::Scheduler(args) => townreports_scheduler::worker::serve(args, shutdown.clone()).await,
                Command::Fetcher(args) => townreports_fetcher::worker::serve(args, shutdown.clone()).await,
                Command::Parser(args) => townreports_parser::worker::serve(args, shutdown.clone()).await,
                Command::Extractor(args) => townreports_extractor::worker::serve(args, shutdown.clone()).await,
                Command::Indexer(args) => townreports_indexer::worker::serve(args, shutdown.clone()).await,
                Command::Extract(args) => extract::extract(&args),
                Command::Eval(args) => extract::eval(&args),
                Command::Export { data_dir } => export::export(&data_dir).await,
                Command::Serve(args) => townreports_api::serve(args, shutdown.clone()).await,
                Command::Subscribe(args) => subscribe::subscribe(args, shutdown.clone()).await,
                Command::Status(args) => status::status(&args, &shutdown).await,
                Command::Dlq(args) => dlq::dlq(args, &shutdown).await,
                Command::Coverage(args) => coverage::print(&args, &shutdown).await,
                Command::Discover(args) => discover::discover(&args).await.map(|d| print!("{}", d.to_toml())),
                Command::Reprocess(args) => reprocess::reprocess(&args).await.map(|s| {
                    eprintln!(
                        "reprocessed {} archived responses: {} documents, {} reports, {} stored in {} \
                         ({} unsupported attachments, {} unreadable)",
                        s.responses,
                        s.documents,
                        s.reports,
                        s.stored,
                        args.out_dir.display(),
                        s.unsupported,
                        s.unreadable
                    );
                }),
            }
        };
        shutdown.bounded(allowance, work).await
    });
    // What a bounded stop gave up on is not waited for either.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
