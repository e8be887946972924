//! Restores that must refuse and change nothing — a backup directory too small for the
//! safety backup, a database filesystem too small for the staging collections,
//! `--no-safety-backup` on live data without `--force` — and journals scandyctl must not
//! act on (another host, unreadable, another install). Staging collections stay out of
//! `db stats`, data-health checks and backups, and an orphaned one (no journal owns it,
//! e.g. left by another version) is removed.

mod backup_support;
mod common;
mod restore_support;

use std::path::Path;
use std::process::Output;

use backup_support::tmpfs::Tmpfs;
use backup_support::{Fixture, assert_success};
use mongodb::bson::{Document, doc};
use restore_support::{DbImage, db_image, files_image, journal_dir, staging_collections};
use serde_json::Value;

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The database and files as they are now.
async fn image(fx: &Fixture) -> (DbImage, restore_support::FilesImage) {
    let client = common::client().await;
    (db_image(&client, &fx.database).await, files_image(&fx.root))
}

/// Asserts that a refused restore left the install, the backup directory and the state
/// directory as they were.
async fn assert_unchanged(
    fx: &Fixture,
    before: &(DbImage, restore_support::FilesImage),
    entries: &[String],
    what: &str,
) {
    let now = image(fx).await;
    assert_eq!(
        now.0.difference(&before.0),
        None,
        "{what}: the database changed"
    );
    assert!(now.1 == before.1, "{what}: the files changed");
    assert_eq!(
        fx.backup_dir_entries(),
        entries,
        "{what}: the backup directory changed"
    );
    let client = common::client().await;
    assert_eq!(
        staging_collections(&client, &fx.database).await,
        Vec::<String>::new(),
        "{what}: staging left"
    );
    let journals: Vec<_> = std::fs::read_dir(journal_dir(fx))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(journals.is_empty(), "{what}: journals left: {journals:?}");
}

/// Copies directory `from` to `to` recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                dir_size(&e.path())
            } else {
                meta.len()
            }
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_directory_too_small_for_the_safety_backup_refuses_with_figures() {
    let fx = Fixture::with_server("refuse_space", &common::test_mongo().uri, 200).await;
    let id = fx.backup();
    // The set moves onto a tmpfs that holds it with a little room to spare, far less than
    // a safety backup of the live database and files needs.
    let set = fx.set_dir(&id);
    let stash = fx.dir.path().join("stash");
    copy_dir(&set, &stash.join(&id));
    std::fs::remove_dir_all(&fx.backups).unwrap();
    std::fs::create_dir_all(&fx.backups).unwrap();
    let size = (dir_size(&stash) + 64 * 1024).div_ceil(4096) * 4096;
    let _tmpfs = match Tmpfs::mount(&fx.backups, &size.to_string()) {
        Ok(tmpfs) => tmpfs,
        Err(why) => {
            eprintln!("skipped: cannot mount a tmpfs as the backup directory: {why}");
            return;
        }
    };
    copy_dir(&stash.join(&id), &fx.backups.join(&id));
    let entries = fx.backup_dir_entries();
    let before = image(&fx).await;

    let out = fx.run(&["restore", &id, "--yes"]);
    let shown = text(&out);
    assert!(!out.status.success(), "the restore ran: {shown}");
    for needle in [
        "not enough space for the pre-restore safety backup",
        &fx.backups.display().to_string(),
        "needed",
        "free",
        "nothing was changed",
    ] {
        assert!(shown.contains(needle), "{needle:?} missing in: {shown}");
    }
    assert_unchanged(&fx, &before, &entries, "safety backup refused").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_filesystem_too_small_for_the_staging_refuses_with_figures() {
    if std::env::var("MONGODB_TEST_URI").is_ok_and(|u| !u.is_empty()) {
        eprintln!("skipped: a real mongod reports its own dbPath, not the test's tmpfs");
        return;
    }
    let fx = Fixture::with_server("refuse_dbspace", &common::test_mongo().uri, 200).await;
    let id = fx.backup();
    let data = fx.dir.path().join("mongo-data");
    std::fs::create_dir_all(&data).unwrap();
    let _tmpfs = match Tmpfs::mount(&data, "16k") {
        Ok(tmpfs) => tmpfs,
        Err(why) => {
            eprintln!("skipped: cannot mount a tmpfs as the data directory: {why}");
            return;
        }
    };
    let entries = fx.backup_dir_entries();
    let before = image(&fx).await;
    let out = fx
        .command(&["restore", &id, "--yes", "--no-safety-backup", "--force"])
        .env("SCANDYCTL_TEST_MONGO_DBPATH", &data)
        .output()
        .unwrap();
    let shown = text(&out);
    assert!(!out.status.success(), "the restore ran: {shown}");
    for needle in [
        format!(
            "not enough space for the staging collections of {}",
            fx.database
        ),
        data.display().to_string(),
        "nothing was changed".to_string(),
    ] {
        assert!(shown.contains(&needle), "{needle:?} missing in: {shown}");
    }
    assert_unchanged(&fx, &before, &entries, "staging refused").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_safety_backup_on_live_data_needs_force() {
    let fx = Fixture::new("refuse_nosafety").await;
    let id = fx.backup();
    let entries = fx.backup_dir_entries();
    let before = image(&fx).await;
    let out = fx.run(&["restore", &id, "--yes", "--no-safety-backup"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(shown.contains("--force"), "{shown}");
    assert_unchanged(&fx, &before, &entries, "--no-safety-backup").await;

    // With --force it runs, and takes no safety backup; under --json stdout is one JSON
    // document (the plan goes to stderr).
    let out = fx.run(&[
        "restore",
        &id,
        "--yes",
        "--no-safety-backup",
        "--force",
        "--json",
    ]);
    assert_success(&out, "restore --no-safety-backup --force");
    assert_eq!(
        fx.backup_dir_entries(),
        entries,
        "a safety backup was taken"
    );
    let outcome: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert!(outcome["safety_backup"].is_null(), "{outcome}");
    assert!(
        outcome["timings"]["database_swap_s"].as_f64().is_some(),
        "{outcome}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("restore of {id}:")));
}

/// The host name scandyctl records in journals.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

/// A journal of a run in the staging phase, owning `staging` in the fixture's database.
fn staging_journal(fx: &Fixture, id: &str, pid: u32, host: &str, backup_dir: &Path) -> Value {
    serde_json::json!({
        "format": 1,
        "id": id,
        "set_id": "scandy-20261126T020000Z-full",
        "phase": "staging",
        "pid": pid,
        "host": host,
        "started_at": "2026-11-26T02:00:00Z",
        "updated_at": "2026-11-26T02:00:05Z",
        "backup_dir": backup_dir,
        "database": {
            "target": fx.database,
            "live": true,
            "collections": [{
                "name": "tools",
                "staging": format!("__scandyctl_restore.{id}.tools"),
                "kind": "collection",
                "state": "planned",
                "documents": 1
            }]
        }
    })
}

fn write_journal(fx: &Fixture, id: &str, journal: &Value) -> std::path::PathBuf {
    let dir = journal_dir(fx);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{id}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(journal).unwrap()).unwrap();
    path
}

async fn create_staging(fx: &Fixture, id: &str) -> String {
    let name = format!("__scandyctl_restore.{id}.tools");
    common::client()
        .await
        .database(&fx.database)
        .collection::<Document>(&name)
        .insert_one(doc! { "_id": 1, "staged": true })
        .await
        .unwrap();
    name
}

fn status(fx: &Fixture) -> Value {
    let out = fx.run(&["status", "--json"]);
    assert_success(&out, "status");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn journals_of_another_host_or_unreadable_are_refused_and_block_a_new_restore() {
    let fx = Fixture::new("refuse_foreign").await;
    let id = fx.backup();
    let staging = create_staging(&fx, "0badc0de").await;
    let foreign = write_journal(
        &fx,
        "0badc0de",
        &staging_journal(&fx, "0badc0de", 1, "another-host", &fx.backups),
    );
    let status_json = status(&fx);
    let restores = status_json["restores"].as_array().unwrap();
    assert_eq!(restores.len(), 1, "{restores:?}");
    assert_eq!(restores[0]["state"], "refused");
    let message = restores[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&foreign.display().to_string()),
        "{message}"
    );
    assert!(message.contains("another-host"), "{message}");
    let client = common::client().await;
    assert_eq!(
        staging_collections(&client, &fx.database).await,
        vec![staging.clone()],
        "another host's staging must stay"
    );
    let out = fx.run(&["restore", &id, "--yes"]);
    let shown = text(&out);
    assert!(!out.status.success(), "{shown}");
    assert!(
        shown.contains("an earlier restore needs attention first"),
        "{shown}"
    );
    assert!(shown.contains(&foreign.display().to_string()), "{shown}");
    std::fs::remove_file(&foreign).unwrap();

    // Unreadable: refused naming the file.
    let broken = journal_dir(&fx).join("deadbeef.json");
    std::fs::write(&broken, b"{ \"format\": 1, \"id\": \x1b[31m").unwrap();
    let out = fx.run(&["status"]);
    let shown = text(&out);
    assert!(shown.contains(&broken.display().to_string()), "{shown}");
    assert!(shown.contains("cannot be read"), "{shown}");
    assert!(
        !shown.contains('\x1b'),
        "an escape reached the terminal: {shown:?}"
    );
    let out = fx.run(&["restore", "--ack", "deadbeef"]);
    assert_success(&out, "restore --ack of an unreadable journal");
    assert!(!broken.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_of_another_install_is_left_alone() {
    let fx = Fixture::new("refuse_otherinstall").await;
    let id = fx.backup();
    let staging = create_staging(&fx, "0ddba11a").await;
    let elsewhere = fx.dir.path().join("other-install-backups");
    std::fs::create_dir_all(&elsewhere).unwrap();
    // Interrupted (its pid is gone), on this host, but for another backup directory.
    let path = write_journal(
        &fx,
        "0ddba11a",
        &staging_journal(&fx, "0ddba11a", 999_999_999, &host_name(), &elsewhere),
    );
    let status_json = status(&fx);
    let restores = status_json["restores"].as_array().unwrap();
    assert_eq!(restores.len(), 1, "{restores:?}");
    assert_eq!(restores[0]["state"], "other-install", "{restores:?}");
    let message = restores[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("backup directory {}", elsewhere.display())),
        "{message}"
    );
    assert!(message.contains("--config"), "{message}");
    assert!(path.exists(), "the journal was removed");
    let client = common::client().await;
    assert_eq!(
        staging_collections(&client, &fx.database).await,
        vec![staging.clone()],
        "another install's staging must stay"
    );
    let journal: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(journal["phase"], "staging", "the journal was acted on");
    // This install's restore goes ahead and leaves the other's staging alone.
    let out = fx.run(&["restore", &id, "--yes"]);
    assert_success(&out, "restore beside another install's journal");
    assert_eq!(
        staging_collections(&client, &fx.database).await,
        vec![staging]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn staging_collections_stay_out_of_stats_health_and_backups_and_orphans_are_removed() {
    let fx = Fixture::new("staging_hidden").await;
    // A running restore (its pid is this test's) owns one staging collection.
    let running = create_staging(&fx, "5ca1ab1e").await;
    write_journal(
        &fx,
        "5ca1ab1e",
        &staging_journal(
            &fx,
            "5ca1ab1e",
            std::process::id(),
            &host_name(),
            &fx.backups,
        ),
    );
    let stats = fx.run(&["db", "stats", "--json"]);
    assert_success(&stats, "db stats");
    let stats_text = String::from_utf8_lossy(&stats.stdout).to_string();
    assert!(stats_text.contains("\"tools\""), "{stats_text}");
    assert!(!stats_text.contains("__scandyctl_restore"), "{stats_text}");
    let health = fx.run(&["db", "health", "--json"]);
    let health_text = text(&health);
    assert!(
        !health_text.contains("__scandyctl_restore"),
        "{health_text}"
    );
    let id = fx.backup();
    let manifest = std::fs::read_to_string(fx.set_dir(&id).join("manifest.json")).unwrap();
    assert!(manifest.contains("\"tools\""), "{manifest}");
    assert!(
        !manifest.contains("__scandyctl_restore"),
        "backed up staging: {manifest}"
    );
    let client = common::client().await;
    assert_eq!(
        staging_collections(&client, &fx.database).await,
        vec![running.clone()],
        "a running restore's staging must stay"
    );

    // An orphan (no journal owns it) is removed by the next command that looks.
    std::fs::remove_dir_all(journal_dir(&fx)).unwrap();
    let out = fx.run(&["db", "stats"]);
    assert_success(&out, "db stats");
    let shown = text(&out);
    assert!(
        shown.contains("staging"),
        "no note about the orphan: {shown}"
    );
    assert_eq!(
        staging_collections(&client, &fx.database).await,
        Vec::<String>::new(),
        "the orphaned staging collection was not removed"
    );
}
