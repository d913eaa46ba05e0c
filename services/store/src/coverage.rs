//! Coverage: for a county, city or province, the township × year matrix —
//! every township of the national table under its code, the report
//! columns discovery found for it, and per year the types of report
//! stored. The store knows the reports and the gazetteer the townships;
//! the columns live in the crawl's frontier, so the caller passes them in
//! (`None` when it could not read them).

use std::collections::BTreeMap;

use serde::Serialize;
use townreports_gazetteer::Gazetteer;

use crate::{Store, StoreError};

/// Township code → the report columns discovery found on its page (empty:
/// its page showed none).
pub type Columns = BTreeMap<String, Vec<String>>;

/// The matrix of one division.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub code: String,
    pub name: String,
    /// Every year from the first to the last with a stored report, so a
    /// gap shows as missing.
    pub years: Vec<i64>,
    /// Whether the columns were known (the crawl's frontier was read).
    pub columns_known: bool,
    pub townships: Vec<TownshipCoverage>,
}

/// One row of the matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TownshipCoverage {
    pub code: String,
    pub name: String,
    pub county: String,
    /// Its report columns; `None` when discovery found no page of it (or
    /// the columns were not known).
    pub columns: Option<Vec<String>>,
    /// Year → the types of report stored for it, sorted; a year of
    /// [`Coverage::years`] absent here is missing.
    pub reports: BTreeMap<i64, Vec<String>>,
}

/// The coverage of `code` (2, 4 or 6 digits of the national table).
pub async fn coverage(store: &Store, code: &str, columns: Option<&Columns>) -> Result<Coverage, StoreError> {
    let gazetteer = Gazetteer::global();
    let place = Some(code)
        .filter(|c| matches!(c.len(), 2 | 4 | 6) && c.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|c| gazetteer.place(c))
        .ok_or_else(|| {
            StoreError::BadQuery(format!(
                "{code:?} is no province, city or county code (2, 4 or 6 digits) of the national table"
            ))
        })?;
    let mut townships: Vec<TownshipCoverage> = gazetteer
        .townships_under(code)
        .into_iter()
        .map(|p| TownshipCoverage {
            columns: columns.and_then(|c| c.get(&p.code).cloned()),
            name: p.township.unwrap_or_default(),
            county: p.county.unwrap_or_default(),
            code: p.code,
            reports: BTreeMap::new(),
        })
        .collect();
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    for (township, year, doc_type) in store.stored_by_township(code).await? {
        // Rows come in code order, as the townships do.
        if let Ok(i) = townships.binary_search_by(|t| t.code.as_str().cmp(&township)) {
            townships[i].reports.entry(year).or_default().push(doc_type);
            (first, last) = (first.min(year), last.max(year));
        }
    }
    Ok(Coverage {
        code: code.to_string(),
        name: place.county.or(place.city).or(place.province).unwrap_or_default(),
        years: (first..=last).collect(),
        columns_known: columns.is_some(),
        townships,
    })
}
