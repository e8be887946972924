//! The Scandy data generator: shapes, consistency, determinism, and seeding a real server.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Instant;

use chrono::{Duration, NaiveDateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::spec::ElementType;
use mongodb::bson::{Bson, Document, RawBsonRef, RawDocument, RawDocumentBuf, doc};
use scandyctl::datagen::{
    COLLECTIONS, Dataset, GenOptions, IndexSpec, expected_indexes, generate, seed,
    to_scandy_json_v2,
};

/// Options for data that goes into a live server: "now" is the real clock, so the
/// server's TTL monitor does not delete users or locks while the test runs.
fn live_options(scale: usize) -> GenOptions {
    GenOptions {
        scale,
        now: Utc::now().naive_utc(),
        ..GenOptions::default()
    }
}

fn docs<'a>(data: &'a Dataset, coll: &str) -> &'a [Document] {
    data.get(coll)
        .unwrap_or_else(|| panic!("collection {coll} missing"))
}

fn date(doc: &Document, key: &str) -> Option<NaiveDateTime> {
    match doc.get(key) {
        Some(Bson::DateTime(d)) => {
            chrono::DateTime::from_timestamp_millis(d.timestamp_millis()).map(|t| t.naive_utc())
        }
        _ => None,
    }
}

#[test]
fn same_seed_gives_the_same_dataset() {
    let opts = GenOptions::default();
    let a = generate(&opts);
    let b = generate(&opts);
    assert_eq!(a, b);
    let c = generate(&GenOptions {
        seed: 43,
        ..opts.clone()
    });
    assert_ne!(a, c);
    assert_eq!(
        a.counts(),
        c.counts()
            .iter()
            .map(|(n, _)| (n.clone(), docs(&a, n).len()))
            .collect::<Vec<_>>()
    );
}

#[test]
fn generation_is_fast_and_sized_by_scale() {
    let started = Instant::now();
    let data = generate(&GenOptions::default());
    let elapsed = started.elapsed();
    eprintln!(
        "generated {} documents in {elapsed:.2?}",
        data.total_documents()
    );
    assert!(elapsed.as_secs_f64() < 1.0, "generation took {elapsed:?}");
    assert_eq!(docs(&data, "tools").len(), 500);
    assert!(data.total_documents() > 3000, "{:?}", data.counts());
    let names: Vec<&str> = data.collections.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, COLLECTIONS);
    for (name, docs) in &data.collections {
        assert!(!docs.is_empty(), "{name} is empty");
    }
    let small = generate(&GenOptions {
        scale: 50,
        ..GenOptions::default()
    });
    assert_eq!(docs(&small, "tools").len(), 50);
    assert!(small.total_documents() < data.total_documents() / 4);
}

#[test]
fn tool_status_matches_open_lendings() {
    let data = generate(&GenOptions::default());
    let mut open: HashMap<&str, usize> = HashMap::new();
    for l in docs(&data, "lendings") {
        let lent = date(l, "lent_at").expect("lent_at is a date");
        match l.get("returned_at") {
            Some(Bson::Null) => *open.entry(l.get_str("tool_barcode").unwrap()).or_default() += 1,
            Some(Bson::DateTime(_)) => assert!(date(l, "returned_at").unwrap() > lent),
            other => panic!("returned_at must be a date or null, got {other:?}"),
        }
    }
    assert!(
        open.values().all(|&n| n == 1),
        "a tool is lent twice at once"
    );
    let mut lent = 0;
    for t in docs(&data, "tools") {
        let barcode = t.get_str("barcode").unwrap();
        let status = t.get_str("status").unwrap();
        assert!(["verfügbar", "ausgeliehen", "defekt"].contains(&status));
        assert_eq!(
            status == "ausgeliehen",
            open.contains_key(barcode),
            "tool {barcode}"
        );
        if status == "ausgeliehen" {
            lent += 1;
        }
        if t.get_bool("deleted").unwrap() {
            assert!(
                date(t, "deleted_at").is_some(),
                "deleted tool {barcode} lacks deleted_at"
            );
            assert_ne!(status, "ausgeliehen");
        } else {
            assert!(t.get("deleted_at").is_none());
        }
    }
    assert!(lent > 20, "only {lent} tools are lent");
    assert!(
        docs(&data, "tools")
            .iter()
            .any(|t| t.get_bool("deleted").unwrap())
    );
}

#[test]
fn values_are_german_and_consistent() {
    let opts = GenOptions::default();
    let data = generate(&opts);
    let roles: BTreeSet<&str> = docs(&data, "users")
        .iter()
        .map(|u| u.get_str("role").unwrap())
        .collect();
    assert_eq!(
        roles,
        BTreeSet::from(["admin", "anwender", "mitarbeiter", "teilnehmer"])
    );
    let states: BTreeSet<&str> = docs(&data, "tickets")
        .iter()
        .map(|t| t.get_str("status").unwrap())
        .collect();
    assert_eq!(
        states,
        BTreeSet::from(["erledigt", "in_bearbeitung", "offen"])
    );
    let departments: BTreeSet<&str> = docs(&data, "tools")
        .iter()
        .map(|t| t.get_str("department").unwrap())
        .collect();
    assert_eq!(
        departments,
        BTreeSet::from(["Elektro", "Verwaltung", "Werkstatt"])
    );

    // Teilnehmer vanish a year after creation; some within the next 30 days.
    let mut due_soon = 0;
    for u in docs(&data, "users") {
        let delete_at = date(u, "delete_at");
        if u.get_str("role").unwrap() == "teilnehmer" {
            let delete_at = delete_at.expect("teilnehmer has delete_at");
            assert!(delete_at > opts.now);
            if delete_at < opts.now + Duration::days(30) {
                due_soon += 1;
            }
        } else {
            assert!(delete_at.is_none());
        }
    }
    assert!(due_soon > 0);

    // Every timestamp of the main collections lies before "now".
    for coll in ["tools", "lendings", "consumable_usages", "users", "tickets"] {
        for d in docs(&data, coll) {
            for key in ["created_at", "lent_at", "used_at"] {
                if let Some(t) = date(d, key) {
                    assert!(t <= opts.now, "{coll}.{key} {t} is in the future");
                }
            }
        }
    }
}

#[test]
fn unique_index_keys_are_unique() {
    let data = generate(&GenOptions::default());
    let mut seen = HashSet::new();
    for coll in ["tools", "workers", "consumables"] {
        for d in docs(&data, coll) {
            let key = (
                coll,
                d.get_str("department").unwrap(),
                d.get_str("barcode").unwrap(),
            );
            assert!(seen.insert(key), "duplicate {key:?}");
        }
    }
    // Tool barcodes are even globally unique, so the legacy `barcode_1` index fits.
    let tools: HashSet<&str> = docs(&data, "tools")
        .iter()
        .map(|t| t.get_str("barcode").unwrap())
        .collect();
    assert_eq!(tools.len(), docs(&data, "tools").len());
    let users: HashSet<&str> = docs(&data, "users")
        .iter()
        .map(|u| u.get_str("username").unwrap())
        .collect();
    assert_eq!(users.len(), docs(&data, "users").len());
    let mut weeks = HashSet::new();
    for t in docs(&data, "timesheets") {
        let key = (
            t.get_str("user_id").unwrap(),
            t.get_i32("year").unwrap(),
            t.get_i32("kw").unwrap(),
        );
        assert!(weeks.insert(key), "duplicate timesheet {key:?}");
    }
}

#[test]
fn json_v2_export_has_scandys_shape() {
    let data = generate(&GenOptions {
        scale: 40,
        ..GenOptions::default()
    });
    let created = GenOptions::default().now;
    let json = to_scandy_json_v2(&data, created);
    assert_eq!(json["metadata"]["version"], "2.0");
    assert_eq!(json["metadata"]["created_at"], "2025-07-31T21:00:00");
    let listed: Vec<&str> = json["metadata"]["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(listed, COLLECTIONS);
    for (name, docs) in &data.collections {
        assert_eq!(
            json["data"][name].as_array().unwrap().len(),
            docs.len(),
            "{name}"
        );
    }
    let tool = &json["data"]["tools"][0];
    let id = tool["_id"].as_str().expect("_id is a string");
    assert!(
        id.len() == 24 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    assert_eq!(tool["created_at"]["__type__"], "datetime");
    let iso = tool["created_at"]["value"].as_str().unwrap();
    assert!(
        NaiveDateTime::parse_from_str(iso, "%Y-%m-%dT%H:%M:%S%.f").is_ok(),
        "{iso}"
    );
    let open = json["data"]["lendings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["returned_at"].is_null());
    assert!(open.is_some(), "no open lending with a null returned_at");
    let price = &json["data"]["consumables"][0]["price"];
    assert!(price.as_str().unwrap().contains('.'), "{price}");
    assert!(json["data"]["email_config"][0]["mail_password_encrypted"].is_string());
    let text = serde_json::to_string(&json).unwrap();
    assert!(
        !text.contains("$oid") && !text.contains("$date"),
        "extended JSON leaked"
    );
}

fn collect_types(doc: &RawDocument, found: &mut BTreeSet<String>) {
    for element in doc {
        let (_, value) = element.expect("valid BSON");
        collect_value(value, found);
    }
}

fn collect_value(value: RawBsonRef<'_>, found: &mut BTreeSet<String>) {
    found.insert(format!("{:?}", value.element_type()));
    match value {
        RawBsonRef::Document(d) => collect_types(d, found),
        RawBsonRef::Array(a) => {
            for item in a {
                collect_value(item.expect("valid BSON"), found);
            }
        }
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_database_matches_scandy() {
    let client = common::client().await;
    let db = client.database(&common::unique_db_name("datagen_seed"));
    let data = generate(&live_options(500));
    let report = seed(&db, &data, false).await.expect("seed");
    eprintln!(
        "seeded {} documents, {} indexes in {:.2?}",
        report.total_documents(),
        report.indexes,
        report.elapsed
    );

    // Every collection with exactly the generated number of documents.
    let names: BTreeSet<String> = db
        .list_collection_names()
        .await
        .unwrap()
        .into_iter()
        .collect();
    let expected: BTreeSet<String> = COLLECTIONS.iter().map(|s| s.to_string()).collect();
    assert_eq!(names, expected);
    for (name, docs) in &data.collections {
        let n = db
            .collection::<Document>(name)
            .count_documents(doc! {})
            .await
            .unwrap();
        assert_eq!(n, docs.len() as u64, "{name}");
    }

    // The index set read back equals Scandy's.
    let mut want: BTreeSet<IndexSpec> = expected_indexes(false)
        .iter()
        .map(|(c, m)| IndexSpec::from_model(c, m))
        .collect();
    let mut got = BTreeSet::new();
    for name in &names {
        let mut cursor = db
            .collection::<Document>(name)
            .list_indexes()
            .await
            .unwrap();
        while let Some(model) = cursor.try_next().await.unwrap() {
            let spec = IndexSpec::from_model(name, &model);
            if spec.name != "_id_" {
                got.insert(spec);
            }
        }
    }
    assert_eq!(got, want);
    let ttl: Vec<_> = got
        .iter()
        .filter(|s| s.expire_after_secs == Some(0))
        .map(|s| s.collection.as_str())
        .collect();
    assert_eq!(ttl, ["users", "workers"]);
    // Scandy creates no index on system_locks (the collection exists, with `_id_` only).
    assert!(names.contains("system_locks"));
    assert!(
        got.iter().all(|s| s.collection != "system_locks"),
        "{:?}",
        got.iter()
            .filter(|s| s.collection == "system_locks")
            .collect::<Vec<_>>()
    );
    // The message indexes are on `messages`; `ticket_messages` has none.
    assert!(got.iter().any(|s| s.collection == "messages"));
    assert!(got.iter().all(|s| s.collection != "ticket_messages"));
    want.retain(|s| s.unique);
    assert!(want.iter().any(|s| s.sparse && s.keys.len() == 2));

    // Every BSON type Scandy stores, read back as raw BSON.
    let mut found = BTreeSet::new();
    let mut umlaut = false;
    for name in &names {
        let mut cursor = db
            .collection::<RawDocumentBuf>(name)
            .find(doc! {})
            .await
            .unwrap();
        while let Some(raw) = cursor.try_next().await.unwrap() {
            collect_types(&raw, &mut found);
            if let Ok(status) = raw.get_str("status") {
                umlaut |= status == "verfügbar";
            }
        }
    }
    for t in [
        ElementType::ObjectId,
        ElementType::String,
        ElementType::DateTime,
        ElementType::Null,
        ElementType::Boolean,
        ElementType::Int32,
        ElementType::Int64,
        ElementType::Double,
        ElementType::Decimal128,
        ElementType::Binary,
        ElementType::Array,
        ElementType::EmbeddedDocument,
    ] {
        assert!(
            found.contains(&format!("{t:?}")),
            "{t:?} missing; found {found:?}"
        );
    }
    assert!(umlaut, "umlauts did not survive the round trip");
    db.drop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_barcode_index_is_optional() {
    let client = common::client().await;
    let db = client.database(&common::unique_db_name("datagen_legacy"));
    let data = generate(&live_options(60));
    let report = seed(&db, &data, true)
        .await
        .expect("seed with legacy index");
    assert_eq!(report.indexes, expected_indexes(false).len() + 1);
    let mut by_name = BTreeMap::new();
    let mut cursor = db
        .collection::<Document>("tools")
        .list_indexes()
        .await
        .unwrap();
    while let Some(model) = cursor.try_next().await.unwrap() {
        let spec = IndexSpec::from_model("tools", &model);
        by_name.insert(spec.name.clone(), spec);
    }
    let legacy = by_name.get("barcode_1").expect("barcode_1 exists");
    assert!(legacy.unique && !legacy.sparse);
    // The unique indexes really constrain: a second tool with a known barcode fails.
    let tool = docs(&data, "tools")[0].clone();
    let mut copy = tool.clone();
    copy.remove("_id");
    copy.insert("department", "Andere Abteilung");
    let err = db.collection::<Document>("tools").insert_one(copy).await;
    assert!(err.is_err(), "duplicate barcode accepted despite barcode_1");
    db.drop().await.unwrap();
}
