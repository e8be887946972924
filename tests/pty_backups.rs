//! End to end in a pseudo-terminal against the test MongoDB: a backup taken from the Backups
//! tab, verified there, and restored into another database, whose content is then compared
//! with the original.

mod backup_support;
mod common;
mod pty_support;

use std::time::Duration;

use backup_support::{Fixture, raw_dump};
use pty_support::PtySession;

const START: Duration = Duration::from_secs(20);
const JOB: Duration = Duration::from_secs(120);

fn spawn(fixture: &Fixture) -> PtySession {
    let config = fixture.config.display().to_string();
    PtySession::spawn(&["--config", &config], fixture.dir.path(), &[])
}

/// The screen's lines trimmed and joined by spaces, so wrapped text can be searched.
fn joined(screen: &str) -> String {
    screen.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

/// The id of the only set in the fixture's backup directory.
fn only_set(fixture: &Fixture) -> String {
    let sets: Vec<String> = std::fs::read_dir(&fixture.backups)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && !n.ends_with(".lock"))
        .collect();
    assert_eq!(sets.len(), 1, "{sets:?}");
    sets[0].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_verify_and_restore_into_another_database_from_the_tab() {
    let fixture = Fixture::new("pty_tab").await;
    let target = format!("{}_r", fixture.database);
    let mut session = spawn(&fixture);
    session.wait_for_text("Server version", START);
    session.send(b"4");
    session.wait_for_text("no backup sets in", START);

    session.send(b"b");
    let screen = session.wait_for_text("New backup", START);
    assert!(screen.contains("i  incremental"), "{screen}");
    session.send(b"f");
    let screen = session.wait_for("backup job to finish", JOB, |s| {
        s.contains("#1 backup (full)") && !s.contains("▶ #1")
    });
    assert!(screen.contains("✓ #1 backup (full)"), "{screen}");
    let id = only_set(&fixture);
    assert!(
        joined(&screen).contains(&format!("set {id} written")),
        "{screen}"
    );
    session.wait_for("the new set in the table", START, |s| {
        s.contains("Backup sets: 1 of 1")
    });

    session.send(b"v");
    let screen = session.wait_for("verify job to finish", JOB, |s| {
        s.contains("#2 verify (quick)") && !s.contains("▶ #2")
    });
    assert!(
        screen.contains(&format!("✓ #2 verify (quick) {id}: ok")),
        "{screen}"
    );
    assert!(
        fixture.set_dir(&id).join("verify.json").is_file(),
        "the verification is recorded"
    );

    // Restore: database only, into another database.
    session.send(b"R");
    session.wait_for_text("What and where", START);
    session.send(b"\x1b[F"); // End: the Preview row
    session.send(b"\x1b[A\x1b[A"); // up to "Files"
    session.send(b" "); // files off
    session.send(b"\x1b[A"); // "into" choice of the database
    session.send(b" "); // another database
    session.send(b"\x1b[B"); // the name field
    session.send(b"\x15"); // Ctrl-U clears it
    session.send(target.as_bytes());
    session.send(b"\r"); // next row
    session.send(b"\x1b[B"); // Preview
    session.send(b"\r");
    let prompt = format!("Type the database name ({target}) to confirm:");
    let screen = session.wait_for_text(&prompt, JOB);
    assert!(
        screen.contains("No live data is overwritten"),
        "no safety backup for another database: {screen}"
    );
    assert!(screen.contains("does not exist"), "{screen}");
    session.send(b"wrong\r");
    session.wait_for_text("nothing was changed", START);
    session.send(b"\x15");
    session.send(target.as_bytes());
    session.send(b"\r");
    let screen = session.wait_for("restore job to finish", JOB, |s| {
        s.contains("#3 restore") && !s.contains("▶ #3")
    });
    assert!(screen.contains("✓ #3 restore"), "{screen}");
    assert!(
        joined(&screen).contains("restored; 0 file(s) written"),
        "{screen}"
    );

    session.send(b"q");
    assert_eq!(session.wait_exit(Duration::from_secs(15)), 0);

    let original = raw_dump(&fixture.database).await;
    let restored = raw_dump(&target).await;
    assert!(!original.is_empty());
    assert_eq!(
        original, restored,
        "the restored database holds the same documents, byte for byte"
    );
    assert_eq!(
        backup_support::index_summary(&fixture.database).await,
        backup_support::index_summary(&target).await
    );
    assert_eq!(only_set(&fixture), id, "no safety backup was taken");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_backup_leaves_nothing_behind() {
    let fixture = Fixture::new("pty_cancel").await;
    let config = fixture.config.display().to_string();
    let mut session = PtySession::spawn(
        &["--config", &config],
        fixture.dir.path(),
        &[("SCANDYCTL_TEST_PAUSE", "after-dump")],
    );
    session.wait_for_text("Server version", START);
    session.send(b"4bf");
    session.wait_for_text("▶ #1 backup (full)", START);
    session.send(b"c");
    session.wait_for_text("Cancel #1 backup (full)?", START);
    session.send(b"y");
    // The backup waits at the test pause after its dump; let it go on and see the cancel.
    std::fs::write(fixture.backups.join(".scandyctl-test-resume"), b"").unwrap();
    let screen = session.wait_for("the cancel", JOB, |s| s.contains("⊘ #1 backup (full)"));
    assert!(
        screen.contains("cancelled — nothing half-done was kept"),
        "{screen}"
    );
    let left: Vec<_> = std::fs::read_dir(&fixture.backups)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        left.iter().all(|n| !n.to_string_lossy().contains("full")),
        "nothing of the set is left: {left:?}"
    );
    session.send(b"q");
    assert_eq!(session.wait_exit(Duration::from_secs(15)), 0);
}
