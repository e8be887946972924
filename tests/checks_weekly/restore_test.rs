//! The weekly restore test (`SCY-BKP-010`) on a real backup set: restored, compared and
//! dropped; failing on a damaged set and on counts that differ from the manifest; refusing
//! foreign and live databases.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use mongodb::bson::{Document, doc};
use scandyctl::checks::model::Severity;
use scandyctl::checks::run::CheckContext;
use scandyctl::checks::settings::ChecklistSettings;
use scandyctl::checks::weekly;
use scandyctl::i18n::Lang;

use super::backup_support::{Fixture, flip_byte};
use super::{common, config_for, run};

/// The state directory of this test binary: the restore engine writes its journal under
/// `$SCANDYCTL_STATE_DIR`, so it is set once, before any test restores.
fn process_state_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("checks-weekly-state-")
            .tempdir()
            .unwrap()
            .keep();
        // SAFETY: set once, under the OnceLock, before this binary's tests read it.
        unsafe { std::env::set_var("SCANDYCTL_STATE_DIR", &dir) };
        dir
    })
}

/// A fixture with a full backup, and a context whose scratch database is unique.
async fn restore_fixture(name: &str) -> (Fixture, String, CheckContext, String) {
    process_state_dir();
    let fx = Fixture::new(name).await;
    let id = fx.backup();
    let scratch = common::unique_db_name(&format!("{name}_scratch"));
    let settings = ChecklistSettings {
        restore_test_database: scratch.clone(),
        ..ChecklistSettings::default()
    };
    let config = config_for(&fx.root, &fx.database, &fx.backups);
    let ctx = CheckContext {
        config,
        config_file: None,
        state_dir: fx.dir.path().join("checks-state"),
        settings,
        lang: Lang::En,
    };
    (fx, id, ctx, scratch)
}

async fn database_exists(name: &str) -> bool {
    common::client()
        .await
        .list_database_names()
        .await
        .unwrap()
        .iter()
        .any(|n| n == name)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_restore_test_restores_compares_and_drops() {
    let (fx, id, ctx, scratch) = restore_fixture("checks_restore_ok").await;
    let manifest = fx.manifest(&id);
    let collections = manifest["database"]["collections"].as_array().unwrap();
    let documents: u64 = collections
        .iter()
        .map(|c| c["documents"].as_u64().unwrap())
        .sum();
    let result = run(&ctx, weekly::RESTORE_TEST_ID).await;
    assert_eq!(result.severity, Severity::Ok, "{result:#?}");
    assert_eq!(
        result.summary,
        format!(
            "{id} restored into {scratch}: {} collections, {documents} documents, as in the manifest",
            collections.len()
        )
    );
    assert!(
        result.evidence[0].starts_with(&format!("set {id} (full, taken ")),
        "{:?}",
        result.evidence
    );
    assert!(
        result.evidence[1].starts_with(&format!("restored into {scratch} in ")),
        "{:?}",
        result.evidence
    );
    assert_eq!(
        result.evidence[2],
        format!(
            "collections: {}, documents: {documents}, all as in the manifest",
            collections.len()
        )
    );
    assert_eq!(
        result.evidence[3],
        format!("scratch database {scratch} dropped")
    );
    assert!(
        !database_exists(&scratch).await,
        "the scratch database is left"
    );
    assert_eq!(result.perf[0].label, "restore_test_seconds");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_set_fails_the_restore_test_and_the_scratch_database_is_dropped() {
    let (fx, id, ctx, scratch) = restore_fixture("checks_restore_bad").await;
    let member = std::fs::read_dir(fx.set_dir(&id))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("mongo")
        })
        .expect("database member");
    flip_byte(&member);
    let result = run(&ctx, weekly::RESTORE_TEST_ID).await;
    assert_eq!(result.severity, Severity::Failed, "{result:#?}");
    assert_eq!(
        result.summary,
        format!("the restore of {id} into {scratch} failed")
    );
    assert!(
        result.evidence[1].starts_with("restore failed after "),
        "{:?}",
        result.evidence
    );
    assert!(
        result.evidence[1].contains("failed verification"),
        "{:?}",
        result.evidence
    );
    assert_eq!(
        result.evidence.last().unwrap(),
        &format!("scratch database {scratch} dropped")
    );
    assert!(
        !database_exists(&scratch).await,
        "the scratch database is left"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn counts_that_differ_from_the_manifest_fail_and_the_scratch_database_is_dropped() {
    let (fx, id, ctx, scratch) = restore_fixture("checks_restore_count").await;
    let path = fx.set_dir(&id).join("manifest.json");
    let mut manifest = fx.manifest(&id);
    let tools = manifest["database"]["collections"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["name"] == "tools")
        .expect("tools in the manifest");
    let real = tools["documents"].as_u64().unwrap();
    tools["documents"] = (real + 5).into();
    let text = serde_json::to_string_pretty(&manifest).unwrap();
    std::fs::write(&path, &text).unwrap();
    // Keep SHA256SUMS in step, so the set passes its quick verification and is restored.
    let sums = fx.set_dir(&id).join("SHA256SUMS");
    let sum = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()));
    let lines: Vec<String> = std::fs::read_to_string(&sums)
        .unwrap()
        .lines()
        .map(|l| match l.split_once("  ") {
            Some((_, "manifest.json")) => format!("{sum}  manifest.json"),
            _ => l.to_string(),
        })
        .collect();
    std::fs::write(&sums, lines.join("\n") + "\n").unwrap();
    let result = run(&ctx, weekly::RESTORE_TEST_ID).await;
    assert_eq!(result.severity, Severity::Failed, "{result:#?}");
    // The restore engine compares what it loads with the manifest and stops: the
    // restore test reports that failure.
    assert_eq!(
        result.summary,
        format!("the restore of {id} into {scratch} failed")
    );
    assert!(
        result.evidence[1].starts_with("restore failed after "),
        "{:?}",
        result.evidence
    );
    assert!(
        result.evidence[1].contains(&format!(
            "collection tools: the manifest says {} documents, the archive holds {real}",
            real + 5
        )),
        "{:?}",
        result.evidence
    );
    assert!(
        !database_exists(&scratch).await,
        "the scratch database is left"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_restore_test_refuses_foreign_and_live_databases_and_needs_a_backup() {
    let (_fx, _id, mut ctx, scratch) = restore_fixture("checks_restore_refuse").await;
    let client = common::client().await;
    client
        .database(&scratch)
        .collection::<Document>("tools")
        .insert_one(doc! { "name": "fremd" })
        .await
        .unwrap();
    let result = run(&ctx, weekly::RESTORE_TEST_ID).await;
    assert_eq!(result.severity, Severity::Unknown, "{result:#?}");
    assert_eq!(
        result.summary,
        format!(
            "refused: the scratch database {scratch} holds collections the restore test did not create (tools); choose another checklists.restore_test_database"
        )
    );
    let left = client
        .database(&scratch)
        .collection::<Document>("tools")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(left, 1, "foreign data was touched");
    client.database(&scratch).drop().await.unwrap();

    ctx.settings.restore_test_database = ctx.config.mongo.database.clone();
    let result = run(&ctx, weekly::RESTORE_TEST_ID).await;
    assert_eq!(result.severity, Severity::Unknown);
    assert!(result.summary.starts_with(&format!(
        "refused: checklists.restore_test_database is the Scandy database {}",
        ctx.config.mongo.database
    )));

    let empty = tempfile::tempdir().unwrap();
    ctx.settings.restore_test_database = scratch.clone();
    ctx.config.backup.dir = empty.path().to_path_buf();
    let result = run(&ctx, weekly::RESTORE_TEST_ID).await;
    assert_eq!(result.severity, Severity::Unknown);
    assert_eq!(
        result.summary,
        format!(
            "no backup to test: {} holds no good backup set",
            empty.path().display()
        )
    );
}
