//! The `alertmanager` notify channel against a real Alertmanager (Debian
//! `prometheus-alertmanager`) on loopback: a firing alert is listed by its API, a resolved
//! one is no longer active, and `scandyctl notify test` delivers through the real binary.

mod metrics_support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use metrics_support::{Guard, free_port, poll, tool};
use scandyctl::notify::{
    ChannelKind, Notification, NotificationStatus, Priority, WebhookFormat, parse_notify, send,
};

/// Starts Alertmanager on a free port with a do-nothing receiver; returns it and its URL.
fn start_alertmanager(work: &Path) -> Option<(Guard, String)> {
    let binary = tool(
        &["prometheus-alertmanager", "alertmanager"],
        "prometheus-alertmanager",
    )?;
    let config = work.join("alertmanager.yml");
    std::fs::write(
        &config,
        "route:\n  receiver: nobody\n  group_wait: 1s\nreceivers:\n  - name: nobody\n",
    )
    .unwrap();
    let port = free_port();
    let child = Command::new(binary)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.path={}", work.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start alertmanager");
    Some((Guard(child), format!("http://127.0.0.1:{port}")))
}

fn config_text(url: &str) -> String {
    format!(
        "[notify]\n[[notify.channels]]\nname = \"am\"\nkind = \"alertmanager\"\nurl = \"{url}\"\n"
    )
}

fn alerts_named(body: &str, name: &str) -> Vec<serde_json::Value> {
    let list: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    list.as_array()
        .map(|a| {
            a.iter()
                .filter(|alert| alert["labels"]["alertname"] == name)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn firing_and_resolved_alerts_reach_a_real_alertmanager() {
    let work = tempfile::tempdir().unwrap();
    let Some((_am, url)) = start_alertmanager(work.path()) else {
        return;
    };
    poll(&format!("{url}/-/ready"), Duration::from_secs(60), |_| true).await;
    let config = parse_notify(&config_text(&url), Path::new("t.toml")).unwrap();
    let channel = config.channel("am").unwrap();
    let ChannelKind::Webhook(hook) = &channel.kind else {
        panic!("an alertmanager channel posts over HTTP");
    };
    assert_eq!(hook.format, WebhookFormat::Alertmanager);
    assert_eq!(hook.url.as_str(), format!("{url}/api/v2/alerts"));

    let mut firing = Notification {
        incident: "backup-failed".into(),
        priority: Priority::Critical,
        status: NotificationStatus::Firing,
        title: "Scheduled backup (daily) failed on werkstatt".into(),
        summary: "MongoDB does not answer".into(),
        host: "werkstatt".into(),
        at: Utc::now(),
    };
    send(channel, &firing).await.expect("firing delivered");
    let listed = poll(
        &format!("{url}/api/v2/alerts"),
        Duration::from_secs(30),
        |b| !alerts_named(b, "scandyctl_backup_failed").is_empty(),
    )
    .await;
    let alert = &alerts_named(&listed, "scandyctl_backup_failed")[0];
    assert_eq!(alert["labels"]["severity"], "critical");
    assert_eq!(alert["labels"]["instance"], "werkstatt");
    assert_eq!(alert["status"]["state"], "active");
    assert_eq!(
        alert["annotations"]["description"],
        "MongoDB does not answer"
    );

    // A repeat keeps it firing; the resolve ends it (endsAt now).
    firing.status = NotificationStatus::Repeat;
    send(channel, &firing).await.expect("repeat delivered");
    firing.status = NotificationStatus::Resolved;
    firing.at = Utc::now();
    send(channel, &firing).await.expect("resolved delivered");
    poll(
        &format!("{url}/api/v2/alerts?active=true"),
        Duration::from_secs(30),
        |b| alerts_named(b, "scandyctl_backup_failed").is_empty(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn notify_test_delivers_through_the_real_binary() {
    let work = tempfile::tempdir().unwrap();
    let Some((_am, url)) = start_alertmanager(work.path()) else {
        return;
    };
    poll(&format!("{url}/-/ready"), Duration::from_secs(60), |_| true).await;
    let config = work.path().join("scandyctl.toml");
    std::fs::write(&config, config_text(&url)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scandyctl"))
        .arg("--config")
        .arg(&config)
        .args(["notify", "test", "--channel", "am"])
        .env("SCANDYCTL_STATE_DIR", work.path().join("state"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("alertmanager"), "{stdout}");
    poll(
        &format!("{url}/api/v2/alerts"),
        Duration::from_secs(30),
        |b| !alerts_named(b, "scandyctl_test").is_empty(),
    )
    .await;

    // A kind that takes no format says so.
    std::fs::write(&config, format!("{}format = \"json\"\n", config_text(&url))).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scandyctl"))
        .arg("--config")
        .arg(&config)
        .args(["notify", "test"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("notify.channels[0].format"), "{stderr}");
    assert!(stderr.contains("alertmanager"), "{stderr}");
}
