//! Hostile bytes from files never reach the terminal: escape sequences in backup file
//! names, collection names, document values and log lines go through every output and
//! error path of list, status, verify, import, restore and logs, and come out escaped.

mod backup_support;
mod common;

use backup_support::{Fixture, file_snapshot};

/// Bytes a terminal would act on: ESC, BEL, CSI (C1) and the other C0 controls but
/// line feed and tab.
fn assert_clean(out: &std::process::Output, what: &str) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        let bad: Vec<char> = text
            .chars()
            .filter(|c| (c.is_control() && *c != '\n' && *c != '\t') || *c == '\u{9b}')
            .collect();
        assert!(
            bad.is_empty(),
            "{what}: raw control characters {bad:?} on {stream}: {text:?}"
        );
    }
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A JSON v1 backup whose collection names and values carry escape sequences, with one
/// collection holding a non-document (so reading it fails with the name in the message).
const HOSTILE_JSON: &str = r#"{"metadata": {"version": "1.0",
  "collections": [{"name": "tools\u001b[2J", "count": 1}]},
  "data": {
    "tools\u001b]0;owned\u0007": [{"_id": "6751a3f0c2b1e4a5d6f70811", "name": "\u001b[31mrot\u0007"}],
    "evil\u001b[5m\u009b": [1]
  }}"#;

/// A well-formed v2 backup whose `_id`s repeat.
const DUPLICATE_IDS: &str = r#"{"metadata": {"version": "2.0", "collections": ["tools"]},
  "data": {"tools": [{"_id": "6751a3f0c2b1e4a5d6f70811", "n": 1},
                     {"_id": "6751a3f0c2b1e4a5d6f70811", "n": 2}]}}"#;

fn legacy_ids(fx: &Fixture) -> Vec<(String, String)> {
    let out = fx.run(&["list", "--json"]);
    assert_clean(&out, "list --json");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    rows.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "legacy")
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_string(),
                r["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn escape_sequences_from_backups_and_logs_come_out_escaped_everywhere() {
    let fx = Fixture::new("hostile_bytes").await;
    let dir = fx.root.join("backups");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("scandy_backup_20261202_051315.json"), HOSTILE_JSON).unwrap();
    std::fs::write(
        dir.join("scandy_backup_20261130_020000.json"),
        DUPLICATE_IDS,
    )
    .unwrap();
    // A hostile file name, holding a readable backup.
    std::fs::write(
        dir.join("scandy_backup_20261201_020000\x1b]0;owned\x07.json"),
        DUPLICATE_IDS.replace("d6f70811\", \"n\": 2", "d6f70812\", \"n\": 2"),
    )
    .unwrap();
    // An unknown entry with a hostile name.
    std::fs::write(dir.join("scandy_\x1b[2J_backup.zip"), b"PK\x03\x04\x1b[31m").unwrap();
    let logs = fx.root.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(
        logs.join("app.log"),
        "2026-12-02 05:10:06,526 - app - ERROR - Fehler \x1b]0;owned\x07 beim \x1b[2JSpeichern\n\
         Traceback (most recent call last):\n  File \"x\x1b[31m.py\", line 1\n",
    )
    .unwrap();
    let before = file_snapshot(&dir);

    let ids = legacy_ids(&fx);
    let id_of = |part: &str| {
        ids.iter()
            .find(|(path, _)| path.contains(part))
            .unwrap_or_else(|| panic!("no backup {part} in {ids:?}"))
            .1
            .clone()
    };
    let hostile = id_of("20261202_051315");
    let duplicates = id_of("20261130_020000");
    let named = id_of("20261201_020000");

    for args in [vec!["list"], vec!["status"], vec!["status", "--json"]] {
        let out = fx.run(&args);
        assert_clean(&out, &args.join(" "));
    }
    let out = fx.run(&["status"]);
    assert!(
        stdout(&out).contains("\\x1b"),
        "the hostile names are shown, escaped"
    );

    // verify: the read fails inside the hostile collection; its name is in the message.
    let out = fx.run(&["verify", &hostile, "--deep"]);
    assert_clean(&out, "verify of the hostile backup");
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert!(stdout(&out).contains("evil\\x1b[5m"), "{}", stdout(&out));
    let out = fx.run(&["verify", &hostile, "--deep", "--json"]);
    assert_clean(&out, "verify --json of the hostile backup");
    let out = fx.run(&["verify", &named]);
    assert_clean(&out, "verify of the backup with a hostile name");
    let out = fx.run(&["verify", &duplicates, "--deep"]);
    assert_clean(&out, "verify of duplicate ids");
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert!(stdout(&out).contains("duplicate-id"), "{}", stdout(&out));

    // import and restore refuse it with the same escaped message.
    for args in [
        vec!["import", "--legacy", hostile.as_str()],
        vec![
            "restore",
            hostile.as_str(),
            "--to-db",
            "hbx_restore_a",
            "--yes",
        ],
        vec![
            "restore",
            duplicates.as_str(),
            "--to-db",
            "hbx_restore_b",
            "--yes",
        ],
        vec!["verify", "scandy_\x1b[2J_backup.zip"],
        vec!["import", "--legacy", "nonexistent\x1b[2J"],
    ] {
        let out = fx.run(&args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert_clean(&out, &format!("{args:?}"));
    }

    // logs: the message and the traceback, escaped, in every output form.
    for args in [
        vec!["logs", "--lines", "10"],
        vec!["logs", "--lines", "10", "--json"],
        vec!["logs", "--count", "--grep", "Fehler"],
    ] {
        let out = fx.run(&args);
        assert_clean(&out, &args.join(" "));
    }
    let out = fx.run(&["logs", "--lines", "10"]);
    assert!(
        stdout(&out).contains("Fehler \\x1b]0;owned\\x07"),
        "{}",
        stdout(&out)
    );

    assert_eq!(
        file_snapshot(&dir),
        before,
        "a command wrote into Scandy's backups"
    );
    let names = common::client().await.list_database_names().await.unwrap();
    assert!(
        !names.iter().any(|n| n.starts_with("hbx_restore_")),
        "a hostile backup was restored: {names:?}"
    );
}
