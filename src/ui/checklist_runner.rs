//! Carries out the Checklists tab's commands on the engine in tokio tasks: items run one
//! after the other (each in its own task, bounded by the engine's timeouts), results are
//! recorded on a blocking thread, and everything comes back as a [`ChecklistsEvent`]. A
//! slow refresh re-reads the state directory for the tab and the Overview.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use super::action::Action;
use super::tabs::checklists::view::{
    ChecklistsCommand, ChecklistsEvent, ChecklistsSnapshot, ReportFile,
};
use crate::checks::logrotate::{logrotate_rule, write_logrotate_rule};
use crate::checks::run::{CheckContext, confirm_manual, record_run, run_item};
use crate::checks::state::{load_state, update_state};
use crate::checks::{ItemDef, ItemResult, Severity};
use crate::maintenance_log::{MaintenanceEntry, append_entry, read_entries};

/// How often the state directory is read again (the Overview's rows, a `scandyctl check`
/// run by a timer).
pub const CHECKLISTS_REFRESH: Duration = Duration::from_secs(15);
/// Longest time listing the collections for a compact may take.
pub const LIST_TIMEOUT: Duration = Duration::from_secs(20);
/// Report files larger than this are shown cut.
pub const REPORT_MAX_BYTES: u64 = 1024 * 1024;

/// Runs the Checklists tab's work for one console.
pub struct ChecklistRunner {
    context: Arc<CheckContext>,
    tx: UnboundedSender<Action>,
}

fn send(tx: &UnboundedSender<Action>, event: ChecklistsEvent) {
    let _ = tx.send(Action::Checklists(event));
}

impl ChecklistRunner {
    /// A runner for `context`; reports go to `tx`.
    pub fn new(context: CheckContext, tx: UnboundedSender<Action>) -> ChecklistRunner {
        ChecklistRunner {
            context: Arc::new(context),
            tx,
        }
    }

    /// Every item the tab shows.
    pub fn items(&self) -> Vec<ItemDef> {
        self.context.items()
    }

    /// Starts the work of `command`.
    pub fn run(&self, command: ChecklistsCommand) {
        let ctx = self.context.clone();
        let tx = self.tx.clone();
        match command {
            ChecklistsCommand::Load => {
                tokio::spawn(async move {
                    let snapshot = snapshot_in_background(ctx).await;
                    send(&tx, ChecklistsEvent::Loaded(snapshot.map(Box::new)));
                });
            }
            ChecklistsCommand::Run { cadence, ids } => {
                tokio::spawn(run_items(ctx, tx, cadence, ids));
            }
            ChecklistsCommand::Confirm { id, comment } => {
                tokio::spawn(async move {
                    let Some(def) = ctx.items().into_iter().find(|d| d.id == id) else {
                        send(&tx, not_an_item(&id));
                        return;
                    };
                    let (worker, cadence) = (ctx.clone(), def.cadence);
                    let confirmed = tokio::task::spawn_blocking(move || {
                        confirm_manual(&worker, &def, comment).map_err(|e| format!("{e:#}"))
                    })
                    .await
                    .unwrap_or_else(|e| Err(format!("the confirmation stopped: {e}")));
                    let snapshot = snapshot_in_background(ctx).await.ok();
                    let outcome = confirmed.map(|completed| {
                        let result = snapshot
                            .as_ref()
                            .and_then(|s| s.state.rounds.get(&cadence))
                            .and_then(|round| round.results.get(&id).cloned())
                            .unwrap_or_else(|| ItemResult::new(&id, Severity::Ok, "done"));
                        (Box::new(result), completed)
                    });
                    send(
                        &tx,
                        ChecklistsEvent::ItemDone {
                            id,
                            outcome,
                            snapshot: snapshot.map(Box::new),
                        },
                    );
                });
            }
            ChecklistsCommand::ReadReport(path) => {
                tokio::task::spawn_blocking(move || {
                    let text = read_report(&path);
                    send(&tx, ChecklistsEvent::ReportRead { path, text });
                });
            }
            ChecklistsCommand::ListCollections => {
                tokio::spawn(async move {
                    let listed = list_collections(&ctx).await;
                    send(&tx, ChecklistsEvent::Collections(listed));
                });
            }
            ChecklistsCommand::WriteLogrotate => {
                tokio::task::spawn_blocking(move || {
                    send(&tx, ChecklistsEvent::FileWritten(write_logrotate(&ctx)));
                });
            }
        }
    }

    /// Reads the state directory every [`CHECKLISTS_REFRESH`] until the console ends.
    pub fn refresh_loop(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let ctx = self.context.clone();
        let tx = self.tx.clone();
        async move {
            loop {
                tokio::time::sleep(CHECKLISTS_REFRESH).await;
                let snapshot = snapshot_in_background(ctx.clone()).await;
                if tx
                    .send(Action::Checklists(ChecklistsEvent::Loaded(
                        snapshot.map(Box::new),
                    )))
                    .is_err()
                {
                    return;
                }
            }
        }
    }
}

fn not_an_item(id: &str) -> ChecklistsEvent {
    ChecklistsEvent::ItemDone {
        id: id.to_string(),
        outcome: Err(format!("no checklist item is known under the id {id}")),
        snapshot: None,
    }
}

/// Runs `ids` of `cadence` one after the other, recording each; a run of every automatic
/// item also records when the checklist was last checked (the log review starts there).
async fn run_items(
    ctx: Arc<CheckContext>,
    tx: UnboundedSender<Action>,
    cadence: crate::checks::Cadence,
    ids: Vec<String>,
) {
    // The next log review starts where this run began: nothing written meanwhile is missed.
    let started = Utc::now();
    let dir = ctx.state_dir.clone();
    let prior = match tokio::task::spawn_blocking(move || load_state(&dir)).await {
        Ok(Ok(state)) => Arc::new(state),
        failed => {
            let why = match failed {
                Ok(Err(e)) => format!("{e:#}"),
                Err(e) => format!("reading the state stopped: {e}"),
                Ok(Ok(_)) => unreachable!("handled above"),
            };
            for id in ids {
                send(
                    &tx,
                    ChecklistsEvent::ItemDone {
                        id,
                        outcome: Err(why.clone()),
                        snapshot: None,
                    },
                );
            }
            return;
        }
    };
    let items = ctx.items();
    let every_automatic: Vec<&str> = items
        .iter()
        .filter(|d| d.cadence == cadence && d.is_automatic())
        .map(|d| d.id.as_str())
        .collect();
    let whole_checklist = every_automatic == ids.iter().map(String::as_str).collect::<Vec<_>>();
    for id in &ids {
        let Some(def) = items.iter().find(|d| &d.id == id).cloned() else {
            send(&tx, not_an_item(id));
            continue;
        };
        send(&tx, ChecklistsEvent::ItemStarted(id.clone()));
        let (worker, worker_def, worker_prior) = (ctx.clone(), def.clone(), prior.clone());
        let ran =
            tokio::spawn(async move { run_item(&worker, &worker_def, &worker_prior).await }).await;
        let run = match ran {
            Ok(run) => run,
            Err(e) => {
                ItemResult::new(id, Severity::Unknown, format!("the check stopped: {e}")).into()
            }
        };
        let result = run.result.clone();
        let worker = ctx.clone();
        let recorded = tokio::task::spawn_blocking(move || {
            record_run(&worker, &def, run).map_err(|e| format!("{e:#}"))
        })
        .await
        .unwrap_or_else(|e| Err(format!("recording stopped: {e}")));
        let snapshot = snapshot_in_background(ctx.clone()).await.ok().map(Box::new);
        send(
            &tx,
            ChecklistsEvent::ItemDone {
                id: id.clone(),
                outcome: recorded.map(|completed| (Box::new(result), completed)),
                snapshot,
            },
        );
    }
    if whole_checklist && !ids.is_empty() {
        let dir = ctx.state_dir.clone();
        let _ = tokio::task::spawn_blocking(move || {
            update_state(&dir, |state| {
                state.last_checked.insert(cadence, started);
            })
        })
        .await;
    }
}

/// [`read_snapshot`] on a blocking thread.
async fn snapshot_in_background(ctx: Arc<CheckContext>) -> Result<ChecklistsSnapshot, String> {
    tokio::task::spawn_blocking(move || read_snapshot(&ctx))
        .await
        .unwrap_or_else(|e| Err(format!("reading the checklists stopped: {e}")))
}

/// Reads `checklists.json`, the maintenance log and the report list of `ctx` (blocking).
pub fn read_snapshot(ctx: &CheckContext) -> Result<ChecklistsSnapshot, String> {
    let state = load_state(&ctx.state_dir).map_err(|e| format!("{e:#}"))?;
    let report_dir = report_dir(ctx);
    Ok(ChecklistsSnapshot {
        state,
        entries: read_entries(&ctx.state_dir),
        reports: list_reports(&report_dir),
        report_dir,
        at: Utc::now(),
    })
}

/// Where the monthly reports are: `[checklists] report_dir`, else `reports/` in the state
/// directory.
pub fn report_dir(ctx: &CheckContext) -> PathBuf {
    ctx.settings
        .report_dir
        .clone()
        .unwrap_or_else(|| ctx.state_dir.join("reports"))
}

/// The `.md` files in `dir`, newest first (by modification time, then by name).
pub fn list_reports(dir: &Path) -> Vec<ReportFile> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut reports: Vec<ReportFile> = read
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md") && p.is_file())
        .map(|path| ReportFile {
            modified: std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .map(DateTime::<Utc>::from),
            path,
        })
        .collect();
    reports.sort_by(|a, b| {
        b.modified
            .cmp(&a.modified)
            .then_with(|| b.path.cmp(&a.path))
    });
    reports
}

/// The text of a report file, at most [`REPORT_MAX_BYTES`] of it.
pub fn read_report(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| {
        format!(
            "cannot open {}: {}",
            path.display(),
            crate::config::os_reason(&e)
        )
    })?;
    let mut bytes = Vec::new();
    file.take(REPORT_MAX_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            format!(
                "cannot read {}: {}",
                path.display(),
                crate::config::os_reason(&e)
            )
        })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The regular collections of the install's database, sorted (views, `system.*` and
/// restore staging collections left out).
async fn list_collections(ctx: &CheckContext) -> Result<Vec<String>, String> {
    let database = ctx.config.mongo.database.clone();
    let listed = tokio::time::timeout(LIST_TIMEOUT, async {
        let client = crate::mongo::checked::connect_db(&ctx.config).await?;
        let names = client
            .database(&database)
            .list_collection_names()
            .filter(mongodb::bson::doc! { "type": "collection" })
            .await
            .map_err(color_eyre::eyre::Report::from)?;
        Ok::<_, color_eyre::eyre::Report>(names)
    })
    .await;
    let mut names = match listed {
        Ok(Ok(names)) => names,
        Ok(Err(e)) => {
            return Err(super::watchers::redact_secrets(
                &ctx.config.mongo.uri,
                format!("cannot list the collections of {database}: {e:#}"),
            ));
        }
        Err(_) => {
            return Err(format!(
                "listing the collections of {database} took longer than {} s",
                LIST_TIMEOUT.as_secs()
            ));
        }
    };
    names
        .retain(|n| !n.starts_with("system.") && !crate::backup::restore::is_staging_collection(n));
    names.sort();
    Ok(names)
}

/// Writes the logrotate rule (never over an existing file) and notes it in the
/// maintenance log.
fn write_logrotate(ctx: &CheckContext) -> Result<PathBuf, String> {
    let path = write_logrotate_rule(&ctx.config, &ctx.settings).map_err(|e| format!("{e:#}"))?;
    let entry = MaintenanceEntry::now(
        "logrotate",
        &format!("logrotate rule written to {}", path.display()),
        &logrotate_rule(&ctx.config),
    );
    if let Err(e) = append_entry(&ctx.state_dir, &entry) {
        return Err(format!(
            "{} was written, but the maintenance log was not: {e:#}",
            path.display()
        ));
    }
    Ok(path)
}
