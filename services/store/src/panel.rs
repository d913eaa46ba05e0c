//! Panel data: one row per stated metric with its township and year, ready
//! for pandas, R or Stata; a target row carries the outcome its township
//! reported for that year, and whether the target was attained.

use serde::Serialize;
use sqlx::Row;

use crate::search::{ReportFilter, nonempty};
use crate::sql::{Sql, like_literal};
use crate::{Backend, Store, StoreError};

/// Which metrics to export: those of the reports `filter` keeps, whose
/// name contains `indicator`, of one `kind` (`actual` or `target`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricQuery {
    pub filter: ReportFilter,
    pub indicator: Option<String>,
    pub kind: Option<String>,
    /// Only the metrics of this report.
    pub report_id: Option<String>,
}

/// One metric, as a row of the panel (the CSV columns, in order).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricRow {
    pub division_code: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub county: Option<String>,
    pub township: Option<String>,
    /// The year the figure is for: the metric's own, else the report's
    /// plan year for a target and review year for an actual value.
    pub year: Option<i64>,
    pub indicator: String,
    pub value: Option<f64>,
    pub unit: Option<String>,
    pub value_normalized: Option<f64>,
    pub unit_normalized: Option<String>,
    /// `actual` or `target`.
    pub kind: String,
    pub qualifier: Option<String>,
    pub growth_pct: Option<f64>,
    pub report_id: String,
    pub doc_type: Option<String>,
    /// For a target: the outcome the same township reported for `year`.
    pub actual_value: Option<f64>,
    pub actual_unit: Option<String>,
    pub actual_value_normalized: Option<f64>,
    pub actual_growth_pct: Option<f64>,
    pub actual_report_id: Option<String>,
    /// For a target with an outcome: whether the outcome reached it (by
    /// normalised value, else by growth rate).
    pub attained: Option<bool>,
    /// The metric's position in its report (with `report_id`, its key).
    pub position: i64,
}

/// Where a page of metric rows ends: the next page starts after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricKey {
    pub report_id: String,
    pub position: i64,
}

/// Rows fetched per round trip by a full export.
pub const PAGE_ROWS: i64 = 2_000;

impl MetricQuery {
    /// Checks the filters without running anything.
    pub fn validate(&self) -> Result<(), StoreError> {
        self.sql(Backend::Sqlite, &MetricKey::default(), 1).map(|_| ())
    }

    fn sql(&self, backend: Backend, after: &MetricKey, limit: i64) -> Result<Sql, StoreError> {
        let mut sql = Sql::new(
            "SELECT r.division_code, r.province, r.city, r.county, r.township,
                 COALESCE(m.year, CASE WHEN m.kind = 'target' THEN r.plan_year ELSE r.review_year END),
                 m.name, m.value, m.unit, m.value_normalized, m.unit_normalized, m.kind, m.qualifier, m.growth_pct,
                 m.report_id, r.doc_type,
                 a.value, a.unit, a.value_normalized, a.growth_pct, o.actual_report_id, m.position
             FROM report_metrics m JOIN reports r ON r.id = m.report_id
             LEFT JOIN target_outcomes o ON o.target_report_id = m.report_id AND o.target_position = m.position
             LEFT JOIN report_metrics a ON a.report_id = o.actual_report_id AND a.position = o.actual_position
             WHERE (m.report_id > ",
        );
        sql.bind(after.report_id.as_str())
            .push(" OR (m.report_id = ")
            .bind(after.report_id.as_str())
            .push(" AND m.position > ")
            .bind(after.position)
            .push("))");
        self.filter.push(&mut sql, backend)?;
        if let Some(indicator) = nonempty(&self.indicator) {
            sql.push(" AND m.name LIKE ")
                .bind(format!("%{}%", like_literal(indicator)))
                .push(" ESCAPE '\\'");
        }
        if let Some(id) = nonempty(&self.report_id) {
            sql.push(" AND m.report_id = ").bind(id);
        }
        match self.kind.as_deref().map(str::trim) {
            None | Some("") => {}
            Some(kind @ ("actual" | "target")) => {
                sql.push(" AND m.kind = ").bind(kind);
            }
            Some(other) => {
                return Err(StoreError::BadQuery(format!(
                    "kind must be actual or target (got {other:?})"
                )));
            }
        }
        sql.push(" ORDER BY m.report_id, m.position LIMIT ").bind(limit);
        Ok(sql)
    }
}

impl Store {
    /// Up to `limit` metric rows after `after` (the default key: from the
    /// start), in report-id order.
    pub async fn metric_rows(
        &self,
        query: &MetricQuery,
        after: &MetricKey,
        limit: i64,
    ) -> Result<Vec<MetricRow>, StoreError> {
        let rows = query
            .sql(self.backend, after, limit)?
            .query()
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut metric = MetricRow {
                division_code: row.try_get(0)?,
                province: row.try_get(1)?,
                city: row.try_get(2)?,
                county: row.try_get(3)?,
                township: row.try_get(4)?,
                year: row.try_get(5)?,
                indicator: row.try_get(6)?,
                value: row.try_get(7)?,
                unit: row.try_get(8)?,
                value_normalized: row.try_get(9)?,
                unit_normalized: row.try_get(10)?,
                kind: row.try_get(11)?,
                qualifier: row.try_get(12)?,
                growth_pct: row.try_get(13)?,
                report_id: row.try_get(14)?,
                doc_type: row.try_get(15)?,
                actual_value: row.try_get(16)?,
                actual_unit: row.try_get(17)?,
                actual_value_normalized: row.try_get(18)?,
                actual_growth_pct: row.try_get(19)?,
                actual_report_id: row.try_get(20)?,
                attained: None,
                position: row.try_get(21)?,
            };
            metric.attained = attained(&metric);
            out.push(metric);
        }
        Ok(out)
    }
}

/// Whether an outcome reached its target: by normalised value when both
/// have one, else by growth rate. A target stated as a ceiling (控制在…以内)
/// is read the same way; the row keeps the qualifier to tell.
fn attained(row: &MetricRow) -> Option<bool> {
    row.actual_report_id.as_ref()?;
    match (row.value_normalized, row.actual_value_normalized) {
        (Some(target), Some(actual)) => Some(actual >= target),
        _ => Some(row.actual_growth_pct? >= row.growth_pct?),
    }
}

impl Store {
    /// The targets report `id` set, each with its outcome when known.
    pub async fn targets_of(&self, id: &str) -> Result<Vec<MetricRow>, StoreError> {
        let query = MetricQuery {
            kind: Some("target".into()),
            report_id: Some(id.to_string()),
            ..Default::default()
        };
        self.metric_rows(&query, &MetricKey::default(), PAGE_ROWS).await
    }
}

impl MetricRow {
    /// The key a following page starts after.
    pub fn key(&self) -> MetricKey {
        MetricKey {
            report_id: self.report_id.clone(),
            position: self.position,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_attained_by_value_else_by_growth() {
        let row = |target: Option<f64>, actual: Option<f64>, tg: Option<f64>, ag: Option<f64>| MetricRow {
            division_code: None,
            province: None,
            city: None,
            county: None,
            township: None,
            year: Some(2021),
            indicator: "财政收入".into(),
            value: target,
            unit: None,
            value_normalized: target,
            unit_normalized: None,
            kind: "target".into(),
            qualifier: None,
            growth_pct: tg,
            report_id: "a".into(),
            doc_type: None,
            actual_value: actual,
            actual_unit: None,
            actual_value_normalized: actual,
            actual_growth_pct: ag,
            actual_report_id: Some("b".into()),
            attained: None,
            position: 0,
        };
        assert_eq!(attained(&row(Some(55e6), Some(56e6), None, None)), Some(true));
        assert_eq!(attained(&row(Some(55e6), Some(50e6), None, None)), Some(false));
        assert_eq!(attained(&row(None, None, Some(8.0), Some(7.5))), Some(false));
        assert_eq!(attained(&row(None, None, Some(8.0), None)), None);
        let mut unlinked = row(Some(1.0), Some(2.0), None, None);
        unlinked.actual_report_id = None;
        assert_eq!(attained(&unlinked), None);
    }

    #[test]
    fn bad_kinds_are_refused() {
        let q = MetricQuery {
            kind: Some("forecast".into()),
            ..Default::default()
        };
        assert!(matches!(q.validate(), Err(StoreError::BadQuery(m)) if m.contains("kind")));
    }
}
