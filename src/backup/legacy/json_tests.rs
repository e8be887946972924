use super::*;
use crate::backup::legacy::test_sink::RecordingSink;
use mongodb::bson::doc;

const V2: &str = r#"{
  "metadata": {"version": "2.0", "created_at": "2026-12-02T05:13:15.123456",
               "datatype_preservation": true, "collections": ["tools", "lendings"]},
  "data": {
    "tools": [
      {"_id": "6751a3f0c2b1e4a5d6f70811", "name": "Bohrer", "count": 3, "big": 9000000000,
       "price": 1.5, "tags": ["a", null, true],
       "created_at": {"__type__": "datetime", "value": "2026-11-30T08:00:00.250000"},
       "owner": {"__type__": "ObjectId", "value": "6751a3f0c2b1e4a5d6f70812"},
       "note": "2026-12-02 05:10:06.526000"}
    ],
    "lendings": []
  }
}"#;

fn read(text: &str, opts: ReadOptions) -> (Result<JsonInfo>, RecordingSink) {
    let mut sink = RecordingSink::default();
    let result = read_json(text.as_bytes(), "backups/x.json", &opts, &mut sink);
    (result, sink)
}

fn at(text: &str) -> Bson {
    Bson::DateTime(bson::DateTime::from_millis(
        parse_date_string(text).unwrap().timestamp_millis(),
    ))
}

#[test]
fn version_2_decodes_markers_and_id_strings_and_keeps_plain_strings() {
    let (info, sink) = read(V2, ReadOptions::default());
    let info = info.unwrap();
    assert_eq!(info.format, LegacyFormat::ScandyJsonV2);
    assert_eq!(info.version.as_deref(), Some("2.0"));
    assert_eq!(
        info.created_at.unwrap().to_string(),
        "2026-12-02 05:13:15.123456"
    );
    assert_eq!(sink.names(), ["tools", "lendings"]);
    let tools = sink.collection("tools");
    let doc = &tools.docs[0];
    assert_eq!(
        doc.get_object_id("_id").unwrap().to_hex(),
        "6751a3f0c2b1e4a5d6f70811"
    );
    assert_eq!(doc.get("count"), Some(&Bson::Int32(3)));
    assert_eq!(doc.get("big"), Some(&Bson::Int64(9_000_000_000)));
    assert_eq!(doc.get("price"), Some(&Bson::Double(1.5)));
    assert_eq!(
        doc.get("tags"),
        Some(&Bson::Array(vec!["a".into(), Bson::Null, true.into()]))
    );
    assert_eq!(doc.get("created_at"), Some(&at("2026-11-30T08:00:00.250")));
    assert!(matches!(doc.get("owner"), Some(Bson::ObjectId(_))));
    // v2 marks its dates: a plain string stays a string.
    assert_eq!(doc.get_str("note").unwrap(), "2026-12-02 05:10:06.526000");
    // Key order is the file's.
    let keys: Vec<&str> = doc.keys().map(String::as_str).collect();
    assert_eq!(keys[..3], ["_id", "name", "count"]);
    assert_eq!(
        tools.conversions,
        Conversions {
            markers: 2,
            id_strings: 1,
            date_strings: 0
        }
    );
    assert!(sink.collection("lendings").docs.is_empty());
    assert!(sink.collections.iter().all(|c| c.ended));
    assert!(sink.notes.is_empty(), "{:?}", sink.notes);
}

#[test]
fn keep_types_leaves_id_strings_but_still_decodes_markers() {
    let (_, sink) = read(
        V2,
        ReadOptions {
            keep_types: true,
            ..ReadOptions::default()
        },
    );
    let doc = &sink.collection("tools").docs[0];
    assert_eq!(doc.get_str("_id").unwrap(), "6751a3f0c2b1e4a5d6f70811");
    assert!(matches!(doc.get("created_at"), Some(Bson::DateTime(_))));
    assert_eq!(sink.collection("tools").conversions.id_strings, 0);
}

#[test]
fn version_1_recovers_every_date_shape_and_compares_declared_counts() {
    let text = r#"{"metadata": {"version": "1.0", "created_at": "2026-12-02 05:10:06.526000",
        "collections": [{"name": "workers", "count": 2}, {"name": "tickets", "count": 1}]},
      "data": {"workers": [
        {"_id": "6751a3f0c2b1e4a5d6f70811", "a": "2026-12-02 05:10:06.526000",
         "b": "2026-12-02T05:10:06Z", "c": "2026-12-02T05:10:06.5+01:00",
         "d": "02.12.2026 05:10:06", "e": "", "f": "Werkstatt 2026", "g": "2026-12-02"}]}}"#;
    let (info, sink) = read(text, ReadOptions::default());
    let info = info.unwrap();
    assert_eq!(info.format, LegacyFormat::ScandyJsonV1);
    assert_eq!(
        info.declared,
        [
            ("workers".to_string(), Some(2)),
            ("tickets".to_string(), Some(1))
        ]
    );
    let doc = &sink.collection("workers").docs[0];
    assert_eq!(doc.get("a"), Some(&at("2026-12-02T05:10:06.526Z")));
    assert_eq!(doc.get("b"), Some(&at("2026-12-02T05:10:06Z")));
    assert_eq!(doc.get("c"), Some(&at("2026-12-02T04:10:06.5Z")));
    assert_eq!(doc.get("d"), Some(&at("2026-12-02T05:10:06Z")));
    assert_eq!(doc.get_str("e").unwrap(), "");
    assert_eq!(doc.get_str("f").unwrap(), "Werkstatt 2026");
    assert_eq!(doc.get_str("g").unwrap(), "2026-12-02");
    assert_eq!(
        sink.collection("workers").conversions,
        Conversions {
            markers: 0,
            id_strings: 1,
            date_strings: 4
        }
    );
    let kinds: Vec<(&str, Option<&str>)> = sink
        .notes
        .iter()
        .map(|n| (n.kind.as_str(), n.entry.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("count-mismatch", Some("workers")),
            ("count-mismatch", Some("tickets"))
        ]
    );
}

#[test]
fn old_files_hold_collections_at_the_top_level() {
    let text = r#"{"tools": [{"_id": "6751a3f0c2b1e4a5d6f70811", "x": "01.02.2025 10:00:00"}],
                   "settings": {"not": "a collection"}, "workers": [], "version": 3}"#;
    let (info, sink) = read(text, ReadOptions::default());
    assert_eq!(info.unwrap().format, LegacyFormat::ScandyJsonV1);
    assert_eq!(sink.names(), ["tools", "workers"]);
    assert_eq!(
        sink.collection("tools").docs[0].get("x"),
        Some(&at("2025-02-01T10:00:00Z"))
    );
    assert_eq!(
        sniff_json(text.as_bytes()),
        Some(LegacyFormat::ScandyJsonV1)
    );
}

#[test]
fn sniffing_tells_the_versions_apart_and_ignores_other_json() {
    assert_eq!(sniff_json(V2.as_bytes()), Some(LegacyFormat::ScandyJsonV2));
    // Only the head of a large file is seen: truncated is fine.
    assert_eq!(
        sniff_json(&V2.as_bytes()[..120]),
        Some(LegacyFormat::ScandyJsonV2)
    );
    let v1 = r#"{"metadata": {"version": "1.0", "collections": []}, "data": {}}"#;
    assert_eq!(sniff_json(v1.as_bytes()), Some(LegacyFormat::ScandyJsonV1));
    assert_eq!(
        sniff_json(br#"{"name": "package", "version": "2.0"}"#),
        None
    );
    assert_eq!(sniff_json(b"[1, 2]"), None);
    assert_eq!(sniff_json(b"\x1f\x8b\x08"), None);
    assert_eq!(sniff_json(b""), None);
}

#[test]
fn info_stops_after_the_metadata() {
    // The data part is broken: info never reaches it.
    let text = r#"{"metadata": {"version": "2.0", "created_at": "2026-12-02T05:13:15",
                   "collections": ["tools"]}, "data": {"tools": [{"_id": tru"#;
    let info = read_json_info(text.as_bytes(), "x.json").unwrap();
    assert_eq!(info.format, LegacyFormat::ScandyJsonV2);
    assert_eq!(info.declared, [("tools".to_string(), None)]);
    assert_eq!(info.created_at.unwrap().to_string(), "2026-12-02 05:13:15");
    let old = read_json_info(&br#"{"tools": [{"a": 1}]}"#[..], "old.json").unwrap();
    assert_eq!(old.format, LegacyFormat::ScandyJsonV1);
    assert!(old.created_at.is_none());
}

#[test]
fn a_truncated_file_names_the_file_and_the_collection_it_broke_in() {
    let cut = &V2[..V2.find("\"price\"").unwrap()];
    let (result, sink) = read(cut, ReadOptions::default());
    let err = format!("{:#}", result.unwrap_err());
    assert!(err.contains("backups/x.json"), "{err}");
    assert!(err.contains("collection tools"), "{err}");
    assert!(err.contains("EOF"), "{err}");
    // The broken collection began but never ended: a sink can tell it is incomplete.
    assert!(!sink.collection("tools").ended);
}

#[test]
fn hostile_shapes_fail_with_a_message_and_no_panic() {
    let cases: [(&str, &str); 5] = [
        (r#"[{"a": 1}]"#, "object"),
        (
            r#"{"data": {"tools": [1, 2]}}"#,
            "entry 1 of collection tools is not an object",
        ),
        (
            r#"{"data": {"tools": [{"d": {"__type__": "datetime", "value": "gestern"}}]}}"#,
            "no date",
        ),
        (
            r#"{"data": {"tools": [{"o": {"__type__": "ObjectId", "value": "zz"}}]}}"#,
            "no ObjectId",
        ),
        (r#"{"data": {}} trailing"#, "after the backup's JSON object"),
    ];
    for (text, expected) in cases {
        let (result, _) = read(text, ReadOptions::default());
        let err = format!("{:#}", result.expect_err(text));
        assert!(err.contains(expected), "{text}: {err}");
    }
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let text = format!(r#"{{"data": {{"tools": [{{"x": {deep}}}]}}}}"#);
    let (result, _) = read(&text, ReadOptions::default());
    assert!(format!("{:#}", result.unwrap_err()).contains("recursion"));
}

#[test]
fn a_backup_without_collections_is_noted() {
    let (result, sink) = read(
        r#"{"metadata": {"version": "2.0"}, "data": {}}"#,
        ReadOptions::default(),
    );
    result.unwrap();
    assert!(sink.noted("no-collections"));
}

#[test]
fn a_failing_sink_stops_the_read_with_its_own_error() {
    struct Full(RecordingSink);
    impl LegacySink for Full {
        fn begin_collection(&mut self, n: &str, m: Option<&CollectionMetadata>) -> Result<()> {
            self.0.begin_collection(n, m)
        }
        fn document(&mut self, _: RawDocumentBuf) -> Result<()> {
            color_eyre::eyre::bail!("no space left on device")
        }
        fn end_collection(&mut self, c: &Conversions) -> Result<()> {
            self.0.end_collection(c)
        }
        fn file(&mut self, f: &LegacyFile, d: &mut dyn Read) -> Result<()> {
            self.0.file(f, d)
        }
        fn note(&mut self, n: ReaderNote) {
            self.0.note(n)
        }
    }
    let mut sink = Full(RecordingSink::default());
    let err = read_json(V2.as_bytes(), "x.json", &ReadOptions::default(), &mut sink).unwrap_err();
    assert_eq!(format!("{err:#}"), "no space left on device");
}

#[test]
fn a_document_roundtrips_through_the_datagen_exporter() {
    let original = doc! {
        "_id": ObjectId::parse_str("6751a3f0c2b1e4a5d6f70811").unwrap(),
        "at": bson::DateTime::from_millis(1_764_652_206_526),
        "nested": { "list": [1, 2.5, "x"] },
    };
    let json = crate::datagen::bson_to_scandy_json(&Bson::Document(original.clone()));
    let text = serde_json::json!({"metadata": {"version": "2.0"}, "data": {"c": [json]}});
    let (_, sink) = read(&text.to_string(), ReadOptions::default());
    assert_eq!(sink.collection("c").docs[0], original);
}
