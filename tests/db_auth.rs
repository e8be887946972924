//! Authentication against a private SecantusDB started with `--auth --standalone`:
//! a wrong password is reported as a SCRAM failure with the `.env` hint (exit 6, the
//! password never printed); a restricted `readWrite` user gets "not permitted" fields,
//! can validate, and `reIndex` passes the standalone gate but is not supported.

mod backup_support;
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use backup_support::Fixture;
use mongodb::bson::doc;
use scandyctl::mongo::local_server::{LocalMongoServer, python_for_tests};

const USER: &str = "scandy";
const RIGHT: &str = "right-pw";
const WRONG: &str = "wr0ng-Passw0rd";

fn both(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Stops `server` and waits until its process is gone (it holds `WiredTiger.lock`).
fn stop(server: LocalMongoServer) {
    let pid = server.pid();
    drop(server);
    let deadline = Instant::now() + Duration::from_secs(20);
    while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts a server on `storage`, retrying while the previous one still holds the lock.
fn start_retrying(python: &Path, storage: &Path, args: &[&str]) -> LocalMongoServer {
    let mut last = None;
    for _ in 0..10 {
        match LocalMongoServer::start(python, storage, args) {
            Ok(server) => return server,
            Err(err) => {
                last = Some(err);
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
    panic!("cannot restart SecantusDB with {args:?}: {last:?}");
}

/// `mongodb://USER:PASSWORD@host:port/?authSource=admin` for `server`.
fn uri_for(server: &LocalMongoServer, password: &str) -> String {
    format!(
        "mongodb://{USER}:{password}@127.0.0.1:{}/?authSource=admin",
        server.port()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_failures_and_restricted_users() {
    if std::env::var("MONGODB_TEST_URI").is_ok_and(|u| !u.trim().is_empty()) {
        eprintln!("skipped: MONGODB_TEST_URI is set; this test needs a private SecantusDB");
        return;
    }
    let python = python_for_tests(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("python");
    let storage = tempfile::Builder::new()
        .prefix("secantus-auth-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("storage dir");

    // Without auth: seed the data and create a restricted user.
    let open = LocalMongoServer::start(&python, storage.path(), &[]).expect("start");
    let fx = Fixture::with_server("db_auth", &open.uri(), 20).await;
    let client = mongodb::Client::with_uri_str(open.uri()).await.unwrap();
    client
        .database("admin")
        .run_command(doc! {
            "createUser": USER,
            "pwd": RIGHT,
            "roles": [{ "role": "readWrite", "db": &fx.database }],
        })
        .await
        .expect("createUser");
    client.shutdown().await;
    stop(open);

    let server = start_retrying(&python, storage.path(), &["--auth", "--standalone"]);

    // Wrong password: a SCRAM failure with the .env hint, exit 6, no password.
    fx.write_config_with_uri(&uri_for(&server, WRONG), "");
    let out = fx.run(&["db", "stats"]);
    let text = both(&out);
    assert_eq!(out.status.code(), Some(6), "{text}");
    assert!(text.contains("SCRAM authentication failed"), "{text}");
    assert!(
        text.contains("password in .env may no longer match the database user"),
        "{text}"
    );
    assert!(
        !text.contains(WRONG) && !text.contains(RIGHT),
        "password shown: {text}"
    );

    // Right password, readWrite only: serverStatus is not permitted, the rest works.
    fx.write_config_with_uri(&uri_for(&server, RIGHT), "");
    let out = fx.run(&["db", "stats"]);
    let text = both(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("not permitted"), "{text}");
    assert!(!text.contains(RIGHT), "password shown: {text}");

    let out = fx.run(&["db", "validate"]);
    let text = both(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("INVALID"), "{text}");

    // Standalone: reIndex passes the topology gate, then the server lacks it.
    let out = fx.run(&["db", "reindex", "--collection", "tools", "--yes"]);
    let text = both(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("reIndex is not supported by this server"),
        "{text}"
    );
    assert!(!text.contains("refusing"), "{text}");
    stop(server);
}
