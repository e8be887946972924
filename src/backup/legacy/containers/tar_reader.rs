//! Scandy's `scandy_backup_<ts>.tar.gz` (`mongodb_backup.archive`, `uploads/`, `logs/`,
//! `backup_info.txt`) and a plain mongodump `--archive` file, gzip-compressed or not.

use std::io::{BufReader, Read};
use std::path::Path;

use color_eyre::Result;
use color_eyre::eyre::{WrapErr, bail, eyre};

use super::archive_stream::{ArchiveSource, stream_archive};
use super::entry_paths::{checked_name, common_prefix, is_secret, root_path_for};
use super::{ContainerEntry, ContainerListing};
use crate::backup::archive::ArchiveReader;
use crate::backup::legacy::{LegacyFile, LegacyFormat, LegacySink, ReadOptions, ReaderNote};

/// Opens a file, decompressing it when it starts with the gzip magic.
fn open_maybe_gzip(path: &Path) -> Result<Box<dyn Read>> {
    let mut file = BufReader::new(
        std::fs::File::open(path).wrap_err_with(|| format!("cannot open {}", path.display()))?,
    );
    let mut magic = [0u8; 2];
    let got = crate::backup::legacy::dumpdir::read_up_to(&mut file, &mut magic)
        .wrap_err_with(|| format!("cannot read {}", path.display()))?;
    let start = std::io::Cursor::new(magic[..got].to_vec()).chain(file);
    Ok(if got == 2 && magic == [0x1f, 0x8b] {
        Box::new(flate2::read::MultiGzDecoder::new(start))
    } else {
        Box::new(start)
    })
}

/// A tar entry's name with a wrapping directory removed; `None` for the directory itself.
fn strip<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    let name = name.trim_start_matches("./");
    let name = name.strip_prefix(prefix).unwrap_or(name);
    (!name.is_empty()).then_some(name)
}

/// Whether a (stripped) entry is the mongodump archive.
fn is_archive_entry(name: &str) -> bool {
    !name.contains('/') && (name.ends_with(".archive") || name.ends_with(".archive.gz"))
}

/// Names of every entry, for the wrapping-directory check (one pass over the tar).
fn entry_names(path: &Path) -> Result<Vec<String>> {
    let mut tar = tar::Archive::new(open_maybe_gzip(path)?);
    let mut names = Vec::new();
    for entry in tar
        .entries()
        .wrap_err_with(|| format!("{} is no readable tar", path.display()))?
    {
        let entry = entry.wrap_err_with(|| format!("{} is damaged", path.display()))?;
        names.push(String::from_utf8_lossy(&entry.path_bytes()).into_owned());
    }
    Ok(names)
}

/// Lists a tar backup: entries, the archive's databases and collections, secrets.
pub fn list_tar(path: &Path) -> Result<ContainerListing> {
    let source = path.display().to_string();
    let names = entry_names(path)?;
    let prefix = common_prefix(names.iter().map(String::as_str)).unwrap_or_default();
    let mut listing = ContainerListing {
        format: LegacyFormat::ScandyTar,
        entries: Vec::new(),
        databases: Vec::new(),
        collections: Vec::new(),
        secrets: Vec::new(),
        members: Vec::new(),
        created_at: None,
    };
    let mut tar = tar::Archive::new(open_maybe_gzip(path)?);
    let mut archive_seen = false;
    for entry in tar
        .entries()
        .wrap_err_with(|| format!("{source} is no readable tar"))?
    {
        let entry = entry.wrap_err_with(|| format!("{source} is damaged"))?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(name) = strip(&raw, &prefix).map(str::to_string) else {
            continue;
        };
        if entry.header().entry_type().is_dir() {
            continue;
        }
        if is_secret(&name) {
            listing.secrets.push(name.clone());
        }
        listing.entries.push(ContainerEntry {
            name: name.clone(),
            size: entry.size(),
        });
        if is_archive_entry(&name) && !archive_seen {
            archive_seen = true;
            let input: Box<dyn Read> = if name.ends_with(".gz") {
                Box::new(flate2::read::MultiGzDecoder::new(entry))
            } else {
                Box::new(entry)
            };
            let reader = ArchiveReader::new(input)
                .wrap_err_with(|| format!("{source}!{name} is no readable mongodump archive"))?;
            for prelude in reader.preludes() {
                if !listing.databases.contains(&prelude.db) {
                    listing.databases.push(prelude.db.clone());
                }
                listing.collections.push(prelude.collection.clone());
            }
        }
    }
    if !archive_seen {
        bail!("{source} holds no mongodump archive (mongodb_backup.archive)");
    }
    Ok(listing)
}

/// The archive member of a tar, handed out from the start once per pass.
struct TarArchiveSource<'p> {
    path: &'p Path,
    prefix: String,
}

impl ArchiveSource for TarArchiveSource<'_> {
    fn with_reader(&self, read: &mut dyn FnMut(Box<dyn Read + '_>) -> Result<()>) -> Result<()> {
        let source = self.path.display().to_string();
        let mut tar = tar::Archive::new(open_maybe_gzip(self.path)?);
        for entry in tar
            .entries()
            .wrap_err_with(|| format!("{source} is no readable tar"))?
        {
            let entry = entry.wrap_err_with(|| format!("{source} is damaged"))?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Some(name) = strip(&raw, &self.prefix) else {
                continue;
            };
            if is_archive_entry(name) && entry.header().entry_type().is_file() {
                let gz = name.ends_with(".gz");
                return read(if gz {
                    Box::new(flate2::read::MultiGzDecoder::new(entry))
                } else {
                    Box::new(entry)
                });
            }
        }
        bail!("{source} holds no mongodump archive (mongodb_backup.archive)")
    }
}

/// Streams a tar backup: the archive's collections, then the carried files.
pub fn read_tar(
    path: &Path,
    database: &str,
    opts: &ReadOptions,
    sink: &mut dyn LegacySink,
) -> Result<()> {
    let source = path.display().to_string();
    let names = entry_names(path)?;
    // Every name is checked before anything is read: one hostile entry refuses the backup.
    for name in &names {
        checked_name(name).map_err(|e| eyre!("{source}: {e}"))?;
    }
    let prefix = common_prefix(names.iter().map(String::as_str)).unwrap_or_default();
    let archive = TarArchiveSource {
        path,
        prefix: prefix.clone(),
    };
    stream_archive(&archive, &source, database, sink)?;
    let mut tar = tar::Archive::new(open_maybe_gzip(path)?);
    for entry in tar
        .entries()
        .wrap_err_with(|| format!("{source} is no readable tar"))?
    {
        let mut entry = entry.wrap_err_with(|| format!("{source} is damaged"))?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(name) = strip(&raw, &prefix).map(str::to_string) else {
            continue;
        };
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if is_secret(&name) {
            sink.note(ReaderNote {
                kind: "secret-in-clear".into(),
                entry: Some(name.clone()),
                message: format!(
                    "{name} holds Scandy's secrets unencrypted: anyone who can read this \
                     backup can read them"
                ),
            });
        }
        let Some(root_path) = root_path_for(&name) else {
            continue;
        };
        if !kind.is_file() {
            bail!(
                "{source}: entry {name} is a {}: refused, only regular files are restored",
                if kind.is_symlink() || kind.is_hard_link() {
                    "link"
                } else {
                    "special file"
                }
            );
        }
        if opts.skip_files {
            continue;
        }
        let file = LegacyFile {
            entry: format!("{source}!{name}"),
            root_path,
            size: entry.size(),
            mode: entry.header().mode().map_or(0o644, |m| m & 0o777),
            mtime: entry.header().mtime().map_or(0, |m| m as i64),
        };
        let size = file.size;
        sink.file(&file, &mut (&mut entry).take(size))?;
    }
    Ok(())
}

/// A mongodump `--archive` file on disk.
struct FileArchiveSource<'p> {
    path: &'p Path,
}

impl ArchiveSource for FileArchiveSource<'_> {
    fn with_reader(&self, read: &mut dyn FnMut(Box<dyn Read + '_>) -> Result<()>) -> Result<()> {
        read(open_maybe_gzip(self.path)?)
    }
}

/// Streams a mongodump `--archive` file (gzip-compressed or not).
pub fn read_archive_file(
    path: &Path,
    database: &str,
    _opts: &ReadOptions,
    sink: &mut dyn LegacySink,
) -> Result<()> {
    stream_archive(
        &FileArchiveSource { path },
        &path.display().to_string(),
        database,
        sink,
    )
}
