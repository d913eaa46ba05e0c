//! Search, panel export, targets against outcomes and version changes, on
//! both databases, over records the real extractor made from the corpus.

use townreports_proto::content_sha256;
use townreports_proto::v1::{Division, Metric, ReportRecord, Source};
use townreports_store::panel::{MetricKey, PAGE_ROWS};
use townreports_store::{Location, MetricQuery, ReportFilter, SearchQuery, Store, StoreError};

fn corpus() -> Vec<ReportRecord> {
    townreports_extractor::extract_files(&townreports_store::testing::corpus_files()).unwrap()
}

async fn store_with_corpus(location: &Location) -> (Store, Vec<ReportRecord>) {
    let store = Store::open(location).await.unwrap();
    let records = corpus();
    for (i, record) in records.iter().enumerate() {
        store.upsert(record, i as i64).await.unwrap();
    }
    (store, records)
}

fn ids(page: &townreports_store::SearchPage) -> Vec<String> {
    let mut ids: Vec<String> = page.reports.iter().map(|r| r.id.clone()).collect();
    ids.sort();
    ids
}

fn search(q: &str) -> SearchQuery {
    SearchQuery {
        q: Some(q.into()),
        limit: Some(100),
        ..Default::default()
    }
}

/// The reports a word search must find: those that contain the words in
/// their text or place names (computed from the records, not written down).
fn containing(records: &[ReportRecord], words: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = records
        .iter()
        .filter(|r| {
            let d = r.division.clone().unwrap_or_default();
            let hay = format!(
                "{} {} {} {} {} {}",
                r.title.clone().unwrap_or_default(),
                d.province.unwrap_or_default(),
                d.city.unwrap_or_default(),
                d.county.unwrap_or_default(),
                d.township.unwrap_or_default(),
                r.text
            );
            words.iter().all(|w| hay.contains(w))
        })
        .map(|r| r.id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

async fn chinese_words_find_the_right_reports(location: Location) {
    let (store, records) = store_with_corpus(&location).await;
    for (query, words) in [
        ("棉竹", &["棉竹"][..]),
        ("粮食播种面积", &["粮食", "播种", "面积"][..]),
        ("棉竹 粮食播种面积", &["棉竹", "粮食", "播种", "面积"][..]),
    ] {
        let expected = containing(&records, words);
        assert!(!expected.is_empty(), "the corpus has no report with {query}");
        let page = store.search(&search(query)).await.unwrap();
        assert_eq!(ids(&page), expected, "search {query:?}");
        assert_eq!(page.total, expected.len() as i64);
        assert!(page.reports.iter().all(|r| r.score.is_some()));
    }
    // A word no report holds finds nothing; punctuation alone is no search.
    assert_eq!(store.search(&search("量子计算机")).await.unwrap().total, 0);
    let all = store.search(&SearchQuery::default()).await.unwrap();
    assert_eq!(all.total, store.count().await.unwrap());
    assert_eq!(store.search(&search("，。")).await.unwrap().total, all.total);
}

async fn filters_narrow_the_results(location: Location) {
    let (store, records) = store_with_corpus(&location).await;
    let with_code: Vec<&ReportRecord> = records
        .iter()
        .filter(|r| {
            r.division
                .as_ref()
                .and_then(|d| d.code.as_ref())
                .is_some_and(|c| c.len() >= 9)
        })
        .collect();
    assert!(with_code.len() >= 2, "the corpus should resolve several townships");
    let first = with_code[0];
    let division = first.division.clone().unwrap();
    let code = division.code.clone().unwrap();

    for (query, name) in [
        (
            ReportFilter {
                code: Some(code[..2].into()),
                ..Default::default()
            },
            "code prefix",
        ),
        (
            ReportFilter {
                province: division.province.clone(),
                ..Default::default()
            },
            "province name",
        ),
        (
            ReportFilter {
                province: Some(code[..2].into()),
                ..Default::default()
            },
            "province code",
        ),
        (
            ReportFilter {
                township: division.township.clone(),
                ..Default::default()
            },
            "township name",
        ),
    ] {
        let page = store
            .search(&SearchQuery {
                filter: query,
                limit: Some(100),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(page.reports.iter().any(|r| r.id == first.id), "{name}");
        for r in &page.reports {
            assert!(
                r.division_code.as_deref().unwrap_or("").starts_with(&code[..2]),
                "{name}: {r:?}"
            );
        }
    }

    let year = first.review_year.or(first.plan_year).unwrap();
    let page = store
        .search(&SearchQuery {
            filter: ReportFilter {
                year: Some(year),
                ..Default::default()
            },
            limit: Some(100),
            ..Default::default()
        })
        .await
        .unwrap();
    let expected = records
        .iter()
        .filter(|r| r.review_year == Some(year) || r.plan_year == Some(year))
        .count();
    assert_eq!(page.total as usize, expected);

    let doc_type = first.doc_type.clone().unwrap();
    let page = store
        .search(&SearchQuery {
            filter: ReportFilter {
                doc_type: Some(doc_type.clone()),
                ..Default::default()
            },
            limit: Some(100),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        page.reports
            .iter()
            .all(|r| r.doc_type.as_deref() == Some(doc_type.as_str()))
    );
    assert_eq!(
        page.total as usize,
        records
            .iter()
            .filter(|r| r.doc_type.as_deref() == Some(doc_type.as_str()))
            .count()
    );

    let indicator = first.metrics.first().expect("a report with metrics").name.clone();
    let page = store
        .search(&SearchQuery {
            indicator: Some(indicator.clone()),
            limit: Some(100),
            ..Default::default()
        })
        .await
        .unwrap();
    let expected = records
        .iter()
        .filter(|r| r.metrics.iter().any(|m| m.name.contains(&indicator)))
        .count();
    assert_eq!(page.total as usize, expected, "indicator {indicator}");

    // Pages: a cursor walks the whole result once.
    let mut seen = Vec::new();
    let mut query = SearchQuery {
        limit: Some(2),
        ..Default::default()
    };
    loop {
        let page = store.search(&query).await.unwrap();
        seen.extend(page.reports.iter().map(|r| r.id.clone()));
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
        assert!(seen.len() <= records.len(), "the cursor loops");
    }
    let total = store.count().await.unwrap() as usize;
    assert_eq!(seen.len(), total);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), total);

    // Hostile input is a bad query, never SQL.
    for bad in [
        SearchQuery {
            filter: ReportFilter {
                code: Some("51' OR '1'='1".into()),
                ..Default::default()
            },
            ..Default::default()
        },
        SearchQuery {
            limit: Some(1_000_000),
            ..Default::default()
        },
    ] {
        assert!(matches!(store.search(&bad).await, Err(StoreError::BadQuery(_))));
    }
    let odd = store
        .search(&SearchQuery {
            q: Some("\"'); DROP TABLE reports; --".into()),
            filter: ReportFilter {
                township: Some("%_\\".into()),
                ..Default::default()
            },
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(odd.total, 0);
    assert_eq!(store.count().await.unwrap() as usize, total);
}

const TOWNSHIP: &str = "511102109";

fn metric(name: &str, kind: &str, year: i32, value: f64, growth: Option<f64>) -> Metric {
    Metric {
        name: name.into(),
        value: (value != 0.0).then_some(value / 10_000.0),
        unit: Some("万元".into()),
        value_normalized: (value != 0.0).then_some(value),
        unit_normalized: Some("yuan".into()),
        growth_pct: growth,
        kind: kind.into(),
        year: Some(year),
        sentence: format!("{name}{value}"),
        ..Default::default()
    }
}

fn yearly_report(review: i32, metrics: Vec<Metric>) -> ReportRecord {
    let text = format!(
        "{review}年工作回顾。{}",
        metrics.iter().map(|m| m.sentence.as_str()).collect::<String>()
    );
    ReportRecord {
        id: format!("{TOWNSHIP}-gwr-{review}-{}", review + 1),
        is_report: Some(true),
        doc_type: Some("government_work_report".into()),
        review_year: Some(review),
        plan_year: Some(review + 1),
        division: Some(Division {
            code: Some(TOWNSHIP.into()),
            township: Some("棉竹镇".into()),
            ..Default::default()
        }),
        content_sha256: content_sha256(&text),
        text,
        metrics,
        source: Some(Source {
            url: Some(format!("http://gov/{review}")),
            site_id: "s".into(),
            source_kind: "official".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn targets_are_linked_to_next_years_outcomes(location: Location) {
    let store = Store::open(&location).await.unwrap();
    // The 2020 report sets targets for 2021; the 2021 report states outcomes.
    let plan = yearly_report(
        2020,
        vec![
            metric("财政收入", "actual", 2020, 50e6, None),
            metric("财政收入", "target", 2021, 55e6, None),
            metric("地区生产总值", "target", 2021, 0.0, Some(8.0)),
            metric("新建道路", "target", 2021, 1e6, None),
        ],
    );
    store.upsert(&plan, 1).await.unwrap();
    let outcome = yearly_report(
        2021,
        vec![
            metric("财政收入", "actual", 2021, 56e6, None),
            metric("地区生产总值", "actual", 2021, 0.0, Some(7.5)),
        ],
    );
    // Linked whichever report arrives first: here the outcome comes second.
    store.upsert(&outcome, 2).await.unwrap();

    let rows = store
        .metric_rows(&MetricQuery::default(), &MetricKey::default(), PAGE_ROWS)
        .await
        .unwrap();
    assert_eq!(rows.len(), 6);
    let target = |name: &str| {
        rows.iter()
            .find(|r| r.indicator == name && r.kind == "target")
            .unwrap()
            .clone()
    };
    let revenue = target("财政收入");
    assert_eq!(revenue.year, Some(2021));
    assert_eq!(revenue.actual_value_normalized, Some(56e6));
    assert_eq!(revenue.actual_report_id.as_deref(), Some(outcome.id.as_str()));
    assert_eq!(revenue.attained, Some(true));
    let gdp = target("地区生产总值");
    assert_eq!(gdp.attained, Some(false), "7.5% growth misses an 8% target");
    let roads = target("新建道路");
    assert_eq!((roads.actual_report_id, roads.attained), (None, None));
    // Actual rows carry no outcome of their own.
    assert!(rows.iter().filter(|r| r.kind == "actual").all(|r| r.attained.is_none()));

    // An edit of the outcome report that drops the figure unlinks it.
    let mut edited = yearly_report(2021, vec![metric("地区生产总值", "actual", 2021, 0.0, Some(9.0))]);
    edited.text.push_str("（修订）");
    edited.content_sha256 = content_sha256(&edited.text);
    store.upsert(&edited, 3).await.unwrap();
    let query = MetricQuery {
        kind: Some("target".into()),
        ..Default::default()
    };
    let rows = store
        .metric_rows(&query, &MetricKey::default(), PAGE_ROWS)
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    let find = |name: &str| rows.iter().find(|r| r.indicator == name).unwrap();
    assert_eq!(find("财政收入").attained, None);
    assert_eq!(find("地区生产总值").attained, Some(true));

    // What the edit changed, from the stored versions.
    let changes = store.changes(&edited.id, 2).await.unwrap();
    let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    assert!(fields.contains(&"text"), "{fields:?}");
    assert!(fields.contains(&"metrics[财政收入|actual|2021]"), "{fields:?}");
    assert!(fields.contains(&"metrics[地区生产总值|actual|2021]"), "{fields:?}");
    assert_eq!(store.version_history(&edited.id).await.unwrap().len(), 2);
    assert!(store.changes(&edited.id, 1).await.unwrap().is_empty());

    // Paging through the panel by key visits every row once.
    let mut after = MetricKey::default();
    let mut seen = 0;
    loop {
        let page = store.metric_rows(&MetricQuery::default(), &after, 2).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.key();
        seen += page.len();
    }
    assert_eq!(seen, 5);
}

townreports_store::on_both_databases!(
    chinese_words_find_the_right_reports,
    filters_narrow_the_results,
    targets_are_linked_to_next_years_outcomes,
);
