//! Disaster drills for `scandyctl recover`: each starts from a seeded install with a
//! verified backup, causes the disaster, and checks that `recover --diagnose` names the
//! incident and `recover --auto --yes` restores exactly the backup's state of what was lost,
//! leaves the rest untouched, passes its verification and writes a report with the
//! timeline. (a) database dropped, (b) a collection emptied and another dropped,
//! (c) uploads deleted, (d) MongoDB stopped, (e) the newest set corrupted, (f) only a
//! legacy Scandy JSON backup.

mod backup_support;
mod common;
mod restore_support;

use std::path::Path;

use backup_support::{Fixture, assert_success, flip_byte};
use mongodb::bson::{Document, doc};
use restore_support::{current_phase, db_image, files_image, kill9, poll_until};
use scandyctl::mongo::local_server::{LocalMongoServer, python_for_tests};
use serde_json::Value;

/// A drill install: the fixture with a healthy web app stand-in (`extra` goes into
/// `[backup]`).
async fn drill_fixture(name: &str, extra: &str) -> Fixture {
    let fx = Fixture::new(name).await;
    configure(&fx, extra);
    fx
}

/// Writes the fixture's config with the stand-in's health URL.
fn configure(fx: &Fixture, extra: &str) {
    fx.write_config(&format!(
        "{extra}\n[web]\nhealth_url = \"{}\"",
        common::healthy_stand_in()
    ));
}

/// Runs `recover ARGS --json` and parses stdout.
fn recover_json(fx: &Fixture, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["recover"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = fx.run(&all);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "recover {args:?}: not JSON ({e}): {}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().unwrap_or(-1), value, stderr)
}

/// `recover --diagnose`: asserts exit 3 and returns the diagnosis.
fn diagnose_incident(fx: &Fixture) -> Value {
    let (code, d, stderr) = recover_json(fx, &["--diagnose"]);
    assert_eq!(code, 3, "diagnose must find an incident: {d:#}\n{stderr}");
    d
}

/// `recover --auto --yes`: asserts a verified recovery and returns the outcome.
fn auto_recover(fx: &Fixture, extra: &[&str]) -> Value {
    let mut args = vec!["--auto", "--yes"];
    args.extend_from_slice(extra);
    let (code, outcome, stderr) = recover_json(fx, &args);
    assert_eq!(code, 0, "recovery failed: {outcome:#}\n{stderr}");
    assert_eq!(outcome["outcome"], "recovered", "{outcome:#}");
    assert_eq!(outcome["verified"], true, "{outcome:#}");
    outcome
}

/// The report of `outcome`, checked for the sections and timeline every report has.
fn report_of(fx: &Fixture, outcome: &Value, incident: &str) -> String {
    let path = outcome["report"].as_str().expect("report path");
    assert!(
        path.starts_with(fx.dir.path().join("state").to_str().unwrap()),
        "report outside the state directory: {path}"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    for part in [
        "# Incident report",
        incident,
        "## Findings",
        "## Recovery point",
        "## Verification",
        "- Result: passed",
        "## Timeline",
        "step 3: Recovery point",
        "step 5: Restore",
        "restore finished",
        "verification passed",
    ] {
        assert!(text.contains(part), "report lacks {part:?}:\n{text}");
    }
    let html = Path::new(path).with_extension("html");
    assert!(html.is_file(), "no HTML report beside {path}");
    let log = std::fs::read_to_string(fx.dir.path().join("state/maintenance-log.jsonl"))
        .expect("maintenance log");
    assert!(
        log.contains(path),
        "maintenance log does not list {path}: {log}"
    );
    text
}

/// `recover --auto --yes`: asserts a refusal (exit 3) whose reason holds `why`; returns the
/// outcome and stderr.
fn refused_unattended(fx: &Fixture, why: &str) -> (Value, String) {
    let (code, outcome, stderr) = recover_json(fx, &["--auto", "--yes"]);
    assert_eq!(code, 3, "{outcome:#}");
    assert_eq!(outcome["outcome"], "refused");
    let reason = outcome["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(why), "{outcome:#}");
    (outcome, stderr)
}

fn incidents(d: &Value) -> Vec<String> {
    d["incidents"]
        .as_array()
        .expect("incidents")
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

async fn client(fx: &Fixture) -> mongodb::Client {
    mongodb::Client::with_uri_str(&fx.uri)
        .await
        .expect("client")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_database_is_restored_exactly() {
    let fx = drill_fixture("recover_a", "").await;
    let client = client(&fx).await;
    let id = fx.backup();
    let before = db_image(&client, &fx.database).await;
    let files_before = files_image(&fx.root);
    client.database(&fx.database).drop().await.unwrap();

    let d = diagnose_incident(&fx);
    assert_eq!(incidents(&d)[0], "database-lost", "{d:#}");
    assert_eq!(d["reference"]["id"], id.as_str());
    let text = fx.run(&["recover", "--diagnose"]);
    let shown = String::from_utf8_lossy(&text.stdout);
    assert_eq!(text.status.code(), Some(3), "{shown}");
    for part in [
        "[ FAIL ] SCY-REC-DATABASE",
        "Incident: Database lost [database-lost] (critical)",
        "Next: scandyctl recover --auto --yes",
    ] {
        assert!(shown.contains(part), "diagnosis lacks {part:?}:\n{shown}");
    }

    let outcome = auto_recover(&fx, &[]);
    assert_eq!(outcome["backup"], id.as_str());
    assert_eq!(outcome["restored"], "the whole database");
    let after = db_image(&client, &fx.database).await;
    assert_eq!(
        after.difference(&before),
        None,
        "database differs from the backup"
    );
    assert_eq!(files_image(&fx.root), files_before, "files were touched");
    let report = report_of(&fx, &outcome, "Database lost");
    assert!(report.contains(&id), "{report}");
    // A safety backup of the (empty) live database was taken first.
    assert!(report.contains("Safety backup: "), "{report}");

    // Healthy again: diagnose exits 0, and --auto has nothing to do.
    let (code, d, _) = recover_json(&fx, &["--diagnose"]);
    assert_eq!(code, 0, "{d:#}");
    let (code, outcome, _) = recover_json(&fx, &["--auto", "--yes"]);
    assert_eq!((code, outcome["outcome"].as_str()), (0, Some("healthy")));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_emptied_and_a_dropped_collection_come_back_and_the_rest_stays() {
    let fx = drill_fixture("recover_b", "").await;
    let client = client(&fx).await;
    let db = client.database(&fx.database);
    fx.backup();
    let backup = db_image(&client, &fx.database).await;
    // After the backup: a new lending (must survive), then the disaster.
    db.collection::<Document>("lendings")
        .insert_one(doc! { "note": "after the backup" })
        .await
        .unwrap();
    let emptied = db
        .collection::<Document>("tools")
        .delete_many(doc! {})
        .await
        .unwrap();
    assert!(emptied.deleted_count > 0);
    db.collection::<Document>("workers").drop().await.unwrap();
    let live_before = db_image(&client, &fx.database).await;

    let d = diagnose_incident(&fx);
    assert_eq!(incidents(&d)[0], "collections-lost", "{d:#}");
    let mut lost: Vec<&str> = d["lost_collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    lost.sort();
    assert_eq!(lost, ["tools", "workers"], "{d:#}");

    let outcome = auto_recover(&fx, &[]);
    assert_eq!(outcome["restored"], "collections tools, workers");
    let after = db_image(&client, &fx.database).await;
    for name in ["tools", "workers"] {
        assert_eq!(
            after.collections.get(name),
            backup.collections.get(name),
            "{name} differs from the backup"
        );
    }
    for (name, image) in &live_before.collections {
        if name != "tools" && name != "workers" {
            assert_eq!(
                after.collections.get(name),
                Some(image),
                "{name} was touched"
            );
        }
    }
    report_of(&fx, &outcome, "Collections lost or emptied");
}

#[tokio::test(flavor = "multi_thread")]
async fn deleted_uploads_come_back_and_changed_files_stay() {
    let fx = drill_fixture("recover_c", "").await;
    let client = client(&fx).await;
    fx.backup();
    let files_backup = files_image(&fx.root);
    let db_before = db_image(&client, &fx.database).await;
    // After the backup the log grows; then the uploads are deleted.
    let log = fx.root.join("app/logs/app.log");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str("2026-12-04 01:00:00,000 - INFO - after the backup\n");
    std::fs::write(&log, &text).unwrap();
    std::fs::remove_dir_all(fx.root.join("app/static/uploads")).unwrap();
    let files_live = files_image(&fx.root);

    let d = diagnose_incident(&fx);
    assert_eq!(incidents(&d), ["files-lost"], "{d:#}");
    assert_eq!(d["files"]["present"], 0);
    assert_eq!(d["files"]["expected"], 3);

    let outcome = auto_recover(&fx, &[]);
    assert_eq!(outcome["restored"], "the missing files");
    let after = files_image(&fx.root);
    for (path, entry) in &files_backup {
        if path.starts_with("app/static/uploads/") {
            assert_eq!(after.get(path), Some(entry), "{path} not restored exactly");
        }
    }
    for (path, entry) in &files_live {
        assert_eq!(after.get(path), Some(entry), "{path} was touched");
    }
    assert_eq!(
        db_image(&client, &fx.database).await.difference(&db_before),
        None,
        "the database was touched"
    );
    report_of(&fx, &outcome, "Files lost");
}

#[tokio::test(flavor = "multi_thread")]
async fn mongodb_stopped_is_diagnosed_and_not_restored_over() {
    if std::env::var("MONGODB_TEST_URI").is_ok_and(|u| !u.trim().is_empty()) {
        eprintln!("skipped: MONGODB_TEST_URI is set; this drill stops a private SecantusDB");
        return;
    }
    let python = python_for_tests(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("python");
    let storage = tempfile::Builder::new()
        .prefix("secantus-recover-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("storage dir");
    let server = LocalMongoServer::start(&python, storage.path(), &[]).expect("start");
    let fx = Fixture::with_server("recover_d", &server.uri(), 20).await;
    configure(&fx, "");
    fx.backup();
    let entries = fx.backup_dir_entries();
    drop(server);

    let d = diagnose_incident(&fx);
    assert_eq!(incidents(&d)[0], "mongo-down", "{d:#}");
    let finding = d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "SCY-REC-MONGO")
        .expect("mongo finding");
    assert_eq!(finding["level"], "failed");
    assert!(
        finding["evidence"]
            .to_string()
            .contains("systemctl status mongod"),
        "{finding:#}"
    );

    refused_unattended(&fx, "start it first");
    assert_eq!(
        fx.backup_dir_entries(),
        entries,
        "the backup directory changed"
    );
}

/// Credentials broken: a SecantusDB with `--auth` and a wrong password in the config.
#[tokio::test(flavor = "multi_thread")]
async fn broken_credentials_are_diagnosed_and_refused_unattended() {
    if std::env::var("MONGODB_TEST_URI").is_ok_and(|u| !u.trim().is_empty()) {
        eprintln!("skipped: MONGODB_TEST_URI is set; this drill needs a private SecantusDB");
        return;
    }
    const WRONG: &str = "wr0ng-Passw0rd";
    let python = python_for_tests(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("python");
    let storage = tempfile::Builder::new()
        .prefix("secantus-recover-auth-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("storage dir");
    let open = LocalMongoServer::start(&python, storage.path(), &[]).expect("start");
    let fx = Fixture::with_server("recover_auth", &open.uri(), 10).await;
    let admin = mongodb::Client::with_uri_str(open.uri()).await.unwrap();
    admin
        .database("admin")
        .run_command(doc! { "createUser": "scandy", "pwd": "right-pw", "roles": [{ "role": "root", "db": "admin" }] })
        .await
        .expect("createUser");
    admin.shutdown().await;
    let pid = open.pid();
    drop(open);
    let _ = poll_until(std::time::Duration::from_secs(20), || {
        (!Path::new(&format!("/proc/{pid}")).exists()).then_some(())
    });
    let mut server = None;
    for _ in 0..10 {
        match LocalMongoServer::start(&python, storage.path(), &["--auth", "--standalone"]) {
            Ok(s) => {
                server = Some(s);
                break;
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(500)),
        }
    }
    let server = server.expect("restart with --auth");
    let uri = format!(
        "mongodb://scandy:{WRONG}@127.0.0.1:{}/?authSource=admin",
        server.port()
    );
    fx.write_config_with_uri(&uri, "");

    let d = diagnose_incident(&fx);
    assert_eq!(incidents(&d)[0], "credentials-broken", "{d:#}");
    let text = d.to_string();
    assert!(text.contains("MONGO_INITDB_ROOT_PASSWORD"), "{d:#}");
    assert!(text.contains("docker compose down -v"), "{d:#}");
    let (outcome, stderr) = refused_unattended(&fx, "needs a human decision");
    for shown in [text, outcome.to_string(), stderr] {
        assert!(!shown.contains(WRONG), "password shown: {shown}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupted_newest_set_is_passed_over_for_the_previous_good_one() {
    let fx = drill_fixture("recover_e", "").await;
    let client = client(&fx).await;
    let db = client.database(&fx.database);
    let good = fx.backup();
    let at_good = db_image(&client, &fx.database).await;
    db.collection::<Document>("tools")
        .insert_one(doc! { "name": "Neue Säge" })
        .await
        .unwrap();
    let newest = fx.backup();
    let member = std::fs::read_dir(fx.set_dir(&newest))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("mongo.archive"))
        .expect("database member");
    flip_byte(&member);
    db.drop().await.unwrap();

    let d = diagnose_incident(&fx);
    assert_eq!(incidents(&d)[0], "database-lost", "{d:#}");

    let outcome = auto_recover(&fx, &[]);
    assert_eq!(outcome["backup"], good.as_str(), "{outcome:#}");
    let passed = &outcome["passed_over"][0];
    assert_eq!(passed["id"], newest.as_str(), "{outcome:#}");
    assert!(
        passed["reason"]
            .as_str()
            .unwrap()
            .contains("deep verify failed"),
        "{outcome:#}"
    );
    assert_eq!(
        db_image(&client, &fx.database).await.difference(&at_good),
        None,
        "the database is not the state of the good backup"
    );
    let report = report_of(&fx, &outcome, "Database lost");
    assert!(
        report.contains(&format!("Passed over {newest}")),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn only_a_legacy_json_backup_is_converted_and_restored() {
    use scandyctl::datagen::{GenOptions, generate, seed, to_scandy_json_v2};
    let fx = drill_fixture("recover_f", "").await;
    let client = client(&fx).await;
    let db = client.database(&fx.database);
    // The live database holds exactly what Scandy's JSON backup holds.
    db.drop().await.unwrap();
    let data = generate(&GenOptions {
        scale: 30,
        seed: 11,
        now: chrono::Local::now().naive_local(),
        ..GenOptions::default()
    });
    seed(&db, &data, false).await.unwrap();
    let counts_before = collection_counts(&db).await;
    let dir = fx.root.join("backups");
    std::fs::create_dir_all(&dir).unwrap();
    let created = chrono::Local::now().naive_local() - chrono::Duration::hours(2);
    let name = format!("scandy_backup_{}.json", created.format("%Y%m%d_%H%M%S"));
    let json = to_scandy_json_v2(&data, created);
    std::fs::write(dir.join(&name), serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    configure(&fx, "legacy_dirs = [\"backups\"]");
    db.collection::<Document>("tools").drop().await.unwrap();

    let d = diagnose_incident(&fx);
    assert_eq!(d["reference"]["source"], "legacy", "{d:#}");
    assert_eq!(incidents(&d)[0], "collections-lost", "{d:#}");

    let outcome = auto_recover(&fx, &[]);
    assert!(
        outcome["backup"].as_str().unwrap().starts_with("legacy-"),
        "{outcome:#}"
    );
    assert_eq!(collection_counts(&db).await, counts_before);
    let report = report_of(&fx, &outcome, "Collections lost or emptied");
    assert!(report.contains("converted into set"), "{report}");
}

/// `kill -9` of `recover --auto` in the staging and in the swap phase of its restore; the
/// next `recover --auto` resumes the same incident (the journal finished or undid the
/// restore) and ends with the backup's state, verified, and one report with both runs.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_unattended_recovery_resumes_and_finishes() {
    for (n, phase) in ["staging", "swap"].into_iter().enumerate() {
        let fx = drill_fixture(&format!("recover_kill_{n}"), "").await;
        let client = client(&fx).await;
        fx.backup();
        let before = db_image(&client, &fx.database).await;
        client.database(&fx.database).drop().await.unwrap();
        let mut child = fx
            .command(&["recover", "--auto", "--yes", "--json"])
            .env("SCANDYCTL_TEST_RESTORE_STEP_MS", "40")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn recover");
        let seen = poll_until(std::time::Duration::from_secs(120), || {
            (current_phase(&fx).as_deref() == Some(phase)).then_some(())
        });
        kill9(child.id());
        let _ = child.wait();
        assert!(seen.is_some(), "the restore never reached {phase}");
        let open = std::fs::read_to_string(fx.dir.path().join("state/recovery/current.json"))
            .expect("the wizard was saved before the kill");
        assert!(open.contains("\"running\""), "{open}");

        let outcome = auto_recover(&fx, &[]);
        let after = db_image(&client, &fx.database).await;
        assert_eq!(
            after.difference(&before),
            None,
            "killed in {phase}: database differs"
        );
        let report = report_of(&fx, &outcome, "Database lost");
        assert!(
            report.contains("the restore was interrupted; resumed by an unattended recovery"),
            "{report}"
        );
        assert_eq!(
            report.matches("step 1: Detection").count(),
            2,
            "one incident, detected twice: {report}"
        );
    }
}

async fn collection_counts(db: &mongodb::Database) -> Vec<(String, u64)> {
    let mut names = db.list_collection_names().await.unwrap();
    names.retain(|n| !n.starts_with("system."));
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let n = db
            .collection::<Document>(&name)
            .count_documents(doc! {})
            .await
            .unwrap();
        out.push((name, n));
    }
    out
}

#[test]
fn auto_needs_yes_and_diagnose_needs_no_server_to_answer() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        "[mongo]\nuri = \"mongodb://127.0.0.1:1\"\ndatabase = \"x\"\n[recovery]\ndrop_treshold = 5\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_scandyctl"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .env("SCANDYCTL_STATE_DIR", dir.path().join("state"))
            .env("HOME", dir.path())
            .output()
            .unwrap()
    };
    let out = run(&["recover", "--auto"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = run(&["recover", "--diagnose"]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text.contains("drop_treshold") && text.contains("c.toml"),
        "{text}"
    );
    assert_success(&run(&["recover", "--reports"]), "recover --reports");
}
