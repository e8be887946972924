//! Creating collections and views with their stored options, and building their indexes.

use color_eyre::eyre::{self, WrapErr};
use mongodb::Database;
use mongodb::bson::{Bson, Document, doc};
use mongodb::error::ErrorKind;
use tokio_util::sync::CancellationToken;

use super::LoadOptions;
use crate::backup::archive::{CollectionKind, CollectionPrelude};
use crate::backup::progress::Cancelled;

/// Collection options that must not be replayed into `create`.
const NOT_REPLAYED: &[&str] = &["uuid", "autoIndexId", "idIndex"];
/// Index fields that must not be replayed into `createIndexes` (mongorestore drops them too).
const INDEX_NOT_REPLAYED: &[&str] = &["v", "ns"];
/// Server error code "NamespaceExists".
const NAMESPACE_EXISTS: i32 = 48;

/// The `create` command for collection or view `name` with the stored `options`.
pub fn create_command(name: &str, options: &Document) -> Document {
    let mut command = doc! { "create": name };
    for (key, value) in options {
        if !NOT_REPLAYED.contains(&key.as_str()) {
            command.insert(key.clone(), value.clone());
        }
    }
    command
}

/// Drops (when asked) and creates `name` as the collection or view `prelude` describes.
pub(super) async fn prepare_collection(
    target: &Database,
    prelude: &CollectionPrelude,
    name: &str,
    opts: &LoadOptions,
) -> eyre::Result<()> {
    let ns = format!("{}.{name}", target.name());
    if opts.drop_existing {
        target
            .collection::<Document>(name)
            .drop()
            .await
            .wrap_err_with(|| format!("cannot drop {ns} before loading it"))?;
    }
    let command = create_command(name, &prelude.metadata.options);
    match target.run_command(command).await {
        Ok(_) => Ok(()),
        Err(e) if command_code(&e) == Some(NAMESPACE_EXISTS) && !opts.drop_existing => Ok(()),
        Err(e) => Err(e).wrap_err_with(|| {
            let what = match prelude.metadata.kind {
                CollectionKind::View => "view",
                _ => "collection",
            };
            format!(
                "cannot create {what} {ns} with options {}",
                Bson::Document(prelude.metadata.options.clone()).into_relaxed_extjson()
            )
        }),
    }
}

/// The stored index specifications to build (all but `_id_`), ready for `createIndexes`.
pub fn index_specs(indexes: &[Document]) -> Vec<Document> {
    indexes
        .iter()
        .filter(|ix| ix.get_str("name").ok() != Some("_id_"))
        .map(|ix| {
            ix.iter()
                .filter(|(k, _)| !INDEX_NOT_REPLAYED.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .collect()
}

/// Builds the stored indexes of `prelude` on collection `name` with one `createIndexes`;
/// returns how many.
pub(super) async fn create_indexes(
    target: &Database,
    prelude: &CollectionPrelude,
    name: &str,
    cancel: &CancellationToken,
) -> eyre::Result<usize> {
    let specs = index_specs(&prelude.metadata.indexes);
    if specs.is_empty() {
        return Ok(0);
    }
    let names: Vec<&str> = specs
        .iter()
        .map(|s| s.get_str("name").unwrap_or("?"))
        .collect();
    let count = specs.len();
    let command = doc! {
        "createIndexes": name,
        "indexes": specs.iter().cloned().map(Bson::Document).collect::<Vec<_>>(),
    };
    tokio::select! {
        biased;
        _ = cancel.cancelled() => return Err(Cancelled.into()),
        r = target.run_command(command) => r.wrap_err_with(|| format!(
            "cannot create the indexes of {}.{} ({})",
            target.name(), prelude.collection, names.join(", ")
        ))?,
    };
    Ok(count)
}

/// Returns the server error code of a command error.
pub fn command_code(err: &mongodb::error::Error) -> Option<i32> {
    match err.kind.as_ref() {
        ErrorKind::Command(c) => Some(c.code),
        _ => None,
    }
}
