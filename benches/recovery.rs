//! Recovery time: a Scandy install of `BENCH_DOCS` documents (default 520,000) and
//! `BENCH_FILES_MB` of uploads (default 1024), with a full backup, loses everything (the
//! database dropped, the upload directory deleted); then `scandyctl recover --auto --yes`
//! runs while a stand-in for Scandy's web app answers `/health` with 503 until the database
//! is back and 200 from then on. Measured: the time to `/health` OK and to verification
//! done, and each phase (detection, recovery point with its deep verify, safety backup,
//! restore, verification). Side by side, in the same run, the manual procedure an admin
//! would follow instead on the same loss: `scandyctl verify --deep ID` then
//! `scandyctl restore ID --yes`, which neither diagnoses nor verifies the result.
//! Target: recovery under 5 minutes on a 2-core machine with SecantusDB.
//!
//! Run: `cargo bench --bench recovery` (smoke: `BENCH_FILES_MB=50 BENCH_DOCS=20000`;
//! `BENCH_BASELINE=0` leaves out the manual procedure).

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mongodb::bson::Document;
use scandyctl::mongo::local_server::{LocalMongoServer, python_for_tests};

#[allow(dead_code)]
#[path = "support/child_run.rs"]
mod child_run;
use child_run::run;

#[path = "support/backup_fixture.rs"]
mod backup_fixture;
use backup_fixture::*;

/// The stand-in web app: 503 until `back` is set, then 200; remembers its first 200.
struct StandIn {
    url: String,
    back: Arc<AtomicBool>,
    first_ok: Arc<Mutex<Option<Instant>>>,
}

fn stand_in() -> StandIn {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/health", listener.local_addr().unwrap());
    let back = Arc::new(AtomicBool::new(false));
    let first_ok = Arc::new(Mutex::new(None));
    let (b, f) = (back.clone(), first_ok.clone());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 2048];
            let _ = stream.read(&mut buf);
            let ok = b.load(Ordering::SeqCst);
            if ok {
                f.lock().unwrap().get_or_insert_with(Instant::now);
            }
            let (status, body) = if ok {
                ("200 OK", "{\"status\": \"healthy\"}")
            } else {
                ("503 Service Unavailable", "{\"status\": \"unhealthy\"}")
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    StandIn {
        url,
        back,
        first_ok,
    }
}

/// Sets `back` once `database` holds `expected` documents again (polled every 250 ms);
/// returns when it was set.
async fn watch_database(
    uri: String,
    database: String,
    expected: u64,
    back: Arc<AtomicBool>,
) -> Instant {
    let client = client(&uri).await;
    let db = client.database(&database);
    loop {
        let mut total = 0;
        if let Ok(names) = db.list_collection_names().await {
            let live = names.iter().filter(|n| {
                !n.starts_with("system.") && !scandyctl::backup::restore::is_staging_collection(n)
            });
            for name in live {
                total += db
                    .collection::<Document>(name)
                    .estimated_document_count()
                    .await
                    .unwrap_or(0);
            }
        }
        if total >= expected {
            back.store(true, Ordering::SeqCst);
            return Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Drops the database and deletes the uploads.
fn lose_everything(rt: &tokio::runtime::Runtime, uri: &str, database: &str, uploads: &Path) {
    rt.block_on(async {
        client(uri)
            .await
            .database(database)
            .drop()
            .await
            .expect("drop")
    });
    std::fs::remove_dir_all(uploads).expect("remove uploads");
    sync_disk();
}

/// Seconds between two timeline entries whose text starts with `from` and `to`.
fn between(timeline: &[serde_json::Value], from: &str, to: &str) -> f64 {
    let at = |prefix: &str| {
        timeline
            .iter()
            .find(|t| t["what"].as_str().is_some_and(|w| w.starts_with(prefix)))
            .and_then(|t| t["at"].as_str())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .unwrap_or_else(|| panic!("no timeline entry {prefix:?}"))
    };
    (at(to) - at(from)).num_milliseconds() as f64 / 1000.0
}

fn main() {
    let files_mb = env_u64("BENCH_FILES_MB", 1024);
    let target_docs = env_u64("BENCH_DOCS", 520_000);
    let baseline = env_u64("BENCH_BASELINE", 1) == 1;
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = python_for_tests(repo).expect("python with SecantusDB (.venv)");
    let work_dir = tempfile::Builder::new()
        .prefix("bench-recovery-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("work dir");
    let work = work_dir.path().to_path_buf();
    let rt = runtime();
    let server = LocalMongoServer::start(&python, &work.join("mongo"), &[]).expect("SecantusDB");
    let uri = server.uri();
    let database = "bench_recovery";
    let install = Install::new(&work, "rec", &uri, database);
    let web = stand_in();
    let mut config = std::fs::read_to_string(&install.config).expect("config");
    config.push_str(&format!(
        "[web]\nhealth_url = \"{}\"\nhealth_interval = 1\nrate_limit = \"none\"\n",
        web.url
    ));
    std::fs::write(&install.config, config).expect("config");
    let state = install.home.join("state");
    let cmd = |args: &[&str]| {
        let mut c = install.cmd(args);
        c.env("SCANDYCTL_STATE_DIR", &state);
        c
    };

    let (total_docs, tree) = install.seed(&rt, &uri, database, target_docs, files_mb);
    let uploads = install.root.join("app/static/uploads");
    let backup = run("backup", &mut cmd(&["backup", "--type", "full"]));
    let id = set_id_of(&backup);
    log(format!("full backup {id} in {:.1} s", backup.secs()));

    // The disaster, then the recovery while the stand-in waits for the database.
    lose_everything(&rt, &uri, database, &uploads);
    let watcher = rt.spawn(watch_database(
        uri.clone(),
        database.to_string(),
        total_docs,
        web.back.clone(),
    ));
    let started = Instant::now();
    let recovery = run(
        "recover --auto --yes",
        &mut cmd(&["recover", "--auto", "--yes", "--json"]),
    );
    let db_back = rt.block_on(watcher).expect("watcher");
    let outcome: serde_json::Value =
        serde_json::from_str(recovery.stdout.trim()).expect("recover --json");
    assert_eq!(outcome["outcome"], "recovered", "{outcome:#}");
    assert_eq!(outcome["verified"], true, "{outcome:#}");
    let health_ok = web
        .first_ok
        .lock()
        .unwrap()
        .expect("the stand-in never answered 200");
    let report = outcome["report"].as_str().expect("report");
    let incident = Path::new(report)
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("incident id");
    let wizard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(state.join("recovery").join(format!("{incident}.json")))
            .expect("closed wizard"),
    )
    .expect("wizard json");
    let timeline = wizard["timeline"].as_array().expect("timeline").clone();
    let seconds = |key: &str| {
        wizard["restore"]["seconds"]
            .as_array()
            .and_then(|list| list.iter().find(|p| p[0] == key))
            .and_then(|p| p[1].as_f64())
            .unwrap_or(0.0)
    };
    let detection = between(&timeline, "step 1", "step 3");
    let point = between(&timeline, "step 3", "step 4");
    let verification = between(&timeline, "step 6", "step 7");
    let total = recovery.secs();
    let to_health = (health_ok - started).as_secs_f64();
    let to_db = (db_back - started).as_secs_f64();

    let mut manual = None;
    if baseline {
        lose_everything(&rt, &uri, database, &uploads);
        let verify = run("verify --deep", &mut cmd(&["verify", &id, "--deep"]));
        let restore = run("restore --yes", &mut cmd(&["restore", &id, "--yes"]));
        manual = Some((verify.secs(), restore.secs()));
    }

    println!(
        "\n## Recovery benchmark ({total_docs} documents, {:.0} MiB of uploads, all lost)\n",
        tree.bytes as f64 / MIB as f64
    );
    println!("| phase | seconds |\n|---|---|");
    println!("| detection | {detection:.1} |");
    println!("| recovery point (deep verify of {id}) | {point:.1} |");
    println!(
        "| safety backup of the live state | {:.1} |",
        seconds("safety_backup")
    );
    println!("| restore: database load | {:.1} |", seconds("load"));
    println!("| restore: files | {:.1} |", seconds("files"));
    println!("| restore: swap | {:.1} |", seconds("swap"));
    println!("| restore total | {:.1} |", seconds("total"));
    println!("| verification | {verification:.1} |");
    println!("| database back (all documents) | {to_db:.1} after start |");
    println!("| `/health` OK | {to_health:.1} after start |");
    println!("| `recover --auto --yes` total | {total:.1} (target < 300) |");
    println!("| peak RSS | {:.0} MB |", recovery.rss_mb());
    if let Some((verify, restore)) = manual {
        let sum = verify + restore;
        println!(
            "| manual: `verify --deep` + `restore --yes` | {verify:.1} + {restore:.1} = {sum:.1} |"
        );
        println!("| ratio recover / manual | {:.2}x |", total / sum);
    }
    drop(server);
}
