//! `scandyctl logs` end to end on real files: merged sources with tracebacks joined,
//! filters, JSON Lines, counting, usage errors, and `--follow` across a rotation.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_scandyctl");

const APP_LOG: &str = "\
2025-07-31 21:35:27,958 - INFO - Request: GET http://192.168.178.56:5000/workers/ - IP: 192.168.178.50
2025-07-31 21:40:11,411 - ERROR - Exception on /tickets/ [GET]
Traceback (most recent call last):
  File \"/opt/scandy/app/routes/tickets.py\", line 214, in index
AttributeError: 'str' object has no attribute 'strftime'
2025-07-31 21:41:00,000 - WARNING - Statische Datei nicht gefunden: /static/js/delete.js - IP: 192.168.178.50
2025-07-31 21:44:30,500 - ERROR - Werkzeug mit Barcode 100042 nicht gefunden
";

const SECURITY_LOG: &str = "\
2025-07-31 21:38:00,000 - scandy.security - WARNING - Login fehlgeschlagen \u{1b}]0;pwned\u{7}
2025-07-31 21:43:10,000 - scandy.security - ERROR - Werkzeug mit Barcode 100077 nicht gefunden
";

const BACKUP_LOG: &str =
    "[31.07.2025 21:39:00] Backup gestartet\n[31.07.2025 21:42:00] Backup erfolgreich\n";

fn install() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("app/logs")).unwrap();
    std::fs::create_dir_all(dir.path().join("logs")).unwrap();
    std::fs::write(dir.path().join("app/logs/app.log"), APP_LOG).unwrap();
    std::fs::write(dir.path().join("logs/security.log"), SECURITY_LOG).unwrap();
    std::fs::write(dir.path().join("logs/auto_backup.log"), BACKUP_LOG).unwrap();
    std::fs::write(
        dir.path().join("scandyctl.toml"),
        "[ui]\nlanguage = \"en\"\n",
    )
    .unwrap();
    dir
}

fn command(root: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("--config")
        .arg(root.join("scandyctl.toml"))
        .arg("--root")
        .arg(root)
        .arg("logs")
        .args(args)
        .env_remove("SCANDYCTL_CONFIG")
        .current_dir(root);
    cmd
}

fn run(root: &Path, args: &[&str]) -> Output {
    command(root, args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn merges_sources_by_time_with_tracebacks_joined() {
    let dir = install();
    let out = run(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let expected = "\
2025-07-31 21:35:27.958 INFO     [app/logs/app.log] Request: GET http://192.168.178.56:5000/workers/ - IP: 192.168.178.50
2025-07-31 21:38:00.000 WARNING  [logs/security.log] scandy.security: Login fehlgeschlagen \\x1b]0;pwned\\x07
2025-07-31 21:39:00.000 INFO     [logs/auto_backup.log] Backup gestartet
2025-07-31 21:40:11.411 ERROR    [app/logs/app.log] Exception on /tickets/ [GET]
    Traceback (most recent call last):
      File \"/opt/scandy/app/routes/tickets.py\", line 214, in index
    AttributeError: 'str' object has no attribute 'strftime'
2025-07-31 21:41:00.000 WARNING  [app/logs/app.log] Statische Datei nicht gefunden: /static/js/delete.js - IP: 192.168.178.50
2025-07-31 21:42:00.000 INFO     [logs/auto_backup.log] Backup erfolgreich
2025-07-31 21:43:10.000 ERROR    [logs/security.log] scandy.security: Werkzeug mit Barcode 100077 nicht gefunden
2025-07-31 21:44:30.500 ERROR    [app/logs/app.log] Werkzeug mit Barcode 100042 nicht gefunden
";
    assert_eq!(text, expected);
    assert!(
        !out.stdout.contains(&0x1b),
        "no escape byte reaches the terminal"
    );
}

#[test]
fn filters_select_level_source_time_and_pattern() {
    let dir = install();
    let lines = |args: &[&str]| -> Vec<String> {
        let out = run(dir.path(), args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        stdout(&out)
            .lines()
            .filter(|l| !l.starts_with(' '))
            .map(|l| l[24..].to_string())
            .collect()
    };
    assert_eq!(
        lines(&["--level", "error"]),
        [
            "ERROR    [app/logs/app.log] Exception on /tickets/ [GET]",
            "ERROR    [logs/security.log] scandy.security: Werkzeug mit Barcode 100077 nicht gefunden",
            "ERROR    [app/logs/app.log] Werkzeug mit Barcode 100042 nicht gefunden",
        ]
    );
    assert_eq!(
        lines(&["--source", "auto_backup"]),
        [
            "INFO     [logs/auto_backup.log] Backup gestartet",
            "INFO     [logs/auto_backup.log] Backup erfolgreich",
        ]
    );
    assert_eq!(lines(&["--since", "2025-07-31 21:43"]).len(), 2);
    assert_eq!(
        lines(&["--grep", "barcode 1000\\d\\d", "--lines", "1"]),
        ["ERROR    [app/logs/app.log] Werkzeug mit Barcode 100042 nicht gefunden"]
    );
    assert_eq!(
        lines(&["--grep", "AttributeError"]),
        ["ERROR    [app/logs/app.log] Exception on /tickets/ [GET]"],
        "a pattern in the traceback finds its entry"
    );

    let out = run(dir.path(), &["--level", "warning", "--json"]);
    let records: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 5);
    assert_eq!(records[0]["source"], "logs/security.log");
    assert_eq!(records[0]["logger"], "scandy.security");
    assert_eq!(
        records[0]["message"],
        "Login fehlgeschlagen \u{1b}]0;pwned\u{7}"
    );
    assert_eq!(records[1]["level"], "error");
    assert_eq!(records[1]["continuation"].as_array().unwrap().len(), 3);
    assert_eq!(records[1]["time"], "2025-07-31 21:40:11.411");

    let out = run(dir.path(), &["--count", "--grep", "barcode"]);
    assert_eq!(stdout(&out), "2\n");
    let out = run(dir.path(), &["--count", "--level", "error", "--json"]);
    let count: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(count["entries"], 8);
    assert_eq!(count["matching"], 3);
}

#[test]
fn bad_flags_are_usage_errors_naming_the_value() {
    let dir = install();
    for (args, needle) in [
        (vec!["--level", "loud"], "--level loud"),
        (vec!["--since", "gestern"], "--since gestern"),
        (vec!["--grep", "("], "--grep ("),
        (vec!["--source", "nginx"], "logs/security.log"),
    ] {
        let out = run(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("scandyctl.toml"), "").unwrap();
    let out = run(empty.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no log files found"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn newest_entries_of_a_large_file_are_read_from_its_end() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("app/logs")).unwrap();
    std::fs::write(dir.path().join("scandyctl.toml"), "").unwrap();
    let path = dir.path().join("app/logs/app.log");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..400_000u32 {
        writeln!(
            file,
            "2025-07-31 21:{:02}:{:02},000 - INFO - Request: GET /tools/{i} - IP: 10.0.0.1",
            i / 60 % 60,
            i % 60
        )
        .unwrap();
    }
    file.flush().unwrap();
    drop(file);
    let out = run(dir.path(), &["--lines", "3"]);
    let text = stdout(&out);
    let tail: Vec<&str> = text.lines().collect();
    assert_eq!(tail.len(), 3);
    assert!(tail[2].ends_with("/tools/399999 - IP: 10.0.0.1"), "{text}");
    assert!(tail[0].ends_with("/tools/399997 - IP: 10.0.0.1"), "{text}");
}

/// Reads lines from a child's stdout on a thread.
fn line_reader(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn read_until(rx: &mpsc::Receiver<String>, seen: &mut Vec<String>, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen.iter().any(|l| l.contains(needle)) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => panic!(
                "no line with {needle} within 10 s; got:\n{}",
                seen.join("\n")
            ),
        }
    }
}

fn append(path: &PathBuf, text: &str) {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

#[test]
fn follow_prints_new_entries_once_across_a_rotation() {
    let dir = install();
    let app = dir.path().join("app/logs/app.log");
    let mut child = command(dir.path(), &["--follow", "--source", "app", "--lines", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rx = line_reader(&mut child);
    let mut seen = Vec::new();
    read_until(&rx, &mut seen, "Barcode 100042");

    append(
        &app,
        "2025-07-31 21:50:00,000 - ERROR - Fehler beim Speichern F-1\n",
    );
    read_until(&rx, &mut seen, "F-1");
    // The traceback arrives after its first line was printed: it is still joined.
    std::thread::sleep(Duration::from_millis(700));
    append(
        &app,
        "Traceback (most recent call last):\nValueError: kaputt\n",
    );
    read_until(&rx, &mut seen, "ValueError: kaputt");
    std::fs::rename(&app, dir.path().join("app/logs/app.log.1")).unwrap();
    for i in 0..200 {
        append(
            &app,
            &format!("2025-07-31 21:51:00,000 - INFO - nach der Rotation R-{i:03}\n"),
        );
    }
    read_until(&rx, &mut seen, "R-199");
    let _ = child.kill();
    let _ = child.wait();

    let start = seen.iter().position(|l| l.contains("F-1")).unwrap();
    assert_eq!(seen[start + 1], "    Traceback (most recent call last):");
    assert_eq!(seen[start + 2], "    ValueError: kaputt");
    let rotated: Vec<&String> = seen.iter().filter(|l| l.contains(" R-")).collect();
    assert_eq!(rotated.len(), 200, "every line once");
    for (i, line) in rotated.iter().enumerate() {
        assert!(line.ends_with(&format!("R-{i:03}")), "in order: {line}");
    }
}

#[test]
fn journal_entries_join_the_files_and_a_missing_docker_is_reported() {
    let dir = install();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let journalctl = bin.join("journalctl");
    // Two journal records of gunicorn: an error and its traceback line (one record each).
    std::fs::write(
        &journalctl,
        "#!/bin/sh\n\
         echo \"$@\" > \"$(dirname \"$0\")/journalctl.args\"\n\
         echo '{\"MESSAGE\":\"[ERROR] Worker timeout JOURNAL-1\",\"PRIORITY\":\"3\",\"__REALTIME_TIMESTAMP\":\"1754000000000000\",\"SYSLOG_IDENTIFIER\":\"gunicorn\"}'\n\
         echo '{\"MESSAGE\":\"Traceback (most recent call last):\",\"PRIORITY\":\"3\",\"__REALTIME_TIMESTAMP\":\"1754000000000100\",\"SYSLOG_IDENTIFIER\":\"gunicorn\"}'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&journalctl, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        dir.path().join("scandyctl.toml"),
        "[ui]\nlanguage = \"en\"\n[logs]\njournal_units = [\"scandy.service\"]\ndocker_containers = [\"scandy-app-scandy\"]\n",
    )
    .unwrap();
    let out = command(dir.path(), &["--json"])
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("docker:scandy-app-scandy: docker is not available here"),
        "{}",
        stderr(&out)
    );
    let records: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let journal: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["source"] == "journal:scandy.service")
        .collect();
    assert_eq!(journal.len(), 1, "{records:?}");
    assert_eq!(journal[0]["level"], "error");
    assert!(
        journal[0]["message"]
            .as_str()
            .unwrap()
            .contains("JOURNAL-1")
    );
    assert_eq!(
        journal[0]["continuation"][0],
        "Traceback (most recent call last):"
    );
    let args = std::fs::read_to_string(bin.join("journalctl.args")).unwrap();
    assert!(args.starts_with("-u scandy.service -o json"), "{args}");
    let out = run(dir.path(), &["--source", "journal", "--count"]);
    assert_eq!(out.status.code(), Some(0));
}
