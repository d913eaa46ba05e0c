use thiserror::Error;

/// Failures of the bus itself (as opposed to a stage's own errors).
#[derive(Debug, Error)]
pub enum BusError {
    #[error(
        "cannot connect to NATS at {url}: {source}. Is nats-server running? Set NATS_URL, or run without it to start an embedded server"
    )]
    Connect {
        url: String,
        #[source]
        source: async_nats::ConnectError,
    },
    #[error("JetStream setup of {what} failed: {message}. Is JetStream enabled on the server (nats-server -js)?")]
    Topology { what: String, message: String },
    #[error("publish to {subject} failed: {message}")]
    Publish { subject: String, message: String },
    #[error("object store: {0}")]
    Blob(String),
    #[error("key-value bucket {bucket}: {message}")]
    Kv { bucket: String, message: String },
    #[error("embedded nats-server: {0}")]
    Embedded(String),
    #[error(
        "the data directory {} is in use by {holder}: stop that first, or give this command another --data-dir",
        dir.display()
    )]
    DataDirInUse { dir: std::path::PathBuf, holder: String },
    #[error("interrupted by a shutdown signal")]
    Interrupted,
    #[error("{0}")]
    Other(String),
}

impl BusError {
    pub(crate) fn topology(what: impl Into<String>, e: impl std::fmt::Display) -> Self {
        BusError::Topology {
            what: what.into(),
            message: e.to_string(),
        }
    }
}
