//! Shared NATS JetStream plumbing for every townreports worker, written once.
//!
//! Start reading at [`worker`]: a service implements [`worker::Stage`] (decode
//! one input, return the messages to publish) and [`worker::run_stage`] does
//! the rest — pull from the stage's durable consumer, publish the outputs with
//! content-derived `Nats-Msg-Id`s, ack the input only after JetStream
//! acknowledged every output, retry transient failures with backoff, and
//! dead-letter poison messages with their reason.
//!
//! The other modules are the pieces it stands on: [`connect`] (a client that
//! reconnects forever), [`topology`] (streams and consumers, created
//! idempotently), [`dlq`], [`blob`] (payloads too large for a message),
//! [`kv`] (key-value buckets that work on nats-server 2.9), [`health`]
//! (`/healthz`, `/readyz`, `/metrics`), [`shutdown`], [`embedded`] (the
//! private `nats-server` child of the one-machine default) and [`datadir`]
//! (the lock that keeps it one per data directory).
//!
//! Around them: [`publish`] (a message with its content-derived id, and
//! publishing until JetStream acknowledges it), [`error`] (what can go wrong
//! talking to NATS), [`locate`] (which NATS an operator's command talks
//! to), [`service`] (the flags and start-up every worker binary shares),
//! [`telemetry`] (logging set-up) and, for tests only (feature `testing`),
//! `testing` (a private nats-server and a bus connected to it).

pub mod blob;
pub mod connect;
pub mod datadir;
pub mod dlq;
pub mod embedded;
pub mod error;
pub mod health;
pub mod kv;
pub mod locate;
pub mod publish;
pub mod service;
pub mod shutdown;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod topology;
pub mod worker;

pub use async_nats;
pub use connect::{Bus, NatsOptions};
pub use error::BusError;
pub use publish::Publish;
pub use shutdown::Shutdown;
pub use worker::{Stage, StageError, WorkerOptions};
