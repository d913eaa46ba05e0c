//! Every request every portal answered, for politeness tests: per-host
//! delays, robots.txt respected, no request to a path that was never linked.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// One request a portal answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// The portal's site id.
    pub portal: String,
    pub method: String,
    /// Path and query, as requested.
    pub path: String,
    /// When the request reached the portal.
    pub started: Instant,
    /// When the response was ready to send (its head; a body is sent after).
    pub finished: Instant,
    pub status: u16,
    /// Body bytes sent (0 when streamed without a known length).
    pub bytes: u64,
}

/// The log all portals share, in the order requests finished.
#[derive(Debug, Default)]
pub struct RequestLog(Mutex<Vec<RequestRecord>>);

impl RequestLog {
    pub fn snapshot(&self) -> Vec<RequestRecord> {
        // A panicking writer cannot leave a half-written Vec push behind,
        // so a poisoned lock still holds a sound log.
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn push(&self, record: RequestRecord) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(record);
    }
}

/// What the logging middleware needs: the log and whose requests these are.
#[derive(Clone)]
pub struct LogLayerState {
    pub log: Arc<RequestLog>,
    pub portal: Arc<str>,
}

/// Middleware: records every request around whatever answers it, so
/// handlers added later (throttling, errors, traps) are logged too.
pub async fn record(State(state): State<LogLayerState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let path = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| request.uri().path().to_string());
    let response = next.run(request).await;
    state.log.push(RequestRecord {
        portal: state.portal.to_string(),
        method,
        path,
        started,
        finished: Instant::now(),
        status: response.status().as_u16(),
        bytes: axum::body::HttpBody::size_hint(response.body()).exact().unwrap_or(0),
    });
    response
}
