//! What every worker binary shares: its flags and environment variables, its
//! start-up (connect, create the topology, serve health and metrics).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::health::{self, Readiness};
use crate::worker::{Stage, run_stage};
use crate::{Bus, BusError, NatsOptions, Shutdown, WorkerOptions};

/// Flags of every worker (`townreports fetcher`, `townreports-fetcher`, …).
#[derive(Debug, Clone, clap::Args)]
pub struct ServiceArgs {
    #[command(flatten)]
    pub nats: NatsOptions,
    #[command(flatten)]
    pub worker: WorkerOptions,
    /// Where /healthz, /readyz and /metrics listen (e.g. 0.0.0.0:9090);
    /// not served when unset.
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
}

/// A worker's flags, which include the ones every worker shares.
pub trait WorkerArgs: clap::Args {
    fn service(&self) -> &ServiceArgs;
}

/// A worker that needs no flags of its own (parser, extractor) takes these.
impl WorkerArgs for ServiceArgs {
    fn service(&self) -> &ServiceArgs {
        self
    }
}

/// A worker process whose stage needs nothing but the bus: connect as
/// `name`, serve health and metrics (ready while NATS is), run `stage`
/// until shutdown.
pub async fn serve_stage<S: Stage>(args: &ServiceArgs, name: &str, stage: S, shutdown: Shutdown) -> anyhow::Result<()> {
    let bus = connect(args, name).await?;
    serve_health(args, Readiness::nats(&bus), &shutdown).await?;
    run_stage(bus, Arc::new(stage), args.worker.clone(), shutdown).await?;
    Ok(())
}

/// How long a starting worker retries its start-up requests: a clustered
/// NATS that just started (or lost a node) elects its JetStream leaders
/// first, and those requests time out meanwhile.
pub const START_PATIENCE: Duration = Duration::from_secs(60);

/// Runs `attempt` until it succeeds, for up to [`START_PATIENCE`], with
/// backoff; the last error if it never does. For start-up steps whose
/// failure is a NATS leader election, not a mistake.
pub async fn patiently<T, F, Fut>(what: &str, mut attempt: F) -> Result<T, BusError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, BusError>>,
{
    let started = std::time::Instant::now();
    let mut backoff = Duration::from_millis(250);
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(e) if started.elapsed() >= START_PATIENCE => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "{what}: not ready; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Connects to NATS and creates the streams and consumers if missing.
pub async fn connect(args: &ServiceArgs, name: &str) -> Result<Bus, BusError> {
    let bus = Bus::connect(&args.nats, name).await?;
    patiently("creating the streams and consumers", || bus.ensure_topology()).await?;
    Ok(bus)
}

/// Serves health and metrics when `METRICS_ADDR` is set.
pub async fn serve_health(args: &ServiceArgs, readiness: Readiness, shutdown: &Shutdown) -> Result<(), BusError> {
    if let Some(addr) = args.metrics_addr {
        health::serve(addr, readiness, shutdown.clone()).await?;
    }
    Ok(())
}

/// The body of every worker binary's `main`: flags, logs, signals and the
/// exit code, so each `main.rs` is three lines.
pub fn main<A, F, Fut>(serve: F) -> std::process::ExitCode
where
    A: WorkerArgs,
    F: FnOnce(A, Shutdown) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    use clap::Parser;
    #[derive(Parser)]
    struct Cli<T: clap::Args> {
        #[command(flatten)]
        args: T,
    }
    let cli = Cli::<A>::parse();
    crate::telemetry::init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let allowance = cli.args.service().worker.grace_period + crate::shutdown::STOP_ALLOWANCE;
    let result = runtime.block_on(async {
        let shutdown = Shutdown::on_signals();
        shutdown.bounded(allowance, serve(cli.args, shutdown.clone())).await
    });
    // What a bounded stop gave up on is not waited for either.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
