//! The store on both databases — SQLite on a real file and PostgreSQL in a
//! scratch database — through the same checks: a report stored once,
//! announced once, its edits kept as versions, copies merged, searched in
//! Chinese, exported as panel rows with targets linked to outcomes, laid
//! out as a coverage matrix.

use std::collections::BTreeMap;
use townreports_proto::content_sha256;
use townreports_proto::topology::EventKind;
use townreports_proto::v1::{ReportRecord, Source};

use townreports_store::{Change, Columns, Location, Store, coverage};

fn record(id: &str, text: &str, url: &str) -> ReportRecord {
    ReportRecord {
        id: id.into(),
        is_report: Some(true),
        text: text.into(),
        content_sha256: content_sha256(text),
        source: Some(Source {
            url: Some(url.into()),
            site_id: "s".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn stored_once_announced_once_versions_kept(location: Location) {
    let store = Store::open(&location).await.unwrap();
    let r = record("r1", "正文一", "http://a/1");

    let first = store.upsert(&r, 1).await.unwrap();
    assert_eq!((first.change, first.owed_event), (Change::New, Some(EventKind::New)));
    // Redelivered before the event was acknowledged: still owed.
    let again = store.upsert(&r, 2).await.unwrap();
    assert_eq!(
        (again.change, again.owed_event),
        (Change::Unchanged, Some(EventKind::New))
    );
    store.mark_announced("r1", 1).await.unwrap();
    let after = store.upsert(&record("r1", "正文一", "http://b/copy"), 3).await.unwrap();
    assert_eq!((after.change, after.owed_event), (Change::Unchanged, None));

    let edited = store.upsert(&record("r1", "正文二", "http://a/1"), 4).await.unwrap();
    assert_eq!(
        (edited.change, edited.version, edited.owed_event),
        (Change::Updated, 2, Some(EventKind::Updated))
    );
    assert_eq!(store.versions("r1").await.unwrap(), 2);
    assert_eq!(store.count().await.unwrap(), 1);

    let all = store.records().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].text, "正文二");
    let urls: Vec<_> = all[0].sources.iter().map(|s| s.url.clone().unwrap()).collect();
    assert_eq!(urls, ["http://a/1", "http://b/copy"]);
}

async fn reopening_keeps_everything(location: Location) {
    {
        let store = Store::open(&location).await.unwrap();
        store.upsert(&record("r1", "x", "u"), 1).await.unwrap();
        store.close().await;
    }
    let store = Store::open(&location).await.unwrap();
    assert_eq!(store.count().await.unwrap(), 1);
}

const REPORT: &str = "各位代表：现在，我代表镇人民政府向大会报告工作，请予审议。一、2023年工作回顾。全年实现地区生产总值12.56亿元，同比增长6.2%；一般公共预算收入3260万元，增长4.1%。粮食播种面积5.3万亩，总产量2.1万吨。新建村级道路18公里，改造危房126户。二、2024年工作安排。力争地区生产总值增长6.5%，新建高标准农田1.2万亩，推进集镇污水管网建设。";

fn copy(id: &str, text: &str, url: &str, kind: &str, code: Option<&str>) -> ReportRecord {
    let mut r = record(id, text, url);
    r.source.as_mut().unwrap().source_kind = kind.into();
    r.doc_type = Some("government_work_report".into());
    r.division = code.map(|c| townreports_proto::v1::Division {
        code: Some(c.into()),
        ..Default::default()
    });
    r
}

async fn copies_are_one_report_and_the_official_one_speaks_for_it(location: Location) {
    let store = Store::open(&location).await.unwrap();
    // An aggregator's copy with the name blanked comes first: no code, its own id.
    let blanked = REPORT.replacen("镇人民政府", "XX镇人民政府", 1);
    let first = store
        .upsert(&copy("doc-1", &blanked, "http://agg/1", "aggregator", None), 1)
        .await
        .unwrap();
    assert_eq!(first.change, Change::New);
    store.mark_announced("doc-1", 1).await.unwrap();

    // The official page: a near copy, better trusted: it supplies the record.
    let official = copy(
        "511102109-gwr-2023-2024",
        REPORT,
        "http://gov/1",
        "official",
        Some("511102109"),
    );
    let merged = store.upsert(&official, 2).await.unwrap();
    assert_eq!((merged.change, merged.id.as_str()), (Change::Updated, "doc-1"));
    assert_eq!(merged.record.division.unwrap().code.as_deref(), Some("511102109"));
    store.mark_announced("doc-1", 2).await.unwrap();

    // Another aggregator copy (exact text of the official one, another URL): a source, nothing else.
    let again = store
        .upsert(&copy("x", REPORT, "http://agg2/9", "aggregator", None), 3)
        .await
        .unwrap();
    assert_eq!((again.change, again.owed_event), (Change::Unchanged, None));
    // The aggregator copy redelivered does not take the record back.
    let back = store
        .upsert(&copy("doc-1", &blanked, "http://agg/1", "aggregator", None), 4)
        .await
        .unwrap();
    assert_eq!((back.change, back.owed_event), (Change::Unchanged, None));

    // The same template filled in by another township is another report.
    let other = store
        .upsert(
            &copy(
                "511102110-gwr-2023-2024",
                REPORT,
                "http://gov2/1",
                "official",
                Some("511102110"),
            ),
            5,
        )
        .await
        .unwrap();
    assert_eq!(other.change, Change::New);

    let all = store.records().await.unwrap();
    assert_eq!(all.len(), 2);
    let report = all.iter().find(|r| r.id == "doc-1").unwrap();
    assert_eq!(report.text, REPORT);
    let urls: Vec<_> = report.sources.iter().map(|s| s.url.clone().unwrap()).collect();
    assert_eq!(urls, ["http://agg/1", "http://gov/1", "http://agg2/9"]);
}

/// A report of township `code` for `year` (review, or plan for a plan).
fn dated(code: &str, doc_type: &str, year: i32) -> ReportRecord {
    let id = format!("{code}-{doc_type}-{year}");
    // Texts far apart, so no two are taken for copies of one report.
    let seed = id
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    let text: String = (0..200u32)
        .filter_map(|i| char::from_u32(0x4e00 + seed.wrapping_mul(i + 1).wrapping_add(i * i) % 5000))
        .collect();
    let mut r = copy(&id, &text, &format!("http://gov/{id}"), "official", Some(code));
    r.doc_type = Some(doc_type.into());
    if doc_type == "work_plan" {
        r.plan_year = Some(year);
    } else {
        r.review_year = Some(year);
    }
    r
}

async fn coverage_lays_out_every_township_by_year(location: Location) {
    let store = Store::open(&location).await.unwrap();
    // 丹棱县 (511424): 仁美镇 102, 杨场镇 106, 张场镇 108, 齐乐镇 109, 顺龙乡 204.
    for (i, r) in [
        dated("511424102", "government_work_report", 2022),
        dated("511424102", "work_summary", 2022),
        dated("511424102", "government_work_report", 2024),
        dated("511424109", "work_plan", 2023),
        dated("510604103", "government_work_report", 2020),
    ]
    .iter()
    .enumerate()
    {
        store.upsert(r, i as i64).await.unwrap();
    }
    let mut not_a_report = dated("511424106", "government_work_report", 2021);
    not_a_report.is_report = Some(false);
    store.upsert(&not_a_report, 9).await.unwrap();
    let columns: Columns = [("511424102".to_string(), vec!["http://gov/col".to_string()])].into();

    let c = coverage(&store, "511424", Some(&columns)).await.unwrap();
    assert_eq!(
        (c.name.as_str(), c.years.clone(), c.columns_known),
        ("丹棱县", vec![2022, 2023, 2024], true)
    );
    let rows: Vec<_> = c
        .townships
        .iter()
        .map(|t| (t.name.as_str(), t.columns.is_some(), t.reports.clone()))
        .collect();
    let types = |pairs: &[(i64, &[&str])]| -> BTreeMap<i64, Vec<String>> {
        pairs
            .iter()
            .map(|(y, ts)| (*y, ts.iter().map(|t| t.to_string()).collect()))
            .collect()
    };
    assert_eq!(
        rows,
        [
            (
                "仁美镇",
                true,
                types(&[
                    (2022, &["government_work_report", "work_summary"]),
                    (2024, &["government_work_report"])
                ])
            ),
            ("杨场镇", false, types(&[])),
            ("张场镇", false, types(&[])),
            ("齐乐镇", false, types(&[(2023, &["work_plan"])])),
            ("顺龙乡", false, types(&[])),
        ]
    );
    // The province holds both counties' reports; no columns known.
    let province = coverage(&store, "51", None).await.unwrap();
    assert_eq!(province.years, (2020..=2024).collect::<Vec<_>>());
    assert!(!province.columns_known);
    assert_eq!(province.townships.iter().filter(|t| !t.reports.is_empty()).count(), 3);
    for bad in ["5114241", "99", "51x", "511424102"] {
        assert!(coverage(&store, bad, None).await.is_err(), "{bad}");
    }
}

townreports_store::on_both_databases!(
    coverage_lays_out_every_township_by_year,
    stored_once_announced_once_versions_kept,
    reopening_keeps_everything,
    copies_are_one_report_and_the_official_one_speaks_for_it,
);
