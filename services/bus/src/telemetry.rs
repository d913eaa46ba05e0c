//! Logging set-up shared by every binary: `RUST_LOG` filters (default
//! `info`), JSON lines with `LOG_FORMAT=json` (for Kubernetes), plain text
//! otherwise, always on stderr so stdout stays data (JSON Lines of records).

use tracing_subscriber::{EnvFilter, fmt};

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // `try_init` so tests and embedded runs that initialise twice do not panic.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.compact().try_init()
    };
}
