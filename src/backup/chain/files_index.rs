//! The files index of a set (`files.index.zst`): per tar path (hashed), the stamp the
//! entry had when it was stored — kind, size, mtime, ctime, inode, device, mode, owner —
//! and the hash of its content. An incremental stores the entries whose stamp differs
//! from the parent's (a file replaced by one of equal size and mtime still has another
//! inode and ctime) and lists the paths that went away; unchanged files are not read.

use std::collections::HashMap;
use std::fs::Metadata;
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use color_eyre::eyre::{Result, WrapErr, bail};
use xxhash_rust::xxh3::xxh3_128;

use super::fingerprint::TableKind;

/// File name of the files index inside a set.
pub const FILES_INDEX_MEMBER: &str = "files.index.zst";
/// First bytes of the decompressed index.
const MAGIC: &[u8; 8] = b"SCYFI01\n";
/// Bytes of one encoded stamp.
const STAMP_BYTES: usize = 1 + 8 * 6 + 4 * 3 + 16;

/// Hash of a tar path.
pub type PathKey = u128;

/// What an entry looked like when it was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileStamp {
    /// 0 file, 1 directory, 2 symlink.
    pub kind: u8,
    /// Size in bytes (files).
    pub size: u64,
    /// Modification time in nanoseconds since the epoch.
    pub mtime_ns: i64,
    /// Status change time in nanoseconds since the epoch.
    pub ctime_ns: i64,
    /// Inode number.
    pub ino: u64,
    /// Device number.
    pub dev: u64,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Hash of the content (files) or of the link target (symlinks).
    pub content: u128,
}

impl FileStamp {
    /// The stamp of `meta` for an entry of `kind` (content hash still 0).
    pub fn of(meta: &Metadata, kind: u8) -> FileStamp {
        FileStamp {
            kind,
            size: if kind == 0 { meta.len() } else { 0 },
            mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
            ctime_ns: meta.ctime() * 1_000_000_000 + meta.ctime_nsec(),
            ino: meta.ino(),
            dev: meta.dev(),
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
            content: 0,
        }
    }

    /// Whether everything but the content hash is equal (the entry need not be read again).
    pub fn same_metadata(&self, other: &FileStamp) -> bool {
        FileStamp {
            content: 0,
            ..*self
        } == FileStamp {
            content: 0,
            ..*other
        }
    }
}

/// The files index of one set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesIndex {
    /// Complete (fulls) or a change list against the parent.
    pub kind: TableKind,
    /// Stored entries, sorted by key.
    pub upserts: Vec<(PathKey, FileStamp)>,
    /// Paths gone since the parent, sorted.
    pub deletes: Vec<PathKey>,
}

/// The key of a tar path.
pub fn path_key(archive_path: &str) -> PathKey {
    xxh3_128(archive_path.as_bytes())
}

/// Folds `index` into `state` (the entries at the parent).
pub fn apply(state: &mut HashMap<PathKey, FileStamp>, index: &FilesIndex) {
    if index.kind == TableKind::Full {
        state.clear();
    }
    for key in &index.deletes {
        state.remove(key);
    }
    for (key, stamp) in &index.upserts {
        state.insert(*key, *stamp);
    }
}

/// Files and content bytes of a state.
pub fn totals(state: &HashMap<PathKey, FileStamp>) -> (u64, u64) {
    state
        .values()
        .filter(|s| s.kind == 0)
        .fold((0, 0), |(n, b), s| (n + 1, b + s.size))
}

/// Writes the index as a zstd member at `path` (fsynced).
pub fn write_files_index(path: &Path, index: &FilesIndex) -> Result<()> {
    let context = || format!("cannot write {}", path.display());
    let file = std::fs::File::create(path).wrap_err_with(context)?;
    let mut out = zstd::Encoder::new(file, 3).wrap_err_with(context)?;
    let mut buf = Vec::with_capacity(64 * 1024);
    buf.extend_from_slice(MAGIC);
    buf.push(u8::from(index.kind == TableKind::Delta));
    buf.extend_from_slice(&(index.upserts.len() as u64).to_le_bytes());
    for (key, s) in &index.upserts {
        buf.extend_from_slice(&key.to_le_bytes());
        buf.push(s.kind);
        for v in [s.size, s.mtime_ns as u64, s.ctime_ns as u64, s.ino, s.dev] {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        buf.extend_from_slice(&0u64.to_le_bytes());
        for v in [s.mode, s.uid, s.gid] {
            buf.extend_from_slice(&v.to_le_bytes());
        }
        buf.extend_from_slice(&s.content.to_le_bytes());
        if buf.len() > 60 * 1024 {
            out.write_all(&buf).wrap_err_with(context)?;
            buf.clear();
        }
    }
    buf.extend_from_slice(&(index.deletes.len() as u64).to_le_bytes());
    for key in &index.deletes {
        buf.extend_from_slice(&key.to_le_bytes());
    }
    out.write_all(&buf).wrap_err_with(context)?;
    let file = out.finish().wrap_err_with(context)?;
    file.sync_all()
        .wrap_err_with(|| format!("cannot fsync {}", path.display()))?;
    Ok(())
}

/// Reads the files index at `path`.
pub fn read_files_index(path: &Path) -> Result<FilesIndex> {
    let file =
        std::fs::File::open(path).wrap_err_with(|| format!("cannot read {}", path.display()))?;
    let input =
        zstd::Decoder::new(file).wrap_err_with(|| format!("cannot read {}", path.display()))?;
    parse(std::io::BufReader::with_capacity(256 * 1024, input))
        .wrap_err_with(|| format!("{} is not a valid files index", path.display()))
}

fn parse(mut input: impl Read) -> Result<FilesIndex> {
    let mut magic = [0u8; 9];
    input.read_exact(&mut magic)?;
    if &magic[..8] != MAGIC || magic[8] > 1 {
        bail!("unknown format");
    }
    let kind = if magic[8] == 1 {
        TableKind::Delta
    } else {
        TableKind::Full
    };
    let count = read_u64(&mut input)?;
    let mut upserts = Vec::with_capacity(count.min(1 << 20) as usize);
    let mut raw = [0u8; 16 + STAMP_BYTES];
    for _ in 0..count {
        input.read_exact(&mut raw)?;
        let u64_at = |at: usize| u64::from_le_bytes(raw[at..at + 8].try_into().expect("8"));
        let u32_at = |at: usize| u32::from_le_bytes(raw[at..at + 4].try_into().expect("4"));
        let key = u128::from_le_bytes(raw[..16].try_into().expect("16"));
        let stamp = FileStamp {
            kind: raw[16],
            size: u64_at(17),
            mtime_ns: u64_at(25) as i64,
            ctime_ns: u64_at(33) as i64,
            ino: u64_at(41),
            dev: u64_at(49),
            mode: u32_at(65),
            uid: u32_at(69),
            gid: u32_at(73),
            content: u128::from_le_bytes(raw[77..93].try_into().expect("16")),
        };
        upserts.push((key, stamp));
    }
    let count = read_u64(&mut input)?;
    let mut deletes = Vec::with_capacity(count.min(1 << 20) as usize);
    for _ in 0..count {
        let mut b = [0u8; 16];
        input.read_exact(&mut b)?;
        deletes.push(u128::from_le_bytes(b));
    }
    Ok(FilesIndex {
        kind,
        upserts,
        deletes,
    })
}

fn read_u64(input: &mut impl Read) -> std::io::Result<u64> {
    let mut b = [0u8; 8];
    input.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_round_trips_and_folds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILES_INDEX_MEMBER);
        let stamp = FileStamp {
            kind: 0,
            size: 5,
            mtime_ns: -3,
            ctime_ns: 1_700_000_000_123_456_789,
            ino: 42,
            dev: 7,
            mode: 0o640,
            uid: 1000,
            gid: 1000,
            content: u128::MAX - 1,
        };
        let full = FilesIndex {
            kind: TableKind::Full,
            upserts: vec![(path_key("a"), stamp), (path_key("b"), stamp)],
            deletes: vec![],
        };
        write_files_index(&path, &full).unwrap();
        assert_eq!(read_files_index(&path).unwrap(), full);
        let delta = FilesIndex {
            kind: TableKind::Delta,
            upserts: vec![(path_key("c"), stamp)],
            deletes: vec![path_key("a")],
        };
        write_files_index(&path, &delta).unwrap();
        assert_eq!(read_files_index(&path).unwrap(), delta);
        let mut state = HashMap::new();
        apply(&mut state, &full);
        apply(&mut state, &delta);
        assert_eq!(state.len(), 2);
        assert_eq!(totals(&state), (2, 10));
        assert!(state.contains_key(&path_key("c")) && !state.contains_key(&path_key("a")));
    }
}
