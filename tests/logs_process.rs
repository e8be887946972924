//! journald and docker logs as log sources: fake `journalctl` and `docker` scripts on a
//! private PATH, read through `ProcessTail` and joined by `ProcessAssembler`.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Local, NaiveDateTime};
use scandyctl::logs::entry::{Level, LogEntry, LogFormat, MAX_LINE_BYTES, TRUNCATION_MARKER};
use scandyctl::logs::process::{
    ProcessAssembler, ProcessSource, ProcessTail, SourceUnavailable, find_program,
};

/// Writing an executable while another thread forks can make exec fail with "Text file
/// busy"; scripts are written and commands spawned under this lock.
static SPAWN: Mutex<()> = Mutex::new(());

const FAKE_JOURNALCTL: &str = r#"#!/bin/sh
printf '%s\n' "$@" > "$(dirname "$0")/journalctl.args"
follow=no
for a in "$@"; do [ "$a" = "-f" ] && follow=yes; done
case "$2" in missing.service)
  echo "Hint: You are currently not seeing messages from other users and the system." >&2
  echo "No journal files were found." >&2
  exit 1;;
esac
cat <<'EOF'
{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1753990527000000","PRIORITY":"6","SYSLOG_IDENTIFIER":"gunicorn","_COMM":"gunicorn","MESSAGE":"[2025-07-31 21:35:27 +0200] [1234] [INFO] Booting worker with pid: 1235"}
{"__REALTIME_TIMESTAMP":"1753990528100000","PRIORITY":"6","SYSLOG_IDENTIFIER":"gunicorn","MESSAGE":"2025-07-31 21:35:28,100 - WARNING - Statische Datei nicht gefunden: /static/js/delete.js - IP: 192.168.178.50"}
{"__REALTIME_TIMESTAMP":"1753990529000000","PRIORITY":"3","SYSLOG_IDENTIFIER":"gunicorn","MESSAGE":"[2025-07-31 21:35:29 +0200] [1235] [ERROR] Error handling request /tools/"}
{"__REALTIME_TIMESTAMP":"1753990529000100","PRIORITY":"3","SYSLOG_IDENTIFIER":"gunicorn","MESSAGE":"Traceback (most recent call last):"}
{"__REALTIME_TIMESTAMP":"1753990529000200","PRIORITY":"3","SYSLOG_IDENTIFIER":"gunicorn","MESSAGE":"  File \"/opt/scandy/app/routes/tools.py\", line 212, in index"}
EOF
echo "Hint: You are currently not seeing messages from other users and the system." >&2
[ "$follow" = yes ] && sleep 0.3
cat <<'EOF'
{"__REALTIME_TIMESTAMP":"1753990529000300","PRIORITY":"3","SYSLOG_IDENTIFIER":"gunicorn","MESSAGE":"    tools = list(db.tools.find())"}
{"__REALTIME_TIMESTAMP":"1753990529000400","PRIORITY":"3","SYSLOG_IDENTIFIER":"gunicorn","MESSAGE":[86,97,108,117,101,69,114,114,111,114,58,32,27,91,51,49,109,255]}
{"__REALTIME_TIMESTAMP":"1753990530000000","PRIORITY":"4","_COMM":"python3","MESSAGE":"[2025-07-31 21:35:30 +0200] [1234] [WARNING] Worker with pid 1235 was terminated due to signal 9"}
EOF
"#;

const FAKE_DOCKER: &str = r#"#!/bin/sh
printf '%s\n' "$@" > "$(dirname "$0")/docker.args"
follow=no
for a in "$@"; do [ "$a" = "-f" ] && follow=yes; done
for last in "$@"; do :; done
if [ "$last" = huge ]; then
  printf '2025-07-31T19:35:27Z '
  head -c 1000000 /dev/zero | tr '\0' x
  echo
  echo "2025-07-31T19:35:28Z after"
  exit 0
fi
if [ "$last" = forever ]; then
  echo $$ > "$(dirname "$0")/forever.pid"
  echo "2025-07-31T19:35:27Z started"
  exec sleep 30
fi
if [ "$last" = nope ]; then
  echo "Error: No such container: nope" >&2
  exit 1
fi
cat >&2 <<'EOF'
2025-07-31T19:35:27.958123456Z [2025-07-31 19:35:27 +0000] [1] [INFO] Listening at: http://0.0.0.0:5000 (1)
2025-07-31T19:35:28.000000001Z [2025-07-31 19:35:28 +0000] [7] [ERROR] Error handling request /workers/
2025-07-31T19:35:28.000000002Z Traceback (most recent call last):
2025-07-31T19:35:28.000000003Z   File "/app/app/routes/workers.py", line 40, in index
2025-07-31T19:35:28.000000004Z     worker = db.workers.find_one({"barcode": code})
2025-07-31T19:35:28.000000005Z KeyError: 'barcode'
EOF
if [ "$follow" = yes ]; then sleep 0.3; else sleep 0.1; fi
echo "2025-07-31T19:35:29.5Z 2025-07-31 21:35:29,500 - INFO - Request: GET http://192.168.178.56:5000/workers/ - IP: 192.168.178.50"
if [ "$follow" = yes ]; then
  sleep 0.3
  echo "2025-07-31T19:35:30Z [2025-07-31 19:35:30 +0000] [7] [INFO] Worker exiting (pid: 7)" >&2
fi
"#;

fn write_script(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn fake_bin() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let _guard = SPAWN.lock().unwrap_or_else(|e| e.into_inner());
    write_script(dir.path(), "journalctl", FAKE_JOURNALCTL);
    write_script(dir.path(), "docker", FAKE_DOCKER);
    dir
}

fn spawn(
    source: &ProcessSource,
    follow: bool,
    path_var: &OsStr,
) -> Result<ProcessTail, SourceUnavailable> {
    let _guard = SPAWN.lock().unwrap_or_else(|e| e.into_inner());
    ProcessTail::spawn(source, follow, 50, path_var)
}

async fn read_entries(
    source: &ProcessSource,
    follow: bool,
    path_var: &OsStr,
) -> Result<Vec<LogEntry>, SourceUnavailable> {
    let mut tail = spawn(source, follow, path_var)?;
    let mut assembler = ProcessAssembler::new(2);
    let mut entries = Vec::new();
    while let Some(line) = tail.next_line().await? {
        entries.extend(assembler.push(line));
    }
    entries.extend(assembler.finish());
    assert!(tail.failure().is_none());
    assert!(tail.next_line().await.expect("ended").is_none());
    Ok(entries)
}

fn journal() -> ProcessSource {
    ProcessSource::Journal {
        unit: "scandy.service".into(),
    }
}

fn docker(container: &str) -> ProcessSource {
    ProcessSource::Docker {
        container: container.into(),
    }
}

fn micros(us: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_micros(us).map(|t| t.with_timezone(&Local).naive_local())
}

fn rfc3339(text: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Local).naive_local())
}

fn scandy_time(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.3f").ok()
}

fn entry(
    seq: u64,
    format: LogFormat,
    timestamp: Option<NaiveDateTime>,
    level: Option<Level>,
    logger: Option<&str>,
    message: &str,
    continuation: &[&str],
) -> LogEntry {
    let mut e = LogEntry::new(format, message.to_owned());
    e.source = 2;
    e.seq = seq;
    e.timestamp = timestamp;
    e.level = level;
    e.logger = logger.map(str::to_owned);
    e.continuation = continuation.iter().map(|l| l.to_string()).collect();
    e
}

fn journal_expected() -> Vec<LogEntry> {
    use LogFormat::{Plain, ScandyApp};
    vec![
        entry(
            0,
            Plain,
            micros(1_753_990_527_000_000),
            Some(Level::Info),
            Some("gunicorn"),
            "[2025-07-31 21:35:27 +0200] [1234] [INFO] Booting worker with pid: 1235",
            &[],
        ),
        entry(
            1,
            ScandyApp,
            scandy_time("2025-07-31 21:35:28.100"),
            Some(Level::Warning),
            Some("gunicorn"),
            "Statische Datei nicht gefunden: /static/js/delete.js - IP: 192.168.178.50",
            &[],
        ),
        entry(
            2,
            Plain,
            micros(1_753_990_529_000_000),
            Some(Level::Error),
            Some("gunicorn"),
            "[2025-07-31 21:35:29 +0200] [1235] [ERROR] Error handling request /tools/",
            &[
                "Traceback (most recent call last):",
                "  File \"/opt/scandy/app/routes/tools.py\", line 212, in index",
                "    tools = list(db.tools.find())",
                "ValueError: \x1b[31m\u{fffd}",
            ],
        ),
        entry(
            3,
            Plain,
            micros(1_753_990_530_000_000),
            Some(Level::Warning),
            Some("python3"),
            "[2025-07-31 21:35:30 +0200] [1234] [WARNING] Worker with pid 1235 was terminated due to signal 9",
            &[],
        ),
    ]
}

#[tokio::test]
async fn journal_entries_with_traceback_joined() {
    let bin = fake_bin();
    let entries = read_entries(&journal(), false, bin.path().as_os_str())
        .await
        .expect("journal");
    assert_eq!(entries, journal_expected());
    let args = std::fs::read_to_string(bin.path().join("journalctl.args")).expect("args");
    assert_eq!(
        args,
        "-u\nscandy.service\n-o\njson\n--all\n--no-pager\n-n\n50\n"
    );
}

#[tokio::test]
async fn journal_follow_joins_across_the_pause() {
    let bin = fake_bin();
    let entries = read_entries(&journal(), true, bin.path().as_os_str())
        .await
        .expect("journal -f");
    assert_eq!(entries, journal_expected());
    let args = std::fs::read_to_string(bin.path().join("journalctl.args")).expect("args");
    assert_eq!(
        args,
        "-u\nscandy.service\n-o\njson\n--all\n--no-pager\n-n\n50\n-f\n"
    );
}

fn docker_expected(follow: bool) -> Vec<LogEntry> {
    use LogFormat::{Plain, ScandyApp};
    let mut expected = vec![
        entry(
            0,
            Plain,
            rfc3339("2025-07-31T19:35:27.958123456Z"),
            Some(Level::Info),
            None,
            "[2025-07-31 19:35:27 +0000] [1] [INFO] Listening at: http://0.0.0.0:5000 (1)",
            &[],
        ),
        entry(
            1,
            Plain,
            rfc3339("2025-07-31T19:35:28.000000001Z"),
            Some(Level::Error),
            None,
            "[2025-07-31 19:35:28 +0000] [7] [ERROR] Error handling request /workers/",
            &[
                "Traceback (most recent call last):",
                "  File \"/app/app/routes/workers.py\", line 40, in index",
                "    worker = db.workers.find_one({\"barcode\": code})",
                "KeyError: 'barcode'",
            ],
        ),
        entry(
            2,
            ScandyApp,
            scandy_time("2025-07-31 21:35:29.500"),
            Some(Level::Info),
            None,
            "Request: GET http://192.168.178.56:5000/workers/ - IP: 192.168.178.50",
            &[],
        ),
    ];
    if follow {
        expected.push(entry(
            3,
            Plain,
            rfc3339("2025-07-31T19:35:30Z"),
            Some(Level::Info),
            None,
            "[2025-07-31 19:35:30 +0000] [7] [INFO] Worker exiting (pid: 7)",
            &[],
        ));
    }
    expected
}

#[tokio::test]
async fn docker_reads_stderr_and_stdout() {
    let bin = fake_bin();
    let source = docker("scandy-app-scandy");
    let entries = read_entries(&source, false, bin.path().as_os_str())
        .await
        .expect("docker");
    assert_eq!(entries, docker_expected(false));
    let args = std::fs::read_to_string(bin.path().join("docker.args")).expect("args");
    assert_eq!(args, "logs\n--timestamps\n--tail\n50\nscandy-app-scandy\n");
}

#[tokio::test]
async fn docker_follow_keeps_arrival_order() {
    let bin = fake_bin();
    let source = docker("scandy-app-scandy");
    let entries = read_entries(&source, true, bin.path().as_os_str())
        .await
        .expect("docker -f");
    assert_eq!(entries, docker_expected(true));
    let args = std::fs::read_to_string(bin.path().join("docker.args")).expect("args");
    assert_eq!(
        args,
        "logs\n--timestamps\n--tail\n50\n-f\nscandy-app-scandy\n"
    );
}

#[tokio::test]
async fn docker_failure_is_source_unavailable() {
    let bin = fake_bin();
    for follow in [false, true] {
        let err = read_entries(&docker("nope"), follow, bin.path().as_os_str())
            .await
            .expect_err("no such container");
        assert_eq!(
            err.to_string(),
            "docker failed (exit status 1): Error: No such container: nope"
        );
    }
}

#[tokio::test]
async fn journal_failure_names_the_real_error_not_the_hint() {
    let bin = fake_bin();
    let source = ProcessSource::Journal {
        unit: "missing.service".into(),
    };
    let err = read_entries(&source, false, bin.path().as_os_str())
        .await
        .expect_err("no journal");
    assert_eq!(
        err,
        SourceUnavailable("journalctl failed (exit status 1): No journal files were found.".into())
    );
}

#[tokio::test]
async fn overlong_line_is_cut_not_buffered() {
    let bin = fake_bin();
    let entries = read_entries(&docker("huge"), false, bin.path().as_os_str())
        .await
        .expect("docker");
    assert_eq!(entries.len(), 2);
    assert!(entries[0].truncated);
    assert!(entries[0].message.len() <= MAX_LINE_BYTES + TRUNCATION_MARKER.len());
    assert!(entries[0].message.ends_with(TRUNCATION_MARKER));
    assert_eq!(entries[0].timestamp, rfc3339("2025-07-31T19:35:27Z"));
    assert_eq!(
        (entries[1].message.as_str(), entries[1].truncated),
        ("after", false)
    );
}

#[tokio::test]
async fn dropping_a_follow_tail_kills_the_command() {
    let bin = fake_bin();
    let mut tail = spawn(&docker("forever"), true, bin.path().as_os_str()).expect("spawn");
    let first = tail.next_line().await.expect("line").expect("some line");
    assert_eq!(first.text, b"started");
    let waiting = tokio::time::timeout(Duration::from_millis(400), tail.next_line()).await;
    assert!(waiting.is_err(), "still following: {waiting:?}");
    let pid = std::fs::read_to_string(bin.path().join("forever.pid")).expect("pid");
    let stat = format!("/proc/{}/stat", pid.trim());
    drop(tail);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let gone = std::fs::read_to_string(&stat)
            .map(|s| {
                s.rsplit(')')
                    .next()
                    .is_some_and(|r| r.trim_start().starts_with('Z'))
            })
            .unwrap_or(true);
        if gone {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "command still runs");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn missing_program_is_unavailable() {
    let empty = tempfile::tempdir().expect("tempdir");
    let err = spawn(&journal(), false, empty.path().as_os_str()).expect_err("missing");
    assert_eq!(err.to_string(), "journalctl is not available here");
    let err = spawn(&docker("x"), true, OsStr::new("")).expect_err("missing");
    assert_eq!(
        err,
        SourceUnavailable("docker is not available here".into())
    );
}

#[test]
fn find_program_walks_the_path_list() {
    let bin = fake_bin();
    let empty = tempfile::tempdir().expect("tempdir");
    let list =
        std::env::join_paths([empty.path(), Path::new("relative"), bin.path()]).expect("path list");
    assert_eq!(
        find_program("docker", &list),
        Some(bin.path().join("docker"))
    );
    assert_eq!(find_program("mongod-not-here", &list), None);
    std::fs::write(empty.path().join("docker"), "not executable").expect("write");
    assert_eq!(
        find_program("docker", &list),
        Some(bin.path().join("docker"))
    );
}

#[test]
fn args_exactly() {
    assert_eq!(
        journal().args(false, 200),
        [
            "-u",
            "scandy.service",
            "-o",
            "json",
            "--all",
            "--no-pager",
            "-n",
            "200"
        ]
    );
    assert_eq!(
        journal().args(true, 0),
        [
            "-u",
            "scandy.service",
            "-o",
            "json",
            "--all",
            "--no-pager",
            "-n",
            "0",
            "-f"
        ]
    );
    assert_eq!(
        docker("scandy-app-scandy").args(false, 500),
        ["logs", "--timestamps", "--tail", "500", "scandy-app-scandy"]
    );
    assert_eq!(
        docker("scandy-app-scandy").args(true, 500),
        [
            "logs",
            "--timestamps",
            "--tail",
            "500",
            "-f",
            "scandy-app-scandy"
        ]
    );
}
