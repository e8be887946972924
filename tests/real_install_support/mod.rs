//! A generated native Scandy install laid out as Scandy's installer does it — the whole
//! repository copied (compose file, Dockerfile, helper scripts, `app/logs/app.log.1`), its
//! venv, its `.env` with `WEB_PORT` — with a stand-in gunicorn that answers `/health`,
//! rate-limits like Flask-Limiter and logs like Scandy.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The stand-in server's source.
const STANDIN: &str = include_str!("gunicorn_standin.py");

/// Scandy's repository `docker-compose.yml` (as copied into native installs).
const REPO_COMPOSE: &str = "services:\n  scandy-mongodb:\n    image: mongo:7\n    container_name: scandy-mongodb-scandy\n    \
    environment:\n      MONGO_INITDB_ROOT_USERNAME: admin\n      MONGO_INITDB_ROOT_PASSWORD: ${MONGO_INITDB_ROOT_PASSWORD}\n  \
    scandy-app:\n    build: .\n    container_name: scandy-app-scandy\n    ports:\n      - \"5000:5000\"\n    environment:\n      \
    MONGODB_URI: mongodb://admin:${MONGO_INITDB_ROOT_PASSWORD}@scandy-mongodb:27017/scandy?authSource=admin\n  \
    scandy-mongo-express:\n    image: mongo-express\n    container_name: scandy-mongo-express-scandy\n";

/// The `.env` secret that must never be printed.
pub const ROOT_PASSWORD: &str = "Rt-Geheim-4711";

/// A free loopback port.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// `2025-07-31 HH:MM:SS,mmm`, `seconds` after midnight.
fn stamp(seconds: u32, milli: u32) -> String {
    format!(
        "2025-07-31 {:02}:{:02}:{:02},{milli:03}",
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// `app/logs/app.log.1` as Scandy's repository ships it: about 1 MB of production log with
/// every request logged twice, warnings, errors and a traceback. Returns (entries, errors).
pub fn production_log() -> (String, usize, usize) {
    let mut out = String::new();
    let (mut entries, mut errors) = (0, 0);
    let mut i = 0u32;
    while out.len() < 1_000_000 {
        let t = stamp(i, i % 1000);
        let request = format!(
            "{t} - INFO - Request: GET http://192.168.178.56:5000/workers/{} - IP: 192.168.178.50\n",
            i % 97
        );
        out.push_str(&request);
        out.push_str(&request);
        entries += 2;
        match i % 50 {
            7 => {
                out.push_str(&format!(
                    "{t} - WARNING - Statische Datei nicht gefunden: /static/js/delete.js - IP: 192.168.178.50\n"
                ));
                entries += 1;
            }
            23 => {
                out.push_str(&format!(
                    "{t} - ERROR - Fehler beim Laden der Werkzeuge: 'NoneType' object is not subscriptable\n\
                     Traceback (most recent call last):\n  File \"/opt/scandy/app/routes/tools.py\", line 42, in index\n    \
                     tools = get_tools()\nTypeError: 'NoneType' object is not subscriptable\n"
                ));
                entries += 1;
                errors += 1;
            }
            _ => {}
        }
        out.push_str(&format!("{t} - INFO - Response: 200 OK 200\n"));
        entries += 1;
        i += 1;
    }
    (out, entries, errors)
}

/// A generated install and its running stand-in gunicorn.
pub struct RealInstall {
    /// Holds everything (install, state directory, home).
    pub dir: tempfile::TempDir,
    /// The install root.
    pub root: PathBuf,
    /// `WEB_PORT`.
    pub web_port: u16,
    server: Child,
}

impl RealInstall {
    /// Lays out the install and starts the stand-in with Flask-Limiter `limit`; `exhausted`
    /// starts it with the client's budget already spent.
    pub fn start(limit: &str, exhausted: bool) -> RealInstall {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("opt/scandy");
        let web_port = free_port();
        write(
            &root.join(".env"),
            &format!(
                "# Scandy\nMONGODB_URI=mongodb://localhost:27017/scandy\nMONGO_INITDB_DATABASE=scandy\n\
                 MONGODB_DB=scandy\nSECRET_KEY=0f3c9d7e\nWEB_PORT={web_port}\n\
                 MONGO_INITDB_ROOT_PASSWORD={ROOT_PASSWORD}\n\
                 ME_CONFIG_MONGODB_URL=mongodb://admin:${{MONGO_INITDB_ROOT_PASSWORD}}@scandy-mongodb-scandy:27017/\n"
            ),
        );
        write(&root.join("docker-compose.yml"), REPO_COMPOSE);
        write(
            &root.join("Dockerfile"),
            "FROM python:3.11-slim\nCOPY . /app\n",
        );
        write(&root.join("requirements.txt"), "flask\ngunicorn\npymongo\n");
        write(&root.join("install_scandy_universal.sh"), "#!/bin/bash\n");
        write(&root.join("app/__init__.py"), "");
        write(&root.join("app/wsgi.py"), "from app import app\n");
        write(&root.join("app/static/uploads/logos/.keep"), "");
        let (log, _, _) = production_log();
        write(&root.join("app/logs/app.log.1"), &log);
        write(&root.join("app/logs/app.log"), "");
        write(
            &root.join("logs/security.log"),
            "2026-12-02 05:10:06,526 - scandy.security - WARNING - SECURITY_EVENT: \
             {'event_type': 'login_failed', 'user': 'admin', 'ip': '127.0.0.1'}\n",
        );
        for name in [
            "scandy_backup_20261130_020000.json",
            "scandy_backup_20261201_020000.zip",
            "scandy_backup_20261202_051315.zip",
        ] {
            write(&root.join("backups").join(name), "{}");
        }
        std::fs::create_dir_all(root.join("backups/scandy_native_backup_20261202_020000")).unwrap();
        let gunicorn = root.join("venv/bin/gunicorn");
        write(&gunicorn, &format!("#!/usr/bin/env python3\n{STANDIN}"));
        write(&root.join("venv/bin/python"), "");
        let python =
            std::env::var("SCANDYCTL_SECANTUS_PYTHON").unwrap_or_else(|_| "python3".into());
        let mut cmd = Command::new(python);
        cmd.arg(&gunicorn)
            .args(["--bind", &format!("127.0.0.1:{web_port}"), "--workers", "2"])
            .args(["--limit", limit])
            .arg("app.wsgi:app")
            .current_dir(&root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if exhausted {
            cmd.arg("--exhaust");
        }
        let server = cmd.spawn().expect("start the stand-in gunicorn");
        let install = RealInstall {
            dir,
            root,
            web_port,
            server,
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", web_port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the stand-in gunicorn did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        install
    }

    /// The state directory the tests give scandyctl.
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// A command running the real binary with a clean environment (own home and state).
    pub fn scandyctl(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_scandyctl"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("LANG", "C.UTF-8")
            .env("SCANDYCTL_STATE_DIR", self.state_dir())
            .stdin(Stdio::null());
        cmd
    }

    /// Every `/health` request the stand-in saw: (unix time, status).
    pub fn health_requests(&self) -> Vec<(f64, u16)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.web_port)).unwrap();
        stream
            .write_all(b"GET /__requests HTTP/1.0\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(body).unwrap();
        value["health"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| (pair[0].as_f64().unwrap(), pair[1].as_u64().unwrap() as u16))
            .collect()
    }
}

impl RealInstall {
    /// Stops the stand-in gunicorn (the install stays).
    pub fn stop_server(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

impl Drop for RealInstall {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// The most requests inside any window of `window` seconds.
pub fn most_in_window(times: &[f64], window: f64) -> usize {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    (0..sorted.len())
        .map(|i| {
            sorted[i..]
                .iter()
                .take_while(|t| **t - sorted[i] < window)
                .count()
        })
        .max()
        .unwrap_or(0)
}
