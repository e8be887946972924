//! Opening the database archive or files tar of any set: a full's own member, or for an
//! incremental the state replayed from its chain (checked link by link first).

use std::io::Read;
use std::path::Path;

use color_eyre::eyre::{Result, eyre};

use super::links::{Chain, resolve_chain};
use super::merge::{spawn_stream, write_chain_archive, write_chain_tar};
use crate::backup::manifest::{BackupKind, Manifest, MemberContent};
use crate::backup::member::open_member_with_hint;
use crate::backup::verify::hint_for;

/// The chain of an incremental (links checked for presence and manifest hashes), `None`
/// for any other set.
pub fn chain_of(backup_dir: &Path, manifest: &Manifest) -> Result<Option<Chain>> {
    if manifest.kind != BackupKind::Incremental {
        return Ok(None);
    }
    Ok(Some(resolve_chain(backup_dir, &manifest.id, false)?))
}

/// The plain (decrypted, decompressed) content of `content` at the set: its member, or
/// the chain replayed.
pub fn open_state(
    set_dir: &Path,
    manifest: &Manifest,
    chain: Option<&Chain>,
    content: MemberContent,
    identities: &[age::x25519::Identity],
) -> Result<Box<dyn Read + Send>> {
    match chain {
        Some(chain) if !chain.is_single() => {
            let (chain, ids) = (chain.clone(), identities.to_vec());
            Ok(match content {
                MemberContent::FilesTar => spawn_stream("files", move |out| {
                    write_chain_tar(&chain, &ids, out).map(|_| ())
                }),
                _ => spawn_stream("archive", move |out| {
                    write_chain_archive(&chain, &ids, out).map(|_| ())
                }),
            })
        }
        _ => {
            let member = manifest
                .member(content)
                .ok_or_else(|| eyre!("backup {} has no {content:?} member", manifest.id))?;
            open_member_with_hint(&set_dir.join(&member.name), identities, &hint_for(manifest))
        }
    }
}
