//! Replaying a chain: the state at its last set as one ordinary mongodump archive and one
//! tar, streamed from the members of every link (memory bounded by the changed keys, no
//! temporary copy). Per collection, the base's documents come first (without those a
//! later link replaced or deleted), then each later link's documents that are still the
//! newest version; the result is checked against the fingerprints the set recorded.

use std::collections::HashMap;
use std::io::{self, Read, Write};

use color_eyre::eyre::{self, Result, WrapErr, bail, eyre};

use super::files_index::{FILES_INDEX_MEMBER, path_key, read_files_index};
use super::fingerprint::{
    FINGERPRINTS_MEMBER, Fingerprints, TableKind, doc_hash, id_key, read_fingerprints,
};
use super::links::Chain;
use crate::backup::archive::{
    ArchiveEvent, ArchiveReader, ArchiveWriter, CollectionKind, CollectionTotals,
};
use crate::backup::extract::ExtractLimits;
use crate::backup::manifest::MemberContent;
use crate::backup::member::open_member_with_hint;
use crate::backup::verify::hint_for;

/// Marks a key whose newest change is a delete.
const DELETED: u32 = u32::MAX;
/// Documents handed to the archive writer at once.
const SEGMENT_DOCS: usize = 1000;

/// One collection of a replayed archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayedCollection {
    /// Collection or view name.
    pub name: String,
    /// Collection or view.
    pub kind: CollectionKind,
    /// What was written.
    pub totals: CollectionTotals,
}

struct Layer {
    reader: ArchiveReader<Box<dyn Read + Send>>,
    pending: Option<ArchiveEvent>,
    order: HashMap<String, usize>,
    fingerprints: Fingerprints,
    id: String,
}

impl Layer {
    /// Feeds `collection`'s documents of this layer to `each`; checks its CRC.
    fn read_collection(
        &mut self,
        collection: &str,
        each: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        let Some(&wanted) = self.order.get(collection) else {
            bail!(
                "set {} has no collection {collection} in its archive",
                self.id
            );
        };
        loop {
            let event = match self.pending.take() {
                Some(event) => event,
                None => self
                    .reader
                    .next_event()?
                    .ok_or_else(|| eyre!("the archive of {} ended before {collection}", self.id))?,
            };
            let name = match &event {
                ArchiveEvent::Document { collection, .. } => collection,
                ArchiveEvent::CollectionEof { collection, .. } => collection,
            };
            if name != collection {
                if self.order.get(name).is_some_and(|&i| i < wanted) {
                    continue;
                }
                self.pending = Some(event);
                bail!("the archive of {} has no end for {collection}", self.id);
            }
            match event {
                ArchiveEvent::Document { bytes, .. } => each(bytes.as_bytes())?,
                ArchiveEvent::CollectionEof {
                    crc_expected,
                    crc_actual,
                    ..
                } => {
                    if crc_expected != crc_actual {
                        bail!(
                            "the archive of {} is damaged: CRC of {collection} is {crc_actual:016x}, its end says {crc_expected:016x}",
                            self.id
                        );
                    }
                    return Ok(());
                }
            }
        }
    }
}

/// Writes the database state at the chain's last set into `out` as a mongodump archive.
pub fn write_chain_archive<W: Write>(
    chain: &Chain,
    identities: &[age::x25519::Identity],
    out: W,
) -> Result<(W, Vec<ReplayedCollection>)> {
    let mut layers = Vec::with_capacity(chain.links.len());
    for link in &chain.links {
        let member = link
            .manifest
            .member(MemberContent::MongoArchive)
            .ok_or_else(|| eyre!("set {} has no database member", link.id))?;
        let input = open_member_with_hint(
            &link.dir.join(&member.name),
            identities,
            &hint_for(&link.manifest),
        )?;
        let reader = ArchiveReader::new(input)
            .wrap_err_with(|| format!("cannot read the archive of {}", link.id))?;
        let order = reader
            .preludes()
            .iter()
            .enumerate()
            .map(|(i, p)| (p.collection.clone(), i))
            .collect();
        let fingerprints = read_fingerprints(&link.dir.join(FINGERPRINTS_MEMBER))?;
        layers.push(Layer {
            reader,
            pending: None,
            order,
            fingerprints,
            id: link.id.clone(),
        });
    }
    let target = layers.last().expect("a chain has a link");
    let header = target.reader.header().clone();
    let preludes = target.reader.preludes().to_vec();
    let mut writer =
        ArchiveWriter::new(out, &header, &preludes).wrap_err("cannot write the archive prelude")?;
    let mut replayed = Vec::with_capacity(preludes.len());
    let last = layers.len() - 1;
    for prelude in &preludes {
        let name = &prelude.collection;
        if prelude.metadata.kind == CollectionKind::Collection {
            let expected = layers[last]
                .fingerprints
                .get(name)
                .cloned()
                .ok_or_else(|| eyre!("set {} has no fingerprints of {name}", layers[last].id))?;
            let base = (0..=last)
                .rev()
                .find(|&l| {
                    layers[l]
                        .fingerprints
                        .get(name)
                        .is_some_and(|f| f.kind == TableKind::Full)
                })
                .ok_or_else(|| eyre!("no set of the chain holds all of {name}"))?;
            let mut newest: HashMap<u128, u32> = HashMap::new();
            for (l, layer) in layers.iter().enumerate().skip(base + 1) {
                let table = layer
                    .fingerprints
                    .get(name)
                    .ok_or_else(|| eyre!("set {} has no fingerprints of {name}", layer.id))?;
                for key in &table.deletes {
                    newest.insert(*key, DELETED);
                }
                for (key, _) in &table.upserts {
                    newest.insert(*key, l as u32);
                }
            }
            let (mut documents, mut digest) = (0u64, 0u128);
            let mut segment: Vec<Vec<u8>> = Vec::with_capacity(SEGMENT_DOCS);
            for (l, layer) in layers.iter_mut().enumerate().skip(base) {
                let mut each = |doc: &[u8]| -> Result<()> {
                    let key = id_key(doc)
                        .ok_or_else(|| eyre!("a document of {name} has no readable _id"))?;
                    let keep = match newest.get(&key) {
                        None => l == base,
                        Some(&at) => at == l as u32,
                    };
                    if keep {
                        documents += 1;
                        digest = digest.wrapping_add(doc_hash(doc));
                        segment.push(doc.to_vec());
                        if segment.len() >= SEGMENT_DOCS {
                            writer.write_segment(
                                &prelude.db,
                                name,
                                segment.iter().map(|d| d.as_slice()),
                            )?;
                            segment.clear();
                        }
                    }
                    Ok(())
                };
                layer.read_collection(name, &mut each)?;
            }
            if !segment.is_empty() {
                writer.write_segment(&prelude.db, name, segment.iter().map(|d| d.as_slice()))?;
            }
            if documents != expected.state_documents || digest != expected.state_digest {
                bail!(
                    "replaying the chain of {} gives {documents} documents of {name} that do not match its fingerprints ({} documents recorded)",
                    layers[last].id,
                    expected.state_documents
                );
            }
        }
        let totals = writer
            .finish_collection(&prelude.db, name)
            .wrap_err_with(|| format!("cannot finish {name} in the archive"))?;
        replayed.push(ReplayedCollection {
            name: name.clone(),
            kind: prelude.metadata.kind.clone(),
            totals,
        });
    }
    let out = writer.finish().wrap_err("cannot finish the archive")?;
    Ok((out, replayed))
}

/// What [`write_chain_tar`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayedFiles {
    /// Entries written.
    pub entries: u64,
    /// Regular files written.
    pub files: u64,
    /// Bytes of file content written.
    pub bytes: u64,
}

/// Writes the files state at the chain's last set into `out` as a tar.
pub fn write_chain_tar<W: Write>(
    chain: &Chain,
    identities: &[age::x25519::Identity],
    out: W,
) -> Result<(W, ReplayedFiles)> {
    let mut newest: HashMap<u128, u32> = HashMap::new();
    for (l, link) in chain.links.iter().enumerate().skip(1) {
        let index = read_files_index(&link.dir.join(FILES_INDEX_MEMBER))?;
        for key in &index.deletes {
            newest.insert(*key, DELETED);
        }
        for (key, _) in &index.upserts {
            newest.insert(*key, l as u32);
        }
    }
    let mut builder = tar::Builder::new(out);
    let mut written = ReplayedFiles::default();
    for (l, link) in chain.links.iter().enumerate() {
        let member = link
            .manifest
            .member(MemberContent::FilesTar)
            .ok_or_else(|| eyre!("set {} has no files member", link.id))?;
        let input = open_member_with_hint(
            &link.dir.join(&member.name),
            identities,
            &hint_for(&link.manifest),
        )?;
        let mut archive = tar::Archive::new(io::BufReader::with_capacity(256 * 1024, input));
        let context = || format!("cannot read the files of {}", link.id);
        for entry in archive.entries().wrap_err_with(context)? {
            let mut entry = entry.wrap_err_with(context)?;
            let path = entry
                .path()
                .wrap_err_with(context)?
                .to_string_lossy()
                .into_owned();
            let keep = match newest.get(&path_key(&path)) {
                None => l == 0,
                Some(&at) => at == l as u32,
            };
            if !keep {
                continue;
            }
            let mut header = entry.header().clone();
            let kind = header.entry_type();
            if kind.is_symlink() {
                let target = entry
                    .link_name()
                    .wrap_err_with(context)?
                    .ok_or_else(|| eyre!("symlink {path} in {} has no target", link.id))?
                    .into_owned();
                builder
                    .append_link(&mut header, &path, target)
                    .wrap_err("cannot write the files archive")?;
            } else {
                let size = entry.size();
                builder
                    .append_data(&mut header, &path, &mut entry)
                    .wrap_err("cannot write the files archive")?;
                if kind.is_file() {
                    written.files += 1;
                    written.bytes += size;
                }
            }
            written.entries += 1;
        }
    }
    let out = builder
        .into_inner()
        .wrap_err("cannot finish the files archive")?;
    Ok((out, written))
}

/// Limits for extracting a replayed tar: the state's size at the target set.
pub fn chain_limits(chain: &Chain) -> ExtractLimits {
    let files = &chain.target().manifest;
    let (count, bytes) = files
        .increment
        .as_ref()
        .map(|i| (i.files.files, i.files.bytes))
        .unwrap_or((files.files.files, files.files.bytes));
    ExtractLimits {
        max_total_bytes: bytes + bytes / 10 + (1 << 20),
        max_entries: count * 2 + 10_000,
    }
}

/// A reader of what `write` produces on a thread (the chain's archive or tar); an error of
/// the writer ends the stream with that error.
pub fn spawn_stream(
    what: &'static str,
    write: impl FnOnce(PipeWriter) -> eyre::Result<()> + Send + 'static,
) -> Box<dyn Read + Send> {
    let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(8);
    let error_tx = tx.clone();
    std::thread::Builder::new()
        .name(format!("scandyctl-replay-{what}"))
        .spawn(move || {
            let writer = PipeWriter {
                tx,
                buf: Vec::with_capacity(CHUNK),
            };
            if let Err(err) = write(writer) {
                let _ = error_tx.send(Err(io::Error::other(format!("{err:#}"))));
            }
        })
        .map_or_else(
            |e| {
                let (tx2, rx2) = std::sync::mpsc::sync_channel(1);
                let _ = tx2.send(Err(io::Error::other(format!(
                    "cannot start the replay thread: {e}"
                ))));
                Box::new(PipeReader {
                    rx: rx2,
                    chunk: Vec::new(),
                    at: 0,
                }) as Box<dyn Read + Send>
            },
            |_| {
                Box::new(PipeReader {
                    rx,
                    chunk: Vec::new(),
                    at: 0,
                })
            },
        )
}

/// Bytes per chunk sent through the pipe.
const CHUNK: usize = 256 * 1024;

/// The writing end of [`spawn_stream`].
pub struct PipeWriter {
    tx: std::sync::mpsc::SyncSender<io::Result<Vec<u8>>>,
    buf: Vec<u8>,
}

impl Write for PipeWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the reader went away"))
    }
}

impl Drop for PipeWriter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

struct PipeReader {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Ok(Err(err)) => return Err(err),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
