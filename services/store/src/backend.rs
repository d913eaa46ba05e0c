//! Opening, migrating and the few statements whose SQL differs between
//! SQLite and PostgreSQL. Everything else is written once, with `$N`
//! placeholders both accept.

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Executor, Row};

use crate::sql::{Sql, Value};
use crate::{Location, StoreError};

/// The words of one report's full-text entry.
#[derive(Debug, Clone)]
pub(crate) struct SearchEntry {
    pub id: String,
    pub title: String,
    pub body: String,
    /// Whether the report may have an entry already (to be deleted first).
    pub replacing: bool,
}

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
    let migrated = match location {
        Location::Sqlite(path) => {
            let _held = migration_lock(path).await.map_err(|e| open_error(e.to_string()))?;
            sqlx::migrate!("./migrations/sqlite").run(&pool).await
        }
        Location::Postgres(_) => sqlx::migrate!("./migrations/postgres").run(&pool).await,
    };
    migrated.map_err(|e| StoreError::Migration(e.to_string()))?;
    Ok((pool, backend))
}

/// How long a process waits for another to finish migrating the same file.
const MIGRATION_WAIT: Duration = Duration::from_secs(60);

/// A lock on `PATH.migrate-lock`, held while migrating a SQLite file. sqlx
/// takes no lock there (PostgreSQL migrations take an advisory lock): two
/// processes opening a new file at once (a scheduler and an indexer started
/// together) would both apply the first migration, and one would fail.
async fn migration_lock(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".migrate-lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)?;
    let deadline = tokio::time::Instant::now() + MIGRATION_WAIT;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(std::io::Error::other(format!(
                    "another process has been migrating this database for {MIGRATION_WAIT:?} (lock {})",
                    std::path::Path::new(&lock_path).display()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}

async fn configure_sqlite(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    // WAL lets readers (the API, an export) run beside the indexer; another
    // process holding the write lock makes a writer wait a little before
    // the indexer holds the message and tries again.
    // A 32 MiB page cache per connection (SQLite's default is 2 MiB): the
    // indexes a write touches outgrow the default after a few thousand
    // reports, and every write then re-reads their pages from the OS;
    // mapped (mmap) reads of the pages beyond it cost no system call. The
    // WAL is copied back into the database every 32 MiB (default 4 MiB):
    // a page that batches of writes touch again and again is copied once.
    conn.execute(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -32768; \
         PRAGMA mmap_size = 2147418112; PRAGMA wal_autocheckpoint = 8192;",
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

    /// Replaces the full-text entries of the reports in `entries` (one
    /// entry per report), a few statements for all of them.
    pub(crate) async fn write_search(
        self,
        conn: &mut AnyConnection,
        entries: &[SearchEntry],
    ) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let ids = || entries.iter().map(|e| Value::from(e.id.as_str()));
        match self {
            Backend::Sqlite => {
                // FTS5 rows are numbered: each report keeps its number.
                let keys: Vec<Vec<Value>> = ids().map(|id| vec![id]).collect();
                let insert = "INSERT INTO report_search_keys (report_id) VALUES ";
                for sql in Sql::insert_rows(insert, &keys, " ON CONFLICT (report_id) DO NOTHING") {
                    sql.query().persistent(false).execute(&mut *conn).await?;
                }
                let mut docs = Sql::new("SELECT report_id, doc FROM report_search_keys WHERE report_id IN ");
                docs.bind_list(ids());
                let mut doc_of = std::collections::HashMap::new();
                for row in docs.query().persistent(false).fetch_all(&mut *conn).await? {
                    doc_of.insert(row.try_get::<String, _>(0)?, row.try_get::<i64, _>(1)?);
                }
                let doc = |id: &str| {
                    doc_of
                        .get(id)
                        .copied()
                        .ok_or_else(|| StoreError::Rejected(format!("no search key for {id}")))
                };
                let replaced = (entries.iter().filter(|e| e.replacing))
                    .map(|e| doc(&e.id).map(Value::Int))
                    .collect::<Result<Vec<_>, _>>()?;
                if !replaced.is_empty() {
                    let mut delete = Sql::new("DELETE FROM report_fts WHERE rowid IN ");
                    delete.bind_list(replaced);
                    delete.query().persistent(false).execute(&mut *conn).await?;
                }
                let rows = entries
                    .iter()
                    .map(|e| {
                        Ok(vec![
                            Value::Int(doc(&e.id)?),
                            e.title.as_str().into(),
                            e.body.as_str().into(),
                        ])
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                for sql in Sql::insert_rows("INSERT INTO report_fts (rowid, title, body) VALUES ", &rows, "") {
                    sql.query().persistent(false).execute(&mut *conn).await?;
                }
            }
            Backend::Postgres => {
                let rows: Vec<Vec<Value>> = entries
                    .iter()
                    .map(|e| vec![e.id.as_str().into(), e.title.as_str().into(), e.body.as_str().into()])
                    .collect();
                let head = "UPDATE reports AS r SET search = setweight(to_tsvector('simple', v.title), 'A') || to_tsvector('simple', v.body)
                     FROM (VALUES ";
                for sql in Sql::insert_rows(head, &rows, ") AS v(id, title, body) WHERE r.id = v.id") {
                    sql.query().persistent(false).execute(&mut *conn).await?;
                }
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
