//! The task that loads one collection: inserts the batches the reader sends, checks the
//! count and CRC at the collection's EOF, then builds its indexes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use color_eyre::eyre::{self, WrapErr, bail};
use mongodb::Database;
use mongodb::bson::RawDocumentBuf;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::reader::ToCollection;
use super::{CollectionLoad, LoadOptions, LoadProgress, add, prepare};
use crate::backup::archive::{CollectionKind, CollectionPrelude};
use crate::backup::progress::Cancelled;

/// What every collection task of one load shares.
pub(super) struct Shared {
    /// The database loaded into.
    pub database: Database,
    /// The load's options.
    pub opts: LoadOptions,
    /// Insert batches and index builds allowed in flight over all collections.
    pub permits: Arc<Semaphore>,
    /// Documents inserted over all collections.
    pub total_documents: AtomicU64,
    /// Archive bytes the reader has passed.
    pub archive_bytes: Arc<AtomicU64>,
    /// The progress callback.
    pub progress: Box<dyn Fn(LoadProgress) + Send + Sync>,
    /// Hears of each finished collection or view.
    pub loaded: Box<dyn Fn(&CollectionLoad) + Send + Sync>,
    /// Stops every task of the load.
    pub cancel: CancellationToken,
}

/// One collection to load and the channel its documents arrive on.
pub(super) struct CollectionJob {
    /// Position among the selected collections.
    pub index: usize,
    /// Its prelude (name, options, indexes).
    pub prelude: CollectionPrelude,
    /// Batches and the EOF from the reader.
    pub rx: mpsc::Receiver<ToCollection>,
}

/// Loads one collection to its end; returns its position and what was loaded.
pub(super) async fn load_collection(
    shared: Arc<Shared>,
    mut job: CollectionJob,
) -> eyre::Result<(usize, CollectionLoad)> {
    let prelude = &job.prelude;
    let name = prelude.collection.clone();
    let target = shared.opts.target_name(&name).to_string();
    let capped = prelude.metadata.options.get_bool("capped") == Ok(true);
    let ordered = shared.opts.parallel <= 1 || capped;
    let max_in_flight = if ordered { 1 } else { shared.opts.parallel };
    let inserted = Arc::new(AtomicU64::new(0));
    let mut in_flight: JoinSet<eyre::Result<()>> = JoinSet::new();
    let eof = loop {
        let msg = tokio::select! {
            biased;
            _ = shared.cancel.cancelled() => return Err(Cancelled.into()),
            Some(done) = in_flight.join_next(), if !in_flight.is_empty() => {
                joined(done)?;
                continue;
            }
            msg = job.rx.recv() => msg,
        };
        match msg {
            // The reader stopped: its own error (sent on the control channel) says why.
            None => return Err(Cancelled.into()),
            Some(ToCollection::Docs { docs, offset }) => {
                while in_flight.len() >= max_in_flight {
                    if let Some(done) = in_flight.join_next().await {
                        joined(done)?;
                    }
                }
                let permit = acquire(&shared).await?;
                let batch = Batch {
                    shared: shared.clone(),
                    collection: name.clone(),
                    target: target.clone(),
                    inserted: inserted.clone(),
                    ordered,
                    offset,
                };
                in_flight.spawn(batch.insert(docs, permit));
            }
            Some(ToCollection::Eof {
                documents,
                crc_expected,
                crc_actual,
            }) => break (documents, crc_expected, crc_actual),
        }
    };
    while let Some(done) = in_flight.join_next().await {
        joined(done)?;
    }
    let (documents, crc_expected, crc_actual) = eof;
    let loaded = inserted.load(Ordering::Relaxed);
    check_eof(
        &shared,
        prelude,
        &target,
        loaded,
        documents,
        crc_expected,
        crc_actual,
    )
    .await?;
    let started = Instant::now();
    let mut indexes_created = 0;
    match prelude.metadata.kind {
        CollectionKind::View if !shared.opts.defer_views => {
            prepare::prepare_collection(&shared.database, prelude, &target, &shared.opts).await?;
        }
        CollectionKind::Collection => {
            let _permit = acquire(&shared).await?;
            indexes_created =
                prepare::create_indexes(&shared.database, prelude, &target, &shared.cancel).await?;
            if indexes_created > 0 {
                crate::backup::restore::hooks::step_delay().await;
            }
        }
        _ => {}
    }
    let load = CollectionLoad {
        name,
        target,
        kind: prelude.metadata.kind.clone(),
        documents: loaded,
        indexes_created,
        crc_verified: true,
        options: prelude.metadata.options.clone(),
        index_time: if indexes_created > 0 {
            started.elapsed()
        } else {
            Duration::ZERO
        },
    };
    (shared.loaded)(&load);
    Ok((job.index, load))
}

/// Checks the archive CRC, the manifest's figures and the inserted count at a collection's EOF.
async fn check_eof(
    shared: &Shared,
    prelude: &CollectionPrelude,
    target: &str,
    loaded: u64,
    documents: u64,
    crc_expected: u64,
    crc_actual: u64,
) -> eyre::Result<()> {
    let name = &prelude.collection;
    let db = shared.database.name();
    if crc_expected != crc_actual {
        bail!(
            "checksum mismatch in collection {name}: the archive says {crc_expected:#018x}, \
             its {documents} documents give {crc_actual:#018x}; the archive is damaged"
        );
    }
    if let Some(expected) = shared.opts.expected.get(name) {
        if expected.documents != documents {
            bail!(
                "collection {name}: the manifest says {} documents, the archive holds {documents}; \
                 the set is damaged",
                expected.documents
            );
        }
        if expected.crc != crc_actual {
            bail!(
                "checksum mismatch in collection {name}: the manifest says {:#018x}, the \
                 archive's documents give {crc_actual:#018x}; the set is damaged",
                expected.crc
            );
        }
    }
    if loaded != documents {
        bail!(
            "collection {name}: the archive holds {documents} documents but {loaded} were inserted into {db}.{target}"
        );
    }
    if prelude.metadata.kind == CollectionKind::Collection {
        let counted = shared
            .database
            .collection::<RawDocumentBuf>(target)
            .estimated_document_count()
            .await
            .wrap_err_with(|| format!("cannot count the documents of {db}.{target}"))?;
        if counted != documents {
            bail!(
                "collection {name}: {db}.{target} holds {counted} documents after the load, \
                 the archive {documents}"
            );
        }
    }
    Ok(())
}

/// Waits for a permit to insert or build indexes; fails on cancel.
async fn acquire(shared: &Shared) -> eyre::Result<OwnedSemaphorePermit> {
    tokio::select! {
        biased;
        _ = shared.cancel.cancelled() => Err(Cancelled.into()),
        permit = shared.permits.clone().acquire_owned() => {
            permit.map_err(|_| eyre::Report::new(Cancelled))
        }
    }
}

/// The result of a finished insert task.
fn joined(done: Result<eyre::Result<()>, tokio::task::JoinError>) -> eyre::Result<()> {
    done.map_err(|e| eyre::eyre!("an insert task failed: {e}"))?
}

/// One `insert_many` of a collection.
struct Batch {
    shared: Arc<Shared>,
    collection: String,
    target: String,
    inserted: Arc<AtomicU64>,
    ordered: bool,
    offset: u64,
}

impl Batch {
    /// Inserts `docs`, then reports progress; the permit is held until the server answered.
    async fn insert(
        self,
        docs: Vec<RawDocumentBuf>,
        _permit: OwnedSemaphorePermit,
    ) -> eyre::Result<()> {
        let shared = &self.shared;
        let coll = shared.database.collection::<RawDocumentBuf>(&self.target);
        let mut insert = coll.insert_many(docs).ordered(self.ordered);
        if shared.opts.bypass_document_validation {
            insert = insert.bypass_document_validation(true);
        }
        let result = tokio::select! {
            biased;
            _ = shared.cancel.cancelled() => return Err(Cancelled.into()),
            r = insert => r,
        };
        let inserted = result.wrap_err_with(|| {
            let staging = if self.target == self.collection {
                String::new()
            } else {
                format!(" (staging {})", self.target)
            };
            format!(
                "cannot insert into {}.{}{staging} after {} documents",
                shared.database.name(),
                self.collection,
                self.inserted.load(Ordering::Relaxed)
            )
        })?;
        let n = inserted.inserted_ids.len() as u64;
        let documents = add(&self.inserted, n);
        let total_documents = add(&shared.total_documents, n);
        (shared.progress)(LoadProgress {
            collection: self.collection.clone(),
            documents,
            total_documents,
            archive_bytes: self
                .offset
                .max(shared.archive_bytes.load(Ordering::Relaxed)),
        });
        crate::backup::restore::hooks::step_delay().await;
        Ok(())
    }
}
