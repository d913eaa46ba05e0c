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
    docs: RwLock<Vec<Document>>,
}

impl Portal {
    pub fn new(site: Site, docs: Vec<Document>) -> Portal {
        Portal {
            site,
            docs: RwLock::new(docs),
        }
    }

    /// The documents newest first, as lists show them (same date: the
    /// higher article number first).
    pub fn listed(&self) -> Vec<Document> {
        let mut docs = self.read().clone();
        docs.sort_by(|a, b| {
            let (da, db) = (
                templates::PrintedDate::parse(&a.date),
                templates::PrintedDate::parse(&b.date),
            );
            (db.year, db.month, db.day, &b.date, b.id).cmp(&(da.year, da.month, da.day, &a.date, a.id))
        });
        docs
    }

    /// Changes the documents under the lock.
    pub fn update<T>(&self, change: impl FnOnce(&mut Vec<Document>) -> T) -> T {
        change(&mut self.docs.write().unwrap_or_else(|e| e.into_inner()))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Document>> {
        // Writers only push or replace whole documents: a poisoned lock
        // still guards a consistent list.
        self.docs.read().unwrap_or_else(|e| e.into_inner())
    }

    /// What the portal answers for `path?query`.
    fn respond(&self, path: &str, query: &str) -> Response {
        if templates::is_disallowed(&self.site, path) {
            return self.html(
                StatusCode::FORBIDDEN,
                self.error_page("403 Forbidden", "您无权访问该页面"),
            );
        }
        match templates::render(&self.site, &self.listed(), path, query) {
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

async fn serve(State(portal): State<Arc<Portal>>, request: Request) -> Response {
    let uri = request.uri();
    portal.respond(uri.path(), uri.query().unwrap_or(""))
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
