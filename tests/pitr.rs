//! Point-in-time restore on a replica set (the test server has an oplog): oplog slices
//! captured after a full; a restore to a time between two known writes holds the first and
//! not the second; a time outside the window or inside a gap is refused, naming it.

mod backup_support;
mod common;

use std::time::Duration;

use backup_support::{Fixture, assert_success, stderr_text as stderr, stdout_text as stdout};
use futures::TryStreamExt;
use mongodb::bson::{Document, doc};
use scandyctl::mongo::local_server::{LocalMongoServer, python_for_tests};

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn names_in(client: &mongodb::Client, db: &str) -> Vec<String> {
    let mut names: Vec<String> = client
        .database(db)
        .collection::<Document>("tools")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect::<Vec<Document>>()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|d| d.get_str("name").ok().map(str::to_string))
        .collect();
    names.sort();
    names
}

/// Sleeps past the next whole second, so writes land in different oplog seconds.
async fn next_second() {
    tokio::time::sleep(Duration::from_millis(1100)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restore_between_two_writes_holds_the_first_and_not_the_second() {
    if common::test_mongo_is_standalone().await {
        eprintln!("skipped: the test server is a standalone mongod without an oplog");
        return;
    }
    let fx = Fixture::new("pitr_between").await;
    let client = common::client().await;
    let tools = client
        .database(&fx.database)
        .collection::<Document>("tools");
    let old = tools.find_one(doc! {}).await.unwrap().unwrap();
    let old_id = old.get("_id").unwrap().clone();
    let full = fx.backup();
    next_second().await;

    tools
        .insert_one(doc! { "name": "erste Säge" })
        .await
        .unwrap();
    tools
        .update_one(
            doc! { "_id": old_id.clone() },
            doc! { "$set": { "zustand": "geprüft" } },
        )
        .await
        .unwrap();
    let between = chrono::Utc::now();
    next_second().await;
    next_second().await;
    tools
        .insert_one(doc! { "name": "zweite Säge" })
        .await
        .unwrap();
    tools
        .update_one(
            doc! { "_id": old_id.clone() },
            doc! { "$set": { "zustand": "defekt" }, "$unset": { "name": "" } },
        )
        .await
        .unwrap();
    let after_both = chrono::Utc::now();
    let out = fx.run(&["oplog", "capture"]);
    assert_success(&out, "oplog capture");
    let slice = stdout(&out);
    assert!(slice.ends_with("-oplog"), "{slice}");
    assert!(stderr(&out).contains("gap-free"), "{}", stderr(&out));
    assert_success(&fx.run(&["verify", &slice, "--deep"]), "verify the slice");

    let target = common::unique_db_name("pitr_between_restore");
    let at = rfc3339(between + chrono::Duration::milliseconds(500));
    let dry = fx.run(&[
        "restore",
        "--at",
        &at,
        "--to-db",
        &target,
        "--dry-run",
        "--json",
    ]);
    assert_success(&dry, "restore --at --dry-run");
    let plan: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(plan["id"], full.as_str());
    assert_eq!(plan["point_in_time"]["slices"][0], slice.as_str());
    assert!(plan["files"].is_null(), "--at restores the database only");

    let out = fx.run(&["restore", "--at", &at, "--to-db", &target, "--yes"]);
    assert_success(&out, "restore --at");
    let restored = names_in(&client, &target).await;
    assert!(restored.contains(&"erste Säge".to_string()), "{restored:?}");
    assert!(
        !restored.contains(&"zweite Säge".to_string()),
        "{restored:?}"
    );
    let restored_old = client
        .database(&target)
        .collection::<Document>("tools")
        .find_one(doc! { "_id": old_id.clone() })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(restored_old.get_str("zustand").unwrap(), "geprüft");
    assert_eq!(restored_old.get_str("name").ok(), old.get_str("name").ok());

    // After the second write: both writes, the second update applied too.
    let later = common::unique_db_name("pitr_later_restore");
    let at = rfc3339(after_both);
    let out = fx.run(&["restore", "--at", &at, "--to-db", &later, "--yes"]);
    assert_success(&out, "restore --at now");
    let restored = names_in(&client, &later).await;
    let live = names_in(&client, &fx.database).await;
    assert_eq!(restored, live);

    // Before the window: refused, naming the window.
    let before = rfc3339(chrono::Utc::now() - chrono::Duration::hours(3));
    let out = fx.run(&["restore", "--at", &before, "--to-db", &target, "--yes"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("outside the point-in-time window: any time from"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_time_inside_a_gap_of_the_window_is_refused_naming_the_gap() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = python_for_tests(repo).expect("python with SecantusDB");
    let storage = tempfile::Builder::new()
        .prefix("secantus-pitr-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let server = LocalMongoServer::start(&python, storage.path(), &["--oplog-max-entries", "100"])
        .expect("start a SecantusDB with a short oplog");
    let uri = server.uri();
    let fx = Fixture::with_server("pitr_gap", &uri, 20).await;
    let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
    let scratch = client
        .database(&fx.database)
        .collection::<Document>("scratch");
    fx.backup();
    next_second().await;
    scratch.insert_one(doc! { "i": -1 }).await.unwrap();
    assert_success(&fx.run(&["oplog", "capture"]), "first slice");
    next_second().await;
    // The oplog moves on past the last captured position: a gap.
    for i in 0..150 {
        scratch.insert_one(doc! { "i": i }).await.unwrap();
    }
    client
        .database("admin")
        .run_command(doc! { "secantusAdmin.pruneOplog": 1 })
        .await
        .unwrap();
    let in_gap = chrono::Utc::now();
    let out = fx.run(&["oplog", "capture"]);
    assert!(!out.status.success(), "a capture across a gap must fail");
    assert!(
        stderr(&out).contains("no longer reaches back"),
        "{}",
        stderr(&out)
    );
    next_second().await;
    fx.backup();
    next_second().await;
    scratch.insert_one(doc! { "i": 1000 }).await.unwrap();
    assert_success(&fx.run(&["oplog", "capture"]), "slice after the new full");
    let window = fx.run(&["oplog", "window", "--json"]);
    assert_success(&window, "oplog window");
    let window: serde_json::Value = serde_json::from_slice(&window.stdout).unwrap();
    assert_eq!(window["spans"].as_array().unwrap().len(), 2, "{window:#}");

    let out = fx.run(&[
        "restore",
        "--at",
        &rfc3339(in_gap),
        "--to-db",
        "pitr_gap_target",
        "--yes",
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("is inside a gap of the point-in-time window"),
        "{err}"
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn schedule_run_stores_a_slice_when_oplog_slices_is_set() {
    if common::test_mongo_is_standalone().await {
        eprintln!("skipped: the test server is a standalone mongod without an oplog");
        return;
    }
    let fx = Fixture::new("pitr_schedule").await;
    fx.backup();
    next_second().await;
    common::client()
        .await
        .database(&fx.database)
        .collection::<Document>("tools")
        .insert_one(doc! { "name": "nach dem Full" })
        .await
        .unwrap();
    fx.write_config(
        "oplog_slices = \"10m\"\n[schedule]\ndaily = { cron = \"0 2 * * *\", type = \"full\" }",
    );
    let out = fx.run(&["schedule", "run", "--once"]);
    assert_success(&out, "schedule run --once");
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(said.contains("oplog slice scandy-"), "{said}");
    let slices: Vec<String> = std::fs::read_dir(&fx.backups)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with("-oplog"))
        .collect();
    assert_eq!(slices.len(), 1, "{slices:?}");
    let list = fx.run(&["list"]);
    assert_success(&list, "list");
    assert!(
        stdout(&list).contains("point in time: any time from"),
        "{}",
        stdout(&list)
    );
}
