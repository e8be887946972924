//! End-to-end: the real binary in a pseudo-terminal, screen rebuilt with vt100.

mod pty_support;

use std::time::Duration;

use pty_support::{PtySession, closed_port, silent_port};

const START: Duration = Duration::from_secs(10);

fn sandbox() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("scandyctl.toml"),
        "[ui]\nlanguage = \"en\"\n",
    )
    .unwrap();
    dir
}

fn console_args(dir: &std::path::Path, port: u16) -> Vec<String> {
    vec![
        "--config".into(),
        dir.join("scandyctl.toml").display().to_string(),
        "--root".into(),
        dir.display().to_string(),
        "--backup-dir".into(),
        dir.join("backups").display().to_string(),
        "--mongo-uri".into(),
        format!("mongodb://127.0.0.1:{port}"),
    ]
}

fn spawn_console(dir: &std::path::Path, port: u16, env: &[(&str, &str)]) -> PtySession {
    let args = console_args(dir, port);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    PtySession::spawn(&refs, dir, env)
}

#[test]
fn unreachable_mongo_tabs_help_and_quit() {
    let dir = sandbox();
    let mut session = spawn_console(dir.path(), closed_port(), &[]);
    session.wait_for_text("1 Overview", START);
    // The connection state must be known within a second of the first frame.
    let screen = session.wait_for_text("unreachable — retrying in", Duration::from_secs(1));
    assert!(screen.contains("7 Recovery"), "{screen}");
    assert!(screen.contains("refused"), "{screen}");
    assert!(screen.contains("nothing listens on that port"), "{screen}");

    session.send(b"2");
    session.wait_for_text("No log files found", Duration::from_secs(2));
    session.send(b"\t");
    session.wait_for_text("Top processes", Duration::from_secs(3));
    session.send(b"\x1b[Z"); // Shift-Tab
    session.wait_for_text("No log files found", Duration::from_secs(2));
    session.send(b"?");
    let help = session.wait_for_text("Keys", Duration::from_secs(2));
    assert!(
        help.contains("q, Ctrl-C") && help.contains("go to tab Recovery"),
        "{help}"
    );
    session.send(b"\x1b");
    session.wait_for("help closed", Duration::from_secs(2), |s| {
        !s.contains("go to tab Recovery")
    });
    session.send(b"1");
    session.wait_for_text("no backup sets yet", Duration::from_secs(2));
    session.send(b"q");
    assert_eq!(session.wait_exit(Duration::from_secs(5)), 0);
    assert!(
        session.screen_restored(),
        "alternate screen, cursor or mouse mode left on"
    );
    assert!(session.line_discipline_restored(), "raw mode left on");
}

#[test]
fn hanging_server_keeps_the_console_responsive() {
    let dir = sandbox();
    let mut session = spawn_console(dir.path(), silent_port(), &[]);
    session.wait_for_text("connecting (attempt 1)", START);
    // While the probe waits on a server that never answers, keys still work.
    session.send(b"4");
    session.wait_for_text("Next run", Duration::from_secs(1));
    session.wait_for_text("no backup sets in", Duration::from_secs(5));
    session.send(b"?");
    session.wait_for_text("Keys", Duration::from_secs(1));
    session.send(b"\x1b");
    session.wait_for("help closed", Duration::from_secs(1), |s| {
        !s.contains("go to tab Recovery")
    });
    session.send(b"1");
    session.wait_for_text("unreachable — retrying in", Duration::from_secs(10));
    let screen = session.screen();
    assert!(screen.contains("the server accepted"), "{screen}");
    session.send(b"\x03"); // Ctrl-C
    assert_eq!(session.wait_exit(Duration::from_secs(5)), 0);
    assert!(session.screen_restored() && session.line_discipline_restored());
}

#[test]
fn mouse_click_on_a_tab_selects_it() {
    let dir = sandbox();
    let mut session = spawn_console(dir.path(), closed_port(), &[]);
    session.wait_for_text("5 Database", START);
    let screen = session.screen();
    let column = screen.lines().next().unwrap().find("5 Database").unwrap() + 2;
    // SGR mouse: left button press and release at (column+1, row 1), 1-based.
    session.send(format!("\x1b[<0;{};1M\x1b[<0;{};1m", column + 1, column + 1).as_bytes());
    let screen = session.wait_for_text("Collections (0)", Duration::from_secs(2));
    assert!(
        screen.contains("The database cannot be read right now")
            && screen.contains("nothing listens on that port"),
        "the Database tab names the connection failure: {screen}"
    );
    session.send(b"q");
    assert_eq!(session.wait_exit(Duration::from_secs(5)), 0);
}

#[test]
fn panic_on_the_console_thread_restores_the_terminal() {
    let dir = sandbox();
    let mut session = spawn_console(
        dir.path(),
        closed_port(),
        &[("SCANDYCTL_DEBUG_PANIC", "ui")],
    );
    let code = session.wait_exit(START);
    assert_ne!(code, 0);
    assert!(session.screen_restored(), "screen:\n{}", session.screen());
    assert!(session.line_discipline_restored());
    let screen = session.screen();
    assert!(
        screen.contains("deliberate panic on the console thread"),
        "{screen}"
    );
}

#[test]
fn panic_in_a_background_task_is_shown_and_the_console_survives() {
    let dir = sandbox();
    let mut session = spawn_console(
        dir.path(),
        closed_port(),
        &[("SCANDYCTL_DEBUG_PANIC", "task")],
    );
    let screen = session.wait_for_text("Background task failed", START);
    assert!(
        screen.contains("deliberate panic in a background task"),
        "{screen}"
    );
    session.send(b"\x1b");
    session.wait_for("overlay closed", Duration::from_secs(2), |s| {
        !s.contains("Background task failed")
    });
    session.send(b"3");
    session.wait_for_text("Top processes", Duration::from_secs(3));
    session.send(b"q");
    assert_eq!(session.wait_exit(Duration::from_secs(5)), 0);
    assert!(session.screen_restored() && session.line_discipline_restored());
}

#[test]
fn german_console_follows_the_language_setting() {
    let dir = sandbox();
    let args = console_args(dir.path(), closed_port());
    let mut refs: Vec<&str> = args.iter().map(String::as_str).collect();
    refs.extend(["--lang", "de"]);
    let mut session = PtySession::spawn(&refs, dir.path(), &[]);
    session.wait_for_text("1 Übersicht", START);
    session.wait_for_text("nicht erreichbar", Duration::from_secs(2));
    session.send(b"q");
    assert_eq!(session.wait_exit(Duration::from_secs(5)), 0);
}
