//! scandyctl on a native install laid out exactly as Scandy's installer does it (the whole
//! repository copied, compose file included; venv; `.env` with `WEB_PORT`; a gunicorn on
//! that port that rate-limits `/health` like Flask-Limiter): detection, defaults, the
//! `/health` budget of the console and `watch` together, 429 read as "up".

mod pty_support;
mod real_install_support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pty_support::PtySession;
use real_install_support::{ROOT_PASSWORD, RealInstall, free_port, most_in_window, production_log};
use serde_json::Value;

fn json_of(output: &std::process::Output) -> Value {
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// `scandyctl --config CONFIG watch --once --json` on the install, parsed.
fn watch_once(install: &RealInstall, config: &std::path::Path) -> Value {
    let args = [
        "--config",
        config.to_str().unwrap(),
        "watch",
        "--once",
        "--json",
    ];
    json_of(&install.scandyctl(&args).output().unwrap())
}

/// The ids of the active alerts in a `watch --once --json` report.
fn alert_ids(report: &Value) -> Vec<&str> {
    report["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect()
}

/// A config for the install with Scandy's limits `limit` and a 1 s `/health` interval, so
/// only the budget holds the probes back.
fn config(install: &RealInstall, limit: &str) -> std::path::PathBuf {
    let path = install.dir.path().join("scandyctl.toml");
    std::fs::write(
        &path,
        format!(
            "[scandy]\nroot = \"{root}\"\n\n[mongo]\nuri = \"mongodb://127.0.0.1:{mongo}/scandy\"\n\n\
             [backup]\ndir = \"{dir}/backups\"\n\n[web]\nhealth_interval = 1\nrate_limit = \"{limit}\"\n",
            root = install.root.display(),
            mongo = free_port(),
            dir = install.dir.path().display(),
        ),
    )
    .unwrap();
    path
}

#[test]
fn detect_says_native_with_the_env_uri_port_and_its_evidence() {
    let install = RealInstall::start("200 per day; 50 per hour", false);
    let root = install.root.to_str().unwrap();
    let output = install
        .scandyctl(&["detect", "--json", root])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let installs = json_of(&output);
    // Other tests' stand-ins run meanwhile: discovery finds their installs through their
    // running gunicorn too; this test looks at its own.
    let canonical = std::fs::canonicalize(&install.root).unwrap();
    let found = installs
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["root"] == canonical.to_str().unwrap())
        .unwrap_or_else(|| panic!("{installs:#}"));
    assert_eq!(found["kind"], "native", "{found:#}");
    assert_eq!(found["mongo_uri"], "mongodb://localhost:27017/scandy");
    assert_eq!(found["web_port"], install.web_port);
    assert_eq!(found["containers"], serde_json::json!([]));
    let verdict = found["verdict"].as_str().unwrap();
    assert!(verdict.starts_with("native: gunicorn (pid "), "{verdict}");

    let output = install
        .scandyctl(&["detect", "--explain", root])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("[native strong] gunicorn (pid "), "{text}");
    assert!(
        text.contains("[native medium] venv/bin/gunicorn exists"),
        "{text}"
    );
    assert!(
        text.contains("[none no proof] docker-compose.yml names scandy-mongodb-scandy"),
        "{text}"
    );
    assert!(!text.contains(ROOT_PASSWORD), "{text}");
}

#[test]
fn config_and_status_take_the_install_defaults_and_name_scandys_backups() {
    let install = RealInstall::start("200 per day; 50 per hour", false);
    let root = install.root.to_str().unwrap();
    let missing = install.dir.path().join("not-yet");
    let output = install
        .scandyctl(&[
            "--root",
            root,
            "--backup-dir",
            missing.to_str().unwrap(),
            "config",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let config = json_of(&output);
    let web = &config["settings"]["web"];
    assert_eq!(
        web["health_url"]["value"],
        format!("http://127.0.0.1:{}/health", install.web_port)
    );
    assert_eq!(web["health_url"]["source"]["kind"], "dot_env");
    assert_eq!(web["health_url"]["source"]["key"], "WEB_PORT");
    assert_eq!(web["rate_limit"]["value"], "200 per day; 50 per hour");
    assert_eq!(web["health_interval"]["value"], 600);
    assert_eq!(config["install"]["kind"], "native");
    assert_eq!(
        config["settings"]["mongo"]["uri"]["value"],
        "mongodb://localhost:27017/scandy"
    );
    assert!(!String::from_utf8_lossy(&output.stdout).contains(ROOT_PASSWORD));

    let output = install
        .scandyctl(&[
            "--root",
            root,
            "--backup-dir",
            missing.to_str().unwrap(),
            "status",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(!text.contains("no backup exists yet"), "{text}");
    let backups = install.root.join("backups");
    assert!(
        text.contains(&format!(
            "[no-backup-scandy-has] no scandyctl backup yet; Scandy keeps 4 backup(s) of its own in {} (newest scandy_backup_20261202_051315.zip)",
            backups.display()
        )),
        "{text}"
    );
    assert!(
        text.contains("[scandy-empty-dump] 1 scandy_native_backup_*"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "[backup-dir-missing] backup.dir {} does not exist yet; the first backup creates it",
            missing.display()
        )),
        "{text}"
    );
    assert!(
        !missing.exists(),
        "status must not create the backup directory"
    );
}

/// The console and `watch` run side by side for a while against a Scandy whose limit is 20
/// requests per 30 s (so 4 per 30 s are scandyctl's): together they never send more, never
/// see a 429, and keep reporting the app up.
#[test]
fn console_and_watch_together_stay_within_the_health_budget() {
    let install = RealInstall::start("20 per 30 seconds", false);
    let config = config(&install, "20 per 30 seconds");
    let state = install.state_dir();
    let mut watch = install
        .scandyctl(&["--config", config.to_str().unwrap(), "watch"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (lines_tx, lines) = mpsc::channel::<String>();
    let stdout = watch.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let state_text = state.to_str().unwrap().to_string();
    let mut console = PtySession::spawn(
        &["--config", config.to_str().unwrap()],
        install.dir.path(),
        &[("SCANDYCTL_STATE_DIR", &state_text)],
    );
    console.wait_for_text("Overview", Duration::from_secs(20));
    console.send(b"3");
    let run = Duration::from_secs(45);
    let started = Instant::now();
    let mut watch_lines = Vec::new();
    while started.elapsed() < run {
        while let Ok(line) = lines.try_recv() {
            watch_lines.push(line);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let screen = console.wait_for("the /health line", Duration::from_secs(10), |s| {
        s.lines()
            .any(|l| l.contains("/health") && l.contains("healthy"))
    });
    console.send(b"q");
    console.wait_exit(Duration::from_secs(10));
    // SAFETY: kill(2) with SIGTERM on the child we started.
    unsafe {
        libc::kill(watch.id() as i32, libc::SIGTERM);
    }
    watch.wait().unwrap();
    while let Ok(line) = lines.recv_timeout(Duration::from_millis(500)) {
        watch_lines.push(line);
    }

    let requests = install.health_requests();
    let times: Vec<f64> = requests.iter().map(|(t, _)| *t).collect();
    assert!(
        requests.iter().all(|(_, status)| *status == 200),
        "{requests:?}"
    );
    assert!(
        most_in_window(&times, 30.0) <= 4,
        "more than 4 /health requests in 30 s: {requests:?}"
    );
    assert!(times.len() >= 3, "the app was hardly probed: {requests:?}");
    let watch_text = watch_lines.join("\n");
    assert!(watch_text.contains("health: up"), "{watch_text}");
    assert!(!watch_text.contains("health: down"), "{watch_text}");
    assert!(!watch_text.contains("alert firing: health"), "{watch_text}");
    let health_line = screen.lines().find(|l| l.contains("/health")).unwrap();
    assert!(!health_line.contains("refused"), "{screen}");
    assert!(state.join("health").is_dir(), "the budget ledger is shared");
}

/// A Scandy whose limiter already refuses this client: `watch --once` reports it up and
/// rate-limited, raises no health alert, and a second run honours Retry-After.
#[test]
fn a_429_is_up_and_rate_limited_never_down() {
    let install = RealInstall::start("5 per hour", true);
    let config = config(&install, "5 per hour");
    let once = || watch_once(&install, &config);
    let report = once();
    let health = &report["health"];
    assert_eq!(health["healthy"], true, "{report:#}");
    assert_eq!(health["rate_limited"], true, "{report:#}");
    assert_eq!(health["status"], 429);
    let detail = health["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(
            "up, rate-limited: Scandy's rate limiter (Flask-Limiter, 5 per hour per client IP)"
        ),
        "{detail}"
    );
    let ids = alert_ids(&report);
    assert!(!ids.iter().any(|id| id.starts_with("health")), "{ids:?}");

    let report = once();
    assert_eq!(report["health"]["healthy"], true, "{report:#}");
    assert_eq!(report["health"]["via"], "port");
    assert!(
        report["health"]["detail"]
            .as_str()
            .unwrap()
            .contains("rate-limited (429)"),
        "{report:#}"
    );
    assert_eq!(
        install.health_requests().len(),
        1,
        "Retry-After was not honoured"
    );
}

#[test]
fn a_stopped_app_is_down_from_the_port_check() {
    let mut install = RealInstall::start("5 per hour", false);
    let config = config(&install, "5 per hour");
    let once = |install: &RealInstall| watch_once(install, &config);
    let report = once(&install);
    assert_eq!(report["health"]["healthy"], true, "{report:#}");
    assert_eq!(report["health"]["detail"], "healthy");
    install.stop_server();
    let report = once(&install);
    assert_eq!(report["health"]["healthy"], false, "{report:#}");
    assert_eq!(report["health"]["via"], "port");
    assert_eq!(report["health"]["detail"], "connection refused");
    let ids = alert_ids(&report);
    assert!(ids.contains(&"health"), "{ids:?}");
}

/// `logs --count` on the real layout reads `app/logs/app.log.1` (Scandy's repository log)
/// with the live `app.log`, and counts each doubled request line once.
#[test]
fn logs_count_reads_the_shipped_rotation_and_counts_doubled_requests_once() {
    let install = RealInstall::start("200 per day; 50 per hour", false);
    let root = install.root.to_str().unwrap();
    let count = |args: &[&str]| {
        let mut all = vec!["--root", root, "logs", "--count"];
        all.extend_from_slice(args);
        let output = install.scandyctl(&all).output().unwrap();
        assert!(output.status.success(), "{output:?}");
        assert!(
            !String::from_utf8_lossy(&output.stderr).contains("Docker"),
            "{output:?}"
        );
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse::<u64>()
            .unwrap()
    };
    let (log, _, errors) = production_log();
    let requests = log
        .lines()
        .filter(|l| l.contains("Request: GET http://192.168.178.56"))
        .count() as u64;
    assert_eq!(count(&["--level", "error"]), errors as u64);
    assert_eq!(
        count(&["--grep", "192\\.168\\.178\\.56:5000/workers"]),
        requests / 2
    );
}
