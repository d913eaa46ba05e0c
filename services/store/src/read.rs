//! Loading stored records whole: one report, every report (export), its
//! versions, and what a version changed.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::Row;
use townreports_proto::v1::{FieldChange, ReportRecord, Source};

use crate::write::parse_record;
use crate::{Store, StoreError, diff};

/// One stored version of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionInfo {
    pub version: i64,
    pub content_sha256: String,
    pub stored_ms: i64,
}

impl Store {
    /// Report `id`'s latest record with every source it was seen at.
    pub async fn report(&self, id: &str) -> Result<Option<ReportRecord>, StoreError> {
        let json: Option<String> = sqlx::query_scalar("SELECT record_json FROM reports WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(json) = json else { return Ok(None) };
        let mut record = parse_record(id, &json)?;
        record.sources = self.sources(id).await?;
        Ok(Some(record))
    }

    async fn sources(&self, id: &str) -> Result<Vec<Source>, StoreError> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT url, site_id FROM report_sources WHERE report_id = $1 ORDER BY first_seen_ms, url")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(url, site_id)| Source {
                url: Some(url),
                site_id,
                ..Default::default()
            })
            .collect())
    }

    /// Up to `limit` reports' latest records with their sources, in id
    /// order after `after` (a bulk export pages through them all).
    pub async fn records_after(&self, after: &str, limit: i64) -> Result<Vec<ReportRecord>, StoreError> {
        let rows = sqlx::query("SELECT id, record_json FROM reports WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get(0)?;
            let mut record = parse_record(&id, &row.try_get::<String, _>(1)?)?;
            record.sources = self.sources(&id).await?;
            records.push(record);
        }
        Ok(records)
    }

    /// Every stored report's latest record, with all its sources, oldest first.
    pub async fn records(&self) -> Result<Vec<ReportRecord>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM reports ORDER BY first_seen_ms, id")
            .fetch_all(&self.pool)
            .await?;
        let mut records = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(record) = self.report(&id).await? {
                records.push(record);
            }
        }
        Ok(records)
    }

    /// Report `id`'s versions, oldest first.
    pub async fn version_history(&self, id: &str) -> Result<Vec<VersionInfo>, StoreError> {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT version, content_sha256, stored_ms FROM report_versions WHERE report_id = $1 ORDER BY version",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(version, content_sha256, stored_ms)| VersionInfo {
                version,
                content_sha256,
                stored_ms,
            })
            .collect())
    }

    /// How many versions `id` has.
    pub async fn versions(&self, id: &str) -> Result<i64, StoreError> {
        Ok(self.version_history(id).await?.len() as i64)
    }

    /// Version `version` of report `id`'s record, as it was stored.
    pub async fn record_version(&self, id: &str, version: i64) -> Result<Option<ReportRecord>, StoreError> {
        let json: Option<String> =
            sqlx::query_scalar("SELECT record_json FROM report_versions WHERE report_id = $1 AND version = $2")
                .bind(id)
                .bind(version)
                .fetch_optional(&self.pool)
                .await?;
        json.map(|json| parse_record(id, &json)).transpose()
    }

    /// What version `version` of report `id` changed from the one before
    /// (nothing for the first).
    pub async fn changes(&self, id: &str, version: i64) -> Result<Vec<FieldChange>, StoreError> {
        let (Some(before), Some(after)) = (
            self.record_version(id, version - 1).await?,
            self.record_version(id, version).await?,
        ) else {
            return Ok(Vec::new());
        };
        Ok(diff::changes(&before, &after))
    }

    /// Reports each site has a copy of (by sites-file id).
    pub async fn reports_by_site(&self) -> Result<BTreeMap<String, i64>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT site_id, COUNT(DISTINCT report_id) FROM report_sources GROUP BY site_id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().collect())
    }

    /// Every (township code, year, doc type) of a stored report under the
    /// division code `prefix` (digits only), sorted; the year is the one
    /// reviewed, else the one planned (a 工作计划 reviews none).
    pub async fn stored_by_township(&self, prefix: &str) -> Result<Vec<(String, i64, String)>, StoreError> {
        if !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(StoreError::BadQuery(format!("{prefix:?} is no division code")));
        }
        Ok(sqlx::query_as(
            "SELECT DISTINCT division_code, COALESCE(review_year, plan_year), doc_type FROM reports \
             WHERE is_report AND doc_type IS NOT NULL AND LENGTH(division_code) = 9 \
             AND division_code LIKE $1 AND COALESCE(review_year, plan_year) IS NOT NULL ORDER BY 1, 2, 3",
        )
        .bind(format!("{prefix}%"))
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM reports")
            .fetch_one(&self.pool)
            .await?)
    }
}
