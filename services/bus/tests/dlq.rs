//! Reading and replaying dead letters against a real nats-server: listed
//! oldest first and filtered, shown decoded or not, replayed past the work
//! stream's duplicate window, deleted only after the republish was stored,
//! and put back once however often they are replayed.

use bytes::Bytes;
use townreports_bus::dlq::{DeadLetter, DlqError, LetterFilter};
use townreports_bus::publish::Published;
use townreports_bus::{Bus, Publish};
use townreports_proto::topology::{self as names, STREAM_DLQ, StageName};
use townreports_proto::v1::{ParsedDocument, ReportRecord};

/// Messages ever stored in a stream (its last sequence): a replay dropped
/// as a duplicate does not move it, one stored twice moves it twice.
async fn stored_ever(bus: &Bus, stream: &str) -> u64 {
    let mut stream = bus.jetstream().get_stream(stream).await.unwrap();
    stream.info().await.unwrap().state.last_sequence
}

fn letter(stage: StageName, class: &str, original_subject: &str, origin: &str) -> DeadLetter {
    DeadLetter {
        stage,
        class: class.into(),
        message: format!("{class}: it failed\nfor a reason"),
        deliveries: if class == "nats" { 5 } else { 1 },
        original_subject: original_subject.into(),
        origin: origin.into(),
    }
}

#[tokio::test]
async fn dead_letters_are_listed_shown_and_replayed_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, bus) = townreports_bus::testing::nats(dir.path()).await;
    assert!(bus.dead_letters(&LetterFilter::default()).await.unwrap().is_empty());

    // A document as the parser published it (under its content id), then
    // dead-lettered by the extractor: the original's id is still in the
    // docs stream's duplicate window.
    let doc = ParsedDocument {
        url: "https://example.gov.cn/art/1.html".into(),
        title: "城关镇2024年政府工作报告".into(),
        ..Default::default()
    };
    let original = Publish::proto_by_content(names::SUBJECT_DOCS_PARSED, &doc);
    bus.publish(&original).await.unwrap();
    let docs = StageName::Extractor.stream();
    assert_eq!(stored_ever(&bus, docs).await, 1);
    let record = ReportRecord {
        id: "r1".into(),
        ..Default::default()
    };
    let record = Bytes::from(prost::Message::encode_to_vec(&record));
    for (l, payload) in [
        (
            letter(
                StageName::Parser,
                "decode",
                names::SUBJECT_PAGES_FETCHED,
                "TOWNREPORTS_PAGES:1",
            ),
            Bytes::from_static(b"<html>\xff"),
        ),
        (
            letter(
                StageName::Extractor,
                "nats",
                names::SUBJECT_DOCS_PARSED,
                "TOWNREPORTS_DOCS:1",
            ),
            original.payload.clone(),
        ),
        (
            letter(
                StageName::Indexer,
                "invalid_record",
                names::SUBJECT_RECORDS_EXTRACTED,
                "TOWNREPORTS_RECORDS:1",
            ),
            record,
        ),
        // The same delivery dead-lettered twice is one dead letter.
        (
            letter(
                StageName::Indexer,
                "invalid_record",
                names::SUBJECT_RECORDS_EXTRACTED,
                "TOWNREPORTS_RECORDS:1",
            ),
            Bytes::new(),
        ),
    ] {
        bus.dead_letter(&l, payload).await.unwrap();
    }

    let all = bus.dead_letters(&LetterFilter::default()).await.unwrap();
    let seqs: Vec<u64> = all.iter().map(|l| l.sequence).collect();
    assert_eq!(seqs, [1, 2, 3]);
    let parser = &all[0];
    assert_eq!(parser.stage, Some(StageName::Parser));
    assert_eq!(parser.class.as_deref(), Some("decode"));
    // Header values are one line.
    assert_eq!(parser.message.as_deref(), Some("decode: it failed for a reason"));
    assert_eq!(parser.deliveries, Some(1));
    assert!(parser.decoded().unwrap_err().starts_with("not a valid FetchedPage"));
    assert_eq!(all[1].deliveries, Some(5));
    assert_eq!(all[1].decoded().unwrap()["title"], "城关镇2024年政府工作报告");
    assert_eq!(all[2].decoded().unwrap()["id"], "r1");

    let by_stage = LetterFilter {
        stage: Some(StageName::Indexer),
        class: None,
    };
    let by_class = LetterFilter {
        stage: None,
        class: Some("nats".into()),
    };
    let both = LetterFilter {
        stage: Some(StageName::Parser),
        class: Some("nats".into()),
    };
    let sequences =
        |letters: Vec<townreports_bus::dlq::StoredLetter>| -> Vec<u64> { letters.iter().map(|l| l.sequence).collect() };
    assert_eq!(sequences(bus.dead_letters(&by_stage).await.unwrap()), [3]);
    assert_eq!(sequences(bus.dead_letters(&by_class).await.unwrap()), [2]);
    assert!(bus.dead_letters(&both).await.unwrap().is_empty());

    // Replayed past the original's id: stored, and the letter is gone.
    let extractor = bus.dead_letter_at(2).await.unwrap();
    let replayed = bus.replay(&extractor).await.unwrap();
    assert!(
        matches!(replayed.published, Published::Stored { sequence: 2 }),
        "{replayed:?}"
    );
    assert_eq!(replayed.subject, names::SUBJECT_DOCS_PARSED);
    assert_eq!(stored_ever(&bus, docs).await, 2);
    assert!(matches!(bus.dead_letter_at(2).await, Err(DlqError::NotFound(2))));
    // The gap it leaves is skipped.
    assert_eq!(
        sequences(bus.dead_letters(&LetterFilter::default()).await.unwrap()),
        [1, 3]
    );

    // A replay that stopped between its publish and its delete, then the
    // operator's second replay: the message goes back once.
    let indexer = bus.dead_letter_at(3).await.unwrap();
    let records = StageName::Indexer.stream();
    let before = stored_ever(&bus, records).await;
    assert!(matches!(
        bus.republish(&indexer).await.unwrap(),
        Published::Stored { .. }
    ));
    let again = bus.replay(&indexer).await.unwrap();
    assert_eq!(again.published, Published::Duplicate);
    assert_eq!(stored_ever(&bus, records).await, before + 1);
    assert_eq!(bus.stream_messages(STREAM_DLQ).await.unwrap(), 1);
    // And a third time there is nothing left to replay.
    let gone = bus.dead_letter_at(3).await.unwrap_err();
    assert!(gone.to_string().contains("townreports dlq list"), "{gone}");

    server.terminate().await;
}
