//! The configuration model shared by the engine and the console.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::backup::retention::RetentionPolicy;

/// The effective configuration after all sources were merged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// `[scandy]`: where the install lives.
    pub scandy: ScandySection,
    /// `[mongo]`: how to reach MongoDB.
    pub mongo: MongoSection,
    /// `[backup]`: backup directory and what goes into file backups.
    pub backup: BackupSection,
    /// `[restore]`: how restores load.
    #[serde(default)]
    pub restore: RestoreSection,
    /// `[logs]`: log files to follow.
    pub logs: LogsSection,
    /// `[system]`: sampling and the services shown on the System tab.
    #[serde(default)]
    pub system: SystemSection,
    /// `[web]`: Scandy's HTTP endpoints.
    pub web: WebSection,
    /// `[ui]`: console preferences.
    pub ui: UiSection,
    /// `[metrics]`: where the Prometheus text file goes.
    #[serde(default)]
    pub metrics: MetricsSection,
}

/// `[metrics]` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsSection {
    /// Directory of node_exporter's textfile collector; `scandyctl.prom` is written there by
    /// scheduled runs, `watch` and `status`. Unset: no file.
    pub textfile_dir: Option<PathBuf>,
}

/// `[scandy]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScandySection {
    /// Install directory; its `.env` is read.
    pub root: PathBuf,
    /// The `.env` file, relative to `root` unless absolute.
    pub env_file: PathBuf,
    /// `auto` (weigh the evidence), `native`, `docker-compose` or `multi-instance`.
    #[serde(default = "auto")]
    pub kind: String,
}

fn auto() -> String {
    "auto".into()
}

/// `[mongo]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MongoSection {
    /// Connection string (may hold a password: print only through `redact_uri`).
    pub uri: String,
    /// Database name.
    pub database: String,
}

/// `[backup]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupSection {
    /// Directory holding backup sets.
    pub dir: PathBuf,
    /// Upload directories, relative to `scandy.root` unless absolute.
    pub uploads: Vec<PathBuf>,
    /// Config files, relative to `scandy.root` unless absolute.
    pub config_files: Vec<PathBuf>,
    /// Log directories, relative to `scandy.root` unless absolute.
    pub log_dirs: Vec<PathBuf>,
    /// Directories holding Scandy's own backups and plain mongodump output (listed,
    /// verified, restored and converted, never written into); relative to `scandy.root`.
    #[serde(default = "default_legacy_dirs")]
    pub legacy_dirs: Vec<PathBuf>,
    /// Put `.env` and other secret-holding files into unencrypted backups anyway.
    #[serde(default)]
    pub include_secrets: bool,
    /// age X25519 public keys (`age1...`); when any recipient is configured (here or in
    /// `recipients_file`) every data member of a backup is encrypted. Public: may be printed.
    #[serde(default)]
    pub recipients: Vec<String>,
    /// A file with one recipient per line (`#` comments and blank lines ignored). The loader
    /// makes a relative path from the config file absolute against the file's directory,
    /// like `scandy.root`.
    #[serde(default)]
    pub recipients_file: Option<PathBuf>,
    /// The age identity (private key) file for `verify --deep` and restore; made absolute
    /// like `recipients_file`. Only the path is ever printed, never the file's content.
    #[serde(default)]
    pub identity: Option<PathBuf>,
    /// How many sets `scandyctl prune` keeps (`keep_daily`, `keep_weekly`, `keep_monthly`,
    /// `keep_pre_restore_days`).
    #[serde(default)]
    pub retention: RetentionPolicy,
    /// Percent of the backup filesystem that must stay free after a backup; the pre-flight
    /// check refuses a backup that would leave less.
    #[serde(default = "default_min_free_percent")]
    pub min_free_percent: u32,
    /// `backup --type auto` takes a full once a chain would hold more sets than this.
    #[serde(default = "default_max_chain")]
    pub max_chain: u32,
    /// `backup --type auto` takes a full once the chain's base is older than this many days.
    #[serde(default = "default_max_chain_age_days")]
    pub max_chain_age_days: u32,
    /// Seconds between oplog slices for point-in-time restore (`oplog_slices = "10m"`);
    /// 0: no slices.
    #[serde(default)]
    pub oplog_slices: u32,
}

fn default_max_chain() -> u32 {
    BackupSection::DEFAULT_MAX_CHAIN
}

fn default_max_chain_age_days() -> u32 {
    BackupSection::DEFAULT_MAX_CHAIN_AGE_DAYS
}

fn default_legacy_dirs() -> Vec<PathBuf> {
    vec![PathBuf::from("backups")]
}

fn default_min_free_percent() -> u32 {
    BackupSection::DEFAULT_MIN_FREE_PERCENT
}

impl BackupSection {
    /// Default of `min_free_percent`.
    pub const DEFAULT_MIN_FREE_PERCENT: u32 = 10;
    /// Largest allowed `min_free_percent`.
    pub const MAX_MIN_FREE_PERCENT: u32 = 90;
    /// Default of `max_chain`.
    pub const DEFAULT_MAX_CHAIN: u32 = 7;
    /// Default of `max_chain_age_days`.
    pub const DEFAULT_MAX_CHAIN_AGE_DAYS: u32 = 8;
}

impl Default for BackupSection {
    fn default() -> Self {
        BackupSection {
            dir: PathBuf::from("/backups"),
            uploads: vec![PathBuf::from("app/static/uploads")],
            config_files: vec![PathBuf::from(".env"), PathBuf::from("docker-compose.yml")],
            log_dirs: vec![PathBuf::from("app/logs"), PathBuf::from("logs")],
            legacy_dirs: default_legacy_dirs(),
            include_secrets: false,
            recipients: Vec::new(),
            recipients_file: None,
            identity: None,
            retention: RetentionPolicy::default(),
            min_free_percent: BackupSection::DEFAULT_MIN_FREE_PERCENT,
            max_chain: BackupSection::DEFAULT_MAX_CHAIN,
            max_chain_age_days: BackupSection::DEFAULT_MAX_CHAIN_AGE_DAYS,
            oplog_slices: 0,
        }
    }
}

/// `[restore]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreSection {
    /// Collections (and insert batches) a restore loads at once, like mongorestore's
    /// `--numParallelCollections`; 1 loads one ordered batch after another.
    pub parallel_collections: u32,
}

impl RestoreSection {
    /// Default of `parallel_collections`.
    pub const DEFAULT_PARALLEL_COLLECTIONS: u32 = 4;
    /// Smallest allowed `parallel_collections`.
    pub const MIN_PARALLEL_COLLECTIONS: u32 = 1;
    /// Largest allowed `parallel_collections`.
    pub const MAX_PARALLEL_COLLECTIONS: u32 = 64;
}

impl Default for RestoreSection {
    fn default() -> Self {
        RestoreSection {
            parallel_collections: RestoreSection::DEFAULT_PARALLEL_COLLECTIONS,
        }
    }
}

/// `[logs]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogsSection {
    /// Files and globs, relative to `scandy.root` unless absolute.
    pub files: Vec<String>,
    /// Most log entries the console keeps in memory (the oldest go first).
    pub max_entries: u32,
    /// systemd units whose journal is followed (`journalctl -u`); from discovery on a
    /// native install unless set.
    #[serde(default)]
    pub journal_units: Vec<String>,
    /// Docker containers whose logs are followed (`docker logs`); from discovery on a docker
    /// install unless set.
    #[serde(default)]
    pub docker_containers: Vec<String>,
}

impl LogsSection {
    /// Default of `max_entries`.
    pub const DEFAULT_MAX_ENTRIES: u32 = 200_000;
    /// Smallest allowed `max_entries`.
    pub const MIN_MAX_ENTRIES: u32 = 1_000;
    /// Largest allowed `max_entries`.
    pub const MAX_MAX_ENTRIES: u32 = 5_000_000;
}

/// `[system]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemSection {
    /// How often the System tab and `scandyctl watch` sample, in milliseconds.
    pub refresh_ms: u32,
    /// systemd units shown with their state (native installs: Scandy and MongoDB).
    pub units: Vec<String>,
    /// Docker containers shown with their state (docker installs).
    pub containers: Vec<String>,
}

impl SystemSection {
    /// Default of `refresh_ms`.
    pub const DEFAULT_REFRESH_MS: u32 = 1_000;
    /// Smallest allowed `refresh_ms`.
    pub const MIN_REFRESH_MS: u32 = 200;
    /// Largest allowed `refresh_ms`.
    pub const MAX_REFRESH_MS: u32 = 60_000;
}

impl Default for SystemSection {
    fn default() -> Self {
        SystemSection {
            refresh_ms: SystemSection::DEFAULT_REFRESH_MS,
            units: Vec::new(),
            containers: Vec::new(),
        }
    }
}

/// `[web]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebSection {
    /// URL of Scandy's health endpoint.
    pub health_url: String,
    /// Seconds between two full `/health` requests (the port is checked far more often).
    #[serde(default = "default_health_interval")]
    pub health_interval: u32,
    /// Scandy's rate limits in Flask-Limiter notation (`none` when `/health` is exempt).
    #[serde(default = "default_rate_limit")]
    pub rate_limit: String,
}

fn default_health_interval() -> u32 {
    WebSection::DEFAULT_HEALTH_INTERVAL
}

fn default_rate_limit() -> String {
    crate::system::rate_limit::SCANDY_DEFAULT_LIMITS.into()
}

/// `[ui]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UiSection {
    /// `auto`, `en` or `de`.
    pub language: LanguageSetting,
}

/// The configured console language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LanguageSetting {
    /// Follow `LANG` / `LC_ALL` / `LC_MESSAGES`.
    Auto,
    /// English.
    En,
    /// German.
    De,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            scandy: ScandySection {
                root: PathBuf::from("/opt/scandy"),
                env_file: PathBuf::from(".env"),
                kind: auto(),
            },
            mongo: MongoSection {
                uri: "mongodb://localhost:27017".into(),
                database: "scandy".into(),
            },
            backup: BackupSection::default(),
            restore: RestoreSection::default(),
            logs: LogsSection {
                files: vec!["app/logs/*.log".into(), "logs/*.log".into()],
                max_entries: LogsSection::DEFAULT_MAX_ENTRIES,
                journal_units: Vec::new(),
                docker_containers: Vec::new(),
            },
            system: SystemSection::default(),
            web: WebSection {
                health_url: "http://127.0.0.1:5000/health".into(),
                health_interval: default_health_interval(),
                rate_limit: default_rate_limit(),
            },
            ui: UiSection {
                language: LanguageSetting::Auto,
            },
            metrics: MetricsSection::default(),
        }
    }
}

impl Config {
    /// Resolves a path from the config relative to `scandy.root` unless it is absolute.
    pub fn resolve(&self, path: &std::path::Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.scandy.root.join(path)
        }
    }
}

/// Where one effective value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ValueSource {
    /// A command-line flag, e.g. `--mongo-uri`.
    Flag {
        /// The flag as typed, e.g. `--root`.
        flag: String,
    },
    /// A process environment variable, e.g. `MONGODB_URI`.
    Environment {
        /// The variable name.
        variable: String,
    },
    /// The TOML config file.
    ConfigFile {
        /// The config file.
        path: PathBuf,
    },
    /// Scandy's `.env` under `scandy.root`.
    DotEnv {
        /// The `.env` file.
        path: PathBuf,
        /// The key(s) the value came from, e.g. `MONGODB_URI`.
        key: String,
    },
    /// Install discovery found it.
    Discovery {
        /// What was found, e.g. `native install at /opt/scandy`.
        detail: String,
    },
    /// The sandbox built by `scandyctl demo`.
    Demo,
    /// Built-in default.
    Default,
}

impl std::fmt::Display for ValueSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ValueSource::Flag { flag } => write!(f, "command line {flag}"),
            ValueSource::Environment { variable } => write!(f, "environment {variable}"),
            ValueSource::ConfigFile { path } => write!(f, "config file {}", path.display()),
            ValueSource::DotEnv { path, key } => write!(f, "{} ({key})", path.display()),
            ValueSource::Discovery { detail } => write!(f, "discovery ({detail})"),
            ValueSource::Default => write!(f, "built-in default"),
            ValueSource::Demo => write!(f, "demo sandbox"),
        }
    }
}

/// Values given on the command line; `None` means "not given".
#[derive(Debug, Clone, Default)]
pub struct CliOverrides {
    /// `--config FILE`.
    pub config_file: Option<PathBuf>,
    /// `--root DIR`.
    pub root: Option<PathBuf>,
    /// `--mongo-uri URI`.
    pub mongo_uri: Option<String>,
    /// `--database NAME`.
    pub database: Option<String>,
    /// `--backup-dir DIR`.
    pub backup_dir: Option<PathBuf>,
    /// `--lang auto|en|de`.
    pub language: Option<LanguageSetting>,
}
