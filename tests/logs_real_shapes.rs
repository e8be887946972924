//! Logs shaped like a real install's, generated: `app/logs/app.log` with its rotations
//! `app.log.1` and `app.log.2.gz`, doubled `Request:` lines, the start-up banner, a
//! security.log with Python dicts, configured files that give no entry — through
//! `scandyctl logs` and through the error summary.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use chrono::{NaiveDateTime, TimeDelta};
use scandyctl::logs::assemble::assemble_all;
use scandyctl::logs::entry::{FieldValue, Level, LogEntry};
use scandyctl::logs::summary::{error_groups, errors_per_minute};

const BIN: &str = env!("CARGO_BIN_EXE_scandyctl");

/// Writes log text the way Scandy's app logger does.
struct ScandyLog {
    text: String,
    at: NaiveDateTime,
}

impl ScandyLog {
    fn starting(at: &str) -> Self {
        ScandyLog {
            text: String::new(),
            at: NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S").unwrap(),
        }
    }

    fn line(&mut self, millis: u32, level: &str, message: &str) {
        let time = self.at.format("%Y-%m-%d %H:%M:%S");
        self.text
            .push_str(&format!("{time},{millis:03} - {level} - {message}\n"));
    }

    fn tick(&mut self) {
        self.at += TimeDelta::seconds(1);
    }

    /// The start-up entry: an empty INFO message continued by the banner line.
    fn start_up(&mut self) -> &mut Self {
        self.line(958, "INFO", "");
        self.text.push_str("=== ANWENDUNGSSTART ===\n");
        self.tick();
        self
    }

    /// A request: its line written twice (same timestamp), then the response.
    fn request(&mut self, path: &str) -> &mut Self {
        let message = format!("Request: GET http://192.168.178.56:5055{path} - IP: 192.168.178.50");
        self.line(100, "INFO", &message);
        self.line(100, "INFO", &message);
        self.line(130, "INFO", "Response: 200 OK 200");
        self.tick();
        self
    }

    /// An error with its traceback, written `times` times with the same timestamp.
    fn error(&mut self, times: usize) -> &mut Self {
        for _ in 0..times {
            self.line(411, "ERROR", "Fehler beim Laden der Werkzeuge");
            self.text.push_str(
                "Traceback (most recent call last):\n  File \"/opt/scandy/app/routes/tools.py\", line 212, in index\nValueError: ungültige Eingabe\n",
            );
        }
        self.tick();
        self
    }
}

/// Oldest rotation: 12 entries (5 repeats). Raw entries: 17.
fn rotation_2() -> String {
    let mut log = ScandyLog::starting("2025-07-31 08:00:00");
    log.start_up();
    for k in 1..=5 {
        log.request(&format!("/rot2/{k}"));
    }
    log.error(1);
    log.text
}

/// `app.log.1`: 18 entries (8 repeats). Raw entries: 26.
fn rotation_1() -> String {
    let mut log = ScandyLog::starting("2025-07-31 09:00:00");
    for k in 1..=8 {
        log.request(&format!("/rot1/{k}"));
    }
    log.error(1).error(1);
    log.text
}

/// `app.log`: 10 entries (5 repeats: four requests, one error). Raw entries: 15.
fn current() -> String {
    let mut log = ScandyLog::starting("2025-07-31 10:00:00");
    log.start_up();
    for k in 1..=4 {
        log.request(&format!("/app/{k}"));
    }
    log.error(2);
    log.text
}

const SECURITY_LOG: &str = "\
2026-12-02 05:10:06,526 - scandy.security - WARNING - SECURITY_EVENT: {'event_type': 'login_failed', 'user': 'admin', 'ip': '127.0.0.1'}
2026-12-02 05:10:09,001 - scandy.security - WARNING - SECURITY_EVENT: {'event_type': 'login_failed', 'user': \"o'neil\", 'ip': '10.0.0.9', 'details': {'reason': 'Falsches Passwort \\'x\\'', 'attempt': 3, 'locked': False, 'until': None}}
2026-12-02 05:11:00,000 - scandy.security - INFO - SECURITY_EVENT: {'event_type': 'login_success', 'user': 'admin', 'ip': '127.0.0.1'}
";

fn install(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("app/logs")).unwrap();
    std::fs::create_dir_all(root.join("logs")).unwrap();
    std::fs::write(root.join("app/logs/app.log"), current()).unwrap();
    std::fs::write(root.join("app/logs/app.log.1"), rotation_1()).unwrap();
    let gz = std::fs::File::create(root.join("app/logs/app.log.2.gz")).unwrap();
    let mut encoder = flate2::write::GzEncoder::new(gz, flate2::Compression::fast());
    encoder.write_all(rotation_2().as_bytes()).unwrap();
    encoder.finish().unwrap();
    std::fs::write(root.join("logs/security.log"), SECURITY_LOG).unwrap();
    std::fs::write(
        root.join("scandyctl.toml"),
        format!("[ui]\nlanguage = \"en\"\n{config}"),
    )
    .unwrap();
    dir
}

fn run(root: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--config")
        .arg(root.join("scandyctl.toml"))
        .arg("--root")
        .arg(root)
        .arg("logs")
        .args(args)
        .env_remove("SCANDYCTL_CONFIG")
        .current_dir(root)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `logs --count` with `args`: the printed number.
fn count(root: &Path, args: &[&str]) -> u64 {
    let out = run(root, &[&["--count"], args].concat());
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    stdout(&out).trim().parse().unwrap()
}

fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn count_reads_the_file_with_its_rotations_and_doubled_lines_once() {
    let dir = install("");
    let root = dir.path();
    assert_eq!(count(root, &["--source", "app/logs"]), 40);
    assert_eq!(
        count(root, &["--source", "app/logs", "--grep", "Request:"]),
        17
    );
    assert_eq!(
        count(root, &["--source", "app/logs", "--level", "error"]),
        4
    );
    assert_eq!(
        count(root, &["--source", "app/logs", "--grep", "ANWENDUNGSSTART"]),
        2
    );
    let out = run(root, &["--count", "--json", "--source", "app/logs"]);
    let totals: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(totals["entries"], 40);
    assert_eq!(totals["matching"], 40);
    assert_eq!(totals["repeats"], 18);
    assert_eq!(totals["files"], 3);
    let plain_bytes = (current().len() + rotation_1().len() + rotation_2().len()) as u64;
    assert_eq!(totals["bytes"], plain_bytes, "the .gz is counted gunzipped");
}

#[test]
fn a_rotation_listed_in_the_config_counts_on_its_own_and_never_twice() {
    let only = install("[logs]\nfiles = [\"app/logs/app.log.1\"]\n");
    assert_eq!(count(only.path(), &[]), 18);
    let out = run(only.path(), &["--count"]);
    assert_eq!(
        stderr(&out),
        "",
        "a configured file with entries is not reported"
    );
    for files in [
        "[\"app/logs/*.log\", \"app/logs/app.log.1\"]",
        "[\"app/logs/app.log.1\", \"app/logs/app.log\"]",
        "[\"app/logs/app.log.2.gz\", \"app/logs/*.log\", \"app/logs/app.log.1\"]",
    ] {
        let dir = install(&format!("[logs]\nfiles = {files}\n"));
        assert_eq!(count(dir.path(), &[]), 40, "{files}");
    }
    let gz = install("[logs]\nfiles = [\"app/logs/app.log.2.gz\"]\n");
    assert_eq!(count(gz.path(), &[]), 12);
    let out = run(gz.path(), &["--json", "--lines", "1"]);
    let records = json_lines(&out);
    assert_eq!(records.len(), 1, "{}", stderr(&out));
    assert_eq!(records[0]["source"], "app/logs/app.log.2.gz");
    assert_eq!(records[0]["message"], "Fehler beim Laden der Werkzeuge");
}

#[test]
fn configured_files_without_entries_say_why_on_stderr() {
    let dir = install(
        "[logs]\nfiles = [\"app/logs/app.log\", \"logs/missing.log\", \"logs/empty.log\", \"logs/nginx.log\", \"logs/*.log\"]\n",
    );
    let root = dir.path();
    std::fs::write(root.join("logs/empty.log"), "").unwrap();
    std::fs::write(
        root.join("logs/nginx.log"),
        "10.0.0.1 - - [31/Jul/2025:21:35:27 +0200] \"GET / HTTP/1.1\" 200 12 \"-\" \"curl\u{1b}[2J\"\n",
    )
    .unwrap();
    let expected = "\
scandyctl: logs.files: logs/missing.log: not found
scandyctl: logs.files: logs/empty.log: empty
scandyctl: logs.files: logs/nginx.log: no entry in Scandy's log format (first line: 10.0.0.1 - - [31/Jul/2025:21:35:27 +0200] \"GET / HTTP/1.1\" 200 12 \"-\" \"curl\\x1b[2J\")
";
    let counted = run(root, &["--count", "--source", "app/logs"]);
    assert_eq!(counted.status.code(), Some(0));
    assert_eq!(stderr(&counted), expected);
    assert_eq!(stdout(&counted), "40\n");
    let listed = run(root, &["--lines", "3"]);
    assert_eq!(listed.status.code(), Some(0));
    assert_eq!(stderr(&listed), expected);
    assert!(!listed.stderr.contains(&0x1b) && !listed.stdout.contains(&0x1b));

    let nothing = install("[logs]\nfiles = [\"app/logs/app.log.9\"]\n");
    let out = run(nothing.path(), &["--count"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(
        text.starts_with("scandyctl: logs.files: app/logs/app.log.9: not found\n"),
        "{text}"
    );
    assert!(text.contains("no log files found"), "{text}");
}

#[test]
fn newest_entries_reach_back_into_the_rotations() {
    let dir = install("");
    let root = dir.path();
    let entry_lines = |args: &[&str]| -> Vec<String> {
        let out = run(root, args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
            .lines()
            .filter(|l| !l.starts_with(' '))
            .map(String::from)
            .collect()
    };
    let lines = entry_lines(&["--source", "app/logs", "--lines", "25"]);
    assert_eq!(lines.len(), 25);
    assert!(
        lines[0].starts_with("2025-07-31 09:00:05.100 INFO     [app/logs/app.log] Request: GET http://192.168.178.56:5055/rot1/6 "),
        "{}",
        lines[0]
    );
    assert!(lines[24].contains("Fehler beim Laden"), "{}", lines[24]);
    let all = entry_lines(&["--source", "app/logs", "--lines", "100"]);
    assert_eq!(
        all.len(),
        17 + 26 + 15,
        "every raw entry of the three files"
    );
    assert_eq!(
        all[0],
        "2025-07-31 08:00:00.958 INFO     [app/logs/app.log] === ANWENDUNGSSTART ==="
    );
    let mut times: Vec<&str> = all.iter().map(|l| &l[..23]).collect();
    let in_order = times.clone();
    times.sort();
    assert_eq!(times, in_order, "oldest rotation first");
    let errors = entry_lines(&["--source", "app/logs", "--level", "error", "--lines", "3"]);
    let times: Vec<&str> = errors.iter().map(|l| &l[..19]).collect();
    assert_eq!(
        times,
        [
            "2025-07-31 09:00:09",
            "2025-07-31 10:00:05",
            "2025-07-31 10:00:05"
        ]
    );
}

#[test]
fn start_up_entry_is_one_entry_with_the_banner_as_message() {
    let dir = install("");
    let out = run(
        dir.path(),
        &["--json", "--source", "app/logs", "--grep", "ANWENDUNG"],
    );
    let records = json_lines(&out);
    assert_eq!(records.len(), 2, "{}", stdout(&out));
    for record in &records {
        assert_eq!(record["message"], "=== ANWENDUNGSSTART ===");
        assert_eq!(record["level"], "info");
        assert_eq!(record["continuation"], serde_json::json!([]));
    }
    assert_eq!(records[1]["time"], "2025-07-31 10:00:00.958");
}

#[test]
fn security_event_fields_are_in_the_json_output() {
    let dir = install("");
    let out = run(dir.path(), &["--json", "--source", "security"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let records = json_lines(&out);
    assert_eq!(records.len(), 3);
    assert_eq!(
        records[0]["fields"],
        serde_json::json!({"event_type": "login_failed", "user": "admin", "ip": "127.0.0.1"})
    );
    assert_eq!(
        records[1]["fields"],
        serde_json::json!({
            "event_type": "login_failed",
            "user": "o'neil",
            "ip": "10.0.0.9",
            "details": {"reason": "Falsches Passwort 'x'", "attempt": 3, "locked": false, "until": null}
        })
    );
    assert!(
        text.lines().nth(1).unwrap().contains(
            r#""fields":{"event_type":"login_failed","user":"o'neil","ip":"10.0.0.9","details""#
        ),
        "fields keep their written order: {text}"
    );
    assert_eq!(records[2]["fields"]["event_type"], "login_success");
    let app = run(
        dir.path(),
        &["--json", "--source", "app/logs", "--lines", "1"],
    );
    assert!(
        json_lines(&app)[0].get("fields").is_none(),
        "no fields key without fields"
    );
}

/// The three app logs read as one source, oldest file first.
fn app_entries() -> Vec<LogEntry> {
    let mut entries = Vec::new();
    for text in [rotation_2(), rotation_1(), current()] {
        entries.extend(assemble_all(0, text.as_bytes()));
    }
    entries
}

#[test]
fn summary_and_error_rate_count_doubled_lines_once() {
    let entries = app_entries();
    assert_eq!(entries.len(), 58, "the raw entries keep both lines");
    let groups = error_groups(&entries, Level::Info, 10);
    let counts: Vec<(&str, u64)> = groups.iter().map(|g| (g.shape.as_str(), g.count)).collect();
    assert_eq!(
        counts,
        [
            ("Response: <n> OK <n>", 17),
            ("Request: GET http://<ip>:<n>/rot<n>/<n> - IP: <ip>", 13),
            (
                "Fehler beim Laden der Werkzeuge ⏎ ValueError: ungültige Eingabe",
                4
            ),
            ("Request: GET http://<ip>:<n>/app/<n> - IP: <ip>", 4),
            ("=== ANWENDUNGSSTART ===", 2),
        ]
    );
    let errors = error_groups(&entries, Level::Error, 10);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].count, 4);
    let now = at("2025-07-31 10:00:30");
    let rate = errors_per_minute(&entries, now, 121);
    assert_eq!(rate.iter().sum::<u64>(), 4);
    assert_eq!((rate[0], rate[60], rate[120]), (1, 2, 1));
}

#[test]
fn start_up_entry_is_one_info_entry() {
    let entries = assemble_all(0, current().as_bytes());
    assert_eq!(entries.len(), 15);
    assert_eq!(entries[0].message, "=== ANWENDUNGSSTART ===");
    assert_eq!(entries[0].level, Some(Level::Info));
    assert!(entries[0].continuation.is_empty());
    assert_eq!(
        entries[1].message, entries[2].message,
        "the doubled request"
    );
}

#[test]
fn error_summary_groups_security_events_by_event_type() {
    let mut log = SECURITY_LOG.to_string();
    log.push_str("2026-12-02 05:12:00,000 - scandy.security - WARNING - SECURITY_EVENT: {'event_type': 'login_failed', 'user': None, 'ip': '10.0.0.9'}\n");
    log.push_str(
        "2026-12-02 05:13:00,000 - scandy.security - WARNING - Verdächtige Anfrage von 10.0.0.9\n",
    );
    let entries = assemble_all(1, log.as_bytes());
    assert_eq!(entries[3].fields.get("user"), Some(&FieldValue::Null));
    let groups = error_groups(&entries, Level::Error, 10);
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0].shape, "SECURITY_EVENT: login_failed");
    assert_eq!(groups[0].count, 3);
    assert_eq!(groups[0].level, Level::Warning);
    assert_eq!(groups[0].last, Some(at("2026-12-02 05:12:00")));
}

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}
