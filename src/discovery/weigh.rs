//! Weighing the evidence for a native or a docker install of one directory.
//!
//! Scandy's native installer copies the whole repository — `docker-compose.yml` included —
//! into the install directory, so a compose file is no proof of a docker install: it counts
//! only when the docker daemon knows the containers or the compose project.

use std::path::Path;

use serde::Serialize;

use super::InstallKind;
use super::host::{DockerView, HostView};
use super::systemd::Unit;
use crate::config::dotenv::DotEnv;
use crate::config::first_host_port;

/// How much one finding weighs.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Weight {
    /// Tells nothing either way (noted for the admin).
    None,
    /// Likely, but other layouts show it too.
    Medium,
    /// Only this kind of install shows it.
    Strong,
}

/// One finding and the kind it points to.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Signal {
    /// `native`, `docker`, or `none`.
    pub points_to: &'static str,
    /// How much it weighs.
    pub weight: Weight,
    /// What was found.
    pub text: String,
}

impl Signal {
    fn native(weight: Weight, text: String) -> Self {
        Signal {
            points_to: "native",
            weight,
            text,
        }
    }

    fn docker(weight: Weight, text: String) -> Self {
        Signal {
            points_to: "docker",
            weight,
            text,
        }
    }

    fn neutral(text: String) -> Self {
        Signal {
            points_to: "none",
            weight: Weight::None,
            text,
        }
    }
}

/// What one directory shows, as input to the verdict.
pub struct Findings<'a> {
    /// The directory (canonical).
    pub dir: &'a Path,
    /// Units whose `WorkingDirectory=` is the directory.
    pub units: &'a [Unit],
    /// `.env`, if readable.
    pub env: Option<&'a DotEnv>,
    /// The compose file's name and containers, when it names Scandy's.
    pub compose: Option<(&'a str, &'a [String])>,
    /// `.env` and a Scandy `app/` directory are present (what a native install needs).
    pub native_layout: bool,
}

/// The verdict and the signals behind it.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// Native unless the evidence says docker.
    pub docker: bool,
    /// Every signal, strongest first.
    pub signals: Vec<Signal>,
    /// One sentence: the kind and why.
    pub summary: String,
}

const LOCAL_HOSTS: [&str; 4] = ["localhost", "127.0.0.1", "::1", "[::1]"];

/// Weighs the findings; `forced` (the `scandy.kind` setting) wins over every signal.
pub fn weigh(findings: &Findings<'_>, host: &HostView, forced: Option<InstallKind>) -> Verdict {
    let mut signals = Vec::new();
    let dir = findings.dir;
    for unit in findings.units {
        signals.push(Signal::native(
            Weight::Strong,
            format!(
                "systemd unit {} runs in {}",
                unit.file_name(),
                unit.working_dir.display()
            ),
        ));
    }
    for g in host.gunicorns().iter().filter(|g| g.cwd == dir) {
        signals.push(Signal::native(
            Weight::Strong,
            format!("gunicorn (pid {}) is running in {}", g.pid, dir.display()),
        ));
    }
    for venv in ["venv", ".venv"] {
        let bin = dir.join(venv).join("bin");
        if bin.join("gunicorn").exists() {
            signals.push(Signal::native(
                Weight::Medium,
                format!("{venv}/bin/gunicorn exists (Scandy's native installer makes the venv)"),
            ));
            break;
        }
    }
    let uri_host = findings
        .env
        .and_then(DotEnv::scandy_uri)
        .and_then(|u| first_host_port(&u.uri).map(|(host, port)| (u.keys, host, port)));
    if let Some((keys, uri_host, port)) = &uri_host {
        let port = port.unwrap_or(27017);
        if LOCAL_HOSTS.contains(&uri_host.as_str()) {
            signals.push(Signal::native(
                Weight::Medium,
                format!(".env {keys} points at {uri_host}:{port}, a mongod on this host"),
            ));
        } else if findings
            .compose
            .is_some_and(|(_, containers)| containers.contains(uri_host))
            || uri_host.starts_with("scandy-mongodb")
        {
            signals.push(Signal::docker(
                Weight::Medium,
                format!(".env {keys} names host {uri_host}, a container of the compose network"),
            ));
        }
    }
    if let Some((file, containers)) = findings.compose {
        docker_signals(file, containers, dir, host.docker(), &mut signals);
    }
    signals.sort_by_key(|s| std::cmp::Reverse(s.weight));
    let strongest = |to: &str| {
        signals
            .iter()
            .filter(|s| s.points_to == to)
            .map(|s| s.weight)
            .max()
            .unwrap_or(Weight::None)
    };
    let (native, docker) = (strongest("native"), strongest("docker"));
    let has_compose = findings.compose.is_some();
    let (is_docker, reason) = match forced {
        Some(kind) => (
            kind != InstallKind::Native && has_compose,
            format!("scandy.kind = \"{kind}\" in the configuration"),
        ),
        None if docker == Weight::Strong && native < Weight::Strong => {
            (true, "the docker daemon knows its containers".to_string())
        }
        None if native == Weight::Strong && docker == Weight::Strong => (
            false,
            format!(
                "{} (the docker daemon also has Scandy containers; set scandy.kind to choose)",
                reason_for(&signals, "native")
            ),
        ),
        None if native > docker => (false, reason_for(&signals, "native")),
        None if docker > native => (true, reason_for(&signals, "docker")),
        None if has_compose && !findings.native_layout => (
            true,
            "a compose file names Scandy's containers and there is no native layout".to_string(),
        ),
        None => (
            false,
            "no sign of docker containers; the compose file alone is no proof".to_string(),
        ),
    };
    let kind = if is_docker { "docker" } else { "native" };
    Verdict {
        docker: is_docker,
        summary: format!("{kind}: {reason}"),
        signals,
    }
}

fn reason_for(signals: &[Signal], kind: &str) -> String {
    let top: Vec<&str> = signals
        .iter()
        .filter(|s| s.points_to == kind)
        .take(2)
        .map(|s| s.text.as_str())
        .collect();
    top.join("; ")
}

fn docker_signals(
    file: &str,
    containers: &[String],
    dir: &Path,
    docker: &DockerView,
    signals: &mut Vec<Signal>,
) {
    let instance = containers
        .iter()
        .find_map(|c| c.strip_prefix("scandy-app-"))
        .filter(|inst| *inst != "scandy");
    match instance {
        Some(inst) => signals.push(Signal::docker(
            Weight::Medium,
            format!(
                "{file} names {} for instance {inst}: written for this instance, not the repository's own",
                containers.join(", ")
            ),
        )),
        None => signals.push(Signal::neutral(format!(
            "{file} names {} (Scandy's native installer copies it too: no proof of docker)",
            containers.join(", ")
        ))),
    }
    match docker {
        DockerView::Answered(_) => {
            let existing: Vec<&str> = containers
                .iter()
                .filter(|c| docker.has_container(c))
                .map(String::as_str)
                .collect();
            let project = docker.project_containers(dir);
            if !project.is_empty() {
                signals.push(Signal::docker(
                    Weight::Strong,
                    format!(
                        "the docker daemon runs compose project {} here: {}",
                        dir.display(),
                        project.join(", ")
                    ),
                ));
            } else if !existing.is_empty() {
                signals.push(Signal::docker(
                    Weight::Strong,
                    format!("the docker daemon has container(s) {}", existing.join(", ")),
                ));
            } else {
                signals.push(Signal::neutral(format!(
                    "the docker daemon has none of {}",
                    containers.join(", ")
                )));
            }
        }
        DockerView::Unavailable(reason) => signals.push(Signal::neutral(format!(
            "docker not asked about the containers: {reason}"
        ))),
    }
}
