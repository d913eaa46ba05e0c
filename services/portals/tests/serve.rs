//! The portals over real loopback HTTP: every list page and its pagination,
//! every expected report, the GBK portal, robots.txt, the request log.

use std::collections::BTreeSet;

fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn portals_serve_lists_reports_and_chrome() {
    let portals = townreports_portals::start().await.unwrap();
    let client = reqwest::Client::new();
    assert!(portals.sites().len() >= 5);

    // Walk every portal: list pages through their pagers, then articles.
    let mut articles = BTreeSet::new();
    for site in portals.sites() {
        let robots = client
            .get(format!("{}/robots.txt", site.base_url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(robots.contains("Disallow: /admin/"));
        let mut pages = vec![site.start_urls[0].clone()];
        let mut seen = BTreeSet::new();
        while let Some(url) = pages.pop() {
            if !seen.insert(url.clone()) || seen.len() > 20 {
                continue;
            }
            let response = client.get(&url).send().await.unwrap();
            assert_eq!(response.status(), 200, "{url}");
            let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
            let bytes = response.bytes().await.unwrap();
            let html = if content_type.contains("gb2312") {
                encoding_rs::GBK.decode(&bytes).0.into_owned()
            } else {
                String::from_utf8(bytes.to_vec()).unwrap()
            };
            for href in hrefs(&html) {
                let absolute = if href.starts_with('/') {
                    format!("{}{href}", site.base_url)
                } else {
                    continue;
                };
                if href.contains("index_")
                    || href.contains("dataproxy")
                    || href.starts_with("/list/")
                    || href.contains("?page=")
                {
                    pages.push(absolute.replace("&amp;", "&"));
                } else if href.contains("/art/")
                    || href.contains("/t20")
                    || href.contains("detail_id")
                    || href.starts_with("/doc/")
                {
                    articles.insert(absolute);
                }
            }
            // TRS and Handan pagers are written by script.
            if let Some(n) = html
                .split("createPageHTML(")
                .nth(2)
                .and_then(|s| s.split(',').next())
                .and_then(|n| n.trim().parse::<usize>().ok())
            {
                for k in 1..n {
                    pages.push(format!("{}/zfxxgk/gzbg/index_{k}.html", site.base_url));
                }
            }
            if let Some(n) = html
                .split("countPage=")
                .nth(1)
                .and_then(|s| s.split(';').next())
                .and_then(|n| n.parse::<usize>().ok())
            {
                for k in 1..n {
                    pages.push(format!("{}/xxgk/gzzj/index_{k}.html", site.base_url));
                }
            }
        }
        assert!(seen.len() >= 2, "{} has at least two list pages: {seen:?}", site.id);
    }
    let expected = portals.expected_reports();
    assert_eq!(expected.len(), 5);
    for report in &expected {
        assert!(
            articles.contains(&report.url),
            "{} is linked from its lists",
            report.url
        );
    }
    assert!(
        articles.len() >= expected.len() + 10,
        "non-reports sit beside the reports: {}",
        articles.len()
    );

    // The GBK portal really is GBK.
    let gbk = expected.iter().find(|r| r.site_id == "hanweb-town").unwrap();
    let response = client.get(&gbk.url).send().await.unwrap();
    assert!(response.headers()["content-type"].to_str().unwrap().contains("gb2312"));
    let bytes = response.bytes().await.unwrap();
    assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8");
    assert!(encoding_rs::GBK.decode(&bytes).0.contains("人民代表大会"));

    let log = portals.request_log();
    assert!(log.len() >= 16, "{}", log.len());
    assert!(
        log.iter()
            .any(|r| r.path == "/robots.txt" && r.status == 200 && r.finished >= r.started)
    );
    assert!(portals.sites_toml("0s").contains("allow_private_networks"));
    portals.shutdown().await;
}
