//! Staging collections of a restore: their reserved names, and removing them.
//!
//! A restore loads collection `c` of database `db` into `__scandyctl_restore.<run>.<c>`
//! (`<run>` is the restore's 8-hex-digit journal id). When `db.<that name>` would pass
//! MongoDB's namespace limit of 255 bytes, the name is `__scandyctl_restore.<run>.h<hash>`
//! instead; the journal maps it back. Every scandyctl listing (db stats, the Database
//! tab, backups, index checks) passes over names with the reserved prefix.

use color_eyre::eyre::{Result, WrapErr};
use mongodb::Database;
use mongodb::bson::doc;
use sha2::{Digest, Sha256};

/// The reserved prefix of every staging collection.
pub const STAGING_PREFIX: &str = "__scandyctl_restore.";

/// MongoDB's limit for `<db>.<collection>` in bytes.
pub const MAX_NAMESPACE_BYTES: usize = 255;

/// Whether `collection` is a restore's staging collection (never a Scandy collection).
pub fn is_staging_collection(collection: &str) -> bool {
    collection.starts_with(STAGING_PREFIX)
}

/// The restore run a staging collection belongs to (`None` for other names).
pub fn staging_run(collection: &str) -> Option<&str> {
    collection
        .strip_prefix(STAGING_PREFIX)
        .and_then(|rest| rest.split('.').next())
        .filter(|run| !run.is_empty())
}

/// The staging name for `collection` of database `db` in restore run `run`.
pub fn staging_name(db: &str, run: &str, collection: &str) -> String {
    let plain = format!("{STAGING_PREFIX}{run}.{collection}");
    if db.len() + 1 + plain.len() <= MAX_NAMESPACE_BYTES {
        return plain;
    }
    let digest = Sha256::digest(collection.as_bytes());
    let hash: String = digest[..10].iter().map(|b| format!("{b:02x}")).collect();
    format!("{STAGING_PREFIX}{run}.h{hash}")
}

/// A new restore run id: 8 lowercase hex digits.
pub fn new_run_id() -> String {
    format!("{:08x}", rand::random::<u32>())
}

/// The staging collections present in `db`, with their run ids.
pub async fn list_staging(db: &Database) -> Result<Vec<String>> {
    let mut names: Vec<String> = super::swap::namespace_types(db)
        .await?
        .into_keys()
        .filter(|n| is_staging_collection(n))
        .collect();
    names.sort();
    Ok(names)
}

/// Drops the staging collections of `db` whose run is not in `owned`; returns their names.
pub async fn drop_unowned_staging(db: &Database, owned: &[String]) -> Result<Vec<String>> {
    let mut dropped = Vec::new();
    for name in list_staging(db).await? {
        let run = staging_run(&name).unwrap_or_default();
        if owned.iter().any(|o| o == run) {
            continue;
        }
        drop_collection(db, &name).await?;
        dropped.push(name);
    }
    Ok(dropped)
}

/// Drops every staging collection of run `run` in `db` and the listed `names`; returns how
/// many existed.
pub async fn drop_run_staging(db: &Database, run: &str, names: &[String]) -> Result<usize> {
    let mut present: Vec<String> = list_staging(db)
        .await?
        .into_iter()
        .filter(|n| staging_run(n) == Some(run))
        .collect();
    for name in names {
        if !present.contains(name) && is_staging_collection(name) {
            present.push(name.clone());
        }
    }
    let mut existed = 0;
    for name in &present {
        if drop_collection(db, name).await? {
            existed += 1;
        }
    }
    Ok(existed)
}

/// Like [`drop_run_staging`], for a run that died (was killed) at `died_by` at the latest:
/// inserts it had sent may still be executing on the server and would recreate a dropped
/// staging collection, so until [`IN_FLIGHT_SETTLE`] after that moment the run's staging
/// is listed again every 250 ms and dropped again when it reappeared.
pub async fn drop_dead_run_staging(
    db: &Database,
    run: &str,
    names: &[String],
    died_by: chrono::DateTime<chrono::Utc>,
) -> Result<usize> {
    let mut existed = drop_run_staging(db, run, names).await?;
    let settle = chrono::Duration::from_std(IN_FLIGHT_SETTLE).unwrap_or_default();
    while chrono::Utc::now() < died_by + settle {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        existed = existed.max(drop_run_staging(db, run, &[]).await?);
    }
    Ok(existed)
}

/// How long after a run's death its last requests may still be executing on the server.
pub const IN_FLIGHT_SETTLE: std::time::Duration = std::time::Duration::from_secs(5);

/// Drops `db.name`; returns whether it existed.
pub async fn drop_collection(db: &Database, name: &str) -> Result<bool> {
    match db.run_command(doc! { "drop": name }).await {
        Ok(_) => Ok(true),
        Err(e) if crate::backup::load::command_code(&e) == Some(NAMESPACE_NOT_FOUND) => Ok(false),
        Err(e) => Err(e).wrap_err_with(|| format!("cannot drop {}.{name}", db.name())),
    }
}

/// Server error code "NamespaceNotFound".
pub const NAMESPACE_NOT_FOUND: i32 = 26;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_run_and_stay_within_the_namespace_limit() {
        let name = staging_name("scandy", "0a1b2c3d", "tools");
        assert_eq!(name, "__scandyctl_restore.0a1b2c3d.tools");
        assert!(is_staging_collection(&name));
        assert_eq!(staging_run(&name), Some("0a1b2c3d"));
        assert!(!is_staging_collection("tools"));
        assert_eq!(staging_run("tools"), None);

        let long = "x".repeat(230);
        let hashed = staging_name("scandy", "0a1b2c3d", &long);
        assert!(
            hashed.starts_with("__scandyctl_restore.0a1b2c3d.h"),
            "{hashed}"
        );
        assert!("scandy".len() + 1 + hashed.len() <= MAX_NAMESPACE_BYTES);
        assert_eq!(staging_run(&hashed), Some("0a1b2c3d"));
        assert_ne!(hashed, staging_name("scandy", "0a1b2c3d", &"y".repeat(230)));
        // Exactly at the limit the plain name is kept.
        let fits =
            "z".repeat(MAX_NAMESPACE_BYTES - "db.".len() - "__scandyctl_restore.0a1b2c3d.".len());
        assert_eq!(
            staging_name("db", "0a1b2c3d", &fits),
            format!("__scandyctl_restore.0a1b2c3d.{fits}")
        );
        let run = new_run_id();
        assert_eq!(run.len(), 8);
        assert!(run.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
