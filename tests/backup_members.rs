//! Backup set members: zstd/age streams, SHA256SUMS, file selection, tar writing and safe
//! extraction, including interop with the `age`, `zstd`, `tar` and `sha256sum` CLIs and
//! hostile archives that must never write outside the target.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use scandyctl::backup::crypt::{load_identities, parse_recipients, recipient_strings};
use scandyctl::backup::extract::{EntryKind, ExtractLimits, extract_tar, plan_extract, scan_tar};
use scandyctl::backup::files::{FileCategory, select_files, write_files_tar};
use scandyctl::backup::member::{
    DecryptHint, MemberWriter, digest_file, open_member, open_member_with_hint, read_sha256sums,
    write_sha256sums,
};
use scandyctl::config::Config;
use tar::{EntryType, Header};

const SECRET: &str = "Sup3rGeheim";
const LIMITS: ExtractLimits = ExtractLimits {
    max_total_bytes: 64 << 20,
    max_entries: 10_000,
};

fn sh(script: &str, dir: &Path) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .output()
        .expect("run sh");
    assert!(
        out.status.success(),
        "`{script}` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `age-keygen -o <dir>/<name>`; returns the key file and its public key.
fn keygen(dir: &Path, name: &str) -> (PathBuf, String) {
    let path = dir.join(name);
    let out = Command::new("age-keygen")
        .arg("-o")
        .arg(&path)
        .output()
        .expect("run age-keygen");
    assert!(out.status.success());
    let text = fs::read_to_string(&path).unwrap();
    let public = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .expect("public key line");
    (path, public.trim().to_string())
}

/// Incompressible test data.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

fn write_member(
    path: &Path,
    recipients: &[age::x25519::Recipient],
    data: &[u8],
) -> scandyctl::backup::member::MemberDigest {
    let mut writer = MemberWriter::create(path, recipients, 3, 2).unwrap();
    for chunk in data.chunks(100_000) {
        writer.write_all(chunk).unwrap();
    }
    writer.finish().unwrap()
}

fn read_all(path: &Path, ids: &[age::x25519::Identity]) -> color_eyre::Result<Vec<u8>> {
    let mut out = Vec::new();
    open_member(path, ids)?.read_to_end(&mut out)?;
    Ok(out)
}

#[test]
fn plain_member_round_trip_zstd_cli_and_sha256sum() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = [noise(3 << 20, 7), b"mongo archive ".repeat(100_000)].concat();
    let path = dir.path().join("mongo.archive.zst");
    let digest = write_member(&path, &[], &data);
    assert_eq!(digest, digest_file(&path).unwrap());
    assert_eq!(digest.size, fs::metadata(&path).unwrap().len());
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(read_all(&path, &[]).unwrap(), data);

    sh("zstd -q -dc mongo.archive.zst > cli.out", dir.path());
    assert_eq!(fs::read(dir.path().join("cli.out")).unwrap(), data);

    fs::write(dir.path().join("manifest.json"), b"{}\n").unwrap();
    let manifest = digest_file(&dir.path().join("manifest.json")).unwrap();
    let entries = vec![
        ("manifest.json".to_string(), manifest.sha256.clone()),
        ("mongo.archive.zst".to_string(), digest.sha256.clone()),
    ];
    write_sha256sums(dir.path(), &entries).unwrap();
    sh("sha256sum --strict -c SHA256SUMS", dir.path());
    assert_eq!(
        read_sha256sums(&dir.path().join("SHA256SUMS")).unwrap(),
        entries
    );
}

#[test]
fn sha256sums_parser_is_strict_and_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("SHA256SUMS");
    let good = format!("{}  a\n", "ab".repeat(32));
    for (text, needle) in [
        (
            format!("{good}{}  ../etc/passwd\n", "cd".repeat(32)),
            "line 2",
        ),
        (format!("{good}{} b\n", "cd".repeat(32)), "line 2"),
        (format!("{}  a\n", "zz".repeat(32)), "line 1"),
        (format!("{good}{good}"), "listed twice"),
        (format!("{good}\n"), "line 2"),
        (format!("{}  a\r\n", "ab".repeat(32)), "carriage return"),
    ] {
        fs::write(&path, &text).unwrap();
        let err = format!("{:#}", read_sha256sums(&path).unwrap_err());
        assert!(err.contains(needle) && err.contains("SHA256SUMS"), "{err}");
    }
    fs::write(
        &path,
        format!("{}  a\n{} *b", "AB".repeat(32), "cd".repeat(32)),
    )
    .unwrap();
    let parsed = read_sha256sums(&path).unwrap();
    assert_eq!(
        parsed,
        vec![("a".into(), "ab".repeat(32)), ("b".into(), "cd".repeat(32))]
    );
    assert!(write_sha256sums(dir.path(), &[("x/y".into(), "ab".repeat(32))]).is_err());
}

#[test]
fn encrypted_member_round_trip_and_key_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = keygen(dir.path(), "key.txt");
    let (other_key, _) = keygen(dir.path(), "other.txt");
    let recipients_file = dir.path().join("recipients.txt");
    fs::write(&recipients_file, format!("# backup admins\n\n{public}\n")).unwrap();
    let recipients =
        parse_recipients(std::slice::from_ref(&public), Some(&recipients_file)).unwrap();
    assert_eq!(recipient_strings(&recipients), vec![public.clone()]);

    let data = noise(2 << 20, 3);
    let path = dir.path().join("mongo.archive.zst.age");
    let digest = write_member(&path, &recipients, &data);
    assert_eq!(digest, digest_file(&path).unwrap());
    let ids = load_identities(&key).unwrap();
    assert_eq!(read_all(&path, &ids).unwrap(), data);
    sh(
        "age -d -i key.txt mongo.archive.zst.age | zstd -q -dc > cli.out",
        dir.path(),
    );
    assert_eq!(fs::read(dir.path().join("cli.out")).unwrap(), data);

    let missing = format!("{:#}", read_all(&path, &[]).unwrap_err());
    assert!(
        missing.contains("mongo.archive.zst.age is encrypted") && missing.contains("identity"),
        "{missing}"
    );
    let wrong = load_identities(&other_key).unwrap();
    let err = format!("{:#}", read_all(&path, &wrong).unwrap_err());
    assert!(
        err.contains("mongo.archive.zst.age") && err.contains("does not match"),
        "{err}"
    );
    let hint = DecryptHint {
        recipients: vec![public.clone()],
        identity_file: Some(other_key.clone()),
    };
    let err = format!(
        "{:#}",
        open_member_with_hint(&path, &wrong, &hint).err().unwrap()
    );
    let expected = format!(
        "mongo.archive.zst.age is encrypted for recipients {public}: the identity in {} (",
        other_key.display()
    );
    assert!(
        err.starts_with(&expected) && err.contains("does not match"),
        "{err}"
    );

    // Key files: errors name the file and line, never the secret.
    let secret_line = fs::read_to_string(&key)
        .unwrap()
        .lines()
        .find(|l| l.starts_with("AGE-SECRET"))
        .unwrap()
        .to_string();
    let broken = dir.path().join("broken.txt");
    let swapped = if secret_line.ends_with('Q') { 'P' } else { 'Q' };
    fs::write(
        &broken,
        format!(
            "# comment\n{}{swapped}\n",
            &secret_line[..secret_line.len() - 1]
        ),
    )
    .unwrap();
    let err = format!("{:#}", load_identities(&broken).err().unwrap());
    assert!(
        err.contains("broken.txt line 2") && !err.contains(&secret_line[20..40]),
        "{err}"
    );
    let err = format!("{:#}", load_identities(&recipients_file).err().unwrap());
    assert!(
        err.contains("line 3") && err.contains("public key"),
        "{err}"
    );
    let err = format!(
        "{:#}",
        parse_recipients(std::slice::from_ref(&secret_line), None).unwrap_err()
    );
    assert!(
        err.contains("secret key") && !err.contains(&secret_line[20..40]),
        "{err}"
    );
    fs::write(&recipients_file, "age1notakey\n").unwrap();
    let err = format!(
        "{:#}",
        parse_recipients(&[], Some(&recipients_file)).unwrap_err()
    );
    assert!(err.contains("recipients.txt line 1"), "{err}");
    let err = format!(
        "{:#}",
        parse_recipients(&["hunter2pass".into()], None).unwrap_err()
    );
    assert!(err.contains("entry 1") && !err.contains("hunter2"), "{err}");

    // An encrypted member under a plain name is recognised, not fed to zstd.
    fs::copy(&path, dir.path().join("renamed.zst")).unwrap();
    let err = format!(
        "{:#}",
        read_all(&dir.path().join("renamed.zst"), &ids).unwrap_err()
    );
    assert!(
        err.contains("age-encrypted") && err.contains("renamed.zst"),
        "{err}"
    );

    fn assert_send<T: Send>() {}
    assert_send::<MemberWriter>();
}

#[test]
fn damaged_members_fail_with_an_error_not_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = keygen(dir.path(), "key.txt");
    let recipients = parse_recipients(&[public], None).unwrap();
    let ids = load_identities(&key).unwrap();
    let data = noise(1 << 20, 11);
    for (name, recipients, ids) in [
        ("plain.zst", &[][..], &[][..]),
        ("enc.zst.age", &recipients[..], &ids[..]),
    ] {
        let path = dir.path().join(name);
        write_member(&path, recipients, &data);
        let original = fs::read(&path).unwrap();
        let len = original.len();
        for (case, bytes) in [
            ("truncated", original[..len - 40].to_vec()),
            ("cut in half", original[..len / 2].to_vec()),
            ("bit flipped", {
                let mut b = original.clone();
                b[len / 2] ^= 0x10;
                b
            }),
        ] {
            fs::write(&path, &bytes).unwrap();
            let result = read_all(&path, ids);
            assert!(result.is_err(), "{name} {case}: read succeeded");
            let err = format!("{:#}", result.unwrap_err());
            assert!(err.contains(name), "{name} {case}: {err}");
        }
    }
}

#[test]
fn write_errors_name_the_member_path() {
    // /dev/full answers every write with ENOSPC.
    let mut writer = MemberWriter::create(Path::new("/dev/full"), &[], 1, 0).unwrap();
    let data = noise(4 << 20, 5);
    let result = writer
        .write_all(&data)
        .map_err(color_eyre::Report::from)
        .and_then(|_| writer.finish().map(|_| ()));
    let err = format!("{:#}", result.unwrap_err());
    assert!(
        err.contains("/dev/full") && err.contains("No space left"),
        "{err}"
    );
}

/// A Scandy-like install: `.env` with a password, compose file, uploads, logs, symlinks.
fn scandy_tree(root: &Path, outside: &Path) -> Config {
    let w = |rel: &str, text: &str| {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    w(
        ".env",
        &format!(
            "MONGO_INITDB_ROOT_USERNAME=admin\nMONGO_INITDB_ROOT_PASSWORD={SECRET}\nWEB_PORT=5000\n"
        ),
    );
    w(
        "docker-compose.yml",
        "services:\n  mongodb:\n    environment:\n      MONGO_INITDB_ROOT_PASSWORD: ${MONGO_INITDB_ROOT_PASSWORD}\n      - MONGODB_URI=mongodb://admin:${MONGO_INITDB_ROOT_PASSWORD}@mongodb:27017/\n",
    );
    w("settings.ini", &format!("[mail]\nSECRET_KEY = {SECRET}\n"));
    w("app/static/uploads/tools/3/a.png", "PNG-DATA");
    w(
        "app/static/uploads/tools/3/manual.pdf",
        &"pdf ".repeat(5000),
    );
    w("app/static/uploads/logos/logo.svg", "<svg/>");
    let long = format!(
        "app/static/uploads/tickets/{}/{}.jpg",
        "x".repeat(90),
        "y".repeat(120)
    );
    w(&long, "long name");
    w(
        "app/static/uploads/server.key",
        "-----BEGIN PRIVATE KEY-----",
    );
    fs::create_dir_all(root.join("app/static/uploads/empty")).unwrap();
    w(
        "app/logs/app.log",
        "2025-07-31 21:35:27,958 - INFO - Request: GET /workers/\n",
    );
    w("app/logs/app.log.1", "older\n");
    w(
        "logs/security.log",
        "2025-07-31 - scandy.security - WARNING - x\n",
    );
    w("logs/api.log.2.gz", "gz");
    fs::write(outside.join("passwd"), "outside").unwrap();
    std::os::unix::fs::symlink(
        outside.join("passwd"),
        root.join("app/static/uploads/escape"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "../../../../logs/security.log",
        root.join("app/static/uploads/logos/sec"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        root.join("app/static/uploads/logos/logo.svg"),
        root.join("app/static/uploads/abs"),
    )
    .unwrap();
    let mut config = Config::default();
    config.scandy.root = root.to_path_buf();
    config.backup.dir = root.join("backups");
    config.backup.config_files.push("missing.conf".into());
    config.backup.config_files.push("settings.ini".into());
    config
}

#[test]
fn select_files_skips_secrets_and_escaping_links_without_leaking() {
    let dir = tempfile::tempdir().unwrap();
    let (root, outside) = (dir.path().join("scandy"), dir.path().join("outside"));
    fs::create_dir_all(&root).unwrap();
    fs::create_dir_all(&outside).unwrap();
    let config = scandy_tree(&root, &outside);
    let selection = select_files(&config, false).unwrap();
    let debug = format!(
        "{selection:?} {}",
        serde_json::to_string(&selection).unwrap()
    );
    assert!(!debug.contains(SECRET), "secret leaked: {debug}");

    let paths: Vec<&str> = selection
        .entries
        .iter()
        .map(|e| e.archive_path.as_str())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    for expected in [
        "app/static/uploads/tools/3/a.png",
        "app/static/uploads/empty",
        "app/logs/app.log",
        "app/logs/app.log.1",
        "logs/security.log",
        "logs/api.log.2.gz",
        "docker-compose.yml",
    ] {
        assert!(
            paths.contains(&expected),
            "{expected} missing from {paths:?}"
        );
    }
    for absent in [
        ".env",
        "settings.ini",
        "app/static/uploads/escape",
        "app/static/uploads/server.key",
    ] {
        assert!(!paths.contains(&absent), "{absent} should be skipped");
    }
    let reason = |name: &str| {
        let s = selection
            .skipped
            .iter()
            .find(|s| s.path.ends_with(name))
            .unwrap_or_else(|| panic!("{name} not skipped"));
        s.reason.clone()
    };
    assert_eq!(
        reason(".env"),
        "holds secrets (MONGO_INITDB_ROOT_PASSWORD); set [backup] recipients to encrypt backups, or include_secrets = true"
    );
    assert!(reason("settings.ini").contains("SECRET_KEY"));
    assert!(reason("server.key").contains("secret"));
    assert!(reason("escape").contains("outside the Scandy root"));
    assert_eq!(reason("missing.conf"), "does not exist");
    let entry = |p: &str| {
        selection
            .entries
            .iter()
            .find(|e| e.archive_path == p)
            .unwrap()
    };
    assert_eq!(
        entry("app/static/uploads/logos/sec").kind,
        EntryKind::Symlink {
            target: "../../../../logs/security.log".into()
        }
    );
    assert_eq!(
        entry("app/static/uploads/abs").kind,
        EntryKind::Symlink {
            target: "logos/logo.svg".into()
        }
    );
    assert_eq!(entry("app/logs/app.log").category, FileCategory::Logs);
    assert_eq!(entry("docker-compose.yml").category, FileCategory::Config);
    assert_eq!(entry("app/static/uploads/tools/3/manual.pdf").size, 20_000);

    let allowed = select_files(&config, true).unwrap();
    let paths: Vec<&str> = allowed
        .entries
        .iter()
        .map(|e| e.archive_path.as_str())
        .collect();
    assert!(
        paths.contains(&".env")
            && paths.contains(&"settings.ini")
            && paths.contains(&"app/static/uploads/server.key")
    );

    // Absolute paths outside the root go under external/.
    let mut config = config;
    config.backup.log_dirs.push(outside.clone());
    let selection = select_files(&config, false).unwrap();
    let external = format!(
        "external/{}/passwd",
        outside.display().to_string().trim_start_matches('/')
    );
    assert!(
        selection.entries.iter().any(|e| e.archive_path == external),
        "{external}"
    );
}

#[test]
fn unreadable_files_fail_the_selection() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("settings.conf")).unwrap();
    let mut config = Config::default();
    config.scandy.root = root.to_path_buf();
    config.backup.config_files = vec!["settings.conf".into()];
    let err = format!("{:#}", select_files(&config, false).unwrap_err());
    assert!(
        err.contains("settings.conf") && err.contains("directory"),
        "{err}"
    );

    if unsafe { libc::geteuid() } != 0 {
        fs::write(root.join("app.log"), "x").unwrap();
        fs::set_permissions(root.join("app.log"), fs::Permissions::from_mode(0o000)).unwrap();
        config.backup.config_files = vec![];
        config.backup.log_dirs = vec![".".into()];
        let err = format!("{:#}", select_files(&config, false).unwrap_err());
        assert!(
            err.contains("app.log") && err.contains("permission denied"),
            "{err}"
        );
    }
}

#[test]
fn files_tar_keeps_content_mode_and_mtime_through_extract_and_cli() {
    let dir = tempfile::tempdir().unwrap();
    let (root, outside) = (dir.path().join("scandy"), dir.path().join("outside"));
    fs::create_dir_all(&root).unwrap();
    fs::create_dir_all(&outside).unwrap();
    let config = scandy_tree(&root, &outside);
    let stamp = |rel: &str, mode: u32, secs: u64| {
        let path = root.join(rel);
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        let file = fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
            .unwrap();
    };
    stamp("app/static/uploads/tools/3/a.png", 0o640, 1_600_000_000);
    stamp("app/logs/app.log.1", 0o600, 1_650_000_000);
    stamp("logs/security.log", 0o755, 1_700_000_000);
    let selection = select_files(&config, false).unwrap();

    let mut tar = Vec::new();
    let mut calls = Vec::new();
    let summary = write_files_tar(&selection, &mut tar, &mut |b| calls.push(b)).unwrap();
    let files: Vec<_> = selection
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::File)
        .collect();
    assert_eq!(summary.files, files.len() as u64);
    assert_eq!(summary.bytes, files.iter().map(|e| e.size).sum::<u64>());
    assert_eq!(calls.last(), Some(&summary.bytes));

    let scanned = scan_tar(&tar[..], &LIMITS).unwrap();
    let names: Vec<&str> = scanned.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        names,
        selection
            .entries
            .iter()
            .map(|e| e.archive_path.as_str())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        scanned
            .iter()
            .filter(|e| e.is_file())
            .map(|e| e.size)
            .sum::<u64>(),
        summary.bytes
    );

    let target = dir.path().join("restore");
    fs::create_dir(&target).unwrap();
    let (added, over) = plan_extract(&scanned, &target);
    assert_eq!(
        (added.len(), over.len()),
        (
            scanned.iter().filter(|e| e.kind != EntryKind::Dir).count(),
            0
        )
    );
    let report = extract_tar(&tar[..], &target, &LIMITS, &|_| true).unwrap();
    assert_eq!(report.bytes, summary.bytes);
    assert!(report.overwritten.is_empty());
    for entry in &files {
        let restored = target.join(&entry.archive_path);
        assert_eq!(
            fs::read(&restored).unwrap(),
            fs::read(&entry.source).unwrap(),
            "{}",
            entry.archive_path
        );
        let (a, b) = (
            fs::metadata(&restored).unwrap(),
            fs::metadata(&entry.source).unwrap(),
        );
        assert_eq!(a.mode() & 0o777, b.mode() & 0o777, "{}", entry.archive_path);
        assert_eq!(a.mtime(), b.mtime(), "{}", entry.archive_path);
    }
    assert_eq!(
        fs::read_link(target.join("app/static/uploads/abs")).unwrap(),
        Path::new("logos/logo.svg")
    );
    assert_eq!(
        fs::read_to_string(target.join("app/static/uploads/logos/sec")).unwrap(),
        fs::read_to_string(root.join("logs/security.log")).unwrap()
    );

    // Extracting again overwrites; a filter limits what is written.
    let report = extract_tar(&tar[..], &target, &LIMITS, &|p| p.starts_with("logs/")).unwrap();
    assert_eq!(report.written.len(), 2);
    assert_eq!(report.overwritten.len(), 2);

    // Our encrypted member unpacks with the standard CLIs.
    let (_, public) = keygen(dir.path(), "key.txt");
    let recipients = parse_recipients(&[public], None).unwrap();
    let member = dir.path().join("files.tar.zst.age");
    let mut writer = MemberWriter::create(&member, &recipients, 3, 2).unwrap();
    write_files_tar(&selection, &mut writer, &mut |_| {}).unwrap();
    writer.finish().unwrap();
    fs::create_dir(dir.path().join("cli")).unwrap();
    sh(
        "age -d -i key.txt files.tar.zst.age | zstd -q -dc | tar x -C cli",
        dir.path(),
    );
    for entry in &files {
        let restored = dir.path().join("cli").join(&entry.archive_path);
        assert_eq!(
            fs::read(&restored).unwrap(),
            fs::read(&entry.source).unwrap(),
            "{}",
            entry.archive_path
        );
        assert_eq!(
            fs::metadata(&restored).unwrap().mtime(),
            fs::metadata(&entry.source).unwrap().mtime()
        );
    }
}

#[test]
fn cli_made_encrypted_tar_reads_with_open_member() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = keygen(dir.path(), "key.txt");
    let src = dir.path().join("src");
    fs::create_dir_all(src.join("app/static/uploads/tools/1")).unwrap();
    fs::write(
        src.join("app/static/uploads/tools/1/b.png"),
        noise(300_000, 9),
    )
    .unwrap();
    fs::write(src.join(".env"), "X=1\n").unwrap();
    std::os::unix::fs::symlink("tools/1/b.png", src.join("app/static/uploads/link")).unwrap();
    sh(
        &format!("tar cf - -C src . | zstd -q | age -r {public} > files.tar.zst.age"),
        dir.path(),
    );

    let ids = load_identities(&key).unwrap();
    let entries = scan_tar(
        open_member(&dir.path().join("files.tar.zst.age"), &ids).unwrap(),
        &LIMITS,
    )
    .unwrap();
    let find = |p: &str| {
        entries
            .iter()
            .find(|e| e.path == p)
            .unwrap_or_else(|| panic!("{p} in {entries:?}"))
    };
    assert_eq!(find("app/static/uploads/tools/1/b.png").size, 300_000);
    assert_eq!(
        find("app/static/uploads/link").kind,
        EntryKind::Symlink {
            target: "tools/1/b.png".into()
        }
    );
    assert!(find("app").kind == EntryKind::Dir);
    assert!(find(".env").is_file());

    let target = dir.path().join("out");
    fs::create_dir(&target).unwrap();
    let reader = open_member(&dir.path().join("files.tar.zst.age"), &ids).unwrap();
    extract_tar(reader, &target, &LIMITS, &|_| true).unwrap();
    assert_eq!(
        fs::read(target.join("app/static/uploads/link")).unwrap(),
        noise(300_000, 9)
    );
}

/// A tar entry with raw name bytes (the tar crate's safe API refuses `..` and `/`).
fn raw(builder: &mut tar::Builder<Vec<u8>>, name: &str, kind: EntryType, link: &str, data: &[u8]) {
    let mut header = Header::new_gnu();
    let gnu = header.as_gnu_mut().unwrap();
    gnu.name[..name.len()].copy_from_slice(name.as_bytes());
    gnu.linkname[..link.len()].copy_from_slice(link.as_bytes());
    header.set_entry_type(kind);
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(1_700_000_000);
    header.set_cksum();
    builder.append(&header, data).unwrap();
}

fn archive(entries: &[(&str, EntryType, &str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, kind, link, data) in entries {
        raw(&mut builder, name, *kind, link, data);
    }
    builder.into_inner().unwrap()
}

/// A set-up with `target/` and a sibling `outside/` that must stay empty.
struct Arena {
    _dir: tempfile::TempDir,
    target: PathBuf,
    outside: PathBuf,
}

fn arena() -> Arena {
    let dir = tempfile::tempdir().unwrap();
    let (target, outside) = (dir.path().join("target"), dir.path().join("outside"));
    fs::create_dir(&target).unwrap();
    fs::create_dir(&outside).unwrap();
    Arena {
        _dir: dir,
        target,
        outside,
    }
}

fn assert_refused(name: &str, bytes: &[u8], limits: &ExtractLimits, needle: &str) {
    let scan = scan_tar(bytes, limits);
    assert!(scan.is_err(), "{name}: scan accepted it: {scan:?}");
    let a = arena();
    let err = format!(
        "{:#}",
        extract_tar(bytes, &a.target, limits, &|_| true).unwrap_err()
    );
    assert!(err.contains(needle), "{name}: {err}");
    let outside: Vec<_> = fs::read_dir(&a.outside).unwrap().collect();
    assert!(
        outside.is_empty(),
        "{name}: wrote outside the target: {outside:?}"
    );
    let dir = a.target.parent().unwrap();
    let siblings: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        siblings.len(),
        2,
        "{name}: created {siblings:?} next to the target"
    );
}

#[test]
fn hostile_archives_never_write_outside_the_target() {
    let f = EntryType::Regular;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "dot-dot path",
            archive(&[("ok.txt", f, "", b"ok"), ("../outside/pwned", f, "", b"x")]),
            "`..`",
        ),
        (
            "nested dot-dot",
            archive(&[("a/../../outside/pwned", f, "", b"x")]),
            "`..`",
        ),
        (
            "absolute path",
            archive(&[("/tmp/scandyctl-abs-pwned", f, "", b"x")]),
            "absolute",
        ),
        (
            "symlink escape then file through it",
            archive(&[
                ("evil", EntryType::Symlink, "../outside", b""),
                ("evil/pwned", f, "", b"x"),
            ]),
            "outside the target",
        ),
        (
            "absolute symlink",
            archive(&[("evil", EntryType::Symlink, "/etc", b"")]),
            "absolute",
        ),
        (
            "file through an archived symlink",
            archive(&[
                ("sub/", EntryType::Directory, "", b""),
                ("inner", EntryType::Symlink, "sub", b""),
                ("inner/pwned", f, "", b"x"),
            ]),
            "goes through the symlink",
        ),
        (
            "links that escape together",
            archive(&[
                ("a", EntryType::Symlink, ".", b""),
                ("b", EntryType::Symlink, "a/../outside", b""),
            ]),
            "outside the target",
        ),
        (
            "hard link",
            archive(&[("h", EntryType::Link, "../outside/x", b"")]),
            "hard link",
        ),
        (
            "char device",
            archive(&[("dev", EntryType::Char, "", b"")]),
            "character device",
        ),
        (
            "block device",
            archive(&[("blk", EntryType::Block, "", b"")]),
            "block device",
        ),
        (
            "fifo",
            archive(&[("fifo", EntryType::Fifo, "", b"")]),
            "fifo",
        ),
    ];
    for (name, bytes, needle) in &cases {
        assert_refused(name, bytes, &LIMITS, needle);
    }
    assert!(!Path::new("/tmp/scandyctl-abs-pwned").exists());

    let many: Vec<(String, Vec<u8>)> = (0..20).map(|i| (format!("f{i}"), vec![b'x'; 10])).collect();
    let entries: Vec<(&str, EntryType, &str, &[u8])> = many
        .iter()
        .map(|(n, d)| (n.as_str(), f, "", &d[..]))
        .collect();
    let limits = ExtractLimits {
        max_total_bytes: 1 << 20,
        max_entries: 5,
    };
    assert_refused(
        "too many entries",
        &archive(&entries),
        &limits,
        "more than 5 entries",
    );
}

#[test]
fn existing_symlink_in_target_is_never_followed() {
    let a = arena();
    std::os::unix::fs::symlink(&a.outside, a.target.join("app")).unwrap();
    let bytes = archive(&[("app/pwned", EntryType::Regular, "", b"x")]);
    let err = format!(
        "{:#}",
        extract_tar(&bytes[..], &a.target, &LIMITS, &|_| true).unwrap_err()
    );
    assert!(err.contains("symlink"), "{err}");
    assert_eq!(fs::read_dir(&a.outside).unwrap().count(), 0);
    // A file entry replaces a symlink at its own path instead of writing through it.
    fs::remove_file(a.target.join("app")).unwrap();
    std::os::unix::fs::symlink(a.outside.join("victim"), a.target.join("f")).unwrap();
    extract_tar(
        &archive(&[("f", EntryType::Regular, "", b"x")])[..],
        &a.target,
        &LIMITS,
        &|_| true,
    )
    .unwrap();
    assert_eq!(fs::read_dir(&a.outside).unwrap().count(), 0);
    assert!(fs::symlink_metadata(a.target.join("f")).unwrap().is_file());
}

/// A zstd member of `header` followed by `zeros` zero bytes, written in a stream.
fn zstd_bomb(path: &Path, header: &[u8], zeros: u64) {
    let mut writer = MemberWriter::create(path, &[], 1, 0).unwrap();
    writer.write_all(header).unwrap();
    let block = vec![0u8; 1 << 20];
    for _ in 0..zeros / block.len() as u64 {
        writer.write_all(&block).unwrap();
    }
    writer.finish().unwrap();
}

#[test]
fn decompression_bombs_stop_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let limits = ExtractLimits {
        max_total_bytes: 1 << 20,
        max_entries: 100,
    };
    // A tar entry claiming 4 GiB, content zeros (only 256 MiB actually compressed).
    let mut header = Header::new_gnu();
    header.set_path("zeros.bin").unwrap();
    header.set_size(4 << 30);
    header.set_mode(0o644);
    header.set_cksum();
    let entry_bomb = dir.path().join("entry.tar.zst");
    zstd_bomb(&entry_bomb, header.as_bytes(), 256 << 20);
    // Pure zeros: an empty tar followed by far more trailing data than any tar has.
    let zero_bomb = dir.path().join("zeros.tar.zst");
    zstd_bomb(&zero_bomb, &[], 256 << 20);
    for bomb in [&entry_bomb, &zero_bomb] {
        assert!(
            fs::metadata(bomb).unwrap().len() < 1 << 20,
            "the bomb should be small"
        );
        let started = std::time::Instant::now();
        let scan = scan_tar(open_member(bomb, &[]).unwrap(), &limits);
        assert!(scan.is_err(), "{scan:?}");
        let a = arena();
        let err = format!(
            "{:#}",
            extract_tar(open_member(bomb, &[]).unwrap(), &a.target, &limits, &|_| {
                true
            })
            .unwrap_err()
        );
        assert!(err.contains("limit") || err.contains("trailing"), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "read too much: {:?}",
            started.elapsed()
        );
        assert_eq!(fs::read_dir(&a.outside).unwrap().count(), 0);
        assert_eq!(
            fs::read_dir(&a.target).unwrap().count(),
            0,
            "no file, no half file"
        );
    }
    // Within the limit but more content than allowed in total: counted, stopped, no half file.
    let big = archive(&[
        ("a", EntryType::Regular, "", &[1u8; 700_000][..]),
        ("b", EntryType::Regular, "", &[2u8; 700_000][..]),
    ]);
    let a = arena();
    let err = format!(
        "{:#}",
        extract_tar(&big[..], &a.target, &limits, &|_| true).unwrap_err()
    );
    assert!(err.contains("limit"), "{err}");
    let left: Vec<_> = fs::read_dir(&a.target)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("a")]);
}
