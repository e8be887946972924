//! End-to-end against the real test MongoDB: the Overview shows server version and latency,
//! and `scandyctl demo` builds, shows and removes its sandbox.

mod common;
mod pty_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use mongodb::bson::doc;
use pty_support::PtySession;

const START: Duration = Duration::from_secs(15);

async fn server_version(uri: &str) -> String {
    let client = mongodb::Client::with_uri_str(uri).await.expect("client");
    let info = client
        .database("admin")
        .run_command(doc! { "buildInfo": 1 })
        .await
        .expect("buildInfo");
    info.get_str("version").expect("version").to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn overview_shows_version_and_latency_of_the_real_server() {
    let uri = common::test_mongo().uri.clone();
    let version = server_version(&uri).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.toml"), "[ui]\nlanguage = \"en\"\n").unwrap();
    let config = dir.path().join("c.toml").display().to_string();
    let root = dir.path().display().to_string();
    let database = common::unique_db_name("overview");
    let mut session = PtySession::spawn(
        &[
            "--config",
            &config,
            "--root",
            &root,
            "--database",
            &database,
        ],
        dir.path(),
        &[("MONGODB_URI", uri.as_str())],
    );
    let screen = session.wait_for_text("Server version", START);
    let version_line = screen
        .lines()
        .find(|l| l.contains("Server version"))
        .unwrap();
    assert!(version_line.contains(&version), "{screen}");
    let latency_line = screen.lines().find(|l| l.contains("Ping latency")).unwrap();
    let value = latency_line
        .split("Ping latency")
        .nth(1)
        .unwrap()
        .trim()
        .trim_end_matches('│')
        .trim();
    assert!(value.ends_with("ms"), "latency shown as {value:?}");
    let number: f64 = value
        .trim_end_matches("ms")
        .trim()
        .parse()
        .expect("latency number");
    assert!(number >= 0.0);
    assert!(screen.contains("connected"), "{screen}");
    assert!(screen.contains(&database), "{screen}");
    session.send(b"q");
    assert_eq!(session.wait_exit(Duration::from_secs(5)), 0);
}

fn demo_root_from(screen: &str) -> PathBuf {
    let line = screen
        .lines()
        .find(|l| l.contains("Root "))
        .expect("root line");
    let after = line.split("Root").nth(1).unwrap();
    let path = after.split('│').next().unwrap().trim();
    PathBuf::from(path)
}

fn venv_dir() -> PathBuf {
    let python =
        scandyctl::mongo::local_server::python_for_tests(Path::new(env!("CARGO_MANIFEST_DIR")))
            .expect("python with SecantusDB");
    python
        .parent()
        .and_then(Path::parent)
        .expect("venv dir")
        .to_path_buf()
}

#[test]
fn demo_builds_a_live_install_and_cleans_up() {
    let venv = venv_dir();
    let home = tempfile::tempdir().unwrap();
    let venv_env = venv.display().to_string();
    let mut session = PtySession::spawn(
        &["demo", "--lang", "en", "--scale", "100", "--log-rate", "20"],
        home.path(),
        &[("SCANDYCTL_SECANTUS_VENV", venv_env.as_str())],
    );
    let screen = session.wait_for_text("Server version", Duration::from_secs(60));
    assert!(screen.contains("native (systemd)"), "{screen}");
    assert!(screen.contains("demo sandbox"), "{screen}");
    let root = demo_root_from(&screen);
    assert!(
        root.join(".env").is_file(),
        "{} has no .env",
        root.display()
    );
    let log = root.join("app/logs/app.log");
    let before = std::fs::metadata(&log).expect("app.log").len();
    std::thread::sleep(Duration::from_millis(600));
    let after = std::fs::metadata(&log).expect("app.log").len();
    assert!(
        after > before,
        "app.log does not grow ({before} -> {after})"
    );
    let backups: Vec<_> = std::fs::read_dir(root.join("backups"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        backups
            .iter()
            .any(|n| n.starts_with("scandy_backup_") && n.ends_with(".json")),
        "{backups:?}"
    );
    session.send(b"q");
    assert_eq!(session.wait_exit(Duration::from_secs(20)), 0);
    assert!(!root.exists(), "sandbox {} was not removed", root.display());
    assert!(session.screen_restored());
}
