//! The three poison messages of the pipeline, through the real workers and
//! the real `townreports dlq` binary: an undecodable page (parser), a
//! record that contradicts itself (indexer) and a document whose text is
//! missing from the object store (extractor: it fails every time, so it is
//! retried with the loop's growing delays, about 80 s, before it is
//! dead-lettered). Each ends in the dead-letter stream with its stage,
//! class, message and deliveries; `dlq list` and `dlq show` print them;
//! after the fix (the text put back) `dlq replay` sends the document back,
//! it is extracted and stored once although it was replayed twice, and its
//! dead letter is gone.

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::until;
use townreports_bus::async_nats::HeaderMap;
use townreports_bus::dlq::LetterFilter;
use townreports_bus::publish::Published;
use townreports_bus::{Bus, Publish, Shutdown, WorkerOptions};
use townreports_extractor::{Origin, document_from_bytes, extract};
use townreports_proto::content_sha256;
use townreports_proto::topology::{self as names, BLOB_BUCKET, STREAM_DLQ, STREAM_EVENTS, StageName};
use townreports_proto::v1::{BlobRef, FetchJob, ReportRecord};
use townreports_store::Store;

/// `townreports dlq ARGS` on the crawl at `data_dir`, through NATS_URL
/// when given: (succeeded, stdout, stderr).
async fn dlq(nats_url: Option<&str>, data_dir: &Path, args: &[&str]) -> (bool, String, String) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_townreports"));
    command
        .arg("dlq")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("NATS_URL")
        .env("RUST_LOG", "warn");
    if let Some(url) = nats_url {
        command.env("NATS_URL", url);
    }
    let output = tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .expect("townreports dlq did not finish in 30 s")
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (output.status.success(), text(output.stdout), text(output.stderr))
}

/// `dlq ARGS` must succeed; its stdout.
async fn dlq_ok(nats_url: &str, data_dir: &Path, args: &[&str]) -> String {
    let (ok, out, err) = dlq(Some(nats_url), data_dir, args).await;
    assert!(ok, "townreports dlq {args:?} failed: {err}");
    out
}

/// `dlq list --json ARGS`, one object per dead letter.
async fn listed(nats_url: &str, data_dir: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let args: Vec<&str> = ["list", "--json"].iter().chain(args).copied().collect();
    dlq_ok(nats_url, data_dir, &args)
        .await
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Messages ever stored in a stream: a replay dropped as a duplicate does
/// not move it.
async fn stored_ever(bus: &Bus, stream: &str) -> u64 {
    let mut stream = bus.jetstream().get_stream(stream).await.unwrap();
    stream.info().await.unwrap().state.last_sequence
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn poison_messages_are_dead_lettered_listed_shown_and_replayed_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let (mut server, bus) = townreports_bus::testing::nats(&dir.path().join("nats")).await;
    let url = server.url();
    let store = Arc::new(Store::open_sqlite(&dir.path().join("store.sqlite")).await.unwrap());
    let shutdown = Shutdown::new();
    let opts = WorkerOptions::default();
    let mut workers = tokio::task::JoinSet::new();
    workers.spawn(townreports_parser::worker::run(
        bus.clone(),
        opts.clone(),
        shutdown.clone(),
    ));
    workers.spawn(townreports_extractor::worker::run(
        bus.clone(),
        opts.clone(),
        shutdown.clone(),
    ));
    workers.spawn(townreports_indexer::worker::run(
        bus.clone(),
        store.clone(),
        opts,
        shutdown.clone(),
    ));

    // 1. A page body published raw where a FetchedPage belongs.
    let html = "<html><head><title>城关镇人民政府</title></head><body>政府工作报告</body></html>";
    let raw = Publish {
        subject: names::SUBJECT_PAGES_FETCHED.into(),
        payload: html.into(),
        msg_id: "raw-html".into(),
        headers: HeaderMap::new(),
    };
    bus.publish(&raw).await.unwrap();

    // 2. A record whose content hash is not its text's.
    let record = ReportRecord {
        id: "doc-contradicts-itself".into(),
        is_report: Some(true),
        text: "城关镇2024年政府工作报告".into(),
        content_sha256: content_sha256("another text"),
        ..Default::default()
    };
    bus.publish(&Publish::proto_by_content(names::SUBJECT_RECORDS_EXTRACTED, &record))
        .await
        .unwrap();

    // 3. A report whose text went through the object store, and the object
    // is not there (lost with a server's store, or expired): every attempt
    // fails until someone puts it back.
    let text = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/corpus/made-up/docs/m01_xiang_gwr.txt"
    ))
    .unwrap();
    let mut doc = document_from_bytes(&text, "m01_xiang_gwr.txt", None);
    doc.url = "https://zhongjian.example.gov.cn/xxgk/2024/gzbg.html".into();
    doc.job = Some(FetchJob {
        url: doc.url.clone(),
        site_id: "zhongjian".into(),
        ..Default::default()
    });
    let origin = Origin::Url {
        url: doc.url.clone(),
        site_id: "zhongjian".into(),
    };
    assert_eq!(extract(&doc, &origin).is_report, Some(true), "the document is a report");
    let text = std::mem::take(&mut doc.text);
    let missing = BlobRef {
        bucket: BLOB_BUCKET.into(),
        key: content_sha256(&text),
        size: text.len() as u64,
    };
    doc.text_ref = Some(missing.clone());
    bus.publish(&Publish::proto_by_content(names::SUBJECT_DOCS_PARSED, &doc))
        .await
        .unwrap();
    let docs = StageName::Extractor.stream();
    assert_eq!(stored_ever(&bus, docs).await, 1);

    let started = Instant::now();
    let dead = |n: u64| {
        let bus = bus.clone();
        move || {
            let bus = bus.clone();
            async move { bus.stream_messages(STREAM_DLQ).await.unwrap() >= n }
        }
    };
    until(
        "the undecodable page and the bad record dead-lettered",
        Duration::from_secs(15),
        dead(2),
    )
    .await;
    // 1 + 4 + 16 + 60 s of retry delays (±20 %), then the fifth delivery.
    until("the document dead-lettered", Duration::from_secs(150), dead(3)).await;
    eprintln!("the document was dead-lettered after {:?}", started.elapsed());

    // dlq list --json: each with its stage, class, deliveries, subject, reason.
    let letters: BTreeMap<String, serde_json::Value> = listed(&url, &data, &[])
        .await
        .into_iter()
        .map(|l| (l["stage"].as_str().unwrap().to_string(), l))
        .collect();
    assert_eq!(letters.len(), 3, "{letters:?}");
    let (parser, extractor, indexer) = (&letters["parser"], &letters["extractor"], &letters["indexer"]);
    for (letter, class, deliveries, subject, reason) in [
        (
            parser,
            "decode",
            1,
            names::SUBJECT_PAGES_FETCHED,
            "not a valid parser input",
        ),
        (
            indexer,
            "invalid_record",
            1,
            names::SUBJECT_RECORDS_EXTRACTED,
            "doc-contradicts-itself: content_sha256 does not match the text",
        ),
        (extractor, "nats", 5, names::SUBJECT_DOCS_PARSED, missing.key.as_str()),
    ] {
        assert_eq!(letter["class"], class, "{letter}");
        assert_eq!(letter["deliveries"], deliveries, "{letter}");
        assert_eq!(letter["subject"], subject, "{letter}");
        assert!(letter["message"].as_str().unwrap().contains(reason), "{letter}");
    }
    let seq = |letter: &serde_json::Value| letter["sequence"].as_u64().unwrap();
    let (parser_seq, extractor_seq, indexer_seq) = (seq(parser), seq(extractor), seq(indexer));

    // Filtered, and as a table.
    let only = |letters: Vec<serde_json::Value>| letters.iter().map(seq).collect::<Vec<_>>();
    assert_eq!(
        only(listed(&url, &data, &["--stage", "extractor"]).await),
        [extractor_seq]
    );
    assert_eq!(only(listed(&url, &data, &["--class", "decode"]).await), [parser_seq]);
    let table = dlq_ok(&url, &data, &["list"]).await;
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), 4, "{table}");
    assert!(rows[0].contains("deliveries"), "{table}");
    let row = rows.iter().find(|r| r.contains("extractor")).unwrap();
    for part in ["nats", " 5 ", names::SUBJECT_DOCS_PARSED, "object store"] {
        assert!(row.contains(part), "{part} in {row}");
    }

    // dlq show: the undecodable page as text, the document as JSON.
    let shown = dlq_ok(&url, &data, &["show", &parser_seq.to_string()]).await;
    for part in [
        "Townreports-Error-Class: decode",
        "Townreports-Original-Subject: townreports.pages.fetched",
        "not a valid FetchedPage",
        html,
    ] {
        assert!(shown.contains(part), "{part} in {shown}");
    }
    let shown = dlq_ok(&url, &data, &["show", &extractor_seq.to_string()]).await;
    for part in [
        "Townreports-Deliveries: 5",
        "payload: ParsedDocument",
        "\"text_ref\"",
        &missing.key,
        "https://zhongjian.example.gov.cn/xxgk/2024/gzbg.html",
    ] {
        assert!(shown.contains(part), "{part} in {shown}");
    }

    // The fix: the text is back in the object store, under the same key.
    assert_eq!(bus.put_blob(text.as_bytes()).await.unwrap().key, missing.key);
    // A replay that put the document back and stopped before deleting its
    // dead letter; then the operator replays it again.
    let letter = bus.dead_letter_at(extractor_seq).await.unwrap();
    assert!(matches!(
        bus.republish(&letter).await.unwrap(),
        Published::Stored { .. }
    ));
    let replayed = dlq_ok(&url, &data, &["replay", &extractor_seq.to_string()]).await;
    assert!(
        replayed.contains(&format!(
            "replayed {extractor_seq} (extractor) to townreports.docs.parsed"
        )) && replayed.contains("already put back")
            && replayed.contains("replayed 1 dead letter(s)"),
        "{replayed}"
    );
    let stored = || {
        let store = store.clone();
        async move { store.count().await.unwrap() == 1 }
    };
    until("the replayed report stored", Duration::from_secs(30), stored).await;
    // Put back once: the docs stream holds the original and one replay.
    assert_eq!(stored_ever(&bus, docs).await, 2);
    assert_eq!(bus.stream_messages(STREAM_EVENTS).await.unwrap(), 1);
    let (ok, _, err) = dlq(Some(&url), &data, &["replay", &extractor_seq.to_string()]).await;
    assert!(
        !ok && err.contains(&format!("no dead letter at sequence {extractor_seq}")),
        "{err}"
    );

    // Replaying what is still bad puts it back where it was: the record is
    // dead-lettered again, as a new letter.
    let replayed = dlq_ok(&url, &data, &["replay", "--all", "--stage", "indexer"]).await;
    assert!(
        replayed.contains(&format!(
            "replayed {indexer_seq} (indexer) to townreports.records.extracted (stream sequence"
        )) && replayed.contains("replayed 1 dead letter(s)"),
        "{replayed}"
    );
    let indexer_again = LetterFilter {
        stage: Some(StageName::Indexer),
        class: None,
    };
    let again = || {
        let bus = bus.clone();
        let filter = indexer_again.clone();
        async move { !bus.dead_letters(&filter).await.unwrap().is_empty() }
    };
    until("the bad record dead-lettered again", Duration::from_secs(15), again).await;

    // Found through the data directory of a running `townreports run`: it
    // holds the directory's lock and has written its server's URL there.
    let _held = townreports_bus::datadir::DataDirLock::acquire(&data, "townreports run").unwrap();
    std::fs::write(townreports_bus::embedded::url_file(&data), &url).unwrap();
    let (ok, out, err) = dlq(None, &data, &["list", "--json"]).await;
    assert!(ok, "{err}");
    let left: Vec<(String, u64)> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|l| (l["stage"].as_str().unwrap().to_string(), seq(&l)))
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert_eq!(left[0], ("parser".to_string(), parser_seq));
    assert_eq!(left[1].0, "indexer");
    assert!(left[1].1 > extractor_seq.max(indexer_seq), "{left:?}");

    shutdown.trigger();
    while let Some(result) = workers.join_next().await {
        result.unwrap().unwrap();
    }
    store.close().await;
    server.terminate().await;
}
