//! Reading a mongodump archive as a stream of documents and namespace ends.
//!
//! The checks follow mongorestore's parser and demultiplexer
//! (`common/archive/parser.go`, `demultiplexer.go`): a length is either the terminator
//! or within 5..=16 MiB (plus 16 KiB slack here), every document ends with a NUL, a
//! block needs a header, data needs an open namespace, a closed namespace cannot
//! reopen, and the archive may only end after every prelude namespace got its EOF.
//! Nothing is allocated before a length passed those limits.

use std::collections::HashMap;
use std::io::{self, BufReader, Read};

use color_eyre::eyre::{self, WrapErr, bail, eyre};
use mongodb::bson::{RawDocument, RawDocumentBuf};

use super::crc::NamespaceChecksum;
use super::format::{
    ArchiveHeader, MAGIC_BYTES, MAX_BSON_LEN, MIN_BSON_LEN, NamespaceHeader, TERMINATOR,
};
use super::metadata::CollectionPrelude;

/// Size of the read buffer in front of the (possibly decompressing) input.
const BUFFER: usize = 256 * 1024;

/// One thing found in the archive's data part.
#[derive(Debug, Clone, PartialEq)]
pub enum ArchiveEvent {
    /// A document of a namespace, bytes exactly as stored.
    Document {
        /// Database name.
        db: String,
        /// Collection name.
        collection: String,
        /// The raw BSON document.
        bytes: RawDocumentBuf,
    },
    /// The end of a namespace, with the stored and the recomputed checksum.
    CollectionEof {
        /// Database name.
        db: String,
        /// Collection name.
        collection: String,
        /// Number of documents the archive held for it.
        documents: u64,
        /// Raw BSON bytes of those documents.
        bytes: u64,
        /// CRC from the EOF header.
        crc_expected: u64,
        /// CRC computed over the documents read.
        crc_actual: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Unopened,
    Open,
    Closed,
}

struct NamespaceState {
    status: Status,
    checksum: NamespaceChecksum,
}

enum Frame {
    /// Clean end of input at a frame boundary.
    End,
    /// `0xffffffff`.
    Terminator,
    /// A framed BSON document.
    Document(Vec<u8>),
}

/// Reads a mongodump `--archive` stream; [`ArchiveReader::new`] consumes and checks the prelude.
pub struct ArchiveReader<R: Read> {
    input: BufReader<R>,
    offset: u64,
    header: ArchiveHeader,
    preludes: Vec<CollectionPrelude>,
    states: HashMap<(String, String), NamespaceState>,
    /// The namespace whose segment is being read.
    current: Option<(String, String)>,
    done: bool,
}

impl<R: Read> ArchiveReader<R> {
    /// Checks the magic number and reads the header and every collection-metadata document.
    pub fn new(input: R) -> eyre::Result<Self> {
        let mut reader = ArchiveReader {
            input: BufReader::with_capacity(BUFFER, input),
            offset: 0,
            header: ArchiveHeader::new("", ""),
            preludes: Vec::new(),
            states: HashMap::new(),
            current: None,
            done: false,
        };
        let mut magic = [0u8; 4];
        let got = read_up_to(&mut reader.input, &mut magic)
            .wrap_err("cannot read the start of the archive")?;
        if got < magic.len() {
            bail!("not a mongodump archive: only {got} bytes, too short for the magic number");
        }
        if magic != MAGIC_BYTES {
            bail!(
                "not a mongodump archive: the magic number at byte 0 is {}, expected {}",
                hex(&magic),
                hex(&MAGIC_BYTES)
            );
        }
        reader.offset = 4;
        let at = reader.offset;
        reader.header = match reader.read_frame()? {
            Frame::Document(bytes) => ArchiveHeader::from_raw(doc_ref(&bytes, at)?)
                .wrap_err_with(|| format!("invalid archive header at byte {at}"))?,
            Frame::Terminator => bail!("the archive has no header (terminator at byte {at})"),
            Frame::End => bail!("the archive ends after the magic number (byte {at})"),
        };
        loop {
            let at = reader.offset;
            match reader.read_frame()? {
                Frame::Terminator => break,
                Frame::End => bail!("the archive is truncated in its prelude at byte {at}"),
                Frame::Document(bytes) => {
                    let prelude = CollectionPrelude::from_raw(doc_ref(&bytes, at)?)
                        .wrap_err_with(|| format!("invalid collection metadata at byte {at}"))?;
                    let key = (prelude.db.clone(), prelude.collection.clone());
                    if reader.states.contains_key(&key) {
                        bail!(
                            "collection {} appears twice in the prelude (byte {at})",
                            prelude.namespace()
                        );
                    }
                    reader.states.insert(
                        key,
                        NamespaceState {
                            status: Status::Unopened,
                            checksum: NamespaceChecksum::default(),
                        },
                    );
                    reader.preludes.push(prelude);
                }
            }
        }
        Ok(reader)
    }

    /// Returns the archive header.
    pub fn header(&self) -> &ArchiveHeader {
        &self.header
    }

    /// Returns the collection metadata of the prelude, in archive order.
    pub fn preludes(&self) -> &[CollectionPrelude] {
        &self.preludes
    }

    /// Returns how many archive bytes (after decompression) were consumed.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Returns the next document or namespace end; `None` once the archive ended cleanly.
    pub fn next_event(&mut self) -> eyre::Result<Option<ArchiveEvent>> {
        if self.done {
            return Ok(None);
        }
        loop {
            let at = self.offset;
            if let Some((db, coll)) = self.current.clone() {
                match self.read_frame()? {
                    Frame::End => bail!(
                        "the archive is truncated at byte {at}: it ends inside a block of {db}.{coll}"
                    ),
                    Frame::Terminator => self.current = None,
                    Frame::Document(bytes) => {
                        let bytes = RawDocumentBuf::from_bytes(bytes).map_err(|e| {
                            eyre!("malformed document of {db}.{coll} at byte {at}: {e}")
                        })?;
                        let key = (db, coll);
                        if let Some(state) = self.states.get_mut(&key) {
                            state.checksum.add_document(bytes.as_bytes());
                        }
                        let (db, collection) = key;
                        return Ok(Some(ArchiveEvent::Document {
                            db,
                            collection,
                            bytes,
                        }));
                    }
                }
                continue;
            }
            let header = match self.read_frame()? {
                Frame::End => {
                    self.check_complete(at)?;
                    self.done = true;
                    return Ok(None);
                }
                Frame::Terminator => {
                    bail!("corrupt archive: a terminator without a block header at byte {at}")
                }
                Frame::Document(bytes) => NamespaceHeader::from_raw(doc_ref(&bytes, at)?)
                    .wrap_err_with(|| format!("invalid namespace header at byte {at}"))?,
            };
            let key = (header.db.clone(), header.collection.clone());
            let ns = format!("{}.{}", header.db, header.collection);
            let state = self.states.get_mut(&key).ok_or_else(|| {
                eyre!("corrupt archive: {ns} at byte {at} is not in the archive prelude")
            })?;
            if state.status == Status::Closed {
                bail!("corrupt archive: {ns} continues at byte {at} after its end");
            }
            state.status = Status::Open;
            if !header.eof {
                self.current = Some(key);
                continue;
            }
            state.status = Status::Closed;
            let event = ArchiveEvent::CollectionEof {
                documents: state.checksum.documents(),
                bytes: state.checksum.bytes(),
                crc_expected: header.crc as u64,
                crc_actual: state.checksum.crc(),
                db: header.db,
                collection: header.collection,
            };
            let after = self.offset;
            match self.read_frame()? {
                Frame::Terminator => {}
                Frame::End => {
                    bail!(
                        "the archive is truncated at byte {after}: the end of {ns} lacks its terminator"
                    )
                }
                Frame::Document(_) => {
                    bail!("corrupt archive: data after the end of {ns} at byte {after}")
                }
            }
            return Ok(Some(event));
        }
    }

    fn check_complete(&self, at: u64) -> eyre::Result<()> {
        let missing: Vec<String> = self
            .preludes
            .iter()
            .filter(|p| {
                self.states
                    .get(&(p.db.clone(), p.collection.clone()))
                    .is_none_or(|s| s.status != Status::Closed)
            })
            .map(CollectionPrelude::namespace)
            .collect();
        if !missing.is_empty() {
            bail!(
                "the archive is truncated at byte {at}: it ends before {} (of {} collections) were complete: {}",
                missing.len(),
                self.preludes.len(),
                missing.join(", ")
            );
        }
        Ok(())
    }

    /// Reads a terminator, a length-checked document, or a clean end of input.
    fn read_frame(&mut self) -> eyre::Result<Frame> {
        let at = self.offset;
        let mut len_bytes = [0u8; 4];
        let got = read_up_to(&mut self.input, &mut len_bytes)
            .wrap_err_with(|| format!("cannot read the archive at byte {at}"))?;
        if got == 0 {
            return Ok(Frame::End);
        }
        if got < 4 {
            bail!("the archive is truncated at byte {at}: {got} stray bytes at the end");
        }
        let raw_len = u32::from_le_bytes(len_bytes);
        if raw_len == TERMINATOR {
            self.offset += 4;
            return Ok(Frame::Terminator);
        }
        let len = raw_len as usize;
        if !(MIN_BSON_LEN..=MAX_BSON_LEN).contains(&len) {
            bail!(
                "corrupt archive at byte {at}: {} is neither a valid BSON length ({MIN_BSON_LEN}..={MAX_BSON_LEN}) nor a terminator",
                raw_len as i32
            );
        }
        let mut bytes = vec![0u8; len];
        bytes[..4].copy_from_slice(&len_bytes);
        let got = read_up_to(&mut self.input, &mut bytes[4..])
            .wrap_err_with(|| format!("cannot read the archive at byte {}", at + 4))?;
        if got < len - 4 {
            bail!(
                "the archive is truncated at byte {}: a document of {len} bytes starting at byte {at} is cut off",
                at + 4 + got as u64
            );
        }
        if bytes[len - 1] != 0 {
            bail!(
                "corrupt archive at byte {at}: a document of {len} bytes does not end with a NUL byte"
            );
        }
        self.offset += len as u64;
        Ok(Frame::Document(bytes))
    }
}

/// Views a framed document, naming its offset on failure.
fn doc_ref(bytes: &[u8], at: u64) -> eyre::Result<&RawDocument> {
    RawDocument::from_bytes(bytes).map_err(|e| eyre!("malformed BSON at byte {at}: {e}"))
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}
