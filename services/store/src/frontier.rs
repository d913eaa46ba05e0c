//! The crawl frontier's status index (as StormCrawler keeps one in SQL): one
//! row per known URL, keyed by its canonical form, with the host partition
//! it belongs to and the time it is next to be considered, so that a
//! scheduler reads the due URLs and the jobs in flight of the partitions it
//! owns, never every URL. What a row's state means is the scheduler's: here
//! it is text.

use sqlx::Row;

use crate::sql::{Sql, Value};
use crate::{Store, StoreError};

/// One URL of the frontier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontierRow {
    /// The canonical URL.
    pub key: String,
    /// The host partition the URL's host hashes to.
    pub partition: i64,
    pub site: String,
    /// `in_flight` marks a dispatched job ([`Store::frontier_in_flight`]).
    pub status: String,
    /// When the URL is next to be considered; `None` while in flight or
    /// when it is not to be fetched again.
    pub due_ms: Option<i64>,
    /// The scheduler's state of the URL (JSON).
    pub state: String,
}

/// The status of a dispatched job.
pub const IN_FLIGHT: &str = "in_flight";

const COLUMNS: &str = "url_key, part, site, status, due_ms, state";

impl Store {
    /// Saves `rows` (new or changed) in one transaction.
    pub async fn save_frontier(&self, rows: &[FrontierRow]) -> Result<(), StoreError> {
        let values: Vec<Vec<Value>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.key.clone().into(),
                    r.partition.into(),
                    r.site.clone().into(),
                    r.status.clone().into(),
                    r.due_ms.into(),
                    r.state.clone().into(),
                ]
            })
            .collect();
        let statements = Sql::insert_rows(
            &format!("INSERT INTO frontier ({COLUMNS}) VALUES "),
            &values,
            " ON CONFLICT (url_key) DO UPDATE SET part = excluded.part, site = excluded.site, \
             status = excluded.status, due_ms = excluded.due_ms, state = excluded.state",
        );
        let mut tx = self.pool.begin().await?;
        for statement in &statements {
            statement.query().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The URLs of `partition` due by `until_ms`, earliest first, at most
    /// `limit`.
    pub async fn frontier_due(
        &self,
        partition: i64,
        until_ms: i64,
        limit: i64,
    ) -> Result<Vec<FrontierRow>, StoreError> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM frontier WHERE part = "));
        sql.bind(partition)
            .push(" AND due_ms IS NOT NULL AND due_ms <= ")
            .bind(until_ms)
            .push(" ORDER BY due_ms LIMIT ")
            .bind(limit);
        self.frontier_rows(&sql).await
    }

    /// The jobs of `partition` in flight.
    pub async fn frontier_in_flight(&self, partition: i64) -> Result<Vec<FrontierRow>, StoreError> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM frontier WHERE part = "));
        sql.bind(partition).push(" AND status = ").bind(IN_FLIGHT);
        self.frontier_rows(&sql).await
    }

    /// The rows of those of `keys` that are known.
    pub async fn frontier_get(&self, keys: &[String]) -> Result<Vec<FrontierRow>, StoreError> {
        let mut rows = Vec::new();
        // Within both databases' limit on placeholders.
        for chunk in keys.chunks(10_000) {
            let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM frontier WHERE url_key IN "));
            sql.bind_list(chunk.iter().map(|k| Value::from(k.as_str())));
            rows.extend(self.frontier_rows(&sql).await?);
        }
        Ok(rows)
    }

    /// Up to `limit` rows with keys after `after`, in key order: the whole
    /// index a page at a time.
    pub async fn frontier_after(&self, after: &str, limit: i64) -> Result<Vec<FrontierRow>, StoreError> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM frontier WHERE url_key > "));
        sql.bind(after).push(" ORDER BY url_key LIMIT ").bind(limit);
        self.frontier_rows(&sql).await
    }

    /// URLs known per site.
    pub async fn frontier_sites(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query("SELECT site, COUNT(*) FROM frontier GROUP BY site ORDER BY site")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    async fn frontier_rows(&self, sql: &Sql) -> Result<Vec<FrontierRow>, StoreError> {
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(FrontierRow {
                    key: r.try_get(0)?,
                    partition: r.try_get(1)?,
                    site: r.try_get(2)?,
                    status: r.try_get(3)?,
                    due_ms: r.try_get(4)?,
                    state: r.try_get(5)?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}
