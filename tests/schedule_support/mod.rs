//! Helpers for the schedule tests: a fixture config with `[schedule]`, state files, a
//! loopback HTTP server that records webhook posts.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use crate::backup_support::Fixture;

/// A schedule of one daily entry at 02:00 UTC, verified quick, then pruned.
pub const DAILY_UTC: &str =
    "[schedule]\ndaily = { cron = \"0 2 * * *\", type = \"incremental\" }\ntimezone = \"UTC\"\n";

/// The fixture's state directory.
pub fn state_dir(fx: &Fixture) -> PathBuf {
    fx.dir.path().join("state")
}

/// The newest 02:00 UTC at or before `now`.
pub fn last_two_am(now: DateTime<Utc>) -> DateTime<Utc> {
    let today = now.date_naive().and_hms_opt(2, 0, 0).unwrap().and_utc();
    if today <= now {
        today
    } else {
        today - Duration::days(1)
    }
}

/// Writes `schedule.json` saying the daily entry last ran (successfully) `days` days ago.
pub fn write_state_daily_ran_days_ago(fx: &Fixture, days: i64, backup_dir: Option<&Path>) {
    let then = last_two_am(Utc::now()) - Duration::days(days);
    let state = serde_json::json!({
        "format": 1,
        "entries": {
            "daily": {
                "watermark": then,
                "last_slot": then,
                "last_start": then,
                "last_end": then + Duration::minutes(2),
                "outcome": "ok",
                "set_id": "scandy-old-full",
                "last_success": then + Duration::minutes(2),
            }
        },
        "backup_dir": backup_dir,
    });
    let dir = state_dir(fx);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("schedule.json"),
        serde_json::to_vec_pretty(&state).unwrap(),
    )
    .unwrap();
}

/// The state file as JSON.
pub fn read_state(fx: &Fixture) -> serde_json::Value {
    let path = state_dir(fx).join("schedule.json");
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// Complete sets in the backup directory, sorted.
pub fn sets(fx: &Fixture) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(&fx.backups)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("scandy-") && !n.contains('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A loopback HTTP server that answers 200 to everything and records each request body.
pub struct RecordingServer {
    /// Its port.
    pub port: u16,
    /// Request line + body of every request.
    pub seen: Arc<Mutex<Vec<(String, String)>>>,
}

impl RecordingServer {
    /// Binds a free port on 127.0.0.1 and serves in a thread.
    pub fn start() -> RecordingServer {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    continue;
                }
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                record.lock().unwrap().push((
                    request.trim().to_string(),
                    String::from_utf8_lossy(&body).into_owned(),
                ));
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
            }
        });
        RecordingServer { port, seen }
    }

    /// The recorded requests.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.seen.lock().unwrap().clone()
    }
}

/// A loopback port nothing listens on (MongoDB "stopped").
pub fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
