//! One portable file per set (`export`) for SFTP or physical media, and `import` back.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use tokio_util::sync::CancellationToken;

use super::extract::{ExtractLimits, extract_tar};
use super::id::{PARTIAL_SUFFIX, is_safe_id};
use super::lock::acquire;
use super::manifest::{MANIFEST_FILE, SHA256SUMS_FILE, read_manifest};
use super::member::fsync_dir;
use super::progress::{Cancelled, Progress, Stage, Throttle};
use super::verify::{VerifyLevel, VerifyReport, verify_set};

/// Writes the set `id` from `backup_dir` as one tar file at `out` (via a temporary file);
/// see [`export_set_with`].
pub fn export_set(backup_dir: &Path, id: &str, out: &Path) -> Result<(PathBuf, u64)> {
    export_set_with(backup_dir, id, out, &|_| {}, &CancellationToken::new())
}

/// Writes the set `id` from `backup_dir` as one tar file, via a temporary file next to it,
/// and returns the file written and its size. `out` is the file, or an existing directory
/// to write `<id>.tar` into; an existing file is replaced.
///
/// Progress: stage [`Stage::Export`], `bytes` of the set copied so far of `bytes_total`
/// (manifest, SHA256SUMS and members), `items` files copied of `items_total`; at most ten
/// reports a second, the first at once and the last at the end. The token is checked between
/// reads (a few KiB apart); on cancel this returns a [`Cancelled`] error and leaves neither the
/// file nor the temporary file behind.
pub fn export_set_with(
    backup_dir: &Path,
    id: &str,
    out: &Path,
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &CancellationToken,
) -> Result<(PathBuf, u64)> {
    let set_dir = backup_dir.join(id);
    if !is_safe_id(id) || !set_dir.is_dir() {
        bail!("no backup set {id} in {}", backup_dir.display());
    }
    let manifest = read_manifest(&set_dir)?;
    let out = export_target(id, out)?;
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut names = vec![MANIFEST_FILE.to_string(), SHA256SUMS_FILE.to_string()];
    names.extend(manifest.members.iter().map(|m| m.name.clone()));
    let mut files = Vec::with_capacity(names.len());
    for name in &names {
        let path = set_dir.join(name);
        let file = File::open(&path).wrap_err_with(|| format!("cannot open {}", path.display()))?;
        let meta = file
            .metadata()
            .wrap_err_with(|| format!("cannot read {}", path.display()))?;
        files.push((name, path, file, meta));
    }
    let mut meter = ExportMeter {
        progress,
        cancel,
        throttle: Throttle::new(),
        current: Progress {
            stage: Stage::Export,
            items: 0,
            items_total: files.len() as u64,
            bytes: 0,
            bytes_total: files.iter().map(|f| f.3.len()).sum(),
        },
    };
    meter.report();
    if cancel.is_cancelled() {
        return Err(Cancelled.into());
    }
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{id}.tar."))
        .suffix(".tmp")
        .tempfile_in(parent)
        .wrap_err_with(|| format!("cannot create a temporary file in {}", parent.display()))?;
    // On any error (and on cancel) the temporary file is dropped, which removes it.
    let written = (|| -> Result<_> {
        let mut builder = tar::Builder::new(std::io::BufWriter::with_capacity(1 << 20, tmp));
        builder.mode(tar::HeaderMode::Deterministic);
        for (name, path, file, meta) in files {
            let size = meta.len();
            let mut header = tar::Header::new_gnu();
            header.set_metadata_in_mode(&meta, tar::HeaderMode::Deterministic);
            let mut data = CountedCopy {
                inner: file.take(size),
                meter: &mut meter,
                read: 0,
            };
            builder
                .append_data(&mut header, format!("{id}/{name}"), &mut data)
                .wrap_err_with(|| format!("cannot write {name} to {}", out.display()))?;
            if data.read != size {
                bail!(
                    "{} shrank from {size} to {} bytes while it was exported",
                    path.display(),
                    data.read
                );
            }
            meter.current.items += 1;
        }
        let buffered = builder
            .into_inner()
            .wrap_err_with(|| format!("cannot finish {}", out.display()))?;
        let tmp = buffered
            .into_inner()
            .map_err(|e| e.into_error())
            .wrap_err_with(|| format!("cannot write {}", out.display()))?;
        tmp.as_file()
            .sync_all()
            .wrap_err_with(|| format!("cannot fsync {}", out.display()))?;
        Ok(tmp)
    })();
    if cancel.is_cancelled() {
        return Err(Cancelled.into());
    }
    let tmp = written?;
    meter.current.bytes = meter.current.bytes_total;
    meter.report();
    // A cancel up to the last report still counts; after the rename the file is complete.
    if cancel.is_cancelled() {
        return Err(Cancelled.into());
    }
    let size = tmp.as_file().metadata().map(|m| m.len()).unwrap_or(0);
    tmp.persist(&out)
        .map_err(|e| e.error)
        .wrap_err_with(|| format!("cannot write {}", out.display()))?;
    let _ = fsync_dir(parent);
    Ok((out, size))
}

/// The file an export writes: `out`, or `<out>/<id>.tar` when `out` is a directory.
fn export_target(id: &str, out: &Path) -> Result<PathBuf> {
    let target = if out.is_dir() {
        out.join(format!("{id}.tar"))
    } else if out.as_os_str().as_encoded_bytes().ends_with(b"/") {
        bail!(
            "cannot export to {}: no such directory (create it first, or name a file)",
            out.display()
        );
    } else {
        out.to_path_buf()
    };
    if target.is_dir() {
        bail!(
            "cannot export to {}: it is a directory, not a file",
            target.display()
        );
    }
    Ok(target)
}

/// Progress of one export: counters, throttle and the token.
struct ExportMeter<'a> {
    progress: &'a (dyn Fn(Progress) + Sync),
    cancel: &'a CancellationToken,
    throttle: Throttle,
    current: Progress,
}

impl ExportMeter<'_> {
    fn report(&mut self) {
        self.throttle.ready();
        (self.progress)(self.current);
    }
}

/// A member's bytes on their way into the tar: counted, reported (throttled), and stopped
/// with [`Cancelled`] once the token is cancelled.
struct CountedCopy<'m, 'a, R> {
    inner: R,
    meter: &'m mut ExportMeter<'a>,
    read: u64,
}

impl<R: Read> Read for CountedCopy<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.meter.cancel.is_cancelled() {
            return Err(Cancelled::io());
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        let current = &mut self.meter.current;
        current.bytes = (current.bytes + n as u64).min(current.bytes_total);
        if self.meter.throttle.ready() {
            (self.meter.progress)(self.meter.current);
        }
        Ok(n)
    }
}

/// Result of an import.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    /// Id of the imported set.
    pub id: String,
    /// Where it now lives.
    pub path: PathBuf,
    /// The verification that admitted it.
    pub report: VerifyReport,
}

/// Reads an exported file, verifies it and adds it to the inventory in `backup_dir`.
pub fn import_set(backup_dir: &Path, file: &Path) -> Result<ImportOutcome> {
    let lock = acquire(backup_dir, "import")?;
    let size = std::fs::metadata(file)
        .wrap_err_with(|| format!("cannot read {}", file.display()))?
        .len();
    let staging = backup_dir.join(format!(".import-{}{PARTIAL_SUFFIX}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir(&staging)
        .wrap_err_with(|| format!("cannot create {}", staging.display()))?;
    let result = (|| -> Result<ImportOutcome> {
        let reader =
            File::open(file).wrap_err_with(|| format!("cannot open {}", file.display()))?;
        let limits = ExtractLimits {
            max_total_bytes: size + (1 << 20),
            max_entries: 64,
        };
        extract_tar(std::io::BufReader::new(reader), &staging, &limits, &|_| {
            true
        })
        .wrap_err_with(|| format!("{} is not a usable scandyctl export", file.display()))?;
        let mut tops = std::fs::read_dir(&staging)?
            .flatten()
            .map(|e| e.path())
            .collect::<Vec<_>>();
        if tops.len() != 1 || !tops[0].is_dir() {
            bail!(
                "{} must hold exactly one backup set directory",
                file.display()
            );
        }
        let inner = tops.remove(0);
        let id = inner
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !is_safe_id(&id) || super::id::parse_backup_id(&id).is_none() {
            bail!(
                "{} holds {id:?}, which is not a backup set id",
                file.display()
            );
        }
        let target = backup_dir.join(&id);
        if target.exists() {
            bail!("backup set {id} already exists in {}", backup_dir.display());
        }
        let report = verify_set(&inner, VerifyLevel::Quick, &[])?;
        if !report.ok {
            let first = &report.findings[0];
            bail!(
                "{} failed verification ({}: {}); not imported",
                file.display(),
                first.subject,
                first.message
            );
        }
        std::fs::rename(&inner, &target)
            .wrap_err_with(|| format!("cannot move the set into {}", backup_dir.display()))?;
        fsync_dir(backup_dir)?;
        Ok(ImportOutcome {
            id,
            path: target,
            report,
        })
    })();
    let _ = std::fs::remove_dir_all(&staging);
    drop(lock);
    result.map_err(|err| {
        err.wrap_err(eyre!(
            "import of {} failed; nothing was added",
            file.display()
        ))
    })
}
