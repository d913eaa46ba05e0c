//! The portals over real loopback HTTP, walked by a crawler that knows no
//! template: every link leads somewhere, lists paginate, every report and
//! the documents beside it are reachable from the lists, robots.txt is
//! served, the GBK portal is GBK, nothing leaks the answers, and the
//! request log saw it all.

mod common;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use common::{Fetched, disallowed, get, links, squeeze, visible_text};
use url::Url;

/// Pages of one portal by URL, walked from its start URL.
async fn walk(client: &reqwest::Client, start: &str, robots: &[String]) -> BTreeMap<String, Fetched> {
    let start = Url::parse(start).unwrap();
    let mut queue = VecDeque::from([start.clone()]);
    let mut pages = BTreeMap::new();
    while let Some(url) = queue.pop_front() {
        let key = url.to_string();
        if pages.contains_key(&key) || url.host_str() != start.host_str() || url.port() != start.port() {
            continue;
        }
        if robots.iter().any(|p| url.path().starts_with(p.as_str())) {
            continue;
        }
        assert!(pages.len() < 300, "a small portal has fewer than 300 pages");
        let page = get(client, &key).await;
        assert_eq!(page.status, 200, "{key} is linked and must exist");
        // The home page lists the latest documents; leaving it out makes
        // the lists' pagination the only way to the older ones.
        if url.path() != "/" && url.path() != "/index.html" {
            queue.extend(links(&page.html, &url));
        }
        pages.insert(key, page);
    }
    pages
}

#[tokio::test]
async fn a_plain_crawler_reaches_every_document_through_the_lists() {
    let portals = townreports_portals::start().await.unwrap();
    let client = reqwest::Client::new();
    assert!(portals.sites().len() >= 5, "one portal per seed report");
    let hosts: BTreeSet<&str> = portals.sites().iter().map(|s| s.base_url.as_str()).collect();
    assert_eq!(hosts.len(), portals.sites().len(), "each portal is its own host");

    let expected = portals.expected_reports();
    assert!(expected.len() >= 5);
    let mut fetched = 0;
    // The fault portal misbehaves on purpose (loops, 429s, an endless
    // calendar); the crawler's own tests walk it.
    for site in portals
        .sites()
        .iter()
        .filter(|s| s.id != townreports_portals::faults::ID)
    {
        let robots = get(&client, &format!("{}/robots.txt", site.base_url)).await;
        assert_eq!(robots.status, 200);
        assert!(robots.content_type.starts_with("text/plain"), "{}", robots.content_type);
        assert!(robots.html.contains("User-agent: *"));
        let robots = disallowed(&robots.html);
        assert!(
            robots.iter().any(|p| p == "/admin/"),
            "{}: an admin path is disallowed",
            site.id
        );
        let start_path = Url::parse(&site.start_urls[0]).unwrap().path().to_string();
        assert!(
            !robots.iter().any(|p| start_path.starts_with(p.as_str())),
            "the crawl is allowed"
        );

        let pages = walk(&client, &site.start_urls[0], &robots).await;
        fetched += pages.len() + 1;
        let documents = portals.documents(&site.id);
        let article_urls: BTreeSet<&str> = documents.iter().map(|(url, _)| url.as_str()).collect();
        let lists: Vec<&String> = pages
            .keys()
            .filter(|u| !article_urls.contains(u.as_str()))
            .filter(|u| {
                let path = Url::parse(u).unwrap().path().to_string();
                path != "/" && path != "/index.html"
            })
            .collect();
        assert!(lists.len() >= 2, "{}: at least two list pages: {lists:?}", site.id);

        let reports = documents.iter().filter(|(_, d)| d.expect.is_some()).count();
        let others = documents.len() - reports;
        assert!(
            reports >= 1 && others >= 2,
            "{}: a report and other documents beside it",
            site.id
        );
        for (url, doc) in &documents {
            let page = pages
                .get(url)
                .unwrap_or_else(|| panic!("{url} ({}) is reachable from the lists", doc.title));
            let text = squeeze(&visible_text(&page.html));
            assert!(text.contains(&squeeze(&doc.title)), "{url} shows its title");
            for paragraph in &doc.body {
                assert!(text.contains(&squeeze(paragraph)), "{url} shows {paragraph:?}");
            }
        }

        for (url, page) in &pages {
            no_leaks(url, &page.html, &expected);
        }
    }
    for report in expected.iter().filter(|r| r.site_id != townreports_portals::faults::ID) {
        assert!(
            portals
                .documents(&report.site_id)
                .iter()
                .any(|(url, _)| url == &report.url),
            "{} is one of its portal's documents",
            report.url
        );
    }

    let log = portals.request_log();
    assert_eq!(log.len(), fetched, "every request is logged once");
    assert!(
        log.iter()
            .all(|r| r.method == "GET" && r.status == 200 && r.finished >= r.started)
    );
    for site in portals
        .sites()
        .iter()
        .filter(|s| s.id != townreports_portals::faults::ID)
    {
        assert!(log.iter().any(|r| r.portal == site.id && r.path == "/robots.txt"));
    }
    portals.shutdown().await;
}

/// Nothing a real site would not have: no data attributes, hidden inputs or
/// hidden blocks, and no answer (division code, document type) anywhere.
fn no_leaks(url: &str, html: &str, expected: &[townreports_portals::ExpectedReport]) {
    for marker in ["data-", "type=\"hidden\"", " hidden", "display:none", "display: none"] {
        assert!(!html.contains(marker), "{url} contains {marker:?}");
    }
    for report in expected {
        assert!(!html.contains(&report.doc_type), "{url} names a document type");
        if let Some(code) = &report.division_code {
            assert!(!html.contains(code.as_str()), "{url} contains the division code {code}");
        }
    }
}

#[tokio::test]
async fn the_gbk_portal_serves_gbk_and_says_so() {
    let portals = townreports_portals::start().await.unwrap();
    let client = reqwest::Client::new();
    let report = portals
        .expected_reports()
        .into_iter()
        .find(|r| r.site_id == "hanweb-town")
        .unwrap();
    for url in [
        report.url.clone(),
        portals
            .sites()
            .iter()
            .find(|s| s.id == "hanweb-town")
            .unwrap()
            .start_urls[0]
            .clone(),
    ] {
        let page = get(&client, &url).await;
        assert_eq!(page.content_type, "text/html; charset=gb2312");
        assert!(std::str::from_utf8(&page.bytes).is_err(), "{url} is not UTF-8");
        assert!(page.html.contains("charset=gb2312"), "the page's meta agrees");
        let (_, _, malformed) = encoding_rs::GBK.decode(&page.bytes);
        assert!(!malformed, "{url} is well-formed GBK");
    }
    let page = get(&client, &report.url).await;
    assert!(page.html.contains("人民代表大会"));
    assert!(page.html.contains(&report.title));
    portals.shutdown().await;
}

#[tokio::test]
async fn unknown_and_forbidden_paths_are_answered_and_logged() {
    let portals = townreports_portals::start().await.unwrap();
    let client = reqwest::Client::new();
    let base = portals.sites()[0].base_url.clone();
    let hostile = [
        "/nope.html".to_string(),
        "/%FF%FE%00.html".to_string(),
        format!("/{}", "a/".repeat(5000)),
        "/zfxxgk/fdzdgknr/index_99999999999999999999999.html".to_string(),
        "/index/article/lists/page/-1.html".to_string(),
        "/module/web/jpage/dataproxy.jsp?page=%FF&page=2".to_string(),
        "/list/dzfw/?page=1000000".to_string(),
    ];
    for path in &hostile {
        let page = get(&client, &format!("{base}{path}")).await;
        assert_eq!(page.status, 404, "{path}");
    }
    let admin = get(&client, &format!("{base}/admin/login.jsp")).await;
    assert_eq!(admin.status, 403);
    let log = portals.request_log();
    assert_eq!(log.len(), hostile.len() + 1);
    assert_eq!(log.iter().filter(|r| r.status == 404).count(), hostile.len());
    assert!(log.iter().any(|r| r.path == "/admin/login.jsp" && r.status == 403));
    assert!(log.iter().all(|r| r.portal == portals.sites()[0].id));
    portals.shutdown().await;
}

#[tokio::test]
async fn the_sites_file_names_every_portal_for_the_crawler() {
    let portals = townreports_portals::start().await.unwrap();
    let file: toml::Table = toml::from_str(&portals.sites_toml("250ms")).unwrap();
    let fetch = file["fetch"].as_table().unwrap();
    assert_eq!(fetch["min_delay"].as_str(), Some("250ms"));
    assert_eq!(
        fetch["allow_private_networks"].as_array().unwrap()[0].as_str(),
        Some("127.0.0.0/8")
    );
    let sites = file["site"].as_array().unwrap();
    assert_eq!(sites.len(), portals.sites().len());
    for (entry, site) in sites.iter().zip(portals.sites()) {
        assert_eq!(entry["id"].as_str(), Some(site.id.as_str()));
        assert!(
            site.id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
        assert_eq!(entry["name"].as_str(), Some(site.name.as_str()));
        assert_eq!(
            entry.get("division_code").and_then(|c| c.as_str()),
            site.division_code.as_deref()
        );
        if let Some(code) = &site.division_code {
            assert!(code.len() == 9 && code.chars().all(|c| c.is_ascii_digit()), "{code}");
        }
        let start = entry["start_urls"].as_array().unwrap()[0].as_str().unwrap();
        assert_eq!(start, site.start_urls[0]);
        assert!(start.starts_with(&site.base_url));
        assert_eq!(entry["revisit"].as_str(), Some("6h"));
    }
    portals.shutdown().await;
}
