//! Site discovery end to end, over the simulated county portals (a gkmlpt
//! platform, a TRS `xxgk` tree, a home page linking to the townships' own
//! sites): a sites file listing only the three counties crawls every
//! township with a column, each report stored with its township's code
//! (金山镇 of two counties each with its own); the township with no column
//! and the name no township of its county has are reported; a township
//! put on a portal while the crawl runs is picked up, one taken off is
//! reported. `townreports discover` on each county prints entries that,
//! written to a sites file, crawl to the same reports. The coverage of the
//! simulated province is the same in the command, the API and the web grid.

mod common;
#[path = "common/web.rs"]
mod web;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use common::{run_args, until};
use townreports::run::Pipeline;
use townreports_bus::embedded::NatsServerProcess;
use townreports_bus::{Bus, NatsOptions, Shutdown};
use townreports_portals::counties::{self, CountyPortals, LATE_TOWNSHIP, MISSING_TOWNSHIP, UNRESOLVABLE};
use townreports_scheduler::frontier::SiteStats;
use townreports_scheduler::worker::site_stats_in;

/// Stored reports: URL → (division code, doc type).
async fn stored(data_dir: &Path) -> BTreeMap<String, (String, String)> {
    let mut out = Vec::new();
    if townreports::export::export_to(data_dir, &mut out).await.is_err() {
        return BTreeMap::new();
    }
    String::from_utf8(out)
        .unwrap()
        .lines()
        .flat_map(|line| {
            let record: townreports_proto::v1::ReportRecord = serde_json::from_str(line).unwrap();
            let code = record.division.and_then(|d| d.code).unwrap_or_default();
            let doc_type = record.doc_type.clone().unwrap_or_default();
            record
                .sources
                .into_iter()
                .filter_map(|s| s.url)
                .map(move |u| (u, (code.clone(), doc_type.clone())))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The reports the portals hold now, by URL, for townships with a code.
fn expected(portals: &CountyPortals) -> BTreeMap<String, (String, String)> {
    portals
        .expected_reports()
        .into_iter()
        .filter_map(|r| Some((r.url, (r.division_code?, r.doc_type))))
        .collect()
}

/// Township code → year → report types, as coverage should show them.
type Cells = BTreeMap<String, BTreeMap<i64, BTreeSet<String>>>;

fn expected_cells(portals: &CountyPortals) -> Cells {
    let mut cells = Cells::new();
    for r in portals.expected_reports() {
        let Some(code) = r.division_code else { continue };
        cells
            .entry(code)
            .or_default()
            .entry(i64::from(r.review_year))
            .or_default()
            .insert(r.doc_type);
    }
    cells
}

fn cells_of(coverage: &townreports_store::Coverage) -> Cells {
    coverage
        .townships
        .iter()
        .filter(|t| !t.reports.is_empty())
        .map(|t| {
            let years = t.reports.iter().map(|(y, types)| (*y, types.iter().cloned().collect()));
            (t.code.clone(), years.collect())
        })
        .collect()
}

/// Coverage of the simulated province through `townreports coverage`, the
/// API and the web grid, against what the portals publish.
async fn check_coverage(
    portals: &CountyPortals,
    published: &Cells,
    data: &Path,
    nats: &NatsOptions,
    shutdown: &Shutdown,
) {
    let args = townreports::coverage::CoverageArgs {
        code: "51".into(),
        csv: true,
        database_url: None,
        crawl: townreports::status::CrawlArgs {
            data_dir: data.to_path_buf(),
            nats: nats.clone(),
        },
    };
    let matrix = townreports::coverage::read(&args, shutdown).await.unwrap();
    assert_eq!(&cells_of(&matrix), published);
    let on_portals = expected_cells(portals);
    for t in &matrix.townships {
        if on_portals.contains_key(&t.code) {
            assert!(t.columns.is_some(), "{} has its columns", t.name);
        }
    }
    let missing = matrix.townships.iter().find(|t| t.code == MISSING_TOWNSHIP.1).unwrap();
    assert!(missing.columns.is_none() && missing.reports.is_empty(), "{missing:?}");
    let mut csv = Vec::new();
    townreports::coverage::write_csv(&matrix, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.lines().any(|l| l.contains(LATE_TOWNSHIP.1)), "{csv}");

    let api = web::serve_api(data, Some(nats.clone())).await;
    let body: serde_json::Value = reqwest::get(format!("{api}/api/coverage?code=51"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body,
        serde_json::to_value(&matrix).unwrap(),
        "the API gives what the command prints"
    );

    // The web grid of one county: a stored cell per township and year
    // with reports, every other cell (略坪镇's, with no column) marked missing.
    let county = townreports::coverage::CoverageArgs {
        code: "510604".into(),
        ..args
    };
    let luojiang = townreports::coverage::read(&county, shutdown).await.unwrap();
    let stored_cells: usize = luojiang.townships.iter().map(|t| t.reports.len()).sum();
    let all_cells = luojiang.townships.len() * luojiang.years.len();
    assert!(stored_cells > 0 && stored_cells < all_cells, "{luojiang:?}");
    let dom = String::from_utf8(
        web::chromium(&format!("{api}/#/coverage/510604"), &["--dump-dom"])
            .await
            .stdout,
    )
    .unwrap();
    assert!(dom.contains("id=\"coverage\""), "no grid drawn");
    assert_eq!(dom.matches("class=\"stored\"").count(), stored_cells, "{dom}");
    assert_eq!(dom.matches("class=\"missing\"").count(), all_cells - stored_cells);
    assert!(
        dom.contains(MISSING_TOWNSHIP.0),
        "the township without a column has its row"
    );
}

async fn county_stats(bus: &Bus) -> BTreeMap<String, SiteStats> {
    site_stats_in(bus).await.unwrap()
}

/// `townreports discover` on every county, as one sites file.
fn discovered_sites(portals: &CountyPortals) -> String {
    let mut toml = "[fetch]\nallow_private_networks = [\"127.0.0.0/8\"]\nmin_delay = \"0s\"\n\n".to_string();
    for county in portals.counties() {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_townreports"))
            .args([
                "discover",
                &county.start_url(),
                "--code",
                &county.division_code,
                "--id",
                &county.id,
            ])
            .args(["--allow-private-network", "127.0.0.0/8", "--min-delay", "0s"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let printed = String::from_utf8(out.stdout).unwrap();
        if county.id == "danling" {
            assert!(printed.contains(&format!("# unresolved: {UNRESOLVABLE}")), "{printed}");
        }
        if county.id == "luojiang" {
            assert!(
                printed.contains(MISSING_TOWNSHIP.0),
                "略坪镇 is reported not found: {printed}"
            );
            assert!(
                printed
                    .contains("# county 510604: 7 townships in the national table, 6 found, 6 resolved, 1 not found"),
                "{printed}"
            );
        }
        toml.push_str(&printed);
    }
    toml
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counties_alone_crawl_every_township_with_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let portals = counties::start().await.unwrap();
    let want = expected(&portals);
    assert_eq!(want.len(), 26, "13 townships with a code, two reports each: {want:#?}");

    // `discover`, written to a sites file and crawled once.
    let discovered = dir.path().join("discovered.toml");
    std::fs::write(&discovered, discovered_sites(&portals)).unwrap();
    let once_server = NatsServerProcess::start(&dir.path().join("nats-once")).await.unwrap();
    let shutdown = Shutdown::new();
    let once_data = dir.path().join("once");
    let mut pipeline = Pipeline::start(&run_args(&discovered, &once_data, &once_server.url(), true), &shutdown)
        .await
        .unwrap();
    pipeline.wait_drained(&shutdown).await.unwrap();
    pipeline.stop().await.unwrap();
    drop(once_server);
    assert_eq!(
        stored(&once_data).await,
        want,
        "discover's entries crawl to every report with its code"
    );

    // The counties alone, continuously.
    let sites = dir.path().join("counties.toml");
    std::fs::write(&sites, portals.counties_toml("0s", "2s")).unwrap();
    let server = NatsServerProcess::start(&dir.path().join("nats")).await.unwrap();
    let data = dir.path().join("data");
    let pipeline = Pipeline::start(&run_args(&sites, &data, &server.url(), false), &shutdown)
        .await
        .unwrap();
    let bus = townreports_bus::testing::client(&server.url()).await;
    until(
        "every report stored with its code",
        Duration::from_secs(120),
        async || stored(&data).await == want,
    )
    .await;
    let stats = county_stats(&bus).await;
    assert_eq!(stats["danling"].unresolved, [UNRESOLVABLE], "{:?}", stats["danling"]);
    assert_eq!(stats["danling"].not_found, [LATE_TOWNSHIP.0]);
    assert_eq!(stats["luojiang"].not_found, [MISSING_TOWNSHIP.0]);
    assert_eq!(stats["wutongqiao"].townships, 3);

    // A township put on a portal while the crawl runs; another taken off.
    assert!(portals.add_township("danling", LATE_TOWNSHIP.0, Some(LATE_TOWNSHIP.1)));
    // Coverage keeps what was stored from a township later taken off.
    let published = expected_cells(&portals);
    assert!(portals.remove_township("luojiang", "新盛镇"));
    until(
        "the late township's reports stored",
        Duration::from_secs(90),
        async || {
            stored(&data)
                .await
                .values()
                .filter(|(code, _)| code == LATE_TOWNSHIP.1)
                .count()
                == 2
        },
    )
    .await;
    until("the township taken off reported", Duration::from_secs(60), async || {
        county_stats(&bus).await["luojiang"].gone == ["新盛镇"]
    })
    .await;
    check_coverage(
        &portals,
        &published,
        &data,
        &NatsOptions::with_url(server.url()),
        &shutdown,
    )
    .await;
    pipeline.stop().await.unwrap();
    drop(server);
    portals.shutdown().await;
}
