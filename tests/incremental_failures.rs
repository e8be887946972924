//! Broken chains and the oplog's limits: a parent deleted, a parent's member corrupted or
//! its manifest edited — verify names the link, restore refuses before touching anything,
//! the next incremental is a full with the reason; an oplog that no longer reaches the
//! parent means a scan, with the reason recorded; `--type auto` starts a new chain.

mod backup_support;
mod common;

use backup_support::{
    Fixture, assert_success, flip_byte, stderr_text as stderr, stdout_text as stdout,
};
use mongodb::bson::{Document, doc};
use scandyctl::mongo::local_server::{LocalMongoServer, python_for_tests};

fn incremental(fx: &Fixture, args: &[&str]) -> String {
    let mut all = vec!["backup", "--type", "incremental"];
    all.extend_from_slice(args);
    let out = fx.run(&all);
    assert_success(&out, "incremental backup");
    stdout(&out)
}

async fn change_something(fx: &Fixture, n: i32) {
    common::client()
        .await
        .database(&fx.database)
        .collection::<Document>("tools")
        .insert_one(doc! { "name": format!("Säge {n}") })
        .await
        .unwrap();
}

/// A full and two incrementals: (full, first, second).
async fn chain(name: &str) -> (Fixture, [String; 3]) {
    let fx = Fixture::new(name).await;
    let full = fx.backup();
    change_something(&fx, 1).await;
    let first = incremental(&fx, &[]);
    change_something(&fx, 2).await;
    let second = incremental(&fx, &[]);
    assert_eq!(fx.manifest(&second)["parent"], first.as_str());
    (fx, [full, first, second])
}

/// verify names `expected`; restore refuses and creates nothing; a new incremental is a
/// full saying why.
async fn assert_broken(fx: &Fixture, id: &str, expected: &str) {
    let verify = fx.run(&["verify", id]);
    assert_eq!(verify.status.code(), Some(3), "{}", stderr(&verify));
    let shown = format!("{}{}", stdout(&verify), stderr(&verify));
    assert!(
        shown.contains(expected),
        "verify output lacks {expected:?}: {shown}"
    );

    let target = common::unique_db_name("broken_target");
    let files_to = fx.dir.path().join("broken-files");
    let restore = fx.run(&[
        "restore",
        id,
        "--to-db",
        &target,
        "--files-to",
        files_to.to_str().unwrap(),
        "--yes",
    ]);
    assert!(
        !restore.status.success(),
        "restore of a broken chain succeeded"
    );
    let err = stderr(&restore);
    assert!(err.contains("chain broken at"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    let names = common::client().await.list_database_names().await.unwrap();
    assert!(!names.contains(&target), "restore created {target}");
    assert!(!files_to.exists(), "restore created {}", files_to.display());

    let out = fx.run(&["backup", "--type", "incremental"]);
    assert_success(&out, "incremental onto a broken chain");
    let next = stdout(&out);
    assert!(next.ends_with("-full"), "{next}");
    let reason = fx.manifest(&next)["full_reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("chain broken at"), "{reason}");
    assert!(
        stderr(&out).contains("taking a full backup"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_parent_breaks_the_chain_at_its_child() {
    let (fx, [_, first, second]) = chain("chain_deleted").await;
    std::fs::remove_dir_all(fx.set_dir(&first)).unwrap();
    assert_broken(
        &fx,
        &second,
        &format!("chain broken at {second}: parent {first} is missing"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupted_parent_member_breaks_the_chain_at_the_parent() {
    let (fx, [full, _, second]) = chain("chain_corrupt").await;
    flip_byte(&fx.set_dir(&full).join("mongo.archive.zst"));
    assert_broken(
        &fx,
        &second,
        &format!("chain broken at {full}: mongo.archive.zst"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edited_parent_manifest_breaks_the_chain_at_its_child() {
    let (fx, [_, first, second]) = chain("chain_edited").await;
    let path = fx.set_dir(&first).join("manifest.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("\"host\": \"", "\"host\": \"x", 1)).unwrap();
    assert_broken(
        &fx,
        &second,
        &format!("chain broken at {second}: parent manifest changed"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn auto_starts_a_new_chain_when_it_would_grow_too_long() {
    let fx = Fixture::new("chain_auto").await;
    fx.write_config("max_chain = 2");
    let full = fx.backup();
    change_something(&fx, 1).await;
    let first = {
        let out = fx.run(&["backup", "--type", "auto"]);
        assert_success(&out, "auto 1");
        stdout(&out)
    };
    assert!(first.ends_with("-incremental"), "{first}");
    assert_eq!(fx.manifest(&first)["parent"], full.as_str());
    change_something(&fx, 2).await;
    let out = fx.run(&["backup", "--type", "auto", "--json"]);
    assert_success(&out, "auto 2");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = json["id"].as_str().unwrap();
    assert!(id.ends_with("-full"), "{id}");
    let reason = json["manifest"]["full_reason"].as_str().unwrap();
    assert!(
        reason.contains("the chain would hold 3 sets (backup.max_chain = 2)"),
        "{reason}"
    );
    // An explicit parent is taken as asked.
    change_something(&fx, 3).await;
    let onto_first = incremental(&fx, &["--parent", &first]);
    let m = fx.manifest(&onto_first);
    assert_eq!(m["parent"], first.as_str());
    assert_eq!(m["increment"]["depth"], 2);
    let bad = fx.run(&["backup", "--type", "full", "--parent", &first]);
    assert_eq!(bad.status.code(), Some(1), "{}", stderr(&bad));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oplog_that_no_longer_covers_the_parent_falls_back_to_a_scan() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = python_for_tests(repo).expect("python with SecantusDB");
    let storage = tempfile::Builder::new()
        .prefix("secantus-oplog-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let server = LocalMongoServer::start(&python, storage.path(), &["--oplog-max-entries", "200"])
        .expect("start a SecantusDB with a short oplog");
    let uri = server.uri();
    let fx = Fixture::with_server("oplog_window", &uri, 20).await;
    let full = fx.backup();
    assert!(
        fx.manifest(&full)["oplog"]["t"].as_u64().is_some(),
        "the full records the oplog position"
    );
    let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
    let tools = client
        .database(&fx.database)
        .collection::<Document>("tools");
    tools
        .insert_one(doc! { "name": "nach dem Full" })
        .await
        .unwrap();
    // Within the window: the oplog names the change.
    let near = incremental(&fx, &[]);
    let m = fx.manifest(&near);
    assert_eq!(m["increment"]["method"], "oplog", "{m:#}");
    // Push the parent's position out of the oplog.
    let scratch = client
        .database(&fx.database)
        .collection::<Document>("scratch");
    for i in 0..300 {
        scratch.insert_one(doc! { "i": i }).await.unwrap();
    }
    tools
        .update_many(doc! {}, doc! { "$set": { "geprueft": true } })
        .await
        .unwrap();
    // SecantusDB trims on its own too; this makes the trim happen now.
    client
        .database("admin")
        .run_command(doc! { "secantusAdmin.pruneOplog": 1 })
        .await
        .unwrap();
    let far = incremental(&fx, &[]);
    let m = fx.manifest(&far);
    assert_eq!(m["increment"]["method"], "scan", "{m:#}");
    let reason = m["increment"]["scan_reason"].as_str().unwrap();
    assert!(reason.contains("no longer covers the parent"), "{reason}");
    // The scan found every change all the same.
    let target = common::unique_db_name("oplog_window_restore");
    let out = fx.run(&["restore", &far, "--to-db", &target, "--only", "db", "--yes"]);
    assert_success(&out, "restore");
    let read = |db: &str| {
        let (client, db) = (client.clone(), db.to_string());
        async move {
            let mut names = client.database(&db).list_collection_names().await.unwrap();
            names.sort();
            let mut out = Vec::new();
            for name in names {
                use futures::TryStreamExt;
                let docs: Vec<mongodb::bson::RawDocumentBuf> = client
                    .database(&db)
                    .collection(&name)
                    .find(doc! {})
                    .sort(doc! { "_id": 1 })
                    .await
                    .unwrap()
                    .try_collect()
                    .await
                    .unwrap();
                out.push((name, docs));
            }
            out
        }
    };
    assert_eq!(read(&target).await, read(&fx.database).await);
    drop(server);
}
