//! The fetcher against the simulated fault portal over loopback HTTP, with
//! the settings the portals' sites file gives: each fault ends as the
//! outcome a crawl can act on. The portal's private-address redirect names
//! 10.255.0.1, which the guard refuses before any connection is made.

use std::path::Path;

use townreports_fetcher::http::Fetcher;
use townreports_portals::faults;
use townreports_proto::v1::{FetchJob, FetchOutcome, FetchStatus, PageKind};
use townreports_sites::SitesFile;

async fn fetch(fetcher: &Fetcher, base: &str, path: &str) -> (FetchOutcome, Option<Vec<u8>>) {
    let job = FetchJob {
        url: format!("{base}{path}"),
        kind: PageKind::Article as i32,
        ..Default::default()
    };
    let fetched = fetcher.fetch(&job).await;
    (fetched.outcome, fetched.page.map(|p| p.body.to_vec()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_ends_in_an_outcome_the_crawl_can_act_on() {
    let portals = townreports_portals::start().await.unwrap();
    let sites = SitesFile::parse(&portals.sites_toml("0s"), Path::new("sites.toml")).unwrap();
    let fetcher = Fetcher::new(&sites.fetch).unwrap();
    let base = portals
        .sites()
        .iter()
        .find(|s| s.id == faults::ID)
        .unwrap()
        .base_url
        .clone();

    let class = |o: &FetchOutcome| (FetchStatus::try_from(o.status).unwrap(), o.error_class.clone());

    // Slow, but answered.
    let (o, page) = fetch(&fetcher, &base, "/art/slow.html").await;
    assert_eq!(class(&o), (FetchStatus::Ok, String::new()));
    assert!(page.is_some());
    // 429 with Retry-After: 1 is waited out within the job, then served.
    let (o, page) = fetch(&fetcher, &base, "/art/busy.html").await;
    assert_eq!(class(&o), (FetchStatus::Ok, String::new()), "{o:?}");
    assert!(String::from_utf8(page.unwrap()).unwrap().contains("小港街道"));
    // Two 500s, then the page: retried with backoff.
    let (o, _) = fetch(&fetcher, &base, "/art/flaky.html").await;
    assert_eq!(class(&o), (FetchStatus::Ok, String::new()), "{o:?}");
    // A redirect loop is detected, not followed forever.
    let (o, _) = fetch(&fetcher, &base, "/art/loop-a.html").await;
    assert_eq!(class(&o), (FetchStatus::Failed, "redirect".into()), "{o:?}");
    assert!(o.error_message.contains("loop"), "{o:?}");
    // A redirect to a private address is refused.
    let (o, _) = fetch(&fetcher, &base, "/art/to-private.html").await;
    assert_eq!(o.error_class, "redirect", "{o:?}");
    assert!(o.error_message.contains("10.255.0.1"), "{o:?}");
    // An oversized body without a length, and a gzip bomb, stop at the cap.
    for path in ["/art/huge.html", "/art/bomb.html"] {
        let (o, page) = fetch(&fetcher, &base, path).await;
        assert_eq!(class(&o), (FetchStatus::Refused, "too_large".into()), "{path}: {o:?}");
        assert!(page.is_none());
    }
    // A 412 challenge is recorded as blocked, with its reason.
    let (o, _) = fetch(&fetcher, &base, "/art/challenge.html").await;
    assert_eq!(class(&o), (FetchStatus::Blocked, "blocked".into()));
    assert!(o.error_message.contains("412"), "{o:?}");
    // Attachments arrive as bytes.
    let (o, page) = fetch(&fetcher, &base, "/files/m03.pdf").await;
    assert_eq!(class(&o), (FetchStatus::Ok, String::new()));
    assert!(page.unwrap().starts_with(b"%PDF-"));

    let log = portals.request_log();
    assert!(
        log.iter().all(|r| !r.path.starts_with("/private/")),
        "nothing here asked for a disallowed path"
    );
    assert_eq!(
        log.iter().filter(|r| r.path == "/art/flaky.html").count(),
        3,
        "two failures and a success"
    );
    portals.shutdown().await;
}
