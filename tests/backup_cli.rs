//! The backup commands end to end: the real binary against the real test MongoDB.

mod backup_support;
mod common;

use std::process::Stdio;
use std::time::Duration;

use backup_support::{
    Fixture, SECRET, assert_no_secret, assert_success, file_snapshot, flip_byte, index_summary,
    raw_dump,
};
use mongodb::bson::doc;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn full_backup_round_trips_every_byte_index_and_file() {
    let fx = Fixture::new("roundtrip").await;
    let id = fx.backup();
    assert!(id.starts_with("scandy-") && id.ends_with("-full"), "{id}");
    let set = fx.set_dir(&id);
    for member in [
        "manifest.json",
        "SHA256SUMS",
        "mongo.archive.zst",
        "files.tar.zst",
    ] {
        assert!(set.join(member).is_file(), "{member} missing");
    }
    // The checksum file is what `sha256sum -c` reads.
    let check = std::process::Command::new("sha256sum")
        .arg("-c")
        .arg("SHA256SUMS")
        .current_dir(&set)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // Secrets are skipped without encryption, and the manifest says so.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(set.join("manifest.json")).unwrap()).unwrap();
    let skipped = manifest["files"]["skipped"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s["item"].as_str().unwrap().ends_with(".env")),
        "{skipped:?}"
    );
    assert!(
        !std::fs::read_to_string(set.join("manifest.json"))
            .unwrap()
            .contains(SECRET)
    );

    assert_success(&fx.run(&["verify", &id]), "verify");
    let deep = fx.run(&["verify", &id, "--deep"]);
    assert_success(&deep, "verify --deep");
    assert!(stdout(&deep).contains("deep: ok"), "{}", stdout(&deep));
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(set.join("verify.json")).unwrap()).unwrap();
    assert_eq!(record["level"], "deep");
    assert_eq!(record["ok"], true);

    let target_db = common::unique_db_name("roundtrip_copy");
    let files_to = fx.dir.path().join("restored-files");
    let out = fx.run(&[
        "restore",
        &id,
        "--to-db",
        &target_db,
        "--files-to",
        files_to.to_str().unwrap(),
        "--yes",
    ]);
    assert_success(&out, "restore");
    assert!(
        !stdout(&out).contains("safety backup"),
        "no safety backup for --to-db + --files-to"
    );

    assert_eq!(
        raw_dump(&target_db).await,
        raw_dump(&fx.database).await,
        "documents differ"
    );
    let strip = |v: Vec<String>| {
        v.into_iter()
            .map(|l| l.split_once(' ').unwrap().1.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strip(index_summary(&target_db).await),
        strip(index_summary(&fx.database).await)
    );
    let original: Vec<_> = file_snapshot(&fx.root)
        .into_iter()
        .filter(|(p, ..)| p != ".env")
        .collect();
    assert_eq!(
        file_snapshot(&files_to),
        original,
        "files differ (content, mode or mtime)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn encrypted_sets_open_with_the_age_and_zstd_clis() {
    let fx = Fixture::new("encrypted").await;
    let key = fx.dir.path().join("key.txt");
    let keygen = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&key)
        .output()
        .unwrap();
    assert!(keygen.status.success());
    let public = std::fs::read_to_string(&key)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("# public key: ").map(str::to_string))
        .unwrap();
    fx.write_config(&format!(
        "recipients = [\"{public}\"]\nidentity = \"{}\"",
        key.display()
    ));
    let id = fx.backup();
    let set = fx.set_dir(&id);
    assert!(set.join("files.tar.zst.age").is_file() && set.join("mongo.archive.zst.age").is_file());
    // With encryption the .env goes in.
    let listing = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "age -d -i {} files.tar.zst.age | zstd -dc | tar tf -",
            key.display()
        ))
        .current_dir(&set)
        .output()
        .unwrap();
    assert!(
        listing.status.success(),
        "{}",
        String::from_utf8_lossy(&listing.stderr)
    );
    let names = String::from_utf8_lossy(&listing.stdout);
    assert!(names.lines().any(|l| l == ".env"), "{names}");
    assert!(names.contains("bohrmaschine.png"), "{names}");
    let archive = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "age -d -i {} mongo.archive.zst.age | zstd -dc | head -c 4 | od -An -tx1",
            key.display()
        ))
        .current_dir(&set)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&archive.stdout).trim(),
        "6d e2 99 81",
        "mongodump archive magic"
    );
    let manifest = std::fs::read_to_string(set.join("manifest.json")).unwrap();
    assert!(manifest.contains(&public) && !manifest.contains("AGE-SECRET-KEY"));
    assert_success(
        &fx.run(&["verify", &id, "--deep"]),
        "deep verify with identity",
    );
    // Without the identity a deep verify cannot read the members.
    fx.write_config(&format!("recipients = [\"{public}\"]"));
    let out = fx.run(&["verify", &id, "--deep"]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn flipped_and_truncated_members_fail_verification() {
    let fx = Fixture::new("corrupt").await;
    for member in ["mongo.archive.zst", "files.tar.zst", "manifest.json"] {
        let id = fx.backup();
        flip_byte(&fx.set_dir(&id).join(member));
        let out = fx.run(&["verify", &id]);
        assert_eq!(out.status.code(), Some(3), "{member}: {}", stdout(&out));
        assert!(
            stdout(&out).contains(member),
            "finding names {member}: {}",
            stdout(&out)
        );
        std::fs::remove_dir_all(fx.set_dir(&id)).unwrap();
    }
    // Truncated member.
    let id = fx.backup();
    let path = fx.set_dir(&id).join("mongo.archive.zst");
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let out = fx.run(&["verify", &id]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stdout(&out).contains("size"), "{}", stdout(&out));
    std::fs::remove_dir_all(fx.set_dir(&id)).unwrap();

    // A flipped byte whose checksums were "fixed" too passes the quick check but not --deep.
    for member in ["mongo.archive.zst", "files.tar.zst"] {
        let id = fx.backup();
        let set = fx.set_dir(&id);
        flip_byte(&set.join(member));
        rewrite_checksums(&set, member);
        assert_success(
            &fx.run(&["verify", &id]),
            "quick verify of forged checksums",
        );
        let out = fx.run(&["verify", &id, "--deep"]);
        assert_eq!(out.status.code(), Some(3), "{member}: {}", stdout(&out));
        std::fs::remove_dir_all(&set).unwrap();
    }
}

/// Recomputes the checksums of `member` in manifest.json and SHA256SUMS after tampering.
fn rewrite_checksums(set: &std::path::Path, member: &str) {
    use sha2::Digest;
    let hash =
        |path: &std::path::Path| hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()));
    let manifest_path = set.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    for entry in manifest["members"].as_array_mut().unwrap() {
        if entry["name"] == member {
            entry["sha256"] = hash(&set.join(member)).into();
        }
    }
    std::fs::write(
        &manifest_path,
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
    let names: Vec<String> = std::iter::once("manifest.json".to_string())
        .chain(
            manifest["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["name"].as_str().unwrap().to_string()),
        )
        .collect();
    let sums: String = names
        .iter()
        .map(|name| format!("{}  {name}\n", hash(&set.join(name))))
        .collect();
    std::fs::write(set.join("SHA256SUMS"), sums).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_backup_leaves_no_complete_looking_set() {
    let fx = Fixture::new("killed").await;
    for point in ["after-dump", "after-files", "before-rename"] {
        let mut child = fx
            .command(&["backup", "--type", "full"])
            .env("SCANDYCTL_TEST_PAUSE", point)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = child.stderr.take().unwrap();
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !String::from_utf8_lossy(&seen).contains("paused at") {
            let mut buf = [0u8; 256];
            let n = std::io::Read::read(&mut err, &mut buf).unwrap();
            assert!(
                n > 0 && std::time::Instant::now() < deadline,
                "backup ended before {point}"
            );
            seen.extend_from_slice(&buf[..n]);
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let list = fx.run(&["list", "--json"]);
        assert_eq!(
            stdout(&list).trim(),
            "[]",
            "killed at {point}: {}",
            stdout(&list)
        );
        let names: Vec<String> = std::fs::read_dir(&fx.backups)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names
                .iter()
                .all(|n| n.ends_with(".partial") || n.starts_with('.')),
            "{names:?}"
        );
        let status = fx.run(&["status"]);
        assert!(
            stdout(&status).contains("partial-left"),
            "{}",
            stdout(&status)
        );
    }
    // The next run breaks the stale lock, removes the leftover and reports both.
    let out = fx.run(&["backup", "--type", "full"]);
    assert_success(&out, "backup after kills");
    let notes = stderr(&out);
    assert!(notes.contains("stale lock"), "{notes}");
    assert!(notes.contains(".partial"), "{notes}");
    let names: Vec<String> = std::fs::read_dir(&fx.backups)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".partial")), "{names:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_with_mongodb_stopped_changes_nothing() {
    let fx = Fixture::new("stopped").await;
    let id = fx.backup();
    let before = file_snapshot(&fx.root);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    fx.write_config_with_uri(&format!("mongodb://admin:{SECRET}@127.0.0.1:{closed}"), "");
    let out = fx.run(&["restore", &id, "--yes"]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot reach MongoDB")
            && stderr(&out).contains("nothing was changed"),
        "{}",
        stderr(&out)
    );
    assert_no_secret(&out);
    assert_eq!(file_snapshot(&fx.root), before);
    let sets: Vec<_> = std::fs::read_dir(&fx.backups)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .collect();
    assert_eq!(sets.len(), 1, "no safety backup was taken");
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_over_the_live_database_takes_a_safety_backup_first() {
    let fx = Fixture::new("live").await;
    let id = fx.backup();
    let original = raw_dump(&fx.database).await;
    let client = common::client().await;
    let tools = client
        .database(&fx.database)
        .collection::<mongodb::bson::Document>("tools");
    let total = tools.count_documents(doc! {}).await.unwrap();
    tools
        .delete_many(doc! { "status": "defekt" })
        .await
        .unwrap();
    let damaged = tools.count_documents(doc! {}).await.unwrap();
    assert!(damaged < total);
    std::fs::write(
        fx.root.join("app/static/uploads/logos/logo.png"),
        b"overwritten",
    )
    .unwrap();

    // Dry run: prints what changes, touches nothing.
    let dry = fx.run(&["restore", &id, "--dry-run"]);
    assert_success(&dry, "dry run");
    let text = stdout(&dry);
    assert!(
        text.contains(&format!("{damaged} now")) && text.contains("tools"),
        "{text}"
    );
    assert!(
        text.contains("overwrite") && text.contains("logo.png"),
        "{text}"
    );
    assert_eq!(tools.count_documents(doc! {}).await.unwrap(), damaged);

    // Without --yes and without a terminal nothing happens.
    let refused = fx.run(&["restore", &id]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));

    let out = fx.run(&["restore", &id, "--yes"]);
    assert_success(&out, "restore");
    let safety = stdout(&out)
        .lines()
        .find_map(|l| l.strip_prefix("safety backup: "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .expect("safety backup id");
    assert!(safety.ends_with("-pre-restore"), "{safety}");
    assert_eq!(raw_dump(&fx.database).await, original);
    assert_ne!(
        std::fs::read(fx.root.join("app/static/uploads/logos/logo.png")).unwrap(),
        b"overwritten"
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fx.set_dir(&safety).join("manifest.json")).unwrap(),
    )
    .unwrap();
    let tools_entry = manifest["database"]["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "tools")
        .unwrap();
    assert_eq!(
        tools_entry["documents"], damaged,
        "safety backup holds the state before the restore"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_of_selected_collections_only() {
    let fx = Fixture::new("partial").await;
    let id = fx.backup();
    let target = common::unique_db_name("partial_copy");
    let out = fx.run(&[
        "restore",
        &id,
        "--only",
        "db",
        "--collections",
        "tools,workers",
        "--to-db",
        &target,
        "--yes",
    ]);
    assert_success(&out, "restore --collections");
    let client = common::client().await;
    let mut names = client
        .database(&target)
        .list_collection_names()
        .await
        .unwrap();
    names.sort();
    assert_eq!(names, vec!["tools", "workers"]);
    let unknown = fx.run(&[
        "restore",
        &id,
        "--collections",
        "nope",
        "--to-db",
        &target,
        "--yes",
    ]);
    assert!(
        !unknown.status.success() && stderr(&unknown).contains("nope"),
        "{}",
        stderr(&unknown)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn busy_lock_and_export_import() {
    let fx = Fixture::new("portable").await;
    let id = fx.backup();
    // A live holder makes every locking command report "busy".
    std::fs::write(
        fx.backups.join(".scandyctl.lock"),
        format!(
            "{{\"pid\":{},\"host\":\"{}\",\"operation\":\"restore\",\"since\":\"2026-11-26T02:00:00Z\"}}",
            std::process::id(),
            scandyctl::backup::lock::host_name()
        ),
    )
    .unwrap();
    let busy = fx.run(&["backup", "--type", "full"]);
    assert_eq!(busy.status.code(), Some(4), "{}", stderr(&busy));
    assert!(stderr(&busy).contains("busy"), "{}", stderr(&busy));
    std::fs::remove_file(fx.backups.join(".scandyctl.lock")).unwrap();

    let file = fx.dir.path().join("export.tar");
    assert_success(
        &fx.run(&["export", &id, "--out", file.to_str().unwrap()]),
        "export",
    );
    std::fs::remove_dir_all(fx.set_dir(&id)).unwrap();
    let out = fx.run(&["import", file.to_str().unwrap()]);
    assert_success(&out, "import");
    assert_eq!(stdout(&out).trim(), id);
    assert_success(&fx.run(&["verify", &id, "--deep"]), "verify imported");
    let again = fx.run(&["import", file.to_str().unwrap()]);
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );

    // A hostile export is refused and writes nothing outside the backup directory.
    let hostile = fx.dir.path().join("hostile.tar");
    {
        let mut builder = tar::Builder::new(std::fs::File::create(&hostile).unwrap());
        let mut header = tar::Header::new_gnu();
        let data = b"owned";
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.as_gnu_mut().unwrap().name[..14].copy_from_slice(b"../escaped.txt");
        header.set_cksum();
        builder.append(&header, &data[..]).unwrap();
        builder.finish().unwrap();
    }
    let refused = fx.run(&["import", hostile.to_str().unwrap()]);
    assert!(!refused.status.success(), "hostile import accepted");
    assert!(
        !fx.dir.path().join("escaped.txt").exists()
            && !fx.backups.parent().unwrap().join("escaped.txt").exists()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn status_and_list_report_the_inventory() {
    let fx = Fixture::new("status").await;
    let empty = fx.run(&["status", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&stdout(&empty)).unwrap();
    assert!(
        status["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "no-backup")
    );
    let id = fx.backup();
    let list: serde_json::Value =
        serde_json::from_str(&stdout(&fx.run(&["list", "--json"]))).unwrap();
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["type"], "full");
    assert_eq!(list[0]["verification"]["state"], "never");
    let codes = warning_codes(&fx);
    assert!(
        codes.iter().any(|c| c == "never-verified") && codes.iter().any(|c| c == "secrets-skipped"),
        "{codes:?}"
    );
    assert!(
        !codes.iter().any(|c| c == "no-backup") && !codes.iter().any(|c| c == "backup-too-old"),
        "{codes:?}"
    );
    assert_success(&fx.run(&["verify", &id]), "verify");
    let codes = warning_codes(&fx);
    assert!(!codes.iter().any(|c| c == "never-verified"), "{codes:?}");
}

/// The warning codes `status --json` reports for the fixture.
fn warning_codes(fx: &Fixture) -> Vec<String> {
    let status: serde_json::Value =
        serde_json::from_str(&stdout(&fx.run(&["status", "--json"]))).unwrap();
    status["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_of_a_foreign_directory_writes_nothing_into_it() {
    let fx = Fixture::new("verify_foreign").await;
    // What Scandy's `mongodump --gzip --out` leaves in the backup directory.
    let name = "scandy_native_backup_20261202_051315";
    let dump = fx.backups.join(name).join(&fx.database);
    std::fs::create_dir_all(&dump).unwrap();
    std::fs::write(dump.join("tools.bson.gz"), b"\x1f\x8b not really").unwrap();
    std::fs::write(dump.join("tools.metadata.json.gz"), b"\x1f\x8b").unwrap();
    let before = backup_support::file_snapshot(&fx.backups);
    let out = fx.run(&["verify", name]);
    assert!(
        !out.status.success(),
        "a foreign directory verified as a set"
    );
    // It is verified as the legacy backup it is: the damaged file is named, and the result
    // goes to the state directory, never into the dump.
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("(mongodump-dir)")
            && text.contains("FAILED")
            && text.contains("[unreadable]")
            && text.contains("tools.metadata.json.gz"),
        "{text}"
    );
    assert!(!fx.backups.join(name).join("verify.json").exists());
    assert_eq!(
        backup_support::file_snapshot(&fx.backups),
        before,
        "verify wrote into a directory scandyctl does not own"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_error_naming_a_hostile_file_reaches_the_terminal_escaped() {
    let fx = Fixture::new("hostile_error").await;
    let hostile = fx
        .dir
        .path()
        .join("mongodb_backup\x1b]0;owned\x07\x1b[2J.archive");
    std::fs::write(&hostile, b"\x1b[31m\x00not an export\x07").unwrap();
    let out = fx.run(&["import", hostile.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("mongodb_backup\\x1b]0;owned\\x07"),
        "{stderr:?}"
    );
    for stream in [&out.stdout, &out.stderr] {
        assert!(
            !stream.iter().any(|b| *b == 0x1b || *b == 0x07 || *b == 0),
            "a control byte reached the terminal: {:?}",
            String::from_utf8_lossy(stream)
        );
    }
}
