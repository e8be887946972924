//! The demo install: files in Scandy's layout, secrets kept secret, seeding, log rotation.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mongodb::bson::{Document, doc};
use scandyctl::demo::{DemoOptions, RotatingLogWriter, SPECIAL_LOGS, prepare};
use scandyctl::mongo::local_server::{LocalMongoServer, python_for_tests};

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn env_value(env: &str, key: &str) -> String {
    env.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} missing in .env"))
        .to_string()
}

/// A log entry starts with `2025-07-31 21:35:27,958 - LEVEL - `.
fn is_entry_start(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 26
        && b[4] == b'-'
        && b[10] == b' '
        && b[19] == b','
        && line[23..].starts_with(" - ")
        && line[..4].chars().all(|c| c.is_ascii_digit())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepare_builds_a_native_scandy_install() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("scandy");
    let database = common::unique_db_name("demo_prepare");
    let uri = common::uri_with_db(&common::test_mongo().uri, &database);
    let opts = DemoOptions {
        dir: Some(dir.clone()),
        mongo_uri: Some(uri.clone()),
        keep: true,
        scale: 120,
        log_lines_per_sec: 40.0,
        rotate_bytes: 64 * 1024,
        rotate_keep: 10,
    };
    let mut said = Vec::new();
    let install = prepare(&opts, &mut |m: &str| said.push(m.to_string()))
        .await
        .expect("prepare");
    let root = install.root.clone();
    assert_eq!(root, dir.canonicalize().unwrap());
    assert_eq!(install.config.scandy.root, root);
    assert_eq!(install.config.mongo.uri, uri);
    assert_eq!(install.config.mongo.database, database);
    assert_eq!(install.config.backup.dir, root.join("backups"));
    let seeded = install.seeded.as_ref().expect("a fresh database is seeded");
    assert!(seeded.total_documents() > 500, "{seeded:?}");

    // The layout of a native install.
    for rel in [
        ".env",
        "app/__init__.py",
        "app/logs/app.log",
        "app/logs/app.log.1",
        "app/logs/app.log.2",
        "app/logs/app.log.3",
        "logs/auto_backup.log",
    ] {
        assert!(root.join(rel).is_file(), "{rel} missing");
    }
    for name in SPECIAL_LOGS {
        let text = fs::read_to_string(root.join(format!("logs/{name}.log"))).unwrap();
        let first = text.lines().next().unwrap();
        assert!(first.contains(&format!(" - scandy.{name} - ")), "{first}");
    }
    let backup_log = fs::read_to_string(root.join("logs/auto_backup.log")).unwrap();
    assert!(
        backup_log.starts_with('[') && backup_log.as_bytes()[3] == b'.',
        "{backup_log}"
    );
    assert!(!root.join("docker-compose.yml").exists());
    assert!(root.join("app/flask_session").is_dir());
    assert!(
        fs::read_dir(root.join("app/flask_session"))
            .unwrap()
            .count()
            > 0
    );
    let mut uploads = Vec::new();
    all_files(&root.join("app/static/uploads"), &mut uploads);
    assert!(uploads.len() >= 24, "only {} uploads", uploads.len());
    assert_eq!(install.upload_files, uploads.len());
    assert!(root.join("app/static/uploads/logos/logo.png").is_file());
    let png = fs::read(root.join("app/static/uploads/logos/logo.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.ends_with(b"IEND\xAE\x42\x60\x82"));
    assert!(
        uploads
            .iter()
            .any(|p| p.to_string_lossy().contains("/uploads/tools/"))
    );

    // app.log in Scandy's format, with traceback continuation lines, rotated by size.
    let mut continuation = 0;
    for n in 1..=3 {
        let path = root.join(format!("app/logs/app.log.{n}"));
        assert!(fs::metadata(&path).unwrap().len() <= opts.rotate_bytes);
        let text = fs::read_to_string(&path).unwrap();
        assert!(is_entry_start(text.lines().next().unwrap()));
        assert!(text.contains(" - INFO - Request: GET http://"));
        continuation += text.lines().filter(|l| !is_entry_start(l)).count();
    }
    assert!(continuation > 0, "no traceback lines in the history");

    // The JSON backups parse as Scandy v2.
    assert_eq!(install.backup_files.len(), 2);
    for path in &install.backup_files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            name.starts_with("scandy_backup_") && name.ends_with(".json") && name.len() == 34,
            "{name}"
        );
        let json: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
        assert_eq!(json["metadata"]["version"], "2.0");
        assert!(json["data"]["tools"].as_array().unwrap().len() > 50);
        assert_eq!(
            json["data"]["tools"][0]["created_at"]["__type__"],
            "datetime"
        );
    }

    // Secrets from .env appear nowhere else: not in messages, config, debug output, files.
    let env = fs::read_to_string(root.join(".env")).unwrap();
    assert_eq!(env_value(&env, "MONGODB_DB"), database);
    assert_eq!(env_value(&env, "WEB_PORT"), "5000");
    let secrets = [
        env_value(&env, "SECRET_KEY"),
        env_value(&env, "MAIL_PASSWORD"),
    ];
    assert!(secrets[0].len() >= 32);
    let mut visible = said.join("\n");
    visible.push_str(&format!("{install:?}"));
    visible.push_str(&serde_json::to_string(&install.config).unwrap());
    let mut files = Vec::new();
    all_files(&root, &mut files);
    for file in files.iter().filter(|f| !f.ends_with(".env")) {
        visible.push_str(&String::from_utf8_lossy(&fs::read(file).unwrap()));
    }
    for secret in &secrets {
        assert!(!visible.contains(secret.as_str()), "a .env secret leaked");
    }

    // The database is seeded.
    let client = common::client().await;
    let db = client.database(&database);
    let tools = db
        .collection::<Document>("tools")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(tools, 120);

    // The live writer keeps appending.
    let before = fs::metadata(root.join("app/logs/app.log")).unwrap().len();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let after = fs::metadata(root.join("app/logs/app.log")).unwrap().len();
    assert!(after != before, "app.log did not change");

    // keep: the directory survives shutdown; a second run reuses it without reseeding.
    // The Backups tab's scan shows the JSON backups the demo planted, and they verify.
    let dirs = scandyctl::backup::legacy::scan::legacy_dirs(&install.config);
    let snapshot = scandyctl::backup::snapshot::scan_snapshot(
        &install.config.backup.dir,
        None,
        chrono::Utc::now(),
        Some(&root),
        &dirs,
    )
    .expect("backups snapshot");
    let planted: Vec<_> = snapshot
        .legacy
        .backups
        .iter()
        .filter(|b| b.format == scandyctl::backup::legacy::LegacyFormat::ScandyJsonV2)
        .collect();
    assert_eq!(planted.len(), 2, "{:?}", snapshot.legacy);
    let lines = scandyctl::ui::tabs::backups::legacy::legacy_lines(
        scandyctl::i18n::Lang::En,
        &snapshot,
        snapshot.scanned_at,
    );
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    assert!(
        text.contains(&planted[0].id) && text.contains("scandy-json-v2"),
        "{text}"
    );
    let report = scandyctl::backup::legacy::check::verify_legacy(
        planted[0],
        scandyctl::backup::verify::VerifyLevel::Deep,
        &database,
        None,
    );
    assert!(report.ok, "{report:#?}");
    assert!(report.total_documents() > 0, "{report:#?}");

    let kept = install.shutdown().await.expect("shutdown");
    assert_eq!(kept.as_deref(), Some(root.as_path()));
    assert!(root.join(".env").is_file());
    let again = DemoOptions {
        keep: false,
        log_lines_per_sec: 0.0,
        ..opts.clone()
    };
    let install = prepare(&again, &mut |_: &str| {})
        .await
        .expect("second prepare");
    assert!(install.seeded.is_none(), "reseeded an existing database");
    assert_eq!(
        fs::read_to_string(root.join(".env")).unwrap(),
        env,
        ".env changed"
    );
    assert_eq!(install.shutdown().await.expect("shutdown"), None);
    assert!(!root.exists(), "the demo directory was not removed");
    db.drop().await.unwrap();
}

#[tokio::test]
async fn prepare_refuses_a_foreign_directory() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("wichtig.txt"), "nicht löschen").unwrap();
    let opts = DemoOptions {
        dir: Some(tmp.path().to_path_buf()),
        mongo_uri: Some("mongodb://127.0.0.1:1".into()),
        ..DemoOptions::default()
    };
    let err = prepare(&opts, &mut |_: &str| {}).await.unwrap_err();
    assert!(
        format!("{err:#}").contains("not a scandyctl demo install"),
        "{err:#}"
    );
    assert!(tmp.path().join("wichtig.txt").exists());
}

fn read_records(paths: &[PathBuf]) -> Vec<String> {
    let mut records = Vec::new();
    for path in paths {
        for line in fs::read_to_string(path).unwrap().lines() {
            if let Some(rest) = line.strip_prefix("entry ") {
                records.push(rest[..5].to_string());
            }
        }
    }
    records
}

fn files_oldest_first(base: &Path, keep: usize) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = (1..=keep + 2)
        .rev()
        .map(|n| PathBuf::from(format!("{}.{n}", base.display())))
        .filter(|p| p.exists())
        .collect();
    files.push(base.to_path_buf());
    files
}

#[test]
fn rotating_writer_keeps_every_entry_once_and_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let max_bytes = 200;
    for (keep, entries) in [(50, 120), (3, 120)] {
        let base = tmp.path().join(format!("keep{keep}/app.log"));
        let mut writer = RotatingLogWriter::new(&base, max_bytes, keep);
        for i in 0..entries {
            let text = match i % 17 {
                // A multi-line record stays in one file.
                5 => format!(
                    "entry {i:05} ERROR\nTraceback (most recent call last):\n  File \"x.py\""
                ),
                // A record bigger than max_bytes gets a file of its own.
                11 => format!("entry {i:05} {}", "x".repeat(300)),
                _ => format!("entry {i:05} - INFO - Request: GET /tools/"),
            };
            writer.write_entry(&text).unwrap();
        }
        let files = files_oldest_first(&base, keep);
        assert!(
            files.len() <= keep + 1,
            "{} files for keep {keep}",
            files.len()
        );
        for f in &files {
            let text = fs::read_to_string(f).unwrap();
            let oversized = text.lines().any(|l| l.len() > 250);
            assert!(
                text.len() as u64 <= max_bytes || oversized,
                "{} is {} bytes",
                f.display(),
                text.len()
            );
        }
        let records = read_records(&files);
        let expected: Vec<String> = (0..entries).map(|i| format!("{i:05}")).collect();
        if keep == 50 {
            assert_eq!(
                records, expected,
                "with enough backups every entry survives"
            );
        } else {
            assert_eq!(files.len(), keep + 1);
            assert!(!records.is_empty() && records.len() < entries);
            assert_eq!(
                records[..],
                expected[entries - records.len()..],
                "a gap or duplicate"
            );
        }
    }
}

#[test]
fn local_server_stops_when_dropped() {
    let python = python_for_tests(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("python");
    let storage = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let server = LocalMongoServer::start(&python, storage.path(), &[]).expect("start");
    eprintln!("SecantusDB started in {:.2?}", started.elapsed());
    let (pid, port) = (server.pid(), server.port());
    assert_eq!(server.uri(), format!("mongodb://127.0.0.1:{port}"));
    assert!(storage.path().join("secantus.log").is_file());
    let stopped = std::time::Instant::now();
    drop(server);
    eprintln!("SecantusDB stopped in {:.2?}", stopped.elapsed());
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "port still open"
    );
    // SAFETY: signal 0 only checks whether the pid exists.
    let alive = unsafe { libc::kill(pid as libc::pid_t, 0) } == 0;
    assert!(!alive, "server pid {pid} still exists");
}
