//! One shutdown signal for the whole process: SIGTERM or Ctrl-C cancels a
//! token every task holds, so graceful shutdown is one idea written once
//! (as mini-redis does with its broadcast channel).

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// How long past its grace period a command may take to stop (close its
/// store, stop its embedded server) before [`Shutdown::bounded`] gives up
/// on it.
pub const STOP_ALLOWANCE: Duration = Duration::from_secs(20);

/// A cloneable shutdown signal.
#[derive(Clone, Default)]
pub struct Shutdown {
    token: CancellationToken,
}

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    /// A shutdown that also fires on SIGTERM and Ctrl-C.
    pub fn on_signals() -> Self {
        let shutdown = Self::new();
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutdown requested");
            trigger.trigger();
        });
        shutdown
    }

    pub fn trigger(&self) {
        self.token.cancel();
    }

    pub fn is_triggered(&self) -> bool {
        self.token.is_cancelled()
    }

    /// Completes when shutdown was requested.
    pub async fn wait(&self) {
        self.token.cancelled().await
    }

    /// `work`'s output, or None when shutdown is requested first (and
    /// `work` is dropped).
    pub async fn unless<T>(&self, work: impl Future<Output = T>) -> Option<T> {
        self.token.run_until_cancelled(work).await
    }

    /// Runs a command's `work` to its end, or until `allowance` has passed
    /// since shutdown was requested: a backstop, so SIGTERM ends a process
    /// even when a step of its stopping hangs on something it does not
    /// bound itself. A command that does not watch the shutdown at all
    /// (a file conversion) gets no allowance: it is interrupted at once.
    pub async fn bounded<T>(
        &self,
        allowance: Duration,
        work: impl Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        tokio::select! {
            result = work => result,
            _ = async {
                self.wait().await;
                tokio::time::sleep(allowance).await;
            } => Err(anyhow::anyhow!(
                "interrupted{}",
                if allowance.is_zero() {
                    String::new()
                } else {
                    format!(": still stopping {allowance:?} after the shutdown signal, exiting without waiting longer")
                }
            )),
        }
    }

    /// A child signal: fires with its parent, or alone.
    pub fn child(&self) -> Self {
        Self {
            token: self.token.child_token(),
        }
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
