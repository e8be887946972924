//! `scandyctl db stats` and `scandyctl db indexes` end to end: the real binary against the
//! real test MongoDB (SecantusDB, or `MONGODB_TEST_URI`).

mod backup_support;
mod common;
mod fresh_install_support;

use std::collections::BTreeSet;

use backup_support::{Fixture, assert_success};
use fresh_install_support::{
    FRESH_INSTALL, collection_names, findings_of_kind, fresh_install, index_names, per_collection,
};
use futures::TryStreamExt;
use mongodb::IndexModel;
use mongodb::bson::{Bson, DateTime, Document, doc};
use mongodb::options::IndexOptions;
use scandyctl::mongo::indexes::expected_scandy_indexes;
use serde_json::Value;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_of(fx: &Fixture, args: &[&str]) -> Value {
    let out = fx.run(args);
    assert_success(&out, &args.join(" "));
    serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}):\n{}", stdout(&out)))
}

/// A field is either reported or the server said it cannot ("not supported"/"not
/// permitted"); servers differ, so tests accept both but never anything else.
fn assert_value_or_unsupported(field: &Value, what: &str) {
    match field["state"].as_str() {
        Some("available") => assert!(!field["value"].is_null(), "{what}: {field}"),
        Some("unavailable") => {
            let reason = &field["reason"];
            assert!(
                reason == "not_supported" || reason == "not_permitted",
                "{what}: unexpected reason {field}"
            );
        }
        _ => panic!("{what}: not an availability: {field}"),
    }
}

fn find(list: &Value, pred: impl Fn(&Value) -> bool) -> Option<&Value> {
    list.as_array().unwrap().iter().find(|v| pred(v))
}

#[tokio::test(flavor = "multi_thread")]
async fn stats_json_counts_match_the_database() {
    let fx = Fixture::new("db_stats").await;
    let client = common::client().await;
    let db = client.database(&fx.database);
    let stats = json_of(&fx, &["db", "stats", "--json"]);

    let server = &stats["server"];
    for field in [
        "version",
        "uptime_secs",
        "storage_engine",
        "connections",
        "opcounters",
        "memory",
        "topology",
    ] {
        assert_value_or_unsupported(&server[field], field);
    }
    if server["topology"]["value"]["kind"] == "replica_set" {
        assert_value_or_unsupported(&server["members"], "members");
    }

    let database = &stats["database"];
    assert_eq!(database["name"], fx.database.as_str());
    assert_value_or_unsupported(&database["totals"], "dbStats");
    let collections = &database["collections"];
    let mut names = db.list_collection_names().await.unwrap();
    names.sort();
    let listed: Vec<&str> = collections
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, names, "collections");
    for name in &names {
        let expected = db
            .collection::<Document>(name)
            .count_documents(doc! {})
            .await
            .unwrap();
        let entry = find(collections, |c| c["name"] == name.as_str()).unwrap();
        assert_eq!(entry["kind"], "collection", "{entry}");
        assert_eq!(entry["count"], expected, "count of {name}: {entry}");
        assert_value_or_unsupported(&entry["storage"], name);
    }
    let tools = find(collections, |c| c["name"] == "tools").unwrap();
    assert!(tools["count"].as_u64().unwrap() > 0);
    let users = find(collections, |c| c["name"] == "users").unwrap();
    assert_eq!(users["ttl"][0]["field"], "delete_at", "{users}");
    assert_eq!(users["ttl"][0]["expire_after_secs"], 0);

    // A view is listed as a view, without statistics.
    db.create_collection("tools_view")
        .view_on("tools".to_string())
        .pipeline(vec![doc! { "$match": { "deleted": false } }])
        .await
        .unwrap();
    let stats = json_of(&fx, &["db", "stats", "--json"]);
    let view = find(&stats["database"]["collections"], |c| {
        c["name"] == "tools_view"
    })
    .unwrap();
    assert_eq!(view["kind"], "view", "{view}");
    assert_eq!(view["view_on"], "tools");
    assert!(
        view["count"].is_null() && view["storage"].is_null(),
        "{view}"
    );

    let human = fx.run(&["db", "stats"]);
    assert_success(&human, "db stats");
    let text = stdout(&human);
    for needle in [
        "Server",
        "version",
        "COLLECTION",
        "DOCUMENTS",
        "tools",
        "view",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn indexes_json_lists_scandy_indexes_with_their_options() {
    let fx = Fixture::new("db_indexes").await;
    let report = json_of(&fx, &["db", "indexes", "--json"]);
    let indexes = &report["indexes"];
    let tools = find(indexes, |i| {
        i["collection"] == "tools" && i["keys"] == "{department: 1, barcode: 1}"
    })
    .unwrap_or_else(|| panic!("no tools department/barcode index: {indexes}"));
    assert_eq!(tools["name"], "department_1_barcode_1");
    assert_eq!(tools["unique"], true);
    assert_eq!(tools["sparse"], true);
    let ttl = find(indexes, |i| {
        i["collection"] == "users" && i["keys"] == "{delete_at: 1}"
    })
    .unwrap();
    assert_eq!(ttl["ttl_secs"], 0, "{ttl}");
    for index in indexes.as_array().unwrap() {
        assert_value_or_unsupported(&index["usage"], "usage");
        assert_value_or_unsupported(&index["size"], "size");
        let unused = index["usage"]["value"]["ops"] == 0;
        assert_eq!(index["unused"], unused, "{index}");
    }
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .all(|f| f["kind"] != "missing_expected" && f["kind"] != "legacy_barcode"),
        "a freshly seeded database has every index: {findings:?}"
    );

    let only = json_of(&fx, &["db", "indexes", "--collection", "users", "--json"]);
    let only = only["indexes"].as_array().unwrap();
    assert!(!only.is_empty());
    assert!(only.iter().all(|i| i["collection"] == "users"), "{only:?}");

    let human = fx.run(&["db", "indexes"]);
    assert_success(&human, "db indexes");
    let text = stdout(&human);
    for needle in [
        "INDEX",
        "KEYS",
        "department_1_barcode_1",
        "unique, sparse",
        "ttl 0 s",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_and_legacy_indexes_are_reported_and_fixed() {
    let fx = Fixture::new("db_index_fix").await;
    let client = common::client().await;
    let db = client.database(&fx.database);
    db.collection::<Document>("workers")
        .drop_index("department_1_barcode_1")
        .await
        .unwrap();
    db.collection::<Document>("tools")
        .create_index(
            IndexModel::builder()
                .keys(doc! { "barcode": 1 })
                .options(
                    IndexOptions::builder()
                        .name("barcode_1".to_string())
                        .unique(true)
                        .build(),
                )
                .build(),
        )
        .await
        .unwrap();

    let report = json_of(&fx, &["db", "indexes", "--json"]);
    let findings = &report["findings"];
    let missing = find(findings, |f| f["kind"] == "missing_expected")
        .unwrap_or_else(|| panic!("no missing finding: {findings}"));
    assert_eq!(missing["collection"], "workers");
    assert_eq!(missing["index"], "department_1_barcode_1");
    assert_eq!(missing["severity"], "warning");
    assert_eq!(
        missing["fix"],
        r#"db.workers.createIndex({department: 1, barcode: 1}, {name: "department_1_barcode_1", unique: true, sparse: true})"#
    );
    assert_eq!(
        missing["fix_commands"][0],
        serde_json::json!({
            "createIndexes": "workers",
            "indexes": [{
                "key": {"department": 1, "barcode": 1},
                "name": "department_1_barcode_1",
                "unique": true,
                "sparse": true
            }]
        })
    );
    let legacy = find(findings, |f| f["kind"] == "legacy_barcode")
        .unwrap_or_else(|| panic!("barcode_1 not flagged: {findings}"));
    assert_eq!(legacy["collection"], "tools");
    assert_eq!(legacy["fix"], r#"db.tools.dropIndex("barcode_1")"#);
    assert!(
        legacy["message"]
            .as_str()
            .unwrap()
            .contains("multi-department"),
        "{legacy}"
    );

    let human = fx.run(&["db", "indexes"]);
    assert_success(&human, "db indexes");
    let text = stdout(&human);
    for needle in [
        "[missing] workers",
        "fix: db.workers.createIndex({department: 1, barcode: 1}",
        "[legacy barcode_1] tools",
        r#"fix: db.tools.dropIndex("barcode_1")"#,
        "--create-missing",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }

    let fixed = json_of(&fx, &["db", "indexes", "--create-missing", "--json"]);
    assert_eq!(
        fixed["created"],
        serde_json::json!(["workers.department_1_barcode_1"])
    );
    assert!(
        find(&fixed["findings"], |f| f["kind"] == "missing_expected").is_none(),
        "{}",
        fixed["findings"]
    );
    let models: Vec<IndexModel> = db
        .collection::<Document>("workers")
        .list_indexes()
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let recreated = models
        .iter()
        .find(|m| m.keys == doc! { "department": 1, "barcode": 1 })
        .expect("index recreated");
    let options = recreated.options.clone().unwrap();
    assert_eq!(
        (options.unique, options.sparse),
        (Some(true), Some(true)),
        "{options:?}"
    );
    // The legacy index is only reported, never dropped by --create-missing.
    assert!(
        find(&fixed["findings"], |f| f["kind"] == "legacy_barcode").is_some(),
        "{}",
        fixed["findings"]
    );
    let again = json_of(&fx, &["db", "indexes", "--create-missing", "--json"]);
    assert_eq!(again["created"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_server_exits_6_with_a_clear_message() {
    let fx = Fixture::new("db_unreachable").await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    fx.write_config_with_uri(&format!("mongodb://127.0.0.1:{port}"), "");
    for args in [
        &["db", "stats"][..],
        &["db", "stats", "--json"][..],
        &["db", "indexes"][..],
        &["db", "indexes", "--create-missing"][..],
    ] {
        let started = std::time::Instant::now();
        let out = fx.run(args);
        assert_eq!(out.status.code(), Some(6), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("cannot reach MongoDB") && err.contains("refused"),
            "{args:?}: {err}"
        );
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn health_reports_findings_and_fixes_only_after_confirmation() {
    let fx = Fixture::new("db_health_cli").await;
    let clean = fx.run(&["db", "health", "--json"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    let report: Value = serde_json::from_str(&stdout(&clean)).unwrap();
    assert_eq!(report["database"], fx.database.as_str());
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
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

    let client = common::client().await;
    let tools = client
        .database(&fx.database)
        .collection::<Document>("tools");
    tools
        .insert_one(doc! {
            "name": "Akkuschrauber \u{1b}[2J", "barcode": "HEALTH-1", "department": "werkstatt",
            "status": "ausgeliehen", "created_at": mongodb::bson::DateTime::now(),
        })
        .await
        .unwrap();
    let found = fx.run(&["db", "health"]);
    assert_eq!(found.status.code(), Some(3), "findings exit 3");
    let text = stdout(&found);
    assert!(text.contains("HEALTH-1"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "escape sequences never reach the terminal"
    );

    let refused = fx.run(&["db", "health", "--fix", "tool-status"]);
    assert_eq!(refused.status.code(), Some(2), "no terminal, no --yes");
    let status = |doc: Option<Document>| doc.unwrap().get_str("status").unwrap().to_string();
    assert_eq!(
        status(tools.find_one(doc! {"barcode": "HEALTH-1"}).await.unwrap()),
        "ausgeliehen",
        "nothing changed without confirmation"
    );
    let fixed = fx.run(&["db", "health", "--fix", "tool-status", "--yes"]);
    assert_success(&fixed, "db health --fix tool-status --yes");
    assert_eq!(
        status(tools.find_one(doc! {"barcode": "HEALTH-1"}).await.unwrap()),
        "verfügbar"
    );
    assert_eq!(fx.run(&["db", "health"]).status.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn fresh_install_without_indexes_names_the_scandy_defect_and_creates_only_existing() {
    let fx = Fixture::new("db_fresh_indexes").await;
    let client = common::client().await;
    let db = client.database(&fx.database);
    fresh_install(&db).await;

    let report = json_of(&fx, &["db", "indexes", "--json"]);
    let findings = report["findings"].as_array().unwrap();
    let defect = &findings[0];
    assert_eq!(defect["kind"], "scandy_index_defect", "{defect}");
    assert_eq!(defect["severity"], "warning");
    let message = defect["message"].as_str().unwrap();
    for needle in [
        "Scandy created none of its indexes (43 missing on existing collections)",
        "Scandy since August 2025 passes expireAfterSeconds: null to createIndex, which the \
         server rejects, so index creation stops at the first index",
        "`scandyctl db indexes --create-missing` (key m on the Database tab)",
    ] {
        assert!(message.contains(needle), "{needle} missing: {message}");
    }
    assert_eq!(
        findings
            .iter()
            .filter(|f| f["kind"] == "scandy_index_defect")
            .count(),
        1
    );

    // Exactly Scandy's indexes of the existing collections are missing ...
    let missing = findings_of_kind(&report, "missing_expected");
    let expected: Vec<(String, String)> = expected_scandy_indexes()
        .into_iter()
        .map(|i| (i.collection, i.name))
        .collect();
    let existing_expected: BTreeSet<String> = expected
        .iter()
        .filter(|(c, _)| FRESH_INSTALL.contains(&c.as_str()))
        .map(|(c, i)| format!("{c}.{i}"))
        .collect();
    assert_eq!(missing, existing_expected);
    let counts: Vec<(&str, usize)> = vec![
        ("consumable_usages", 5),
        ("consumables", 5),
        ("lendings", 6),
        ("settings", 1),
        ("ticket_history", 3),
        ("tickets", 7),
        ("tools", 7),
        ("users", 4),
        ("workers", 5),
    ];
    assert_eq!(
        per_collection(&missing),
        counts.iter().map(|(c, n)| (c.to_string(), *n)).collect()
    );
    for quiet in ["system_locks", "ticket_messages", "auftrag_details"] {
        assert!(
            findings.iter().all(|f| f["collection"] != quiet),
            "nothing expected on {quiet}: {findings:?}"
        );
    }
    // ... and those of absent collections are pending, not missing.
    let pending = findings_of_kind(&report, "pending_collection");
    let absent_expected: BTreeSet<String> = expected
        .iter()
        .filter(|(c, _)| !FRESH_INSTALL.contains(&c.as_str()))
        .map(|(c, i)| format!("{c}.{i}"))
        .collect();
    assert_eq!(pending, absent_expected);
    for name in [
        "messages.ticket_id_1",
        "messages.ticket_id_1_created_at_-1",
        "timesheets.user_id_1_year_1_kw_1",
    ] {
        assert!(pending.contains(name), "{name} not pending: {pending:?}");
    }
    for f in findings
        .iter()
        .filter(|f| f["kind"] == "pending_collection")
    {
        assert_eq!(f["severity"], "info", "{f}");
        assert!(
            f["fix"].is_null() && f["fix_commands"] == serde_json::json!([]),
            "{f}"
        );
        assert!(
            f["message"]
                .as_str()
                .unwrap()
                .contains("will be needed when the collection appears"),
            "{f}"
        );
    }

    let human = fx.run(&["db", "indexes"]);
    assert_success(&human, "db indexes");
    let text = stdout(&human);
    for needle in [
        "WARNING [Scandy defect] Scandy created none of its indexes (43 missing",
        "[missing] tools: expected index department_1_barcode_1",
        "fix: db.tools.createIndex({department: 1, barcode: 1}, {name: \"department_1_barcode_1\", unique: true, sparse: true})",
        "44 findings (44 warnings):",
        "will be needed when the collection appears (11 indexes; not a problem",
        "  messages: created_at_1, ticket_id_1, ticket_id_1_created_at_-1",
        "  timesheets: kw_1, user_id_1, user_id_1_year_1_kw_1, year_1",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    for absent in [
        "[missing] messages",
        "[missing] timesheets",
        "system_locks:",
    ] {
        assert!(!text.contains(absent), "{absent} in:\n{text}");
    }
    let tools_only = fx.run(&["db", "indexes", "--collection", "tools"]);
    let tools_text = stdout(&tools_only);
    assert!(tools_text.contains("[Scandy defect]"), "{tools_text}");
    assert!(!tools_text.contains("[missing] users"), "{tools_text}");

    // --create-missing creates exactly the missing ones, and no collection.
    let created = json_of(&fx, &["db", "indexes", "--create-missing", "--json"]);
    let created_names: BTreeSet<String> = created["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(created_names, existing_expected);
    let skipped: BTreeSet<String> = created["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(skipped, absent_expected);
    assert_eq!(collection_names(&db).await, FRESH_INSTALL.map(String::from));
    for name in FRESH_INSTALL {
        let mut want: Vec<String> = expected
            .iter()
            .filter(|(c, _)| c == name)
            .map(|(_, i)| i.clone())
            .collect();
        want.push("_id_".into());
        want.sort();
        assert_eq!(index_names(&db, name).await, want, "{name}");
    }
    assert!(findings_of_kind(&created, "missing_expected").is_empty());
    assert!(findings_of_kind(&created, "scandy_index_defect").is_empty());
    assert_eq!(
        findings_of_kind(&created, "pending_collection"),
        absent_expected
    );

    let again = fx.run(&["db", "indexes", "--create-missing"]);
    assert_success(&again, "db indexes --create-missing");
    let text = stdout(&again);
    for needle in [
        "no expected index of an existing collection was missing; nothing created",
        "skipped 11 indexes of collections that do not exist yet",
        "no index problems found",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
    assert_eq!(collection_names(&db).await, FRESH_INSTALL.map(String::from));
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_due_date_is_a_string_date_and_its_fix_makes_it_null() {
    let fx = Fixture::new("db_fresh_due_date").await;
    let client = common::client().await;
    let db = client.database(&fx.database);
    fresh_install(&db).await;
    let tickets = db.collection::<Document>("tickets");
    let id_of = |number: &'static str| {
        let tickets = tickets.clone();
        async move {
            tickets
                .find_one(doc! { "ticket_number": number })
                .await
                .unwrap()
                .unwrap()
                .get_object_id("_id")
                .unwrap()
        }
    };
    let empty = id_of("2026-0001").await;

    let out = fx.run(&["db", "health", "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let checks = report["checks"].as_array().unwrap();
    let strings = find(&report["checks"], |c| c["id"] == "string-types").unwrap();
    assert_eq!(strings["state"], "findings", "{strings}");
    assert_eq!(strings["count"], 2, "{strings}");
    let example = format!(
        "tickets {} (Bohrer stumpf): due_date \"\" is an empty string",
        empty.to_hex()
    );
    assert!(
        strings["examples"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == example.as_str()),
        "{example} not in {strings}"
    );
    let problems: Vec<&str> = checks
        .iter()
        .filter(|c| c["state"] == "findings" && c["informational"] == false)
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        problems,
        ["string-types"],
        "only the string dates are a problem"
    );

    let text = stdout(&fx.run(&["db", "health"]));
    for needle in [
        "[string-types]: 2",
        &example,
        "fix (scandyctl db health --fix string-types): convert date strings",
        "empty strings become null",
        "db.tickets.updateMany({ due_date: { $type: \"string\" } }",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }

    let fixed = fx.run(&["db", "health", "--fix", "string-types", "--yes"]);
    assert_success(&fixed, "db health --fix string-types --yes");
    assert!(
        stdout(&fixed).contains("string-types: modified 2 document(s)"),
        "{}",
        stdout(&fixed)
    );
    let due = |number: &'static str| {
        let tickets = tickets.clone();
        async move {
            tickets
                .find_one(doc! { "ticket_number": number })
                .await
                .unwrap()
                .unwrap()
                .get("due_date")
                .cloned()
        }
    };
    assert_eq!(
        due("2026-0001").await,
        Some(Bson::Null),
        "empty string → null"
    );
    let parsed = chrono::NaiveDate::from_ymd_opt(2026, 12, 15)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap();
    assert_eq!(
        due("2026-0002").await,
        Some(Bson::DateTime(DateTime::from_millis(
            parsed.and_utc().timestamp_millis()
        ))),
        "a real date string becomes that date"
    );
    let clean = fx.run(&["db", "health"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
}
