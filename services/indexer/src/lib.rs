//! The indexer: stores each report once (an upsert keyed by the report id)
//! and announces it once — a new-report event for the first version, an
//! update event for each changed version after.
//!
//! Pure logic: [`validate`] here, storage in `townreports-store`, with
//! the writes of concurrent messages grouped into shared transactions by
//! [`batch`]. NATS glue: [`worker`].

pub mod batch;
pub mod worker;

use townreports_proto::content_sha256;
use townreports_proto::v1::ReportRecord;

/// Why a record cannot be stored: it contradicts itself.
#[derive(Debug, thiserror::Error)]
#[error("invalid record: {0}")]
pub struct InvalidRecord(pub String);

/// A record must say what it is and match its own content hash.
pub fn validate(record: &ReportRecord) -> Result<(), InvalidRecord> {
    if record.id.trim().is_empty() {
        return Err(InvalidRecord("empty id".into()));
    }
    if record.is_report.is_none() {
        return Err(InvalidRecord(format!("{}: is_report is not set", record.id)));
    }
    if record.content_sha256 != content_sha256(&record.text) {
        return Err(InvalidRecord(format!(
            "{}: content_sha256 does not match the text",
            record.id
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, text: &str) -> ReportRecord {
        ReportRecord {
            id: id.into(),
            is_report: Some(true),
            text: text.into(),
            content_sha256: content_sha256(text),
            ..Default::default()
        }
    }

    #[test]
    fn records_that_contradict_themselves_are_invalid() {
        let mut r = record("r1", "x");
        assert!(validate(&r).is_ok());
        r.content_sha256 = "0".repeat(64);
        assert!(validate(&r).is_err());
        let mut r = record("", "x");
        assert!(validate(&r).is_err());
        r.id = "r".into();
        r.is_report = None;
        assert!(validate(&r).is_err());
    }
}
