//! Constants and small documents of the mongodump archive format.
//!
//! The layout (mongo-tools `common/archive/spec.md`):
//! `magic, header, collection-metadata*, terminator, (namespace-segment | namespace-eof)*`
//! where a segment is `namespace-header, document+, terminator` and an EOF is
//! `eof-header, terminator`. Field names and types follow the Go structs in
//! `common/archive/archive.go` (`Header`, `CollectionMetadata`, `NamespaceHeader`).

use std::io;

use mongodb::bson::{RawBsonRef, RawDocument, RawDocumentBuf, rawdoc};

/// The archive's magic number (`archive.MagicNumber`), stored little-endian.
pub const MAGIC: u32 = 0x8199_e26d;
/// The magic number as it appears on disk: `6d e2 99 81`.
pub const MAGIC_BYTES: [u8; 4] = MAGIC.to_le_bytes();
/// The block terminator (`0xffffffff`), also read as a little-endian length.
pub const TERMINATOR: u32 = 0xffff_ffff;
/// The terminator as it appears on disk.
pub const TERMINATOR_BYTES: [u8; 4] = TERMINATOR.to_le_bytes();
/// The only archive format version there is (`archiveFormatVersion`).
pub const FORMAT_VERSION: &str = "0.1";
/// The smallest BSON document: a length and the trailing NUL.
pub const MIN_BSON_LEN: usize = 5;
/// MongoDB's maximum user document size (`db.MaxBSONSize`, 16 MiB).
pub const MAX_BSON_SIZE: usize = 16 * 1024 * 1024;
/// The largest length the reader accepts: 16 MiB plus the server's 16 KiB internal slack.
pub const MAX_BSON_LEN: usize = MAX_BSON_SIZE + 16 * 1024;

/// The archive header (the first document after the magic number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveHeader {
    /// Collections dumped concurrently (`--numParallelCollections`); restore uses at least this many.
    pub concurrent_collections: i32,
    /// Archive format version, always [`FORMAT_VERSION`].
    pub version: String,
    /// Server version of the source (`x.y.z`: mongorestore parses it).
    pub server_version: String,
    /// Name and version of the tool that wrote the archive.
    pub tool_version: String,
}

impl ArchiveHeader {
    /// Builds the header of a one-collection-at-a-time dump.
    pub fn new(server_version: &str, tool_version: &str) -> Self {
        ArchiveHeader {
            concurrent_collections: 1,
            version: FORMAT_VERSION.to_string(),
            server_version: server_version.to_string(),
            tool_version: tool_version.to_string(),
        }
    }

    /// Encodes the header with the Go field order and types.
    pub fn to_raw(&self) -> RawDocumentBuf {
        rawdoc! {
            "concurrent_collections": self.concurrent_collections,
            "version": self.version.as_str(),
            "server_version": self.server_version.as_str(),
            "tool_version": self.tool_version.as_str(),
        }
    }

    /// Decodes a header; missing fields get Go's zero values, wrong types are errors.
    pub fn from_raw(doc: &RawDocument) -> io::Result<Self> {
        Ok(ArchiveHeader {
            concurrent_collections: i32::try_from(int_field(doc, "concurrent_collections")?)
                .map_err(|_| invalid("concurrent_collections does not fit an int32"))?,
            version: str_field(doc, "version")?.to_string(),
            server_version: str_field(doc, "server_version")?.to_string(),
            tool_version: str_field(doc, "tool_version")?.to_string(),
        })
    }
}

/// A namespace header: opens a segment (`eof == false`) or ends a namespace (`eof == true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceHeader {
    /// Database name.
    pub db: String,
    /// Collection name.
    pub collection: String,
    /// Whether this is the namespace's EOF header.
    pub eof: bool,
    /// CRC-64 of all the namespace's documents (EOF headers), 0 otherwise.
    pub crc: i64,
}

impl NamespaceHeader {
    /// Encodes the header: `db`, `collection`, `EOF` (bool), `CRC` (int64).
    pub fn to_raw(&self) -> RawDocumentBuf {
        rawdoc! {
            "db": self.db.as_str(),
            "collection": self.collection.as_str(),
            "EOF": self.eof,
            "CRC": self.crc,
        }
    }

    /// Decodes a header; `collection` must be present, as mongorestore requires.
    pub fn from_raw(doc: &RawDocument) -> io::Result<Self> {
        let collection = str_field(doc, "collection")?.to_string();
        if collection.is_empty() {
            return Err(invalid("namespace header without a collection name"));
        }
        let eof = match doc.get("EOF").map_err(bson_err)? {
            None => false,
            Some(RawBsonRef::Boolean(b)) => b,
            Some(other) => {
                return Err(invalid(format!(
                    "namespace header field EOF is {:?}, not a boolean",
                    other.element_type()
                )));
            }
        };
        Ok(NamespaceHeader {
            db: str_field(doc, "db")?.to_string(),
            collection,
            eof,
            crc: int_field(doc, "CRC")?,
        })
    }
}

/// Returns an `InvalidData` error with `msg`.
pub(crate) fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Wraps a BSON decoding error as `InvalidData`.
pub(crate) fn bson_err(err: mongodb::bson::raw::Error) -> io::Error {
    invalid(format!("malformed BSON: {err}"))
}

/// Reads a string field; a missing field is `""` (Go's zero value).
pub(crate) fn str_field<'a>(doc: &'a RawDocument, key: &str) -> io::Result<&'a str> {
    match doc.get(key).map_err(bson_err)? {
        None => Ok(""),
        Some(RawBsonRef::String(s)) => Ok(s),
        Some(other) => Err(invalid(format!(
            "field {key} is {:?}, not a string",
            other.element_type()
        ))),
    }
}

/// Reads an integer field stored as int32, int64 or an integral double; missing is 0.
pub(crate) fn int_field(doc: &RawDocument, key: &str) -> io::Result<i64> {
    match doc.get(key).map_err(bson_err)? {
        None => Ok(0),
        Some(RawBsonRef::Int32(v)) => Ok(i64::from(v)),
        Some(RawBsonRef::Int64(v)) => Ok(v),
        Some(RawBsonRef::Double(v)) if v.fract() == 0.0 && v.abs() < 9.0e18 => Ok(v as i64),
        Some(other) => Err(invalid(format!(
            "field {key} is {:?}, not an integer",
            other.element_type()
        ))),
    }
}

/// Checks that `bytes` is one framed BSON document (length prefix, size limits, final NUL).
pub fn check_document_frame(bytes: &[u8]) -> io::Result<()> {
    if bytes.len() < MIN_BSON_LEN || bytes.len() > MAX_BSON_LEN {
        return Err(invalid(format!(
            "a document of {} bytes is outside the BSON limits ({MIN_BSON_LEN}..={MAX_BSON_LEN})",
            bytes.len()
        )));
    }
    let declared = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    if declared != bytes.len() {
        return Err(invalid(format!(
            "a document declares {declared} bytes but has {}",
            bytes.len()
        )));
    }
    if bytes[bytes.len() - 1] != 0 {
        return Err(invalid("a document does not end with a NUL byte"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_are_little_endian() {
        assert_eq!(MAGIC_BYTES, [0x6d, 0xe2, 0x99, 0x81]);
        assert_eq!(TERMINATOR_BYTES, [0xff; 4]);
    }

    #[test]
    fn headers_round_trip() {
        let h = ArchiveHeader::new("8.2.1", "scandyctl 0.1.0");
        assert_eq!(ArchiveHeader::from_raw(&h.to_raw()).unwrap(), h);
        let n = NamespaceHeader {
            db: "scandy".into(),
            collection: "tools".into(),
            eof: true,
            crc: -5,
        };
        let raw = n.to_raw();
        assert!(matches!(raw.get("CRC"), Ok(Some(RawBsonRef::Int64(-5)))));
        assert_eq!(NamespaceHeader::from_raw(&raw).unwrap(), n);
    }

    #[test]
    fn frames_are_checked() {
        assert!(check_document_frame(&[5, 0, 0, 0, 0]).is_ok());
        assert!(check_document_frame(&[6, 0, 0, 0, 0]).is_err());
        assert!(check_document_frame(&[5, 0, 0, 0, 1]).is_err());
        assert!(check_document_frame(&[4, 0, 0, 0]).is_err());
    }
}
