//! Job texts: titles ("#3 verify (deep) ID"), stages, units and outcomes in words, for the
//! job list and the confirmations.

use crate::backup::progress::Stage;
use crate::backup::verify::VerifyLevel;
use crate::i18n::{Lang, Msg};
use crate::jobs::{BackupChoice, DbOutcome, DbTask, JobRecord, JobResult, JobSpec};
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;

/// "#3 verify (deep) ID" and the like.
pub fn job_title(lang: Lang, job: &JobRecord) -> String {
    let what = match &job.spec {
        JobSpec::Backup { choice } => match choice {
            BackupChoice::Full => Msg::JobBackup,
            BackupChoice::Incremental => Msg::JobBackupIncremental,
            BackupChoice::Auto => Msg::JobBackupAuto,
        }
        .text(lang)
        .to_string(),
        JobSpec::Verify { id, level } => Msg::JobVerify.fill(
            lang,
            &[
                match level {
                    VerifyLevel::Quick => Msg::BkLevelQuick.text(lang),
                    VerifyLevel::Deep => Msg::BkLevelDeep.text(lang),
                },
                id,
            ],
        ),
        JobSpec::Restore { request, plan } => {
            let target = plan
                .database
                .as_ref()
                .map(|d| d.target.clone())
                .or_else(|| plan.files.as_ref().map(|f| f.target.display().to_string()))
                .unwrap_or_default();
            Msg::JobRestore.fill(lang, &[&request.id, &target])
        }
        JobSpec::Export { id, out } => Msg::JobExport.fill(lang, &[id, &out.display().to_string()]),
        JobSpec::Prune { plan } => Msg::JobPrune.fill(lang, &[&plan.remove.len().to_string()]),
        JobSpec::Db(task) => db_task_title(lang, task),
        JobSpec::RestartService { target } => Msg::JobRestartService.fill(lang, &[&target.name()]),
    };
    escape_controls(&format!("#{} {what}", job.id)).into_owned()
}

/// The stage of a running job in words.
pub fn stage_text(lang: Lang, stage: Stage) -> &'static str {
    match stage {
        Stage::Database => Msg::StageDatabase.text(lang),
        Stage::Files => Msg::StageFiles.text(lang),
        Stage::Verify => Msg::StageVerify.text(lang),
        Stage::Restore => Msg::StageRestore.text(lang),
        Stage::Extract => Msg::StageExtract.text(lang),
        Stage::Export => Msg::StageExport.text(lang),
        Stage::Maintenance => Msg::StageMaintenance.text(lang),
    }
}

/// What a stage counts (documents, files, items, collections).
pub fn item_unit(lang: Lang, stage: Stage) -> &'static str {
    match stage {
        Stage::Database | Stage::Restore => Msg::UnitDocuments.text(lang),
        Stage::Files | Stage::Extract => Msg::UnitFiles.text(lang),
        Stage::Verify | Stage::Export => Msg::UnitItems.text(lang),
        Stage::Maintenance => Msg::UnitCollections.text(lang),
    }
}

/// The outcome of a finished job in words, and whether it is good news.
pub fn result_text(lang: Lang, result: &JobResult) -> (String, bool) {
    match result {
        JobResult::Backup { id, notes } => {
            let mut text = Msg::JobBackupDone.fill(lang, &[id]);
            if !notes.is_empty() {
                text.push_str(&format!(" ({})", notes.join("; ")));
            }
            (text, true)
        }
        JobResult::Verify { findings, .. } if findings.is_empty() => {
            (Msg::JobVerifyOk.text(lang).to_string(), true)
        }
        JobResult::Verify { findings, .. } => {
            let first = &findings[0];
            (
                Msg::JobVerifyFailed.fill(
                    lang,
                    &[&findings.len().to_string(), &first.subject, &first.message],
                ),
                false,
            )
        }
        JobResult::Restore {
            safety_backup,
            collections,
            documents,
            files_written,
            files_overwritten,
        } => {
            let mut text = Msg::JobRestoreDone.fill(
                lang,
                &[
                    &collections.to_string(),
                    &documents.to_string(),
                    &files_written.to_string(),
                    &files_overwritten.to_string(),
                ],
            );
            if let Some(safety) = safety_backup {
                text.push_str(&Msg::JobSafetyBackup.fill(lang, &[safety]));
            }
            (text, true)
        }
        JobResult::Export { path, bytes } => (
            Msg::JobExportDone.fill(lang, &[&path.display().to_string(), &human_bytes(*bytes)]),
            true,
        ),
        JobResult::Prune {
            removed,
            bytes_freed,
        } => (
            Msg::JobPruneDone.fill(
                lang,
                &[&removed.len().to_string(), &human_bytes(*bytes_freed)],
            ),
            true,
        ),
        JobResult::Db(outcome) => db_outcome_text(lang, outcome),
        JobResult::ServiceRestarted => (Msg::JobRestarted.text(lang).to_string(), true),
    }
}

/// "validate tools (full)", "compact tools", "killOp 123" ….
fn db_task_title(lang: Lang, task: &DbTask) -> String {
    match task {
        DbTask::Validate { collection, full } => {
            let what = collection
                .clone()
                .unwrap_or_else(|| Msg::DbAllCollections.text(lang).to_string());
            let mut title = Msg::JobValidate.fill(lang, &[&what]);
            if *full {
                title.push_str(&format!(" ({})", Msg::DbFull.text(lang)));
            }
            title
        }
        DbTask::Compact { collection } => Msg::JobCompact.fill(lang, &[collection]),
        DbTask::Reindex { collection } => Msg::JobReindex.fill(lang, &[collection]),
        DbTask::CreateMissingIndexes => Msg::JobCreateIndexes.text(lang).to_string(),
        DbTask::KillOperation { opid } => Msg::JobKillOp.fill(lang, &[&opid.to_string()]),
        DbTask::HealthFix { check } => Msg::JobHealthFix.fill(lang, &[check]),
    }
}

/// The outcome of a maintenance task in words, and whether it is good news.
fn db_outcome_text(lang: Lang, outcome: &DbOutcome) -> (String, bool) {
    match outcome {
        DbOutcome::Validated {
            reports,
            unavailable,
        } => {
            let invalid: Vec<_> = reports.iter().filter(|r| !r.valid).collect();
            let mut text = match invalid.first() {
                None => {
                    let records: u64 = reports.iter().filter_map(|r| r.records).sum();
                    Msg::JobValidateOk
                        .fill(lang, &[&reports.len().to_string(), &records.to_string()])
                }
                Some(first) => Msg::JobValidateInvalid.fill(
                    lang,
                    &[
                        &invalid.len().to_string(),
                        &first.collection,
                        first.errors.first().map_or("", String::as_str),
                    ],
                ),
            };
            let warnings: usize = reports.iter().map(|r| r.warnings.len()).sum();
            if warnings > 0 {
                text.push_str(&Msg::JobValidateWarnings.fill(lang, &[&warnings.to_string()]));
            }
            if let Some((name, reason)) = unavailable.first() {
                text.push_str(&format!(" · {name}: {reason}"));
                if unavailable.len() > 1 {
                    text.push_str(&format!(" (+{})", unavailable.len() - 1));
                }
            }
            (text, invalid.is_empty())
        }
        DbOutcome::Compacted(report) => (
            match report.bytes_freed {
                Some(bytes) => Msg::JobCompactDone.fill(lang, &[&human_bytes(bytes)]),
                None => Msg::JobDone.text(lang).to_string(),
            },
            true,
        ),
        DbOutcome::Reindexed(report) => (
            Msg::JobReindexDone.fill(
                lang,
                &[&report.indexes.map_or("?".into(), |n| n.to_string())],
            ),
            true,
        ),
        DbOutcome::IndexesCreated(names) if names.is_empty() => {
            (Msg::JobNoIndexesMissing.text(lang).to_string(), true)
        }
        DbOutcome::IndexesCreated(names) => (
            Msg::JobIndexesCreated.fill(lang, &[&names.len().to_string(), &names.join(", ")]),
            true,
        ),
        DbOutcome::Killed(report) => {
            let mut text = Msg::JobKillSent.text(lang).to_string();
            if let Some(info) = &report.info {
                text.push_str(&format!(" ({info})"));
            }
            (text, true)
        }
        DbOutcome::Fixed(fix) => (
            Msg::JobFixDone.fill(lang, &[&fix.modified.to_string()]),
            true,
        ),
    }
}
