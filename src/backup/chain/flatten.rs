//! `flatten`: a synthetic full set equal to the state at an incremental, written from its
//! chain alone (no server), verified, and from then on an ordinary full — `zstd -dc
//! mongo.archive.zst | mongorestore --archive` restores it, and retention may drop the chain.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr, bail};

use super::files_index::{FilesIndex, totals};
use super::fingerprint::{CollectionFingerprints, TableKind};
use super::increment::write_change_members;
use super::links::resolve_chain;
use super::merge::{write_chain_archive, write_chain_tar};
use super::state::state_of;
use super::tracker::{ChangeCounts, TrackedCollection};
use crate::backup::create::ZSTD_LEVEL;
use crate::backup::id::{PARTIAL_SUFFIX, backup_id};
use crate::backup::lock::acquire;
use crate::backup::manifest::{
    BackupKind, FILES_MEMBER, MONGO_MEMBER, Manifest, MemberContent, MemberEntry,
};
use crate::backup::member::{MemberWriter, fsync_dir, seal_set};
use crate::backup::verify::{VerifyLevel, VerifyReport, verify_set};

/// A written synthetic full.
#[derive(Debug, Clone)]
pub struct Flattened {
    /// The new set's id.
    pub id: String,
    /// Its directory.
    pub path: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// The verification of the new set.
    pub verify: VerifyReport,
}

/// Writes the synthetic full of `id` into `backup_dir` (under the backup lock). Members are
/// encrypted to `recipients` when any are given; `identities` read an encrypted chain.
pub fn flatten_set(
    backup_dir: &Path,
    id: &str,
    recipients: &[age::x25519::Recipient],
    identities: &[age::x25519::Identity],
) -> Result<Flattened> {
    let _lock = acquire(backup_dir, "flatten")?;
    let chain = resolve_chain(backup_dir, id, true).map_err(|e| {
        e.wrap_err(format!(
            "backup {id} cannot be flattened; nothing was written"
        ))
    })?;
    if chain.is_single() {
        bail!(
            "backup {id} is a {} set already; nothing to flatten",
            chain.target().manifest.kind.as_str()
        );
    }
    let target = chain.target().manifest.clone();
    let new_id = backup_id(target.created_at, BackupKind::Full);
    let final_dir = backup_dir.join(&new_id);
    if final_dir.exists() {
        bail!("backup {id} was flattened already: {new_id} exists");
    }
    let partial = backup_dir.join(format!("{new_id}{PARTIAL_SUFFIX}"));
    std::fs::create_dir(&partial)
        .wrap_err_with(|| format!("cannot create {}", partial.display()))?;
    let written = write_flat(&chain, &target, &new_id, &partial, recipients, identities);
    let manifest = match written {
        Ok(manifest) => manifest,
        Err(err) => {
            let _ = std::fs::remove_dir_all(&partial);
            return Err(err.wrap_err(format!("flatten of {id} failed; nothing was kept")));
        }
    };
    std::fs::rename(&partial, &final_dir).wrap_err_with(|| {
        format!(
            "cannot rename {} to {}",
            partial.display(),
            final_dir.display()
        )
    })?;
    fsync_dir(backup_dir)?;
    let level = if manifest.encrypted() && identities.is_empty() {
        VerifyLevel::Quick
    } else {
        VerifyLevel::Deep
    };
    let verify = verify_set(&final_dir, level, identities)?;
    Ok(Flattened {
        id: new_id,
        path: final_dir,
        manifest,
        verify,
    })
}

fn write_flat(
    chain: &super::links::Chain,
    target: &Manifest,
    new_id: &str,
    partial: &Path,
    recipients: &[age::x25519::Recipient],
    identities: &[age::x25519::Identity],
) -> Result<Manifest> {
    let encrypt = !recipients.is_empty();
    let suffix = if encrypt { ".age" } else { "" };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(2);
    let state = state_of(chain)?;

    let mongo_name = format!("{MONGO_MEMBER}{suffix}");
    let writer = MemberWriter::create(&partial.join(&mongo_name), recipients, ZSTD_LEVEL, threads)?;
    let (writer, replayed) = write_chain_archive(chain, identities, writer)?;
    let mongo = writer.finish()?;
    let files_name = format!("{FILES_MEMBER}{suffix}");
    let writer = MemberWriter::create(&partial.join(&files_name), recipients, ZSTD_LEVEL, threads)?;
    let (writer, files) = write_chain_tar(chain, identities, writer)?;
    let files_digest = writer.finish()?;

    let tracked: Vec<(String, TrackedCollection)> = state
        .collections
        .iter()
        .map(|(name, coll)| {
            let mut upserts: Vec<(u128, u128)> =
                coll.entries.iter().map(|(k, h)| (*k, *h)).collect();
            upserts.sort_unstable();
            let fingerprints = CollectionFingerprints {
                kind: TableKind::Full,
                state_documents: upserts.len() as u64,
                state_digest: coll.digest,
                upserts,
                deletes: Vec::new(),
            };
            let counts = ChangeCounts {
                inserted: fingerprints.state_documents,
                ..ChangeCounts::default()
            };
            (
                name.clone(),
                TrackedCollection {
                    fingerprints,
                    counts,
                    created: false,
                },
            )
        })
        .collect();
    let mut index_entries: Vec<_> = state.files.iter().map(|(k, s)| (*k, *s)).collect();
    index_entries.sort_unstable_by_key(|(k, _)| *k);
    let index = FilesIndex {
        kind: TableKind::Full,
        upserts: index_entries,
        deletes: Vec::new(),
    };
    let change_members = write_change_members(partial, &tracked, &index)?;
    let (state_files, _) = totals(&state.files);
    if state_files != files.files {
        bail!(
            "replaying the files of the chain gives {} files, the files index holds {state_files}",
            files.files
        );
    }

    let mut manifest = target.clone();
    manifest.id = new_id.to_string();
    manifest.kind = BackupKind::Full;
    manifest.parent = None;
    manifest.parent_sha256 = None;
    manifest.increment = None;
    manifest.full_reason = None;
    // created_at and finished_at stay the target's: the set holds the state of that moment.
    manifest.scandyctl_version = env!("CARGO_PKG_VERSION").to_string();
    manifest.synthetic = true;
    manifest.synthesized_from = chain.ids();
    for entry in &mut manifest.database.collections {
        if let Some(r) = replayed.iter().find(|r| r.name == entry.name) {
            entry.documents = r.totals.documents;
            entry.bytes = r.totals.bytes;
            entry.crc64 = format!("{:016x}", r.totals.crc);
        }
    }
    manifest.files.files = files.files;
    manifest.files.bytes = files.bytes;
    manifest.members = vec![
        MemberEntry {
            name: mongo_name.clone(),
            content: MemberContent::MongoArchive,
            size: mongo.size,
            sha256: mongo.sha256.clone(),
            encrypted: encrypt,
        },
        MemberEntry {
            name: files_name.clone(),
            content: MemberContent::FilesTar,
            size: files_digest.size,
            sha256: files_digest.sha256.clone(),
            encrypted: encrypt,
        },
    ];
    manifest.members.extend(change_members.iter().cloned());
    manifest.recipients = crate::backup::crypt::recipient_strings(recipients);
    seal_set(partial, &manifest)?;
    Ok(manifest)
}
