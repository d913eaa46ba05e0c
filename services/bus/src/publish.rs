//! Publishing with JetStream acknowledgement and content-derived message ids.

use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::message::PublishMessage;
use bytes::Bytes;
use sha2::{Digest, Sha256};

use townreports_proto::v1::FetchJob;

use crate::{Bus, BusError};

/// How long to wait for JetStream's ack of one publish before retrying it.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per publish. Retries reuse the message id, so a publish that the
/// server stored but whose ack was lost is deduplicated, not doubled.
const PUBLISH_ATTEMPTS: u32 = 4;

/// One message to publish.
#[derive(Debug, Clone)]
pub struct Publish {
    pub subject: String,
    pub payload: Bytes,
    /// `Nats-Msg-Id`: the same logical message always gets the same id, so
    /// a redelivered input republishes without creating a duplicate.
    pub msg_id: String,
    pub headers: HeaderMap,
}

impl Publish {
    /// A protobuf message whose id is derived from `identity` (the parts
    /// that make this output unique, e.g. a URL and a schedule time).
    pub fn proto(subject: impl Into<String>, message: &impl prost::Message, identity: &[&str]) -> Self {
        let subject = subject.into();
        let msg_id = content_id(&subject, identity);
        Publish {
            subject,
            payload: Bytes::from(message.encode_to_vec()),
            msg_id,
            headers: HeaderMap::new(),
        }
    }

    /// An output of a fetch job (the job itself, its page, its outcome, its
    /// document, its links): identified by the job's URL and dispatch time,
    /// not by what a delivery happened to receive, so the outputs of a
    /// redelivered job dedupe while a revisit is a new message.
    pub fn of_job(subject: impl Into<String>, message: &impl prost::Message, job: &FetchJob) -> Self {
        let at = job.scheduled_at_ms.to_string();
        Self::proto(subject, message, &[&job.url, &at])
    }

    /// A protobuf message whose id is the hash of its own bytes: for outputs
    /// that are a pure function of the input.
    pub fn proto_by_content(subject: impl Into<String>, message: &impl prost::Message) -> Self {
        let subject = subject.into();
        let payload = message.encode_to_vec();
        let digest = townreports_proto::sha256_hex(&payload);
        let msg_id = content_id(&subject, &[&digest]);
        Publish {
            subject,
            payload: Bytes::from(payload),
            msg_id,
            headers: HeaderMap::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name, value);
        self
    }
}

/// `subject` + identity parts, hashed: short, stable, free of odd characters.
pub fn content_id(subject: &str, identity: &[&str]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(subject.as_bytes());
    for part in identity {
        hasher.update([0u8]);
        hasher.update(part.as_bytes());
    }
    hex::encode(&hasher.finalize()[..20])
}

/// What JetStream said about a publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// Stored at this stream sequence.
    Stored { sequence: u64 },
    /// Already stored earlier under the same message id.
    Duplicate,
    /// Refused because the subject already holds its one allowed message
    /// (the events stream's "one event per report, forever").
    SubjectFull,
}

impl Bus {
    /// Publishes and waits for JetStream to acknowledge storage, retrying
    /// lost acks with the same message id.
    pub async fn publish(&self, p: &Publish) -> Result<Published, BusError> {
        let mut last_error = String::new();
        for attempt in 1..=PUBLISH_ATTEMPTS {
            let mut message = PublishMessage::build().payload(p.payload.clone()).message_id(&p.msg_id);
            for (name, values) in p.headers.iter() {
                for value in values {
                    message = message.header(name.clone(), value.clone());
                }
            }
            let sent = self.jetstream().send_publish(p.subject.clone(), message).await;
            let result = match sent {
                Ok(ack) => match tokio::time::timeout(ACK_TIMEOUT, ack).await {
                    Ok(result) => result,
                    Err(_) => {
                        last_error = "no ack within timeout".into();
                        continue;
                    }
                },
                Err(e) => Err(e),
            };
            match result {
                Ok(ack) if ack.duplicate => return Ok(count(Published::Duplicate)),
                Ok(ack) => return Ok(count(Published::Stored { sequence: ack.sequence })),
                Err(e) if is_subject_full(&e) => return Ok(count(Published::SubjectFull)),
                Err(e) if e.kind() == PublishErrorKind::MaxPayloadExceeded => {
                    return Err(BusError::Publish {
                        subject: p.subject.clone(),
                        message: e.to_string(),
                    });
                }
                Err(e) => {
                    last_error = e.to_string();
                    tracing::debug!(subject = %p.subject, attempt, error = %e, "publish failed; retrying");
                    tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                }
            }
        }
        Err(BusError::Publish {
            subject: p.subject.clone(),
            message: last_error,
        })
    }

    /// Publishes several messages; all must be stored before the caller acks its input.
    pub async fn publish_all(&self, publishes: &[Publish]) -> Result<Vec<Published>, BusError> {
        let mut results = Vec::with_capacity(publishes.len());
        for p in publishes {
            results.push(self.publish(p).await?);
        }
        Ok(results)
    }
}

/// Counts a publish by what JetStream did with it: duplicates are work
/// done twice (a redelivery after a crash or lost ack), visible on /metrics.
fn count(published: Published) -> Published {
    let outcome = match published {
        Published::Stored { .. } => "stored",
        Published::Duplicate => "duplicate",
        Published::SubjectFull => "subject_full",
    };
    metrics::counter!("townreports_published_total", "outcome" => outcome).increment(1);
    published
}

/// JetStream error 10077: "maximum messages per subject exceeded".
fn is_subject_full(e: &async_nats::jetstream::context::PublishError) -> bool {
    let text = format!("{e} {:?}", std::error::Error::source(e));
    text.contains("10077") || text.contains("maximum messages per subject")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ids_are_stable_and_distinct() {
        let a = content_id("s", &["u", "1"]);
        assert_eq!(a, content_id("s", &["u", "1"]));
        assert_ne!(a, content_id("s", &["u1", ""]));
        assert_ne!(a, content_id("t", &["u", "1"]));
        assert_eq!(a.len(), 40);
    }
}
