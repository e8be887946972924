//! Progress reports and cancellation of verify and export (the console runs them as
//! background jobs), on real sets made by the binary against the test MongoDB.

mod backup_support;
mod common;

use std::path::Path;
use std::sync::Mutex;

use backup_support::Fixture;
use scandyctl::backup::manifest::read_manifest;
use scandyctl::backup::portable::{export_set, export_set_with};
use scandyctl::backup::progress::{Cancelled, Progress, Stage, is_cancelled};
use scandyctl::backup::verify::{VerifyLevel, verify_set, verify_set_with};
use tokio_util::sync::CancellationToken;

/// Size of the incompressible upload that makes reading a set take several report intervals.
const BIG_UPLOAD: usize = 32 << 20;

/// A fixture with a set whose files member holds [`BIG_UPLOAD`] bytes that zstd cannot shrink.
async fn fixture_with_big_set(name: &str) -> (Fixture, String) {
    let fx = Fixture::new(name).await;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut data = vec![0u8; BIG_UPLOAD];
    for chunk in data.chunks_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
    }
    std::fs::write(fx.root.join("app/static/uploads/big.bin"), data).unwrap();
    let id = fx.backup();
    (fx, id)
}

/// Sum of the member sizes in the manifest of `set`.
fn member_bytes(set: &Path) -> u64 {
    read_manifest(set)
        .unwrap()
        .members
        .iter()
        .map(|m| m.size)
        .sum()
}

/// Names in `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Asserts one stage throughout, constant totals, counters that never go back, and a last
/// report at the byte total.
fn assert_monotonic(reports: &[Progress], stage: Stage) {
    assert!(
        reports.len() >= 2,
        "first and last report expected: {reports:?}"
    );
    let first = reports[0];
    assert_eq!((first.bytes, first.items), (0, 0), "{first:?}");
    for pair in reports.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert_eq!(b.stage, stage);
        assert!(b.bytes >= a.bytes && b.items >= a.items, "{a:?} then {b:?}");
        assert_eq!(
            (a.bytes_total, a.items_total),
            (b.bytes_total, b.items_total)
        );
        assert!(b.bytes <= b.bytes_total, "{b:?}");
    }
    let last = reports[reports.len() - 1];
    assert_eq!(last.bytes, last.bytes_total, "{last:?}");
    assert_eq!(last.fraction(), Some(1.0));
}

/// When to cancel, given the report just received.
type StopAt = Box<dyn Fn(&Progress) -> bool + Sync>;

/// Runs a verify that cancels from inside the progress callback at the first report `when`
/// accepts; returns the error and the reports seen.
fn verify_cancelled_when(
    set: &Path,
    level: VerifyLevel,
    when: impl Fn(&Progress) -> bool + Sync,
) -> (color_eyre::eyre::Report, Vec<Progress>) {
    let cancel = CancellationToken::new();
    let reports = Mutex::new(Vec::new());
    let progress = |p: Progress| {
        reports.lock().unwrap().push(p);
        if when(&p) {
            cancel.cancel();
        }
    };
    let err = verify_set_with(set, level, &[], &progress, &cancel)
        .expect_err("a cancelled verify must fail");
    (err, reports.into_inner().unwrap())
}

fn assert_cancelled(err: &color_eyre::eyre::Report) {
    assert!(err.is::<Cancelled>(), "{err:?}");
    assert!(is_cancelled(err));
    assert_eq!(err.to_string(), "cancelled");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_reports_monotonic_progress_ending_at_the_totals() {
    let (fx, id) = fixture_with_big_set("verify_progress").await;
    let set = fx.set_dir(&id);
    let sizes = member_bytes(&set);
    let members = read_manifest(&set).unwrap().members.len() as u64;

    let reports = Mutex::new(Vec::new());
    let progress = |p: Progress| reports.lock().unwrap().push(p);
    let never = CancellationToken::new();
    let started = std::time::Instant::now();
    let deep = verify_set_with(&set, VerifyLevel::Deep, &[], &progress, &never).unwrap();
    let elapsed = started.elapsed();
    assert!(deep.ok, "{:?}", deep.findings);
    let seen = std::mem::take(&mut *reports.lock().unwrap());
    assert_monotonic(&seen, Stage::Verify);
    assert!(
        seen.len() as u128 <= elapsed.as_millis() / 100 + 3,
        "at most ten reports a second: {} in {elapsed:?}",
        seen.len()
    );
    let last = seen[seen.len() - 1];
    assert_eq!(last.bytes_total, 2 * sizes, "deep reads every member twice");
    assert_eq!(last.items_total, 0);
    assert_eq!(
        last.items,
        deep.checked["documents"] + deep.checked["tar entries"],
        "deep items are documents plus tar entries"
    );

    let quick = verify_set_with(&set, VerifyLevel::Quick, &[], &progress, &never).unwrap();
    assert!(quick.ok, "{:?}", quick.findings);
    let seen = std::mem::take(&mut *reports.lock().unwrap());
    assert_monotonic(&seen, Stage::Verify);
    let last = seen[seen.len() - 1];
    assert_eq!((last.bytes_total, last.items_total), (sizes, members));
    assert_eq!(last.items, members, "quick items are members checked");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_verify_fails_with_cancelled_and_keeps_the_previous_record() {
    let (fx, id) = fixture_with_big_set("verify_cancel").await;
    let set = fx.set_dir(&id);
    let record = set.join("verify.json");
    let sizes = member_bytes(&set);

    // Never verified: a cancel at the first report leaves no record behind.
    assert!(!record.exists());
    for level in [VerifyLevel::Quick, VerifyLevel::Deep] {
        let (err, seen) = verify_cancelled_when(&set, level, |_| true);
        assert_cancelled(&err);
        assert_eq!(
            seen.len(),
            1,
            "nothing is reported after the cancel: {seen:?}"
        );
        assert!(
            !record.exists(),
            "{level:?} wrote a record although cancelled"
        );
    }

    // A record exists: cancels at the start, while hashing, in the deep pass and at the very
    // end all leave it byte for byte as it was.
    let first = verify_set(&set, VerifyLevel::Quick, &[]).unwrap();
    assert!(first.ok, "{:?}", first.findings);
    let before = std::fs::read(&record).unwrap();
    let points: [(&str, StopAt); 4] = [
        ("first report", Box::new(|_| true)),
        ("hashing", Box::new(|p| p.bytes > 0)),
        ("deep pass", Box::new(move |p| p.bytes > sizes)),
        ("last report", Box::new(|p| p.bytes == p.bytes_total)),
    ];
    for (point, when) in &points {
        let (err, seen) = verify_cancelled_when(&set, VerifyLevel::Deep, when);
        assert_cancelled(&err);
        assert!(seen.iter().all(|p| p.bytes <= p.bytes_total), "{seen:?}");
        assert_eq!(
            std::fs::read(&record).unwrap(),
            before,
            "a cancel at the {point} changed verify.json"
        );
    }
    // And a verify that is not cancelled still records its result.
    let deep = verify_set(&set, VerifyLevel::Deep, &[]).unwrap();
    assert!(deep.ok, "{:?}", deep.findings);
    assert_ne!(std::fs::read(&record).unwrap(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_export_leaves_no_file_and_no_temporary_file() {
    let (fx, id) = fixture_with_big_set("export_cancel").await;
    let out_dir = fx.dir.path().join("media");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("export.tar");
    for (point, stop_at) in [("first report", 0u64), ("copy", 1)] {
        let cancel = CancellationToken::new();
        let reports = Mutex::new(Vec::new());
        let progress = |p: Progress| {
            reports.lock().unwrap().push(p);
            if p.bytes >= stop_at {
                cancel.cancel();
            }
        };
        let err = export_set_with(&fx.backups, &id, &out, &progress, &cancel)
            .expect_err("a cancelled export must fail");
        assert_cancelled(&err);
        assert!(
            !out.exists(),
            "cancel at the {point} left {}",
            out.display()
        );
        assert!(
            entries(&out_dir).is_empty(),
            "cancel at the {point} left {:?} in {}",
            entries(&out_dir),
            out_dir.display()
        );
        let seen = reports.into_inner().unwrap();
        assert!(seen.iter().all(|p| p.stage == Stage::Export), "{seen:?}");
    }

    // Uncancelled: monotonic progress up to every byte of the set, one file, no leftovers.
    let reports = Mutex::new(Vec::new());
    let progress = |p: Progress| reports.lock().unwrap().push(p);
    let (path, size) =
        export_set_with(&fx.backups, &id, &out, &progress, &CancellationToken::new()).unwrap();
    assert_eq!(path, out);
    assert_eq!(size, std::fs::metadata(&out).unwrap().len());
    assert_eq!(entries(&out_dir), vec!["export.tar".to_string()]);
    let seen = reports.into_inner().unwrap();
    assert_monotonic(&seen, Stage::Export);
    let set = fx.set_dir(&id);
    let last = seen[seen.len() - 1];
    let set_bytes = member_bytes(&set)
        + std::fs::metadata(set.join("manifest.json")).unwrap().len()
        + std::fs::metadata(set.join("SHA256SUMS")).unwrap().len();
    assert_eq!(last.bytes_total, set_bytes);
    assert_eq!((last.items, last.items_total), (6, 6));
}

#[tokio::test(flavor = "multi_thread")]
async fn export_into_a_directory_writes_id_dot_tar() {
    let fx = Fixture::new("export_dir").await;
    let id = fx.backup();
    let media = fx.dir.path().join("usb");
    std::fs::create_dir(&media).unwrap();

    let (path, size) = export_set(&fx.backups, &id, &media).unwrap();
    let expected = media.join(format!("{id}.tar"));
    assert_eq!(path, expected);
    assert_eq!(size, std::fs::metadata(&expected).unwrap().len());
    assert_eq!(entries(&media), vec![format!("{id}.tar")]);
    let mut archive = tar::Archive::new(std::fs::File::open(&expected).unwrap());
    let names: Vec<String> = archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert_eq!(
        names[..2],
        [format!("{id}/manifest.json"), format!("{id}/SHA256SUMS")]
    );

    // The CLI prints where the file went.
    let other = fx.dir.path().join("usb2");
    std::fs::create_dir(&other).unwrap();
    let out = fx.run(&["export", &id, "--out", other.to_str().unwrap()]);
    backup_support::assert_success(&out, "export into a directory");
    let printed = String::from_utf8_lossy(&out.stdout);
    let written = other.join(format!("{id}.tar"));
    assert!(
        printed.starts_with(&written.display().to_string()),
        "{printed}"
    );
    assert!(written.is_file());

    // A directory where the file would go, or a missing directory, is refused clearly.
    let blocked = fx.dir.path().join("blocked");
    std::fs::create_dir_all(blocked.join(format!("{id}.tar"))).unwrap();
    let err = export_set(&fx.backups, &id, &blocked).unwrap_err();
    assert!(format!("{err:#}").contains("is a directory"), "{err:#}");
    let missing = format!("{}/", fx.dir.path().join("no-such-dir").display());
    let err = export_set(&fx.backups, &id, Path::new(&missing)).unwrap_err();
    assert!(format!("{err:#}").contains("no such directory"), "{err:#}");
    assert!(!fx.dir.path().join("no-such-dir").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelled_backup_dump_and_load_fail_with_cancelled() {
    use scandyctl::backup::create::{BackupRequest, create_backup};
    use scandyctl::backup::dump::{DumpOptions, dump_database};
    use scandyctl::backup::load::{LoadOptions, load_archive};
    use scandyctl::backup::manifest::BackupKind;

    let fx = Fixture::new("cancel_kinds").await;
    let mut config = scandyctl::config::Config::default();
    config.scandy.root = fx.root.clone();
    config.mongo.uri = fx.uri.clone();
    config.mongo.database = fx.database.clone();
    config.backup.dir = fx.backups.clone();
    let request = BackupRequest {
        kind: BackupKind::Full,
        parent: None,
        auto: false,
        scan: false,
        estimate_totals: false,
    };
    let cancel = CancellationToken::new();
    cancel.cancel();
    let err = create_backup(&config, &request, std::sync::Arc::new(|_| {}), cancel)
        .await
        .expect_err("a cancelled backup must fail");
    assert!(err.is::<Cancelled>() && is_cancelled(&err), "{err:?}");
    assert!(format!("{err:#}").contains("nothing was kept"), "{err:#}");
    assert!(
        fx.backup_dir_entries()
            .iter()
            .all(|name| name.starts_with('.')),
        "{:?}",
        fx.backup_dir_entries()
    );

    let client = common::client().await;
    let db = client.database(&fx.database);
    let cancel = CancellationToken::new();
    cancel.cancel();
    let err = dump_database(&db, Vec::new(), &DumpOptions::default(), |_| {}, cancel)
        .await
        .expect_err("a cancelled dump must fail");
    assert_cancelled(&err);

    let archive = dump_database_to_vec(&db).await;
    let to = client.database(&common::unique_db_name("cancel_kinds_load"));
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let opts = LoadOptions {
        batch_documents: 10,
        ..LoadOptions::default()
    };
    let err = load_archive(
        std::io::Cursor::new(archive),
        &to,
        &opts,
        move |_| trigger.cancel(),
        cancel,
    )
    .await
    .expect_err("a cancelled load must fail");
    assert_cancelled(&err);
}

/// The whole database as a mongodump archive in memory.
async fn dump_database_to_vec(db: &mongodb::Database) -> Vec<u8> {
    use scandyctl::backup::dump::{DumpOptions, dump_database_into};
    let (_, archive) = dump_database_into(
        db,
        Vec::new(),
        &DumpOptions::default(),
        |_| {},
        CancellationToken::new(),
    )
    .await
    .expect("dump");
    archive
}
