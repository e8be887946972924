//! Backup set ids: `scandy-<UTC yyyymmddTHHMMSSZ>-<type>`.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use super::manifest::BackupKind;

/// Suffix of a set directory that is still being written.
pub const PARTIAL_SUFFIX: &str = ".partial";
/// Suffix a set directory is renamed to before `prune` removes it, so an interrupted
/// removal never leaves a half-deleted set that still looks complete.
pub const DELETING_SUFFIX: &str = ".deleting";

/// The id of a set of `kind` started at `at`.
pub fn backup_id(at: DateTime<Utc>, kind: BackupKind) -> String {
    format!("scandy-{}-{}", at.format("%Y%m%dT%H%M%SZ"), kind.as_str())
}

/// Splits an id into its time and kind, if it is well-formed.
pub fn parse_backup_id(id: &str) -> Option<(DateTime<Utc>, BackupKind)> {
    let rest = id.strip_prefix("scandy-")?;
    let (stamp, kind) = rest.split_once('-')?;
    let kind = match kind {
        "full" => BackupKind::Full,
        "incremental" => BackupKind::Incremental,
        "pre-restore" => BackupKind::PreRestore,
        "oplog" => BackupKind::Oplog,
        _ => return None,
    };
    let naive = NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ").ok()?;
    Some((Utc.from_utc_datetime(&naive), kind))
}

/// Whether `name` is safe to use as a directory name for a set (no separators, no dots-only).
pub fn is_safe_id(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let at = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 1).unwrap();
        let id = backup_id(at, BackupKind::PreRestore);
        assert_eq!(id, "scandy-20261126T020001Z-pre-restore");
        assert_eq!(parse_backup_id(&id), Some((at, BackupKind::PreRestore)));
        assert_eq!(parse_backup_id("scandy-2026-full"), None);
        assert!(is_safe_id(&id));
        assert!(!is_safe_id("../x"));
        assert!(!is_safe_id("a/b"));
    }
}
