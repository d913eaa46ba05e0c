//! Storing a record: one transaction that writes the report row, its
//! version, its copies' fingerprint, its sections, metrics, search words
//! and target links, and records the URL it came from.

use sqlx::{AnyConnection, Row};
use townreports_proto::topology::EventKind;
use townreports_proto::v1::ReportRecord;

use crate::backend::SearchEntry;
use crate::sql::{Sql, Value};
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

/// A record made ready to store: what an upsert computes from the record
/// alone (its words, fingerprint and rank), so that a caller can do this
/// slow part on its own task before the write lock is taken.
#[derive(Debug, Clone)]
pub struct Prepared {
    record: ReportRecord,
    url: String,
    simhash: u64,
    rank: i64,
    words: SearchWords,
}

impl Prepared {
    pub fn of(record: ReportRecord) -> Prepared {
        Prepared {
            url: source_url(&record),
            simhash: dedup::simhash(&record.text),
            rank: dedup::source_rank(&record),
            words: SearchWords::of(&record),
            record,
        }
    }

    pub fn record(&self) -> &ReportRecord {
        &self.record
    }
}

/// One change asked of the store; many are written in one transaction by
/// [`Store::write_all`].
#[derive(Debug, Clone)]
pub enum Write {
    /// Store a record seen at `now_ms` (see [`Store::upsert`]).
    Upsert { prepared: Box<Prepared>, now_ms: i64 },
    /// JetStream acknowledged the event for `version` of report `id`.
    Announced { id: String, version: i64 },
}

/// What a [`Write`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Written {
    Stored(Box<Stored>),
    Announced,
}

impl Store {
    /// Stores `record` unless the same content is stored already, and
    /// records where it was seen. A copy of a stored report (the same id, or
    /// near-identical text of a compatible township) is one report with one
    /// more source; its record replaces the stored one only when it comes
    /// from the stored record's own URL (an edit) or from a more trusted
    /// source ([`dedup::source_rank`]).
    pub async fn upsert(&self, record: &ReportRecord, now_ms: i64) -> Result<Stored, StoreError> {
        let prepared = Box::new(Prepared::of(record.clone()));
        match self.write_all(&[Write::Upsert { prepared, now_ms }]).await?.pop() {
            Some(Written::Stored(stored)) => Ok(*stored),
            _ => unreachable!("an upsert is answered with what it stored"),
        }
    }

    /// JetStream acknowledged the event for `version`.
    pub async fn mark_announced(&self, id: &str, version: i64) -> Result<(), StoreError> {
        mark_announced_in(&mut *self.pool.acquire().await?, id, version).await
    }

    /// Does `writes` in order in one transaction: all of them or, on an
    /// error, none. Each write sees the ones before it (a copy later in
    /// the batch merges into a report earlier in it). A batch pays for one
    /// commit and one hold of the write lock instead of one per record.
    pub async fn write_all(&self, writes: &[Write]) -> Result<Vec<Written>, StoreError> {
        let mut tx = self.backend.begin_write(&self.pool).await?;
        let mut written = Vec::with_capacity(writes.len());
        let mut batch = BatchEnd::default();
        for write in writes {
            written.push(match write {
                Write::Upsert { prepared, now_ms } => {
                    Written::Stored(Box::new(upsert_in(&mut tx, prepared, *now_ms, &mut batch).await?))
                }
                Write::Announced { id, version } => {
                    mark_announced_in(&mut tx, id, *version).await?;
                    Written::Announced
                }
            });
        }
        batch.write(self.backend, &mut tx).await?;
        tx.commit().await?;
        Ok(written)
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
            let derived = Derived {
                id: &id,
                record: &record,
                simhash,
                words: &words,
            };
            let mut batch = BatchEnd::default();
            derived.write(&mut tx, true, &mut batch).await?;
            batch.write(self.backend, &mut tx).await?;
            tx.commit().await?;
        }
        Ok(())
    }
}

/// The upsert of one prepared record inside the caller's write
/// transaction.
async fn upsert_in(
    conn: &mut AnyConnection,
    prepared: &Prepared,
    now_ms: i64,
    batch: &mut BatchEnd,
) -> Result<Stored, StoreError> {
    let record = &prepared.record;
    let mut existing = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {REPORT_COLUMNS} FROM reports WHERE id = $1"
    )))
    .bind(&record.id)
    .fetch_optional(&mut *conn)
    .await?;
    if existing.is_none() {
        existing = near_copy(conn, record, prepared.simhash).await?;
    }
    let stored = match existing {
        None => Stored {
            id: record.id.clone(),
            change: Change::New,
            version: 1,
            owed_event: Some(EventKind::New),
            record: record.clone(),
        },
        Some(row) => against_stored(prepared, &row)?,
    };
    if stored.change != Change::Unchanged {
        let row = ReportRow {
            stored: &stored,
            simhash: prepared.simhash,
            rank: prepared.rank,
            url: &prepared.url,
            now_ms,
        };
        row.write(conn).await?;
        let derived = Derived {
            id: &stored.id,
            record: &stored.record,
            simhash: prepared.simhash,
            words: &prepared.words,
        };
        derived.write(conn, stored.change == Change::Updated, batch).await?;
    }
    if let Some(source) = &record.source {
        sqlx::query(
            "INSERT INTO report_sources (report_id, url, site_id, first_seen_ms) VALUES ($1, $2, $3, $4)
             ON CONFLICT (report_id, url) DO NOTHING",
        )
        .bind(&stored.id)
        .bind(&prepared.url)
        .bind(&source.site_id)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    }
    Ok(stored)
}

/// What storing `prepared` does to the stored report `row` (the same id or
/// a near copy): replace it (an edit from its own URL, or a more trusted
/// source) or leave it, still owing its event when one was not announced.
fn against_stored(prepared: &Prepared, row: &sqlx::any::AnyRow) -> Result<Stored, StoreError> {
    let record = &prepared.record;
    let id: String = row.try_get(0)?;
    let version: i64 = row.try_get(1)?;
    let sha: String = row.try_get(2)?;
    let announced: i64 = row.try_get(3)?;
    let stored_rank: i64 = row.try_get(4)?;
    let primary_url: String = row.try_get(5)?;
    let owed_if = |kind| if announced == 0 { EventKind::New } else { kind };
    let replaces = primary_url.is_empty() || primary_url == prepared.url || prepared.rank > stored_rank;
    if sha != record.content_sha256 && replaces {
        let mut merged = record.clone();
        merged.id = id.clone();
        return Ok(Stored {
            id,
            change: Change::Updated,
            version: version + 1,
            owed_event: Some(owed_if(EventKind::Updated)),
            record: merged,
        });
    }
    let current = parse_record(&id, &row.try_get::<String, _>(6)?)?;
    Ok(Stored {
        id,
        change: Change::Unchanged,
        version,
        owed_event: (announced < version).then(|| owed_if(EventKind::Updated)),
        record: current,
    })
}

async fn mark_announced_in(conn: &mut AnyConnection, id: &str, version: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE reports SET announced_version = CASE WHEN announced_version < $1 THEN $1 ELSE announced_version END
         WHERE id = $2",
    )
    .bind(version)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
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
#[derive(Debug, Clone)]
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
/// townships filling in one template are two reports): the nearest, the
/// lowest id among equals.
async fn near_copy(
    conn: &mut AnyConnection,
    record: &ReportRecord,
    simhash: u64,
) -> Result<Option<sqlx::any::AnyRow>, StoreError> {
    if record.text.is_empty() {
        return Ok(None);
    }
    let code = record.division.as_ref().and_then(|d| d.code.clone());
    // Only compatible candidates, and only their fingerprints: reports
    // filled in from one template share bands by the thousand. All bands
    // in one statement.
    let mut sql = Sql::new("SELECT report_id, simhash FROM report_simhash_bands WHERE (");
    for (i, (band, value)) in dedup::bands(simhash).enumerate() {
        sql.push(if i == 0 { "(band = " } else { " OR (band = " })
            .bind(band)
            .push(" AND value = ")
            .bind(value)
            .push(")");
    }
    sql.push(") AND (")
        .bind(code.as_deref().unwrap_or(""))
        .push(" = '' OR division_code IS NULL OR division_code = ");
    sql.bind(code.as_deref().unwrap_or("")).push(") AND doc_type = ");
    sql.bind(record.doc_type.as_deref().unwrap_or(""));
    let mut nearest: Option<(u32, String)> = None;
    for row in sql.query().fetch_all(&mut *conn).await? {
        let (id, theirs): (String, i64) = (row.try_get(0)?, row.try_get(1)?);
        let candidate = (dedup::distance(dedup::from_sql(theirs), simhash), id);
        if candidate.0 <= dedup::MAX_DISTANCE && nearest.as_ref().is_none_or(|n| candidate < *n) {
            nearest = Some(candidate);
        }
    }
    let Some((_, id)) = nearest else {
        return Ok(None);
    };
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {REPORT_COLUMNS} FROM reports WHERE id = $1"
    )))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some(row))
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

/// The rows derived from report `id`'s record: sections, metrics,
/// fingerprint bands, search words, and the links between targets and
/// outcomes it takes part in.
struct Derived<'a> {
    id: &'a str,
    record: &'a ReportRecord,
    simhash: u64,
    words: &'a SearchWords,
}

impl Derived<'_> {
    /// Writes the rows, first deleting the old ones when `replacing` (a
    /// report stored for the first time has none to delete).
    /// The search entry and the target links wait in `batch` for the end
    /// of the transaction's batch.
    async fn write(&self, conn: &mut AnyConnection, replacing: bool, batch: &mut BatchEnd) -> Result<(), StoreError> {
        if replacing {
            self.delete(conn).await?;
        }
        self.write_bands(conn).await?;
        self.write_sections(conn).await?;
        self.write_metrics(conn).await?;
        // A report written twice in one batch has one entry, the last; its
        // old entry (if any) is the one stored before the batch.
        let earlier = batch.search.iter().position(|entry| entry.id == self.id);
        let replacing = match earlier {
            Some(i) => batch.search.remove(i).replacing,
            None => replacing,
        };
        batch.search.push(SearchEntry {
            id: self.id.to_string(),
            title: self.words.title.clone(),
            body: self.words.body.clone(),
            replacing,
        });
        let linkable = (self.record.division.as_ref())
            .and_then(|d| d.code.as_deref())
            .is_some_and(|code| code.len() >= 9);
        if linkable && !batch.linked.iter().any(|id| id == self.id) {
            batch.linked.push(self.id.to_string());
        }
        Ok(())
    }

    async fn delete(&self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        for table in [
            "DELETE FROM report_sections WHERE report_id = $1",
            "DELETE FROM report_metrics WHERE report_id = $1",
            "DELETE FROM target_outcomes WHERE target_report_id = $1 OR actual_report_id = $1",
            "DELETE FROM report_simhash_bands WHERE report_id = $1",
        ] {
            sqlx::query(table).bind(self.id).execute(&mut *conn).await?;
        }
        Ok(())
    }

    async fn write_bands(&self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        let record = self.record;
        let code: Value = record.division.as_ref().and_then(|d| d.code.as_deref()).into();
        let rows: Vec<Vec<Value>> = dedup::bands(self.simhash)
            .map(|(band, value)| {
                vec![
                    band.into(),
                    value.into(),
                    self.id.into(),
                    dedup::to_sql(self.simhash).into(),
                    code.clone(),
                    record.doc_type.as_deref().unwrap_or("").into(),
                ]
            })
            .collect();
        let head =
            "INSERT INTO report_simhash_bands (band, value, report_id, simhash, division_code, doc_type) VALUES ";
        execute_all(conn, Sql::insert_rows(head, &rows, " ON CONFLICT DO NOTHING")).await
    }

    async fn write_sections(&self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        let rows: Vec<Vec<Value>> = (self.record.sections.iter().enumerate())
            .map(|(position, s)| {
                vec![
                    self.id.into(),
                    (position as i64).into(),
                    i64::from(s.level).into(),
                    s.number.as_str().into(),
                    s.heading.as_str().into(),
                    s.kind.as_str().into(),
                    s.span.map(|span| i64::from(span.start)).into(),
                    s.span.map(|span| i64::from(span.end)).into(),
                ]
            })
            .collect();
        let head = "INSERT INTO report_sections (report_id, position, level, number, heading, kind, span_start, span_end) VALUES ";
        execute_all(conn, Sql::insert_rows(head, &rows, "")).await
    }

    async fn write_metrics(&self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        let record = self.record;
        let code: Value = record.division.as_ref().and_then(|d| d.code.as_deref()).into();
        let rows: Vec<Vec<Value>> = (record.metrics.iter().enumerate())
            .map(|(position, m)| {
                vec![
                    self.id.into(),
                    (position as i64).into(),
                    m.name.as_str().into(),
                    m.value.into(),
                    m.unit.as_deref().into(),
                    m.value_normalized.into(),
                    m.unit_normalized.as_deref().into(),
                    m.qualifier.as_deref().into(),
                    m.growth_pct.into(),
                    m.kind.as_str().into(),
                    m.year.map(i64::from).into(),
                    m.span.map(|s| i64::from(s.start)).into(),
                    m.span.map(|s| i64::from(s.end)).into(),
                    m.sentence.as_str().into(),
                    code.clone(),
                ]
            })
            .collect();
        let head =
            "INSERT INTO report_metrics (report_id, position, name, value, unit, value_normalized, unit_normalized,
                 qualifier, growth_pct, kind, year, span_start, span_end, sentence, division_code) VALUES ";
        execute_all(conn, Sql::insert_rows(head, &rows, "")).await
    }
}

/// Runs each statement; built at run time, so none is cached (a shape of
/// many rows is seldom seen twice).
async fn execute_all(conn: &mut AnyConnection, statements: Vec<Sql>) -> Result<(), StoreError> {
    for sql in statements {
        sql.query().persistent(false).execute(&mut *conn).await?;
    }
    Ok(())
}

/// What a batch writes once, at its end, for all its reports: FTS5 and
/// PostgreSQL both index a batch of entries much faster than the same
/// entries one statement each, and target links are one statement per
/// side for the whole batch.
#[derive(Default)]
struct BatchEnd {
    /// The last search entry of each report written.
    search: Vec<SearchEntry>,
    /// The reports whose targets and outcomes are to be linked.
    linked: Vec<String>,
}

impl BatchEnd {
    async fn write(&self, backend: Backend, conn: &mut AnyConnection) -> Result<(), StoreError> {
        backend.write_search(conn, &self.search).await?;
        link_targets(conn, &self.linked).await
    }
}

/// Links each target (an indicator's planned value for year N) to the
/// actual value for year N that the same township states in another
/// report, in both directions from the reports `ids`: their targets to
/// outcomes, and their outcomes to targets. Only a full township code
/// links: two townships of one county are not one place.
async fn link_targets(conn: &mut AnyConnection, ids: &[String]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    // One statement per side, each starting from the reports' own metrics
    // and meeting the other side by (place, name): cost follows the
    // townships' reports, not the store's size.
    for side in ["t.report_id", "a.report_id"] {
        let mut sql = Sql::new(&format!(
            "INSERT INTO target_outcomes (target_report_id, target_position, actual_report_id, actual_position)
             SELECT t.report_id, t.position, a.report_id, a.position
             FROM report_metrics t
             JOIN report_metrics a ON a.division_code = t.division_code AND a.name = t.name AND a.kind = 'actual'
                  AND a.report_id <> t.report_id
             JOIN reports tr ON tr.id = t.report_id
             JOIN reports ar ON ar.id = a.report_id
             WHERE t.kind = 'target' AND LENGTH(t.division_code) >= 9
               AND COALESCE(a.year, ar.review_year) = COALESCE(t.year, tr.plan_year)
               AND COALESCE(a.unit_normalized, '') = COALESCE(t.unit_normalized, '')
               AND {side} IN "
        ));
        sql.bind_list(ids.iter().map(|id| Value::from(id.as_str())));
        // A target already linked keeps its outcome; otherwise the first.
        sql.push(
            " ORDER BY a.report_id, a.position
             ON CONFLICT (target_report_id, target_position) DO NOTHING",
        );
        sql.query().persistent(false).execute(&mut *conn).await?;
    }
    Ok(())
}
