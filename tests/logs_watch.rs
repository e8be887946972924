//! The console's log watcher on real files: the first screen from the end of the file,
//! older entries on request back through the file and into `app.log.1` and `app.log.2.gz`
//! without a gap or a repeat (also when `app.log.1` is a source of its own), new entries and
//! late traceback lines, and a binary file.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use scandyctl::logs::entry::LogEntry;
use scandyctl::logs::sources::LogSource;
use scandyctl::logs::watch::{LogEvent, LogRequest, WatchSizes, watch_logs};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

fn numbered(from: u32, to: u32) -> String {
    (from..to)
        .map(|i| {
            let mut line = format!(
                "2025-07-{:02} {:02}:{:02}:{:02},000 - INFO - Zeile {i:06}\n",
                1 + i / 86_400,
                i / 3600 % 24,
                i / 60 % 60,
                i % 60
            );
            if i % 10 == 7 {
                line.push_str(&format!(
                    "Traceback (most recent call last):\nValueError: {i}\n"
                ));
            }
            line
        })
        .collect()
}

fn gzip(path: &Path, text: &str) {
    let file = std::fs::File::create(path).unwrap();
    let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap();
}

struct Watch {
    events: UnboundedReceiver<LogEvent>,
    requests: UnboundedSender<LogRequest>,
}

fn start(path: &Path, sizes: WatchSizes) -> Watch {
    let source = LogSource {
        id: 0,
        name: "app/logs/app.log".into(),
        path: path.to_path_buf(),
    };
    start_sources(vec![source], sizes)
}

fn start_sources(sources: Vec<LogSource>, sizes: WatchSizes) -> Watch {
    let (tx, events) = unbounded_channel();
    let (requests, rx) = unbounded_channel();
    tokio::spawn(watch_logs(
        sources,
        Vec::new(),
        sizes,
        rx,
        Arc::new(move |event| {
            let _ = tx.send(event);
        }),
    ));
    Watch { events, requests }
}

async fn next(watch: &mut Watch) -> LogEvent {
    tokio::time::timeout(Duration::from_secs(10), watch.events.recv())
        .await
        .expect("an event within 10 s")
        .expect("the watcher runs")
}

fn number(entry: &LogEntry) -> u32 {
    entry.message.trim_start_matches("Zeile ").parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn older_entries_continue_through_the_file_and_its_rotations() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("app/logs");
    std::fs::create_dir_all(&logs).unwrap();
    gzip(&logs.join("app.log.2.gz"), &numbered(0, 3_000));
    std::fs::write(logs.join("app.log.1"), numbered(3_000, 9_000)).unwrap();
    let live = logs.join("app.log");
    std::fs::write(&live, numbered(9_000, 20_000)).unwrap();

    let sizes = WatchSizes {
        initial_lines: 1_000,
        older_lines: 2_500,
    };
    let mut watch = start(&live, sizes);
    let LogEvent::Loaded {
        entries, problems, ..
    } = next(&mut watch).await
    else {
        panic!("first event is Loaded");
    };
    assert!(problems.is_empty());
    let mut all: Vec<LogEntry> = entries;
    assert_eq!(number(all.last().unwrap()), 19_999);
    assert!(all.len() < 1_000, "only the newest lines are read first");
    loop {
        watch.requests.send(LogRequest::Older).unwrap();
        let LogEvent::Older { entries, more } = next(&mut watch).await else {
            panic!("Older expected");
        };
        let mut older = entries;
        older.extend(all);
        all = older;
        if !more {
            break;
        }
    }
    let numbers: Vec<u32> = all.iter().map(number).collect();
    assert_eq!(
        numbers,
        (0..20_000).collect::<Vec<u32>>(),
        "no gap, no repeat"
    );
    let traceback = all.iter().find(|e| number(e) == 9_007).unwrap();
    assert_eq!(
        traceback.continuation,
        ["Traceback (most recent call last):", "ValueError: 9007"]
    );
    assert!(
        all.iter()
            .all(|e| e.continuation.len() == usize::from(number(e) % 10 == 7) * 2)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn new_entries_and_late_traceback_lines_arrive_once() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("app.log");
    std::fs::write(&live, numbered(0, 10)).unwrap();
    let mut watch = start(&live, WatchSizes::default());
    let LogEvent::Loaded { entries, .. } = next(&mut watch).await else {
        panic!("first event is Loaded");
    };
    assert_eq!(entries.len(), 10);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&live)
        .unwrap();
    file.write_all(b"2025-07-01 01:00:00,000 - ERROR - Zeile 000100\n")
        .unwrap();
    let LogEvent::Appended(appended) = next(&mut watch).await else {
        panic!("Appended expected");
    };
    assert_eq!(appended.iter().map(number).collect::<Vec<_>>(), [100]);
    file.write_all(b"Traceback (most recent call last):\nKeyError: 'x'\n")
        .unwrap();
    let LogEvent::Continued { source, lines } = next(&mut watch).await else {
        panic!("Continued expected");
    };
    assert_eq!(source, 0);
    assert_eq!(
        lines,
        ["Traceback (most recent call last):", "KeyError: 'x'"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_binary_file_is_read_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("app.log");
    let bytes: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&live, &bytes).unwrap();
    let mut watch = start(&live, WatchSizes::default());
    let LogEvent::Loaded { entries, .. } = next(&mut watch).await else {
        panic!("first event is Loaded");
    };
    assert!(!entries.is_empty());
    assert!(entries.iter().all(|e| e.continuation.len() <= 1_000));
    assert!(
        entries.iter().all(|e| e.message.len() <= 64 * 1024 + 32),
        "no line is kept beyond 64 KiB"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotation_listed_as_a_source_is_read_once_and_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path();
    gzip(&logs.join("app.log.2.gz"), &numbered(0, 100));
    std::fs::write(logs.join("app.log.1"), numbered(100, 200)).unwrap();
    let live = logs.join("app.log");
    std::fs::write(&live, numbered(200, 300)).unwrap();
    let source = |id: u16, name: &str| LogSource {
        id,
        name: name.into(),
        path: logs.join(name),
    };
    let sizes = WatchSizes {
        initial_lines: 1_000,
        older_lines: 1_000,
    };
    let mut watch = start_sources(vec![source(0, "app.log"), source(1, "app.log.1")], sizes);
    let LogEvent::Loaded { entries, .. } = next(&mut watch).await else {
        panic!("first event is Loaded");
    };
    let mut all = entries;
    assert_eq!(all.len(), 200);
    assert!(all.iter().all(|e| (e.source == 1) == (number(e) < 200)));
    loop {
        watch.requests.send(LogRequest::Older).unwrap();
        let LogEvent::Older { entries, more } = next(&mut watch).await else {
            panic!("Older expected");
        };
        assert!(entries.iter().all(|e| e.source == 0));
        let mut older = entries;
        older.extend(all);
        all = older;
        if !more {
            break;
        }
    }
    let mut numbers: Vec<u32> = all.iter().map(number).collect();
    numbers.sort();
    assert_eq!(numbers, (0..300).collect::<Vec<u32>>(), "app.log.1 once");

    std::fs::rename(logs.join("app.log.1"), logs.join("app.log.2")).unwrap();
    std::fs::rename(&live, logs.join("app.log.1")).unwrap();
    std::fs::write(&live, numbered(300, 305)).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&live)
        .unwrap();
    let mut appended = Vec::new();
    while !appended.iter().any(|e: &LogEntry| number(e) == 304) {
        if let LogEvent::Appended(entries) = next(&mut watch).await {
            appended.extend(entries);
        }
    }
    file.write_all(numbered(305, 306).as_bytes()).unwrap();
    while !appended.iter().any(|e: &LogEntry| number(e) == 305) {
        if let LogEvent::Appended(entries) = next(&mut watch).await {
            appended.extend(entries);
        }
    }
    let got: Vec<(u16, u32)> = appended.iter().map(|e| (e.source, number(e))).collect();
    assert_eq!(
        got,
        (300..306).map(|n| (0, n)).collect::<Vec<_>>(),
        "the renamed files are not read again as new"
    );
}
