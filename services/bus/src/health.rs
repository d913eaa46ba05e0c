//! `/healthz` (the process is alive), `/readyz` (connected to NATS and to
//! whatever else a worker declares) and `/metrics` (Prometheus text), served
//! on `METRICS_ADDR` by every worker process.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::{Bus, BusError, Shutdown};

type CheckFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
/// A readiness check: `Ok` when the dependency answers.
pub type Check = Arc<dyn Fn() -> CheckFuture + Send + Sync>;

/// The named checks `/readyz` runs.
#[derive(Clone, Default)]
pub struct Readiness {
    checks: Vec<(String, Check)>,
}

impl Readiness {
    /// Ready when the NATS connection is up.
    pub fn nats(bus: &Bus) -> Self {
        let bus = bus.clone();
        Self::default().with("nats", move || {
            let connected = bus.is_connected();
            async move {
                if connected {
                    Ok(())
                } else {
                    Err("not connected".to_string())
                }
            }
        })
    }

    pub fn with<F, Fut>(mut self, name: &str, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.checks
            .push((name.to_string(), Arc::new(move || Box::pin(check()) as CheckFuture)));
        self
    }

    /// Runs every check; the failures, named.
    pub async fn failures(&self) -> Vec<String> {
        let mut failed = Vec::new();
        for (name, check) in &self.checks {
            if let Err(e) = check().await {
                failed.push(format!("{name}: {e}"));
            }
        }
        failed
    }
}

/// The process-wide Prometheus recorder (installed once, on first use).
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Suffix("_seconds".into()),
                &[0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
            )
            .expect("static bucket list is not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (tests run several
        // workers in one process); then this handle just renders nothing new.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Serves the endpoints on `addr` until shutdown. Returns the bound address.
pub async fn serve(addr: SocketAddr, readiness: Readiness, shutdown: Shutdown) -> Result<SocketAddr, BusError> {
    let handle = prometheus().clone();
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(move || std::future::ready(handle.render())))
        .with_state(readiness);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| BusError::Other(format!("cannot listen on METRICS_ADDR {addr}: {e}")))?;
    let bound = listener.local_addr().map_err(|e| BusError::Other(e.to_string()))?;
    tokio::spawn(async move {
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.wait().await })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "health server failed");
        }
    });
    tracing::info!(%bound, "health and metrics listening");
    Ok(bound)
}

async fn readyz(State(readiness): State<Readiness>) -> (StatusCode, String) {
    let failures = readiness.failures().await;
    if failures.is_empty() {
        (StatusCode::OK, "ready\n".into())
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", failures.join("; ")),
        )
    }
}
