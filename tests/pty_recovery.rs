//! End to end in a pseudo-terminal against the test MongoDB: the Recovery tab walks a
//! dropped database through all eight steps (the restore as a detached job), and a console
//! killed while the restore runs resumes at the restore step and finishes it.

mod backup_support;
mod common;
mod pty_support;
mod restore_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use backup_support::Fixture;
use pty_support::PtySession;
use restore_support::{db_image, poll_until};

const START: Duration = Duration::from_secs(30);
const JOB: Duration = Duration::from_secs(180);

fn spawn(fixture: &Fixture) -> PtySession {
    let config = fixture.config.display().to_string();
    PtySession::spawn(&["--config", &config], fixture.dir.path(), &[])
}

/// The state directory the console in the pty uses.
fn state_dir(fixture: &Fixture) -> PathBuf {
    fixture.dir.path().join(".scandyctl-state")
}

/// The screen's lines trimmed and joined by spaces, so wrapped text can be searched.
fn joined(screen: &str) -> String {
    screen.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

/// The open wizard's saved state, when there is one.
fn saved_wizard(dir: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("recovery/current.json")).ok()?;
    serde_json::from_str(&text).ok()
}

fn pause() {
    std::thread::sleep(Duration::from_millis(150));
}

/// Answers every HTTP request with 200 (Scandy's `/health` once it is back); its port.
fn healthy_scandy() -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 2048];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 20\r\nConnection: close\r\n\r\n{\"status\":\"healthy\"}",
            );
        }
    });
    port
}

/// Seeds, backs up and drops the database; returns the image the backup holds. Scandy's
/// `/health` answers (a stand-in server), so verification can pass.
async fn dropped_database(fx: &Fixture) -> (String, restore_support::DbImage) {
    let port = healthy_scandy();
    let mut config = std::fs::read_to_string(&fx.config).unwrap();
    config.push_str(&format!(
        "[web]\nhealth_url = \"http://127.0.0.1:{port}/health\"\nrate_limit = \"none\"\nhealth_interval = 1\n"
    ));
    std::fs::write(&fx.config, config).unwrap();
    let id = fx.backup();
    let client = common::client().await;
    let image = db_image(&client, &fx.database).await;
    assert!(image.documents() > 0, "the fixture seeds documents");
    client
        .database(&fx.database)
        .drop()
        .await
        .expect("drop the database");
    (id, image)
}

/// Starts the console, opens tab 7, starts the wizard and walks it to the typed
/// confirmation of the restore, which is typed and confirmed.
fn walk_to_the_restore(session: &mut PtySession, fx: &Fixture, id: &str) {
    session.wait_for_text("Server version", START);
    session.send(b"7");
    session.wait_for_text("n or Enter to start a new recovery", START);
    session.send(b"n");
    let screen = session.wait_for("detection to propose an incident", JOB, |s| {
        s.contains("Proposed incident: Database lost")
    });
    assert!(screen.contains("Step 1 of 8: Detection"), "{screen}");
    session.send(b"\r");
    session.wait_for_text("Step 2 of 8: Reaction", START);
    pause();
    session.send(b"x");
    session.wait_for_text("Step 3 of 8: Recovery point", START);
    let screen = session.wait_for("the recovery point", JOB, |s| {
        s.contains("Deep verify") && s.contains(id)
    });
    assert!(joined(&screen).contains("Data-loss window"), "{screen}");
    session.send(b"\r");
    let screen = session.wait_for_text("Step 4 of 8: Safety backup", START);
    assert!(screen.contains("take the safety backup"), "{screen}");
    pause();
    session.send(b"\r");
    let screen = session.wait_for("the typed confirmation", JOB, |s| {
        s.contains("Step 5 of 8: Restore") && s.contains("to confirm")
    });
    assert!(screen.contains("This OVERWRITES"), "{screen}");
    assert!(screen.contains(&fx.database), "{screen}");
    pause();
    session.send(b"wrong\r");
    session.wait_for_text("that is not", START);
    session.send(&[0x15]); // Ctrl-U clears the field
    pause();
    session.send(fx.database.as_bytes());
    pause();
    session.send(b"\r");
}

/// Waits until verification has run after the restore and passed.
fn wait_for_verification(session: &PtySession) -> String {
    let screen = session.wait_for("verification after the restore", JOB, |s| {
        s.contains("Step 6 of 8: Verification")
            && (s.contains("Verification passed") || s.contains("Verification FAILED"))
    });
    assert!(screen.contains("Verification passed"), "{screen}");
    screen
}

async fn assert_restored(fx: &Fixture, image: &restore_support::DbImage) {
    let client = common::client().await;
    let now = db_image(&client, &fx.database).await;
    assert_eq!(now.documents(), image.documents());
    if let Some(diff) = image.difference(&now) {
        panic!("the restored database differs from the backup: {diff}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_database_is_recovered_through_all_eight_steps() {
    let fx = Fixture::new("pty_recover_walk").await;
    let (id, image) = dropped_database(&fx).await;
    let mut session = spawn(&fx);
    walk_to_the_restore(&mut session, &fx, &id);
    wait_for_verification(&session);
    assert_restored(&fx, &image).await;

    session.send(b"\r");
    session.wait_for_text("Step 7 of 8: Inform users", START);
    pause();
    session.send(b"x");
    session.wait_for_text("Step 8 of 8: Post-incident report", START);
    pause();
    session.send(b"e");
    session.wait_for_text("Enter new line", START);
    session.send(b"Backups hourly");
    pause();
    session.send(b"\r");
    session.send(b"Limit drop rights");
    pause();
    session.send(&[0x1b]);
    session.wait_for("the notes kept", START, |s| {
        s.contains("Limit drop rights") && !s.contains("Enter new line")
    });
    pause();
    session.send(b"\r");
    let screen = session.wait_for_text("closed; the report is written", JOB);
    assert!(screen.contains("incidents"), "{screen}");

    let dir = state_dir(&fx);
    assert!(saved_wizard(&dir).is_none(), "the open wizard is closed");
    let reports: Vec<PathBuf> = std::fs::read_dir(dir.join("incidents"))
        .expect("the incidents directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let report = std::fs::read_to_string(&reports[0]).unwrap();
    for wanted in [
        "## Timeline",
        "Database lost",
        &id,
        "restore finished",
        "verification passed",
        "Backups hourly",
        "Limit drop rights",
        "the team was not notified (skipped)",
    ] {
        assert!(report.contains(wanted), "{wanted} missing in:\n{report}");
    }
    session.send(b"q");
    session.wait_exit(START);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_console_killed_during_the_restore_resumes_and_finishes_it() {
    let fx = Fixture::new("pty_recover_kill").await;
    let (id, image) = dropped_database(&fx).await;
    let dir = state_dir(&fx);
    let mut session = spawn(&fx);
    walk_to_the_restore(&mut session, &fx, &id);
    let saved = poll_until(START, || {
        saved_wizard(&dir).filter(|w| w["restore"]["job_key"].is_string())
    })
    .expect("the wizard is saved with the restore job's key");
    assert_eq!(saved["step"], "restore", "{saved}");
    let key = saved["restore"]["job_key"].as_str().unwrap().to_string();
    let pid = session.pid().expect("console pid");
    // SAFETY: kill(2) on the pid of the console this test started.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    drop(session);

    let mut session = spawn(&fx);
    session.wait_for_text("Server version", START);
    session.send(b"7");
    let screen = session.wait_for("the resumed wizard", START, |s| {
        s.contains("Step 5 of 8: Restore") || s.contains("Step 6 of 8: Verification")
    });
    assert!(!screen.contains("n or Enter to start"), "{screen}");
    wait_for_verification(&session);
    assert_restored(&fx, &image).await;
    let resumed = saved_wizard(&dir).expect("still open");
    assert_eq!(resumed["restore"]["job_key"], key.as_str());
    assert_eq!(resumed["restore"]["state"], "done", "{resumed}");
    assert!(
        resumed["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["what"]
                .as_str()
                .unwrap_or("")
                .starts_with("restore finished")),
        "{resumed}"
    );
    session.send(b"q");
    session.wait_exit(START);
}
