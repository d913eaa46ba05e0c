//! `townreports`: the one command-line tool. Every subcommand is a thin
//! wrapper over a service library; flags are documented once, here and in
//! the libraries' `Args` structs, and `--help` prints them.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use townreports_bus::Shutdown;

use townreports::{dlq, export, extract, reprocess, run, status, subscribe};

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
    let result = runtime.block_on(async move {
        let shutdown = Shutdown::on_signals();
        match cli.command {
            Command::Run(args) => run::run(args, shutdown).await.map(|_| ()),
            Command::Demo(args) => run::demo(args, shutdown).await,
            Command::Scheduler(args) => townreports_scheduler::worker::serve(args, shutdown).await,
            Command::Fetcher(args) => townreports_fetcher::worker::serve(args, shutdown).await,
            Command::Parser(args) => townreports_parser::worker::serve(args, shutdown).await,
            Command::Extractor(args) => townreports_extractor::worker::serve(args, shutdown).await,
            Command::Indexer(args) => townreports_indexer::worker::serve(args, shutdown).await,
            Command::Extract(args) => extract::extract(&args),
            Command::Eval(args) => extract::eval(&args),
            Command::Export { data_dir } => export::export(&data_dir).await,
            Command::Serve(args) => townreports_api::serve(args, shutdown).await,
            Command::Subscribe(args) => subscribe::subscribe(args, shutdown).await,
            Command::Status(args) => status::status(&args).await,
            Command::Dlq(args) => dlq::dlq(args).await,
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
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
