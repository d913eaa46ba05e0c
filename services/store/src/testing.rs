//! Scratch PostgreSQL databases for tests of this crate and the crates
//! that use it: each test gets its own database, dropped when it is done,
//! so tests run in parallel without seeing each other's rows.

use sqlx::{AnyConnection, Connection};

use crate::{Location, StoreError};

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
        let unique = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("townreports_test_{}_{unique}", std::process::id());
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
