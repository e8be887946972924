//! The pure part of the Database tab: new samples, navigation, and the maintenance keys
//! that open confirmations or start jobs. Side effects leave as [`Command`]s.

use chrono::{DateTime, Utc};

use super::action::{Command, MaintenanceAction};
use super::dialogs::{Confirmation, Dialog};
use super::job_actions::start_job;
use super::state::{HealthStatus, State};
use super::tabs::database::view::{DatabaseAction, DbPane};
use crate::i18n::Msg;
use crate::jobs::{DbTask, JobSpec};
use crate::mongo::health::CheckResult;
use crate::mongo::indexes::FindingKind;
use crate::mongo::maintenance::reindex_allowed;
use crate::mongo::sample::DatabaseSample;
use crate::mongo::stats::CollectionKind;

/// Rows of a Database tab list that fit on screen at `size` (half the body: the other half
/// shows the indexes or the details).
pub fn database_page(size: (u16, u16)) -> usize {
    usize::from(size.1.saturating_sub(12) / 2).max(1)
}

/// A new sample (or a failed one) arrived.
pub fn on_sample(state: &mut State, sample: Result<Box<DatabaseSample>, String>) -> Vec<Command> {
    if let Ok(sample) = &sample {
        let page = database_page(state.size);
        state.database_view.resample(sample, page);
    }
    state.database = Some(sample);
    state.dirty = true;
    Vec::new()
}

/// A navigation key of the Database tab.
pub fn on_navigation(state: &mut State, action: DatabaseAction) -> Vec<Command> {
    let page = database_page(state.size);
    let sample = state
        .database
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .map(|b| b.as_ref());
    if state
        .database_view
        .apply(action, sample, state.health.results(), page)
    {
        state.dirty = true;
    }
    Vec::new()
}

/// The data health checks finished.
pub fn on_health_checked(
    state: &mut State,
    results: Result<Vec<CheckResult>, String>,
    at: DateTime<Utc>,
) -> Vec<Command> {
    state.health = match results {
        Ok(results) => {
            let last = results.len().saturating_sub(1);
            state.database_view.check = state.database_view.check.min(last);
            HealthStatus::Done { results, at }
        }
        Err(message) => HealthStatus::Failed(message),
    };
    state.dirty = true;
    Vec::new()
}

/// A maintenance key of the Database tab.
pub fn on_maintenance(state: &mut State, action: MaintenanceAction) -> Vec<Command> {
    let lang = state.lang;
    state.dirty = true;
    if action == MaintenanceAction::RunHealthChecks {
        return run_health_checks(state);
    }
    if action == MaintenanceAction::FixCheck {
        return fix_check(state);
    }
    let Some(sample) = state.sample() else {
        return notice(state, Msg::DbNoSample.text(lang).to_string());
    };
    let collection = state
        .database_view
        .selected_collection(sample)
        .filter(|_| state.database_view.pane == DbPane::Collections)
        .filter(|c| c.kind != CollectionKind::View)
        .map(|c| c.name.clone());
    match action {
        MaintenanceAction::Validate => match collection {
            Some(collection) => start_job(
                state,
                JobSpec::Db(DbTask::Validate {
                    collection: Some(collection),
                    full: false,
                }),
            ),
            None => notice(state, Msg::DbSelectCollection.text(lang).to_string()),
        },
        MaintenanceAction::ValidateAll => confirm(
            state,
            Confirmation {
                title: Msg::DbValidateAllTitle.text(lang).to_string(),
                lines: vec![Msg::DbValidateAllText.text(lang).to_string()],
                warning: Some(Msg::DbValidateWarning.text(lang).to_string()),
                statements: Vec::new(),
                spec: JobSpec::Db(DbTask::Validate {
                    collection: None,
                    full: true,
                }),
            },
        ),
        MaintenanceAction::Compact => match collection {
            Some(collection) => confirm(
                state,
                Confirmation {
                    title: Msg::DbCompactTitle.fill(lang, &[&collection]),
                    lines: vec![Msg::DbCompactText.text(lang).to_string()],
                    warning: Some(Msg::DbCompactWarning.text(lang).to_string()),
                    statements: vec![format!("db.runCommand({{ compact: \"{collection}\" }})")],
                    spec: JobSpec::Db(DbTask::Compact { collection }),
                },
            ),
            None => notice(state, Msg::DbSelectCollection.text(lang).to_string()),
        },
        MaintenanceAction::Reindex => {
            let standalone = sample.server.topology.value().is_some_and(reindex_allowed);
            match collection {
                _ if !standalone => notice(state, Msg::DbReindexStandaloneOnly.text(lang).into()),
                Some(collection) => confirm(
                    state,
                    Confirmation {
                        title: Msg::DbReindexTitle.fill(lang, &[&collection]),
                        lines: vec![Msg::DbReindexText.text(lang).to_string()],
                        warning: Some(Msg::DbReindexWarning.text(lang).to_string()),
                        statements: vec![format!("db.{collection}.reIndex()")],
                        spec: JobSpec::Db(DbTask::Reindex { collection }),
                    },
                ),
                None => notice(state, Msg::DbSelectCollection.text(lang).to_string()),
            }
        }
        MaintenanceAction::CreateIndexes => {
            let statements: Vec<String> = sample
                .findings
                .iter()
                .filter(|f| f.kind == FindingKind::MissingExpected)
                .filter_map(|f| f.fix.clone())
                .collect();
            if statements.is_empty() {
                return notice(state, Msg::JobNoIndexesMissing.text(lang).to_string());
            }
            confirm(
                state,
                Confirmation {
                    title: Msg::DbCreateIndexesTitle.fill(lang, &[&statements.len().to_string()]),
                    lines: vec![Msg::DbCreateIndexesText.text(lang).to_string()],
                    warning: None,
                    statements,
                    spec: JobSpec::Db(DbTask::CreateMissingIndexes),
                },
            )
        }
        MaintenanceAction::KillOperation => {
            let operation = state
                .database_view
                .selected_operation(sample)
                .filter(|_| state.database_view.pane == DbPane::Operations)
                .cloned();
            let Some(op) = operation else {
                return notice(state, Msg::DbSelectOperation.text(lang).to_string());
            };
            let age = op.secs_running.map_or("?".into(), |s| format!("{s} s"));
            let client = op.client.clone().unwrap_or_default();
            confirm(
                state,
                Confirmation {
                    title: Msg::DbKillTitle.fill(lang, &[&op.opid.to_string()]),
                    lines: vec![
                        Msg::DbKillText.fill(lang, &[&op.op, &op.namespace, &age, &client]),
                        op.summary.clone(),
                    ],
                    warning: Some(Msg::DbKillWarning.text(lang).to_string()),
                    statements: vec![format!("db.killOp({})", op.opid)],
                    spec: JobSpec::Db(DbTask::KillOperation { opid: op.opid }),
                },
            )
        }
        MaintenanceAction::RunHealthChecks | MaintenanceAction::FixCheck => Vec::new(),
    }
}

fn run_health_checks(state: &mut State) -> Vec<Command> {
    state.database_view.pane = DbPane::Health;
    if state.health == HealthStatus::Running {
        return Vec::new();
    }
    state.health = HealthStatus::Running;
    vec![Command::RunHealthChecks]
}

fn fix_check(state: &mut State) -> Vec<Command> {
    let lang = state.lang;
    if state.database_view.pane != DbPane::Health {
        return notice(state, Msg::DbSelectCheck.text(lang).to_string());
    }
    let Some(check) = state
        .health
        .results()
        .get(state.database_view.check)
        .cloned()
    else {
        return notice(state, Msg::DbSelectCheck.text(lang).to_string());
    };
    match check.fix {
        Some(fix) => confirm(
            state,
            Confirmation {
                title: Msg::DbFixTitle.fill(lang, &[check.id]),
                lines: vec![check.title.clone(), fix.description.clone()],
                warning: Some(Msg::DbFixWarning.text(lang).to_string()),
                statements: fix.mongosh.lines().map(str::to_string).collect(),
                spec: JobSpec::Db(DbTask::HealthFix {
                    check: check.id.to_string(),
                }),
            },
        ),
        None => {
            let why = check
                .no_fix
                .unwrap_or_else(|| Msg::DbNothingToFix.text(lang).to_string());
            notice(state, why)
        }
    }
}

fn confirm(state: &mut State, confirmation: Confirmation) -> Vec<Command> {
    state.dialog = Some(Dialog::Confirm(Box::new(confirmation)));
    Vec::new()
}

fn notice(state: &mut State, text: String) -> Vec<Command> {
    state.database_notice = Some(text);
    Vec::new()
}
