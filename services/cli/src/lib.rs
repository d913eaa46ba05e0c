//! The `townreports` command-line tool's subcommands, as a library so the
//! end-to-end tests drive exactly what users run.

pub mod coverage;
pub mod discover;
pub mod dlq;
pub mod export;
pub mod extract;
pub mod reprocess;
pub mod run;
pub mod status;
pub mod subscribe;
