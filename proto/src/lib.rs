//! The messages that cross the townreports bus (`townreports.v1`, generated
//! from `proto/townreports/v1/*.proto`) and the one place that names the
//! subjects, streams and consumers they travel on ([`topology`]).
//!
//! Reading order: `crawl.proto` (scheduler → fetcher → parser), then
//! `document.proto` (parser → extractor), `record.proto` (extractor →
//! indexer) and `events.proto` (indexer → subscribers).

pub mod topology;

/// Generated prost types with pbjson serde impls (proto3 JSON, proto field names).
#[allow(clippy::all, missing_docs)]
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/townreports.v1.rs"));
    include!(concat!(env!("OUT_DIR"), "/townreports.v1.serde.rs"));
}

pub use prost::Message;

/// Bytes of a robots.txt carried in `FetchOutcome.robots_txt` and read by
/// the scheduler; Google reads 500 KiB too.
pub const MAX_ROBOTS_TXT_BYTES: usize = 512 * 1024;

/// Bytes of the longest URL the crawl follows (as serialised, percent-encoded):
/// the parser drops longer links, the frontier refuses them and the fetcher
/// refuses a job naming one. Twice the sitemaps protocol's 2,048-character
/// limit, so no real page is lost, and half the 8 KB request line Apache
/// (`LimitRequestLine` 8,190) and nginx (`large_client_header_buffers`)
/// accept by default, so every URL kept can be requested at all; longer
/// ones are generated (a trap, or a page appending to its own URL).
pub const MAX_URL_BYTES: usize = 4_096;

/// Now, in Unix milliseconds: the unit of every `*_ms` field.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Hex SHA-256 of a record's text: `ReportRecord.content_sha256` is defined
/// as this, and the indexer checks it.
pub fn content_sha256(text: &str) -> String {
    sha256_hex(text.as_bytes())
}

/// Hex SHA-256 of a fetched body: `FetchedPage.body_sha256`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}
