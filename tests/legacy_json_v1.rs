//! Scandy's JSON "version 1.0" backups and older ones without metadata, through the real
//! binary: as a file and inside BackupService's ZIP (JSON at the root, `uploads/`,
//! `logs/`). `_id` and date strings come back as ObjectIds and dates, unless
//! `--keep-types`.

mod backup_support;
mod common;

use std::io::Write;

use backup_support::{Fixture, assert_success, file_snapshot};
use futures::TryStreamExt;
use mongodb::bson::{Bson, DateTime, Document, doc, oid::ObjectId};
use serde_json::Value;

fn oid(n: u8) -> ObjectId {
    let mut bytes = [0x67u8; 12];
    bytes[11] = n;
    ObjectId::from_bytes(bytes)
}

fn ms(text: &str) -> DateTime {
    DateTime::from_millis(
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_millis(),
    )
}

/// BackupService's v1: `str()` of naive UTC datetimes, `_id`s as strings, counts declared.
fn v1_json() -> String {
    format!(
        r#"{{"metadata": {{"version": "1.0", "created_at": "2026-12-01 02:00:00.000123",
          "collections": [{{"name": "workers", "count": 2}}, {{"name": "lendings", "count": 1}}]}},
        "data": {{
          "workers": [
            {{"_id": "{w1}", "name": "Anna", "created_at": "2026-11-30 08:15:00.526000",
              "history": [{{"at": "2026-11-29 07:00:00"}}], "note": "Halle 2026"}},
            {{"_id": "{w2}", "name": "Ben", "created_at": "2026-11-30 09:00:00", "left_at": ""}}
          ],
          "lendings": [
            {{"_id": "{l1}", "worker_id": "{w1}", "lent_at": "2026-11-30T10:00:00Z",
              "returned_at": ""}}
          ]
        }}}}"#,
        w1 = oid(1).to_hex(),
        w2 = oid(2).to_hex(),
        l1 = oid(3).to_hex()
    )
}

/// What a restore of [`v1_json`] must hold (references stay strings, as Scandy has them).
fn expected() -> (Vec<Document>, Vec<Document>) {
    let workers = vec![
        doc! { "_id": oid(1), "name": "Anna", "created_at": ms("2026-11-30T08:15:00.526Z"),
        "history": [{ "at": ms("2026-11-29T07:00:00Z") }], "note": "Halle 2026" },
        doc! { "_id": oid(2), "name": "Ben", "created_at": ms("2026-11-30T09:00:00Z"),
        "left_at": "" },
    ];
    let lendings = vec![doc! {
        "_id": oid(3), "worker_id": oid(1).to_hex(), "lent_at": ms("2026-11-30T10:00:00Z"),
        "returned_at": "",
    }];
    (workers, lendings)
}

/// An older export: collections at the top level, German date format.
const OLD_JSON: &str = r#"{"tools": [{"_id": "676767676767676767676709", "name": "Säge",
  "checked": "01.12.2026 14:30:00"}], "exported": "yes"}"#;

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
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

async fn all(db: &str, coll: &str) -> Vec<Document> {
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

async fn drop_db(db: &str) {
    common::client().await.database(db).drop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn version_1_files_old_files_and_the_json_zip_restore_with_their_types() {
    let fx = Fixture::new("legacy_v1").await;
    let dir = fx.root.join("backups");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("scandy_backup_20261201_020000.json"), v1_json()).unwrap();
    std::fs::write(dir.join("export_tools.json"), OLD_JSON).unwrap();
    std::fs::write(
        dir.join("scandy_backup_20261130_020000.zip"),
        zip_of(&[
            ("scandy_backup_20261130_020000.json", v1_json().as_bytes()),
            ("uploads/tools/saege.jpg", b"JPEG"),
            (
                "logs/app.log",
                b"2026-11-30 02:00:00,000 - app - INFO - start\n",
            ),
        ]),
    )
    .unwrap();
    let before = file_snapshot(&dir);

    let out = fx.run(&["list", "--json"]);
    assert_success(&out, "list");
    let rows = json_of(&out);
    let row = |file: &str| -> Value {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"].as_str().is_some_and(|p| p.ends_with(file)))
            .unwrap_or_else(|| panic!("{file} not listed: {rows:#}"))
            .clone()
    };
    let v1 = row("scandy_backup_20261201_020000.json");
    assert_eq!(v1["format"], "scandy-json-v1");
    assert_eq!(v1["time_source"], "name");
    let old = row("export_tools.json");
    assert_eq!(old["format"], "scandy-json-v1");
    // No time in its name and no metadata: the file's modification time.
    assert_eq!(old["time_source"], "mtime");
    let zip = row("scandy_backup_20261130_020000.zip");
    assert_eq!(zip["format"], "scandy-zip-json");
    let id = |r: &Value| r["id"].as_str().unwrap().to_string();

    // verify: counts, conversions named, the declared counts agree.
    let out = fx.run(&["verify", &id(&v1), "--deep", "--json"]);
    assert_success(&out, "verify v1");
    let report = &json_of(&out)[0];
    let conversions = |name: &str| {
        report["collections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["conversions"]
            .clone()
    };
    assert_eq!(conversions("workers")["id_strings"], 2, "{report:#}");
    assert_eq!(conversions("workers")["date_strings"], 3, "{report:#}");
    assert_eq!(conversions("lendings")["date_strings"], 1, "{report:#}");
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"string-types"), "{codes:?}");
    assert!(!codes.contains(&"count-mismatch"), "{codes:?}");

    // restore of the file and of the ZIP: types recovered, empty strings left alone.
    let (workers, lendings) = expected();
    for (what, backup) in [("v1 file", &v1), ("JSON ZIP", &zip)] {
        let target = common::unique_db_name("legacy_v1_restored");
        let out = fx.run(&[
            "restore",
            &id(backup),
            "--to-db",
            &target,
            "--only",
            "db",
            "--yes",
        ]);
        assert_success(&out, what);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("workers: 2 _id string(s) → ObjectId, 3 date string(s) → dates"),
            "{what}: the plan does not show the conversions: {text}"
        );
        assert_eq!(all(&target, "workers").await, workers, "{what}");
        assert_eq!(all(&target, "lendings").await, lendings, "{what}");
        drop_db(&target).await;
    }
    // The ZIP's upload and log go into the converted set.
    let out = fx.run(&["import", "--legacy", &id(&zip), "--json"]);
    assert_success(&out, "import of the JSON ZIP");
    assert_eq!(json_of(&out)["files"], 2);

    // The old file: its German date recovered too.
    let target = common::unique_db_name("legacy_old_restored");
    let out = fx.run(&[
        "restore",
        &id(&old),
        "--to-db",
        &target,
        "--only",
        "db",
        "--yes",
    ]);
    assert_success(&out, "old file");
    assert_eq!(
        all(&target, "tools").await,
        vec![doc! { "_id": oid(9), "name": "Säge", "checked": ms("2026-12-01T14:30:00Z") }]
    );
    drop_db(&target).await;

    // --keep-types: the JSON literally.
    let target = common::unique_db_name("legacy_v1_literal");
    let out = fx.run(&[
        "restore",
        &id(&v1),
        "--to-db",
        &target,
        "--only",
        "db",
        "--keep-types",
        "--yes",
    ]);
    assert_success(&out, "restore --keep-types");
    let literal = all(&target, "workers").await;
    assert_eq!(literal.len(), 2);
    assert!(
        literal
            .iter()
            .all(|d| matches!(d.get("_id"), Some(Bson::String(_)))
                && matches!(d.get("created_at"), Some(Bson::String(_)))),
        "{literal:?}"
    );
    drop_db(&target).await;

    assert_eq!(
        file_snapshot(&dir),
        before,
        "scandyctl wrote into Scandy's backups"
    );
}
