//! Storing records: a batch in one transaction that decides, record by
//! record in order, what each one is (new, an edit, a copy of a stored
//! report), then writes the report rows, their versions, their copies'
//! fingerprints, sections, metrics, search words and target links, and
//! the URLs they came from, each table in one multi-row statement.

use std::collections::{HashMap, HashSet};

use sqlx::{AnyConnection, Row};
use townreports_proto::topology::EventKind;
use townreports_proto::v1::ReportRecord;

use crate::sql::{Sql, Value};
use crate::{Backend, Store, StoreError, dedup, segment};

/// Records per [`Store::upsert_batch`] as the indexer sends them: enough
/// that a transaction's fixed costs (the commit's disk write, the lookups'
/// round trips) are spread thin, few enough that a batch is written well
/// within a message's ack wait.
pub const WRITE_BATCH: usize = 128;

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

const REPORT_COLUMNS: &str = "id, version, content_sha256, announced_version, source_rank, primary_url, record_json, simhash, division_code, doc_type";

impl Store {
    /// Stores `record` unless the same content is stored already, and
    /// records where it was seen. A copy of a stored report (the same id, or
    /// near-identical text of a compatible township) is one report with one
    /// more source; its record replaces the stored one only when it comes
    /// from the stored record's own URL (an edit) or from a more trusted
    /// source ([`dedup::source_rank`]).
    pub async fn upsert(&self, record: &ReportRecord, now_ms: i64) -> Result<Stored, StoreError> {
        let mut outcomes = self.upsert_batch(std::slice::from_ref(record), now_ms).await;
        outcomes.pop().expect("one outcome per record")
    }

    /// [`Store::upsert`] for each of `records`, in order, in one
    /// transaction: the outcomes are what upserting them one after the
    /// other would give. When the batch fails for a reason of one record's
    /// (the database refused a statement), each record is stored in a
    /// transaction of its own, so only that record's outcome is the error.
    pub async fn upsert_batch(&self, records: &[ReportRecord], now_ms: i64) -> Vec<Result<Stored, StoreError>> {
        // Segmenting is the slow part of a write: done before the lock.
        let prepared: Vec<Prepared> = records.iter().map(Prepared::of).collect();
        match self.write_batch(&prepared, now_ms).await {
            Ok(stored) => stored.into_iter().map(Ok).collect(),
            Err(e) if prepared.len() == 1 => vec![Err(e)],
            Err(StoreError::Unavailable(message)) => prepared
                .iter()
                .map(|_| Err(StoreError::Unavailable(message.clone())))
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, records = prepared.len(), "batch refused; storing its records one at a time");
                let mut outcomes = Vec::with_capacity(prepared.len());
                for one in prepared.chunks(1) {
                    outcomes.push(self.write_batch(one, now_ms).await.map(|mut s| s.remove(0)));
                }
                outcomes
            }
        }
    }

    async fn write_batch(&self, batch: &[Prepared<'_>], now_ms: i64) -> Result<Vec<Stored>, StoreError> {
        let mut tx = self.backend.begin_write(&self.pool).await?;
        let mut plan = Plan::load(&mut tx, batch).await?;
        let stored: Vec<Stored> = batch
            .iter()
            .enumerate()
            .map(|(i, p)| plan.decide(i, p))
            .collect::<Result<_, _>>()?;
        plan.write(self.backend, &mut tx, now_ms).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// JetStream acknowledged the event for `version`.
    pub async fn mark_announced(&self, id: &str, version: i64) -> Result<(), StoreError> {
        self.mark_announced_all(&[(id.to_string(), version)]).await
    }

    /// [`Store::mark_announced`] for each (id, version), in one statement.
    pub async fn mark_announced_all(&self, announced: &[(String, i64)]) -> Result<(), StoreError> {
        let mut latest: HashMap<&str, i64> = HashMap::new();
        for (id, version) in announced {
            let v = latest.entry(id).or_default();
            *v = (*v).max(*version);
        }
        let statements = Sql::rows(
            "WITH v (id, version) AS (VALUES ",
            "(CAST(? AS TEXT), CAST(? AS BIGINT))",
            ") UPDATE reports SET announced_version = v.version FROM v
               WHERE reports.id = v.id AND reports.announced_version < v.version",
            latest.into_iter().map(|(id, v)| vec![id.into(), v.into()]),
        );
        let mut conn = self.pool.acquire().await?;
        for sql in statements {
            sql.execute(&mut conn).await?;
        }
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
        for chunk in missing.chunks(WRITE_BATCH) {
            let records: Vec<ReportRecord> = chunk
                .iter()
                .map(|(id, json)| parse_record(id, json))
                .collect::<Result<_, _>>()?;
            let prepared: Vec<Prepared> = records.iter().map(Prepared::of).collect();
            let derived: Vec<Derived> = prepared
                .iter()
                .map(|p| Derived {
                    id: &p.record.id,
                    record: p.record,
                    prepared: p,
                    existed: true,
                })
                .collect();
            let mut tx = self.backend.begin_write(&self.pool).await?;
            write_derived(self.backend, &mut tx, &derived).await?;
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

/// A record with what storing it needs computed before the transaction.
struct Prepared<'a> {
    record: &'a ReportRecord,
    url: String,
    simhash: u64,
    rank: i64,
    words: SearchWords,
}

impl<'a> Prepared<'a> {
    fn of(record: &'a ReportRecord) -> Prepared<'a> {
        Prepared {
            record,
            url: source_url(record),
            simhash: dedup::simhash(&record.text),
            rank: dedup::source_rank(record),
            words: SearchWords::of(record),
        }
    }

    fn code(&self) -> &str {
        self.record
            .division
            .as_ref()
            .and_then(|d| d.code.as_deref())
            .unwrap_or("")
    }

    fn doc_type(&self) -> &str {
        self.record.doc_type.as_deref().unwrap_or("")
    }

    /// Whether a stored report with this township code and document type
    /// may be a copy of this record: two townships filling in one template
    /// are two reports.
    fn compatible(&self, code: Option<&str>, doc_type: &str) -> bool {
        let mine = self.code();
        (mine.is_empty() || code.is_none_or(|c| c == mine)) && doc_type == self.doc_type()
    }
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

/// A stored report as an upsert weighs it.
struct Current {
    version: i64,
    sha: String,
    announced: i64,
    rank: i64,
    primary_url: String,
    record: CurrentRecord,
    simhash: u64,
    code: Option<String>,
    doc_type: String,
}

/// The stored record: as read (parsed only when an outcome needs it), or
/// as written earlier in this batch.
enum CurrentRecord {
    Json(String),
    Written(Box<ReportRecord>),
}

impl Current {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<(String, Current), StoreError> {
        Ok((
            row.try_get(0)?,
            Current {
                version: row.try_get(1)?,
                sha: row.try_get(2)?,
                announced: row.try_get(3)?,
                rank: row.try_get(4)?,
                primary_url: row.try_get(5)?,
                record: CurrentRecord::Json(row.try_get(6)?),
                simhash: dedup::from_sql(row.try_get(7)?),
                code: row.try_get(8)?,
                doc_type: row.try_get::<Option<String>, _>(9)?.unwrap_or_default(),
            },
        ))
    }
}

/// A report whose derived rows a batch (re)writes, from the record that
/// last changed it.
struct Derived<'a> {
    id: &'a str,
    record: &'a ReportRecord,
    prepared: &'a Prepared<'a>,
    /// Whether it had rows before the batch (to delete first).
    existed: bool,
}

/// One version a batch writes.
struct Write<'a> {
    stored: Stored,
    prepared: &'a Prepared<'a>,
}

/// One batch's reading of the store and what it will write.
struct Plan<'a> {
    /// The stored reports the batch touches, by id, as of the record being
    /// decided: read before the batch, or written earlier in it.
    current: HashMap<String, Current>,
    /// Reports that existed before the batch.
    existed: HashSet<String>,
    /// Per record of the batch: the stored reports within
    /// [`dedup::MAX_DISTANCE`] of its fingerprint, by their stored bands.
    near: Vec<Vec<String>>,
    /// Every version written, in order, and each report's last one.
    writes: Vec<Write<'a>>,
    last_write: HashMap<String, usize>,
    /// (report, URL, site) for each record with a source.
    sources: Vec<(String, String, String)>,
}

impl<'a> Plan<'a> {
    /// Reads the reports the batch's records name, and the near copies of
    /// those that name none stored: three statements, whatever the size.
    async fn load(conn: &mut AnyConnection, batch: &[Prepared<'_>]) -> Result<Plan<'a>, StoreError> {
        let mut current = read_reports(conn, batch.iter().map(|p| p.record.id.as_str())).await?;
        let near = near_copies(conn, batch, &current).await?;
        let missing: HashSet<&str> = near
            .iter()
            .flatten()
            .map(String::as_str)
            .filter(|id| !current.contains_key(*id))
            .collect();
        let candidates = read_reports(conn, missing.into_iter()).await?;
        current.extend(candidates);
        Ok(Plan {
            existed: current.keys().cloned().collect(),
            current,
            near,
            writes: Vec::new(),
            last_write: HashMap::new(),
            sources: Vec::new(),
        })
    }

    /// What storing record `position` of the batch does, given the store as
    /// the records before it left it.
    fn decide(&mut self, position: usize, p: &'a Prepared<'a>) -> Result<Stored, StoreError> {
        let target = if self.current.contains_key(&p.record.id) {
            Some(p.record.id.clone())
        } else {
            self.near_copy(position, p)
        };
        let stored = match target.and_then(|id| self.current.remove(&id).map(|c| (id, c))) {
            None => {
                let stored = Stored {
                    id: p.record.id.clone(),
                    change: Change::New,
                    version: 1,
                    owed_event: Some(EventKind::New),
                    record: p.record.clone(),
                };
                self.current.insert(stored.id.clone(), Current::written(&stored, 0, p));
                stored
            }
            Some((id, current)) => {
                let (stored, current) = weigh(id, current, p)?;
                self.current.insert(stored.id.clone(), current);
                stored
            }
        };
        if let Some(source) = &p.record.source {
            self.sources
                .push((stored.id.clone(), p.url.clone(), source.site_id.clone()));
        }
        if stored.change != Change::Unchanged {
            self.last_write.insert(stored.id.clone(), self.writes.len());
            self.writes.push(Write {
                stored: stored.clone(),
                prepared: p,
            });
        }
        Ok(stored)
    }

    /// The nearest stored report (then the smallest id) that `p` is a copy
    /// of: among those whose stored bands matched, unless the batch changed
    /// them since, and those the batch wrote.
    fn near_copy(&self, position: usize, p: &Prepared<'_>) -> Option<String> {
        if p.record.text.is_empty() {
            return None;
        }
        let from_store = self.near[position]
            .iter()
            .filter(|id| !self.last_write.contains_key(*id));
        from_store
            .chain(self.last_write.keys())
            .filter_map(|id| {
                let c = self.current.get(id)?;
                let distance = dedup::distance(c.simhash, p.simhash);
                (distance <= dedup::MAX_DISTANCE && p.compatible(c.code.as_deref(), &c.doc_type))
                    .then_some((distance, id))
            })
            .min()
            .map(|(_, id)| id.clone())
    }

    /// Writes what the batch decided: the reports as they end, every
    /// version, the derived rows of each report changed, the sources.
    async fn write(&self, backend: Backend, conn: &mut AnyConnection, now_ms: i64) -> Result<(), StoreError> {
        let mut last: Vec<&Write> = self.last_write.values().map(|i| &self.writes[*i]).collect();
        last.sort_by_key(|w| &w.stored.id);
        write_reports(conn, &last, now_ms).await?;
        let versions = Sql::rows(
            "INSERT INTO report_versions (report_id, version, content_sha256, record_json, stored_ms) VALUES ",
            "(?, ?, ?, ?, ?)",
            "",
            self.writes
                .iter()
                .map(|w| {
                    let json = record_json(&w.stored.record)?;
                    Ok(vec![
                        w.stored.id.as_str().into(),
                        w.stored.version.into(),
                        w.stored.record.content_sha256.as_str().into(),
                        json.into(),
                        now_ms.into(),
                    ])
                })
                .collect::<Result<Vec<_>, StoreError>>()?,
        );
        for sql in versions {
            sql.execute(conn).await?;
        }
        let derived: Vec<Derived> = last
            .iter()
            .map(|w| Derived {
                id: &w.stored.id,
                record: &w.stored.record,
                prepared: w.prepared,
                existed: self.existed.contains(&w.stored.id),
            })
            .collect();
        write_derived(backend, conn, &derived).await?;
        let sources = Sql::rows(
            "INSERT INTO report_sources (report_id, url, site_id, first_seen_ms) VALUES ",
            "(?, ?, ?, ?)",
            " ON CONFLICT (report_id, url) DO NOTHING",
            self.sources.iter().map(|(id, url, site)| {
                vec![
                    id.as_str().into(),
                    url.as_str().into(),
                    site.as_str().into(),
                    now_ms.into(),
                ]
            }),
        );
        for sql in sources {
            sql.execute(conn).await?;
        }
        Ok(())
    }
}

impl Current {
    /// The state `stored` leaves, written by `p`.
    fn written(stored: &Stored, announced: i64, p: &Prepared<'_>) -> Current {
        Current {
            version: stored.version,
            sha: stored.record.content_sha256.clone(),
            announced,
            rank: p.rank,
            primary_url: p.url.clone(),
            record: CurrentRecord::Written(Box::new(stored.record.clone())),
            simhash: p.simhash,
            code: p.record.division.as_ref().and_then(|d| d.code.clone()),
            doc_type: p.doc_type().to_string(),
        }
    }
}

/// Record `p` met stored report `id`: an edit or a better-trusted copy
/// replaces its record; anything else leaves it as it is.
fn weigh(id: String, mut current: Current, p: &Prepared<'_>) -> Result<(Stored, Current), StoreError> {
    let announced = current.announced;
    let owed_if = |kind| if announced == 0 { EventKind::New } else { kind };
    let replaces = current.primary_url.is_empty() || current.primary_url == p.url || p.rank > current.rank;
    if current.sha != p.record.content_sha256 && replaces {
        let mut merged = p.record.clone();
        merged.id = id.clone();
        let stored = Stored {
            id,
            change: Change::Updated,
            version: current.version + 1,
            owed_event: Some(owed_if(EventKind::Updated)),
            record: merged,
        };
        let next = Current::written(&stored, announced, p);
        return Ok((stored, next));
    }
    let record = match &current.record {
        CurrentRecord::Json(json) => parse_record(&id, json)?,
        CurrentRecord::Written(record) => (**record).clone(),
    };
    current.record = CurrentRecord::Written(Box::new(record.clone()));
    let stored = Stored {
        id,
        change: Change::Unchanged,
        version: current.version,
        owed_event: (announced < current.version).then(|| owed_if(EventKind::Updated)),
        record,
    };
    Ok((stored, current))
}

/// The stored reports among `ids`.
async fn read_reports<'i>(
    conn: &mut AnyConnection,
    ids: impl Iterator<Item = &'i str>,
) -> Result<HashMap<String, Current>, StoreError> {
    let ids: Vec<&str> = ids.collect();
    let mut current = HashMap::new();
    for chunk in ids.chunks(200) {
        let mut sql = Sql::new(&format!("SELECT {REPORT_COLUMNS} FROM reports WHERE id IN "));
        sql.push_list(chunk.iter().copied());
        for row in sql.query().fetch_all(&mut *conn).await? {
            let (id, report) = Current::from_row(&row)?;
            current.insert(id, report);
        }
    }
    Ok(current)
}

/// Per record of `batch`: the stored reports (other than those in
/// `current`, which the record names by id) whose fingerprint is within
/// [`dedup::MAX_DISTANCE`] and whose township and type are compatible, as
/// their bands say. One statement for the batch.
async fn near_copies(
    conn: &mut AnyConnection,
    batch: &[Prepared<'_>],
    current: &HashMap<String, Current>,
) -> Result<Vec<Vec<String>>, StoreError> {
    let lookups = batch
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.record.text.is_empty() && !current.contains_key(&p.record.id))
        .flat_map(|(i, p)| {
            dedup::bands(p.simhash).map(move |(band, value)| {
                vec![
                    (i as i64).into(),
                    band.into(),
                    value.into(),
                    p.code().into(),
                    p.doc_type().into(),
                ]
            })
        });
    // Only compatible candidates, and only their fingerprints: reports
    // filled in from one template share bands by the thousand.
    let statements = Sql::rows(
        "WITH q (i, band, value, code, doc_type) AS (VALUES ",
        "(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT))",
        ") SELECT q.i, b.report_id, b.simhash FROM q
           JOIN report_simhash_bands b ON b.band = q.band AND b.value = q.value
           WHERE (q.code = '' OR b.division_code IS NULL OR b.division_code = q.code) AND b.doc_type = q.doc_type",
        lookups,
    );
    let mut near: Vec<Vec<String>> = vec![Vec::new(); batch.len()];
    for sql in statements {
        for row in sql.query().fetch_all(&mut *conn).await? {
            let i: i64 = row.try_get(0)?;
            let id: String = row.try_get(1)?;
            let theirs = dedup::from_sql(row.try_get(2)?);
            let Some(p) = batch.get(i as usize) else { continue };
            let list = &mut near[i as usize];
            if dedup::distance(theirs, p.simhash) <= dedup::MAX_DISTANCE && !list.contains(&id) {
                list.push(id);
            }
        }
    }
    Ok(near)
}

fn record_json(record: &ReportRecord) -> Result<String, StoreError> {
    serde_json::to_string(record).map_err(|e| StoreError::Corrupt {
        id: record.id.clone(),
        message: e.to_string(),
    })
}

/// The report rows, as the batch leaves them.
async fn write_reports(conn: &mut AnyConnection, last: &[&Write<'_>], now_ms: i64) -> Result<(), StoreError> {
    let mut rows = Vec::with_capacity(last.len());
    for w in last {
        let (stored, p) = (&w.stored, w.prepared);
        let record = &stored.record;
        let division = record.division.clone().unwrap_or_default();
        rows.push(vec![
            stored.id.as_str().into(),
            stored.version.into(),
            record.content_sha256.as_str().into(),
            record.is_report.unwrap_or(false).into(),
            (&record.doc_type).into(),
            (&record.title).into(),
            (&division.township).into(),
            (&division.county).into(),
            (&division.city).into(),
            (&division.province).into(),
            (&division.code).into(),
            record.review_year.map(i64::from).into(),
            record.plan_year.map(i64::from).into(),
            record_json(record)?.into(),
            now_ms.into(),
            now_ms.into(),
            dedup::to_sql(p.simhash).into(),
            p.rank.into(),
            p.url.as_str().into(),
        ]);
    }
    let statements = Sql::rows(
        "INSERT INTO reports (id, version, content_sha256, is_report, doc_type, title, township, county, city, province,
             division_code, review_year, plan_year, record_json, first_seen_ms, updated_ms, simhash, source_rank, primary_url)
         VALUES ",
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        " ON CONFLICT (id) DO UPDATE SET version = excluded.version, content_sha256 = excluded.content_sha256,
             is_report = excluded.is_report, doc_type = excluded.doc_type, title = excluded.title,
             township = excluded.township, county = excluded.county, city = excluded.city,
             province = excluded.province, division_code = excluded.division_code,
             review_year = excluded.review_year, plan_year = excluded.plan_year,
             record_json = excluded.record_json, updated_ms = excluded.updated_ms,
             simhash = excluded.simhash, source_rank = excluded.source_rank, primary_url = excluded.primary_url",
        rows,
    );
    for sql in statements {
        sql.execute(conn).await?;
    }
    Ok(())
}

/// Replaces the rows derived from each report's record: sections,
/// metrics, fingerprint bands, search words, and the links between targets
/// and outcomes it takes part in. Reports new to the store have none to
/// delete.
async fn write_derived(backend: Backend, conn: &mut AnyConnection, items: &[Derived<'_>]) -> Result<(), StoreError> {
    if items.is_empty() {
        // An empty `IN ()` is not SQL to PostgreSQL.
        return Ok(());
    }
    let existed: Vec<&str> = items.iter().filter(|d| d.existed).map(|d| d.id).collect();
    if !existed.is_empty() {
        for table in ["report_sections", "report_metrics", "report_simhash_bands"] {
            let mut sql = Sql::new(&format!("DELETE FROM {table} WHERE report_id IN "));
            sql.push_list(existed.iter().copied()).execute(conn).await?;
        }
        let mut sql = Sql::new("DELETE FROM target_outcomes WHERE target_report_id IN ");
        sql.push_list(existed.iter().copied())
            .push(" OR actual_report_id IN ")
            .push_list(existed.iter().copied())
            .execute(conn)
            .await?;
    }
    let code = |d: &Derived| Value::from(d.record.division.as_ref().and_then(|d| d.code.as_deref()));
    let bands = items.iter().flat_map(|d| {
        dedup::bands(d.prepared.simhash).map(move |(band, value)| {
            vec![
                band.into(),
                value.into(),
                d.id.into(),
                dedup::to_sql(d.prepared.simhash).into(),
                code(d),
                d.prepared.doc_type().into(),
            ]
        })
    });
    let sections = items.iter().flat_map(|d| {
        d.record.sections.iter().enumerate().map(move |(position, s)| {
            vec![
                d.id.into(),
                (position as i64).into(),
                i64::from(s.level).into(),
                s.number.as_str().into(),
                s.heading.as_str().into(),
                s.kind.as_str().into(),
                s.span.map(|span| i64::from(span.start)).into(),
                s.span.map(|span| i64::from(span.end)).into(),
            ]
        })
    });
    let metrics = items.iter().flat_map(|d| {
        d.record.metrics.iter().enumerate().map(move |(position, m)| {
            vec![
                d.id.into(),
                (position as i64).into(),
                m.name.as_str().into(),
                m.value.into(),
                (&m.unit).into(),
                m.value_normalized.into(),
                (&m.unit_normalized).into(),
                (&m.qualifier).into(),
                m.growth_pct.into(),
                m.kind.as_str().into(),
                m.year.map(i64::from).into(),
                m.span.map(|s| i64::from(s.start)).into(),
                m.span.map(|s| i64::from(s.end)).into(),
                m.sentence.as_str().into(),
                code(d),
            ]
        })
    });
    let statements = [
        Sql::rows(
            "INSERT INTO report_simhash_bands (band, value, report_id, simhash, division_code, doc_type) VALUES ",
            "(?, ?, ?, ?, ?, ?)",
            " ON CONFLICT DO NOTHING",
            bands,
        ),
        Sql::rows(
            "INSERT INTO report_sections (report_id, position, level, number, heading, kind, span_start, span_end) VALUES ",
            "(?, ?, ?, ?, ?, ?, ?, ?)",
            "",
            sections,
        ),
        Sql::rows(
            "INSERT INTO report_metrics (report_id, position, name, value, unit, value_normalized, unit_normalized,
                 qualifier, growth_pct, kind, year, span_start, span_end, sentence, division_code) VALUES ",
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            "",
            metrics,
        ),
    ];
    for sql in statements.iter().flatten() {
        sql.execute(conn).await?;
    }
    let words: Vec<(&str, &str, &str, bool)> = items
        .iter()
        .map(|d| {
            (
                d.id,
                d.prepared.words.title.as_str(),
                d.prepared.words.body.as_str(),
                d.existed,
            )
        })
        .collect();
    backend.write_search(conn, &words).await?;
    link_targets(conn, items.iter().map(|d| d.id)).await
}

/// Links each target (an indicator's planned value for year N) to the
/// actual value for year N that the same township states in another
/// report, in both directions from the reports `ids`: their targets to
/// earlier outcomes, and their outcomes to earlier targets. Only a full
/// township code links: two townships of one county are not one place.
async fn link_targets<'i>(
    conn: &mut AnyConnection,
    ids: impl Iterator<Item = &'i str> + Clone,
) -> Result<(), StoreError> {
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
        sql.push_list(ids.clone()).push(
            " ORDER BY a.report_id, a.position
             -- A target already linked keeps its outcome; otherwise the first.
             ON CONFLICT (target_report_id, target_position) DO NOTHING",
        );
        sql.execute(conn).await?;
    }
    Ok(())
}
