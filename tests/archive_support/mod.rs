//! The shared fixture of the archive tests: a seeded source database and its dump,
//! plus helpers that read a database back for comparison.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures::TryStreamExt;
use mongodb::Database;
use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{
    Binary, Bson, DateTime, Decimal128, Document, RawDocumentBuf, Regex, Timestamp, doc,
};
use scandyctl::backup::dump::{DumpOptions, DumpProgress, DumpSummary, dump_database_into};
use scandyctl::datagen::{GenOptions, generate, seed};
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

use crate::common;

/// The shared source: a seeded database and its dump.
pub struct Source {
    pub db_name: String,
    pub archive_zst: Vec<u8>,
    pub archive: Vec<u8>,
    pub summary: DumpSummary,
}

static SOURCE: OnceCell<Source> = OnceCell::const_new();

/// A document with every BSON type a backup must carry unchanged.
pub fn special_documents() -> Vec<Document> {
    let decimal: Decimal128 = "-12345.678900".parse().expect("decimal");
    vec![
        doc! {
            "_id": 1,
            "z_zuerst": "Feldreihenfolge bleibt",
            "marke": "PRUEFMARKE-EINS",
            "dezimal": decimal,
            "binaer": Binary { subtype: BinarySubtype::Generic, bytes: vec![0, 1, 2, 254, 255] },
            "uuid": Binary { subtype: BinarySubtype::Uuid, bytes: (0u8..16).collect() },
            "datum_alt": DateTime::from_millis(-2_208_988_800_000),
            "datum": DateTime::from_millis(1_753_995_600_123),
            "verschachtelt": [[1, [2, [3, "vier"]]], { "a": [{ "b": Bson::Null }] }, []],
            "gross": i64::MAX,
            "klein": i32::MIN,
            "minus_null": -0.0f64,
            "bruch": 0.1f64,
            "regex": Regex { pattern: "^Ham".into(), options: "i".into() },
            "ts": Timestamp { time: 1_700_000_000, increment: 7 },
            "leer": {},
            "umlaut": "Prüfgerät ß €",
            "a_danach": true,
        },
        doc! { "_id": 2, "marke": "PRUEFMARKE-ZWEI", "min": Bson::MinKey, "max": Bson::MaxKey },
        doc! { "_id": 3, "marke": "PRUEFMARKE-DREI", "code": Bson::JavaScriptCode("function(){return 1}".into()) },
    ]
}

pub async fn source() -> &'static Source {
    SOURCE
        .get_or_init(|| async {
            let client = common::client().await;
            let db = client.database(&common::unique_db_name("archive_src"));
            let data = generate(&GenOptions {
                now: chrono::Local::now().naive_local(),
                ..Default::default()
            });
            seed(&db, &data, true).await.expect("seed");
            db.collection::<Document>("extras")
                .insert_many(special_documents())
                .await
                .expect("insert the special documents");
            db.create_collection("leer")
                .await
                .expect("empty collection");
            db.collection::<Document>("leer")
                .create_index(
                    mongodb::IndexModel::builder()
                        .keys(doc! { "x": 1 })
                        .options(
                            mongodb::options::IndexOptions::builder()
                                .name("x_partial".to_string())
                                .partial_filter_expression(doc! { "x": { "$exists": true } })
                                .build(),
                        )
                        .build(),
                )
                .await
                .expect("partial index");
            db.run_command(doc! {
                "create": "offene_tickets",
                "viewOn": "tickets",
                "pipeline": [{ "$match": { "status": "offen" } }],
            })
            .await
            .expect("create a view");
            let started = Instant::now();
            let encoder = zstd::Encoder::new(Vec::new(), 3).expect("zstd");
            let last = Arc::new(Mutex::new(None::<DumpProgress>));
            let sink = last.clone();
            let (summary, encoder) = dump_database_into(
                &db,
                encoder,
                &DumpOptions::default(),
                move |p| *sink.lock().expect("progress lock") = Some(p),
                CancellationToken::new(),
            )
            .await
            .expect("dump");
            let report = last.lock().expect("progress lock").clone();
            let report = report.expect("progress was reported");
            assert_eq!(report.total_documents, summary.total_documents());
            assert_eq!(report.total_documents_estimated, summary.total_documents());
            assert_eq!(report.collection_count, summary.collections.len());
            let secs = started.elapsed().as_secs_f64();
            let archive_zst = encoder.finish().expect("zstd finish");
            eprintln!(
                "dump: {} documents in {secs:.2}s = {:.0} docs/s; archive {} bytes, zstd {} bytes",
                summary.total_documents(),
                summary.total_documents() as f64 / secs,
                summary.archive_bytes,
                archive_zst.len()
            );
            let archive = zstd::decode_all(archive_zst.as_slice()).expect("zstd decode");
            Source {
                db_name: db.name().to_string(),
                archive_zst,
                archive,
                summary,
            }
        })
        .await
}

pub async fn raw_docs(db: &Database, coll: &str) -> Vec<RawDocumentBuf> {
    db.collection::<RawDocumentBuf>(coll)
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .await
        .unwrap_or_else(|e| panic!("find {coll}: {e}"))
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("read {coll}: {e}"))
}

pub async fn index_specs(db: &Database, coll: &str) -> Vec<Document> {
    let mut specs: Vec<Document> = db
        .run_cursor_command(doc! { "listIndexes": coll })
        .await
        .unwrap_or_else(|e| panic!("listIndexes {coll}: {e}"))
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("listIndexes {coll}: {e}"));
    specs.sort_by(|a, b| a.get_str("name").ok().cmp(&b.get_str("name").ok()));
    specs
        .into_iter()
        .map(|ix| {
            let mut kept = Document::new();
            for key in [
                "name",
                "key",
                "unique",
                "sparse",
                "expireAfterSeconds",
                "partialFilterExpression",
            ] {
                if let Some(v) = ix.get(key) {
                    kept.insert(key, v.clone());
                }
            }
            kept
        })
        .collect()
}

pub async fn collection_names(db: &Database) -> Vec<String> {
    let mut names = db.list_collection_names().await.expect("list collections");
    names.sort();
    names
}
