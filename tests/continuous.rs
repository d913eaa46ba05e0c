//! A continuous crawl (lists revisited every 2 s, articles rechecked every
//! 3 s) over the simulated portals: a report published while it runs is
//! announced within one revisit interval, and an edited report is announced
//! as an update of the same report, never as a second one, saying what
//! changed. A durable `townreports subscribe`, stopped mid-crawl and
//! started again, ends with every event exactly once. The scheduler holds
//! only a one-second due window in memory meanwhile.

mod common;

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{events, run_args};
use townreports::run::Pipeline;
use townreports_bus::embedded::NatsServerProcess;
use townreports_bus::{Bus, Shutdown};
use townreports_portals::Document;
use townreports_proto::v1::ReportEvent;

/// The configured list revisit; the adaptive schedule stretches an
/// unchanged list to at most 8 times this.
const REVISIT: Duration = Duration::from_secs(2);
/// Fetching, parsing, extracting and indexing after the list is revisited.
const SLACK: Duration = Duration::from_secs(15);

/// Polls until `found` holds for some event, at most `within`; returns how long it took.
async fn wait_for(bus: &Bus, within: Duration, found: impl Fn(&str, &ReportEvent) -> bool) -> Duration {
    let start = Instant::now();
    while start.elapsed() < within {
        if events(bus).await.iter().any(|(s, e)| found(s, e)) {
            return start.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!(
        "no such event within {within:?}: {:#?}",
        events(bus).await.iter().map(|(s, _)| s).collect::<Vec<_>>()
    );
}

/// `townreports subscribe --durable NAME` as a child process, its output
/// lines collected as they come.
struct Subscriber {
    child: tokio::process::Child,
    lines: Arc<Mutex<Vec<String>>>,
    reader: tokio::task::JoinHandle<()>,
}

impl Subscriber {
    fn start(nats_url: &str, durable: &str, extra: &[&str]) -> Subscriber {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_townreports"))
            .args(["subscribe", "--nats-url", nats_url, "--durable", durable])
            .args(extra)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().unwrap();
        let collected = lines.clone();
        let reader = tokio::spawn(async move {
            use tokio::io::AsyncBufReadExt;
            let mut reader = tokio::io::BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                collected.lock().unwrap().push(line);
            }
        });
        Subscriber { child, lines, reader }
    }

    fn printed(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    /// Waits (at most `within`) for it to exit 0; returns what it printed.
    async fn finish(mut self, within: Duration) -> Vec<ReportEvent> {
        let status = tokio::time::timeout(within, self.child.wait())
            .await
            .expect("the subscriber exits")
            .unwrap();
        assert!(status.success(), "subscriber exited with {status}");
        self.reader.await.unwrap();
        let lines = self.lines.lock().unwrap().clone();
        lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

fn event_key(e: &ReportEvent) -> (String, i64, i32) {
    (e.report_id.clone(), e.version, e.kind)
}

fn source_url(event: &ReportEvent) -> String {
    event
        .record
        .as_ref()
        .and_then(|r| r.source.as_ref())
        .and_then(|s| s.url.clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_and_edited_reports_are_announced_within_a_revisit() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = NatsServerProcess::start(&dir.path().join("nats")).await.unwrap();
    let portals = townreports_portals::start().await.unwrap();
    let sites = dir.path().join("sites.toml");
    std::fs::write(&sites, portals.sites_toml_every("0s", "2s", "3s")).unwrap();
    let shutdown = Shutdown::new();
    let mut args = run_args(&sites, &dir.path().join("data"), &server.url(), false);
    // A one-second due window: fetched articles (rechecked every 3 s) leave
    // memory for the status index and come back when due, and every list
    // revisit links them again, so what follows holds across evictions.
    args.memory.due_window = Duration::from_secs(1);
    let pipeline = Pipeline::start(&args, &shutdown).await.unwrap();
    let bus = townreports_bus::testing::client(&server.url()).await;

    // A durable subscriber, stopped (SIGTERM) once it has printed an event.
    let first = Subscriber::start(&server.url(), "watcher", &[]);
    let start = Instant::now();
    while first.printed() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the subscriber printed nothing"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = first.child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let first = first.finish(Duration::from_secs(10)).await;

    // The first pass announces what is there.
    let expected = portals.expected_reports();
    let start = Instant::now();
    while events(&bus).await.len() < expected.len() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the first pass did not finish"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // A report published now is announced within one revisit interval.
    let body = [
        "2024年，棉竹镇在区委、区政府的坚强领导下，坚持稳中求进工作总基调，全力推动经济社会高质量发展，各项工作取得新成效。",
        "一、经济运行稳中向好。全年完成地区生产总值8.6亿元，同比增长5.8%；完成固定资产投资2.1亿元；农村居民人均可支配收入达到21350元，增长6.5%。",
        "二、乡村振兴扎实推进。粮食播种面积稳定在3.2万亩，新建高标准农田5000亩，培育家庭农场12家，新建村级道路11公里。",
        "三、民生保障持续改善。新增城镇就业320人，发放各类救助资金460万元，完成农村危房改造36户，新建村卫生室2个。",
    ]
    .map(String::from)
    .to_vec();
    let url = portals
        .publish(
            "trs-town",
            Document {
                id: 0,
                title: "棉竹镇2024年工作总结".into(),
                date: "2025-01-10 09:00".into(),
                publisher: Some("市中区棉竹镇".into()),
                source: None,
                views: None,
                body,
                expect: None,
            },
        )
        .unwrap();
    let took = wait_for(&bus, REVISIT * 8 + SLACK, |subject, e| {
        subject.starts_with("townreports.reports.new.") && source_url(e) == url
    })
    .await;
    eprintln!("published report announced after {took:?}");
    let record = events(&bus)
        .await
        .into_iter()
        .find(|(_, e)| source_url(e) == url)
        .unwrap()
        .1
        .record
        .unwrap();
    assert_eq!(
        (record.review_year, record.doc_type.as_deref()),
        (Some(2024), Some("work_summary"))
    );

    // An edited report: an update of the same report.
    let (edited_url, original) = portals
        .documents("trs-town")
        .into_iter()
        .find(|(_, d)| d.expect.is_some())
        .unwrap();
    let id = events(&bus)
        .await
        .into_iter()
        .find(|(_, e)| source_url(e) == edited_url)
        .unwrap()
        .1
        .report_id;
    let mut body = original.body.clone();
    body.push("（本报告于2024年9月根据镇人大主席团意见修订。）".into());
    assert!(portals.edit(&edited_url, body));
    wait_for(&bus, Duration::from_secs(3) + REVISIT * 8 + SLACK, |subject, e| {
        subject.starts_with("townreports.reports.updated.") && e.report_id == id
    })
    .await;
    let all = events(&bus).await;
    let new_for_it = all
        .iter()
        .filter(|(s, e)| s.starts_with("townreports.reports.new.") && e.report_id == id)
        .count();
    assert_eq!(new_for_it, 1, "an edit is not a second report");
    let updated = all
        .iter()
        .find(|(s, e)| s.starts_with("townreports.reports.updated.") && e.report_id == id)
        .unwrap();
    assert_eq!(updated.1.version, 2);
    // What changed, from the stored versions: the text, by the edit.
    assert!(
        updated.1.changed.contains(&"text".to_string()),
        "{:?}",
        updated.1.changed
    );
    assert!(
        updated
            .1
            .changes
            .iter()
            .any(|c| c.field == "text" && c.change == "changed")
    );

    // The subscriber started again under its durable name gets the rest:
    // with what it printed before, every event exactly once.
    let second = Subscriber::start(&server.url(), "watcher", &["--idle-exit", "4s"])
        .finish(Duration::from_secs(60))
        .await;
    eprintln!(
        "subscriber: {} events before its stop, {} after",
        first.len(),
        second.len()
    );
    assert!(!first.is_empty() && !second.is_empty());
    let mut seen: Vec<_> = first.iter().chain(&second).map(event_key).collect();
    seen.sort();
    let mut published: Vec<_> = all.iter().map(|(_, e)| event_key(e)).collect();
    published.sort();
    assert_eq!(seen, published, "every event once, none twice");
    assert!(
        pipeline.frontier_evictions().await > 0,
        "articles left memory meanwhile (a one-second due window)"
    );

    shutdown.trigger();
    pipeline.stop().await.unwrap();
    portals.shutdown().await;
    server.terminate().await;
}
