//! The database unavailable for a while, as an indexer process sees it:
//! PostgreSQL stopped, SQLite locked by another process, the data
//! directory's file system full. In each the indexer holds the records it
//! cannot store (no ack, no dead letter, no event), says why in its log,
//! and stores and announces every one of them once when the database is
//! back.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{LogsOnFailure, events, readyz, spawn_worker};
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};
use townreports_bus::embedded::{NatsServerProcess, free_port};
use townreports_bus::{Bus, Publish};
use townreports_proto::content_sha256;
use townreports_proto::topology::{self as names, STREAM_DLQ, StageName};
use townreports_proto::v1::{Division, ReportRecord, Source};

/// A valid record, `filler` characters of text long.
fn record(i: usize, filler: usize) -> ReportRecord {
    let mut text = format!("城关镇{}年政府工作报告。全镇地区生产总值增长{}%。", 2000 + i, i % 9 + 1);
    // Random characters, different for every record: SQLite cannot store
    // them in a few repeated pages, and no record reads as a near copy of
    // another (which would be stored as one report).
    let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ (i as u64 + 1);
    text.extend((0..filler).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        char::from_u32(0x4e00 + (state % 20_000) as u32).unwrap_or('镇')
    }));
    ReportRecord {
        id: format!("outage-{i}"),
        is_report: Some(true),
        content_sha256: content_sha256(&text),
        text,
        division: Some(Division {
            code: Some("511102109".into()),
            ..Default::default()
        }),
        source: Some(Source {
            url: Some(format!("http://127.0.0.1/report/{i}.html")),
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn publish_records(bus: &Bus, range: std::ops::Range<usize>, filler: usize) {
    for i in range {
        bus.publish(&Publish::proto_by_content(
            names::SUBJECT_RECORDS_EXTRACTED,
            &record(i, filler),
        ))
        .await
        .unwrap();
    }
}

/// Waits until the events stream holds `want` events; returns how many it holds.
async fn wait_events(bus: &Bus, want: u64, within: Duration) -> u64 {
    let deadline = Instant::now() + within;
    loop {
        let got = bus.stream_messages(names::STREAM_EVENTS).await.unwrap();
        if got >= want || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `path`'s text contains `needle`.
async fn wait_logged(path: &Path, needle: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if std::fs::read_to_string(path).unwrap_or_default().contains(needle) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

async fn wait_readyz(addr: &str, want: u16, within: Duration) -> bool {
    // No client timeout: with the database down, /readyz answers only
    // once its ping gives up.
    let http = reqwest::Client::new();
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if readyz(&http, addr).await == want {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// What every test ends with: `count` records stored and announced once
/// each, none dead-lettered, nothing left in the indexer's queue.
async fn all_announced_once(bus: &Bus, count: usize) {
    let got = events(bus).await;
    let mut ids: Vec<String> = got.iter().map(|(_, e)| e.report_id.clone()).collect();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "no report announced twice");
    assert_eq!(ids.len(), count, "every record announced: {ids:?}");
    assert_eq!(
        bus.stream_messages(STREAM_DLQ).await.unwrap(),
        0,
        "nothing dead-lettered"
    );
    assert_eq!(
        bus.stream_messages(StageName::Indexer.stream()).await.unwrap(),
        0,
        "nothing left to index"
    );
}

/// While the database is out, `after` it went: nothing beyond the
/// `announced` events, no dead letter, and the indexer's two slots each hold
/// a record (its next pull may have buffered two more), none of them
/// delivered a second time (holding uses up no deliveries). Returns the
/// records held and redelivered.
async fn held_in_place(bus: &Bus, announced: u64, after: Duration) -> (usize, u64) {
    tokio::time::sleep(after).await;
    assert_eq!(
        bus.stream_messages(names::STREAM_EVENTS).await.unwrap(),
        announced,
        "nothing announced while the database is out"
    );
    assert_eq!(
        bus.stream_messages(STREAM_DLQ).await.unwrap(),
        0,
        "nothing dead-lettered"
    );
    let mut consumer = bus.consumer(StageName::Indexer).await.unwrap();
    let info = consumer.info().await.unwrap();
    let (held, redelivered) = (info.num_ack_pending, info.num_redelivered as u64);
    assert!((2..=4).contains(&held), "both slots hold a record: {held} unacked");
    assert_eq!(redelivered, 0, "holding uses up no deliveries");
    (held, redelivered)
}

/// A private PostgreSQL cluster in a temporary directory, on its own port,
/// that the test can stop and start (the machine's shared server must not
/// be stopped under other tests).
struct PrivatePostgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    log: PathBuf,
}

impl PrivatePostgres {
    async fn init(dir: &Path) -> PrivatePostgres {
        let bin = String::from_utf8(
            std::process::Command::new("pg_config")
                .arg("--bindir")
                .output()
                .expect("pg_config (scripts/setup.sh installs PostgreSQL)")
                .stdout,
        )
        .unwrap();
        let pg = PrivatePostgres {
            bin: PathBuf::from(bin.trim()),
            data: dir.join("pgdata"),
            port: free_port().unwrap(),
            log: dir.join("postgres.log"),
        };
        // PostgreSQL refuses to run as root: as root, run it as `postgres`,
        // who must be able to reach the directory.
        if is_root() {
            use std::os::unix::fs::PermissionsExt;
            std::fs::create_dir_all(dir).unwrap();
            let parent = dir.parent().unwrap();
            std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o755)).unwrap();
            let status = std::process::Command::new("chown")
                .args(["-R", "postgres"])
                .arg(dir)
                .status()
                .unwrap();
            assert!(status.success());
        }
        let out = pg
            .command("initdb")
            .arg("-D")
            .arg(&pg.data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync"])
            .output()
            .await
            .unwrap();
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        pg.start().await;
        pg
    }

    fn command(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        command.stdin(Stdio::null()).kill_on_drop(true);
        command
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    async fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.data.parent().unwrap().display()
        );
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-o", &options, "-l"])
            .arg(&self.log)
            .args(["-w", "start"])
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    async fn stop(&self) {
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "stop"])
            .output()
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = std::process::Command::new(if is_root() { "runuser" } else { "true" })
            .args(if is_root() {
                vec!["-u", "postgres", "--"]
            } else {
                vec![]
            })
            .arg(self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().next().map(|uid| uid == "0"))
        .unwrap_or(false)
}

struct Setup {
    dir: tempfile::TempDir,
    server: NatsServerProcess,
    bus: Bus,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let (server, bus) = townreports_bus::testing::nats(&dir.path().join("nats")).await;
    Setup { dir, server, bus }
}

fn indexer_env(nats_url: &str, metrics: &str, database: (&str, String)) -> Vec<(&'static str, String)> {
    vec![
        ("NATS_URL", nats_url.to_string()),
        ("METRICS_ADDR", metrics.to_string()),
        ("CONCURRENCY", "2".into()),
        ("RUST_LOG", "info".into()),
        (
            if database.0 == "url" {
                "DATABASE_URL"
            } else {
                "DATA_DIR"
            },
            database.1,
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_for_a_while_holds_records_and_catches_up() {
    let mut s = setup().await;
    let _logs = LogsOnFailure(s.dir.path().to_path_buf());
    let pg = PrivatePostgres::init(&s.dir.path().join("pg")).await;
    let metrics = format!("127.0.0.1:{}", free_port().unwrap());
    let log = s.dir.path().join("indexer.log");
    let mut indexer = spawn_worker(
        "indexer",
        &indexer_env(&s.server.url(), &metrics, ("url", pg.url())),
        &log,
    );

    publish_records(&s.bus, 0..3, 0).await;
    assert_eq!(wait_events(&s.bus, 3, Duration::from_secs(60)).await, 3);
    assert!(
        wait_readyz(&metrics, 200, Duration::from_secs(10)).await,
        "ready while the database is up"
    );

    pg.stop().await;
    let down = Instant::now();
    publish_records(&s.bus, 3..8, 0).await;
    assert!(
        wait_readyz(&metrics, 503, Duration::from_secs(30)).await,
        "not ready while the database is down"
    );
    assert!(
        wait_logged(&log, "dependency unavailable", Duration::from_secs(30)).await,
        "the log says why it holds"
    );
    // The outage outlasts several attempts.
    let (held, redelivered) = held_in_place(&s.bus, 3, Duration::from_secs(3)).await;

    pg.start().await;
    let outage = down.elapsed();
    assert_eq!(wait_events(&s.bus, 8, Duration::from_secs(60)).await, 8);
    let caught_up = down.elapsed() - outage;
    assert!(wait_readyz(&metrics, 200, Duration::from_secs(30)).await, "ready again");
    all_announced_once(&s.bus, 8).await;
    println!(
        "PostgreSQL stopped {outage:.1?} with 5 records arriving: held {held}, redelivered {redelivered}, \
         dead-lettered 0; all 8 stored and announced once {caught_up:.1?} after it returned"
    );
    indexer.kill().await.unwrap();
    s.server.terminate().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_locked_by_another_process_holds_records_and_catches_up() {
    let mut s = setup().await;
    let _logs = LogsOnFailure(s.dir.path().to_path_buf());
    let data = s.dir.path().join("data");
    let metrics = format!("127.0.0.1:{}", free_port().unwrap());
    let log = s.dir.path().join("indexer.log");
    let mut indexer = spawn_worker(
        "indexer",
        &indexer_env(&s.server.url(), &metrics, ("dir", data.display().to_string())),
        &log,
    );
    publish_records(&s.bus, 0..2, 0).await;
    assert_eq!(wait_events(&s.bus, 2, Duration::from_secs(60)).await, 2);

    // Another process takes SQLite's write lock and keeps it until told.
    let mut locker = Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys\n\
             c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             c.execute('BEGIN EXCLUSIVE')\n\
             print('locked', flush=True)\n\
             sys.stdin.readline()\n\
             c.execute('COMMIT')\n",
        ])
        .arg(townreports_store::sqlite_path(&data))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 (scripts/setup.sh installs it)");
    let mut said = String::new();
    tokio::io::AsyncBufReadExt::read_line(
        &mut tokio::io::BufReader::new(locker.stdout.as_mut().unwrap()),
        &mut said,
    )
    .await
    .unwrap();
    assert_eq!(said.trim(), "locked");
    let locked = Instant::now();

    publish_records(&s.bus, 2..6, 0).await;
    // SQLite's busy timeout is 5 s: the first attempt fails after it.
    assert!(
        wait_logged(&log, "database is locked", Duration::from_secs(30)).await,
        "the log names the lock"
    );
    let (held, redelivered) = held_in_place(&s.bus, 2, Duration::from_secs(6)).await;

    let stdin = locker.stdin.as_mut().unwrap();
    stdin.write_all(b"release\n").await.unwrap();
    stdin.flush().await.unwrap();
    assert!(locker.wait().await.unwrap().success());
    let lock_held = locked.elapsed();
    assert_eq!(wait_events(&s.bus, 6, Duration::from_secs(60)).await, 6);
    let caught_up = locked.elapsed() - lock_held;
    all_announced_once(&s.bus, 6).await;
    println!(
        "SQLite locked by another process for {lock_held:.1?} with 4 records arriving: held {held}, \
         redelivered {redelivered}, dead-lettered 0; all 6 stored and announced once {caught_up:.1?} after release"
    );
    indexer.kill().await.unwrap();
    s.server.terminate().await;
}

/// Whether this machine lets an unprivileged user namespace mount a tmpfs
/// (most Linux kernels and containers do).
fn can_mount_private_tmpfs() -> bool {
    std::process::Command::new("unshare")
        .args(["-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The indexer in its own mount namespace, its data directory a tmpfs of
/// `size`: a disk that fills up without touching the machine's disks.
fn indexer_on_small_disk(data: &Path, size: &str, env: &[(&'static str, String)], log: &Path) -> Child {
    std::fs::create_dir_all(data).unwrap();
    let mut command = Command::new("unshare");
    command
        .args([
            "-rm",
            "sh",
            "-c",
            "mount -t tmpfs -o size=\"$0\" tmpfs \"$1\" && exec \"$2\" indexer",
        ])
        .arg(size)
        .arg(data)
        .arg(env!("CARGO_BIN_EXE_townreports"))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .kill_on_drop(true);
    command.spawn().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_holds_records_without_corrupting_the_store_and_recovers() {
    if !can_mount_private_tmpfs() {
        // The issue allows a simulated write error where the machine
        // cannot make a small file system; say so loudly rather than pass.
        panic!("this machine cannot mount a tmpfs in a user namespace (unshare -rm); the disk-full test needs it");
    }
    let mut s = setup().await;
    let _logs = LogsOnFailure(s.dir.path().to_path_buf());
    let data = s.dir.path().join("data");
    let metrics = format!("127.0.0.1:{}", free_port().unwrap());
    let log = s.dir.path().join("indexer.log");
    let env = indexer_env(&s.server.url(), &metrics, ("dir", data.display().to_string()));
    let mut indexer = indexer_on_small_disk(&data, "16m", &env, &log);
    publish_records(&s.bus, 0..1, 0).await;
    assert_eq!(wait_events(&s.bus, 1, Duration::from_secs(60)).await, 1);

    // The data directory as the indexer sees it, through its mount namespace.
    let pid = indexer.id().unwrap();
    let seen = PathBuf::from(format!("/proc/{pid}/root")).join(data.strip_prefix("/").unwrap());
    let filler = seen.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    let full = loop {
        use std::io::Write;
        if let Err(e) = file.write_all(&chunk) {
            break e;
        }
    };
    drop(file);
    assert_eq!(full.raw_os_error(), Some(28), "ENOSPC: {full}");
    let filled = Instant::now();

    // Large, varied records: they need new pages, which the disk lacks.
    publish_records(&s.bus, 1..5, 100_000).await;
    assert!(
        wait_logged(&log, "disk is full", Duration::from_secs(30)).await,
        "the log says the disk is full"
    );
    let (held, redelivered) = held_in_place(&s.bus, 1, Duration::from_secs(3)).await;

    std::fs::remove_file(&filler).unwrap();
    let full_for = filled.elapsed();
    assert_eq!(wait_events(&s.bus, 5, Duration::from_secs(60)).await, 5);
    let caught_up = filled.elapsed() - full_for;
    all_announced_once(&s.bus, 5).await;

    // The store is whole: SQLite's own check, and every record readable,
    // on a copy (SQLite would resolve the /proc path to the host's view).
    let copy = s.dir.path().join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    let db = townreports_store::sqlite_path(&seen);
    let copied = townreports_store::sqlite_path(&copy);
    std::fs::copy(&db, &copied).unwrap();
    let wal = |p: &Path| PathBuf::from(format!("{}-wal", p.display()));
    std::fs::copy(wal(&db), wal(&copied)).unwrap();
    let check = Command::new("python3")
        .args([
            "-c",
            "import sqlite3, sys\n\
             c = sqlite3.connect(sys.argv[1])\n\
             print(c.execute('PRAGMA integrity_check').fetchone()[0])\n\
             print(c.execute('SELECT count(*) FROM reports').fetchone()[0])\n",
        ])
        .arg(&copied)
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&check.stdout).to_string();
    assert_eq!(
        said.split_whitespace().collect::<Vec<_>>(),
        ["ok", "5"],
        "{said} {}",
        String::from_utf8_lossy(&check.stderr)
    );
    println!(
        "data directory full for {full_for:.1?} with 4 records of ~300 KB arriving: held {held}, redelivered \
         {redelivered}, dead-lettered 0; all 5 stored and announced once {caught_up:.1?} after space returned; \
         integrity_check ok"
    );
    indexer.kill().await.unwrap();
    s.server.terminate().await;
}
