//! Writer and reader against each other, and the reader against damaged input.

use mongodb::bson::{Document, RawDocumentBuf, doc};

use super::*;

fn prelude(coll: &str, kind: CollectionKind) -> CollectionPrelude {
    CollectionPrelude {
        db: "scandy".into(),
        collection: coll.into(),
        metadata: CollectionMetadata {
            collection_name: coll.into(),
            options: Document::new(),
            indexes: vec![doc! { "v": 2, "key": { "_id": 1 }, "name": "_id_" }],
            uuid: None,
            kind,
        },
        size: 0,
    }
}

fn raw(n: i32) -> RawDocumentBuf {
    RawDocumentBuf::from_document(&doc! { "_id": n, "name": format!("Hammer {n}") }).unwrap()
}

fn sample_archive() -> Vec<u8> {
    let preludes = [
        prelude("tools", CollectionKind::Collection),
        prelude("empty", CollectionKind::Collection),
    ];
    let header = ArchiveHeader::new("8.2.1", "test");
    let mut w = ArchiveWriter::new(Vec::new(), &header, &preludes).unwrap();
    let docs: Vec<RawDocumentBuf> = (0..3).map(raw).collect();
    w.write_segment("scandy", "tools", docs[..2].iter().map(|d| d.as_bytes()))
        .unwrap();
    w.write_segment("scandy", "tools", docs[2..].iter().map(|d| d.as_bytes()))
        .unwrap();
    let totals = w.finish_collection("scandy", "tools").unwrap();
    assert_eq!(totals.documents, 3);
    let all: Vec<u8> = docs.iter().flat_map(|d| d.as_bytes().to_vec()).collect();
    assert_eq!(totals.crc, crc64(&all));
    let empty = w.finish_collection("scandy", "empty").unwrap();
    assert_eq!((empty.documents, empty.crc), (0, 0));
    w.finish().unwrap()
}

fn read_all(bytes: &[u8]) -> color_eyre::eyre::Result<Vec<ArchiveEvent>> {
    let mut r = ArchiveReader::new(bytes)?;
    let mut events = Vec::new();
    while let Some(e) = r.next_event()? {
        events.push(e);
    }
    Ok(events)
}

#[test]
fn round_trip() {
    let bytes = sample_archive();
    assert_eq!(&bytes[..4], &[0x6d, 0xe2, 0x99, 0x81]);
    let r = ArchiveReader::new(bytes.as_slice()).unwrap();
    assert_eq!(r.header().server_version, "8.2.1");
    assert_eq!(r.preludes().len(), 2);
    let events = read_all(&bytes).unwrap();
    assert_eq!(events.len(), 5);
    assert_eq!(
        events[0],
        ArchiveEvent::Document {
            db: "scandy".into(),
            collection: "tools".into(),
            bytes: raw(0)
        }
    );
    for e in &events[3..] {
        match e {
            ArchiveEvent::CollectionEof {
                crc_expected,
                crc_actual,
                ..
            } => assert_eq!(crc_expected, crc_actual),
            other => panic!("expected an EOF, got {other:?}"),
        }
    }
}

#[test]
fn one_segment_per_collection_and_empty_segments() {
    let bytes = sample_archive();
    let term = [0xffu8; 4];
    // prelude terminator, tools segment terminator, tools EOF terminator,
    // empty segment terminator, empty EOF terminator.
    let count = bytes.windows(4).filter(|w| *w == term).count();
    assert_eq!(count, 5);
}

#[test]
fn truncation_anywhere_is_an_error() {
    let bytes = sample_archive();
    for cut in 0..bytes.len() {
        let result = read_all(&bytes[..cut]);
        assert!(result.is_err(), "cut at {cut} was accepted");
    }
}

#[test]
fn damaged_crc_is_reported() {
    let mut bytes = sample_archive();
    // Flip one byte of the first document's name (well after the prelude).
    let pos = bytes
        .windows(8)
        .position(|w| w == b"Hammer 0")
        .expect("document text");
    bytes[pos] = b'h';
    let events = read_all(&bytes).unwrap();
    let bad = events.iter().any(|e| {
        matches!(e, ArchiveEvent::CollectionEof { crc_expected, crc_actual, .. } if crc_expected != crc_actual)
    });
    assert!(bad);
}

#[test]
fn writer_refuses_unknown_and_unfinished_namespaces() {
    let header = ArchiveHeader::new("8.2.1", "test");
    let preludes = [prelude("tools", CollectionKind::Collection)];
    let mut w = ArchiveWriter::new(Vec::new(), &header, &preludes).unwrap();
    assert!(
        w.write_segment("scandy", "nope", std::iter::empty())
            .is_err()
    );
    assert!(
        w.write_segment("scandy", "tools", [&b"\x05\0\0\0\x01"[..]])
            .is_err()
    );
    assert!(w.finish().is_err());
}
