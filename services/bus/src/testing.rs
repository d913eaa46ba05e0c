//! What the tests of every crate start with (feature `testing`, enabled
//! only by dev-dependencies): a private nats-server on a free loopback
//! port, storing in a test's directory, and a bus connected to it.

use std::path::Path;

use crate::embedded::NatsServerProcess;
use crate::{Bus, NatsOptions};

/// A nats-server storing in `store` and a bus (client name `test`)
/// connected to it with the streams and consumers in place. Panics, as a
/// test set-up does, when either cannot be had.
pub async fn nats(store: &Path) -> (NatsServerProcess, Bus) {
    let server = NatsServerProcess::start(store)
        .await
        .expect("a private nats-server (scripts/setup.sh installs one)");
    let bus = Bus::connect(&NatsOptions::with_url(server.url()), "test")
        .await
        .expect("a connection to the test's nats-server");
    bus.ensure_topology().await.expect("the streams and consumers");
    (server, bus)
}

/// A test's client of a server it did not start itself (a pipeline's
/// embedded one, or one started before a restart).
pub async fn client(url: &str) -> Bus {
    Bus::connect(&NatsOptions::with_url(url), "test")
        .await
        .expect("a connection to the test's nats-server")
}
