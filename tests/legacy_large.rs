//! A Scandy JSON backup larger than the memory bound is verified as a stream: 256 MB of
//! JSON, every document parsed and its types recovered, while the process never holds more
//! than 200 MB (a reader that loads the file would need more than the file itself).

mod backup_support;
mod common;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use backup_support::Fixture;

const TARGET_BYTES: u64 = 256 * 1024 * 1024;
const LIMIT_KIB: u64 = 200 * 1024;

/// Writes the backup document by document; returns how many it holds.
fn write_backup(path: &std::path::Path) -> u64 {
    let file = std::fs::File::create(path).unwrap();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    out.write_all(
        br#"{"metadata": {"version": "2.0", "created_at": "2026-12-02T05:13:15", "collections": ["tools"]}, "data": {"tools": ["#,
    )
    .unwrap();
    let notes = "Bohrmaschine mit Koffer, Akku und Ladegerät; ".repeat(8);
    let (mut written, mut count) = (0u64, 0u64);
    while written < TARGET_BYTES {
        let doc = format!(
            r#"{}{{"_id": "6751a3f0c2b1{count:012x}", "barcode": "T{count:08}", "department": "Werkstatt", "created_at": {{"__type__": "datetime", "value": "2026-11-30T08:00:00.250000"}}, "notes": "{notes}"}}"#,
            if count == 0 { "" } else { ", " }
        );
        out.write_all(doc.as_bytes()).unwrap();
        written += doc.len() as u64;
        count += 1;
    }
    out.write_all(b"]}}").unwrap();
    out.flush().unwrap();
    count
}

/// `VmHWM` of `pid`, polled until `stop` (the peak is monotone: the last reading is it).
fn peak_kib(pid: u32, stop: &AtomicBool) -> u64 {
    let mut peak = 0;
    loop {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let hwm = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        peak = peak.max(hwm);
        if stop.load(Ordering::Relaxed) {
            return peak;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_json_backup_larger_than_the_memory_bound_is_verified_as_a_stream() {
    let fx = Fixture::new("legacy_large").await;
    let dir = fx.root.join("backups");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("scandy_backup_20261202_051315.json");
    let documents = write_backup(&path);
    assert!(std::fs::metadata(&path).unwrap().len() >= TARGET_BYTES);

    let out = fx.run(&["list", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "legacy")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let child = fx
        .command(&["verify", &id, "--deep", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stop = AtomicBool::new(false);
    let (peak, out) = std::thread::scope(|scope| {
        let pid = child.id();
        let stop = &stop;
        let watcher = scope.spawn(move || peak_kib(pid, stop));
        let out = child.wait_with_output().unwrap();
        stop.store(true, Ordering::Relaxed);
        (watcher.join().unwrap(), out)
    });
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tools = &report[0]["collections"][0];
    assert_eq!(tools["name"], "tools");
    assert_eq!(tools["documents"], documents);
    assert_eq!(tools["conversions"]["id_strings"], documents);
    assert_eq!(tools["conversions"]["markers"], documents);
    eprintln!(
        "verify --deep of {documents} documents: peak {} MB",
        peak >> 10
    );
    assert!(peak > 0, "no memory reading of the verify process");
    assert!(
        peak < LIMIT_KIB,
        "verify of a {} MB JSON backup peaked at {} MB",
        TARGET_BYTES >> 20,
        peak >> 10
    );
}
