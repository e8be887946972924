//! Document fingerprints: per collection, the 128-bit hash of each document's `_id`
//! element mapped to the 128-bit hash of the raw document, written as one zstd member
//! (`fingerprints.zst`) in every set.
//!
//! A full set holds the whole table of each collection; an incremental holds only the
//! entries that changed against its parent and the keys that went away. The member holds
//! hashes only (no `_id` value, no field), so it stays unencrypted: the next incremental
//! compares against it on a host that has only the recipients' public keys.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use xxhash_rust::xxh3::{Xxh3, xxh3_128};

/// File name of the fingerprint member inside a set.
pub const FINGERPRINTS_MEMBER: &str = "fingerprints.zst";
/// First bytes of the decompressed fingerprint member.
const MAGIC: &[u8; 8] = b"SCYFP01\n";

/// Hash of a document's `_id` element (type byte and value).
pub type IdKey = u128;
/// Hash of a document's raw BSON bytes.
pub type DocHash = u128;

/// Whether a collection's table is complete or a change list against the parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// Every document of the collection (fulls, collections created since the parent).
    Full,
    /// Only what changed against the parent's state.
    Delta,
}

/// The fingerprints of one collection in one set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionFingerprints {
    /// Complete table or change list.
    pub kind: TableKind,
    /// Documents in the collection at this set.
    pub state_documents: u64,
    /// Wrapping sum of the document hashes of the state (order-free digest of the state).
    pub state_digest: u128,
    /// Entries (all of them for [`TableKind::Full`], new and changed ones for a delta),
    /// sorted by key.
    pub upserts: Vec<(IdKey, DocHash)>,
    /// Keys removed since the parent (deltas only), sorted.
    pub deletes: Vec<IdKey>,
}

/// The fingerprint member of a set: collection name to its fingerprints.
pub type Fingerprints = BTreeMap<String, CollectionFingerprints>;

/// Hash of a raw BSON document.
pub fn doc_hash(doc: &[u8]) -> DocHash {
    xxh3_128(doc)
}

/// Hash of the `_id` element of a raw BSON document; `None` when it has none or is malformed.
pub fn id_key(doc: &[u8]) -> Option<IdKey> {
    let (kind, value) = id_element(doc)?;
    Some(id_key_of(kind, value))
}

/// Hash of an `_id` given as its element type and value bytes.
pub fn id_key_of(kind: u8, value: &[u8]) -> IdKey {
    let mut hasher = Xxh3::new();
    hasher.update(&[kind]);
    hasher.update(value);
    hasher.digest128()
}

/// Hash of an `_id` value (as the oplog names it).
pub fn id_key_of_bson(id: &mongodb::bson::Bson) -> Option<IdKey> {
    let doc = mongodb::bson::rawdoc! {};
    let mut doc = doc;
    let raw = mongodb::bson::RawBson::try_from(id.clone()).ok()?;
    doc.append("_id", raw);
    id_key(doc.as_bytes())
}

/// The type byte and value bytes of the `_id` element of a raw BSON document.
fn id_element(doc: &[u8]) -> Option<(u8, &[u8])> {
    let end = doc.len().checked_sub(1)?;
    let mut pos = 4usize;
    while pos < end {
        let kind = doc[pos];
        let key_start = pos + 1;
        let key_len = doc.get(key_start..end)?.iter().position(|&b| b == 0)?;
        let value_start = key_start + key_len + 1;
        let len = value_len(kind, doc.get(value_start..end)?)?;
        let value_end = value_start.checked_add(len)?;
        if value_end > end {
            return None;
        }
        if &doc[key_start..key_start + key_len] == b"_id" {
            return Some((kind, &doc[value_start..value_end]));
        }
        pos = value_end;
    }
    None
}

/// Length of an element's value by its BSON type.
fn value_len(kind: u8, rest: &[u8]) -> Option<usize> {
    let i32_at = |at: usize| -> Option<usize> {
        let bytes: [u8; 4] = rest.get(at..at + 4)?.try_into().ok()?;
        usize::try_from(i32::from_le_bytes(bytes)).ok()
    };
    let cstring = |from: usize| -> Option<usize> {
        Some(rest.get(from..)?.iter().position(|&b| b == 0)? + 1)
    };
    Some(match kind {
        0x01 | 0x09 | 0x11 | 0x12 => 8,
        0x02 | 0x0D | 0x0E => 4 + i32_at(0)?,
        0x03 | 0x04 | 0x0F => i32_at(0)?,
        0x05 => 5 + i32_at(0)?,
        0x06 | 0x0A | 0x7F | 0xFF => 0,
        0x07 => 12,
        0x08 => 1,
        0x0B => {
            let pattern = cstring(0)?;
            pattern + cstring(pattern)?
        }
        0x0C => 4 + i32_at(0)? + 12,
        0x10 => 4,
        0x13 => 16,
        _ => return None,
    })
}

/// Writes the fingerprints as a zstd member at `path` (fsynced); returns nothing else.
pub fn write_fingerprints(path: &Path, fingerprints: &Fingerprints) -> Result<()> {
    let file = std::fs::File::create(path)
        .wrap_err_with(|| format!("cannot create {}", path.display()))?;
    let mut out =
        zstd::Encoder::new(file, 3).wrap_err_with(|| format!("cannot write {}", path.display()))?;
    let context = || format!("cannot write {}", path.display());
    out.write_all(MAGIC).wrap_err_with(context)?;
    out.write_all(&(fingerprints.len() as u64).to_le_bytes())
        .wrap_err_with(context)?;
    for (name, table) in fingerprints {
        let mut head = Vec::with_capacity(64 + name.len());
        head.extend_from_slice(&(name.len() as u32).to_le_bytes());
        head.extend_from_slice(name.as_bytes());
        head.push(match table.kind {
            TableKind::Full => 0,
            TableKind::Delta => 1,
        });
        head.extend_from_slice(&table.state_documents.to_le_bytes());
        head.extend_from_slice(&table.state_digest.to_le_bytes());
        head.extend_from_slice(&(table.upserts.len() as u64).to_le_bytes());
        out.write_all(&head).wrap_err_with(context)?;
        let mut buf = Vec::with_capacity(32 * 4096);
        for chunk in table.upserts.chunks(4096) {
            buf.clear();
            for (key, hash) in chunk {
                buf.extend_from_slice(&key.to_le_bytes());
                buf.extend_from_slice(&hash.to_le_bytes());
            }
            out.write_all(&buf).wrap_err_with(context)?;
        }
        out.write_all(&(table.deletes.len() as u64).to_le_bytes())
            .wrap_err_with(context)?;
        for key in &table.deletes {
            out.write_all(&key.to_le_bytes()).wrap_err_with(context)?;
        }
    }
    let file = out.finish().wrap_err_with(context)?;
    file.sync_all()
        .wrap_err_with(|| format!("cannot fsync {}", path.display()))?;
    Ok(())
}

/// Reads the fingerprint member at `path`.
pub fn read_fingerprints(path: &Path) -> Result<Fingerprints> {
    let file =
        std::fs::File::open(path).wrap_err_with(|| format!("cannot read {}", path.display()))?;
    let input =
        zstd::Decoder::new(file).wrap_err_with(|| format!("cannot read {}", path.display()))?;
    parse(std::io::BufReader::with_capacity(256 * 1024, input))
        .wrap_err_with(|| format!("{} is not a valid fingerprint member", path.display()))
}

fn parse(mut input: impl Read) -> Result<Fingerprints> {
    let mut magic = [0u8; 8];
    input.read_exact(&mut magic)?;
    if &magic != MAGIC {
        bail!("unknown format");
    }
    let mut out = Fingerprints::new();
    let collections = read_u64(&mut input)?;
    for _ in 0..collections {
        let name_len = read_u32(&mut input)? as usize;
        if name_len > 1024 {
            bail!("collection name of {name_len} bytes");
        }
        let mut name = vec![0u8; name_len];
        input.read_exact(&mut name)?;
        let name = String::from_utf8(name).map_err(|_| eyre!("collection name is not UTF-8"))?;
        let mut kind = [0u8; 1];
        input.read_exact(&mut kind)?;
        let kind = match kind[0] {
            0 => TableKind::Full,
            1 => TableKind::Delta,
            other => bail!("collection {name}: unknown table kind {other}"),
        };
        let state_documents = read_u64(&mut input)?;
        let state_digest = read_u128(&mut input)?;
        let upserts_len = read_u64(&mut input)?;
        let mut upserts = Vec::with_capacity(upserts_len.min(1 << 20) as usize);
        for _ in 0..upserts_len {
            upserts.push((read_u128(&mut input)?, read_u128(&mut input)?));
        }
        let deletes_len = read_u64(&mut input)?;
        let mut deletes = Vec::with_capacity(deletes_len.min(1 << 20) as usize);
        for _ in 0..deletes_len {
            deletes.push(read_u128(&mut input)?);
        }
        out.insert(
            name,
            CollectionFingerprints {
                kind,
                state_documents,
                state_digest,
                upserts,
                deletes,
            },
        );
    }
    Ok(out)
}

fn read_u32(input: &mut impl Read) -> std::io::Result<u32> {
    let mut b = [0u8; 4];
    input.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64(input: &mut impl Read) -> std::io::Result<u64> {
    let mut b = [0u8; 8];
    input.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn read_u128(input: &mut impl Read) -> std::io::Result<u128> {
    let mut b = [0u8; 16];
    input.read_exact(&mut b)?;
    Ok(u128::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::{oid::ObjectId, rawdoc};

    #[test]
    fn id_key_finds_id_anywhere_and_matches_the_bson_value() {
        let oid = ObjectId::new();
        let first = rawdoc! { "_id": oid, "a": 1 };
        let later = rawdoc! { "a": "x", "b": { "c": [1, 2] }, "_id": oid };
        let key = id_key(first.as_bytes()).unwrap();
        assert_eq!(id_key(later.as_bytes()), Some(key));
        assert_eq!(
            id_key_of_bson(&mongodb::bson::Bson::ObjectId(oid)),
            Some(key)
        );
        let string_id = rawdoc! { "_id": "12" };
        let int_id = rawdoc! { "_id": 12 };
        assert_ne!(id_key(string_id.as_bytes()), id_key(int_id.as_bytes()));
        assert_eq!(id_key(rawdoc! { "a": 1 }.as_bytes()), None);
        assert_eq!(id_key(&[5, 0, 0, 0]), None);
    }

    #[test]
    fn fingerprints_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FINGERPRINTS_MEMBER);
        let mut fps = Fingerprints::new();
        fps.insert(
            "ausleihen".into(),
            CollectionFingerprints {
                kind: TableKind::Delta,
                state_documents: 3,
                state_digest: 99,
                upserts: vec![(1, 2), (3, 4)],
                deletes: vec![7],
            },
        );
        fps.insert(
            "tools".into(),
            CollectionFingerprints {
                kind: TableKind::Full,
                state_documents: 0,
                state_digest: 0,
                upserts: vec![],
                deletes: vec![],
            },
        );
        write_fingerprints(&path, &fps).unwrap();
        assert_eq!(read_fingerprints(&path).unwrap(), fps);
        std::fs::write(&path, b"junk").unwrap();
        let err = format!("{:#}", read_fingerprints(&path).unwrap_err());
        assert!(err.contains("fingerprints.zst"), "{err}");
    }
}
