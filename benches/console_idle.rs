//! Console start-up and idle cost, side by side with btop.
//!
//! Measures, in one run on the same machine:
//! - time from spawn to the first frame (tab bar visible) with MongoDB unreachable,
//! - CPU time and resident memory while idle for `BENCH_IDLE_SECS` (default 20 s),
//!
//! for `scandyctl` (release build) and for btop with `update_ms = 1000` (1 s refresh) when installed.
//! Run: `cargo bench --bench console_idle`.

use std::io::Read;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

struct Measured {
    first_frame: Vec<Duration>,
    cpu_percent: f64,
    rss_kib: u64,
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) as f64 }
}

fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let stime: f64 = fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    (utime + stime) / clock_ticks()
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Spawns `program args` in a 120x40 pty; returns (time to `marker` in output, pid, guard).
fn spawn(
    program: &str,
    args: &[String],
    marker: &[u8],
    dir: &std::path::Path,
) -> (
    Duration,
    u32,
    Box<dyn portable_pty::Child + Send + Sync>,
    Box<dyn portable_pty::MasterPty + Send>,
) {
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
    let started = Instant::now();
    let child = pair.slave.spawn_command(cmd).expect("spawn");
    drop(pair.slave);
    let pid = child.process_id().expect("pid");
    let (tx, rx) = std::sync::mpsc::channel();
    let marker = marker.to_vec();
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
        }
    });
    let first = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("first frame within 20 s");
    (first, pid, child, pair.master)
}

fn measure(program: &str, args: &[String], marker: &[u8], runs: usize, idle: Duration) -> Measured {
    let dir = tempfile::tempdir().expect("tempdir");
    // btop 1.2 takes its refresh interval from its config file only.
    let btop_conf = dir.path().join(".config/btop");
    std::fs::create_dir_all(&btop_conf).expect("btop config dir");
    std::fs::write(btop_conf.join("btop.conf"), "update_ms = 1000\n").expect("btop.conf");
    let mut first_frame = Vec::new();
    for _ in 0..runs {
        let (first, _pid, mut child, master) = spawn(program, args, marker, dir.path());
        first_frame.push(first);
        let _ = child.kill();
        let _ = child.wait();
        drop(master);
    }
    let (_, pid, mut child, master) = spawn(program, args, marker, dir.path());
    std::thread::sleep(Duration::from_secs(2));
    let cpu_before = cpu_seconds(pid);
    let wall = Instant::now();
    std::thread::sleep(idle);
    let cpu_after = cpu_seconds(pid);
    let rss = rss_kib(pid);
    let cpu_percent = (cpu_after - cpu_before) / wall.elapsed().as_secs_f64() * 100.0;
    let _ = child.kill();
    let _ = child.wait();
    drop(master);
    first_frame.sort();
    Measured {
        first_frame,
        cpu_percent,
        rss_kib: rss,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx]
}

fn report(name: &str, m: &Measured) {
    println!(
        "{name:<28} first frame median {:>7.1} ms  p95 {:>7.1} ms | idle CPU {:>5.2} % | RSS {:>7.1} MiB",
        percentile(&m.first_frame, 0.5).as_secs_f64() * 1000.0,
        percentile(&m.first_frame, 0.95).as_secs_f64() * 1000.0,
        m.cpu_percent,
        m.rss_kib as f64 / 1024.0
    );
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
    println!(
        "idle window {} s, {runs} start-ups each, 120x40 pty, MongoDB unreachable",
        idle.as_secs()
    );
    let ours = measure(
        env!("CARGO_BIN_EXE_scandyctl"),
        &args,
        b"1 Overview",
        runs,
        idle,
    );
    report("scandyctl (Overview)", &ours);
    let btop = std::process::Command::new("btop")
        .arg("--version")
        .output()
        .is_ok();
    if btop {
        // btop draws its box titles ("cpu") on the first frame.
        let theirs = measure("btop", &[], b"cpu", runs, idle);
        report("btop (update_ms = 1000)", &theirs);
        println!(
            "ratio scandyctl/btop: first frame {:.2}x, idle CPU {:.2}x, RSS {:.2}x",
            percentile(&ours.first_frame, 0.5).as_secs_f64()
                / percentile(&theirs.first_frame, 0.5).as_secs_f64(),
            ours.cpu_percent / theirs.cpu_percent.max(1e-9),
            ours.rss_kib as f64 / theirs.rss_kib.max(1) as f64
        );
    } else {
        println!("btop not installed (apt-get install btop): comparison skipped");
    }
}
