//! The maintenance log end to end: append-only hash chain, monthly rotation, `scandyctl
//! log` and `scandyctl log verify` (the real binary), and the entries real commands leave.

mod backup_support;
mod common;
mod schedule_support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use backup_support::{Fixture, assert_success, stderr_text, stdout_text};
use chrono::{DateTime, Utc};
use scandyctl::maintenance_log::{
    MaintenanceEntry, append_entry, log_path, read_entries, verify_chain,
};

/// Longest any scandyctl run here may take before the test gives up on it.
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// Runs `cmd` to its end (killed after [`RUN_LIMIT`]) with no stdin.
fn output_within(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("start scandyctl");
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(RUN_LIMIT) {
        Ok(out) => out.expect("wait for scandyctl"),
        Err(_) => {
            // SAFETY: kill(2) on the pid of a child this test started.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("scandyctl did not finish within {RUN_LIMIT:?}");
        }
    }
}

/// `scandyctl ARGS` with `state` as its state directory and no configuration around.
fn scandyctl(state: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_scandyctl"));
    cmd.args(args)
        .env("SCANDYCTL_STATE_DIR", state)
        .env("HOME", state)
        .env_remove("SCANDYCTL_CONFIG")
        .env_remove("MONGODB_URI")
        .current_dir(state);
    output_within(cmd)
}

fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

fn raw_stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn entry_at(title: &str, at: DateTime<Utc>) -> MaintenanceEntry {
    MaintenanceEntry {
        at,
        kind: "checklist".into(),
        actor: "anna".into(),
        title: title.into(),
        ..MaintenanceEntry::default()
    }
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// A state directory holding a chained log of `n` entries (November 2026, a minute apart).
fn state_with_log(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let at = utc(&format!("2026-11-05T10:{i:02}:00Z"));
        append_entry(dir.path(), &entry_at(&format!("entry {}", i + 1), at)).unwrap();
    }
    dir
}

fn file_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    std::fs::write(path, format!("{}\n", lines.join("\n"))).unwrap();
}

/// Runs `log verify` and asserts exit 3 with `expected` among its lines.
fn assert_verify_names(state: &Path, expected: &str) {
    let out = scandyctl(state, &["log", "verify"]);
    let stdout = raw_stdout(&out);
    assert_eq!(code(&out), Some(3), "{stdout}{}", stderr_text(&out));
    assert!(
        stdout.lines().any(|l| l == expected),
        "expected line {expected:?} in:\n{stdout}"
    );
}

#[test]
fn appended_entries_come_back_in_order_and_written_lines_never_change() {
    let dir = state_with_log(4);
    let before = std::fs::read(log_path(dir.path())).unwrap();
    for i in 5..=7 {
        let at = utc(&format!("2026-11-06T08:0{i}:00Z"));
        append_entry(dir.path(), &entry_at(&format!("entry {i}"), at)).unwrap();
    }
    let after = std::fs::read(log_path(dir.path())).unwrap();
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "a written line changed"
    );
    let titles: Vec<String> = read_entries(dir.path())
        .into_iter()
        .map(|e| e.title)
        .collect();
    let expected: Vec<String> = (1..=7).map(|i| format!("entry {i}")).collect();
    assert_eq!(titles, expected);
}

#[test]
fn concurrent_appends_all_land_in_one_intact_chain() {
    let dir = tempfile::tempdir().unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || {
                for i in 0..10 {
                    let entry = MaintenanceEntry::now("backup", &format!("t{t} n{i}"), "");
                    append_entry(&path, &entry).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let entries = read_entries(dir.path());
    assert_eq!(entries.len(), 40);
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=40).collect::<Vec<u64>>());
    let report = verify_chain(dir.path());
    assert!(report.intact(), "{:?}", report.problems);
}

#[test]
fn log_verify_passes_an_intact_log() {
    let dir = state_with_log(5);
    let out = scandyctl(dir.path(), &["log", "verify"]);
    assert_eq!(code(&out), Some(0), "{}", stderr_text(&out));
    let stdout = raw_stdout(&out);
    assert!(
        stdout.starts_with("maintenance log: 5 entries in 1 file(s): maintenance-log.jsonl\n"),
        "{stdout}"
    );
    assert!(stdout.contains("chain intact"), "{stdout}");

    let out = scandyctl(dir.path(), &["log", "verify", "--json"]);
    assert_eq!(code(&out), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["intact"], true);
    assert_eq!(report["entries"], 5);
    assert_eq!(report["chained"], 5);
    assert_eq!(report["problems"], serde_json::json!([]));
}

#[test]
fn log_verify_names_an_edited_line() {
    let dir = state_with_log(5);
    let path = log_path(dir.path());
    let mut lines = file_lines(&path);
    lines[2] = lines[2].replace("entry 3", "entry 3 (harmless, honestly)");
    write_lines(&path, &lines);
    assert_verify_names(
        dir.path(),
        "maintenance-log.jsonl line 3: edited — its SHA-256 does not match line 4's prev",
    );
    let out = scandyctl(dir.path(), &["log", "verify", "--json"]);
    assert_eq!(code(&out), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["intact"], false);
    assert_eq!(
        report["problems"],
        serde_json::json!([{
            "file": "maintenance-log.jsonl",
            "line": 3,
            "kind": "edited",
            "message": "its SHA-256 does not match line 4's prev"
        }])
    );
}

#[test]
fn log_verify_names_a_deleted_middle_line() {
    let dir = state_with_log(5);
    let path = log_path(dir.path());
    let mut lines = file_lines(&path);
    lines.remove(2);
    write_lines(&path, &lines);
    assert_verify_names(
        dir.path(),
        "maintenance-log.jsonl line 3: deleted — 1 entry is missing before this line: entry 2 \
         (line 2) is followed by entry 4, and its prev matches no line",
    );
}

#[test]
fn log_verify_names_a_deleted_last_line() {
    let dir = state_with_log(5);
    let path = log_path(dir.path());
    let lines = file_lines(&path);
    write_lines(&path, &lines[..4]);
    assert_verify_names(
        dir.path(),
        "maintenance-log.jsonl line 4: deleted — the head records 5 entries, the log ends with \
         entry 4: 1 entry after this line is missing",
    );
}

#[test]
fn log_verify_names_a_reordered_pair_of_lines() {
    let dir = state_with_log(5);
    let path = log_path(dir.path());
    let mut lines = file_lines(&path);
    lines.swap(1, 2);
    write_lines(&path, &lines);
    assert_verify_names(
        dir.path(),
        "maintenance-log.jsonl line 2: reordered — its prev is the SHA-256 of line 3, not of \
         line 1 above it: lines are out of order",
    );
    assert_verify_names(
        dir.path(),
        "maintenance-log.jsonl line 3: reordered — its prev is the SHA-256 of line 1, not of \
         line 2 above it: lines are out of order",
    );
}

#[test]
fn rotation_by_month_keeps_one_chain_and_an_edit_shows_in_the_next_file() {
    let dir = tempfile::tempdir().unwrap();
    for (title, at) in [
        ("oct a", "2026-10-02T07:00:00Z"),
        ("oct b", "2026-10-15T07:00:00Z"),
        ("oct c", "2026-10-31T22:30:00Z"),
        ("nov a", "2026-11-01T06:00:00Z"),
        ("nov b", "2026-11-09T06:00:00Z"),
    ] {
        append_entry(dir.path(), &entry_at(title, utc(at))).unwrap();
    }
    let rotated = dir.path().join("maintenance-log-2026-10.jsonl");
    assert_eq!(file_lines(&rotated).len(), 3);
    assert_eq!(file_lines(&log_path(dir.path())).len(), 2);

    let out = scandyctl(dir.path(), &["log", "verify"]);
    assert_eq!(code(&out), Some(0), "{}", raw_stdout(&out));
    assert!(
        raw_stdout(&out).starts_with(
            "maintenance log: 5 entries in 2 file(s): maintenance-log-2026-10.jsonl, \
             maintenance-log.jsonl\n"
        ),
        "{}",
        raw_stdout(&out)
    );
    let out = scandyctl(dir.path(), &["log", "--json"]);
    let titles: Vec<String> = raw_stdout(&out)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["title"].to_string())
        .collect();
    assert_eq!(
        titles,
        [
            "\"oct a\"",
            "\"oct b\"",
            "\"oct c\"",
            "\"nov a\"",
            "\"nov b\""
        ]
    );

    let mut lines = file_lines(&rotated);
    lines[2] = lines[2].replace("oct c", "oct C");
    write_lines(&rotated, &lines);
    assert_verify_names(
        dir.path(),
        "maintenance-log-2026-10.jsonl line 3: edited — its SHA-256 does not match \
         maintenance-log.jsonl line 1's prev",
    );
}

#[test]
fn log_since_filters_and_a_bad_since_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    for (title, age) in [
        ("three days ago", chrono::TimeDelta::days(3)),
        ("two hours ago", chrono::TimeDelta::hours(2)),
        ("five minutes ago", chrono::TimeDelta::minutes(5)),
    ] {
        append_entry(dir.path(), &entry_at(title, now - age)).unwrap();
    }
    let out = scandyctl(dir.path(), &["log", "--since", "1d", "--json"]);
    assert_eq!(code(&out), Some(0), "{}", stderr_text(&out));
    let titles: Vec<String> = raw_stdout(&out)
        .lines()
        .map(|l| {
            let value: serde_json::Value = serde_json::from_str(l).unwrap();
            value["title"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(titles, ["two hours ago", "five minutes ago"]);

    let out = scandyctl(dir.path(), &["log", "--since", "30m"]);
    let stdout = raw_stdout(&out);
    assert!(stdout.contains("five minutes ago"), "{stdout}");
    assert!(!stdout.contains("two hours ago"), "{stdout}");

    let out = scandyctl(dir.path(), &["log", "--kind", "backup"]);
    assert_eq!(
        stdout_text(&out),
        "no maintenance log entries (of kind backup)"
    );

    for bad in ["yesterday", "7x", "2026-13-45"] {
        let out = scandyctl(dir.path(), &["log", "--since", bad]);
        assert_eq!(code(&out), Some(2), "{bad}");
        assert!(
            stderr_text(&out).contains(&format!("--since \"{bad}\": not a time")),
            "{bad}: {}",
            stderr_text(&out)
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn hostile_bytes_in_entries_are_printed_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let title = "\u{1b}]0;pwned\u{7}\u{1b}[2J cleared \u{9b}31m";
    let mut entry = MaintenanceEntry::now("backup", title, "detail \u{1b}[5m blink\nsecond line");
    entry.evidence = vec!["set \u{1b}[31mred".into()];
    entry
        .params
        .insert("collection".into(), "to\u{8}ols".into());
    append_entry(dir.path(), &entry).unwrap();

    let out = scandyctl(dir.path(), &["log"]);
    assert_eq!(code(&out), Some(0));
    let stdout = raw_stdout(&out);
    for raw in ['\u{1b}', '\u{7}', '\u{9b}', '\u{8}'] {
        assert!(!stdout.contains(raw), "raw {raw:?} printed: {stdout:?}");
    }
    assert!(
        stdout.contains("\\x1b]0;pwned\\x07\\x1b[2J cleared \\x9b31m"),
        "{stdout}"
    );
    assert!(stdout.contains("    detail \\x1b[5m blink\n    second line\n"));
    assert!(stdout.contains("    - set \\x1b[31mred\n"), "{stdout}");
    assert!(stdout.contains("collection=to\\x08ols"), "{stdout}");

    let out = scandyctl(dir.path(), &["log", "--json"]);
    let stdout = raw_stdout(&out);
    for raw in ['\u{1b}', '\u{7}', '\u{9b}', '\u{8}'] {
        assert!(!stdout.contains(raw), "raw {raw:?} in JSON: {stdout:?}");
    }
    let back: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(back["title"], title);
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_and_a_failing_restore_leave_their_entries() {
    let fx = Fixture::new("mlog_backup").await;
    let state = fx.dir.path().join("state");
    let out = output_within(fx.command(&["backup", "--type", "full"]));
    assert_success(&out, "backup");
    let id = stdout_text(&out);

    let entries = read_entries(&state);
    let backups: Vec<&MaintenanceEntry> = entries.iter().filter(|e| e.kind == "backup").collect();
    assert_eq!(backups.len(), 1, "{entries:#?}");
    let backup = backups[0];
    assert_eq!(backup.outcome, "ok");
    assert_eq!(backup.title, "full backup");
    assert_eq!(backup.params["type"], "full");
    assert_eq!(backup.params["via"], "cli");
    assert_eq!(backup.evidence.first(), Some(&format!("set {id}")));
    assert_eq!(backup.actor, scandyctl::maintenance_log::actor());

    let unknown = "scandy-20200101T000000Z-full";
    let out = output_within(fx.command(&["restore", unknown, "--yes"]));
    assert_eq!(code(&out), Some(1), "{}", stderr_text(&out));
    let entries = read_entries(&state);
    let restores: Vec<&MaintenanceEntry> = entries.iter().filter(|e| e.kind == "restore").collect();
    assert_eq!(restores.len(), 1, "{entries:#?}");
    let restore = restores[0];
    assert_eq!(restore.outcome, "failed");
    assert_eq!(restore.params["set"], unknown);
    assert_eq!(restore.evidence.len(), 1);
    assert!(
        stderr_text(&out).contains(&restore.evidence[0]),
        "the entry's evidence is the error the admin saw: {:?} / {}",
        restore.evidence,
        stderr_text(&out)
    );

    // A usage error changes nothing and is not an action: no entry.
    let out = output_within(fx.command(&["restore"]));
    assert_eq!(code(&out), Some(2));
    assert_eq!(read_entries(&state).len(), entries.len());

    let out = output_within(fx.command(&["log", "verify"]));
    assert_eq!(code(&out), Some(0), "{}", raw_stdout(&out));
    let out = output_within(fx.command(&["log", "--kind", "backup"]));
    let listing = raw_stdout(&out);
    assert!(listing.contains("ok        backup"), "{listing}");
    assert!(listing.contains(&format!("    - set {id}\n")), "{listing}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scheduled_run_leaves_a_backup_entry_naming_its_schedule_entry() {
    let fx = Fixture::new("mlog_schedule").await;
    fx.write_config(schedule_support::DAILY_UTC);
    schedule_support::write_state_daily_ran_days_ago(&fx, 1, None);
    let out = output_within(fx.command(&["schedule", "run", "--once"]));
    assert_success(&out, "schedule run --once");
    let sets = schedule_support::sets(&fx);
    assert_eq!(sets.len(), 1, "{sets:?}");

    let entries = read_entries(&schedule_support::state_dir(&fx));
    assert_eq!(entries.len(), 1, "{entries:#?}");
    let entry = &entries[0];
    assert_eq!(entry.kind, "backup");
    assert_eq!(entry.outcome, "ok");
    assert_eq!(entry.params["scheduled"], "daily");
    assert_eq!(entry.params["via"], "schedule");
    assert_eq!(
        entry.title,
        format!("scheduled {} backup", entry.params["type"])
    );
    assert_eq!(
        entry.evidence[..2],
        [
            format!("set {}", sets[0]),
            "verification passed".to_string()
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn console_jobs_record_their_outcome_ok_failed_and_cancelled() {
    use scandyctl::backup::verify::VerifyLevel;
    use scandyctl::jobs::run::run_job_logging_to;
    use scandyctl::jobs::{BackupChoice, JobResult, JobSpec};
    use tokio_util::sync::CancellationToken;

    let fx = Fixture::new("mlog_jobs").await;
    let mut ctx = scandyctl::config::LoadContext::from_process();
    for key in ["MONGODB_URI", "MONGODB_DB", "SCANDYCTL_CONFIG"] {
        ctx.env.remove(key);
    }
    let overrides = scandyctl::config::CliOverrides {
        config_file: Some(fx.config.clone()),
        ..Default::default()
    };
    let config = std::sync::Arc::new(scandyctl::config::load(&overrides, &ctx).unwrap().config);
    let state = fx.dir.path().join("job-state");
    let quiet: scandyctl::jobs::run::ProgressSink = std::sync::Arc::new(|_| {});
    let run = |spec: JobSpec, cancel: CancellationToken| {
        run_job_logging_to(state.clone(), config.clone(), spec, quiet.clone(), cancel)
    };

    let backup = run(
        JobSpec::Backup {
            choice: BackupChoice::Full,
        },
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let JobResult::Backup { id, .. } = backup else {
        panic!("{backup:?}")
    };
    let missing = "scandy-20200101T000000Z-full".to_string();
    let failed = run(
        JobSpec::Verify {
            id: missing.clone(),
            level: VerifyLevel::Quick,
        },
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    let cancelled = CancellationToken::new();
    cancelled.cancel();
    let stopped = run(
        JobSpec::Backup {
            choice: BackupChoice::Full,
        },
        cancelled,
    )
    .await
    .unwrap_err();
    assert!(
        scandyctl::backup::progress::is_cancelled(&stopped),
        "{stopped:#}"
    );

    let entries = read_entries(&state);
    let summary: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.kind.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("backup", "ok"),
            ("verify", "failed"),
            ("backup", "cancelled")
        ]
    );
    assert!(entries.iter().all(|e| e.params["via"] == "console"));
    assert_eq!(entries[0].evidence[0], format!("set {id}"));
    assert_eq!(entries[1].params["set"], missing);
    assert_eq!(entries[1].evidence, [format!("{failed:#}")]);
    assert!(verify_chain(&state).intact());
}
