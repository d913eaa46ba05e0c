//! One portal's HTTP side: routing a request to a page of its template,
//! and encoding it in the portal's charset.

use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::log::{LogLayerState, RequestLog};
use crate::model::Document;
use crate::templates::{self, Page, Site};

/// A running portal: its site and its documents, which tests may change
/// while it serves.
pub struct Portal {
    pub site: Site,
    /// Kept newest first, as lists show them, so a request renders under
    /// the read lock without copying or sorting.
    docs: RwLock<Vec<Document>>,
}

impl Portal {
    pub fn new(site: Site, mut docs: Vec<Document>) -> Portal {
        newest_first(&mut docs);
        Portal {
            site,
            docs: RwLock::new(docs),
        }
    }

    /// A copy of the documents, newest first.
    pub fn listed(&self) -> Vec<Document> {
        self.read().clone()
    }

    /// Changes the documents under the lock; they are put back in list
    /// order afterwards.
    pub fn update<T>(&self, change: impl FnOnce(&mut Vec<Document>) -> T) -> T {
        let mut docs = self.docs.write().unwrap_or_else(|e| e.into_inner());
        let out = change(&mut docs);
        newest_first(&mut docs);
        out
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Document>> {
        // Writers only push or replace whole documents: a poisoned lock
        // still guards a consistent list.
        self.docs.read().unwrap_or_else(|e| e.into_inner())
    }

    /// What the portal answers for `path?query`. Pages carry an ETag, as
    /// the static pages TRS and Hanweb publish do, and a request whose
    /// `If-None-Match` names the current one gets 304 and no body.
    async fn respond(&self, path: &str, query: &str, if_none_match: Option<&str>) -> Response {
        let response = self.page(path, query);
        if response.status() != StatusCode::OK {
            return response;
        }
        let (parts, body) = response.into_parts();
        // Rendered in memory: reading the body back cannot fail.
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
        // The hasher is the same for the life of the portals, which is all
        // an ETag here needs.
        let etag = format!("\"{:016x}\"", {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut hasher);
            hasher.finish()
        });
        if if_none_match.is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag)) {
            return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
        }
        let mut response = Response::from_parts(parts, axum::body::Body::from(bytes));
        if let Ok(value) = HeaderValue::from_str(&etag) {
            response.headers_mut().insert(header::ETAG, value);
        }
        response
    }

    fn page(&self, path: &str, query: &str) -> Response {
        if templates::is_disallowed(&self.site, path) {
            return self.html(
                StatusCode::FORBIDDEN,
                self.error_page("403 Forbidden", "您无权访问该页面"),
            );
        }
        let page = templates::render(&self.site, &self.read(), path, query);
        match page {
            Some(Page::Html(html)) => self.html(StatusCode::OK, html),
            Some(Page::Text(text)) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response(),
            None => self.html(
                StatusCode::NOT_FOUND,
                self.error_page("404 Not Found", "您访问的页面不存在或已被删除"),
            ),
        }
    }

    /// An HTML response in the portal's charset. A GBK portal declares
    /// gb2312, as such sites do; characters GBK lacks become `&#N;`.
    fn html(&self, status: StatusCode, html: String) -> Response {
        let content_type = if self.site.gbk() {
            "text/html; charset=gb2312"
        } else {
            "text/html; charset=utf-8"
        };
        let mut response = (status, self.encode(html)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        response
    }

    /// The bytes of a page in the portal's charset.
    pub fn encode(&self, html: String) -> Vec<u8> {
        if self.site.gbk() {
            encoding_rs::GBK.encode(&html).0.into_owned()
        } else {
            html.into_bytes()
        }
    }

    fn error_page(&self, title: &str, message: &str) -> String {
        let charset = if self.site.gbk() { "gb2312" } else { "utf-8" };
        format!(
            "<!DOCTYPE html>\n<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset={charset}\" /><title>{title}</title></head>\n\
             <body><h1>{title}</h1><p>{message}</p><p><a href=\"/\">返回首页</a></p></body></html>\n"
        )
    }
}

/// List order: newest first by printed date, then by article number.
fn newest_first(docs: &mut [Document]) {
    docs.sort_by_cached_key(|d| {
        let date = templates::PrintedDate::parse(&d.date);
        std::cmp::Reverse((date.year, date.month, date.day, d.date.clone(), d.id))
    });
}

async fn serve(State(portal): State<Arc<Portal>>, request: Request) -> Response {
    let uri = request.uri();
    let if_none_match = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    portal
        .respond(uri.path(), uri.query().unwrap_or(""), if_none_match)
        .await
}

/// The portal's router, every request logged.
pub fn router(portal: Arc<Portal>, log: Arc<RequestLog>) -> Router {
    let state = LogLayerState {
        log,
        portal: Arc::from(portal.site.spec.id.as_str()),
    };
    Router::new()
        .fallback(serve)
        .with_state(portal)
        .layer(axum::middleware::from_fn_with_state(state, crate::log::record))
}
