//! Where reports live. One interface, [`Store`], over two databases: SQLite
//! in the data directory (the embedded default) and PostgreSQL (production,
//! `--database-url postgres://…`). Both hold the same tables and answer the
//! same queries; the few places where their SQL differs are in `backend`.
//!
//! A report is one row per report id with its latest record, every URL it
//! was seen at, every version of its record, its sections and metrics as
//! rows (for filters and panel exports), a jieba-segmented full-text index,
//! and the links from each target it set to the outcome its township
//! reported a year later. Every write is one transaction, so a crash leaves
//! either the old or the new state, never half of one.
//!
//! Module map: `backend` opens and migrates, `write` stores and announces,
//! `read` loads records, `search` finds reports, `panel` exports metrics,
//! `segment` cuts Chinese into words, `diff` says what an edit changed,
//! `dedup` tells copies of one report apart from other reports, `coverage`
//! lays out a division's townships by year, `frontier` is the crawl
//! frontier's status index (a row per known URL, read by host partition
//! and due time), `sql` holds the statements both databases share;
//! `testing` (feature `testing`, for tests only) gives each test a scratch
//! database.

mod backend;
pub mod coverage;
pub mod dedup;
pub mod diff;
pub mod frontier;
pub mod panel;
mod read;
pub mod search;
pub mod segment;
mod sql;
#[cfg(feature = "testing")]
pub mod testing;
mod write;

use std::path::{Path, PathBuf};

pub use backend::Backend;
pub use coverage::{Columns, Coverage, TownshipCoverage, coverage};
pub use frontier::FrontierRow;
pub use panel::{MetricQuery, MetricRow};
pub use read::VersionInfo;
pub use search::{ReportFilter, ReportSummary, SearchPage, SearchQuery};
pub use write::{Change, Prepared, Stored, Write, Written};

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot serve anyone right now (unreachable, shutting
    /// down, busy or locked by another process, out of disk): the request
    /// was fine and succeeds once the database is back.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database refused this statement (a constraint, a value it cannot
    /// hold): retrying the same request fails the same way.
    #[error("database refused the statement: {0}")]
    Rejected(String),
    #[error("cannot open the database at {location}: {message}")]
    Open { location: String, message: String },
    #[error("database migration failed: {0}. Is this database from a newer townreports?")]
    Migration(String),
    #[error("stored record {id} is unreadable: {message}")]
    Corrupt { id: String, message: String },
    /// A query the caller built is not valid (a bad filter or cursor).
    #[error("{0}")]
    BadQuery(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if database_unavailable(&e) {
            StoreError::Unavailable(e.to_string())
        } else {
            StoreError::Rejected(e.to_string())
        }
    }
}

/// Whether `e` says the database as a whole cannot serve requests now,
/// rather than that this statement is wrong.
fn database_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                sqlite_code_unavailable(&code)
            } else {
                postgres_code_unavailable(&code)
            }
        }
        _ => false,
    }
}

/// SQLite result codes (extended: the primary code is the low byte) that
/// mean "not now" rather than "never": busy, locked, disk I/O error, disk
/// full, cannot open.
fn sqlite_code_unavailable(code: &str) -> bool {
    code.parse::<i32>()
        .is_ok_and(|extended| matches!(extended & 0xff, 5 | 6 | 10 | 13 | 14))
}

/// PostgreSQL SQLSTATE classes that mean "not now": connection exceptions,
/// insufficient resources (disk full, too many connections), operator
/// intervention (shutdown, recovery), and serialization failures and
/// deadlocks, which a retry resolves.
fn postgres_code_unavailable(code: &str) -> bool {
    ["08", "53", "57", "40"].iter().any(|class| code.starts_with(class))
}

/// Which database to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file (created when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL URL (`postgres://user:password@host/db`).
    Postgres(String),
}

/// The flags every process that opens the store takes.
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseArgs {
    /// Where the SQLite database lives (unless --database-url is given).
    #[arg(long, env = "DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// The database: `postgres://USER:PASSWORD@HOST/DB` for PostgreSQL
    /// (production), `sqlite://PATH`; default: SQLite in the data directory.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
}

impl DatabaseArgs {
    /// The database the flags name.
    pub fn location(&self) -> Result<Location, StoreError> {
        Location::from_args(self.database_url.as_deref(), &self.data_dir)
    }

    /// Opens the store the flags name.
    pub async fn open(&self) -> Result<Store, StoreError> {
        Store::open(&self.location()?).await
    }
}

impl Location {
    /// `--database-url` when given (`postgres://…`, `postgresql://…` or
    /// `sqlite://PATH`), else the SQLite file in the data directory.
    pub fn from_args(database_url: Option<&str>, data_dir: &Path) -> Result<Location, StoreError> {
        match database_url.map(str::trim).filter(|u| !u.is_empty()) {
            None => Ok(Location::Sqlite(sqlite_path(data_dir))),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Location::Postgres(url.to_string()))
            }
            Some(url) => match url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
                Some(path) if !path.is_empty() => Ok(Location::Sqlite(PathBuf::from(path))),
                _ => Err(StoreError::Open {
                    location: url.to_string(),
                    message: "expected postgres://USER@HOST/DB or sqlite://PATH".into(),
                }),
            },
        }
    }

    /// For messages: the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Location::Sqlite(path) => path.display().to_string(),
            Location::Postgres(url) => redact_password(url),
        }
    }
}

/// The SQLite file under a data directory.
pub fn sqlite_path(data_dir: &Path) -> PathBuf {
    data_dir.join("townreports.sqlite")
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{name}:***@{host}")
        }
        _ => url.to_string(),
    }
}

/// The report database (see the crate docs).
pub struct Store {
    pool: sqlx::AnyPool,
    backend: Backend,
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `location`,
    /// then indexes any report stored before the search tables existed.
    pub async fn open(location: &Location) -> Result<Store, StoreError> {
        let (pool, backend) = backend::connect(location).await?;
        let store = Store { pool, backend };
        store.index_missing().await?;
        Ok(store)
    }

    /// The SQLite file at `path`.
    pub async fn open_sqlite(path: &Path) -> Result<Store, StoreError> {
        Store::open(&Location::Sqlite(path.to_path_buf())).await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_are_told_from_refused_statements() {
        // SQLite: busy, locked, disk I/O, disk full (and extended forms).
        for code in ["5", "6", "10", "13", "14", "517", "262", "778"] {
            assert!(sqlite_code_unavailable(code), "{code}");
        }
        // SQLite: constraint (unique, not null), type mismatch, read-only.
        for code in ["19", "2067", "1299", "20", "8"] {
            assert!(!sqlite_code_unavailable(code), "{code}");
        }
        // PostgreSQL: admin shutdown, cannot connect now, disk full,
        // connection failure, deadlock.
        for code in ["57P01", "57P03", "53100", "08006", "40P01"] {
            assert!(postgres_code_unavailable(code), "{code}");
        }
        // PostgreSQL: unique violation, invalid text, undefined table.
        for code in ["23505", "22P02", "42P01"] {
            assert!(!postgres_code_unavailable(code), "{code}");
        }
    }

    #[test]
    fn locations_from_flags() {
        let dir = Path::new("/data");
        assert_eq!(
            Location::from_args(None, dir).unwrap(),
            Location::Sqlite("/data/townreports.sqlite".into())
        );
        assert_eq!(
            Location::from_args(Some("postgresql://u:p@h/db"), dir).unwrap(),
            Location::Postgres("postgresql://u:p@h/db".into())
        );
        assert_eq!(
            Location::from_args(Some("sqlite:///tmp/x.db"), dir).unwrap(),
            Location::Sqlite("/tmp/x.db".into())
        );
        assert!(Location::from_args(Some("mysql://h/db"), dir).is_err());
        assert_eq!(
            Location::Postgres("postgres://u:secret@h:5432/db".into()).describe(),
            "postgres://u:***@h:5432/db"
        );
    }
}
