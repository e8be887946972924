//! Dumping a database into a mongodump archive.
//!
//! Like `mongodump --db <db> --archive`: `listCollections` (without `system.*` and a
//! restore's staging collections), per
//! collection its options, `listIndexes` output and UUID go into the prelude; then each
//! collection's documents are read as raw BSON and written unchanged, one collection at
//! a time (`concurrent_collections: 1`). Views get metadata and an empty segment.
//!
//! The driver is async and the archive writer is blocking: documents travel to a
//! blocking thread in batches of bounded size through a bounded channel, so memory
//! stays at a few tens of MB whatever the database size.

use std::io::Write;
use std::time::{Duration, Instant};

use color_eyre::eyre::{self, WrapErr, bail, eyre};
use futures::TryStreamExt;
use mongodb::Database;
use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{Bson, Document, RawDocumentBuf, doc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::archive::{
    ArchiveHeader, ArchiveWriter, CollectionKind, CollectionMetadata, CollectionPrelude,
    CollectionTotals,
};
use super::chain::fingerprint::id_key_of_bson;
use super::chain::tracker::{ChangeTracker, Source};
use super::progress::Cancelled;

/// `_id`s asked for in one query when the oplog names the changed documents.
const IDS_PER_QUERY: usize = 1000;

/// How to dump.
#[derive(Debug, Clone, PartialEq)]
pub struct DumpOptions {
    /// Only these collections (and views); `None` dumps all but `system.*`.
    pub collections: Option<Vec<String>>,
    /// Cursor batch size asked from the server.
    pub cursor_batch_size: u32,
    /// Ask the server for document counts and sizes first, for progress totals and the
    /// prelude `size`; off, the prelude `size` is 0 as mongodump writes it (some servers
    /// answer `count`/`collStats` by scanning, which can cost more than the dump itself).
    pub estimate_totals: bool,
    /// Raw bytes per batch handed to the writer thread.
    pub batch_bytes: usize,
    /// Batches that may wait for the writer (bounds memory with `batch_bytes`).
    pub queued_batches: usize,
    /// `tool_version` of the archive header.
    pub tool_version: String,
}

impl Default for DumpOptions {
    fn default() -> Self {
        DumpOptions {
            collections: None,
            cursor_batch_size: 5000,
            estimate_totals: true,
            batch_bytes: 4 * 1024 * 1024,
            queued_batches: 4,
            tool_version: format!("scandyctl {}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// Progress of a running dump, reported after each batch.
#[derive(Debug, Clone, PartialEq)]
pub struct DumpProgress {
    /// Collection being dumped.
    pub collection: String,
    /// Its position (0-based) among the dumped collections.
    pub collection_index: usize,
    /// Number of collections and views being dumped.
    pub collection_count: usize,
    /// Documents of this collection read so far.
    pub documents: u64,
    /// The server's estimate of this collection's documents.
    pub documents_estimated: u64,
    /// Documents of all collections read so far.
    pub total_documents: u64,
    /// Raw BSON bytes of all collections read so far.
    pub total_bytes: u64,
    /// The server's estimate of all collections' documents (taken before the dump).
    pub total_documents_estimated: u64,
    /// The server's estimate of all collections' data bytes (`collStats.size`, 0 if unknown).
    pub total_bytes_estimated: u64,
}

/// What was dumped of one collection or view.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionDump {
    /// Collection name.
    pub name: String,
    /// Collection or view.
    pub kind: CollectionKind,
    /// Documents written.
    pub documents: u64,
    /// Raw BSON bytes written.
    pub bytes: u64,
    /// CRC-64 stored in the archive for this collection.
    pub crc: u64,
    /// Collection options as `listCollections` reported them.
    pub options: Document,
    /// Index specifications as `listIndexes` reported them.
    pub indexes: Vec<Document>,
}

/// The result of [`dump_database`].
#[derive(Debug, Clone, PartialEq)]
pub struct DumpSummary {
    /// Version of the dumped server (as written into the archive header).
    pub server_version: String,
    /// Every dumped collection and view, in archive order.
    pub collections: Vec<CollectionDump>,
    /// Uncompressed archive size in bytes.
    pub archive_bytes: u64,
    /// Wall time of the dump.
    pub elapsed: Duration,
}

impl DumpSummary {
    /// Returns the number of documents over all collections.
    pub fn total_documents(&self) -> u64 {
        self.collections.iter().map(|c| c.documents).sum()
    }
}

/// Messages to the writer thread.
enum ToWriter {
    Docs(Vec<RawDocumentBuf>),
    Finish(usize),
}

/// Dumps `db` as a mongodump archive into `out` (flushed, then dropped).
///
/// For a compressing writer that needs an explicit finish, use [`dump_database_into`].
pub async fn dump_database(
    db: &Database,
    out: impl Write + Send + 'static,
    opts: &DumpOptions,
    progress: impl Fn(DumpProgress) + Send + Sync + 'static,
    cancel: CancellationToken,
) -> eyre::Result<DumpSummary> {
    dump_database_into(db, out, opts, progress, cancel)
        .await
        .map(|(summary, _out)| summary)
}

/// Dumps `db` as a mongodump archive into `out` and hands `out` back, flushed.
pub async fn dump_database_into<W: Write + Send + 'static>(
    db: &Database,
    out: W,
    opts: &DumpOptions,
    progress: impl Fn(DumpProgress) + Send + Sync + 'static,
    cancel: CancellationToken,
) -> eyre::Result<(DumpSummary, W)> {
    dump_database_tracked(db, out, opts, None, progress, cancel)
        .await
        .map(|(summary, out, _)| (summary, out))
}

/// [`dump_database_into`] with a [`ChangeTracker`]: every document is fingerprinted and only
/// those the tracker wants are written (an incremental); collections the tracker reads by
/// `_id` are not scanned. The tracker comes back with what it learned.
pub async fn dump_database_tracked<W: Write + Send + 'static>(
    db: &Database,
    out: W,
    opts: &DumpOptions,
    mut tracker: Option<ChangeTracker>,
    progress: impl Fn(DumpProgress) + Send + Sync + 'static,
    cancel: CancellationToken,
) -> eyre::Result<(DumpSummary, W, Option<ChangeTracker>)> {
    let started = Instant::now();
    let server_version = server_version(db).await;
    let plan = plan_collections(db, opts).await?;
    if cancel.is_cancelled() {
        return Err(Cancelled.into());
    }
    let header = ArchiveHeader::new(&server_version, &opts.tool_version);
    let preludes: Vec<CollectionPrelude> = plan.iter().map(|p| p.prelude.clone()).collect();
    let (tx, rx) = mpsc::channel::<ToWriter>(opts.queued_batches.max(1));
    let writer = tokio::task::spawn_blocking(move || write_archive(out, header, preludes, rx));

    let read = read_collections(db, &plan, opts, tracker.as_mut(), &tx, &progress, &cancel).await;
    drop(tx);
    let written = writer
        .await
        .map_err(|e| eyre!("the archive writer thread failed: {e}"));
    // A read error explains a writer that stopped early; report it first, unless the reader
    // only stopped because the writer did: then the writer's error (e.g. disk full) is the cause.
    if let Err(err) = read {
        if err.is::<WriterStopped>() {
            written??;
        }
        return Err(err);
    }
    let (totals, archive_bytes, out) = written??;
    let collections = plan
        .into_iter()
        .zip(totals)
        .map(|(p, t)| CollectionDump {
            name: p.prelude.collection,
            kind: p.prelude.metadata.kind,
            documents: t.documents,
            bytes: t.bytes,
            crc: t.crc,
            options: p.prelude.metadata.options,
            indexes: p.prelude.metadata.indexes,
        })
        .collect();
    Ok((
        DumpSummary {
            server_version,
            collections,
            archive_bytes,
            elapsed: started.elapsed(),
        },
        out,
        tracker,
    ))
}

/// One collection to dump.
struct Planned {
    prelude: CollectionPrelude,
    estimated: u64,
}

/// Returns the server version for the archive header; mongorestore parses it as `x.y.z`.
async fn server_version(db: &Database) -> String {
    match db.run_command(doc! { "buildInfo": 1 }).await {
        Ok(info) => match info.get_str("version") {
            Ok(v) if v.split('.').count() >= 3 => v.to_string(),
            Ok(v) if !v.is_empty() => format!("{v}.0"),
            _ => "0.0.0".to_string(),
        },
        Err(_) => "0.0.0".to_string(),
    }
}

/// Lists the collections and views to dump with their metadata, collections first.
async fn plan_collections(db: &Database, opts: &DumpOptions) -> eyre::Result<Vec<Planned>> {
    let name = db.name();
    let mut specs: Vec<Document> = db
        .run_cursor_command(doc! { "listCollections": 1 })
        .await
        .wrap_err_with(|| format!("cannot list the collections of {name}"))?
        .try_collect()
        .await
        .wrap_err_with(|| format!("cannot list the collections of {name}"))?;
    // Neither `system.*` nor the staging collections of a restore running meanwhile.
    specs.retain(|s| {
        s.get_str("name").is_ok_and(|n| {
            !n.starts_with("system.") && !crate::backup::restore::is_staging_collection(n)
        })
    });
    if let Some(wanted) = &opts.collections {
        let missing: Vec<&String> = wanted
            .iter()
            .filter(|w| {
                !specs
                    .iter()
                    .any(|s| s.get_str("name").ok() == Some(w.as_str()))
            })
            .collect();
        if !missing.is_empty() {
            bail!(
                "database {name} has no collection {}",
                missing
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        specs.retain(|s| {
            s.get_str("name")
                .is_ok_and(|n| wanted.iter().any(|w| w == n))
        });
    }
    let mut plan = Vec::with_capacity(specs.len());
    for spec in specs {
        let coll = spec.get_str("name").unwrap_or_default().to_string();
        let kind = CollectionKind::parse(spec.get_str("type").unwrap_or("collection"));
        if !matches!(kind, CollectionKind::Collection | CollectionKind::View) {
            bail!(
                "{name}.{coll} is a {} collection, which scandyctl cannot back up yet",
                kind.as_str()
            );
        }
        let options = spec.get_document("options").cloned().unwrap_or_default();
        let uuid = spec
            .get_document("info")
            .ok()
            .and_then(|info| info.get("uuid"))
            .and_then(|u| match u {
                Bson::Binary(b) if b.subtype == BinarySubtype::Uuid => Some(hex(&b.bytes)),
                _ => None,
            });
        let (indexes, estimated, size) = if kind == CollectionKind::Collection {
            let indexes: Vec<Document> = db
                .run_cursor_command(doc! { "listIndexes": coll.as_str() })
                .await
                .wrap_err_with(|| format!("cannot list the indexes of {name}.{coll}"))?
                .try_collect()
                .await
                .wrap_err_with(|| format!("cannot list the indexes of {name}.{coll}"))?;
            if opts.estimate_totals {
                let handle = db.collection::<Document>(&coll);
                let estimated = handle.estimated_document_count().await.unwrap_or(0);
                (indexes, estimated, data_size(db, &coll).await)
            } else {
                (indexes, 0, 0)
            }
        } else {
            (Vec::new(), 0, 0)
        };
        plan.push(Planned {
            prelude: CollectionPrelude {
                db: name.to_string(),
                collection: coll.clone(),
                metadata: CollectionMetadata {
                    collection_name: coll,
                    options,
                    indexes,
                    uuid,
                    kind,
                },
                size,
            },
            estimated,
        });
    }
    plan.sort_by(|a, b| {
        let view = |p: &Planned| p.prelude.metadata.kind == CollectionKind::View;
        (view(a), &a.prelude.collection).cmp(&(view(b), &b.prelude.collection))
    });
    Ok(plan)
}

/// Returns the collection's uncompressed data size from `collStats`, 0 if unknown.
async fn data_size(db: &Database, coll: &str) -> i64 {
    match db.run_command(doc! { "collStats": coll }).await {
        Ok(stats) => match stats.get("size") {
            Some(Bson::Int32(v)) => i64::from(*v),
            Some(Bson::Int64(v)) => *v,
            Some(Bson::Double(v)) => *v as i64,
            _ => 0,
        },
        Err(_) => 0,
    }
}

/// Reads every planned collection and feeds the writer thread.
async fn read_collections(
    db: &Database,
    plan: &[Planned],
    opts: &DumpOptions,
    mut tracker: Option<&mut ChangeTracker>,
    tx: &mpsc::Sender<ToWriter>,
    progress: &(impl Fn(DumpProgress) + Send + Sync),
    cancel: &CancellationToken,
) -> eyre::Result<()> {
    let name = db.name();
    let total_documents_estimated = plan.iter().map(|p| p.estimated).sum();
    let total_bytes_estimated = plan.iter().map(|p| p.prelude.size.max(0) as u64).sum();
    let mut total_documents = 0u64;
    let mut total_bytes = 0u64;
    for (index, planned) in plan.iter().enumerate() {
        let coll = &planned.prelude.collection;
        let report = |documents: u64, total_documents: u64, total_bytes: u64| {
            progress(DumpProgress {
                collection: coll.clone(),
                collection_index: index,
                collection_count: plan.len(),
                documents,
                documents_estimated: planned.estimated,
                total_documents,
                total_bytes,
                total_documents_estimated,
                total_bytes_estimated,
            })
        };
        report(0, total_documents, total_bytes);
        if planned.prelude.metadata.kind == CollectionKind::Collection {
            let handle = db.collection::<RawDocumentBuf>(coll);
            let source = tracker.as_ref().map_or(Source::Scan, |t| t.source(coll));
            if let Some(t) = tracker.as_mut() {
                t.begin(coll);
            }
            let (queries, asked) = match source {
                Source::Scan => (vec![doc! {}], Vec::new()),
                Source::Ids(ids) => {
                    let asked = ids.iter().filter_map(id_key_of_bson).collect();
                    let queries = ids
                        .chunks(IDS_PER_QUERY)
                        .map(|chunk| doc! { "_id": { "$in": chunk.to_vec() } })
                        .collect();
                    (queries, asked)
                }
            };
            let mut done = 0u64;
            let mut batch: Vec<RawDocumentBuf> = Vec::new();
            let mut batch_bytes = 0usize;
            for filter in queries {
                let mut cursor = tokio::select! {
                    biased;
                    _ = cancel.cancelled() => return Err(Cancelled.into()),
                    c = handle.find(filter).batch_size(opts.cursor_batch_size) => c
                        .wrap_err_with(|| format!("cannot read {name}.{coll}"))?,
                };
                loop {
                    let next = tokio::select! {
                        biased;
                        _ = cancel.cancelled() => return Err(Cancelled.into()),
                        next = cursor.try_next() => next.wrap_err_with(|| {
                            format!("cannot read {name}.{coll} after {done} documents")
                        })?,
                    };
                    let Some(doc) = next else { break };
                    done += 1;
                    total_documents += 1;
                    total_bytes += doc.as_bytes().len() as u64;
                    if let Some(t) = tracker.as_mut()
                        && !t.observe(doc.as_bytes())?
                    {
                        // Unchanged: not written, but a long scan still shows progress.
                        if done.is_multiple_of(u64::from(opts.cursor_batch_size.max(1))) {
                            report(done, total_documents, total_bytes);
                        }
                        continue;
                    }
                    batch_bytes += doc.as_bytes().len();
                    batch.push(doc);
                    if batch_bytes >= opts.batch_bytes {
                        send(tx, ToWriter::Docs(std::mem::take(&mut batch)), cancel).await?;
                        batch_bytes = 0;
                        report(done, total_documents, total_bytes);
                    }
                }
            }
            if let Some(t) = tracker.as_mut() {
                t.end(&asked);
            }
            if !batch.is_empty() {
                send(tx, ToWriter::Docs(batch), cancel).await?;
            }
            report(done, total_documents, total_bytes);
        }
        send(tx, ToWriter::Finish(index), cancel).await?;
        if index == 0 {
            // Test hook: the first collection is with the writer, the next is not yet read.
            tokio::task::spawn_blocking(|| super::create::test_pause("during-dump"))
                .await
                .map_err(|e| eyre!("the test pause failed: {e}"))?;
        }
    }
    Ok(())
}

/// Hands a message to the writer; fails on cancel or when the writer stopped.
async fn send(
    tx: &mpsc::Sender<ToWriter>,
    msg: ToWriter,
    cancel: &CancellationToken,
) -> eyre::Result<()> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(Cancelled.into()),
        sent = tx.send(msg) => sent.map_err(|_| eyre::Report::new(WriterStopped)),
    }
}

/// The writer thread ended before the reader was done; its own result says why.
#[derive(Debug)]
struct WriterStopped;

impl std::fmt::Display for WriterStopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the archive writer stopped early")
    }
}

impl std::error::Error for WriterStopped {}

/// The writer thread: prelude, then documents as they arrive, then EOFs.
fn write_archive<W: Write>(
    out: W,
    header: ArchiveHeader,
    preludes: Vec<CollectionPrelude>,
    mut rx: mpsc::Receiver<ToWriter>,
) -> eyre::Result<(Vec<CollectionTotals>, u64, W)> {
    let mut writer =
        ArchiveWriter::new(out, &header, &preludes).wrap_err("cannot write the archive prelude")?;
    let mut totals = Vec::with_capacity(preludes.len());
    let mut current = 0usize;
    while let Some(msg) = rx.blocking_recv() {
        let prelude = preludes
            .get(current)
            .ok_or_else(|| eyre!("the dump sent more collections than planned"))?;
        match msg {
            ToWriter::Docs(docs) => writer
                .write_segment(
                    &prelude.db,
                    &prelude.collection,
                    docs.iter().map(|d| d.as_bytes()),
                )
                .wrap_err_with(|| {
                    format!(
                        "cannot write {} to the archive (at archive byte {})",
                        prelude.namespace(),
                        writer.bytes_written()
                    )
                })?,
            ToWriter::Finish(index) => {
                if index != current {
                    bail!("the dump finished collection {index} while writing {current}");
                }
                let t = writer
                    .finish_collection(&prelude.db, &prelude.collection)
                    .wrap_err_with(|| {
                        format!("cannot finish {} in the archive", prelude.namespace())
                    })?;
                totals.push(t);
                current += 1;
            }
        }
    }
    if totals.len() != preludes.len() {
        bail!(
            "the dump stopped after {} of {} collections",
            totals.len(),
            preludes.len()
        );
    }
    let bytes = writer.bytes_written();
    let out = writer.finish().wrap_err("cannot finish the archive")?;
    Ok((totals, bytes, out))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
