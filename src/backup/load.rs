//! Loading a mongodump archive into a database.
//!
//! Like `mongorestore --archive --nsFrom/--nsTo`: each selected collection is (dropped
//! and) created with its stored options, its documents are inserted unchanged in
//! ordered batches, its CRC and document count are checked at its EOF, and then its
//! indexes are built from the metadata. Views are created from `viewOn`/`pipeline`.
//!
//! The archive is read and checked on a blocking thread; batches of bounded size reach
//! the async side through a bounded channel, so memory stays bounded.

use std::collections::HashMap;
use std::io::Read;
use std::time::{Duration, Instant};

use color_eyre::eyre::{self, WrapErr, bail, eyre};
use mongodb::Database;
use mongodb::bson::{Bson, Document, RawDocumentBuf, doc};
use mongodb::error::ErrorKind;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::archive::{
    ArchiveEvent, ArchiveHeader, ArchiveReader, CollectionKind, CollectionPrelude,
};
use super::progress::Cancelled;

/// Collection options that must not be replayed into `create`.
const NOT_REPLAYED: &[&str] = &["uuid", "autoIndexId", "idIndex"];
/// Index fields that must not be replayed into `createIndexes` (mongorestore drops them too).
const INDEX_NOT_REPLAYED: &[&str] = &["v", "ns"];
/// Server error code "NamespaceExists".
const NAMESPACE_EXISTS: i32 = 48;

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
        }
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
    /// Collection name.
    pub name: String,
    /// Collection or view.
    pub kind: CollectionKind,
    /// Documents inserted.
    pub documents: u64,
    /// Indexes created (without `_id_`).
    pub indexes_created: usize,
    /// Whether the archive's CRC and the document count were checked and matched.
    pub crc_verified: bool,
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

/// Messages from the reader thread.
enum FromReader {
    Prelude {
        header: ArchiveHeader,
        source_db: String,
        selected: Vec<CollectionPrelude>,
    },
    Docs {
        index: usize,
        docs: Vec<RawDocumentBuf>,
        offset: u64,
    },
    Eof {
        index: usize,
        documents: u64,
        crc_expected: u64,
        crc_actual: u64,
    },
    End,
}

/// Loads the archive into `target` (see the module docs); errors name the collection.
pub async fn load_archive(
    archive: impl Read + Send + 'static,
    target: &Database,
    opts: &LoadOptions,
    progress: impl Fn(LoadProgress) + Send + Sync + 'static,
    cancel: CancellationToken,
) -> eyre::Result<LoadSummary> {
    let started = Instant::now();
    let (tx, mut rx) = mpsc::channel::<eyre::Result<FromReader>>(2);
    let reader_opts = opts.clone();
    let _reader = tokio::task::spawn_blocking(move || {
        if let Err(err) = read_archive(archive, &reader_opts, &tx) {
            let _ = tx.blocking_send(Err(err));
        }
    });
    let (header, source_db, selected) = match next(&mut rx, &cancel).await? {
        FromReader::Prelude {
            header,
            source_db,
            selected,
        } => (header, source_db, selected),
        _ => bail!("the archive reader sent data before the prelude"),
    };
    let mut loads: Vec<CollectionLoad> = selected
        .iter()
        .map(|p| CollectionLoad {
            name: p.collection.clone(),
            kind: p.metadata.kind.clone(),
            documents: 0,
            indexes_created: 0,
            crc_verified: false,
        })
        .collect();
    let mut prepared = vec![false; selected.len()];
    let mut total_documents = 0u64;
    loop {
        match next(&mut rx, &cancel).await? {
            FromReader::Prelude { .. } => bail!("the archive reader sent a second prelude"),
            FromReader::Docs {
                index,
                docs,
                offset,
            } => {
                let prelude = &selected[index];
                if !prepared[index] {
                    prepare_collection(target, prelude, opts).await?;
                    prepared[index] = true;
                }
                let coll = target.collection::<RawDocumentBuf>(&prelude.collection);
                let mut insert = coll.insert_many(docs).ordered(true);
                if opts.bypass_document_validation {
                    insert = insert.bypass_document_validation(true);
                }
                let inserted = tokio::select! {
                    biased;
                    _ = cancel.cancelled() => return Err(Cancelled.into()),
                    r = insert => r.wrap_err_with(|| format!(
                        "cannot insert into {}.{} after {} documents",
                        target.name(), prelude.collection, loads[index].documents
                    ))?,
                };
                let n = inserted.inserted_ids.len() as u64;
                loads[index].documents += n;
                total_documents += n;
                progress(LoadProgress {
                    collection: prelude.collection.clone(),
                    documents: loads[index].documents,
                    total_documents,
                    archive_bytes: offset,
                });
            }
            FromReader::Eof {
                index,
                documents,
                crc_expected,
                crc_actual,
            } => {
                let prelude = &selected[index];
                let ns = format!("{}.{}", target.name(), prelude.collection);
                if crc_expected != crc_actual {
                    bail!(
                        "checksum mismatch in collection {}: the archive says {crc_expected:#018x}, \
                         its {documents} documents give {crc_actual:#018x}; the archive is damaged",
                        prelude.collection
                    );
                }
                if !prepared[index] {
                    prepare_collection(target, prelude, opts).await?;
                    prepared[index] = true;
                }
                if loads[index].documents != documents {
                    bail!(
                        "collection {}: the archive holds {documents} documents but {} were inserted into {ns}",
                        prelude.collection,
                        loads[index].documents
                    );
                }
                loads[index].crc_verified = true;
                if prelude.metadata.kind == CollectionKind::Collection {
                    loads[index].indexes_created = create_indexes(target, prelude, &cancel).await?;
                }
            }
            FromReader::End => break,
        }
    }
    Ok(LoadSummary {
        source_db,
        header,
        collections: loads,
        elapsed: started.elapsed(),
    })
}

/// Receives the reader's next message, or fails on cancel.
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

/// Picks the archive database and the collections to load; errors list what exists.
fn select(
    preludes: &[CollectionPrelude],
    opts: &LoadOptions,
) -> eyre::Result<(String, Vec<usize>)> {
    let mut dbs: Vec<&str> = preludes.iter().map(|p| p.db.as_str()).collect();
    dbs.sort_unstable();
    dbs.dedup();
    let source_db = match &opts.source_db {
        Some(db) if dbs.contains(&db.as_str()) => db.clone(),
        Some(db) => bail!(
            "the archive holds no database {db} (it holds: {})",
            dbs.join(", ")
        ),
        None if dbs.len() <= 1 => dbs.first().map(|d| d.to_string()).unwrap_or_default(),
        None => bail!(
            "the archive holds several databases ({}); choose one",
            dbs.join(", ")
        ),
    };
    let in_db: Vec<usize> = (0..preludes.len())
        .filter(|&i| preludes[i].db == source_db)
        .collect();
    let Some(wanted) = &opts.collections else {
        return Ok((source_db, in_db));
    };
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|w| !in_db.iter().any(|&i| &preludes[i].collection == *w))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        let present: Vec<&str> = in_db
            .iter()
            .map(|&i| preludes[i].collection.as_str())
            .collect();
        bail!(
            "the archive has no collection {} (it holds: {})",
            missing.join(", "),
            present.join(", ")
        );
    }
    let chosen = in_db
        .into_iter()
        .filter(|&i| wanted.iter().any(|w| *w == preludes[i].collection))
        .collect();
    Ok((source_db, chosen))
}

/// The reader thread: prelude, then batches of selected documents, then EOFs.
fn read_archive(
    archive: impl Read,
    opts: &LoadOptions,
    tx: &mpsc::Sender<eyre::Result<FromReader>>,
) -> eyre::Result<()> {
    let mut reader = ArchiveReader::new(archive)?;
    let (source_db, chosen) = select(reader.preludes(), opts)?;
    let positions: HashMap<(String, String), usize> = chosen
        .iter()
        .enumerate()
        .map(|(pos, &i)| {
            let p = &reader.preludes()[i];
            ((p.db.clone(), p.collection.clone()), pos)
        })
        .collect();
    let selected: Vec<CollectionPrelude> = chosen
        .iter()
        .map(|&i| reader.preludes()[i].clone())
        .collect();
    let kinds: Vec<CollectionKind> = selected.iter().map(|p| p.metadata.kind.clone()).collect();
    let unsupported = kinds
        .iter()
        .zip(&selected)
        .find(|(k, _)| !matches!(k, CollectionKind::Collection | CollectionKind::View));
    if let Some((kind, p)) = unsupported {
        bail!(
            "{} is a {} collection, which scandyctl cannot restore yet",
            p.namespace(),
            kind.as_str()
        );
    }
    let send = |msg: FromReader| {
        tx.blocking_send(Ok(msg))
            .map_err(|_| eyre!("the load stopped (cancelled or failed)"))
    };
    send(FromReader::Prelude {
        header: reader.header().clone(),
        source_db,
        selected,
    })?;
    let mut batch = Batch {
        index: usize::MAX,
        docs: Vec::new(),
        bytes: 0,
    };
    while let Some(event) = reader.next_event()? {
        match event {
            ArchiveEvent::Document {
                db,
                collection,
                bytes,
            } => {
                let Some(&index) = positions.get(&(db, collection)) else {
                    continue;
                };
                let full = batch.docs.len() >= opts.batch_documents.max(1)
                    || batch.bytes + bytes.as_bytes().len() > opts.batch_bytes.max(1);
                if index != batch.index || full {
                    batch.flush(reader.offset(), &send)?;
                }
                batch.index = index;
                batch.bytes += bytes.as_bytes().len();
                batch.docs.push(bytes);
            }
            ArchiveEvent::CollectionEof {
                db,
                collection,
                documents,
                crc_expected,
                crc_actual,
                ..
            } => {
                let Some(&index) = positions.get(&(db, collection)) else {
                    continue;
                };
                batch.flush(reader.offset(), &send)?;
                send(FromReader::Eof {
                    index,
                    documents,
                    crc_expected,
                    crc_actual,
                })?;
            }
        }
    }
    send(FromReader::End)
}

/// Documents of one collection on their way to the async side.
struct Batch {
    /// Position of the collection among the selected ones.
    index: usize,
    docs: Vec<RawDocumentBuf>,
    /// Raw bytes of `docs`.
    bytes: usize,
}

impl Batch {
    /// Sends the documents, if there are any, with the archive `offset` reached; empties
    /// the batch.
    fn flush(
        &mut self,
        offset: u64,
        send: &dyn Fn(FromReader) -> eyre::Result<()>,
    ) -> eyre::Result<()> {
        if self.docs.is_empty() {
            return Ok(());
        }
        self.bytes = 0;
        send(FromReader::Docs {
            index: self.index,
            docs: std::mem::take(&mut self.docs),
            offset,
        })
    }
}

/// Drops (when asked) and creates a collection or view with its stored options.
async fn prepare_collection(
    target: &Database,
    prelude: &CollectionPrelude,
    opts: &LoadOptions,
) -> eyre::Result<()> {
    let name = &prelude.collection;
    let ns = format!("{}.{name}", target.name());
    if opts.drop_existing {
        target
            .collection::<Document>(name)
            .drop()
            .await
            .wrap_err_with(|| format!("cannot drop {ns} before loading it"))?;
    }
    let mut command = doc! { "create": name.as_str() };
    for (key, value) in &prelude.metadata.options {
        if !NOT_REPLAYED.contains(&key.as_str()) {
            command.insert(key.clone(), value.clone());
        }
    }
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

/// Builds the stored indexes (all but `_id_`) with one `createIndexes`; returns how many.
async fn create_indexes(
    target: &Database,
    prelude: &CollectionPrelude,
    cancel: &CancellationToken,
) -> eyre::Result<usize> {
    let specs: Vec<Document> = prelude
        .metadata
        .indexes
        .iter()
        .filter(|ix| ix.get_str("name").ok() != Some("_id_"))
        .map(|ix| {
            ix.iter()
                .filter(|(k, _)| !INDEX_NOT_REPLAYED.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .collect();
    if specs.is_empty() {
        return Ok(0);
    }
    let names: Vec<&str> = specs
        .iter()
        .map(|s| s.get_str("name").unwrap_or("?"))
        .collect();
    let count = specs.len();
    let command = doc! {
        "createIndexes": prelude.collection.as_str(),
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
fn command_code(err: &mongodb::error::Error) -> Option<i32> {
    match err.kind.as_ref() {
        ErrorKind::Command(c) => Some(c.code),
        _ => None,
    }
}
