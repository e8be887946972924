//! Runs checklist items: one item (automatic or a site command, bounded in time), a whole
//! checklist's automatic items, and a manual item's confirmation; every result is recorded
//! in the checklists' state and in the maintenance log.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use color_eyre::eyre::Result;

use super::catalog::{all_items, items_of};
use super::model::{Cadence, ItemDef, ItemKind, ItemResult, Severity};
use super::settings::ChecklistSettings;
use super::state::{ChecklistsState, DiskSample, update_state};
use crate::config::Config;
use crate::i18n::Lang;
use crate::maintenance_log::actor;

/// Longest time one automatic item may take (the restore test has its own, longer bound).
pub const ITEM_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest time the weekly restore test may take.
pub const RESTORE_TEST_TIMEOUT: Duration = Duration::from_secs(900);

/// What an item run needs: the install, where scandyctl keeps its state, the settings.
#[derive(Debug, Clone)]
pub struct CheckContext {
    /// The effective configuration.
    pub config: Config,
    /// The config file it came from (alerts, notify and recovery settings are read there).
    pub config_file: Option<PathBuf>,
    /// scandyctl's state directory.
    pub state_dir: PathBuf,
    /// The `[checklists]` section.
    pub settings: ChecklistSettings,
    /// The language of reports the items write.
    pub lang: Lang,
}

impl CheckContext {
    /// The context for `config` (from `config_file`), reading `[checklists]` there.
    pub fn load(
        config: Config,
        config_file: Option<PathBuf>,
        state_dir: PathBuf,
        lang: Lang,
    ) -> Result<CheckContext> {
        let settings = super::settings::load_checklists(config_file.as_deref())?;
        Ok(CheckContext {
            config,
            config_file,
            state_dir,
            settings,
            lang,
        })
    }

    /// Every item, scandyctl's and the site's.
    pub fn items(&self) -> Vec<ItemDef> {
        all_items(&self.settings)
    }
}

/// What an item learned that the state keeps for the next run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateNotes {
    /// Error kinds the log review reported (known from now on).
    pub error_kinds: Vec<String>,
    /// Disk measurements (mount point, sample).
    pub disk: Vec<(String, DiskSample)>,
}

/// One item's result and what the state keeps from it.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRun {
    /// The result.
    pub result: ItemResult,
    /// What the state keeps.
    pub notes: StateNotes,
}

impl From<ItemResult> for ItemRun {
    fn from(result: ItemResult) -> ItemRun {
        ItemRun {
            result,
            notes: StateNotes::default(),
        }
    }
}

/// Runs one automatic or command item against the state `prior` (not recorded).
pub async fn run_item(ctx: &CheckContext, def: &ItemDef, prior: &ChecklistsState) -> ItemRun {
    let started = Instant::now();
    let bound = if def.id == super::weekly::RESTORE_TEST_ID {
        RESTORE_TEST_TIMEOUT
    } else {
        ITEM_TIMEOUT
    };
    let work = async {
        match &def.kind {
            ItemKind::Manual => Some(ItemRun::from(ItemResult::new(
                &def.id,
                Severity::Unknown,
                "a manual item: confirm it once done",
            ))),
            ItemKind::Command {
                command,
                timeout_secs,
            } => Some(ItemRun::from(
                super::custom::run_command(&def.id, command, Duration::from_secs(*timeout_secs))
                    .await,
            )),
            ItemKind::Automatic if def.id == super::report_item::REPORT_ID => Some(ItemRun::from(
                super::report_item::run_report_item(ctx).await,
            )),
            ItemKind::Automatic => match def.cadence {
                Cadence::Daily => super::daily::run_daily(ctx, prior, &def.id).await,
                Cadence::Weekly => super::weekly::run_weekly(ctx, prior, &def.id).await,
                Cadence::Monthly => super::monthly::run_monthly(ctx, prior, &def.id).await,
            },
        }
    };
    let mut run = match tokio::time::timeout(bound, work).await {
        Ok(Some(run)) => run,
        Ok(None) => ItemRun::from(ItemResult::new(
            &def.id,
            Severity::Unknown,
            format!("no check is known under the id {}", def.id),
        )),
        Err(_) => ItemRun::from(ItemResult::new(
            &def.id,
            Severity::Unknown,
            format!("the check did not finish within {} s", bound.as_secs()),
        )),
    };
    run.result.id = def.id.clone();
    run.result.at = Utc::now();
    run.result.millis = started.elapsed().as_millis() as u64;
    run.result.by = Some(actor());
    run
}

/// Records `run` for `def` in the state and the maintenance log; returns whether it
/// completed its checklist.
pub fn record_run(ctx: &CheckContext, def: &ItemDef, run: ItemRun) -> Result<bool> {
    let items = ctx.items();
    let entry_result = run.result.clone();
    let now = Utc::now();
    let (_, completed) = update_state(&ctx.state_dir, |state| {
        state.known_error_kinds.extend(run.notes.error_kinds);
        for (mount, sample) in run.notes.disk {
            state.add_disk_sample(&mount, sample);
        }
        state.record(def.cadence, &items, run.result, now)
    })?;
    log_item(ctx, def, &entry_result, completed);
    Ok(completed)
}

/// Confirms a manual item (with the admin's optional comment) and records it.
pub fn confirm_manual(ctx: &CheckContext, def: &ItemDef, comment: Option<String>) -> Result<bool> {
    let mut result = ItemResult::new(&def.id, Severity::Ok, "done (confirmed)");
    result.by = Some(actor());
    result.comment = comment.filter(|c| !c.trim().is_empty());
    record_run(ctx, def, ItemRun::from(result))
}

/// Runs every automatic item of `cadence` one after the other and records each; returns
/// the results in checklist order.
pub async fn run_checklist(
    ctx: &CheckContext,
    cadence: Cadence,
) -> Result<Vec<(ItemDef, ItemResult)>> {
    // The next log review starts where this run began: nothing written meanwhile is missed.
    let started = Utc::now();
    let items = items_of(&ctx.items(), cadence);
    let prior = super::state::load_state(&ctx.state_dir)?;
    let mut out = Vec::new();
    for def in items.into_iter().filter(|d| d.is_automatic()) {
        let run = run_item(ctx, &def, &prior).await;
        let result = run.result.clone();
        record_run(ctx, &def, run)?;
        out.push((def, result));
    }
    update_state(&ctx.state_dir, |state| {
        state.last_checked.insert(cadence, started);
    })?;
    Ok(out)
}

/// Appends the item's result (and the checklist's completion) to the maintenance log;
/// a log that cannot be written is reported on stderr, never fatal to the check.
fn log_item(ctx: &CheckContext, def: &ItemDef, result: &ItemResult, completed: bool) {
    let mut lines = vec![result.summary.clone()];
    lines.extend(result.evidence.iter().take(20).cloned());
    if let Some(comment) = &result.comment {
        lines.push(format!("comment: {comment}"));
    }
    let title = format!(
        "{} checklist: {} {} — {}",
        def.cadence.as_str(),
        def.id,
        result.severity.as_str(),
        def.title.en
    );
    let entry =
        crate::maintenance_log::MaintenanceEntry::now("checklist", &title, &lines.join("\n"));
    if let Err(err) = crate::maintenance_log::append_entry(&ctx.state_dir, &entry) {
        eprintln!(
            "scandyctl: {}",
            crate::sanitize::escape_controls(&format!("{err:#}"))
        );
    }
    if completed {
        let title = format!("{} checklist completed", def.cadence.as_str());
        let entry = crate::maintenance_log::MaintenanceEntry::now("checklist", &title, "");
        let _ = crate::maintenance_log::append_entry(&ctx.state_dir, &entry);
    }
}
