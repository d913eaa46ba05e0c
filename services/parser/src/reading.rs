//! One fetched response read the way the parser worker and `townreports
//! reprocess` both read it: the document for the extractor, when it is
//! one, and what the scheduler hears (links, and how an attachment fared).

use townreports_proto::v1::{DiscoveredLinks, FetchJob, ParsedDocument};
use url::Url;

use crate::page::{Parsed, parse_fetched};

/// A fetched response as the pipeline sees it.
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    pub job: &'a FetchJob,
    /// Where the body came from after redirects; empty: the job's URL.
    pub final_url: &'a str,
    pub content_type: &'a str,
    pub body: &'a [u8],
    /// Hex SHA-256 of the body: the change marker of an unread attachment.
    pub body_sha256: &'a str,
    pub fetched_at_ms: i64,
}

/// What the parser made of a response.
#[derive(Debug, Clone)]
pub struct Reading {
    /// The document for the extractor; `None` for lists, portals and
    /// attachments without text.
    pub document: Option<ParsedDocument>,
    /// For the scheduler: the links to follow, and for an attachment its
    /// format read, image-only or unsupported (with the reason).
    pub links: DiscoveredLinks,
}

/// The response's final URL is no URL: nothing can be read from it.
#[derive(Debug, thiserror::Error)]
#[error("bad URL {url}: {message}")]
pub struct BadUrl {
    pub url: String,
    pub message: String,
}

/// Reads one response. CPU work: call it off async threads.
pub fn read_response(response: &Response<'_>) -> Result<Reading, BadUrl> {
    let job = response.job;
    let final_url = if response.final_url.is_empty() {
        job.url.as_str()
    } else {
        response.final_url
    };
    let url = Url::parse(final_url).map_err(|e| BadUrl {
        url: final_url.to_string(),
        message: e.to_string(),
    })?;
    let content_type = (!response.content_type.is_empty()).then_some(response.content_type);
    // What the scheduler hears of an attachment that gave no text: no links.
    let unread = || DiscoveredLinks {
        job: Some(job.clone()),
        clean_text_sha256: response.body_sha256.to_string(),
        ..Default::default()
    };
    let (page, read_format) = match parse_fetched(&url, response.body, content_type) {
        Parsed::Page(page) => (page, ""),
        Parsed::Attachment { format, page } => (page, format),
        Parsed::ImageOnly(format) => {
            let links = DiscoveredLinks {
                image_only_format: format.to_string(),
                ..unread()
            };
            return Ok(Reading { document: None, links });
        }
        Parsed::Unsupported { format, reason } => {
            let links = DiscoveredLinks {
                unsupported_format: format.to_string(),
                unsupported_reason: reason,
                ..unread()
            };
            return Ok(Reading { document: None, links });
        }
    };
    let links = DiscoveredLinks {
        read_format: read_format.to_string(),
        ..page.discovered_links(job)
    };
    let document = page
        .is_document(job)
        .then(|| page.into_document(job.clone(), final_url, response.fetched_at_ms));
    Ok(Reading { document, links })
}
