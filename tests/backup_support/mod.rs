//! A generated Scandy install + database for backup tests, and a runner for the real binary.

#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mongodb::bson::{RawDocumentBuf, doc};
use scandyctl::datagen::{GenOptions, generate, seed};

use crate::common;

pub mod tmpfs;

/// A Scandy install in a tempdir with its own database on the test server.
pub struct Fixture {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
    /// Install root.
    pub root: PathBuf,
    /// Backup directory.
    pub backups: PathBuf,
    /// Config file.
    pub config: PathBuf,
    /// Database name.
    pub database: String,
    /// Server URI (no database).
    pub uri: String,
}

/// The secret written into the fixture's `.env`; must never appear in output.
pub const SECRET: &str = "Sup3rGeheimesPasswort";

impl Fixture {
    /// Builds files and seeds a fresh database on the shared test server (scale 60: a few
    /// hundred documents).
    pub async fn new(name: &str) -> Fixture {
        Fixture::with_server(name, &common::test_mongo().uri, 60).await
    }

    /// (Re)writes the config file with `extra` appended to the `[backup]` section.
    pub fn write_config(&self, extra_backup: &str) {
        self.write_config_with_uri(&self.uri.clone(), extra_backup);
    }

    /// Writes the config file pointing at `uri`.
    pub fn write_config_with_uri(&self, uri: &str, extra_backup: &str) {
        let text = format!(
            "[scandy]\nroot = \"{}\"\n[mongo]\nuri = \"{uri}\"\ndatabase = \"{}\"\n[backup]\ndir = \"{}\"\n{extra_backup}\n[ui]\nlanguage = \"en\"\n",
            self.root.display(),
            self.database,
            self.backups.display()
        );
        std::fs::write(&self.config, text).expect("config");
    }

    /// Runs scandyctl with this fixture's config.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run scandyctl")
    }

    /// A command for scandyctl with this fixture's config and a clean environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_scandyctl"));
        cmd.arg("--config").arg(&self.config).args(args);
        cmd.env_remove("MONGODB_URI")
            .env_remove("MONGODB_DB")
            .env_remove("SCANDYCTL_CONFIG");
        cmd.env("HOME", self.dir.path())
            .env("SCANDYCTL_STATE_DIR", self.dir.path().join("state"))
            .current_dir(self.dir.path());
        cmd.stdin(std::process::Stdio::null());
        cmd
    }

    /// Runs a backup and returns its id (asserting success).
    pub fn backup(&self) -> String {
        let out = self.run(&["backup", "--type", "full"]);
        assert_success(&out, "backup");
        let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
        assert!(self.backups.join(&id).is_dir(), "no set dir for {id}");
        id
    }

    /// The set directory of `id`.
    pub fn set_dir(&self, id: &str) -> PathBuf {
        self.backups.join(id)
    }

    /// The parsed `manifest.json` of set `id`.
    pub fn manifest(&self, id: &str) -> serde_json::Value {
        let path = self.set_dir(id).join("manifest.json");
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}

/// A command's stdout as text, trimmed.
pub fn stdout_text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A command's stderr as text.
pub fn stderr_text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// Asserts exit 0 and that no secret leaked.
pub fn assert_success(out: &Output, what: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{what} failed ({:?}):\nstdout: {stdout}\nstderr: {stderr}",
        out.status.code()
    );
    assert_no_secret(out);
}

/// Asserts that the fixture secret is in neither stdout nor stderr.
pub fn assert_no_secret(out: &Output) {
    for stream in [&out.stdout, &out.stderr] {
        assert!(
            !String::from_utf8_lossy(stream).contains(SECRET),
            "secret printed"
        );
    }
}

/// Writes a small Scandy-like install: .env, compose file, uploads, logs.
pub fn write_install(root: &Path) {
    let write = |rel: &str, content: &[u8], mode: u32, mtime: i64| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime as u64);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(time)
            .unwrap();
    };
    write(
        ".env",
        format!("MONGO_INITDB_ROOT_PASSWORD={SECRET}\nSECRET_KEY={SECRET}\n").as_bytes(),
        0o600,
        1_700_000_000,
    );
    write(
        "docker-compose.yml",
        b"services:\n  scandy:\n    container_name: scandy-app-scandy\n",
        0o644,
        1_700_000_100,
    );
    let mut png = vec![0x89, b'P', b'N', b'G'];
    png.extend((0..4096u32).map(|i| (i * 7 % 251) as u8));
    write(
        "app/static/uploads/tools/6650f1a2b3c4d5e6f7a8b9c0/bohrmaschine.png",
        &png,
        0o644,
        1_700_000_200,
    );
    write(
        "app/static/uploads/logos/logo.png",
        &png[..1000],
        0o640,
        1_700_000_300,
    );
    write(
        "app/static/uploads/tickets/1/Prüfbericht Säge.pdf",
        b"%PDF-1.4 fake",
        0o644,
        1_700_000_400,
    );
    write("app/logs/app.log", b"2025-07-31 21:35:27,958 - INFO - Request: GET http://192.168.178.56:5000/workers/ - IP: 192.168.178.50\n", 0o644, 1_700_000_500);
    write(
        "app/logs/app.log.1",
        b"2025-07-30 21:35:27,958 - INFO - older\n",
        0o644,
        1_700_000_600,
    );
    write(
        "logs/security.log",
        b"2025-07-31 21:35:27,958 - scandy.security - WARNING - Fehlgeschlagene Anmeldung\n",
        0o644,
        1_700_000_700,
    );
}

/// Every document of every collection in `database`, as raw bytes sorted by `_id`.
pub async fn raw_dump(database: &str) -> Vec<(String, Vec<Vec<u8>>)> {
    use futures::TryStreamExt;
    let client = common::client().await;
    let db = client.database(database);
    let mut names = db.list_collection_names().await.unwrap();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let docs: Vec<RawDocumentBuf> = db
            .collection::<RawDocumentBuf>(&name)
            .find(doc! {})
            .sort(doc! { "_id": 1 })
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        out.push((name, docs.into_iter().map(|d| d.into_bytes()).collect()));
    }
    out
}

/// Index definitions per collection (name, key, unique, sparse, TTL), sorted.
pub async fn index_summary(database: &str) -> Vec<String> {
    use futures::TryStreamExt;
    let client = common::client().await;
    let db = client.database(database);
    let mut out = Vec::new();
    for name in db.list_collection_names().await.unwrap() {
        let indexes: Vec<mongodb::IndexModel> = db
            .collection::<mongodb::bson::Document>(&name)
            .list_indexes()
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        for index in indexes {
            let options = index.options.clone().unwrap_or_default();
            out.push(format!(
                "{name} {:?} key={} unique={:?} sparse={:?} ttl={:?}",
                options.name,
                index.keys,
                options.unique.unwrap_or(false),
                options.sparse.unwrap_or(false),
                options.expire_after.map(|d| d.as_secs())
            ));
        }
    }
    out.sort();
    out
}

/// Relative path → (content, mode, mtime) of every file below `root`.
pub fn file_snapshot(root: &Path) -> Vec<(String, Vec<u8>, u32, i64)> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.push((
                    rel,
                    std::fs::read(&path).unwrap(),
                    meta.mode() & 0o7777,
                    meta.mtime(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// Flips one byte in the middle of `path`.
pub fn flip_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    std::fs::write(path, bytes).unwrap();
}

impl Fixture {
    /// Like [`Fixture::new`], but seeds a dataset of `scale` into a fresh database on the
    /// server at `uri` (e.g. a private server a test may kill).
    pub async fn with_server(name: &str, uri: &str, scale: usize) -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("scandy");
        let backups = dir.path().join("backups");
        write_install(&root);
        let database = common::unique_db_name(name);
        let client = mongodb::Client::with_uri_str(uri)
            .await
            .unwrap_or_else(|e| panic!("cannot create a client for {uri}: {e}"));
        let options = GenOptions {
            scale,
            now: chrono::Local::now().naive_local(),
            ..GenOptions::default()
        };
        seed(&client.database(&database), &generate(&options), false)
            .await
            .expect("seed");
        let config = dir.path().join("scandyctl.toml");
        let fixture = Fixture {
            dir,
            root,
            backups,
            config,
            database,
            uri: uri.to_string(),
        };
        fixture.write_config("");
        fixture
    }

    /// Names in the backup directory (sets, `.partial` dirs, lock, anything), sorted;
    /// empty when the directory does not exist.
    pub fn backup_dir_entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.backups)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}
