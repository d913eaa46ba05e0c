//! The fetcher against hostile servers, over real HTTP on loopback: every
//! target of every test is on 127.0.0.0/8 or ::1, in whatever spelling, so
//! even a broken guard could only ever reach this machine; where no
//! connection may happen, a listener on the target's port counts its
//! accepts. (Internal addresses beyond loopback are judged without a
//! network, by the same checks, in `src/http.rs`'s tests.)
//!
//! The servers speak HTTP/1.1 by hand, so they can lie, drip, flood and
//! send bytes no HTTP library would.

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use townreports_fetcher::http::{Fetched, Fetcher};
use townreports_proto::MAX_URL_BYTES;
use townreports_proto::v1::{FetchJob, FetchStatus};
use townreports_sites::FetchSettings;

/// The fetcher's cap in these tests, as the portals' sites file sets it.
const MAX_BODY: u64 = 4_000_000;
/// Attempts per job for timeouts, network errors and 5xx (the fetcher's own).
const ATTEMPTS: usize = 3;
/// Its backoff between them, at most: 0.5 s then 1 s, +25 % jitter.
const MAX_BACKOFF_TOTAL: Duration = Duration::from_millis(1_875);

/// A hand-written HTTP server on one loopback address.
struct Server {
    addr: SocketAddr,
    /// Connections accepted.
    accepts: Arc<AtomicUsize>,
    /// Request targets (path and query) read, in order.
    requests: Arc<Mutex<Vec<String>>>,
    /// Bytes written by every `answer`.
    sent: Arc<AtomicUsize>,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// What a connection is answered with: the request target and the stream
/// (writes through [`send`] are counted).
type Answer = Arc<dyn Fn(String, Conn) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

struct Conn {
    stream: TcpStream,
    sent: Arc<AtomicUsize>,
}

impl Conn {
    /// Writes `bytes`; `false` once the client has gone.
    async fn send(&mut self, bytes: &[u8]) -> bool {
        let ok = self.stream.write_all(bytes).await.is_ok();
        if ok {
            self.sent.fetch_add(bytes.len(), Ordering::SeqCst);
        }
        ok
    }
}

fn answer<F, Fut>(f: F) -> Answer
where
    F: Fn(String, Conn) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    Arc::new(move |target, conn| Box::pin(f(target, conn)))
}

async fn serve(listener: TcpListener, answer: Answer) -> Server {
    let addr = listener.local_addr().unwrap();
    let accepts = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let sent = Arc::new(AtomicUsize::new(0));
    let server = Server {
        addr,
        accepts: accepts.clone(),
        requests: requests.clone(),
        sent: sent.clone(),
    };
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            accepts.fetch_add(1, Ordering::SeqCst);
            let (answer, requests, sent) = (answer.clone(), requests.clone(), sent.clone());
            tokio::spawn(async move {
                let Some(target) = read_head(&mut stream).await else {
                    return;
                };
                requests.lock().unwrap().push(target.clone());
                answer(target, Conn { stream, sent }).await;
            });
        }
    });
    server
}

/// Reads a request head (at most 64 KiB) and returns its target.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        let n = stream.read(&mut buf).await.ok().filter(|n| *n > 0)?;
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    line.split(' ').nth(1).map(str::to_string)
}

async fn server_on(ip: &str, answer: Answer) -> Server {
    serve(TcpListener::bind((ip, 0)).await.unwrap(), answer).await
}

/// Listeners on one port of 127.0.0.1, 127.0.0.2 and ::1 that answer 204
/// and count accepts together: every loopback spelling of that port lands
/// on one of them (0.0.0.0 and :: connect to the local host).
async fn tripwire() -> (u16, Arc<AtomicUsize>) {
    let accepts = Arc::new(AtomicUsize::new(0));
    for _ in 0..50 {
        let first = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = first.local_addr().unwrap().port();
        let (Ok(second), Ok(third)) = (
            TcpListener::bind(("127.0.0.2", port)).await,
            TcpListener::bind(("::1", port)).await,
        ) else {
            continue;
        };
        for listener in [first, second, third] {
            let accepts = accepts.clone();
            tokio::spawn(async move {
                while let Ok((mut stream, _)) = listener.accept().await {
                    accepts.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(async move {
                        if read_head(&mut stream).await.is_some() {
                            let _ = stream.write_all(&head("204 No Content", &[])).await;
                        }
                    });
                }
            });
        }
        return (port, accepts);
    }
    panic!("no port free on 127.0.0.1, 127.0.0.2 and ::1 alike");
}

fn fetcher(allow: &[&str], timeout: Duration) -> Fetcher {
    Fetcher::new(&FetchSettings {
        allow_private_networks: allow.iter().map(|n| n.parse().unwrap()).collect(),
        max_body: MAX_BODY,
        timeout,
        ..Default::default()
    })
    .unwrap()
}

fn loopback_fetcher() -> Fetcher {
    fetcher(&["127.0.0.0/8", "::1/128"], Duration::from_secs(10))
}

async fn fetch(fetcher: &Fetcher, url: &str) -> Fetched {
    let job = FetchJob {
        url: url.to_string(),
        site_id: "t".into(),
        ..Default::default()
    };
    fetcher.fetch(&job).await
}

fn class(got: &Fetched) -> (FetchStatus, String) {
    (
        FetchStatus::try_from(got.outcome.status).unwrap(),
        got.outcome.error_class.clone(),
    )
}

fn refused(class: &str) -> (FetchStatus, String) {
    (FetchStatus::Refused, class.to_string())
}

fn failed(class: &str) -> (FetchStatus, String) {
    (FetchStatus::Failed, class.to_string())
}

/// An HTTP/1.1 response head with `headers` (raw lines, no CRLF).
fn head(status: &str, headers: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\n").into_bytes();
    for h in headers {
        out.extend_from_slice(h);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[tokio::test]
async fn loopback_in_any_spelling_is_refused_before_connecting() {
    let (port, accepts) = tripwire().await;
    let strict = fetcher(&[], Duration::from_secs(10));
    for host in [
        "127.0.0.1",
        "127.0.0.2",
        "2130706433",
        "0x7f000001",
        "0X7F.0.0.1",
        "0177.0.0.1",
        "017700000001",
        "127.1",
        "0x7f.1",
        "[::1]",
        "[0:0:0:0:0:0:0:1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "0.0.0.0",
        "0",
        "[::]",
    ] {
        let url = format!("http://{host}:{port}/report.html");
        let got = fetch(&strict, &url).await;
        assert_eq!(class(&got), refused("private_address"), "{url}: {:?}", got.outcome);
        assert!(
            got.outcome.error_message.contains("address"),
            "{url}: {}",
            got.outcome.error_message
        );
    }
    assert_eq!(accepts.load(Ordering::SeqCst), 0, "no connection was made");
    // The tripwire does count: allowed, the same spellings connect.
    let open = loopback_fetcher();
    for host in ["2130706433", "0x7f.1", "[::1]"] {
        let got = fetch(&open, &format!("http://{host}:{port}/")).await;
        assert_eq!(
            class(&got),
            (FetchStatus::Ok, String::new()),
            "{host}: {:?}",
            got.outcome
        );
    }
    assert_eq!(accepts.load(Ordering::SeqCst), 3, "each reached the tripwire");
}

#[tokio::test]
async fn names_resolving_to_loopback_are_refused_before_connecting() {
    let (port, accepts) = tripwire().await;
    let strict = fetcher(&[], Duration::from_secs(10));
    for host in ["localhost", "LocalHost"] {
        let url = format!("http://{host}:{port}/");
        let got = fetch(&strict, &url).await;
        assert_eq!(class(&got), refused("private_address"), "{url}: {:?}", got.outcome);
        assert!(
            got.outcome.error_message.contains("resolves to a loopback address"),
            "{}",
            got.outcome.error_message
        );
    }
    // A redirect from an allowed address to the name: refused when resolved.
    let origin = server_on(
        "127.0.0.3",
        answer(move |_, mut conn| async move {
            let location = format!("Location: http://localhost:{port}/");
            conn.send(&head("302 Found", &[location.as_bytes()])).await;
        }),
    )
    .await;
    let narrow = fetcher(&["127.0.0.3/32"], Duration::from_secs(10));
    let got = fetch(&narrow, &origin.url("/hop")).await;
    assert_eq!(class(&got), refused("private_address"), "{:?}", got.outcome);
    assert_eq!(accepts.load(Ordering::SeqCst), 0, "no connection was made");
    // The tripwire does count: allowed, the name connects.
    fetch(&loopback_fetcher(), &format!("http://localhost:{port}/")).await;
    assert_eq!(accepts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn redirects_to_loopback_in_any_spelling_are_refused_before_connecting() {
    let (port, accepts) = tripwire().await;
    let targets: Vec<String> = [
        "127.0.0.2",
        "2130706434",
        "0x7f000002",
        "0177.0.0.2",
        "127.2",
        "[::1]",
        "[::ffff:127.0.0.2]",
        "[::ffff:7f00:2]",
        "0.0.0.0",
        "0",
        "[::]",
    ]
    .iter()
    .map(|host| format!("http://{host}:{port}/admin"))
    .collect();
    let locations = Arc::new(targets.clone());
    // `/hop/N` redirects to target N, with each redirect status in turn.
    let origin = server_on(
        "127.0.0.1",
        answer(move |target, mut conn| {
            let locations = locations.clone();
            async move {
                let n: usize = target.trim_start_matches("/hop/").parse().unwrap();
                let status = [
                    "301 Moved Permanently",
                    "302 Found",
                    "303 See Other",
                    "307 Temporary Redirect",
                    "308 Permanent Redirect",
                ][n % 5];
                let location = format!("Location: {}", locations[n]);
                conn.send(&head(status, &[location.as_bytes()])).await;
            }
        }),
    )
    .await;
    // Only the origin's address is allowed.
    let narrow = fetcher(&["127.0.0.1/32"], Duration::from_secs(10));
    for (n, target) in targets.iter().enumerate() {
        let got = fetch(&narrow, &origin.url(&format!("/hop/{n}"))).await;
        assert_eq!(class(&got), failed("redirect"), "{target}: {:?}", got.outcome);
        assert!(
            got.outcome.error_message.contains("refused") && got.outcome.error_message.contains("address"),
            "{target}: {}",
            got.outcome.error_message
        );
    }
    assert_eq!(
        origin.accepts.load(Ordering::SeqCst),
        targets.len(),
        "one request each, no retries"
    );
    assert_eq!(accepts.load(Ordering::SeqCst), 0, "no hop was made");
    // The tripwire does count: allowed, the hops are made.
    let open = loopback_fetcher();
    fetch(&open, &origin.url("/hop/1")).await;
    fetch(&open, &origin.url("/hop/5")).await;
    assert_eq!(accepts.load(Ordering::SeqCst), 2, "127.0.0.2 and ::1 reached");
}

/// A compressed body and how it is sent.
struct Bomb {
    name: &'static str,
    /// `Content-Encoding`.
    encoding: &'static str,
    body: Vec<u8>,
    /// Sent in chunks, without a length.
    chunked: bool,
}

/// 64 MiB of spaces, compressed by `encoder`.
fn bomb<W: Write>(mut encoder: W, finish: impl FnOnce(W) -> std::io::Result<Vec<u8>>) -> Vec<u8> {
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..64 {
        encoder.write_all(&spaces).unwrap();
    }
    finish(encoder).unwrap()
}

/// Sends `body` in HTTP/1.1 chunks of 16 KiB.
async fn send_chunked(conn: &mut Conn, body: &[u8]) {
    for chunk in body.chunks(16 * 1024) {
        if !conn.send(format!("{:x}\r\n", chunk.len()).as_bytes()).await
            || !conn.send(chunk).await
            || !conn.send(b"\r\n").await
        {
            return;
        }
    }
    conn.send(b"0\r\n\r\n").await;
}

#[tokio::test]
async fn decompression_bombs_stop_at_the_cap() {
    let gzip = bomb(
        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best()),
        |e| e.finish(),
    );
    let zlib = bomb(
        flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best()),
        |e| e.finish(),
    );
    // 1 GiB of spaces in 843 bytes (made once with the brotli crate, quality 11).
    let brotli = include_bytes!("fixtures/spaces-1gib.br").to_vec();
    let bomb = |name, encoding, body: &Vec<u8>, chunked| Bomb {
        name,
        encoding,
        body: body.clone(),
        chunked,
    };
    let bombs = Arc::new(vec![
        bomb("gzip, chunked", "gzip", &gzip, true),
        bomb("gzip, with length", "gzip", &gzip, false),
        bomb("deflate (zlib), chunked", "deflate", &zlib, true),
        bomb("deflate (zlib), with length", "deflate", &zlib, false),
        bomb("brotli 1 GiB, chunked", "br", &brotli, true),
        bomb("brotli 1 GiB, with length", "br", &brotli, false),
    ]);
    let served = bombs.clone();
    let server = server_on(
        "127.0.0.1",
        answer(move |target, mut conn| {
            let served = served.clone();
            async move {
                let Bomb {
                    encoding,
                    body,
                    chunked,
                    ..
                } = &served[target.trim_start_matches('/').parse::<usize>().unwrap()];
                let encoding = format!("Content-Encoding: {encoding}");
                let framing = if *chunked {
                    "Transfer-Encoding: chunked".to_string()
                } else {
                    format!("Content-Length: {}", body.len())
                };
                let headers: [&[u8]; 3] = [b"Content-Type: text/html", encoding.as_bytes(), framing.as_bytes()];
                if !conn.send(&head("200 OK", &headers)).await {
                    return;
                }
                if *chunked {
                    send_chunked(&mut conn, body).await;
                } else {
                    conn.send(body).await;
                }
            }
        }),
    )
    .await;
    let f = loopback_fetcher();
    for (n, Bomb { name, body, .. }) in bombs.iter().enumerate() {
        let started = Instant::now();
        let got = fetch(&f, &server.url(&format!("/{n}"))).await;
        let took = started.elapsed();
        assert_eq!(class(&got), refused("too_large"), "{name}: {:?}", got.outcome);
        assert!(got.page.is_none() && got.responses.is_empty(), "{name}");
        assert!(
            got.outcome.error_message.contains(&MAX_BODY.to_string()),
            "{name}: {}",
            got.outcome.error_message
        );
        assert!(took < Duration::from_secs(10), "{name} took {took:?}");
        println!(
            "{name}: {} compressed bytes refused at the {MAX_BODY}-byte cap in {took:?}",
            body.len()
        );
    }
    assert_eq!(server.accepts.load(Ordering::SeqCst), bombs.len(), "not retried");
}

#[tokio::test]
async fn endless_and_lying_bodies_end() {
    let server = server_on(
        "127.0.0.1",
        answer(|target, mut conn| async move {
            let block = vec![b'x'; 64 * 1024];
            match target.as_str() {
                // Chunks forever.
                "/endless-chunked" => {
                    if conn.send(&head("200 OK", &[b"Transfer-Encoding: chunked"])).await {
                        let chunk = [
                            format!("{:x}\r\n", block.len()).into_bytes(),
                            block.clone(),
                            b"\r\n".to_vec(),
                        ]
                        .concat();
                        while conn.send(&chunk).await {}
                    }
                }
                // No length at all: the body ends when the connection does, never.
                "/endless-close" => {
                    if conn.send(&head("200 OK", &[])).await {
                        while conn.send(&block).await {}
                    }
                }
                // Says 100 bytes, sends forever.
                "/short-length" => {
                    if conn.send(&head("200 OK", &[b"Content-Length: 100"])).await {
                        while conn.send(&block).await {}
                    }
                }
                // Says 10 GB, sends forever.
                "/huge-length" => {
                    if conn.send(&head("200 OK", &[b"Content-Length: 10000000000"])).await {
                        while conn.send(&block).await {}
                    }
                }
                // Says 1,000 bytes, sends 10 and hangs up.
                "/truncated" => {
                    conn.send(&head("200 OK", &[b"Content-Length: 1000"])).await;
                    conn.send(b"0123456789").await;
                }
                // Says 1,000 bytes, sends 10 and waits (until the client leaves).
                "/stalled" => {
                    conn.send(&head("200 OK", &[b"Content-Length: 1000"])).await;
                    conn.send(b"0123456789").await;
                    let mut buf = [0u8; 1];
                    let _ = conn.stream.read(&mut buf).await;
                }
                _ => unreachable!("{target}"),
            }
        }),
    )
    .await;
    let timeout = Duration::from_secs(1);
    let f = fetcher(&["127.0.0.1/32"], timeout);
    for path in ["/endless-chunked", "/endless-close", "/huge-length"] {
        let sent_before = server.sent.load(Ordering::SeqCst);
        let started = Instant::now();
        let got = fetch(&f, &server.url(path)).await;
        let took = started.elapsed();
        assert_eq!(class(&got), refused("too_large"), "{path}: {:?}", got.outcome);
        // Give the server a moment to notice the client left.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let sent = server.sent.load(Ordering::SeqCst) - sent_before;
        println!("{path}: refused in {took:?} after the server sent {sent} bytes");
        assert!(took < timeout, "{path}: ended by the cap, not the timeout ({took:?})");
    }
    let got = fetch(&f, &server.url("/short-length")).await;
    assert_eq!(class(&got), (FetchStatus::Ok, String::new()));
    assert_eq!(
        got.page.unwrap().body.len(),
        100,
        "the declared length and not a byte more"
    );

    let before = server.accepts.load(Ordering::SeqCst);
    let got = fetch(&f, &server.url("/truncated")).await;
    assert_eq!(class(&got), failed("http"), "{:?}", got.outcome);
    assert!(
        got.outcome.error_message.contains("end of file"),
        "the message says why: {}",
        got.outcome.error_message
    );
    assert_eq!(
        server.accepts.load(Ordering::SeqCst) - before,
        ATTEMPTS,
        "retried like a network error"
    );

    let started = Instant::now();
    let got = fetch(&f, &server.url("/stalled")).await;
    let took = started.elapsed();
    assert_eq!(class(&got), failed("timeout"), "{:?}", got.outcome);
    assert!(
        took < timeout * ATTEMPTS as u32 + MAX_BACKOFF_TOTAL + Duration::from_secs(1),
        "{took:?}"
    );
    println!("/stalled: timed out after {ATTEMPTS} attempts in {took:?}");
}

#[tokio::test]
async fn slow_drip_ends_at_the_timeout() {
    let drip = Duration::from_millis(300);
    let server = server_on(
        "127.0.0.1",
        answer(move |target, mut conn| async move {
            // The status line and headers a byte at a time, or the body.
            let (prefix, dripped): (Vec<u8>, Vec<u8>) = match target.as_str() {
                "/drip-head" => (Vec::new(), head("200 OK", &[b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaa"])),
                _ => (head("200 OK", &[]), vec![b'x'; 1_000]),
            };
            if !conn.send(&prefix).await {
                return;
            }
            for byte in dripped {
                if !conn.send(&[byte]).await {
                    return;
                }
                tokio::time::sleep(drip).await;
            }
        }),
    )
    .await;
    let timeout = Duration::from_secs(1);
    let f = fetcher(&["127.0.0.1/32"], timeout);
    for path in ["/drip-body", "/drip-head"] {
        let before = server.accepts.load(Ordering::SeqCst);
        let started = Instant::now();
        let got = fetch(&f, &server.url(path)).await;
        let took = started.elapsed();
        assert_eq!(class(&got), failed("timeout"), "{path}: {:?}", got.outcome);
        assert_eq!(server.accepts.load(Ordering::SeqCst) - before, ATTEMPTS, "{path}");
        let bound = timeout * ATTEMPTS as u32 + MAX_BACKOFF_TOTAL + Duration::from_millis(500);
        assert!(
            took >= timeout * ATTEMPTS as u32 && took < bound,
            "{path}: {took:?}, bound {bound:?}"
        );
        println!("{path}: a byte every {drip:?}, ended as a timeout after {ATTEMPTS} attempts in {took:?}");
    }
}

#[tokio::test]
async fn header_floods_are_refused() {
    let server = server_on(
        "127.0.0.1",
        answer(|target, mut conn| async move {
            let flood: Vec<Vec<u8>> = match target.as_str() {
                "/many" => (0..5_000).map(|i| format!("X-Flood-{i}: {i}").into_bytes()).collect(),
                _ => vec![[b"X-Long: ".as_slice(), vec![b'a'; 1 << 20].as_slice()].concat()],
            };
            let refs: Vec<&[u8]> = flood.iter().map(Vec::as_slice).collect();
            if conn.send(&head("200 OK", &refs)).await {
                conn.send(b"body").await;
            }
        }),
    )
    .await;
    let f = fetcher(&["127.0.0.1/32"], Duration::from_secs(10));
    for path in ["/many", "/long"] {
        let before = server.accepts.load(Ordering::SeqCst);
        let started = Instant::now();
        let got = fetch(&f, &server.url(path)).await;
        let took = started.elapsed();
        assert_eq!(
            FetchStatus::try_from(got.outcome.status).unwrap(),
            FetchStatus::Failed,
            "{path}: {:?}",
            got.outcome
        );
        assert!(got.page.is_none());
        assert!(
            got.outcome.error_message.contains("too large"),
            "{path}: the message says why: {}",
            got.outcome.error_message
        );
        println!(
            "{path}: {} ({}) after {} attempts in {took:?}",
            got.outcome.error_class,
            got.outcome.error_message,
            server.accepts.load(Ordering::SeqCst) - before
        );
    }
}

#[tokio::test]
async fn invalid_utf8_in_headers_is_survived() {
    let server = server_on(
        "127.0.0.1",
        answer(|target, mut conn| async move {
            let page = "<p>镇政府工作报告全文</p>\n".as_bytes();
            let length = format!("Content-Length: {}", page.len());
            let response = match target.as_str() {
                "/page" => [
                    head(
                        "200 OK",
                        &[
                            b"Content-Type: text/html; charset=\xff\xfe",
                            b"ETag: \"\xff\xff\"",
                            b"Last-Modified: Mon, 01 Jan 2024 \xff:00:00 GMT",
                            b"Retry-After: \xff",
                            length.as_bytes(),
                        ],
                    ),
                    page.to_vec(),
                ]
                .concat(),
                "/busy" => head(
                    "503 Service Unavailable",
                    &[b"Retry-After: \xff\xfe", b"Content-Length: 0"],
                ),
                // 报告 in GBK, raw.
                "/moved" => head(
                    "302 Found",
                    &[b"Location: /\xb1\xa8\xb8\xe6.html", b"Content-Length: 0"],
                ),
                "/%B1%A8%B8%E6.html" => [head("200 OK", &[b"Content-Length: 2"]), b"ok".to_vec()].concat(),
                "/nowhere" => head("302 Found", &[b"Content-Length: 0"]),
                _ => head("404 Not Found", &[b"Content-Length: 0"]),
            };
            conn.send(&response).await;
        }),
    )
    .await;
    let f = fetcher(&["127.0.0.1/32"], Duration::from_secs(10));

    let got = fetch(&f, &server.url("/page")).await;
    assert_eq!(class(&got), (FetchStatus::Ok, String::new()), "{:?}", got.outcome);
    assert_eq!(
        (
            got.outcome.etag.as_str(),
            got.outcome.last_modified.as_str(),
            got.outcome.retry_after_ms
        ),
        ("", "", 0),
        "unreadable validators are not stored"
    );
    let page = got.page.unwrap();
    assert_eq!(page.content_type, "", "the parser sniffs the charset instead");
    assert!(String::from_utf8(page.body.to_vec()).unwrap().contains("工作报告"));

    let before = server.accepts.load(Ordering::SeqCst);
    let got = fetch(&f, &server.url("/busy")).await;
    assert_eq!(class(&got), failed("http_5xx"), "{:?}", got.outcome);
    assert_eq!(got.outcome.retry_after_ms, 0);
    assert_eq!(
        server.accepts.load(Ordering::SeqCst) - before,
        ATTEMPTS,
        "retried with the usual backoff"
    );

    // The raw bytes go back percent-encoded: the server gets what it meant.
    let got = fetch(&f, &server.url("/moved")).await;
    assert_eq!(class(&got), (FetchStatus::Ok, String::new()), "{:?}", got.outcome);
    assert_eq!(got.outcome.final_url, server.url("/%B1%A8%B8%E6.html"));
    assert!(server.requests().contains(&"/%B1%A8%B8%E6.html".to_string()));

    let got = fetch(&f, &server.url("/nowhere")).await;
    assert_eq!(class(&got), failed("redirect"), "{:?}", got.outcome);
    assert!(
        got.outcome.error_message.contains("no Location"),
        "{}",
        got.outcome.error_message
    );
}

#[tokio::test]
async fn urls_longer_than_the_limit_are_refused_before_connecting() {
    let server = server_on(
        "127.0.0.1",
        answer(|target, mut conn| async move {
            let response = match target.strip_prefix("/to-long") {
                Some(_) => {
                    let location = format!("Location: /search?q={}", "x".repeat(100_000));
                    head("302 Found", &[location.as_bytes(), b"Content-Length: 0"])
                }
                None => [head("200 OK", &[b"Content-Length: 2"]), b"ok".to_vec()].concat(),
            };
            conn.send(&response).await;
        }),
    )
    .await;
    let f = fetcher(&["127.0.0.1/32"], Duration::from_secs(10));
    let base = server.url("/");
    let at_limit = format!("{base}{}", "a".repeat(MAX_URL_BYTES - base.len()));
    let got = fetch(&f, &at_limit).await;
    assert_eq!(
        class(&got),
        (FetchStatus::Ok, String::new()),
        "a URL at the limit is fetched"
    );
    assert_eq!(server.accepts.load(Ordering::SeqCst), 1);

    for url in [
        format!("{at_limit}b"),
        format!("{base}search?q={}", "x".repeat(100_000)),
    ] {
        let got = fetch(&f, &url).await;
        assert_eq!(class(&got), refused("url_too_long"), "{:?}", got.outcome.error_message);
        assert!(got.outcome.error_message.len() < 200, "{}", got.outcome.error_message);
    }
    assert_eq!(server.accepts.load(Ordering::SeqCst), 1, "no connection for a long URL");

    let got = fetch(&f, &server.url("/to-long")).await;
    assert_eq!(class(&got), failed("redirect"), "{:?}", got.outcome.error_message);
    assert!(got.outcome.error_message.contains("-byte limit"));
    assert_eq!(server.requests().len(), 2, "the long hop was not requested");
}
