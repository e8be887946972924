//! Space checks before a restore changes anything: the backup directory must hold the
//! safety backup, the database's filesystem the staging collections (the old collections
//! stay until the swap, so the restored ones need their size twice for a while), the
//! target's filesystem the staged files.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};
use mongodb::Client;
use mongodb::bson::{Bson, Document, doc};

use super::RestorePlan;
use crate::backup::files::select_files;
use crate::backup::manifest::{Manifest, MemberContent};
use crate::config::Config;
use crate::system::disk::{disk_space, human_bytes};

/// Test hook: the dbPath to assume when the server does not report one.
pub const TEST_DBPATH_ENV: &str = "SCANDYCTL_TEST_MONGO_DBPATH";

/// A filesystem lacks the room a restore needs; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotEnoughSpace {
    /// What needs the room ("the pre-restore safety backup").
    pub what: String,
    /// The directory whose filesystem was measured.
    pub dir: PathBuf,
    /// Bytes needed (estimate).
    pub needed: u64,
    /// Bytes available.
    pub available: u64,
}

impl std::fmt::Display for NotEnoughSpace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "not enough space for {} in {}: about {} needed, {} free; nothing was changed",
            self.what,
            self.dir.display(),
            human_bytes(self.needed),
            human_bytes(self.available)
        )
    }
}

impl std::error::Error for NotEnoughSpace {}

/// Refuses when `needed` bytes do not fit into `available`.
pub fn require_space(
    what: &str,
    dir: &Path,
    needed: u64,
    available: u64,
) -> Result<(), NotEnoughSpace> {
    if needed > available {
        return Err(NotEnoughSpace {
            what: what.to_string(),
            dir: dir.to_path_buf(),
            needed,
            available,
        });
    }
    Ok(())
}

/// `part / whole` as a compression ratio, within sane bounds; 1 when unknown.
pub fn ratio(part: u64, whole: u64) -> f64 {
    if part == 0 || whole == 0 {
        return 1.0;
    }
    (part as f64 / whole as f64).clamp(0.02, 1.5)
}

/// The estimated size of a safety backup of `live_data` database bytes and `live_files`
/// file bytes, compressed like the set being restored was, plus 10 % and 1 MiB.
pub fn safety_backup_estimate(manifest: &Manifest, live_data: u64, live_files: u64) -> u64 {
    let raw_db: u64 = manifest.database.collections.iter().map(|c| c.bytes).sum();
    let member = |content| manifest.member(content).map_or(0, |m| m.size);
    let db = live_data as f64 * ratio(member(MemberContent::MongoArchive), raw_db);
    let files = live_files as f64 * ratio(member(MemberContent::FilesTar), manifest.files.bytes);
    ((db + files) * 1.1) as u64 + (1 << 20)
}

/// Runs every space check for `plan`; returns notes about checks that were skipped.
pub async fn check_space(
    config: &Config,
    plan: &RestorePlan,
    manifest: &Manifest,
    client: Option<&Client>,
    files_staging: Option<&Path>,
) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    if plan.safety_backup {
        let backup_dir = config.resolve(&config.backup.dir);
        let live_data = match client {
            Some(client) => data_size(client, &config.mongo.database).await,
            None => 0,
        };
        let allow_secrets = config.backup.include_secrets
            || !config.backup.recipients.is_empty()
            || config.backup.recipients_file.is_some();
        let live_files: u64 = select_files(config, allow_secrets)
            .map(|s| s.entries.iter().map(|e| e.size).sum())
            .unwrap_or(0);
        let needed = safety_backup_estimate(manifest, live_data, live_files);
        let space = disk_space(&backup_dir).wrap_err_with(|| {
            format!("cannot measure the free space of {}", backup_dir.display())
        })?;
        require_space(
            "the pre-restore safety backup",
            &backup_dir,
            needed,
            space.available,
        )?;
    }
    if let (Some(db_plan), Some(client)) = (&plan.database, client) {
        let needed: u64 = manifest
            .database
            .collections
            .iter()
            .filter(|c| db_plan.collections.iter().any(|p| p.name == c.name))
            .map(|c| c.bytes)
            .sum();
        match local_db_path(config, client).await {
            Ok(path) => {
                let space = disk_space(&path).wrap_err_with(|| {
                    format!("cannot measure the free space of {}", path.display())
                })?;
                require_space(
                    &format!("the staging collections of {}", db_plan.target),
                    &path,
                    needed,
                    space.available,
                )?;
            }
            Err(why) => notes.push(format!("database free space not checked: {why}")),
        }
    }
    if let (Some(files_plan), Some(staging)) = (&plan.files, files_staging) {
        let measured = staging.parent().unwrap_or(&files_plan.target);
        let space = disk_space(measured)
            .wrap_err_with(|| format!("cannot measure the free space of {}", measured.display()))?;
        require_space(
            "the staged files",
            measured,
            manifest.files.bytes + manifest.files.bytes / 20,
            space.available,
        )?;
    }
    Ok(notes)
}

/// The live database's data size (`dbStats.dataSize`), 0 when unknown.
async fn data_size(client: &Client, database: &str) -> u64 {
    match client
        .database(database)
        .run_command(doc! { "dbStats": 1 })
        .await
    {
        Ok(stats) => number(stats.get("dataSize")).max(number(stats.get("storageSize"))),
        Err(_) => 0,
    }
}

fn number(value: Option<&Bson>) -> u64 {
    match value {
        Some(Bson::Int32(v)) => (*v).max(0) as u64,
        Some(Bson::Int64(v)) => (*v).max(0) as u64,
        Some(Bson::Double(v)) if *v > 0.0 => *v as u64,
        _ => 0,
    }
}

/// MongoDB's dbPath when the server runs on this host and says where it keeps its data.
async fn local_db_path(config: &Config, client: &Client) -> Result<PathBuf, String> {
    if !uri_is_local(&config.mongo.uri) {
        return Err("MongoDB runs on another host".into());
    }
    let reported = match client
        .database("admin")
        .run_command(doc! { "getCmdLineOpts": 1 })
        .await
    {
        Ok(opts) => db_path_of(&opts),
        Err(e) => return Err(format!("getCmdLineOpts failed: {e}")),
    };
    let path = reported
        .or_else(|| {
            std::env::var(TEST_DBPATH_ENV)
                .ok()
                .filter(|p| !p.is_empty())
        })
        .ok_or_else(|| "the server does not report its dbPath".to_string())?;
    let path = PathBuf::from(path);
    if !path.is_dir() {
        return Err(format!(
            "its dbPath {} is not a directory here",
            path.display()
        ));
    }
    Ok(path)
}

/// `parsed.storage.dbPath` of a `getCmdLineOpts` answer.
pub fn db_path_of(opts: &Document) -> Option<String> {
    opts.get_document("parsed")
        .ok()?
        .get_document("storage")
        .ok()?
        .get_str("dbPath")
        .ok()
        .map(str::to_string)
}

/// Whether every host of a MongoDB URI is this machine (loopback or a unix socket).
pub fn uri_is_local(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("mongodb://") else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    !hosts.is_empty()
        && hosts.split(',').all(|host| {
            let host = host.trim();
            let name = if let Some(v6) = host.strip_prefix('[') {
                v6.split(']').next().unwrap_or("")
            } else {
                host.rsplit_once(':').map_or(host, |(h, _)| h)
            };
            name == "localhost"
                || name == "::1"
                || name.starts_with("127.")
                || name.to_ascii_lowercase().ends_with(".sock")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_refusals_carry_the_figures() {
        assert!(require_space("x", Path::new("/b"), 10, 10).is_ok());
        let err = require_space(
            "the pre-restore safety backup",
            Path::new("/backups"),
            3 << 20,
            1 << 20,
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("not enough space for the pre-restore safety backup in /backups")
                && text.contains("needed")
                && text.contains("free; nothing was changed"),
            "{text}"
        );
    }

    #[test]
    fn local_uris_are_recognised() {
        assert!(uri_is_local("mongodb://localhost:27017"));
        assert!(uri_is_local(
            "mongodb://u:p@127.0.0.1:27017/scandy?authSource=admin"
        ));
        assert!(uri_is_local("mongodb://[::1]:27017"));
        assert!(uri_is_local("mongodb://%2Ftmp%2Fmongodb-27017.sock"));
        assert!(!uri_is_local("mongodb://db.example.org:27017"));
        assert!(!uri_is_local("mongodb://localhost,db2:27017"));
        assert!(!uri_is_local("mongodb+srv://cluster.example.org"));
    }

    #[test]
    fn db_path_and_ratios() {
        let opts = doc! { "parsed": { "storage": { "dbPath": "/var/lib/mongodb" } } };
        assert_eq!(db_path_of(&opts).as_deref(), Some("/var/lib/mongodb"));
        assert_eq!(db_path_of(&doc! { "parsed": {} }), None);
        assert_eq!(ratio(0, 10), 1.0);
        assert_eq!(ratio(5, 10), 0.5);
        assert_eq!(ratio(1, 1_000_000), 0.02);
    }
}
