//! Metrics end to end: `scandyctl.prom` written by `status` and a scheduled run, and
//! `watch --metrics-listen` serving `/metrics`, both accepted by `promtool check metrics`;
//! a real Prometheus on loopback scrapes the endpoint and answers a query for
//! `scandyctl_backup_last_success_timestamp_seconds`.

mod backup_support;
mod common;
mod metrics_support;
mod schedule_support;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use backup_support::{Fixture, assert_success};
use metrics_support::{Guard, free_port, poll, promtool_check, tool};
use schedule_support::{DAILY_UTC, write_state_daily_ran_days_ago};

fn metrics_config(fx: &Fixture) -> std::path::PathBuf {
    let dir = fx.dir.path().join("node-exporter");
    std::fs::create_dir_all(&dir).unwrap();
    fx.write_config(&format!(
        "{DAILY_UTC}\n[metrics]\ntextfile_dir = \"{}\"\n",
        dir.display()
    ));
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn the_textfile_passes_promtool_and_follows_each_run() {
    let Some(promtool) = tool(&["promtool"], "prometheus") else {
        return;
    };
    let fx = Fixture::new("metrics_textfile").await;
    let dir = metrics_config(&fx);
    fx.backup();
    let status = fx.run(&["status"]);
    assert_success(&status, "status");
    let path = dir.join("scandyctl.prom");
    let text = std::fs::read_to_string(&path).expect("status writes scandyctl.prom");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
    let (ok, said) = promtool_check(&promtool, &text);
    assert!(ok, "promtool: {said}\n{text}");
    let database = format!("database=\"{}\"", fx.database);
    for name in [
        "scandyctl_backup_last_success_timestamp_seconds",
        "scandyctl_backup_last_duration_seconds",
        "scandyctl_backup_last_size_bytes",
        "scandyctl_backup_sets",
        "scandyctl_schedule_next_run_timestamp_seconds",
        "scandyctl_backup_dir_free_bytes",
    ] {
        assert!(text.contains(&format!("# HELP {name} ")), "{name}\n{text}");
        assert!(
            text.contains(&format!("# TYPE {name} gauge")),
            "{name}\n{text}"
        );
    }
    assert!(text.contains(&database), "{text}");
    assert!(
        text.contains("scandyctl_backup_sets{host="),
        "instance labels: {text}"
    );
    assert!(text.contains("type=\"full\"} 1\n"), "{text}");
    assert!(text.contains("entry=\"daily\""), "{text}");
    let before: f64 = text
        .lines()
        .find(|l| l.starts_with("scandyctl_backup_last_success_timestamp_seconds{"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(leftovers.len(), 1, "only scandyctl.prom, no temp file");

    // A scheduled run refreshes it: two sets, the last run ok.
    write_state_daily_ran_days_ago(&fx, 2, None);
    let run = fx.run(&["schedule", "run", "--once"]);
    assert_success(&run, "schedule run --once");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("scandyctl_schedule_last_run_ok{"), "{text}");
    assert!(text.contains("entry=\"daily\"} 1\n"), "{text}");
    // The scheduled set replaced the manual one (pruned: same day) as the newest full set.
    let success = |text: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with("scandyctl_backup_last_success_timestamp_seconds{"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    assert!(success(&text) > before, "{text}");
    let (ok, said) = promtool_check(&promtool, &text);
    assert!(ok, "promtool: {said}\n{text}");
}

/// Starts `watch --metrics-listen 127.0.0.1:0` and returns it with the served URL.
fn start_watch(fx: &Fixture) -> (Guard, String) {
    let mut child = fx
        .command(&["watch", "--metrics-listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let guard = Guard(child);
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("watch ended before serving /metrics")
            .unwrap();
        if let Some(url) = line.strip_prefix("metrics: serving ") {
            break url.to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (guard, url)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_prometheus_scrapes_the_metrics_endpoint() {
    let Some(promtool) = tool(&["promtool"], "prometheus") else {
        return;
    };
    let Some(prometheus) = tool(&["prometheus"], "prometheus") else {
        return;
    };
    let fx = Fixture::new("metrics_scrape").await;
    metrics_config(&fx);
    fx.backup();
    let (_watch, url) = start_watch(&fx);
    let body = poll(&url, Duration::from_secs(60), |b| {
        b.contains("scandyctl_mongodb_up")
    })
    .await;
    let (ok, said) = promtool_check(&promtool, &body);
    assert!(ok, "promtool: {said}\n{body}");
    assert!(body.contains("scandyctl_mongodb_up{"), "{body}");
    assert!(body.contains("} 1\n"), "{body}");
    assert!(
        body.contains("# TYPE scandyctl_alerts_firing gauge"),
        "{body}"
    );
    let missing = reqwest::get(url.replace("/metrics", "/other"))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    // Prometheus on a free loopback port, scraping every second.
    let target = url
        .trim_start_matches("http://")
        .trim_end_matches("/metrics")
        .to_string();
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: scandyctl\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let _prometheus = Guard(
        Command::new(prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                work.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus"),
    );
    let query = format!(
        "http://127.0.0.1:{port}/api/v1/query?query=scandyctl_backup_last_success_timestamp_seconds"
    );
    let answer = poll(&query, Duration::from_secs(90), |b| {
        b.contains("\"result\":[{")
    })
    .await;
    let value: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let result = &value["data"]["result"][0];
    assert_eq!(
        result["metric"]["__name__"],
        "scandyctl_backup_last_success_timestamp_seconds"
    );
    assert_eq!(result["metric"]["type"], "full");
    assert_eq!(result["metric"]["database"], fx.database.as_str());
    let stamp: f64 = result["value"][1].as_str().unwrap().parse().unwrap();
    let age = chrono::Utc::now().timestamp() as f64 - stamp;
    assert!((0.0..600.0).contains(&age), "a recent backup: {age} s old");
}
