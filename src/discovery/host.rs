//! What the host itself says about installs: running gunicorn processes (from `/proc`) and
//! the containers the docker daemon knows. Each is asked at most once per discovery run.

use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest wait for `docker ps`.
const DOCKER_TIMEOUT: Duration = Duration::from_secs(3);

/// A running gunicorn (or a Python process running it) and the directory it runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gunicorn {
    /// Process id.
    pub pid: u32,
    /// Its working directory (canonical).
    pub cwd: PathBuf,
    /// The port of its `--bind`, if any.
    pub bind_port: Option<u16>,
}

/// What the docker daemon answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerView {
    /// The containers it knows (running or not), with their compose working directory.
    Answered(Vec<(String, Option<PathBuf>)>),
    /// No answer, with the reason ("docker is not installed", "Cannot connect …").
    Unavailable(String),
}

impl DockerView {
    /// Whether a container of that name exists.
    pub fn has_container(&self, name: &str) -> bool {
        matches!(self, DockerView::Answered(list) if list.iter().any(|(n, _)| n == name))
    }

    /// Containers whose compose project runs in `dir` (canonical).
    pub fn project_containers(&self, dir: &Path) -> Vec<String> {
        match self {
            DockerView::Answered(list) => list
                .iter()
                .filter(|(_, wd)| wd.as_deref().map(canonical).as_deref() == Some(dir))
                .map(|(n, _)| n.clone())
                .collect(),
            DockerView::Unavailable(_) => Vec::new(),
        }
    }
}

/// The host facts discovery weighs, each gathered lazily once.
#[derive(Debug, Default)]
pub struct HostView {
    gunicorns: OnceCell<Vec<Gunicorn>>,
    docker: OnceCell<DockerView>,
    /// When set, `docker` is never run and `/proc` never read (tests of file layouts only).
    offline: bool,
}

impl HostView {
    /// A view that asks `/proc` and the docker daemon when first needed.
    pub fn live() -> Self {
        HostView::default()
    }

    /// A view that knows no processes and no docker daemon.
    pub fn offline() -> Self {
        HostView {
            offline: true,
            ..HostView::default()
        }
    }

    /// A view with the given facts (for tests of the weighing).
    pub fn known(gunicorns: Vec<Gunicorn>, docker: DockerView) -> Self {
        HostView {
            gunicorns: OnceCell::from(gunicorns),
            docker: OnceCell::from(docker),
            offline: true,
        }
    }

    /// Gunicorn processes running now.
    pub fn gunicorns(&self) -> &[Gunicorn] {
        self.gunicorns.get_or_init(|| {
            if self.offline {
                Vec::new()
            } else {
                scan_gunicorns(Path::new("/proc"))
            }
        })
    }

    /// The docker daemon's containers.
    pub fn docker(&self) -> &DockerView {
        self.docker.get_or_init(|| {
            if self.offline {
                DockerView::Unavailable("not asked".into())
            } else {
                ask_docker()
            }
        })
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Every process under `proc` whose command line runs gunicorn.
pub fn scan_gunicorns(proc: &Path) -> Vec<Gunicorn> {
    let Ok(entries) = std::fs::read_dir(proc) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let words: Vec<String> = raw
            .split(|b| *b == 0)
            .filter(|w| !w.is_empty())
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect();
        let runs_gunicorn = words.iter().take(2).any(|w| {
            Path::new(w)
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("gunicorn"))
        });
        if !runs_gunicorn {
            continue;
        }
        let Ok(cwd) = std::fs::read_link(entry.path().join("cwd")) else {
            continue;
        };
        let joined = words.join(" ");
        found.push(Gunicorn {
            pid,
            cwd: canonical(&cwd),
            bind_port: super::systemd::gunicorn_port(&joined),
        });
    }
    found.sort_by_key(|g| g.pid);
    found
}

/// `docker ps -a` with names and compose working directories, bounded in time.
fn ask_docker() -> DockerView {
    let child = Command::new("docker")
        .args([
            "ps",
            "-a",
            "--format",
            "{{.Names}}\t{{.Label \"com.docker.compose.project.working_dir\"}}",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return DockerView::Unavailable("docker is not installed".into());
        }
        Err(e) => return DockerView::Unavailable(format!("cannot run docker: {e}")),
    };
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < DOCKER_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return DockerView::Unavailable(format!(
                    "docker ps did not answer within {} s",
                    DOCKER_TIMEOUT.as_secs()
                ));
            }
            Err(e) => return DockerView::Unavailable(format!("docker ps failed: {e}")),
        }
    };
    let read = |pipe: Option<&mut dyn Read>| {
        let mut text = String::new();
        if let Some(pipe) = pipe {
            let _ = pipe.take(1 << 20).read_to_string(&mut text);
        }
        text
    };
    let stdout = read(child.stdout.as_mut().map(|p| p as &mut dyn Read));
    let stderr = read(child.stderr.as_mut().map(|p| p as &mut dyn Read));
    if !status.success() {
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return DockerView::Unavailable(format!(
            "docker ps failed: {}",
            crate::sanitize::escape_controls(first.trim())
        ));
    }
    let mut seen = BTreeSet::new();
    let containers = stdout
        .lines()
        .filter_map(|line| {
            let (name, dir) = line.split_once('\t').unwrap_or((line, ""));
            let name = name.trim();
            (!name.is_empty() && seen.insert(name.to_string())).then(|| {
                let dir = dir.trim();
                (
                    name.to_string(),
                    (!dir.is_empty()).then(|| PathBuf::from(dir)),
                )
            })
        })
        .collect();
    DockerView::Answered(containers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_gunicorn_processes_by_command_line() {
        let proc = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let add = |pid: &str, cmdline: &[u8]| {
            let dir = proc.path().join(pid);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("cmdline"), cmdline).unwrap();
            std::os::unix::fs::symlink(root.path(), dir.join("cwd")).unwrap();
        };
        add(
            "41",
            b"/opt/scandy/venv/bin/python3\0/opt/scandy/venv/bin/gunicorn\0--bind\x000.0.0.0:5055\0app.wsgi:app\0",
        );
        add("42", b"gunicorn: worker [app.wsgi:app]\0");
        add("43", b"/usr/bin/python3\0-m\0http.server\0");
        add("self", b"gunicorn\0");
        let found = scan_gunicorns(proc.path());
        let pids: Vec<u32> = found.iter().map(|g| g.pid).collect();
        assert_eq!(pids, vec![41, 42]);
        assert_eq!(found[0].bind_port, Some(5055));
        assert_eq!(found[0].cwd, canonical(root.path()));
        assert_eq!(found[1].bind_port, None);
    }
}
