//! Realistic Scandy log entries: requests, warnings, errors with Python tracebacks.

use chrono::NaiveDateTime;

use crate::datagen::rng::Rng;

/// Host the demo "Scandy" listens on, as it appears in request lines.
const SERVER: &str = "http://192.168.178.56:5000";

const PATHS: &[&str] = &[
    "/",
    "/tools/",
    "/workers/",
    "/consumables/",
    "/tickets/",
    "/tickets/create",
    "/admin/dashboard",
    "/admin/manage_users",
    "/quickscan/",
    "/api/tools/search",
    "/history",
    "/auth/login",
    "/static/css/main.css",
    "/static/js/quickscan.js",
];

const MISSING_STATIC: &[&str] = &[
    "/static/js/delete.js",
    "/static/images/favicon.png",
    "/static/css/print.css",
];

const USERS: &[&str] = &[
    "admin",
    "jürgen.weiß",
    "anna.müller",
    "tobias.krüger",
    "lea.schäfer",
];

/// Formats a time like Python logging's `%(asctime)s`: `2025-07-31 21:35:27,958`.
pub fn python_asctime(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S,%3f").to_string()
}

/// Produces log entries in Scandy's formats from a deterministic random source.
pub struct LineGen {
    rng: Rng,
}

impl LineGen {
    /// Creates a generator; the same seed gives the same entries.
    pub fn new(seed: u64) -> Self {
        LineGen {
            rng: Rng::new(seed),
        }
    }

    fn ip(&mut self) -> String {
        format!("192.168.178.{}", self.rng.range(20, 90))
    }

    /// Returns one `app.log` entry (`%(asctime)s - %(levelname)s - %(message)s`),
    /// possibly followed by traceback lines without a timestamp; no trailing newline.
    pub fn app_entry(&mut self, at: NaiveDateTime) -> String {
        let ts = python_asctime(at);
        let roll = self.rng.below(1000);
        if roll < 930 {
            let method = if self.rng.chance(0.85) { "GET" } else { "POST" };
            let path = *self.rng.pick(PATHS);
            let ip = self.ip();
            format!("{ts} - INFO - Request: {method} {SERVER}{path} - IP: {ip}")
        } else if roll < 960 {
            let file = *self.rng.pick(MISSING_STATIC);
            let ip = self.ip();
            format!("{ts} - WARNING - Statische Datei nicht gefunden: {file} - IP: {ip}")
        } else if roll < 975 {
            let user = *self.rng.pick(USERS);
            let ip = self.ip();
            format!(
                "{ts} - WARNING - Fehlgeschlagener Login-Versuch für Benutzer '{user}' - IP: {ip}"
            )
        } else if roll < 988 {
            let code = self.rng.range(100_000, 100_500);
            format!("{ts} - ERROR - Werkzeug mit Barcode {code} nicht gefunden")
        } else {
            self.traceback_entry(&ts)
        }
    }

    fn traceback_entry(&mut self, ts: &str) -> String {
        if self.rng.chance(0.5) {
            format!(
                "{ts} - ERROR - Fehler beim Laden der Werkzeuge: localhost:27017: [Errno 111] Connection refused\n\
                 Traceback (most recent call last):\n  \
                 File \"/opt/scandy/app/routes/tools.py\", line 87, in index\n    \
                 tools = mongodb.find('tools', {{'deleted': {{'$ne': True}}}})\n  \
                 File \"/opt/scandy/app/models/mongodb_database.py\", line 112, in find\n    \
                 for doc in cursor:\n  \
                 File \"/opt/scandy/venv/lib/python3.11/site-packages/pymongo/cursor.py\", line 1264, in next\n    \
                 if len(self.__data) or self._refresh():\n\
                 pymongo.errors.ServerSelectionTimeoutError: localhost:27017: [Errno 111] Connection refused, Timeout: 30s"
            )
        } else {
            format!(
                "{ts} - ERROR - Exception on /tickets/ [GET]\n\
                 Traceback (most recent call last):\n  \
                 File \"/opt/scandy/venv/lib/python3.11/site-packages/flask/app.py\", line 1511, in wsgi_app\n    \
                 response = self.full_dispatch_request()\n  \
                 File \"/opt/scandy/app/routes/tickets.py\", line 214, in index\n    \
                 ticket['due_date'].strftime('%d.%m.%Y')\n\
                 AttributeError: 'str' object has no attribute 'strftime'"
            )
        }
    }

    /// Returns one line of a specialised log (`asctime - name - levelname - message`).
    pub fn special_entry(&mut self, log: &str, at: NaiveDateTime) -> String {
        let ts = python_asctime(at);
        let user = *self.rng.pick(USERS);
        let ip = self.ip();
        let (level, message) = match log {
            "security" => {
                if self.rng.chance(0.2) {
                    (
                        "WARNING",
                        format!("Fehlgeschlagener Login für Benutzer '{user}' von {ip}"),
                    )
                } else {
                    ("INFO", format!("Erfolgreicher Login: {user} von {ip}"))
                }
            }
            "user_actions" => {
                let tool = self.rng.range(100_000, 100_500);
                (
                    "INFO",
                    format!("Benutzer {user} hat Werkzeug {tool} ausgeliehen"),
                )
            }
            "database" => {
                let ms = self.rng.range(5, 2500);
                if ms > 1500 {
                    ("WARNING", format!("Langsame Abfrage auf tools: {ms} ms"))
                } else {
                    (
                        "INFO",
                        format!("Abfrage consumables abgeschlossen in {ms} ms"),
                    )
                }
            }
            "api" => {
                let path = *self.rng.pick(PATHS);
                let status = if self.rng.chance(0.95) { 200 } else { 404 };
                ("INFO", format!("GET /api{path} - {status} - {ip}"))
            }
            "errors" => (
                "ERROR",
                "E-Mail-Versand fehlgeschlagen: [Errno 111] Connection refused".to_string(),
            ),
            _ => {
                let secs = self.rng.range(20, 3000) as f64 / 1000.0;
                ("INFO", format!("Seite /tools/ gerendert in {secs:.3}s"))
            }
        };
        format!("{ts} - scandy.{log} - {level} - {message}")
    }
}

/// Formats an `auto_backup.log` line: `[31.07.2025 02:00:01] message`.
pub fn auto_backup_line(at: NaiveDateTime, message: &str) -> String {
    format!("[{}] {message}", at.format("%d.%m.%Y %H:%M:%S"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 7, 31)
            .and_then(|d| d.and_hms_milli_opt(21, 35, 27, 958))
            .unwrap()
    }

    #[test]
    fn app_lines_use_scandys_format() {
        let mut lines = LineGen::new(7);
        let mut tracebacks = 0;
        for _ in 0..2000 {
            let entry = lines.app_entry(at());
            assert!(entry.starts_with("2025-07-31 21:35:27,958 - "), "{entry}");
            if entry.contains("\nTraceback (most recent call last):\n") {
                tracebacks += 1;
                assert!(entry.lines().skip(1).all(|l| !l.starts_with("2025-")));
            }
        }
        assert!(tracebacks > 0);
    }

    #[test]
    fn special_and_backup_lines() {
        let line = LineGen::new(1).special_entry("security", at());
        assert!(line.starts_with("2025-07-31 21:35:27,958 - scandy.security - "));
        assert_eq!(
            auto_backup_line(at(), "Backup gestartet"),
            "[31.07.2025 21:35:27] Backup gestartet"
        );
    }
}
