//! Replaying oplog slices onto a restored database: the entries after the base's position
//! up to the asked time, read slice by slice (each slice's archive checked as it is read).

use std::path::Path;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr, eyre};
use mongodb::bson::{Bson, Document};

use super::apply::{ReplayReport, Target, apply_entry};
use crate::backup::archive::{ArchiveEvent, ArchiveReader};
use crate::backup::manifest::{Manifest, MemberContent, OplogPosition};
use crate::backup::member::open_member_with_hint;
use crate::backup::verify::hint_for;

/// Applies the entries of `slices` (in `backup_dir`) with a position after `after` and a
/// time up to `until` to the staging collections of `target`.
pub async fn replay_slices(
    backup_dir: &Path,
    target: &Target<'_>,
    slices: &[Manifest],
    identities: &[age::x25519::Identity],
    after: OplogPosition,
    until: DateTime<Utc>,
) -> Result<ReplayReport> {
    let mut report = ReplayReport::default();
    let until = until.timestamp();
    for slice in slices {
        let dir = backup_dir.join(&slice.id);
        let (manifest, ids) = (slice.clone(), identities.to_vec());
        let entries = tokio::task::spawn_blocking(move || read_entries(&dir, &manifest, &ids))
            .await
            .wrap_err("the slice reader failed")??;
        for entry in entries {
            let Some(Bson::Timestamp(ts)) = entry.get("ts") else {
                continue;
            };
            if (ts.time, ts.increment) <= (after.t, after.i) {
                continue;
            }
            if i64::from(ts.time) > until {
                return Ok(report);
            }
            apply_entry(target, &entry, &mut report)
                .await
                .wrap_err_with(|| format!("replaying oplog slice {}", slice.id))?;
        }
    }
    Ok(report)
}

/// Every entry of one slice, its CRC checked.
fn read_entries(
    dir: &Path,
    manifest: &Manifest,
    identities: &[age::x25519::Identity],
) -> Result<Vec<Document>> {
    let member = manifest
        .member(MemberContent::MongoArchive)
        .ok_or_else(|| eyre!("oplog slice {} has no archive member", manifest.id))?;
    let input = open_member_with_hint(&dir.join(&member.name), identities, &hint_for(manifest))?;
    let mut reader = ArchiveReader::new(input)
        .wrap_err_with(|| format!("cannot read oplog slice {}", manifest.id))?;
    let mut out = Vec::new();
    while let Some(event) = reader.next_event()? {
        match event {
            ArchiveEvent::Document { bytes, .. } => out.push(
                bytes
                    .to_document()
                    .wrap_err_with(|| format!("oplog slice {} holds invalid BSON", manifest.id))?,
            ),
            ArchiveEvent::CollectionEof {
                crc_expected,
                crc_actual,
                ..
            } if crc_expected != crc_actual => {
                return Err(eyre!("oplog slice {} is damaged (CRC)", manifest.id));
            }
            ArchiveEvent::CollectionEof { .. } => {}
        }
    }
    Ok(out)
}
