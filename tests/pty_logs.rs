//! The Logs tab end to end: the real binary in a pseudo-terminal follows a growing
//! `app.log` across a rename rotation, never lets a log file's escape sequence reach the
//! terminal, and finds entries with the search.

mod pty_support;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use pty_support::{PtySession, closed_port};

const START: Duration = Duration::from_secs(10);
const SEEN: Duration = Duration::from_secs(5);

fn append(path: &Path, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

fn line(minute: u32, level: &str, message: &str) -> String {
    format!("2025-07-31 21:{minute:02}:00,000 - {level} - {message}\n")
}

fn spawn(dir: &Path) -> PtySession {
    std::fs::write(dir.join("scandyctl.toml"), "[ui]\nlanguage = \"en\"\n").unwrap();
    let config = dir.join("scandyctl.toml").display().to_string();
    let root = dir.display().to_string();
    let backups = dir.join("backups").display().to_string();
    let uri = format!("mongodb://127.0.0.1:{}", closed_port());
    PtySession::spawn(
        &[
            "--config",
            &config,
            "--root",
            &root,
            "--backup-dir",
            &backups,
            "--mongo-uri",
            &uri,
        ],
        dir,
        &[],
    )
}

#[test]
fn follows_a_growing_log_across_rotation_without_passing_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("app/logs");
    std::fs::create_dir_all(&logs).unwrap();
    let app = logs.join("app.log");
    append(&app, &line(1, "INFO", "Scandy gestartet FIRST-LINE"));
    append(
        &app,
        &line(2, "WARNING", "Statische Datei nicht gefunden: /static/x.js"),
    );

    let mut session = spawn(dir.path());
    session.wait_for_text("1 Overview", START);
    session.send(b"2");
    let screen = session.wait_for_text("FIRST-LINE", START);
    assert!(screen.contains("▶ following"), "{screen}");

    append(
        &app,
        &line(
            3,
            "ERROR",
            "Werkzeug mit Barcode 100042 nicht gefunden GROWN-1",
        ),
    );
    append(
        &app,
        "Traceback (most recent call last):\n  File \"x.py\", line 1, in f\nValueError: kaputt\n",
    );
    append(&app, &line(4, "INFO", "after the traceback GROWN-2"));
    let screen = session.wait_for_text("GROWN-2", SEEN);
    assert!(
        screen.contains("GROWN-1") && screen.contains("[+3 lines, Enter]"),
        "{screen}"
    );

    // Python's RotatingFileHandler: app.log becomes app.log.1, a new app.log starts.
    std::fs::rename(&app, logs.join("app.log.1")).unwrap();
    append(
        &app,
        &line(5, "INFO", "first line after rotation ROTATED-1"),
    );
    append(
        &app,
        &line(6, "INFO", "second line after rotation ROTATED-2"),
    );
    let screen = session.wait_for_text("ROTATED-2", SEEN);
    assert!(screen.contains("ROTATED-1"), "{screen}");
    assert_eq!(
        screen.matches("GROWN-2").count(),
        1,
        "nothing is shown twice across the rotation: {screen}"
    );

    append(
        &app,
        &line(
            7,
            "WARNING",
            "Login fehlgeschlagen \u{1b}]0;pwned\u{7}\u{1b}[2J HOSTILE",
        ),
    );
    let screen = session.wait_for_text("HOSTILE", SEEN);
    assert!(screen.contains("\\x1b]0;pwned\\x07\\x1b[2J"), "{screen}");
    let raw = session.raw_output();
    assert!(
        !raw.windows(8).any(|w| w == b"\x1b]0;pwne"),
        "the log's escape sequence never reaches the terminal"
    );

    session.send(b"/barcode");
    session.send(b"\r");
    let screen = session.wait_for_text("/barcode/", SEEN);
    assert!(
        screen.contains("⏸ paused"),
        "the search jumped to the match: {screen}"
    );
    session.send(b"q");
    assert_eq!(session.wait_exit(START), 0);
}
