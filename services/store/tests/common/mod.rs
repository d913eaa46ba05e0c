//! Runs each check once on SQLite and once on PostgreSQL.
#![allow(dead_code)]

use std::future::Future;

use townreports_store::Location;
use townreports_store::testing::ScratchDatabase;

/// `check` on a fresh SQLite file.
pub async fn on_sqlite<F: Future<Output = ()>>(check: impl FnOnce(Location) -> F) {
    let dir = tempfile::tempdir().unwrap();
    check(Location::Sqlite(dir.path().join("db.sqlite"))).await;
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

/// A `sqlite` and a `postgres` test module, each with one test per check.
#[macro_export]
macro_rules! on_both_databases {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                $crate::common::on_sqlite(super::$check).await
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                $crate::common::on_postgres(super::$check).await
            })*
        }
    };
}
