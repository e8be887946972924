//! What the headless commands that touch the backup directory or the database do first:
//! finish or undo interrupted restores (see `backup::restore::recover`) and say so on
//! stderr; the `db` commands also remove staging collections no journal owns.

use std::io::Write;

use crate::backup::lock::acquire;
use crate::backup::restore::{RecoverySummary, recover_interrupted_restores, sweep_orphan_staging};
use crate::cli::GlobalArgs;
use crate::config::Config;
use crate::mongo::probe::{ProbeTimeouts, connect, ping};
use crate::sanitize::escape_controls;

/// Recovers interrupted restores for a command; `notes` prints what was done to stderr.
/// A configuration that does not load yields nothing here (the command reports it).
pub async fn recover_for(global: &GlobalArgs, notes: bool) -> RecoverySummary {
    let Ok(config) = super::backup_cmd::load_config(global) else {
        return RecoverySummary::default();
    };
    let summary = recover_interrupted_restores(&config).await;
    if notes {
        print_notes(&summary.notes());
    }
    summary
}

/// Like [`recover_for`], then drops staging collections of the configured database that no
/// journal owns, when the backup directory is not busy and MongoDB answers quickly.
pub async fn recover_and_sweep(global: &GlobalArgs) -> RecoverySummary {
    let summary = recover_for(global, true).await;
    if let Ok(config) = super::backup_cmd::load_config(global) {
        let removed = sweep(&config).await;
        if !removed.is_empty() {
            print_notes(&[format!(
                "removed {} staging collection(s) an interrupted restore left in {}: {}",
                removed.len(),
                config.mongo.database,
                removed.join(", ")
            )]);
        }
    }
    summary
}

/// The sweep of [`recover_and_sweep`]; empty when it could not run.
async fn sweep(config: &Config) -> Vec<String> {
    let dir = config.resolve(&config.backup.dir);
    if !dir.is_dir() {
        return Vec::new();
    }
    let Ok(_lock) = acquire(&dir, "restore staging cleanup") else {
        return Vec::new();
    };
    let timeouts = ProbeTimeouts::default();
    let Ok(client) = connect(&config.mongo.uri, timeouts).await else {
        return Vec::new();
    };
    if ping(&client, &config.mongo.uri, timeouts).await.is_err() {
        return Vec::new();
    }
    sweep_orphan_staging(&client.database(&config.mongo.database))
        .await
        .unwrap_or_default()
}

/// Prints `note: ...` lines on stderr, escaped, ignoring a stderr that is gone.
pub fn print_notes(notes: &[String]) {
    let mut err = std::io::stderr().lock();
    for note in notes {
        let _ = writeln!(err, "note: {}", escape_controls(note));
    }
}
