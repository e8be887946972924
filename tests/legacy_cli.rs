//! Scandy's own backups through the real binary: a JSON v2 backup Scandy's exporter would
//! write lies in `<root>/backups`; `list`, `verify`, `import --legacy` and `restore` must see,
//! check, convert and restore it without writing a byte into it.

mod backup_support;
mod common;

use std::path::Path;

use backup_support::{Fixture, assert_success, file_snapshot};
use chrono::NaiveDate;
use futures::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};
use scandyctl::datagen::{Dataset, GenOptions, generate, to_scandy_json_v2};
use serde_json::Value;

const NAME: &str = "scandy_backup_20261202_051315.json";

fn dataset() -> Dataset {
    generate(&GenOptions {
        scale: 40,
        seed: 7,
        now: NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .unwrap(),
        ..GenOptions::default()
    })
}

fn plant_json(fx: &Fixture, data: &Dataset) -> std::path::PathBuf {
    let dir = fx.root.join("backups");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(NAME);
    let created = NaiveDate::from_ymd_opt(2026, 12, 2)
        .and_then(|d| d.and_hms_opt(5, 13, 15))
        .unwrap();
    let json = to_scandy_json_v2(data, created);
    std::fs::write(&path, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    path
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

fn legacy_id(fx: &Fixture) -> String {
    let out = fx.run(&["list", "--json"]);
    assert_success(&out, "list");
    let rows = json_of(&out);
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "legacy")
        .unwrap_or_else(|| panic!("no legacy row: {rows:#}"))
        .clone();
    row["id"].as_str().unwrap().to_string()
}

async fn documents(database: &str, collection: &str) -> Vec<Document> {
    let client = common::client().await;
    client
        .database(database)
        .collection::<Document>(collection)
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

/// What Scandy's JSON exporter cannot carry: Decimal128 becomes text, binary data base64 text,
/// and integers come back as the smallest BSON integer that holds them.
fn as_json_keeps_it(value: &Bson) -> Bson {
    match value {
        Bson::Int64(i) if i32::try_from(*i).is_ok() => Bson::Int32(*i as i32),
        Bson::Decimal128(d) => Bson::String(d.to_string()),
        Bson::Binary(_) => match scandyctl::datagen::bson_to_scandy_json(value) {
            Value::String(text) => Bson::String(text),
            other => panic!("binary data exported as {other}"),
        },
        Bson::Document(d) => Bson::Document(
            d.iter()
                .map(|(k, v)| (k.clone(), as_json_keeps_it(v)))
                .collect(),
        ),
        Bson::Array(a) => Bson::Array(a.iter().map(as_json_keeps_it).collect()),
        other => other.clone(),
    }
}

fn sorted(mut docs: Vec<Document>) -> Vec<Document> {
    docs.sort_by_key(|d| {
        d.get_object_id("_id")
            .map(|o| o.to_hex())
            .unwrap_or_default()
    });
    docs
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scandy_json_backup_is_listed_verified_converted_and_restored_untouched() {
    let fx = Fixture::new("legacy_json").await;
    let data = dataset();
    let planted = plant_json(&fx, &data);
    let before = file_snapshot(&fx.root.join("backups"));

    // list: type legacy, its format and the time from its name (Scandy's local time).
    let out = fx.run(&["list", "--json"]);
    assert_success(&out, "list");
    let rows = json_of(&out);
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "legacy")
        .unwrap_or_else(|| panic!("no legacy row: {rows:#}"));
    assert_eq!(row["format"], "scandy-json-v2");
    assert_eq!(row["time_source"], "name");
    let local = chrono::NaiveDate::from_ymd_opt(2026, 12, 2)
        .and_then(|d| d.and_hms_opt(5, 13, 15))
        .unwrap();
    let expected_at = scandyctl::backup::legacy::scan::local_to_utc(local);
    assert_eq!(
        row["created_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        expected_at
    );
    let id = row["id"].as_str().unwrap().to_string();
    assert_eq!(legacy_id(&fx), id, "the id changed between two runs");

    // verify --deep: the generator's counts, string types named, result in the state dir.
    let out = fx.run(&["verify", &id, "--deep", "--json"]);
    assert_success(&out, "verify");
    let reports = json_of(&out);
    let report = &reports[0];
    assert_eq!(report["ok"], true, "{report:#}");
    for (name, docs) in &data.collections {
        let found = report["collections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name.as_str())
            .unwrap_or_else(|| panic!("{name} missing in {report:#}"));
        assert_eq!(found["documents"], docs.len() as u64, "{name}");
    }
    let record = fx
        .dir
        .path()
        .join("state/legacy-verify")
        .join(format!("{id}.json"));
    assert!(record.is_file(), "no record at {}", record.display());
    assert_eq!(file_snapshot(&fx.root.join("backups")), before);

    // import --legacy: a regular set with its source, whose deep verify passes.
    let out = fx.run(&["import", "--legacy", &id, "--json"]);
    assert_success(&out, "import --legacy");
    let imported = json_of(&out);
    let set = imported["id"].as_str().unwrap().to_string();
    assert_eq!(imported["source"]["format"], "scandy-json-v2");
    assert_eq!(
        imported["source"]["path"],
        std::fs::canonicalize(&planted)
            .unwrap()
            .display()
            .to_string()
    );
    let out = fx.run(&["verify", &set, "--deep", "--json"]);
    assert_success(&out, "verify of the converted set");
    // A second import finds the first conversion.
    let out = fx.run(&["import", "--legacy", &id, "--json"]);
    assert_success(&out, "second import");
    assert_eq!(json_of(&out)["reused"], true);
    assert_eq!(json_of(&out)["id"], set.as_str());

    // restore into another database: the generated data, types recovered.
    let target = common::unique_db_name("legacy_json_restored");
    let out = fx.run(&["restore", &id, "--to-db", &target, "--only", "db", "--yes"]);
    assert_success(&out, "restore");
    for (name, docs) in &data.collections {
        let expected: Vec<Document> = sorted(
            docs.iter()
                .map(|d| match as_json_keeps_it(&Bson::Document(d.clone())) {
                    Bson::Document(d) => d,
                    _ => unreachable!(),
                })
                .collect(),
        );
        let restored = sorted(documents(&target, name).await);
        assert_eq!(restored.len(), expected.len(), "{name}");
        for (got, want) in restored.iter().zip(&expected) {
            assert_eq!(got, want, "{name}: a document differs after the restore");
        }
    }
    assert_eq!(
        file_snapshot(&fx.root.join("backups")),
        before,
        "scandyctl wrote into Scandy's backup directory"
    );
    // The live database was not touched and prune leaves the legacy backup alone.
    let out = fx.run(&["prune", "--dry-run"]);
    assert_success(&out, "prune");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("legacy {id}")) && text.contains("not managed"),
        "{text}"
    );
    common::client()
        .await
        .database(&target)
        .drop()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_native_dump_is_a_failed_backup_and_an_unknown_entry_is_left_alone() {
    let fx = Fixture::new("legacy_empty").await;
    let dir = fx.root.join("backups");
    std::fs::create_dir_all(dir.join("scandy_native_backup_20261201_020000")).unwrap();
    std::fs::write(
        dir.join("scandy_backup_20261130_020000.zip.part"),
        b"garbage",
    )
    .unwrap();
    let before = file_snapshot(&dir);
    let out = fx.run(&["list", "--json"]);
    assert_success(&out, "list");
    let rows = json_of(&out);
    let failed = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["format"] == "mongodump-dir")
        .unwrap_or_else(|| panic!("{rows:#}"));
    assert_eq!(failed["failed"], true);
    let id = failed["id"].as_str().unwrap().to_string();
    let out = fx.run(&["verify", &id]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("empty-dump"));
    let out = fx.run(&["status"]);
    assert_success(&out, "status");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("mongodump-dir") && text.contains("unknown:"),
        "{text}"
    );
    assert_eq!(file_snapshot(&dir), before);
    assert!(!Path::new(&dir.join("scandy_native_backup_20261201_020000/verify.json")).exists());
}
