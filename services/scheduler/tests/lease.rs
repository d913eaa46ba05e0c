//! One active scheduler among replicas: a second waits while the first
//! holds the lease, takes over when it is released, and takes over a
//! lease whose holder stopped renewing (crashed) once it expires — or at
//! once, when the successor knows it is the only scheduler (`townreports
//! run` on its private server).

use std::time::Duration;

use townreports_bus::Shutdown;
use townreports_scheduler::lease::{Lease, TTL};

#[tokio::test]
async fn replicas_take_turns() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, bus) = townreports_bus::testing::nats(dir.path()).await;

    let first_stop = Shutdown::new();
    let first = Lease::acquire(&bus, "first", &first_stop).await.unwrap().unwrap();
    let keeper = tokio::spawn(first.keep(first_stop.clone()));

    // The standby waits while the first renews.
    let second_bus = bus.clone();
    let standby = tokio::spawn(async move {
        let stop = Shutdown::new();
        Lease::acquire(&second_bus, "second", &stop).await.map(|l| l.is_some())
    });
    tokio::time::sleep(TTL / 2).await;
    assert!(
        !standby.is_finished(),
        "the second must not be active while the first is"
    );

    // A graceful stop hands over at once.
    first_stop.trigger();
    keeper.await.unwrap().unwrap();
    let took = tokio::time::timeout(TTL / 2, standby).await;
    assert!(matches!(took, Ok(Ok(Ok(true)))), "{took:?}");
    server.terminate().await;
}

#[tokio::test]
async fn a_crashed_holder_is_replaced_after_the_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, bus) = townreports_bus::testing::nats(dir.path()).await;
    let stop = Shutdown::new();
    let crashed = Lease::acquire(&bus, "crashed", &stop).await.unwrap().unwrap();
    // Never renewed: a process that died.
    let started = std::time::Instant::now();
    let successor = Lease::acquire(&bus, "successor", &stop).await.unwrap().unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= TTL - Duration::from_secs(1),
        "took over only after the TTL: {waited:?}"
    );
    assert!(waited < TTL * 2, "{waited:?}");
    // The crashed holder, were it only stalled, finds out on its next renewal.
    let resumed = tokio::time::timeout(TTL, crashed.keep(Shutdown::new())).await.unwrap();
    assert!(resumed.is_err(), "the stalled holder knows it lost the lease");
    stop.trigger();
    successor.keep(stop.clone()).await.unwrap();
    server.terminate().await;
}

#[tokio::test]
async fn the_only_possible_scheduler_takes_a_dead_holders_lease_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, bus) = townreports_bus::testing::nats(dir.path()).await;
    let stop = Shutdown::new();
    let crashed = Lease::acquire(&bus, "crashed", &stop).await.unwrap().unwrap();
    let started = std::time::Instant::now();
    let successor = Lease::take_over(&bus, "successor").await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "not waited out: {:?}",
        started.elapsed()
    );
    let lost = tokio::time::timeout(TTL, crashed.keep(Shutdown::new())).await.unwrap();
    assert!(lost.is_err(), "the old holder, were it alive, knows it lost the lease");
    // Taking over a free (released) lease works too.
    stop.trigger();
    successor.keep(stop.clone()).await.unwrap();
    let again = Lease::take_over(&bus, "again").await.unwrap();
    again.keep(stop).await.unwrap();
    server.terminate().await;
}
