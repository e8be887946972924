//! One backup, restore, import or prune at a time per backup directory.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr, bail};
use serde::{Deserialize, Serialize};

use super::install_state::{BackupDirState, backup_dir_state};

/// File name of the lock inside the backup directory.
pub const LOCK_FILE: &str = ".scandyctl.lock";

/// What the lock file records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Process id of the holder.
    pub pid: u32,
    /// Host name of the holder.
    pub host: String,
    /// The operation (`backup`, `restore`, `import`, `prune`).
    pub operation: String,
    /// When the lock was taken.
    pub since: DateTime<Utc>,
}

/// Another live scandyctl holds the lock.
#[derive(Debug, Clone)]
pub struct BusyError {
    /// The backup directory.
    pub dir: PathBuf,
    /// Who holds it.
    pub holder: LockInfo,
}

impl std::fmt::Display for BusyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "backup directory {} is busy: {} (pid {} on {}) running since {}",
            self.dir.display(),
            self.holder.operation,
            self.holder.pid,
            self.holder.host,
            self.holder.since.format("%Y-%m-%d %H:%M:%S UTC")
        )
    }
}

impl std::error::Error for BusyError {}

/// A held lock; released (file removed) on drop.
#[derive(Debug)]
pub struct BackupLock {
    path: PathBuf,
    /// Notes for the user, e.g. that a stale lock was broken.
    pub notes: Vec<String>,
}

impl Drop for BackupLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// This machine's host name.
pub fn host_name() -> String {
    hostname::get()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "unknown".into())
}

fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks for existence and permission.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Takes the lock of `dir` for `operation`; breaks a stale lock of a dead local process.
///
/// A directory on a mount point of `/etc/fstab` that is not mounted is refused before
/// anything is written (the backup would fill the filesystem below the mount point).
pub fn acquire(dir: &Path, operation: &str) -> Result<BackupLock> {
    if let BackupDirState::Unmounted { mount_point } = backup_dir_state(dir) {
        bail!(
            "backup.dir {} is on {}, a mount point listed in /etc/fstab that is not mounted; \
             mount it (mount {}) and run the {operation} again",
            dir.display(),
            mount_point.display(),
            mount_point.display()
        );
    }
    std::fs::create_dir_all(dir)
        .wrap_err_with(|| format!("cannot create backup directory {}", dir.display()))?;
    let path = dir.join(LOCK_FILE);
    let info = LockInfo {
        pid: std::process::id(),
        host: host_name(),
        operation: operation.into(),
        since: Utc::now(),
    };
    let mut notes = Vec::new();
    for _ in 0..3 {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                let text = serde_json::to_string(&info).wrap_err("cannot encode the lock")?;
                file.write_all(text.as_bytes())
                    .wrap_err_with(|| format!("cannot write {}", path.display()))?;
                file.sync_all()
                    .wrap_err_with(|| format!("cannot fsync {}", path.display()))?;
                return Ok(BackupLock { path, notes });
            }
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder = match std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|t| serde_json::from_str::<LockInfo>(&t).ok())
                {
                    Some(holder) => holder,
                    None => {
                        // Empty or garbled: a holder died while writing it.
                        notes.push(format!(
                            "removed an unreadable lock file {}",
                            path.display()
                        ));
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                };
                if holder.host == info.host && !pid_alive(holder.pid) {
                    notes.push(format!(
                        "broke a stale lock: {} (pid {}) since {} is no longer running",
                        holder.operation,
                        holder.pid,
                        holder.since.format("%Y-%m-%d %H:%M:%S UTC")
                    ));
                    let _ = std::fs::remove_file(&path);
                    continue;
                }
                return Err(BusyError {
                    dir: dir.to_path_buf(),
                    holder,
                }
                .into());
            }
            Err(err) => {
                return Err(err).wrap_err_with(|| format!("cannot create lock {}", path.display()));
            }
        }
    }
    Err(color_eyre::eyre::eyre!(
        "cannot take the lock {} (it keeps reappearing)",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_busy_and_stale_locks_are_broken() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), "backup").unwrap();
        let err = acquire(dir.path(), "restore").unwrap_err();
        let busy = err.downcast_ref::<BusyError>().expect("busy error");
        assert_eq!(busy.holder.pid, std::process::id());
        assert!(err.to_string().contains("is busy: backup"), "{err}");
        drop(first);
        // A lock left by a process that no longer exists.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = LockInfo {
            pid: dead,
            host: host_name(),
            operation: "backup".into(),
            since: Utc::now(),
        };
        std::fs::write(
            dir.path().join(LOCK_FILE),
            serde_json::to_string(&stale).unwrap(),
        )
        .unwrap();
        let lock = acquire(dir.path(), "backup").unwrap();
        assert!(
            lock.notes[0].contains(&format!("pid {dead}")),
            "{:?}",
            lock.notes
        );
        drop(lock);
        assert!(!dir.path().join(LOCK_FILE).exists());
    }
}
