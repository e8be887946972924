//! The database archive: mongodump's `--archive` format checked by an independent
//! reader, round trips through a real server, damaged input, and the collection filter.

mod archive_spec;
mod archive_support;
mod common;

use std::io::Cursor;
use std::time::Instant;

use futures::TryStreamExt;
use mongodb::bson::{Document, doc};
use scandyctl::backup::archive::{ArchiveEvent, ArchiveReader};
use scandyctl::backup::dump::{DumpOptions, dump_database};
use scandyctl::backup::load::{LoadOptions, load_archive};
use tokio_util::sync::CancellationToken;

use archive_spec as spec;
use archive_support::{collection_names, index_specs, raw_docs, source, special_documents};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn independent_reader_accepts_the_dump() {
    let src = source().await;
    let client = common::client().await;
    let db = client.database(&src.db_name);
    let archive = spec::parse(&src.archive);

    use spec::Value::*;
    assert_eq!(
        archive
            .header
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>(),
        [
            "concurrent_collections",
            "version",
            "server_version",
            "tool_version"
        ]
    );
    assert_eq!(
        spec::get(&archive.header, "concurrent_collections"),
        Some(&I32(1))
    );
    assert_eq!(
        spec::get(&archive.header, "version"),
        Some(&Str("0.1".into()))
    );
    let Some(Str(server)) = spec::get(&archive.header, "server_version") else {
        panic!("server_version missing")
    };
    assert_eq!(server.split('.').count(), 3, "{server}");
    assert!(
        server.split('.').all(|p| p.parse::<u32>().is_ok()),
        "{server}"
    );
    let Some(Str(tool)) = spec::get(&archive.header, "tool_version") else {
        panic!("tool_version missing")
    };
    assert!(tool.starts_with("scandyctl "), "{tool}");

    let names = collection_names(&db).await;
    assert_eq!(archive.preludes.len(), names.len());
    assert_eq!(archive.namespaces.len(), names.len());
    let mut seen = Vec::new();
    for prelude in &archive.preludes {
        assert_eq!(
            prelude.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            ["db", "collection", "metadata", "size", "type"]
        );
        assert_eq!(spec::get(prelude, "db"), Some(&Str(src.db_name.clone())));
        let Some(Str(coll)) = spec::get(prelude, "collection") else {
            panic!("collection missing")
        };
        let Some(Str(json)) = spec::get(prelude, "metadata") else {
            panic!("metadata is not a string")
        };
        assert!(matches!(spec::get(prelude, "size"), Some(I32(_) | I64(_))));
        let meta: serde_json::Value = serde_json::from_str(json).expect("metadata JSON");
        assert_eq!(meta["collectionName"], coll.as_str());
        let is_view = coll == "offene_tickets";
        let kind = if is_view { "view" } else { "collection" };
        assert_eq!(spec::get(prelude, "type"), Some(&Str(kind.into())));
        assert_eq!(meta["type"], kind);
        // Real servers give views no UUID; collections always have one.
        if let Some(uuid) = meta["uuid"].as_str() {
            assert!(uuid.len() == 32 && uuid.chars().all(|c| c.is_ascii_hexdigit()));
        } else {
            assert!(is_view, "{coll} has no uuid");
        }
        let indexes = meta["indexes"].as_array().expect("indexes array");
        if is_view {
            assert!(indexes.is_empty());
            assert_eq!(meta["options"]["viewOn"], "tickets");
            assert_eq!(meta["options"]["pipeline"][0]["$match"]["status"], "offen");
        } else {
            assert!(json.starts_with(r#"{"indexes":[{"v":{"$numberInt":"2"},"key":{"_id":{"$numberInt":"1"}},"name":"_id_""#) || json.starts_with(r#"{"options":"#), "{json}");
        }
        match coll.as_str() {
            "tools" => {
                assert!(json.contains(r#""key":{"department":{"$numberInt":"1"},"barcode":{"$numberInt":"1"}},"name":"department_1_barcode_1""#), "{json}");
                let ix = indexes
                    .iter()
                    .find(|i| i["name"] == "department_1_barcode_1")
                    .unwrap();
                assert_eq!(
                    (ix["unique"].as_bool(), ix["sparse"].as_bool()),
                    (Some(true), Some(true))
                );
                assert!(
                    indexes
                        .iter()
                        .any(|i| i["name"] == "barcode_1" && i["unique"] == true)
                );
            }
            "users" => {
                let ix = indexes
                    .iter()
                    .find(|i| i["name"] == "delete_at_1")
                    .expect("TTL index");
                assert_eq!(
                    ix["expireAfterSeconds"],
                    serde_json::json!({ "$numberInt": "0" })
                );
                assert!(
                    indexes
                        .iter()
                        .any(|i| i["name"] == "username_1" && i["unique"] == true)
                );
            }
            "leer" => {
                let ix = indexes
                    .iter()
                    .find(|i| i["name"] == "x_partial")
                    .expect("partial");
                assert_eq!(ix["partialFilterExpression"]["x"]["$exists"], true);
            }
            _ => {}
        }
        seen.push(coll.clone());
    }
    seen.sort();
    assert_eq!(seen, names);

    for ns in &archive.namespaces {
        assert_eq!(ns.db, src.db_name);
        assert_eq!(
            ns.segments, 1,
            "{}: one segment per collection",
            ns.collection
        );
        let stored = ns
            .eof_crc
            .unwrap_or_else(|| panic!("{} has no EOF", ns.collection));
        let all: Vec<u8> = ns.docs.concat();
        assert_eq!(spec::crc64(&all) as i64, stored, "CRC of {}", ns.collection);
        let dumped = src
            .summary
            .collections
            .iter()
            .find(|c| c.name == ns.collection)
            .expect("in the summary");
        assert_eq!(dumped.crc, stored as u64);
        assert_eq!(dumped.documents, ns.docs.len() as u64);
        if ns.collection == "offene_tickets" {
            assert!(ns.docs.is_empty(), "views carry no data");
            continue;
        }
        let mut archived = ns.docs.clone();
        archived.sort();
        let mut live: Vec<Vec<u8>> = raw_docs(&db, &ns.collection)
            .await
            .into_iter()
            .map(|d| d.into_bytes())
            .collect();
        live.sort();
        assert_eq!(archived, live, "documents of {}", ns.collection);
    }
    let leer = archive
        .namespaces
        .iter()
        .find(|n| n.collection == "leer")
        .unwrap();
    assert_eq!((leer.docs.len(), leer.eof_crc), (0, Some(0)));
    assert_eq!(spec::crc64(b"123456789"), 0x995D_C9BB_DF19_39FA);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_is_byte_for_byte() {
    let src = source().await;
    let client = common::client().await;
    let from = client.database(&src.db_name);
    let to = client.database(&common::unique_db_name("archive_rt"));
    let started = Instant::now();
    let reader = zstd::Decoder::new(Cursor::new(src.archive_zst.clone())).expect("zstd");
    let summary = load_archive(
        reader,
        &to,
        &LoadOptions::default(),
        |_| {},
        CancellationToken::new(),
    )
    .await
    .expect("load");
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "load: {} documents in {secs:.2}s = {:.0} docs/s",
        summary.total_documents(),
        summary.total_documents() as f64 / secs
    );
    assert_eq!(summary.source_db, src.db_name);
    assert!(summary.collections.iter().all(|c| c.crc_verified));
    assert_eq!(collection_names(&to).await, collection_names(&from).await);
    for dumped in &src.summary.collections {
        let name = &dumped.name;
        let a = raw_docs(&from, name).await;
        let b = raw_docs(&to, name).await;
        assert_eq!(a.len(), b.len(), "{name}: document count");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.as_bytes(), y.as_bytes(), "{name}: a document changed");
        }
        if name != "offene_tickets" {
            assert_eq!(
                index_specs(&from, name).await,
                index_specs(&to, name).await,
                "{name}: indexes"
            );
        }
    }
    let extras = raw_docs(&to, "extras").await;
    assert_eq!(extras[0].to_document().unwrap(), special_documents()[0]);
    let view = to
        .run_cursor_command(doc! { "listCollections": 1, "filter": { "name": "offene_tickets" } })
        .await
        .expect("listCollections")
        .try_collect::<Vec<Document>>()
        .await
        .expect("listCollections");
    assert_eq!(view[0].get_str("type"), Ok("view"));
    let opts = view[0].get_document("options").unwrap();
    assert_eq!(opts.get_str("viewOn"), Ok("tickets"));
    let tools = summary
        .collections
        .iter()
        .find(|c| c.name == "tools")
        .unwrap();
    assert_eq!(tools.indexes_created, 8, "{tools:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collections_filter_loads_only_those() {
    let src = source().await;
    let client = common::client().await;
    let to = client.database(&common::unique_db_name("archive_filter"));
    let opts = LoadOptions {
        collections: Some(vec!["users".into(), "extras".into()]),
        ..LoadOptions::default()
    };
    let summary = load_archive(
        Cursor::new(src.archive.clone()),
        &to,
        &opts,
        |_| {},
        CancellationToken::new(),
    )
    .await
    .expect("filtered load");
    let loaded: Vec<&str> = summary
        .collections
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(loaded, ["extras", "users"]);
    assert_eq!(collection_names(&to).await, ["extras", "users"]);
    let from = client.database(&src.db_name);
    assert_eq!(raw_docs(&to, "users").await, raw_docs(&from, "users").await);

    let wrong = LoadOptions {
        collections: Some(vec!["werkzeuge".into()]),
        ..LoadOptions::default()
    };
    let err = load_archive(
        Cursor::new(src.archive.clone()),
        &to,
        &wrong,
        |_| {},
        CancellationToken::new(),
    )
    .await
    .expect_err("unknown collection");
    let msg = format!("{err:#}");
    assert!(
        msg.contains("no collection werkzeuge") && msg.contains("tools"),
        "{msg}"
    );
}

/// Returns the position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("needle in the archive")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_archives_are_reported_clearly() {
    let src = source().await;
    let client = common::client().await;

    // A changed byte inside a document: the CRC of that collection no longer matches.
    let mut damaged = src.archive.clone();
    let pos = find(&damaged, b"PRUEFMARKE-ZWEI");
    damaged[pos] = b'X';
    let to = client.database(&common::unique_db_name("archive_crc"));
    let err = load_archive(
        Cursor::new(damaged.clone()),
        &to,
        &LoadOptions::default(),
        |_| {},
        CancellationToken::new(),
    )
    .await
    .expect_err("CRC mismatch");
    let msg = format!("{err:#}");
    assert!(
        msg.contains("checksum mismatch in collection extras"),
        "{msg}"
    );
    let mut reader = ArchiveReader::new(Cursor::new(damaged)).expect("prelude intact");
    let mut mismatches = Vec::new();
    while let Some(event) = reader.next_event().expect("structure intact") {
        if let ArchiveEvent::CollectionEof {
            collection,
            crc_expected,
            crc_actual,
            ..
        } = event
            && crc_expected != crc_actual
        {
            mismatches.push(collection);
        }
    }
    assert_eq!(mismatches, ["extras"]);

    // Truncated in the middle of the data.
    let cut = &src.archive[..src.archive.len() / 2];
    let err = load_archive(
        Cursor::new(cut.to_vec()),
        &to,
        &LoadOptions::default(),
        |_| {},
        CancellationToken::new(),
    )
    .await
    .expect_err("truncated");
    let msg = format!("{err:#}");
    assert!(msg.contains("truncated at byte"), "{msg}");

    // Truncated right after a complete collection: missing collections are named.
    let after_first_eof = {
        let mut r = ArchiveReader::new(Cursor::new(src.archive.clone())).unwrap();
        loop {
            if let Some(ArchiveEvent::CollectionEof { .. }) = r.next_event().unwrap() {
                break r.offset() as usize;
            }
        }
    };
    let mut r = ArchiveReader::new(Cursor::new(src.archive[..after_first_eof].to_vec())).unwrap();
    let err = loop {
        match r.next_event() {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("a truncated archive was accepted"),
            Err(e) => break format!("{e:#}"),
        }
    };
    assert!(
        err.contains("ends before") && err.contains("users"),
        "{err}"
    );

    // Not an archive at all.
    let mut bad = src.archive.clone();
    bad[0] = 0x00;
    let err = load_archive(
        Cursor::new(bad),
        &to,
        &LoadOptions::default(),
        |_| {},
        CancellationToken::new(),
    )
    .await
    .expect_err("bad magic");
    let msg = format!("{err:#}");
    assert!(
        msg.contains("not a mongodump archive") && msg.contains("magic number"),
        "{msg}"
    );

    // A hostile length: rejected before any allocation, with its offset.
    let data_start = {
        let r = ArchiveReader::new(Cursor::new(src.archive.clone())).unwrap();
        r.offset() as usize
    };
    for length in [0x7fff_0000u32, 0x0100_5000, 3, 0x8000_0000] {
        let mut hostile = src.archive[..data_start].to_vec();
        hostile.extend_from_slice(&length.to_le_bytes());
        hostile.extend_from_slice(&[0u8; 64]);
        let mut r = ArchiveReader::new(Cursor::new(hostile)).unwrap();
        let msg = format!("{:#}", r.next_event().expect_err("oversize length"));
        assert!(
            msg.contains(&format!("at byte {data_start}"))
                && msg.contains("neither a valid BSON length"),
            "{msg}"
        );
    }
    assert!(collection_names(&to).await.len() < 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_dump_and_load() {
    let src = source().await;
    let client = common::client().await;
    let db = client.database(&src.db_name);
    let cancel = CancellationToken::new();
    cancel.cancel();
    let err = dump_database(&db, Vec::new(), &DumpOptions::default(), |_| {}, cancel)
        .await
        .expect_err("cancelled");
    assert!(format!("{err:#}").contains("cancelled"));

    // Cancelling from the progress callback mid-dump also stops it.
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let err = dump_database(
        &db,
        Vec::new(),
        &DumpOptions {
            batch_bytes: 4096,
            ..DumpOptions::default()
        },
        move |p| {
            if p.total_documents > 500 {
                trigger.cancel();
            }
        },
        cancel,
    )
    .await
    .expect_err("cancelled mid-dump");
    assert!(format!("{err:#}").contains("cancelled"));

    // A load cancelled after its first batch stops too.
    let to = client.database(&common::unique_db_name("archive_cancel"));
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let opts = LoadOptions {
        batch_documents: 100,
        ..LoadOptions::default()
    };
    let err = load_archive(
        Cursor::new(src.archive.clone()),
        &to,
        &opts,
        move |_| trigger.cancel(),
        cancel,
    )
    .await
    .expect_err("cancelled load");
    assert_eq!(format!("{err:#}"), "cancelled");
    let mut loaded = 0u64;
    for name in collection_names(&to).await {
        let coll = to.collection::<Document>(&name);
        loaded += coll.count_documents(doc! {}).await.expect("count");
    }
    assert!(loaded <= 100, "{loaded} documents loaded after cancel");
}
