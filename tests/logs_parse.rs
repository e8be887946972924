//! Scandy log parsing end to end: tracebacks joined, sources merged, filters, error groups.

use chrono::{NaiveDateTime, TimeDelta};
use regex::Regex;
use scandyctl::logs::assemble::{EntryAssembler, assemble_all};
use scandyctl::logs::entry::{Level, LogEntry, LogFormat};
use scandyctl::logs::filter::{EntryFilter, match_ranges, merge_by_time, parse_since};
use scandyctl::logs::summary::{error_groups, errors_per_minute, message_shape};

const APP_LOG: &str = "\
2025-07-31 21:35:27,958 - INFO - Request: GET http://192.168.178.56:5000/workers/ - IP: 192.168.178.50
2025-07-31 21:35:28,120 - INFO - Request: GET http://192.168.178.56:5000/tools/64b7f0c2a1e4d5f6a7b8c9d0 - IP: 192.168.178.50
2025-07-31 21:35:28,301 - ERROR - Exception on /tools/64b7f0c2a1e4d5f6a7b8c9d0 [GET]
Traceback (most recent call last):
  File \"/opt/scandy/venv/lib/python3.11/site-packages/flask/app.py\", line 1473, in wsgi_app
    response = self.full_dispatch_request()
  File \"/opt/scandy/app/routes/tools.py\", line 212, in detail
    qty = int(request.args.get('menge'))
ValueError: invalid literal for int() with base 10: 'zwölf'
2025-07-31 21:36:01,004 - WARNING - Statische Datei nicht gefunden: /static/js/delete.js - IP: 192.168.178.50
2025-07-31 21:36:05,777 - INFO - Ausleihe gespeichert: Hammer (Größe 3) an Müller
2025-07-31 21:37:12,010 - CRITICAL - Datenbankfehler beim Speichern der Ausleihe
Traceback (most recent call last):
  File \"/opt/scandy/app/models/mongodb_database.py\", line 88, in insert_one
    return self.db[collection].insert_one(document)
pymongo.errors.ServerSelectionTimeoutError: localhost:27017: [Errno 111] Connection refused
\r
2025-07-31 21:37:15,000 - INFO - Request: GET http://192.168.178.56:5000/health - IP: 127.0.0.1\r
";

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").expect("test time")
}

#[test]
fn app_log_tracebacks_join_the_entry_above() {
    let entries = assemble_all(0, APP_LOG.as_bytes());
    assert_eq!(entries.len(), 7);
    let shape: Vec<_> = entries
        .iter()
        .map(|e| (e.level, e.continuation.len()))
        .collect();
    assert_eq!(
        shape,
        [
            (Some(Level::Info), 0),
            (Some(Level::Info), 0),
            (Some(Level::Error), 6),
            (Some(Level::Warning), 0),
            (Some(Level::Info), 0),
            (Some(Level::Critical), 5),
            (Some(Level::Info), 0),
        ]
    );
    assert_eq!(
        entries[2].message,
        "Exception on /tools/64b7f0c2a1e4d5f6a7b8c9d0 [GET]"
    );
    assert_eq!(
        entries[2].continuation[0],
        "Traceback (most recent call last):"
    );
    assert_eq!(
        entries[2].continuation[5],
        "ValueError: invalid literal for int() with base 10: 'zwölf'"
    );
    assert_eq!(
        entries[5].continuation[4], "",
        "the '\\r'-only line is an empty continuation"
    );
    assert_eq!(
        entries[4].message,
        "Ausleihe gespeichert: Hammer (Größe 3) an Müller"
    );
    assert_eq!(
        entries[6].message,
        "Request: GET http://192.168.178.56:5000/health - IP: 127.0.0.1"
    );
    assert_eq!(entries[6].timestamp, Some(at("2025-07-31 21:37:15.000")));
    assert!(
        entries
            .iter()
            .all(|e| e.format == LogFormat::ScandyApp && !e.truncated)
    );
    assert_eq!(
        entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4, 5, 6]
    );
    assert_eq!(entries.iter().map(LogEntry::line_count).sum::<usize>(), 18);
}

#[test]
fn line_by_line_feeding_matches_assemble_all() {
    let mut assembler = EntryAssembler::new(0);
    let mut entries: Vec<LogEntry> = APP_LOG
        .lines()
        .filter_map(|l| assembler.push(l.as_bytes()))
        .collect();
    assert_eq!(assembler.pending().map(|e| e.seq), Some(6));
    entries.extend(assembler.finish());
    assert_eq!(entries, assemble_all(0, APP_LOG.as_bytes()));
}

/// Three sources with interleaved times: app.log, security.log, auto_backup.log.
fn three_sources() -> Vec<Vec<LogEntry>> {
    let app = "\
2025-07-31 02:00:00,500 - INFO - Request: GET http://10.0.0.2:5000/ - IP: 10.0.0.9
2025-07-31 02:00:03,000 - ERROR - Backup-Job doppelt gestartet
Traceback (most recent call last):
RuntimeError: lock held
2025-07-31 02:00:05,000 - INFO - Request: GET http://10.0.0.2:5000/tools/ - IP: 10.0.0.9
";
    let security = "\
2025-07-31 02:00:01,000 - scandy.security - WARNING - Fehlgeschlagener Login: admin - IP: 10.0.0.66
2025-07-31 02:00:03,000 - scandy.security - INFO - Login erfolgreich: admin
";
    let backup = "\
[31.07.2025 02:00:00] Starte automatisches Backup
[31.07.2025 02:00:04] FEHLER: mongodump fehlgeschlagen
[31.07.2025 02:00:05] Backup beendet
";
    vec![
        assemble_all(0, app.as_bytes()),
        assemble_all(1, security.as_bytes()),
        assemble_all(2, backup.as_bytes()),
    ]
}

#[test]
fn three_sources_merge_by_time() {
    let merged = merge_by_time(three_sources());
    let order: Vec<_> = merged.iter().map(|e| (e.source, e.seq)).collect();
    assert_eq!(
        order,
        [
            (2, 0),
            (0, 0),
            (1, 0),
            (0, 1),
            (1, 1),
            (2, 1),
            (0, 2),
            (2, 2)
        ]
    );
    assert_eq!(merged[3].continuation.len(), 2);
    assert_eq!(merged[2].logger.as_deref(), Some("scandy.security"));
    assert_eq!(merged[5].level, Some(Level::Error));
    assert_eq!(merged[5].format, LogFormat::AutoBackup);
}

#[test]
fn filters_by_level_source_time_and_pattern() {
    let merged = merge_by_time(three_sources());
    let pick = |f: &EntryFilter| -> Vec<&str> {
        merged
            .iter()
            .filter(|e| f.matches(e))
            .map(|e| e.message.as_str())
            .collect()
    };
    let errors = EntryFilter {
        min_level: Some(Level::Error),
        ..Default::default()
    };
    assert_eq!(
        pick(&errors),
        [
            "Backup-Job doppelt gestartet",
            "FEHLER: mongodump fehlgeschlagen"
        ]
    );
    let security = EntryFilter {
        sources: Some(vec![1]),
        ..Default::default()
    };
    assert_eq!(pick(&security).len(), 2);
    let now = at("2025-07-31 02:00:07");
    let recent = EntryFilter {
        since: parse_since("4s", now).ok(),
        ..Default::default()
    };
    assert_eq!(pick(&recent).len(), 5, "02:00:03 inclusive onwards");
    let window = EntryFilter {
        since: parse_since("2025-07-31T02:00:01", now).ok(),
        until: parse_since("2025-07-31 02:00:03", now).ok(),
        min_level: Some(Level::Warning),
        ..Default::default()
    };
    assert_eq!(
        pick(&window),
        [
            "Fehlgeschlagener Login: admin - IP: 10.0.0.66",
            "Backup-Job doppelt gestartet"
        ]
    );
    let re = Regex::new("(?i)runtimeerror|login").expect("regex");
    let search = EntryFilter {
        pattern: Some(re.clone()),
        ..Default::default()
    };
    assert_eq!(pick(&search).len(), 3);
    assert_eq!(
        match_ranges(&re, "Login erfolgreich, login"),
        [0..5, 19..24]
    );
}

/// 1000 error lines (one per second from 21:00:00) of three kinds with varying ids and IPs,
/// each followed by an INFO request line.
fn generated_errors() -> String {
    let start = at("2025-07-31 21:00:00");
    let mut text = String::new();
    for i in 0..1000u32 {
        let t = (start + TimeDelta::seconds(i64::from(i))).format("%Y-%m-%d %H:%M:%S");
        let message = match i % 10 {
            0..=5 => format!(
                "Werkzeug {:024x} nicht gefunden - IP: 192.168.178.{}",
                u64::from(i) * 7919,
                i % 250
            ),
            6..=8 => format!(
                "Fehler beim Ausleihen: Barcode {i} bereits an Mitarbeiter {:08x}-1234-4abc-8def-{:012x} verliehen",
                i * 31,
                u64::from(i) * 104_729
            ),
            _ => format!(
                "Datenbank nicht erreichbar: timeout after {i}ms connecting to 10.0.{}.{}:27017",
                i % 7,
                i % 200
            ),
        };
        text.push_str(&format!("{t},{:03} - ERROR - {message}\n", i % 1000));
        text.push_str(&format!(
            "{t},999 - INFO - Request: GET http://192.168.178.56:5000/tools/{i} - IP: 10.0.0.{}\n",
            i % 255
        ));
    }
    text
}

#[test]
fn thousand_errors_collapse_into_three_groups() {
    let entries = assemble_all(0, generated_errors().as_bytes());
    assert_eq!(entries.len(), 2000);
    let groups = error_groups(&entries, Level::Error, 10);
    let summary: Vec<_> = groups.iter().map(|g| (g.shape.as_str(), g.count)).collect();
    assert_eq!(
        summary,
        [
            ("Werkzeug <id> nicht gefunden - IP: <ip>", 600),
            (
                "Fehler beim Ausleihen: Barcode <n> bereits an Mitarbeiter <uuid> verliehen",
                300
            ),
            (
                "Datenbank nicht erreichbar: timeout after <n>ms connecting to <ip>:<n>",
                100
            ),
        ]
    );
    assert_eq!(groups[2].first, Some(at("2025-07-31 21:00:09.009")));
    assert_eq!(groups[2].last, Some(at("2025-07-31 21:16:39.999")));
    assert_eq!(
        groups[2].example,
        "Datenbank nicht erreichbar: timeout after 999ms connecting to 10.0.5.199:27017"
    );
    assert_eq!(groups[0].level, Level::Error);
    assert_eq!(groups[0].sources, [0]);
    let with_info = error_groups(&entries, Level::Info, 10);
    assert_eq!(
        with_info[0].shape,
        "Request: GET http://<ip>:<n>/tools/<n> - IP: <ip>"
    );
    assert_eq!(with_info[0].count, 1000);
    assert_eq!(error_groups(&entries, Level::Error, 2).len(), 2);
    assert_eq!(
        message_shape("Request: GET http://192.168.178.56:5000/workers/5 - IP: 192.168.178.50"),
        "Request: GET http://<ip>:<n>/workers/<n> - IP: <ip>"
    );
}

#[test]
fn errors_per_minute_counts_exact_buckets() {
    let entries = assemble_all(0, generated_errors().as_bytes());
    let now = at("2025-07-31 21:16:45");
    assert_eq!(errors_per_minute(&entries, now, 5), [60, 60, 60, 60, 40]);
    let later = at("2025-07-31 21:18:00");
    assert_eq!(errors_per_minute(&entries, later, 4), [60, 40, 0, 0]);
    let before = at("2025-07-31 20:59:59");
    assert_eq!(errors_per_minute(&entries, before, 3), [0, 0, 0]);
}
