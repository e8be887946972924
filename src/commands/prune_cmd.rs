//! `scandyctl prune`: plan by the retention policy, confirm, remove.

use std::path::Path;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, bail};

use super::UsageError;
use super::backup_cmd::load_config;
use crate::backup::inventory::human_age;
use crate::backup::retention::{PrunePlan, RetentionPolicy, apply_prune, plan_prune_dir};
use crate::cli::{GlobalArgs, PruneArgs};
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;

/// The configured policy with the `--keep-*` flags applied.
pub fn effective_policy(configured: &RetentionPolicy, args: &PruneArgs) -> Result<RetentionPolicy> {
    let policy = RetentionPolicy {
        keep_daily: args.keep_daily.unwrap_or(configured.keep_daily),
        keep_weekly: args.keep_weekly.unwrap_or(configured.keep_weekly),
        keep_monthly: args.keep_monthly.unwrap_or(configured.keep_monthly),
        keep_pre_restore_days: args
            .keep_pre_restore_days
            .unwrap_or(configured.keep_pre_restore_days),
    };
    if policy.keeps_no_slots() {
        bail!(UsageError(
            "--keep-daily, --keep-weekly and --keep-monthly would all be 0: prune would delete \
             every backup but the newest; keep at least one daily, weekly or monthly set"
                .into()
        ));
    }
    Ok(policy)
}

/// Plans, confirms and carries out a prune of the backup directory.
pub fn run(global: &GlobalArgs, args: &PruneArgs) -> Result<i32> {
    let config = load_config(global)?;
    let policy = effective_policy(&config.backup.retention, args)?;
    let dir = config.resolve(&config.backup.dir);
    let now = Utc::now();
    let plan = plan_prune_dir(&dir, &policy, now)?;
    if args.json && args.dry_run {
        println!("{}", crate::sanitize::to_json_pretty(&plan)?);
        return Ok(crate::exit::OK);
    }
    if !args.json {
        print_plan(&dir, &policy, &plan, now, args.dry_run);
        let legacy = super::legacy_cmd::legacy_inventory(&config);
        for backup in &legacy.backups {
            println!(
                "legacy {:<34} {}: not managed (scandyctl never removes it)",
                backup.id,
                escape_controls(&super::legacy_cmd::display_name(backup))
            );
        }
    }
    if args.dry_run {
        return Ok(crate::exit::OK);
    }
    // With nothing to remove only leftovers of an interrupted prune go: no question needed.
    if !args.yes && !plan.remove.is_empty() {
        confirm(plan.remove.len(), args.json)?;
    }
    let outcome = apply_prune(&dir, &plan);
    let entry = crate::maintenance_log::MaintenanceEntry::now(
        "prune",
        &format!("prune of {} backup set(s)", plan.remove.len()),
        "",
    )
    .param(
        "policy",
        format!(
            "daily={} weekly={} monthly={} pre_restore_days={}",
            policy.keep_daily,
            policy.keep_weekly,
            policy.keep_monthly,
            policy.keep_pre_restore_days
        ),
    );
    super::log_cmd::record_cli(entry, &outcome, |o| {
        let mut evidence = vec![format!(
            "removed {} set(s), freed {}",
            o.removed.len(),
            human_bytes(o.bytes_freed)
        )];
        evidence.extend(o.removed.iter().map(|id| format!("removed {id}")));
        evidence
    });
    let outcome = outcome?;
    for note in &outcome.notes {
        eprintln!("note: {}", escape_controls(note));
    }
    if args.json {
        println!("{}", crate::sanitize::to_json_pretty(&outcome)?);
    } else if !plan.remove.is_empty() {
        println!(
            "removed {} backup set(s), freed {}",
            outcome.removed.len(),
            human_bytes(outcome.bytes_freed)
        );
    }
    Ok(crate::exit::OK)
}

fn print_plan(
    dir: &Path,
    policy: &RetentionPolicy,
    plan: &PrunePlan,
    now: DateTime<Utc>,
    dry_run: bool,
) {
    println!(
        "backup directory {}",
        escape_controls(&dir.display().to_string())
    );
    println!(
        "retention: {} daily, {} weekly, {} monthly (UTC); pre-restore sets {} days",
        policy.keep_daily, policy.keep_weekly, policy.keep_monthly, policy.keep_pre_restore_days
    );
    if plan.keep.is_empty() && plan.remove.is_empty() {
        println!("no backup sets");
        return;
    }
    for kept in &plan.keep {
        println!(
            "keep   {:<38} {}",
            escape_controls(&kept.id),
            escape_controls(&kept.reasons.join(", "))
        );
    }
    for removal in &plan.remove {
        println!(
            "remove {:<38} {:>10} old {:>10}",
            escape_controls(&removal.id),
            human_age(now - removal.created_at),
            human_bytes(removal.size)
        );
    }
    let verb = if dry_run {
        "would remove"
    } else {
        "will remove"
    };
    if plan.remove.is_empty() {
        println!("nothing to remove");
    } else {
        println!(
            "{verb} {} backup set(s), freeing {}",
            plan.remove.len(),
            human_bytes(plan.bytes_freed)
        );
    }
}

fn confirm(count: usize, json: bool) -> Result<()> {
    // With --json stdout holds only the JSON outcome.
    let prompt = format!("Type yes to delete {count} backup set(s): ");
    super::confirm_yes("prune", &prompt, json, "deleted")
}
