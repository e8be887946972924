//! Following real files in a temporary directory across every rotation style while a writer
//! appends at speed: every written line must arrive exactly once, in order.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use scandyctl::logs::tail::{
    ChangeSignal, FileTail, MAX_PENDING, MAX_READ_PER_POLL, RawLine, read_last_lines,
    read_lines_before,
};

/// Lines each rotation test writes.
const TOTAL: usize = 60_000;
/// Numbered rotations kept (more than the test produces, so no generation is deleted unread).
const BACKUP_COUNT: usize = 30;

/// How the writer rotates its file.
#[derive(Clone, Copy, Debug)]
enum Style {
    /// Python's RotatingFileHandler: close, shift `.N` to `.N+1`, rename the file to `.1`, open a new one.
    Rename,
    /// Close, delete, create anew.
    DeleteRecreate,
    /// Copy the file to `.1` (after shifting), truncate it in place, keep writing (O_APPEND).
    CopyTruncate,
}

/// How the follower is woken.
#[derive(Clone, Copy, Debug)]
enum Driver {
    /// Tight loop with a tiny sleep.
    Spin,
    /// `ChangeSignal` with a 50 ms poll interval.
    Signal,
}

/// The exact text of line `i` (without '\n'): variable length, unique start.
fn line(i: usize) -> Vec<u8> {
    let mut l = format!("{i:08} - INFO - request {}", "x".repeat(i % 61)).into_bytes();
    if i.is_multiple_of(7) {
        l.push(b'\r');
    }
    l
}

/// Deterministic pseudo-random numbers for burst sizes and split points.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % below
    }
}

fn open_append(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

fn rotation(path: &Path, n: usize) -> PathBuf {
    PathBuf::from(format!("{}.{n}", path.display()))
}

/// Shifts `.N` to `.N+1` from the highest down, like RotatingFileHandler.
fn shift_rotations(path: &Path) {
    for n in (1..BACKUP_COUNT).rev() {
        let from = rotation(path, n);
        if from.exists() {
            std::fs::rename(&from, rotation(path, n + 1)).unwrap();
        }
    }
}

/// Rotates `file` at `path` in `style`; returns the handle to keep writing with.
fn rotate(
    path: &Path,
    file: File,
    style: Style,
    seen: &AtomicUsize,
    generation_start: usize,
) -> File {
    match style {
        Style::Rename => {
            drop(file);
            shift_rotations(path);
            std::fs::rename(path, rotation(path, 1)).unwrap();
            open_append(path)
        }
        Style::DeleteRecreate => {
            // A deleted file can only be drained by a follower that opened it before the
            // delete: wait until it has read at least one line of this generation.
            let deadline = Instant::now() + Duration::from_secs(5);
            while seen.load(Ordering::Acquire) <= generation_start && Instant::now() < deadline {
                thread::sleep(Duration::from_micros(50));
            }
            drop(file);
            std::fs::remove_file(path).unwrap();
            open_append(path)
        }
        Style::CopyTruncate => {
            shift_rotations(path);
            std::fs::copy(path, rotation(path, 1)).unwrap();
            file.set_len(0).unwrap();
            file
        }
    }
}

/// Writes lines 0..TOTAL in bursts of random size, rotating every ~5 000 lines (sometimes
/// mid-burst), some lines in two writes.
fn write_all_lines(path: &Path, style: Style, seen: &AtomicUsize) {
    let mut rng = Lcg(42);
    let mut file = open_append(path);
    let mut next_rotation = 4_000 + rng.next(2_000);
    let mut generation_start = 0;
    let mut i = 0;
    while i < TOTAL {
        let burst = 1 + rng.next(3_000);
        for _ in 0..burst.min(TOTAL - i) {
            if i == next_rotation {
                file = rotate(path, file, style, seen, generation_start);
                generation_start = i;
                next_rotation = i + 4_000 + rng.next(2_000);
            }
            let mut bytes = line(i);
            bytes.push(b'\n');
            if i.is_multiple_of(13) {
                let cut = rng.next(bytes.len());
                file.write_all(&bytes[..cut]).unwrap();
                file.write_all(&bytes[cut..]).unwrap();
            } else {
                file.write_all(&bytes).unwrap();
            }
            i += 1;
        }
        thread::sleep(Duration::from_micros(rng.next(500) as u64));
    }
}

/// Checks that `got` is exactly lines 0..TOTAL in order, naming the first difference.
fn assert_exactly_once(got: &[RawLine]) {
    for (i, l) in got.iter().enumerate() {
        assert!(
            *l == line(i),
            "line {i}: expected {:?}, got {:?}",
            String::from_utf8_lossy(&line(i)),
            String::from_utf8_lossy(l)
        );
    }
    assert_eq!(got.len(), TOTAL);
}

/// Adds `lines` to `got`, publishing the count for the writer.
fn collect(got: &mut Vec<RawLine>, lines: Vec<RawLine>, seen: &AtomicUsize) {
    got.extend(lines);
    seen.store(got.len(), Ordering::Release);
}

/// Follows in a tight loop until TOTAL lines arrived (or a deadline passed).
fn follow_spinning(mut tail: FileTail, seen: &AtomicUsize, done: &AtomicBool) -> Vec<RawLine> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut got = Vec::new();
    while got.len() < TOTAL && Instant::now() < deadline {
        let writer_done = done.load(Ordering::Acquire);
        let before = got.len();
        collect(&mut got, tail.poll().unwrap(), seen);
        if !tail.has_more() {
            if writer_done && got.len() == before {
                break;
            }
            thread::sleep(Duration::from_micros(200));
        }
    }
    got
}

/// Follows woken by a `ChangeSignal` (50 ms interval) until TOTAL lines arrived.
fn follow_signalled(mut tail: FileTail, seen: &AtomicUsize, done: &AtomicBool) -> Vec<RawLine> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut signal = ChangeSignal::new(&[tail.path().to_path_buf()], Duration::from_millis(50));
        assert!(signal.uses_events());
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut got = Vec::new();
        while got.len() < TOTAL && Instant::now() < deadline {
            signal.changed().await;
            let writer_done = done.load(Ordering::Acquire);
            let before = got.len();
            loop {
                collect(&mut got, tail.poll().unwrap(), seen);
                if !tail.has_more() {
                    break;
                }
            }
            if writer_done && got.len() == before {
                break;
            }
        }
        got
    })
}

/// Runs a writer in `style` against a follower driven by `driver`; `missing` starts the
/// follower before the file exists.
fn run(style: Style, driver: Driver, missing: bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let tail = if missing {
        FileTail::at_end(&path)
    } else {
        File::create(&path).unwrap();
        FileTail::at_start(&path)
    };
    let seen = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let writer = {
        let (path, seen, done) = (path.clone(), Arc::clone(&seen), Arc::clone(&done));
        thread::spawn(move || {
            if missing {
                thread::sleep(Duration::from_millis(100));
            }
            write_all_lines(&path, style, &seen);
            done.store(true, Ordering::Release);
        })
    };
    let got = match driver {
        Driver::Spin => follow_spinning(tail, &seen, &done),
        Driver::Signal => follow_signalled(tail, &seen, &done),
    };
    writer.join().unwrap();
    eprintln!(
        "{style:?}/{driver:?}: {} lines in {:?}",
        got.len(),
        started.elapsed()
    );
    assert_exactly_once(&got);
}

#[test]
fn rename_rotation_spinning() {
    run(Style::Rename, Driver::Spin, false);
}

#[test]
fn rename_rotation_signalled() {
    run(Style::Rename, Driver::Signal, false);
}

#[test]
fn delete_and_recreate_spinning() {
    run(Style::DeleteRecreate, Driver::Spin, false);
}

#[test]
fn delete_and_recreate_signalled() {
    run(Style::DeleteRecreate, Driver::Signal, false);
}

#[test]
fn copy_truncate_spinning() {
    run(Style::CopyTruncate, Driver::Spin, false);
}

#[test]
fn copy_truncate_signalled() {
    run(Style::CopyTruncate, Driver::Signal, false);
}

#[test]
fn missing_at_start_spinning() {
    run(Style::Rename, Driver::Spin, true);
}

#[test]
fn missing_at_start_signalled() {
    run(Style::Rename, Driver::Signal, true);
}

fn append(path: &Path, bytes: &[u8]) {
    open_append(path).write_all(bytes).unwrap();
}

#[test]
fn a_missing_file_is_no_error_and_is_read_from_its_start_once_it_appears() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("later.log");
    let mut tail = FileTail::at_end(&path);
    assert!(tail.poll().unwrap().is_empty());
    assert!(tail.poll().unwrap().is_empty());
    append(&path, b"first\nsecond\n");
    assert_eq!(
        tail.poll().unwrap(),
        [b"first".to_vec(), b"second".to_vec()]
    );
    std::fs::remove_file(&path).unwrap();
    assert!(tail.poll().unwrap().is_empty());
    append(&path, b"third\n");
    assert_eq!(tail.poll().unwrap(), [b"third".to_vec()]);
}

#[test]
fn a_partial_line_is_held_back_until_complete_and_crlf_stays_raw() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    append(&path, b"history\n");
    let mut tail = FileTail::at_end(&path);
    append(&path, b"2025-07-31 21:35:27,958 - INFO - hal");
    assert!(tail.poll().unwrap().is_empty());
    append(&path, b"f a line\r\nnext\r");
    assert_eq!(
        tail.poll().unwrap(),
        [b"2025-07-31 21:35:27,958 - INFO - half a line\r".to_vec()]
    );
    append(&path, b"\n");
    assert_eq!(tail.poll().unwrap(), [b"next\r".to_vec()]);
}

#[test]
fn an_incomplete_line_is_returned_when_its_file_is_rotated_away() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    append(&path, b"done\nunfinished");
    let mut tail = FileTail::at_start(&path);
    assert_eq!(tail.poll().unwrap(), [b"done".to_vec()]);
    std::fs::rename(&path, rotation(&path, 1)).unwrap();
    append(&path, b"new\n");
    assert_eq!(
        tail.poll().unwrap(),
        [b"unfinished".to_vec(), b"new".to_vec()]
    );
}

#[test]
fn a_long_line_without_newline_comes_in_pieces() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bin.log");
    let mut tail = FileTail::at_start(&path);
    append(&path, &vec![b'b'; 200 * 1024]);
    let pieces = tail.poll().unwrap();
    assert_eq!(pieces.len(), 3);
    assert!(pieces.iter().all(|p| p.len() == MAX_PENDING));
    append(&path, b"\n");
    assert_eq!(
        tail.poll().unwrap(),
        [vec![b'b'; 200 * 1024 - 3 * MAX_PENDING]]
    );
}

#[test]
fn one_poll_reads_at_most_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    let line = [b'a'; 1023];
    let mut w = BufWriter::new(File::create(&path).unwrap());
    for _ in 0..10 * 1024 {
        w.write_all(&line).unwrap();
        w.write_all(b"\n").unwrap();
    }
    w.flush().unwrap();
    let mut tail = FileTail::at_start(&path);
    let first = tail.poll().unwrap();
    assert_eq!(first.len(), MAX_READ_PER_POLL / 1024);
    assert!(tail.has_more());
    assert_eq!(tail.position(), MAX_READ_PER_POLL as u64);
    let mut total = first.len();
    while tail.has_more() {
        total += tail.poll().unwrap().len();
    }
    assert_eq!(total, 10 * 1024);
    assert_eq!(tail.position(), 10 * 1024 * 1024);
}

/// Writes `lines` numbered lines of about 100 bytes; returns the path and the file size.
fn numbered_file(dir: &Path, lines: usize) -> (PathBuf, u64) {
    let path = dir.join("big.log");
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&path).unwrap());
    let pad = [b'.'; 120];
    for i in 0..lines {
        writeln!(
            w,
            "{i:010} {}",
            std::str::from_utf8(&pad[..i % 120]).unwrap()
        )
        .unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let size = std::fs::metadata(&path).unwrap().len();
    (path, size)
}

#[test]
fn read_last_lines_of_a_200_mb_file_is_fast_and_exact() {
    let dir = tempfile::tempdir().unwrap();
    let lines = 2_900_000;
    let (path, size) = numbered_file(dir.path(), lines);
    assert!(size >= 195 * 1024 * 1024, "{size}");
    let started = Instant::now();
    let (last, start) = read_last_lines(&path, 1000).unwrap();
    let took = started.elapsed();
    assert_eq!(last.len(), 1000);
    for (k, l) in last.iter().enumerate() {
        let i = lines - 1000 + k;
        assert_eq!(*l, format!("{i:010} {}", ".".repeat(i % 120)).into_bytes());
    }
    let bytes: u64 = last.iter().map(|l| l.len() as u64 + 1).sum();
    assert_eq!(start, size - bytes);
    assert!(took < Duration::from_millis(500), "took {took:?}");
}

#[test]
fn paging_backwards_reproduces_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("page.log");
    let mut content = Vec::new();
    for i in 0..20_000 {
        content.extend(line(i));
        content.push(b'\n');
        if i.is_multiple_of(997) {
            content.push(b'\n');
        }
    }
    std::fs::write(&path, &content).unwrap();
    let (mut pages, mut start) = read_last_lines(&path, 777).unwrap();
    while start > 0 {
        let (mut older, s) = read_lines_before(&path, start, 777).unwrap();
        assert!(!older.is_empty());
        older.extend(pages);
        pages = older;
        start = s;
    }
    let mut rebuilt = Vec::new();
    for l in &pages {
        rebuilt.extend_from_slice(l);
        rebuilt.push(b'\n');
    }
    assert!(rebuilt == content);
    let (none, zero) = read_lines_before(&path, 0, 10).unwrap();
    assert!(none.is_empty() && zero == 0);
}

#[test]
fn errors_name_the_file() {
    let err = read_last_lines(Path::new("/nonexistent/dir/app.log"), 5).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/dir/app.log"),
        "{err}"
    );
}

/// Writes lines `from..to` to `file`.
fn write_range(file: &mut File, from: usize, to: usize) {
    for i in from..to {
        let mut bytes = line(i);
        bytes.push(b'\n');
        file.write_all(&bytes).unwrap();
    }
}

#[test]
fn several_rotations_between_two_polls_lose_nothing() {
    for style in [Style::Rename, Style::CopyTruncate] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let seen = AtomicUsize::new(usize::MAX);
        let mut file = open_append(&path);
        let mut tail = FileTail::at_start(&path);
        write_range(&mut file, 0, 10);
        let mut got = tail.poll().unwrap();
        write_range(&mut file, 10, 20);
        for generation in 0..4 {
            file = rotate(&path, file, style, &seen, 0);
            write_range(&mut file, 20 + generation * 10, 30 + generation * 10);
        }
        got.extend(tail.poll().unwrap());
        let want: Vec<RawLine> = (0..60).map(line).collect();
        assert!(got == want, "{style:?}: {} lines", got.len());
    }
}

#[tokio::test]
async fn change_signal_wakes_on_an_event_long_before_its_interval() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.log");
    let mut signal = ChangeSignal::new(std::slice::from_ref(&path), Duration::from_secs(30));
    assert!(signal.uses_events());
    let started = Instant::now();
    let writer = {
        let path = path.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            append(&path, b"hello\n");
        })
    };
    signal.changed().await;
    assert!(started.elapsed() < Duration::from_secs(5));
    writer.join().unwrap();
}

#[tokio::test]
async fn change_signal_without_a_watchable_directory_still_polls() {
    let path = PathBuf::from("/nonexistent/scandy/logs/app.log");
    let mut signal = ChangeSignal::new(&[path], Duration::from_millis(20));
    assert!(!signal.uses_events());
    let started = Instant::now();
    signal.changed().await;
    signal.changed().await;
    assert!(started.elapsed() >= Duration::from_millis(40));
}
