//! Data health checks (`scandyctl::mongo::health`) against the real test server.

mod common;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use futures::TryStreamExt;
use mongodb::Database;
use mongodb::bson::{Bson, DateTime, Document, doc, oid::ObjectId};
use scandyctl::datagen::{GenOptions, generate, seed};
use scandyctl::mongo::health::{
    CORE_COLLECTIONS, CheckResult, CheckState, DATE_FIELDS, apply_fix, run_checks,
};

const COLLECTIONS: &[&str] = &[
    "tools",
    "consumables",
    "workers",
    "lendings",
    "users",
    "tickets",
];

fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 7, 31)
        .and_then(|d| d.and_hms_opt(21, 0, 0))
        .unwrap()
}

fn date(t: NaiveDateTime) -> Bson {
    Bson::DateTime(DateTime::from_millis(t.and_utc().timestamp_millis()))
}

/// A fixed ObjectId number `n` (timestamp 0x65000000 = 2023-09-12 12:26:40 UTC).
fn oid(n: u32) -> ObjectId {
    ObjectId::parse_str(format!("650000000000000000{n:06x}")).unwrap()
}

async fn fresh_db(test: &str) -> Database {
    let client = common::client().await;
    client.database(&common::unique_db_name(test))
}

fn tool(id: Bson, barcode: &str, name: &str, status: &str, department: Option<&str>) -> Document {
    let mut d = doc! {
        "_id": id,
        "name": name,
        "barcode": barcode,
        "category": "Elektrowerkzeug",
        "location": "Regal A",
        "status": status,
        "created_at": date(now() - Duration::days(200)),
        "modified_at": date(now() - Duration::days(20)),
        "deleted": false,
    };
    if let Some(department) = department {
        d.insert("department", department);
    }
    d
}

fn lending(id: u32, tool: &str, worker: &str, returned: bool) -> Document {
    let lent_at = now() - Duration::days(5);
    doc! {
        "_id": oid(id),
        "tool_barcode": tool,
        "worker_barcode": worker,
        "lent_at": date(lent_at),
        "returned_at": if returned { date(lent_at + Duration::days(1)) } else { Bson::Null },
        "created_at": date(lent_at),
    }
}

/// A hand-written dataset with one of each inconsistency.
async fn seed_broken(db: &Database) {
    let ws = Some("Werkstatt");
    let tools = vec![
        // Consistent: lent with an open lending.
        tool(oid(1).into(), "100001", "Bohrmaschine", "ausgeliehen", ws),
        // ausgeliehen without an open lending (its only lending is returned).
        tool(oid(2).into(), "100002", "Akkuschrauber", "ausgeliehen", ws),
        // verfügbar with an open lending.
        tool(oid(3).into(), "100003", "Winkelschleifer", "verfügbar", ws),
        // No department.
        tool(oid(4).into(), "100004", "Stichsäge", "verfügbar", None),
        // String _id.
        tool("tool-legacy-1".into(), "100005", "Hammer", "verfügbar", ws),
        // Duplicate barcode in Werkstatt ...
        tool(oid(6).into(), "100006", "Zange", "verfügbar", ws),
        tool(oid(7).into(), "100006", "Zange", "verfügbar", ws),
        // ... the same barcode in another department is fine.
        tool(
            oid(8).into(),
            "100006",
            "Zange",
            "verfügbar",
            Some("Elektro"),
        ),
        // A soft-deleted duplicate of 100001 (its status is irrelevant, too).
        {
            let mut d = tool(oid(9).into(), "100001", "Bohrmaschine alt", "verfügbar", ws);
            d.insert("deleted", true);
            d.insert("deleted_at", date(now() - Duration::days(30)));
            d
        },
    ];
    let lendings = vec![
        lending(0x101, "100001", "900001", false),
        lending(0x102, "100002", "900002", true),
        lending(0x103, "100003", "900001", false),
        // Missing worker.
        lending(0x104, "100004", "999999", true),
        // Missing tool.
        lending(0x105, "188888", "900002", true),
    ];
    let workers = vec![
        doc! { "_id": oid(0x201), "barcode": "900001", "firstname": "Anna", "lastname": "Schmidt",
        "department": "Werkstatt", "email": "", "created_at": date(now() - Duration::days(300)) },
        doc! { "_id": oid(0x202), "barcode": "900002", "firstname": "Jonas", "lastname": "Becker",
        "department": "Werkstatt", "email": "", "created_at": "2024-03-01T08:15:00" },
        doc! { "_id": oid(0x203), "barcode": "900003", "firstname": "Lena", "lastname": "Wolf",
        "department": "Werkstatt", "email": "", "created_at": date(now() - Duration::days(353)),
        "delete_at": date(now() + Duration::days(12)) },
    ];
    let user =
        |n: u32, username: &str, role: &str, first: &str, last: &str, delete_in: Option<i64>| {
            let mut d = doc! {
                "_id": oid(n), "username": username, "password_hash": "scrypt:x", "role": role,
                "is_active": true, "firstname": first, "lastname": last,
                "allowed_departments": ["Werkstatt"], "default_department": "Werkstatt",
                "created_at": date(now() - Duration::days(100)),
            };
            if let Some(days) = delete_in {
                d.insert("delete_at", date(now() + Duration::days(days)));
            }
            d
        };
    let users = vec![
        user(0x301, "admin", "admin", "Petra", "Admin", None),
        user(0x302, "lea.klein", "teilnehmer", "Lea", "Klein", Some(10)),
        user(0x303, "tim.vogel", "teilnehmer", "Tim", "Vogel", Some(60)),
    ];
    let consumables = vec![
        doc! { "_id": oid(0x401), "barcode": "200001", "name": "Schleifpapier", "quantity": 10,
        "department": "Werkstatt", "deleted": false, "created_at": date(now() - Duration::days(50)) },
        // No created_at.
        doc! { "_id": oid(0x402), "barcode": "200002", "name": "Schrauben", "quantity": 100,
        "department": "Werkstatt", "deleted": false },
    ];
    let tickets = vec![doc! {
        "_id": oid(0x501), "title": "Bohrer stumpf", "status": "offen", "ticket_number": "2025-0001",
        "department": "Werkstatt", "created_at": date(now() - Duration::days(3)),
    }];
    for (name, docs) in [
        ("tools", tools),
        ("lendings", lendings),
        ("workers", workers),
        ("users", users),
        ("consumables", consumables),
        ("tickets", tickets),
    ] {
        db.collection::<Document>(name)
            .insert_many(docs)
            .await
            .unwrap_or_else(|e| panic!("insert {name}: {e}"));
    }
}

/// Every document of the test collections, by collection, sorted by `_id`.
async fn snapshot(db: &Database) -> Vec<(String, Vec<Document>)> {
    let mut out = Vec::new();
    for name in COLLECTIONS {
        let docs: Vec<Document> = db
            .collection::<Document>(name)
            .find(doc! {})
            .sort(doc! { "_id": 1 })
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        out.push((name.to_string(), docs));
    }
    out
}

/// The documents that differ between two snapshots: `(collection, before, after)`.
fn changed(
    before: &[(String, Vec<Document>)],
    after: &[(String, Vec<Document>)],
) -> Vec<(String, Document, Document)> {
    let mut out = Vec::new();
    for ((name, a), (name_b, b)) in before.iter().zip(after) {
        assert_eq!(name, name_b);
        assert_eq!(a.len(), b.len(), "{name}: document count changed");
        for (x, y) in a.iter().zip(b) {
            assert_eq!(x.get("_id"), y.get("_id"), "{name}: _ids changed");
            if x != y {
                out.push((name.clone(), x.clone(), y.clone()));
            }
        }
    }
    out
}

fn check<'a>(results: &'a [CheckResult], id: &str) -> &'a CheckResult {
    results
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

#[tokio::test]
async fn finds_every_seeded_inconsistency() {
    let db = fresh_db("health_findings").await;
    seed_broken(&db).await;
    let results = run_checks(&db, now()).await.expect("run_checks");
    let ids: Vec<&str> = results.iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        [
            "tool-status",
            "lending-orphans",
            "missing-fields",
            "string-types",
            "duplicate-barcodes",
            "ttl-due"
        ]
    );
    for c in &results {
        assert_eq!(c.state, CheckState::Findings, "{}", c.id);
    }

    let status = check(&results, "tool-status");
    assert_eq!(status.count, 2);
    assert!(!status.informational);
    assert_eq!(
        status.examples,
        [
            format!(
                "tools {} barcode 100002 (Akkuschrauber): status ausgeliehen but no open lending",
                oid(2).to_hex()
            ),
            format!(
                "tools {} barcode 100003 (Winkelschleifer): status verfügbar but an open lending",
                oid(3).to_hex()
            ),
        ]
    );
    let fix = status.fix.as_ref().expect("tool-status fix");
    assert!(
        fix.description.contains("set status verfügbar"),
        "{}",
        fix.description
    );
    let lines: Vec<&str> = fix.mongosh.lines().collect();
    assert_eq!(lines.len(), 4, "{}", fix.mongosh);
    assert_eq!(
        lines[0],
        "const ids1 = db.tools.aggregate([{ $match: { status: \"ausgeliehen\", deleted: { $ne: true } } }, \
         { $lookup: { from: \"lendings\", localField: \"barcode\", foreignField: \"tool_barcode\", \
         pipeline: [{ $match: { returned_at: null } }, { $limit: 1 }, { $project: { _id: 1 } }], \
         as: \"open_lendings\" } }, { $match: { open_lendings: { $size: 0 } } }, \
         { $project: { _id: 1 } }]).toArray().map(d => d._id);"
    );
    assert_eq!(
        lines[1],
        "db.tools.updateMany({ _id: { $in: ids1 }, status: \"ausgeliehen\" }, \
         { $set: { status: \"verfügbar\", modified_at: ISODate(\"2025-07-31T21:00:00.000Z\") } });"
    );
    assert!(
        lines[2].contains("\"open_lendings.0\": { $exists: true }"),
        "{}",
        lines[2]
    );
    assert_eq!(
        lines[3],
        "db.tools.updateMany({ _id: { $in: ids2 }, status: \"verfügbar\" }, \
         { $set: { status: \"ausgeliehen\", modified_at: ISODate(\"2025-07-31T21:00:00.000Z\") } });"
    );
    assert_eq!(status.no_fix, None);

    let orphans = check(&results, "lending-orphans");
    assert_eq!(orphans.count, 2);
    assert_eq!(
        orphans.examples,
        [
            format!(
                "lendings {}: tool 100004 → worker 999999 (missing), returned",
                oid(0x104).to_hex()
            ),
            format!(
                "lendings {}: tool 188888 (missing) → worker 900002, returned",
                oid(0x105).to_hex()
            ),
        ]
    );
    assert_eq!(orphans.fix, None);
    assert!(orphans.no_fix.as_deref().unwrap().contains("re-attached"));

    let missing = check(&results, "missing-fields");
    assert_eq!(missing.count, 2);
    assert_eq!(
        missing.examples,
        [
            format!(
                "tools {} barcode 100004 (Stichsäge): no department",
                oid(4).to_hex()
            ),
            format!(
                "consumables {} barcode 200002 (Schrauben): no created_at",
                oid(0x402).to_hex()
            ),
        ]
    );
    let fix = missing.fix.as_ref().expect("created_at fix");
    assert_eq!(
        fix.mongosh,
        "db.consumables.updateMany({ created_at: null, _id: { $type: \"objectId\" } }, \
         [{ $set: { created_at: { $toDate: \"$_id\" } } }]);"
    );
    assert!(missing.no_fix.as_deref().unwrap().contains("department"));

    let strings = check(&results, "string-types");
    assert_eq!(strings.count, 2);
    assert_eq!(
        strings.examples,
        [
            "tools \"tool-legacy-1\" barcode 100005 (Hammer): _id is a string".to_string(),
            format!(
                "workers {} barcode 900002 (Jonas Becker): created_at \"2024-03-01T08:15:00\" is a string",
                oid(0x202).to_hex()
            ),
        ]
    );
    assert_eq!(
        strings.fix.as_ref().expect("date fix").mongosh,
        "db.workers.updateMany({ created_at: { $type: \"string\" } }, [{ $set: { created_at: \
         { $cond: [{ $eq: [{ $trim: { input: \"$created_at\" } }, \"\"] }, null, \
         { $dateFromString: { dateString: \"$created_at\", onError: \"$created_at\" } }] } } }]);"
    );
    assert!(strings.no_fix.as_deref().unwrap().contains("_id"));

    let dups = check(&results, "duplicate-barcodes");
    assert_eq!(dups.count, 1);
    assert_eq!(
        dups.examples,
        [format!(
            "tools: barcode 100006 in department Werkstatt 2× ({}, {})",
            oid(6).to_hex(),
            oid(7).to_hex()
        )]
    );
    assert_eq!(dups.fix, None);

    let ttl = check(&results, "ttl-due");
    assert_eq!(ttl.count, 2);
    assert!(ttl.informational);
    assert!(!ttl.has_problems());
    assert_eq!(
        ttl.examples,
        [
            "users teilnehmer lea.klein (Lea Klein): delete_at 2025-08-10 21:00 (in 10 day(s))",
            "workers 900003 Lena Wolf: delete_at 2025-08-12 21:00 (in 12 day(s))",
        ]
    );
    assert_eq!(ttl.fix, None);

    // The results serialize for --json.
    let json = serde_json::to_value(&results).unwrap();
    assert_eq!(json[0]["id"], "tool-status");
    assert_eq!(json[0]["state"], "findings");
    db.drop().await.unwrap();
}

#[tokio::test]
async fn automatic_fixes_repair_exactly_their_findings() {
    let db = fresh_db("health_fixes").await;
    seed_broken(&db).await;

    // tool-status: T2 → verfügbar, T3 → ausgeliehen, nothing else.
    let before = snapshot(&db).await;
    let outcome = apply_fix(&db, "tool-status", now())
        .await
        .expect("fix tool-status");
    assert_eq!(outcome.check, "tool-status");
    assert_eq!(outcome.modified, 2);
    let after = snapshot(&db).await;
    let diff = changed(&before, &after);
    assert_eq!(diff.len(), 2, "{diff:#?}");
    for ((coll, old, new), (id, status)) in diff
        .iter()
        .zip([(oid(2), "verfügbar"), (oid(3), "ausgeliehen")])
    {
        assert_eq!(coll, "tools");
        assert_eq!(new.get_object_id("_id").unwrap(), id);
        assert_eq!(new.get_str("status").unwrap(), status);
        assert_eq!(new.get("modified_at"), Some(&date(now())));
        let mut expected = old.clone();
        expected.insert("status", status);
        expected.insert("modified_at", date(now()));
        assert_eq!(&expected, new);
    }
    let results = run_checks(&db, now()).await.unwrap();
    let status = check(&results, "tool-status");
    assert_eq!((status.count, &status.state), (0, &CheckState::Ok));
    assert_eq!(status.fix, None);
    // A second run changes nothing.
    assert_eq!(
        apply_fix(&db, "tool-status", now()).await.unwrap().modified,
        0
    );

    // missing-fields: created_at of the consumable from its ObjectId; department stays missing.
    let before = snapshot(&db).await;
    let outcome = apply_fix(&db, "missing-fields", now())
        .await
        .expect("fix missing-fields");
    assert_eq!(outcome.modified, 1);
    let diff = changed(&before, &snapshot(&db).await);
    assert_eq!(diff.len(), 1, "{diff:#?}");
    let (coll, old, new) = &diff[0];
    assert_eq!(coll, "consumables");
    let mut expected = old.clone();
    expected.insert("created_at", Bson::DateTime(oid(0x402).timestamp()));
    assert_eq!(&expected, new);
    let results = run_checks(&db, now()).await.unwrap();
    let missing = check(&results, "missing-fields");
    assert_eq!(missing.count, 1);
    assert_eq!(missing.examples.len(), 1);
    assert!(missing.examples[0].ends_with("no department"));
    assert_eq!(missing.fix, None);
    assert!(missing.no_fix.is_some());

    // string-types: the worker's created_at becomes a date; the string _id stays.
    let before = snapshot(&db).await;
    let outcome = apply_fix(&db, "string-types", now())
        .await
        .expect("fix string-types");
    assert_eq!(outcome.modified, 1);
    let diff = changed(&before, &snapshot(&db).await);
    assert_eq!(diff.len(), 1, "{diff:#?}");
    let (coll, old, new) = &diff[0];
    assert_eq!(coll, "workers");
    let mut expected = old.clone();
    let parsed = NaiveDate::from_ymd_opt(2024, 3, 1)
        .and_then(|d| d.and_hms_opt(8, 15, 0))
        .unwrap();
    expected.insert("created_at", date(parsed));
    assert_eq!(&expected, new);
    let results = run_checks(&db, now()).await.unwrap();
    let strings = check(&results, "string-types");
    assert_eq!(strings.count, 1);
    assert_eq!(
        strings.examples,
        ["tools \"tool-legacy-1\" barcode 100005 (Hammer): _id is a string"]
    );
    assert_eq!(strings.fix, None);

    // Checks without an automatic fix refuse and change nothing.
    let before = snapshot(&db).await;
    for id in ["lending-orphans", "duplicate-barcodes", "ttl-due"] {
        let err = apply_fix(&db, id, now()).await.expect_err(id);
        let text = format!("{err:#}");
        assert!(
            text.contains(&format!("check {id} has no automatic fix: ")),
            "{text}"
        );
    }
    let err = apply_fix(&db, "nope", now()).await.expect_err("unknown");
    assert!(format!("{err:#}").contains("unknown check"), "{err:#}");
    assert!(changed(&before, &snapshot(&db).await).is_empty());

    // The other findings are untouched.
    let results = run_checks(&db, now()).await.unwrap();
    let counts: Vec<(&str, u64)> = results.iter().map(|c| (c.id, c.count)).collect();
    assert_eq!(
        counts,
        [
            ("tool-status", 0),
            ("lending-orphans", 2),
            ("missing-fields", 1),
            ("string-types", 1),
            ("duplicate-barcodes", 1),
            ("ttl-due", 2),
        ]
    );
    db.drop().await.unwrap();
}

#[tokio::test]
async fn empty_database_is_clean() {
    let db = fresh_db("health_empty").await;
    let results = run_checks(&db, now()).await.expect("run_checks");
    assert_eq!(results.len(), 6);
    for c in &results {
        assert_eq!((c.count, &c.state), (0, &CheckState::Ok), "{}", c.id);
        assert!(c.examples.is_empty() && c.fix.is_none() && c.no_fix.is_none());
    }
    assert_eq!(
        apply_fix(&db, "tool-status", now()).await.unwrap().modified,
        0
    );
    assert_eq!(
        apply_fix(&db, "missing-fields", now())
            .await
            .unwrap()
            .modified,
        0
    );
    assert_eq!(
        apply_fix(&db, "string-types", now())
            .await
            .unwrap()
            .modified,
        0
    );
}

#[tokio::test]
async fn generated_dataset_only_has_ttl_notices() {
    let options = GenOptions {
        scale: 60,
        now: now(),
        ..GenOptions::default()
    };
    let data = generate(&options);
    let db = fresh_db("health_generated").await;
    seed(&db, &data, false).await.expect("seed");
    let results = run_checks(&db, now()).await.expect("run_checks");

    // The generator makes every third teilnehmer (and the linked worker) due within 30 days.
    let limit = DateTime::from_millis((now() + Duration::days(30)).and_utc().timestamp_millis());
    let due = |coll: &str| {
        data.get(coll)
            .unwrap()
            .iter()
            .filter(|d| d.get_datetime("delete_at").is_ok_and(|t| *t <= limit))
            .count() as u64
    };
    assert_eq!((due("users"), due("workers")), (2, 2));

    for c in &results {
        if c.id == "ttl-due" {
            assert_eq!(c.state, CheckState::Findings);
            assert_eq!(c.count, 4);
            assert_eq!(c.examples.len(), 4);
            assert_eq!(
                c.examples
                    .iter()
                    .filter(|e| e.starts_with("users teilnehmer "))
                    .count(),
                2
            );
            assert!(
                c.examples.iter().all(|e| e.contains(" day(s))")),
                "{:?}",
                c.examples
            );
        } else {
            assert_eq!(
                (c.count, &c.state),
                (0, &CheckState::Ok),
                "{}: {:?}",
                c.id,
                c.examples
            );
        }
    }
    assert!(!results.iter().any(CheckResult::has_problems));
    db.drop().await.unwrap();
}

/// What the string-date fix must make of `field`'s value: `None` means "stays as it is"
/// (an empty `returned_at` stays: null would reopen a lending).
fn converted(field: &str, value: &str) -> Option<Bson> {
    match value.trim() {
        "" if field == "returned_at" => None,
        "" => Some(Bson::Null),
        "2025-08-01" => Some(date(
            NaiveDate::from_ymd_opt(2025, 8, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .unwrap(),
        )),
        "2025-08-01T10:30:00" => Some(date(
            NaiveDate::from_ymd_opt(2025, 8, 1)
                .and_then(|d| d.and_hms_opt(10, 30, 0))
                .unwrap(),
        )),
        _ => None,
    }
}

#[tokio::test]
async fn empty_date_strings_are_found_in_every_date_field_and_become_null() {
    let db = fresh_db("health_empty_dates").await;
    let values = ["", "   ", "2025-08-01", "2025-08-01T10:30:00", "bald"];
    let real = date(now() - Duration::days(2));
    // Every covered collection gets, per date field, one document per value (the other
    // date fields hold real dates, which the fix must leave alone).
    let mut n = 0x700;
    for name in CORE_COLLECTIONS {
        let mut docs = Vec::new();
        for field in DATE_FIELDS {
            for value in values {
                n += 1;
                let mut d = doc! { "_id": oid(n), "name": format!("{field} {value:?}") };
                for other in DATE_FIELDS {
                    d.insert(*other, real.clone());
                }
                d.insert(*field, value);
                docs.push(d);
            }
        }
        db.collection::<Document>(name)
            .insert_many(docs)
            .await
            .unwrap_or_else(|e| panic!("insert {name}: {e}"));
    }
    let results = run_checks(&db, now()).await.expect("run_checks");
    let strings = check(&results, "string-types");
    let per_collection = (DATE_FIELDS.len() * values.len()) as u64;
    assert_eq!(
        strings.count,
        per_collection * CORE_COLLECTIONS.len() as u64,
        "every string date counts, empty ones included"
    );
    assert_eq!(
        strings.examples[0],
        format!(
            "{} {} (created_at \"\"): created_at \"\" is an empty string",
            CORE_COLLECTIONS[0],
            oid(0x701).to_hex()
        )
    );
    let fix = strings.fix.as_ref().expect("a date fix");
    for name in CORE_COLLECTIONS {
        for field in DATE_FIELDS {
            let statement = format!("db.{name}.updateMany({{ {field}: {{ $type: \"string\" }} }}");
            assert!(
                fix.mongosh.contains(&statement),
                "{statement}\n{}",
                fix.mongosh
            );
        }
    }
    assert!(
        fix.description.contains("empty strings become null"),
        "{}",
        fix.description
    );
    assert!(
        fix.description
            .contains("an empty returned_at stays as it is"),
        "{}",
        fix.description
    );

    let outcome = apply_fix(&db, "string-types", now())
        .await
        .expect("fix string-types");
    let unchanged = DATE_FIELDS
        .iter()
        .flat_map(|f| values.iter().filter(move |v| converted(f, v).is_none()))
        .count();
    assert_eq!(
        outcome.modified,
        ((values.len() * DATE_FIELDS.len() - unchanged) * CORE_COLLECTIONS.len()) as u64
    );
    for name in CORE_COLLECTIONS {
        let docs: Vec<Document> = db
            .collection::<Document>(name)
            .find(doc! {})
            .sort(doc! { "_id": 1 })
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(docs.len(), DATE_FIELDS.len() * values.len());
        for (d, (field, value)) in docs.iter().zip(
            DATE_FIELDS
                .iter()
                .flat_map(|f| values.iter().map(move |v| (*f, *v))),
        ) {
            let want = converted(field, value).unwrap_or_else(|| Bson::String(value.into()));
            assert_eq!(d.get(field), Some(&want), "{name}.{field} from {value:?}");
            for other in DATE_FIELDS.iter().filter(|o| **o != field) {
                assert_eq!(d.get(*other), Some(&real), "{name}.{other} untouched");
            }
        }
    }
    // Only the strings no parser understands and the kept empty returned_at are left,
    // and nothing became the epoch.
    let results = run_checks(&db, now()).await.unwrap();
    let strings = check(&results, "string-types");
    assert_eq!(strings.count, (unchanged * CORE_COLLECTIONS.len()) as u64);
    assert!(
        strings
            .examples
            .iter()
            .all(|e| e.ends_with("\"bald\" is a string")
                || e.contains("returned_at") && e.ends_with("is an empty string")),
        "{:?}",
        strings.examples
    );
    for name in CORE_COLLECTIONS {
        for field in DATE_FIELDS {
            let epoch = db
                .collection::<Document>(name)
                .count_documents(doc! { *field: DateTime::from_millis(0) })
                .await
                .unwrap();
            assert_eq!(epoch, 0, "{name}.{field}");
        }
    }
    db.drop().await.unwrap();
}
