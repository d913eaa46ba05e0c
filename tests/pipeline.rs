//! End to end over real NATS: a private nats-server, the simulated township
//! portals on loopback HTTP, all five workers, SQLite. Every report in the
//! portals yields exactly one new-report event with the right township and
//! year; a second round over unchanged portals announces nothing; poison is
//! dead-lettered while the crawl completes.

mod common;
#[path = "common/web.rs"]
mod web;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use common::{events, politeness_holds, run_args};
use townreports::run::Pipeline;
use townreports_bus::embedded::NatsServerProcess;
use townreports_bus::{NatsOptions, Publish, Shutdown};
use townreports_proto::topology::{self as names, HEADER_ERROR_CLASS, STREAM_DLQ};
use townreports_proto::v1::ReportEvent;
use townreports_store::Store;

/// What `townreports export` prints for `data_dir`, keyed by report id:
/// the content and its sources (times of storage aside).
async fn exported(data_dir: &Path) -> BTreeMap<String, (String, Vec<String>)> {
    let mut out = Vec::new();
    townreports::export::export_to(data_dir, &mut out).await.unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|line| {
            let record: townreports_proto::v1::ReportRecord = serde_json::from_str(line).unwrap();
            let mut sources: Vec<String> = record.sources.iter().filter_map(|s| s.url.clone()).collect();
            sources.sort();
            (record.id, (record.content_sha256, sources))
        })
        .collect()
}

/// Every record the store of `data_dir` holds, by id, as protobuf bytes.
async fn stored_records(data_dir: &Path) -> BTreeMap<String, Vec<u8>> {
    use prost::Message;
    let store = Store::open_sqlite(&townreports_store::sqlite_path(data_dir))
        .await
        .unwrap();
    let records = store.records().await.unwrap();
    store.close().await;
    records.into_iter().map(|r| (r.id.clone(), r.encode_to_vec())).collect()
}

/// `text` percent-encoded for a URL fragment segment.
fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_announces_every_report_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = NatsServerProcess::start(&dir.path().join("nats")).await.unwrap();
    let portals = townreports_portals::start().await.unwrap();
    let sites = dir.path().join("sites.toml");
    std::fs::write(&sites, portals.sites_toml("0s")).unwrap();
    let data = dir.path().join("data");
    let shutdown = Shutdown::new();

    // Round one, with a poison message thrown into the parser's queue.
    let mut pipeline = Pipeline::start(&run_args(&sites, &data, &server.url(), true), &shutdown)
        .await
        .unwrap();
    let bus = townreports_bus::testing::client(&server.url()).await;
    bus.publish(&Publish {
        subject: names::SUBJECT_PAGES_FETCHED.into(),
        payload: bytes::Bytes::from_static(b"\xff\xfe not protobuf"),
        msg_id: "poison-1".into(),
        headers: Default::default(),
    })
    .await
    .unwrap();
    pipeline.wait_drained(&shutdown).await.unwrap();
    let summary = pipeline.stop().await.unwrap();

    let not_found: Vec<String> = portals
        .request_log()
        .iter()
        .filter(|r| r.status == 404)
        .map(|r| format!("{} {}", r.portal, r.path))
        .collect();
    assert!(
        not_found.is_empty(),
        "the crawl followed only links that exist: {not_found:?}"
    );
    politeness_holds(&portals.request_log(), Duration::ZERO);
    let expected = portals.expected_reports();
    assert!(expected.len() >= 5, "the portals hold at least five reports");
    assert_eq!(summary.reports_new as usize, expected.len(), "{summary:?}");
    // A copy from a better source may update a report once (the DOCX beside its page).
    let copies = expected.iter().filter(|r| !r.also_at.is_empty()).count();
    assert!(
        (expected.len()..=expected.len() + copies).contains(&(summary.events_published as usize)),
        "{summary:?}"
    );
    assert_eq!(
        summary.errors.get("fetch:redirect"),
        Some(&2),
        "a loop and a private target: {summary:?}"
    );
    assert_eq!(
        summary.errors.get("fetch:too_large"),
        Some(&2),
        "a huge page and a bomb: {summary:?}"
    );
    assert_eq!(summary.errors.get("parser:decode"), Some(&1), "{summary:?}");

    let got: Vec<(String, ReportEvent)> = events(&bus)
        .await
        .into_iter()
        .filter(|(subject, _)| subject.starts_with("townreports.reports.new."))
        .collect();
    assert_eq!(got.len(), expected.len());
    let mut by_url: BTreeMap<String, &ReportEvent> = BTreeMap::new();
    for (subject, event) in &got {
        let record = event.record.as_ref().unwrap();
        let url = record.source.as_ref().and_then(|s| s.url.clone()).unwrap();
        assert!(subject.starts_with("townreports.reports.new."), "{subject}");
        assert!(subject.ends_with(&record.id), "{subject}");
        assert!(by_url.insert(url, event).is_none(), "one event per report");
    }
    for report in &expected {
        let event = std::iter::once(&report.url)
            .chain(&report.also_at)
            .find_map(|url| by_url.get(url))
            .unwrap_or_else(|| panic!("no event for {} ({got:#?})", report.url));
        let record = event.record.as_ref().unwrap();
        let division = record.division.clone().unwrap_or_default();
        if let Some(township) = &report.township {
            assert_eq!(division.township.as_ref(), Some(township), "{}", report.url);
        }
        if let Some(code) = &report.division_code {
            let subject_code = got
                .iter()
                .find(|(_, e)| e.report_id == record.id)
                .unwrap()
                .0
                .split('.')
                .nth(6)
                .unwrap()
                .to_string();
            assert_eq!(&subject_code, code, "the subject carries the township code");
        }
        assert_eq!(record.review_year, report.review_year, "{}", report.url);
        assert_eq!(record.is_report, Some(true));
    }

    // The dead letter says why.
    let dlq = bus.jetstream().get_stream(STREAM_DLQ).await.unwrap();
    let letter = dlq.get_raw_message(1).await.unwrap();
    assert_eq!(letter.headers.get(HEADER_ERROR_CLASS).unwrap().as_str(), "decode");

    // `townreports status` shows what happened per site.
    let status = townreports::status::read(
        &townreports::status::CrawlArgs {
            data_dir: data.clone(),
            nats: NatsOptions::with_url(server.url()),
        },
        &Shutdown::new(),
    )
    .await
    .unwrap();
    let faults = &status.sites[townreports_portals::faults::ID];
    assert_eq!(faults.blocked, 1, "the 412 challenge: {faults:?}");
    assert!(
        faults.blocked_by.keys().all(|reason| reason.contains("412")),
        "the reason is kept: {faults:?}"
    );
    assert_eq!(faults.disallowed, 1, "robots.txt: {faults:?}");
    // Every attachment format read, the broken old .doc not, the scan image-only.
    assert_eq!(faults.unsupported, [("doc".to_string(), 1)].into(), "{faults:?}");
    assert_eq!(faults.image_only, [("pdf".to_string(), 1)].into(), "{faults:?}");
    for format in ["pdf", "docx", "doc", "wps", "ofd", "xlsx", "rtf"] {
        assert_eq!(faults.attachments_read.get(format), Some(&1), "{format}: {faults:?}");
    }
    assert_eq!(faults.failed_by_class.get("too_large"), Some(&2), "{faults:?}");
    assert_eq!(status.reports_by_site[townreports_portals::faults::ID], 5);
    assert!(status.queues.iter().all(|(_, n)| *n == 0), "{:?}", status.queues);
    // The frontier's status index holds every URL the bucket holds, site by site.
    let index = Store::open_sqlite(&townreports_store::sqlite_path(&data))
        .await
        .unwrap();
    let indexed: BTreeMap<String, usize> = index
        .frontier_sites()
        .await
        .unwrap()
        .into_iter()
        .map(|(site, n)| (site, n as usize))
        .collect();
    let known: BTreeMap<String, usize> = status.sites.iter().map(|(site, s)| (site.clone(), s.known)).collect();
    assert_eq!(indexed, known);
    index.close().await;

    // The archive replays to the same records without fetching.
    let replayed = dir.path().join("replayed");
    let replay = townreports::reprocess::reprocess(&townreports::reprocess::ReprocessArgs {
        data_dir: data.clone(),
        out_dir: replayed.clone(),
    })
    .await
    .unwrap();
    assert_eq!(replay.unsupported, 2, "the old .doc and the scan: {replay:?}");
    let live = exported(&data).await;
    assert_eq!(exported(&replayed).await, live, "{replay:?}");
    // Record for record, byte for byte: reprocess reads a response through
    // the same library calls as the parser and extractor workers.
    assert!(
        stored_records(&replayed).await == stored_records(&data).await,
        "reprocess and the crawl stored different records"
    );
    assert_eq!(live.len(), expected.len());

    // Round two over unchanged portals: nothing new, nothing announced.
    let mut pipeline = Pipeline::start(&run_args(&sites, &data, &server.url(), true), &shutdown)
        .await
        .unwrap();
    pipeline.wait_drained(&shutdown).await.unwrap();
    let again = pipeline.stop().await.unwrap();
    assert_eq!((again.reports_new, again.events_published), (0, 0), "{again:?}");
    assert!(again.pages_fetched > 0, "the lists were revisited");
    assert_eq!(events(&bus).await.len() as u64, summary.events_published);

    // The records are in SQLite.
    let store = Store::open_sqlite(&townreports_store::sqlite_path(&data))
        .await
        .unwrap();
    assert_eq!(store.count().await.unwrap() as usize, expected.len());
    let records = store.records().await.unwrap();
    store.close().await;
    // A report published as a DOC, RTF, WPS, OFD or XLSX attachment is
    // stored with its township, kind and figures, the file among its sources.
    for file in [
        "/files/m11.doc",
        "/files/m11.rtf",
        "/files/m04.wps",
        "/files/m03.ofd",
        "/files/m10.xlsx",
    ] {
        let record = records
            .iter()
            .find(|r| {
                r.source
                    .iter()
                    .chain(&r.sources)
                    .any(|s| s.url.as_deref().is_some_and(|u| u.ends_with(file)))
            })
            .unwrap_or_else(|| panic!("no report from {file}"));
        let division = record.division.clone().unwrap_or_default();
        assert!(
            division.code.is_some() && record.doc_type.is_some(),
            "{file}: {record:?}"
        );
        assert!(!record.metrics.is_empty(), "{file}: no figures in {}", record.text);
    }
    // The report that exists only as attachments of a page without a body of
    // its own takes that page's metadata: publisher and date from its
    // disclosure block, and the page it was found on in its source.
    let gwr = records
        .iter()
        .find(|r| {
            r.source
                .as_ref()
                .and_then(|s| s.url.as_deref())
                .is_some_and(|u| u.contains("/files/m11."))
        })
        .expect("the work report read from its attachments");
    let source = gwr.source.clone().unwrap_or_default();
    let disclosed = |label: &str| {
        townreports_portals::faults::GWR_DISCLOSURE
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, v)| v.to_string())
    };
    assert_eq!(source.publisher, disclosed("发布机构"), "{source:?}");
    assert_eq!(source.published_date, disclosed("发布日期"), "{source:?}");
    assert!(
        source.found_on.as_deref().is_some_and(|u| u.ends_with("/art/gwr.html")),
        "{source:?}"
    );

    // What users touch: the panel CSV in pandas, a report page in a browser.
    let api = web::serve_api(&data, Some(NatsOptions::with_url(server.url()))).await;
    // The per-site statistics `status` printed, from the API.
    let sites: BTreeMap<String, serde_json::Value> = reqwest::get(format!("{api}/api/sites"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let faults_api = &sites[townreports_portals::faults::ID];
    assert_eq!(faults_api["image_only"], serde_json::json!({"pdf": 1}), "{faults_api}");
    assert_eq!(faults_api["unsupported"], serde_json::json!({"doc": 1}), "{faults_api}");
    for format in ["pdf", "docx", "doc", "wps", "ofd", "xlsx", "rtf"] {
        assert_eq!(faults_api["attachments_read"][format], 1, "{format}: {faults_api}");
    }
    let csv_path = dir.path().join("metrics.csv");
    let csv = reqwest::get(format!("{api}/api/metrics.csv")).await.unwrap();
    assert_eq!(csv.status(), 200);
    std::fs::write(&csv_path, csv.bytes().await.unwrap()).unwrap();
    let pandas = web::pandas_summary(&csv_path);
    assert_eq!(
        pandas["columns"],
        serde_json::json!(townreports_api::export::METRIC_COLUMNS)
    );
    let metrics: usize = records.iter().map(|r| r.metrics.len()).sum();
    assert!(metrics > 20, "the demo crawl states figures");
    assert_eq!(pandas["rows"], metrics, "{pandas}");
    assert_eq!(pandas["dtypes"]["value"], "float64", "{pandas}");
    assert_eq!(pandas["dtypes"]["value_normalized"], "float64", "{pandas}");
    let value_sum: f64 = records.iter().flat_map(|r| &r.metrics).filter_map(|m| m.value).sum();
    let read = pandas["value_sum"].as_f64().unwrap();
    assert!(
        (read - value_sum).abs() <= value_sum.abs() * 1e-9,
        "{read} vs {value_sum}"
    );

    let report = records.iter().max_by_key(|r| r.metrics.len()).unwrap();
    let page = format!("{api}/#/report/{}", report.id);
    let dom = String::from_utf8(web::chromium(&page, &["--dump-dom"]).await.stdout).unwrap();
    assert!(dom.contains("data-ready=\"yes\""), "the page finished rendering");
    let marks = dom.matches("<mark class=\"metric").count();
    assert!(
        marks * 2 >= report.metrics.len() && marks <= report.metrics.len(),
        "{marks} highlights for {} metrics",
        report.metrics.len()
    );
    let first = &report.metrics[0];
    assert!(dom.contains(&format!("data-name=\"{}\"", first.name)), "{}", first.name);
    let shot = dir.path().join("report.png");
    web::chromium(&page, &[&format!("--screenshot={}", shot.display())]).await;
    let highlighted = web::pixels_of(&shot, [0xff, 0xe0, 0x8a]);
    assert!(
        highlighted > 500,
        "the screenshot shows highlighted metrics ({highlighted} pixels)"
    );

    // A township's indicator over the years, drawn as a chart.
    let (code, indicator) = records
        .iter()
        .filter_map(|r| {
            let code = r.division.as_ref()?.code.clone().filter(|c| c.len() >= 9)?;
            let m = r.metrics.iter().find(|m| m.kind == "actual" && m.value.is_some())?;
            Some((code, m.name.clone()))
        })
        .next()
        .expect("a located report with an actual figure");
    let years: std::collections::BTreeSet<i32> = records
        .iter()
        .filter(|r| r.division.as_ref().and_then(|d| d.code.as_deref()) == Some(code.as_str()))
        .flat_map(|r| {
            r.metrics
                .iter()
                .filter(|m| m.kind == "actual" && m.name == indicator && m.value.is_some())
                .filter_map(move |m| m.year.or(r.review_year))
        })
        .collect();
    let chart = format!("{api}/#/chart/{code}/{}", url_escape(&indicator));
    let dom = String::from_utf8(web::chromium(&chart, &["--dump-dom"]).await.stdout).unwrap();
    assert!(dom.contains("id=\"chart\""), "{chart}: no chart drawn");
    assert_eq!(
        dom.matches("class=\"point\"").count(),
        years.len(),
        "{chart}: one point per year {years:?}"
    );

    portals.shutdown().await;
    server.terminate().await;
}
