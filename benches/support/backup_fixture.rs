//! Shared by the backup benchmarks: a generated upload tree, a Scandy install with its
//! config, the database helpers (drain, counts, a dataset of a given size) and the child
//! process runner's glue.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use mongodb::bson::{RawDocumentBuf, doc};
use scandyctl::datagen::{GenOptions, generate};

use super::child_run::{Run, run};

/// The binary under test.
pub const SCANDYCTL: &str = env!("CARGO_BIN_EXE_scandyctl");
/// Bytes in a MiB.
pub const MIB: u64 = 1024 * 1024;
/// Cursor batch size of the drain; the same as the dump's (`DumpOptions::default()`).
pub const DRAIN_BATCH: u32 = 5000;

pub fn scandyctl(config: &Path, home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(SCANDYCTL);
    cmd.arg("--config").arg(config).args(args);
    cmd.env_remove("MONGODB_URI")
        .env_remove("MONGODB_DB")
        .env_remove("SCANDYCTL_CONFIG")
        .env("HOME", home)
        .current_dir(home);
    cmd
}

pub fn sh(script: &str) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script);
    cmd
}

/// Flushes dirty pages so one run's writeback does not land in the next run's time.
pub fn sync_disk() {
    let _ = Command::new("sync").status();
}

pub fn quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

pub fn log(msg: impl AsRef<str>) {
    eprintln!("[bench] {}", msg.as_ref());
}

// ---------------------------------------------------------------------------------------
// Generated upload tree.

/// wyrand: fast, seeded, good enough for test content.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0xa076_1d64_78bd_642f);
        let t = u128::from(self.0) * u128::from(self.0 ^ 0xe703_7ed1_a0b4_28db);
        ((t >> 64) as u64) ^ (t as u64)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + ((u128::from(self.next()) * u128::from(hi - lo + 1)) >> 64) as u64
    }
}

/// About 1 MiB of German log-like text: compressible, but not trivially.
pub fn text_corpus(rng: &mut Rng) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "Werkzeug",
        "ausgeliehen",
        "zurückgegeben",
        "Bohrmaschine",
        "Akkuschrauber",
        "Mitarbeiter",
        "Verbrauchsmaterial",
        "Lager",
        "Werkstatt",
        "Elektro",
        "Verwaltung",
        "Prüfbericht",
        "Säge",
        "Ticket",
        "erstellt",
        "geschlossen",
        "Anmeldung",
        "fehlgeschlagen",
        "Bestand",
        "niedrig",
        "Schrauben",
        "Dübel",
        "Handschuhe",
        "Schutzbrille",
        "Kabeltrommel",
        "Leiter",
        "defekt",
        "repariert",
        "Auftrag",
        "Kommentar",
        "Rechnung",
        "Lieferschein",
        "Foto",
        "Dokument",
    ];
    let mut text = Vec::with_capacity(MIB as usize + 256);
    while text.len() < MIB as usize {
        let _ = write!(
            VecWriter(&mut text),
            "2025-{:02}-{:02} {:02}:{:02}:{:02},{:03} - INFO - ",
            rng.range(1, 12),
            rng.range(1, 28),
            rng.range(0, 23),
            rng.range(0, 59),
            rng.range(0, 59),
            rng.range(0, 999)
        );
        for _ in 0..rng.range(4, 14) {
            let word = WORDS[rng.range(0, WORDS.len() as u64 - 1) as usize];
            text.extend_from_slice(word.as_bytes());
            text.push(b' ');
            if rng.range(0, 3) == 0 {
                let _ = write!(VecWriter(&mut text), "{} ", rng.range(0, 99_999));
            }
        }
        text.push(b'\n');
    }
    text
}

pub struct VecWriter<'a>(pub &'a mut Vec<u8>);

impl std::fmt::Write for VecWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Fills `buf` with 4 KiB blocks, each either random bytes or a slice of `text`.
pub fn fill(buf: &mut [u8], rng: &mut Rng, text: &[u8]) {
    for block in buf.chunks_mut(4096) {
        if rng.next() & 1 == 0 {
            for piece in block.chunks_mut(8) {
                let bytes = rng.next().to_le_bytes();
                piece.copy_from_slice(&bytes[..piece.len()]);
            }
        } else {
            let start = rng.range(0, (text.len() - block.len()) as u64) as usize;
            block.copy_from_slice(&text[start..start + block.len()]);
        }
    }
}

#[derive(Debug, Default)]
pub struct Tree {
    pub files: u64,
    pub bytes: u64,
    pub small_files: u64,
    pub large_files: u64,
}

/// Writes about `total` bytes below `uploads`: 40 % small files, 60 % large ones.
pub fn generate_uploads(uploads: &Path, total: u64) -> Tree {
    let mut rng = Rng(0x5ca9_d1c7_1234_5678);
    let text = text_corpus(&mut rng);
    let mut tree = Tree::default();
    let mut large_budget = total * 6 / 10;
    let mut buf = vec![0u8; 8 * MIB as usize];
    let large_dir = uploads.join("dokumente");
    std::fs::create_dir_all(&large_dir).expect("large dir");
    while large_budget >= 20 * MIB {
        let size = rng.range(20 * MIB, 100 * MIB).min(large_budget);
        let path = large_dir.join(format!("archiv_{:03}.pdf", tree.large_files));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("large file"));
        let mut left = size;
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            fill(&mut buf[..n], &mut rng, &text);
            file.write_all(&buf[..n]).expect("write large file");
            left -= n as u64;
        }
        file.flush().expect("flush");
        large_budget -= size;
        tree.large_files += 1;
        tree.files += 1;
        tree.bytes += size;
    }
    const ENTITIES: &[&str] = &["tools", "consumables", "workers", "tickets"];
    const NAMES: &[&str] = &["foto", "dokument", "rechnung", "pruefbericht", "anhang"];
    const EXTS: &[&str] = &["jpg", "png", "pdf", "txt"];
    let mut small_budget = total - tree.bytes;
    while small_budget > 0 {
        let entity = ENTITIES[rng.range(0, ENTITIES.len() as u64 - 1) as usize];
        let id = format!("{:016x}{:08x}", rng.next(), rng.next() as u32);
        let dir = uploads.join(entity).join(id);
        std::fs::create_dir_all(&dir).expect("small dir");
        for i in 0..rng.range(1, 5) {
            if small_budget == 0 {
                break;
            }
            let size = rng.range(1024, 64 * 1024).min(small_budget);
            let name = format!(
                "{}_{i}.{}",
                NAMES[rng.range(0, NAMES.len() as u64 - 1) as usize],
                EXTS[rng.range(0, EXTS.len() as u64 - 1) as usize]
            );
            fill(&mut buf[..size as usize], &mut rng, &text);
            std::fs::write(dir.join(name), &buf[..size as usize]).expect("small file");
            small_budget -= size;
            tree.small_files += 1;
            tree.files += 1;
            tree.bytes += size;
        }
    }
    tree
}

pub fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let meta = e.metadata().expect("metadata");
                    if meta.is_dir() {
                        dir_size(&e.path())
                    } else {
                        meta.len()
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------
// Install, config, database.

pub struct Install {
    pub root: PathBuf,
    pub backups: PathBuf,
    pub config: PathBuf,
    pub home: PathBuf,
}

impl Install {
    /// Seeds `database` on `uri` with at least `target_docs` generated documents and the
    /// uploads with `files_mb` MiB; returns the documents seeded and the upload tree.
    pub fn seed(
        &self,
        rt: &tokio::runtime::Runtime,
        uri: &str,
        database: &str,
        target_docs: u64,
        files_mb: u64,
    ) -> (u64, Tree) {
        let data = dataset_for(target_docs);
        let total_docs = data.total_documents() as u64;
        log(format!("seeding {total_docs} documents"));
        rt.block_on(async {
            scandyctl::datagen::seed(&client(uri).await.database(database), &data, false)
                .await
                .expect("seed")
        });
        drop(data);
        let tree = generate_uploads(&self.root.join("app/static/uploads"), files_mb * MIB);
        sync_disk();
        log(format!(
            "{} files, {:.0} MiB",
            tree.files,
            tree.bytes as f64 / MIB as f64
        ));
        (total_docs, tree)
    }

    pub fn new(work: &Path, name: &str, uri: &str, database: &str) -> Install {
        let base = work.join(name);
        let root = base.join("scandy");
        let backups = base.join("backups");
        let home = base.join("home");
        for dir in [&root.join("app/static/uploads"), &backups, &home] {
            std::fs::create_dir_all(dir).expect("install dirs");
        }
        let config = base.join("scandyctl.toml");
        let text = format!(
            "[scandy]\nroot = \"{}\"\n[mongo]\nuri = \"{uri}\"\ndatabase = \"{database}\"\n\
             [backup]\ndir = \"{}\"\nuploads = [\"app/static/uploads\"]\nconfig_files = []\nlog_dirs = []\n\
             [ui]\nlanguage = \"en\"\n",
            root.display(),
            backups.display()
        );
        std::fs::write(&config, text).expect("config");
        Install {
            root,
            backups,
            config,
            home,
        }
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        scandyctl(&self.config, &self.home, args)
    }

    /// Runs `scandyctl backup --type full`; returns the run and the set id.
    pub fn backup(&self) -> (Run, String) {
        let r = run(
            "scandyctl backup",
            &mut self.cmd(&["backup", "--type", "full"]),
        );
        let id = set_id_of(&r);
        assert!(
            self.backups.join(&id).is_dir(),
            "no set directory for id {id:?}"
        );
        (r, id)
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

pub async fn client(uri: &str) -> mongodb::Client {
    mongodb::Client::with_uri_str(uri)
        .await
        .expect("mongo client")
}

/// Reads every document of every collection as raw BSON and drops it.
pub async fn drain(uri: &str, database: &str) -> (Duration, u64, u64) {
    let client = client(uri).await;
    let db = client.database(database);
    let started = Instant::now();
    let mut names = db.list_collection_names().await.expect("list collections");
    names.retain(|n| !n.starts_with("system."));
    let (mut docs, mut bytes) = (0u64, 0u64);
    for name in names {
        let mut cursor = db
            .collection::<RawDocumentBuf>(&name)
            .find(doc! {})
            .batch_size(DRAIN_BATCH)
            .await
            .expect("find");
        while let Some(doc) = cursor.try_next().await.expect("cursor") {
            docs += 1;
            bytes += doc.as_bytes().len() as u64;
        }
    }
    (started.elapsed(), docs, bytes)
}

/// CPU seconds (user + system) the process `pid` has used so far.
pub fn process_cpu(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / hz
}

/// Time of the metadata commands for a backup's progress totals.
#[derive(Debug, Default)]
pub struct Planning {
    pub list_indexes: f64,
    pub count: f64,
    pub coll_stats: f64,
}

/// Sends, per collection, the metadata commands an interactive backup uses for its progress
/// totals: listIndexes, estimatedDocumentCount (twice) and collStats. SecantusDB answers the
/// last two by scanning the collection, so this shows what those totals cost on it.
pub async fn planning_commands(uri: &str, database: &str) -> Planning {
    let client = client(uri).await;
    let db = client.database(database);
    let mut names = db.list_collection_names().await.expect("list collections");
    names.retain(|n| !n.starts_with("system."));
    let mut p = Planning::default();
    for name in names {
        let t = Instant::now();
        let _: Vec<mongodb::bson::Document> = db
            .run_cursor_command(doc! { "listIndexes": name.as_str() })
            .await
            .expect("listIndexes")
            .try_collect()
            .await
            .expect("listIndexes");
        p.list_indexes += t.elapsed().as_secs_f64();
        let coll = db.collection::<mongodb::bson::Document>(&name);
        let t = Instant::now();
        coll.estimated_document_count().await.expect("count");
        coll.estimated_document_count().await.expect("count");
        p.count += t.elapsed().as_secs_f64();
        let t = Instant::now();
        db.run_command(doc! { "collStats": name.as_str() })
            .await
            .expect("collStats");
        p.coll_stats += t.elapsed().as_secs_f64();
    }
    p
}

pub async fn count_documents(uri: &str, database: &str) -> u64 {
    let client = client(uri).await;
    let db = client.database(database);
    let mut total = 0;
    for name in db.list_collection_names().await.expect("list collections") {
        if !name.starts_with("system.") {
            total += db
                .collection::<mongodb::bson::Document>(&name)
                .count_documents(doc! {})
                .await
                .expect("count");
        }
    }
    total
}

/// The smallest datagen scale that yields at least `target` documents.
pub fn dataset_for(target: u64) -> scandyctl::datagen::Dataset {
    let now = chrono::Local::now().naive_local();
    let probe = generate(&GenOptions {
        scale: 500,
        now,
        ..GenOptions::default()
    });
    let per_scale = probe.total_documents() as f64 / 500.0;
    let mut scale = ((target as f64 / per_scale).ceil() as usize).max(1);
    loop {
        let data = generate(&GenOptions {
            scale,
            now,
            ..GenOptions::default()
        });
        if data.total_documents() as u64 >= target {
            return data;
        }
        scale = scale * 21 / 20 + 1;
    }
}

/// The set id `scandyctl backup` printed as its last line.
pub fn set_id_of(run: &Run) -> String {
    run.stdout
        .trim()
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .to_string()
}

/// A whole number from the environment (underscores allowed), else `default`.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .unwrap_or(default)
}
