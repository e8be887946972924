//! The maintenance log entry for one finished job (console jobs and detached workers all
//! end in [`crate::jobs::run::run_job`]), and the shared wording of common actions.

use color_eyre::eyre::Result;

use super::{MaintenanceEntry, Outcome};
use crate::backup::restore::{RestoreOutcome, RestorePart, RestoreRequest};
use crate::backup::verify::{Finding, VerifyLevel};
use crate::jobs::{BackupChoice, DbOutcome, DbTask, JobResult, JobSpec};
use crate::system::disk::human_bytes;

/// At most this many findings are copied into an entry's evidence.
const MAX_FINDINGS: usize = 10;

/// The entry recording that `spec` ended with `result` (made now, by this user).
pub fn entry_for_job(spec: &JobSpec, result: &Result<JobResult>) -> MaintenanceEntry {
    let entry = started_entry(spec).param("via", "console");
    match result {
        Ok(value) => finished(entry, value),
        Err(err) => entry.with_error(err),
    }
}

/// `quick` or `deep`.
pub fn level_name(level: VerifyLevel) -> &'static str {
    match level {
        VerifyLevel::Quick => "quick",
        VerifyLevel::Deep => "deep",
    }
}

/// The entry with the parameters of a restore request (set, part, collections, targets).
pub fn with_restore_request(entry: MaintenanceEntry, request: &RestoreRequest) -> MaintenanceEntry {
    let entry = if request.id.is_empty() {
        entry
    } else {
        entry.param("set", &request.id)
    };
    entry
        .param_opt(
            "only",
            request.only.map(|only| match only {
                RestorePart::Db => "db",
                RestorePart::Files => "files",
            }),
        )
        .param_opt(
            "collections",
            request.collections.as_ref().map(|c| c.join(",")),
        )
        .param_opt("to_db", request.to_db.clone())
        .param_opt(
            "files_to",
            request.files_to.as_ref().map(|p| p.display().to_string()),
        )
        .param_opt("at", request.at.map(|at| at.to_rfc3339()))
        .param_opt("missing_only", request.missing_files_only.then_some("true"))
        .param_opt("safety_backup", (!request.safety_backup).then_some("false"))
}

/// Evidence lines of a completed restore: what was loaded, the safety backup, the journal.
pub fn restore_evidence(outcome: &RestoreOutcome) -> Vec<String> {
    let documents: u64 = outcome.documents.iter().map(|(_, n)| n).sum();
    let mut evidence = vec![format!(
        "{documents} document(s) in {} collection(s) restored; {} file(s) written, {} \
         overwritten",
        outcome.documents.len(),
        outcome.files_written,
        outcome.files_overwritten
    )];
    evidence.extend(
        outcome
            .safety_backup
            .iter()
            .map(|s| format!("safety backup {s}")),
    );
    evidence.push(format!("journal {}", outcome.run_id));
    evidence
}

/// Evidence lines for verify findings: their number, then the first few.
pub fn findings_evidence(findings: &[Finding]) -> Vec<String> {
    let mut lines = vec![format!("{} finding(s)", findings.len())];
    lines.extend(
        findings
            .iter()
            .take(MAX_FINDINGS)
            .map(|f| format!("{}: {}", f.subject, f.message)),
    );
    if findings.len() > MAX_FINDINGS {
        lines.push(format!("… and {} more", findings.len() - MAX_FINDINGS));
    }
    lines
}

/// Kind, title and parameters of the job, before its outcome is known.
fn started_entry(spec: &JobSpec) -> MaintenanceEntry {
    match spec {
        JobSpec::Backup { choice } => {
            let kind = match choice {
                BackupChoice::Full => "full",
                BackupChoice::Incremental => "incremental",
                BackupChoice::Auto => "auto",
            };
            MaintenanceEntry::now("backup", &format!("{kind} backup"), "").param("type", kind)
        }
        JobSpec::Verify { id, level } => {
            let level = level_name(*level);
            MaintenanceEntry::now("verify", &format!("{level} verify of {id}"), "")
                .param("set", id)
                .param("level", level)
        }
        JobSpec::Restore { request, plan } => with_restore_request(
            MaintenanceEntry::now("restore", &format!("restore of {}", plan.id), ""),
            request,
        )
        .param_opt("database", plan.database.as_ref().map(|d| d.target.clone())),
        JobSpec::Export { id, out } => {
            MaintenanceEntry::now("export", &format!("export of {id}"), "")
                .param("set", id)
                .param("out", out.display().to_string())
        }
        JobSpec::Prune { plan } => MaintenanceEntry::now(
            "prune",
            &format!("prune of {} backup set(s)", plan.remove.len()),
            "",
        )
        .param(
            "sets",
            plan.remove
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(","),
        ),
        JobSpec::Db(task) => db_entry(task),
        JobSpec::RestartService { target } => MaintenanceEntry::now(
            "service-restart",
            &format!("restart of {}", target.name()),
            "",
        )
        .param("target", target.name()),
    }
}

fn db_entry(task: &DbTask) -> MaintenanceEntry {
    match task {
        DbTask::Validate { collection, full } => {
            let what = collection.as_deref().unwrap_or("every collection");
            MaintenanceEntry::now("validate", &format!("validate {what}"), "")
                .param_opt("collection", collection.clone())
                .param_opt("full", full.then_some("true"))
        }
        DbTask::Compact { collection } => {
            MaintenanceEntry::now("compact", &format!("compact {collection}"), "")
                .param("collection", collection)
        }
        DbTask::Reindex { collection } => {
            MaintenanceEntry::now("reindex", &format!("reIndex {collection}"), "")
                .param("collection", collection)
        }
        DbTask::CreateMissingIndexes => {
            MaintenanceEntry::now("index-creation", "create the missing Scandy indexes", "")
        }
        DbTask::KillOperation { opid } => {
            MaintenanceEntry::now("kill-op", &format!("killOp {opid}"), "")
                .param("opid", opid.to_string())
        }
        DbTask::HealthFix { check } => {
            MaintenanceEntry::now("health-fix", &format!("health fix {check}"), "")
                .param("check", check)
        }
    }
}

/// The entry completed with what the job achieved.
fn finished(entry: MaintenanceEntry, result: &JobResult) -> MaintenanceEntry {
    match result {
        JobResult::Backup { id, notes } => entry
            .evidence([format!("set {id}")])
            .evidence(notes.iter().map(|n| format!("note: {n}"))),
        JobResult::Verify { id, findings, .. } => {
            let entry = entry.evidence([format!("set {id}")]);
            if findings.is_empty() {
                entry.evidence(["0 findings"])
            } else {
                entry
                    .outcome(Outcome::Failed)
                    .evidence(findings_evidence(findings))
            }
        }
        JobResult::Restore {
            safety_backup,
            collections,
            documents,
            files_written,
            files_overwritten,
        } => entry
            .evidence([format!(
                "{documents} document(s) in {collections} collection(s) restored; \
                 {files_written} file(s) written, {files_overwritten} overwritten"
            )])
            .evidence(safety_backup.iter().map(|s| format!("safety backup {s}"))),
        JobResult::Export { path, bytes } => entry.evidence([format!(
            "wrote {} ({})",
            path.display(),
            human_bytes(*bytes)
        )]),
        JobResult::Prune {
            removed,
            bytes_freed,
        } => entry
            .evidence([format!(
                "removed {} set(s), freed {}",
                removed.len(),
                human_bytes(*bytes_freed)
            )])
            .evidence(removed.iter().map(|id| format!("removed {id}"))),
        JobResult::Db(outcome) => db_finished(entry, outcome),
        JobResult::ServiceRestarted => entry.evidence(["restarted"]),
    }
}

fn db_finished(entry: MaintenanceEntry, outcome: &DbOutcome) -> MaintenanceEntry {
    match outcome {
        DbOutcome::Validated {
            reports,
            unavailable,
        } => {
            let invalid: Vec<_> = reports.iter().filter(|r| !r.valid).collect();
            let outcome = if !invalid.is_empty() {
                Outcome::Failed
            } else if !unavailable.is_empty() {
                Outcome::Warning
            } else {
                Outcome::Ok
            };
            entry
                .outcome(outcome)
                .evidence([format!(
                    "{} collection(s) validated, {} invalid, {} not validated",
                    reports.len(),
                    invalid.len(),
                    unavailable.len()
                )])
                .evidence(
                    invalid
                        .iter()
                        .map(|r| format!("{}: INVALID ({})", r.collection, r.errors.join("; "))),
                )
                .evidence(
                    unavailable
                        .iter()
                        .map(|(name, reason)| format!("{name}: {reason}")),
                )
        }
        DbOutcome::Compacted(report) => entry.evidence([format!(
            "{}: {} freed",
            report.collection,
            report
                .bytes_freed
                .map_or_else(|| "unknown".to_string(), human_bytes)
        )]),
        DbOutcome::Reindexed(report) => entry.evidence([format!(
            "{}: {} index(es) rebuilt",
            report.collection,
            report
                .indexes
                .map_or_else(|| "its".to_string(), |n| n.to_string())
        )]),
        DbOutcome::IndexesCreated(created) if created.is_empty() => {
            entry.evidence(["no expected index was missing"])
        }
        DbOutcome::IndexesCreated(created) => {
            entry.evidence(created.iter().map(|name| format!("created {name}")))
        }
        DbOutcome::Killed(report) => entry
            .evidence([format!("killOp sent for operation {}", report.opid)])
            .evidence(report.info.iter().cloned()),
        DbOutcome::Fixed(fix) => entry.evidence([format!(
            "{}: {} document(s) modified",
            fix.check, fix.modified
        )]),
    }
}
