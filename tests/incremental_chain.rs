//! Incremental backups through the real binary: a Scandy database and file tree mutated at
//! random over six incrementals (inserts, updates of old documents, deletes, a new index, a
//! dropped and a created collection, edited, deleted and new files, a file replaced by one
//! of equal size and mtime); every point of the chain restored into another database and
//! directory equals the state taken after that step; the flattened last point too.

#[allow(dead_code)]
mod archive_spec;
mod backup_support;
mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use backup_support::{
    Fixture, assert_success, file_snapshot, index_summary, raw_dump, stdout_text as stdout,
};
use futures::TryStreamExt;
use mongodb::bson::{Document, doc, oid::ObjectId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What the database and files looked like after a step.
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    docs: Vec<(String, Vec<Vec<u8>>)>,
    indexes: Vec<String>,
    files: Vec<(String, Vec<u8>, u32, i64)>,
}

async fn snapshot(fx: &Fixture) -> Snapshot {
    Snapshot {
        docs: raw_dump(&fx.database).await,
        indexes: index_summary(&fx.database).await,
        files: file_snapshot(&fx.root)
            .into_iter()
            .filter(|(p, ..)| p != ".env")
            .collect(),
    }
}

/// Inserts, updates and deletes a few documents in two random collections.
async fn mutate_documents(db: &mongodb::Database, rng: &mut StdRng, step: usize) {
    let mut names = db.list_collection_names().await.unwrap();
    names.retain(|n| !n.starts_with("system."));
    names.sort();
    for _ in 0..2 {
        let name = names[rng.random_range(0..names.len())].clone();
        let coll = db.collection::<Document>(&name);
        let ids: Vec<mongodb::bson::Bson> = coll
            .find(doc! {})
            .projection(doc! { "_id": 1 })
            .await
            .unwrap()
            .try_collect::<Vec<Document>>()
            .await
            .unwrap()
            .into_iter()
            .filter_map(|d| d.get("_id").cloned())
            .collect();
        for i in 0..3 {
            coll.insert_one(
                doc! { "_id": ObjectId::new(), "name": format!("neu {step}/{i}"), "n": i },
            )
            .await
            .unwrap();
        }
        if ids.is_empty() {
            continue;
        }
        for _ in 0..3 {
            let id = &ids[rng.random_range(0..ids.len())];
            coll.update_one(
                doc! { "_id": id },
                doc! { "$set": { "geaendert": step as i32 } },
            )
            .await
            .unwrap();
        }
        for _ in 0..2 {
            let id = &ids[rng.random_range(0..ids.len())];
            coll.delete_one(doc! { "_id": id }).await.unwrap();
        }
    }
}

fn write(root: &Path, rel: &str, content: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// The step's schema and file changes.
async fn mutate_rest(fx: &Fixture, db: &mongodb::Database, step: usize) {
    let root = &fx.root;
    match step {
        1 => {
            std::fs::remove_file(root.join("app/static/uploads/logos/logo.png")).unwrap();
            write(
                root,
                "app/logs/app.log",
                b"2025-08-01 10:00:00,000 - INFO - neu\n",
            );
        }
        2 => {
            db.collection::<Document>("tools")
                .create_index(
                    mongodb::IndexModel::builder()
                        .keys(doc! { "geaendert": 1 })
                        .build(),
                )
                .await
                .unwrap();
            write(root, "app/static/uploads/tools/neu.png", b"\x89PNG neu");
        }
        3 => {
            // Equal size and mtime, other content: only the inode and ctime tell.
            let path =
                root.join("app/static/uploads/tools/6650f1a2b3c4d5e6f7a8b9c0/bohrmaschine.png");
            let meta = std::fs::metadata(&path).unwrap();
            let mut other = std::fs::read(&path).unwrap();
            other.iter_mut().for_each(|b| *b = b.wrapping_add(1));
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, &other).unwrap();
            std::fs::File::options()
                .write(true)
                .open(&tmp)
                .unwrap()
                .set_modified(meta.modified().unwrap())
                .unwrap();
            std::fs::rename(&tmp, &path).unwrap();
            let mut names = db.list_collection_names().await.unwrap();
            names.sort();
            let victim = names.iter().find(|n| *n != "tools").unwrap().clone();
            db.collection::<Document>(&victim).drop().await.unwrap();
        }
        4 => {
            let coll = db.collection::<Document>("neue_sammlung");
            for i in 0..5 {
                coll.insert_one(doc! { "_id": i, "wert": format!("v{i}") })
                    .await
                    .unwrap();
            }
            std::fs::set_permissions(
                root.join("app/logs/app.log.1"),
                std::fs::Permissions::from_mode(0o600),
            )
            .unwrap();
        }
        5 => {
            // Dropped and created again with other documents under the same name.
            let coll = db.collection::<Document>("neue_sammlung");
            coll.drop().await.unwrap();
            coll.insert_one(doc! { "_id": 2, "wert": "anders" })
                .await
                .unwrap();
            write(root, "app/static/uploads/tickets/2/neu.pdf", b"%PDF neu");
        }
        6 => {
            std::fs::remove_dir_all(root.join("app/static/uploads/tickets/1")).unwrap();
            let mut log = std::fs::read(root.join("app/logs/app.log")).unwrap();
            log.extend_from_slice(b"2025-08-02 10:00:00,000 - ERROR - mehr\n");
            std::fs::write(root.join("app/logs/app.log"), log).unwrap();
        }
        _ => {}
    }
}

async fn assert_restores_to(fx: &Fixture, id: &str, expected: &Snapshot, label: &str) {
    let target = common::unique_db_name(&format!("chain_{label}"));
    let files_to = fx.dir.path().join(format!("restored-{label}"));
    let out = fx.run(&[
        "restore",
        id,
        "--to-db",
        &target,
        "--files-to",
        files_to.to_str().unwrap(),
        "--yes",
    ]);
    assert_success(&out, &format!("restore {label}"));
    let restored = Snapshot {
        docs: raw_dump(&target).await,
        indexes: index_summary(&target).await,
        files: file_snapshot(&files_to),
    };
    assert_eq!(restored.docs, expected.docs, "{label}: documents differ");
    let strip = |v: &[String]| {
        v.iter()
            .map(|l| {
                l.split_once(' ')
                    .map(|(_, r)| r.to_string())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strip(&restored.indexes),
        strip(&expected.indexes),
        "{label}: indexes differ"
    );
    assert_eq!(restored.files, expected.files, "{label}: files differ");
    common::client()
        .await
        .database(&target)
        .drop()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn every_point_of_a_six_incremental_chain_read_from_the_oplog_restores_exactly() {
    chain_case(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_point_of_a_six_incremental_chain_found_by_scanning_restores_exactly() {
    chain_case(true).await;
}

async fn chain_case(scan: bool) {
    let fx = Fixture::new(if scan { "chain_scan" } else { "chain_oplog" }).await;
    let client = common::client().await;
    let db = client.database(&fx.database);
    let mut rng = StdRng::seed_from_u64(0x5ca9d7);
    let mut points = vec![(fx.backup(), snapshot(&fx).await)];
    for step in 1..=6 {
        mutate_documents(&db, &mut rng, step).await;
        mutate_rest(&fx, &db, step).await;
        let mut args = vec!["backup", "--type", "incremental"];
        if scan {
            args.push("--scan");
        }
        let out = fx.run(&args);
        assert_success(&out, &format!("incremental {step}"));
        let id = stdout(&out);
        assert!(id.ends_with("-incremental"), "step {step}: {id}");
        let m = fx.manifest(&id);
        let method = if scan || common::test_mongo_is_standalone().await {
            "scan"
        } else {
            "oplog"
        };
        assert_eq!(m["increment"]["method"], method, "step {step}: {m:#}");
        assert_eq!(m["parent"], points.last().unwrap().0.as_str());
        assert_eq!(m["increment"]["depth"], step);
        points.push((id, snapshot(&fx).await));
    }
    // The increments hold only changes: far fewer documents than the database.
    let last = fx.manifest(&points[6].0);
    let stored: u64 = last["database"]["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["documents"].as_u64().unwrap())
        .sum();
    let total: u64 = points[6].1.docs.iter().map(|(_, d)| d.len() as u64).sum();
    assert!(stored * 10 < total, "stored {stored} of {total} documents");
    let created = &last["increment"]["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "neue_sammlung")
        .unwrap()
        .clone();
    assert_eq!(created["documents"], 1);
    let step3 = fx.manifest(&points[3].0);
    assert_eq!(step3["increment"]["dropped"].as_array().unwrap().len(), 1);
    assert!(step3["increment"]["files"]["changed"].as_u64().unwrap() >= 1);
    let step2 = fx.manifest(&points[2].0);
    let tools = step2["increment"]["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "tools")
        .unwrap()
        .clone();
    assert_eq!(tools["indexes_changed"], true);

    let verify = fx.run(&["verify", &points[6].0, "--deep"]);
    assert_success(&verify, "verify --deep of the last incremental");
    let dry = fx.run(&["restore", &points[6].0, "--dry-run", "--json"]);
    assert_success(&dry, "restore --dry-run");
    let plan: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap();
    let chain: Vec<&str> = plan["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let ids: Vec<&str> = points.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(chain, ids);

    for (i, (id, expected)) in points.iter().enumerate() {
        assert_restores_to(&fx, id, expected, &format!("p{i}")).await;
    }

    // One collection of the last point, into another database.
    let only = common::unique_db_name("chain_only_tools");
    let out = fx.run(&[
        "restore",
        &points[6].0,
        "--only",
        "db",
        "--collections",
        "tools",
        "--to-db",
        &only,
        "--yes",
    ]);
    assert_success(&out, "restore --collections tools");
    let expected_tools: Vec<_> = points[6]
        .1
        .docs
        .iter()
        .filter(|(name, _)| name == "tools")
        .cloned()
        .collect();
    assert_eq!(
        raw_dump(&only).await,
        expected_tools,
        "only tools, as at the last point"
    );

    // The synthetic full equals the last point and is an ordinary mongodump archive.
    let out = fx.run(&["flatten", &points[6].0]);
    assert_success(&out, "flatten");
    let flat = stdout(&out);
    let m = fx.manifest(&flat);
    assert_eq!(m["type"], "full");
    assert_eq!(m["synthetic"], true);
    assert_eq!(m["synthesized_from"].as_array().unwrap().len(), 7);
    let archive =
        zstd::decode_all(std::fs::File::open(fx.set_dir(&flat).join("mongo.archive.zst")).unwrap())
            .unwrap();
    let parsed = archive_spec::parse(&archive);
    let mut from_spec: Vec<(String, Vec<Vec<u8>>)> = parsed
        .namespaces
        .iter()
        .filter(|ns| {
            !ns.docs.is_empty() || points[6].1.docs.iter().any(|(n, _)| *n == ns.collection)
        })
        .map(|ns| {
            let mut docs = ns.docs.clone();
            docs.sort_by_key(|d| id_sort_key(d));
            (ns.collection.clone(), docs)
        })
        .collect();
    from_spec.sort();
    let mut expected_docs = points[6].1.docs.clone();
    for (_, docs) in &mut expected_docs {
        docs.sort_by_key(|d| id_sort_key(d));
    }
    assert_eq!(
        from_spec, expected_docs,
        "the flat archive read by the independent reader"
    );
    assert_restores_to(&fx, &flat, &points[6].1, "flat").await;
}

/// Sort key of a raw document by its `_id` (as the driver's `sort({_id: 1})` would be for
/// one type): the raw bytes of the document suffice for a stable, comparable order.
fn id_sort_key(doc: &[u8]) -> Vec<u8> {
    mongodb::bson::RawDocument::from_bytes(doc)
        .unwrap()
        .get("_id")
        .unwrap()
        .map(|v| format!("{v:?}").into_bytes())
        .unwrap_or_default()
}
