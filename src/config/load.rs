//! Merging flags, environment, config file, Scandy's `.env`, discovery and defaults.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::dotenv::{self, DotEnv};
use super::error::{ConfigError, os_reason};
use super::file::{self, FileSettings};
use super::recipients::{check_age_recipient, parse_recipients_file};
use super::uri::{check_database_name, first_host_port, validate_mongo_uri};
use super::{CliOverrides, Config, LogsSection, RestoreSection, SystemSection, ValueSource};
use crate::backup::retention::RetentionPolicy;
use crate::discovery::{self, Install, InstallKind, SearchPaths};

/// Everything `load` reads from the outside world, so tests can replace it.
#[derive(Debug, Clone)]
pub struct LoadContext {
    /// Process environment (`MONGODB_URI`, `MONGODB_DB`, `SCANDYCTL_CONFIG`).
    pub env: HashMap<String, String>,
    /// Current directory (for `./scandyctl.toml` and relative flags).
    pub cwd: PathBuf,
    /// Home directory (for `~/.config/scandyctl/config.toml`).
    pub home: Option<PathBuf>,
    /// The system-wide config file, normally `/etc/scandyctl/config.toml`.
    pub etc_config: PathBuf,
    /// Where discovery looks when no root is configured.
    pub discovery: SearchPaths,
}

impl LoadContext {
    /// The real process environment, current directory, `$HOME` and default search paths.
    pub fn from_process() -> Self {
        let env: HashMap<String, String> = std::env::vars().collect();
        let home = env.get("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
        LoadContext {
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/")),
            home,
            env,
            etc_config: PathBuf::from("/etc/scandyctl/config.toml"),
            discovery: SearchPaths::defaults(),
        }
    }
}

/// The effective configuration and where every value came from.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The merged configuration.
    pub config: Config,
    /// Source of every key (`"mongo.uri"` → `ValueSource`).
    pub sources: BTreeMap<String, ValueSource>,
    /// The config file that was read, if any.
    pub file: Option<PathBuf>,
    /// The install at `scandy.root` (discovered or inspected), if recognised.
    pub install: Option<Install>,
    /// Remarks for the admin (missing `.env`, discovery choices, ...); never secrets.
    pub notes: Vec<String>,
    /// Config file candidates looked at, in lookup order.
    pub searched: Vec<PathBuf>,
}

pub(super) type Layer<T> = Option<(T, ValueSource)>;

/// Where a list-valued key lives in `Config`.
type ListSlot = fn(&mut Config) -> &mut Vec<PathBuf>;

/// The first layer that has a value, else the default.
pub(super) fn first<T>(layers: Vec<Layer<T>>, default: T) -> (T, ValueSource) {
    layers
        .into_iter()
        .flatten()
        .next()
        .unwrap_or((default, ValueSource::Default))
}

fn absolute(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

pub(super) fn flag(name: &str) -> ValueSource {
    ValueSource::Flag { flag: name.into() }
}

fn environment(ctx: &LoadContext, name: &str) -> Layer<String> {
    let value = ctx.env.get(name).filter(|v| !v.is_empty())?;
    Some((
        value.clone(),
        ValueSource::Environment {
            variable: name.into(),
        },
    ))
}

/// Loads the configuration: flags > environment > config file > `.env` > discovery > defaults.
pub fn load(cli: &CliOverrides, ctx: &LoadContext) -> Result<LoadedConfig, ConfigError> {
    let located = file::locate(cli, ctx)?;
    let settings = located.file.as_deref().map(file::read).transpose()?;
    let mut loaded = LoadedConfig {
        config: Config::default(),
        sources: BTreeMap::new(),
        file: located.file.clone(),
        install: None,
        notes: Vec::new(),
        searched: located.searched,
    };
    let file_source = settings.as_ref().map(|s| ValueSource::ConfigFile {
        path: s.path.clone(),
    });
    let from_file = |key: &str| -> Layer<(String, usize)> {
        let (value, line) = settings.as_ref()?.string(key)?;
        Some(((value.to_string(), line), file_source.clone()?))
    };
    let list_from_file = |key: &str| -> Layer<Vec<String>> {
        let (value, _) = settings.as_ref()?.list(key)?;
        Some((value, file_source.clone()?))
    };
    let file_dir = located
        .file
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(&ctx.cwd)
        .to_path_buf();

    // scandy.root: flag > config file > discovery > default.
    let root_file = from_file("scandy.root");
    if let Some(((root, line), source)) = &root_file
        && root.trim().is_empty()
    {
        return Err(ConfigError::InvalidValue {
            key: "scandy.root",
            source: Box::new(source.clone()),
            line: Some(*line),
            message: "must not be empty".into(),
        });
    }
    let forced_kind = scandy_kind(&from_file, &mut loaded)?;
    let root_layer = cli
        .root
        .as_ref()
        .map(|r| (absolute(&ctx.cwd, r), flag("--root")))
        .or_else(|| root_file.map(|((r, _), s)| (absolute(&file_dir, Path::new(&r)), s)));
    let (root, root_source) = match root_layer {
        Some((root, source)) => {
            loaded.install =
                discovery::inspect_root(&root, &ctx.discovery.systemd_dirs, forced_kind);
            (root, source)
        }
        None => {
            let (root, source) = discover_root(ctx, &mut loaded);
            if forced_kind.is_some() && loaded.install.is_some() {
                loaded.install =
                    discovery::inspect_root(&root, &ctx.discovery.systemd_dirs, forced_kind);
            }
            (root, source)
        }
    };
    loaded.config.scandy.root = root;
    loaded.sources.insert("scandy.root".into(), root_source);
    if !loaded.config.scandy.root.is_dir() {
        loaded.notes.push(format!(
            "scandy.root {} is not a directory",
            loaded.config.scandy.root.display()
        ));
    }

    let (env_file, source) = first(
        vec![from_file("scandy.env_file").map(|((v, _), s)| (PathBuf::from(v), s))],
        ".env".into(),
    );
    loaded.config.scandy.env_file = env_file;
    loaded.sources.insert("scandy.env_file".into(), source);
    let env_path = loaded.config.resolve(&loaded.config.scandy.env_file);
    let dot = read_dotenv(&env_path, &mut loaded.notes)?;

    mongo(cli, ctx, &mut loaded, &from_file, dot.as_ref(), &env_path)?;

    let backup_dir = cli
        .backup_dir
        .as_ref()
        .map(|d| (absolute(&ctx.cwd, d), flag("--backup-dir")));
    let file_dir_layer = from_file("backup.dir").map(|((v, _), s)| (PathBuf::from(v), s));
    let (dir, source) = first(
        vec![backup_dir, file_dir_layer],
        loaded.config.backup.dir.clone(),
    );
    loaded.config.backup.dir = dir;
    loaded.sources.insert("backup.dir".into(), source);

    let lists: [(&str, ListSlot); 4] = [
        ("backup.uploads", |c| &mut c.backup.uploads),
        ("backup.config_files", |c| &mut c.backup.config_files),
        ("backup.log_dirs", |c| &mut c.backup.log_dirs),
        ("backup.legacy_dirs", |c| &mut c.backup.legacy_dirs),
    ];
    for (key, slot) in lists {
        let source = match list_from_file(key) {
            Some((values, source)) => {
                *slot(&mut loaded.config) = values.into_iter().map(PathBuf::from).collect();
                source
            }
            None => ValueSource::Default,
        };
        loaded.sources.insert(key.into(), source);
    }
    let (files, source) = first(
        vec![list_from_file("logs.files")],
        loaded.config.logs.files.clone(),
    );
    loaded.config.logs.files = files;
    loaded.sources.insert("logs.files".into(), source);
    command_log_sources(&mut loaded, &list_from_file);

    if let (Some(settings), Some(source)) = (&settings, &file_source) {
        backup_encryption(settings, source, &file_dir, &mut loaded)?;
        backup_retention(settings, source, &mut loaded)?;
        logs_max_entries(settings, source, &mut loaded)?;
        system_refresh(settings, source, &mut loaded)?;
        restore_parallel(settings, source, &mut loaded)?;
        backup_min_free(settings, source, &mut loaded)?;
        loaded.config.metrics.textfile_dir =
            optional_path(settings, "metrics.textfile_dir", source, &file_dir)?;
        if loaded.config.metrics.textfile_dir.is_some() {
            loaded
                .sources
                .insert("metrics.textfile_dir".into(), source.clone());
        }
    }
    for key in BACKUP_ENCRYPTION_KEYS
        .into_iter()
        .chain(BACKUP_RETENTION_KEYS)
        .chain([
            "logs.max_entries",
            "system.refresh_ms",
            "restore.parallel_collections",
            "backup.min_free_percent",
            "backup.max_chain",
            "backup.max_chain_age_days",
            "backup.oplog_slices",
            "metrics.textfile_dir",
        ])
    {
        loaded
            .sources
            .entry(key.into())
            .or_insert(ValueSource::Default);
    }

    super::web::web_and_ui(
        cli,
        &mut loaded,
        &from_file,
        settings.as_ref().zip(file_source.as_ref()),
        dot.as_ref().map(|d| (d, env_path.as_path())),
    )?;
    scandy_backups_note(&mut loaded);
    Ok(loaded)
}

/// `scandy.kind` (config file only): `auto`, or the kind that overrides discovery's verdict.
fn scandy_kind(
    from_file: &FileLookup<'_>,
    loaded: &mut LoadedConfig,
) -> Result<Option<InstallKind>, ConfigError> {
    let Some(((text, line), source)) = from_file("scandy.kind") else {
        loaded
            .sources
            .insert("scandy.kind".into(), ValueSource::Default);
        return Ok(None);
    };
    let kind = match text.as_str() {
        "auto" => None,
        other => Some(InstallKind::parse(other).ok_or_else(|| {
            invalid_value(
                &source,
                "scandy.kind",
                line,
                format!(
                    "\"{}\" is not an install kind; use auto, native, docker-compose or multi-instance",
                    other.escape_debug()
                ),
            )
        })?),
    };
    loaded.config.scandy.kind = kind.map_or_else(|| "auto".into(), |k| k.to_string());
    loaded.sources.insert("scandy.kind".into(), source);
    Ok(kind)
}

/// The `[backup]` keys only the config file sets.
const BACKUP_ENCRYPTION_KEYS: [&str; 4] = [
    "backup.include_secrets",
    "backup.recipients",
    "backup.recipients_file",
    "backup.identity",
];

/// The `[backup]` retention keys (config file only), each with its slot in the policy.
const BACKUP_RETENTION_KEYS: [&str; 4] = [
    "backup.keep_daily",
    "backup.keep_weekly",
    "backup.keep_monthly",
    "backup.keep_pre_restore_days",
];

/// A bad value of `key` on `line` of the config file `source`.
pub(super) fn invalid_value(
    source: &ValueSource,
    key: &'static str,
    line: usize,
    message: String,
) -> ConfigError {
    ConfigError::InvalidValue {
        key,
        source: Box::new(source.clone()),
        line: Some(line),
        message,
    }
}

/// `backup.keep_daily`, `backup.keep_weekly`, `backup.keep_monthly` and
/// `backup.keep_pre_restore_days`: config file > default; each 0 to
/// [`RetentionPolicy::MAX`], and not daily, weekly and monthly all 0.
fn backup_retention(
    settings: &FileSettings,
    source: &ValueSource,
    loaded: &mut LoadedConfig,
) -> Result<(), ConfigError> {
    let invalid = |key, line, message| invalid_value(source, key, line, message);
    let mut last_line = None;
    for key in BACKUP_RETENTION_KEYS {
        let Some((value, line)) = settings.integer(key) else {
            continue;
        };
        let value = u32::try_from(value)
            .ok()
            .filter(|v| *v <= RetentionPolicy::MAX)
            .ok_or_else(|| {
                invalid(
                    key,
                    line,
                    format!(
                        "must be a whole number from 0 to {}, found {value}",
                        RetentionPolicy::MAX
                    ),
                )
            })?;
        let policy = &mut loaded.config.backup.retention;
        let slot = match key {
            "backup.keep_daily" => &mut policy.keep_daily,
            "backup.keep_weekly" => &mut policy.keep_weekly,
            "backup.keep_monthly" => &mut policy.keep_monthly,
            _ => &mut policy.keep_pre_restore_days,
        };
        *slot = value;
        loaded.sources.insert(key.into(), source.clone());
        if key != "backup.keep_pre_restore_days" && last_line.is_none_or(|(_, l)| line > l) {
            last_line = Some((key, line));
        }
    }
    if loaded.config.backup.retention.keeps_no_slots() {
        // Only the file can set them, so all three are in it; name the last of them.
        let (key, line) = last_line.unwrap_or(("backup.keep_daily", 0));
        return Err(invalid(
            key,
            line,
            "keep_daily, keep_weekly and keep_monthly are all 0: prune would delete every \
             backup but the newest; keep at least one daily, weekly or monthly set"
                .into(),
        ));
    }
    Ok(())
}

/// `logs.journal_units` and `logs.docker_containers`: config file, else what the install
/// uses — the systemd unit of a native install, the containers of a docker install.
fn command_log_sources(
    loaded: &mut LoadedConfig,
    list_from_file: &dyn Fn(&str) -> Layer<Vec<String>>,
) {
    let install = loaded.install.as_ref();
    // A unit whose WorkingDirectory is the install runs Scandy natively, whatever else the
    // directory holds: the native installer copies the whole repository, compose file
    // included, so the compose file's containers do not exist there.
    let unit = install
        .and_then(|i| i.service_unit.as_ref())
        .and_then(|u| u.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    let containers = install
        .filter(|i| i.kind != InstallKind::Native && unit.is_none())
        .map(|i| i.containers.clone())
        .unwrap_or_default();
    let discovered = |detail: &str| ValueSource::Discovery {
        detail: detail.to_string(),
    };
    let (units, source) = match list_from_file("logs.journal_units") {
        Some(layer) => layer,
        None => match unit {
            Some(unit) => (vec![unit], discovered("the install's systemd unit")),
            None => (Vec::new(), ValueSource::Default),
        },
    };
    loaded.config.logs.journal_units = units;
    loaded.sources.insert("logs.journal_units".into(), source);
    let (names, source) = match list_from_file("logs.docker_containers") {
        Some(layer) => layer,
        None if !containers.is_empty() => (containers, discovered("the compose file's containers")),
        None => (Vec::new(), ValueSource::Default),
    };
    loaded.config.logs.docker_containers = names;
    loaded
        .sources
        .insert("logs.docker_containers".into(), source);
    system_services(loaded, list_from_file);
}

/// `system.units` and `system.containers`: config file, else Scandy's and MongoDB's units on
/// a native install, the containers on a docker install.
fn system_services(loaded: &mut LoadedConfig, list_from_file: &dyn Fn(&str) -> Layer<Vec<String>>) {
    let native = loaded
        .install
        .as_ref()
        .is_some_and(|i| i.kind == InstallKind::Native);
    let discovered = |detail: &str| ValueSource::Discovery {
        detail: detail.to_string(),
    };
    let (units, source) = match list_from_file("system.units") {
        Some(layer) => layer,
        None if native => {
            let mut units: Vec<String> = loaded.config.logs.journal_units.clone();
            if units.is_empty() {
                units.push("scandy.service".into());
            }
            units.push("mongod.service".into());
            (
                units,
                discovered("a native install: Scandy's unit and mongod"),
            )
        }
        None => (Vec::new(), ValueSource::Default),
    };
    loaded.config.system.units = units;
    loaded.sources.insert("system.units".into(), source);
    let docker = loaded.config.logs.docker_containers.clone();
    let (containers, source) = match list_from_file("system.containers") {
        Some(layer) => layer,
        None if !docker.is_empty() && !native => {
            (docker, discovered("the compose file's containers"))
        }
        None => (Vec::new(), ValueSource::Default),
    };
    loaded.config.system.containers = containers;
    loaded.sources.insert("system.containers".into(), source);
}

/// `system.refresh_ms` (config file only): a whole number of milliseconds in range.
fn system_refresh(
    settings: &FileSettings,
    source: &ValueSource,
    loaded: &mut LoadedConfig,
) -> Result<(), ConfigError> {
    let range = SystemSection::MIN_REFRESH_MS..=SystemSection::MAX_REFRESH_MS;
    if let Some(value) = bounded(
        settings,
        source,
        "system.refresh_ms",
        range,
        " of milliseconds",
    )? {
        loaded.config.system.refresh_ms = value;
        loaded
            .sources
            .insert("system.refresh_ms".into(), source.clone());
    }
    Ok(())
}

/// `restore.parallel_collections` (config file only): a whole number within the allowed range.
fn restore_parallel(
    settings: &FileSettings,
    source: &ValueSource,
    loaded: &mut LoadedConfig,
) -> Result<(), ConfigError> {
    let range = RestoreSection::MIN_PARALLEL_COLLECTIONS..=RestoreSection::MAX_PARALLEL_COLLECTIONS;
    if let Some(value) = bounded(settings, source, "restore.parallel_collections", range, "")? {
        loaded.config.restore.parallel_collections = value;
        loaded
            .sources
            .insert("restore.parallel_collections".into(), source.clone());
    }
    Ok(())
}

/// `backup.min_free_percent` (config file only): a whole number of percent in range.
fn backup_min_free(
    settings: &FileSettings,
    source: &ValueSource,
    loaded: &mut LoadedConfig,
) -> Result<(), ConfigError> {
    let range = 0..=super::BackupSection::MAX_MIN_FREE_PERCENT;
    if let Some(value) = bounded(
        settings,
        source,
        "backup.min_free_percent",
        range,
        " of percent",
    )? {
        loaded.config.backup.min_free_percent = value;
        loaded
            .sources
            .insert("backup.min_free_percent".into(), source.clone());
    }
    if let Some(value) = bounded(settings, source, "backup.max_chain", 1..=100, "")? {
        loaded.config.backup.max_chain = value;
        loaded
            .sources
            .insert("backup.max_chain".into(), source.clone());
    }
    if let Some(value) = bounded(
        settings,
        source,
        "backup.max_chain_age_days",
        1..=366,
        " of days",
    )? {
        loaded.config.backup.max_chain_age_days = value;
        loaded
            .sources
            .insert("backup.max_chain_age_days".into(), source.clone());
    }
    if let Some((value, line)) = settings.string("backup.oplog_slices") {
        let seconds = parse_interval(value).filter(|s| (60..=86_400).contains(s)).ok_or_else(|| {
            invalid_value(
                source,
                "backup.oplog_slices",
                line,
                format!(
                    "must be an interval from 1m to 24h such as \"10m\", \"30m\" or \"1h\", found {:?}",
                    crate::sanitize::escape_controls(value)
                ),
            )
        })?;
        loaded.config.backup.oplog_slices = seconds;
        loaded
            .sources
            .insert("backup.oplog_slices".into(), source.clone());
    }
    Ok(())
}

/// `logs.max_entries` (config file only): a whole number within the allowed range.
fn logs_max_entries(
    settings: &FileSettings,
    source: &ValueSource,
    loaded: &mut LoadedConfig,
) -> Result<(), ConfigError> {
    let range = LogsSection::MIN_MAX_ENTRIES..=LogsSection::MAX_MAX_ENTRIES;
    if let Some(value) = bounded(settings, source, "logs.max_entries", range, "")? {
        loaded.config.logs.max_entries = value;
        loaded
            .sources
            .insert("logs.max_entries".into(), source.clone());
    }
    Ok(())
}

/// The integer `key` from the config file when it is set; outside `range` it is an error
/// naming the file, line and key ("must be a whole number{unit} from MIN to MAX").
pub(super) fn bounded(
    settings: &FileSettings,
    source: &ValueSource,
    key: &'static str,
    range: std::ops::RangeInclusive<u32>,
    unit: &str,
) -> Result<Option<u32>, ConfigError> {
    let Some((value, line)) = settings.integer(key) else {
        return Ok(None);
    };
    let (min, max) = (*range.start(), *range.end());
    u32::try_from(value)
        .ok()
        .filter(|v| range.contains(v))
        .map(Some)
        .ok_or_else(|| {
            invalid_value(
                source,
                key,
                line,
                format!("must be a whole number{unit} from {min} to {max}, found {value}"),
            )
        })
}

/// An optional path from the config file: must not be empty; relative to the file's
/// directory unless absolute (like `scandy.root`).
fn optional_path(
    settings: &FileSettings,
    key: &'static str,
    source: &ValueSource,
    file_dir: &Path,
) -> Result<Option<PathBuf>, ConfigError> {
    let Some((value, line)) = settings.string(key) else {
        return Ok(None);
    };
    if value.trim().is_empty() {
        return Err(ConfigError::InvalidValue {
            key,
            source: Box::new(source.clone()),
            line: Some(line),
            message: "must not be empty; remove the line to leave it unset".into(),
        });
    }
    Ok(Some(absolute(file_dir, Path::new(value))))
}

/// `backup.include_secrets`, `backup.recipients`, `backup.recipients_file` and
/// `backup.identity`: config file > default. Recipients are checked here (and a readable
/// recipients file too); the identity file is never opened, only its metadata looked at.
fn backup_encryption(
    settings: &FileSettings,
    source: &ValueSource,
    file_dir: &Path,
    loaded: &mut LoadedConfig,
) -> Result<(), ConfigError> {
    let invalid = |key, line, message| invalid_value(source, key, line, message);
    let backup = &mut loaded.config.backup;
    if let Some((value, _)) = settings.boolean("backup.include_secrets") {
        backup.include_secrets = value;
        loaded
            .sources
            .insert("backup.include_secrets".into(), source.clone());
    }
    if let Some((entries, _)) = settings.entries("backup.recipients") {
        for (index, (entry, line)) in entries.iter().enumerate() {
            check_age_recipient(entry).map_err(|why| {
                invalid(
                    "backup.recipients",
                    *line,
                    format!("recipients[{index}]: {why}"),
                )
            })?;
        }
        backup.recipients = entries.iter().map(|(s, _)| s.clone()).collect();
        loaded
            .sources
            .insert("backup.recipients".into(), source.clone());
    }
    if let Some(path) = optional_path(settings, "backup.recipients_file", source, file_dir)? {
        let line = settings
            .string("backup.recipients_file")
            .map_or(0, |(_, l)| l);
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse_recipients_file(&text) {
                Ok(list) if list.is_empty() => {
                    return Err(invalid(
                        "backup.recipients_file",
                        line,
                        format!(
                            "{} holds no recipient; add one age1... public key per line, \
                             or remove the key",
                            path.display()
                        ),
                    ));
                }
                Ok(_) => {}
                Err((number, why)) => {
                    return Err(invalid(
                        "backup.recipients_file",
                        line,
                        format!("{} line {number}: {why}", path.display()),
                    ));
                }
            },
            Err(err) => loaded.notes.push(format!(
                "backup.recipients_file {} cannot be read ({}); backups will fail until it can",
                path.display(),
                os_reason(&err)
            )),
        }
        backup.recipients_file = Some(path);
        loaded
            .sources
            .insert("backup.recipients_file".into(), source.clone());
    }
    if let Some(path) = optional_path(settings, "backup.identity", source, file_dir)? {
        match std::fs::metadata(&path) {
            Ok(meta) => {
                use std::os::unix::fs::PermissionsExt;
                let mode = meta.permissions().mode() & 0o777;
                if meta.is_file() && mode & 0o077 != 0 {
                    loaded.notes.push(format!(
                        "backup.identity {} holds a private key but is accessible to others \
                         (mode {mode:04o}); chmod 600 it",
                        path.display()
                    ));
                }
            }
            Err(err) => loaded.notes.push(format!(
                "backup.identity {} cannot be used ({}); verify --deep and restore of \
                 encrypted backups need it",
                path.display(),
                os_reason(&err)
            )),
        }
        backup.identity = Some(path);
        loaded
            .sources
            .insert("backup.identity".into(), source.clone());
    }
    let backup = &loaded.config.backup;
    if backup.include_secrets && backup.recipients.is_empty() && backup.recipients_file.is_none() {
        loaded.notes.push(
            "backup.include_secrets is true and no recipients are set: .env and other \
             secret-holding files go into unencrypted backups"
                .into(),
        );
    }
    Ok(())
}

/// Picks `scandy.root` from discovery when neither flag nor config file set it.
fn discover_root(ctx: &LoadContext, loaded: &mut LoadedConfig) -> (PathBuf, ValueSource) {
    let installs = discovery::discover(&ctx.discovery);
    let chosen = match installs.len() {
        0 => {
            loaded
                .notes
                .push("discovery found no Scandy install; set --root or scandy.root".into());
            None
        }
        1 => installs.first(),
        n => {
            let native = installs.iter().find(|i| i.kind == InstallKind::Native);
            let listing: Vec<String> = installs
                .iter()
                .map(|i| format!("{} ({})", i.root.display(), i.kind))
                .collect();
            match native {
                Some(install) => loaded.notes.push(format!(
                    "discovery found {n} installs ({}); using the native one at {}",
                    listing.join(", "),
                    install.root.display()
                )),
                None => loaded.notes.push(format!(
                    "discovery found {n} installs ({}) and none is native; set --root or scandy.root to choose",
                    listing.join(", ")
                )),
            }
            native
        }
    };
    match chosen {
        Some(install) => {
            let detail = format!(
                "{} install; {}",
                install.kind,
                install
                    .evidence
                    .first()
                    .map(String::as_str)
                    .unwrap_or("recognised layout")
            );
            loaded.install = Some(install.clone());
            (install.root.clone(), ValueSource::Discovery { detail })
        }
        None => (Config::default().scandy.root, ValueSource::Default),
    }
}

fn read_dotenv(path: &Path, notes: &mut Vec<String>) -> Result<Option<DotEnv>, ConfigError> {
    match dotenv::read(path) {
        Ok(Some(env)) => {
            notes.extend(
                env.warnings
                    .iter()
                    .map(|w| format!("{}: {w}", path.display())),
            );
            Ok(Some(env))
        }
        Ok(None) => {
            notes.push(format!(
                "Scandy's .env not found at {}; MongoDB settings come from elsewhere",
                path.display()
            ));
            Ok(None)
        }
        Err(err) if err.raw_os_error() == Some(libc::ENOTDIR) => {
            notes.push(format!(
                "Scandy's .env not found at {} (a parent is not a directory)",
                path.display()
            ));
            Ok(None)
        }
        Err(err) => Err(ConfigError::DotEnvUnreadable {
            path: path.to_path_buf(),
            reason: os_reason(&err),
        }),
    }
}

pub(super) type FileLookup<'a> = dyn Fn(&str) -> Layer<(String, usize)> + 'a;

pub(super) fn line_of(source: &ValueSource, line: usize) -> Option<usize> {
    matches!(source, ValueSource::ConfigFile { .. }).then_some(line)
}

/// `mongo.uri` and `mongo.database`: flag > environment > file > `.env` > discovery > default.
fn mongo(
    cli: &CliOverrides,
    ctx: &LoadContext,
    loaded: &mut LoadedConfig,
    from_file: &FileLookup<'_>,
    dot: Option<&DotEnv>,
    env_path: &Path,
) -> Result<(), ConfigError> {
    let dot_source = |key: &str| ValueSource::DotEnv {
        path: env_path.to_path_buf(),
        key: key.into(),
    };
    let discovered = loaded.install.as_ref().map(|i| ValueSource::Discovery {
        detail: format!("{} install at {}", i.kind, i.root.display()),
    });
    let env_uri = dot.and_then(DotEnv::scandy_uri);
    if let Some(found) = env_uri.as_ref().filter(|u| u.auth_source_added) {
        loaded.notes.push(format!(
            "added authSource=admin to {} from {}, as Scandy does",
            found.keys,
            env_path.display()
        ));
    }
    let with_line = |layer: Layer<String>| layer.map(|(v, s)| ((v, 0), s));
    let (uri_and_line, uri_source) = first(
        vec![
            with_line(cli.mongo_uri.clone().map(|u| (u, flag("--mongo-uri")))),
            with_line(environment(ctx, "MONGODB_URI")),
            from_file("mongo.uri"),
            with_line(env_uri.clone().map(|u| (u.uri, dot_source(&u.keys)))),
            with_line(
                loaded
                    .install
                    .as_ref()
                    .and_then(|i| i.mongo_uri.clone())
                    .zip(discovered.clone()),
            ),
        ],
        (Config::default().mongo.uri, 0),
    );
    let (uri, line) = uri_and_line;
    validate_mongo_uri(&uri).map_err(|error| ConfigError::InvalidUri {
        key: "mongo.uri",
        source: Box::new(uri_source.clone()),
        line: line_of(&uri_source, line),
        error,
    })?;
    if matches!(uri_source, ValueSource::DotEnv { .. })
        && let (Some(install), Some((host, _))) = (&loaded.install, first_host_port(&uri))
        && install.containers.contains(&host)
    {
        loaded.notes.push(format!(
            "the .env URI names host {host}, which only resolves inside the compose network; \
             from this host use --mongo-uri (or MONGODB_URI) with localhost and the published port"
        ));
    }
    loaded.config.mongo.uri = uri;
    loaded.sources.insert("mongo.uri".into(), uri_source);

    let (db_and_line, db_source) = first(
        vec![
            with_line(cli.database.clone().map(|d| (d, flag("--database")))),
            with_line(environment(ctx, "MONGODB_DB")),
            from_file("mongo.database"),
            with_line(
                dot.and_then(DotEnv::scandy_database)
                    .map(|(db, key)| (db.to_string(), dot_source(key))),
            ),
            with_line(
                loaded
                    .install
                    .as_ref()
                    .map(|i| i.database.clone())
                    .zip(discovered),
            ),
        ],
        (Config::default().mongo.database, 0),
    );
    let (database, line) = db_and_line;
    check_database_name(&database).map_err(|message| ConfigError::InvalidValue {
        key: "mongo.database",
        source: Box::new(db_source.clone()),
        line: line_of(&db_source, line),
        message,
    })?;
    loaded.config.mongo.database = database;
    loaded.sources.insert("mongo.database".into(), db_source);
    Ok(())
}

/// Points at backups Scandy itself wrote under `<root>/backups` when they are elsewhere.
fn scandy_backups_note(loaded: &mut LoadedConfig) {
    let own = loaded.config.scandy.root.join("backups");
    if own.is_dir() && loaded.config.resolve(&loaded.config.backup.dir) != own {
        loaded.notes.push(format!(
            "Scandy's own backups are in {}; scandyctl's backup.dir is {}",
            own.display(),
            loaded.config.backup.dir.display()
        ));
    }
}

/// `90s`, `10m`, `1h` as seconds.
fn parse_interval(text: &str) -> Option<u32> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let number: u32 = number.parse().ok()?;
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return None,
    };
    number.checked_mul(factor)
}
