//! The crawl scheduler: keeps the frontier (every known URL and when to fetch
//! it next) and releases fetch jobs only when they are due and polite.
//!
//! Pure logic: [`canon`] (URL canonicalisation), [`frontier`] (every known
//! URL, politeness, revisits, discovery), [`robots`] (robots.txt per host)
//! and [`traps`] (URLs a site generates without end). NATS glue: [`worker`]
//! (consumes fetch outcomes and discovered links, persists the frontier in
//! a JetStream key-value bucket, publishes fetch jobs) and [`lease`] (one
//! active scheduler at a time).

pub mod canon;
pub mod frontier;
pub mod lease;
pub mod robots;
pub mod traps;
pub mod worker;
