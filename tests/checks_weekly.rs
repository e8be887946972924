//! The weekly checklist's items run through `run_item` against generated installs on the
//! real test MongoDB: each passing and failing with the exact evidence.

mod backup_support;
mod common;
mod fresh_install_support;
#[path = "checks_weekly/restore_test.rs"]
mod restore_test;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use chrono::{Duration, Local};
use mongodb::Database;
use mongodb::bson::{Bson, DateTime, Document, doc, oid::ObjectId};
use scandyctl::checks::logrotate::{logrotate_rule, write_logrotate_rule};
use scandyctl::checks::model::{FollowUp, ItemDef, ItemResult, Severity};
use scandyctl::checks::run::{CheckContext, run_item};
use scandyctl::checks::settings::ChecklistSettings;
use scandyctl::checks::state::ChecklistsState;
use scandyctl::checks::weekly::{self, services_result, weekly_items};
use scandyctl::checks::weekly_db::compact_all;
use scandyctl::config::Config;
use scandyctl::datagen::{GenOptions, generate, seed};
use scandyctl::i18n::Lang;
use scandyctl::mongo::indexes::{expected_scandy_indexes, regular_collections};
use scandyctl::system::services::ServiceTarget;
use tempfile::TempDir;

/// A config for an install at `root` with `database` on the test server.
fn config_for(root: &Path, database: &str, backups: &Path) -> Config {
    let mut config = Config::default();
    config.scandy.root = root.to_path_buf();
    config.mongo.uri = common::test_mongo().uri.clone();
    config.mongo.database = database.to_string();
    config.backup.dir = backups.to_path_buf();
    config
}

/// A check context on `config` with its own state directory in `state`.
fn context(config: Config, state: &TempDir, settings: ChecklistSettings) -> CheckContext {
    CheckContext {
        config,
        config_file: None,
        state_dir: state.path().to_path_buf(),
        settings,
        lang: Lang::En,
    }
}

/// The weekly item `id`.
fn def(id: &str) -> ItemDef {
    weekly_items()
        .into_iter()
        .find(|d| d.id == id)
        .unwrap_or_else(|| panic!("no weekly item {id}"))
}

/// Runs the weekly item `id` like the checklist does.
async fn run(ctx: &CheckContext, id: &str) -> ItemResult {
    let result = run_item(ctx, &def(id), &ChecklistsState::default())
        .await
        .result;
    assert_eq!(result.id, id);
    result
}

/// A database on the test server with the generated data of `scale` (and Scandy's indexes).
async fn seeded(test: &str, scale: usize, legacy_barcode: bool) -> Database {
    let db = common::client()
        .await
        .database(&common::unique_db_name(test));
    let options = GenOptions {
        scale,
        now: Local::now().naive_local(),
        ..GenOptions::default()
    };
    seed(&db, &generate(&options), legacy_barcode)
        .await
        .expect("seed");
    db
}

/// A context on database `db` with an empty install in a tempdir.
fn db_context(db: &Database, dir: &TempDir) -> CheckContext {
    let config = config_for(
        &dir.path().join("scandy"),
        db.name(),
        &dir.path().join("backups"),
    );
    context(config, dir, ChecklistSettings::default())
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_passes_on_a_healthy_database() {
    let db = seeded("checks_validate", 15, false).await;
    let dir = tempfile::tempdir().unwrap();
    let result = run(&db_context(&db, &dir), weekly::VALIDATE_ID).await;
    let names = regular_collections(&db).await.unwrap();
    assert!(names.len() > 10, "{names:?}");
    assert_eq!(result.severity, Severity::Ok, "{result:#?}");
    assert_eq!(
        result.summary,
        format!("all {} collections valid", names.len())
    );
    assert_eq!(result.evidence.len(), names.len());
    for (line, name) in result.evidence.iter().zip(&names) {
        assert!(line.starts_with(&format!("{name}: valid")), "{line}");
    }
    assert_eq!(result.perf[0].label, "invalid_collections");
    assert_eq!(result.perf[0].value, 0.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_cannot_check_when_mongodb_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config_for(dir.path(), "scandy", dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    config.mongo.uri = format!("mongodb://scandy:Geheim123@127.0.0.1:{port}/");
    let ctx = context(config, &dir, ChecklistSettings::default());
    let result = run(&ctx, weekly::VALIDATE_ID).await;
    assert_eq!(result.severity, Severity::Unknown, "{result:#?}");
    assert!(
        result.summary.starts_with("could not check: "),
        "{}",
        result.summary
    );
    assert!(result.summary.contains("refused"), "{}", result.summary);
    assert!(
        !result.summary.contains("Geheim123"),
        "password shown: {}",
        result.summary
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn index_findings_name_the_missing_indexes_and_pass_with_them() {
    let db = common::client()
        .await
        .database(&common::unique_db_name("checks_idx_fresh"));
    fresh_install_support::fresh_install(&db).await;
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        def(weekly::INDEXES_ID).follow_up,
        Some(FollowUp::CreateIndexes)
    );
    let result = run(&db_context(&db, &dir), weekly::INDEXES_ID).await;
    assert_eq!(result.severity, Severity::Warning, "{result:#?}");
    let expected: Vec<String> = expected_scandy_indexes()
        .iter()
        .filter(|w| fresh_install_support::FRESH_INSTALL.contains(&w.collection.as_str()))
        .map(|w| format!("missing: {}.{} {}", w.collection, w.name, w.keys_string()))
        .collect();
    assert!(expected.len() > 5, "{expected:?}");
    assert!(
        expected.contains(
            &"missing: tools.department_1_barcode_1 {department: 1, barcode: 1}".to_string()
        ),
        "{expected:?}"
    );
    assert_eq!(
        result.summary,
        format!("{} of Scandy's indexes missing", expected.len())
    );
    assert!(
        result.evidence[0].starts_with(&format!(
            "Scandy created none of its indexes ({} missing",
            expected.len()
        )),
        "{:?}",
        result.evidence
    );
    let missing: Vec<&String> = result
        .evidence
        .iter()
        .filter(|l| l.starts_with("missing: "))
        .collect();
    assert_eq!(missing, expected.iter().collect::<Vec<_>>());

    let healthy = seeded("checks_idx_ok", 10, false).await;
    let result = run(&db_context(&healthy, &dir), weekly::INDEXES_ID).await;
    assert_eq!(result.severity, Severity::Ok, "{result:#?}");
    assert_eq!(
        result.summary,
        format!(
            "the indexes of {} are as Scandy expects them",
            healthy.name()
        )
    );

    let legacy = seeded("checks_idx_legacy", 10, true).await;
    let result = run(&db_context(&legacy, &dir), weekly::INDEXES_ID).await;
    assert_eq!(result.severity, Severity::Warning, "{result:#?}");
    assert_eq!(result.summary, "1 legacy unique barcode index");
    assert!(
        result.evidence[0].starts_with(
            "legacy: tools.barcode_1 {barcode: 1}: legacy unique index barcode_1 on tools"
        ),
        "{:?}",
        result.evidence
    );
}

/// A small hand-made dataset every health check passes on (`plant`: plus one tool marked
/// available while it is lent, and one tool without a department).
async fn health_dataset(db: &Database, plant: bool) {
    let now = Local::now().naive_local();
    let date = |days: i64| {
        Bson::DateTime(DateTime::from_millis(
            (now - Duration::days(days)).and_utc().timestamp_millis(),
        ))
    };
    let tool = |barcode: &str, status: &str| {
        doc! { "_id": ObjectId::new(), "name": format!("Werkzeug {barcode}"), "barcode": barcode,
        "status": status, "department": "Werkstatt", "created_at": date(100), "modified_at": date(10), "deleted": false }
    };
    let mut tools = vec![tool("100001", "ausgeliehen"), tool("100002", "verfügbar")];
    let mut lendings = vec![
        doc! { "_id": ObjectId::new(), "tool_barcode": "100001", "worker_barcode": "900001",
        "lent_at": date(3), "returned_at": Bson::Null, "created_at": date(3) },
    ];
    if plant {
        tools.push(tool("100003", "verfügbar"));
        lendings.push(
            doc! { "_id": ObjectId::new(), "tool_barcode": "100003", "worker_barcode": "900001",
            "lent_at": date(2), "returned_at": Bson::Null, "created_at": date(2) },
        );
        let mut homeless = tool("100004", "verfügbar");
        homeless.remove("department");
        tools.push(homeless);
    }
    let workers = vec![
        doc! { "_id": ObjectId::new(), "barcode": "900001", "firstname": "Anna", "lastname": "Schmidt",
        "department": "Werkstatt", "email": "", "created_at": date(300) },
    ];
    let users = vec![
        doc! { "_id": ObjectId::new(), "username": "admin", "password_hash": "scrypt:x", "role": "admin",
        "is_active": true, "created_at": date(200) },
    ];
    for (name, docs) in [
        ("tools", tools),
        ("lendings", lendings),
        ("workers", workers),
        ("users", users),
    ] {
        db.collection::<Document>(name)
            .insert_many(docs)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn data_health_warns_with_one_line_per_failing_check() {
    let dir = tempfile::tempdir().unwrap();
    let clean = common::client()
        .await
        .database(&common::unique_db_name("checks_health_ok"));
    health_dataset(&clean, false).await;
    let result = run(&db_context(&clean, &dir), weekly::DATA_HEALTH_ID).await;
    assert_eq!(result.severity, Severity::Ok, "{result:#?}");
    assert_eq!(
        result.summary,
        format!("all 6 checks passed on {}", clean.name())
    );
    assert!(result.evidence.is_empty(), "{:?}", result.evidence);

    let broken = common::client()
        .await
        .database(&common::unique_db_name("checks_health_bad"));
    health_dataset(&broken, true).await;
    let result = run(&db_context(&broken, &dir), weekly::DATA_HEALTH_ID).await;
    assert_eq!(result.severity, Severity::Warning, "{result:#?}");
    assert_eq!(
        result.summary,
        format!(
            "2 of 6 checks found problems in {}: tool-status, missing-fields",
            broken.name()
        )
    );
    assert_eq!(result.evidence.len(), 2, "{:?}", result.evidence);
    assert!(
        result.evidence[0].starts_with(
            "tool-status: 1 — Tool status matches the open lendings — fix: scandyctl db health --fix tool-status; e.g. tools "
        ),
        "{}",
        result.evidence[0]
    );
    assert!(
        result.evidence[0].contains("barcode 100003"),
        "{}",
        result.evidence[0]
    );
    assert!(
        result.evidence[1]
            .starts_with("missing-fields: 1 — Documents have department and created_at"),
        "{}",
        result.evidence[1]
    );
    assert!(
        result.evidence[1].contains("100004"),
        "{}",
        result.evidence[1]
    );
}

/// An install tree with `app/logs/app.log` (+ 3 rotations) and `logs/security.log`.
fn log_install(root: &Path) {
    let write = |rel: &str, bytes: usize| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "x".repeat(bytes)).unwrap();
    };
    write("app/logs/app.log", 10);
    for n in 1..=3 {
        write(&format!("app/logs/app.log.{n}"), 10);
    }
    write("logs/security.log", 7);
}

#[tokio::test]
async fn log_rotation_is_ok_with_a_covering_rule_and_warns_without() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("scandy");
    log_install(&root);
    let rules = dir.path().join("logrotate.d");
    std::fs::create_dir(&rules).unwrap();
    let settings = ChecklistSettings {
        logrotate_dir: rules.clone(),
        ..ChecklistSettings::default()
    };
    let config = config_for(&root, "scandy", &dir.path().join("backups"));
    let ctx = context(config.clone(), &dir, settings.clone());
    assert_eq!(
        def(weekly::LOGROTATE_ID).follow_up,
        Some(FollowUp::WriteLogrotate)
    );

    let app = root.join("app/logs/app.log").display().to_string();
    let security = root.join("logs/security.log").display().to_string();
    let result = run(&ctx, weekly::LOGROTATE_ID).await;
    assert_eq!(result.severity, Severity::Warning, "{result:#?}");
    assert_eq!(
        result.summary,
        format!(
            "2 of 2 log files are not covered by any logrotate rule in {}",
            rules.display()
        )
    );
    assert_eq!(
        result.evidence,
        vec![
            format!(
                "{app}: 10 B; rotated: app.log.1 … app.log.3 (3 files, 30 B); no logrotate rule"
            ),
            format!("{security}: 7 B; no rotated files; no logrotate rule"),
        ]
    );
    assert_eq!(result.perf[0].value, 47.0);

    let written = write_logrotate_rule(&config, &settings).expect("write the rule");
    assert_eq!(written, rules.join("scandy"));
    assert_eq!(
        std::fs::read_to_string(&written).unwrap(),
        logrotate_rule(&config)
    );
    assert_eq!(
        std::fs::metadata(&written).unwrap().permissions().mode() & 0o777,
        0o644
    );
    let text = logrotate_rule(&config);
    assert!(
        text.contains(&format!(
            "{}/app/logs/*.log {}/logs/*.log {{",
            root.display(),
            root.display()
        )),
        "{text}"
    );

    let result = run(&ctx, weekly::LOGROTATE_ID).await;
    assert_eq!(result.severity, Severity::Ok, "{result:#?}");
    assert_eq!(
        result.summary,
        "all 2 log files are covered by a logrotate rule"
    );
    let rule = written.display();
    assert_eq!(
        result.evidence,
        vec![
            format!(
                "{app}: 10 B; rotated: app.log.1 … app.log.3 (3 files, 30 B); rule {rule} ({}/app/logs/*.log)",
                root.display()
            ),
            format!(
                "{security}: 7 B; no rotated files; rule {rule} ({}/logs/*.log)",
                root.display()
            ),
        ]
    );

    let again = write_logrotate_rule(&config, &settings).unwrap_err();
    assert!(
        format!("{again:#}").contains(&format!("{rule} exists already")),
        "{again:#}"
    );
    let missing = ChecklistSettings {
        logrotate_dir: dir.path().join("no-such-dir"),
        ..ChecklistSettings::default()
    };
    let refused = write_logrotate_rule(&config, &missing).unwrap_err();
    assert!(
        format!("{refused:#}").contains("does not exist"),
        "{refused:#}"
    );
    assert!(!dir.path().join("no-such-dir").exists());
}

#[tokio::test]
async fn services_report_state_and_last_start() {
    let bin = tempfile::tempdir().unwrap();
    let script = |name: &str, body: &str| {
        let path = bin.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    script(
        "systemctl",
        "case \"$2\" in\n  scandy.service) printf 'ActiveState=active\\nSubState=running\\nActiveEnterTimestamp=Thu 2026-11-26 10:00:00 UTC\\nNRestarts=2\\nMainPID=4242\\nLoadState=loaded\\n' ;;\n  *) printf 'ActiveState=failed\\nSubState=failed\\nActiveEnterTimestamp=Fri 2026-11-27 08:30:00 UTC\\nNRestarts=5\\nMainPID=0\\nLoadState=loaded\\n' ;;\nesac",
    );
    let path = bin.path().as_os_str().to_owned();
    let now = "2026-12-10T12:00:00Z".parse().unwrap();
    let scandy = ServiceTarget::Systemd {
        unit: "scandy.service".into(),
    };
    let mongod = ServiceTarget::Systemd {
        unit: "mongod.service".into(),
    };
    let result = services_result("SCY-SVC-010", std::slice::from_ref(&scandy), &path, now).await;
    assert_eq!(result.severity, Severity::Ok, "{result:#?}");
    assert_eq!(result.summary, "all 1 services up");
    assert_eq!(
        result.evidence,
        vec!["scandy.service: active (running), since 2026-11-26 10:00 UTC, 2 restarts, pid 4242"]
    );
    let soon = "2026-11-28T12:00:00Z".parse().unwrap();
    let result = services_result("SCY-SVC-010", &[scandy.clone(), mongod], &path, soon).await;
    assert_eq!(result.severity, Severity::Failed, "{result:#?}");
    assert_eq!(result.summary, "1 of 2 services down: mongod.service");
    assert_eq!(
        result.evidence[1],
        "mongod.service: failed (failed), since 2026-11-27 08:30 UTC, 5 restarts"
    );

    let dir = tempfile::tempdir().unwrap();
    let ctx = context(
        config_for(dir.path(), "scandy", dir.path()),
        &dir,
        ChecklistSettings::default(),
    );
    let result = run(&ctx, weekly::SERVICES_ID).await;
    assert_eq!(result.severity, Severity::Info);
    assert_eq!(
        result.summary,
        "no services configured ([system] units / containers)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn compact_is_manual_and_an_unsupported_server_says_so_per_collection() {
    let compact = def(weekly::COMPACT_ID);
    assert_eq!(compact.follow_up, Some(FollowUp::Compact));
    assert!(!compact.is_automatic());
    let db = seeded("checks_compact", 5, false).await;
    let dir = tempfile::tempdir().unwrap();
    let ctx = db_context(&db, &dir);
    let names = regular_collections(&db).await.unwrap();
    let outcomes = compact_all(&ctx.config).await;
    assert_eq!(
        outcomes.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>(),
        names
    );
    for (name, outcome) in &outcomes {
        match outcome {
            Ok(report) => assert_eq!(&report.collection, name),
            Err(why) => assert_eq!(
                why, "command not supported by this server (nothing to do: it cannot compact)",
                "{name}"
            ),
        }
    }
}
