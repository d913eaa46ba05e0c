//! A JetStream publish whose acknowledgement is lost after the server
//! stored the message: the client times out, publishes again with the same
//! `Nats-Msg-Id`, and the server deduplicates the retry. Between client and
//! server sits a loopback TCP proxy that can hold back everything the
//! server sends, as a congested or half-broken link does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use townreports_bus::embedded::NatsServerProcess;
use townreports_bus::publish::Published;
use townreports_bus::{Bus, NatsOptions, Publish};
use townreports_proto::topology::{self as names, StageName};

/// Forwards loopback connections to `upstream`; while `hold` is set, bytes
/// from the server are kept back until it is cleared.
struct HoldingProxy {
    url: String,
    hold: Arc<AtomicBool>,
    released: Arc<Notify>,
}

impl HoldingProxy {
    async fn start(upstream: String) -> HoldingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("nats://{}", listener.local_addr().unwrap());
        let hold = Arc::new(AtomicBool::new(false));
        let released = Arc::new(Notify::new());
        let (h, r) = (hold.clone(), released.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let (mut client_read, mut client_write) = client.into_split();
                let (mut server_read, mut server_write) = server.into_split();
                tokio::spawn(async move { tokio::io::copy(&mut client_read, &mut server_write).await });
                let (hold, released) = (h.clone(), r.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match server_read.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        while hold.load(Ordering::SeqCst) {
                            released.notified().await;
                        }
                        if client_write.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        HoldingProxy { url, hold, released }
    }

    fn hold(&self) {
        self.hold.store(true, Ordering::SeqCst);
    }

    fn release(&self) {
        self.hold.store(false, Ordering::SeqCst);
        self.released.notify_waiters();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_whose_ack_is_lost_is_deduplicated_on_retry() {
    let dir = tempfile::tempdir().unwrap();
    let server = NatsServerProcess::start(dir.path()).await.unwrap();
    let direct = Bus::connect(&NatsOptions::with_url(server.url()), "direct")
        .await
        .unwrap();
    direct.ensure_topology().await.unwrap();
    let upstream = server.url().trim_start_matches("nats://").to_string();
    let proxy = HoldingProxy::start(upstream).await;
    let bus = Bus::connect(&NatsOptions::with_url(proxy.url.clone()), "behind-proxy")
        .await
        .unwrap();

    let publish = Publish {
        subject: names::SUBJECT_PAGES_FETCHED.into(),
        payload: bytes::Bytes::from_static(b"stored once"),
        msg_id: "lost-ack-1".into(),
        headers: Default::default(),
    };
    let before = direct.stream_messages(StageName::Parser.stream()).await.unwrap();
    proxy.hold();
    let started = Instant::now();
    let publishing = tokio::spawn(async move { bus.publish(&publish).await });

    // The server stores the message while its ack is held in the proxy.
    let mut stored = before;
    for _ in 0..100 {
        stored = direct.stream_messages(StageName::Parser.stream()).await.unwrap();
        if stored > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(stored, before + 1, "the server stored the first attempt");
    // Long enough for the client's ack wait (async-nats: 5 s) to expire
    // and the retry to go out; short of the retry's own deadline.
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert!(!publishing.is_finished(), "the publish still waits for an ack");
    proxy.release();

    let published = publishing.await.unwrap().unwrap();
    let took = started.elapsed();
    assert_eq!(
        published,
        Published::Duplicate,
        "the retry was recognised as the stored message"
    );
    assert_eq!(
        direct.stream_messages(StageName::Parser.stream()).await.unwrap(),
        before + 1,
        "one message however many attempts"
    );
    println!("lost ack: first attempt stored, retry deduplicated after {took:.1?}; 1 message in the stream");
}
