//! End to end in a pseudo-terminal: the console's backup and restore jobs run in detached
//! workers. A restore started from the Backups tab completes when the terminal is closed; a
//! console started later reattaches to a running job or shows its outcome; a second console
//! cancels a job cleanly; a killed worker shows as interrupted.

mod backup_support;
mod common;
mod pty_support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use backup_support::{Fixture, raw_dump};
use mongodb::bson::doc;
use pty_support::PtySession;
use scandyctl::jobs::job_file::{FileStatus, JobFile, ResultRecord};
use sha2::{Digest, Sha256};

const START: Duration = Duration::from_secs(20);
const JOB: Duration = Duration::from_secs(120);

/// The state directory of the fixture's consoles.
fn state_dir(fixture: &Fixture) -> PathBuf {
    fixture.dir.path().join("state")
}

fn jobs_dir(fixture: &Fixture) -> PathBuf {
    state_dir(fixture).join("jobs")
}

/// A console on the fixture; `pause` stops its workers' backups after the dump.
fn console(fixture: &Fixture, pause: bool) -> PtySession {
    let config = fixture.config.display().to_string();
    let state = state_dir(fixture).display().to_string();
    let mut env = vec![("SCANDYCTL_STATE_DIR", state.as_str())];
    if pause {
        env.push(("SCANDYCTL_TEST_PAUSE", "after-dump"));
    }
    PtySession::spawn(&["--config", &config], fixture.dir.path(), &env)
}

/// A console showing the Backups tab with the fixture's sets read.
fn console_on_backups(fixture: &Fixture, pause: bool) -> PtySession {
    let mut session = console(fixture, pause);
    session.wait_for_text("Server version", START);
    session.send(b"4");
    session.wait_for("the backup directory read", START, |s| {
        s.contains("Backup sets:") || s.contains("no backup sets in")
    });
    session
}

/// The job files in `dir`.
fn job_files(dir: &Path) -> Vec<JobFile> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<JobFile> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .filter_map(|e| serde_json::from_slice(&std::fs::read(e.path()).ok()?).ok())
        .collect();
    files.sort_by_key(|f| f.key.clone());
    files
}

/// Polls `pred` until it holds; panics with `what` after `timeout`.
fn wait_until<T>(what: &str, timeout: Duration, mut pred: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = pred() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the only job's worker reports the test pause in its log; returns its file.
fn wait_paused(fixture: &Fixture) -> JobFile {
    wait_until("the worker to reach its test pause", JOB, || {
        let files = job_files(&jobs_dir(fixture));
        let file = files.last()?.clone();
        let log = std::fs::read_to_string(&file.log).unwrap_or_default();
        log.contains("paused at after-dump").then_some(file)
    })
}

fn resume(fixture: &Fixture) {
    std::fs::write(fixture.backups.join(".scandyctl-test-resume"), b"").unwrap();
}

/// Waits until the job `key` has ended and returns its file.
fn wait_finished(fixture: &Fixture, key: &str) -> JobFile {
    wait_until("the job to end", JOB, || {
        job_files(&jobs_dir(fixture))
            .into_iter()
            .find(|f| f.key == key && f.is_finished())
    })
}

fn pid_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read(format!("/proc/{pid}/cmdline"))
            .unwrap_or_default()
            .is_empty()
}

/// Documents per collection and a SHA-256 over every raw document, by `_id`.
fn counts_and_checksum(dump: &[(String, Vec<Vec<u8>>)]) -> (Vec<(String, usize)>, String) {
    let mut hash = Sha256::new();
    let counts = dump
        .iter()
        .map(|(name, docs)| {
            hash.update(name.as_bytes());
            for doc in docs {
                hash.update(doc);
            }
            (name.clone(), docs.len())
        })
        .collect();
    (counts, hex::encode(hash.finalize()))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restore_from_the_tab_completes_after_the_terminal_is_closed() {
    let fixture = Fixture::new("pty_jobs_hangup").await;
    let id = fixture.backup();
    let original = counts_and_checksum(&raw_dump(&fixture.database).await);
    // The live data changes after the backup: the restore has something to undo.
    let client = common::client().await;
    let db = client.database(&fixture.database);
    db.collection::<mongodb::bson::Document>("tools")
        .delete_many(doc! {})
        .await
        .unwrap();
    db.collection::<mongodb::bson::Document>("written_after_backup")
        .insert_one(doc! { "note": "written after the backup" })
        .await
        .unwrap();
    assert_ne!(
        counts_and_checksum(&raw_dump(&fixture.database).await),
        original
    );

    // The restore's safety backup pauses after its dump, so the terminal closes mid-job.
    let mut session = console_on_backups(&fixture, true);
    session.wait_for_text("Backup sets: 1 of 1", START);
    session.send(b"R");
    session.wait_for_text("What and where", START);
    session.send(b"\x1b[F"); // End: the Preview row
    session.send(b"\x1b[A\x1b[A"); // up to "Files"
    session.send(b" "); // files off: the database only, into the live one
    session.send(b"\x1b[F"); // Preview
    session.send(b"\r");
    let prompt = format!("Type the database name ({}) to confirm:", fixture.database);
    session.wait_for_text(&prompt, JOB);
    session.send(fixture.database.as_bytes());
    session.send(b"\r");
    session.wait_for_text("▶ #1 restore", START);
    let job = wait_paused(&fixture);
    assert!(matches!(
        job.spec,
        scandyctl::jobs::job_file::DetachedSpec::Restore { .. }
    ));
    assert_eq!(job.status, FileStatus::Running);

    drop(session); // the terminal goes away: SIGHUP, then the console is killed
    assert!(pid_exists(job.pid), "the worker outlives its console");
    resume(&fixture);
    let done = wait_finished(&fixture, &job.key);
    assert_eq!(done.status, FileStatus::Done, "{:?}", done.error);
    let Some(ResultRecord::Restore {
        safety_backup: Some(safety),
        collections,
        ..
    }) = &done.result
    else {
        panic!("no restore result: {done:?}");
    };
    assert!(*collections > 0);
    assert!(
        fixture.set_dir(safety).is_dir(),
        "the safety backup was kept"
    );

    let mut restored = raw_dump(&fixture.database).await;
    restored.retain(|(name, _)| name != "written_after_backup");
    let restored = counts_and_checksum(&restored);
    assert_eq!(restored, original, "the database equals the backup {id}");

    // A new console shows the outcome.
    let mut session = console_on_backups(&fixture, false);
    let screen = session.wait_for("the restore's outcome", START, |s| {
        s.contains("✓ #1 restore")
    });
    assert!(screen.contains(&id[..20]), "{screen}");
    session.send(b"q");
    assert_eq!(session.wait_exit(Duration::from_secs(15)), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_console_started_later_shows_the_running_job_then_its_end() {
    let fixture = Fixture::new("pty_jobs_reattach").await;
    let mut first = console_on_backups(&fixture, true);
    first.send(b"bf");
    first.wait_for_text("▶ #1 backup (full)", START);
    let job = wait_paused(&fixture);
    first.send(b"q");
    assert_eq!(
        first.wait_exit(Duration::from_secs(15)),
        0,
        "quitting does not ask: the job runs on"
    );
    assert!(pid_exists(job.pid), "the worker outlives its console");

    let mut second = console_on_backups(&fixture, false);
    let screen = second.wait_for("the running job with its progress", START, |s| {
        s.contains("▶ #1 backup (full) · database") && s.contains("docs")
    });
    assert!(screen.contains("1 job(s) running"), "{screen}");
    // Only one job at a time holds the backup directory: a second backup is refused.
    second.send(b"bf");
    let screen = second.wait_for("the second backup refused", JOB, |s| {
        s.contains("✗ #2 backup (full)")
    });
    assert!(screen.contains("is busy"), "{screen}");

    resume(&fixture);
    let screen = second.wait_for("the backup's end", JOB, |s| {
        s.contains("✓ #1 backup (full)")
    });
    let done = wait_finished(&fixture, &job.key);
    assert_eq!(done.status, FileStatus::Done);
    let Some(ResultRecord::Backup { id, .. }) = &done.result else {
        panic!("{done:?}");
    };
    assert!(fixture.set_dir(id).join("manifest.json").is_file());
    assert!(
        screen.contains(&format!("set {id}")) || screen.contains(&id[..20]),
        "{screen}"
    );

    // Dismissing removes the finished jobs and their files.
    second.send(b"d");
    second.wait_for("the list emptied", START, |s| !s.contains("#1 backup"));
    wait_until("the job files removed", START, || {
        job_files(&jobs_dir(&fixture)).is_empty().then_some(())
    });
    second.send(b"q");
    assert_eq!(second.wait_exit(Duration::from_secs(15)), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_console_cancels_the_job_cleanly() {
    let fixture = Fixture::new("pty_jobs_cancel").await;
    let mut first = console_on_backups(&fixture, true);
    first.send(b"bf");
    first.wait_for_text("▶ #1 backup (full)", START);
    let job = wait_paused(&fixture);
    first.send(b"q");
    assert_eq!(first.wait_exit(Duration::from_secs(15)), 0);

    let mut second = console_on_backups(&fixture, false);
    second.wait_for_text("▶ #1 backup (full)", START);
    second.send(b"c");
    second.wait_for_text("Cancel #1 backup (full)?", START);
    second.send(b"y");
    wait_until("the worker to accept the cancel", START, || {
        job_files(&jobs_dir(&fixture))
            .into_iter()
            .find(|f| f.key == job.key && f.cancel_requested)
    });
    resume(&fixture);
    let screen = second.wait_for("the cancel", JOB, |s| s.contains("⊘ #1 backup (full)"));
    assert!(
        screen.contains("cancelled — nothing half-done was kept"),
        "{screen}"
    );
    let done = wait_finished(&fixture, &job.key);
    assert_eq!(done.status, FileStatus::Cancelled);
    wait_until("the worker to exit", START, || {
        (!pid_exists(job.pid)).then_some(())
    });
    assert!(
        fixture
            .backup_dir_entries()
            .iter()
            .all(|n| !n.contains("full") && !n.ends_with(".partial")),
        "nothing of the set is left: {:?}",
        fixture.backup_dir_entries()
    );
    second.send(b"q");
    assert_eq!(second.wait_exit(Duration::from_secs(15)), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_worker_shows_as_interrupted() {
    let fixture = Fixture::new("pty_jobs_killed").await;
    let mut session = console_on_backups(&fixture, true);
    session.send(b"bf");
    session.wait_for_text("▶ #1 backup (full)", START);
    let job = wait_paused(&fixture);
    // SAFETY: the pid is the worker this test's console started (checked by wait_paused).
    unsafe {
        libc::kill(job.pid as i32, libc::SIGKILL);
    }
    let screen = session.wait_for("the interruption", START, |s| {
        s.contains("✗ #1 backup (full): interrupted")
    });
    assert!(screen.contains("ended without"), "{screen}");
    let file = wait_finished(&fixture, &job.key);
    assert_eq!(file.status, FileStatus::Interrupted);
    session.send(b"q");
    assert_eq!(session.wait_exit(Duration::from_secs(15)), 0);
}
