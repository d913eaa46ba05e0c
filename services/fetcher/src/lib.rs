//! The fetcher: turns fetch jobs into responses, safely (the private-address
//! guard, size caps, bounded redirects and retries) and honestly (a
//! User-Agent with a contact URL; anti-bot challenges recorded, not evaded).
//!
//! Every response is kept in a WARC archive ([`archive`]) for
//! `townreports reprocess`.
//!
//! Pure logic: [`guard`], [`antibot`], [`http`], [`archive`]. NATS glue: [`worker`].

pub mod antibot;
pub mod archive;
pub mod guard;
pub mod http;
pub mod worker;
