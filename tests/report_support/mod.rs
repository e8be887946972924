//! The fixture of the report tests: a Scandy install with known documents, logs, history
//! points and maintenance log entries for November 2026, a runner for the real binary,
//! and helpers to read Markdown and HTML tables.

#![allow(dead_code)]

pub mod render;

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use chrono::NaiveDateTime;
use mongodb::bson::{Bson, Document, doc};
use scandyctl::maintenance_log::{MaintenanceEntry, append_entry};
use scandyctl::system::sample_log::{HistoryPoint, append_point};

use crate::common;

/// The hostile tool name: markup and an ESC sequence.
pub const HOSTILE_TOOL: &str = "<script>alert(1)</script>\u{1b}[31mSäge";

/// A Scandy install with known data for November 2026, and a runner for the binary.
pub struct ReportFixture {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
    /// The install root.
    pub root: PathBuf,
    /// The backup directory.
    pub backups: PathBuf,
    /// `SCANDYCTL_STATE_DIR` of every run.
    pub state: PathBuf,
    /// The config file.
    pub config: PathBuf,
    /// The database on the test server.
    pub database: String,
}

/// Scandy's naive local time as a BSON date.
pub fn at(text: &str) -> Bson {
    let t = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("time");
    Bson::DateTime(mongodb::bson::DateTime::from_millis(
        t.and_utc().timestamp_millis(),
    ))
}

impl ReportFixture {
    /// Writes the install, config, logs, history and maintenance log, and inserts the
    /// documents into a fresh database.
    pub async fn new(name: &str) -> ReportFixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("scandy");
        let backups = dir.path().join("backups");
        let state = dir.path().join("state");
        std::fs::create_dir_all(root.join("app/logs")).unwrap();
        let fx = ReportFixture {
            config: dir.path().join("scandyctl.toml"),
            database: common::unique_db_name(name),
            root,
            backups,
            state,
            dir,
        };
        fx.write_config(&common::test_mongo().uri, "en");
        fx.write_logs();
        fx.write_history();
        fx.write_maintenance_log();
        fx.insert_documents().await;
        fx
    }

    /// The config file pointing at `uri`.
    pub fn write_config(&self, uri: &str, language: &str) {
        let text = format!(
            "[scandy]\nroot = \"{}\"\n[mongo]\nuri = \"{uri}\"\ndatabase = \"{}\"\n\
             [backup]\ndir = \"{}\"\n[logs]\nfiles = [\"app/logs/*.log\"]\n\
             [ui]\nlanguage = \"{language}\"\n",
            self.root.display(),
            self.database,
            self.backups.display()
        );
        std::fs::write(&self.config, text).expect("config");
    }

    /// `app.log` with known errors and warnings, and its rotation `app.log.1`.
    pub fn write_logs(&self) {
        let log = "\
2026-10-31 23:00:00,000 - ERROR - Datenbankfehler: Verbindung verloren (Versuch 7)
2026-11-02 08:00:00,000 - INFO - Request: GET http://192.168.178.56:5000/tools/ - IP: 192.168.178.50
2026-11-02 08:00:00,000 - INFO - Request: GET http://192.168.178.56:5000/tools/ - IP: 192.168.178.50
2026-11-02 08:15:00,000 - ERROR - Datenbankfehler: Verbindung verloren (Versuch 1)
2026-11-02 08:16:00,000 - ERROR - Datenbankfehler: Verbindung verloren (Versuch 2)
2026-11-03 09:00:00,000 - WARNING - Statische Datei nicht gefunden: /static/js/delete.js - IP: 192.168.178.50
2026-11-03 09:30:00,000 - WARNING - Statische Datei nicht gefunden: /static/js/delete.js - IP: 192.168.178.51
2026-11-05 10:00:00,000 - ERROR - Datenbankfehler: Verbindung verloren (Versuch 3)
2026-11-20 14:00:00,000 - ERROR - Unbehandelte Ausnahme bei /tools/edit
Traceback (most recent call last):
  File \"/opt/scandy/app/routes/tools.py\", line 88, in edit
KeyError: 'barcode'
2026-11-21 07:00:00,000 - WARNING - Ungültige Eingabe: \u{1b}[31m<b>rot</b>
2026-12-01 00:00:00,000 - ERROR - Datenbankfehler: Verbindung verloren (Versuch 8)
";
        std::fs::write(self.root.join("app/logs/app.log"), log).unwrap();
        std::fs::write(
            self.root.join("app/logs/app.log.1"),
            "2026-11-01 00:00:00,000 - ERROR - Datenbankfehler: Verbindung verloren (Versuch 9)\n",
        )
        .unwrap();
    }

    /// Ten points on 10 November (2 with `/health` down, 1 with MongoDB down), one
    /// before and one after the month.
    pub fn write_history(&self) {
        let point = |at: &str, health: bool, mongo: bool, ms: Option<u64>, cpu: f32| HistoryPoint {
            at: at.parse().unwrap(),
            cpu_percent: cpu,
            memory_used_percent: 50.0,
            load1: Some(0.5),
            health_ok: Some(health),
            health_ms: ms,
            mongo_ok: Some(mongo),
            mongo_ms: Some(2),
            db_data_bytes: None,
            disk_used_percent: Some(40.0),
        };
        append_point(
            &self.state,
            &point("2026-10-31T23:55:00Z", false, false, None, 99.0),
        )
        .unwrap();
        for i in 0..10u64 {
            let health = i != 2 && i != 6;
            let at = format!("2026-11-10T00:{:02}:00Z", i * 5);
            let ms = health.then_some((i + 1) * 10);
            append_point(
                &self.state,
                &point(&at, health, i != 6, ms, i as f32 * 10.0),
            )
            .unwrap();
        }
        append_point(
            &self.state,
            &point("2026-12-01T00:00:00Z", false, false, None, 99.0),
        )
        .unwrap();
    }

    /// Three entries in November, one in October.
    pub fn write_maintenance_log(&self) {
        for (when, kind, title) in [
            ("2026-10-30T07:00:00Z", "checklist", "Oktober"),
            (
                "2026-11-02T07:00:00Z",
                "checklist",
                "Tägliche Checkliste abgeschlossen",
            ),
            ("2026-11-03T02:00:00Z", "backup", "Vollsicherung erstellt"),
            (
                "2026-11-09T07:00:00Z",
                "checklist",
                "Wöchentliche Checkliste abgeschlossen",
            ),
        ] {
            let mut entry = MaintenanceEntry::now(kind, title, "");
            entry.at = when.parse().unwrap();
            entry.actor = "anna".into();
            append_entry(&self.state, &entry).unwrap();
        }
    }

    /// Tools, workers, lendings, consumables, usages and tickets with known dates.
    pub async fn insert_documents(&self) {
        let client = common::client().await;
        let db = client.database(&self.database);
        let insert = |name: &'static str, docs: Vec<Document>| {
            let coll = db.collection::<Document>(name);
            async move { coll.insert_many(docs).await.expect("insert") }
        };
        insert(
            "tools",
            vec![
                doc! { "barcode": "W001", "name": "Bohrmaschine Makita", "deleted": false, "created_at": at("2026-01-10 09:00:00") },
                doc! { "barcode": "W002", "name": "Akkuschrauber", "deleted": false, "created_at": at("2026-02-10 09:00:00") },
                doc! { "barcode": "W003", "name": HOSTILE_TOOL, "deleted": false },
                doc! { "barcode": "W004", "name": "Alte Flex", "deleted": true, "deleted_at": at("2026-10-01 12:00:00") },
                doc! { "barcode": "W005", "name": "Neue Säge", "deleted": false, "created_at": at("2026-12-02 12:00:00") },
            ],
        )
        .await;
        insert(
            "workers",
            vec![
                doc! { "barcode": "M001", "firstname": "Anna", "lastname": "Berg" },
                doc! { "barcode": "M002", "firstname": "Ben", "lastname": "Kurz", "deleted": false },
                doc! { "barcode": "M003", "firstname": "Cem", "lastname": "Lang", "deleted": true, "deleted_at": at("2026-11-10 08:00:00") },
            ],
        )
        .await;
        let lending = |tool: &str, worker: &str, lent: &str, returned: Option<&str>| {
            doc! {
                "tool_barcode": tool,
                "worker_barcode": worker,
                "lent_at": at(lent),
                "returned_at": returned.map_or(Bson::Null, at),
                "created_at": at(lent),
            }
        };
        insert(
            "lendings",
            vec![
                lending(
                    "W001",
                    "M001",
                    "2026-10-20 08:00:00",
                    Some("2026-10-25 08:00:00"),
                ),
                lending(
                    "W002",
                    "M002",
                    "2026-10-28 08:00:00",
                    Some("2026-10-30 08:00:00"),
                ),
                lending(
                    "W001",
                    "M001",
                    "2026-11-01 00:00:00",
                    Some("2026-11-01 06:00:00"),
                ),
                lending(
                    "W001",
                    "M002",
                    "2026-11-04 09:00:00",
                    Some("2026-11-06 12:00:00"),
                ),
                lending("W003", "M002", "2026-11-05 10:00:00", None),
                lending(
                    "W002",
                    "M001",
                    "2026-11-10 07:30:00",
                    Some("2026-11-12 16:00:00"),
                ),
                lending("W001", "M001", "2026-11-18 08:00:00", None),
                lending("W001", "M002", "2026-11-24 11:00:00", None),
                lending("W002", "M001", "2026-11-30 23:59:59", None),
                lending("W001", "M001", "2026-12-01 00:00:00", None),
            ],
        )
        .await;
        insert(
            "consumables",
            vec![
                doc! { "barcode": "V001", "name": "Schrauben 4x40", "quantity": 200 },
                doc! { "barcode": "V002", "name": "Holzleim", "quantity": 10 },
            ],
        )
        .await;
        let usage = |barcode: &str, quantity: Bson, used: &str| {
            doc! { "consumable_barcode": barcode, "worker_barcode": "M001", "quantity": quantity, "used_at": at(used) }
        };
        insert(
            "consumable_usages",
            vec![
                usage("V001", Bson::Int32(-7), "2026-10-12 10:00:00"),
                usage("V001", Bson::Int32(-5), "2026-11-03 10:00:00"),
                usage("V001", Bson::Int64(-3), "2026-11-20 10:00:00"),
                usage("V002", Bson::Double(-2.0), "2026-11-21 10:00:00"),
                usage("V001", Bson::Int32(50), "2026-11-22 10:00:00"),
            ],
        )
        .await;
        let ticket = |created: &str, status: &str, extra: Document| {
            let mut d = doc! { "title": "Reparatur", "status": status, "created_at": at(created), "updated_at": at(created) };
            d.extend(extra);
            d
        };
        insert(
            "tickets",
            vec![
                ticket("2026-10-15 08:00:00", "erledigt", doc! { "updated_at": at("2026-10-20 08:00:00") }),
                // Closed in November by its updated_at (no closing field).
                ticket("2026-10-20 08:00:00", "erledigt", doc! { "updated_at": at("2026-11-27 08:00:00") }),
                ticket("2026-11-02 08:00:00", "offen", doc! {}),
                ticket("2026-11-03 08:00:00", "erledigt", doc! { "resolved_at": at("2026-11-10 09:00:00"), "updated_at": at("2026-11-10 09:00:00") }),
                ticket("2026-11-09 08:00:00", "in_bearbeitung", doc! {}),
                // closed_at wins over a later updated_at.
                ticket("2026-11-17 08:00:00", "geschlossen", doc! { "closed_at": at("2026-11-19 09:00:00"), "updated_at": at("2026-12-02 09:00:00") }),
                ticket("2026-11-25 08:00:00", "offen", doc! {}),
            ],
        )
        .await;
    }

    /// A command for the binary with this fixture's config, state dir and a clean environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_scandyctl"));
        cmd.arg("--config").arg(&self.config).args(args);
        for var in [
            "MONGODB_URI",
            "MONGODB_DB",
            "SCANDYCTL_CONFIG",
            "LANG",
            "LC_ALL",
            "LC_MESSAGES",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", self.dir.path())
            .env("SCANDYCTL_STATE_DIR", &self.state)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        cmd
    }

    /// Runs the binary.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run scandyctl")
    }

    /// A path in the fixture's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `report ARGS --out NAME` (asserting exit 0) and returns the file's text.
    pub fn report(&self, args: &[&str], name: &str) -> String {
        let out_path = self.path(name);
        let mut all = vec!["report"];
        all.extend_from_slice(args);
        all.extend(["--out", out_path.to_str().unwrap()]);
        let out = self.run(&all);
        assert_eq!(
            out.status.code(),
            Some(0),
            "report {args:?}: {}",
            text(&out)
        );
        std::fs::read_to_string(&out_path).expect("report file")
    }
}

/// stdout and stderr of a run, for messages.
pub fn text(out: &Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Asserts that `doc` holds every one of `lines` as a whole line.
pub fn assert_lines(doc: &str, lines: &[&str]) {
    let present: HashSet<&str> = doc.lines().collect();
    for line in lines {
        assert!(present.contains(line), "missing line {line:?} in:\n{doc}");
    }
}

/// The text content of the HTML table row whose first cell is `label`, cells joined by `|`.
pub fn html_row(html: &str, label: &str) -> String {
    let needle = format!("<tr><th scope=\"row\">{label}</th><td>");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no row {label:?} in the HTML"));
    let rest = &html[start + needle.len()..];
    rest[..rest.find("</td></tr>").expect("row end")].to_string()
}

/// The cells of the HTML data rows (`<tr><td>…`) joined by `|`.
pub fn html_data_rows(html: &str) -> Vec<String> {
    html.lines()
        .filter(|l| l.starts_with("<tr><td"))
        .map(|l| {
            let mut cells = Vec::new();
            let mut rest = l;
            while let Some(open) = rest.find("<td") {
                let body = &rest[open..];
                let content = &body[body.find('>').unwrap() + 1..];
                let end = content.find("</td>").unwrap();
                cells.push(content[..end].to_string());
                rest = &content[end..];
            }
            cells.join("|")
        })
        .collect()
}
