//! State and restart of the services behind a Scandy install: systemd units and docker containers.

use std::ffi::OsStr;
use std::process::Stdio;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Local, NaiveDateTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

use crate::logs::process::find_program;
use crate::sanitize::escape_controls;

/// How long a status query may take before it counts as failed.
pub const STATUS_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a restart may take before it counts as failed.
pub const RESTART_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest string (in characters) taken from a command's output into a report.
const MAX_REPORT_CHARS: usize = 300;
/// Most bytes read from a command's stdout or stderr.
const MAX_OUTPUT_BYTES: usize = 4 * 1024 * 1024;
/// The properties asked from `systemctl show`.
const SYSTEMD_PROPERTIES: &str =
    "--property=ActiveState,SubState,ActiveEnterTimestamp,NRestarts,MainPID,LoadState";

/// A service shown with its state.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServiceTarget {
    /// A systemd unit such as `scandy.service` (native installs).
    Systemd {
        /// The unit name.
        unit: String,
    },
    /// A docker container such as `scandy-app-scandy` (docker installs).
    Docker {
        /// The container name.
        container: String,
    },
}

impl ServiceTarget {
    /// The name shown to the admin: `scandy.service`, `docker:scandy-app-scandy`.
    pub fn name(&self) -> String {
        match self {
            ServiceTarget::Systemd { unit } => unit.clone(),
            ServiceTarget::Docker { container } => format!("docker:{container}"),
        }
    }

    /// The program that is asked about this target: `systemctl` or `docker`.
    pub fn program(&self) -> &'static str {
        match self {
            ServiceTarget::Systemd { .. } => "systemctl",
            ServiceTarget::Docker { .. } => "docker",
        }
    }

    /// The arguments of the status query.
    fn status_args(&self) -> Vec<&str> {
        match self {
            ServiceTarget::Systemd { unit } => vec!["show", unit, SYSTEMD_PROPERTIES],
            ServiceTarget::Docker { container } => vec!["inspect", container],
        }
    }

    /// The arguments of a restart.
    fn restart_args(&self) -> Vec<&str> {
        match self {
            ServiceTarget::Systemd { unit } => vec!["restart", unit],
            ServiceTarget::Docker { container } => vec!["restart", container],
        }
    }
}

/// The state of one service as systemd or docker reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceStatus {
    /// Which service.
    pub target: ServiceTarget,
    /// systemd ActiveState (active/inactive/failed/activating) or docker State.Status (running/exited/restarting).
    pub state: String,
    /// systemd SubState (running/dead/auto-restart), or docker State.Error / exit code when exited.
    pub detail: Option<String>,
    /// When the service entered its state (systemd) or was started (docker).
    pub since: Option<DateTime<Utc>>,
    /// How often it was restarted (NRestarts / RestartCount).
    pub restarts: Option<u64>,
    /// Its main process id, if running.
    pub main_pid: Option<u32>,
    /// docker health check status (healthy/unhealthy/starting); None for systemd.
    pub health: Option<String>,
    /// Whether the service runs (active+running / running and not unhealthy).
    pub up: bool,
}

/// The answer to a status query.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ServiceReport {
    /// The service's state.
    Status(ServiceStatus),
    /// The service cannot be asked about here (no systemctl/docker, no systemd/daemon).
    NotAvailable {
        /// Which service.
        target: ServiceTarget,
        /// Why, e.g. "systemctl is not available here".
        reason: String,
    },
    /// The query ran but failed, e.g. "docker inspect failed: Error: No such object: x".
    Failed {
        /// Which service.
        target: ServiceTarget,
        /// What went wrong.
        message: String,
    },
}

impl ServiceReport {
    /// The service the report is about.
    pub fn target(&self) -> &ServiceTarget {
        match self {
            ServiceReport::Status(status) => &status.target,
            ServiceReport::NotAvailable { target, .. } | ServiceReport::Failed { target, .. } => {
                target
            }
        }
    }
}

/// The targets of a configuration: `system.units` as systemd units, `system.containers` as docker containers.
pub fn service_targets(config: &crate::config::Config) -> Vec<ServiceTarget> {
    let units = config
        .system
        .units
        .iter()
        .map(|unit| ServiceTarget::Systemd { unit: unit.clone() });
    let containers = config
        .system
        .containers
        .iter()
        .map(|container| ServiceTarget::Docker {
            container: container.clone(),
        });
    units.chain(containers).collect()
}

/// Asks systemctl or docker (found on `path_var`, no shell) for the state of `target`, within 5 s.
pub async fn service_status(target: &ServiceTarget, path_var: &OsStr) -> ServiceReport {
    service_status_within(target, path_var, STATUS_TIMEOUT).await
}

/// [`service_status`] with its own timeout.
pub async fn service_status_within(
    target: &ServiceTarget,
    path_var: &OsStr,
    timeout: Duration,
) -> ServiceReport {
    let failed = |message: String| ServiceReport::Failed {
        target: target.clone(),
        message: cut(&message),
    };
    let program = target.program();
    let verb = match target {
        ServiceTarget::Systemd { .. } => "show",
        ServiceTarget::Docker { .. } => "inspect",
    };
    let output = match run(program, &target.status_args(), path_var, timeout).await {
        Ok(output) => output,
        Err(RunError::Missing) => {
            return ServiceReport::NotAvailable {
                target: target.clone(),
                reason: format!("{program} is not available here"),
            };
        }
        Err(RunError::TimedOut) => {
            return failed(format!(
                "{program} {verb} timed out after {}",
                human_duration(timeout)
            ));
        }
        Err(RunError::Spawn(reason)) => return failed(format!("cannot run {program}: {reason}")),
    };
    if !output.success {
        let line = output.first_stderr_line();
        if let Some(reason) = unavailable_reason(target, &line) {
            return ServiceReport::NotAvailable {
                target: target.clone(),
                reason: cut(&reason),
            };
        }
        let why = if line.is_empty() {
            format!("exited with {}", output.status_text)
        } else {
            line
        };
        return failed(format!("{program} {verb} failed: {why}"));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let parsed = match target {
        ServiceTarget::Systemd { unit } => parse_systemd(target, unit, &stdout),
        ServiceTarget::Docker { container } => parse_docker(target, container, &stdout),
    };
    match parsed {
        Ok(status) => ServiceReport::Status(status),
        Err(message) => failed(message),
    }
}

/// Restarts `target` with `systemctl restart` or `docker restart`, within 60 s; Err says why not.
pub async fn restart_service(target: &ServiceTarget, path_var: &OsStr) -> Result<(), String> {
    restart_service_within(target, path_var, RESTART_TIMEOUT).await
}

/// [`restart_service`] with its own timeout.
pub async fn restart_service_within(
    target: &ServiceTarget,
    path_var: &OsStr,
    timeout: Duration,
) -> Result<(), String> {
    let program = target.program();
    let output = match run(program, &target.restart_args(), path_var, timeout).await {
        Ok(output) => output,
        Err(RunError::Missing) => return Err(format!("{program} is not available here")),
        Err(RunError::TimedOut) => {
            return Err(format!(
                "{program} restart timed out after {}",
                human_duration(timeout)
            ));
        }
        Err(RunError::Spawn(reason)) => {
            return Err(cut(&format!("cannot run {program}: {reason}")));
        }
    };
    if output.success {
        return Ok(());
    }
    let line = output.first_stderr_line();
    if line.is_empty() {
        Err(format!(
            "{program} restart exited with {}",
            output.status_text
        ))
    } else {
        Err(line)
    }
}

/// Why a failed query means "cannot ask here" rather than "the service is broken".
fn unavailable_reason(target: &ServiceTarget, line: &str) -> Option<String> {
    match target {
        ServiceTarget::Systemd { .. }
            if line.contains("not been booted with systemd")
                || line.contains("Failed to connect to bus") =>
        {
            Some(format!("systemd is not running here: {line}"))
        }
        ServiceTarget::Docker { .. } if line.contains("Cannot connect to the Docker daemon") => {
            Some(format!("the docker daemon is not reachable: {line}"))
        }
        _ => None,
    }
}

/// Reads `systemctl show` key=value output.
fn parse_systemd(target: &ServiceTarget, unit: &str, text: &str) -> Result<ServiceStatus, String> {
    let get = |key: &str| -> Option<&str> {
        text.lines()
            .filter_map(|line| line.split_once('='))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim())
    };
    if get("LoadState") == Some("not-found") {
        return Err(format!("unit {unit} not found"));
    }
    let Some(state) = get("ActiveState").filter(|s| !s.is_empty()) else {
        return Err(format!("systemctl show gave no ActiveState for {unit}"));
    };
    let sub = get("SubState").filter(|s| !s.is_empty());
    let state = cut(state);
    let up = state == "active" && sub == Some("running");
    Ok(ServiceStatus {
        target: target.clone(),
        detail: sub.map(cut),
        since: get("ActiveEnterTimestamp").and_then(parse_systemd_timestamp),
        restarts: get("NRestarts").and_then(|v| v.parse().ok()),
        main_pid: get("MainPID")
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|pid| *pid != 0),
        health: None,
        state,
        up,
    })
}

/// Parses a systemd timestamp such as `Thu 2026-11-26 10:00:00 UTC`; "n/a" or empty gives None.
pub fn parse_systemd_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let mut parts: Vec<&str> = text.split_whitespace().collect();
    if parts
        .first()
        .is_some_and(|w| w.chars().all(|c| c.is_ascii_alphabetic()))
    {
        parts.remove(0);
    }
    let (date, time) = (parts.first()?, parts.get(1)?);
    let naive =
        NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M:%S%.f").ok()?;
    match parts.get(2).copied() {
        None => Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc)),
        Some("UTC" | "GMT" | "Z" | "UCT") => Some(Utc.from_utc_datetime(&naive)),
        Some(zone) => {
            if let Some(offset) = parse_offset(zone) {
                return offset
                    .from_local_datetime(&naive)
                    .single()
                    .map(|t| t.with_timezone(&Utc));
            }
            // A zone abbreviation (CET, CEST …): systemctl printed the machine's local time.
            Local
                .from_local_datetime(&naive)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        }
    }
}

/// Parses `+0100`, `-05:30`, `+01`.
fn parse_offset(zone: &str) -> Option<FixedOffset> {
    let sign = match zone.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Reads `docker inspect` JSON.
fn parse_docker(
    target: &ServiceTarget,
    container: &str,
    text: &str,
) -> Result<ServiceStatus, String> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| format!("docker inspect gave output that is not JSON: {e}"))?;
    let item = match &value {
        Value::Array(items) => items.first(),
        Value::Object(_) => Some(&value),
        _ => None,
    }
    .ok_or_else(|| format!("container {container} not found"))?;
    let state = &item["State"];
    let status = state["Status"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("docker inspect gave no State.Status for {container}"))?;
    let health = state["Health"]["Status"]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(cut);
    let error = state["Error"].as_str().filter(|s| !s.is_empty());
    let detail = match (error, state["ExitCode"].as_i64()) {
        (Some(error), _) => Some(cut(error)),
        (None, Some(code)) if matches!(status, "exited" | "dead") => {
            Some(format!("exit code {code}"))
        }
        _ => None,
    };
    let since = state["StartedAt"]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| t.timestamp() > 0);
    let up = status == "running" && health.as_deref() != Some("unhealthy");
    Ok(ServiceStatus {
        target: target.clone(),
        state: cut(status),
        detail,
        since,
        restarts: item["RestartCount"].as_u64(),
        main_pid: state["Pid"]
            .as_u64()
            .and_then(|p| u32::try_from(p).ok())
            .filter(|p| *p != 0),
        health,
        up,
    })
}

/// What a finished command left behind.
struct Output {
    success: bool,
    status_text: String,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Output {
    /// The first non-empty line of stderr, escaped and cut.
    fn first_stderr_line(&self) -> String {
        let text = String::from_utf8_lossy(&self.stderr);
        text.lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(cut)
            .unwrap_or_default()
    }
}

/// Why a command could not give an answer.
enum RunError {
    /// The program is not on the path.
    Missing,
    /// It did not finish in time (it was killed).
    TimedOut,
    /// It could not be started.
    Spawn(String),
}

/// Runs `program args` (looked up on `path_var`, no shell, stdin null) and collects its output.
async fn run(
    program: &str,
    args: &[&str],
    path_var: &OsStr,
    timeout: Duration,
) -> Result<Output, RunError> {
    let path = find_program(program, path_var).ok_or(RunError::Missing)?;
    let mut child = Command::new(&path)
        .args(args)
        // systemctl then prints timestamps in UTC.
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0)
        .spawn()
        .map_err(|e| RunError::Spawn(e.to_string()))?;
    let pid = child.id();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let work = async {
        let (out, err, status) =
            tokio::join!(read_limited(stdout), read_limited(stderr), child.wait());
        (out, err, status)
    };
    match tokio::time::timeout(timeout, work).await {
        Ok((stdout, stderr, Ok(status))) => Ok(Output {
            success: status.success(),
            status_text: match status.code() {
                Some(code) => format!("status {code}"),
                None => "a signal".to_string(),
            },
            stdout,
            stderr,
        }),
        Ok((_, _, Err(e))) => Err(RunError::Spawn(e.to_string())),
        Err(_) => {
            kill_group(pid);
            let _ = child.start_kill();
            Err(RunError::TimedOut)
        }
    }
}

/// Kills the process group the command leads (its children too, e.g. a script's `sleep`).
fn kill_group(pid: Option<u32>) {
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()).filter(|p| *p > 0) {
        // SAFETY: kill(2) with a negative pid signals the process group we created; no memory is touched.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// Reads a pipe to its end, keeping at most `MAX_OUTPUT_BYTES`.
async fn read_limited<R: AsyncRead + Unpin>(pipe: Option<R>) -> Vec<u8> {
    let Some(mut pipe) = pipe else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_OUTPUT_BYTES.saturating_sub(out.len());
                out.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    out
}

/// Escapes control characters and cuts to `MAX_REPORT_CHARS` characters.
fn cut(text: &str) -> String {
    let escaped = escape_controls(text);
    if escaped.chars().count() <= MAX_REPORT_CHARS {
        return escaped.into_owned();
    }
    let mut out: String = escaped.chars().take(MAX_REPORT_CHARS - 1).collect();
    out.push('…');
    out
}

/// "5 s", "500 ms".
fn human_duration(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_systemd_timestamps() {
        let t = parse_systemd_timestamp("Thu 2026-11-26 10:00:00 UTC").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-26T10:00:00+00:00");
        let t = parse_systemd_timestamp("Thu 2026-11-26 10:00:00.123456 UTC").unwrap();
        assert_eq!(t.timestamp_subsec_micros(), 123_456);
        let t = parse_systemd_timestamp("2026-11-26 11:00:00 +0100").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-26T10:00:00+00:00");
        assert_eq!(parse_systemd_timestamp("n/a"), None);
        assert_eq!(parse_systemd_timestamp(""), None);
        assert_eq!(parse_systemd_timestamp("garbage here"), None);
    }

    #[test]
    fn names_and_programs() {
        let unit = ServiceTarget::Systemd {
            unit: "scandy.service".into(),
        };
        let container = ServiceTarget::Docker {
            container: "scandy-app-scandy".into(),
        };
        assert_eq!(unit.name(), "scandy.service");
        assert_eq!(unit.program(), "systemctl");
        assert_eq!(container.name(), "docker:scandy-app-scandy");
        assert_eq!(container.program(), "docker");
    }

    #[test]
    fn cuts_long_and_escapes_controls() {
        let long = "x".repeat(1000);
        assert_eq!(cut(&long).chars().count(), MAX_REPORT_CHARS);
        assert_eq!(cut("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(human_duration(Duration::from_millis(500)), "500 ms");
        assert_eq!(human_duration(Duration::from_secs(5)), "5 s");
    }

    #[test]
    fn docker_exited_and_never_started() {
        let target = ServiceTarget::Docker {
            container: "c".into(),
        };
        let json = r#"[{"RestartCount":0,"State":{"Status":"created","Pid":0,"ExitCode":0,"Error":"","StartedAt":"0001-01-01T00:00:00Z"}}]"#;
        let status = parse_docker(&target, "c", json).unwrap();
        assert_eq!(status.since, None);
        assert_eq!(status.main_pid, None);
        assert_eq!(status.detail, None);
        assert!(!status.up);
        assert_eq!(
            parse_docker(&target, "c", "[]").unwrap_err(),
            "container c not found"
        );
    }
}
