//! Storing a record: one transaction that writes the report row, its
//! version, its copies' fingerprint, its sections, metrics, search words
//! and target links, and records the URL it came from.

use sqlx::{AnyConnection, Row};
use townreports_proto::topology::EventKind;
use townreports_proto::v1::ReportRecord;

use crate::{Backend, Store, StoreError, dedup, segment};

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    New,
    Updated,
    Unchanged,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    /// The report it was stored under: its own id, or the id of the stored
    /// report it is a copy of.
    pub id: String,
    /// The report's record as stored now (the one to announce).
    pub record: ReportRecord,
    pub change: Change,
    pub version: i64,
    /// The event still owed for this version (a crash may have come between
    /// storing and announcing: the redelivery announces).
    pub owed_event: Option<EventKind>,
}

const REPORT_COLUMNS: &str = "id, version, content_sha256, announced_version, source_rank, primary_url, record_json";

impl Store {
    /// Stores `record` unless the same content is stored already, and
    /// records where it was seen. A copy of a stored report (the same id, or
    /// near-identical text of a compatible township) is one report with one
    /// more source; its record replaces the stored one only when it comes
    /// from the stored record's own URL (an edit) or from a more trusted
    /// source ([`dedup::source_rank`]).
    pub async fn upsert(&self, record: &ReportRecord, now_ms: i64) -> Result<Stored, StoreError> {
        let url = source_url(record);
        let simhash = dedup::simhash(&record.text);
        let rank = dedup::source_rank(record);
        // Segmenting is the slow part of a write: done before the lock.
        let words = SearchWords::of(record);
        let mut tx = self.backend.begin_write(&self.pool).await?;
        let mut existing = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {REPORT_COLUMNS} FROM reports WHERE id = $1"
        )))
        .bind(&record.id)
        .fetch_optional(&mut *tx)
        .await?;
        if existing.is_none() {
            existing = near_copy(&mut tx, record, simhash).await?;
        }
        let (stored, write) = match existing {
            None => (
                Stored {
                    id: record.id.clone(),
                    change: Change::New,
                    version: 1,
                    owed_event: Some(EventKind::New),
                    record: record.clone(),
                },
                true,
            ),
            Some(row) => {
                let id: String = row.try_get(0)?;
                let version: i64 = row.try_get(1)?;
                let sha: String = row.try_get(2)?;
                let announced: i64 = row.try_get(3)?;
                let stored_rank: i64 = row.try_get(4)?;
                let primary_url: String = row.try_get(5)?;
                let owed_if = |kind| if announced == 0 { EventKind::New } else { kind };
                let replaces = primary_url.is_empty() || primary_url == url || rank > stored_rank;
                if sha != record.content_sha256 && replaces {
                    let mut merged = record.clone();
                    merged.id = id.clone();
                    (
                        Stored {
                            id,
                            change: Change::Updated,
                            version: version + 1,
                            owed_event: Some(owed_if(EventKind::Updated)),
                            record: merged,
                        },
                        true,
                    )
                } else {
                    let current = parse_record(&id, &row.try_get::<String, _>(6)?)?;
                    (
                        Stored {
                            id,
                            change: Change::Unchanged,
                            version,
                            owed_event: (announced < version).then(|| owed_if(EventKind::Updated)),
                            record: current,
                        },
                        false,
                    )
                }
            }
        };
        if write {
            let row = ReportRow {
                stored: &stored,
                simhash,
                rank,
                url: &url,
                now_ms,
            };
            row.write(&mut tx).await?;
            write_derived(self.backend, &mut tx, &stored.id, &stored.record, simhash, &words).await?;
        }
        if let Some(source) = &record.source {
            sqlx::query(
                "INSERT INTO report_sources (report_id, url, site_id, first_seen_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (report_id, url) DO NOTHING",
            )
            .bind(&stored.id)
            .bind(&url)
            .bind(&source.site_id)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(stored)
    }

    /// JetStream acknowledged the event for `version`.
    pub async fn mark_announced(&self, id: &str, version: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE reports SET announced_version = CASE WHEN announced_version < $1 THEN $1 ELSE announced_version END
             WHERE id = $2",
        )
        .bind(version)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Indexes (sections, metrics, search words, targets) every report
    /// stored before those tables existed: a database from an older
    /// townreports is searchable after its first open.
    pub(crate) async fn index_missing(&self) -> Result<(), StoreError> {
        let unindexed = match self.backend {
            Backend::Sqlite => {
                "SELECT id, record_json FROM reports r
                 WHERE NOT EXISTS (SELECT 1 FROM report_search_keys k WHERE k.report_id = r.id)"
            }
            Backend::Postgres => "SELECT id, record_json FROM reports WHERE search IS NULL",
        };
        let missing: Vec<(String, String)> = sqlx::query_as(unindexed).fetch_all(&self.pool).await?;
        if !missing.is_empty() {
            tracing::info!(reports = missing.len(), "indexing reports stored by an older version");
        }
        for (id, json) in missing {
            let record = parse_record(&id, &json)?;
            let words = SearchWords::of(&record);
            let mut tx = self.backend.begin_write(&self.pool).await?;
            let simhash = dedup::simhash(&record.text);
            write_derived(self.backend, &mut tx, &id, &record, simhash, &words).await?;
            tx.commit().await?;
        }
        Ok(())
    }
}

pub(crate) fn parse_record(id: &str, json: &str) -> Result<ReportRecord, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        id: id.to_string(),
        message: e.to_string(),
    })
}

fn source_url(record: &ReportRecord) -> String {
    record
        .source
        .as_ref()
        .and_then(|s| s.url.clone().or_else(|| s.path.clone()))
        .unwrap_or_default()
}

/// A record's title and text as search words.
struct SearchWords {
    title: String,
    body: String,
}

impl SearchWords {
    fn of(record: &ReportRecord) -> SearchWords {
        let division = record.division.clone().unwrap_or_default();
        // The place names are searchable even when the text blanks them.
        let title = [
            record.title.clone(),
            division.province,
            division.city,
            division.county,
            division.township,
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        SearchWords {
            title: segment::index_words(&title),
            body: segment::index_words(&record.text),
        }
    }
}

/// A stored report whose text is within [`dedup::MAX_DISTANCE`] bits of
/// `simhash` and whose township does not contradict the record's (two
/// townships filling in one template are two reports).
async fn near_copy(
    conn: &mut AnyConnection,
    record: &ReportRecord,
    simhash: u64,
) -> Result<Option<sqlx::any::AnyRow>, StoreError> {
    if record.text.is_empty() {
        return Ok(None);
    }
    let code = record.division.as_ref().and_then(|d| d.code.clone());
    for (band, value) in dedup::bands(simhash) {
        // Only compatible candidates, and only their fingerprints: reports
        // filled in from one template share bands by the thousand.
        let candidates: Vec<(String, i64)> = sqlx::query_as(
            "SELECT report_id, simhash FROM report_simhash_bands
             WHERE band = $1 AND value = $2
               AND ($3 = '' OR division_code IS NULL OR division_code = $3) AND doc_type = $4",
        )
        .bind(band)
        .bind(value)
        .bind(code.as_deref().unwrap_or(""))
        .bind(record.doc_type.as_deref().unwrap_or(""))
        .fetch_all(&mut *conn)
        .await?;
        let near = candidates
            .into_iter()
            .find(|(_, theirs)| dedup::distance(dedup::from_sql(*theirs), simhash) <= dedup::MAX_DISTANCE);
        if let Some((id, _)) = near {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {REPORT_COLUMNS} FROM reports WHERE id = $1"
            )))
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
            return Ok(Some(row));
        }
    }
    Ok(None)
}

/// The report row and its version, as one upsert writes them.
struct ReportRow<'a> {
    stored: &'a Stored,
    simhash: u64,
    rank: i64,
    url: &'a str,
    now_ms: i64,
}

impl ReportRow<'_> {
    async fn write(&self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        let stored = self.stored;
        let record = &stored.record;
        let json = serde_json::to_string(record).map_err(|e| StoreError::Corrupt {
            id: record.id.clone(),
            message: e.to_string(),
        })?;
        let division = record.division.clone().unwrap_or_default();
        sqlx::query(
            "INSERT INTO reports (id, version, content_sha256, is_report, doc_type, title, township, county, city, province,
                 division_code, review_year, plan_year, record_json, first_seen_ms, updated_ms, simhash, source_rank, primary_url)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $17, $18)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, content_sha256 = excluded.content_sha256,
                 is_report = excluded.is_report, doc_type = excluded.doc_type, title = excluded.title,
                 township = excluded.township, county = excluded.county, city = excluded.city,
                 province = excluded.province, division_code = excluded.division_code,
                 review_year = excluded.review_year, plan_year = excluded.plan_year,
                 record_json = excluded.record_json, updated_ms = excluded.updated_ms,
                 simhash = excluded.simhash, source_rank = excluded.source_rank, primary_url = excluded.primary_url",
        )
        .bind(&stored.id)
        .bind(stored.version)
        .bind(&record.content_sha256)
        .bind(record.is_report.unwrap_or(false))
        .bind(&record.doc_type)
        .bind(&record.title)
        .bind(&division.township)
        .bind(&division.county)
        .bind(&division.city)
        .bind(&division.province)
        .bind(&division.code)
        .bind(record.review_year.map(i64::from))
        .bind(record.plan_year.map(i64::from))
        .bind(&json)
        .bind(self.now_ms)
        .bind(dedup::to_sql(self.simhash))
        .bind(self.rank)
        .bind(self.url)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO report_versions (report_id, version, content_sha256, record_json, stored_ms)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&stored.id)
        .bind(stored.version)
        .bind(&record.content_sha256)
        .bind(&json)
        .bind(self.now_ms)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

/// Replaces the rows derived from report `id`'s record: sections, metrics,
/// fingerprint bands, search words, and the links between targets and
/// outcomes it takes part in.
async fn write_derived(
    backend: Backend,
    conn: &mut AnyConnection,
    id: &str,
    record: &ReportRecord,
    simhash: u64,
    words: &SearchWords,
) -> Result<(), StoreError> {
    for table in [
        "DELETE FROM report_sections WHERE report_id = $1",
        "DELETE FROM report_metrics WHERE report_id = $1",
        "DELETE FROM target_outcomes WHERE target_report_id = $1 OR actual_report_id = $1",
        "DELETE FROM report_simhash_bands WHERE report_id = $1",
    ] {
        sqlx::query(table).bind(id).execute(&mut *conn).await?;
    }
    for (band, value) in dedup::bands(simhash) {
        sqlx::query(
            "INSERT INTO report_simhash_bands (band, value, report_id, simhash, division_code, doc_type)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(band)
        .bind(value)
        .bind(id)
        .bind(dedup::to_sql(simhash))
        .bind(record.division.as_ref().and_then(|d| d.code.as_deref()))
        .bind(record.doc_type.as_deref().unwrap_or(""))
        .execute(&mut *conn)
        .await?;
    }
    for (position, s) in record.sections.iter().enumerate() {
        let span = s.span.unwrap_or_default();
        sqlx::query(
            "INSERT INTO report_sections (report_id, position, level, number, heading, kind, span_start, span_end)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(position as i64)
        .bind(i64::from(s.level))
        .bind(&s.number)
        .bind(&s.heading)
        .bind(&s.kind)
        .bind(s.span.map(|_| i64::from(span.start)))
        .bind(s.span.map(|_| i64::from(span.end)))
        .execute(&mut *conn)
        .await?;
    }
    for (position, m) in record.metrics.iter().enumerate() {
        sqlx::query(
            "INSERT INTO report_metrics (report_id, position, name, value, unit, value_normalized, unit_normalized,
                 qualifier, growth_pct, kind, year, span_start, span_end, sentence, division_code)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(id)
        .bind(position as i64)
        .bind(&m.name)
        .bind(m.value)
        .bind(&m.unit)
        .bind(m.value_normalized)
        .bind(&m.unit_normalized)
        .bind(&m.qualifier)
        .bind(m.growth_pct)
        .bind(&m.kind)
        .bind(m.year.map(i64::from))
        .bind(m.span.map(|s| i64::from(s.start)))
        .bind(m.span.map(|s| i64::from(s.end)))
        .bind(&m.sentence)
        .bind(record.division.as_ref().and_then(|d| d.code.as_deref()))
        // Not cached: sqlx 0.9's Any driver sends a missing f64 as a float4
        // NULL, and a statement prepared with it rejects the next real f64.
        .persistent(false)
        .execute(&mut *conn)
        .await?;
    }
    backend.write_search(conn, id, &words.title, &words.body).await?;
    link_targets(conn, id).await
}

/// Links each target (an indicator's planned value for year N) to the
/// actual value for year N that the same township states in another
/// report, in both directions from report `id`: its targets to earlier
/// outcomes, and its outcomes to earlier targets. Only a full township
/// code links: two townships of one county are not one place.
async fn link_targets(conn: &mut AnyConnection, id: &str) -> Result<(), StoreError> {
    // One statement per side, each starting from report `id`'s own metrics
    // and meeting the other side by (place, name): cost follows the
    // township's reports, not the store's size.
    for side in ["t.report_id", "a.report_id"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO target_outcomes (target_report_id, target_position, actual_report_id, actual_position)
             SELECT t.report_id, t.position, a.report_id, a.position
             FROM report_metrics t
             JOIN report_metrics a ON a.division_code = t.division_code AND a.name = t.name AND a.kind = 'actual'
                  AND a.report_id <> t.report_id
             JOIN reports tr ON tr.id = t.report_id
             JOIN reports ar ON ar.id = a.report_id
             WHERE t.kind = 'target' AND LENGTH(t.division_code) >= 9 AND {side} = $1
               AND COALESCE(a.year, ar.review_year) = COALESCE(t.year, tr.plan_year)
               AND COALESCE(a.unit_normalized, '') = COALESCE(t.unit_normalized, '')
             ORDER BY a.report_id, a.position
             -- A target already linked keeps its outcome; otherwise the first.
             ON CONFLICT (target_report_id, target_position) DO NOTHING"
        )))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
