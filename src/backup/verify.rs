//! Verifying a set: quick (members present, sizes and SHA-256) or deep (decrypt, decompress
//! and parse everything, CRCs and counts against the manifest). Results go to `verify.json`.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::archive::{ArchiveEvent, ArchiveReader};
use super::extract::{ExtractLimits, scan_tar};
use super::manifest::{
    MANIFEST_FILE, Manifest, MemberContent, MemberEntry, SHA256SUMS_FILE, VERIFY_FILE,
    read_manifest, write_json_atomic,
};
use super::member::{DecryptHint, digest_file, open_member_with_hint, read_sha256sums};
use super::progress::{Cancelled, Progress, Stage, Throttle};

/// How thorough a verification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyLevel {
    /// Manifest, presence, sizes and SHA-256 of every member.
    Quick,
    /// Also decrypt, decompress and parse every document and tar entry.
    Deep,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Member or item concerned (`manifest.json`, `mongo.archive.zst`, a collection …).
    pub subject: String,
    /// What is wrong.
    pub message: String,
}

/// The result of verifying one set, as stored in `verify.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// Set id.
    pub id: String,
    /// When the check ran.
    pub checked_at: DateTime<Utc>,
    /// Quick or deep.
    pub level: VerifyLevel,
    /// True when nothing was found.
    pub ok: bool,
    /// Everything that was wrong.
    pub findings: Vec<Finding>,
    /// What was checked, e.g. documents and tar entries read (deep).
    pub checked: BTreeMap<String, u64>,
}

/// Verifies the set in `dir` and records the result in its `verify.json`.
pub fn verify_set(
    dir: &Path,
    level: VerifyLevel,
    identities: &[age::x25519::Identity],
) -> Result<VerifyReport> {
    verify_set_with(dir, level, identities, &|_| {}, &CancellationToken::new())
}

/// [`verify_set`] with progress reports and a cancellation token.
///
/// Progress (stage [`Stage::Verify`], at most ten reports a second, the first at once and the
/// last at the end; `bytes` never decreases and ends at `bytes_total`):
/// - quick: `bytes` are member bytes hashed so far, `bytes_total` the sum of the member sizes
///   in the manifest; `items` are members checked, `items_total` the number of members.
/// - deep: `bytes_total` is twice the sum of the member sizes: the hashing pass as in quick,
///   then the decrypt-and-decompress pass over the same members. A member is read there
///   through decryption and decompression, so its bytes advance in proportion to the
///   decompressed data read against the size the manifest predicts (capped at the member's
///   size) and are exact once the member is done. `items` are documents plus tar entries
///   (the tar entries are added when the files member is done); `items_total` is 0.
///
/// The token is checked between reads (at least every MiB). On cancel this returns a
/// [`Cancelled`] error and leaves `verify.json` as it was.
pub fn verify_set_with(
    dir: &Path,
    level: VerifyLevel,
    identities: &[age::x25519::Identity],
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &CancellationToken,
) -> Result<VerifyReport> {
    verify_set_core(dir, level, identities, progress, cancel, true)
}

/// [`verify_set_with`] of the set alone: an incremental's chain is not followed.
pub fn verify_set_alone(
    dir: &Path,
    level: VerifyLevel,
    identities: &[age::x25519::Identity],
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &CancellationToken,
) -> Result<VerifyReport> {
    verify_set_core(dir, level, identities, progress, cancel, false)
}

fn verify_set_core(
    dir: &Path,
    level: VerifyLevel,
    identities: &[age::x25519::Identity],
    progress: &(dyn Fn(Progress) + Sync),
    cancel: &CancellationToken,
    follow_chain: bool,
) -> Result<VerifyReport> {
    let id = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut report = VerifyReport {
        id: id.clone(),
        checked_at: Utc::now(),
        level,
        ok: false,
        findings: Vec::new(),
        checked: BTreeMap::new(),
    };
    if cancel.is_cancelled() {
        return Err(Cancelled.into());
    }
    match read_manifest(dir) {
        Ok(manifest) => {
            let meter = Meter::new(progress, cancel, level, &manifest);
            meter.report();
            if manifest.id != id {
                report.finding(
                    MANIFEST_FILE,
                    format!("manifest id {} does not match directory {id}", manifest.id),
                );
            }
            let sums_ok = check_checksums(dir, &manifest, &mut report, &meter)?;
            if level == VerifyLevel::Deep && sums_ok {
                deep_check(dir, &manifest, identities, &mut report, &meter)?;
            } else if level == VerifyLevel::Deep {
                report.finding(
                    "deep check",
                    "skipped: the members do not match their checksums".into(),
                );
            }
            if follow_chain && sums_ok {
                for (subject, message) in
                    crate::backup::chain::links::chain_findings(dir, &manifest, level, identities)
                {
                    report.finding(&subject, message);
                }
            }
            meter.check()?;
            meter.finish();
        }
        Err(err) => {
            report.finding(MANIFEST_FILE, format!("{err:#}"));
            progress(Progress {
                stage: Stage::Verify,
                items: 0,
                items_total: 0,
                bytes: 0,
                bytes_total: 0,
            });
        }
    }
    if cancel.is_cancelled() {
        return Err(Cancelled.into());
    }
    // Only a scandyctl set (its manifest or checksum file is there, even when damaged)
    // gets a verify.json: a directory scandyctl did not write is never written into.
    let own = is_own_set_dir(dir);
    if !own {
        report.finding(
            &id,
            "not a scandyctl backup set (no manifest.json or SHA256SUMS); nothing was written into it"
                .into(),
        );
    }
    report.ok = report.findings.is_empty();
    if own {
        write_json_atomic(&dir.join(VERIFY_FILE), &report)?;
    }
    Ok(report)
}

/// Whether `dir` holds scandyctl's own set files (manifest or checksums), damaged or not.
pub fn is_own_set_dir(dir: &Path) -> bool {
    dir.join(MANIFEST_FILE).exists() || dir.join(SHA256SUMS_FILE).exists()
}

/// Reads the last verification record of a set, if any.
pub fn read_verify_record(dir: &Path) -> Option<VerifyReport> {
    let text = std::fs::read_to_string(dir.join(VERIFY_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

impl VerifyReport {
    fn finding(&mut self, subject: &str, message: String) {
        self.findings.push(Finding {
            subject: subject.to_string(),
            message,
        });
    }
}

/// Checks sizes and SHA-256 of every member; `Ok(false)` when something is wrong, an error
/// only on cancel.
fn check_checksums(
    dir: &Path,
    manifest: &Manifest,
    report: &mut VerifyReport,
    meter: &Meter,
) -> Result<bool> {
    let before = report.findings.len();
    let sums = match read_sha256sums(&dir.join(SHA256SUMS_FILE)) {
        Ok(sums) => sums.into_iter().collect::<BTreeMap<_, _>>(),
        Err(err) => {
            report.finding(SHA256SUMS_FILE, format!("{err:#}"));
            BTreeMap::new()
        }
    };
    match (
        digest_file(&dir.join(MANIFEST_FILE)),
        sums.get(MANIFEST_FILE),
    ) {
        (Ok(digest), Some(expected)) if &digest.sha256 != expected => {
            report.finding(MANIFEST_FILE, "SHA-256 differs from SHA256SUMS".into())
        }
        (Ok(_), None) if !sums.is_empty() => {
            report.finding(MANIFEST_FILE, "not listed in SHA256SUMS".into())
        }
        (Err(err), _) => report.finding(MANIFEST_FILE, format!("{err:#}")),
        _ => {}
    }
    let mut base = 0u64;
    for member in &manifest.members {
        meter.check()?;
        let share = Share {
            base,
            size: member.size,
            estimate: member.size,
        };
        base += member.size;
        check_member(&dir.join(&member.name), member, &sums, report, meter, share);
        // A read the token stopped shows up as a finding: drop it with the whole report.
        meter.check()?;
        meter.set_bytes(share.base + share.size);
        if meter.level == VerifyLevel::Quick {
            meter.add_items(1);
        }
    }
    Ok(report.findings.len() == before)
}

/// Size and SHA-256 of one member against the manifest and SHA256SUMS; problems become
/// findings.
fn check_member(
    path: &Path,
    member: &MemberEntry,
    sums: &BTreeMap<String, String>,
    report: &mut VerifyReport,
    meter: &Meter,
    share: Share,
) {
    let Ok(meta) = std::fs::metadata(path) else {
        report.finding(&member.name, "missing".into());
        return;
    };
    if meta.len() != member.size {
        report.finding(
            &member.name,
            format!("size {} bytes, manifest says {}", meta.len(), member.size),
        );
        return;
    }
    match hash_file(path, meter, share) {
        Ok(sha256) => {
            if sha256 != member.sha256 {
                report.finding(&member.name, "SHA-256 differs from the manifest".into());
            }
            match sums.get(&member.name) {
                Some(listed) if *listed != sha256 => {
                    report.finding(&member.name, "SHA-256 differs from SHA256SUMS".into())
                }
                None if !sums.is_empty() => {
                    report.finding(&member.name, "not listed in SHA256SUMS".into())
                }
                _ => {}
            }
        }
        Err(err) => report.finding(&member.name, format!("{err:#}")),
    }
    *report.checked.entry("member bytes".into()).or_default() += meta.len();
}

/// SHA-256 of a file, lowercase hex, read in 1 MiB blocks through the meter.
fn hash_file(path: &Path, meter: &Meter, share: Share) -> Result<String> {
    let file = File::open(path).wrap_err_with(|| format!("cannot open {}", path.display()))?;
    let mut reader = Tracked::new(file, meter, share);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; HASH_BUFFER];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).wrap_err_with(|| format!("cannot read {}", path.display())),
        };
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Reads every document and tar entry; problems become findings, an error means cancel.
fn deep_check(
    dir: &Path,
    manifest: &Manifest,
    identities: &[age::x25519::Identity],
    report: &mut VerifyReport,
    meter: &Meter,
) -> Result<()> {
    let hashed: u64 = manifest.members.iter().map(|m| m.size).sum();
    let base_of = |content: MemberContent| {
        hashed
            + manifest
                .members
                .iter()
                .take_while(|m| m.content != content)
                .map(|m| m.size)
                .sum::<u64>()
    };
    if let Some(member) = manifest.member(MemberContent::MongoArchive) {
        meter.check()?;
        let share = Share {
            base: base_of(MemberContent::MongoArchive),
            size: member.size,
            estimate: archive_estimate(manifest),
        };
        let outcome = deep_check_archive(
            &dir.join(&member.name),
            manifest,
            identities,
            report,
            meter,
            share,
        );
        meter.check()?;
        meter.set_bytes(share.base + share.size);
        if let Err(err) = outcome {
            report.finding(&member.name, format!("{err:#}"));
        }
    }
    if let Some(member) = manifest.member(MemberContent::FilesTar) {
        meter.check()?;
        let share = Share {
            base: base_of(MemberContent::FilesTar),
            size: member.size,
            estimate: manifest.files.bytes + manifest.files.files * 1024 + 10_240,
        };
        let limits = ExtractLimits {
            max_total_bytes: manifest.files.bytes + manifest.files.bytes / 10 + (1 << 20),
            max_entries: manifest.files.files * 2 + 10_000,
        };
        let hint = hint_for(manifest);
        let outcome =
            open_member_with_hint(&dir.join(&member.name), identities, &hint).and_then(|reader| {
                let tracked = Tracked::new(reader, meter, share);
                scan_tar(io::BufReader::with_capacity(TAR_BUFFER, tracked), &limits)
            });
        meter.check()?;
        meter.set_bytes(share.base + share.size);
        match outcome {
            Ok(entries) => {
                meter.add_items(entries.len() as u64);
                let files = entries.iter().filter(|e| e.is_file()).count() as u64;
                let bytes: u64 = entries.iter().map(|e| e.size).sum();
                report
                    .checked
                    .insert("tar entries".into(), entries.len() as u64);
                if files != manifest.files.files {
                    report.finding(
                        &member.name,
                        format!("{files} files, manifest says {}", manifest.files.files),
                    );
                }
                if bytes != manifest.files.bytes {
                    report.finding(
                        &member.name,
                        format!(
                            "{bytes} bytes of files, manifest says {}",
                            manifest.files.bytes
                        ),
                    );
                }
            }
            Err(err) => report.finding(&member.name, format!("{err:#}")),
        }
    }
    Ok(())
}

/// Roughly how many bytes the decompressed database archive holds: the documents plus
/// headers, collection metadata and end markers.
fn archive_estimate(manifest: &Manifest) -> u64 {
    let collections = &manifest.database.collections;
    let documents: u64 = collections.iter().map(|c| c.bytes).sum();
    documents + collections.len() as u64 * 1024 + 1024
}

fn deep_check_archive(
    path: &Path,
    manifest: &Manifest,
    identities: &[age::x25519::Identity],
    report: &mut VerifyReport,
    meter: &Meter,
    share: Share,
) -> Result<()> {
    let member = open_member_with_hint(path, identities, &hint_for(manifest))?;
    let mut reader = ArchiveReader::new(Tracked::new(member, meter, share))?;
    let expected: BTreeMap<&str, _> = manifest
        .database
        .collections
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut documents = 0u64;
    while let Some(event) = reader.next_event()? {
        match event {
            ArchiveEvent::Document {
                collection, bytes, ..
            } => {
                for element in bytes.iter() {
                    element.map_err(|e| {
                        color_eyre::eyre::eyre!("collection {collection}: invalid BSON: {e}")
                    })?;
                }
                *seen.entry(collection).or_default() += 1;
                documents += 1;
                meter.add_items(1);
            }
            ArchiveEvent::CollectionEof {
                collection,
                documents: count,
                crc_expected,
                crc_actual,
                ..
            } => {
                if crc_expected != crc_actual {
                    report.finding(
                        &collection,
                        format!(
                            "CRC {crc_actual:016x} differs from the archive's {crc_expected:016x}"
                        ),
                    );
                }
                match expected.get(collection.as_str()) {
                    Some(entry) => {
                        if entry.documents != count {
                            report.finding(
                                &collection,
                                format!("{count} documents, manifest says {}", entry.documents),
                            );
                        }
                        if entry.crc64 != format!("{crc_actual:016x}") {
                            report.finding(&collection, "CRC differs from the manifest".into());
                        }
                    }
                    None => {
                        report.finding(&collection, "in the archive but not in the manifest".into())
                    }
                }
                seen.entry(collection).or_default();
            }
        }
    }
    for entry in &manifest.database.collections {
        if entry.kind == "collection" && !seen.contains_key(&entry.name) {
            report.finding(
                &entry.name,
                "in the manifest but missing from the archive".into(),
            );
        }
    }
    report.checked.insert("documents".into(), documents);
    report
        .checked
        .insert("collections".into(), seen.len() as u64);
    Ok(())
}

/// What to say when a member cannot be decrypted: the set's recipients from the manifest.
pub fn hint_for(manifest: &Manifest) -> DecryptHint {
    DecryptHint {
        recipients: manifest.recipients.clone(),
        identity_file: None,
    }
}

/// Read buffer of the hashing pass.
const HASH_BUFFER: usize = 1 << 20;
/// Read buffer between the decompressed files member and the tar scanner.
const TAR_BUFFER: usize = 256 * 1024;

/// Where one member's bytes go in the progress: from `base`, `size` bytes in all, reached
/// when `estimate` bytes have been read (hashing reads the member itself: estimate = size).
#[derive(Debug, Clone, Copy)]
struct Share {
    base: u64,
    size: u64,
    estimate: u64,
}

impl Share {
    /// Progress position after `read` bytes, never past the member's end.
    fn position(&self, read: u64) -> u64 {
        let done = if self.estimate == 0 {
            0
        } else {
            (u128::from(read) * u128::from(self.size) / u128::from(self.estimate)) as u64
        };
        self.base + done.min(self.size)
    }
}

/// Progress counters of one verification, the throttle and the cancellation token.
struct Meter<'a> {
    progress: &'a (dyn Fn(Progress) + Sync),
    cancel: &'a CancellationToken,
    level: VerifyLevel,
    throttle: Cell<Throttle>,
    items: Cell<u64>,
    items_total: u64,
    bytes: Cell<u64>,
    bytes_total: u64,
}

impl<'a> Meter<'a> {
    fn new(
        progress: &'a (dyn Fn(Progress) + Sync),
        cancel: &'a CancellationToken,
        level: VerifyLevel,
        manifest: &Manifest,
    ) -> Meter<'a> {
        let sizes: u64 = manifest.members.iter().map(|m| m.size).sum();
        let (items_total, bytes_total) = match level {
            VerifyLevel::Quick => (manifest.members.len() as u64, sizes),
            VerifyLevel::Deep => (0, sizes.saturating_mul(2)),
        };
        Meter {
            progress,
            cancel,
            level,
            throttle: Cell::new(Throttle::new()),
            items: Cell::new(0),
            items_total,
            bytes: Cell::new(0),
            bytes_total,
        }
    }

    /// A [`Cancelled`] error once the token is cancelled.
    fn check(&self) -> Result<()> {
        if self.cancel.is_cancelled() {
            Err(Cancelled.into())
        } else {
            Ok(())
        }
    }

    /// Moves the byte position forward to `position` (never back, never past the total).
    fn set_bytes(&self, position: u64) {
        let position = position.min(self.bytes_total);
        if position > self.bytes.get() {
            self.bytes.set(position);
        }
    }

    fn add_items(&self, n: u64) {
        self.items.set(self.items.get() + n);
    }

    /// Reports now, unconditionally.
    fn report(&self) {
        let mut throttle = self.throttle.take();
        throttle.ready();
        self.throttle.set(throttle);
        (self.progress)(self.current());
    }

    /// Reports unless the last report was less than the throttle interval ago.
    fn maybe_report(&self) {
        let mut throttle = self.throttle.take();
        let ready = throttle.ready();
        self.throttle.set(throttle);
        if ready {
            (self.progress)(self.current());
        }
    }

    /// The last report: everything done.
    fn finish(&self) {
        self.bytes.set(self.bytes_total);
        (self.progress)(self.current());
    }

    fn current(&self) -> Progress {
        Progress {
            stage: Stage::Verify,
            items: self.items.get(),
            items_total: self.items_total,
            bytes: self.bytes.get(),
            bytes_total: self.bytes_total,
        }
    }
}

/// Counts what is read into the meter, reports (throttled) and fails with [`Cancelled`]
/// once the token is cancelled.
struct Tracked<'m, 'a, R> {
    inner: R,
    meter: &'m Meter<'a>,
    share: Share,
    read: u64,
}

impl<'m, 'a, R: Read> Tracked<'m, 'a, R> {
    fn new(inner: R, meter: &'m Meter<'a>, share: Share) -> Self {
        Tracked {
            inner,
            meter,
            share,
            read: 0,
        }
    }
}

impl<R: Read> Read for Tracked<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.meter.cancel.is_cancelled() {
            return Err(Cancelled::io());
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.meter.set_bytes(self.share.position(self.read));
        self.meter.maybe_report();
        Ok(n)
    }
}
