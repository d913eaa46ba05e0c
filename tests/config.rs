//! A bad sites file stops the real binary before anything starts: `run`,
//! `scheduler` and `fetcher` exit non-zero within seconds with a message
//! naming the file, the line and the key; no nats-server is started,
//! nothing is written to the data directory, and no connection is made to
//! the NATS server they were pointed at.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A valid sites file; each case breaks one line of it.
const GOOD: &str = r#"[fetch]
allow_private_networks = ["127.0.0.0/8"]
min_delay = "250ms"

[[site]]
id = "town-a"
name = "甲镇人民政府"
start_urls = ["http://127.0.0.1:9/zfxxgk/index.html"]
revisit = "6h"
max_pages = 100
"#;

/// A sites file that is wrong in one place, and where the message must
/// say it is: the line and the key.
struct Case {
    name: &'static str,
    text: String,
    line: usize,
    key: &'static str,
}

fn cases() -> Vec<Case> {
    let second_site = &GOOD[GOOD.find("[[site]]").unwrap()..];
    vec![
        Case {
            name: "unknown key",
            text: GOOD.replace("revisit = \"6h\"", "revisit = \"6h\"\nrevisti = \"1h\""),
            line: 10,
            key: "site[0].revisti",
        },
        Case {
            name: "wrong type",
            text: GOOD.replace("max_pages = 100", "max_pages = \"many\""),
            line: 10,
            key: "site[0].max_pages",
        },
        Case {
            name: "wrong type in [fetch]",
            text: GOOD.replace("min_delay = \"250ms\"", "min_delay = 250"),
            line: 3,
            key: "fetch.min_delay",
        },
        Case {
            name: "duplicate id",
            text: format!("{GOOD}\n{second_site}"),
            line: 13,
            key: "site[1].id",
        },
        Case {
            name: "invalid URL",
            text: GOOD.replace("http://127.0.0.1:9/zfxxgk/index.html", "http//127.0.0.1:9/zfxxgk"),
            line: 8,
            key: "site[0].start_urls",
        },
        Case {
            name: "URL that is not http",
            text: GOOD.replace("http://127.0.0.1:9/zfxxgk/index.html", "file:///etc/passwd"),
            line: 8,
            key: "site[0].start_urls",
        },
        Case {
            name: "invalid interval",
            text: GOOD.replace("\"6h\"", "\"six hours\""),
            line: 9,
            key: "site[0].revisit",
        },
        Case {
            name: "interval below a second",
            text: GOOD.replace("\"6h\"", "\"10ms\""),
            line: 9,
            key: "site[0].revisit",
        },
        Case {
            name: "max_pages = 0",
            text: GOOD.replace("max_pages = 100", "max_pages = 0"),
            line: 10,
            key: "site[0].max_pages",
        },
        Case {
            name: "negative max_pages",
            text: GOOD.replace("max_pages = 100", "max_pages = -1"),
            line: 10,
            key: "site[0].max_pages",
        },
        Case {
            name: "unclosed string",
            text: GOOD.replace("name = \"甲镇人民政府\"", "name = \"甲镇人民政府"),
            line: 7,
            key: "site[0].name",
        },
    ]
}

/// A port that accepts connections but is never answered: whoever
/// connects to it before validating the sites file is caught.
struct Trap(TcpListener);

impl Trap {
    fn new() -> Trap {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Trap(listener)
    }

    fn url(&self) -> String {
        format!("nats://{}", self.0.local_addr().unwrap())
    }

    fn connections(&self) -> usize {
        std::iter::from_fn(|| self.0.accept().ok()).count()
    }
}

/// Runs the binary with `args` and the environment given, no other NATS
/// or database settings inherited.
fn townreports(args: &[&str], env: &[(&str, &str)]) -> (Output, Duration) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_townreports"));
    command.args(args);
    for var in ["NATS_URL", "SITES_FILE", "DATA_DIR", "DATABASE_URL", "METRICS_ADDR"] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied()).env("RUST_LOG", "warn");
    let started = Instant::now();
    let output = command.output().unwrap();
    (output, started.elapsed())
}

/// Processes whose command line names `dir` (a nats-server started for
/// the data directory would).
fn processes_under(dir: &Path) -> Vec<String> {
    let dir = dir.display().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(&dir) && !cmdline.contains("CARGO_BIN_EXE") {
                found.push(cmdline);
            }
        }
    }
    found
}

/// The run failed fast and said where: file, line and key.
fn assert_refused(what: &str, file: &Path, case: &Case, output: &Output, took: Duration) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{what}: exited 0\n{stderr}");
    assert!(took < Duration::from_secs(10), "{what}: took {took:?}");
    let located = format!("{}:{}:", file.display(), case.line);
    assert!(
        stderr.contains(&located) && stderr.contains(case.key),
        "{what}: expected {located} and {} in:\n{stderr}",
        case.key
    );
}

#[test]
fn run_refuses_a_bad_sites_file_before_starting_anything() {
    let dir = tempfile::tempdir().unwrap();
    let mut slowest = Duration::ZERO;
    for (i, case) in cases().iter().enumerate() {
        let file = dir.path().join(format!("bad-{i}.toml"));
        std::fs::write(&file, &case.text).unwrap();
        let data = dir.path().join(format!("data-{i}"));
        let args = [
            "run",
            "--once",
            "--sites",
            file.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ];

        // On the embedded default: no nats-server, no data directory.
        let (output, took) = townreports(&args, &[]);
        let what = format!("run with {}", case.name);
        assert_refused(&what, &file, case, &output, took);
        assert!(!data.exists(), "{what}: wrote {}", data.display());
        assert_eq!(processes_under(&data), Vec::<String>::new(), "{what}");
        slowest = slowest.max(took);

        // Pointed at a NATS server: it is not contacted.
        let trap = Trap::new();
        let (output, took) = townreports(&args, &[("NATS_URL", &trap.url())]);
        let what = format!("run on NATS_URL with {}", case.name);
        assert_refused(&what, &file, case, &output, took);
        assert_eq!(trap.connections(), 0, "{what}: connected to NATS");
        assert!(!data.exists(), "{what}: wrote {}", data.display());
        slowest = slowest.max(took);
    }
    eprintln!(
        "{} bad sites files refused by run, slowest in {slowest:?}",
        cases().len()
    );
}

#[test]
fn workers_refuse_a_bad_sites_file_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let mut slowest = Duration::ZERO;
    for (i, case) in cases().iter().enumerate() {
        let file = dir.path().join(format!("bad-{i}.toml"));
        std::fs::write(&file, &case.text).unwrap();
        for worker in ["scheduler", "fetcher"] {
            let trap = Trap::new();
            let warc = dir.path().join(format!("warc-{i}-{worker}"));
            let data = dir.path().join(format!("data-{i}-{worker}"));
            let mut args = vec![worker];
            if worker == "fetcher" {
                args.extend(["--warc-dir", warc.to_str().unwrap()]);
            } else {
                args.extend(["--data-dir", data.to_str().unwrap()]);
            }
            let (output, took) = townreports(
                &args,
                &[("NATS_URL", &trap.url()), ("SITES_FILE", file.to_str().unwrap())],
            );
            let what = format!("{worker} with {}", case.name);
            assert_refused(&what, &file, case, &output, took);
            assert_eq!(trap.connections(), 0, "{what}: connected to NATS");
            assert!(!warc.exists(), "{what}: wrote {}", warc.display());
            assert!(!data.exists(), "{what}: opened a database in {}", data.display());
            slowest = slowest.max(took);
        }
    }
    eprintln!(
        "{} bad sites files refused by scheduler and fetcher, slowest in {slowest:?}",
        cases().len()
    );
}

#[test]
fn a_missing_or_unreadable_sites_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for file in [dir.path().join("no-such.toml"), dir.path().to_path_buf()] {
        let (output, took) = townreports(
            &[
                "run",
                "--sites",
                file.to_str().unwrap(),
                "--data-dir",
                data.to_str().unwrap(),
            ],
            &[],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success() && took < Duration::from_secs(10), "{stderr}");
        assert!(stderr.contains(&file.display().to_string()), "{stderr}");
        assert!(!data.exists());
    }
}

/// The cases are one change each from a file the binary accepts: the
/// refusals are the changes', not the base file's.
#[test]
fn the_base_file_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("good.toml");
    std::fs::write(&file, GOOD).unwrap();
    let trap = Trap::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_townreports"))
        .args(["scheduler", "--once"])
        .env("DATA_DIR", dir.path().join("data"))
        .env_remove("DATABASE_URL")
        .env("NATS_URL", trap.url())
        .env("SITES_FILE", &file)
        .env("RUST_LOG", "warn")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Past validation it connects (to a server that never answers).
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut connected = 0;
    while connected == 0 && Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(50));
        connected = trap.connections();
    }
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(connected > 0, "a valid file goes on to connect:\n{stderr}");
    assert!(!stderr.contains("good.toml:"), "the base file was refused:\n{stderr}");
}
