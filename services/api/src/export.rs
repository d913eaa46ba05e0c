//! Bulk exports, streamed: the panel of metrics as CSV or JSON Lines and
//! every report as JSON Lines, fetched from the store a page at a time
//! while the response is being sent.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::{Stream, StreamExt, stream};
use townreports_store::panel::{MetricKey, PAGE_ROWS};
use townreports_store::{MetricQuery, MetricRow, Store, StoreError};

use crate::ApiResult;
use crate::params::{self, Params};

/// The CSV columns, in order: [`MetricRow`]'s fields.
pub const METRIC_COLUMNS: &[&str] = &[
    "division_code",
    "province",
    "city",
    "county",
    "township",
    "year",
    "indicator",
    "value",
    "unit",
    "value_normalized",
    "unit_normalized",
    "kind",
    "qualifier",
    "growth_pct",
    "report_id",
    "doc_type",
    "actual_value",
    "actual_unit",
    "actual_value_normalized",
    "actual_growth_pct",
    "actual_report_id",
    "attained",
    "position",
];

/// Pages of metric rows until the store has no more.
fn metric_pages(store: Arc<Store>, query: MetricQuery) -> impl Stream<Item = Result<Vec<MetricRow>, StoreError>> {
    stream::try_unfold(Some(MetricKey::default()), move |after| {
        let (store, query) = (store.clone(), query.clone());
        async move {
            let Some(after) = after else { return Ok(None) };
            let rows = store.metric_rows(&query, &after, PAGE_ROWS).await?;
            let next = (rows.len() as i64 == PAGE_ROWS)
                .then(|| rows.last().map(MetricRow::key))
                .flatten();
            Ok(Some((rows, next)))
        }
    })
}

fn metric_query(pairs: Vec<(String, String)>) -> ApiResult<MetricQuery> {
    let query = Params::parse(pairs, &params::metric_keys())?.metrics()?;
    query.validate()?;
    Ok(query)
}

/// A streamed body; an error after the first byte can only end the stream
/// (the status is sent), so it is logged and the body cut short.
fn streamed(
    content_type: &'static str,
    chunks: impl Stream<Item = Result<Bytes, StoreError>> + Send + 'static,
) -> Response {
    let body = Body::from_stream(chunks.map(|chunk| {
        chunk.map_err(|e| {
            tracing::error!(error = %e, "export cut short");
            std::io::Error::other(e.to_string())
        })
    }));
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

pub async fn metrics_csv(
    State(store): State<Arc<Store>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let query = metric_query(pairs)?;
    let header_line = stream::once(async { Ok(Bytes::from(format!("{}\n", METRIC_COLUMNS.join(",")))) });
    let rows = metric_pages(store, query).map(|page| {
        let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        for row in page? {
            writer.serialize(&row).map_err(|e| StoreError::Corrupt {
                id: row.report_id.clone(),
                message: e.to_string(),
            })?;
        }
        Ok(Bytes::from(writer.into_inner().unwrap_or_default()))
    });
    Ok(streamed("text/csv; charset=utf-8", header_line.chain(rows)))
}

pub async fn metrics_jsonl(
    State(store): State<Arc<Store>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let query = metric_query(pairs)?;
    let rows = metric_pages(store, query).map(|page| Ok(json_lines(&page?)));
    Ok(streamed("application/x-ndjson", rows))
}

/// Every report's latest record with its sources, one per line, in id order.
pub async fn reports_jsonl(
    State(store): State<Arc<Store>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    Params::parse(pairs, &[])?;
    const PAGE: i64 = 200;
    let pages = stream::try_unfold(Some(String::new()), move |after| {
        let store = store.clone();
        async move {
            let Some(after) = after else { return Ok(None) };
            let records = store.records_after(&after, PAGE).await?;
            let next = (records.len() as i64 == PAGE)
                .then(|| records.last().map(|r| r.id.clone()))
                .flatten();
            Ok(Some((json_lines(&records), next)))
        }
    });
    Ok(streamed("application/x-ndjson", pages))
}

fn json_lines<T: serde::Serialize>(items: &[T]) -> Bytes {
    let mut out = Vec::new();
    for item in items {
        // Serialising plain data into memory cannot fail.
        if serde_json::to_writer(&mut out, item).is_ok() {
            out.push(b'\n');
        }
    }
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_are_the_row_fields_in_order() {
        let row = MetricRow {
            division_code: Some("511102109".into()),
            province: None,
            city: None,
            county: None,
            township: Some("城关镇".into()),
            year: Some(2023),
            indicator: "财政收入, 一般".into(),
            value: Some(3260.0),
            unit: Some("万元".into()),
            value_normalized: Some(32_600_000.0),
            unit_normalized: Some("yuan".into()),
            kind: "actual".into(),
            qualifier: None,
            growth_pct: Some(4.1),
            report_id: "r".into(),
            doc_type: None,
            actual_value: None,
            actual_unit: None,
            actual_value_normalized: None,
            actual_growth_pct: None,
            actual_report_id: None,
            attained: None,
            position: 3,
        };
        let value = serde_json::to_value(&row).unwrap();
        let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        let mut columns: Vec<&str> = METRIC_COLUMNS.to_vec();
        columns.sort();
        assert_eq!(keys, columns);
        let mut writer = csv::WriterBuilder::new().has_headers(true).from_writer(Vec::new());
        writer.serialize(&row).unwrap();
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        assert_eq!(text.lines().next().unwrap(), METRIC_COLUMNS.join(","));
        assert!(text.contains("\"财政收入, 一般\""), "{text}");
    }
}
