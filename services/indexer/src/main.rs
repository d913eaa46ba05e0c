//! `townreports-indexer`: one indexer worker process (same as `townreports indexer`).
fn main() -> std::process::ExitCode {
    townreports_bus::service::main(townreports_indexer::worker::serve)
}
