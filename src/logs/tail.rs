//! Following one log file like `tail -F`, but without losing or repeating a line across
//! rename rotation, delete-and-recreate and copy-truncate; reading the last lines of a file
//! backwards in blocks; and a change signal (filesystem events plus a polling interval).

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::Watcher;

use super::history::{parent_dir, rotations};

/// A complete line read from a followed file (without its '\n'; a trailing '\r' kept — the parser strips it).
pub type RawLine = Vec<u8>;

/// Longest line kept whole; longer runs without '\n' are returned in pieces of this size.
pub const MAX_PENDING: usize = 64 * 1024;
/// Most bytes one `FileTail::poll` reads, so a poll never blocks its caller for long.
pub const MAX_READ_PER_POLL: usize = 4 * 1024 * 1024;

/// Bytes of a file's start remembered to recognise copy-truncate.
const FINGERPRINT_LEN: usize = 128;
/// Size of one read, forwards and backwards.
const BLOCK: usize = 64 * 1024;
/// Safety bound on file switches within one poll.
const MAX_SWITCHES_PER_POLL: usize = 64;

/// Cuts a byte stream into lines: complete lines out, an incomplete tail held back, runs
/// without '\n' longer than `MAX_PENDING` cut into pieces of that size.
#[derive(Default)]
pub(crate) struct LineSplitter {
    pending: Vec<u8>,
}

impl LineSplitter {
    /// Appends the lines completed by `data` to `out`.
    pub(crate) fn feed(&mut self, mut data: &[u8], out: &mut Vec<RawLine>) {
        while !data.is_empty() {
            let room = MAX_PENDING - self.pending.len();
            let window = &data[..data.len().min(room + 1)];
            if let Some(i) = memchr::memchr(b'\n', window) {
                self.pending.extend_from_slice(&window[..i]);
                out.push(std::mem::take(&mut self.pending));
                data = &data[i + 1..];
            } else if window.len() > room {
                self.pending.extend_from_slice(&data[..room]);
                out.push(std::mem::take(&mut self.pending));
                data = &data[room..];
            } else {
                self.pending.extend_from_slice(window);
                data = &data[window.len()..];
            }
        }
    }

    /// The held-back incomplete line, if any (the stream ended or moved on).
    pub(crate) fn finish(&mut self) -> Option<RawLine> {
        (!self.pending.is_empty()).then(|| std::mem::take(&mut self.pending))
    }
}

/// Identity of a file on disk: device and inode.
type Ident = (u64, u64);

/// The identity of whatever `path` names now; `None` when it does not exist.
fn ident_of(path: &Path) -> io::Result<Option<Ident>> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(Some((m.dev(), m.ino()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(with_path(path, e)),
    }
}

/// Opens `path` for reading; `None` when it does not exist.
fn open_if_exists(path: &Path) -> io::Result<Option<File>> {
    match File::open(path) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(with_path(path, e)),
    }
}

/// Prefixes an io error's message with the path it concerns.
fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Reads up to `len` bytes at `offset` (fewer only at end of file).
fn read_up_to(file: &File, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    let mut filled = 0;
    while filled < len {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

/// The file currently being read and where.
struct Current {
    file: File,
    ident: Ident,
    pos: u64,
    /// The first `min(FINGERPRINT_LEN, pos)` bytes of the file.
    prefix: Vec<u8>,
}

impl Current {
    /// A file to be read from `pos`, remembering its first bytes.
    fn new(file: File, pos: u64) -> io::Result<Current> {
        let m = file.metadata()?;
        let prefix = read_up_to(&file, 0, FINGERPRINT_LEN.min(pos as usize))?;
        Ok(Current {
            file,
            ident: (m.dev(), m.ino()),
            pos,
            prefix,
        })
    }

    /// Whether the file's first bytes still equal the remembered ones (one pread).
    fn prefix_matches(&self) -> io::Result<bool> {
        if self.prefix.is_empty() {
            return Ok(true);
        }
        Ok(read_up_to(&self.file, 0, self.prefix.len())? == self.prefix)
    }

    /// Records that `data` was consumed at the read position.
    fn advance(&mut self, data: &[u8]) {
        let want = FINGERPRINT_LEN
            .saturating_sub(self.prefix.len())
            .min(data.len());
        if self.prefix.len() as u64 == self.pos {
            self.prefix.extend_from_slice(&data[..want]);
        }
        self.pos += data.len() as u64;
    }
}

/// What one read of the current file achieved.
enum Step {
    /// Read up to the size seen.
    Drained,
    /// Stopped by the per-poll budget; more is waiting.
    Partial,
    /// The content was replaced in place; the position moved (to a copy or to 0).
    Replaced,
}

/// Follows one path the way `tail -F` does, but without losing or repeating lines across rotations.
pub struct FileTail {
    path: PathBuf,
    cur: Option<Current>,
    lines: LineSplitter,
    more: bool,
}

impl FileTail {
    /// Starts at the current end of `path` (what exists is history); a missing file is fine (followed once it appears).
    pub fn at_end(path: &Path) -> FileTail {
        let cur = File::open(path).ok().and_then(|f| {
            let end = complete_end(&f).ok()?;
            Current::new(f, end).ok()
        });
        FileTail::with(path, cur)
    }

    /// Starts at the beginning of `path`.
    pub fn at_start(path: &Path) -> FileTail {
        let cur = File::open(path).ok().and_then(|f| Current::new(f, 0).ok());
        FileTail::with(path, cur)
    }

    /// A follower of `path` positioned at `cur`.
    fn with(path: &Path, cur: Option<Current>) -> FileTail {
        FileTail {
            path: path.to_path_buf(),
            cur,
            lines: LineSplitter::default(),
            more: false,
        }
    }

    /// The followed path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the last poll stopped at MAX_READ_PER_POLL with more data waiting.
    pub fn has_more(&self) -> bool {
        self.more
    }

    /// Byte offset of the next read in the current file (0 while there is none), for status lines.
    pub fn position(&self) -> u64 {
        self.cur.as_ref().map_or(0, |c| c.pos)
    }

    /// Reads everything new since the last call (at most MAX_READ_PER_POLL bytes) and returns the complete lines, following rotations.
    pub fn poll(&mut self) -> io::Result<Vec<RawLine>> {
        let mut out = Vec::new();
        let mut budget = MAX_READ_PER_POLL;
        self.more = false;
        for _ in 0..MAX_SWITCHES_PER_POLL {
            let Some(ident) = self.current()? else {
                return Ok(out);
            };
            // Looked at BEFORE draining: whatever the writer wrote before renaming or
            // deleting the file is then read below.
            let moved_on = ident_of(&self.path)? != Some(ident);
            match self.read_current(&mut budget, &mut out)? {
                Step::Replaced => continue,
                Step::Partial => {
                    self.more = true;
                    return Ok(out);
                }
                Step::Drained if !moved_on => return Ok(out),
                Step::Drained => {}
            }
            match self.successor()? {
                Some(next) => {
                    out.extend(self.lines.finish());
                    self.cur = Some(next);
                }
                None => return Ok(out),
            }
        }
        self.more = true;
        Ok(out)
    }

    /// Identity of the file being read, opening the path from offset 0 when there is none yet.
    fn current(&mut self) -> io::Result<Option<Ident>> {
        if self.cur.is_none()
            && let Some(f) = open_if_exists(&self.path)?
        {
            self.cur = Some(Current::new(f, 0).map_err(|e| with_path(&self.path, e))?);
        }
        Ok(self.cur.as_ref().map(|c| c.ident))
    }

    /// Reads the current file from its position to its size (or until `budget` is spent),
    /// first checking whether its content was replaced in place.
    fn read_current(&mut self, budget: &mut usize, out: &mut Vec<RawLine>) -> io::Result<Step> {
        let path = self.path.clone();
        let err = |e| with_path(&path, e);
        let Some(cur) = self.cur.as_mut() else {
            return Ok(Step::Drained);
        };
        let size = cur.file.metadata().map_err(err)?.len();
        if size < cur.pos || !cur.prefix_matches().map_err(err)? {
            self.after_truncation(out)?;
            return Ok(Step::Replaced);
        }
        let available = size - cur.pos;
        let len = available.min(*budget as u64) as usize;
        if len == 0 {
            return Ok(Step::Drained);
        }
        let data = read_up_to(&cur.file, cur.pos, len).map_err(err)?;
        // Validates the read: a truncation racing it would have changed the first bytes.
        if !cur.prefix_matches().map_err(err)? {
            self.after_truncation(out)?;
            return Ok(Step::Replaced);
        }
        cur.advance(&data);
        *budget -= data.len();
        self.lines.feed(&data, out);
        Ok(if (data.len() as u64) < available {
            Step::Partial
        } else {
            Step::Drained
        })
    }

    /// Copy-truncate happened: finish the old content from its copy among the rotations when
    /// one is found (then newer rotations, then the live file from 0), else restart at 0.
    fn after_truncation(&mut self, out: &mut Vec<RawLine>) -> io::Result<()> {
        let Some(cur) = self.cur.take() else {
            return Ok(());
        };
        if let Some(copy) = find_copy(&self.path, &cur)? {
            self.cur = Some(copy);
            return Ok(());
        }
        out.extend(self.lines.finish());
        self.cur = Some(Current {
            pos: 0,
            prefix: Vec::new(),
            ..cur
        });
        Ok(())
    }

    /// The file that follows the current one when the path no longer names it: the next
    /// newer rotation (when several rotations passed since the last poll) or the new file.
    fn successor(&self) -> io::Result<Option<Current>> {
        let Some(cur) = self.cur.as_ref() else {
            return Ok(None);
        };
        for _ in 0..4 {
            if ident_of(&self.path)? == Some(cur.ident) {
                return Ok(None);
            }
            let rots: Vec<PathBuf> = plain_rotations(&self.path);
            let found = position_of(&rots, cur.ident)?;
            let candidate = match found {
                Some(k) if k > 0 => &rots[k - 1],
                _ => &self.path,
            };
            let Some(file) = open_if_exists(candidate)? else {
                return Ok(None);
            };
            let next = Current::new(file, 0).map_err(|e| with_path(candidate, e))?;
            // The rotation holding the current file must not have moved meanwhile, else the
            // candidate may be a newer file than the direct successor: look again.
            let stable = match found {
                Some(k) => ident_of(&rots[k])? == Some(cur.ident),
                None => true,
            };
            if stable && next.ident != cur.ident {
                return Ok(Some(next));
            }
        }
        Ok(None)
    }
}

/// Uncompressed rotations of `path`, newest first.
fn plain_rotations(path: &Path) -> Vec<PathBuf> {
    rotations(path)
        .into_iter()
        .filter(|p| p.extension().is_none_or(|e| e != "gz"))
        .collect()
}

/// Index of the file with identity `ident` in `paths`.
fn position_of(paths: &[PathBuf], ident: Ident) -> io::Result<Option<usize>> {
    for (i, p) in paths.iter().enumerate() {
        if ident_of(p)? == Some(ident) {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// The copy a copy-truncate left of `cur`'s content: the newest rotation starting with the
/// same bytes and at least as long as what was read; it continues at the same position.
fn find_copy(path: &Path, cur: &Current) -> io::Result<Option<Current>> {
    if cur.prefix.is_empty() {
        return Ok(None);
    }
    for p in plain_rotations(path) {
        let Some(file) = open_if_exists(&p)? else {
            continue;
        };
        let m = file.metadata().map_err(|e| with_path(&p, e))?;
        if (m.dev(), m.ino()) == cur.ident || m.len() < cur.pos {
            continue;
        }
        let copy = Current {
            file,
            ident: (m.dev(), m.ino()),
            pos: cur.pos,
            prefix: cur.prefix.clone(),
        };
        if copy.prefix_matches().map_err(|e| with_path(&p, e))? {
            return Ok(Some(copy));
        }
    }
    Ok(None)
}

/// Offset just after the last '\n' of `file` (its size when no '\n' is in the last MAX_PENDING bytes).
fn complete_end(file: &File) -> io::Result<u64> {
    let size = file.metadata()?.len();
    let tail_len = size.min(MAX_PENDING as u64);
    let tail = read_up_to(file, size - tail_len, tail_len as usize)?;
    Ok(match memchr::memrchr(b'\n', &tail) {
        Some(i) => size - tail_len + i as u64 + 1,
        None => size,
    })
}

/// The last `n` complete lines of `path`, read backwards from the end in blocks (never the whole file): returns the lines (oldest first) and the byte offset where the first returned line starts.
pub fn read_last_lines(path: &Path, n: usize) -> io::Result<(Vec<RawLine>, u64)> {
    let file = File::open(path).map_err(|e| with_path(path, e))?;
    let end = complete_end(&file).map_err(|e| with_path(path, e))?;
    let back = lines_before(&file, end, n).map_err(|e| with_path(path, e))?;
    Ok((back.lines, back.start))
}

/// The complete lines of `path` that lie before byte offset `end` — up to `n` of them, the last `n` before `end` — for scrolling back within the current file. Returns (lines, start offset of the first).
pub fn read_lines_before(path: &Path, end: u64, n: usize) -> io::Result<(Vec<RawLine>, u64)> {
    let file = File::open(path).map_err(|e| with_path(path, e))?;
    let back = lines_before(&file, end, n).map_err(|e| with_path(path, e))?;
    Ok((back.lines, back.start))
}

/// Result of a backward read.
struct Backward {
    /// Oldest first.
    lines: Vec<RawLine>,
    /// Offset where the first line starts.
    start: u64,
    /// Bytes read from the file (to prove only the last blocks are touched).
    #[cfg(test)]
    bytes_read: u64,
}

/// Holds the not yet consumed bytes `[lo, lo + buf.len())` just before a line end.
struct BackReader<'a> {
    file: &'a File,
    lo: u64,
    buf: Vec<u8>,
    bytes_read: u64,
}

impl BackReader<'_> {
    /// Prepends the previous block; `false` at the start of the file.
    fn grow(&mut self) -> io::Result<bool> {
        if self.lo == 0 {
            return Ok(false);
        }
        let len = (BLOCK.max(self.buf.len()) as u64).min(self.lo);
        let mut block = read_up_to(self.file, self.lo - len, len as usize)?;
        if block.len() as u64 != len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file shrank while reading",
            ));
        }
        self.bytes_read += len;
        self.lo -= len;
        block.extend_from_slice(&self.buf);
        self.buf = block;
        Ok(true)
    }

    /// Takes the line (or MAX_PENDING piece) that ends at the end of the buffer; returns it,
    /// its start offset and whether a '\n' precedes it (`None` when nothing is left).
    fn take_line(&mut self) -> io::Result<(RawLine, u64, bool)> {
        loop {
            let end = self.buf.len();
            let from = end.saturating_sub(MAX_PENDING + 1);
            if let Some(i) = memchr::memrchr(b'\n', &self.buf[from..]) {
                let line = self.buf[from + i + 1..].to_vec();
                self.buf.truncate(from + i);
                return Ok((line, self.lo + (from + i + 1) as u64, true));
            }
            if from > 0 || (end > MAX_PENDING && self.lo == 0) {
                let cut = end - MAX_PENDING;
                let line = self.buf.split_off(cut);
                return Ok((line, self.lo + cut as u64, self.lo + (cut as u64) > 0));
            }
            if !self.grow()? {
                return Ok((std::mem::take(&mut self.buf), 0, false));
            }
        }
    }
}

/// The last `n` lines before `end` in `file`; a run over MAX_PENDING bytes is cut into pieces.
fn lines_before(file: &File, end: u64, n: usize) -> io::Result<Backward> {
    let end = end.min(file.metadata()?.len());
    let mut r = BackReader {
        file,
        lo: end,
        buf: Vec::new(),
        bytes_read: 0,
    };
    let mut lines = Vec::new();
    let mut start = end;
    if end > 0 && n > 0 {
        r.grow()?;
        if r.buf.last() == Some(&b'\n') {
            r.buf.pop();
        }
        while lines.len() < n {
            let (line, line_start, more) = r.take_line()?;
            lines.push(line);
            start = line_start;
            if !more {
                break;
            }
        }
    }
    lines.reverse();
    Ok(Backward {
        lines,
        start,
        #[cfg(test)]
        bytes_read: r.bytes_read,
    })
}

/// Wakes a follower: on filesystem events for the file's directory (notify), and at least every `poll_interval` (network filesystems, missed events).
pub struct ChangeSignal {
    wake: Arc<tokio::sync::Notify>,
    poll_interval: Duration,
    watcher: Option<notify::RecommendedWatcher>,
}

impl ChangeSignal {
    /// Watches the parent directories of `paths` (non-recursive) with notify's recommended watcher; if the watcher cannot be created, polling alone works.
    pub fn new(paths: &[PathBuf], poll_interval: Duration) -> ChangeSignal {
        let wake = Arc::new(tokio::sync::Notify::new());
        let names: Vec<OsString> = paths
            .iter()
            .filter_map(|p| p.file_name().map(OsString::from))
            .collect();
        let waker = Arc::clone(&wake);
        let handler = move |res: notify::Result<notify::Event>| match res {
            Ok(ev) if !ev.paths.is_empty() && !ev.paths.iter().any(|p| concerns(p, &names)) => {}
            // Bursts coalesce: Notify keeps at most one stored wake-up.
            _ => waker.notify_one(),
        };
        let watcher = notify::recommended_watcher(handler)
            .ok()
            .and_then(|w| watch_dirs(w, paths));
        ChangeSignal {
            wake,
            poll_interval,
            watcher,
        }
    }

    /// Waits until something may have changed (an event or the interval).
    pub async fn changed(&mut self) {
        tokio::select! {
            _ = self.wake.notified() => {}
            _ = tokio::time::sleep(self.poll_interval) => {}
        }
    }

    /// Whether filesystem events are being received (false: polling only).
    pub fn uses_events(&self) -> bool {
        self.watcher.is_some()
    }
}

/// Watches each distinct parent directory; the watcher when at least one watch took.
fn watch_dirs(
    mut watcher: notify::RecommendedWatcher,
    paths: &[PathBuf],
) -> Option<notify::RecommendedWatcher> {
    let mut dirs: Vec<&Path> = paths.iter().map(|p| parent_dir(p)).collect();
    dirs.sort();
    dirs.dedup();
    let watching = dirs
        .into_iter()
        .filter(|d| {
            watcher
                .watch(d, notify::RecursiveMode::NonRecursive)
                .is_ok()
        })
        .count();
    (watching > 0).then_some(watcher)
}

/// Whether an event path is one of the followed files or a rotation of one (`app.log*`).
fn concerns(path: &Path, names: &[OsString]) -> bool {
    let Some(file_name) = path.file_name() else {
        return true;
    };
    names.iter().any(|n| {
        file_name
            .as_encoded_bytes()
            .starts_with(n.as_encoded_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn split(chunks: &[&[u8]]) -> (Vec<RawLine>, Option<RawLine>) {
        let mut s = LineSplitter::default();
        let mut out = Vec::new();
        for c in chunks {
            s.feed(c, &mut out);
        }
        (out, s.finish())
    }

    #[test]
    fn splitter_joins_chunks_and_holds_the_tail() {
        let (lines, rest) = split(&[b"ab", b"c\nde\r\n", b"f"]);
        assert_eq!(lines, [b"abc".to_vec(), b"de\r".to_vec()]);
        assert_eq!(rest, Some(b"f".to_vec()));
    }

    #[test]
    fn splitter_keeps_a_line_of_exactly_max_pending_whole() {
        let mut data = vec![b'x'; MAX_PENDING];
        data.push(b'\n');
        let (lines, rest) = split(&[&data[..10], &data[10..]]);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].len(), MAX_PENDING);
        assert_eq!(rest, None);
    }

    #[test]
    fn splitter_cuts_long_runs_into_pieces() {
        let data = vec![b'y'; 3 * MAX_PENDING + 5];
        let (lines, rest) = split(&[&data]);
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| l.len() == MAX_PENDING));
        assert_eq!(rest.map(|r| r.len()), Some(5));
    }

    fn numbered_file(dir: &Path, lines: usize) -> PathBuf {
        let path = dir.join("big.log");
        let mut w = io::BufWriter::new(File::create(&path).unwrap());
        for i in 0..lines {
            writeln!(w, "{i:09} some padding to make the line longer").unwrap();
        }
        w.flush().unwrap();
        path
    }

    #[test]
    fn backward_read_touches_only_the_last_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let path = numbered_file(dir.path(), 400_000);
        let file = File::open(&path).unwrap();
        let size = file.metadata().unwrap().len();
        let back = lines_before(&file, size, 1000).unwrap();
        assert_eq!(back.lines.len(), 1000);
        assert!(back.lines[0].starts_with(b"000399000 "));
        assert!(back.lines[999].starts_with(b"000399999 "));
        assert!(
            back.bytes_read <= 2 * BLOCK as u64,
            "read {} bytes",
            back.bytes_read
        );
        assert!(size > 100 * back.bytes_read);
    }

    #[test]
    fn backward_read_cuts_long_lines_and_reaches_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        let mut data = b"\nfirst\n".to_vec();
        data.extend(vec![b'z'; 2 * MAX_PENDING + 3]);
        data.extend_from_slice(b"\nlast\n");
        std::fs::write(&path, &data).unwrap();
        let (lines, start) = read_lines_before(&path, data.len() as u64, 100).unwrap();
        assert_eq!(start, 0);
        let lens: Vec<usize> = lines.iter().map(|l| l.len()).collect();
        assert_eq!(lens, [0, 5, 3, MAX_PENDING, MAX_PENDING, 4]);
    }

    #[test]
    fn empty_file_and_zero_lines_give_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.log");
        std::fs::write(&path, b"").unwrap();
        assert_eq!(read_last_lines(&path, 5).unwrap(), (vec![], 0));
        std::fs::write(&path, b"a\nb\n").unwrap();
        assert_eq!(read_last_lines(&path, 0).unwrap(), (vec![], 4));
    }

    #[test]
    fn at_end_skips_history_but_keeps_an_incomplete_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, b"old 1\nold 2\nhal").unwrap();
        let mut tail = FileTail::at_end(&path);
        assert_eq!(tail.position(), 12);
        assert!(tail.poll().unwrap().is_empty());
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"f\nnew\n").unwrap();
        assert_eq!(tail.poll().unwrap(), [b"half".to_vec(), b"new".to_vec()]);
        assert!(!tail.has_more());
    }

    #[test]
    fn concerns_matches_the_file_and_its_rotations_only() {
        let names = [OsString::from("app.log")];
        assert!(concerns(Path::new("/x/app.log"), &names));
        assert!(concerns(Path::new("/x/app.log.1"), &names));
        assert!(!concerns(Path::new("/x/other.log"), &names));
    }
}
