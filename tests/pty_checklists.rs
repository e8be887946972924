//! End to end in a pseudo-terminal against the test MongoDB: on a generated install whose
//! config adds a site command item and a manual item, the Checklists tab runs the daily
//! checklist's automatic items in the background, waits for every result, confirms the
//! manual item with a comment and shows the checklist completed; `checklists.json` and the
//! maintenance log record it. Headless, `scandyctl watch --once` raises the
//! `checklist-overdue` alert from the same state directory.

mod backup_support;
mod common;
mod pty_support;

use std::path::PathBuf;
use std::time::Duration;

use backup_support::Fixture;
use pty_support::{PtySession, closed_port};

const START: Duration = Duration::from_secs(30);
const RUN: Duration = Duration::from_secs(300);

const COMMENT: &str = "Serverraum zu, Schluessel im Tresor";

fn pause() {
    std::thread::sleep(Duration::from_millis(150));
}

/// The item rows of the screen that are still open, queued or running.
fn unfinished(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| l.contains("not done") || l.contains("queued") || l.contains("running …"))
        .map(|l| l.trim().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daily_checklist_is_walked_to_the_end() {
    let fx = Fixture::new("pty_checklists_daily").await;
    fx.backup();
    let mut config = std::fs::read_to_string(&fx.config).unwrap();
    config.push_str(&format!(
        "[web]\nhealth_url = \"http://127.0.0.1:{}/health\"\n\n\
         [checklists]\n\
         [[checklists.items]]\nid = \"SITE-UPS-001\"\ncadence = \"daily\"\ntitle = \"UPS reports ok\"\ncommand = \"echo 'UPS: online, battery 100 %'\"\ntimeout_secs = 10\n\n\
         [[checklists.items]]\nid = \"SITE-KEY-001\"\ncadence = \"daily\"\ntitle = \"Server room locked\"\nfix = \"Lock it and put the key into the safe.\"\n",
        closed_port()
    ));
    std::fs::write(&fx.config, config).unwrap();
    let state_dir: PathBuf = fx.dir.path().join(".scandyctl-state");

    let path = fx.config.display().to_string();
    let mut session = PtySession::spawn(&["--config", &path], fx.dir.path(), &[]);
    session.wait_for_text("Server version", START);
    session.send(b"6");
    let screen = session.wait_for("the daily checklist", START, |s| {
        s.contains("▶Daily: never done") && s.contains("SITE-KEY-001")
    });
    for id in ["SCY-LOG-001", "SCY-BKP-001", "SITE-UPS-001", "SITE-KEY-001"] {
        assert!(screen.contains(id), "{id} missing:\n{screen}");
    }
    pause();
    session.send(b"a");
    session.wait_for_text("automatic items in the background", START);
    let screen = session.wait_for("every automatic item to show its result", RUN, |s| {
        let open = unfinished(s);
        open.len() == 1 && open[0].contains("SITE-KEY-001")
    });
    assert!(
        screen.contains("UPS: online, battery 100 %"),
        "the command item's output is its summary:\n{screen}"
    );

    pause();
    session.send(b"\x1b[F"); // End: the manual item is the last one
    session.wait_for_text("do it, then confirm it with c", START);
    pause();
    session.send(b"c");
    session.wait_for_text("Comment on SITE-KEY-001 (optional)", START);
    session.send(COMMENT.as_bytes());
    pause();
    session.send(b"\r");
    let screen = session.wait_for("the checklist completed", RUN, |s| {
        s.contains("Daily checklist completed") && s.contains("▶Daily: done")
    });
    assert!(unfinished(&screen).is_empty(), "{screen}");
    assert!(screen.contains(COMMENT), "the comment is shown:\n{screen}");

    session.send(b"l");
    let screen = session.wait_for_text("Maintenance log ·", START);
    assert!(screen.contains("daily checklist completed"), "{screen}");
    session.send(b"q");
    session.wait_exit(START);

    let text = std::fs::read_to_string(state_dir.join("checklists.json")).expect("checklists.json");
    let state: serde_json::Value = serde_json::from_str(&text).unwrap();
    let daily = &state["rounds"]["daily"];
    assert!(
        daily["completed"].is_string(),
        "the round is completed: {text}"
    );
    assert!(state["completed"]["daily"].is_string(), "{text}");
    assert_eq!(
        daily["results"]["SITE-KEY-001"]["comment"], COMMENT,
        "{text}"
    );
    assert_eq!(daily["results"]["SITE-UPS-001"]["severity"], "ok", "{text}");
    let results = daily["results"].as_object().unwrap();
    assert!(results.len() >= 7, "every daily item has a result: {text}");

    let entries = scandyctl::maintenance_log::read_entries(&state_dir);
    let checklist: Vec<_> = entries.iter().filter(|e| e.kind == "checklist").collect();
    assert!(
        checklist.iter().any(|e| e.title.contains("SITE-KEY-001")
            && (e.detail.contains(COMMENT) || e.evidence.iter().any(|l| l.contains(COMMENT)))),
        "{checklist:#?}"
    );
    assert!(
        checklist
            .iter()
            .any(|e| e.title == "daily checklist completed"),
        "{checklist:#?}"
    );
    assert!(
        checklist.len() > results.len(),
        "one entry per item and one for the completion: {checklist:#?}"
    );
}

#[test]
fn watch_once_raises_the_overdue_checklist_alert() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("backups")).unwrap();
    let state_dir = root.join("state");
    std::fs::create_dir_all(&state_dir).unwrap();
    let done = chrono::Utc::now() - chrono::Duration::days(3);
    let state = serde_json::json!({ "completed": { "daily": done, "weekly": chrono::Utc::now() } });
    std::fs::write(state_dir.join("checklists.json"), state.to_string()).unwrap();
    let config = root.join("scandyctl.toml");
    std::fs::write(
        &config,
        format!(
            "[scandy]\nroot = \"{r}\"\n[mongo]\nuri = \"mongodb://127.0.0.1:{m}/\"\n[backup]\ndir = \"{r}/backups\"\n[web]\nhealth_url = \"http://127.0.0.1:{w}/health\"\n",
            r = root.display(),
            m = closed_port(),
            w = closed_port()
        ),
    )
    .unwrap();
    let run = |state: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_scandyctl"))
            .arg("--config")
            .arg(&config)
            .args(["watch", "--once", "--json"])
            .env_remove("SCANDYCTL_CONFIG")
            .env_remove("MONGODB_URI")
            .env("SCANDYCTL_STATE_DIR", state)
            .current_dir(root)
            .output()
            .unwrap()
    };
    let out = run(&state_dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}{}", String::from_utf8_lossy(&out.stderr)));
    let alert = json["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "checklist-overdue")
        .unwrap_or_else(|| panic!("no checklist alert: {stdout}"));
    assert_eq!(alert["title"], "Checklist overdue: daily");
    assert_eq!(alert["priority"], "warning");
    assert!(
        alert["summary"].as_str().unwrap().contains("daily since"),
        "{alert}"
    );

    let empty = root.join("empty-state");
    let out = run(&empty);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("checklist-overdue"),
        "nothing done yet is not overdue: {stdout}"
    );
}
