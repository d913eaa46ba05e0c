//! `townreports-extractor`: one extractor worker process (same as `townreports extractor`).
fn main() -> std::process::ExitCode {
    townreports_bus::service::main(townreports_extractor::worker::serve)
}
