//! The monthly security audit's OS update item: pending upgrades as `apt-get -s upgrade`
//! (a simulation, nothing is installed) lists them, security updates counted apart.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;

use super::model::{ItemResult, PerfDatum, Severity};
use super::run::{CheckContext, ItemRun};
use super::support::{capped, unknown};
use crate::logs::process::find_program;

/// Longest time `apt-get -s upgrade` may take.
pub const APT_TIMEOUT: Duration = Duration::from_secs(60);
/// Most bytes read from its output.
const MAX_OUTPUT: u64 = 8 << 20;
/// Packages listed one by one.
const MAX_LINES: usize = 30;

/// One upgrade `apt-get -s upgrade` would install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpdate {
    /// Package name.
    pub package: String,
    /// The version it would install.
    pub version: String,
    /// Whether it comes from a security archive.
    pub security: bool,
}

/// The upgrades in `apt-get -s upgrade` output: its `Inst PACKAGE [OLD] (NEW ARCHIVE [ARCH])`
/// lines; an archive name with `-security` (or `Debian-Security`) marks a security update.
pub fn parse_apt_simulation(output: &str) -> Vec<PendingUpdate> {
    output
        .lines()
        .filter_map(|line| line.strip_prefix("Inst "))
        .filter_map(|rest| {
            let package = rest.split_whitespace().next()?.to_string();
            let version = rest
                .split_once('(')
                .and_then(|(_, v)| v.split_whitespace().next())
                .unwrap_or("")
                .to_string();
            let lower = rest.to_ascii_lowercase();
            Some(PendingUpdate {
                package,
                version,
                security: lower.contains("-security") || lower.contains("debian-security"),
            })
        })
        .collect()
}

/// The OS update item (`info` "apt not present" where apt-get is missing).
pub async fn os_updates_item(_ctx: &CheckContext, id: &str) -> ItemRun {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let Some(apt) = find_program("apt-get", &path) else {
        return ItemResult::new(
            id,
            Severity::Info,
            "apt not present: pending OS updates are not checked here",
        )
        .into();
    };
    let child = tokio::process::Command::new(&apt)
        .args(["-s", "-q", "upgrade"])
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            return unknown(
                id,
                format!("could not check: cannot run {}: {e}", apt.display()),
            )
            .into();
        }
    };
    let mut stdout = child.stdout.take();
    let work = async {
        let mut out = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = s.take(MAX_OUTPUT).read_to_end(&mut out).await;
        }
        (out, child.wait().await)
    };
    let (output, status) = match tokio::time::timeout(APT_TIMEOUT, work).await {
        Ok(done) => done,
        Err(_) => {
            return unknown(
                id,
                format!(
                    "could not check: apt-get -s upgrade did not finish within {} s",
                    APT_TIMEOUT.as_secs()
                ),
            )
            .into();
        }
    };
    match status {
        Ok(status) if status.success() => {}
        Ok(status) => {
            return unknown(
                id,
                format!("could not check: apt-get -s upgrade exited with {status}"),
            )
            .into();
        }
        Err(e) => return unknown(id, format!("could not check: apt-get -s upgrade: {e}")).into(),
    }
    os_updates_result(id, &parse_apt_simulation(&String::from_utf8_lossy(&output))).into()
}

/// The OS update item's result (pure): security updates are a warning, others info.
pub fn os_updates_result(id: &str, updates: &[PendingUpdate]) -> ItemResult {
    let security = updates.iter().filter(|u| u.security).count();
    let (severity, summary) = match (updates.len(), security) {
        (0, _) => (
            Severity::Ok,
            "no pending OS updates (as of the last apt-get update)".to_string(),
        ),
        (n, 0) => (
            Severity::Info,
            format!("{n} pending OS updates, none of them security updates"),
        ),
        (n, s) => (
            Severity::Warning,
            format!("{n} pending OS updates, {s} of them security updates"),
        ),
    };
    let mut sorted: Vec<&PendingUpdate> = updates.iter().collect();
    sorted.sort_by(|a, b| b.security.cmp(&a.security).then(a.package.cmp(&b.package)));
    let lines = sorted
        .iter()
        .map(|u| {
            format!(
                "{} {}{}",
                u.package,
                u.version,
                if u.security { " (security)" } else { "" }
            )
        })
        .collect();
    let mut result = ItemResult::new(id, severity, summary);
    result.evidence = capped(lines, MAX_LINES);
    result
        .perf(PerfDatum::new(
            "os_updates",
            updates.len() as f64,
            None,
            None,
        ))
        .perf(PerfDatum::new(
            "os_security_updates",
            security as f64,
            Some(1.0),
            None,
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulation_lines_give_packages_and_security() {
        let output = "Reading package lists...\nThe following packages will be upgraded:\n  libssl3 tzdata\n\
Inst libssl3 [3.0.11-1~deb12u1] (3.0.11-1~deb12u2 Debian-Security:12/stable-security [amd64])\n\
Inst tzdata [2024a-0+deb12u1] (2025b-0+deb12u1 Debian:12.11/stable [all])\n\
Conf libssl3 (3.0.11-1~deb12u2 Debian-Security:12/stable-security [amd64])\n";
        let updates = parse_apt_simulation(output);
        assert_eq!(
            updates,
            vec![
                PendingUpdate {
                    package: "libssl3".into(),
                    version: "3.0.11-1~deb12u2".into(),
                    security: true
                },
                PendingUpdate {
                    package: "tzdata".into(),
                    version: "2025b-0+deb12u1".into(),
                    security: false
                },
            ]
        );
        let result = os_updates_result("SCY-SEC-017", &updates);
        assert_eq!(result.severity, Severity::Warning);
        assert_eq!(
            result.summary,
            "2 pending OS updates, 1 of them security updates"
        );
        assert_eq!(
            result.evidence,
            vec![
                "libssl3 3.0.11-1~deb12u2 (security)",
                "tzdata 2025b-0+deb12u1"
            ]
        );
        assert_eq!(os_updates_result("X", &[]).severity, Severity::Ok);
    }
}
