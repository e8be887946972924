//! Log reading cost, side by side with `lnav` and `grep`.
//!
//! Measures, in one run on the same machine, on a generated Scandy install whose
//! `app/logs/app.log` is `BENCH_LOG_MB` (default 1024) MB in Scandy's format:
//! - parse + filter throughput: `scandyctl logs --count --grep PAT` vs `grep -E -c PAT` vs
//!   `lnav -n -q FILE` (headless: loads and indexes the file, prints nothing, exits),
//! - time to first screen of the Logs tab (newest line visible) and peak memory (VmHWM),
//! - with a writer appending 50 000 lines/s to a small install: key-to-redraw latency of the
//!   level filter (`l`) and the console's CPU.
//!
//! Knobs: `BENCH_LOG_MB`, `BENCH_LOG_DIR` (an existing install dir holding
//! `app/logs/app.log`; generated otherwise), `BENCH_RUNS` (first-screen runs, default 10).
//! Run: `cargo bench --bench logs`.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

#[path = "support/proc_stats.rs"]
mod proc_stats;
use proc_stats::{cpu_seconds, ms, percentile, status_kib};

const MARKER: &str = "BENCH-LAST-LINE";
const PATTERN: &str = "Barcode 1000[0-9]+";
const BIN: &str = env!("CARGO_BIN_EXE_scandyctl");

// ---------------------------------------------------------------------------------------
// Generator

/// Appends Scandy-format lines to a buffer; timestamps increase by 1–3 ms per line.
struct LineGen {
    state: u64,
    /// Milliseconds since 2025-01-01 00:00:00.
    clock_ms: u64,
    day: u64,
    date: String,
}

const PATHS: &[&str] = &[
    "workers/",
    "tools/",
    "consumables/",
    "tickets/",
    "admin/dashboard",
    "api/notifications",
    "lending/process",
    "static/css/main.css",
    "tools/view/1042",
    "auth/login",
];

impl LineGen {
    fn new(seed: u64, start_ms: u64) -> Self {
        let mut g = LineGen {
            state: seed | 1,
            clock_ms: start_ms,
            day: u64::MAX,
            date: String::new(),
        };
        g.refresh_date();
        g
    }

    fn next_rand(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn refresh_date(&mut self) {
        let day = self.clock_ms / 86_400_000;
        if day != self.day {
            self.day = day;
            let base = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
            self.date = (base + chrono::Days::new(day))
                .format("%Y-%m-%d")
                .to_string();
        }
    }

    fn timestamp(&mut self, out: &mut Vec<u8>) {
        self.clock_ms += 1 + self.next_rand() % 3;
        self.refresh_date();
        let in_day = self.clock_ms % 86_400_000;
        let (h, m, s, milli) = (
            in_day / 3_600_000,
            in_day / 60_000 % 60,
            in_day / 1000 % 60,
            in_day % 1000,
        );
        out.extend_from_slice(self.date.as_bytes());
        out.extend_from_slice(&[
            b' ',
            b'0' + (h / 10) as u8,
            b'0' + (h % 10) as u8,
            b':',
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
            b':',
            b'0' + (s / 10) as u8,
            b'0' + (s % 10) as u8,
            b',',
            b'0' + (milli / 100) as u8,
            b'0' + (milli / 10 % 10) as u8,
            b'0' + (milli % 10) as u8,
        ]);
    }

    fn num(out: &mut Vec<u8>, n: u64) {
        let mut buf = itoa_buf(n);
        out.append(&mut buf);
    }

    /// One entry (one line, or an ERROR line plus a 5-line traceback); `info_only` writes
    /// only INFO request lines (no `WARNING`/`ERROR` text anywhere).
    fn entry(&mut self, out: &mut Vec<u8>, info_only: bool) {
        self.timestamp(out);
        let r = self.next_rand() % 1000;
        let ip = 2 + self.next_rand() % 250;
        if info_only || r < 960 {
            let path = PATHS[(self.next_rand() % PATHS.len() as u64) as usize];
            out.extend_from_slice(b" - INFO - Request: GET http://192.168.178.56:5000/".as_slice());
            out.extend_from_slice(path.as_bytes());
            out.extend_from_slice(b" - IP: 192.168.178.");
            Self::num(out, ip);
        } else if r < 990 {
            out.extend_from_slice(b" - WARNING - Statische Datei nicht gefunden: /static/js/");
            out.extend_from_slice(
                ["delete.js", "chart.min.js", "lending.js", "favicon.ico"]
                    [(self.next_rand() % 4) as usize]
                    .as_bytes(),
            );
            out.extend_from_slice(b" - IP: 192.168.178.");
            Self::num(out, ip);
        } else if r < 997 {
            out.extend_from_slice(b" - ERROR - Werkzeug mit Barcode ");
            Self::num(out, 100_000 + self.next_rand() % 10_000);
            out.extend_from_slice(b" nicht gefunden");
        } else {
            out.extend_from_slice(b" - ERROR - Fehler beim Laden der Werkzeuge: invalid literal");
            if self.next_rand().is_multiple_of(2) {
                out.extend_from_slice(
                    b"\nTraceback (most recent call last):\n  File \"/opt/scandy/app/routes/tools.py\", line 42, in index\n    tools = tool_service.get_all(department)\n  File \"/opt/scandy/app/services/tool_service.py\", line 118, in get_all\nValueError: invalid literal for int() with base 10: 'abc'",
                );
            }
        }
        out.push(b'\n');
    }
}

fn itoa_buf(mut n: u64) -> Vec<u8> {
    let mut digits = Vec::with_capacity(20);
    loop {
        digits.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    digits.reverse();
    digits
}

/// Writes an install dir at `root` whose `app/logs/app.log` has about `mb` MB; the last line
/// carries [`MARKER`]. Returns the file.
fn generate(root: &Path, mb: u64) -> PathBuf {
    let logs = root.join("app/logs");
    std::fs::create_dir_all(&logs).expect("log dir");
    let file = logs.join("app.log");
    let target = mb * 1_000_000;
    let mut writer = BufWriter::with_capacity(4 << 20, File::create(&file).expect("app.log"));
    let mut g = LineGen::new(0x005C_A2D1, 0);
    let mut buf = Vec::with_capacity(1 << 20);
    let mut written = 0u64;
    while written < target {
        buf.clear();
        while buf.len() < (1 << 20) - 1024 {
            g.entry(&mut buf, false);
        }
        writer.write_all(&buf).expect("write");
        written += buf.len() as u64;
    }
    buf.clear();
    g.timestamp(&mut buf);
    buf.extend_from_slice(format!(" - ERROR - {MARKER} end of the generated log\n").as_bytes());
    writer.write_all(&buf).expect("write");
    writer.flush().expect("flush");
    file
}

// ---------------------------------------------------------------------------------------
// Throughput

fn median_run(runs: usize, mut run: impl FnMut() -> String) -> (Duration, String) {
    let out = run(); // warm-up
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        run();
        times.push(started.elapsed());
    }
    times.sort();
    (percentile(&times, 0.5), out)
}

fn output(cmd: &mut Command) -> String {
    let out = cmd.stderr(Stdio::null()).output().expect("run");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

// ---------------------------------------------------------------------------------------
// Console in a pty

struct Watch {
    needle: String,
    since: Instant,
    tx: mpsc::Sender<Duration>,
}

struct Console {
    pid: u32,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    master: Box<dyn portable_pty::MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    watch: Arc<Mutex<Option<Watch>>>,
    started: Instant,
}

impl Console {
    fn spawn(args: &[String], dir: &Path) -> Console {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 40,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("pty");
        let mut cmd = CommandBuilder::new(BIN);
        cmd.args(args);
        cmd.cwd(dir);
        cmd.env("TERM", "xterm-256color");
        cmd.env("HOME", dir);
        cmd.env("LANG", "C.UTF-8");
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let writer = pair.master.take_writer().expect("writer");
        let watch: Arc<Mutex<Option<Watch>>> = Arc::new(Mutex::new(None));
        let started = Instant::now();
        let child = pair.slave.spawn_command(cmd).expect("spawn");
        drop(pair.slave);
        let pid = child.process_id().expect("pid");
        let shared = Arc::clone(&watch);
        std::thread::spawn(move || {
            let mut parser = vt100::Parser::new(40, 120, 0);
            let mut buf = [0u8; 65536];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                parser.process(&buf[..n]);
                let mut guard = shared.lock().unwrap();
                if let Some(w) = guard.as_ref()
                    && parser.screen().contents().contains(&w.needle)
                {
                    let _ = w.tx.send(w.since.elapsed());
                    *guard = None;
                }
            }
        });
        Console {
            pid,
            child,
            master: pair.master,
            writer,
            watch,
            started,
        }
    }

    /// Arms a watch for `needle` on the screen, then sends `keys` (if any); returns the
    /// time from sending (or arming) until the screen shows `needle`.
    fn send_and_wait(&mut self, keys: &[u8], needle: &str, timeout: Duration) -> Option<Duration> {
        let (tx, rx) = mpsc::channel();
        *self.watch.lock().unwrap() = Some(Watch {
            needle: needle.to_string(),
            since: Instant::now(),
            tx,
        });
        if !keys.is_empty() {
            // Re-stamp right before the write so the lock wait is not counted.
            if let Some(w) = self.watch.lock().unwrap().as_mut() {
                w.since = Instant::now();
            }
            self.writer.write_all(keys).expect("key");
            self.writer.flush().expect("flush");
        }
        let got = rx.recv_timeout(timeout).ok();
        *self.watch.lock().unwrap() = None;
        got
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        drop(self.master);
    }
}

fn console_args(root: &Path, cfg: &Path) -> Vec<String> {
    vec![
        "--config".into(),
        cfg.display().to_string(),
        "--root".into(),
        root.display().to_string(),
        "--backup-dir".into(),
        cfg.with_file_name("backups").display().to_string(),
        "--mongo-uri".into(),
        "mongodb://127.0.0.1:1/x".into(),
    ]
}

struct FirstScreen {
    key_to_marker: Vec<Duration>,
    spawn_to_marker: Vec<Duration>,
    hwm_kib: Vec<u64>,
    missed: usize,
}

fn first_screen(root: &Path, runs: usize) -> FirstScreen {
    let home = tempfile::tempdir().expect("tempdir");
    let cfg = home.path().join("c.toml");
    std::fs::write(&cfg, "[ui]\nlanguage = \"en\"\n").expect("config");
    let args = console_args(root, &cfg);
    let mut out = FirstScreen {
        key_to_marker: Vec::new(),
        spawn_to_marker: Vec::new(),
        hwm_kib: Vec::new(),
        missed: 0,
    };
    for _ in 0..runs {
        let mut console = Console::spawn(&args, home.path());
        let tab = console.send_and_wait(b"", "1 Overview", Duration::from_secs(20));
        assert!(tab.is_some(), "tab bar within 20 s");
        match console.send_and_wait(b"2", MARKER, Duration::from_secs(60)) {
            Some(d) => {
                out.key_to_marker.push(d);
                out.spawn_to_marker.push(console.started.elapsed());
                // Let the rest of the load settle before reading the peak.
                std::thread::sleep(Duration::from_millis(300));
                out.hwm_kib.push(status_kib(console.pid, "VmHWM:"));
            }
            None => out.missed += 1,
        }
        console.stop();
    }
    out.key_to_marker.sort();
    out.spawn_to_marker.sort();
    out
}

// ---------------------------------------------------------------------------------------
// Writer at 50 000 lines/s

struct UnderLoad {
    latencies: Vec<Duration>,
    missed: usize,
    cpu_percent: f64,
    lines_per_sec: f64,
    hwm_kib: u64,
}

fn under_load() -> UnderLoad {
    let home = tempfile::tempdir().expect("tempdir");
    let cfg = home.path().join("c.toml");
    std::fs::write(&cfg, "[ui]\nlanguage = \"en\"\n").expect("config");
    let root = home.path().join("scandy");
    let logs = root.join("app/logs");
    std::fs::create_dir_all(&logs).expect("log dir");
    let file = logs.join("app.log");
    let start_ms = 300 * 86_400_000u64;
    {
        let mut g = LineGen::new(7, start_ms);
        let mut buf = Vec::new();
        for _ in 0..400 {
            g.entry(&mut buf, true);
        }
        std::fs::write(&file, &buf).expect("small app.log");
    }
    let mut console = Console::spawn(&console_args(&root, &cfg), home.path());
    assert!(
        console
            .send_and_wait(b"", "1 Overview", Duration::from_secs(20))
            .is_some(),
        "tab bar within 20 s"
    );
    console.writer.write_all(b"2").expect("key");
    console.writer.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(1000));

    // The writer: 500 INFO lines every 10 ms with O_APPEND (only INFO, so the words
    // WARNING / ERROR appear on screen only through the filter header).
    let stop = Arc::new(AtomicBool::new(false));
    let lines = Arc::new(AtomicU64::new(0));
    let writer = {
        let stop = Arc::clone(&stop);
        let lines = Arc::clone(&lines);
        let file = file.clone();
        std::thread::spawn(move || {
            let mut out = OpenOptions::new().append(true).open(&file).expect("append");
            let mut g = LineGen::new(11, start_ms + 86_400_000);
            let mut buf = Vec::with_capacity(64 << 10);
            let started = Instant::now();
            let mut batch = 0u64;
            while !stop.load(Ordering::Relaxed) {
                buf.clear();
                for _ in 0..500 {
                    g.entry(&mut buf, true);
                }
                out.write_all(&buf).expect("append");
                lines.fetch_add(500, Ordering::Relaxed);
                batch += 1;
                let due = started + Duration::from_millis(10 * batch);
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
            }
            started.elapsed()
        })
    };
    std::thread::sleep(Duration::from_millis(1000));
    let lines_before = lines.load(Ordering::Relaxed);
    let cpu_before = cpu_seconds(console.pid);
    let wall = Instant::now();

    let mut latencies = Vec::new();
    let mut missed = 0;
    let cycle = ["level ≥ WARNING", "level ≥ ERROR", ""];
    let mut presses = 0;
    let mut i = 0;
    while presses < 20 {
        let needle = cycle[i % 3];
        i += 1;
        if needle.is_empty() {
            // Back to all levels: not measured.
            console.writer.write_all(b"l").expect("key");
            console.writer.flush().expect("flush");
            std::thread::sleep(Duration::from_millis(150));
            continue;
        }
        presses += 1;
        match console.send_and_wait(b"l", needle, Duration::from_secs(5)) {
            Some(d) => latencies.push(d),
            None => missed += 1,
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    // Fill the rest of the 10 s CPU window.
    let window = Duration::from_secs(10);
    if wall.elapsed() < window {
        std::thread::sleep(window - wall.elapsed());
    }
    let elapsed = wall.elapsed().as_secs_f64();
    let cpu_after = cpu_seconds(console.pid);
    let lines_after = lines.load(Ordering::Relaxed);
    let hwm_kib = status_kib(console.pid, "VmHWM:");
    std::thread::sleep(Duration::from_millis(1000));
    stop.store(true, Ordering::Relaxed);
    let _ = writer.join();
    console.stop();
    latencies.sort();
    UnderLoad {
        latencies,
        missed,
        cpu_percent: (cpu_after - cpu_before) / elapsed * 100.0,
        lines_per_sec: (lines_after - lines_before) as f64 / elapsed,
        hwm_kib,
    }
}

// ---------------------------------------------------------------------------------------

fn main() {
    let mb: u64 = std::env::var("BENCH_LOG_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let _tmp;
    let root = match std::env::var_os("BENCH_LOG_DIR") {
        Some(dir) if Path::new(&dir).join("app/logs/app.log").is_file() => {
            _tmp = None;
            PathBuf::from(dir)
        }
        _ => {
            let tmp = tempfile::tempdir().expect("tempdir");
            let root = tmp.path().join("scandy");
            let started = Instant::now();
            generate(&root, mb);
            println!(
                "generated {} in {:.1} s",
                root.join("app/logs/app.log").display(),
                started.elapsed().as_secs_f64()
            );
            _tmp = Some(tmp);
            root
        }
    };
    let file = root.join("app/logs/app.log");
    let size = std::fs::metadata(&file).expect("app.log").len();
    let size_mb = size as f64 / 1e6;
    println!(
        "log file: {size_mb:.0} MB ({size} bytes), pattern /{PATTERN}/, median of 3 warm runs"
    );

    // 1. Throughput.
    let (ours, ours_out) = median_run(3, || {
        output(Command::new(BIN).args([
            "--root",
            &root.display().to_string(),
            "logs",
            "--count",
            "--grep",
            PATTERN,
        ]))
    });
    let (grep, grep_out) = median_run(3, || {
        output(Command::new("grep").args(["-E", "-c", PATTERN]).arg(&file))
    });
    let lnav_home = tempfile::tempdir().expect("tempdir");
    let lnav_version = Command::new("lnav")
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let lnav = lnav_version.as_ref().map(|_| {
        median_run(3, || {
            output(
                Command::new("lnav")
                    .env("HOME", lnav_home.path())
                    .args(["-n", "-q"])
                    .arg(&file)
                    .stdin(Stdio::null()),
            )
        })
    });
    let grep_version = output(Command::new("grep").arg("-V"));
    let grep_version = grep_version.lines().next().unwrap_or("").to_string();
    let sane = match (ours_out.parse::<u64>(), grep_out.parse::<u64>()) {
        (Ok(a), Ok(b)) if a <= b => "ok",
        _ => "MISMATCH",
    };
    println!(
        "counts: scandyctl {ours_out} entries, grep -c {grep_out} lines ({sane}: may differ only where traceback lines match)"
    );

    // 2. First screen on the big file.
    let fs = first_screen(&root, runs);
    drop(_tmp); // the big file is no longer needed

    // 3. Writer at 50 000 lines/s.
    let load = under_load();

    let mbps = |d: Duration| size_mb / d.as_secs_f64();
    println!();
    println!("| benchmark | value |");
    println!("|---|---|");
    println!(
        "| throughput `scandyctl logs --count --grep` | {:.0} MB/s ({:.2} s) |",
        mbps(ours),
        ours.as_secs_f64()
    );
    match &lnav {
        Some((d, _)) => println!(
            "| throughput `lnav -n -q` ({}) | {:.0} MB/s ({:.2} s) |",
            lnav_version.as_deref().unwrap_or(""),
            mbps(*d),
            d.as_secs_f64()
        ),
        None => println!("| throughput `lnav -n -q` | lnav not installed (apt-get install lnav) |"),
    }
    println!(
        "| throughput `grep -E -c` ({grep_version}) | {:.0} MB/s ({:.2} s) |",
        mbps(grep),
        grep.as_secs_f64()
    );
    if let Some((d, _)) = &lnav {
        println!(
            "| ratio scandyctl/lnav (throughput) | {:.2}x |",
            mbps(ours) / mbps(*d)
        );
    }
    println!(
        "| ratio scandyctl/grep (throughput) | {:.2}x |",
        mbps(ours) / mbps(grep)
    );
    println!(
        "| first screen, key `2` to newest line, median (p95) | {:.1} ms ({:.1} ms) |",
        ms(percentile(&fs.key_to_marker, 0.5)),
        ms(percentile(&fs.key_to_marker, 0.95))
    );
    println!(
        "| first screen, spawn to newest line, median (p95) | {:.1} ms ({:.1} ms) |",
        ms(percentile(&fs.spawn_to_marker, 0.5)),
        ms(percentile(&fs.spawn_to_marker, 0.95))
    );
    println!(
        "| peak memory (VmHWM) after first screen, max of runs | {:.1} MiB |",
        fs.hwm_kib.iter().copied().max().unwrap_or(0) as f64 / 1024.0
    );
    if fs.missed > 0 {
        println!(
            "| first screen: marker not seen within 60 s | {} of {runs} runs |",
            fs.missed
        );
    }
    println!(
        "| writer at 50k lines/s: key `l` to redraw, median (p95) | {:.1} ms ({:.1} ms), {} missed |",
        ms(percentile(&load.latencies, 0.5)),
        ms(percentile(&load.latencies, 0.95)),
        load.missed
    );
    println!(
        "| writer at 50k lines/s: console CPU over 10 s | {:.1} % |",
        load.cpu_percent
    );
    println!(
        "| writer at 50k lines/s: lines actually written | {:.0} lines/s |",
        load.lines_per_sec
    );
    println!(
        "| writer at 50k lines/s: console peak memory (VmHWM) | {:.1} MiB |",
        load.hwm_kib as f64 / 1024.0
    );
}
