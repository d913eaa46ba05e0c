//! Dead letters: a message that cannot be processed goes to
//! `townreports.dlq.<stage>` with its reason in headers, byte for byte, so an
//! operator can inspect it and replay it after a fix (`townreports dlq`).

use async_nats::HeaderMap;
use bytes::Bytes;
use townreports_proto::topology::{self as names, Stage};

use crate::publish::{Publish, content_id};
use crate::{Bus, BusError};

/// Why a message was dead-lettered.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub stage: Stage,
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
