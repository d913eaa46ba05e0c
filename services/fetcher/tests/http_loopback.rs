//! The fetcher against a real HTTP server on loopback. Every target is on
//! 127.0.0.0/8, so even a broken guard could only ever reach this machine.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use townreports_fetcher::http::Fetcher;
use townreports_proto::v1::{FetchJob, FetchStatus};
use townreports_sites::FetchSettings;

async fn serve() -> (String, Arc<AtomicUsize>) {
    let flaky_hits = Arc::new(AtomicUsize::new(0));
    let hits = flaky_hits.clone();
    let app = Router::new()
        .route(
            "/page",
            get(|| async {
                (
                    [
                        (header::ETAG, "\"v1\""),
                        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    ],
                    "<p>镇政府工作报告</p>",
                )
            }),
        )
        .route(
            "/conditional",
            get(|headers: HeaderMap| async move {
                if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == "\"v1\"") {
                    StatusCode::NOT_MODIFIED.into_response()
                } else {
                    ([(header::ETAG, "\"v1\"")], "body").into_response()
                }
            }),
        )
        .route("/big", get(|| async { "x".repeat(10_000) }))
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .route(
            "/flaky",
            get(move || {
                let hits = hits.clone();
                async move {
                    if hits.fetch_add(1, Ordering::SeqCst) == 0 {
                        StatusCode::INTERNAL_SERVER_ERROR.into_response()
                    } else {
                        "ok".into_response()
                    }
                }
            }),
        )
        .route("/always500", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .route(
            "/challenge",
            get(|| async { (StatusCode::PRECONDITION_FAILED, "<script>$_ts=window['$_ts'];</script>") }),
        )
        .route("/loop-a", get(|| async { Redirect::temporary("/loop-b") }))
        .route("/loop-b", get(|| async { Redirect::temporary("/loop-a") }))
        .route(
            "/chain/{n}",
            get(|axum::extract::Path(n): axum::extract::Path<u32>| async move {
                Redirect::temporary(&format!("/chain/{}", n + 1))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://127.0.0.1:{port}"), flaky_hits)
}

fn settings(allow: &[&str]) -> FetchSettings {
    FetchSettings {
        allow_private_networks: allow.iter().map(|n| n.parse().unwrap()).collect(),
        max_body: 5_000,
        timeout: Duration::from_secs(10),
        ..Default::default()
    }
}

fn job(url: String) -> FetchJob {
    FetchJob {
        url,
        site_id: "t".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn fetches_pages_and_honours_conditional_get() {
    let (base, _) = serve().await;
    let f = Fetcher::new(&settings(&["127.0.0.1/32"])).unwrap();
    let got = f.fetch(&job(format!("{base}/page"))).await;
    assert_eq!(got.outcome.status, FetchStatus::Ok as i32);
    assert_eq!(got.outcome.etag, "\"v1\"");
    assert!(String::from_utf8_lossy(&got.page.unwrap().body).contains("工作报告"));

    let mut again = job(format!("{base}/conditional"));
    again.etag = "\"v1\"".into();
    let got = f.fetch(&again).await;
    assert_eq!(got.outcome.status, FetchStatus::NotModified as i32);
    assert!(got.page.is_none(), "a 304 costs nothing downstream");
}

#[tokio::test]
async fn failures_are_classified() {
    let (base, flaky) = serve().await;
    let f = Fetcher::new(&settings(&["127.0.0.1/32"])).unwrap();
    let status = |o: &townreports_fetcher::http::Fetched| {
        (
            FetchStatus::try_from(o.outcome.status).unwrap(),
            o.outcome.error_class.clone(),
        )
    };

    assert_eq!(
        status(&f.fetch(&job(format!("{base}/missing"))).await),
        (FetchStatus::NotFound, "not_found".into())
    );
    assert_eq!(
        status(&f.fetch(&job(format!("{base}/big"))).await),
        (FetchStatus::Refused, "too_large".into())
    );
    assert_eq!(
        status(&f.fetch(&job(format!("{base}/challenge"))).await),
        (FetchStatus::Blocked, "blocked".into())
    );
    assert_eq!(
        status(&f.fetch(&job(format!("{base}/loop-a"))).await),
        (FetchStatus::Failed, "redirect".into())
    );
    assert_eq!(
        status(&f.fetch(&job(format!("{base}/chain/0"))).await),
        (FetchStatus::Failed, "redirect".into())
    );
    // One 500 then success: retried within the job.
    assert_eq!(
        status(&f.fetch(&job(format!("{base}/flaky"))).await),
        (FetchStatus::Ok, String::new())
    );
    assert_eq!(flaky.load(Ordering::SeqCst), 2);
    assert_eq!(
        status(&f.fetch(&job(format!("{base}/always500"))).await),
        (FetchStatus::Failed, "http_5xx".into())
    );
}

#[tokio::test]
async fn internal_targets_are_refused_unless_allowed() {
    let (base, _) = serve().await;
    // Nothing allowed: a loopback literal and a name resolving to loopback
    // are both refused.
    let strict = Fetcher::new(&settings(&[])).unwrap();
    let port = base.rsplit(':').next().unwrap().to_string();
    for url in [format!("{base}/page"), format!("http://localhost:{port}/page")] {
        let got = strict.fetch(&job(url.clone())).await;
        assert_eq!(
            got.outcome.status,
            FetchStatus::Refused as i32,
            "{url}: {:?}",
            got.outcome
        );
        assert_eq!(got.outcome.error_class, "private_address");
    }
    // Only 127.0.0.1 allowed: a redirect to another loopback address is refused.
    let hop_port = port.clone();
    let app = Router::new().route(
        "/hop",
        get(move || {
            let port = hop_port.clone();
            async move { Redirect::temporary(&format!("http://127.0.0.2:{port}/page")) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hop = format!("http://127.0.0.1:{}/hop", listener.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let narrow = Fetcher::new(&settings(&["127.0.0.1/32"])).unwrap();
    let got = narrow.fetch(&job(hop)).await;
    assert_eq!(got.outcome.status, FetchStatus::Failed as i32, "{:?}", got.outcome);
    assert_eq!(got.outcome.error_class, "redirect");
    assert!(
        got.outcome.error_message.contains("loopback"),
        "{}",
        got.outcome.error_message
    );
}
