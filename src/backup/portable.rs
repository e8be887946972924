//! One portable file per set (`export`) for SFTP or physical media, and `import` back.

use std::fs::File;
use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr, bail, eyre};

use super::extract::{ExtractLimits, extract_tar};
use super::id::{PARTIAL_SUFFIX, is_safe_id};
use super::lock::acquire;
use super::manifest::{MANIFEST_FILE, SHA256SUMS_FILE, read_manifest};
use super::member::fsync_dir;
use super::verify::{VerifyLevel, VerifyReport, verify_set};

/// Writes the set `id` from `backup_dir` as one tar file at `out` (via a temporary file).
pub fn export_set(backup_dir: &Path, id: &str, out: &Path) -> Result<u64> {
    let set_dir = backup_dir.join(id);
    if !is_safe_id(id) || !set_dir.is_dir() {
        bail!("no backup set {id} in {}", backup_dir.display());
    }
    let manifest = read_manifest(&set_dir)?;
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(parent)
        .wrap_err_with(|| format!("cannot create a temporary file in {}", parent.display()))?;
    let mut builder = tar::Builder::new(std::io::BufWriter::with_capacity(1 << 20, tmp));
    builder.mode(tar::HeaderMode::Deterministic);
    let mut names = vec![MANIFEST_FILE.to_string(), SHA256SUMS_FILE.to_string()];
    names.extend(manifest.members.iter().map(|m| m.name.clone()));
    for name in &names {
        let path = set_dir.join(name);
        let mut file =
            File::open(&path).wrap_err_with(|| format!("cannot open {}", path.display()))?;
        builder
            .append_file(format!("{id}/{name}"), &mut file)
            .wrap_err_with(|| format!("cannot write {name} to {}", out.display()))?;
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
    let size = tmp.as_file().metadata().map(|m| m.len()).unwrap_or(0);
    tmp.persist(out)
        .map_err(|e| e.error)
        .wrap_err_with(|| format!("cannot write {}", out.display()))?;
    Ok(size)
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
