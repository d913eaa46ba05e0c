//! `townreports-fetcher`: one fetcher worker process (same as `townreports fetcher`).
fn main() -> std::process::ExitCode {
    townreports_bus::service::main(townreports_fetcher::worker::serve)
}
