//! Dead letters: a message that cannot be processed goes to
//! `townreports.dlq.<stage>` with its reason in headers, byte for byte, so an
//! operator can inspect it and replay it after a fix (`townreports dlq`).
//!
//! Reading them back ([`Bus::dead_letters`], [`Bus::dead_letter_at`]) and
//! replaying them ([`Bus::replay`]) live here too, so the command-line tool
//! only prints.

use std::time::SystemTime;

use async_nats::HeaderMap;
use async_nats::header::NATS_MESSAGE_ID;
use async_nats::jetstream::message::StreamMessage;
use async_nats::jetstream::stream::{self, RawMessageErrorKind};
use bytes::Bytes;
use townreports_proto::topology::{self as names, StageName};
use townreports_proto::v1;

use crate::publish::{Publish, Published, content_id};
use crate::topology::DUPLICATE_WINDOW;
use crate::{Bus, BusError};

/// Why a message was dead-lettered.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub stage: StageName,
    /// Stable, short (`decode`, `invalid_record`, `max_deliveries`, ...).
    pub class: String,
    pub message: String,
    pub deliveries: i64,
    pub original_subject: String,
    /// `<stream>:<sequence>` of the original: the dead letter's identity, so
    /// dead-lettering the same delivery twice stores it once.
    pub origin: String,
}

impl DeadLetter {
    fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(names::HEADER_STAGE, self.stage.name());
        h.insert(names::HEADER_ERROR_CLASS, self.class.as_str());
        // Header values must be one line.
        let message: String = self
            .message
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(1000)
            .collect();
        h.insert(names::HEADER_ERROR_MESSAGE, message.as_str());
        h.insert(names::HEADER_DELIVERIES, self.deliveries.to_string().as_str());
        h.insert(names::HEADER_ORIGINAL_SUBJECT, self.original_subject.as_str());
        h
    }
}

impl Bus {
    /// Stores `payload` in the dead-letter stream with the reason.
    pub async fn dead_letter(&self, letter: &DeadLetter, payload: Bytes) -> Result<(), BusError> {
        let subject = letter.stage.dlq_subject();
        let publish = Publish {
            msg_id: content_id(&subject, &[&letter.origin]),
            subject,
            payload,
            headers: letter.headers(),
        };
        self.publish(&publish).await?;
        metrics::counter!("townreports_dead_letters_total", "stage" => letter.stage.name(), "class" => letter.class.clone())
            .increment(1);
        tracing::warn!(stage = letter.stage.name(), class = %letter.class, message = %letter.message,
            deliveries = letter.deliveries, "dead-lettered");
        Ok(())
    }
}

/// Why dead letters cannot be read or replayed, and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum DlqError {
    #[error(
        "no dead letter at sequence {0}: it was replayed, or it expired after 30 days; \
         `townreports dlq list` shows the dead letters there are"
    )]
    NotFound(u64),
    #[error("dead letter {sequence} cannot be replayed: {reason}; inspect it with `townreports dlq show {sequence}`")]
    NotReplayable { sequence: u64, reason: String },
    #[error(
        "dead letter {sequence} was put back on {subject} but could not be deleted ({message}); \
         replay it again within {window} to delete it: that replay is recognised as a duplicate \
         and not processed twice",
        window = humantime::format_duration(DUPLICATE_WINDOW)
    )]
    NotDeleted {
        sequence: u64,
        subject: String,
        message: String,
    },
    #[error("cannot read the dead letters: {0}; is the crawl's NATS running and reachable?")]
    Read(String),
    #[error(transparent)]
    Bus(#[from] BusError),
}

/// A dead letter as the dead-letter stream holds it.
#[derive(Debug, Clone)]
pub struct StoredLetter {
    /// Its sequence in the dead-letter stream: what `townreports dlq show`
    /// and `replay` take.
    pub sequence: u64,
    /// When it was dead-lettered.
    pub time: SystemTime,
    /// The stage that gave up on it (from its header, else its subject);
    /// `None` for a message no townreports worker wrote.
    pub stage: Option<StageName>,
    pub class: Option<String>,
    pub message: Option<String>,
    pub deliveries: Option<i64>,
    /// Where the message was published before it failed: where a replay
    /// sends it.
    pub original_subject: Option<String>,
    pub headers: HeaderMap,
    pub payload: Bytes,
}

impl StoredLetter {
    fn from_stream(m: StreamMessage) -> StoredLetter {
        let header = |name: &str| m.headers.get(name).map(|v| v.as_str().to_string());
        let stage = header(names::HEADER_STAGE)
            .as_deref()
            .or_else(|| m.subject.rsplit('.').next())
            .and_then(StageName::from_name);
        StoredLetter {
            sequence: m.sequence,
            time: SystemTime::from(m.time),
            stage,
            class: header(names::HEADER_ERROR_CLASS),
            message: header(names::HEADER_ERROR_MESSAGE),
            deliveries: header(names::HEADER_DELIVERIES).and_then(|d| d.parse().ok()),
            original_subject: header(names::HEADER_ORIGINAL_SUBJECT),
            headers: m.headers,
            payload: m.payload,
        }
    }

    /// The payload as its stage's input, in proto3 JSON; the reason when
    /// it is not one (the very reason it may have been dead-lettered).
    pub fn decoded(&self) -> Result<serde_json::Value, String> {
        let stage = self
            .stage
            .ok_or("no townreports stage named in its headers or subject")?;
        decode_input(stage, &self.payload).map_err(|e| format!("not a valid {}: {e}", input_type(stage)))
    }

    /// The subject a replay publishes to: where the message came from, if
    /// that is a subject its stage consumes (anything else would be lost,
    /// or land back in the dead-letter stream).
    pub fn replay_subject(&self) -> Result<&str, DlqError> {
        let not_replayable = |reason: String| DlqError::NotReplayable {
            sequence: self.sequence,
            reason,
        };
        let stage = self
            .stage
            .ok_or_else(|| not_replayable("it names no townreports stage".into()))?;
        let subject = self
            .original_subject
            .as_deref()
            .ok_or_else(|| not_replayable(format!("it has no {} header", names::HEADER_ORIGINAL_SUBJECT)))?;
        let consumed = stage.stream_subjects().trim_end_matches('>');
        if !subject.starts_with(consumed) || subject.len() == consumed.len() {
            return Err(not_replayable(format!(
                "it came from {subject}, which the {} does not consume ({})",
                stage.name(),
                stage.stream_subjects()
            )));
        }
        Ok(subject)
    }

    /// The replay's `Nats-Msg-Id`. Not the original's: that one may still
    /// be in the work stream's duplicate window, and the replay would be
    /// dropped as a duplicate of the message that failed. Derived from
    /// this dead letter instead, so that replaying it twice (a replay that
    /// stopped before deleting it, then another) puts it back once.
    pub fn replay_id(&self, subject: &str) -> String {
        let letter_id = self.headers.get(NATS_MESSAGE_ID).map_or("", |v| v.as_str());
        content_id(subject, &["replay", letter_id, &self.sequence.to_string()])
    }
}

/// The Rust name of the message `stage` consumes.
pub fn input_type(stage: StageName) -> &'static str {
    match stage {
        StageName::Scheduler => "FrontierUpdate",
        StageName::Fetcher => "FetchJob",
        StageName::Parser => "FetchedPage",
        StageName::Extractor => "ParsedDocument",
        StageName::Indexer => "ReportRecord",
    }
}

/// `payload` decoded as `stage`'s input (the `Input` of its worker, which
/// this crate cannot name: the workers depend on it) in proto3 JSON.
fn decode_input(stage: StageName, payload: &[u8]) -> Result<serde_json::Value, String> {
    fn json<M: prost::Message + Default + serde::Serialize>(payload: &[u8]) -> Result<serde_json::Value, String> {
        let message = M::decode(payload).map_err(|e| e.to_string())?;
        serde_json::to_value(&message).map_err(|e| e.to_string())
    }
    match stage {
        StageName::Scheduler => json::<v1::FrontierUpdate>(payload),
        StageName::Fetcher => json::<v1::FetchJob>(payload),
        StageName::Parser => json::<v1::FetchedPage>(payload),
        StageName::Extractor => json::<v1::ParsedDocument>(payload),
        StageName::Indexer => json::<v1::ReportRecord>(payload),
    }
}

/// Up to `limit` bytes of `payload` on one line: UTF-8 text as it reads
/// (with control characters, quotes and backslashes escaped), any other
/// byte as `\xNN`, and `…` when there is more.
pub fn preview(payload: &[u8], limit: usize) -> String {
    let mut out = String::new();
    for chunk in payload[..payload.len().min(limit)].utf8_chunks() {
        out.extend(chunk.valid().chars().flat_map(char::escape_debug));
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    if payload.len() > limit {
        out.push('…');
    }
    out
}

/// Which dead letters: all of them, or one stage's, or one error class's.
#[derive(Debug, Clone, Default)]
pub struct LetterFilter {
    pub stage: Option<StageName>,
    pub class: Option<String>,
}

impl LetterFilter {
    fn subject(&self) -> String {
        match self.stage {
            Some(stage) => stage.dlq_subject(),
            None => format!("{}.>", names::SUBJECT_DLQ),
        }
    }

    fn matches(&self, letter: &StoredLetter) -> bool {
        self.stage.is_none_or(|s| letter.stage == Some(s))
            && self.class.as_deref().is_none_or(|c| letter.class.as_deref() == Some(c))
    }
}

/// What replaying one dead letter did.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// The dead letter's sequence (now deleted).
    pub sequence: u64,
    pub stage: Option<StageName>,
    pub subject: String,
    /// `Stored` at the work stream's sequence, or `Duplicate` when an
    /// earlier replay of the same letter had put it back already.
    pub published: Published,
}

impl Bus {
    async fn dlq_stream(&self) -> Result<stream::Stream, DlqError> {
        self.jetstream()
            .get_stream(names::STREAM_DLQ)
            .await
            .map_err(|e| DlqError::Read(format!("stream {}: {e}", names::STREAM_DLQ)))
    }

    /// The dead letters `filter` selects, oldest first.
    pub async fn dead_letters(&self, filter: &LetterFilter) -> Result<Vec<StoredLetter>, DlqError> {
        self.dead_letters_from(filter, 1).await
    }

    /// The dead-letter stream's last sequence: a mark to read the letters
    /// that come after it ([`Bus::dead_letters_after`]).
    pub async fn dead_letter_mark(&self) -> Result<u64, DlqError> {
        let mut stream = self.dlq_stream().await?;
        let info = stream.info().await.map_err(|e| DlqError::Read(e.to_string()))?;
        Ok(info.state.last_sequence)
    }

    /// The dead letters stored after `mark`, oldest first.
    pub async fn dead_letters_after(&self, mark: u64) -> Result<Vec<StoredLetter>, DlqError> {
        self.dead_letters_from(&LetterFilter::default(), mark + 1).await
    }

    async fn dead_letters_from(&self, filter: &LetterFilter, mut from: u64) -> Result<Vec<StoredLetter>, DlqError> {
        let stream = self.dlq_stream().await?;
        let subject = filter.subject();
        let mut letters = Vec::new();
        // One request per letter, each for the next one on the subject, so
        // the gaps replays leave cost nothing.
        loop {
            match stream.get_first_raw_message_by_subject(&subject, from).await {
                Ok(m) => {
                    from = m.sequence + 1;
                    let letter = StoredLetter::from_stream(m);
                    if filter.matches(&letter) {
                        letters.push(letter);
                    }
                }
                Err(e) if e.kind() == RawMessageErrorKind::NoMessageFound => return Ok(letters),
                Err(e) => return Err(DlqError::Read(e.to_string())),
            }
        }
    }

    /// The dead letter at `sequence`.
    pub async fn dead_letter_at(&self, sequence: u64) -> Result<StoredLetter, DlqError> {
        match self.dlq_stream().await?.get_raw_message(sequence).await {
            Ok(m) => Ok(StoredLetter::from_stream(m)),
            Err(e) if e.kind() == RawMessageErrorKind::NoMessageFound => Err(DlqError::NotFound(sequence)),
            Err(e) => Err(DlqError::Read(e.to_string())),
        }
    }

    /// Puts `letter`'s payload back on the subject it came from, under its
    /// [replay id](StoredLetter::replay_id), and waits for JetStream to
    /// store it; the dead letter stays. [`Bus::replay`] is this, then the
    /// deletion.
    pub async fn republish(&self, letter: &StoredLetter) -> Result<Published, DlqError> {
        let subject = letter.replay_subject()?;
        let publish = Publish {
            subject: subject.to_string(),
            payload: letter.payload.clone(),
            msg_id: letter.replay_id(subject),
            headers: HeaderMap::new(),
        };
        match self.publish(&publish).await? {
            Published::SubjectFull => Err(DlqError::NotReplayable {
                sequence: letter.sequence,
                reason: format!("the stream of {subject} refused it (subject full)"),
            }),
            published => Ok(published),
        }
    }

    /// Republishes `letter` and deletes it once JetStream has stored the
    /// republished message (never before: a failure in between leaves the
    /// letter to replay again, and that replay is deduplicated).
    pub async fn replay(&self, letter: &StoredLetter) -> Result<Replayed, DlqError> {
        let published = self.republish(letter).await?;
        let subject = letter.replay_subject()?.to_string();
        let stream = self.dlq_stream().await?;
        if let Err(e) = stream.delete_message(letter.sequence).await {
            // Deleted meanwhile (another operator replaying it) is deleted.
            if !matches!(self.dead_letter_at(letter.sequence).await, Err(DlqError::NotFound(_))) {
                return Err(DlqError::NotDeleted {
                    sequence: letter.sequence,
                    subject,
                    message: e.to_string(),
                });
            }
        }
        tracing::info!(sequence = letter.sequence, %subject, ?published, "dead letter replayed");
        Ok(Replayed {
            sequence: letter.sequence,
            stage: letter.stage,
            subject,
            published,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(stage: Option<StageName>, original_subject: Option<&str>) -> StoredLetter {
        StoredLetter {
            sequence: 7,
            time: SystemTime::UNIX_EPOCH,
            stage,
            class: Some("decode".into()),
            message: None,
            deliveries: Some(1),
            original_subject: original_subject.map(str::to_string),
            headers: HeaderMap::new(),
            payload: Bytes::from_static(b"<html>\n\xff"),
        }
    }

    #[test]
    fn previews_show_text_and_escape_the_rest() {
        assert_eq!(preview("<p>城关镇</p>\n".as_bytes(), 100), "<p>城关镇</p>\\n");
        assert_eq!(preview(b"ab\xff\x00cd", 100), "ab\\xff\\0cd");
        assert_eq!(preview(b"abcdef", 3), "abc…");
    }

    #[test]
    fn replays_go_only_where_the_stage_reads() {
        let ok = letter(Some(StageName::Parser), Some(names::SUBJECT_PAGES_FETCHED));
        assert_eq!(ok.replay_subject().unwrap(), names::SUBJECT_PAGES_FETCHED);
        for bad in [
            letter(Some(StageName::Parser), Some(names::SUBJECT_DOCS_PARSED)),
            letter(Some(StageName::Parser), Some("townreports.dlq.parser")),
            letter(Some(StageName::Parser), Some("townreports.pages.")),
            letter(Some(StageName::Parser), None),
            letter(None, Some(names::SUBJECT_PAGES_FETCHED)),
        ] {
            assert!(
                matches!(bad.replay_subject(), Err(DlqError::NotReplayable { sequence: 7, .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_letter_has_one_replay_id_of_its_own() {
        let a = letter(Some(StageName::Parser), Some(names::SUBJECT_PAGES_FETCHED));
        let mut b = a.clone();
        b.sequence = 8;
        let subject = names::SUBJECT_PAGES_FETCHED;
        assert_eq!(a.replay_id(subject), a.replay_id(subject));
        assert_ne!(a.replay_id(subject), b.replay_id(subject));
    }

    #[test]
    fn payloads_decode_as_their_stage_input() {
        let job = v1::FetchJob {
            url: "https://example.gov.cn/a.html".into(),
            ..Default::default()
        };
        let mut l = letter(Some(StageName::Fetcher), None);
        l.payload = Bytes::from(prost::Message::encode_to_vec(&job));
        assert_eq!(l.decoded().unwrap()["url"], "https://example.gov.cn/a.html");
        l.stage = Some(StageName::Parser);
        l.payload = Bytes::from_static(b"<html>");
        assert!(l.decoded().unwrap_err().starts_with("not a valid FetchedPage: "));
    }
}
