//! The one-machine default: a private `nats-server -js` child process with its
//! store under the data directory, restarted if it dies.
//!
//! The server always listens on the same loopback port for the life of the
//! supervisor, so clients reconnect to a restarted child transparently.
//!
//! One server per data directory, ever: only the holder of the directory's
//! [`DataDirLock`] starts one; the child is told to stop when its parent
//! dies, however it dies (Linux: a parent-death signal set before exec);
//! and a start first stops a server an earlier holder left running (other
//! systems, or a server that ignored the signal), found by the pid file
//! nats-server writes into its store.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use crate::datadir::DataDirLock;
use crate::{BusError, Shutdown};

/// How long a fresh child may take to accept connections.
pub const START_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a server asked to stop (SIGTERM) may take to write its store
/// and exit before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a running embedded server's URL is written in its data directory.
pub fn url_file(data_dir: &Path) -> PathBuf {
    data_dir.join("nats.url")
}

/// The URL of the embedded server running on `data_dir`, if one answers.
pub async fn running_url(data_dir: &Path) -> Option<String> {
    let url = std::fs::read_to_string(url_file(data_dir)).ok()?;
    let url = url.trim().to_string();
    let port: u16 = url.rsplit(':').next()?.parse().ok()?;
    tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    Some(url)
}

/// A supervised private nats-server.
pub struct EmbeddedNats {
    url: String,
    url_file: PathBuf,
    pid: Arc<AtomicU32>,
    stop: Shutdown,
    supervisor: JoinHandle<()>,
}

impl EmbeddedNats {
    /// Starts `nats-server` with JetStream, its store in `DATA_DIR/nats` of
    /// the directory `lock` holds, and supervises it until
    /// [`EmbeddedNats::stop`] (or a drop). A server an earlier holder left
    /// running on that store is stopped first.
    ///
    /// Not stopped by the process's shutdown signal: the workers still
    /// finish and hand back their messages through it, and their owner
    /// stops it after them.
    pub async fn start(lock: &DataDirLock) -> Result<EmbeddedNats, BusError> {
        let data_dir = lock.dir();
        let store = data_dir.join("nats");
        let url_file = url_file(data_dir);
        // A URL an earlier holder left names a port that is not ours.
        let _ = std::fs::remove_file(&url_file);
        stop_leftover(&store).await?;
        let server = NatsServerProcess::start(&store).await?;
        let url = server.url();
        // Other commands on the same data directory (`townreports status`)
        // find the running server here.
        std::fs::write(&url_file, &url)
            .map_err(|e| BusError::Embedded(format!("cannot write {}: {e}", url_file.display())))?;
        let pid = Arc::new(AtomicU32::new(server.pid()));
        let stop = Shutdown::new();
        let supervisor = tokio::spawn(supervise(server, pid.clone(), stop.clone()));
        tracing::info!(%url, "embedded nats-server started");
        Ok(EmbeddedNats {
            url,
            url_file,
            pid,
            stop,
            supervisor,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The current child's process id (changes when it is restarted).
    pub fn pid(&self) -> u32 {
        self.pid.load(Ordering::SeqCst)
    }

    /// Stops the child cleanly (SIGTERM, so JetStream flushes its store).
    pub async fn stop(mut self) {
        let _ = std::fs::remove_file(&self.url_file);
        self.stop.trigger();
        let _ = (&mut self.supervisor).await;
    }
}

/// Dropped without [`EmbeddedNats::stop`] (a failed start-up): the
/// supervisor still stops the child cleanly while the runtime runs.
impl Drop for EmbeddedNats {
    fn drop(&mut self) {
        self.stop.trigger();
    }
}

async fn supervise(mut server: NatsServerProcess, pid: Arc<AtomicU32>, stop: Shutdown) {
    let mut backoff = Duration::from_millis(200);
    loop {
        tokio::select! {
            _ = stop.wait() => {
                server.terminate().await;
                return;
            }
            status = server.child.wait() => {
                tracing::error!(?status, "embedded nats-server exited; restarting");
            }
        }
        loop {
            if stop.is_triggered() {
                return;
            }
            tokio::time::sleep(backoff).await;
            match server.restart().await {
                Ok(()) => {
                    pid.store(server.pid(), Ordering::SeqCst);
                    tracing::info!("embedded nats-server restarted");
                    backoff = Duration::from_millis(200);
                    break;
                }
                Err(e) => {
                    tracing::error!(error = %e, "embedded nats-server restart failed");
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
    }
}

/// One `nats-server -js` child on a fixed loopback port: the embedded
/// default's child, and the private server every test starts (tests kill
/// and restart it to inject faults).
pub struct NatsServerProcess {
    binary: PathBuf,
    store: PathBuf,
    port: u16,
    child: Child,
}

impl NatsServerProcess {
    /// Starts a server storing JetStream data in `store` on a free port, and
    /// waits until it accepts connections.
    pub async fn start(store: &Path) -> Result<NatsServerProcess, BusError> {
        let binary = find_nats_server()?;
        std::fs::create_dir_all(store)
            .map_err(|e| BusError::Embedded(format!("cannot create {}: {e}", store.display())))?;
        let port = free_port()?;
        let child = spawn_ready(&binary, store, port).await?;
        Ok(NatsServerProcess {
            binary,
            store: store.to_path_buf(),
            port,
            child,
        })
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    /// SIGKILL, as a crash would.
    pub async fn kill(&mut self) {
        let _ = self.child.kill().await;
    }

    /// A new child on the same port and store.
    pub async fn restart(&mut self) -> Result<(), BusError> {
        let _ = self.child.kill().await;
        self.child = spawn_ready(&self.binary, &self.store, self.port).await?;
        Ok(())
    }

    /// SIGTERM (with SIGCONT), then SIGKILL if it does not exit in time.
    pub async fn terminate(&mut self) {
        terminate(&mut self.child).await
    }
}

/// Where nats-server writes its process id (`-P`): how a later start finds
/// a server left running on the same store.
pub fn pid_file(store: &Path) -> PathBuf {
    store.join("nats-server.pid")
}

async fn spawn_ready(binary: &Path, store: &Path, port: u16) -> Result<Child, BusError> {
    let log = store.join("nats-server.log");
    let mut command = Command::new(binary);
    command
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(store)
        .arg("-l")
        .arg(&log)
        .arg("-P")
        .arg(pid_file(store))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    stop_with_parent(&mut command);
    let mut child = command
        .spawn()
        .map_err(|e| BusError::Embedded(format!("cannot start {}: {e}", binary.display())))?;
    wait_listening(&mut child, port, &log).await?;
    Ok(child)
}

/// Has the kernel send the child SIGTERM when this process dies, even by
/// SIGKILL, so no server outlives its supervisor. SIGTERM, not SIGKILL:
/// nats-server 2.9 killed outright can lose writes it acknowledged; asked
/// to stop, it writes its store first.
///
/// The signal comes when the *thread* that spawned the child ends. Children
/// are spawned from async tasks, so from a runtime's worker threads, which
/// live as long as the runtime (nothing here calls `block_in_place`, which
/// retires one).
#[cfg(target_os = "linux")]
fn stop_with_parent(command: &mut Command) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: runs in the forked child before exec; prctl(2) and getppid(2)
    // are async-signal-safe and nothing here allocates or takes a lock.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent died between fork and prctl: no signal will come.
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// Elsewhere there is no parent-death signal: a server left by a crash is
/// stopped by the next start on its data directory ([`EmbeddedNats::start`]).
#[cfg(not(target_os = "linux"))]
fn stop_with_parent(_command: &mut Command) {}

/// Stops the nats-server an earlier holder of the data directory left
/// running on `store`, if its pid file names one that is still running
/// there, and waits until it has exited.
async fn stop_leftover(store: &Path) -> Result<(), BusError> {
    let Some(pid) = std::fs::read_to_string(pid_file(store))
        .ok()
        .and_then(|text| text.trim().parse::<u32>().ok())
    else {
        return Ok(());
    };
    // The pid may have been reused by another process since: only a
    // nats-server on this very store is ours to stop.
    if !serves_store(pid, store) {
        return Ok(());
    }
    tracing::warn!(
        pid,
        store = %store.display(),
        "a nats-server left running on this data directory by an earlier run; stopping it first"
    );
    let started = Instant::now();
    send_signal(pid, libc::SIGTERM);
    // A stopped (SIGSTOP) server acts on SIGTERM only once continued.
    send_signal(pid, libc::SIGCONT);
    while process_alive(pid) && started.elapsed() < STOP_TIMEOUT {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if process_alive(pid) {
        tracing::warn!(pid, "the leftover nats-server did not stop when asked; killing it");
        send_signal(pid, libc::SIGKILL);
        let killed = Instant::now();
        while process_alive(pid) && killed.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    if process_alive(pid) {
        return Err(BusError::Embedded(format!(
            "a nats-server (pid {pid}) left on {} does not stop; stop it by hand (kill -9 {pid}) and start again",
            store.display()
        )));
    }
    tracing::info!(pid, after = ?started.elapsed(), "the leftover nats-server stopped");
    Ok(())
}

/// Whether `pid` is a running nats-server whose store is `store`.
fn serves_store(pid: u32, store: &Path) -> bool {
    if !process_alive(pid) {
        return false;
    }
    let Some(args) = command_line(pid) else {
        return false;
    };
    let is_nats = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .is_some_and(|name| name.to_string_lossy().starts_with("nats-server"));
    let store = store.to_string_lossy();
    is_nats && args.iter().any(|a| *a == store)
}

/// A process's arguments: from /proc on Linux, else from ps(1) (split on
/// white space: a store path with spaces is not recognised there, and such
/// a leftover is left to its own devices).
fn command_line(pid: u32) -> Option<Vec<String>> {
    if let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) {
        return Some(
            raw.split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect(),
        );
    }
    let out = std::process::Command::new("ps")
        .args(["-o", "command=", "-p", &pid.to_string()])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let args: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    (!args.is_empty()).then_some(args)
}

/// Whether process `pid` exists and has not exited. A zombie (exited, not
/// yet reaped) counts as gone: it holds no files and no port.
pub fn process_alive(pid: u32) -> bool {
    if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // `pid (comm) state …`; comm may hold spaces and parentheses.
        return stat
            .rfind(')')
            .is_some_and(|i| !matches!(stat[i + 1..].split_whitespace().next(), Some("Z" | "X")));
    }
    if Path::new("/proc/self/stat").exists() {
        // A system with /proc, and no entry for `pid`.
        return false;
    }
    // SAFETY: kill(2) with signal 0 only checks that the process exists.
    unsafe { libc::kill(pid as libc::pid_t, 0) == 0 }
}

fn send_signal(pid: u32, signal: libc::c_int) {
    // SAFETY: kill(2) on a pid just checked to be a nats-server of ours (or
    // our own child); a vanished process makes it fail with ESRCH, no harm.
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}

/// Waits until the nats-server `child` accepts connections on `port`; an
/// error naming its `log` if it exits or does not listen in time.
pub async fn wait_listening(child: &mut Child, port: u16, log: &Path) -> Result<(), BusError> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(BusError::Embedded(format!(
                "nats-server exited at start ({status}); see {}",
                log.display()
            )));
        }
        if Instant::now() > deadline {
            return Err(BusError::Embedded(format!(
                "nats-server did not listen on port {port} within {START_TIMEOUT:?}; see {}",
                log.display()
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// SIGTERM (and SIGCONT, so a stopped server acts on it), then SIGKILL if
/// it does not exit within [`STOP_TIMEOUT`].
async fn terminate(child: &mut Child) {
    if let Some(id) = child.id() {
        // Our own child, not yet reaped: the pid is still its.
        send_signal(id, libc::SIGTERM);
        send_signal(id, libc::SIGCONT);
        if tokio::time::timeout(STOP_TIMEOUT, child.wait()).await.is_ok() {
            return;
        }
        tracing::warn!(pid = id, "nats-server did not stop within {STOP_TIMEOUT:?}; killing it");
    }
    let _ = child.kill().await;
}

/// `NATS_SERVER_BIN`, else `nats-server` on PATH, else Debian's /usr/sbin.
pub fn find_nats_server() -> Result<PathBuf, BusError> {
    if let Some(path) = std::env::var_os("NATS_SERVER_BIN") {
        return Ok(PathBuf::from(path));
    }
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("nats-server")).collect())
        .unwrap_or_default();
    candidates.extend(
        [
            "/usr/sbin/nats-server",
            "/usr/local/bin/nats-server",
            "/usr/bin/nats-server",
        ]
        .map(PathBuf::from),
    );
    candidates.into_iter().find(|p| p.is_file()).ok_or_else(|| {
        BusError::Embedded(
            "nats-server not found: install it (apt-get install nats-server, or scripts/setup.sh), \
             set NATS_SERVER_BIN, or point NATS_URL at a running server"
                .into(),
        )
    })
}

/// A loopback port free right now.
pub fn free_port() -> Result<u16, BusError> {
    TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| BusError::Embedded(format!("cannot find a free port: {e}")))
}
