//! Scratch PostgreSQL databases for tests of this crate and the crates
//! that use it: each test gets its own database, dropped when it is done,
//! so tests run in parallel without seeing each other's rows.

use std::future::Future;
use std::path::PathBuf;

use sqlx::{AnyConnection, Connection};

use crate::{Location, StoreError};

/// `check` on a fresh SQLite file in a directory removed afterwards.
pub async fn on_sqlite<F: Future<Output = ()>>(check: impl FnOnce(Location) -> F) {
    let dir = unique_temp_dir();
    std::fs::create_dir_all(&dir).unwrap();
    check(Location::Sqlite(dir.join("db.sqlite"))).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// `check` on a fresh PostgreSQL database, dropped afterwards (a failed
/// check leaves it for the next run's [`ScratchDatabase::create`] to drop).
pub async fn on_postgres<F: Future<Output = ()>>(check: impl FnOnce(Location) -> F) {
    let db = ScratchDatabase::create()
        .await
        .expect("a PostgreSQL server for the store tests (scripts/setup.sh installs and starts one)");
    check(db.location.clone()).await;
    db.drop_database().await.unwrap();
}

/// A `sqlite` and a `postgres` test module, each with one test per check
/// (an `async fn(Location)` in the enclosing module).
#[macro_export]
macro_rules! on_both_databases {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                $crate::testing::on_sqlite(super::$check).await
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                $crate::testing::on_postgres(super::$check).await
            })*
        }
    };
}

/// The documents of the workspace's test corpus (`tests/corpus`): the
/// scraped seeds and the made-up documents, sorted.
pub fn corpus_files() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus");
    let mut files = Vec::new();
    for dir in ["seeds", "made-up/docs"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("the test corpus in tests/corpus") {
            files.push(entry.expect("a readable corpus directory").path());
        }
    }
    files.sort();
    files
}

fn unique_temp_dir() -> PathBuf {
    std::env::temp_dir().join(format!("townreports-test-{}-{}", std::process::id(), unique()))
}

fn unique() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    nanos * 1000 + u128::from(COUNTER.fetch_add(1, Ordering::Relaxed) % 1000)
}

/// The server tests use: `TEST_DATABASE_URL`, else the local PostgreSQL
/// that `scripts/setup.sh` installs (trust authentication on loopback).
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".into())
}

/// A database created for one test.
pub struct ScratchDatabase {
    admin: String,
    name: String,
    pub location: Location,
}

impl ScratchDatabase {
    /// Creates an empty database with a unique name on [`admin_url`]'s server.
    pub async fn create() -> Result<ScratchDatabase, StoreError> {
        sqlx::any::install_default_drivers();
        let admin = admin_url();
        let name = format!("townreports_test_{}_{}", std::process::id(), unique());
        let mut conn = connect(&admin).await?;
        drop_abandoned(&mut conn).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        let (base, _) = admin.rsplit_once('/').unwrap_or((admin.as_str(), ""));
        let location = Location::Postgres(format!("{base}/{name}"));
        Ok(ScratchDatabase { admin, name, location })
    }

    /// Drops the database (closing every connection still open to it).
    pub async fn drop_database(self) -> Result<(), StoreError> {
        let mut conn = connect(&self.admin).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&mut conn)
        .await?;
        Ok(())
    }
}

/// Drops the scratch databases of test processes that are gone (a test
/// that failed does not get to drop its own).
async fn drop_abandoned(conn: &mut AnyConnection) -> Result<(), StoreError> {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE 'townreports\\_test\\_%'")
            .fetch_all(&mut *conn)
            .await?;
    for name in names {
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

async fn connect(url: &str) -> Result<AnyConnection, StoreError> {
    AnyConnection::connect(url).await.map_err(|e| StoreError::Open {
        location: crate::Location::Postgres(url.to_string()).describe(),
        message: format!("{e}; is PostgreSQL running (scripts/setup.sh starts it)?"),
    })
}
