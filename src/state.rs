//! scandyctl's own state directory (`$SCANDYCTL_STATE_DIR`, `/var/lib/scandyctl` for root,
//! else `$XDG_STATE_HOME/scandyctl` or `~/.local/state/scandyctl`), with atomic writes
//! (temp + fsync + rename) and short advisory locks.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};

/// A state directory chosen by this process (the demo keeps its state in its sandbox).
static CHOSEN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Makes [`state_dir`] return `dir` for the rest of this process (first call wins); job
/// workers started from here inherit it.
pub fn use_state_dir(dir: PathBuf) {
    let _ = CHOSEN.set(dir);
}

/// The state directory for this user (not created).
pub fn state_dir() -> PathBuf {
    if let Some(dir) = CHOSEN.get() {
        return dir.clone();
    }
    if let Some(dir) = std::env::var_os("SCANDYCTL_STATE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    // SAFETY: geteuid(2) only reads the process's credentials.
    if unsafe { libc::geteuid() } == 0 {
        return PathBuf::from("/var/lib/scandyctl");
    }
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("scandyctl");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/tmp".into());
    home.join(".local/state/scandyctl")
}

/// Creates `dir` (mode 0700 for new directories) and its parents.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .wrap_err_with(|| format!("cannot create the state directory {}", dir.display()))
}

/// Writes `bytes` to `path` via `<path>.tmp`, fsync, rename and a directory fsync.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    ensure_dir(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).wrap_err_with(|| format!("cannot write {}", tmp.display()));
    }
    std::fs::rename(&tmp, path)
        .wrap_err_with(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// An exclusive `flock` on a lock file, released on drop.
pub struct StateLock {
    _file: File,
}

impl StateLock {
    /// Waits for the exclusive lock on `path` (created if missing, with its directory).
    pub fn acquire(path: &Path) -> Result<StateLock> {
        if let Some(dir) = path.parent() {
            ensure_dir(dir)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .wrap_err_with(|| format!("cannot open the lock file {}", path.display()))?;
        loop {
            // SAFETY: flock(2) on a file descriptor we own; released when the file closes.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(StateLock { _file: file });
            }
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(err).wrap_err_with(|| format!("cannot lock {}", path.display()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/state.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["state.json"]);
    }

    #[test]
    fn lock_is_exclusive_between_holders() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let held = StateLock::acquire(&path).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let p = path.clone();
        let waiter = std::thread::spawn(move || {
            let _lock = StateLock::acquire(&p).unwrap();
            tx.send(()).unwrap();
        });
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(200))
                .is_err()
        );
        drop(held);
        rx.recv().unwrap();
        waiter.join().unwrap();
    }
}
