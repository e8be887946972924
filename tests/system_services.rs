//! Service state and restart against fake `systemctl` and `docker` scripts.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use scandyctl::system::services::{
    ServiceReport, ServiceStatus, ServiceTarget, restart_service, restart_service_within,
    service_status, service_status_within, service_targets,
};
use serde_json::json;
use tempfile::TempDir;

/// Writing a script while another test thread forks can make exec fail with ETXTBSY:
/// tests that write and run scripts take turns.
static SCRIPTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A directory of fake programs used as the PATH.
struct FakeBin {
    dir: TempDir,
}

impl FakeBin {
    fn new() -> Self {
        FakeBin {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Writes an executable `/bin/sh` script named `name` with `body`.
    fn script(&self, name: &str, body: &str) {
        let path = self.dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// A script that records its arguments (one a line) in `<name>.args`, then runs `body`.
    fn recording(&self, name: &str, body: &str) {
        let args = self.args_file(name);
        self.script(
            name,
            &format!("printf '%s\\n' \"$@\" > '{}'\n{body}", args.display()),
        );
    }

    fn args_file(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.args"))
    }

    fn recorded_args(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.args_file(name))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn path_var(&self) -> OsString {
        self.dir.path().as_os_str().to_owned()
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn unit(name: &str) -> ServiceTarget {
    ServiceTarget::Systemd { unit: name.into() }
}

fn container(name: &str) -> ServiceTarget {
    ServiceTarget::Docker {
        container: name.into(),
    }
}

fn status_of(report: ServiceReport) -> ServiceStatus {
    match report {
        ServiceReport::Status(status) => status,
        other => panic!("expected a status, got {other:?}"),
    }
}

/// A docker script whose `inspect` prints `value` as JSON.
fn docker_printing(bin: &FakeBin, value: serde_json::Value) {
    let file = bin.path().join("inspect.json");
    std::fs::write(&file, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    bin.recording("docker", &format!("cat '{}'", file.display()));
}

const ACTIVE_UNIT: &str = "ActiveState=active\nSubState=running\nActiveEnterTimestamp=Thu 2026-11-26 10:00:00 UTC\nNRestarts=2\nMainPID=4242\nLoadState=loaded";

#[tokio::test]
async fn active_unit_reports_its_state_and_asks_exactly_once() {
    let _turn = SCRIPTS.lock().await;
    let bin = FakeBin::new();
    bin.recording("systemctl", &format!("printf '%s\\n' '{ACTIVE_UNIT}'"));
    let target = unit("scandy.service");
    let status = status_of(service_status(&target, &bin.path_var()).await);
    assert_eq!(
        status,
        ServiceStatus {
            target: target.clone(),
            state: "active".into(),
            detail: Some("running".into()),
            since: Some(Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()),
            restarts: Some(2),
            main_pid: Some(4242),
            health: None,
            up: true,
        }
    );
    assert_eq!(
        bin.recorded_args("systemctl"),
        vec![
            "show",
            "scandy.service",
            "--property=ActiveState,SubState,ActiveEnterTimestamp,NRestarts,MainPID,LoadState",
        ]
    );
}

#[tokio::test]
async fn failed_unit_is_down() {
    let _turn = SCRIPTS.lock().await;
    let bin = FakeBin::new();
    bin.script(
        "systemctl",
        "printf 'ActiveState=failed\\nSubState=failed\\nActiveEnterTimestamp=n/a\\nNRestarts=5\\nMainPID=0\\nLoadState=loaded\\n'",
    );
    let status = status_of(service_status(&unit("mongod.service"), &bin.path_var()).await);
    assert_eq!(status.state, "failed");
    assert_eq!(status.detail.as_deref(), Some("failed"));
    assert_eq!(status.since, None);
    assert_eq!(status.restarts, Some(5));
    assert_eq!(status.main_pid, None);
    assert!(!status.up);
}

#[tokio::test]
async fn unit_that_does_not_exist_fails() {
    let _turn = SCRIPTS.lock().await;
    let bin = FakeBin::new();
    bin.script(
        "systemctl",
        "printf 'ActiveState=inactive\\nSubState=dead\\nActiveEnterTimestamp=\\nNRestarts=0\\nMainPID=0\\nLoadState=not-found\\n'",
    );
    let target = unit("scandy.service");
    assert_eq!(
        service_status(&target, &bin.path_var()).await,
        ServiceReport::Failed {
            target,
            message: "unit scandy.service not found".into()
        }
    );
}

#[tokio::test]
async fn running_healthy_container() {
    let _turn = SCRIPTS.lock().await;
    let bin = FakeBin::new();
    docker_printing(
        &bin,
        json!([{
            "Name": "/scandy-app-scandy",
            "RestartCount": 0,
            "State": {
                "Status": "running", "Running": true, "Pid": 3131, "ExitCode": 0, "Error": "",
                "StartedAt": "2026-11-26T09:59:58.123456789Z",
                "Health": {"Status": "healthy", "FailingStreak": 0, "Log": []}
            }
        }]),
    );
    let target = container("scandy-app-scandy");
    let status = status_of(service_status(&target, &bin.path_var()).await);
    assert_eq!(status.state, "running");
    assert_eq!(status.health.as_deref(), Some("healthy"));
    assert_eq!(status.main_pid, Some(3131));
    assert_eq!(status.restarts, Some(0));
    assert_eq!(status.detail, None);
    assert_eq!(
        status.since.map(|t| t.to_rfc3339()),
        Some("2026-11-26T09:59:58.123456789+00:00".into())
    );
    assert!(status.up);
    assert_eq!(
        bin.recorded_args("docker"),
        vec!["inspect", "scandy-app-scandy"]
    );
}

#[tokio::test]
async fn running_but_unhealthy_container_is_down() {
    let _turn = SCRIPTS.lock().await;
    let bin = FakeBin::new();
    docker_printing(
        &bin,
        json!([{"RestartCount": 1, "State": {"Status": "running", "Pid": 7, "ExitCode": 0, "Error": "",
            "StartedAt": "2026-11-26T10:00:00Z", "Health": {"Status": "unhealthy"}}}]),
    );
    let status = status_of(service_status(&container("scandy-app-scandy"), &bin.path_var()).await);
    assert_eq!(status.health.as_deref(), Some("unhealthy"));
    assert!(!status.up);
}

#[tokio::test]
async fn exited_container_shows_its_exit_code() {
    let _turn = SCRIPTS.lock().await;
    let bin = FakeBin::new();
    docker_printing(
        &bin,
        json!([{"RestartCount": 0, "State": {"Status": "exited", "Running": false, "Pid": 0,
            "ExitCode": 137, "Error": "", "StartedAt": "2026-11-26T08:00:00Z"}}]),
    );
    let status =
        status_of(service_status(&container("scandy-mongodb-scandy"), &bin.path_var()).await);
    assert_eq!(status.state, "exited");
    assert_eq!(status.detail.as_deref(), Some("exit code 137"));
    assert_eq!(status.main_pid, None);
    assert_eq!(status.health, None);
    assert!(!status.up);
}

#[tokio::test]
async fn restarting_container_counts_restarts() {
    let _turn = SCRIPTS.lock().await;
    let bin = FakeBin::new();
    docker_printing(
        &bin,
        json!([{"RestartCount": 5, "State": {"Status": "restarting", "Restarting": true, "Pid": 0,
            "ExitCode": 1, "Error": "", "StartedAt": "2026-11-26T10:00:00Z"}}]),
    );
    let status = status_of(service_status(&container("scandy-app-scandy"), &bin.path_var()).await);
    assert_eq!(status.state, "restarting");
    assert_eq!(status.restarts, Some(5));
    assert!(!status.up);
}

#[tokio::test]
async fn unknown_container_fails_with_dockers_message() {
    let _turn = SCRIPTS.lock().await;
    let bin = FakeBin::new();
    bin.script(
        "docker",
        "echo '[]'\necho 'Error: No such object: nope' >&2\nexit 1",
    );
    let target = container("nope");
    assert_eq!(
        service_status(&target, &bin.path_var()).await,
        ServiceReport::Failed {
            target,
            message: "docker inspect failed: Error: No such object: nope".into()
        }
    );
}

#[tokio::test]
async fn missing_programs_are_not_available() {
    let bin = FakeBin::new();
    let target = unit("scandy.service");
    assert_eq!(
        service_status(&target, &bin.path_var()).await,
        ServiceReport::NotAvailable {
            target: target.clone(),
            reason: "systemctl is not available here".into()
        }
    );
    let target = container("scandy-app-scandy");
    assert_eq!(
        service_status(&target, &bin.path_var()).await,
        ServiceReport::NotAvailable {
            target: target.clone(),
            reason: "docker is not available here".into()
        }
    );
    assert_eq!(
        restart_service(&target, &bin.path_var()).await,
        Err("docker is not available here".into())
    );
}

#[tokio::test]
async fn host_without_systemd_is_not_available() {
    let _turn = SCRIPTS.lock().await;
    let bin = FakeBin::new();
    bin.script(
        "systemctl",
        "echo 'System has not been booted with systemd as init system (PID 1). Can'\\''t operate.' >&2\nexit 1",
    );
    match service_status(&unit("scandy.service"), &bin.path_var()).await {
        ServiceReport::NotAvailable { reason, .. } => {
            assert!(
                reason.starts_with("systemd is not running here"),
                "{reason}"
            )
        }
        other => panic!("expected NotAvailable, got {other:?}"),
    }
}

#[tokio::test]
async fn restart_runs_the_right_command() {
    let _turn = SCRIPTS.lock().await;
    let bin = FakeBin::new();
    bin.recording("systemctl", "exit 0");
    bin.recording("docker", "echo scandy-app-scandy");
    assert_eq!(
        restart_service(&unit("scandy.service"), &bin.path_var()).await,
        Ok(())
    );
    assert_eq!(
        bin.recorded_args("systemctl"),
        vec!["restart", "scandy.service"]
    );
    assert_eq!(
        restart_service(&container("scandy-app-scandy"), &bin.path_var()).await,
        Ok(())
    );
    assert_eq!(
        bin.recorded_args("docker"),
        vec!["restart", "scandy-app-scandy"]
    );
}

#[tokio::test]
async fn failing_restart_returns_its_first_stderr_line() {
    let _turn = SCRIPTS.lock().await;
    let bin = FakeBin::new();
    bin.script(
        "systemctl",
        "echo >&2\necho 'Failed to restart scandy.service: Access denied' >&2\necho 'See system logs' >&2\nexit 4",
    );
    bin.script("docker", "exit 3");
    assert_eq!(
        restart_service(&unit("scandy.service"), &bin.path_var()).await,
        Err("Failed to restart scandy.service: Access denied".into())
    );
    assert_eq!(
        restart_service(&container("x"), &bin.path_var()).await,
        Err("docker restart exited with status 3".into())
    );
}

#[tokio::test]
async fn long_or_hostile_stderr_is_cut_and_escaped() {
    let _turn = SCRIPTS.lock().await;
    let bin = FakeBin::new();
    bin.script(
        "docker",
        &format!("printf '\\033[2J{}\\n' >&2\nexit 1", "x".repeat(2000)),
    );
    match service_status(&container("x"), &bin.path_var()).await {
        ServiceReport::Failed { message, .. } => {
            assert!(message.chars().count() <= 300, "{}", message.len());
            assert!(message.starts_with("docker inspect failed: \\x1b[2Jxxx"));
            assert!(!message.contains('\x1b'));
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    let err = restart_service(&container("x"), &bin.path_var())
        .await
        .unwrap_err();
    assert!(err.chars().count() <= 300);
    assert!(!err.contains('\x1b'));
}

#[tokio::test]
async fn hanging_command_times_out() {
    let _turn = SCRIPTS.lock().await;
    let bin = FakeBin::new();
    bin.script("systemctl", "sleep 10");
    let started = Instant::now();
    let report = service_status_within(
        &unit("scandy.service"),
        &bin.path_var(),
        Duration::from_millis(500),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        report,
        ServiceReport::Failed {
            target: unit("scandy.service"),
            message: "systemctl show timed out after 500 ms".into()
        }
    );
    let started = Instant::now();
    let restarted = restart_service_within(
        &unit("scandy.service"),
        &bin.path_var(),
        Duration::from_millis(500),
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        restarted,
        Err("systemctl restart timed out after 500 ms".into())
    );
}

#[test]
fn targets_come_from_the_configuration() {
    let mut config = scandyctl::config::Config::default();
    config.system.units = vec!["scandy.service".into(), "mongod.service".into()];
    config.system.containers = vec!["scandy-app-scandy".into()];
    let targets = service_targets(&config);
    assert_eq!(
        targets,
        vec![
            unit("scandy.service"),
            unit("mongod.service"),
            container("scandy-app-scandy")
        ]
    );
    let names: Vec<String> = targets.iter().map(ServiceTarget::name).collect();
    assert_eq!(
        names,
        [
            "scandy.service",
            "mongod.service",
            "docker:scandy-app-scandy"
        ]
    );
}

#[test]
fn reports_serialize_with_a_kind() {
    let report = ServiceReport::NotAvailable {
        target: unit("scandy.service"),
        reason: "systemctl is not available here".into(),
    };
    assert_eq!(
        serde_json::to_value(&report).unwrap(),
        json!({
            "kind": "not_available",
            "target": {"type": "systemd", "unit": "scandy.service"},
            "reason": "systemctl is not available here"
        })
    );
}
