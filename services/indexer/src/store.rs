//! Where records live. The embedded default is SQLite in the data
//! directory; every write is one transaction, so a crash leaves either the
//! old or the new state, never half of one.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use townreports_proto::topology::EventKind;
use townreports_proto::v1::{ReportRecord, Source};

use crate::dedup;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("cannot open the database at {path}: {message}")]
    Open { path: String, message: String },
    #[error("database migration failed: {0}. Is this data directory from a newer townreports?")]
    Migration(String),
    #[error("stored record {id} is unreadable: {message}")]
    Corrupt { id: String, message: String },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}

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

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) `path` and migrates it.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(|e| StoreError::Open {
                path: path.display().to_string(),
                message: e.to_string(),
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // Another process holding the lock (an export, a backup) makes
            // writers wait a little before the indexer retries the message.
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Open {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(SqliteStore { pool })
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

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
        // IMMEDIATE takes the write lock up front: a deferred transaction
        // that reads and then writes fails at once with SQLITE_BUSY when
        // another writer got in between, instead of waiting its turn.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut existing = sqlx::query(
            "SELECT id, version, content_sha256, announced_version, source_rank, primary_url, record_json
             FROM reports WHERE id = ?",
        )
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
                let id: String = row.get(0);
                let version: i64 = row.get(1);
                let sha: String = row.get(2);
                let announced: i64 = row.get(3);
                let stored_rank: i64 = row.get(4);
                let primary_url: String = row.get(5);
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
                    let json: String = row.get(6);
                    let current: ReportRecord = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                        id: id.clone(),
                        message: e.to_string(),
                    })?;
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
            write_record(&mut tx, &stored, simhash, rank, &url, now_ms).await?;
        }
        if let Some(source) = &record.source {
            sqlx::query(
                "INSERT OR IGNORE INTO report_sources (report_id, url, site_id, first_seen_ms) VALUES (?, ?, ?, ?)",
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
        sqlx::query("UPDATE reports SET announced_version = MAX(announced_version, ?) WHERE id = ?")
            .bind(version)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every stored report's latest record, with all its sources, oldest first.
    pub async fn records(&self) -> Result<Vec<ReportRecord>, StoreError> {
        let rows = sqlx::query("SELECT id, record_json FROM reports ORDER BY first_seen_ms, id")
            .fetch_all(&self.pool)
            .await?;
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.get(0);
            let json: String = row.get(1);
            let mut record: ReportRecord = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                id: id.clone(),
                message: e.to_string(),
            })?;
            let sources =
                sqlx::query("SELECT url, site_id FROM report_sources WHERE report_id = ? ORDER BY first_seen_ms, url")
                    .bind(&id)
                    .fetch_all(&self.pool)
                    .await?;
            record.sources = sources
                .into_iter()
                .map(|s| Source {
                    url: Some(s.get(0)),
                    site_id: s.get(1),
                    ..Default::default()
                })
                .collect();
            records.push(record);
        }
        Ok(records)
    }

    /// How many versions `id` has.
    pub async fn versions(&self, id: &str) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM report_versions WHERE report_id = ?")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.get(0))
    }

    /// Reports each site has a copy of (by sites-file id).
    pub async fn reports_by_site(&self) -> Result<std::collections::BTreeMap<String, i64>, StoreError> {
        let rows = sqlx::query("SELECT site_id, COUNT(DISTINCT report_id) FROM report_sources GROUP BY site_id")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn count(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM reports")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.get(0))
    }

    pub async fn close(&self) {
        self.pool.close().await
    }
}

fn source_url(record: &ReportRecord) -> String {
    record
        .source
        .as_ref()
        .and_then(|s| s.url.clone().or_else(|| s.path.clone()))
        .unwrap_or_default()
}

/// A stored report whose text is within [`dedup::MAX_DISTANCE`] bits of
/// `simhash` and whose township does not contradict the record's (two
/// townships filling in one template are two reports).
async fn near_copy(
    tx: &mut sqlx::SqliteConnection,
    record: &ReportRecord,
    simhash: u64,
) -> Result<Option<sqlx::sqlite::SqliteRow>, StoreError> {
    if record.text.is_empty() {
        return Ok(None);
    }
    let code = record.division.as_ref().and_then(|d| d.code.clone());
    for (band, value) in dedup::bands(simhash) {
        let rows = sqlx::query(
            "SELECT r.id, r.version, r.content_sha256, r.announced_version, r.source_rank, r.primary_url, r.record_json,
                    r.simhash, r.division_code, r.doc_type
             FROM report_simhash_bands b JOIN reports r ON r.id = b.report_id
             WHERE b.band = ? AND b.value = ?",
        )
        .bind(band)
        .bind(value)
        .fetch_all(&mut *tx)
        .await?;
        for row in rows {
            let theirs: Option<String> = row.get(8);
            let doc_type: Option<String> = row.get(9);
            let compatible = match (&code, &theirs) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            } && doc_type == record.doc_type;
            if compatible && dedup::distance(dedup::from_sql(row.get(7)), simhash) <= dedup::MAX_DISTANCE {
                return Ok(Some(row));
            }
        }
    }
    Ok(None)
}

/// Writes the report row, its version and its fingerprint bands.
async fn write_record(
    tx: &mut sqlx::SqliteConnection,
    stored: &Stored,
    simhash: u64,
    rank: i64,
    url: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    let record = &stored.record;
    let json = serde_json::to_string(record).map_err(|e| StoreError::Corrupt {
        id: record.id.clone(),
        message: e.to_string(),
    })?;
    let division = record.division.clone().unwrap_or_default();
    sqlx::query(
        "INSERT INTO reports (id, version, content_sha256, is_report, doc_type, title, township, county, city, province,
             division_code, review_year, plan_year, record_json, first_seen_ms, updated_ms, simhash, source_rank, primary_url)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
    .bind(record.review_year)
    .bind(record.plan_year)
    .bind(&json)
    .bind(now_ms)
    .bind(now_ms)
    .bind(dedup::to_sql(simhash))
    .bind(rank)
    .bind(url)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO report_versions (report_id, version, content_sha256, record_json, stored_ms) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&stored.id)
    .bind(stored.version)
    .bind(&record.content_sha256)
    .bind(&json)
    .bind(now_ms)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM report_simhash_bands WHERE report_id = ?")
        .bind(&stored.id)
        .execute(&mut *tx)
        .await?;
    for (band, value) in dedup::bands(simhash) {
        sqlx::query("INSERT OR IGNORE INTO report_simhash_bands (band, value, report_id) VALUES (?, ?, ?)")
            .bind(band)
            .bind(value)
            .bind(&stored.id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}
