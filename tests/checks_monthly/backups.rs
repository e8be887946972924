//! The monthly backup items: unencrypted sets are a warning; Scandy's own ZIPs (also
//! inside a weekly ZIP) carrying `config/.env` in clear fail.

use std::io::Write;
use std::path::Path;

use mongodb::bson::{RawDocumentBuf, doc};
use scandyctl::checks::model::Severity;
use scandyctl::checks::monthly;

use super::backup_support::{Fixture, SECRET};
use super::{context, run};

#[tokio::test(flavor = "multi_thread")]
async fn unencrypted_backups_are_a_warning() {
    let fx = Fixture::new("checks_encryption").await;
    let id = fx.backup();
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = context(&dir, &fx.database);
    ctx.config.scandy.root = fx.root.clone();
    ctx.config.backup.dir = fx.backups.clone();
    let result = run(&ctx, monthly::BACKUP_ENCRYPTION_ID).await;
    assert_eq!(result.severity, Severity::Warning, "{result:#?}");
    assert_eq!(
        result.summary,
        "backups are not encrypted: no [backup] recipients configured (1 sets in clear)"
    );
    assert_eq!(
        result.evidence,
        vec![
            "[backup] recipients: none (new backups are not encrypted)".to_string(),
            format!(
                "sets in {}: 1, encrypted: 0, not encrypted: 1",
                fx.backups.display()
            ),
            format!("not encrypted: {id}"),
        ]
    );
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Scandy's UnifiedBackupManager ZIP: a dump of `tools`, uploads and `config/.env` in clear.
fn scandy_dump_zip() -> Vec<u8> {
    let bson: Vec<u8> = [doc! { "name": "Bohrmaschine", "barcode": "100001" }]
        .iter()
        .flat_map(|d| RawDocumentBuf::from_document(d).unwrap().into_bytes())
        .collect();
    zip_of(&[
        ("mongodb/scandy/tools.bson.gz", &gzip(&bson)),
        ("media/tools/bohrer.png", b"\x89PNG bytes"),
        ("config/.env", format!("SECRET_KEY={SECRET}\n").as_bytes()),
        (
            "backup_metadata.json",
            br#"{"created_at": "2025-07-31T02:00:00"}"#,
        ),
    ])
}

#[tokio::test]
async fn old_backups_with_env_in_clear_fail() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = context(&dir, "scandy");
    let result = run(&ctx, monthly::BACKUP_SECRETS_ID).await;
    assert_eq!(result.severity, Severity::Ok, "{result:#?}");
    assert_eq!(result.summary, "no backup holds secrets in clear");

    let legacy = ctx.config.scandy.root.join("backups");
    std::fs::create_dir_all(&legacy).unwrap();
    let zip = legacy.join("scandy_backup_20250731_020000.zip");
    std::fs::write(&zip, scandy_dump_zip()).unwrap();
    let weekly = legacy.join("scandy_weekly_backup_20250803_030000.zip");
    std::fs::write(
        &weekly,
        zip_of(&[("scandy_backup_20250802_020000.zip", &scandy_dump_zip())]),
    )
    .unwrap();
    let result = run(&ctx, monthly::BACKUP_SECRETS_ID).await;
    assert_eq!(result.severity, Severity::Failed, "{result:#?}");
    assert_eq!(
        result.summary,
        "2 backups hold Scandy's secrets (.env) unencrypted"
    );
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap().display().to_string();
    let mut found: Vec<String> = result.evidence[..2].to_vec();
    found.sort();
    let mut expected = vec![
        format!("{}: config/.env in clear", canonical(&zip)),
        format!(
            "{}!scandy_backup_20250802_020000.zip: config/.env in clear",
            canonical(&weekly)
        ),
    ];
    expected.sort();
    assert_eq!(found, expected, "{:?}", result.evidence);
    assert!(
        !format!("{result:?}").contains(SECRET),
        "a secret was shown"
    );
}
