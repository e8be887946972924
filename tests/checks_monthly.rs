//! The monthly checklist's items run through `run_item` on generated installs (files in
//! tempdirs, the real test MongoDB, a real backup set): each passing and failing with the
//! exact evidence.

mod backup_support;
#[path = "checks_monthly/backups.rs"]
mod backups;
mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;

use backup_support::SECRET;
use chrono::{Duration, Local, Utc};
use mongodb::bson::{Document, doc};
use scandyctl::checks::model::{ItemDef, ItemResult, Severity};
use scandyctl::checks::monthly::{self, monthly_items};
use scandyctl::checks::performance::NO_HISTORY;
use scandyctl::checks::run::{CheckContext, run_item};
use scandyctl::checks::security_files::{group_name, user_name};
use scandyctl::checks::settings::ChecklistSettings;
use scandyctl::checks::state::ChecklistsState;
use scandyctl::config::Config;
use scandyctl::i18n::Lang;
use scandyctl::system::sample_log::{HistoryPoint, append_point};
use tempfile::TempDir;

/// An install at `<dir>/scandy` with its database `database` on the test server.
fn context(dir: &TempDir, database: &str) -> CheckContext {
    let root = dir.path().join("scandy");
    std::fs::create_dir_all(&root).unwrap();
    let mut config = Config::default();
    config.scandy.root = root;
    config.mongo.uri = common::test_mongo().uri.clone();
    config.mongo.database = database.to_string();
    config.backup.dir = dir.path().join("backups");
    CheckContext {
        config,
        config_file: None,
        state_dir: dir.path().join("state"),
        settings: ChecklistSettings {
            mongod_conf: dir.path().join("mongod.conf"),
            ..ChecklistSettings::default()
        },
        lang: Lang::En,
    }
}

/// The monthly item `id`.
fn def(id: &str) -> ItemDef {
    monthly_items()
        .into_iter()
        .find(|d| d.id == id)
        .unwrap_or_else(|| panic!("no monthly item {id}"))
}

/// Runs the monthly item `id` like the checklist does.
async fn run(ctx: &CheckContext, id: &str) -> ItemResult {
    let result = run_item(ctx, &def(id), &ChecklistsState::default())
        .await
        .result;
    assert_eq!(result.id, id);
    result
}

/// Writes `text` to `rel` under the install root.
fn write(ctx: &CheckContext, rel: &str, text: &str) -> PathBuf {
    let path = ctx.config.scandy.root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// A security.log line `days` ago with a Python dict repr of the event.
fn security_line(days: i64, level: &str, event: &str) -> String {
    let at = Local::now().naive_local() - Duration::days(days);
    format!(
        "{} - scandy.security - {level} - SECURITY_EVENT: {event}\n",
        at.format("%Y-%m-%d %H:%M:%S,123")
    )
}

fn failed(days: i64, user: &str, ip: &str) -> String {
    security_line(
        days,
        "WARNING",
        &format!("{{'event_type': 'login_failed', 'user': '{user}', 'ip': '{ip}'}}"),
    )
}

#[tokio::test]
async fn failed_logins_are_counted_by_address_and_user_across_rotations() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&dir, "unused");
    let mut current = String::new();
    for n in 0..10 {
        current.push_str(&failed(
            1 + n % 5,
            if n < 6 { "admin" } else { "max" },
            "10.0.0.9",
        ));
    }
    current.push_str(&security_line(
        2,
        "INFO",
        "{'event_type': 'login_success', 'user': 'admin', 'ip': '127.0.0.1'}",
    ));
    current.push_str(&security_line(
        3,
        "CRITICAL",
        "{'event_type': 'brute_force', 'ip': '10.0.0.9'}",
    ));
    current.push_str(&failed(40, "admin", "10.9.9.9"));
    let path = write(&ctx, "logs/security.log", &current);
    let rotated = format!(
        "{}{}",
        failed(20, "admin", "127.0.0.1"),
        failed(25, "admin", "127.0.0.1")
    );
    write(&ctx, "logs/security.log.1", &rotated);

    let result = run(&ctx, monthly::FAILED_LOGINS_ID).await;
    assert_eq!(result.severity, Severity::Warning, "{result:#?}");
    assert_eq!(
        result.summary,
        "12 failed logins in 30 days; 10 or more failures from 10.0.0.9"
    );
    assert_eq!(
        result.evidence,
        vec![
            format!("{}: last 30 days", path.display()),
            "failed logins: 12".to_string(),
            "failed logins from 10.0.0.9: 10".to_string(),
            "failed logins from 127.0.0.1: 2".to_string(),
            "failed logins for admin: 8".to_string(),
            "failed logins for max: 4".to_string(),
            "event brute_force: 1".to_string(),
            "critical events: 1".to_string(),
        ]
    );
    let worst = result
        .perf
        .iter()
        .find(|p| p.label == "failed_logins_max_ip")
        .unwrap();
    assert_eq!(worst.value, 10.0);

    let quiet = tempfile::tempdir().unwrap();
    let ctx = context(&quiet, "unused");
    write(
        &ctx,
        "logs/security.log",
        &format!(
            "{}{}",
            failed(1, "max", "10.0.0.9"),
            failed(2, "max", "10.0.0.8")
        ),
    );
    let result = run(&ctx, monthly::FAILED_LOGINS_ID).await;
    assert_eq!(result.severity, Severity::Ok, "{result:#?}");
    assert_eq!(
        result.summary,
        "2 failed logins in 30 days, fewer than 10 from any address or for any user"
    );
    assert_eq!(
        result.evidence[2..],
        [
            "failed logins from 10.0.0.8: 1",
            "failed logins from 10.0.0.9: 1",
            "failed logins for max: 2"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_accounts_are_listed_and_accounts_never_used_found() {
    let dir = tempfile::tempdir().unwrap();
    let database = common::unique_db_name("checks_accounts");
    let ctx = context(&dir, &database);
    let user = |name: &str, role: &str, last_login: bool, active: bool| {
        let mut d = doc! { "username": name, "role": role, "is_active": active, "password_hash": "scrypt:x" };
        if last_login {
            d.insert("last_login", mongodb::bson::DateTime::now());
        }
        d
    };
    common::client()
        .await
        .database(&database)
        .collection::<Document>("users")
        .insert_many([
            user("admin", "admin", true, true),
            user("petra", "admin", false, true),
            user("notfall", "admin", false, true),
            user("max", "mitarbeiter", false, true),
            user("lea", "teilnehmer", false, true),
            user("alt", "anwender", false, false),
        ])
        .await
        .unwrap();
    let log = write(
        &ctx,
        "logs/user_actions.log",
        "2026-11-02 08:00:00,000 - scandy.user_actions - INFO - USER_ACTION: login - User: petra - Details: {'ip': '10.0.0.5'}\n\
         2026-11-02 08:05:00,000 - scandy.user_actions - INFO - USER_ACTION: logout - User: max - Details: {}\n",
    );
    let result = run(&ctx, monthly::ACCOUNTS_ID).await;
    assert_eq!(result.severity, Severity::Warning, "{result:#?}");
    assert_eq!(
        result.summary,
        "3 admin accounts; admin accounts never used: notfall"
    );
    assert_eq!(
        result.evidence,
        vec![
            "admin accounts (3): admin, notfall, petra".to_string(),
            format!(
                "never used = no last_login in users and no 'USER_ACTION: login - User: NAME' line in {} (1 users logged in there)",
                log.display()
            ),
            "never used (3): lea (teilnehmer), max (mitarbeiter), notfall (admin)".to_string(),
            "inactive accounts (not counted): 1".to_string(),
        ]
    );
}

#[tokio::test]
async fn env_mode_and_owner() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&dir, "unused");
    let env = write(&ctx, ".env", &format!("SECRET_KEY={SECRET}\n"));
    let meta = std::fs::metadata(&env).unwrap();
    let owner = format!("{}:{}", user_name(meta.uid()), group_name(meta.gid()));
    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o644)).unwrap();
    let result = run(&ctx, monthly::ENV_MODE_ID).await;
    assert_eq!(result.severity, Severity::Failed, "{result:#?}");
    assert_eq!(
        result.summary,
        format!(
            "{} is readable by every user of this machine (mode 0644)",
            env.display()
        )
    );
    assert_eq!(
        result.evidence,
        vec![format!("-rw-r--r-- {owner} {}", env.display())]
    );

    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o620)).unwrap();
    let result = run(&ctx, monthly::ENV_MODE_ID).await;
    assert_eq!(result.severity, Severity::Failed, "{result:#?}");
    assert_eq!(
        result.evidence,
        vec![format!("-rw--w---- {owner} {}", env.display())]
    );

    std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o600)).unwrap();
    let result = run(&ctx, monthly::ENV_MODE_ID).await;
    assert_eq!(result.severity, Severity::Ok, "{result:#?}");
    assert_eq!(
        result.evidence,
        vec![format!("-rw------- {owner} {}", env.display())]
    );
    assert!(!format!("{result:?}").contains(SECRET));
}

#[tokio::test]
async fn the_emergency_admin_switch_fails_and_nothing_else_of_env_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&dir, "unused");
    let env = write(
        &ctx,
        ".env",
        &format!(
            "SECRET_KEY={SECRET}\nENABLE_EMERGENCY_ADMIN=true\nMONGO_INITDB_ROOT_PASSWORD={SECRET}\n"
        ),
    );
    let result = run(&ctx, monthly::EMERGENCY_ADMIN_ID).await;
    assert_eq!(result.severity, Severity::Failed, "{result:#?}");
    assert_eq!(
        result.summary,
        format!(
            "ENABLE_EMERGENCY_ADMIN is on in {}: the emergency admin login is open",
            env.display()
        )
    );
    assert_eq!(
        result.evidence,
        vec![format!("ENABLE_EMERGENCY_ADMIN=true in {}", env.display())]
    );
    assert!(
        !format!("{result:?}").contains(SECRET),
        "a secret was shown"
    );

    write(
        &ctx,
        ".env",
        &format!("SECRET_KEY={SECRET}\nENABLE_EMERGENCY_ADMIN=False\n"),
    );
    let result = run(&ctx, monthly::EMERGENCY_ADMIN_ID).await;
    assert_eq!(result.severity, Severity::Ok, "{result:#?}");
    assert_eq!(result.summary, "ENABLE_EMERGENCY_ADMIN is off");

    write(&ctx, ".env", &format!("SECRET_KEY={SECRET}\n"));
    let result = run(&ctx, monthly::EMERGENCY_ADMIN_ID).await;
    assert_eq!(result.severity, Severity::Ok);
    assert_eq!(result.summary, "ENABLE_EMERGENCY_ADMIN is not set (off)");
}

#[tokio::test]
async fn mongodb_bound_beyond_loopback_without_authorization_fails() {
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = context(&dir, "scandy");
    ctx.config.mongo.uri = "mongodb://localhost:27017/scandy".into();
    let conf = ctx.settings.mongod_conf.clone();
    std::fs::write(
        &conf,
        "storage:\n  dbPath: /var/lib/mongodb\nnet:\n  port: 27017\n  bindIp: 0.0.0.0\n",
    )
    .unwrap();
    let result = run(&ctx, monthly::MONGO_EXPOSURE_ID).await;
    assert_eq!(result.severity, Severity::Failed, "{result:#?}");
    assert_eq!(
        result.summary,
        "mongod listens beyond loopback without authentication: anyone on the network can read and change Scandy's data"
    );
    assert_eq!(
        result.evidence,
        vec![
            format!("{}: net.bindIp: 0.0.0.0", conf.display()),
            format!(
                "{}: security.authorization not set (no authentication)",
                conf.display()
            ),
            "connection string mongodb://localhost:27017/scandy (no credentials)".to_string(),
        ]
    );

    std::fs::write(&conf, "net:\n  port: 27017\n  bindIp: 127.0.0.1\n").unwrap();
    let result = run(&ctx, monthly::MONGO_EXPOSURE_ID).await;
    assert_eq!(result.severity, Severity::Ok, "{result:#?}");
    assert_eq!(result.summary, "mongod listens on loopback only");
    assert_eq!(
        result.evidence[0],
        format!("{}: net.bindIp: 127.0.0.1", conf.display())
    );

    std::fs::write(
        &conf,
        "net:\n  bindIp: 0.0.0.0\nsecurity:\n  authorization: enabled\n",
    )
    .unwrap();
    assert_eq!(
        run(&ctx, monthly::MONGO_EXPOSURE_ID).await.severity,
        Severity::Info
    );
}

#[tokio::test]
async fn a_compose_file_publishing_27017_without_a_root_user_fails() {
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = context(&dir, "scandy");
    ctx.config.scandy.kind = "docker-compose".into();
    ctx.config.mongo.uri = "mongodb://admin:Geheim-Passwort@scandy-mongodb:27017/scandy".into();
    let compose = write(
        &ctx,
        "docker-compose.yml",
        "services:\n  scandy-mongodb:\n    image: mongo:7\n    ports:\n      - \"27017:27017\"\n  scandy-app:\n    ports:\n      - \"5000:5000\"\n",
    );
    let result = run(&ctx, monthly::MONGO_EXPOSURE_ID).await;
    assert_eq!(result.severity, Severity::Failed, "{result:#?}");
    assert_eq!(
        result.evidence,
        vec![
            format!(
                "{}: ports 27017:27017 (published on every address)",
                compose.display()
            ),
            format!(
                "{}: no MONGO_INITDB_ROOT_USERNAME (no authentication)",
                compose.display()
            ),
            "connection string mongodb://admin:***@scandy-mongodb:27017/scandy (with credentials)"
                .to_string(),
        ]
    );
    assert!(!format!("{result:?}").contains("Geheim-Passwort"));
    write(
        &ctx,
        "docker-compose.yml",
        "services:\n  scandy-mongodb:\n    image: mongo:7\n    environment:\n      MONGO_INITDB_ROOT_USERNAME: admin\n    ports:\n      - \"127.0.0.1:27017:27017\"\n",
    );
    let result = run(&ctx, monthly::MONGO_EXPOSURE_ID).await;
    assert_eq!(result.severity, Severity::Ok, "{result:#?}");
    assert_eq!(
        result.evidence[0],
        format!(
            "{}: ports 127.0.0.1:27017:27017 (published on 127.0.0.1)",
            compose.display()
        )
    );
}

/// A history point `minutes` before now.
fn point(minutes: i64, healthy: bool, cpu: f32, memory: f32, data: Option<u64>) -> HistoryPoint {
    HistoryPoint {
        at: Utc::now() - Duration::minutes(minutes),
        cpu_percent: cpu,
        memory_used_percent: memory,
        load1: None,
        health_ok: Some(healthy),
        health_ms: Some(if healthy { 20 } else { 3000 }),
        mongo_ok: Some(true),
        mongo_ms: Some(2),
        db_data_bytes: data,
        disk_used_percent: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn performance_from_the_recorded_history() {
    let dir = tempfile::tempdir().unwrap();
    let database = common::unique_db_name("checks_perf");
    let ctx = context(&dir, &database);
    for id in [monthly::HEALTH_ID, monthly::RESOURCES_ID] {
        let result = run(&ctx, id).await;
        assert_eq!(
            (result.severity, result.summary.as_str()),
            (Severity::Info, NO_HISTORY),
            "{id}"
        );
    }
    common::client()
        .await
        .database(&database)
        .collection::<Document>("tools")
        .insert_many(
            (0..50).map(|n| doc! { "name": format!("Werkzeug {n}"), "pad": "x".repeat(200) }),
        )
        .await
        .unwrap();
    // Ten points five minutes apart over the last hour: one /health outage.
    for n in 0..10 {
        let data = (n == 0).then_some(1000);
        append_point(
            &ctx.state_dir,
            &point(50 - n * 5, n != 4, 10.0 + n as f32, 40.0, data),
        )
        .unwrap();
    }
    append_point(
        &ctx.state_dir,
        &point(60 * 24 * 40, false, 99.0, 99.0, None),
    )
    .unwrap();

    let result = run(&ctx, monthly::HEALTH_ID).await;
    assert_eq!(result.severity, Severity::Failed, "{result:#?}");
    assert_eq!(
        result.summary,
        "/health up 90.0 % of the last 30 days' checks"
    );
    assert_eq!(
        result.evidence[1],
        "/health healthy in 9 of 10 checks: 90.0 %"
    );
    assert_eq!(
        result.evidence[2],
        "/health response time: average 318 ms, 95th percentile 3000 ms, slowest 3000 ms"
    );
    assert!(
        result.evidence[3].starts_with("unhealthy at "),
        "{:?}",
        result.evidence
    );
    assert_eq!(result.perf[0].value, 90.0);

    let result = run(&ctx, monthly::RESOURCES_ID).await;
    assert_eq!(result.severity, Severity::Ok, "{result:#?}");
    assert_eq!(
        result.summary,
        "CPU average 14.5 % (peak 19.0 %), memory average 40.0 % (peak 40.0 %)"
    );

    let result = run(&ctx, monthly::DATABASE_ID).await;
    assert_eq!(result.severity, Severity::Ok, "{result:#?}");
    assert!(
        result.evidence[0].starts_with("ping now: "),
        "{:?}",
        result.evidence
    );
    assert_eq!(
        result.evidence[2],
        "MongoDB answered 10 of 10 pings: 100.0 %"
    );
    assert_eq!(
        result.evidence[3],
        "pings in the history: average 2 ms, 95th percentile 2 ms, slowest 2 ms"
    );
    assert!(
        result.evidence[4].starts_with("data size now "),
        "{:?}",
        result.evidence
    );
    assert!(
        result.evidence[4].contains("; 1000 B on "),
        "{:?}",
        result.evidence
    );

    let result = run(&ctx, monthly::SLOW_OPERATIONS_ID).await;
    assert!(
        matches!(result.severity, Severity::Ok | Severity::Info),
        "{result:#?}"
    );
    if result.severity == Severity::Ok {
        assert!(
            result
                .summary
                .starts_with("no operation running 10 s or longer"),
            "{}",
            result.summary
        );
    } else {
        assert_eq!(
            result.summary,
            "currentOp not supported by this server: slow operations cannot be listed"
        );
    }
}

#[test]
fn every_monthly_item_is_automatic_with_both_languages() {
    let items = monthly_items();
    assert_eq!(items.len(), 12);
    for item in &items {
        assert!(item.is_automatic(), "{}", item.id);
        assert!(
            !item.fix.en.is_empty() && !item.fix.de.is_empty(),
            "{}",
            item.id
        );
        assert!(
            item.id.starts_with("SCY-SEC-") || item.id.starts_with("SCY-PRF-"),
            "{}",
            item.id
        );
    }
}
