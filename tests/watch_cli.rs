//! `scandyctl watch` end to end: `--once` against a dead install (no backups, no web app, no
//! MongoDB), rules that turn alerts off, the error rate from the logs, rule errors, and the
//! headless watcher logging events and stopping cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_scandyctl");

const PASSWORD: &str = "s3cretPw-9";

const ALL_DEFAULTS: [&str; 12] = [
    "disk",
    "memory",
    "cpu",
    "health",
    "mongo",
    "mongo_auth",
    "backup_age",
    "verify",
    "error_rate",
    "backup-failed",
    "backup-missed",
    "checklist-overdue",
];

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// An install directory with a config pointing at closed ports and an empty backup dir.
fn install(alerts: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("backups")).unwrap();
    std::fs::create_dir_all(root.join("app/logs")).unwrap();
    let config = format!(
        "[scandy]\nroot = \"{root}\"\n\n[mongo]\nuri = \"mongodb://admin:{PASSWORD}@127.0.0.1:{mongo}/?authSource=admin\"\n\n\
         [backup]\ndir = \"{root}/backups\"\n\n[logs]\nfiles = [\"app/logs/*.log\"]\n\n\
         [web]\nhealth_url = \"http://127.0.0.1:{web}/health\"\n\n{alerts}",
        root = root.display(),
        mongo = closed_port(),
        web = closed_port(),
    );
    std::fs::write(root.join("scandyctl.toml"), config).unwrap();
    dir
}

fn command(root: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("--config")
        .arg(root.join("scandyctl.toml"))
        .arg("watch")
        .args(args)
        .env_remove("SCANDYCTL_CONFIG")
        .env_remove("MONGODB_URI")
        .env_remove("MONGODB_DB")
        .env("SCANDYCTL_STATE_DIR", root.join("state"))
        .current_dir(root);
    cmd
}

fn run(root: &Path, args: &[&str]) -> Output {
    command(root, args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn alert_ids(json: &Value) -> Vec<String> {
    json["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

fn disable(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("[[alerts]]\nname = \"{n}\"\nenabled = false\n\n"))
        .collect()
}

#[test]
fn once_json_reports_health_mongo_and_backup_alerts_with_exit_3() {
    let dir = install("");
    let out = run(dir.path(), &["--once", "--json"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}{}", text(&out.stderr));
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let ids = alert_ids(&json);
    for id in ["health", "mongo", "backup_age"] {
        assert!(ids.contains(&id.to_string()), "{id} missing in {ids:?}");
    }
    assert!(!ids.contains(&"mongo_auth".to_string()), "{ids:?}");
    let backup = json["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "backup_age")
        .unwrap();
    assert_eq!(backup["priority"], "critical");
    assert_eq!(backup["title"], "No backup found");
    let mongo = json["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "mongo")
        .unwrap();
    assert_eq!(mongo["priority"], "critical");
    assert!(mongo["summary"].as_str().unwrap().contains("refused"));
    assert_eq!(json["rules"], 12);
    assert!(!stdout.contains(PASSWORD), "the password leaked: {stdout}");
    assert!(!text(&out.stderr).contains(PASSWORD));
}

#[test]
fn once_with_the_alerts_disabled_exits_0() {
    let dir = install(&disable(&ALL_DEFAULTS));
    let out = run(dir.path(), &["--once", "--json"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(alert_ids(&json), Vec::<String>::new());
    assert_eq!(json["rules"], 0);

    let out = run(dir.path(), &["--once"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("no active alerts (0 rules checked)"));
}

#[test]
fn once_counts_recent_errors_in_the_logs() {
    let mut off: Vec<&str> = ALL_DEFAULTS.to_vec();
    off.retain(|n| *n != "error_rate");
    let dir = install(&disable(&off));
    let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S");
    let mut log = String::new();
    for i in 0..60 {
        log.push_str(&format!(
            "{now},{i:03} - ERROR - Werkzeug {i} nicht gefunden\n"
        ));
        log.push_str(&format!("{now},{i:03} - INFO - Request {i}\n"));
    }
    std::fs::write(dir.path().join("app/logs/app.log"), log).unwrap();
    let out = run(dir.path(), &["--once", "--json"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}{}", text(&out.stderr));
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(alert_ids(&json), ["error_rate"]);
    assert_eq!(json["alerts"][0]["value"], 12.0);
    assert_eq!(json["alerts"][0]["priority"], "warning");
}

#[test]
fn a_bad_rule_is_a_config_error_naming_the_key() {
    let dir = install("[[alerts]]\nname = \"disk\"\nwarnnig = 80\n");
    let out = run(dir.path(), &["--once"]);
    assert_eq!(out.status.code(), Some(5));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("alerts[0].warnnig"), "{stderr}");
    assert!(stderr.contains("scandyctl.toml:"), "{stderr}");
}

#[test]
fn json_needs_once() {
    let dir = install("");
    let out = run(dir.path(), &["--json"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Runs the watcher until a stdout line starts with `wanted`, then sends SIGTERM; returns
/// every stdout line and asserts a clean exit 0.
fn watch_until(root: &Path, envs: &[(&str, &str)], wanted: &str) -> Vec<String> {
    let mut child = command(root, &[])
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines: Vec<String> = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !lines.iter().any(|l| l.starts_with(wanted)) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => lines.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("no line starting with {wanted:?}; got {lines:?}");
            }
        }
    }
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: sends SIGTERM to our own child process.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{lines:?}");
    lines.extend(rx.iter());
    assert_eq!(lines.last().map(String::as_str), Some("watch stopped"));
    lines
}

#[test]
fn the_watcher_logs_events_and_stops_on_sigterm() {
    let mut off: Vec<&str> = ALL_DEFAULTS.to_vec();
    off.retain(|n| *n != "backup_age");
    let dir = install(&disable(&off));
    let lines = watch_until(
        dir.path(),
        &[],
        "alert firing: backup_age critical No backup found",
    );
    assert!(
        lines[0].starts_with("watch started: 1 rules, every 5 s, notify channels: none"),
        "{lines:?}"
    );
}

#[test]
fn a_failing_channel_is_reported_and_retried_without_leaking_its_token() {
    let mut off: Vec<&str> = ALL_DEFAULTS.to_vec();
    off.retain(|n| *n != "backup_age");
    let notify = format!(
        "[notify]\n\n[notify.escalation]\ncritical = [\"hook\"]\n\n[[notify.channels]]\n\
         name = \"hook\"\nkind = \"webhook\"\nformat = \"gotify\"\n\
         url = \"http://127.0.0.1:{}/message\"\ntoken_env = \"WATCH_TEST_TOKEN\"\n\n",
        closed_port()
    );
    let dir = install(&format!("{notify}{}", disable(&off)));
    let token = "tok-7f3a9c2e-SECRET";
    let lines = watch_until(
        dir.path(),
        &[("WATCH_TEST_TOKEN", token)],
        "notify hook failed: ",
    );
    let failed = lines
        .iter()
        .find(|l| l.starts_with("notify hook failed: "))
        .unwrap();
    assert!(failed.ends_with("(retry in 30 s)"), "{failed}");
    assert!(lines[0].contains("notify channels: hook"), "{lines:?}");
    assert!(lines.iter().all(|l| !l.contains(token)), "{lines:?}");
}
