//! Log writing exactly like Python's `RotatingFileHandler`, plus a live background writer.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use super::lines::LineGen;

/// Appends log records and rotates like `logging.handlers.RotatingFileHandler`.
///
/// Before a record that would make the file reach `max_bytes`, the file is rolled
/// over: `.{keep}` is dropped, `.{i}` renamed to `.{i+1}` from `keep-1` down to `.1`,
/// the base file renamed to `.1` and a new base file opened. An empty file is never
/// rolled over (so a record bigger than `max_bytes` gets a file of its own), and with
/// `keep == 0` or `max_bytes == 0` the file just grows, as in Python.
#[derive(Debug)]
pub struct RotatingLogWriter {
    path: PathBuf,
    max_bytes: u64,
    keep: usize,
    file: Option<File>,
    rotations: u64,
}

impl RotatingLogWriter {
    /// Creates a writer for `path`; the file is opened (and created) on the first write.
    pub fn new(path: impl Into<PathBuf>, max_bytes: u64, keep: usize) -> Self {
        RotatingLogWriter {
            path: path.into(),
            max_bytes,
            keep,
            file: None,
            rotations: 0,
        }
    }

    /// Writes one record (`text` plus a newline; inner newlines stay in the same record).
    pub fn write_entry(&mut self, text: &str) -> io::Result<()> {
        let mut record = String::with_capacity(text.len() + 1);
        record.push_str(text);
        if !record.ends_with('\n') {
            record.push('\n');
        }
        let size = self.open()?.metadata()?.len();
        if self.max_bytes > 0 && size > 0 && size + record.len() as u64 >= self.max_bytes {
            self.roll_over()?;
        }
        let file = self.open()?;
        file.write_all(record.as_bytes())?;
        file.flush()
    }

    /// Returns the base file path (`app.log`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Returns how many rollovers this writer performed.
    pub fn rotations(&self) -> u64 {
        self.rotations
    }

    /// Returns the current size of the base file.
    pub fn current_size(&self) -> u64 {
        fs::metadata(&self.path).map_or(0, |m| m.len())
    }

    /// Returns the path of backup number `n` (`app.log.n`).
    pub fn backup_path(&self, n: usize) -> PathBuf {
        let mut name = self.path.as_os_str().to_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }

    fn open(&mut self) -> io::Result<&mut File> {
        if self.file.is_none() {
            if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent)?;
            }
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            self.file = Some(file);
        }
        Ok(self.file.as_mut().expect("file was just opened"))
    }

    fn roll_over(&mut self) -> io::Result<()> {
        self.file = None;
        if self.keep > 0 {
            for i in (1..self.keep).rev() {
                let source = self.backup_path(i);
                if source.exists() {
                    let target = self.backup_path(i + 1);
                    if target.exists() {
                        fs::remove_file(&target)?;
                    }
                    fs::rename(&source, &target)?;
                }
            }
            let first = self.backup_path(1);
            if first.exists() {
                fs::remove_file(&first)?;
            }
            if self.path.exists() {
                fs::rename(&self.path, &first)?;
            }
            self.rotations += 1;
        }
        Ok(())
    }
}

/// A background thread that keeps appending entries to a rotating log until stopped.
#[derive(Debug)]
pub struct LiveLogWriter {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<thread::JoinHandle<io::Result<u64>>>,
}

impl LiveLogWriter {
    /// Starts writing about `lines_per_sec` entries per second (local-time stamps).
    pub fn start(mut writer: RotatingLogWriter, lines_per_sec: f64, seed: u64) -> io::Result<Self> {
        let interval = Duration::from_secs_f64(1.0 / lines_per_sec.clamp(0.001, 10_000.0));
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = thread::Builder::new()
            .name("demo-log-writer".into())
            .spawn(move || {
                let mut lines = LineGen::new(seed);
                let mut written = 0u64;
                loop {
                    match stopped.recv_timeout(interval) {
                        Err(RecvTimeoutError::Timeout) => {}
                        _ => return Ok(written),
                    }
                    let now = chrono::Local::now().naive_local();
                    writer.write_entry(&lines.app_entry(now))?;
                    written += 1;
                }
            })?;
        Ok(LiveLogWriter {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Stops the thread and returns how many entries it wrote (or its write error).
    pub fn stop(mut self) -> io::Result<u64> {
        self.finish()
    }

    fn finish(&mut self) -> io::Result<u64> {
        drop(self.stop.take());
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the log writer thread panicked"))),
            None => Ok(0),
        }
    }
}

impl Drop for LiveLogWriter {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_like_python() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = RotatingLogWriter::new(dir.path().join("app.log"), 100, 2);
        for i in 0..20 {
            w.write_entry(&format!("entry {i:03} ........................"))
                .unwrap();
        }
        assert!(w.backup_path(1).exists() && w.backup_path(2).exists());
        assert!(!w.backup_path(3).exists());
        assert!(w.current_size() < 100);
    }

    #[test]
    fn oversized_entry_gets_its_own_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = RotatingLogWriter::new(dir.path().join("a.log"), 10, 3);
        w.write_entry("this entry is longer than ten bytes")
            .unwrap();
        assert_eq!(w.rotations(), 0);
        w.write_entry("x").unwrap();
        assert_eq!(w.rotations(), 1);
        assert_eq!(fs::read_to_string(w.path()).unwrap(), "x\n");
    }
}
