//! A mongodump `--archive` stream read into a [`LegacySink`] one collection at a time.
//!
//! mongodump writes collections in parallel, so blocks of several collections interleave.
//! The first pass streams every collection whose blocks come one after the other; a
//! collection whose blocks arrive while another is open is read in a later pass of its own
//! (an archive of one-at-a-time collections is read exactly once).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use color_eyre::Result;
use color_eyre::eyre::{WrapErr, bail};

use crate::backup::archive::{ArchiveEvent, ArchiveReader, CollectionMetadata};
use crate::backup::legacy::{Conversions, LegacySink};

/// Something that can hand out the archive's bytes from the start, once per pass.
pub trait ArchiveSource {
    /// Calls `read` with a fresh reader positioned at the archive's first byte.
    fn with_reader(&self, read: &mut dyn FnMut(Box<dyn Read + '_>) -> Result<()>) -> Result<()>;
}

/// Databases the server keeps for itself.
const SERVER_DATABASES: [&str; 3] = ["admin", "config", "local"];

/// Picks the database to read: the only one there is (server databases aside), else the
/// configured one.
pub fn pick_database(databases: &[String], configured: &str, source: &str) -> Result<String> {
    let own: Vec<&String> = databases
        .iter()
        .filter(|d| !SERVER_DATABASES.contains(&d.as_str()))
        .collect();
    match own.as_slice() {
        [only] => Ok((*only).clone()),
        [] => bail!("{source} holds no database with collections of its own"),
        several if several.iter().any(|d| *d == configured) => Ok(configured.to_string()),
        several => bail!(
            "{source} holds several databases ({}), none of them the configured {configured}",
            several
                .iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

struct Plan {
    db: String,
    metadata: BTreeMap<String, CollectionMetadata>,
}

fn open_reader<'a>(
    input: Box<dyn Read + 'a>,
    source: &str,
) -> Result<ArchiveReader<Box<dyn Read + 'a>>> {
    ArchiveReader::new(input).wrap_err_with(|| format!("{source} is no readable mongodump archive"))
}

fn check_crc(event: &ArchiveEvent, source: &str) -> Result<()> {
    if let ArchiveEvent::CollectionEof {
        db,
        collection,
        crc_expected,
        crc_actual,
        ..
    } = event
        && crc_expected != crc_actual
        && *crc_expected != 0
    {
        bail!(
            "{source}: the checksum of {db}.{collection} does not match its documents \
             (stored {crc_expected:#x}, computed {crc_actual:#x}): the archive is damaged"
        );
    }
    Ok(())
}

/// Streams the collections of the archive's database (see [`pick_database`]) into `sink`.
pub fn stream_archive(
    source_of: &dyn ArchiveSource,
    source: &str,
    database: &str,
    sink: &mut dyn LegacySink,
) -> Result<()> {
    let mut plan: Option<Plan> = None;
    let mut deferred: Vec<String> = Vec::new();
    source_of.with_reader(&mut |input| {
        let mut reader = open_reader(input, source)?;
        let databases: BTreeSet<String> = reader.preludes().iter().map(|p| p.db.clone()).collect();
        let db = pick_database(&databases.into_iter().collect::<Vec<_>>(), database, source)?;
        let metadata: BTreeMap<String, CollectionMetadata> = reader
            .preludes()
            .iter()
            .filter(|p| p.db == db && !p.collection.starts_with("system."))
            .map(|p| (p.collection.clone(), p.metadata.clone()))
            .collect();
        let current_plan = Plan { db, metadata };
        first_pass(&mut reader, &current_plan, source, &mut deferred, sink)?;
        plan = Some(current_plan);
        Ok(())
    })?;
    let Some(plan) = plan else {
        bail!("{source}: the archive could not be opened");
    };
    for collection in deferred {
        source_of.with_reader(&mut |input| {
            let mut reader = open_reader(input, source)?;
            single_pass(&mut reader, &plan, &collection, source, sink)
        })?;
    }
    Ok(())
}

fn first_pass<R: Read>(
    reader: &mut ArchiveReader<R>,
    plan: &Plan,
    source: &str,
    deferred: &mut Vec<String>,
    sink: &mut dyn LegacySink,
) -> Result<()> {
    let mut current: Option<String> = None;
    let mut done: BTreeSet<String> = BTreeSet::new();
    while let Some(event) = reader
        .next_event()
        .wrap_err_with(|| format!("{source} is damaged"))?
    {
        check_crc(&event, source)?;
        match event {
            ArchiveEvent::Document {
                db,
                collection,
                bytes,
            } if db == plan.db && plan.metadata.contains_key(&collection) => {
                if current.as_deref() == Some(collection.as_str()) {
                    sink.document(bytes)?;
                } else if deferred.contains(&collection) || done.contains(&collection) {
                    // Read in a pass of its own.
                } else if current.is_none() {
                    sink.begin_collection(&collection, plan.metadata.get(&collection))?;
                    sink.document(bytes)?;
                    current = Some(collection);
                } else {
                    deferred.push(collection);
                }
            }
            ArchiveEvent::CollectionEof { db, collection, .. }
                if db == plan.db && plan.metadata.contains_key(&collection) =>
            {
                if current.as_deref() == Some(collection.as_str()) {
                    sink.end_collection(&Conversions::default())?;
                    current = None;
                    done.insert(collection);
                } else if deferred.contains(&collection) || done.contains(&collection) {
                } else if current.is_none() {
                    sink.begin_collection(&collection, plan.metadata.get(&collection))?;
                    sink.end_collection(&Conversions::default())?;
                    done.insert(collection);
                } else {
                    deferred.push(collection);
                }
            }
            _ => {}
        }
    }
    if let Some(open) = current {
        bail!("{source}: collection {open} has no end in the archive");
    }
    // Collections in the prelude whose end never came are caught by the reader; views and
    // collections without data have no blocks at all.
    for (name, meta) in &plan.metadata {
        if !done.contains(name) && !deferred.contains(name) {
            sink.begin_collection(name, Some(meta))?;
            sink.end_collection(&Conversions::default())?;
        }
    }
    Ok(())
}

fn single_pass<R: Read>(
    reader: &mut ArchiveReader<R>,
    plan: &Plan,
    wanted: &str,
    source: &str,
    sink: &mut dyn LegacySink,
) -> Result<()> {
    sink.begin_collection(wanted, plan.metadata.get(wanted))?;
    while let Some(event) = reader
        .next_event()
        .wrap_err_with(|| format!("{source} is damaged"))?
    {
        check_crc(&event, source)?;
        match event {
            ArchiveEvent::Document {
                db,
                collection,
                bytes,
            } if db == plan.db && collection == wanted => sink.document(bytes)?,
            ArchiveEvent::CollectionEof { db, collection, .. }
                if db == plan.db && collection == wanted =>
            {
                return sink.end_collection(&Conversions::default());
            }
            _ => {}
        }
    }
    bail!("{source}: collection {wanted} has no end in the archive")
}
