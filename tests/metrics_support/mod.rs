//! Helpers for the Prometheus and Alertmanager tests: finding the Debian binaries (a clear
//! failure when they are missing, unless `SCANDYCTL_SKIP_PROMETHEUS=1`), child processes
//! that die with the test, free loopback ports, HTTP polling.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary `name` (first of `names` on PATH). Missing: `None` with a printed message when
/// `SCANDYCTL_SKIP_PROMETHEUS=1`, else a panic saying how to install it.
pub fn tool(names: &[&str], package: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in names {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    if std::env::var("SCANDYCTL_SKIP_PROMETHEUS").is_ok_and(|v| v == "1") {
        eprintln!(
            "SKIPPED: {} not found and SCANDYCTL_SKIP_PROMETHEUS=1",
            names.join("/")
        );
        return None;
    }
    panic!(
        "{} not found on PATH: install the Debian package {package} (bash .ci/run does), or \
         set SCANDYCTL_SKIP_PROMETHEUS=1 to skip this test",
        names.join(" or ")
    );
}

/// A child process killed (and reaped) when dropped.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// GETs `url` until `ready` accepts the body (every 250 ms, at most `limit`).
pub async fn poll(url: &str, limit: Duration, ready: impl Fn(&str) -> bool) -> String {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + limit;
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(response) = client.get(url).send().await
            && let Ok(body) = response.text().await
        {
            if ready(&body) {
                return body;
            }
            last = body;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{url} never got ready within {limit:?}; last answer: {last}");
}

/// Runs `promtool check metrics` on `text`; returns its exit status and output.
pub fn promtool_check(promtool: &Path, text: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run promtool");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}
