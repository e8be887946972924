//! Free space of the filesystem holding a path.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr, eyre};

/// Space on the filesystem holding a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskSpace {
    /// The path that was asked about.
    pub path: PathBuf,
    /// The nearest existing ancestor that was measured (the path itself when it exists).
    pub measured: PathBuf,
    /// Whether `path` exists.
    pub exists: bool,
    /// Filesystem size in bytes.
    pub total: u64,
    /// Bytes available to unprivileged users.
    pub available: u64,
}

impl DiskSpace {
    /// Used share of the filesystem in percent (0..=100).
    pub fn used_percent(&self) -> u8 {
        if self.total == 0 {
            return 0;
        }
        let used = self.total.saturating_sub(self.available) as f64 / self.total as f64;
        (used * 100.0).round().clamp(0.0, 100.0) as u8
    }
}

/// Measures the filesystem holding `path`, walking up to the nearest existing ancestor.
pub fn disk_space(path: &Path) -> Result<DiskSpace> {
    let exists = path.exists();
    let measured = path
        .ancestors()
        .find(|candidate| candidate.exists())
        .ok_or_else(|| eyre!("no existing ancestor of {}", path.display()))?
        .to_path_buf();
    let c_path = CString::new(measured.as_os_str().as_bytes())
        .wrap_err_with(|| format!("path {} contains a NUL byte", measured.display()))?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: c_path is a valid NUL-terminated string and stat a valid out pointer.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error())
            .wrap_err_with(|| format!("cannot measure free space of {}", measured.display()));
    }
    let block = stat.f_frsize as u64;
    Ok(DiskSpace {
        path: path.to_path_buf(),
        measured,
        exists,
        total: stat.f_blocks as u64 * block,
        available: stat.f_bavail as u64 * block,
    })
}

/// Formats a byte count with binary units, e.g. `12.3 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_existing_and_missing_paths() {
        let dir = tempfile::tempdir().unwrap();
        let here = disk_space(dir.path()).unwrap();
        assert!(here.exists && here.total > 0 && here.available <= here.total);
        let missing = disk_space(&dir.path().join("not/yet")).unwrap();
        assert!(!missing.exists);
        assert_eq!(missing.measured, dir.path());
        assert_eq!(missing.total, here.total);
    }

    #[test]
    fn human_bytes_uses_binary_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }
}
