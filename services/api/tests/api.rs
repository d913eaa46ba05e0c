//! The API over real HTTP on loopback, on both databases: every documented
//! endpoint answers, results match the store, bad input gets 400/404 with
//! a message and nothing leaked, and nothing but GET is accepted.

mod common;

use common::serve;
use reqwest::StatusCode;
use townreports_proto::v1::ReportRecord;
use townreports_store::Location;

async fn get(url: &str) -> reqwest::Response {
    reqwest::get(url).await.unwrap()
}

async fn json(url: &str) -> serde_json::Value {
    let response = get(url).await;
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    response.json().await.unwrap()
}

async fn every_documented_endpoint_answers(location: Location) {
    let common::Served { addr, records } = serve(&location).await;
    let base = format!("http://{addr}");
    let report = records.iter().find(|r| r.metrics.len() > 3).unwrap();
    let openapi: serde_json::Value = serde_json::from_str(townreports_api::OPENAPI).unwrap();
    let paths = openapi["paths"].as_object().unwrap();
    assert!(paths.len() >= 8);
    for (path, item) in paths {
        assert!(item.get("get").is_some(), "{path} documents a GET");
        let mut url = format!("{base}{}", path.replace("{id}", &report.id));
        if path == "/api/coverage" {
            let county = records.iter().find_map(|r| township_code(r).get(..6).map(String::from));
            url.push_str(&format!("?code={}", county.unwrap()));
        }
        let response = get(&url).await;
        if path == "/api/sites" {
            // Only the crawl knows its sites; this server has no NATS_URL.
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{url}");
            assert!(
                item["get"]["responses"].get("503").is_some(),
                "{path} documents its 503"
            );
            continue;
        }
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let documented = item["get"]["responses"]["200"]["content"].as_object().unwrap();
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(
            documented.keys().any(|k| content_type.starts_with(k.as_str())),
            "{path}: {content_type} is not among {documented:?}"
        );
    }
}

fn township_code(r: &townreports_proto::v1::ReportRecord) -> String {
    r.division.as_ref().and_then(|d| d.code.clone()).unwrap_or_default()
}

/// Coverage of a county puts each of its stored reports in its township's
/// row under its year, and refuses a code that is no county.
async fn coverage_shows_each_stored_report(location: Location) {
    let common::Served { addr, records } = serve(&location).await;
    let base = format!("http://{addr}");
    let placed: Vec<_> = records
        .iter()
        .filter(|r| r.is_report == Some(true) && township_code(r).len() == 9 && r.review_year.is_some())
        .collect();
    assert!(!placed.is_empty());
    for r in placed {
        let code = township_code(r);
        let body: serde_json::Value = get(&format!("{base}/api/coverage?code={}", &code[..6]))
            .await
            .json()
            .await
            .unwrap();
        let row = body["townships"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["code"] == code.as_str())
            .unwrap();
        let year = r.review_year.unwrap().to_string();
        let types = row["reports"][&year].as_array().unwrap();
        assert!(types.contains(&serde_json::json!(r.doc_type)), "{code} {year}: {row}");
        assert_eq!(body["columns_known"], false);
    }
    let bad = get(&format!("{base}/api/coverage?code=123")).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

async fn answers_match_the_store(location: Location) {
    let common::Served { addr, records } = serve(&location).await;
    let base = format!("http://{addr}");
    let health = json(&format!("{base}/healthz")).await;
    assert_eq!(health["status"], "ok");

    let page = json(&format!("{base}/api/reports?q=%E6%A3%89%E7%AB%B9")).await; // 棉竹
    let ids: Vec<&str> = page["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = records
        .iter()
        .filter(|r| r.text.contains("棉竹"))
        .map(|r| r.id.as_str())
        .collect();
    assert!(!expected.is_empty());
    for id in &expected {
        assert!(ids.contains(id), "{id} not in {ids:?}");
    }

    let report = records.iter().find(|r| r.metrics.len() > 3).unwrap();
    let view = json(&format!("{base}/api/reports/{}", report.id)).await;
    assert_eq!(view["report"]["id"], report.id.as_str());
    assert_eq!(view["report"]["text"], report.text.as_str());
    assert_eq!(
        view["report"]["metrics"].as_array().unwrap().len(),
        report.metrics.len()
    );
    // Every metric's span points into the text at what it quotes.
    let chars: Vec<char> = report.text.chars().collect();
    for m in view["report"]["metrics"].as_array().unwrap() {
        let (start, end) = (
            m["span"]["start"].as_u64().unwrap() as usize,
            m["span"]["end"].as_u64().unwrap() as usize,
        );
        assert!(start < end && end <= chars.len(), "{m}");
    }
    assert_eq!(view["versions"].as_array().unwrap().len(), 1);
    let text = get(&format!("{base}/api/reports/{}/text", report.id))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(text, report.text);

    let metrics_total: usize = records.iter().map(|r| r.metrics.len()).sum();
    let csv = get(&format!("{base}/api/metrics.csv")).await.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header[..7],
        [
            "division_code",
            "province",
            "city",
            "county",
            "township",
            "year",
            "indicator"
        ]
    );
    assert_eq!(reader.records().count(), metrics_total);
    let jsonl = get(&format!("{base}/api/metrics.jsonl?kind=actual"))
        .await
        .text()
        .await
        .unwrap();
    let actual = records
        .iter()
        .flat_map(|r| &r.metrics)
        .filter(|m| m.kind == "actual")
        .count();
    assert_eq!(jsonl.lines().count(), actual);
    let all = get(&format!("{base}/api/reports.jsonl")).await.text().await.unwrap();
    let mut exported: Vec<String> = all
        .lines()
        .map(|l| serde_json::from_str::<ReportRecord>(l).unwrap().id)
        .collect();
    let mut ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
    exported.sort();
    ids.sort();
    ids.dedup();
    assert_eq!(exported, ids);
}

async fn bad_input_is_refused_and_nothing_leaks(location: Location) {
    let common::Served { addr, records } = serve(&location).await;
    let base = format!("http://{addr}");
    for (query, needle) in [
        ("/api/reports?qq=1", "unknown parameter"),
        ("/api/reports?q=a&q=b", "more than once"),
        ("/api/reports?year=twenty", "year"),
        ("/api/reports?year=99999", "year"),
        ("/api/reports?limit=100000", "limit"),
        ("/api/reports?limit=-1", "limit"),
        ("/api/reports?offset=99999999999", "offset"),
        ("/api/reports?cursor=bogus", "cursor"),
        ("/api/reports?code=51%27%20OR%20%271%27%3D%271", "code"),
        ("/api/reports?doc_type=%27%3B%20DROP%20TABLE%20reports%3B--", "doc_type"),
        ("/api/metrics.csv?kind=forecast", "kind"),
        ("/api/metrics.jsonl?limit=5", "unknown parameter"),
        ("/api/reports.jsonl?all=1", "unknown parameter"),
        ("/api/reports/a%27%20OR%201%3D1", "report id"),
        ("/api/reports/..%2F..%2Fetc%2Fpasswd", "report id"),
    ] {
        let response = get(&format!("{base}{query}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let body: serde_json::Value = response.json().await.unwrap();
        let message = body["error"].as_str().unwrap();
        assert!(message.contains(needle), "{query}: {message}");
        assert!(
            !message.to_uppercase().contains("SELECT"),
            "{query} leaks SQL: {message}"
        );
    }
    for path in [
        "/api/reports/no-such-report",
        "/api/reports/no-such-report/text",
        "/etc/passwd",
        "/api/../../etc/passwd",
    ] {
        let response = get(&format!("{base}{path}")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // Read-only: writes are not routes.
    let client = reqwest::Client::new();
    for method in [reqwest::Method::POST, reqwest::Method::PUT, reqwest::Method::DELETE] {
        let response = client
            .request(method.clone(), format!("{base}/api/reports/{}", records[0].id))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
    // Hostile words are only words: the store still holds every report.
    let odd = json(&format!(
        "{base}/api/reports?q=%22%27%29%3B%20DROP%20TABLE%20reports%3B%20--"
    ))
    .await;
    assert_eq!(odd["total"], 0);
    let all = json(&format!("{base}/api/reports?limit=1")).await;
    assert!(all["total"].as_i64().unwrap() > 0);
}

townreports_store::on_both_databases!(
    every_documented_endpoint_answers,
    coverage_shows_each_stored_report,
    answers_match_the_store,
    bad_input_is_refused_and_nothing_leaks,
);
