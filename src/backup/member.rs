//! Backup set members on disk: writing a zstd stream (optionally age-encrypted) while
//! hashing the bytes that reach the file, reading members back, and `SHA256SUMS`.
//!
//! Members interoperate with the standard tools: `zstd -dc mongo.archive.zst`,
//! `age -d -i key.txt files.tar.zst.age | zstd -dc | tar x`, `sha256sum -c SHA256SUMS`.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use age::x25519::{Identity, Recipient};
use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::crypt::identity_public_keys;

/// Size and SHA-256 of a member file as stored on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberDigest {
    /// Bytes on disk.
    pub size: u64,
    /// SHA-256 of those bytes, lowercase hex.
    pub sha256: String,
}

/// Name of the checksum list inside a set.
const SHA256SUMS: &str = "SHA256SUMS";
/// Buffer size for hashing and copying.
const BUFFER: usize = 1 << 20;

/// Writes one member: `file <- sha256+count <- [age] <- zstd`. Call [`MemberWriter::finish`];
/// dropping it leaves an unusable file behind.
pub struct MemberWriter {
    path: PathBuf,
    encoder: zstd::stream::write::Encoder<'static, Sink>,
}

impl MemberWriter {
    /// Creates (or truncates) `path` with mode 0600; encrypts to `recipients` when any are
    /// given. `zstd_threads` 0 or 1 compresses on the calling thread.
    pub fn create(
        path: &Path,
        recipients: &[Recipient],
        zstd_level: i32,
        zstd_threads: u32,
    ) -> Result<Self> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .wrap_err_with(|| format!("cannot create {}", path.display()))?;
        let hashed = HashingWriter {
            inner: BufWriter::with_capacity(BUFFER, file),
            hasher: Sha256::new(),
            count: 0,
            path: path.to_path_buf(),
        };
        let sink = if recipients.is_empty() {
            Sink::Plain(hashed)
        } else {
            let encryptor = age::Encryptor::with_recipients(
                recipients.iter().map(|r| r as &dyn age::Recipient),
            )
            .map_err(|e| eyre!("cannot set up age encryption for {}: {e}", path.display()))?;
            let stream = encryptor
                .wrap_output(hashed)
                .wrap_err_with(|| format!("cannot write the age header to {}", path.display()))?;
            Sink::Age(Box::new(stream))
        };
        let mut encoder =
            zstd::stream::write::Encoder::new(sink, zstd_level).wrap_err_with(|| {
                format!(
                    "cannot start zstd level {zstd_level} for {}",
                    path.display()
                )
            })?;
        encoder
            .include_checksum(true)
            .wrap_err_with(|| format!("cannot enable zstd checksums for {}", path.display()))?;
        if zstd_threads > 1 {
            encoder.multithread(zstd_threads).wrap_err_with(|| {
                format!(
                    "cannot start {zstd_threads} zstd threads for {}",
                    path.display()
                )
            })?;
        }
        Ok(MemberWriter {
            path: path.to_path_buf(),
            encoder,
        })
    }

    /// The member file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Ends the zstd frame, then the age stream, flushes and fsyncs the file.
    pub fn finish(self) -> Result<MemberDigest> {
        let path = self.path;
        let sink = self
            .encoder
            .finish()
            .wrap_err_with(|| format!("cannot finish compressing {}", path.display()))?;
        let hashed = match sink {
            Sink::Plain(hashed) => hashed,
            Sink::Age(stream) => stream
                .finish()
                .wrap_err_with(|| format!("cannot finish encrypting {}", path.display()))?,
        };
        let HashingWriter {
            inner,
            hasher,
            count,
            ..
        } = hashed;
        let file = inner.into_inner().map_err(|e| {
            let reason = e.error().to_string();
            eyre!("cannot write {}: {reason}", path.display())
        })?;
        file.sync_all()
            .wrap_err_with(|| format!("cannot fsync {}", path.display()))?;
        Ok(MemberDigest {
            size: count,
            sha256: hex::encode(hasher.finalize()),
        })
    }
}

impl Write for MemberWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.encoder.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.encoder.flush()
    }
}

/// Where the zstd encoder writes: straight to the hashed file or through age.
enum Sink {
    Plain(HashingWriter),
    Age(Box<age::stream::StreamWriter<HashingWriter>>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Age(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Age(w) => w.flush(),
        }
    }
}

/// Hashes and counts every byte written to the file; I/O errors name the file.
struct HashingWriter {
    inner: BufWriter<File>,
    hasher: Sha256,
    count: u64,
    path: PathBuf,
}

impl HashingWriter {
    fn name_error(&self, err: io::Error) -> io::Error {
        io::Error::new(
            err.kind(),
            format!("cannot write {}: {err}", self.path.display()),
        )
    }
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf).map_err(|e| self.name_error(e))?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().map_err(|e| self.name_error(e))
    }
}

/// Extra knowledge for decryption error messages (from the manifest and the command line).
#[derive(Debug, Clone, Default)]
pub struct DecryptHint {
    /// Public keys the set was encrypted to (manifest `recipients`).
    pub recipients: Vec<String>,
    /// The identity file the identities came from.
    pub identity_file: Option<PathBuf>,
}

/// Opens a member for reading its plain content: decrypts `.age` members with
/// `identities`, then decompresses zstd. Damage surfaces as a read error naming the file.
pub fn open_member(path: &Path, identities: &[Identity]) -> Result<Box<dyn Read + Send>> {
    open_member_with_hint(path, identities, &DecryptHint::default())
}

/// [`open_member`] with a hint that makes "wrong key" errors name recipients and key file.
pub fn open_member_with_hint(
    path: &Path,
    identities: &[Identity],
    hint: &DecryptHint,
) -> Result<Box<dyn Read + Send>> {
    let file = File::open(path).wrap_err_with(|| format!("cannot open {}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut reader = BufReader::with_capacity(BUFFER, file);
    let age_magic = reader
        .fill_buf()
        .wrap_err_with(|| format!("cannot read {}", path.display()))?
        .starts_with(b"age-encryption.org/");
    if age_magic && !name.ends_with(".age") {
        bail!(
            "{} is age-encrypted although its name does not end in .age",
            path.display()
        );
    }
    let compressed: Box<dyn Read + Send> = if name.ends_with(".age") {
        let decryptor = age::Decryptor::new_buffered(reader)
            .map_err(|e| eyre!("{} is not a readable age file: {e}", path.display()))?;
        if decryptor.is_scrypt() {
            bail!(
                "{name} is encrypted with a passphrase; scandyctl decrypts with X25519 identities (age-keygen) only"
            );
        }
        if identities.is_empty() {
            bail!(
                "{} is encrypted{}: give an identity file (age-keygen key) to decrypt it",
                path.display(),
                for_whom(hint)
            );
        }
        match decryptor.decrypt(identities.iter().map(|i| i as &dyn age::Identity)) {
            Ok(stream) => Box::new(NamedReader {
                inner: stream,
                path: path.to_path_buf(),
                stage: "decrypt",
            }),
            Err(age::DecryptError::NoMatchingKeys) => {
                bail!("{}", no_match_message(path, &name, identities, hint))
            }
            Err(e) => bail!("cannot decrypt {}: {e}", path.display()),
        }
    } else {
        Box::new(reader)
    };
    let decoder = zstd::stream::read::Decoder::new(compressed)
        .wrap_err_with(|| format!("cannot start zstd decompression of {}", path.display()))?;
    Ok(Box::new(NamedReader {
        inner: decoder,
        path: path.to_path_buf(),
        stage: "decompress",
    }))
}

fn for_whom(hint: &DecryptHint) -> String {
    if hint.recipients.is_empty() {
        String::new()
    } else {
        format!(" for recipients {}", hint.recipients.join(", "))
    }
}

fn no_match_message(
    path: &Path,
    name: &str,
    identities: &[Identity],
    hint: &DecryptHint,
) -> String {
    let mine = identity_public_keys(identities).join(", ");
    let whose = match &hint.identity_file {
        Some(file) => format!("the identity in {} ({mine})", file.display()),
        None => format!("the given identity ({mine})"),
    };
    let whom = if hint.recipients.is_empty() {
        String::new()
    } else {
        format!(" for recipients {}", hint.recipients.join(", "))
    };
    format!(
        "{name} is encrypted{whom}: {whose} does not match ({})",
        path.display()
    )
}

/// Adds the member path to read errors (damaged, truncated or tampered data).
struct NamedReader<R> {
    inner: R,
    path: PathBuf,
    stage: &'static str,
}

impl<R: Read> Read for NamedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let what = match (self.stage, e.kind()) {
                ("decrypt", io::ErrorKind::InvalidData) => {
                    "damaged, truncated or tampered with (age authentication failed)"
                }
                ("decompress", io::ErrorKind::UnexpectedEof) => "truncated (zstd frame incomplete)",
                _ => "",
            };
            if what.is_empty() {
                io::Error::new(
                    e.kind(),
                    format!("cannot {} {}: {e}", self.stage, self.path.display()),
                )
            } else {
                io::Error::new(
                    e.kind(),
                    format!("cannot {} {}: {what}: {e}", self.stage, self.path.display()),
                )
            }
        })
    }
}

/// Size and SHA-256 of a file, read in 1 MiB blocks.
pub fn digest_file(path: &Path) -> Result<MemberDigest> {
    let mut file = File::open(path).wrap_err_with(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; BUFFER];
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).wrap_err_with(|| format!("cannot read {}", path.display())),
        };
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok(MemberDigest {
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Writes `dir/SHA256SUMS` (`<hex>  <name>` lines, as `sha256sum` prints them) via a
/// temporary file, fsync and rename, then fsyncs `dir`.
pub fn write_sha256sums(dir: &Path, entries: &[(String, String)]) -> Result<()> {
    let path = dir.join(SHA256SUMS);
    let mut text = String::new();
    for (name, sum) in entries {
        check_name(name).wrap_err_with(|| format!("cannot list {name:?} in {}", path.display()))?;
        if !is_sha256_hex(sum) {
            bail!(
                "cannot list {name} in {}: {sum:?} is not a SHA-256 hex digest",
                path.display()
            );
        }
        text.push_str(&format!("{}  {name}\n", sum.to_ascii_lowercase()));
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".SHA256SUMS.")
        .tempfile_in(dir)
        .wrap_err_with(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(text.as_bytes())
        .wrap_err_with(|| format!("cannot write {}", path.display()))?;
    tmp.as_file()
        .sync_all()
        .wrap_err_with(|| format!("cannot fsync {}", path.display()))?;
    tmp.persist(&path)
        .map_err(|e| e.error)
        .wrap_err_with(|| format!("cannot write {}", path.display()))?;
    fsync_dir(dir)
}

/// Parses a `SHA256SUMS` file strictly: `<64 hex>  <name>` (or ` *<name>`) per line,
/// plain member names only. Errors name the file and line. Digests come back lowercase.
pub fn read_sha256sums(path: &Path) -> Result<Vec<(String, String)>> {
    let bytes = std::fs::read(path).wrap_err_with(|| format!("cannot read {}", path.display()))?;
    let text =
        String::from_utf8(bytes).map_err(|_| eyre!("{} is not UTF-8 text", path.display()))?;
    let mut out: Vec<(String, String)> = Vec::new();
    for (index, line) in text.split_terminator('\n').enumerate() {
        let at = || format!("{} line {}", path.display(), index + 1);
        if line.ends_with('\r') {
            bail!("{}: ends with a carriage return (edited on Windows?)", at());
        }
        let (sum, rest) = match line.split_at_checked(64) {
            Some(parts) => parts,
            None => bail!("{}: expected `<64 hex digits>  <name>`", at()),
        };
        if !is_sha256_hex(sum) {
            bail!("{}: expected 64 hex digits at the start", at());
        }
        let name = rest
            .strip_prefix("  ")
            .or_else(|| rest.strip_prefix(" *"))
            .ok_or_else(|| eyre!("{}: expected two spaces between digest and name", at()))?;
        check_name(name).wrap_err_with(at)?;
        if out.iter().any(|(n, _)| n == name) {
            bail!("{}: {name} is listed twice", at());
        }
        out.push((name.to_string(), sum.to_ascii_lowercase()));
    }
    Ok(out)
}

/// fsyncs a directory so renames and new files in it survive a crash.
pub fn fsync_dir(dir: &Path) -> Result<()> {
    let handle =
        File::open(dir).wrap_err_with(|| format!("cannot open directory {}", dir.display()))?;
    handle
        .sync_all()
        .wrap_err_with(|| format!("cannot fsync directory {}", dir.display()))
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Member names are plain file names: no directories, no escapes `sha256sum` would mangle.
fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name == "." || name == ".." {
        bail!("empty or special member name");
    }
    if name.contains(['/', '\\', '\n', '\r', '\0']) {
        bail!("member name {:?} must be a plain file name", name);
    }
    if name.chars().any(char::is_control) {
        bail!("member name {:?} contains control characters", name);
    }
    Ok(())
}

/// Writes `manifest.json` and `SHA256SUMS` (the manifest and every member it lists) into
/// the set directory `dir` and fsyncs the directory: the last step before the rename.
pub fn seal_set(dir: &Path, manifest: &super::manifest::Manifest) -> Result<()> {
    use super::manifest::{MANIFEST_FILE, write_json_atomic};
    let manifest_path = dir.join(MANIFEST_FILE);
    write_json_atomic(&manifest_path, manifest)?;
    let mut sums = vec![(
        MANIFEST_FILE.to_string(),
        digest_file(&manifest_path)?.sha256,
    )];
    sums.extend(
        manifest
            .members
            .iter()
            .map(|m| (m.name.clone(), m.sha256.clone())),
    );
    write_sha256sums(dir, &sums)?;
    fsync_dir(dir)
}
