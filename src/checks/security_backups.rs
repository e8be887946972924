//! The monthly security audit's backup items: are backups encrypted (recipients
//! configured, every set in the inventory encrypted), and do old backups hold secrets in
//! clear (Scandy's own ZIPs and tars with `config/.env`, unencrypted sets that took `.env`).

use std::io::Read;
use std::path::{Path, PathBuf};

use super::model::{ItemResult, PerfDatum, Severity};
use super::run::{CheckContext, ItemRun};
use super::support::{capped, unknown};
use crate::backup::inventory::{SetInfo, scan_inventory};
use crate::backup::legacy::LegacyFormat;
use crate::backup::legacy::containers::{list_tar, list_zip};
use crate::backup::legacy::scan::{legacy_dirs, scan_legacy};
use crate::backup::manifest::read_manifest;
use crate::config::Config;

/// Most evidence lines listed one by one.
const MAX_LINES: usize = 40;

/// The encryption item.
pub async fn encryption_item(ctx: &CheckContext, id: &str) -> ItemRun {
    let (config, id_owned) = (ctx.config.clone(), id.to_string());
    match tokio::task::spawn_blocking(move || encryption_result(&id_owned, &config)).await {
        Ok(result) => result.into(),
        Err(err) => unknown(id, format!("could not check: {err}")).into(),
    }
}

/// The encryption item's result: a warning when no recipient is configured or a set in
/// the inventory is not encrypted.
pub fn encryption_result(id: &str, config: &Config) -> ItemResult {
    let dir = config.resolve(&config.backup.dir);
    let inventory = match scan_inventory(&dir) {
        Ok(inventory) => inventory,
        Err(err) => return unknown(id, format!("could not check: {err:#}")),
    };
    let keys = config.backup.recipients.len();
    let recipients = keys > 0 || config.backup.recipients_file.is_some();
    let mut lines = vec![match (&config.backup.recipients_file, keys) {
        (Some(file), _) => format!(
            "[backup] recipients: {keys} keys, recipients_file {}",
            file.display()
        ),
        (None, 0) => "[backup] recipients: none (new backups are not encrypted)".to_string(),
        (None, n) => format!("[backup] recipients: {n} keys"),
    }];
    let sets: Vec<&SetInfo> = inventory
        .sets
        .iter()
        .filter(|s| s.kind.is_data_backup())
        .collect();
    let plain: Vec<&SetInfo> = sets.iter().copied().filter(|s| !s.encrypted).collect();
    lines.push(format!(
        "sets in {}: {}, encrypted: {}, not encrypted: {}",
        dir.display(),
        sets.len(),
        sets.len() - plain.len(),
        plain.len()
    ));
    lines.extend(capped(
        plain
            .iter()
            .map(|s| format!("not encrypted: {}", s.id))
            .collect(),
        MAX_LINES,
    ));
    let (severity, summary) = match (recipients, plain.len()) {
        (true, 0) => (
            Severity::Ok,
            format!("backups are encrypted ({} sets, all encrypted)", sets.len()),
        ),
        (true, n) => (
            Severity::Warning,
            format!(
                "{n} of {} sets are not encrypted (taken before recipients were set?)",
                sets.len()
            ),
        ),
        (false, n) => (
            Severity::Warning,
            format!(
                "backups are not encrypted: no [backup] recipients configured ({n} sets in clear)"
            ),
        ),
    };
    let mut result = ItemResult::new(id, severity, summary);
    result.evidence = lines;
    result.perf(PerfDatum::new(
        "unencrypted_sets",
        plain.len() as f64,
        Some(1.0),
        None,
    ))
}

/// Whether an entry name is a file holding secrets (`.env`, `x.env`, `.env.local`).
fn is_secret_name(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    base == ".env" || base.ends_with(".env") || base.starts_with(".env.")
}

/// The secrets item.
pub async fn secrets_item(ctx: &CheckContext, id: &str) -> ItemRun {
    let (config, id_owned) = (ctx.config.clone(), id.to_string());
    match tokio::task::spawn_blocking(move || secrets_result(&id_owned, &config)).await {
        Ok(result) => result.into(),
        Err(err) => unknown(id, format!("could not check: {err}")).into(),
    }
}

/// One backup holding secrets in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFinding {
    /// The backup file or set directory.
    pub path: PathBuf,
    /// The member of a weekly ZIP, if any.
    pub member: Option<String>,
    /// The entries holding secrets.
    pub entries: Vec<String>,
}

/// The secrets item's result: failed when any old backup carries secrets in clear.
pub fn secrets_result(id: &str, config: &Config) -> ItemResult {
    let (findings, unreadable) = secret_findings(config);
    let mut lines: Vec<String> = findings
        .iter()
        .map(|f| {
            let place = match &f.member {
                Some(member) => format!("{}!{member}", f.path.display()),
                None => f.path.display().to_string(),
            };
            format!("{place}: {} in clear", f.entries.join(", "))
        })
        .collect();
    lines.extend(
        unreadable
            .iter()
            .map(|(path, why)| format!("{}: not checked: {why}", path.display())),
    );
    let dirs: Vec<String> = legacy_dirs(config)
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    lines.push(format!("looked in {}", dirs.join(", ")));
    let (severity, summary) = if !findings.is_empty() {
        (
            Severity::Failed,
            format!(
                "{} backups hold Scandy's secrets (.env) unencrypted",
                findings.len()
            ),
        )
    } else if !unreadable.is_empty() {
        (
            Severity::Warning,
            format!(
                "no secrets found, but {} backups could not be opened",
                unreadable.len()
            ),
        )
    } else {
        (Severity::Ok, "no backup holds secrets in clear".to_string())
    };
    let mut result = ItemResult::new(id, severity, summary);
    result.evidence = capped(lines, MAX_LINES);
    result.perf(PerfDatum::new(
        "backups_with_secrets",
        findings.len() as f64,
        None,
        Some(1.0),
    ))
}

/// Every backup in the backup and legacy directories that holds secrets in clear, and
/// the ones that could not be opened (with the reason).
pub fn secret_findings(config: &Config) -> (Vec<SecretFinding>, Vec<(PathBuf, String)>) {
    let mut findings = Vec::new();
    let mut unreadable = Vec::new();
    let inventory = scan_legacy(&legacy_dirs(config));
    for backup in &inventory.backups {
        let listed = match (backup.format, &backup.member) {
            (LegacyFormat::ScandyZipWeekly, Some(member)) => {
                weekly_member_secrets(&backup.path, member)
            }
            (LegacyFormat::ScandyZipDump | LegacyFormat::ScandyZipJson, None) => {
                list_zip(&backup.path)
                    .map(|l| l.secrets)
                    .map_err(|e| format!("{e:#}"))
            }
            (LegacyFormat::ScandyTar, _) => list_tar(&backup.path)
                .map(|l| l.secrets)
                .map_err(|e| format!("{e:#}")),
            _ => Ok(Vec::new()),
        };
        match listed {
            Ok(entries) if entries.is_empty() => {}
            Ok(entries) => findings.push(SecretFinding {
                path: backup.path.clone(),
                member: backup.member.clone(),
                entries,
            }),
            Err(why) => unreadable.push((backup.path.clone(), why)),
        }
    }
    let dir = config.resolve(&config.backup.dir);
    if let Ok(own) = scan_inventory(&dir) {
        for set in own.sets.iter().filter(|s| !s.encrypted) {
            if let Some(entries) = own_set_secrets(&set.path) {
                findings.push(SecretFinding {
                    path: set.path.clone(),
                    member: None,
                    entries,
                });
            }
        }
    }
    (findings, unreadable)
}

/// The secret files an unencrypted scandyctl set took (`include_secrets = true`).
fn own_set_secrets(set_dir: &Path) -> Option<Vec<String>> {
    let manifest = read_manifest(set_dir).ok()?;
    let skipped: Vec<&str> = manifest
        .files
        .skipped
        .iter()
        .map(|s| s.item.as_str())
        .collect();
    let entries: Vec<String> = manifest
        .files
        .included
        .iter()
        .filter(|item| is_secret_name(item))
        .filter(|item| {
            let base = item.rsplit('/').next().unwrap_or(item);
            !skipped.iter().any(|s| s.rsplit('/').next() == Some(base))
        })
        .cloned()
        .collect();
    (!entries.is_empty()).then_some(entries)
}

/// The secret entries of one backup inside a weekly ZIP, read as a stream.
fn weekly_member_secrets(path: &Path, member: &str) -> Result<Vec<String>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut outer = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| format!("no readable ZIP: {e}"))?;
    let mut inner = outer
        .by_name(member)
        .map_err(|e| format!("no member {member}: {e}"))?;
    let mut secrets = Vec::new();
    loop {
        match zip::read::read_zipfile_from_stream(&mut inner) {
            Ok(Some(mut entry)) => {
                let name = entry
                    .name()
                    .map_err(|e| format!("{member}: unreadable entry name: {e}"))?
                    .into_owned();
                if is_secret_name(&name) && !name.ends_with('/') {
                    secrets.push(name);
                }
                std::io::copy(&mut (&mut entry).take(u64::MAX), &mut std::io::sink())
                    .map_err(|e| format!("{member}: {e}"))?;
            }
            Ok(None) => break,
            Err(e) => return Err(format!("{member} is no readable ZIP: {e}")),
        }
    }
    Ok(secrets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        assert!(is_secret_name("config/.env"));
        assert!(is_secret_name(".env"));
        assert!(is_secret_name("scandy/.env.local"));
        assert!(!is_secret_name("logs/app.log"));
        assert!(!is_secret_name("environment.txt"));
    }
}
