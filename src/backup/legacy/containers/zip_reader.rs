//! Scandy's ZIP backups: the dump layout (`mongodb/<db>/*.bson.gz`, `media/`, `config/`),
//! the JSON layout (a JSON v1 file at the root, `uploads/`, `logs/`) and the weekly ZIP of
//! such ZIPs.

use std::io::{Read, Seek};
use std::path::Path;

use color_eyre::Result;
use color_eyre::eyre::{WrapErr, bail, eyre};
use zip::ZipArchive;

use super::archive_stream::pick_database;
use super::entry_paths::{checked_name, common_prefix, is_secret, root_path_for, zip_mtime};
use super::{ContainerEntry, ContainerListing};
use crate::backup::archive::CollectionMetadata;
use crate::backup::legacy::dumpdir::{read_bson_stream, split_name, unescape};
use crate::backup::legacy::json::{read_json_entry, read_json_info, sniff_json};
use crate::backup::legacy::{
    Conversions, LegacyFile, LegacyFormat, LegacySink, ReadOptions, ReaderNote,
};

/// A member bigger than this is spooled into an unlinked temporary file, not memory.
const IN_MEMORY_MEMBER: u64 = 256 * 1024 * 1024;

/// One collection of the dump layout: its `.bson[.gz]` and metadata entries.
#[derive(Debug, Clone, Default)]
struct ZipCollection {
    db: String,
    name: String,
    bson: Option<(usize, bool)>,
    metadata: Option<(usize, bool)>,
}

/// What a ZIP holds, worked out from its central directory (and a JSON entry's head).
enum Layout {
    Dump(Vec<ZipCollection>),
    Json(usize),
    Weekly(Vec<usize>),
}

struct Scanned {
    /// Names (prefix removed) and sizes, by index; `None` for directories.
    names: Vec<Option<(String, u64)>>,
    layout: Layout,
}

fn open_zip(path: &Path) -> Result<ZipArchive<std::fs::File>> {
    let file =
        std::fs::File::open(path).wrap_err_with(|| format!("cannot open {}", path.display()))?;
    ZipArchive::new(file).map_err(|e| eyre!("{} is no readable ZIP: {e}", path.display()))
}

fn scan<R: Read + Seek>(zip: &mut ZipArchive<R>, source: &str) -> Result<Scanned> {
    let mut raw = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| eyre!("{source}: entry {i} is unreadable: {e}"))?;
        let name = entry
            .name()
            .map_err(|e| eyre!("{source}: entry {i} has no readable name: {e}"))?
            .into_owned();
        raw.push((name, entry.size(), entry.is_dir()));
    }
    let prefix = common_prefix(raw.iter().map(|(n, _, _)| n.as_str())).unwrap_or_default();
    let names: Vec<Option<(String, u64)>> = raw
        .iter()
        .map(|(name, size, dir)| {
            let name = name.trim_start_matches("./");
            let name = name.strip_prefix(prefix.as_str()).unwrap_or(name);
            (!dir && !name.is_empty()).then(|| (name.to_string(), *size))
        })
        .collect();
    let mut collections: Vec<ZipCollection> = Vec::new();
    let mut json = None;
    let mut members = Vec::new();
    for (i, entry) in names.iter().enumerate() {
        let Some((name, _)) = entry else { continue };
        let parts: Vec<&str> = name.split('/').collect();
        match parts.as_slice() {
            ["mongodb", db, file] => {
                if let Some((coll, is_meta, gz)) = split_name(file) {
                    let name = unescape(coll);
                    let at = match collections
                        .iter()
                        .position(|c| c.db == *db && c.name == name)
                    {
                        Some(at) => at,
                        None => {
                            collections.push(ZipCollection {
                                db: db.to_string(),
                                name,
                                ..ZipCollection::default()
                            });
                            collections.len() - 1
                        }
                    };
                    if is_meta {
                        collections[at].metadata = Some((i, gz));
                    } else {
                        collections[at].bson = Some((i, gz));
                    }
                }
            }
            [file] | ["mongodb", file]
                if json.is_none()
                    && file.ends_with(".json")
                    && *file != "backup_metadata.json"
                    && entry_is_json_backup(zip, i) =>
            {
                json = Some(i)
            }
            [.., file] if file.ends_with(".zip") => members.push(i),
            _ => {}
        }
    }
    collections.sort_by(|a, b| (&a.db, &a.name).cmp(&(&b.db, &b.name)));
    let layout = if !collections.is_empty() {
        Layout::Dump(collections)
    } else if let Some(i) = json {
        Layout::Json(i)
    } else if !members.is_empty() {
        Layout::Weekly(members)
    } else {
        bail!(
            "{source} holds no Scandy backup: no mongodb/<db>/*.bson, no JSON backup and no \
             scandy_backup_*.zip inside"
        );
    };
    Ok(Scanned { names, layout })
}

fn entry_is_json_backup<R: Read + Seek>(zip: &mut ZipArchive<R>, index: usize) -> bool {
    let Ok(entry) = zip.by_index(index) else {
        return false;
    };
    let mut head = Vec::new();
    entry.take(64 * 1024).read_to_end(&mut head).is_ok() && sniff_json(&head).is_some()
}

fn name_of(scanned: &Scanned, index: usize) -> &str {
    scanned.names[index]
        .as_ref()
        .map_or("", |(n, _)| n.as_str())
}

/// Lists a ZIP: its layout, entries, collections, carried secrets and weekly members.
pub fn list_zip(path: &Path) -> Result<ContainerListing> {
    let source = path.display().to_string();
    let mut zip = open_zip(path)?;
    let scanned = scan(&mut zip, &source)?;
    let entries: Vec<ContainerEntry> = scanned
        .names
        .iter()
        .flatten()
        .map(|(name, size)| ContainerEntry {
            name: name.clone(),
            size: *size,
        })
        .collect();
    let secrets = entries
        .iter()
        .filter(|e| is_secret(&e.name))
        .map(|e| e.name.clone())
        .collect();
    let mut listing = ContainerListing {
        format: LegacyFormat::ScandyZipDump,
        entries,
        databases: Vec::new(),
        collections: Vec::new(),
        secrets,
        members: Vec::new(),
        created_at: None,
    };
    match &scanned.layout {
        Layout::Dump(collections) => {
            for c in collections {
                if !listing.databases.contains(&c.db) {
                    listing.databases.push(c.db.clone());
                }
                listing.collections.push(c.name.clone());
            }
            listing.created_at = metadata_time(&mut zip, &scanned);
        }
        Layout::Json(index) => {
            listing.format = LegacyFormat::ScandyZipJson;
            let entry = zip.by_index(*index).map_err(|e| eyre!("{source}: {e}"))?;
            if let Ok(info) = read_json_info(std::io::BufReader::new(entry), &source) {
                listing.collections = info.declared.into_iter().map(|(n, _)| n).collect();
                listing.created_at = info.created_at;
            }
        }
        Layout::Weekly(members) => {
            listing.format = LegacyFormat::ScandyZipWeekly;
            listing.members = members
                .iter()
                .map(|i| name_of(&scanned, *i).to_string())
                .collect();
        }
    }
    Ok(listing)
}

/// `created_at` (or `timestamp`) of `backup_metadata.json`, if it has one.
fn metadata_time<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    scanned: &Scanned,
) -> Option<chrono::NaiveDateTime> {
    let index =
        (0..scanned.names.len()).find(|i| name_of(scanned, *i) == "backup_metadata.json")?;
    let mut text = String::new();
    zip.by_index(index)
        .ok()?
        .take(1024 * 1024)
        .read_to_string(&mut text)
        .ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    ["created_at", "timestamp", "backup_date", "date"]
        .iter()
        .find_map(|key| value.get(key)?.as_str())
        .and_then(crate::backup::legacy::json::parse_date_string)
        .map(|t| t.naive_utc())
}

/// Streams a ZIP backup (or, with `member`, one backup inside a weekly ZIP) into `sink`.
pub fn read_zip(
    path: &Path,
    member: Option<&str>,
    database: &str,
    opts: &ReadOptions,
    sink: &mut dyn LegacySink,
) -> Result<()> {
    let source = path.display().to_string();
    let mut zip = open_zip(path)?;
    let Some(member) = member else {
        return read_zip_archive(&mut zip, &source, database, opts, sink, false);
    };
    let scanned = scan(&mut zip, &source)?;
    let Layout::Weekly(members) = &scanned.layout else {
        bail!("{source} is no weekly ZIP: it holds no member {member}");
    };
    let Some(index) = members
        .iter()
        .copied()
        .find(|i| name_of(&scanned, *i) == member)
    else {
        bail!("{source} holds no member {member}");
    };
    let inner_source = format!("{source}!{member}");
    let mut entry = zip
        .by_index(index)
        .map_err(|e| eyre!("{inner_source}: {e}"))?;
    if entry.size() <= IN_MEMORY_MEMBER {
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry
            .read_to_end(&mut bytes)
            .wrap_err_with(|| format!("cannot read {inner_source}"))?;
        drop(entry);
        let mut inner = ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| eyre!("{inner_source} is no readable ZIP: {e}"))?;
        read_zip_archive(&mut inner, &inner_source, database, opts, sink, true)
    } else {
        let mut spool = tempfile::tempfile().wrap_err("cannot create a temporary file")?;
        std::io::copy(&mut entry, &mut spool)
            .wrap_err_with(|| format!("cannot read {inner_source}"))?;
        drop(entry);
        let mut inner =
            ZipArchive::new(spool).map_err(|e| eyre!("{inner_source} is no readable ZIP: {e}"))?;
        read_zip_archive(&mut inner, &inner_source, database, opts, sink, true)
    }
}

fn read_zip_archive<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    source: &str,
    database: &str,
    opts: &ReadOptions,
    sink: &mut dyn LegacySink,
    nested: bool,
) -> Result<()> {
    let scanned = scan(zip, source)?;
    // Every name is checked before anything is read: one hostile entry refuses the backup.
    for (name, _) in scanned.names.iter().flatten() {
        checked_name(name).map_err(|e| eyre!("{source}: {e}"))?;
    }
    match &scanned.layout {
        Layout::Dump(collections) => {
            let mut databases: Vec<String> = collections.iter().map(|c| c.db.clone()).collect();
            databases.dedup();
            let db = pick_database(&databases, database, source)?;
            for c in collections.iter().filter(|c| c.db == db) {
                if c.name.starts_with("system.") {
                    continue;
                }
                read_zip_collection(zip, &scanned, c, source, sink)?;
            }
        }
        Layout::Json(index) => {
            let entry_source = format!("{source}!{}", name_of(&scanned, *index));
            let entry = zip
                .by_index(*index)
                .map_err(|e| eyre!("{entry_source}: {e}"))?;
            read_json_entry(entry, &entry_source, opts, sink)?;
        }
        Layout::Weekly(_) if nested => bail!("{source} is a ZIP of ZIPs inside a ZIP of ZIPs"),
        Layout::Weekly(members) => bail!(
            "{source} is a weekly ZIP of {} backups: read one of its members",
            members.len()
        ),
    }
    read_zip_files(zip, &scanned, source, opts, sink)
}

fn entry_reader<'a, R: Read + Seek>(
    zip: &'a mut ZipArchive<R>,
    index: usize,
    gz: bool,
    source: &str,
) -> Result<Box<dyn Read + 'a>> {
    let entry = zip.by_index(index).map_err(|e| eyre!("{source}: {e}"))?;
    Ok(if gz {
        Box::new(flate2::read::MultiGzDecoder::new(entry))
    } else {
        Box::new(entry)
    })
}

fn read_zip_collection<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    scanned: &Scanned,
    c: &ZipCollection,
    source: &str,
    sink: &mut dyn LegacySink,
) -> Result<()> {
    let metadata = match c.metadata {
        Some((index, gz)) => {
            let entry_source = format!("{source}!{}", name_of(scanned, index));
            let mut text = String::new();
            entry_reader(zip, index, gz, &entry_source)?
                .take(64 * 1024 * 1024)
                .read_to_string(&mut text)
                .wrap_err_with(|| format!("cannot read {entry_source}"))?;
            Some(
                CollectionMetadata::from_extjson(&text, &c.name)
                    .map_err(|e| eyre!("{entry_source}: {e}"))?,
            )
        }
        None => None,
    };
    sink.begin_collection(&c.name, metadata.as_ref())?;
    if let Some((index, gz)) = c.bson {
        let entry_source = format!("{source}!{}", name_of(scanned, index));
        let input = entry_reader(zip, index, gz, &entry_source)?;
        read_bson_stream(input, &entry_source, sink)?;
    }
    sink.end_collection(&Conversions::default())
}

fn read_zip_files<R: Read + Seek>(
    zip: &mut ZipArchive<R>,
    scanned: &Scanned,
    source: &str,
    opts: &ReadOptions,
    sink: &mut dyn LegacySink,
) -> Result<()> {
    for index in 0..scanned.names.len() {
        let Some((name, size)) = &scanned.names[index] else {
            continue;
        };
        let name = checked_name(name).map_err(|e| eyre!("{source}: {e}"))?;
        if is_secret(&name) {
            sink.note(ReaderNote {
                kind: "secret-in-clear".into(),
                entry: Some(name.clone()),
                message: format!(
                    "{name} holds Scandy's secrets (SECRET_KEY, the database password) \
                     unencrypted: anyone who can read this backup can read them"
                ),
            });
        }
        let Some(root_path) = root_path_for(&name) else {
            continue;
        };
        if opts.skip_files {
            continue;
        }
        let mut entry = zip
            .by_index(index)
            .map_err(|e| eyre!("{source}!{name}: {e}"))?;
        if entry.is_symlink() {
            bail!("{source}: entry {name} is a symbolic link: refused, nothing of it is used");
        }
        let file = LegacyFile {
            entry: format!("{source}!{name}"),
            root_path,
            size: *size,
            mode: entry.unix_mode().map_or(0o644, |m| m & 0o777),
            mtime: zip_mtime(entry.last_modified()),
        };
        let mut limited = (&mut entry).take(*size);
        sink.file(&file, &mut limited)?;
    }
    Ok(())
}
