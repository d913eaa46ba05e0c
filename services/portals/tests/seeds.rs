//! The report pages say what the seed texts say: every line of a seed,
//! body and chrome alike (info bars, login walls, QR captions), appears on
//! its page in the seed's order, typos and garbling included. Only the
//! aggregator's absolute link to its real host differs.

mod common;

use common::{get, squeeze, visible_text};

/// Which seed each portal's report was scraped as.
const SEEDS: &[(&str, &str)] = &[
    (
        "trs-town",
        include_str!("../../../tests/corpus/seeds/000_e491edef44edf727.txt"),
    ),
    (
        "docshare-a",
        include_str!("../../../tests/corpus/seeds/001_6af4c3e8daa2399a.txt"),
    ),
    (
        "hanweb-town",
        include_str!("../../../tests/corpus/seeds/002_d8f1d79376eff192.txt"),
    ),
    (
        "docshare-b",
        include_str!("../../../tests/corpus/seeds/003_1e60186514b3aaad.txt"),
    ),
    (
        "handan-town",
        include_str!("../../../tests/corpus/seeds/004_3cf7a1d2bf17f376.txt"),
    ),
];

#[tokio::test]
async fn every_seed_line_is_on_its_page_in_order() {
    let portals = townreports_portals::start().await.unwrap();
    let client = reqwest::Client::new();
    for (site_id, seed) in SEEDS {
        let report = portals
            .expected_reports()
            .into_iter()
            .find(|r| r.site_id == *site_id)
            .unwrap_or_else(|| panic!("{site_id} serves a report"));
        let page = get(&client, &report.url).await;
        let text = squeeze(&visible_text(&page.html));
        let mut from = 0;
        for line in seed.lines().map(squeeze).filter(|l| !l.is_empty()) {
            if line.contains("http://") {
                continue;
            }
            match text[from..].find(&line) {
                Some(at) => from += at + line.len(),
                None => panic!("{site_id}: {line:?} is missing or out of order on {}", report.url),
            }
        }
    }
    portals.shutdown().await;
}

#[tokio::test]
async fn report_bodies_are_the_seed_bodies_unchanged() {
    let portals = townreports_portals::start().await.unwrap();
    for (site_id, seed) in SEEDS {
        let seed_lines: Vec<String> = seed
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        let (_, report) = portals
            .documents(site_id)
            .into_iter()
            .find(|(_, d)| d.expect.is_some())
            .unwrap();
        let body = report.body;
        let found = seed_lines.windows(body.len()).any(|w| w == body.as_slice());
        assert!(found, "{site_id}: the body is a run of the seed's lines");
    }
    portals.shutdown().await;
}
