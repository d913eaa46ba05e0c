//! `townreports-scheduler`: one scheduler worker process (same as `townreports scheduler`).
fn main() -> std::process::ExitCode {
    townreports_bus::service::main(townreports_scheduler::worker::serve)
}
