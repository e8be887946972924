//! `scandyctl db validate|compact|reindex` end to end and the maintenance engine
//! (`scandyctl::mongo::maintenance`) against the real test server (SecantusDB, or
//! `MONGODB_TEST_URI`).

mod backup_support;
mod common;

use backup_support::{Fixture, assert_no_secret, assert_success};
use mongodb::bson::{Document, doc};
use scandyctl::mongo::maintenance::{current_operations, kill_operation, validate_collection};
use scandyctl::mongo::stats::{Availability, UnavailableReason};
use serde_json::Value;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn both(out: &std::process::Output) -> String {
    format!("{}{}", stdout(out), String::from_utf8_lossy(&out.stderr))
}

/// Whether the test server presents itself as a replica set member.
async fn is_replica_set() -> bool {
    let hello = common::client()
        .await
        .database("admin")
        .run_command(doc! { "hello": 1 })
        .await
        .expect("hello");
    hello.get_str("setName").is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_reports_every_collection_valid() {
    let fx = Fixture::new("db_validate").await;
    let db = common::client().await.database(&fx.database);
    let out = fx.run(&["db", "validate"]);
    assert_success(&out, "db validate");
    let text = stdout(&out);
    assert!(text.contains("COLLECTION"), "{text}");
    assert!(!text.contains("INVALID"), "{text}");

    let out = fx.run(&["db", "validate", "--json"]);
    assert_success(&out, "db validate --json");
    let json: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["database"], fx.database.as_str());
    assert_eq!(json["invalid"], 0);
    let entries = json["collections"].as_array().expect("collections");
    let mut names = db.list_collection_names().await.unwrap();
    names.retain(|n| !n.starts_with("system."));
    assert_eq!(entries.len(), names.len(), "{json}");
    for entry in entries {
        assert_eq!(entry["result"]["state"], "available", "{entry}");
        assert_eq!(entry["result"]["value"]["valid"], true, "{entry}");
    }
    for name in ["tools", "workers"] {
        let count = db
            .collection::<Document>(name)
            .count_documents(doc! {})
            .await
            .unwrap();
        let entry = entries
            .iter()
            .find(|e| e["collection"] == name)
            .unwrap_or_else(|| panic!("{name} missing in {json}"));
        assert_eq!(entry["result"]["value"]["records"], count, "{entry}");
        assert!(count > 0, "{name} is empty");
        let row = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{text}"));
        assert!(
            row.contains("valid") && row.contains(&count.to_string()),
            "{row}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_one_collection_full_json() {
    let fx = Fixture::new("db_validate_full").await;
    let out = fx.run(&[
        "db",
        "validate",
        "--collection",
        "tools",
        "--full",
        "--json",
    ]);
    assert_success(&out, "db validate --collection tools --full --json");
    let json: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let entries = json["collections"].as_array().expect("collections");
    assert_eq!(entries.len(), 1, "{json}");
    let value = &entries[0]["result"]["value"];
    assert_eq!(value["collection"], "tools");
    assert_eq!(value["full"], true);
    assert_eq!(value["valid"], true);
    assert!(value["indexes"].as_u64().is_some_and(|n| n >= 1), "{value}");
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_unknown_collection_is_a_usage_error() {
    let fx = Fixture::new("db_validate_unknown").await;
    let out = fx.run(&["db", "validate", "--collection", "no_such_things"]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    let text = both(&out);
    assert!(text.contains("no_such_things"), "{text}");
    assert!(text.contains(&fx.database), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn compact_needs_confirmation_then_reports_support() {
    let fx = Fixture::new("db_compact").await;
    let out = fx.run(&["db", "compact", "--collection", "tools"]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    let text = both(&out);
    assert!(text.contains("needs a typed confirmation"), "{text}");
    assert!(!text.contains("compacted"), "{text}");
    assert_no_secret(&out);

    let out = fx.run(&["db", "compact", "--collection", "tools", "--yes"]);
    let text = both(&out);
    assert!(text.contains("blocks"), "warning missing: {text}");
    match out.status.code() {
        Some(1) => assert!(
            text.contains("compact is not supported by this server"),
            "{text}"
        ),
        Some(0) => assert!(text.contains("compacted"), "{text}"),
        other => panic!("unexpected exit {other:?}: {text}"),
    }
    assert_no_secret(&out);
}

#[tokio::test(flavor = "multi_thread")]
async fn compact_unknown_collection_is_a_usage_error() {
    let fx = Fixture::new("db_compact_unknown").await;
    let out = fx.run(&["db", "compact", "--collection", "nope", "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", both(&out));
    assert!(both(&out).contains("\"nope\""), "{}", both(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn reindex_is_refused_on_a_replica_set() {
    let fx = Fixture::new("db_reindex").await;
    let out = fx.run(&["db", "reindex", "--collection", "tools", "--yes"]);
    let text = both(&out);
    if is_replica_set().await {
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(text.contains("standalone"), "{text}");
        assert!(text.contains("6.0"), "{text}");
    } else {
        // MONGODB_TEST_URI may point at a standalone mongod: the gate lets it through.
        assert!(matches!(out.status.code(), Some(0 | 1)), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn current_operations_leave_out_current_op() {
    let client = common::client().await;
    let ops = match current_operations(&client).await.expect("currentOp") {
        Availability::Available { value } => value,
        Availability::Unavailable { reason } => panic!("currentOp unavailable: {reason}"),
    };
    for op in &ops {
        assert!(op.opid > 0, "{op:?}");
        assert!(!op.summary.starts_with("currentOp"), "{op:?}");
    }
    let secs: Vec<Option<u64>> = ops.iter().map(|o| o.secs_running).collect();
    let mut sorted = secs.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(secs, sorted, "not sorted by secs_running");
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_unknown_operation_is_answered() {
    let client = common::client().await;
    match kill_operation(&client, 999_999_999).await.expect("killOp") {
        Availability::Available { value } => {
            assert_eq!(value.opid, 999_999_999);
            if let Some(info) = value.info {
                assert!(!info.is_empty());
            }
        }
        Availability::Unavailable { reason } => panic!("killOp unavailable: {reason}"),
    }
}

/// A missing collection is `Ok(Unavailable(Other))` with the server's message naming
/// it (NamespaceNotFound), not an error: the console shows it like other refusals.
#[tokio::test(flavor = "multi_thread")]
async fn validate_missing_collection_is_unavailable() {
    let client = common::client().await;
    let db = client.database(&common::unique_db_name("validate_missing"));
    db.collection::<Document>("present")
        .insert_one(doc! { "a": 1 })
        .await
        .unwrap();
    match validate_collection(&db, "absent_coll", false).await {
        Ok(Availability::Unavailable {
            reason: UnavailableReason::Other(message),
        }) => assert!(message.contains("absent_coll"), "{message}"),
        other => panic!("expected Unavailable(Other), got {other:?}"),
    }
}
