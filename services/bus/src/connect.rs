//! The connection to NATS, shared by every stage in a process.

use std::time::Duration;

use async_nats::jetstream;
use tokio::sync::watch;

use crate::error::BusError;

/// How to reach NATS. Every binary takes these flags, each with an
/// environment variable of the same meaning (documented once, here).
#[derive(Debug, Clone, clap::Args)]
pub struct NatsOptions {
    /// NATS server URL(s), comma-separated. Without it, `townreports run`
    /// starts a private nats-server; the single workers require it.
    #[arg(long, env = "NATS_URL")]
    pub nats_url: Option<String>,
    /// A NATS credentials file (JWT + nkey), for secured clusters.
    #[arg(long, env = "NATS_CREDS")]
    pub nats_creds: Option<std::path::PathBuf>,
    /// User name, with --nats-password.
    #[arg(long, env = "NATS_USER")]
    pub nats_user: Option<String>,
    /// Password, with --nats-user.
    #[arg(long, env = "NATS_PASSWORD", hide_env_values = true)]
    pub nats_password: Option<String>,
    /// Replicas of every stream and consumer: 1 for a single server, 3 for a
    /// clustered NATS.
    #[arg(long, env = "NATS_REPLICAS", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub replicas: u8,
    /// How long a worker may hold a message without a sign of life before
    /// JetStream redelivers it (a message held through a database outage
    /// sends progress; fetchers get three times this). Applies when the
    /// consumers are created.
    #[arg(long, env = "ACK_WAIT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub ack_wait: Duration,
}

impl NatsOptions {
    pub fn with_url(url: impl Into<String>) -> Self {
        Self {
            nats_url: Some(url.into()),
            nats_creds: None,
            nats_user: None,
            nats_password: None,
            replicas: 1,
            ack_wait: crate::topology::DEFAULT_ACK_WAIT,
        }
    }
}

/// How long [`Bus::flush`] waits.
pub const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// A connected client and its JetStream context.
#[derive(Clone)]
pub struct Bus {
    client: async_nats::Client,
    js: jetstream::Context,
    replicas: usize,
    ack_wait: Duration,
    /// How many times the client has (re)connected.
    connections: watch::Receiver<u64>,
}

impl Bus {
    /// Connects, waiting for the first connection up to `connect_timeout`.
    /// After that the client reconnects forever with backoff; workers report
    /// not-ready while it is away instead of exiting.
    pub async fn connect(opts: &NatsOptions, name: &str) -> Result<Bus, BusError> {
        let url = opts
            .nats_url
            .clone()
            .ok_or_else(|| BusError::Other("NATS_URL is not set: pass --nats-url or set NATS_URL".into()))?;
        let mut options = match &opts.nats_creds {
            Some(path) => async_nats::ConnectOptions::with_credentials_file(path)
                .await
                .map_err(|e| BusError::Other(format!("cannot read NATS credentials {}: {e}", path.display())))?,
            None => async_nats::ConnectOptions::new(),
        };
        if let (Some(user), Some(pass)) = (&opts.nats_user, &opts.nats_password) {
            options = options.user_and_password(user.clone(), pass.clone());
        }
        let (connected, connections) = watch::channel(0u64);
        let options = options
            .name(name)
            .connection_timeout(Duration::from_secs(5))
            .max_reconnects(None)
            // Reconnect with capped exponential backoff: a restarted server is
            // found within seconds, a long outage is not hammered.
            .reconnect_delay_callback(|attempts| {
                let ms = 100u64.saturating_mul(1 << attempts.min(6)).min(5_000);
                Duration::from_millis(ms)
            })
            .event_callback(move |event| {
                let connected = connected.clone();
                async move {
                    match event {
                        async_nats::Event::Connected => {
                            tracing::info!("NATS connected");
                            connected.send_modify(|n| *n += 1);
                        }
                        async_nats::Event::Disconnected => {
                            tracing::warn!("NATS disconnected; reconnecting")
                        }
                        other => tracing::debug!(event = %other, "NATS event"),
                    }
                }
            });
        let addrs: Vec<async_nats::ServerAddr> = url
            .split(',')
            .map(|u| u.trim().parse())
            .collect::<Result<_, _>>()
            .map_err(|e| BusError::Other(format!("invalid NATS_URL {url:?}: {e}")))?;
        let client = options.connect(addrs).await.map_err(|source| BusError::Connect {
            url: url.clone(),
            source,
        })?;
        Ok(Bus {
            ack_wait: opts.ack_wait,
            connections,
            ..Self::from_client(client, opts.replicas as usize)
        })
    }

    pub fn from_client(client: async_nats::Client, replicas: usize) -> Bus {
        let js = jetstream::new(client.clone());
        Bus {
            client,
            js,
            replicas: replicas.max(1),
            ack_wait: crate::topology::DEFAULT_ACK_WAIT,
            // A client connected elsewhere: its reconnections are not seen.
            connections: watch::channel(1).1,
        }
    }

    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    pub fn jetstream(&self) -> &jetstream::Context {
        &self.js
    }

    pub fn replicas(&self) -> usize {
        self.replicas
    }

    /// The base acknowledgement wait of the consumers this bus creates.
    pub fn ack_wait(&self) -> Duration {
        self.ack_wait
    }

    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Changes with every (re)connection of the client. A nats-server
    /// killed with SIGKILL can come back without writes it had acknowledged
    /// (seen with 2.9's file store), so state a worker also holds in memory
    /// is written again when this changes.
    pub fn connections(&self) -> watch::Receiver<u64> {
        self.connections.clone()
    }

    /// Sends buffered publishes; used before exiting. Bounded by
    /// [`FLUSH_TIMEOUT`]: a server that stopped reading (frozen, or its
    /// machine gone) must not keep a process from exiting.
    pub async fn flush(&self) {
        match tokio::time::timeout(FLUSH_TIMEOUT, self.client.flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "NATS flush failed"),
            Err(_) => tracing::warn!("NATS flush did not finish within {FLUSH_TIMEOUT:?}; not waiting longer"),
        }
    }
}
