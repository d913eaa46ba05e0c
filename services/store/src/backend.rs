//! Opening, migrating and the few statements whose SQL differs between
//! SQLite and PostgreSQL. Everything else is written once, with `$N`
//! placeholders both accept.

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Executor};

use crate::sql::Sql;
use crate::{Location, StoreError};

/// Which database a [`crate::Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

pub(crate) async fn connect(location: &Location) -> Result<(AnyPool, Backend), StoreError> {
    sqlx::any::install_default_drivers();
    let open_error = |message: String| StoreError::Open {
        location: location.describe(),
        message,
    };
    let (url, backend, max_connections) = match location {
        Location::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| open_error(e.to_string()))?;
            }
            let path = std::path::absolute(path).map_err(|e| open_error(e.to_string()))?;
            let url = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .to_url_lossy();
            (url, Backend::Sqlite, 4)
        }
        Location::Postgres(url) => (
            url.parse().map_err(|e: url::ParseError| open_error(e.to_string()))?,
            Backend::Postgres,
            8,
        ),
    };
    let options = AnyConnectOptions::from_url(&url).map_err(|e| open_error(e.to_string()))?;
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .after_release(|conn, _| {
            Box::pin(async move {
                // A transaction the database undid by itself (SQLite rolls
                // back on a full disk) leaves the driver's rollback failing
                // and the connection counted as still in a transaction,
                // refusing every later BEGIN. Let the rollback queued by the
                // dropped transaction run, then close such a connection.
                if conn.is_in_transaction() {
                    conn.ping().await?;
                }
                Ok(!conn.is_in_transaction())
            })
        })
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    configure_sqlite(conn).await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| open_error(e.to_string()))?;
    let migrated = match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&pool).await,
        Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&pool).await,
    };
    migrated.map_err(|e| StoreError::Migration(e.to_string()))?;
    Ok((pool, backend))
}

async fn configure_sqlite(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    // WAL lets readers (the API, an export) run beside the indexer; another
    // process holding the write lock makes a writer wait a little before
    // the indexer holds the message and tries again.
    // A 32 MiB page cache per connection (SQLite's default is 2 MiB): the
    // indexes a write touches outgrow the default after a few thousand
    // reports, and every write then re-reads their pages from the OS.
    conn.execute(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -32768;",
    )
    .await?;
    Ok(())
}

impl Backend {
    /// Starts the transaction of an upsert, holding the write lock from its
    /// first statement: the near-copy lookup reads before it writes, and two
    /// indexers must not both decide a report is new.
    pub(crate) async fn begin_write(self, pool: &AnyPool) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self {
            // A deferred transaction that reads and then writes fails at
            // once with SQLITE_BUSY when another writer got in between.
            Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                let mut tx = pool.begin().await?;
                // Readers (the API) are not blocked; other upserts wait.
                sqlx::query("LOCK TABLE reports IN SHARE ROW EXCLUSIVE MODE")
                    .execute(&mut *tx)
                    .await?;
                tx
            }
        })
    }

    /// Replaces the full-text entry of report `id`.
    pub(crate) async fn write_search(
        self,
        conn: &mut AnyConnection,
        id: &str,
        title_words: &str,
        body_words: &str,
    ) -> Result<(), StoreError> {
        match self {
            Backend::Sqlite => {
                sqlx::query(
                    "INSERT INTO report_search_keys (report_id) VALUES ($1) ON CONFLICT (report_id) DO NOTHING",
                )
                .bind(id)
                .execute(&mut *conn)
                .await?;
                let doc: i64 = sqlx::query_scalar("SELECT doc FROM report_search_keys WHERE report_id = $1")
                    .bind(id)
                    .fetch_one(&mut *conn)
                    .await?;
                sqlx::query("DELETE FROM report_fts WHERE rowid = $1")
                    .bind(doc)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("INSERT INTO report_fts (rowid, title, body) VALUES ($1, $2, $3)")
                    .bind(doc)
                    .bind(title_words)
                    .bind(body_words)
                    .execute(&mut *conn)
                    .await?;
            }
            Backend::Postgres => {
                sqlx::query(
                    "UPDATE reports SET search = setweight(to_tsvector('simple', $2), 'A') || to_tsvector('simple', $3)
                     WHERE id = $1",
                )
                .bind(id)
                .bind(title_words)
                .bind(body_words)
                .execute(&mut *conn)
                .await?;
            }
        }
        Ok(())
    }

    /// The score of a full-text match in [`Backend::search_from`]'s
    /// clauses, higher for better matches.
    pub(crate) fn search_score(self) -> &'static str {
        match self {
            // bm25 is smaller for better matches; the title weighs more.
            Backend::Sqlite => "-bm25(report_fts, 4.0, 1.0)",
            Backend::Postgres => "CAST(ts_rank(r.search, q.query) AS DOUBLE PRECISION)",
        }
    }

    /// The `FROM` and `WHERE` clauses of a report query that keep the
    /// reports (`r`) holding every word of `words`, each as a word prefix
    /// (城关 finds 城关镇).
    pub(crate) fn search_from(self, sql: &mut Sql, words: &[String]) {
        match self {
            Backend::Sqlite => {
                // FTS5: each word a quoted prefix term; a space means AND.
                let query = words
                    .iter()
                    .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
                    .collect::<Vec<_>>()
                    .join(" ");
                sql.push(
                    " FROM report_fts JOIN report_search_keys k ON k.doc = report_fts.rowid \
                     JOIN reports r ON r.id = k.report_id WHERE report_fts MATCH ",
                )
                .bind(query);
            }
            Backend::Postgres => {
                let query = words
                    .iter()
                    .map(|w| format!("'{}':*", w.replace('\\', "\\\\").replace('\'', "''")))
                    .collect::<Vec<_>>()
                    .join(" & ");
                sql.push(" FROM reports r, to_tsquery('simple', ")
                    .bind(query)
                    .push(") AS q(query) WHERE r.search @@ q.query");
            }
        }
    }
}
