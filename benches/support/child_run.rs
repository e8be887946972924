//! Running a benchmarked child process to its end: wall and CPU time from `wait4`, peak
//! RSS from polling `VmHWM` in `/proc`.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What one child process cost.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// Wall time.
    pub wall: Duration,
    /// User CPU seconds.
    pub user: f64,
    /// System CPU seconds.
    pub sys: f64,
    /// Peak RSS (`VmHWM`) of the process or its largest descendant, KiB.
    pub maxrss_kib: u64,
    /// Everything it printed on stdout.
    pub stdout: String,
    /// CPU seconds the database server used meanwhile (set by the backup benchmark's
    /// database runs only).
    #[allow(dead_code)]
    pub server_cpu: Option<f64>,
}

impl Run {
    /// Wall seconds.
    pub fn secs(&self) -> f64 {
        self.wall.as_secs_f64()
    }
    /// CPU seconds (user + system).
    pub fn cpu(&self) -> f64 {
        self.user + self.sys
    }
    /// Peak RSS in MiB.
    pub fn rss_mb(&self) -> f64 {
        self.maxrss_kib as f64 / 1024.0
    }
}

/// Runs `cmd` to the end; panics when it fails. Rusage comes from `wait4` on the child.
pub fn run(what: &str, cmd: &mut Command) -> Run {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let pid = child.id() as libc::pid_t;
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let stop = Arc::new(AtomicBool::new(false));
    let poller = {
        let stop = stop.clone();
        std::thread::spawn(move || peak_rss_kib(pid, &stop))
    };
    let mut status: libc::c_int = 0;
    // SAFETY: zeroed rusage is a valid out-parameter.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own un-reaped child; std never waits for it (we do not call wait).
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(
        rc,
        pid,
        "{what}: wait4 failed: {}",
        std::io::Error::last_os_error()
    );
    stop.store(true, Ordering::Relaxed);
    let maxrss_kib = poller.join().unwrap_or(0);
    drop(child);
    let stdout = out_thread.join().unwrap_or_default();
    let stderr = err_thread.join().unwrap_or_default();
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    assert!(
        ok,
        "{what} failed (status {status:#x}):\nstdout: {stdout}\nstderr: {stderr}"
    );
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Run {
        wall,
        user: tv(usage.ru_utime),
        sys: tv(usage.ru_stime),
        maxrss_kib,
        stdout,
        server_cpu: None,
    }
}

/// Largest `VmHWM` of `pid` and its descendants, polled every 20 ms until `stop`.
///
/// `ru_maxrss` from `wait4` is no use here: a child started with vfork/posix_spawn
/// inherits the parent's high-water mark at exec, so it would report the bench's own RSS.
pub fn peak_rss_kib(pid: libc::pid_t, stop: &AtomicBool) -> u64 {
    let mut peak = 0;
    loop {
        let mut stack = vec![pid as u32];
        while let Some(p) = stack.pop() {
            let status = std::fs::read_to_string(format!("/proc/{p}/status")).unwrap_or_default();
            let hwm = status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
            peak = peak.max(hwm);
            if let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) {
                for task in tasks.flatten() {
                    let children =
                        std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
                    stack.extend(
                        children
                            .split_whitespace()
                            .filter_map(|c| c.parse::<u32>().ok()),
                    );
                }
            }
        }
        if stop.load(Ordering::Relaxed) {
            return peak;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
