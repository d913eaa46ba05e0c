//! Who owns a data directory: one process at a time holds an exclusive
//! lock on `DATA_DIR/townreports.lock`, so one `townreports run` (and one
//! embedded nats-server) works on a directory's store, ever.
//!
//! The lock is the operating system's (`flock` on Unix, through
//! `std::fs::File::try_lock`), not the file's existence: it is released the
//! moment its holder dies, however it dies, so a crash never leaves a stale
//! lock behind. The file only says who holds it (pid and command), for the
//! message a second command prints.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::BusError;

/// The lock file in a data directory.
pub fn lock_file(data_dir: &Path) -> PathBuf {
    data_dir.join("townreports.lock")
}

/// Who holds a data directory, as its lock file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub command: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` (pid {})", self.command, self.pid)
    }
}

/// The exclusive hold of a data directory, released when dropped (or when
/// the process ends).
#[derive(Debug)]
pub struct DataDirLock {
    dir: PathBuf,
    // Held open: closing it releases the lock.
    _file: File,
}

impl DataDirLock {
    /// Takes the data directory for `command` (created if missing), or
    /// fails at once naming the process that holds it.
    pub fn acquire(data_dir: &Path, command: &str) -> Result<DataDirLock, BusError> {
        Self::try_acquire(data_dir, command)?.map_or_else(
            || {
                Err(BusError::DataDirInUse {
                    dir: data_dir.to_path_buf(),
                    holder: holder(data_dir).map_or_else(|| "another process".to_string(), |h| h.to_string()),
                })
            },
            Ok,
        )
    }

    /// Takes the data directory for `command`, or `None` when another
    /// process holds it.
    pub fn try_acquire(data_dir: &Path, command: &str) -> Result<Option<DataDirLock>, BusError> {
        let fail = |what: &str, e: std::io::Error| {
            BusError::Other(format!("cannot {what} the data directory {}: {e}", data_dir.display()))
        };
        std::fs::create_dir_all(data_dir).map_err(|e| fail("create", e))?;
        // Canonical, so the embedded server's store path (which a later
        // start matches against a leftover server's command line) is the
        // same whatever relative path each command was given.
        let dir = data_dir.canonicalize().map_err(|e| fail("resolve", e))?;
        let path = lock_file(&dir);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| fail("open the lock file of", e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(fail("lock", e)),
        }
        // Ours: say who we are (truncated only now, so a reader never sees
        // the holder's record emptied by a command that did not get the lock).
        let record = format!("{}\n{command}\n", std::process::id());
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(record.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(|e| fail("write the lock file of", e))?;
        Ok(Some(DataDirLock { dir, _file: file }))
    }

    /// The data directory (canonical).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Who holds `data_dir`, if its lock file names a holder. (The file may
/// name a process that has ended: only the lock says whether it is held.)
pub fn holder(data_dir: &Path) -> Option<Holder> {
    let mut text = String::new();
    File::open(lock_file(data_dir)).ok()?.read_to_string(&mut text).ok()?;
    let mut lines = text.lines();
    let pid = lines.next()?.trim().parse().ok()?;
    let command = lines.next().unwrap_or("townreports").trim().to_string();
    Some(Holder { pid, command })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_hold_fails_naming_the_first_and_the_lock_is_free_again_after_a_drop() {
        let temp = tempfile::tempdir().unwrap();
        let data = temp.path().join("data");
        let first = DataDirLock::acquire(&data, "townreports run").unwrap();
        assert_eq!(first.dir(), data.canonicalize().unwrap());
        assert_eq!(
            holder(&data),
            Some(Holder {
                pid: std::process::id(),
                command: "townreports run".into()
            })
        );

        // A second open file description conflicts even within one process,
        // as a second process's would.
        assert!(DataDirLock::try_acquire(&data, "townreports status").unwrap().is_none());
        let refused = DataDirLock::acquire(&data, "townreports run").unwrap_err().to_string();
        assert!(
            refused.contains(&format!("`townreports run` (pid {})", std::process::id())),
            "{refused}"
        );
        // The refused attempt left the holder's record alone.
        assert_eq!(holder(&data).unwrap().command, "townreports run");

        drop(first);
        let second = DataDirLock::acquire(&data, "townreports status").unwrap();
        assert_eq!(holder(&data).unwrap().command, "townreports status");
        drop(second);
    }
}
