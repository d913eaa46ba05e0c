//! The `townreports` command-line tool's subcommands, as a library so the
//! end-to-end tests drive exactly what users run. Each module is one
//! command's flags, one call into the crate that owns the concept, and the
//! printing:
//!
//! - [`run`]: `run` and `demo`, the whole pipeline in one process.
//! - [`status`]: how the crawl stands, per site and per stage.
//! - [`coverage`]: the township × year matrix of a county, city or province.
//! - [`discover`]: site discovery on county portals, once.
//! - [`dlq`]: dead letters listed, shown, replayed.
//! - [`export`]: every stored record as JSON Lines.
//! - [`extract`]: `extract` (files to records) and `eval` (scores on a corpus).
//! - [`reprocess`]: parse and extract again from the web archive.
//! - [`subscribe`]: report events as JSON Lines.

pub mod coverage;
pub mod discover;
pub mod dlq;
pub mod export;
pub mod extract;
pub mod reprocess;
pub mod run;
pub mod status;
pub mod subscribe;
