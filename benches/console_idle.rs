//! Console start-up and idle cost, side by side with btop and htop.
//!
//! Measures, in one run on the same machine:
//! - time from spawn to the first frame (tab bar visible) with MongoDB unreachable,
//! - CPU time (utime + stime from `/proc/PID/stat`) and resident memory (`VmRSS`, and the
//!   peak `VmHWM`) while idle for `BENCH_IDLE_SECS` (default 20 s),
//!
//! for `scandyctl` (release build) on the Overview tab and on the System tab (key `3`; it samples
//! CPU, memory, filesystems and processes every `[system] refresh_ms` = 1000 and redraws), for btop
//! with `update_ms = 1000` and for htop with `-d 10` (both 1 s refresh) when installed.
//! The load average is printed around every idle window: other work on the machine shares the cores.
//! Run: `cargo bench --bench console_idle`.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

#[path = "support/proc_stats.rs"]
mod proc_stats;
use proc_stats::{cpu_seconds, ms, percentile, status_kib};

struct Measured {
    first_frame: Vec<Duration>,
    /// Time from the key to the tab's marker on screen, when a key was sent.
    switch: Option<Duration>,
    cpu_percent: f64,
    rss_kib: u64,
    hwm_kib: u64,
    load: (String, String),
}

/// The 1, 5 and 15 minute load averages.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

struct Spawned {
    first: Duration,
    pid: u32,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    master: Box<dyn portable_pty::MasterPty + Send>,
    /// The terminal as the program drew it.
    screen: Arc<Mutex<vt100::Parser>>,
}

impl Spawned {
    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        drop(self.master);
    }

    /// Waits until `text` is on screen; returns how long that took.
    fn wait_for(&self, text: &str, limit: Duration) -> Option<Duration> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if self
                .screen
                .lock()
                .unwrap()
                .screen()
                .contents()
                .contains(text)
            {
                return Some(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        None
    }
}

/// Spawns `program args` in a 120x40 pty; returns once `marker` is in its output.
fn spawn(program: &str, args: &[String], marker: &[u8], dir: &std::path::Path) -> Spawned {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("pty");
    let mut cmd = CommandBuilder::new(program);
    cmd.args(args);
    cmd.cwd(dir);
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOME", dir);
    cmd.env("LANG", "C.UTF-8");
    let mut reader = pair.master.try_clone_reader().expect("reader");
    let screen = Arc::new(Mutex::new(vt100::Parser::new(40, 120, 0)));
    let started = Instant::now();
    let child = pair.slave.spawn_command(cmd).expect("spawn");
    drop(pair.slave);
    let pid = child.process_id().expect("pid");
    let (tx, rx) = std::sync::mpsc::channel();
    let marker = marker.to_vec();
    let parser = Arc::clone(&screen);
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 65536];
        let mut sent = false;
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            if !sent {
                seen.extend_from_slice(&buf[..n]);
                if seen.windows(marker.len()).any(|w| w == marker.as_slice()) {
                    let _ = tx.send(started.elapsed());
                    sent = true;
                }
            }
            parser.lock().unwrap().process(&buf[..n]);
        }
    });
    let first = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("first frame within 20 s");
    Spawned {
        first,
        pid,
        child,
        master: pair.master,
        screen,
    }
}

/// After the first frame: keys to send and the text that shows they took effect.
struct Keys<'a> {
    keys: &'a [u8],
    shown: &'a str,
}

fn measure(
    program: &str,
    args: &[String],
    marker: &[u8],
    keys: Option<Keys<'_>>,
    runs: usize,
    idle: Duration,
) -> Measured {
    let dir = tempfile::tempdir().expect("tempdir");
    // btop 1.2 takes its refresh interval from its config file only.
    let btop_conf = dir.path().join(".config/btop");
    std::fs::create_dir_all(&btop_conf).expect("btop config dir");
    std::fs::write(btop_conf.join("btop.conf"), "update_ms = 1000\n").expect("btop.conf");
    let mut first_frame = Vec::new();
    for _ in 0..runs {
        let spawned = spawn(program, args, marker, dir.path());
        first_frame.push(spawned.first);
        spawned.stop();
    }
    let spawned = spawn(program, args, marker, dir.path());
    let switch = keys.map(|keys| {
        let mut writer = spawned.master.take_writer().expect("writer");
        let sent = Instant::now();
        writer.write_all(keys.keys).expect("send keys");
        writer.flush().expect("flush keys");
        spawned
            .wait_for(keys.shown, Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{program}: {:?} not shown after the keys", keys.shown));
        sent.elapsed()
    });
    std::thread::sleep(Duration::from_secs(2));
    let load_before = loadavg();
    let cpu_before = cpu_seconds(spawned.pid);
    let wall = Instant::now();
    std::thread::sleep(idle);
    let cpu_after = cpu_seconds(spawned.pid);
    let cpu_percent = (cpu_after - cpu_before) / wall.elapsed().as_secs_f64() * 100.0;
    let rss_kib = status_kib(spawned.pid, "VmRSS:");
    let hwm_kib = status_kib(spawned.pid, "VmHWM:");
    let load_after = loadavg();
    spawned.stop();
    first_frame.sort();
    Measured {
        first_frame,
        switch,
        cpu_percent,
        rss_kib,
        hwm_kib,
        load: (load_before, load_after),
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn report(name: &str, m: &Measured) {
    println!(
        "{name:<28} first frame median {:>6.1} ms  p95 {:>6.1} ms | idle CPU {:>5.2} % | RSS {:>5.1} MiB (peak {:>5.1}) | load {} -> {}{}",
        ms(percentile(&m.first_frame, 0.5)),
        ms(percentile(&m.first_frame, 0.95)),
        m.cpu_percent,
        mib(m.rss_kib),
        mib(m.hwm_kib),
        m.load.0,
        m.load.1,
        m.switch
            .map(|d| format!(" | tab drawn {:.1} ms after the key", ms(d)))
            .unwrap_or_default(),
    );
}

fn ratio(name: &str, ours: &Measured, theirs: &Measured) {
    println!(
        "ratio {name}: first frame {:.2}x, idle CPU {:.2}x, RSS {:.2}x",
        percentile(&ours.first_frame, 0.5).as_secs_f64()
            / percentile(&theirs.first_frame, 0.5).as_secs_f64(),
        ours.cpu_percent / theirs.cpu_percent.max(1e-9),
        ours.rss_kib as f64 / theirs.rss_kib.max(1) as f64
    );
}

/// `program --version`, first line, or `None` when it is not installed.
fn version(program: &str) -> Option<String> {
    let out = std::process::Command::new(program)
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // btop prints "btop version: 1.2.13", htop "htop 3.2.2".
    let line = text.lines().next().unwrap_or(program).trim();
    Some(line.replacen(" version:", "", 1))
}

fn main() {
    let idle = Duration::from_secs(
        std::env::var("BENCH_IDLE_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20),
    );
    let runs = 15;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.toml"), "[ui]\nlanguage = \"en\"\n").unwrap();
    let args: Vec<String> = vec![
        "--config".into(),
        dir.path().join("c.toml").display().to_string(),
        "--root".into(),
        dir.path().display().to_string(),
        "--backup-dir".into(),
        dir.path().join("backups").display().to_string(),
        "--mongo-uri".into(),
        format!("mongodb://127.0.0.1:{closed}"),
    ];
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "idle window {} s, {runs} start-ups each, 120x40 pty, MongoDB unreachable, {cores} cores, load average {} at start",
        idle.as_secs(),
        loadavg()
    );
    let bin = env!("CARGO_BIN_EXE_scandyctl");
    let overview = measure(bin, &args, b"1 Overview", None, runs, idle);
    report("scandyctl (Overview)", &overview);
    // The System tab's process table is only on that tab.
    let system_keys = Keys {
        keys: b"3",
        shown: "Top processes",
    };
    let system = measure(bin, &args, b"1 Overview", Some(system_keys), runs, idle);
    report("scandyctl (System tab)", &system);
    match version("btop") {
        Some(v) => {
            // btop draws its box titles ("cpu") on the first frame.
            let btop = measure("btop", &[], b"cpu", None, runs, idle);
            report(&format!("{v} (update_ms = 1000)"), &btop);
            ratio("scandyctl Overview/btop", &overview, &btop);
            ratio("scandyctl System/btop", &system, &btop);
        }
        None => println!("btop not installed (apt-get install btop): comparison skipped"),
    }
    match version("htop") {
        Some(v) => {
            // htop draws its memory meter ("Mem[") on the first frame; -d is in tenths of a second.
            let htop = measure(
                "htop",
                &["-d".into(), "10".into()],
                b"Mem",
                None,
                runs,
                idle,
            );
            report(&format!("{v} (-d 10)"), &htop);
            ratio("scandyctl Overview/htop", &overview, &htop);
            ratio("scandyctl System/htop", &system, &htop);
        }
        None => println!("htop not installed (apt-get install htop): comparison skipped"),
    }
    println!("load average {} at end", loadavg());
}
