//! `scandyctl check daily` on generated installs: every daily item passing and failing with
//! its exact evidence, site command items (ok, warning, failed, timeout), the Nagios line
//! and exit codes, and what the run records (checklists.json, the maintenance log).

mod backup_support;
mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use backup_support::{Fixture, assert_success};
use serde_json::Value;

/// A directory with a `systemctl` that reports `state` for every unit (like `systemctl
/// show`), to put first on PATH.
fn fake_systemctl(dir: &Path, state: &str, sub: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("systemctl");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '%s\\n' 'ActiveState={state}' 'SubState={sub}' \
             'ActiveEnterTimestamp=Thu 2026-11-26 10:00:00 UTC' 'NRestarts=0' 'MainPID=4242' \
             'LoadState=loaded'\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A Scandy log line at local time now minus `minutes_ago`.
fn log_line(minutes_ago: i64, level: &str, message: &str) -> String {
    let at = chrono::Local::now() - chrono::Duration::minutes(minutes_ago);
    format!(
        "{} - {level} - {message}\n",
        at.format("%Y-%m-%d %H:%M:%S,%3f")
    )
}

/// Writes `app/logs/app.log` (and removes the fixture's rotation and security log).
fn write_log(fx: &Fixture, text: &str) {
    std::fs::write(fx.root.join("app/logs/app.log"), text).unwrap();
    let _ = std::fs::remove_file(fx.root.join("app/logs/app.log.1"));
    let _ = std::fs::remove_file(fx.root.join("logs/security.log"));
}

/// The fixture's config with a health URL, the `scandy.service` unit and `extra` appended.
fn configure(fx: &Fixture, health_url: &str, extra: &str) {
    fx.write_config(&format!(
        "\n[web]\nhealth_url = \"{health_url}\"\n[system]\nunits = [\"scandy.service\"]\n\
         [logs]\nfiles = [\"app/logs/*.log\"]\n{extra}"
    ));
}

/// Runs `check ARGS` with the fake systemctl first on PATH.
fn check(fx: &Fixture, args: &[&str]) -> Output {
    let bin = fx.dir.path().join("bin");
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    fx.command(&all)
        .env("PATH", path)
        .output()
        .expect("run check")
}

/// `check daily --json`: the exit code and the items by id.
fn check_json(fx: &Fixture) -> (i32, Value) {
    let out = check(fx, &["daily", "--json"]);
    let value: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), value)
}

fn item<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no item {id} in {report:#}"))
}

fn evidence(item: &Value) -> Vec<String> {
    item["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

const PASSING: &str = "[checklists]\ndisk_warn_percent = 1\ndisk_fail_percent = 0\n";

#[tokio::test(flavor = "multi_thread")]
async fn daily_checklist_passes_on_a_healthy_install() {
    let fx = Fixture::new("check_daily_ok").await;
    configure(
        &fx,
        &common::web_stand_in(
            "200 OK",
            "{\"status\": \"healthy\", \"database\": \"connected\"}",
        ),
        PASSING,
    );
    fake_systemctl(&fx.dir.path().join("bin"), "active", "running");
    write_log(
        &fx,
        &log_line(
            30,
            "INFO",
            "Request: GET http://10.0.0.5:5000/tools/ - IP: 10.0.0.9",
        ),
    );
    let id = fx.backup();
    assert_success(&fx.run(&["verify", &id, "--deep"]), "verify");

    let (code, report) = check_json(&fx);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["checklist"], "daily");
    assert_eq!(report["outcome"], "ok");
    for id in [
        "SCY-LOG-001",
        "SCY-DSK-001",
        "SCY-BKP-001",
        "SCY-SVC-001",
        "SCY-WEB-001",
    ] {
        assert_eq!(
            item(&report, id)["severity"],
            "ok",
            "{id}: {:#}",
            item(&report, id)
        );
    }
    let backup = item(&report, "SCY-BKP-001");
    let summary = backup["summary"].as_str().unwrap();
    assert!(
        summary.starts_with(&format!("newest good backup {id} is ")),
        "{summary}"
    );
    assert!(
        summary.ends_with("verified (deep, ") || summary.contains(", verified (deep, "),
        "{summary}"
    );
    assert!(
        evidence(backup)[0].starts_with(&format!("{id}: full, ")),
        "{backup:#}"
    );
    assert!(
        evidence(backup).contains(&"no backup schedule (see `scandyctl schedule`)".to_string())
    );
    assert!(
        item(&report, "SCY-LOG-001")["summary"]
            .as_str()
            .unwrap()
            .starts_with("no errors or warnings since "),
    );
    assert_eq!(
        item(&report, "SCY-SVC-001")["summary"],
        "1 of 1 services running"
    );
    assert_eq!(
        evidence(item(&report, "SCY-SVC-001")),
        ["scandy.service: active (running)"]
    );
    assert!(
        item(&report, "SCY-WEB-001")["summary"]
            .as_str()
            .unwrap()
            .starts_with("healthy (")
    );
    let disk = evidence(item(&report, "SCY-DSK-001"));
    assert!(
        disk.iter().any(|l| l.contains("backup directory")),
        "{disk:?}"
    );
    assert!(
        disk.iter()
            .all(|l| l.contains("growth: measured from the next check on")),
        "{disk:?}"
    );

    // The Nagios line: state, summary, performance data with thresholds.
    let out = check(&fx, &["daily", "--nagios"]);
    assert_eq!(out.status.code(), Some(0));
    let line = String::from_utf8(out.stdout).unwrap();
    let line = line.trim_end();
    assert!(
        line.starts_with("SCANDY DAILY OK - 5 items ok | "),
        "{line}"
    );
    let perf = line.split(" | ").nth(1).unwrap();
    let labels: Vec<&str> = perf
        .split(' ')
        .map(|p| p.split('=').next().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "log_errors",
            "log_warnings",
            "disk_free_percent",
            "backup_age_hours",
            "health_ms"
        ]
    );
    for datum in perf.split(' ') {
        let (_, values) = datum.split_once('=').unwrap();
        let value = values.split(';').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "{datum} in {line}");
    }
    assert!(perf.contains(";26;50"), "{perf}");
    assert!(
        perf.contains("disk_free_percent=") && perf.contains(";1;0"),
        "{perf}"
    );

    // The second run saw growth samples from the first and completed the round again.
    let state: Value = serde_json::from_slice(
        &std::fs::read(fx.dir.path().join("state/checklists.json")).unwrap(),
    )
    .unwrap();
    let round = &state["rounds"]["daily"];
    assert!(round["completed"].is_string(), "{state:#}");
    assert_eq!(round["results"].as_object().unwrap().len(), 5);
    assert!(state["completed"]["daily"].is_string());
    let log = std::fs::read_to_string(fx.dir.path().join("state/maintenance-log.jsonl")).unwrap();
    assert!(log.contains("daily checklist: SCY-BKP-001 ok"), "{log}");
    assert!(log.contains("daily checklist completed"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn daily_checklist_fails_with_the_exact_evidence() {
    let fx = Fixture::new("check_daily_fail").await;
    configure(
        &fx,
        &common::web_stand_in(
            "503 Service Unavailable",
            "{\"status\": \"unhealthy\", \"database\": \"disconnected\"}",
        ),
        "[checklists]\ndisk_warn_percent = 100\ndisk_fail_percent = 100\n",
    );
    fake_systemctl(&fx.dir.path().join("bin"), "failed", "failed");
    let mut log = String::new();
    for n in 0..3 {
        log.push_str(&log_line(
            50 - n,
            "ERROR",
            &format!("Fehler beim Laden des Werkzeugs {n}: timeout"),
        ));
    }
    log.push_str(&log_line(40, "ERROR", "Datenbankverbindung verloren"));
    log.push_str(&log_line(
        35,
        "WARNING",
        "Statische Datei nicht gefunden: /static/js/delete.js - IP: 10.0.0.9",
    ));
    log.push_str(&log_line(
        34,
        "WARNING",
        "Statische Datei nicht gefunden: /static/js/delete.js - IP: 10.0.0.7",
    ));
    write_log(&fx, &log);
    // Scandy rotated its log since the last check: the rotation's entries count too.
    std::fs::write(
        fx.root.join("app/logs/app.log.1"),
        log_line(55, "ERROR", "Datenbankverbindung verloren"),
    )
    .unwrap();

    let (code, report) = check_json(&fx);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["outcome"], "failed");

    let backup = item(&report, "SCY-BKP-001");
    assert_eq!(backup["severity"], "failed");
    assert_eq!(
        backup["summary"],
        format!("no good backup in {}", fx.backups.display())
    );

    let logs = item(&report, "SCY-LOG-001");
    assert_eq!(logs["severity"], "warning");
    let summary = logs["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("5 errors of 2 kinds, 2 new and 2 warnings since "),
        "{summary}"
    );
    let lines = evidence(logs);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].starts_with("NEW ERROR 3× Fehler beim Laden des Werkzeugs "),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("NEW ERROR 2× Datenbankverbindung verloren (first "),
        "{lines:?}"
    );
    assert!(
        lines[2].starts_with("WARNING 2× Statische Datei nicht gefunden: "),
        "{lines:?}"
    );

    let services = item(&report, "SCY-SVC-001");
    assert_eq!(services["severity"], "failed");
    assert_eq!(services["summary"], "0 of 1 services running");
    assert_eq!(evidence(services), ["scandy.service: failed (failed)"]);

    let web = item(&report, "SCY-WEB-001");
    assert_eq!(web["severity"], "failed");
    assert!(
        web["summary"]
            .as_str()
            .unwrap()
            .starts_with("not healthy: "),
        "{web:#}"
    );
    assert!(evidence(web)[0].contains(": 503 — "), "{web:#}");

    let disk = item(&report, "SCY-DSK-001");
    assert_eq!(disk["severity"], "failed");
    assert!(
        evidence(disk).iter().all(|l| l.contains("% free, failed)")),
        "{disk:#}"
    );
    assert!(disk["fix"].as_str().unwrap().contains("scandyctl prune"));

    // Since the last check: the same errors are not reported again; a known kind is not new.
    let mut more = std::fs::read_to_string(fx.root.join("app/logs/app.log")).unwrap();
    more.push_str(&log_line(0, "ERROR", "Datenbankverbindung verloren"));
    std::fs::write(fx.root.join("app/logs/app.log"), more).unwrap();
    let (_, again) = check_json(&fx);
    let logs = item(&again, "SCY-LOG-001");
    assert!(
        logs["summary"]
            .as_str()
            .unwrap()
            .starts_with("1 errors of 1 kinds and 0 warnings since "),
        "{logs:#}"
    );
    assert!(
        evidence(logs)[0].starts_with("ERROR 1× Datenbankverbindung verloren"),
        "{logs:#}"
    );

    // Hostile bytes from a log file reach the terminal escaped, in the human output too.
    let mut more = std::fs::read_to_string(fx.root.join("app/logs/app.log")).unwrap();
    more.push_str(&log_line(
        0,
        "ERROR",
        "Werkzeug \u{1b}[2J\u{1b}]0;pwned\u{7} kaputt",
    ));
    std::fs::write(fx.root.join("app/logs/app.log"), more).unwrap();
    let out = check(&fx, &["daily"]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(
        text.contains("NEW ERROR 1× Werkzeug \\x1b[<n>J\\x1b]<n>;pwned\\x07 kaputt"),
        "{text}"
    );
    assert!(
        text.contains("[failed ] SCY-BKP-001 Backup status: "),
        "{text}"
    );
    assert!(text.contains("fix: Take a backup now"), "{text}");

    let out = check(&fx, &["daily", "--nagios"]);
    assert_eq!(out.status.code(), Some(2));
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(
        line.starts_with(
            "SCANDY DAILY CRITICAL - 4 failed (SCY-DSK-001 SCY-BKP-001 SCY-SVC-001 SCY-WEB-001) | "
        ),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn site_command_items_decide_ok_warning_failed_and_timeout() {
    let fx = Fixture::new("check_daily_custom").await;
    let url = common::web_stand_in("200 OK", "{\"status\": \"healthy\"}");
    fake_systemctl(&fx.dir.path().join("bin"), "active", "running");
    write_log(&fx, &log_line(5, "INFO", "ok"));
    let id = fx.backup();
    assert_success(&fx.run(&["verify", &id]), "verify");
    let items = |command: &str, timeout: u32| {
        format!(
            "{PASSING}[[checklists.items]]\nid = \"SITE-UPS-001\"\ncadence = \"daily\"\n\
             title = \"USV-Selbsttest\"\ncommand = \"{command}\"\ntimeout_secs = {timeout}\n\
             fix = \"Akku tauschen\"\n\
             [[checklists.items]]\nid = \"SITE-KEY-001\"\ncadence = \"daily\"\ntitle = \"Schlüsselkasten abgeschlossen\"\n"
        )
    };
    let cases = [
        (
            "echo 'USV: Akku 100 %'",
            0,
            "ok",
            "exit 0 (ok): USV: Akku 100 %",
        ),
        (
            "echo 'USV: Akku 60 %'; exit 1",
            1,
            "warning",
            "exit 1 (warning): USV: Akku 60 %",
        ),
        (
            "echo 'USV: kein Netz' >&2; exit 2",
            2,
            "failed",
            "exit 2 (failed): USV: kein Netz",
        ),
        (
            "sleep 30",
            2,
            "failed",
            "the command did not finish within 1 s and was killed",
        ),
    ];
    for (command, want_code, severity, summary) in cases {
        let timeout = if command.starts_with("sleep") { 1 } else { 10 };
        configure(&fx, &url, &items(command, timeout));
        let (code, report) = check_json(&fx);
        assert_eq!(code, want_code, "{command}: {report:#}");
        let ups = item(&report, "SITE-UPS-001");
        assert_eq!(ups["severity"], severity, "{command}");
        assert_eq!(ups["summary"], summary, "{command}");
        assert_eq!(ups["kind"], "command");
        assert_eq!(report["manual_items"], serde_json::json!(["SITE-KEY-001"]));
        let out = check(&fx, &["daily", "--nagios"]);
        assert_eq!(out.status.code(), Some(want_code), "{command}");
        if want_code == 1 {
            assert!(
                String::from_utf8_lossy(&out.stdout)
                    .starts_with("SCANDY DAILY WARNING - 1 warning (SITE-UPS-001) | "),
                "{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
    // The manual item keeps the round open: automatic runs alone do not complete it.
    let state: Value = serde_json::from_slice(
        &std::fs::read(fx.dir.path().join("state/checklists.json")).unwrap(),
    )
    .unwrap();
    assert!(state["rounds"]["daily"]["completed"].is_null(), "{state:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn could_not_check_exits_3() {
    let fx = Fixture::new("check_daily_unknown").await;
    configure(
        &fx,
        &common::web_stand_in("200 OK", "{\"status\": \"healthy\"}"),
        PASSING,
    );
    fake_systemctl(&fx.dir.path().join("bin"), "active", "running");
    std::fs::remove_dir_all(fx.root.join("app/logs")).unwrap();
    let _ = std::fs::remove_file(fx.root.join("logs/security.log"));
    let id = fx.backup();
    assert_success(&fx.run(&["verify", &id]), "verify");
    let out = check(&fx, &["daily", "--nagios"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(
        line.starts_with("SCANDY DAILY UNKNOWN - 1 could not check (SCY-LOG-001) | "),
        "{line}"
    );

    // A broken config file is "could not check" too, naming the file.
    std::fs::write(&fx.config, "[checklists]\ndisk_warn_percnt = 3\n").unwrap();
    let out = check(&fx, &["daily", "--nagios"]);
    assert_eq!(out.status.code(), Some(3));
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(line.starts_with("SCANDY DAILY UNKNOWN - "), "{line}");
    assert!(
        line.contains(fx.config.to_str().unwrap()) && line.contains("disk_warn_percnt"),
        "{line}"
    );
    assert_eq!(line.lines().count(), 1, "{line}");
}
