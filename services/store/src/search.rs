//! Finding reports: full-text words (segmented like the index, see
//! [`crate::segment`]) combined with filters on the township (name or code
//! prefix at any level), year, document type and indicator, best match
//! first, a page at a time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use sqlx::Row;

use crate::sql::{Sql, like_literal};
use crate::{Backend, Store, StoreError, segment};

/// Reports per page unless `limit` says otherwise, and the most it may say.
pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 200;

/// Which reports: by place (a name such as 四川 or 四川省, or a code prefix
/// such as 51, at each level), year and document type. Every field is
/// optional; those given must all hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportFilter {
    pub province: Option<String>,
    pub city: Option<String>,
    pub county: Option<String>,
    pub township: Option<String>,
    /// A division code prefix: 51, 5111, 511102, 511102109.
    pub code: Option<String>,
    /// The year a report reviews or plans.
    pub year: Option<i32>,
    /// One of [`DOC_TYPES`].
    pub doc_type: Option<String>,
}

/// A search: words, filters and the page wanted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    /// Words to find in the title, place names and text (城关, 粮食播种面积).
    pub q: Option<String>,
    pub filter: ReportFilter,
    /// An indicator the report states a figure for (part of its name).
    pub indicator: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    /// The `next_cursor` of the previous page (instead of `offset`).
    pub cursor: Option<String>,
}

/// The document types a report can have.
pub const DOC_TYPES: &[&str] = &[
    "government_work_report",
    "work_summary",
    "work_summary_and_plan",
    "work_plan",
];

/// A report in a result list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportSummary {
    pub id: String,
    pub title: Option<String>,
    pub doc_type: Option<String>,
    pub is_report: bool,
    pub division_code: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub county: Option<String>,
    pub township: Option<String>,
    pub review_year: Option<i64>,
    pub plan_year: Option<i64>,
    pub version: i64,
    pub updated_ms: i64,
    /// How many metrics and sources it has.
    pub metrics: i64,
    pub sources: i64,
    /// How well it matches `q` (higher is better; absent without `q`).
    pub score: Option<f64>,
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchPage {
    /// Matching reports in all, counted up to [`MAX_COUNT`]: beyond it
    /// `total` is that bound and `total_exact` is false ("more than").
    pub total: i64,
    pub total_exact: bool,
    pub limit: i64,
    pub offset: i64,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
    pub reports: Vec<ReportSummary>,
}

const SUMMARY_COLUMNS: &str = "r.id, r.title, r.doc_type, CASE WHEN r.is_report THEN 1 ELSE 0 END, r.division_code,
    r.province, r.city, r.county, r.township, r.review_year, r.plan_year, r.version, r.updated_ms,
    (SELECT COUNT(*) FROM report_metrics m WHERE m.report_id = r.id),
    (SELECT COUNT(*) FROM report_sources s WHERE s.report_id = r.id)";

/// The most matches a search counts exactly.
pub const MAX_COUNT: i64 = 10_000;

impl SearchQuery {
    /// The page size and start this query asks for, checked.
    fn window(&self) -> Result<(i64, i64), StoreError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(StoreError::BadQuery(format!(
                "limit must be between 1 and {MAX_LIMIT} (got {limit})"
            )));
        }
        let offset = match (&self.cursor, self.offset) {
            (Some(_), Some(_)) => return Err(StoreError::BadQuery("give either cursor or offset, not both".into())),
            (Some(cursor), None) => decode_cursor(cursor)?,
            (None, offset) => offset.unwrap_or(0),
        };
        if !(0..=1_000_000).contains(&offset) {
            return Err(StoreError::BadQuery(format!(
                "offset must be between 0 and 1000000 (got {offset})"
            )));
        }
        Ok((limit, offset))
    }

    fn push_filters(&self, sql: &mut Sql, backend: Backend) -> Result<(), StoreError> {
        self.filter.push(sql, backend)?;
        if let Some(indicator) = nonempty(&self.indicator) {
            sql.push(" AND EXISTS (SELECT 1 FROM report_metrics im WHERE im.report_id = r.id AND im.name LIKE ")
                .bind(format!("%{}%", like_literal(indicator)))
                .push(" ESCAPE '\\')");
        }
        Ok(())
    }
}

impl ReportFilter {
    /// Appends ` AND …` for every filter on the reports `r` to `sql`
    /// (whose `WHERE` is open).
    pub(crate) fn push(&self, sql: &mut Sql, backend: Backend) -> Result<(), StoreError> {
        for (level, column, value) in [
            ("province", "r.province", &self.province),
            ("city", "r.city", &self.city),
            ("county", "r.county", &self.county),
            ("township", "r.township", &self.township),
        ] {
            let Some(value) = nonempty(value) else { continue };
            if value.chars().all(|c| c.is_ascii_digit()) {
                push_code_prefix(sql, backend, level, value)?;
            } else {
                sql.push(&format!(" AND {column} LIKE "))
                    .bind(format!("{}%", like_literal(value)))
                    .push(" ESCAPE '\\'");
            }
        }
        if let Some(code) = nonempty(&self.code) {
            push_code_prefix(sql, backend, "code", code)?;
        }
        if let Some(year) = self.year {
            if !(1949..=2100).contains(&year) {
                return Err(StoreError::BadQuery(format!(
                    "year must be between 1949 and 2100 (got {year})"
                )));
            }
            sql.push(" AND (r.review_year = ")
                .bind(i64::from(year))
                .push(" OR r.plan_year = ")
                .bind(i64::from(year))
                .push(")");
        }
        if let Some(doc_type) = nonempty(&self.doc_type) {
            if !DOC_TYPES.contains(&doc_type) {
                return Err(StoreError::BadQuery(format!(
                    "doc_type must be one of {} (got {doc_type:?})",
                    DOC_TYPES.join(", ")
                )));
            }
            sql.push(" AND r.doc_type = ").bind(doc_type);
        }
        Ok(())
    }
}

pub(crate) fn nonempty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn push_code_prefix(sql: &mut Sql, backend: Backend, name: &str, code: &str) -> Result<(), StoreError> {
    if !code.chars().all(|c| c.is_ascii_digit()) || code.len() > 12 {
        return Err(StoreError::BadQuery(format!(
            "{name} must be a name or a division code prefix of up to 12 digits (got {code:?})"
        )));
    }
    // Both forms use the division-code index: SQLite's LIKE ignores case
    // and so cannot, its GLOB can; PostgreSQL's index has pattern ops.
    match backend {
        Backend::Sqlite => sql.push(" AND r.division_code GLOB ").bind(format!("{code}*")),
        Backend::Postgres => sql.push(" AND r.division_code LIKE ").bind(format!("{code}%")),
    };
    Ok(())
}

fn encode_cursor(offset: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

fn decode_cursor(cursor: &str) -> Result<i64, StoreError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("o:")?.parse().ok())
        .ok_or_else(|| StoreError::BadQuery(format!("cursor {cursor:?} is not one this server gave out")))
}

impl Store {
    /// The page of reports `query` asks for.
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchPage, StoreError> {
        self.search_counting_to(query, MAX_COUNT).await
    }

    async fn search_counting_to(&self, query: &SearchQuery, max_count: i64) -> Result<SearchPage, StoreError> {
        let (limit, offset) = query.window()?;
        let words = query.q.as_deref().map(segment::query_words).unwrap_or_default();
        if query.q.as_deref().is_some_and(|q| q.chars().count() > 200) {
            return Err(StoreError::BadQuery("q is longer than 200 characters".into()));
        }
        let ranked = !words.is_empty();
        let from = |sql: &mut Sql| -> Result<(), StoreError> {
            if ranked {
                self.backend.search_from(sql, &words);
            } else {
                sql.push(" FROM reports r WHERE TRUE");
            }
            query.push_filters(sql, self.backend)
        };

        // Counting every one of hundreds of thousands of matches is what a
        // common word costs; like search engines, count up to a bound.
        let mut count = Sql::new("SELECT 1");
        from(&mut count)?;
        count.push(" LIMIT ").bind(max_count + 1);
        let count = Sql::wrap("SELECT COUNT(*) FROM (", count, ") matches");
        let counted: i64 = count.query().fetch_one(&self.pool).await?.try_get(0)?;
        let (total, total_exact) = (counted.min(max_count), counted <= max_count);

        // The page first, then its rows' details: counting metrics and
        // sources for every match before sorting would cost per match.
        let score = if ranked { self.backend.search_score() } else { "NULL" };
        let mut select = Sql::new(&format!("SELECT r.id AS page_id, {score} AS score"));
        from(&mut select)?;
        let order = if ranked {
            " ORDER BY score DESC, r.id"
        } else {
            " ORDER BY r.review_year DESC, r.plan_year DESC, r.id"
        };
        select
            .push(order)
            .push(" LIMIT ")
            .bind(limit)
            .push(" OFFSET ")
            .bind(offset);
        let mut select = Sql::wrap(
            &format!("SELECT {SUMMARY_COLUMNS}, page.score FROM ("),
            select,
            ") page JOIN reports r ON r.id = page.page_id",
        );
        select.push(if ranked {
            " ORDER BY page.score DESC, r.id"
        } else {
            " ORDER BY r.review_year DESC, r.plan_year DESC, r.id"
        });
        let rows = select.query().fetch_all(&self.pool).await?;
        let reports = (rows.iter())
            .map(|row| summary_of(row, ranked))
            .collect::<Result<Vec<_>, _>>()?;
        let next = offset + reports.len() as i64;
        Ok(SearchPage {
            total,
            total_exact,
            limit,
            offset,
            next_cursor: (next < total || (!total_exact && !reports.is_empty())).then(|| encode_cursor(next)),
            reports,
        })
    }
}

/// One row of [`SUMMARY_COLUMNS`] and the score.
fn summary_of(row: &sqlx::any::AnyRow, ranked: bool) -> Result<ReportSummary, StoreError> {
    Ok(ReportSummary {
        id: row.try_get(0)?,
        title: row.try_get(1)?,
        doc_type: row.try_get(2)?,
        is_report: row.try_get::<i64, _>(3)? != 0,
        division_code: row.try_get(4)?,
        province: row.try_get(5)?,
        city: row.try_get(6)?,
        county: row.try_get(7)?,
        township: row.try_get(8)?,
        review_year: row.try_get(9)?,
        plan_year: row.try_get(10)?,
        version: row.try_get(11)?,
        updated_ms: row.try_get(12)?,
        metrics: row.try_get(13)?,
        sources: row.try_get(14)?,
        score: if ranked { Some(row.try_get::<f64, _>(15)?) } else { None },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Five matches counted up to three: "more than three", and pages on.
    #[tokio::test]
    async fn counts_stop_at_the_bound_and_say_so() {
        crate::testing::on_sqlite(|location| async move {
            let store = Store::open(&location).await.unwrap();
            let texts = [
                "城关镇全年新建道路十二公里，推进乡村振兴，完成投资三千万元。",
                "河西乡整治人居环境，乡村振兴示范村建成两个，新增就业八百人。",
                "东风街道改造老旧小区九个，社区治理和乡村振兴两手抓。",
                "南山镇发展茶叶产业，乡村振兴衔接资金全部到位，农民增收明显。",
                "北湖乡修缮校舍，开展乡村振兴培训十二期，群众满意度提升。",
            ];
            for (i, text) in texts.iter().enumerate() {
                let record = townreports_proto::v1::ReportRecord {
                    id: format!("r{i}"),
                    is_report: Some(true),
                    content_sha256: townreports_proto::content_sha256(text),
                    text: text.to_string(),
                    ..Default::default()
                };
                store.upsert(&record, 1).await.unwrap();
            }
            let query = SearchQuery {
                q: Some("乡村振兴".into()),
                limit: Some(2),
                ..Default::default()
            };
            let bounded = store.search_counting_to(&query, 3).await.unwrap();
            assert_eq!((bounded.total, bounded.total_exact), (3, false));
            assert!(bounded.next_cursor.is_some());
            let exact = store.search_counting_to(&query, 5).await.unwrap();
            assert_eq!((exact.total, exact.total_exact), (5, true));
            let past = SearchQuery {
                offset: Some(4),
                ..query.clone()
            };
            let last = store.search_counting_to(&past, 3).await.unwrap();
            assert_eq!(last.reports.len(), 1, "pages go on past the bound");
            store.close().await;
        })
        .await;
    }

    fn sql_of(query: &SearchQuery) -> Result<String, StoreError> {
        let mut sql = Sql::new("WHERE TRUE");
        query.push_filters(&mut sql, Backend::Postgres)?;
        Ok(sql.text().to_string())
    }

    #[test]
    fn names_match_by_prefix_and_digits_by_code() {
        let by_name = SearchQuery {
            filter: ReportFilter {
                province: Some("四川".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            sql_of(&by_name).unwrap(),
            "WHERE TRUE AND r.province LIKE $1 ESCAPE '\\'"
        );
        let by_code = SearchQuery {
            filter: ReportFilter {
                province: Some("51".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(sql_of(&by_code).unwrap(), "WHERE TRUE AND r.division_code LIKE $1");
    }

    fn filtered(filter: ReportFilter) -> SearchQuery {
        SearchQuery {
            filter,
            ..Default::default()
        }
    }

    #[test]
    fn bad_filters_say_what_is_wrong() {
        let bad = |q: SearchQuery| match q.window().and_then(|_| sql_of(&q).map(|_| ())) {
            Err(StoreError::BadQuery(m)) => m,
            other => panic!("{other:?}"),
        };
        assert!(
            bad(SearchQuery {
                limit: Some(0),
                ..Default::default()
            })
            .contains("limit")
        );
        assert!(
            bad(SearchQuery {
                limit: Some(100_000),
                ..Default::default()
            })
            .contains("limit")
        );
        assert!(
            bad(filtered(ReportFilter {
                code: Some("51'; DROP TABLE reports".into()),
                ..Default::default()
            }))
            .contains("code")
        );
        assert!(
            bad(filtered(ReportFilter {
                year: Some(20234),
                ..Default::default()
            }))
            .contains("year")
        );
        assert!(
            bad(filtered(ReportFilter {
                doc_type: Some("novel".into()),
                ..Default::default()
            }))
            .contains("doc_type")
        );
        assert!(
            bad(SearchQuery {
                cursor: Some("nope".into()),
                ..Default::default()
            })
            .contains("cursor")
        );
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor(40)).unwrap(), 40);
    }
}
