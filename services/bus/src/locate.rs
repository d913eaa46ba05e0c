//! Which NATS an operator's command (`townreports status`, `townreports
//! dlq`) talks to: `NATS_URL` when given; else the embedded server a
//! running `townreports run` announced in its data directory; else a
//! private one started on that directory's store, so the streams of a
//! stopped crawl can still be read and changed.

use std::path::Path;

use crate::embedded::{self, EmbeddedNats};
use crate::{Bus, BusError, NatsOptions, Shutdown};

/// A connection to a crawl's NATS, with the topology in place, and the
/// private server started for it, if one was.
pub struct CrawlNats {
    pub bus: Bus,
    private: Option<EmbeddedNats>,
}

impl CrawlNats {
    /// Connects as `name` to the NATS of the crawl whose data directory is
    /// `data_dir` (see the module's documentation for which one).
    pub async fn connect(data_dir: &Path, nats: &NatsOptions, name: &str) -> Result<CrawlNats, BusError> {
        let (url, private) = match &nats.nats_url {
            Some(url) => (url.clone(), None),
            None => match embedded::running_url(data_dir).await {
                Some(url) => (url, None),
                None => {
                    let server = EmbeddedNats::start(data_dir, &Shutdown::new()).await?;
                    (server.url().to_string(), Some(server))
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
                if let Some(server) = private {
                    server.stop().await;
                }
                Err(e)
            }
        }
    }

    /// Flushes what was published and stops the private server, if any
    /// (cleanly, so JetStream writes its store).
    pub async fn close(self) {
        self.bus.flush().await;
        if let Some(server) = self.private {
            server.stop().await;
        }
    }
}
