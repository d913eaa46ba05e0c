//! Store benchmark: the indexing rate (records upserted per second, in
//! transactions of `BENCH_BATCH` records, default 64, as the indexer's
//! group commit writes them under load) and search latency
//! (p50/p99 over a mix of word, filter and word+filter queries) over
//! `BENCH_RECORDS` synthetic reports (default 100,000) on each database.
//!
//! `cargo bench -p townreports-store --bench search` (PostgreSQL: the local
//! server, or `TEST_DATABASE_URL`; `BENCH_BACKENDS=sqlite` for one). Under
//! `cargo test` it runs with 200 records as a smoke test.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use townreports_gazetteer::Gazetteer;
use townreports_proto::content_sha256;
use townreports_proto::v1::{Division, Metric, ReportRecord, Source, Span};
use townreports_store::testing::{ScratchDatabase, on_sqlite};
use townreports_store::{Location, Prepared, ReportFilter, SearchQuery, Store, Write};

const INDICATORS: &[(&str, &str)] = &[
    ("地区生产总值", "亿元"),
    ("一般公共预算收入", "万元"),
    ("固定资产投资", "亿元"),
    ("农村居民人均可支配收入", "元"),
    ("粮食播种面积", "万亩"),
    ("粮食总产量", "万吨"),
    ("新建村级道路", "公里"),
    ("高标准农田", "亩"),
    ("新增城镇就业", "人"),
    ("农村危房改造", "户"),
];

const TOPICS: &[&str] = &[
    "乡村振兴",
    "人居环境整治",
    "基层治理",
    "安全生产",
    "招商引资",
    "生态保护",
    "产业园区",
    "文化旅游",
    "教育医疗",
    "社会保障",
];

const ACTIONS: &[&str] = &[
    "扎实推进",
    "持续深化",
    "全面加强",
    "大力实施",
    "统筹抓好",
    "着力提升",
    "稳步推进",
    "聚焦",
    "深入开展",
    "加快推进",
    "围绕",
    "切实抓好",
];

fn record(i: usize, townships: &[&str], rng: &mut StdRng) -> ReportRecord {
    // Ten consecutive yearly reports per township: a panel, with targets
    // to link to the next year's outcomes.
    let township = townships[(i / 10) % townships.len()];
    let year = 2015 + (i % 10) as i32;
    let code = format!("{:02}{:07}", 11 + (i / 10) % 55, i / 10);
    let mut text =
        format!("{township}{year}年政府工作报告\n各位代表：现在，我代表镇人民政府向大会报告工作，请予审议。\n");
    let mut metrics = Vec::new();
    for (name, unit) in INDICATORS.choose_multiple(rng, 6) {
        let value = f64::from(rng.random_range(10..100_000)) / 10.0;
        let sentence = format!("全年{name}{value}{unit}，同比增长{}%。", rng.random_range(1..12));
        let start = text.chars().count() as u32 + 2;
        metrics.push(Metric {
            name: (*name).into(),
            value: Some(value),
            unit: Some((*unit).into()),
            kind: if rng.random_bool(0.3) { "target" } else { "actual" }.into(),
            year: Some(year),
            span: Some(Span {
                start,
                end: start + name.chars().count() as u32,
            }),
            sentence: sentence.clone(),
            ..Default::default()
        });
        text.push_str(&sentence);
    }
    // Reports differ: a few of many statements, each with its own figures
    // and villages (a near-copy of another township's report is a copy).
    for _ in 0..8 {
        let topic = TOPICS.choose(rng).unwrap();
        let village = townships.choose(rng).unwrap().trim_end_matches(['镇', '乡']);
        let action = ACTIONS.choose(rng).unwrap();
        text.push_str(&format!(
            "\n{action}{topic}，在{village}村新建项目{}个，投入资金{}万元，惠及群众{}户，完成年度任务的{}%。",
            rng.random_range(1..40),
            rng.random_range(10..9_000),
            rng.random_range(20..5_000),
            rng.random_range(60..130),
        ));
    }
    ReportRecord {
        id: format!("{code}-government_work_report-{year}-{}", year + 1),
        is_report: Some(true),
        doc_type: Some("government_work_report".into()),
        title: Some(format!("{township}{year}年政府工作报告")),
        division: Some(Division {
            code: Some(code),
            township: Some(township.into()),
            ..Default::default()
        }),
        review_year: Some(year),
        plan_year: Some(year + 1),
        content_sha256: content_sha256(&text),
        text,
        metrics,
        source: Some(Source {
            url: Some(format!("http://example.gov.cn/{i}.html")),
            site_id: "bench".into(),
            source_kind: "official".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Records per transaction: `BENCH_BATCH`, by default the indexer's
/// largest batch (1 writes each record in its own transaction).
fn batch_size() -> usize {
    std::env::var("BENCH_BATCH")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64)
        .max(1)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn bench(location: Location, name: &str, records: usize) {
    let townships: Arc<[&'static str]> = Gazetteer::global()
        .place_words()
        .filter(|w| w.ends_with('镇') || w.ends_with('乡'))
        .take(5_000)
        .collect();
    let store = Store::open(&location).await.unwrap();
    townreports_store::segment::warm_up();
    let batch = batch_size();
    let started = Instant::now();
    let mut lap = Instant::now();
    let tenth = (records / 10).max(1);
    let mut done = 0;
    let mut lap_done = 0;
    // As the indexer writes them: each record prepared (segmented) on its
    // own message's task while the batch before it is being written, then
    // the batch in one transaction. Records are made as they are needed
    // (each from its own seed), so memory does not grow with the run.
    let prepare = |from: usize| {
        let to = (from + batch).min(records);
        let townships = townships.clone();
        (from < to).then(|| {
            tokio::task::spawn_blocking(move || {
                (from..to)
                    .map(|i| Write::Upsert {
                        prepared: Box::new(Prepared::of(record(
                            i,
                            &townships,
                            &mut StdRng::seed_from_u64(i as u64),
                        ))),
                        now_ms: i as i64,
                    })
                    .collect::<Vec<_>>()
            })
        })
    };
    let mut next = prepare(0);
    while let Some(preparing) = next.take() {
        let writes = preparing.await.unwrap();
        next = prepare(done + writes.len());
        store.write_all(&writes).await.unwrap();
        // The rate by tenths shows whether writes slow as the store grows.
        let before = done;
        done += writes.len();
        if done / tenth > before / tenth {
            eprintln!(
                "{name}: {done} records, {:.0} records/s over the last tenth",
                (done - lap_done) as f64 / lap.elapsed().as_secs_f64()
            );
            lap = Instant::now();
            lap_done = done;
        }
    }
    let indexing = started.elapsed();

    let mut queries = Vec::new();
    for i in 0..300 {
        let township = townships[(i * 37) % townships.len().min(records / 10).max(1)];
        let core = townreports_gazetteer::township_core(township).to_string();
        let (indicator, _) = INDICATORS[i % INDICATORS.len()];
        queries.push(match i % 4 {
            0 => SearchQuery {
                q: Some(core),
                ..Default::default()
            },
            1 => SearchQuery {
                q: Some(indicator.into()),
                ..Default::default()
            },
            2 => SearchQuery {
                q: Some(TOPICS[i % TOPICS.len()].into()),
                filter: ReportFilter {
                    code: Some(format!("{:02}", 11 + i % 55)),
                    year: Some(2015 + (i % 10) as i32),
                    ..Default::default()
                },
                ..Default::default()
            },
            _ => SearchQuery {
                filter: ReportFilter {
                    code: Some(format!("{:02}", 11 + i % 55)),
                    ..Default::default()
                },
                indicator: Some(indicator.into()),
                ..Default::default()
            },
        });
    }
    let mut latencies = Vec::with_capacity(queries.len());
    let mut found = 0;
    for query in &queries {
        let t = Instant::now();
        found += store.search(query).await.unwrap().total;
        latencies.push(t.elapsed());
    }
    latencies.sort();
    println!(
        "{name}: {records} records indexed in {:.1} s = {:.0} records/s; {} searches: p50 {:.1} ms, p99 {:.1} ms ({} hits in all)",
        indexing.as_secs_f64(),
        records as f64 / indexing.as_secs_f64(),
        queries.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        found
    );
    // Peak resident memory of the bench process (the store's side of
    // SQLite runs in it; PostgreSQL's server is another process).
    let peak = std::fs::read_to_string("/proc/self/status").ok().and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().to_string()))
    });
    println!(
        "{name}: peak resident memory {}",
        peak.unwrap_or_else(|| "unknown".into())
    );
    assert!(found > 0, "the searches find the synthetic reports");
    store.close().await;
}

#[tokio::main]
async fn main() {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let records = if smoke {
        200
    } else {
        std::env::var("BENCH_RECORDS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(100_000)
    };
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    if backends.contains("sqlite") {
        on_sqlite(|location| bench(location, "sqlite", records)).await;
    }
    if backends.contains("postgres") {
        let db = ScratchDatabase::create().await.unwrap();
        bench(db.location.clone(), "postgres", records).await;
        db.drop_database().await.unwrap();
    }
}
