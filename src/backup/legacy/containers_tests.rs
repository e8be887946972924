use std::io::Write;
use std::path::{Path, PathBuf};

use mongodb::bson::{Document, RawDocumentBuf, doc};
use zip::write::SimpleFileOptions;

use super::*;
use crate::backup::archive::{
    ArchiveHeader, ArchiveWriter, CollectionKind, CollectionMetadata, CollectionPrelude,
};
use crate::backup::legacy::test_sink::RecordingSink;
use crate::backup::legacy::{LegacyFormat, ReadOptions};

fn raw(d: &Document) -> RawDocumentBuf {
    RawDocumentBuf::from_document(d).unwrap()
}

fn bson_bytes(docs: &[Document]) -> Vec<u8> {
    docs.iter().flat_map(|d| raw(d).into_bytes()).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn tools() -> Vec<Document> {
    (0..30)
        .map(|i| doc! { "_id": i, "barcode": format!("T{i:03}") })
        .collect()
}

fn workers() -> Vec<Document> {
    (0..7)
        .map(|i| doc! { "_id": i, "name": format!("W{i}") })
        .collect()
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        zip.start_file(*name, SimpleFileOptions::default()).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// UnifiedBackupManager's layout: `mongodb/<db>/*.bson.gz`, `media/`, `config/.env`.
fn dump_zip() -> Vec<u8> {
    let meta = gzip(br#"{"indexes":[{"v":2,"key":{"_id":1},"name":"_id_"}],"collectionName":"tools","type":"collection"}"#);
    zip_of(&[
        ("mongodb/scandy/tools.bson.gz", &gzip(&bson_bytes(&tools()))),
        ("mongodb/scandy/tools.metadata.json.gz", &meta),
        (
            "mongodb/scandy/workers.bson.gz",
            &gzip(&bson_bytes(&workers())),
        ),
        ("media/tools/bohrer.png", b"PNG bytes"),
        ("config/.env", b"SECRET_KEY=geheim\n"),
        ("config/docker-compose.yml", b"services: {}\n"),
        (
            "backup_metadata.json",
            br#"{"created_at": "2026-12-02T05:13:15", "type": "full"}"#,
        ),
    ])
}

/// BackupService's layout: a JSON v1 file at the root, `uploads/`, `logs/`.
fn json_zip() -> Vec<u8> {
    let json = br#"{"metadata": {"version": "1.0", "created_at": "2026-12-01 02:00:00",
        "collections": [{"name": "tools", "count": 1}]},
        "data": {"tools": [{"_id": "6751a3f0c2b1e4a5d6f70811", "at": "2026-11-30 08:00:00"}]}}"#;
    zip_of(&[
        ("scandy_backup_20261201_020000.json", json),
        ("uploads/a.pdf", b"%PDF"),
        ("logs/app.log", b"2026-12-01 INFO start\n"),
    ])
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn read_zip_all(path: &Path, member: Option<&str>) -> (color_eyre::Result<()>, RecordingSink) {
    let mut sink = RecordingSink::default();
    let result = read_zip(path, member, "scandy", &ReadOptions::default(), &mut sink);
    (result, sink)
}

#[test]
fn the_dump_layout_zip_is_listed_and_read_with_its_files_and_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write(tmp.path(), "scandy_backup_20261202_051315.zip", &dump_zip());
    let listing = list_zip(&path).unwrap();
    assert_eq!(listing.format, LegacyFormat::ScandyZipDump);
    assert_eq!(listing.databases, ["scandy"]);
    assert_eq!(listing.collections, ["tools", "workers"]);
    assert_eq!(listing.secrets, ["config/.env"]);
    assert_eq!(
        listing.created_at.unwrap().to_string(),
        "2026-12-02 05:13:15"
    );
    let (result, sink) = read_zip_all(&path, None);
    result.unwrap();
    assert_eq!(sink.names(), ["tools", "workers"]);
    assert_eq!(sink.collection("tools").docs, tools());
    assert_eq!(
        sink.collection("tools")
            .metadata
            .as_ref()
            .unwrap()
            .indexes
            .len(),
        1
    );
    assert_eq!(sink.collection("workers").docs, workers());
    let files: Vec<(&str, &[u8])> = sink
        .files
        .iter()
        .map(|(f, b)| (f.root_path.as_str(), b.as_slice()))
        .collect();
    assert_eq!(
        files,
        [
            ("app/static/uploads/tools/bohrer.png", &b"PNG bytes"[..]),
            (".env", &b"SECRET_KEY=geheim\n"[..]),
        ]
    );
    assert!(sink.noted("secret-in-clear"));
}

#[test]
fn the_json_layout_zip_and_a_weekly_zip_of_zips() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write(tmp.path(), "scandy_backup_20261201_020000.zip", &json_zip());
    let listing = list_zip(&path).unwrap();
    assert_eq!(listing.format, LegacyFormat::ScandyZipJson);
    assert_eq!(listing.collections, ["tools"]);
    let (result, sink) = read_zip_all(&path, None);
    result.unwrap();
    let doc = &sink.collection("tools").docs[0];
    assert!(doc.get_object_id("_id").is_ok() && doc.get_datetime("at").is_ok());
    let roots: Vec<&str> = sink
        .files
        .iter()
        .map(|(f, _)| f.root_path.as_str())
        .collect();
    assert_eq!(roots, ["app/static/uploads/a.pdf", "logs/app.log"]);

    let weekly = zip_of(&[
        ("scandy_backup_20261201_020000.zip", &json_zip()),
        ("scandy_backup_20261202_051315.zip", &dump_zip()),
    ]);
    let path = write(
        tmp.path(),
        "scandy_weekly_backup_20261202_060000.zip",
        &weekly,
    );
    let listing = list_zip(&path).unwrap();
    assert_eq!(listing.format, LegacyFormat::ScandyZipWeekly);
    assert_eq!(
        listing.members,
        [
            "scandy_backup_20261201_020000.zip",
            "scandy_backup_20261202_051315.zip"
        ]
    );
    let (result, sink) = read_zip_all(&path, Some("scandy_backup_20261202_051315.zip"));
    result.unwrap();
    assert_eq!(sink.collection("tools").docs, tools());
    let (result, _) = read_zip_all(&path, None);
    assert!(format!("{:#}", result.unwrap_err()).contains("read one of its members"));
    let (result, _) = read_zip_all(&path, Some("nope.zip"));
    assert!(format!("{:#}", result.unwrap_err()).contains("no member nope.zip"));
}

#[test]
fn zip_slip_refuses_the_whole_backup_before_anything_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = zip_of(&[
        ("mongodb/scandy/tools.bson.gz", &gzip(&bson_bytes(&tools()))),
        ("media/../../etc/cron.d/x", b"* * * * * root sh -c owned"),
    ]);
    let path = write(tmp.path(), "scandy_backup_20261202_051315.zip", &bytes);
    let (result, sink) = read_zip_all(&path, None);
    let text = format!("{:#}", result.unwrap_err());
    assert!(
        text.contains("media/../../etc/cron.d/x") && text.contains("refused"),
        "{text}"
    );
    assert!(sink.collections.is_empty() && sink.files.is_empty());
}

#[test]
fn damaged_zips_name_what_broke() {
    let tmp = tempfile::tempdir().unwrap();
    let good = dump_zip();
    // The central directory sits at the end: cut it off.
    let path = write(tmp.path(), "cut.zip", &good[..good.len() - 30]);
    assert!(format!("{:#}", list_zip(&path).unwrap_err()).contains("no readable ZIP"));
    let path = write(tmp.path(), "other.zip", &zip_of(&[("readme.txt", b"hi")]));
    assert!(format!("{:#}", list_zip(&path).unwrap_err()).contains("holds no Scandy backup"));
    // A member whose BSON length is wrong.
    let mut bad = bson_bytes(&tools());
    bad[0] = 0xff;
    bad[3] = 0x7f;
    let path = write(
        tmp.path(),
        "bad.zip",
        &zip_of(&[("mongodb/scandy/tools.bson", &bad)]),
    );
    let (result, _) = read_zip_all(&path, None);
    let text = format!("{:#}", result.unwrap_err());
    assert!(
        text.contains("bad.zip!mongodb/scandy/tools.bson") && text.contains("declares"),
        "{text}"
    );
}

fn prelude(coll: &str) -> CollectionPrelude {
    CollectionPrelude {
        db: "scandy".into(),
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

/// An archive whose tools and workers blocks interleave, as a parallel mongodump writes.
fn interleaved_archive() -> Vec<u8> {
    let preludes = [prelude("tools"), prelude("workers"), prelude("empty")];
    let mut w =
        ArchiveWriter::new(Vec::new(), &ArchiveHeader::new("8.0.4", "test"), &preludes).unwrap();
    let (t, k) = (tools(), workers());
    let t: Vec<RawDocumentBuf> = t.iter().map(raw).collect();
    let k: Vec<RawDocumentBuf> = k.iter().map(raw).collect();
    w.write_segment("scandy", "tools", t[..10].iter().map(|d| d.as_bytes()))
        .unwrap();
    w.write_segment("scandy", "workers", k[..3].iter().map(|d| d.as_bytes()))
        .unwrap();
    w.write_segment("scandy", "tools", t[10..].iter().map(|d| d.as_bytes()))
        .unwrap();
    w.finish_collection("scandy", "tools").unwrap();
    w.write_segment("scandy", "workers", k[3..].iter().map(|d| d.as_bytes()))
        .unwrap();
    w.finish_collection("scandy", "workers").unwrap();
    w.finish_collection("scandy", "empty").unwrap();
    w.finish().unwrap()
}

fn tar_gz(entries: &[(&str, &[u8])], link: Option<(&str, &str)>) -> Vec<u8> {
    let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(enc);
    for (name, bytes) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o640);
        header.set_mtime(1_764_652_395);
        header.set_cksum();
        tar.append_data(&mut header, name, *bytes).unwrap();
    }
    if let Some((name, target)) = link {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        tar.append_link(&mut header, name, target).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

#[test]
fn a_tar_backup_with_an_interleaved_archive_streams_collections_one_by_one() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = interleaved_archive();
    let bytes = tar_gz(
        &[
            ("scandy_backup_20261202/mongodb_backup.archive", &archive),
            ("scandy_backup_20261202/uploads/x.png", b"png"),
            ("scandy_backup_20261202/logs/app.log", b"log"),
            (
                "scandy_backup_20261202/backup_info.txt",
                b"Backup vom 02.12.2026",
            ),
        ],
        None,
    );
    let path = write(tmp.path(), "scandy_backup_20261202_051315.tar.gz", &bytes);
    let listing = list_tar(&path).unwrap();
    assert_eq!(listing.collections, ["tools", "workers", "empty"]);
    let mut sink = RecordingSink::default();
    read_tar(&path, "scandy", &ReadOptions::default(), &mut sink).unwrap();
    // workers came interleaved with tools: it is read in a pass of its own, whole.
    assert_eq!(sink.names(), ["tools", "empty", "workers"]);
    assert_eq!(sink.collection("tools").docs, tools());
    assert_eq!(sink.collection("workers").docs, workers());
    assert!(sink.collection("empty").docs.is_empty());
    let files: Vec<(&str, u32, i64)> = sink
        .files
        .iter()
        .map(|(f, _)| (f.root_path.as_str(), f.mode, f.mtime))
        .collect();
    assert_eq!(
        files,
        [
            ("app/static/uploads/x.png", 0o640, 1_764_652_395),
            ("logs/app.log", 0o640, 1_764_652_395)
        ]
    );
}

#[test]
fn a_tar_with_a_symlink_among_the_uploads_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = tar_gz(
        &[("mongodb_backup.archive", &interleaved_archive())],
        Some(("uploads/passwd", "/etc/passwd")),
    );
    let path = write(tmp.path(), "scandy_backup_20261202_051315.tar.gz", &bytes);
    let mut sink = RecordingSink::default();
    let err = read_tar(&path, "scandy", &ReadOptions::default(), &mut sink).unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("uploads/passwd") && text.contains("link"),
        "{text}"
    );
    assert!(sink.files.is_empty());
    let bytes = tar_gz(&[("uploads/x", b"x")], None);
    let path = write(tmp.path(), "no_archive.tar.gz", &bytes);
    assert!(format!("{:#}", list_tar(&path).unwrap_err()).contains("no mongodump archive"));
}

#[test]
fn a_gzip_archive_file_and_its_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = interleaved_archive();
    assert!(sniff_archive(&archive) && !sniff_archive(b"PK\x03\x04"));
    let path = write(tmp.path(), "mongodb_backup.archive.gz", &gzip(&archive));
    let mut sink = RecordingSink::default();
    read_archive_file(&path, "scandy", &ReadOptions::default(), &mut sink).unwrap();
    assert_eq!(sink.collection("workers").docs, workers());
    // A flipped byte inside a document: the namespace's checksum no longer matches.
    let mut flipped = archive.clone();
    let at = flipped.windows(4).position(|w| w == b"T005").unwrap();
    flipped[at + 3] = b'6';
    let path = write(tmp.path(), "flipped.archive", &flipped);
    let mut sink = RecordingSink::default();
    let err = read_archive_file(&path, "scandy", &ReadOptions::default(), &mut sink).unwrap_err();
    assert!(
        format!("{err:#}").contains("checksum of scandy.tools"),
        "{err:#}"
    );
    let path = write(tmp.path(), "cut.archive", &archive[..archive.len() / 2]);
    let mut sink = RecordingSink::default();
    assert!(read_archive_file(&path, "scandy", &ReadOptions::default(), &mut sink).is_err());
}

#[test]
fn the_database_is_picked_by_the_configuration_when_several_are_there() {
    let dbs = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        pick_database(&dbs(&["admin", "scandy"]), "x", "a").unwrap(),
        "scandy"
    );
    assert_eq!(
        pick_database(&dbs(&["a", "scandy"]), "scandy", "a").unwrap(),
        "scandy"
    );
    let err = pick_database(&dbs(&["a", "b"]), "scandy", "f.archive").unwrap_err();
    assert!(format!("{err:#}").contains("a, b"));
}
