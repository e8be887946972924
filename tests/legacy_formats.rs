//! Every container format Scandy writes, through the real binary: a ZIP in the dump layout
//! (with `.env` in clear), a weekly ZIP of ZIPs, a `tar.gz` whose mongodump archive
//! interleaves collections, a mongodump `--gzip --out` directory, and hostile ZIPs and tars
//! that must be refused without a byte written anywhere.

mod archive_spec;
mod backup_support;
mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use backup_support::{Fixture, assert_success, file_snapshot};
use futures::TryStreamExt;
use mongodb::bson::{Document, RawDocumentBuf, doc, oid::ObjectId};
use scandyctl::backup::archive::{
    ArchiveHeader, ArchiveWriter, CollectionKind, CollectionMetadata, CollectionPrelude,
};
use serde_json::Value;

fn tools() -> Vec<Document> {
    (0..40u8)
        .map(|i| {
            let mut id = [0u8; 12];
            id[11] = i;
            doc! { "_id": ObjectId::from_bytes(id), "barcode": format!("T{i:03}"),
            "price": mongodb::bson::Decimal128::from_bytes([i; 16]) }
        })
        .collect()
}

fn workers() -> Vec<Document> {
    (0..9)
        .map(|i| doc! { "_id": i, "name": format!("Werker {i}") })
        .collect()
}

fn bson_bytes(docs: &[Document]) -> Vec<u8> {
    docs.iter()
        .flat_map(|d| RawDocumentBuf::from_document(d).unwrap().into_bytes())
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn metadata_json(coll: &str) -> String {
    format!(
        r#"{{"indexes":[{{"v":{{"$numberInt":"2"}},"key":{{"_id":{{"$numberInt":"1"}}}},"name":"_id_"}},{{"v":{{"$numberInt":"2"}},"key":{{"name":{{"$numberInt":"1"}}}},"name":"name_1"}}],"collectionName":"{coll}","type":"collection"}}"#
    )
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn dump_zip(db: &str) -> Vec<u8> {
    zip_of(&[
        (
            &format!("mongodb/{db}/tools.bson.gz"),
            &gzip(&bson_bytes(&tools())),
        ),
        (
            &format!("mongodb/{db}/tools.metadata.json.gz"),
            &gzip(metadata_json("tools").as_bytes()),
        ),
        (
            &format!("mongodb/{db}/workers.bson.gz"),
            &gzip(&bson_bytes(&workers())),
        ),
        ("media/tools/bohrer.png", b"\x89PNG bytes"),
        ("config/.env", b"SECRET_KEY=geheim-und-lang\n"),
        (
            "backup_metadata.json",
            br#"{"created_at": "2026-12-02T05:13:15"}"#,
        ),
    ])
}

fn prelude(db: &str, coll: &str) -> CollectionPrelude {
    CollectionPrelude {
        db: db.into(),
        collection: coll.into(),
        metadata: CollectionMetadata {
            collection_name: coll.into(),
            options: Document::new(),
            indexes: vec![doc! { "v": 2, "key": { "_id": 1 }, "name": "_id_" }],
            uuid: None,
            kind: CollectionKind::Collection,
        },
        size: 0,
    }
}

/// What a parallel `mongodump --archive` writes: blocks of tools and workers interleave.
fn interleaved_archive(db: &str) -> Vec<u8> {
    let preludes = [prelude(db, "tools"), prelude(db, "workers")];
    let header = ArchiveHeader::new("8.0.4", "100.10.0");
    let mut w = ArchiveWriter::new(Vec::new(), &header, &preludes).unwrap();
    let t: Vec<RawDocumentBuf> = tools()
        .iter()
        .map(|d| RawDocumentBuf::from_document(d).unwrap())
        .collect();
    let k: Vec<RawDocumentBuf> = workers()
        .iter()
        .map(|d| RawDocumentBuf::from_document(d).unwrap())
        .collect();
    w.write_segment(db, "workers", k[..4].iter().map(|d| d.as_bytes()))
        .unwrap();
    w.write_segment(db, "tools", t[..20].iter().map(|d| d.as_bytes()))
        .unwrap();
    w.write_segment(db, "workers", k[4..].iter().map(|d| d.as_bytes()))
        .unwrap();
    w.finish_collection(db, "workers").unwrap();
    w.write_segment(db, "tools", t[20..].iter().map(|d| d.as_bytes()))
        .unwrap();
    w.finish_collection(db, "tools").unwrap();
    w.finish().unwrap()
}

fn tar_gz(entries: &[(&str, &[u8])], symlink: Option<(&str, &str)>) -> Vec<u8> {
    let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(enc);
    for (name, bytes) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, *bytes).unwrap();
    }
    if let Some((name, target)) = symlink {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        tar.append_link(&mut header, name, target).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Legacy rows of `list --json`, by file name (and member).
fn legacy_rows(fx: &Fixture) -> Vec<Value> {
    let out = fx.run(&["list", "--json"]);
    assert_success(&out, "list");
    json_of(&out)
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "legacy")
        .cloned()
        .collect()
}

fn id_of(rows: &[Value], file: &str, member: Option<&str>) -> String {
    rows.iter()
        .find(|r| {
            r["path"].as_str().is_some_and(|p| p.ends_with(file)) && r["member"].as_str() == member
        })
        .unwrap_or_else(|| panic!("no row for {file} {member:?} in {rows:#?}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn restored(db: &str, coll: &str) -> Vec<Document> {
    common::client()
        .await
        .database(db)
        .collection::<Document>(coll)
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

async fn restore_and_compare(fx: &Fixture, id: &str, what: &str) {
    let target = common::unique_db_name("legacy_formats");
    let out = fx.run(&["restore", id, "--to-db", &target, "--only", "db", "--yes"]);
    assert_success(&out, what);
    assert_eq!(restored(&target, "tools").await, tools(), "{what}: tools");
    assert_eq!(
        restored(&target, "workers").await,
        workers(),
        "{what}: workers"
    );
    common::client()
        .await
        .database(&target)
        .drop()
        .await
        .unwrap();
}

fn plant(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn every_container_format_is_listed_verified_converted_and_restored() {
    let fx = Fixture::new("legacy_formats").await;
    let dir = fx.root.join("backups");
    let db = fx.database.clone();
    plant(&dir, "scandy_backup_20261202_051315.zip", &dump_zip(&db));
    plant(
        &dir,
        "scandy_weekly_backup_20261130_030000.zip",
        &zip_of(&[
            ("scandy_backup_20261128_020000.zip", &dump_zip(&db)),
            ("scandy_backup_20261129_020000.zip", &dump_zip(&db)),
        ]),
    );
    plant(
        &dir,
        "scandy_backup_20261201_020000.tar.gz",
        &tar_gz(
            &[
                ("mongodb_backup.archive", &interleaved_archive(&db)),
                ("uploads/a.pdf", b"%PDF-1.4"),
                ("backup_info.txt", b"Scandy Backup"),
            ],
            None,
        ),
    );
    let native = dir.join("scandy_native_backup_20261130_020000").join(&db);
    plant(&native, "tools.bson.gz", &gzip(&bson_bytes(&tools())));
    plant(
        &native,
        "tools.metadata.json.gz",
        &gzip(metadata_json("tools").as_bytes()),
    );
    plant(&native, "workers.bson.gz", &gzip(&bson_bytes(&workers())));
    plant(
        &dir,
        "mongodb_backup.archive.gz",
        &gzip(&interleaved_archive(&db)),
    );
    let before = file_snapshot(&dir);

    let rows = legacy_rows(&fx);
    let formats: Vec<&str> = rows.iter().map(|r| r["format"].as_str().unwrap()).collect();
    for expected in [
        "scandy-zip-dump",
        "scandy-zip-weekly",
        "scandy-tar",
        "mongodump-dir",
        "mongodump-archive",
    ] {
        assert!(
            formats.contains(&expected),
            "{expected} missing: {formats:?}"
        );
    }
    // The weekly ZIP is listed as the two backups it holds.
    let zip = id_of(&rows, "scandy_backup_20261202_051315.zip", None);
    let member = id_of(
        &rows,
        "scandy_weekly_backup_20261130_030000.zip",
        Some("scandy_backup_20261129_020000.zip"),
    );
    id_of(
        &rows,
        "scandy_weekly_backup_20261130_030000.zip",
        Some("scandy_backup_20261128_020000.zip"),
    );
    let tar = id_of(&rows, "scandy_backup_20261201_020000.tar.gz", None);
    let dump = id_of(&rows, "scandy_native_backup_20261130_020000", None);
    let archive = id_of(&rows, "mongodb_backup.archive.gz", None);

    // verify: counts from every format; the .env in clear is named.
    for id in [&zip, &member, &tar, &dump, &archive] {
        let out = fx.run(&["verify", id, "--deep", "--json"]);
        assert_success(&out, &format!("verify {id}"));
        let report = &json_of(&out)[0];
        let count = |name: &str| {
            report["collections"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == name)
                .map(|c| c["documents"].as_u64().unwrap())
        };
        assert_eq!(
            (count("tools"), count("workers")),
            (Some(40), Some(9)),
            "{id}: {report:#}"
        );
    }
    let out = fx.run(&["verify", &zip]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("secret-in-clear") && text.contains("config/.env"),
        "{text}"
    );
    assert!(
        !text.contains("geheim-und-lang"),
        "a secret reached the terminal: {text}"
    );

    // import --legacy of the ZIP: a set with the upload and the .env, indexes from metadata.
    let out = fx.run(&["import", "--legacy", &zip, "--json"]);
    assert_success(&out, "import --legacy of the ZIP");
    let imported = json_of(&out);
    assert_eq!(imported["files"], 2, "{imported:#}");
    assert_eq!(imported["documents"], 49, "{imported:#}");
    assert_eq!(imported["verify"]["ok"], true, "{imported:#}");
    // The converted set's archive passes the independent reader of mongodump's format.
    let set_dir = PathBuf::from(imported["path"].as_str().unwrap());
    let compressed = std::fs::read(set_dir.join("mongo.archive.zst")).unwrap();
    let archive = archive_spec::parse(&zstd::decode_all(&compressed[..]).unwrap());
    let docs_of = |coll: &str| -> Vec<Vec<u8>> {
        archive
            .namespaces
            .iter()
            .find(|n| n.db == db && n.collection == coll)
            .unwrap_or_else(|| panic!("{coll} missing in the converted archive"))
            .docs
            .clone()
    };
    let raw = |docs: Vec<Document>| -> Vec<Vec<u8>> {
        docs.iter()
            .map(|d| RawDocumentBuf::from_document(d).unwrap().into_bytes())
            .collect()
    };
    assert_eq!(
        docs_of("tools"),
        raw(tools()),
        "tools are not byte for byte"
    );
    assert_eq!(docs_of("workers"), raw(workers()));
    assert!(archive_spec::get(&archive.header, "version").is_some());
    assert_eq!(archive.preludes.len(), archive.namespaces.len());
    for ns in &archive.namespaces {
        let all: Vec<u8> = ns.docs.concat();
        assert_eq!(
            ns.eof_crc,
            Some(archive_spec::crc64(&all) as i64),
            "{}",
            ns.collection
        );
    }

    // restore of each: exactly the documents, Decimal128 and ObjectIds intact.
    restore_and_compare(&fx, &tar, "restore of the tar").await;
    restore_and_compare(&fx, &dump, "restore of the dump directory").await;
    restore_and_compare(&fx, &member, "restore of a weekly member").await;
    let target = common::unique_db_name("legacy_indexes");
    assert_success(
        &fx.run(&["restore", &zip, "--to-db", &target, "--only", "db", "--yes"]),
        "restore of the ZIP",
    );
    let names: Vec<String> = common::client()
        .await
        .database(&target)
        .collection::<Document>("tools")
        .list_index_names()
        .await
        .unwrap();
    assert!(names.contains(&"name_1".to_string()), "{names:?}");
    common::client()
        .await
        .database(&target)
        .drop()
        .await
        .unwrap();

    assert_eq!(
        file_snapshot(&dir),
        before,
        "scandyctl wrote into Scandy's backup directory"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_zips_and_tars_are_refused_and_nothing_is_written() {
    let fx = Fixture::new("legacy_hostile").await;
    let dir = fx.root.join("backups");
    let db = fx.database.clone();
    plant(
        &dir,
        "scandy_backup_20261202_051315.zip",
        &zip_of(&[
            (
                &format!("mongodb/{db}/tools.bson.gz"),
                &gzip(&bson_bytes(&tools())),
            ),
            ("media/../../../etc/cron.d/scandy", b"* * * * * root owned"),
        ]),
    );
    plant(
        &dir,
        "scandy_backup_20261201_020000.tar.gz",
        &tar_gz(
            &[("mongodb_backup.archive", &interleaved_archive(&db))],
            Some(("uploads/shadow", "/etc/shadow")),
        ),
    );
    // A weekly ZIP whose central directory is cut off.
    let weekly = zip_of(&[("scandy_backup_20261128_020000.zip", &dump_zip(&db))]);
    plant(
        &dir,
        "scandy_weekly_backup_20261130_030000.zip",
        &weekly[..weekly.len() - 40],
    );
    let before = file_snapshot(&fx.root);
    let rows = legacy_rows(&fx);
    let zip = id_of(&rows, "scandy_backup_20261202_051315.zip", None);
    let tar = id_of(&rows, "scandy_backup_20261201_020000.tar.gz", None);
    for (id, named) in [
        (&zip, "media/../../../etc/cron.d/scandy"),
        (&tar, "uploads/shadow"),
    ] {
        let out = fx.run(&["verify", id]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(3), "{text}");
        assert!(text.contains("FAILED") && text.contains(named), "{text}");
        let out = fx.run(&["import", "--legacy", id]);
        assert!(!out.status.success(), "import of {id} succeeded");
        let out = fx.run(&["restore", id, "--to-db", "legacy_hostile_x", "--yes"]);
        assert!(!out.status.success(), "restore of {id} succeeded");
    }
    // The cut weekly ZIP is reported as unknown with its reason, not as a backup.
    let out = fx.run(&["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("scandy_weekly_backup_20261130_030000.zip") && text.contains("ZIP"),
        "{text}"
    );
    assert_eq!(
        file_snapshot(&fx.root),
        before,
        "a hostile backup changed files"
    );
    assert!(!Path::new("/etc/cron.d/scandy").exists());
    let sets: Vec<String> = std::fs::read_dir(&fx.backups)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        sets.iter().all(|s| !s.starts_with("scandy-")),
        "a set was written from a hostile backup: {sets:?}"
    );
    let names = common::client().await.list_database_names().await.unwrap();
    assert!(!names.iter().any(|n| n == "legacy_hostile_x"), "{names:?}");
}
