use std::io::Write;

use super::*;
use crate::backup::legacy::test_sink::RecordingSink;
use mongodb::bson::{Document, doc};

fn bson_bytes(docs: &[Document]) -> Vec<u8> {
    let mut out = Vec::new();
    for d in docs {
        out.extend_from_slice(RawDocumentBuf::from_document(d).unwrap().as_bytes());
    }
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

const TOOLS_META: &str = r#"{"indexes":[{"v":{"$numberInt":"2"},"key":{"_id":{"$numberInt":"1"}},"name":"_id_"},{"v":{"$numberInt":"2"},"key":{"barcode":{"$numberInt":"1"}},"name":"barcode_1","unique":true}],"uuid":"0123456789abcdef0123456789abcdef","collectionName":"tools","type":"collection"}"#;

/// What `mongodump --gzip --out <dir>` leaves: `<dir>/scandy/*.bson.gz` + metadata.
fn gzip_dump(dir: &Path) -> Vec<Document> {
    let db = dir.join("scandy");
    std::fs::create_dir_all(&db).unwrap();
    let tools: Vec<Document> = (0..50)
        .map(|i| doc! { "_id": i, "barcode": format!("T{i:04}"), "name": "Säge" })
        .collect();
    std::fs::write(db.join("tools.bson.gz"), gzip(&bson_bytes(&tools))).unwrap();
    std::fs::write(
        db.join("tools.metadata.json.gz"),
        gzip(TOOLS_META.as_bytes()),
    )
    .unwrap();
    std::fs::write(db.join("workers.bson.gz"), gzip(&[])).unwrap();
    std::fs::write(
        db.join("workers.metadata.json.gz"),
        gzip(b"{\"indexes\":[]}"),
    )
    .unwrap();
    // A view: metadata only.
    std::fs::write(
        db.join("open_lendings.metadata.json.gz"),
        gzip(br#"{"options":{"viewOn":"lendings","pipeline":[]},"indexes":[],"collectionName":"open_lendings","type":"view"}"#),
    )
    .unwrap();
    tools
}

fn read_all(dir: &Path, db: Option<&str>) -> (Result<()>, RecordingSink) {
    let mut sink = RecordingSink::default();
    let result = read_dump_dir(dir, db, &ReadOptions::default(), &mut sink);
    (result, sink)
}

#[test]
fn a_gzip_dump_is_listed_and_streamed_with_its_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    let tools = gzip_dump(tmp.path());
    let listing = list_dump_dir(tmp.path()).unwrap();
    assert_eq!(listing.databases, ["scandy"]);
    assert!(!listing.empty);
    let names: Vec<&str> = listing
        .collections
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["open_lendings", "tools", "workers"]);
    assert!(listing.collections.iter().all(|c| c.compressed));
    let (result, sink) = read_all(tmp.path(), None);
    result.unwrap();
    assert_eq!(sink.names(), ["open_lendings", "tools", "workers"]);
    assert_eq!(sink.collection("tools").docs, tools);
    let meta = sink.collection("tools").metadata.clone().unwrap();
    assert_eq!(meta.indexes.len(), 2);
    assert_eq!(
        meta.uuid.as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    assert!(sink.collection("workers").docs.is_empty());
    let view = sink.collection("open_lendings").metadata.clone().unwrap();
    assert_eq!(view.kind, crate::backup::archive::CollectionKind::View);
}

#[test]
fn an_uncompressed_single_database_directory_and_escaped_names() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("scandy");
    std::fs::create_dir_all(&db).unwrap();
    let docs = vec![doc! { "_id": 1 }, doc! { "_id": 2, "x": "y" }];
    std::fs::write(db.join("a%2Fb.bson"), bson_bytes(&docs)).unwrap();
    std::fs::write(db.join("notes.txt"), b"not a dump file").unwrap();
    // Read as the database directory itself.
    let (result, sink) = read_all(&db, None);
    result.unwrap();
    assert_eq!(sink.names(), ["a/b"]);
    assert_eq!(sink.collection("a/b").docs, docs);
    assert!(sink.collection("a/b").metadata.is_none());
}

#[test]
fn several_databases_need_a_name_and_a_missing_one_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    gzip_dump(tmp.path());
    let admin = tmp.path().join("admin");
    std::fs::create_dir_all(&admin).unwrap();
    std::fs::write(
        admin.join("system.version.bson"),
        bson_bytes(&[doc! {"_id": "v"}]),
    )
    .unwrap();
    std::fs::write(tmp.path().join("oplog.bson"), b"").unwrap();
    let listing = list_dump_dir(tmp.path()).unwrap();
    assert_eq!(listing.databases, ["admin", "scandy"]);
    let (result, _) = read_all(tmp.path(), None);
    assert!(format!("{:#}", result.unwrap_err()).contains("admin, scandy"));
    let (result, _) = read_all(tmp.path(), Some("werkstatt"));
    assert!(format!("{:#}", result.unwrap_err()).contains("no database werkstatt"));
    let (result, sink) = read_all(tmp.path(), Some("scandy"));
    result.unwrap();
    assert_eq!(sink.collection("tools").docs.len(), 50);
    // system collections are the server's, not Scandy's.
    let (result, sink) = read_all(tmp.path(), Some("admin"));
    result.unwrap();
    assert!(sink.collections.is_empty());
}

#[test]
fn an_empty_directory_is_reported_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let listing = list_dump_dir(tmp.path()).unwrap();
    assert!(listing.empty && listing.collections.is_empty());
    let (result, _) = read_all(tmp.path(), None);
    assert!(format!("{:#}", result.unwrap_err()).contains("holds no collection"));
}

#[test]
fn damaged_bson_streams_fail_at_the_byte_they_break() {
    let good = bson_bytes(&[doc! { "_id": 1, "name": "Bohrer" }]);
    let len = good.len();
    let mut wrong_len = good.clone();
    wrong_len.extend_from_slice(&(i32::MAX).to_le_bytes());
    let mut negative = good.clone();
    negative.extend_from_slice(&(-5i32).to_le_bytes());
    let mut no_nul = good.clone();
    *no_nul.last_mut().unwrap() = 1;
    let cases: Vec<(Vec<u8>, String)> = vec![
        (good[..len - 3].to_vec(), "truncated".into()),
        (
            [good.clone(), vec![7, 0]].concat(),
            format!("2 stray byte(s) at byte {len}"),
        ),
        (
            wrong_len,
            format!("at byte {len} declares 2147483647 bytes"),
        ),
        (negative, "negative length".into()),
        (no_nul, "does not end with a NUL".into()),
    ];
    for (bytes, expected) in cases {
        let mut sink = RecordingSink::default();
        sink.begin_collection("tools", None).unwrap();
        let err = read_bson_stream(&bytes[..], "tools.bson", &mut sink).unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("tools.bson") && text.contains(&expected),
            "{text}"
        );
    }
    let mut sink = RecordingSink::default();
    sink.begin_collection("t", None).unwrap();
    assert_eq!(read_bson_stream(&good[..], "t.bson", &mut sink).unwrap(), 1);
}

#[test]
fn broken_gzip_and_metadata_name_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("scandy");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(db.join("tools.bson.gz"), b"\x1f\x8b not really").unwrap();
    let (result, _) = read_all(tmp.path(), None);
    let text = format!("{:#}", result.unwrap_err());
    assert!(text.contains("tools.bson.gz"), "{text}");

    let full = gzip(&bson_bytes(&vec![doc! {"_id": 1}; 20]));
    std::fs::write(db.join("tools.bson.gz"), &full[..full.len() - 6]).unwrap();
    let (result, _) = read_all(tmp.path(), None);
    let text = format!("{:#}", result.unwrap_err());
    assert!(text.contains("tools.bson.gz"), "{text}");

    std::fs::write(db.join("tools.bson.gz"), &full).unwrap();
    std::fs::write(db.join("tools.metadata.json.gz"), gzip(b"{\"indexes\": 5}")).unwrap();
    let (result, sink) = read_all(tmp.path(), None);
    let text = format!("{:#}", result.unwrap_err());
    assert!(
        text.contains("tools.metadata.json.gz") && text.contains("not an array"),
        "{text}"
    );
    assert!(
        sink.collections.is_empty(),
        "nothing began before the metadata was read"
    );

    std::fs::write(db.join("tools.metadata.json.gz"), gzip(b"{\"indexes\": [")).unwrap();
    let (result, _) = read_all(tmp.path(), None);
    let text = format!("{:#}", result.unwrap_err());
    assert!(
        text.contains("tools.metadata.json.gz") && text.contains("not JSON"),
        "{text}"
    );
}

#[cfg(unix)]
#[test]
fn symlinks_in_a_dump_are_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("scandy");
    std::fs::create_dir_all(&db).unwrap();
    let outside = tmp.path().join("secret.bson");
    std::fs::write(&outside, bson_bytes(&[doc! {"_id": "secret"}])).unwrap();
    std::os::unix::fs::symlink(&outside, db.join("tools.bson")).unwrap();
    std::fs::write(db.join("workers.bson"), bson_bytes(&[doc! {"_id": 1}])).unwrap();
    let listing = list_dump_dir(&db).unwrap();
    let names: Vec<&str> = listing
        .collections
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["workers"]);
}
