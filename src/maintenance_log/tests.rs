//! Unit tests of the maintenance log: chain, rotation, head, classification of tampering.

use std::path::Path;

use super::files::{Head, rotated_key, rotated_name, split_lines, write_head};
use super::*;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn entry(title: &str, when: &str) -> MaintenanceEntry {
    MaintenanceEntry {
        at: at(when),
        kind: "backup".into(),
        actor: "anna".into(),
        title: title.into(),
        ..MaintenanceEntry::default()
    }
}

/// Appends `n` entries, a minute apart, in November 2026.
fn log_of(dir: &Path, n: usize) {
    for i in 0..n {
        let when = format!("2026-11-05T10:{i:02}:00Z");
        append_entry(dir, &entry(&format!("entry {}", i + 1), &when)).unwrap();
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).unwrap();
}

fn problems(dir: &Path) -> Vec<String> {
    verify_chain(dir)
        .problems
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn appends_in_order_chained_and_never_rewrites_written_lines() {
    let dir = tempfile::tempdir().unwrap();
    log_of(dir.path(), 3);
    let before = std::fs::read(log_path(dir.path())).unwrap();
    append_entry(dir.path(), &entry("entry 4", "2026-11-05T11:00:00Z")).unwrap();
    append_entry(dir.path(), &entry("entry 5", "2026-11-05T11:01:00Z")).unwrap();
    let after = std::fs::read(log_path(dir.path())).unwrap();
    assert!(after.starts_with(&before), "written lines changed");

    let entries = read_entries(dir.path());
    let titles: Vec<&str> = entries.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(
        titles,
        ["entry 1", "entry 2", "entry 3", "entry 4", "entry 5"]
    );
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    assert_eq!(entries[0].prev, GENESIS_HASH);
    let raw = split_lines(&after);
    for i in 1..raw.len() {
        assert_eq!(entries[i].prev, line_hash(raw[i - 1]), "line {}", i + 1);
    }
    assert_eq!(entries[0].host, host());
    let head: Head =
        serde_json::from_slice(&std::fs::read(dir.path().join(HEAD_FILE)).unwrap()).unwrap();
    assert_eq!(head.entries, 5);
    assert_eq!(head.last, line_hash(raw[4]));
    let report = verify_chain(dir.path());
    assert!(report.intact(), "{:?}", report.problems);
    assert_eq!((report.entries, report.chained, report.legacy), (5, 5, 0));
}

#[test]
fn an_empty_or_absent_log_is_intact() {
    let dir = tempfile::tempdir().unwrap();
    let report = verify_chain(&dir.path().join("never-created"));
    assert!(report.intact());
    assert_eq!(report.entries, 0);
    assert_eq!(report.notes, ["the maintenance log is empty"]);
}

#[test]
fn lines_written_before_the_chain_are_legacy_and_the_chain_starts_after_them() {
    let dir = tempfile::tempdir().unwrap();
    let old = [
        r#"{"at":"2026-10-01T08:00:00Z","kind":"incident","actor":"anna","title":"old one","detail":""}"#,
        r#"{"at":"2026-10-02T08:00:00Z","kind":"checklist","actor":"ben","title":"old two","detail":"x"}"#,
    ];
    write_lines(&log_path(dir.path()), &old.map(String::from));
    let legacy = read_entries(dir.path());
    assert_eq!(legacy.len(), 2);
    assert_eq!(legacy[0].outcome, "ok");
    assert!(legacy[0].params.is_empty() && legacy[0].prev.is_empty());

    append_entry(dir.path(), &entry("new", "2026-10-03T08:00:00Z")).unwrap();
    let entries = read_entries(dir.path());
    assert_eq!(entries[2].seq, 3);
    assert_eq!(entries[2].prev, line_hash(old[1].as_bytes()));
    let report = verify_chain(dir.path());
    assert!(report.intact(), "{:?}", report.problems);
    assert_eq!((report.legacy, report.chained), (2, 1));
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.starts_with("2 line(s) at the start")),
        "{:?}",
        report.notes
    );
}

#[test]
fn an_edited_line_is_named_by_the_next_lines_prev() {
    let dir = tempfile::tempdir().unwrap();
    log_of(dir.path(), 4);
    let path = log_path(dir.path());
    let mut text = lines(&path);
    text[1] = text[1].replace("entry 2", "entry X");
    write_lines(&path, &text);
    assert_eq!(
        problems(dir.path()),
        ["maintenance-log.jsonl line 2: edited — its SHA-256 does not match line 3's prev"]
    );
}

#[test]
fn a_deleted_middle_line_is_a_gap_before_the_line_that_follows() {
    let dir = tempfile::tempdir().unwrap();
    log_of(dir.path(), 4);
    let path = log_path(dir.path());
    let mut text = lines(&path);
    text.remove(1);
    write_lines(&path, &text);
    assert_eq!(
        problems(dir.path()),
        [
            "maintenance-log.jsonl line 2: deleted — 1 entry is missing before this line: \
             entry 1 (line 1) is followed by entry 3, and its prev matches no line"
        ]
    );
}

#[test]
fn a_deleted_or_edited_last_line_mismatches_the_head() {
    let dir = tempfile::tempdir().unwrap();
    log_of(dir.path(), 3);
    let path = log_path(dir.path());
    let full = lines(&path);
    write_lines(&path, &full[..2]);
    assert_eq!(
        problems(dir.path()),
        [
            "maintenance-log.jsonl line 2: deleted — the head records 3 entries, the log ends \
             with entry 2: 1 entry after this line is missing"
        ]
    );

    let mut edited = full.clone();
    edited[2] = edited[2].replace("entry 3", "entry Z");
    write_lines(&path, &edited);
    assert_eq!(
        problems(dir.path()),
        [
            "maintenance-log.jsonl line 3: edited — its SHA-256 does not match the head (maintenance-log.head)"
        ]
    );
}

#[test]
fn appending_after_a_deleted_last_line_keeps_the_gap_visible() {
    let dir = tempfile::tempdir().unwrap();
    log_of(dir.path(), 3);
    let path = log_path(dir.path());
    let full = lines(&path);
    write_lines(&path, &full[..2]);
    append_entry(dir.path(), &entry("after", "2026-11-05T12:00:00Z")).unwrap();
    let found = problems(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("maintenance-log.jsonl line 3: deleted — 1 entry is missing"),
        "{found:?}"
    );
}

#[test]
fn swapped_lines_are_reordered() {
    let dir = tempfile::tempdir().unwrap();
    log_of(dir.path(), 4);
    let path = log_path(dir.path());
    let mut text = lines(&path);
    text.swap(1, 2);
    write_lines(&path, &text);
    let report = verify_chain(dir.path());
    assert!(!report.intact());
    assert!(
        report
            .problems
            .iter()
            .all(|p| p.kind == ProblemKind::Reordered),
        "{:?}",
        report.problems
    );
    assert_eq!(
        report.problems[0].to_string(),
        "maintenance-log.jsonl line 2: reordered — its prev is the SHA-256 of line 3, not of \
         line 1 above it: lines are out of order"
    );
    // The clock going backwards is noted, not a failure by itself.
    assert!(report.notes.iter().any(|n| n.contains("line 3: its time")));
}

#[test]
fn unreadable_and_unchained_lines_are_named() {
    let dir = tempfile::tempdir().unwrap();
    log_of(dir.path(), 3);
    let path = log_path(dir.path());
    let mut text = lines(&path);
    text[1] = "not json at all".into();
    write_lines(&path, &text);
    let found = problems(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .starts_with("maintenance-log.jsonl line 2: unreadable — not a maintenance log entry"),
        "{found:?}"
    );

    let mut text = lines(&path);
    text[1] = r#"{"at":"2026-11-05T10:01:00Z","kind":"backup","actor":"eve","title":"sneaked in"}"#
        .into();
    write_lines(&path, &text);
    let found = problems(dir.path());
    assert!(
        found[0].starts_with("maintenance-log.jsonl line 2: unchained — it carries no hash"),
        "{found:?}"
    );
}

#[test]
fn a_missing_head_is_a_problem_and_the_next_append_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    log_of(dir.path(), 2);
    std::fs::remove_file(dir.path().join(HEAD_FILE)).unwrap();
    assert_eq!(
        problems(dir.path()),
        [
            "maintenance-log.head: missing — the head file is gone, so a deleted last entry \
             would go unnoticed (the next append writes it again)"
        ]
    );
    append_entry(dir.path(), &entry("third", "2026-11-05T12:00:00Z")).unwrap();
    assert!(verify_chain(dir.path()).intact());
}

#[test]
fn a_head_one_append_behind_is_a_note_and_the_next_append_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    log_of(dir.path(), 3);
    let text = lines(&log_path(dir.path()));
    // As if the process died between writing the log and writing the head.
    write_head(
        dir.path(),
        &Head {
            entries: 2,
            last: line_hash(text[1].as_bytes()),
        },
    )
    .unwrap();
    let report = verify_chain(dir.path());
    assert!(report.intact(), "{:?}", report.problems);
    assert!(report.notes.iter().any(|n| n.contains("one entry behind")));
    append_entry(dir.path(), &entry("fourth", "2026-11-05T12:00:00Z")).unwrap();
    let report = verify_chain(dir.path());
    assert!(report.intact(), "{:?}", report.problems);
    assert_eq!(read_entries(dir.path())[3].seq, 4);
}

#[test]
fn rotation_by_month_keeps_the_chain_across_files() {
    let dir = tempfile::tempdir().unwrap();
    for (i, day) in ["2026-10-03", "2026-10-17", "2026-10-31"]
        .iter()
        .enumerate()
    {
        let e = entry(&format!("october {i}"), &format!("{day}T23:00:00Z"));
        append_entry(dir.path(), &e).unwrap();
    }
    append_entry(dir.path(), &entry("november 0", "2026-11-01T00:10:00Z")).unwrap();
    append_entry(dir.path(), &entry("november 1", "2026-11-02T09:00:00Z")).unwrap();
    let rotated = dir.path().join("maintenance-log-2026-10.jsonl");
    let october = lines(&rotated);
    let november = lines(&log_path(dir.path()));
    assert_eq!((october.len(), november.len()), (3, 2));
    let first: MaintenanceEntry = serde_json::from_str(&november[0]).unwrap();
    assert_eq!(first.prev, line_hash(october[2].as_bytes()));
    assert_eq!(first.seq, 4);
    let report = verify_chain(dir.path());
    assert!(report.intact(), "{:?}", report.problems);
    assert_eq!(
        report.files,
        ["maintenance-log-2026-10.jsonl", "maintenance-log.jsonl"]
    );
    let titles: Vec<String> = read_entries(dir.path())
        .into_iter()
        .map(|e| e.title)
        .collect();
    assert_eq!(
        titles,
        [
            "october 0",
            "october 1",
            "october 2",
            "november 0",
            "november 1"
        ]
    );

    let mut edited = october.clone();
    edited[2] = edited[2].replace("october 2", "october X");
    write_lines(&rotated, &edited);
    assert_eq!(
        problems(dir.path()),
        [
            "maintenance-log-2026-10.jsonl line 3: edited — its SHA-256 does not match \
             maintenance-log.jsonl line 1's prev"
        ]
    );
    std::fs::remove_file(&rotated).unwrap();
    assert_eq!(
        problems(dir.path()),
        [
            "maintenance-log.jsonl line 1: deleted — the log starts with entry 4: 3 earlier \
             entries are missing (deleted, or an older maintenance-log-YYYY-MM.jsonl is gone)"
        ]
    );
}

#[test]
fn a_taken_rotation_name_gets_a_part_number_that_sorts_after_it() {
    let dir = tempfile::tempdir().unwrap();
    append_entry(dir.path(), &entry("oct", "2026-10-03T10:00:00Z")).unwrap();
    append_entry(dir.path(), &entry("nov", "2026-11-03T10:00:00Z")).unwrap();
    // A file of the current file's month exists already (renamed by hand, clock steps).
    std::fs::rename(
        dir.path().join("maintenance-log-2026-10.jsonl"),
        dir.path().join("maintenance-log-2026-09.jsonl"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("maintenance-log-2026-11.jsonl"),
        "placeholder\n",
    )
    .unwrap();
    append_entry(dir.path(), &entry("dec", "2026-12-03T10:00:00Z")).unwrap();
    assert!(dir.path().join("maintenance-log-2026-11.2.jsonl").is_file());
    let names: Vec<String> = files::log_files(dir.path())
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(
        names,
        [
            "maintenance-log-2026-09.jsonl",
            "maintenance-log-2026-11.jsonl",
            "maintenance-log-2026-11.2.jsonl",
            "maintenance-log.jsonl"
        ]
    );
}

#[test]
fn rotated_names_parse_and_order() {
    assert_eq!(rotated_name(2026, 3, 1), "maintenance-log-2026-03.jsonl");
    assert_eq!(rotated_name(2026, 3, 2), "maintenance-log-2026-03.2.jsonl");
    assert_eq!(
        rotated_key("maintenance-log-2026-03.jsonl"),
        Some((2026, 3, 1))
    );
    assert_eq!(
        rotated_key("maintenance-log-2026-03.2.jsonl"),
        Some((2026, 3, 2))
    );
    for other in [
        "maintenance-log.jsonl",
        "maintenance-log-2026-13.jsonl",
        "maintenance-log-2026-3.jsonl",
        "maintenance-log-2026-03.1.jsonl",
        "maintenance-log-2026-03.jsonl.tmp",
    ] {
        assert_eq!(rotated_key(other), None, "{other}");
    }
}

#[test]
fn hostile_bytes_are_stored_escaped_and_read_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let title = "evil \u{1b}[2J\u{9b}31m\u{7} title\nsecond";
    append_entry(dir.path(), &entry(title, "2026-11-05T10:00:00Z")).unwrap();
    let raw = std::fs::read_to_string(log_path(dir.path())).unwrap();
    assert!(!raw.contains('\u{1b}') && !raw.contains('\u{9b}') && !raw.contains('\u{7}'));
    assert_eq!(raw.lines().count(), 1);
    assert_eq!(read_entries(dir.path())[0].title, title);
    assert!(verify_chain(dir.path()).intact());
}

#[test]
fn filters_by_time_and_kind() {
    let dir = tempfile::tempdir().unwrap();
    append_entry(dir.path(), &entry("old", "2026-11-01T10:00:00Z")).unwrap();
    let mut verify = entry("new verify", "2026-11-05T10:00:00Z");
    verify.kind = "verify".into();
    append_entry(dir.path(), &verify).unwrap();
    append_entry(dir.path(), &entry("new backup", "2026-11-05T11:00:00Z")).unwrap();
    let since = Some(at("2026-11-03T00:00:00Z"));
    let titles = |since, kind| -> Vec<String> {
        read_entries_filtered(dir.path(), since, kind)
            .into_iter()
            .map(|e| e.title)
            .collect()
    };
    assert_eq!(titles(since, None), ["new verify", "new backup"]);
    assert_eq!(titles(since, Some("BACKUP")), ["new backup"]);
    assert_eq!(titles(None, Some("backup")), ["old", "new backup"]);
}

#[test]
fn builders_and_results_set_outcome_and_evidence() {
    let ok: Result<u32> = Ok(7);
    let e = MaintenanceEntry::now("prune", "prune", "")
        .param("set", "a")
        .param_opt("none", None::<String>)
        .with_result(&ok, |n| vec![format!("{n} removed")]);
    assert_eq!(e.outcome, "ok");
    assert_eq!(e.evidence, ["7 removed"]);
    assert_eq!(e.params.len(), 1);
    assert_eq!(e.actor, actor());

    let failed: Result<u32> = Err(color_eyre::eyre::eyre!("disk full"))
        .map_err(|e| e.wrap_err("cannot write /backups/x"));
    let e = MaintenanceEntry::now("backup", "b", "").with_result(&failed, |_| vec![]);
    assert!(e.failed());
    assert_eq!(e.evidence, ["cannot write /backups/x: disk full"]);

    let cancelled: Result<u32> = Err(crate::backup::progress::Cancelled.into());
    let e = MaintenanceEntry::now("backup", "b", "").with_result(&cancelled, |_| vec![]);
    assert_eq!(e.outcome, "cancelled");
}

#[test]
fn job_entries_name_kind_parameters_and_evidence() {
    use crate::backup::verify::{Finding, VerifyLevel};
    use crate::jobs::{BackupChoice, DbOutcome, DbTask, JobResult, JobSpec};
    let backup = job_entry::entry_for_job(
        &JobSpec::Backup {
            choice: BackupChoice::Full,
        },
        &Ok(JobResult::Backup {
            id: "scandy-1-full".into(),
            notes: vec![],
        }),
    );
    assert_eq!(
        (backup.kind.as_str(), backup.outcome.as_str()),
        ("backup", "ok")
    );
    assert_eq!(backup.params["type"], "full");
    assert_eq!(backup.params["via"], "console");
    assert_eq!(backup.evidence, ["set scandy-1-full"]);

    let spec = JobSpec::Verify {
        id: "scandy-1-full".into(),
        level: VerifyLevel::Deep,
    };
    let verify = job_entry::entry_for_job(
        &spec,
        &Ok(JobResult::Verify {
            id: "scandy-1-full".into(),
            level: VerifyLevel::Deep,
            findings: vec![Finding {
                subject: "mongo.archive.zst".into(),
                message: "checksum mismatch".into(),
            }],
        }),
    );
    assert_eq!(verify.outcome, "failed");
    assert_eq!(verify.params["level"], "deep");
    assert_eq!(
        verify.evidence,
        [
            "set scandy-1-full",
            "1 finding(s)",
            "mongo.archive.zst: checksum mismatch"
        ]
    );

    let compact = job_entry::entry_for_job(
        &JobSpec::Db(DbTask::Compact {
            collection: "tools".into(),
        }),
        &Err(color_eyre::eyre::eyre!(
            "compact on tools: not supported by this server"
        )),
    );
    assert_eq!(
        (compact.kind.as_str(), compact.outcome.as_str()),
        ("compact", "failed")
    );
    assert_eq!(
        compact.evidence,
        ["compact on tools: not supported by this server"]
    );

    let indexes = job_entry::entry_for_job(
        &JobSpec::Db(DbTask::CreateMissingIndexes),
        &Ok(JobResult::Db(DbOutcome::IndexesCreated(vec![
            "tools.barcode".into(),
        ]))),
    );
    assert_eq!(indexes.kind, "index-creation");
    assert_eq!(indexes.evidence, ["created tools.barcode"]);
}
