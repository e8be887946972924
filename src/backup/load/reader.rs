//! The reader thread of a load: parses the archive, picks the selected collections and
//! demultiplexes their documents into one bounded channel per collection.

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

use color_eyre::eyre::{self, bail, eyre};
use mongodb::bson::RawDocumentBuf;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::LoadOptions;
use crate::backup::archive::{
    ArchiveEvent, ArchiveHeader, ArchiveReader, CollectionKind, CollectionPrelude,
};
use crate::backup::progress::Cancelled;

/// Batches that may wait in one collection's channel.
const QUEUED_BATCHES: usize = 2;

/// Control messages from the reader thread.
pub(super) enum FromReader {
    /// The archive's prelude with the selected collections and their channels.
    Prelude {
        header: ArchiveHeader,
        source_db: String,
        selected: Vec<CollectionPrelude>,
        receivers: Vec<mpsc::Receiver<ToCollection>>,
    },
    /// Every selected collection got its EOF.
    End,
}

/// What the reader sends to one collection's task.
pub(super) enum ToCollection {
    /// A batch of documents and the archive offset reached.
    Docs {
        docs: Vec<RawDocumentBuf>,
        offset: u64,
    },
    /// The collection's EOF with the archive's and the recomputed CRC.
    Eof {
        documents: u64,
        crc_expected: u64,
        crc_actual: u64,
    },
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

/// Documents of one collection collected for its next batch.
#[derive(Default)]
struct Pending {
    docs: Vec<RawDocumentBuf>,
    /// Raw bytes of `docs`.
    bytes: usize,
}

/// The reader thread: prelude (with the channels), then batches per collection, then EOFs.
pub(super) fn read_archive(
    archive: impl Read,
    opts: &LoadOptions,
    ctl: &mpsc::Sender<eyre::Result<FromReader>>,
    archive_bytes: &AtomicU64,
    cancel: &CancellationToken,
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
    let unsupported = selected.iter().find(|p| {
        !matches!(
            p.metadata.kind,
            CollectionKind::Collection | CollectionKind::View
        )
    });
    if let Some(p) = unsupported {
        bail!(
            "{} is a {} collection, which scandyctl cannot restore yet (refused: it would \
             not come back as the same kind of collection)",
            p.namespace(),
            p.metadata.kind.as_str()
        );
    }
    let (senders, receivers): (Vec<_>, Vec<_>) = selected
        .iter()
        .map(|_| mpsc::channel::<ToCollection>(QUEUED_BATCHES))
        .unzip();
    ctl.blocking_send(Ok(FromReader::Prelude {
        header: reader.header().clone(),
        source_db,
        selected,
        receivers,
    }))
    .map_err(|_| eyre!("the load stopped (cancelled or failed)"))?;
    let send = |index: usize, msg: ToCollection| -> eyre::Result<()> {
        if cancel.is_cancelled() {
            return Err(Cancelled.into());
        }
        senders[index]
            .blocking_send(msg)
            .map_err(|_| eyre::Report::new(Cancelled))
    };
    let mut pending: Vec<Pending> = senders.iter().map(|_| Pending::default()).collect();
    let mut pending_bytes = 0usize;
    let batch_documents = opts.batch_documents.max(1);
    let batch_bytes = opts.batch_bytes.max(1);
    let mut events = 0u64;
    while let Some(event) = reader.next_event()? {
        events += 1;
        if events.is_multiple_of(4096) && cancel.is_cancelled() {
            return Err(Cancelled.into());
        }
        match event {
            ArchiveEvent::Document {
                db,
                collection,
                bytes,
            } => {
                let Some(&index) = positions.get(&(db, collection)) else {
                    continue;
                };
                let size = bytes.as_bytes().len();
                let batch = &mut pending[index];
                if !batch.docs.is_empty()
                    && (batch.docs.len() >= batch_documents || batch.bytes + size > batch_bytes)
                {
                    pending_bytes -= batch.bytes;
                    flush(batch, index, reader.offset(), archive_bytes, &send)?;
                }
                let batch = &mut pending[index];
                batch.bytes += size;
                batch.docs.push(bytes);
                pending_bytes += size;
                // An archive interleaving many collections must not hold a batch of each.
                if pending_bytes > 2 * batch_bytes {
                    for (other, batch) in pending.iter_mut().enumerate() {
                        if other != index && !batch.docs.is_empty() {
                            pending_bytes -= batch.bytes;
                            flush(batch, other, reader.offset(), archive_bytes, &send)?;
                        }
                    }
                }
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
                pending_bytes -= pending[index].bytes;
                flush(
                    &mut pending[index],
                    index,
                    reader.offset(),
                    archive_bytes,
                    &send,
                )?;
                archive_bytes.store(reader.offset(), Ordering::Relaxed);
                send(
                    index,
                    ToCollection::Eof {
                        documents,
                        crc_expected,
                        crc_actual,
                    },
                )?;
            }
        }
    }
    drop(senders);
    ctl.blocking_send(Ok(FromReader::End))
        .map_err(|_| eyre!("the load stopped (cancelled or failed)"))
}

/// Sends a collection's pending documents, if any, with the archive offset reached.
fn flush(
    batch: &mut Pending,
    index: usize,
    offset: u64,
    archive_bytes: &AtomicU64,
    send: &dyn Fn(usize, ToCollection) -> eyre::Result<()>,
) -> eyre::Result<()> {
    if batch.docs.is_empty() {
        return Ok(());
    }
    batch.bytes = 0;
    archive_bytes.store(offset, Ordering::Relaxed);
    send(
        index,
        ToCollection::Docs {
            docs: std::mem::take(&mut batch.docs),
            offset,
        },
    )
}
