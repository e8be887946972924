//! Guided fixes for incidents a restore does not fix: a service that is down (its last log
//! lines, then a restart), a full disk (the largest files, old backups and rotated logs
//! with their sizes) and MongoDB down (its own log tail and `systemctl status mongod`).
//! Everything here only reads; the console asks before anything is changed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::Config;

/// How long one command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);
/// Lines shown of a log.
const TAIL_LINES: usize = 20;
/// Entries listed of each kind.
const TOP: usize = 10;
/// Most directory entries looked at when searching for large files.
const MAX_WALK: usize = 200_000;

/// One file or set with its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizedItem {
    /// Path or set id.
    pub name: String,
    /// Bytes.
    pub bytes: u64,
    /// A hint (`old backup, 5 days`, `rotated log`).
    pub note: String,
}

/// What the fix of a full disk shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskGuide {
    /// The largest files below the Scandy root and the backup directory.
    pub largest_files: Vec<SizedItem>,
    /// Sets retention no longer keeps (what `scandyctl prune` would remove).
    pub prunable_sets: Vec<SizedItem>,
    /// Rotated logs (`app.log.1`, `*.gz`).
    pub rotated_logs: Vec<SizedItem>,
}

/// What the fix of a service or MongoDB shows: the state and the last log lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceGuide {
    /// `systemctl status` / `docker ps` lines, or why they could not run.
    pub status: Vec<String>,
    /// The last log lines (raw text: escape when shown).
    pub log_tail: Vec<String>,
}

/// The disk guide for `config` (blocking).
pub fn disk_guide(config: &Config) -> DiskGuide {
    let backup_dir = config.resolve(&config.backup.dir);
    let mut files = Vec::new();
    let mut walked = 0;
    for root in [&config.scandy.root, &backup_dir] {
        collect_files(root, &mut files, &mut walked);
    }
    files.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    files.dedup_by(|a, b| a.0 == b.0);
    let rotated: Vec<SizedItem> = files
        .iter()
        .filter(|(p, _)| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(crate::logs::sources::is_rotation)
        })
        .take(TOP)
        .map(|(p, n)| SizedItem {
            name: p.display().to_string(),
            bytes: *n,
            note: "rotated log".into(),
        })
        .collect();
    let largest = files
        .iter()
        .take(TOP)
        .map(|(p, n)| SizedItem {
            name: p.display().to_string(),
            bytes: *n,
            note: String::new(),
        })
        .collect();
    DiskGuide {
        largest_files: largest,
        prunable_sets: prunable(config, &backup_dir),
        rotated_logs: rotated,
    }
}

fn collect_files(root: &Path, out: &mut Vec<(PathBuf, u64)>, walked: &mut usize) {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            *walked += 1;
            if *walked > MAX_WALK {
                return;
            }
            let Ok(meta) = entry.metadata() else { continue };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                out.push((entry.path(), meta.len()));
            }
        }
    }
}

fn prunable(config: &Config, backup_dir: &Path) -> Vec<SizedItem> {
    let Ok(plan) = crate::backup::retention::plan_prune_dir(
        backup_dir,
        &config.backup.retention,
        chrono::Utc::now(),
    ) else {
        return Vec::new();
    };
    plan.remove
        .iter()
        .map(|s| SizedItem {
            name: s.id.clone(),
            bytes: s.size,
            note: format!(
                "not kept by retention, {}",
                crate::backup::inventory::human_age(chrono::Utc::now() - s.created_at)
            ),
        })
        .collect()
}

/// The guide for the configured Scandy services: status and last log lines.
pub async fn service_guide(config: &Config) -> ServiceGuide {
    let mut guide = ServiceGuide::default();
    for unit in &config.system.units {
        guide
            .status
            .extend(run_lines("systemctl", &["status", unit, "--no-pager", "-n", "0"]).await);
        guide.log_tail.extend(
            run_lines(
                "journalctl",
                &[
                    "-u",
                    unit,
                    "-n",
                    &TAIL_LINES.to_string(),
                    "--no-pager",
                    "-o",
                    "short",
                ],
            )
            .await,
        );
    }
    for container in &config.system.containers {
        guide.status.extend(
            run_lines(
                "docker",
                &[
                    "ps",
                    "-a",
                    "--filter",
                    &format!("name={container}"),
                    "--format",
                    "{{.Names}} {{.Status}}",
                ],
            )
            .await,
        );
        guide.log_tail.extend(
            run_lines(
                "docker",
                &["logs", "--tail", &TAIL_LINES.to_string(), container],
            )
            .await,
        );
    }
    if guide.status.is_empty() {
        guide
            .status
            .push("no Scandy service configured ([system] units or containers)".into());
    }
    guide
}

/// The guide for MongoDB down: `systemctl status mongod` and the tail of its log.
pub async fn mongo_guide(log: &Path) -> ServiceGuide {
    let status = run_lines("systemctl", &["status", "mongod", "--no-pager", "-n", "0"]).await;
    let log_tail = match crate::logs::history::newest_lines(log, TAIL_LINES) {
        Ok((lines, _)) => lines
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect(),
        Err(e) => vec![format!("cannot read {}: {e}", log.display())],
    };
    ServiceGuide { status, log_tail }
}

/// Runs `program args` (no shell) within the timeout; its output lines, or why not.
async fn run_lines(program: &str, args: &[&str]) -> Vec<String> {
    let run = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(COMMAND_TIMEOUT, run).await {
        Ok(Ok(out)) => {
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            text.lines().map(str::to_string).collect()
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            vec![format!("{program} is not available here")]
        }
        Ok(Err(e)) => vec![format!("{program} failed: {e}")],
        Err(_) => vec![format!(
            "{program} gave no answer within {} s",
            COMMAND_TIMEOUT.as_secs()
        )],
    }
}
