//! A sandbox native Scandy install for trying the console without a real one.
//!
//! [`prepare`] builds the directory layout of `/opt/scandy` (`.env`, app, logs with
//! history, uploads, sessions, JSON backups), seeds a database with generated data
//! (starting a local SecantusDB when no URI is given) and keeps `app/logs/app.log`
//! growing and rotating like the real app does.

mod files;
mod history;
mod lines;
pub mod log_writer;
mod png;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use color_eyre::eyre::{self, WrapErr, bail};
use mongodb::bson::doc;

use crate::config::Config;
use crate::datagen::{self, GenOptions, SeedReport};
use crate::mongo::local_server::{LocalMongoServer, default_venv_dir, ensure_venv};
pub use history::SPECIAL_LOGS;
pub use log_writer::{LiveLogWriter, RotatingLogWriter};

/// File that marks a directory as a demo install (only such directories are removed).
pub const MARKER_FILE: &str = ".scandyctl-demo";
/// Database name of a native Scandy install.
pub const DEFAULT_DATABASE: &str = "scandy";

/// How to build the demo install.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    /// Install directory; a new temporary directory when `None`.
    pub dir: Option<PathBuf>,
    /// Existing server to seed (its path names the database, default `scandy`);
    /// a local SecantusDB is started when `None`.
    pub mongo_uri: Option<String>,
    /// Keep the directory after [`DemoInstall::shutdown`].
    pub keep: bool,
    /// Data size: about this many tools, the rest in proportion.
    pub scale: usize,
    /// Entries per second the live writer appends to `app/logs/app.log` (0 = none).
    pub log_lines_per_sec: f64,
    /// Rotation size of `app.log` (Scandy: 1 MiB).
    pub rotate_bytes: u64,
    /// Rotated files kept (Scandy: 10).
    pub rotate_keep: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            dir: None,
            mongo_uri: None,
            keep: false,
            scale: 500,
            log_lines_per_sec: 2.0,
            rotate_bytes: 1 << 20,
            rotate_keep: 10,
        }
    }
}

/// A running demo install: files, database (and maybe its server), live log writer.
#[derive(Debug)]
pub struct DemoInstall {
    /// The install directory (like `/opt/scandy`).
    pub root: PathBuf,
    /// Configuration pointing at this install.
    pub config: Config,
    /// What was seeded; `None` when the database already held Scandy data.
    pub seeded: Option<SeedReport>,
    /// JSON v2 backups written to `backups/`.
    pub backup_files: Vec<PathBuf>,
    /// Number of files under `app/static/uploads`.
    pub upload_files: usize,
    server: Option<LocalMongoServer>,
    writer: Option<LiveLogWriter>,
    keep: bool,
    stopped: bool,
}

/// Builds the demo install; `progress` receives short human-readable steps.
pub async fn prepare(
    opts: &DemoOptions,
    progress: &mut dyn FnMut(&str),
) -> eyre::Result<DemoInstall> {
    let root = demo_root(opts.dir.as_deref())?;
    progress(&format!("demo install in {}", root.display()));
    let mut install = DemoInstall {
        root: root.clone(),
        config: Config::default(),
        seeded: None,
        backup_files: Vec::new(),
        upload_files: 0,
        server: None,
        writer: None,
        keep: opts.keep,
        stopped: false,
    };
    // From here on, dropping `install` on an error cleans up server and directory.
    let (uri, database) = match &opts.mongo_uri {
        Some(uri) => (uri.clone(), database_of(uri).await?),
        None => {
            let server = start_server(&root, progress).await?;
            let uri = server.uri();
            install.server = Some(server);
            (uri, DEFAULT_DATABASE.to_string())
        }
    };
    install.config = demo_config(&root, &uri, &database);

    let gen_opts = GenOptions {
        scale: opts.scale.max(1),
        now: chrono::Local::now().naive_local(),
        ..GenOptions::default()
    };
    let data = datagen::generate(&gen_opts);
    install.seeded = seed_if_empty(&uri, &database, &data, progress).await?;

    progress("writing .env, app, uploads and sessions");
    files::write_env(&root, &uri, &database)?;
    files::write_app(&root)?;
    install.upload_files = files::write_uploads(&root, &data)?;

    progress("writing log history");
    let logs_root = root.clone();
    let (rotate_bytes, rotate_keep, now) = (opts.rotate_bytes, opts.rotate_keep, gen_opts.now);
    tokio::task::spawn_blocking(move || -> eyre::Result<()> {
        history::write_app_log_history(&logs_root, now, rotate_bytes, rotate_keep, 7)?;
        history::write_special_logs(&logs_root, now, 7)
    })
    .await
    .wrap_err("the log history task failed")??;

    progress("writing JSON backups");
    let backup_root = root.clone();
    install.backup_files =
        tokio::task::spawn_blocking(move || files::write_backups(&backup_root, &gen_opts))
            .await
            .wrap_err("the backup task failed")??;

    if opts.log_lines_per_sec > 0.0 {
        let writer = RotatingLogWriter::new(
            root.join("app/logs/app.log"),
            opts.rotate_bytes,
            opts.rotate_keep,
        );
        let live = LiveLogWriter::start(writer, opts.log_lines_per_sec, rand::random())
            .wrap_err("cannot start the demo log writer")?;
        install.writer = Some(live);
        progress(&format!(
            "appending {} log lines/s to app/logs/app.log",
            opts.log_lines_per_sec
        ));
    }
    Ok(install)
}

impl DemoInstall {
    /// Returns the pid of the local SecantusDB, if the demo started one.
    pub fn server_pid(&self) -> Option<u32> {
        self.server.as_ref().map(LocalMongoServer::pid)
    }

    /// Stops the log writer and server; removes the directory unless `keep` (returns it then).
    pub async fn shutdown(self) -> eyre::Result<Option<PathBuf>> {
        let mut me = self;
        tokio::task::spawn_blocking(move || me.stop_all())
            .await
            .wrap_err("the demo shutdown task failed")?
    }

    fn stop_all(&mut self) -> eyre::Result<Option<PathBuf>> {
        if self.stopped {
            return Ok(None);
        }
        self.stopped = true;
        let written = self.writer.take().map(LiveLogWriter::stop);
        drop(self.server.take());
        if let Some(Err(err)) = written {
            return Err(err).wrap_err("the demo log writer failed");
        }
        if self.keep {
            return Ok(Some(self.root.clone()));
        }
        if self.root.join(MARKER_FILE).exists() {
            fs::remove_dir_all(&self.root)
                .wrap_err_with(|| format!("cannot remove {}", self.root.display()))?;
        }
        Ok(None)
    }
}

impl Drop for DemoInstall {
    fn drop(&mut self) {
        let _ = self.stop_all();
    }
}

/// Creates (or reuses) the demo directory and marks it.
fn demo_root(dir: Option<&Path>) -> eyre::Result<PathBuf> {
    let root = match dir {
        Some(dir) => {
            let reusable = dir.join(MARKER_FILE).exists();
            let empty = fs::read_dir(dir).map_or(true, |mut d| d.next().is_none());
            if !reusable && !empty {
                bail!(
                    "{} is not empty and not a scandyctl demo install; choose an empty or new directory",
                    dir.display()
                );
            }
            fs::create_dir_all(dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
            dir.to_path_buf()
        }
        None => tempfile::Builder::new()
            .prefix("scandyctl-demo-")
            .tempdir()
            .wrap_err("cannot create a temporary demo directory")?
            .keep(),
    };
    let root = root
        .canonicalize()
        .wrap_err_with(|| format!("cannot resolve {}", root.display()))?;
    files::write_file(
        &root.join(MARKER_FILE),
        b"Created by `scandyctl demo`; removed on shutdown unless --keep.\n",
    )?;
    Ok(root)
}

async fn start_server(
    root: &Path,
    progress: &mut dyn FnMut(&str),
) -> eyre::Result<LocalMongoServer> {
    let venv = default_venv_dir();
    progress(&format!(
        "preparing the SecantusDB environment in {} (first run installs it)",
        venv.display()
    ));
    let python = tokio::task::spawn_blocking(move || ensure_venv(&venv))
        .await
        .wrap_err("the venv task failed")??;
    progress("starting SecantusDB");
    let storage = root.join("mongo-data");
    let started = Instant::now();
    let server =
        tokio::task::spawn_blocking(move || LocalMongoServer::start(&python, &storage, &[]))
            .await
            .wrap_err("the server start task failed")??;
    progress(&format!(
        "SecantusDB ready at {} in {:.1}s",
        server.uri(),
        started.elapsed().as_secs_f64()
    ));
    Ok(server)
}

/// Returns the database named in the URI path, or `scandy`.
async fn database_of(uri: &str) -> eyre::Result<String> {
    let options = mongodb::options::ClientOptions::parse(uri)
        .await
        .wrap_err("cannot parse the MongoDB URI")?;
    Ok(options
        .default_database
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE.to_string()))
}

async fn seed_if_empty(
    uri: &str,
    database: &str,
    data: &datagen::Dataset,
    progress: &mut dyn FnMut(&str),
) -> eyre::Result<Option<SeedReport>> {
    let client = mongodb::Client::with_uri_str(uri)
        .await
        .wrap_err("cannot create a MongoDB client for the demo")?;
    let db = client.database(database);
    let tools = db
        .collection::<mongodb::bson::Document>("tools")
        .count_documents(doc! {})
        .limit(1)
        .await
        .wrap_err_with(|| format!("cannot read {database}.tools"))?;
    if tools > 0 {
        progress(&format!(
            "database {database} already holds tools; not reseeding"
        ));
        return Ok(None);
    }
    progress(&format!(
        "seeding database {database} with {} documents",
        data.total_documents()
    ));
    let report = datagen::seed(&db, data, false).await?;
    progress(&format!(
        "seeded {} documents and {} indexes in {:.1}s",
        report.total_documents(),
        report.indexes,
        report.elapsed.as_secs_f64()
    ));
    client.shutdown().await;
    Ok(Some(report))
}

fn demo_config(root: &Path, uri: &str, database: &str) -> Config {
    let mut config = Config::default();
    config.scandy.root = root.to_path_buf();
    config.mongo.uri = uri.to_string();
    config.mongo.database = database.to_string();
    config.backup.dir = root.join("backups");
    config
}
