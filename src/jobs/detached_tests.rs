//! Unit tests of job files: round trips, dead-worker detection, cancel, dismiss, retention.

use std::path::Path;
use std::process::{Child, Command};

use chrono::{TimeDelta, Utc};

use super::*;
use crate::backup::manifest::BackupKind;
use crate::backup::progress::{Progress, Stage};
use crate::backup::restore::{
    CollectionChange, DatabasePlan, RestorePart, RestorePlan, RestoreRequest,
};
use crate::backup::retention::{PrunePlan, Removal};
use crate::backup::verify::{Finding, VerifyLevel};
use crate::jobs::job_file::{ConfirmedRestore, DetachedSpec, FileStatus, JobFile, ResultRecord};
use crate::jobs::watch::{JobScanner, WorkerEvent, WorkerReport};
use crate::jobs::{JobResult, JobSpec, JobStatus, Shared};

fn restore_spec() -> JobSpec {
    let request = RestoreRequest {
        id: "scandy-20260101T020000Z-full".into(),
        only: Some(RestorePart::Db),
        collections: Some(vec!["tools".into()]),
        to_db: Some("scandy_check".into()),
        files_to: None,
        safety_backup: false,
        at: None,
        missing_files_only: false,
    };
    let plan = RestorePlan::preview(
        &request.id,
        Some(DatabasePlan {
            target: "scandy_check".into(),
            live: false,
            collections: vec![CollectionChange {
                name: "tools".into(),
                backup_documents: 1250,
                current_documents: Some(3),
            }],
        }),
        None,
        false,
    );
    JobSpec::Restore {
        request: Shared::new(request),
        plan: Shared::new(plan),
    }
}

fn prune_spec() -> JobSpec {
    JobSpec::Prune {
        plan: Shared::new(PrunePlan {
            keep: Vec::new(),
            remove: vec![Removal {
                id: "scandy-20250101T020000Z-full".into(),
                created_at: Utc::now() - TimeDelta::days(400),
                size: 4096,
                kind: BackupKind::Full,
            }],
            bytes_freed: 4096,
        }),
    }
}

fn all_specs() -> Vec<DetachedSpec> {
    [
        JobSpec::Backup {
            choice: crate::jobs::BackupChoice::Full,
        },
        JobSpec::Verify {
            id: "x".into(),
            level: VerifyLevel::Deep,
        },
        restore_spec(),
        JobSpec::Export {
            id: "x".into(),
            out: "/mnt/usb/x.tar".into(),
        },
        prune_spec(),
    ]
    .iter()
    .map(|spec| DetachedSpec::from_spec(spec).expect("detachable"))
    .collect()
}

#[test]
fn job_files_round_trip_every_kind_and_result() {
    let results = [
        JobResult::Backup {
            id: "s".into(),
            notes: vec!["stale lock broken".into()],
        },
        JobResult::Verify {
            id: "s".into(),
            level: VerifyLevel::Quick,
            findings: vec![Finding {
                subject: "files.tar.zst".into(),
                message: "SHA-256 does not match".into(),
            }],
        },
        JobResult::Restore {
            safety_backup: Some("pre".into()),
            collections: 3,
            documents: 900,
            files_written: 4,
            files_overwritten: 1,
        },
        JobResult::Export {
            path: "/tmp/x.tar".into(),
            bytes: 10,
        },
        JobResult::Prune {
            removed: vec!["a".into()],
            bytes_freed: 7,
        },
    ];
    for (spec, result) in all_specs().into_iter().zip(results) {
        let mut file = JobFile::new("k", spec, 42, "host", "/state/jobs/k.log".into());
        file.report(
            Progress {
                stage: Stage::Database,
                items: 5,
                items_total: 10,
                bytes: 100,
                bytes_total: 0,
            },
            Utc::now(),
        );
        file.messages.push("a note".into());
        file.result = ResultRecord::from_result(&result);
        file.finish(FileStatus::Done, Utc::now());
        let json = serde_json::to_string_pretty(&file).unwrap();
        let back: JobFile = serde_json::from_str(&json).unwrap();
        assert_eq!(back, file, "{json}");
        assert_eq!(back.result.unwrap().to_result(), result);
    }
    assert_eq!(
        DetachedSpec::from_spec(&JobSpec::Db(crate::jobs::DbTask::CreateMissingIndexes)),
        None,
        "maintenance stays in the console"
    );
}

#[test]
fn a_restore_keeps_what_was_confirmed_and_notices_a_changed_plan() {
    let spec = restore_spec();
    let detached = DetachedSpec::from_spec(&spec).unwrap();
    let DetachedSpec::Restore { request, confirmed } = &detached else {
        panic!("{detached:?}");
    };
    let JobSpec::Restore {
        request: original,
        plan,
    } = &spec
    else {
        unreachable!()
    };
    let rebuilt = request.to_request();
    assert_eq!(rebuilt.id, original.id);
    assert_eq!(rebuilt.only, original.only);
    assert_eq!(rebuilt.collections, original.collections);
    assert_eq!(rebuilt.to_db, original.to_db);
    assert_eq!(rebuilt.safety_backup, original.safety_backup);
    assert_eq!(confirmed.difference(&ConfirmedRestore::from(&**plan)), None);
    // Only the current counts differ: still the same restore.
    let mut fresh = ConfirmedRestore::from(&**plan);
    fresh.database.as_mut().unwrap().collections[0].1 = 1300;
    assert_eq!(
        confirmed.difference(&fresh),
        None,
        "backup counts may be re-read"
    );
    let mut other = ConfirmedRestore::from(&**plan);
    other.database.as_mut().unwrap().target = "scandy".into();
    assert!(
        confirmed
            .difference(&other)
            .unwrap()
            .contains("target database is now scandy")
    );
    let mut more = ConfirmedRestore::from(&**plan);
    more.database
        .as_mut()
        .unwrap()
        .collections
        .push(("users".into(), 1));
    assert!(confirmed.difference(&more).is_some());
    let mut safety = ConfirmedRestore::from(&**plan);
    safety.safety_backup = true;
    assert!(confirmed.difference(&safety).is_some());
    // Shown again with the same title data.
    let JobSpec::Restore { plan: shown, .. } = detached.to_spec() else {
        panic!()
    };
    assert_eq!(shown.database.as_ref().unwrap().target, "scandy_check");
}

/// A process whose command line names the worker subcommand and `key`.
fn fake_worker(key: &str) -> Child {
    Command::new("sh")
        .args(["-c", "sleep 30; true", WORKER_SUBCOMMAND, key])
        .spawn()
        .unwrap()
}

fn write(dir: &Path, file: &JobFile) -> std::path::PathBuf {
    let path = job_path(dir, &file.key);
    write_job(&path, file).unwrap();
    path
}

#[test]
fn dead_workers_are_told_apart_from_live_ones_and_marked_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let mut worker = fake_worker("k-alive");
    let alive = JobFile::new(
        "k-alive",
        DetachedSpec::Backup {
            backup_type: crate::jobs::BackupChoice::Full,
        },
        worker.id(),
        &host_name(),
        "l".into(),
    );
    let alive_path = write(dir.path(), &alive);
    assert_eq!(liveness(&alive), Liveness::Alive);
    assert_eq!(mark_interrupted_if_dead(&alive_path).unwrap(), None);

    // This test process exists but is no worker for the job (a reused pid).
    let reused = JobFile::new(
        "k-reused",
        DetachedSpec::Backup {
            backup_type: crate::jobs::BackupChoice::Full,
        },
        std::process::id(),
        &host_name(),
        "l".into(),
    );
    assert_eq!(liveness(&reused), Liveness::Dead);
    let elsewhere = JobFile::new(
        "k-far",
        DetachedSpec::Backup {
            backup_type: crate::jobs::BackupChoice::Full,
        },
        1,
        "another-host",
        "l".into(),
    );
    assert_eq!(liveness(&elsewhere), Liveness::OtherHost);
    let far_path = write(dir.path(), &elsewhere);
    assert_eq!(
        mark_interrupted_if_dead(&far_path).unwrap(),
        None,
        "other hosts are left alone"
    );
    assert!(
        request_cancel(&far_path)
            .unwrap_err()
            .to_string()
            .contains("another-host")
    );

    worker.kill().unwrap();
    worker.wait().unwrap();
    assert_eq!(liveness(&alive), Liveness::Dead);
    assert!(
        request_cancel(&alive_path)
            .unwrap_err()
            .to_string()
            .contains("no longer running")
    );
    let marked = mark_interrupted_if_dead(&alive_path)
        .unwrap()
        .expect("marked");
    assert_eq!(marked.status, FileStatus::Interrupted);
    assert!(
        marked
            .error
            .unwrap()
            .contains(&format!("pid {}", alive.pid))
    );
    assert_eq!(
        read_job(&alive_path).unwrap().status,
        FileStatus::Interrupted
    );
    assert_eq!(
        mark_interrupted_if_dead(&alive_path).unwrap(),
        None,
        "only once"
    );
}

#[test]
fn the_scanner_reports_new_changed_dead_and_removed_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let mut scanner = JobScanner::new(dir.path().to_path_buf());
    assert!(scanner.scan().is_empty(), "a missing directory is empty");
    let mut worker = fake_worker("k1");
    let mut file = JobFile::new(
        "k1",
        DetachedSpec::Backup {
            backup_type: crate::jobs::BackupChoice::Full,
        },
        worker.id(),
        &host_name(),
        "l".into(),
    );
    let path = write(dir.path(), &file);
    let report = |events: Vec<WorkerEvent>| -> WorkerReport {
        match events.as_slice() {
            [WorkerEvent::Report(report)] => (**report).clone(),
            other => panic!("one report expected: {other:?}"),
        }
    };
    let first = report(scanner.scan());
    assert_eq!(first.status, JobStatus::Running);
    assert_eq!(
        first.spec,
        JobSpec::Backup {
            choice: crate::jobs::BackupChoice::Full
        }
    );
    assert!(scanner.scan().is_empty(), "unchanged: nothing new");
    file.report(
        Progress {
            stage: Stage::Files,
            items: 3,
            items_total: 9,
            bytes: 0,
            bytes_total: 0,
        },
        Utc::now(),
    );
    write_job(&path, &file).unwrap();
    let second = report(scanner.scan());
    assert_eq!(second.progress.unwrap().0.items, 3);
    worker.kill().unwrap();
    worker.wait().unwrap();
    let third = report(scanner.scan());
    assert!(
        matches!(third.status, JobStatus::Interrupted(ref why) if why.contains("ended without"))
    );
    assert!(third.finished.is_some());
    std::fs::remove_file(&path).unwrap();
    assert_eq!(scanner.scan(), vec![WorkerEvent::Gone("k1".into())]);
}

#[test]
fn cancel_signals_a_live_worker() {
    let dir = tempfile::tempdir().unwrap();
    let mut worker = fake_worker("k-cancel");
    let file = JobFile::new(
        "k-cancel",
        DetachedSpec::Backup {
            backup_type: crate::jobs::BackupChoice::Full,
        },
        worker.id(),
        &host_name(),
        "l".into(),
    );
    let path = write(dir.path(), &file);
    request_cancel(&path).unwrap();
    let status = worker.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGTERM));
}

#[test]
fn dismiss_and_retention_remove_finished_jobs_only() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let mut worker = fake_worker("running");
    let running = JobFile::new(
        "running",
        DetachedSpec::Backup {
            backup_type: crate::jobs::BackupChoice::Full,
        },
        worker.id(),
        &host_name(),
        "l".into(),
    );
    write(dir.path(), &running);
    std::fs::write(log_path(dir.path(), "running"), b"log").unwrap();
    let mut old = JobFile::new(
        "old",
        DetachedSpec::Backup {
            backup_type: crate::jobs::BackupChoice::Full,
        },
        1,
        &host_name(),
        "l".into(),
    );
    old.finish(FileStatus::Done, now - TimeDelta::hours(30));
    write(dir.path(), &old);
    std::fs::write(log_path(dir.path(), "old"), b"log").unwrap();
    for i in 0..(KEEP_FINISHED + 2) {
        let mut done = JobFile::new(
            &format!("done-{i:02}"),
            DetachedSpec::Backup {
                backup_type: crate::jobs::BackupChoice::Full,
            },
            1,
            &host_name(),
            "l".into(),
        );
        done.finish(FileStatus::Failed, now - TimeDelta::minutes(60 - i as i64));
        write(dir.path(), &done);
    }
    let removed = apply_retention(dir.path(), now).unwrap();
    assert_eq!(
        removed,
        vec!["old", "done-00", "done-01"],
        "expired, then the oldest beyond the cap"
    );
    assert!(!log_path(dir.path(), "old").exists(), "its log goes too");
    let keys: Vec<String> = list_jobs(dir.path()).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys.len(), KEEP_FINISHED + 1);
    assert!(keys.contains(&"running".to_string()));

    let removed = dismiss(dir.path(), &["running".into(), "done-05".into()]).unwrap();
    assert_eq!(removed, vec!["done-05"], "a running job is never dismissed");
    assert!(job_path(dir.path(), "running").exists());
    worker.kill().unwrap();
    worker.wait().unwrap();
}

#[test]
fn keys_are_unique_file_names() {
    let a = new_key("backup");
    let b = new_key("backup");
    assert_ne!(a, b);
    assert!(
        a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
        "{a}"
    );
}

#[test]
fn the_configuration_survives_the_hand_over() {
    let config = crate::config::Config::default();
    let json = serde_json::to_vec(&config).unwrap();
    let back: crate::config::Config = serde_json::from_slice(&json).unwrap();
    assert_eq!(back, config);
}

#[test]
fn a_report_turns_file_times_into_instants() {
    let now = Utc::now();
    let instant = std::time::Instant::now();
    let mut file = JobFile::new(
        "k",
        DetachedSpec::Backup {
            backup_type: crate::jobs::BackupChoice::Full,
        },
        1,
        "h",
        "l".into(),
    );
    file.started = now - TimeDelta::seconds(90);
    file.report(
        Progress {
            stage: Stage::Database,
            items: 1,
            items_total: 2,
            bytes: 0,
            bytes_total: 0,
        },
        now - TimeDelta::seconds(30),
    );
    file.finish(FileStatus::Cancelled, now - TimeDelta::seconds(10));
    let report = WorkerReport::from_file(&file, now, instant);
    assert_eq!(report.status, JobStatus::Cancelled);
    let started = report.started;
    assert_eq!(instant - started, std::time::Duration::from_secs(90));
    assert_eq!(
        report.progress.unwrap().1 - started,
        std::time::Duration::from_secs(60)
    );
    assert_eq!(
        report.finished.unwrap() - started,
        std::time::Duration::from_secs(80)
    );
}
