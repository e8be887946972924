//! Loading a mongodump archive into a database.
//!
//! Like `mongorestore --archive --nsFrom/--nsTo --numParallelCollections`: each selected
//! collection is (dropped and) created with its stored options under its target name, its
//! documents are inserted unchanged, its CRC and document count are checked at its EOF
//! (against the archive and, when given, the manifest), and then its indexes are built
//! from the metadata. Views are created from `viewOn`/`pipeline`, or left to the caller.
//!
//! The archive is one interleaved stream, read and checked on a blocking thread that
//! hands batches of bounded size to one bounded channel per collection; a task per
//! collection inserts them with at most [`LoadOptions::parallel`] insert batches (and
//! index builds) in flight over all collections. With `parallel > 1` the batches of a
//! collection go in unordered and concurrently; capped collections always load in order,
//! one batch at a time. Memory stays bounded by the batch size, the channel capacity and
//! the number of collections the archive interleaves.

mod prepare;
mod reader;
mod worker;

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use color_eyre::eyre::{self, bail, eyre};
use mongodb::Database;
use mongodb::bson::Document;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::archive::{ArchiveHeader, CollectionKind};
use super::progress::Cancelled;
use reader::{FromReader, read_archive};
use worker::{CollectionJob, Shared, load_collection};

pub use prepare::{command_code, create_command, index_specs};

/// How to load.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    /// Only these collections (and views); `None` loads everything in the archive.
    pub collections: Option<Vec<String>>,
    /// Drop each loaded collection first (otherwise documents are added to what exists).
    pub drop_existing: bool,
    /// Raw bytes per `insert_many` batch.
    pub batch_bytes: usize,
    /// Documents per `insert_many` batch.
    pub batch_documents: usize,
    /// The archive database to load; needed only when the archive holds several.
    pub source_db: Option<String>,
    /// Insert with `bypassDocumentValidation` (for validators added after the backup).
    pub bypass_document_validation: bool,
    /// Insert batches and index builds in flight at once over all collections; 1 loads
    /// one ordered batch after another, like a sequential `mongorestore`.
    pub parallel: usize,
    /// Load archive collection `name` into `target_names[name]` (a staging name) instead
    /// of `name`.
    pub target_names: HashMap<String, String>,
    /// Do not create views: they are returned with their options for the caller to create.
    pub defer_views: bool,
    /// Document count and CRC-64 per collection that must match (from the manifest).
    pub expected: HashMap<String, ExpectedCollection>,
}

/// What the manifest says one collection holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectedCollection {
    /// Documents.
    pub documents: u64,
    /// CRC-64 of the documents as the archive stores it.
    pub crc: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            collections: None,
            drop_existing: true,
            batch_bytes: 8 * 1024 * 1024,
            batch_documents: 1000,
            source_db: None,
            bypass_document_validation: false,
            parallel: 1,
            target_names: HashMap::new(),
            defer_views: false,
            expected: HashMap::new(),
        }
    }
}

impl LoadOptions {
    /// The name `collection` is loaded under.
    pub fn target_name<'a>(&'a self, collection: &'a str) -> &'a str {
        self.target_names
            .get(collection)
            .map(String::as_str)
            .unwrap_or(collection)
    }
}

/// Progress of a running load, reported after each inserted batch.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadProgress {
    /// Collection being loaded.
    pub collection: String,
    /// Documents of this collection inserted so far.
    pub documents: u64,
    /// Documents of all collections inserted so far.
    pub total_documents: u64,
    /// Archive bytes (uncompressed) read so far.
    pub archive_bytes: u64,
}

/// What was loaded into one collection or view.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionLoad {
    /// Collection name (in the archive, and the name it is restored as).
    pub name: String,
    /// The name it was loaded under (a staging name, or `name`).
    pub target: String,
    /// Collection or view.
    pub kind: CollectionKind,
    /// Documents inserted.
    pub documents: u64,
    /// Indexes created (without `_id_`).
    pub indexes_created: usize,
    /// Whether the archive's CRC and the document count were checked and matched.
    pub crc_verified: bool,
    /// The stored collection options (`viewOn`/`pipeline` for views).
    pub options: Document,
    /// Time spent building the indexes.
    pub index_time: Duration,
}

/// The result of [`load_archive`].
#[derive(Debug, Clone, PartialEq)]
pub struct LoadSummary {
    /// The archive database that was loaded.
    pub source_db: String,
    /// The archive header (server and tool version of the dump).
    pub header: ArchiveHeader,
    /// Every loaded collection and view, in archive order.
    pub collections: Vec<CollectionLoad>,
    /// Wall time of the load.
    pub elapsed: Duration,
}

impl LoadSummary {
    /// Returns the number of documents inserted over all collections.
    pub fn total_documents(&self) -> u64 {
        self.collections.iter().map(|c| c.documents).sum()
    }
}

/// Loads the archive into `target` (see the module docs); errors name the collection.
pub async fn load_archive(
    archive: impl Read + Send + 'static,
    target: &Database,
    opts: &LoadOptions,
    progress: impl Fn(LoadProgress) + Send + Sync + 'static,
    cancel: CancellationToken,
) -> eyre::Result<LoadSummary> {
    load_archive_with(archive, target, opts, progress, |_| {}, cancel).await
}

/// Like [`load_archive`]; `loaded` hears of each collection once it is complete and
/// checked (indexes built), and of each view once created (or deferred).
pub async fn load_archive_with(
    archive: impl Read + Send + 'static,
    target: &Database,
    opts: &LoadOptions,
    progress: impl Fn(LoadProgress) + Send + Sync + 'static,
    loaded: impl Fn(&CollectionLoad) + Send + Sync + 'static,
    cancel: CancellationToken,
) -> eyre::Result<LoadSummary> {
    let started = Instant::now();
    let inner_cancel = cancel.child_token();
    let (ctl_tx, mut ctl_rx) = mpsc::channel::<eyre::Result<FromReader>>(2);
    let archive_bytes = Arc::new(AtomicU64::new(0));
    let reader_opts = opts.clone();
    let reader_offset = archive_bytes.clone();
    let reader_cancel = inner_cancel.clone();
    let reader = tokio::task::spawn_blocking(move || {
        if let Err(err) = read_archive(
            archive,
            &reader_opts,
            &ctl_tx,
            &reader_offset,
            &reader_cancel,
        ) {
            let _ = ctl_tx.blocking_send(Err(err));
        }
    });
    let _stop_reader = StopOnDrop(inner_cancel.clone());
    let (header, source_db, selected, mut receivers) = match next(&mut ctl_rx, &cancel).await? {
        FromReader::Prelude {
            header,
            source_db,
            selected,
            receivers,
        } => (header, source_db, selected, receivers),
        FromReader::End => bail!("the archive reader ended before the prelude"),
    };
    for prelude in &selected {
        if prelude.metadata.kind == CollectionKind::Collection {
            prepare::prepare_collection(
                target,
                prelude,
                opts.target_name(&prelude.collection),
                opts,
            )
            .await?;
        }
    }
    let shared = Arc::new(Shared {
        database: target.clone(),
        opts: opts.clone(),
        permits: Arc::new(Semaphore::new(opts.parallel.max(1))),
        total_documents: AtomicU64::new(0),
        archive_bytes,
        progress: Box::new(progress),
        loaded: Box::new(loaded),
        cancel: inner_cancel.clone(),
    });
    let mut tasks = JoinSet::new();
    for (index, (prelude, rx)) in selected.iter().zip(receivers.drain(..)).enumerate() {
        let job = CollectionJob {
            index,
            prelude: prelude.clone(),
            rx,
        };
        tasks.spawn(load_collection(shared.clone(), job));
    }
    let mut loads: Vec<Option<CollectionLoad>> = vec![None; selected.len()];
    let mut reader_done = false;
    let mut first_error: Option<eyre::Report> = None;
    while !tasks.is_empty() || !reader_done {
        tokio::select! {
            biased;
            _ = cancel.cancelled(), if first_error.is_none() => {
                first_error = Some(Cancelled.into());
                inner_cancel.cancel();
            }
            msg = ctl_rx.recv(), if !reader_done => match msg {
                Some(Ok(FromReader::End)) | None => reader_done = true,
                Some(Ok(FromReader::Prelude { .. })) => {
                    reader_done = true;
                    first_error.get_or_insert_with(|| eyre!("the archive reader sent a second prelude"));
                    inner_cancel.cancel();
                }
                Some(Err(err)) => {
                    reader_done = true;
                    if first_error.as_ref().is_none_or(|e| e.is::<Cancelled>()) {
                        first_error = Some(err);
                    }
                    inner_cancel.cancel();
                }
            },
            joined = tasks.join_next(), if !tasks.is_empty() => match joined {
                Some(Ok(Ok((index, load)))) => loads[index] = Some(load),
                Some(Ok(Err(err))) => {
                    // A collection that stopped because another failed reports `Cancelled`:
                    // keep the first real error.
                    if first_error.as_ref().is_none_or(|e| e.is::<Cancelled>()) {
                        first_error = Some(err);
                    }
                    inner_cancel.cancel();
                }
                Some(Err(join)) => {
                    first_error.get_or_insert_with(|| eyre!("a load task failed: {join}"));
                    inner_cancel.cancel();
                }
                None => {}
            },
        }
    }
    drop(ctl_rx);
    let _ = reader.await;
    if let Some(err) = first_error {
        if cancel.is_cancelled() {
            return Err(Cancelled.into());
        }
        return Err(err);
    }
    let collections = loads
        .into_iter()
        .zip(&selected)
        .map(|(load, prelude)| {
            load.ok_or_else(|| {
                eyre!(
                    "the archive ended without the end of collection {}",
                    prelude.collection
                )
            })
        })
        .collect::<eyre::Result<Vec<_>>>()?;
    Ok(LoadSummary {
        source_db,
        header,
        collections,
        elapsed: started.elapsed(),
    })
}

/// Cancels the load's own token when the load returns (stops the reader thread).
struct StopOnDrop(CancellationToken);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Receives the reader's next control message, or fails on cancel.
async fn next(
    rx: &mut mpsc::Receiver<eyre::Result<FromReader>>,
    cancel: &CancellationToken,
) -> eyre::Result<FromReader> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(Cancelled.into()),
        msg = rx.recv() => msg.unwrap_or_else(|| Err(eyre!("the archive reader stopped unexpectedly"))),
    }
}

/// Adds `n` to a shared counter and returns the new total.
fn add(counter: &AtomicU64, n: u64) -> u64 {
    counter.fetch_add(n, Ordering::Relaxed) + n
}
