//! The Database tab end to end: the real binary in a pseudo-terminal against the test
//! MongoDB with generated Scandy data — statistics as the server reports them, validate and
//! compact as jobs, a data health finding fixed after its confirmation.

mod backup_support;
mod common;
mod pty_support;

use std::time::Duration;

use backup_support::Fixture;
use mongodb::bson::{Document, doc};
use pty_support::PtySession;

const START: Duration = Duration::from_secs(20);
const JOB: Duration = Duration::from_secs(60);

/// The screen's lines trimmed and joined by spaces, so wrapped text can be searched.
fn joined(screen: &str) -> String {
    screen.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread")]
async fn database_tab_shows_statistics_and_runs_maintenance() {
    let fixture = Fixture::new("pty_db").await;
    let client = common::client().await;
    let db = client.database(&fixture.database);
    let tools = db.collection::<Document>("tools");
    let department = tools
        .find_one(doc! {})
        .await
        .unwrap()
        .and_then(|t| t.get_str("department").ok().map(str::to_string))
        .unwrap_or_else(|| "Werkstatt".into());
    // A tool marked as lent without any lending: the tool-status check finds it.
    tools
        .insert_one(doc! {
            "barcode": "990001",
            "name": "Prüfgerät",
            "status": "ausgeliehen",
            "department": &department,
            "deleted": false,
            "created_at": mongodb::bson::DateTime::now(),
        })
        .await
        .unwrap();
    let tool_count = tools.count_documents(doc! {}).await.unwrap();

    let config = fixture.config.display().to_string();
    let mut session = PtySession::spawn(&["--config", &config], fixture.dir.path(), &[]);
    session.wait_for_text("Server version", START);
    session.send(b"5");
    let title = format!("Collections of {}", fixture.database);
    let screen = session.wait_for("the collection table", START, |s| {
        s.contains(&title)
            && s.contains("Indexes of ")
            && s.lines().any(|l| l.trim_start().starts_with("tools "))
    });
    let tools_row = screen
        .lines()
        .find(|l| l.trim_start().starts_with("tools "))
        .unwrap_or_else(|| panic!("no tools row:\n{screen}"));
    assert!(
        tools_row
            .split_whitespace()
            .any(|cell| cell == tool_count.to_string()),
        "the tools row shows the driver's count {tool_count}: {tools_row}"
    );
    assert!(screen.contains("Indexes of "), "{screen}");

    // Select tools (sorting by name puts it in a known place is not needed: search for it).
    session.send(b"s\x1b[H"); // sort by the next column, Home
    let mut selected = String::new();
    for _ in 0..40 {
        let screen = session.screen();
        if screen.contains("Indexes of tools") {
            selected = screen;
            break;
        }
        session.send(b"j");
        std::thread::sleep(Duration::from_millis(150));
    }
    assert!(
        selected.contains("Indexes of tools"),
        "{}",
        session.screen()
    );

    session.send(b"v");
    let screen = session.wait_for("validate to finish", JOB, |s| {
        s.contains("#1 validate tools") && !s.contains("▶ #1")
    });
    assert!(
        joined(&screen).contains("#1 validate tools: valid: 1 collection(s)"),
        "{screen}"
    );

    session.send(b"C");
    session.wait_for_text("Compact tools?", START);
    session.send(b"y");
    let screen = session.wait_for("compact to finish", JOB, |s| {
        s.contains("#2 compact tools") && !s.contains("▶ #2")
    });
    let text = joined(&screen);
    assert!(
        text.contains("compact on tools: not supported by this server")
            || text.contains("✓ #2 compact tools: compacted"),
        "a server without compact says so; one with it compacts: {screen}"
    );

    session.send(b"H");
    let screen = session.wait_for("the health checks", JOB, |s| {
        s.contains("checked ") && s.contains("Tool status")
    });
    let status_row = screen
        .lines()
        .find(|l| l.contains("Tool status matches"))
        .unwrap()
        .to_string();
    assert!(
        status_row.contains('✗') && status_row.contains("F applies"),
        "{status_row}"
    );
    session.send(b"\x1b[H"); // Home: the first check is tool-status
    session.send(b"F");
    let screen = session.wait_for_text("Apply fix tool-status?", START);
    assert!(screen.contains("db.tools.updateMany("), "{screen}");
    session.send(b"y");
    let screen = session.wait_for("the fix and the new checks", JOB, |s| {
        s.contains("#3 fix tool-status") && s.contains("Health: 0 problem(s)")
    });
    assert!(
        joined(&screen).contains("#3 fix tool-status: 1 document(s) changed"),
        "{screen}"
    );
    let fixed = tools
        .find_one(doc! { "barcode": "990001" })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fixed.get_str("status").unwrap(), "verfügbar");

    session.send(b"q");
    assert_eq!(session.wait_exit(START), 0);
}
