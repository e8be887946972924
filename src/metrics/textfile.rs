//! `scandyctl.prom` for node_exporter's textfile collector: written to a temp file in the
//! same directory, mode 0644, then renamed, so the collector never reads half a file.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};

use super::collect::{Live, render_metrics};
use super::text::merge;
use crate::config::Config;

/// File name of the metrics file in `metrics.textfile_dir`.
pub const TEXTFILE: &str = "scandyctl.prom";

/// Writes `text` to `<dir>/scandyctl.prom` (temp file + fsync + rename, mode 0644).
pub fn write_prom(dir: &Path, text: &str) -> Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = dir.join(TEXTFILE);
    // node_exporter ignores files not ending in .prom: the temp name never does.
    let tmp = dir.join(format!(".{TEXTFILE}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
        file.sync_all()
    };
    if let Err(err) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(err).wrap_err_with(|| format!("cannot write {}", tmp.display()));
    }
    std::fs::rename(&tmp, &path)
        .wrap_err_with(|| format!("cannot rename {} to {}", tmp.display(), path.display()))?;
    Ok(path)
}

/// Refreshes `scandyctl.prom` when `metrics.textfile_dir` is set: what this caller knows
/// replaces the file's families, the others keep their last values. `Ok(None)`: not set.
pub fn refresh_textfile(
    config: &Config,
    config_file: Option<&Path>,
    live: &Live,
    now: DateTime<Utc>,
) -> Result<Option<PathBuf>> {
    let Some(dir) = &config.metrics.textfile_dir else {
        return Ok(None);
    };
    let dir = config.resolve(dir);
    let fresh = render_metrics(config, config_file, live, now);
    let old = std::fs::read_to_string(dir.join(TEXTFILE)).unwrap_or_default();
    write_prom(&dir, &merge(&old, &fresh)).map(Some)
}
