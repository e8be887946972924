//! The weekly restore test (`SCY-BKP-010`): the newest good backup set restored with the
//! real restore engine into a scratch database (`checklists.restore_test_database`, never
//! the Scandy database, never one holding data this test did not create), compared with
//! the manifest collection by collection, then dropped — also when the restore or the
//! comparison fails.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mongodb::bson::{Document, doc};
use mongodb::{Client, Database};
use tokio_util::sync::CancellationToken;

use super::model::{ItemResult, PerfDatum, Severity};
use super::run::{CheckContext, ItemRun, RESTORE_TEST_TIMEOUT};
use super::support::{CALL_TIMEOUT, bounded, capped, connect, unknown};
use crate::backup::inventory::{SetInfo, Verification, scan_inventory};
use crate::backup::manifest::{Manifest, read_manifest};
use crate::backup::progress::Progress;
use crate::backup::restore::{RestorePart, RestoreRequest, plan_restore, run_restore};

/// The collection that marks a scratch database as the restore test's own.
pub const MARKER_COLLECTION: &str = "scandyctl_restore_test_marker";
/// Time kept back from [`RESTORE_TEST_TIMEOUT`] for the comparison and the drop.
const RESERVE: Duration = Duration::from_secs(120);
/// How long a cancelled restore may take to undo itself.
const CANCEL_GRACE: Duration = Duration::from_secs(60);
/// Most mismatch lines listed one by one.
const MAX_LINES: usize = 40;

/// Drops the scratch database when the test ends in a way the code did not reach the drop
/// (the item's time bound dropped the future): a task on the runtime does it.
struct DropGuard {
    db: Option<Database>,
}

impl DropGuard {
    /// The database is dropped by [`finish`](Self::finish) or, failing that, on drop.
    fn new(db: Database) -> DropGuard {
        DropGuard { db: Some(db) }
    }

    /// Drops the database now (bounded); the error names it.
    async fn finish(&mut self) -> Result<(), String> {
        let Some(db) = self.db.take() else {
            return Ok(());
        };
        let what = format!("cannot drop the scratch database {}", db.name());
        bounded(&what, CALL_TIMEOUT, db.drop()).await
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let (Some(db), Ok(handle)) = (self.db.take(), tokio::runtime::Handle::try_current()) {
            handle.spawn(async move {
                let _ = tokio::time::timeout(CALL_TIMEOUT, db.drop()).await;
            });
        }
    }
}

/// The newest data backup (full or incremental) whose last verification did not fail.
pub fn newest_good_set(sets: &[SetInfo]) -> Option<&SetInfo> {
    sets.iter()
        .filter(|s| s.kind.is_data_backup())
        .find(|s| !matches!(s.verification, Verification::Failed { .. }))
}

/// The restore test item.
pub async fn restore_test_item(ctx: &CheckContext, id: &str) -> ItemRun {
    let target = ctx.settings.restore_test_database.trim().to_string();
    if target == ctx.config.mongo.database {
        return unknown(
            id,
            format!(
                "refused: checklists.restore_test_database is the Scandy database {target}; \
                 the restore test only restores into a scratch database"
            ),
        )
        .into();
    }
    if let Err(why) = crate::config::check_database_name(&target) {
        return unknown(
            id,
            format!("refused: checklists.restore_test_database {target:?}: {why}"),
        )
        .into();
    }
    let backup_dir = ctx.config.resolve(&ctx.config.backup.dir);
    let inventory = match scan_inventory(&backup_dir) {
        Ok(inventory) => inventory,
        Err(err) => return unknown(id, format!("could not check: {err:#}")).into(),
    };
    let Some(set) = newest_good_set(&inventory.sets).cloned() else {
        return unknown(
            id,
            format!(
                "no backup to test: {} holds no good backup set",
                backup_dir.display()
            ),
        )
        .into();
    };
    let identities = match (&ctx.config.backup.identity, set.encrypted) {
        (Some(path), true) => {
            match crate::backup::crypt::load_identities(&ctx.config.resolve(path)) {
                Ok(ids) => ids,
                Err(err) => return unknown(id, format!("could not check: {err:#}")).into(),
            }
        }
        (None, true) => {
            return unknown(
                id,
                format!(
                    "could not check: set {} is encrypted and no [backup] identity is configured",
                    set.id
                ),
            )
            .into();
        }
        _ => Vec::new(),
    };
    let manifest = match read_manifest(&set.path) {
        Ok(manifest) => manifest,
        Err(err) => return unknown(id, format!("could not check: {err:#}")).into(),
    };
    let client = match connect(ctx, id).await {
        Ok(client) => client,
        Err(result) => return result.into(),
    };
    let scratch = client.database(&target);
    let mut lines = vec![format!(
        "set {} ({}, taken {})",
        set.id,
        set.kind.as_str(),
        set.created_at.format("%Y-%m-%d %H:%M UTC")
    )];
    match claim_scratch(&scratch, &set.id).await {
        Ok(Some(note)) => lines.push(note),
        Ok(None) => {}
        Err(result) => {
            return ItemResult {
                id: id.to_string(),
                ..result
            }
            .into();
        }
    }
    let mut guard = DropGuard::new(scratch.clone());
    let started = Instant::now();
    let restored = restore_into(ctx, &set.id, &target, &identities).await;
    let seconds = started.elapsed().as_secs_f64();
    let mut result = match restored {
        Ok(()) => compare(id, &client, &target, &manifest, &mut lines, seconds).await,
        Err(why) => {
            lines.push(format!("restore failed after {seconds:.1} s: {why}"));
            ItemResult::new(
                id,
                Severity::Failed,
                format!("the restore of {} into {target} failed", set.id),
            )
        }
    };
    match guard.finish().await {
        Ok(()) => lines.push(format!("scratch database {target} dropped")),
        Err(why) => {
            lines.push(why);
            result.severity = result.severity.max(Severity::Warning);
        }
    }
    result.evidence = capped(lines, MAX_LINES);
    result
        .perf(PerfDatum::new("restore_test_seconds", seconds, None, None))
        .into()
}

/// Makes sure the scratch database is the test's own: empty (then marked) or marked by
/// an earlier test (then emptied and marked again); anything else is refused.
async fn claim_scratch(scratch: &Database, set_id: &str) -> Result<Option<String>, ItemResult> {
    let name = scratch.name().to_string();
    let refuse = |why: String| unknown("", why);
    let existing = bounded(
        &format!("cannot list the collections of {name}"),
        CALL_TIMEOUT,
        scratch.list_collection_names(),
    )
    .await
    .map_err(|why| refuse(format!("could not check: {why}")))?;
    let mut note = None;
    if !existing.is_empty() {
        if !existing.iter().any(|c| c == MARKER_COLLECTION) {
            let mut names = existing.clone();
            names.sort();
            return Err(refuse(format!(
                "refused: the scratch database {name} holds collections the restore test did \
                 not create ({}); choose another checklists.restore_test_database",
                names.join(", ")
            )));
        }
        bounded(
            &format!("cannot drop the leftovers of an earlier restore test in {name}"),
            CALL_TIMEOUT,
            scratch.drop(),
        )
        .await
        .map_err(|why| refuse(format!("could not check: {why}")))?;
        note = Some(format!(
            "dropped what an earlier restore test left in {name} ({} collections)",
            existing.len()
        ));
    }
    let marker = doc! {
        "_id": "restore-test",
        "created_by": "scandyctl weekly restore test",
        "set": set_id,
        "at": mongodb::bson::DateTime::now(),
    };
    bounded(
        &format!("cannot mark the scratch database {name}"),
        CALL_TIMEOUT,
        scratch
            .collection::<Document>(MARKER_COLLECTION)
            .insert_one(marker),
    )
    .await
    .map_err(|why| refuse(format!("could not check: {why}")))?;
    Ok(note)
}

/// Restores the database part of `set_id` into `target` with the real restore engine,
/// cancelled (and undone by it) when it runs out of time.
async fn restore_into(
    ctx: &CheckContext,
    set_id: &str,
    target: &str,
    identities: &[age::x25519::Identity],
) -> Result<(), String> {
    let request = RestoreRequest {
        id: set_id.to_string(),
        only: Some(RestorePart::Db),
        collections: None,
        to_db: Some(target.to_string()),
        files_to: None,
        safety_backup: false,
        at: None,
        missing_files_only: false,
    };
    let plan = bounded(
        &format!("cannot plan the restore of {set_id}"),
        CALL_TIMEOUT * 2,
        plan_restore(&ctx.config, &request, identities),
    )
    .await?;
    let cancel = CancellationToken::new();
    let progress: Arc<dyn Fn(Progress) + Send + Sync> = Arc::new(|_| {});
    let work = run_restore(
        &ctx.config,
        &plan,
        &request,
        identities,
        progress,
        cancel.clone(),
    );
    tokio::pin!(work);
    let budget = RESTORE_TEST_TIMEOUT.saturating_sub(RESERVE);
    let outcome = tokio::select! {
        outcome = &mut work => outcome,
        () = tokio::time::sleep(budget) => {
            cancel.cancel();
            match tokio::time::timeout(CANCEL_GRACE, &mut work).await {
                Ok(_) => return Err(format!("did not finish within {} s (cancelled)", budget.as_secs())),
                Err(_) => return Err(format!(
                    "did not finish within {} s and did not stop when cancelled",
                    budget.as_secs()
                )),
            }
        }
    };
    outcome.map(|_| ()).map_err(|err| format!("{err:#}"))
}

/// Compares the restored counts with the manifest, collection by collection (views are
/// not counted); failed when any differs.
async fn compare(
    id: &str,
    client: &Client,
    target: &str,
    manifest: &Manifest,
    lines: &mut Vec<String>,
    seconds: f64,
) -> ItemResult {
    let db = client.database(target);
    let mut mismatches = Vec::new();
    let (mut collections, mut documents, mut views) = (0u64, 0u64, 0u64);
    for entry in &manifest.database.collections {
        if entry.kind == "view" {
            views += 1;
            continue;
        }
        let expected = manifest
            .state_documents(&entry.name)
            .unwrap_or(entry.documents);
        let what = format!("cannot count {target}.{}", entry.name);
        let counted = bounded(
            &what,
            CALL_TIMEOUT,
            db.collection::<Document>(&entry.name)
                .count_documents(doc! {}),
        )
        .await;
        collections += 1;
        match counted {
            Ok(n) if n == expected => documents += n,
            Ok(n) => mismatches.push(format!("{}: backup {expected}, restored {n}", entry.name)),
            Err(why) => mismatches.push(why),
        }
    }
    let mut summary_views = String::new();
    if views > 0 {
        summary_views = format!(" ({views} views not counted)");
    }
    lines.push(format!(
        "restored into {target} in {seconds:.1} s: {collections} collections{summary_views}"
    ));
    if mismatches.is_empty() {
        lines.push(format!(
            "collections: {collections}, documents: {documents}, all as in the manifest"
        ));
        return ItemResult::new(
            id,
            Severity::Ok,
            format!(
                "{} restored into {target}: {collections} collections, {documents} documents, as in the manifest",
                manifest.id
            ),
        );
    }
    let count = mismatches.len();
    lines.extend(mismatches);
    ItemResult::new(
        id,
        Severity::Failed,
        format!(
            "{} restored into {target}, but {count} of {collections} collections differ from the manifest",
            manifest.id
        ),
    )
}
