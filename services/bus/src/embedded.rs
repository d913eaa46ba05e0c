//! The one-machine default: a private `nats-server -js` child process with its
//! store under the data directory, restarted if it dies.
//!
//! The server always listens on the same loopback port for the life of the
//! supervisor, so clients reconnect to a restarted child transparently.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};
use tokio::task::JoinHandle;

use crate::{BusError, Shutdown};

/// How long a fresh child may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(15);

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
    /// Starts `nats-server` with JetStream, its store in `data_dir/nats`, and
    /// supervises it until [`EmbeddedNats::stop`] or `shutdown`.
    pub async fn start(data_dir: &Path, shutdown: &Shutdown) -> Result<EmbeddedNats, BusError> {
        let server = NatsServerProcess::start(&data_dir.join("nats")).await?;
        let url = server.url();
        // Other commands on the same data directory (`townreports status`)
        // find the running server here.
        let url_file = url_file(data_dir);
        std::fs::write(&url_file, &url)
            .map_err(|e| BusError::Embedded(format!("cannot write {}: {e}", url_file.display())))?;
        let pid = Arc::new(AtomicU32::new(server.pid()));
        let stop = shutdown.child();
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
    pub async fn stop(self) {
        let _ = std::fs::remove_file(&self.url_file);
        self.stop.trigger();
        let _ = self.supervisor.await;
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

    /// SIGTERM, then SIGKILL if it does not exit within a few seconds.
    pub async fn terminate(&mut self) {
        terminate(&mut self.child).await
    }
}

async fn spawn_ready(binary: &Path, store: &Path, port: u16) -> Result<Child, BusError> {
    let log = store.join("nats-server.log");
    let mut child = Command::new(binary)
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(store)
        .arg("-l")
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| BusError::Embedded(format!("cannot start {}: {e}", binary.display())))?;
    wait_listening(&mut child, port, &log).await?;
    Ok(child)
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

/// SIGTERM, then SIGKILL if it does not exit within a few seconds.
async fn terminate(child: &mut Child) {
    if let Some(id) = child.id() {
        // SAFETY: kill(2) with a pid we spawned and still own (not yet reaped).
        unsafe {
            libc::kill(id as libc::pid_t, libc::SIGTERM);
        }
        if tokio::time::timeout(Duration::from_secs(10), child.wait())
            .await
            .is_ok()
        {
            return;
        }
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
