//! Writing a mongodump archive.
//!
//! The byte layout matches mongodump with one collection at a time (its multiplexer in
//! `common/archive/multiplexer.go`): a namespace header opens a segment when the
//! namespace changes, documents follow, a terminator closes the segment when another
//! namespace starts or the namespace ends, then `EOF` header + terminator. A namespace
//! that never had documents (empty collection, view) still gets an empty segment
//! before its EOF: mongodump writes one, and mongorestore needs it to create views.

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};

use super::crc::NamespaceChecksum;
use super::format::{
    ArchiveHeader, MAGIC_BYTES, NamespaceHeader, TERMINATOR_BYTES, check_document_frame,
};
use super::metadata::CollectionPrelude;

/// Size of the internal write buffer.
const BUFFER: usize = 1 << 20;

/// What one namespace contributed to the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CollectionTotals {
    /// Number of documents.
    pub documents: u64,
    /// Raw BSON bytes of those documents.
    pub bytes: u64,
    /// CRC-64 (Go ECMA table) over those bytes, as stored in the EOF header.
    pub crc: u64,
}

#[derive(Default)]
struct NamespaceState {
    checksum: NamespaceChecksum,
    had_segment: bool,
    finished: bool,
}

/// Writes a mongodump `--archive` stream: prelude first, then segments and EOFs.
pub struct ArchiveWriter<W: Write> {
    out: BufWriter<W>,
    written: u64,
    /// Namespaces in prelude order.
    order: Vec<(String, String)>,
    states: HashMap<(String, String), NamespaceState>,
    /// The namespace whose segment is open (header written, terminator not yet).
    open: Option<(String, String)>,
}

impl<W: Write> ArchiveWriter<W> {
    /// Writes magic number, header, one metadata document per collection and the terminator.
    pub fn new(out: W, header: &ArchiveHeader, preludes: &[CollectionPrelude]) -> io::Result<Self> {
        let mut writer = ArchiveWriter {
            out: BufWriter::with_capacity(BUFFER, out),
            written: 0,
            order: Vec::with_capacity(preludes.len()),
            states: HashMap::with_capacity(preludes.len()),
            open: None,
        };
        writer.put(&MAGIC_BYTES)?;
        writer.put(header.to_raw().as_bytes())?;
        for prelude in preludes {
            let key = (prelude.db.clone(), prelude.collection.clone());
            if writer.states.contains_key(&key) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} appears twice in the prelude", prelude.namespace()),
                ));
            }
            writer.put(prelude.to_raw().as_bytes())?;
            writer.order.push(key.clone());
            writer.states.insert(key, NamespaceState::default());
        }
        writer.put(&TERMINATOR_BYTES)?;
        Ok(writer)
    }

    /// Appends documents (raw BSON, written unchanged) to the namespace's current segment.
    ///
    /// Consecutive calls for the same namespace continue one segment, as mongodump does;
    /// a call for another namespace closes the open segment first.
    pub fn write_segment<'a, I>(&mut self, db: &str, collection: &str, docs: I) -> io::Result<()>
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        self.ensure_writable(db, collection)?;
        self.open_segment(db, collection)?;
        let key = (db.to_string(), collection.to_string());
        for doc in docs {
            check_document_frame(doc).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{db}.{collection}: {e}"),
                )
            })?;
            self.out.write_all(doc)?;
            self.written += doc.len() as u64;
            if let Some(state) = self.states.get_mut(&key) {
                state.checksum.add_document(doc);
            }
        }
        Ok(())
    }

    /// Ends a namespace: closes its segment (writing an empty one if it had none) and
    /// writes the EOF header with the namespace's CRC, then a terminator.
    pub fn finish_collection(
        &mut self,
        db: &str,
        collection: &str,
    ) -> io::Result<CollectionTotals> {
        self.ensure_writable(db, collection)?;
        let key = (db.to_string(), collection.to_string());
        let had_segment = self.states.get(&key).is_some_and(|s| s.had_segment);
        if !had_segment {
            self.open_segment(db, collection)?;
        }
        self.close_segment()?;
        let state = self
            .states
            .get_mut(&key)
            .ok_or_else(|| unknown(db, collection))?;
        state.finished = true;
        let totals = CollectionTotals {
            documents: state.checksum.documents(),
            bytes: state.checksum.bytes(),
            crc: state.checksum.crc(),
        };
        let eof = NamespaceHeader {
            db: db.to_string(),
            collection: collection.to_string(),
            eof: true,
            crc: totals.crc as i64,
        };
        self.put(eof.to_raw().as_bytes())?;
        self.put(&TERMINATOR_BYTES)?;
        Ok(totals)
    }

    /// Returns the number of archive bytes written so far (before any compression).
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// Checks that every prelude namespace got its EOF, flushes and returns the output.
    ///
    /// mongorestore rejects an archive that ends before all prelude namespaces were seen.
    pub fn finish(mut self) -> io::Result<W> {
        let unfinished: Vec<String> = self
            .order
            .iter()
            .filter(|key| !self.states.get(*key).is_some_and(|s| s.finished))
            .map(|(db, coll)| format!("{db}.{coll}"))
            .collect();
        if !unfinished.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the archive cannot end before these collections are finished: {}",
                    unfinished.join(", ")
                ),
            ));
        }
        self.out.flush()?;
        self.out.into_inner().map_err(|e| e.into_error())
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    fn ensure_writable(&self, db: &str, collection: &str) -> io::Result<()> {
        match self.states.get(&(db.to_string(), collection.to_string())) {
            None => Err(unknown(db, collection)),
            Some(state) if state.finished => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{db}.{collection} is already finished in this archive"),
            )),
            Some(_) => Ok(()),
        }
    }

    fn open_segment(&mut self, db: &str, collection: &str) -> io::Result<()> {
        let same = self
            .open
            .as_ref()
            .is_some_and(|(d, c)| d == db && c == collection);
        if same {
            return Ok(());
        }
        self.close_segment()?;
        let header = NamespaceHeader {
            db: db.to_string(),
            collection: collection.to_string(),
            eof: false,
            crc: 0,
        };
        self.put(header.to_raw().as_bytes())?;
        let key = (db.to_string(), collection.to_string());
        if let Some(state) = self.states.get_mut(&key) {
            state.had_segment = true;
        }
        self.open = Some(key);
        Ok(())
    }

    fn close_segment(&mut self) -> io::Result<()> {
        if self.open.take().is_some() {
            self.put(&TERMINATOR_BYTES)?;
        }
        Ok(())
    }
}

fn unknown(db: &str, collection: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{db}.{collection} is not in the archive prelude"),
    )
}
