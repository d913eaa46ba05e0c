//! Site discovery: a county portal's links to the townships it hosts or
//! links to, each resolved to its 9-digit code within the county (never a
//! pick among same-named townships), and a township page's links to the
//! columns that carry reports. Pure: links in, findings out; fetching is
//! the caller's (the scheduler in a crawl, `townreports discover` once).
//!
//! Modules: `county` (township entries on a county page and what the
//! county's table says is missing), `columns` (report columns on a
//! township page).

mod columns;
mod county;

pub use columns::{is_report_column, report_columns};
pub use county::{
    CountyFindings, DiscoveryError, Summary, TownshipEntry, Unresolved, summarise, township_site_id, townships,
};

use url::Url;

/// A link as a page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub url: Url,
    /// The visible text (or the `title=` when the text is cut).
    pub text: String,
    /// Whether it leads to a column or menu page rather than a document
    /// or a file: only such links can be a township's entry or a column.
    pub list: bool,
}
