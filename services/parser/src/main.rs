//! `townreports-parser`: one parser worker process (same as `townreports parser`).
fn main() -> std::process::ExitCode {
    townreports_bus::service::main(townreports_parser::worker::serve)
}
