//! Backup retention: which sets `scandyctl prune` keeps and which it removes.
//!
//! The policy is grandfather-father-son, like restic's `forget --keep-daily/--keep-weekly/
//! --keep-monthly`. Walking the **full** sets newest first, the newest set of each of the
//! last `keep_daily` distinct days that have a backup is kept, the newest of each of the last
//! `keep_weekly` distinct ISO weeks, and the newest of each of the last `keep_monthly` distinct
//! months; one set can fill several slots. Days, weeks and months are **UTC** calendar units
//! of `created_at` (set ids are UTC too), so a plan does not depend on the machine's time
//! zone.
//!
//! Safety rules that keep a set whatever the slots say:
//! - the newest set of any kind (`newest`);
//! - the newest full or incremental set whose last verification did not fail (`newest good`,
//!   the set a recovery would start from, as the console's Backups tab defines it);
//! - the newest pre-restore set, and every pre-restore set younger than
//!   `keep_pre_restore_days` days (pre-restore sets never fill daily/weekly/monthly slots);
//! - the parent of every kept set (incrementals), transitively. When a kept incremental's
//!   parent is not known (see [`plan_prune`]) every older set back to and including the
//!   nearest older full set is kept instead.
//!
//! A set whose last verification **failed** never fills a slot, so the slot goes to the
//! newest good set of that day, week or month instead. The failed set itself is still kept
//! while it would fill a slot if failures counted, and removed only once it falls outside
//! every slot: a verification failure alone never deletes anything earlier than plain
//! retention would.
//!
//! Incremental sets do not fill slots either: they are kept as the newest (good) set or as
//! the parent of a kept set. Oplog slices are kept while they are younger than the oldest
//! set kept for a daily slot (the point-in-time window reaches back that far).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use chrono::{DateTime, Datelike, Duration, Utc};
use color_eyre::eyre::{Result, WrapErr, bail};
use serde::{Deserialize, Serialize};

use super::id::DELETING_SUFFIX;
use super::inventory::{SetInfo, Verification, scan_inventory_detailed};
use super::lock;
use super::manifest::BackupKind;
use super::snapshot::SetDetail;

/// How many sets `prune` keeps; config keys `backup.keep_daily`, `backup.keep_weekly`,
/// `backup.keep_monthly` and `backup.keep_pre_restore_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetentionPolicy {
    /// Newest full set of each of the last N days that have one (UTC days).
    pub keep_daily: u32,
    /// Newest full set of each of the last N ISO weeks that have one (UTC).
    pub keep_weekly: u32,
    /// Newest full set of each of the last N months that have one (UTC).
    pub keep_monthly: u32,
    /// Pre-restore safety sets younger than this many days are kept.
    pub keep_pre_restore_days: u32,
}

impl RetentionPolicy {
    /// The largest value any of the four settings may take.
    pub const MAX: u32 = 10_000;

    /// True when no daily, weekly or monthly slot is kept: pruning would then delete every
    /// backup but the newest (configurations like that are refused).
    pub fn keeps_no_slots(&self) -> bool {
        self.keep_daily == 0 && self.keep_weekly == 0 && self.keep_monthly == 0
    }
}

impl Default for RetentionPolicy {
    /// 7 days, 4 weeks, 12 months, as Scandy's maintenance guide promises; pre-restore
    /// sets for 7 days.
    fn default() -> Self {
        RetentionPolicy {
            keep_daily: 7,
            keep_weekly: 4,
            keep_monthly: 12,
            keep_pre_restore_days: 7,
        }
    }
}

/// A set the plan keeps, with every rule that keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kept {
    /// Set id.
    pub id: String,
    /// Why, e.g. `newest`, `daily 2026-11-26`, `weekly 2026-W48`, `monthly 2026-11`.
    pub reasons: Vec<String>,
}

/// A set the plan removes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Removal {
    /// Set id.
    pub id: String,
    /// When it was taken.
    pub created_at: DateTime<Utc>,
    /// Bytes of its data members.
    pub size: u64,
    /// Kind of set.
    #[serde(rename = "type")]
    pub kind: BackupKind,
}

/// What `prune` would do: sets kept (with reasons) and removed, both newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrunePlan {
    /// Sets kept, newest first.
    pub keep: Vec<Kept>,
    /// Sets removed, newest first.
    pub remove: Vec<Removal>,
    /// Sum of the removed sets' sizes.
    pub bytes_freed: u64,
}

/// What [`apply_prune`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PruneOutcome {
    /// Ids of the sets removed, newest first.
    pub removed: Vec<String>,
    /// Sum of the removed sets' sizes.
    pub bytes_freed: u64,
    /// Remarks: a stale lock broken, leftovers of an interrupted prune removed, sets of the
    /// plan that were already gone.
    pub notes: Vec<String>,
}

/// Each set's manifest `parent`, by set id: `Some(None)` is a set known to have no parent;
/// an id missing from the map has an unknown parent.
pub type ParentMap = BTreeMap<String, Option<String>>;

/// The parents recorded in the manifests of an inventory scan.
pub fn parent_map(details: &BTreeMap<String, SetDetail>) -> ParentMap {
    details
        .iter()
        .map(|(id, detail)| (id.clone(), detail.manifest.parent.clone()))
        .collect()
}

fn failed(set: &SetInfo) -> bool {
    matches!(set.verification, Verification::Failed { .. })
}

/// The rule the console calls "newest good": a full or incremental set whose verification
/// did not fail.
fn good_backup(set: &SetInfo) -> bool {
    set.kind.is_data_backup() && !failed(set)
}

/// One grandfather-father-son rule: its name, how many buckets, and a set's bucket.
struct SlotRule {
    name: &'static str,
    count: u32,
    bucket: fn(DateTime<Utc>) -> String,
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

fn iso_week(at: DateTime<Utc>) -> String {
    let week = at.iso_week();
    format!("{:04}-W{:02}", week.year(), week.week())
}

fn month(at: DateTime<Utc>) -> String {
    at.format("%Y-%m").to_string()
}

fn slot_rules(policy: &RetentionPolicy) -> [SlotRule; 3] {
    [
        SlotRule {
            name: "daily",
            count: policy.keep_daily,
            bucket: day,
        },
        SlotRule {
            name: "weekly",
            count: policy.keep_weekly,
            bucket: iso_week,
        },
        SlotRule {
            name: "monthly",
            count: policy.keep_monthly,
            bucket: month,
        },
    ]
}

/// The newest candidate of each of the last `rule.count` distinct buckets, with the bucket.
/// `candidates` are indices into `order` (newest first), ascending.
fn fill_slots(order: &[&SetInfo], candidates: &[usize], rule: &SlotRule) -> Vec<(usize, String)> {
    let mut filled: Vec<(usize, String)> = Vec::new();
    for &i in candidates {
        if filled.len() >= rule.count as usize {
            break;
        }
        let bucket = (rule.bucket)(order[i].created_at);
        if filled.last().is_none_or(|(_, last)| *last != bucket) {
            filled.push((i, bucket));
        }
    }
    filled
}

/// Plans a prune of `sets` (an inventory, newest first) under `policy` at `now`, without
/// knowing the sets' parents: a kept incremental then keeps every older set back to the
/// nearest older full set. [`plan_prune_with_parents`] uses the manifests' parents instead.
pub fn plan_prune(sets: &[SetInfo], policy: &RetentionPolicy, now: DateTime<Utc>) -> PrunePlan {
    plan_prune_with_parents(sets, &ParentMap::new(), policy, now)
}

/// Plans a prune of `sets` under `policy` at `now`, keeping the parent (from `parents`) of
/// every kept set. Pure: reads nothing from disk.
pub fn plan_prune_with_parents(
    sets: &[SetInfo],
    parents: &ParentMap,
    policy: &RetentionPolicy,
    now: DateTime<Utc>,
) -> PrunePlan {
    let mut order: Vec<&SetInfo> = sets.iter().collect();
    order.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let mut reasons: Vec<Vec<String>> = vec![Vec::new(); order.len()];

    if !order.is_empty() {
        reasons[0].push("newest".into());
    }
    if let Some(i) = order.iter().position(|s| good_backup(s)) {
        reasons[i].push("newest good".into());
    }

    let full: Vec<usize> = (0..order.len())
        .filter(|&i| order[i].kind == BackupKind::Full)
        .collect();
    let good_full: Vec<usize> = full
        .iter()
        .copied()
        .filter(|&i| !failed(order[i]))
        .collect();
    for rule in slot_rules(policy) {
        for (i, bucket) in fill_slots(&order, &good_full, &rule) {
            reasons[i].push(format!("{} {bucket}", rule.name));
        }
        // Failed sets do not count, but stay while they would fill a slot if they did.
        for (i, bucket) in fill_slots(&order, &full, &rule) {
            if failed(order[i]) {
                reasons[i].push(format!(
                    "{} {bucket} (verification failed: not counted, kept while in the slot)",
                    rule.name
                ));
            }
        }
    }

    let pre_restore: Vec<usize> = (0..order.len())
        .filter(|&i| order[i].kind == BackupKind::PreRestore)
        .collect();
    if let Some(&i) = pre_restore.first() {
        reasons[i].push("newest pre-restore".into());
    }
    let young = Duration::days(i64::from(policy.keep_pre_restore_days));
    for &i in &pre_restore {
        if now - order[i].created_at < young {
            reasons[i].push(format!(
                "pre-restore younger than {} days",
                policy.keep_pre_restore_days
            ));
        }
    }

    keep_parents(&order, parents, &mut reasons);

    // Oplog slices serve point-in-time restore from the daily sets on: kept while younger
    // than the oldest set kept for a daily slot.
    let oldest_daily = order
        .iter()
        .zip(&reasons)
        .filter(|(_, r)| r.iter().any(|r| r.starts_with("daily ")))
        .map(|(s, _)| s.created_at)
        .min();
    for (set, reasons) in order.iter().zip(reasons.iter_mut()) {
        if set.kind == BackupKind::Oplog && oldest_daily.is_some_and(|t| set.created_at >= t) {
            reasons.push("oplog slice after the oldest daily set (point-in-time restore)".into());
        }
    }

    let mut plan = PrunePlan::default();
    for (set, reasons) in order.iter().zip(reasons) {
        if reasons.is_empty() {
            plan.bytes_freed += set.size;
            plan.remove.push(Removal {
                id: set.id.clone(),
                created_at: set.created_at,
                size: set.size,
                kind: set.kind,
            });
        } else {
            plan.keep.push(Kept {
                id: set.id.clone(),
                reasons,
            });
        }
    }
    plan
}

/// Adds `parent of ...` reasons until every kept set's parent chain is kept.
fn keep_parents(order: &[&SetInfo], parents: &ParentMap, reasons: &mut [Vec<String>]) {
    let index: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let mut work: Vec<usize> = (0..order.len())
        .filter(|&i| !reasons[i].is_empty())
        .collect();
    while let Some(i) = work.pop() {
        let set = order[i];
        match parents.get(&set.id) {
            Some(Some(parent)) => {
                if let Some(&j) = index.get(parent.as_str()) {
                    if reasons[j].is_empty() {
                        work.push(j);
                    }
                    reasons[j].push(format!("parent of {}", set.id));
                }
            }
            Some(None) => {}
            None if set.kind == BackupKind::Incremental => {
                for (j, older) in order.iter().enumerate().skip(i + 1) {
                    // Sets kept anyway get no extra reason: the list would only grow noisy.
                    if reasons[j].is_empty() {
                        reasons[j].push(format!(
                            "possible parent of {} (its parent is not known)",
                            set.id
                        ));
                        work.push(j);
                    }
                    if older.kind == BackupKind::Full {
                        break;
                    }
                }
            }
            None => {}
        }
    }
}

/// Scans `backup_dir` and plans a prune of it with the manifests' parents.
pub fn plan_prune_dir(
    backup_dir: &Path,
    policy: &RetentionPolicy,
    now: DateTime<Utc>,
) -> Result<PrunePlan> {
    let (inventory, details) = scan_inventory_detailed(backup_dir)?;
    Ok(plan_prune_with_parents(
        &inventory.sets,
        &parent_map(&details),
        policy,
        now,
    ))
}

/// Removes `*.deleting` directories an interrupted prune left in `backup_dir`; returns a
/// note per removal. A missing directory has nothing to remove.
pub fn remove_leftover_deletions(backup_dir: &Path) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    let entries = match std::fs::read_dir(backup_dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(notes),
        Err(err) => {
            return Err(err).wrap_err_with(|| {
                format!("cannot read backup directory {}", backup_dir.display())
            });
        }
    };
    let mut leftovers: Vec<_> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(DELETING_SUFFIX))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .collect();
    leftovers.sort_by_key(|e| e.file_name());
    for entry in leftovers {
        std::fs::remove_dir_all(entry.path())
            .wrap_err_with(|| format!("cannot remove leftover {}", entry.path().display()))?;
        notes.push(format!(
            "removed {}: what was left of a set an interrupted prune was removing",
            entry.file_name().to_string_lossy()
        ));
    }
    if !notes.is_empty() {
        sync_dir(backup_dir)?;
    }
    Ok(notes)
}

fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .wrap_err_with(|| format!("cannot fsync {}", dir.display()))
}

/// Why a set may not be removed now, whatever the plan said (the plan went stale).
fn still_protected(
    sets: &[SetInfo],
    parents: &ParentMap,
    removing: &BTreeSet<&str>,
) -> Option<(String, String)> {
    let mut protected: Vec<(&str, String)> = Vec::new();
    if let Some(set) = sets.first() {
        protected.push((&set.id, "is now the newest set".into()));
    }
    if let Some(set) = sets.iter().find(|s| good_backup(s)) {
        protected.push((
            &set.id,
            "is now the newest set whose verification did not fail".into(),
        ));
    }
    if let Some(set) = sets.iter().find(|s| s.kind == BackupKind::PreRestore) {
        protected.push((&set.id, "is now the newest pre-restore set".into()));
    }
    for set in sets.iter().filter(|s| !removing.contains(s.id.as_str())) {
        if let Some(Some(parent)) = parents.get(&set.id) {
            protected.push((parent, format!("is the parent of {}, which stays", set.id)));
        }
    }
    protected
        .into_iter()
        .find(|(id, _)| removing.contains(id))
        .map(|(id, why)| (id.to_string(), why))
}

/// Carries out `plan` in `backup_dir` under the backup directory lock ([`lock::BusyError`]
/// when another operation holds it).
///
/// Leftovers of an interrupted prune are removed first. The directory is then scanned again
/// and nothing is removed when a set of the plan is now the newest, the newest good or the
/// newest pre-restore set, or the parent of a set that stays (the plan went stale). Each set
/// is renamed to `<id>.deleting` (and the directory fsynced) before its content is removed,
/// so an interrupted prune never leaves a half-deleted set that looks complete; sets of the
/// plan that are already gone are skipped with a note.
pub fn apply_prune(backup_dir: &Path, plan: &PrunePlan) -> Result<PruneOutcome> {
    if plan.remove.is_empty() && !backup_dir.exists() {
        // Nothing to remove and nothing left over: do not create the directory for the lock.
        return Ok(PruneOutcome::default());
    }
    let lock = lock::acquire(backup_dir, "prune")?;
    let mut outcome = PruneOutcome {
        notes: lock.notes.clone(),
        ..PruneOutcome::default()
    };
    outcome.notes.extend(remove_leftover_deletions(backup_dir)?);
    let (inventory, details) = scan_inventory_detailed(backup_dir)?;
    let parents = parent_map(&details);
    let removing: BTreeSet<&str> = plan.remove.iter().map(|r| r.id.as_str()).collect();
    if let Some((id, why)) = still_protected(&inventory.sets, &parents, &removing) {
        bail!(
            "the prune plan is out of date: {id} {why}; nothing was removed (plan again and retry)"
        );
    }
    for removal in &plan.remove {
        let Some(set) = inventory.find(&removal.id) else {
            outcome
                .notes
                .push(format!("{} was already gone", removal.id));
            continue;
        };
        remove_set(backup_dir, &set.path).wrap_err_with(|| {
            format!(
                "cannot remove {} ({} set(s) removed before it)",
                set.id,
                outcome.removed.len()
            )
        })?;
        outcome.removed.push(set.id.clone());
        outcome.bytes_freed += set.size;
    }
    sync_dir(backup_dir)?;
    drop(lock);
    Ok(outcome)
}

/// Renames the set directory to `<name>.deleting`, makes the rename durable, then removes it.
fn remove_set(backup_dir: &Path, path: &Path) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let deleting = backup_dir.join(format!("{name}{DELETING_SUFFIX}"));
    std::fs::rename(path, &deleting)
        .wrap_err_with(|| format!("cannot rename {} to {}", path.display(), deleting.display()))?;
    sync_dir(backup_dir)?;
    std::fs::remove_dir_all(&deleting).wrap_err_with(|| {
        format!(
            "cannot remove {} (the next prune finishes it)",
            deleting.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use chrono::TimeZone;

    use super::*;
    use crate::backup::id::backup_id;
    use crate::backup::manifest::{
        DatabasePart, FilesPart, MANIFEST_FORMAT, Manifest, write_json_atomic,
    };
    use crate::backup::verify::{VerifyLevel, VerifyReport};

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn set(created_at: DateTime<Utc>, kind: BackupKind) -> SetInfo {
        SetInfo {
            id: backup_id(created_at, kind),
            kind,
            created_at,
            size: 1000,
            encrypted: false,
            documents: 10,
            files: 2,
            skipped: 0,
            verification: Verification::Never,
            path: PathBuf::from("/backups").join(backup_id(created_at, kind)),
        }
    }

    fn failed_set(created_at: DateTime<Utc>) -> SetInfo {
        SetInfo {
            verification: Verification::Failed {
                at: created_at,
                level: VerifyLevel::Quick,
                findings: 1,
            },
            ..set(created_at, BackupKind::Full)
        }
    }

    fn newest_first(mut sets: Vec<SetInfo>) -> Vec<SetInfo> {
        sets.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        sets
    }

    fn kept_ids(plan: &PrunePlan) -> Vec<&str> {
        plan.keep.iter().map(|k| k.id.as_str()).collect()
    }

    fn removed_ids(plan: &PrunePlan) -> Vec<&str> {
        plan.remove.iter().map(|r| r.id.as_str()).collect()
    }

    fn reasons<'a>(plan: &'a PrunePlan, id: &str) -> Vec<&'a str> {
        plan.keep
            .iter()
            .find(|k| k.id == id)
            .unwrap_or_else(|| panic!("{id} not kept: {plan:#?}"))
            .reasons
            .iter()
            .map(String::as_str)
            .collect()
    }

    fn full_id(y: i32, m: u32, d: u32) -> String {
        backup_id(at(y, m, d, 2), BackupKind::Full)
    }

    #[test]
    fn default_policy_is_seven_days_four_weeks_twelve_months() {
        let policy = RetentionPolicy::default();
        assert_eq!(
            (
                policy.keep_daily,
                policy.keep_weekly,
                policy.keep_monthly,
                policy.keep_pre_restore_days
            ),
            (7, 4, 12, 7)
        );
        assert!(!policy.keeps_no_slots());
        let none = RetentionPolicy {
            keep_daily: 0,
            keep_weekly: 0,
            keep_monthly: 0,
            ..policy
        };
        assert!(none.keeps_no_slots());
    }

    #[test]
    fn empty_inventory_gives_an_empty_plan() {
        let plan = plan_prune(&[], &RetentionPolicy::default(), at(2026, 11, 26, 3));
        assert_eq!(plan, PrunePlan::default());
    }

    #[test]
    fn four_hundred_daily_sets_keep_seven_daily_four_weekly_twelve_monthly() {
        // One full set at 02:00 UTC every day for 400 days up to Thursday 2026-11-26.
        let newest = at(2026, 11, 26, 2);
        let sets: Vec<SetInfo> = (0..400)
            .map(|days| set(newest - Duration::days(days), BackupKind::Full))
            .collect();
        let plan = plan_prune(&sets, &RetentionPolicy::default(), at(2026, 11, 26, 3));
        let expected: Vec<String> = [
            (2026, 11, 26),
            (2026, 11, 25),
            (2026, 11, 24),
            (2026, 11, 23),
            (2026, 11, 22),
            (2026, 11, 21),
            (2026, 11, 20),
            (2026, 11, 15), // weekly 2026-W46 (Sunday)
            (2026, 11, 8),  // weekly 2026-W45
            (2026, 10, 31), // monthly from here on
            (2026, 9, 30),
            (2026, 8, 31),
            (2026, 7, 31),
            (2026, 6, 30),
            (2026, 5, 31),
            (2026, 4, 30),
            (2026, 3, 31),
            (2026, 2, 28),
            (2026, 1, 31),
            (2025, 12, 31),
        ]
        .iter()
        .map(|&(y, m, d)| full_id(y, m, d))
        .collect();
        assert_eq!(kept_ids(&plan), expected);
        assert_eq!(plan.remove.len(), 380);
        assert_eq!(plan.bytes_freed, 380 * 1000);
        assert_eq!(
            reasons(&plan, &full_id(2026, 11, 26)),
            [
                "newest",
                "newest good",
                "daily 2026-11-26",
                "weekly 2026-W48",
                "monthly 2026-11"
            ]
        );
        assert_eq!(
            reasons(&plan, &full_id(2026, 11, 22)),
            ["daily 2026-11-22", "weekly 2026-W47"]
        );
        assert_eq!(reasons(&plan, &full_id(2026, 11, 20)), ["daily 2026-11-20"]);
        assert_eq!(reasons(&plan, &full_id(2026, 11, 8)), ["weekly 2026-W45"]);
        assert_eq!(reasons(&plan, &full_id(2025, 12, 31)), ["monthly 2025-12"]);
        // Removals are listed newest first with their size and kind.
        let first = &plan.remove[0];
        assert_eq!(first.id, full_id(2026, 11, 19));
        assert_eq!((first.size, first.kind), (1000, BackupKind::Full));
        assert_eq!(plan.remove.last().unwrap().id, sets[399].id);
        // The same inventory in any order gives the same plan.
        let mut shuffled = sets.clone();
        shuffled.reverse();
        assert_eq!(
            plan_prune(&shuffled, &RetentionPolicy::default(), at(2026, 11, 26, 3)),
            plan
        );
    }

    #[test]
    fn several_sets_a_day_keep_the_newest_of_each_day() {
        let mut sets = Vec::new();
        for day in 20..=26 {
            for hour in [2, 9, 14, 20] {
                sets.push(set(at(2026, 11, day, hour), BackupKind::Full));
            }
        }
        let sets = newest_first(sets);
        let policy = RetentionPolicy {
            keep_daily: 3,
            keep_weekly: 0,
            keep_monthly: 0,
            ..RetentionPolicy::default()
        };
        let plan = plan_prune(&sets, &policy, at(2026, 11, 26, 21));
        let hour20 = |d| backup_id(at(2026, 11, d, 20), BackupKind::Full);
        assert_eq!(kept_ids(&plan), [hour20(26), hour20(25), hour20(24)]);
        assert_eq!(plan.remove.len(), 25);
        assert_eq!(reasons(&plan, &hour20(25)), ["daily 2026-11-25"]);
    }

    #[test]
    fn days_weeks_and_months_are_utc_and_iso_weeks_cross_the_year() {
        // Friday 2027-01-01 belongs to ISO week 53 of 2026.
        let late = Utc.with_ymd_and_hms(2027, 1, 1, 23, 59, 59).unwrap();
        let sets = vec![set(late, BackupKind::Full)];
        let plan = plan_prune(&sets, &RetentionPolicy::default(), late);
        assert_eq!(
            reasons(&plan, &sets[0].id),
            [
                "newest",
                "newest good",
                "daily 2027-01-01",
                "weekly 2026-W53",
                "monthly 2027-01"
            ]
        );
    }

    #[test]
    fn failed_newest_set_keeps_the_newest_good_one_too() {
        let sets = newest_first(vec![
            failed_set(at(2026, 11, 26, 20)),
            set(at(2026, 11, 26, 2), BackupKind::Full),
            set(at(2026, 11, 25, 2), BackupKind::Full),
            set(at(2026, 11, 24, 2), BackupKind::Full),
        ]);
        let policy = RetentionPolicy {
            keep_daily: 1,
            keep_weekly: 0,
            keep_monthly: 0,
            ..RetentionPolicy::default()
        };
        let plan = plan_prune(&sets, &policy, at(2026, 11, 26, 21));
        assert_eq!(kept_ids(&plan), [sets[0].id.as_str(), sets[1].id.as_str()]);
        assert_eq!(
            reasons(&plan, &sets[0].id),
            [
                "newest",
                "daily 2026-11-26 (verification failed: not counted, kept while in the slot)"
            ]
        );
        // The good set of the same day fills the day's slot instead.
        assert_eq!(
            reasons(&plan, &sets[1].id),
            ["newest good", "daily 2026-11-26"]
        );
        assert_eq!(
            removed_ids(&plan),
            [sets[2].id.as_str(), sets[3].id.as_str()]
        );
    }

    #[test]
    fn failed_sets_never_fill_a_slot_and_go_once_outside_every_slot() {
        // Days 26 and 25 good, 24 failed, 23 and 22 good, 21 failed.
        let sets = newest_first(vec![
            set(at(2026, 11, 26, 2), BackupKind::Full),
            set(at(2026, 11, 25, 2), BackupKind::Full),
            failed_set(at(2026, 11, 24, 2)),
            set(at(2026, 11, 23, 2), BackupKind::Full),
            set(at(2026, 11, 22, 2), BackupKind::Full),
            failed_set(at(2026, 11, 21, 2)),
        ]);
        let policy = RetentionPolicy {
            keep_daily: 3,
            keep_weekly: 0,
            keep_monthly: 0,
            ..RetentionPolicy::default()
        };
        let plan = plan_prune(&sets, &policy, at(2026, 11, 26, 3));
        // Three good days (26, 25, 23) fill the slots; day 24 failed and still within the
        // three newest days stays; day 22 (good) and day 21 (failed) are outside.
        assert_eq!(
            kept_ids(&plan),
            [
                sets[0].id.as_str(),
                sets[1].id.as_str(),
                sets[2].id.as_str(),
                sets[3].id.as_str()
            ]
        );
        assert_eq!(reasons(&plan, &sets[3].id), ["daily 2026-11-23"]);
        assert!(reasons(&plan, &sets[2].id)[0].contains("verification failed"));
        assert_eq!(
            removed_ids(&plan),
            [sets[4].id.as_str(), sets[5].id.as_str()]
        );
    }

    #[test]
    fn only_failed_sets_keep_the_newest_and_their_slots() {
        let sets = newest_first(vec![
            failed_set(at(2026, 11, 26, 2)),
            failed_set(at(2026, 11, 25, 2)),
            failed_set(at(2026, 10, 1, 2)),
        ]);
        let policy = RetentionPolicy {
            keep_daily: 1,
            keep_weekly: 0,
            keep_monthly: 0,
            ..RetentionPolicy::default()
        };
        let plan = plan_prune(&sets, &policy, at(2026, 11, 26, 3));
        assert_eq!(kept_ids(&plan), [sets[0].id.as_str()]);
        assert_eq!(
            removed_ids(&plan),
            [sets[1].id.as_str(), sets[2].id.as_str()]
        );
    }

    #[test]
    fn pre_restore_sets_are_kept_while_young_and_the_newest_always() {
        let now = at(2026, 11, 26, 12);
        let sets = newest_first(vec![
            set(at(2026, 11, 26, 2), BackupKind::Full),
            set(at(2026, 11, 25, 10), BackupKind::PreRestore),
            set(at(2026, 11, 20, 10), BackupKind::PreRestore),
            set(at(2026, 11, 19, 13), BackupKind::PreRestore),
            set(at(2026, 11, 19, 11), BackupKind::PreRestore),
            set(at(2026, 10, 1, 10), BackupKind::PreRestore),
        ]);
        let plan = plan_prune(&sets, &RetentionPolicy::default(), now);
        assert_eq!(
            kept_ids(&plan),
            [
                sets[0].id.as_str(),
                sets[1].id.as_str(),
                sets[2].id.as_str(),
                sets[3].id.as_str()
            ]
        );
        assert_eq!(
            reasons(&plan, &sets[1].id),
            ["newest pre-restore", "pre-restore younger than 7 days"]
        );
        // 6 days 23 hours old: kept; 7 days 1 hour old: removed.
        assert_eq!(
            reasons(&plan, &sets[3].id),
            ["pre-restore younger than 7 days"]
        );
        assert_eq!(
            removed_ids(&plan),
            [sets[4].id.as_str(), sets[5].id.as_str()]
        );

        // Pre-restore sets never fill slots; only the newest stays when all are old.
        let old = newest_first(vec![
            set(at(2026, 1, 2, 2), BackupKind::PreRestore),
            set(at(2026, 1, 1, 2), BackupKind::PreRestore),
            set(at(2025, 12, 1, 2), BackupKind::Full),
        ]);
        let plan = plan_prune(&old, &RetentionPolicy::default(), now);
        assert_eq!(kept_ids(&plan), [old[0].id.as_str(), old[2].id.as_str()]);
        assert_eq!(reasons(&plan, &old[0].id), ["newest", "newest pre-restore"]);
        assert_eq!(
            reasons(&plan, &old[2].id),
            [
                "newest good",
                "daily 2025-12-01",
                "weekly 2025-W49",
                "monthly 2025-12"
            ]
        );
        assert_eq!(removed_ids(&plan), [old[1].id.as_str()]);
    }

    #[test]
    fn parents_of_kept_sets_are_kept_transitively() {
        // A full base long ago, then a chain of incrementals; the newest is kept.
        let base = set(at(2025, 1, 1, 2), BackupKind::Full);
        let inc1 = set(at(2026, 11, 24, 2), BackupKind::Incremental);
        let inc2 = set(at(2026, 11, 25, 2), BackupKind::Incremental);
        let inc3 = set(at(2026, 11, 26, 2), BackupKind::Incremental);
        let unrelated = set(at(2024, 6, 1, 2), BackupKind::Full);
        let other_inc = set(at(2026, 11, 23, 2), BackupKind::Incremental);
        let sets = newest_first(vec![
            base.clone(),
            inc1.clone(),
            inc2.clone(),
            inc3.clone(),
            unrelated.clone(),
            other_inc.clone(),
        ]);
        let parents: ParentMap = [
            (base.id.clone(), None),
            (inc1.id.clone(), Some(base.id.clone())),
            (inc2.id.clone(), Some(inc1.id.clone())),
            (inc3.id.clone(), Some(inc2.id.clone())),
            (unrelated.id.clone(), None),
            (other_inc.id.clone(), Some(unrelated.id.clone())),
        ]
        .into_iter()
        .collect();
        let policy = RetentionPolicy {
            keep_daily: 1,
            keep_weekly: 0,
            keep_monthly: 0,
            ..RetentionPolicy::default()
        };
        let plan = plan_prune_with_parents(&sets, &parents, &policy, at(2026, 11, 26, 3));
        // The daily slot goes to the newest full set (the base), inc3 is the newest set;
        // its chain inc2, inc1 and base stays.
        assert_eq!(
            kept_ids(&plan),
            [
                inc3.id.as_str(),
                inc2.id.as_str(),
                inc1.id.as_str(),
                base.id.as_str()
            ]
        );
        assert_eq!(reasons(&plan, &inc3.id), ["newest", "newest good"]);
        assert_eq!(reasons(&plan, &inc1.id), [format!("parent of {}", inc2.id)]);
        assert_eq!(
            reasons(&plan, &base.id),
            [
                "daily 2025-01-01".to_string(),
                format!("parent of {}", inc1.id)
            ]
        );
        assert_eq!(
            removed_ids(&plan),
            [other_inc.id.as_str(), unrelated.id.as_str()]
        );

        // Without parents a kept incremental keeps everything back to the nearest full set.
        let plan = plan_prune(&sets, &policy, at(2026, 11, 26, 3));
        assert_eq!(
            kept_ids(&plan),
            [
                inc3.id.as_str(),
                inc2.id.as_str(),
                inc1.id.as_str(),
                other_inc.id.as_str(),
                base.id.as_str()
            ]
        );
        assert_eq!(
            reasons(&plan, &other_inc.id),
            [format!(
                "possible parent of {} (its parent is not known)",
                inc3.id
            )]
        );
        assert_eq!(removed_ids(&plan), [unrelated.id.as_str()]);
    }

    #[test]
    fn no_slots_keep_only_the_newest_and_newest_good() {
        let sets = newest_first(vec![
            failed_set(at(2026, 11, 26, 2)),
            set(at(2026, 11, 25, 2), BackupKind::Full),
            set(at(2026, 11, 24, 2), BackupKind::Full),
        ]);
        let policy = RetentionPolicy {
            keep_daily: 0,
            keep_weekly: 0,
            keep_monthly: 0,
            keep_pre_restore_days: 0,
        };
        let plan = plan_prune(&sets, &policy, at(2026, 11, 26, 3));
        assert_eq!(kept_ids(&plan), [sets[0].id.as_str(), sets[1].id.as_str()]);
        assert_eq!(reasons(&plan, &sets[0].id), ["newest"]);
        assert_eq!(reasons(&plan, &sets[1].id), ["newest good"]);
        assert_eq!(removed_ids(&plan), [sets[2].id.as_str()]);
    }

    #[test]
    fn plan_serializes_with_types_and_reasons() {
        let sets = newest_first(vec![
            set(at(2026, 11, 26, 2), BackupKind::Full),
            set(at(2026, 11, 25, 2), BackupKind::PreRestore),
            set(at(2026, 1, 25, 2), BackupKind::PreRestore),
        ]);
        let plan = plan_prune(&sets, &RetentionPolicy::default(), at(2026, 11, 26, 3));
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(json["keep"][0]["reasons"][0], "newest");
        assert_eq!(json["remove"][0]["type"], "pre-restore");
        assert_eq!(json["remove"][0]["created_at"], "2026-01-25T02:00:00Z");
        assert_eq!(json["bytes_freed"], 1000);
    }

    // ---- apply_prune on real directories ----

    fn write_set(dir: &Path, created_at: DateTime<Utc>, kind: BackupKind) -> String {
        let id = backup_id(created_at, kind);
        let path = dir.join(&id);
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(path.join("mongo.archive.zst"), b"data").unwrap();
        let manifest = Manifest {
            format: MANIFEST_FORMAT,
            id: id.clone(),
            kind,
            parent: None,
            created_at,
            finished_at: created_at,
            host: "test".into(),
            scandyctl_version: "0".into(),
            scandy_root: "/opt/scandy".into(),
            database: DatabasePart {
                database: "scandy".into(),
                server_version: "7.0".into(),
                uri_redacted: "mongodb://localhost".into(),
                collections: Vec::new(),
            },
            files: FilesPart {
                files: 0,
                bytes: 0,
                included: Vec::new(),
                skipped: Vec::new(),
                upload_files: None,
            },
            members: Vec::new(),
            recipients: Vec::new(),
            source: None,
            parent_sha256: None,
            increment: None,
            oplog: None,
            oplog_from: None,
            full_reason: None,
            synthetic: false,
            synthesized_from: Vec::new(),
        };
        write_json_atomic(&path.join("manifest.json"), &manifest).unwrap();
        id
    }

    fn three_days(dir: &Path) -> Vec<String> {
        vec![
            write_set(dir, at(2026, 11, 26, 2), BackupKind::Full),
            write_set(dir, at(2026, 11, 25, 2), BackupKind::Full),
            write_set(dir, at(2026, 11, 24, 2), BackupKind::Full),
        ]
    }

    fn one_day() -> RetentionPolicy {
        RetentionPolicy {
            keep_daily: 1,
            keep_weekly: 0,
            keep_monthly: 0,
            ..RetentionPolicy::default()
        }
    }

    #[test]
    fn apply_removes_exactly_the_planned_sets_and_leftovers() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let ids = three_days(dir);
        // What an interrupted prune leaves: never listed, removed by the next prune.
        let leftover = dir.join(format!("{}{DELETING_SUFFIX}", full_id(2026, 11, 1)));
        std::fs::create_dir_all(leftover.join("sub")).unwrap();
        std::fs::write(leftover.join("manifest.json"), b"{}").unwrap();
        let inventory = crate::backup::inventory::scan_inventory(dir).unwrap();
        assert_eq!(inventory.sets.len(), 3);
        assert!(inventory.unreadable.is_empty() && inventory.partials.is_empty());

        let plan = plan_prune_dir(dir, &one_day(), at(2026, 11, 26, 3)).unwrap();
        assert_eq!(removed_ids(&plan), [ids[1].as_str(), ids[2].as_str()]);
        let outcome = apply_prune(dir, &plan).unwrap();
        assert_eq!(outcome.removed, [ids[1].clone(), ids[2].clone()]);
        assert_eq!(outcome.bytes_freed, 0);
        assert!(
            outcome.notes[0].starts_with(&format!(
                "removed {}",
                leftover.file_name().unwrap().to_string_lossy()
            )),
            "{:?}",
            outcome.notes
        );
        let mut left: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [ids[0].clone()]);

        // Applying the same plan again: the sets are gone, nothing else is touched.
        let again = apply_prune(dir, &plan).unwrap();
        assert!(again.removed.is_empty());
        assert_eq!(again.notes.len(), 2, "{:?}", again.notes);
        assert!(dir.join(&ids[0]).is_dir());
    }

    #[test]
    fn apply_refuses_a_stale_plan_and_removes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let ids = three_days(dir);
        let plan = plan_prune_dir(dir, &one_day(), at(2026, 11, 26, 3)).unwrap();
        assert_eq!(removed_ids(&plan), [ids[1].as_str(), ids[2].as_str()]);
        // Meanwhile the newest set failed verification: ids[1] is now the newest good.
        let report = VerifyReport {
            id: ids[0].clone(),
            checked_at: at(2026, 11, 26, 4),
            level: VerifyLevel::Quick,
            ok: false,
            findings: Vec::new(),
            checked: BTreeMap::new(),
        };
        write_json_atomic(&dir.join(&ids[0]).join("verify.json"), &report).unwrap();
        let err = apply_prune(dir, &plan).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "the prune plan is out of date: {} is now the newest set whose verification \
                 did not fail; nothing was removed (plan again and retry)",
                ids[1]
            )
        );
        for id in &ids {
            assert!(dir.join(id).join("manifest.json").is_file(), "{id}");
        }
        // The newest set itself removed from disk before the prune: ids[1] is the newest.
        std::fs::remove_dir_all(dir.join(&ids[0])).unwrap();
        let err = apply_prune(dir, &plan).unwrap_err().to_string();
        assert!(
            err.contains(&format!("{} is now the newest set;", ids[1])),
            "{err}"
        );
        assert!(!dir.join(crate::backup::lock::LOCK_FILE).exists());
    }

    #[test]
    fn apply_refuses_to_remove_the_parent_of_a_set_that_stays() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let ids = three_days(dir);
        let plan = plan_prune_dir(dir, &one_day(), at(2026, 11, 26, 3)).unwrap();
        // An incremental on top of ids[2] appears after planning.
        let inc = write_set(dir, at(2026, 11, 24, 5), BackupKind::Incremental);
        let path = dir.join(&inc).join("manifest.json");
        let mut manifest: Manifest =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        manifest.parent = Some(ids[2].clone());
        write_json_atomic(&path, &manifest).unwrap();
        let err = apply_prune(dir, &plan).unwrap_err().to_string();
        assert!(
            err.contains(&format!("{} is the parent of {inc}, which stays", ids[2])),
            "{err}"
        );
        assert!(dir.join(&ids[2]).is_dir());
        // Planned again, the chain is kept.
        let plan = plan_prune_dir(dir, &one_day(), at(2026, 11, 26, 3)).unwrap();
        assert_eq!(
            removed_ids(&plan),
            [ids[1].as_str(), inc.as_str(), ids[2].as_str()]
        );
    }

    #[test]
    fn apply_is_busy_while_another_operation_holds_the_lock() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let ids = three_days(dir);
        let plan = plan_prune_dir(dir, &one_day(), at(2026, 11, 26, 3)).unwrap();
        let held = lock::acquire(dir, "backup").unwrap();
        let err = apply_prune(dir, &plan).unwrap_err();
        assert!(err.downcast_ref::<lock::BusyError>().is_some(), "{err}");
        drop(held);
        for id in &ids {
            assert!(dir.join(id).is_dir());
        }
    }

    #[test]
    fn leftover_deletions_in_a_missing_directory_are_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(
            remove_leftover_deletions(&tmp.path().join("missing"))
                .unwrap()
                .is_empty()
        );
        // Files ending in .deleting are not set directories and stay.
        std::fs::write(tmp.path().join("notes.deleting"), b"x").unwrap();
        assert!(remove_leftover_deletions(tmp.path()).unwrap().is_empty());
        assert!(tmp.path().join("notes.deleting").is_file());
    }
}
