//! The swap phase of a staged restore: checks that the server will rename, then renames
//! every staging collection over its live namesake (`renameCollection` with
//! `dropTarget: true`), then recreates the views. Each step is journaled before the next
//! begins; the same code completes an interrupted swap (roll forward).

use std::collections::HashMap;
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use futures::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};
use mongodb::{Client, Database};

use super::hooks::step_delay;
use super::journal::{CollectionState, JournalDatabase, JournalHandle};
use super::staging::{NAMESPACE_NOT_FOUND, drop_collection};
use crate::backup::load::{command_code, create_command};
use crate::sanitize::escape_controls;

/// Server error code "NamespaceExists".
const NAMESPACE_EXISTS: i32 = 48;
/// Tries per rename before the swap stops (transient network errors).
const RENAME_TRIES: usize = 3;

/// The server refused the rename a collection needs; nothing was swapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenameRefused {
    /// The collection.
    pub collection: String,
    /// The server's reason.
    pub reason: String,
}

impl std::fmt::Display for RenameRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the server refuses renameCollection for {}: {}",
            self.collection,
            escape_controls(&self.reason)
        )
    }
}

impl std::error::Error for RenameRefused {}

/// The `type` (`collection`, `view`, `timeseries`) of every namespace in `db`.
pub async fn namespace_types(db: &Database) -> Result<HashMap<String, String>> {
    let specs: Vec<Document> = db
        .run_cursor_command(doc! { "listCollections": 1 })
        .await
        .wrap_err_with(|| format!("cannot list the collections of {}", db.name()))?
        .try_collect()
        .await
        .wrap_err_with(|| format!("cannot list the collections of {}", db.name()))?;
    Ok(specs
        .iter()
        .filter_map(|s| {
            let name = s.get_str("name").ok()?;
            let kind = s.get_str("type").unwrap_or("collection");
            Some((name.to_string(), kind.to_string()))
        })
        .collect())
}

/// The `renameCollection` command moving `db.from` to `db.to`.
pub fn rename_command(db: &str, from: &str, to: &str, drop_target: bool) -> Document {
    doc! {
        "renameCollection": format!("{db}.{from}"),
        "to": format!("{db}.{to}"),
        "dropTarget": drop_target,
    }
}

/// The server's message for a failed command.
fn reason(err: &mongodb::error::Error) -> String {
    match err.kind.as_ref() {
        mongodb::error::ErrorKind::Command(c) => {
            format!("{} (code {} {})", c.message, c.code, c.code_name)
        }
        _ => err.to_string(),
    }
}

/// Checks before the swap that the server will rename each staged collection over its
/// live namesake: refuses a time-series target (it would silently become a regular
/// collection) and asks the server for the rename without `dropTarget`, which it must
/// refuse with "namespace exists" (any other answer, e.g. unauthorized, stops the restore).
pub async fn check_renames(client: &Client, database: &JournalDatabase) -> Result<()> {
    let db = client.database(&database.target);
    let admin = client.database("admin");
    let types = namespace_types(&db).await?;
    for coll in &database.collections {
        let Some(kind) = types.get(&coll.name) else {
            continue;
        };
        if kind == "timeseries" {
            bail!(RenameRefused {
                collection: coll.name.clone(),
                reason: format!(
                    "{}.{} is a time-series collection here and the backup holds a {}; \
                     scandyctl does not convert it (drop it first, or restore with --to-db)",
                    database.target, coll.name, coll.kind
                ),
            });
        }
        let (Some(staging), "collection", "collection") =
            (&coll.staging, coll.kind.as_str(), kind.as_str())
        else {
            continue;
        };
        let probe = rename_command(&database.target, staging, &coll.name, false);
        match admin.run_command(probe).await {
            Err(e) if command_code(&e) == Some(NAMESPACE_EXISTS) => {}
            Err(e) => bail!(RenameRefused {
                collection: coll.name.clone(),
                reason: reason(&e),
            }),
            Ok(_) => {
                // The live collection vanished meanwhile and the probe moved the staged one
                // into place: move it back, the swap does it in order.
                admin
                    .run_command(rename_command(&database.target, &coll.name, staging, false))
                    .await
                    .wrap_err_with(|| {
                        format!(
                            "cannot move {}.{} back to its staging name",
                            database.target, coll.name
                        )
                    })?;
            }
        }
    }
    Ok(())
}

/// What a swap did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SwapReport {
    /// Collections and views swapped by this call, in order.
    pub swapped: Vec<String>,
    /// Wall time of the renames and view creations.
    pub elapsed: Duration,
}

/// Swaps every collection of the journal that is not swapped yet (collections, then
/// views), journaling each one. An error leaves the journal in the swap phase: the next
/// scandyctl completes it.
pub async fn swap_database(client: &Client, journal: &JournalHandle) -> Result<SwapReport> {
    let started = std::time::Instant::now();
    let database = journal
        .snapshot()
        .database
        .ok_or_else(|| eyre!("the restore journal has no database part"))?;
    let db = client.database(&database.target);
    let admin = client.database("admin");
    let mut report = SwapReport::default();
    let mut types: Option<HashMap<String, String>> = None;
    let pending = database
        .collections
        .iter()
        .filter(|c| c.state != CollectionState::Swapped);
    let (collections, views): (Vec<_>, Vec<_>) = pending.partition(|c| c.kind != "view");
    for coll in collections {
        let staging = coll
            .staging
            .as_deref()
            .ok_or_else(|| eyre!("collection {} has no staging name", coll.name))?;
        let types = match &mut types {
            Some(t) => t,
            None => types.insert(namespace_types(&db).await?),
        };
        if types.get(&coll.name).is_some_and(|k| k == "view") {
            drop_collection(&db, &coll.name).await?;
        }
        rename_with_retries(&admin, &database.target, staging, &coll.name, types).await?;
        journal.update(|j| set_state(j, &coll.name, CollectionState::Swapped))?;
        report.swapped.push(coll.name.clone());
        step_delay().await;
    }
    for view in views {
        let options = view_options(view.view_options.as_ref()).wrap_err_with(|| {
            format!("the journal's definition of view {} is broken", view.name)
        })?;
        drop_collection(&db, &view.name).await?;
        db.run_command(create_command(&view.name, &options))
            .await
            .wrap_err_with(|| {
                format!(
                    "cannot create view {}.{} with options {}",
                    database.target,
                    view.name,
                    Bson::Document(options.clone()).into_relaxed_extjson()
                )
            })?;
        journal.update(|j| set_state(j, &view.name, CollectionState::Swapped))?;
        report.swapped.push(view.name.clone());
        step_delay().await;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Renames staging over target; a missing staging collection whose target exists was
/// renamed already (an interrupted run got that far).
async fn rename_with_retries(
    admin: &Database,
    db: &str,
    staging: &str,
    target: &str,
    types: &HashMap<String, String>,
) -> Result<()> {
    let mut last = None;
    for attempt in 0..RENAME_TRIES {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500 * attempt as u64)).await;
        }
        match admin
            .run_command(rename_command(db, staging, target, true))
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if command_code(&e) == Some(NAMESPACE_NOT_FOUND) => {
                // An earlier attempt (or an interrupted run) may have renamed it already:
                // ask the server again rather than trusting the list taken before.
                let fresh = match attempt {
                    0 => None,
                    _ => namespace_types(&admin.client().database(db)).await.ok(),
                };
                let types = fresh.as_ref().unwrap_or(types);
                if !types.contains_key(staging) && types.contains_key(target) {
                    return Ok(());
                }
                return Err(eyre!(RenameRefused {
                    collection: target.to_string(),
                    reason: format!(
                        "its staging collection {staging} is missing: {}",
                        reason(&e)
                    ),
                }));
            }
            Err(e) if command_code(&e).is_some() => {
                // The server answered with a refusal: retrying will not help.
                return Err(eyre!(RenameRefused {
                    collection: target.to_string(),
                    reason: reason(&e),
                }));
            }
            Err(e) => last = Some(e),
        }
    }
    let err = last.map(|e| reason(&e)).unwrap_or_default();
    Err(eyre!(RenameRefused {
        collection: target.to_string(),
        reason: err,
    }))
}

/// Sets the state of collection `name` in the journal.
pub fn set_state(journal: &mut super::journal::RestoreJournal, name: &str, state: CollectionState) {
    if let Some(db) = &mut journal.database
        && let Some(coll) = db.collections.iter_mut().find(|c| c.name == name)
    {
        coll.state = state;
    }
}

/// The view options stored in the journal as extended JSON.
fn view_options(value: Option<&serde_json::Value>) -> Result<Document> {
    let value = value.ok_or_else(|| eyre!("no view options"))?;
    match Bson::try_from(value.clone()) {
        Ok(Bson::Document(doc)) => Ok(doc),
        Ok(other) => bail!("view options are not a document: {other}"),
        Err(e) => bail!("cannot parse the view options: {e}"),
    }
}
