//! Which NATS an operator's command (`townreports status`, `townreports
//! dlq`) talks to: `NATS_URL` when given; else, when another process holds
//! the data directory (a `townreports run`), the embedded server it
//! announced there — never a second one on the same store; else a private
//! one started on that directory's store, under its lock, so the streams
//! of a stopped crawl can still be read and changed.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::datadir::{self, DataDirLock};
use crate::embedded::{self, EmbeddedNats};
use crate::{Bus, BusError, NatsOptions, Shutdown};

/// A connection to a crawl's NATS, with the topology in place, and the
/// private server started for it (and the data directory's lock), if one
/// was.
pub struct CrawlNats {
    pub bus: Bus,
    private: Option<(EmbeddedNats, DataDirLock)>,
}

impl CrawlNats {
    /// Connects as `name` to the NATS of the crawl whose data directory is
    /// `data_dir` (see the module's documentation for which one).
    pub async fn connect(data_dir: &Path, nats: &NatsOptions, name: &str) -> Result<CrawlNats, BusError> {
        let (url, private) = match &nats.nats_url {
            Some(url) => (url.clone(), None),
            None => match DataDirLock::try_acquire(data_dir, name)? {
                None => (holders_url(data_dir).await?, None),
                Some(lock) => {
                    let server = EmbeddedNats::start(&lock).await?;
                    (server.url().to_string(), Some((server, lock)))
                }
            },
        };
        let options = NatsOptions {
            nats_url: Some(url),
            ..nats.clone()
        };
        let connected = async {
            let bus = Bus::connect(&options, name).await?;
            bus.ensure_topology().await?;
            Ok(bus)
        }
        .await;
        match connected {
            Ok(bus) => Ok(CrawlNats { bus, private }),
            Err(e) => {
                // Not left running behind a failed command.
                if let Some((server, _lock)) = private {
                    server.stop().await;
                }
                Err(e)
            }
        }
    }

    /// Connects (see [`CrawlNats::connect`]), runs `work` and closes, also
    /// when `shutdown` comes first ([`BusError::Interrupted`]): an
    /// interrupted command stops its private server cleanly too.
    pub async fn with<T, E: From<BusError>>(
        data_dir: &Path,
        nats: &NatsOptions,
        name: &str,
        shutdown: &Shutdown,
        work: impl AsyncFnOnce(&Bus) -> Result<T, E>,
    ) -> Result<T, E> {
        let connecting = tokio::select! {
            connected = Self::connect(data_dir, nats, name) => connected,
            _ = shutdown.wait() => Err(BusError::Interrupted),
        };
        let crawl = connecting?;
        let result = tokio::select! {
            result = work(&crawl.bus) => result,
            _ = shutdown.wait() => Err(BusError::Interrupted.into()),
        };
        crawl.close().await;
        result
    }

    /// Flushes what was published and stops the private server, if any
    /// (cleanly, so JetStream writes its store), then lets the data
    /// directory go.
    pub async fn close(self) {
        self.bus.flush().await;
        if let Some((server, lock)) = self.private {
            server.stop().await;
            drop(lock);
        }
    }
}

/// The URL of the embedded server of the process holding `data_dir`,
/// waiting while it (re)starts: a holder whose server does not answer
/// within a start's time is reported, not worked around.
async fn holders_url(data_dir: &Path) -> Result<String, BusError> {
    let started = Instant::now();
    loop {
        if let Some(url) = embedded::running_url(data_dir).await {
            return Ok(url);
        }
        if started.elapsed() > embedded::START_TIMEOUT {
            let holder = datadir::holder(data_dir).map_or_else(|| "another process".to_string(), |h| h.to_string());
            return Err(BusError::Embedded(format!(
                "{holder} holds the data directory {} but no embedded nats-server of its answers \
                 (it may use NATS_URL: pass the same --nats-url)",
                data_dir.display()
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
