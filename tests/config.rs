//! Config loading: precedence, file lookup, `.env`, and every bad-input message.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use scandyctl::config::{
    CliOverrides, ConfigError, LanguageSetting, LoadContext, LoadedConfig, ValueSource, load,
    render_effective, render_effective_json,
};
use scandyctl::discovery::SearchPaths;

const PASSWORD: &str = "Sup3rGeheim";

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A context that sees nothing of the real machine.
fn ctx(tmp: &Path) -> LoadContext {
    fs::create_dir_all(tmp.join("cwd")).unwrap();
    LoadContext {
        env: HashMap::new(),
        cwd: tmp.join("cwd"),
        home: Some(tmp.join("home")),
        etc_config: tmp.join("etc/scandyctl/config.toml"),
        discovery: SearchPaths {
            roots: vec![],
            systemd_dirs: vec![],
        },
    }
}

fn file_source(path: &Path) -> ValueSource {
    ValueSource::ConfigFile {
        path: path.to_path_buf(),
    }
}

fn dotenv_source(path: &Path, key: &str) -> ValueSource {
    ValueSource::DotEnv {
        path: path.to_path_buf(),
        key: key.into(),
    }
}

fn flag(name: &str) -> ValueSource {
    ValueSource::Flag { flag: name.into() }
}

fn env_var(name: &str) -> ValueSource {
    ValueSource::Environment {
        variable: name.into(),
    }
}

fn source<'a>(loaded: &'a LoadedConfig, key: &str) -> &'a ValueSource {
    loaded
        .sources
        .get(key)
        .unwrap_or_else(|| panic!("no source for {key}"))
}

fn error(cli: &CliOverrides, ctx: &LoadContext) -> (ConfigError, String) {
    let err = load(cli, ctx).expect_err("expected a config error");
    let text = err.to_string();
    assert!(!text.contains(PASSWORD), "password leaked: {text}");
    assert_eq!(err.exit_code(), 5);
    (err, text)
}

fn config_error(toml: &str) -> (PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("x.toml");
    write(&path, toml);
    let ctx = ctx(tmp.path());
    let cli = CliOverrides {
        config_file: Some(path.clone()),
        ..Default::default()
    };
    let (_, text) = error(&cli, &ctx);
    (path, text)
}

/// A docker compose install (published MongoDB port 27018) under `<tmp>/docker`.
fn docker_install(tmp: &Path, env: &str) -> PathBuf {
    let root = tmp.join("docker");
    write(
        &root.join("docker-compose.yml"),
        "services:\n  scandy-mongodb-scandy:\n    container_name: scandy-mongodb-scandy\n    ports:\n      - \"27018:27017\"\n  \
         scandy-app-scandy:\n    container_name: scandy-app-scandy\n    ports:\n      - \"5003:5000\"\n",
    );
    write(&root.join(".env"), env);
    root
}

const ALL_KEYS: [&str; 35] = [
    "backup.config_files",
    "backup.dir",
    "backup.identity",
    "backup.include_secrets",
    "backup.keep_daily",
    "backup.keep_monthly",
    "backup.keep_pre_restore_days",
    "backup.keep_weekly",
    "backup.legacy_dirs",
    "backup.log_dirs",
    "backup.max_chain",
    "backup.max_chain_age_days",
    "backup.min_free_percent",
    "backup.oplog_slices",
    "backup.recipients",
    "backup.recipients_file",
    "backup.uploads",
    "logs.docker_containers",
    "logs.files",
    "logs.journal_units",
    "logs.max_entries",
    "metrics.textfile_dir",
    "mongo.database",
    "mongo.uri",
    "restore.parallel_collections",
    "scandy.env_file",
    "scandy.kind",
    "scandy.root",
    "system.containers",
    "system.refresh_ms",
    "system.units",
    "ui.language",
    "web.health_interval",
    "web.health_url",
    "web.rate_limit",
];

#[test]
fn built_in_defaults_with_every_source_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let ctx = ctx(tmp.path());
    let loaded = load(&CliOverrides::default(), &ctx).unwrap();
    assert_eq!(loaded.config, scandyctl::config::Config::default());
    assert_eq!(
        loaded
            .sources
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ALL_KEYS
    );
    assert!(
        loaded.sources.values().all(|s| *s == ValueSource::Default),
        "{:?}",
        loaded.sources
    );
    assert_eq!(loaded.file, None);
    assert!(loaded.install.is_none());
    assert_eq!(
        loaded.searched,
        vec![
            tmp.path().join("cwd/scandyctl.toml"),
            tmp.path().join("home/.config/scandyctl/config.toml"),
            tmp.path().join("etc/scandyctl/config.toml"),
        ]
    );
    assert!(
        loaded
            .notes
            .contains(&"discovery found no Scandy install; set --root or scandy.root".to_string())
    );
}

#[test]
fn mongo_uri_precedence_flag_env_file_dotenv_discovery_default() {
    let tmp = tempfile::tempdir().unwrap();
    let dotenv = format!(
        "MONGO_INITDB_ROOT_PASSWORD={PASSWORD}\nMONGODB_URI=mongodb://admin:{PASSWORD}@scandy-mongodb-scandy:27017/scandy?authSource=admin\n"
    );
    let root = docker_install(tmp.path(), &dotenv);
    let root = fs::canonicalize(root).unwrap();
    let file = tmp.path().join("cwd/scandyctl.toml");
    write(&file, "[mongo]\nuri = \"mongodb://from-file:27017\"\n");
    let mut ctx = ctx(tmp.path());
    ctx.discovery.roots = vec![root.clone()];
    ctx.env
        .insert("MONGODB_URI".into(), "mongodb://from-env:27017".into());
    let mut cli = CliOverrides {
        mongo_uri: Some("mongodb://from-flag:27017".into()),
        ..Default::default()
    };

    let loaded = load(&cli, &ctx).unwrap();
    assert_eq!(loaded.config.mongo.uri, "mongodb://from-flag:27017");
    assert_eq!(source(&loaded, "mongo.uri"), &flag("--mongo-uri"));

    cli.mongo_uri = None;
    let loaded = load(&cli, &ctx).unwrap();
    assert_eq!(loaded.config.mongo.uri, "mongodb://from-env:27017");
    assert_eq!(source(&loaded, "mongo.uri"), &env_var("MONGODB_URI"));

    ctx.env.clear();
    let loaded = load(&cli, &ctx).unwrap();
    assert_eq!(loaded.config.mongo.uri, "mongodb://from-file:27017");
    assert_eq!(source(&loaded, "mongo.uri"), &file_source(&file));
    assert_eq!(loaded.file.as_deref(), Some(file.as_path()));

    fs::remove_file(&file).unwrap();
    let loaded = load(&cli, &ctx).unwrap();
    assert_eq!(
        loaded.config.mongo.uri,
        format!("mongodb://admin:{PASSWORD}@scandy-mongodb-scandy:27017/scandy?authSource=admin")
    );
    assert_eq!(
        source(&loaded, "mongo.uri"),
        &dotenv_source(&root.join(".env"), "MONGODB_URI")
    );
    assert_eq!(
        source(&loaded, "scandy.root"),
        &ValueSource::Discovery {
            detail: "docker-compose install; docker-compose.yml container scandy-mongodb-scandy"
                .into()
        }
    );
    assert!(
        loaded
            .notes
            .iter()
            .any(|n| n.contains("names host scandy-mongodb-scandy")),
        "{:?}",
        loaded.notes
    );

    write(
        &root.join(".env"),
        &format!("MONGO_INITDB_ROOT_PASSWORD={PASSWORD}\n"),
    );
    let loaded = load(&cli, &ctx).unwrap();
    assert_eq!(
        loaded.config.mongo.uri,
        format!("mongodb://admin:{PASSWORD}@localhost:27018/scandy?authSource=admin")
    );
    assert_eq!(
        source(&loaded, "mongo.uri"),
        &ValueSource::Discovery {
            detail: format!("docker-compose install at {}", root.display())
        }
    );
    assert_eq!(
        loaded.install.as_ref().map(|i| i.root.clone()),
        Some(root.clone())
    );

    ctx.discovery.roots.clear();
    let loaded = load(&cli, &ctx).unwrap();
    assert_eq!(loaded.config.mongo.uri, "mongodb://localhost:27017");
    assert_eq!(source(&loaded, "mongo.uri"), &ValueSource::Default);
}

#[test]
fn database_precedence_flag_env_file_dotenv_discovery_default() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("werk");
    write(
        &root.join("docker-compose.yml"),
        "services:\n  mongo:\n    container_name: scandy-mongodb-werk\n    ports:\n      - 27019:27017\n",
    );
    write(
        &root.join(".env"),
        "MONGODB_DB=from_mongodb_db\nMONGO_INITDB_DATABASE=from_initdb\n",
    );
    let root = fs::canonicalize(root).unwrap();
    let file = tmp.path().join("home/.config/scandyctl/config.toml");
    write(&file, "[mongo]\ndatabase = \"from_file\"\n");
    let mut ctx = ctx(tmp.path());
    ctx.discovery.roots = vec![tmp.path().to_path_buf()];
    ctx.env.insert("MONGODB_DB".into(), "from_env".into());
    let mut cli = CliOverrides {
        database: Some("from_flag".into()),
        ..Default::default()
    };
    let env_path = root.join(".env");

    let steps: Vec<(&str, ValueSource)> = vec![
        ("from_flag", flag("--database")),
        ("from_env", env_var("MONGODB_DB")),
        ("from_file", file_source(&file)),
        (
            "from_initdb",
            dotenv_source(&env_path, "MONGO_INITDB_DATABASE"),
        ),
        ("from_mongodb_db", dotenv_source(&env_path, "MONGODB_DB")),
        (
            "werk_scandy",
            ValueSource::Discovery {
                detail: format!("multi-instance install at {}", root.display()),
            },
        ),
        ("scandy", ValueSource::Default),
    ];
    for (step, (value, expected_source)) in steps.into_iter().enumerate() {
        let loaded = load(&cli, &ctx).unwrap();
        assert_eq!(loaded.config.mongo.database, value, "step {step}");
        assert_eq!(
            source(&loaded, "mongo.database"),
            &expected_source,
            "step {step}"
        );
        match step {
            0 => cli.database = None,
            1 => ctx.env.clear(),
            2 => fs::remove_file(&file).unwrap(),
            3 => write(&env_path, "MONGODB_DB=from_mongodb_db\n"),
            4 => write(&env_path, "# nothing\n"),
            5 => ctx.discovery.roots.clear(),
            _ => {}
        }
    }
}

#[test]
fn root_precedence_flag_file_discovery_default() {
    let tmp = tempfile::tempdir().unwrap();
    let native = tmp.path().join("opt/scandy");
    write(&native.join(".env"), "MONGODB_DB=native_db\n");
    write(&native.join("app/__init__.py"), "");
    let native = fs::canonicalize(native).unwrap();
    let docker = docker_install(tmp.path(), "");
    let etc = tmp.path().join("etc/scandyctl/config.toml");
    write(&etc, "[scandy]\nroot = \"../../from-file\"\n");
    let mut ctx = ctx(tmp.path());
    ctx.discovery.roots = vec![docker.clone(), tmp.path().join("opt")];
    let mut cli = CliOverrides {
        root: Some("relative-root".into()),
        ..Default::default()
    };

    let loaded = load(&cli, &ctx).unwrap();
    assert_eq!(
        loaded.config.scandy.root,
        tmp.path().join("cwd/relative-root")
    );
    assert_eq!(source(&loaded, "scandy.root"), &flag("--root"));
    assert!(loaded.install.is_none());

    cli.root = None;
    let loaded = load(&cli, &ctx).unwrap();
    assert_eq!(
        loaded.config.scandy.root,
        tmp.path().join("etc/scandyctl/../../from-file")
    );
    assert_eq!(source(&loaded, "scandy.root"), &file_source(&etc));

    // Two installs: the native one wins.
    fs::remove_file(&etc).unwrap();
    let loaded = load(&cli, &ctx).unwrap();
    assert_eq!(loaded.config.scandy.root, native);
    assert_eq!(
        source(&loaded, "scandy.root"),
        &ValueSource::Discovery {
            detail: "native install; .env and app/__init__.py present".into()
        }
    );
    assert_eq!(loaded.config.mongo.database, "native_db");
    assert!(
        loaded
            .notes
            .iter()
            .any(|n| n.starts_with("discovery found 2 installs")),
        "{:?}",
        loaded.notes
    );

    // Two installs and none native: nothing is picked.
    let second = tmp.path().join("second");
    fs::create_dir_all(&second).unwrap();
    fs::copy(
        docker.join("docker-compose.yml"),
        second.join("docker-compose.yml"),
    )
    .unwrap();
    ctx.discovery.roots = vec![docker.clone(), second];
    let loaded = load(&cli, &ctx).unwrap();
    assert_eq!(loaded.config.scandy.root, PathBuf::from("/opt/scandy"));
    assert_eq!(source(&loaded, "scandy.root"), &ValueSource::Default);
    assert!(
        loaded.notes.iter().any(|n| n.contains("none is native")),
        "{:?}",
        loaded.notes
    );

    // A configured root is inspected (not searched): the install is still recognised.
    cli.root = Some(docker.clone());
    let loaded = load(&cli, &ctx).unwrap();
    assert_eq!(
        loaded.install.as_ref().map(|i| i.root.clone()),
        Some(docker)
    );
}

#[test]
fn other_keys_flag_file_discovery_default() {
    let tmp = tempfile::tempdir().unwrap();
    let root = docker_install(tmp.path(), "");
    let file = tmp.path().join("cwd/scandyctl.toml");
    write(
        &file,
        "[backup]\ndir = \"/srv/backups\"\nuploads = [\"u1\", \"u2\"]\nconfig_files = []\nlog_dirs = [\"l\"]\n\
         [logs]\nfiles = [\"x/*.log\"]\n[web]\nhealth_url = \"https://scandy.local/health\"\n[ui]\nlanguage = \"de\"\n\
         [scandy]\nenv_file = \"conf/scandy.env\"\n",
    );
    let mut ctx = ctx(tmp.path());
    ctx.discovery.roots = vec![root];
    let mut cli = CliOverrides {
        backup_dir: Some("bk".into()),
        language: Some(LanguageSetting::En),
        ..Default::default()
    };

    let loaded = load(&cli, &ctx).unwrap();
    let c = &loaded.config;
    assert_eq!(c.backup.dir, tmp.path().join("cwd/bk"));
    assert_eq!(source(&loaded, "backup.dir"), &flag("--backup-dir"));
    assert_eq!(c.ui.language, LanguageSetting::En);
    assert_eq!(source(&loaded, "ui.language"), &flag("--lang"));
    assert_eq!(
        c.backup.uploads,
        vec![PathBuf::from("u1"), PathBuf::from("u2")]
    );
    assert!(c.backup.config_files.is_empty());
    assert_eq!(c.backup.log_dirs, vec![PathBuf::from("l")]);
    assert_eq!(c.logs.files, vec!["x/*.log".to_string()]);
    assert_eq!(c.web.health_url, "https://scandy.local/health");
    assert_eq!(c.scandy.env_file, PathBuf::from("conf/scandy.env"));
    for key in [
        "backup.uploads",
        "backup.config_files",
        "backup.log_dirs",
        "logs.files",
        "web.health_url",
    ] {
        assert_eq!(source(&loaded, key), &file_source(&file), "{key}");
    }
    assert!(
        loaded.notes.iter().any(|n| n.contains("conf/scandy.env")),
        "{:?}",
        loaded.notes
    );

    cli = CliOverrides::default();
    let loaded = load(&cli, &ctx).unwrap();
    assert_eq!(loaded.config.backup.dir, PathBuf::from("/srv/backups"));
    assert_eq!(loaded.config.ui.language, LanguageSetting::De);
    assert_eq!(source(&loaded, "ui.language"), &file_source(&file));

    fs::remove_file(&file).unwrap();
    let loaded = load(&cli, &ctx).unwrap();
    assert_eq!(loaded.config.web.health_url, "http://127.0.0.1:5003/health");
    assert_eq!(
        source(&loaded, "web.health_url"),
        &ValueSource::Discovery {
            detail: "web port 5003 of the docker-compose install".into()
        }
    );
    assert_eq!(loaded.config.backup.dir, PathBuf::from("/backups"));
    assert_eq!(source(&loaded, "backup.dir"), &ValueSource::Default);
}

#[test]
fn config_file_lookup_order() {
    let tmp = tempfile::tempdir().unwrap();
    let explicit = tmp.path().join("explicit.toml");
    let from_var = tmp.path().join("var.toml");
    let cwd = tmp.path().join("cwd/scandyctl.toml");
    let home = tmp.path().join("home/.config/scandyctl/config.toml");
    let etc = tmp.path().join("etc/scandyctl/config.toml");
    for (path, db) in [
        (&explicit, "a"),
        (&from_var, "b"),
        (&cwd, "c"),
        (&home, "d"),
        (&etc, "e"),
    ] {
        write(path, &format!("[mongo]\ndatabase = \"{db}\"\n"));
    }
    let mut ctx = ctx(tmp.path());
    ctx.env
        .insert("SCANDYCTL_CONFIG".into(), from_var.display().to_string());
    let mut cli = CliOverrides {
        config_file: Some(explicit.clone()),
        ..Default::default()
    };
    let expected = [
        (&explicit, "a"),
        (&from_var, "b"),
        (&cwd, "c"),
        (&home, "d"),
        (&etc, "e"),
    ];
    for (step, (path, db)) in expected.into_iter().enumerate() {
        let loaded = load(&cli, &ctx).unwrap();
        assert_eq!(loaded.file.as_ref(), Some(path), "step {step}");
        assert_eq!(loaded.config.mongo.database, db, "step {step}");
        assert_eq!(source(&loaded, "mongo.database"), &file_source(path));
        match step {
            0 => cli.config_file = None,
            1 => {
                ctx.env.clear();
            }
            _ => fs::remove_file(path).unwrap(),
        }
    }
    let loaded = load(&cli, &ctx).unwrap();
    assert_eq!(loaded.file, None);
    let text = render_effective(&loaded);
    assert!(
        text.contains(&format!(
            "# config file: none found; searched: {}, {}, {}",
            cwd.display(),
            home.display(),
            etc.display()
        )),
        "{text}"
    );
}

#[test]
fn explicit_config_files_must_exist() {
    let tmp = tempfile::tempdir().unwrap();
    let mut ctx = ctx(tmp.path());
    let missing = tmp.path().join("nope/x.toml");
    let cli = CliOverrides {
        config_file: Some(missing.clone()),
        ..Default::default()
    };
    let (err, text) = error(&cli, &ctx);
    assert!(matches!(err, ConfigError::FileMissing { .. }));
    assert_eq!(
        text,
        format!(
            "config file {} (given by --config) does not exist",
            missing.display()
        )
    );

    ctx.env
        .insert("SCANDYCTL_CONFIG".into(), "relative.toml".into());
    let (_, text) = error(&CliOverrides::default(), &ctx);
    assert_eq!(
        text,
        format!(
            "config file {} (given by SCANDYCTL_CONFIG) does not exist",
            tmp.path().join("cwd/relative.toml").display()
        )
    );
}

#[test]
fn unreadable_config_file_names_path_and_os_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let ctx = ctx(tmp.path());
    // A directory where the file should be: found by lookup, then unreadable.
    let dir = tmp.path().join("cwd/scandyctl.toml");
    fs::create_dir_all(&dir).unwrap();
    let (err, text) = error(&CliOverrides::default(), &ctx);
    assert!(matches!(err, ConfigError::FileUnreadable { .. }));
    assert_eq!(
        text,
        format!("cannot read config file {}: is a directory", dir.display())
    );
    fs::remove_dir(&dir).unwrap();

    // Permission bits only stop non-root users.
    if unsafe { libc::geteuid() } != 0 {
        use std::os::unix::fs::PermissionsExt;
        write(&dir, "[mongo]\n");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o000)).unwrap();
        let (_, text) = error(&CliOverrides::default(), &ctx);
        assert_eq!(
            text,
            format!(
                "cannot read config file {}: permission denied",
                dir.display()
            )
        );
    }

    // Not UTF-8.
    let binary = tmp.path().join("binary.toml");
    fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
    let cli = CliOverrides {
        config_file: Some(binary.clone()),
        ..Default::default()
    };
    let (_, text) = error(&cli, &ctx);
    assert_eq!(
        text,
        format!(
            "cannot read config file {}: not valid UTF-8 text",
            binary.display()
        )
    );
}

#[test]
fn toml_syntax_errors_name_line_column_and_key() {
    let (path, text) = config_error("[mongo]\nuri = mongodb://localhost\n");
    assert_eq!(
        text,
        format!(
            "config file {}: syntax error at line 2, column 7 (key \"mongo.uri\"): string values must be quoted, expected literal string",
            path.display()
        )
    );

    let (path, text) = config_error("[mongo]\ndatabase = \"a\"\n\ndatabase = \"b\"\n");
    assert_eq!(
        text,
        format!(
            "config file {}: syntax error at line 4, column 1 (key \"mongo.database\"): duplicate key",
            path.display()
        )
    );

    let (path, text) = config_error("[backup]\ndir = \"/b\"\n[mongo]\n[backup]\n");
    assert_eq!(
        text,
        format!(
            "config file {}: syntax error at line 4, column 2 (section [backup]): duplicate key",
            path.display()
        )
    );

    // An unterminated string holding a password: position and key, never the value.
    let (path, text) = config_error(&format!(
        "# c\n[mongo]\nuri = \"mongodb://admin:{PASSWORD}@localhost\n"
    ));
    assert!(
        text.starts_with(&format!(
            "config file {}: syntax error at line 3, column 45 (key \"mongo.uri\"): invalid basic string",
            path.display()
        )),
        "{text}"
    );
}

#[test]
fn unknown_keys_and_sections_suggest_the_closest() {
    let (path, text) = config_error("[mongo]\ndatabase = \"x\"\nurii = \"mongodb://localhost\"\n");
    assert_eq!(
        text,
        format!(
            "config file {}: unknown key \"mongo.urii\" at line 3 — did you mean \"mongo.uri\"?",
            path.display()
        )
    );

    let (path, text) = config_error("\n[mongoo]\nuri = \"mongodb://localhost\"\n");
    assert_eq!(
        text,
        format!(
            "config file {}: unknown section \"mongoo\" at line 2 — did you mean \"mongo\"?",
            path.display()
        )
    );

    let (_, text) = config_error("root = \"/opt/scandy\"\n");
    assert!(
        text.ends_with("unknown key \"root\" at line 1 — did you mean \"scandy.root\"?"),
        "{text}"
    );

    let (_, text) = config_error("[backup]\nupload = []\n[ui]\nlanguag = \"de\"\n");
    assert!(
        text.ends_with(
            "unknown key \"backup.upload\" at line 2 — did you mean \"backup.uploads\"?"
        ),
        "{text}"
    );

    let (_, text) = config_error("[web]\nport = \"5000\"\n");
    assert!(
        text.ends_with("unknown key \"web.port\" at line 2 (valid keys in [web]: health_url, health_interval, rate_limit)"),
        "{text}"
    );

    let (_, text) = config_error("[database]\nname = \"x\"\n");
    assert!(
        text.ends_with("unknown section \"database\" at line 1 (valid sections: scandy, mongo, backup, restore, logs, system, web, ui, metrics, alerts, checklists, notify, recovery, schedule)"),
        "{text}"
    );
}

#[test]
fn wrong_types_name_key_line_expected_and_found() {
    let (path, text) = config_error("[backup]\ndir = \"/b\"\nuploads = 5\n");
    assert_eq!(
        text,
        format!(
            "config file {}: key \"backup.uploads\" at line 3: expected an array of strings, found integer",
            path.display()
        )
    );
    let (_, text) = config_error("[backup]\nlog_dirs = [\n  \"logs\",\n  true,\n]\n");
    assert!(
        text.ends_with("key \"backup.log_dirs\" at line 4: expected an array of strings, found an array holding boolean"),
        "{text}"
    );
    let (_, text) = config_error("[mongo]\nuri = 27017\n");
    assert!(
        text.ends_with("key \"mongo.uri\" at line 2: expected a string, found integer"),
        "{text}"
    );
    let (_, text) = config_error("mongo = \"mongodb://localhost\"\n");
    assert!(
        text.ends_with("key \"mongo\" at line 1: expected a table (a [section]), found string"),
        "{text}"
    );
}

#[test]
fn invalid_uri_names_part_and_source_without_password() {
    let tmp = tempfile::tempdir().unwrap();
    let mut ctx = ctx(tmp.path());
    ctx.env.insert(
        "MONGODB_URI".into(),
        format!("mongodb://admin:{PASSWORD}@localhost:27x17/scandy"),
    );
    let (err, text) = error(&CliOverrides::default(), &ctx);
    assert!(matches!(err, ConfigError::InvalidUri { .. }));
    assert_eq!(
        text,
        "mongo.uri from environment MONGODB_URI: port \"27x17\" is not a number"
    );

    let cli = CliOverrides {
        mongo_uri: Some(format!("postgres://u:{PASSWORD}@h")),
        ..Default::default()
    };
    let (_, text) = error(&cli, &ctx);
    assert_eq!(
        text,
        "mongo.uri from command line --mongo-uri: scheme \"postgres\" is not supported: the URI must start with mongodb:// or mongodb+srv://"
    );

    ctx.env.clear();
    let file = tmp.path().join("cwd/scandyctl.toml");
    write(
        &file,
        &format!("[mongo]\n\nuri = \"mongodb://admin:{PASSWORD}%zz@localhost\"\n"),
    );
    let (_, text) = error(&CliOverrides::default(), &ctx);
    assert_eq!(
        text,
        format!(
            "mongo.uri from config file {} (line 3): malformed percent-encoding in the password (\"%\" must be followed by two hex digits, e.g. %40 for \"@\")",
            file.display()
        )
    );

    fs::remove_file(&file).unwrap();
    let root = tmp.path().join("scandy");
    write(
        &root.join(".env"),
        &format!("MONGO_HOST=db\nMONGO_PORT=99999\nMONGO_USER=u\nMONGO_PASSWORD={PASSWORD}\n"),
    );
    let cli = CliOverrides {
        root: Some(root.clone()),
        ..Default::default()
    };
    let (_, text) = error(&cli, &ctx);
    assert_eq!(
        text,
        format!(
            "mongo.uri from {} (MONGO_HOST, MONGO_PORT, MONGO_USER, MONGO_PASSWORD): port 99999 is out of range (1-65535)",
            root.join(".env").display()
        )
    );
}

#[test]
fn invalid_values_name_key_source_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let ctx = ctx(tmp.path());
    let cli = CliOverrides {
        database: Some("scandy.prod".into()),
        ..Default::default()
    };
    let (_, text) = error(&cli, &ctx);
    assert_eq!(
        text,
        "mongo.database from command line --database: database name \"scandy.prod\" contains \".\", which MongoDB does not allow"
    );
    let cli = CliOverrides {
        database: Some("x".repeat(64)),
        ..Default::default()
    };
    let (_, text) = error(&cli, &ctx);
    assert!(
        text.ends_with("database name is 64 bytes long; MongoDB allows at most 63"),
        "{text}"
    );

    let (path, text) = config_error("[mongo]\ndatabase = \"\"\n");
    assert_eq!(
        text,
        format!(
            "mongo.database from config file {} (line 2): the database name is empty",
            path.display()
        )
    );
    let (path, text) = config_error("[ui]\nlanguage = \"fr\"\n");
    assert_eq!(
        text,
        format!(
            "ui.language from config file {} (line 2): \"fr\" is not a language; use auto, en or de",
            path.display()
        )
    );
    let (_, text) = config_error("[web]\nhealth_url = \"ftp://host/health\"\n");
    assert!(text.contains("web.health_url from config file"), "{text}");
    assert!(text.ends_with("(line 2): must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:5000/health"));
    let (_, text) = config_error("[scandy]\nroot = \"\"\n");
    assert!(text.ends_with("(line 2): must not be empty"), "{text}");
    let (path, text) = config_error("[web]\nrate_limit = \"50 per fortnight\"\n");
    assert_eq!(
        text,
        format!(
            "web.rate_limit from config file {} (line 2): \"50 per fortnight\" is not a rate limit \
             (the unit must be second, minute, hour, day, month or year); write it like \"50 per hour\" or \"200/day\"",
            path.display()
        )
    );
    let (_, text) = config_error("[web]\n\nhealth_interval = 0\n");
    assert!(
        text.ends_with("(line 3): must be a whole number of seconds from 1 to 86400, found 0"),
        "{text}"
    );
    let (_, text) = config_error("[scandy]\nkind = \"lxc\"\n");
    assert!(
        text.ends_with(
            "(line 2): \"lxc\" is not an install kind; use auto, native, docker-compose or multi-instance"
        ),
        "{text}"
    );
}

#[test]
fn dotenv_parsing_auth_source_and_legacy_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let ctx = ctx(tmp.path());
    let root = tmp.path().join("scandy");
    write(
        &root.join(".env"),
        &format!(
            "# Scandy\n\nexport MONGODB_URI='mongodb://admin:{PASSWORD}@localhost:27017/scandy'  # comment\n\
             MONGODB_DB=\"werkstatt\" # db\nbroken line\n"
        ),
    );
    let cli = CliOverrides {
        root: Some(root.clone()),
        ..Default::default()
    };
    let loaded = load(&cli, &ctx).unwrap();
    assert_eq!(
        loaded.config.mongo.uri,
        format!("mongodb://admin:{PASSWORD}@localhost:27017/scandy?authSource=admin")
    );
    assert_eq!(loaded.config.mongo.database, "werkstatt");
    let env_path = root.join(".env");
    assert_eq!(
        source(&loaded, "mongo.database"),
        &dotenv_source(&env_path, "MONGODB_DB")
    );
    assert!(loaded.notes.contains(&format!(
        "added authSource=admin to MONGODB_URI from {}, as Scandy does",
        env_path.display()
    )));
    assert!(loaded.notes.contains(&format!(
        "{}: line 5: not a KEY=value line; ignored",
        env_path.display()
    )));

    write(
        &env_path,
        &format!(
            "MONGO_HOST=db.local\nMONGO_USER=scandy\nMONGO_PASSWORD={PASSWORD}/x\nMONGO_DB=alt\n"
        ),
    );
    let loaded = load(&cli, &ctx).unwrap();
    assert_eq!(
        loaded.config.mongo.uri,
        format!("mongodb://scandy:{PASSWORD}%2Fx@db.local:27017/alt?authSource=admin")
    );
    assert_eq!(
        source(&loaded, "mongo.uri"),
        &dotenv_source(
            &env_path,
            "MONGO_HOST, MONGO_USER, MONGO_PASSWORD, MONGO_DB"
        )
    );
    assert_eq!(loaded.config.mongo.database, "alt");

    fs::remove_file(&env_path).unwrap();
    let loaded = load(&cli, &ctx).unwrap();
    assert!(
        loaded
            .notes
            .iter()
            .any(|n| n.starts_with("Scandy's .env not found at ")),
        "{:?}",
        loaded.notes
    );
    assert_eq!(source(&loaded, "mongo.uri"), &ValueSource::Default);

    fs::create_dir_all(&env_path).unwrap();
    let (err, text) = error(&cli, &ctx);
    assert!(matches!(err, ConfigError::DotEnvUnreadable { .. }));
    assert_eq!(
        text,
        format!(
            "cannot read Scandy's .env file {}: is a directory",
            env_path.display()
        )
    );
}

#[test]
fn dotenv_parser_handles_quotes_export_comments_and_interpolation() {
    let env = scandyctl::config::dotenv::parse(
        "\u{feff}# comment\nA=plain value # trailing\nexport B = \"double \\\"q\\\" #not comment\"\nC='single $A ${A}'\n\
         D=\"${A}-x\"\nE=\"multi\nline\"\nF=\nG=a#b\n1BAD=x\n",
    );
    assert_eq!(env.get("A"), Some("plain value"));
    assert_eq!(env.get("B"), Some("double \"q\" #not comment"));
    assert_eq!(env.get("C"), Some("single $A ${A}"));
    assert_eq!(env.get("D"), Some("plain value-x"));
    assert_eq!(env.get("E"), Some("multi\nline"));
    assert_eq!(env.get("F"), None);
    assert_eq!(env.values.get("F").map(String::as_str), Some(""));
    assert_eq!(env.get("G"), Some("a#b"));
    assert_eq!(
        env.warnings,
        vec!["line 10: invalid variable name; ignored".to_string()]
    );
}

#[test]
fn validate_mongo_uri_names_the_wrong_part() {
    use scandyctl::config::validate_mongo_uri;
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "the connection string is empty"),
        (
            format!("admin:{PASSWORD}@localhost"),
            "missing scheme: the URI must start with mongodb:// or mongodb+srv://",
        ),
        (
            "mongodb://".into(),
            "host is empty (expected e.g. mongodb://localhost:27017)",
        ),
        (
            format!("mongodb://u:{PASSWORD}@/db"),
            "host is empty (expected e.g. mongodb://localhost:27017)",
        ),
        (
            "mongodb://a,,b".into(),
            "host is empty (expected e.g. mongodb://localhost:27017)",
        ),
        ("mongodb://localhost:".into(), "port \"\" is not a number"),
        (
            "mongodb://localhost:0".into(),
            "port 0 is out of range (1-65535)",
        ),
        (
            "mongodb://[::1]:70000".into(),
            "port 70000 is out of range (1-65535)",
        ),
        (
            "mongodb+srv://cluster.example.com:27017".into(),
            "a mongodb+srv:// URI must not name a port",
        ),
        (
            "mongodb+srv://a.example.com,b.example.com".into(),
            "a mongodb+srv:// URI takes exactly one host name",
        ),
        (
            format!("mongodb://u%zz:{PASSWORD}@h"),
            "malformed percent-encoding in the user name (\"%\" must be followed by two hex digits, e.g. %40 for \"@\")",
        ),
        (
            format!("mongodb://u:{PASSWORD}%4@h"),
            "malformed percent-encoding in the password (\"%\" must be followed by two hex digits, e.g. %40 for \"@\")",
        ),
        (
            format!("mongodb://u:{PASSWORD}@x@h"),
            "the user name or password contains an unescaped \"@\"; percent-encode it (\"%40\")",
        ),
        (
            format!("mongodb://u:{PASSWORD}:x@h"),
            "the user name or password contains an unescaped \":\"; percent-encode it (\"%3A\")",
        ),
        (
            format!("mongodb://u:{PASSWORD}/x@h"),
            "\"@\" after the host list",
        ),
        (
            format!("mongodb://:{PASSWORD}@h"),
            "user name before \"@\" is empty",
        ),
        (
            "mongodb://h/?tls".into(),
            "option \"tls\" has no \"=\" (expected name=value)",
        ),
        (
            "mongodb://h/?=x".into(),
            "an option has an empty name (\"=value\")",
        ),
        (
            "mongodb://h/?tls=yes".into(),
            "option tls: \"yes\" is not valid, expected true or false",
        ),
        (
            "mongodb://h/?connectTimeoutMS=-1".into(),
            "option connectTimeoutMS: \"-1\" is not valid, expected a whole number",
        ),
        (
            "mongodb://h/?authMechanism=scram-sha-256".into(),
            "unknown authMechanism \"scram-sha-256\" — did you mean \"SCRAM-SHA-256\"?",
        ),
        (
            "mongodb://h/?authMechanism=KERBEROS".into(),
            "unknown authMechanism \"KERBEROS\" (known: SCRAM-SHA-1",
        ),
        (
            "mongodb://h/?authSorce=admin".into(),
            "unknown option \"authSorce\" — did you mean \"authSource\"?",
        ),
        (
            format!("mongodb://h/?tlsCertificateKeyFilePassword={PASSWORD}%g"),
            "malformed percent-encoding in the option tlsCertificateKeyFilePassword",
        ),
        (
            "mongodb://h/scandy.db".into(),
            "auth database: database name \"scandy.db\" contains \".\"",
        ),
        (
            "mongodb://bad host:27017".into(),
            "host \"bad host\" is not a valid host name",
        ),
    ];
    for (uri, expected) in cases {
        let err = validate_mongo_uri(&uri).expect_err(&uri);
        let text = err.to_string();
        assert!(
            text.starts_with(expected),
            "{uri}: got {text:?}, expected {expected:?}"
        );
        assert!(!text.contains(PASSWORD), "{uri}: {text}");
    }
    for ok in [
        "mongodb://localhost:27017",
        "mongodb://localhost",
        "mongodb://admin:p%40ss@localhost:27017/scandy?authSource=admin",
        "mongodb://h1:27017,h2:27018,[::1]:27019/?replicaSet=rs0&readPreference=secondaryPreferred",
        "mongodb+srv://cluster0.example.net/scandy?retryWrites=true&w=majority",
        "mongodb://localhost/?appName=scandyctl&someFutureOption=1",
        "mongodb://h/?authMechanism=SCRAM-SHA-256&tls=true&tlsCertificateKeyFilePassword=abc",
    ] {
        assert_eq!(validate_mongo_uri(ok), Ok(()), "{ok}");
    }
}

#[test]
fn redact_uri_hides_passwords_and_secret_options() {
    use scandyctl::config::redact_uri;
    let cases = [
        (
            format!("mongodb://admin:{PASSWORD}@host:27017/x?authSource=admin"),
            "mongodb://admin:***@host:27017/x?authSource=admin".to_string(),
        ),
        (
            format!("mongodb+srv://u:{PASSWORD}@c.example.net"),
            "mongodb+srv://u:***@c.example.net".into(),
        ),
        (
            "mongodb://localhost:27017/scandy".into(),
            "mongodb://localhost:27017/scandy".into(),
        ),
        ("mongodb://user@host/".into(), "mongodb://user@host/".into()),
        (
            format!("mongodb://h/?tls=true&tlsCertificateKeyFilePassword={PASSWORD}&appName=x"),
            "mongodb://h/?tls=true&tlsCertificateKeyFilePassword=***&appName=x".into(),
        ),
        (
            format!(
                "mongodb://h/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:{PASSWORD}"
            ),
            "mongodb://h/?authMechanism=MONGODB-AWS&authMechanismProperties=***".into(),
        ),
        // Unescaped "/" or "?" in the password: everything up to the last "@" is hidden.
        (
            format!("mongodb://u:{PASSWORD}/x?y@host/db"),
            "mongodb://u:***@host/db".into(),
        ),
        (format!("u:{PASSWORD}@host"), "u:***@host".into()),
        // An "@" in an option value is no credential; secret options stay hidden.
        (
            "mongodb://h/?appName=a@b".into(),
            "mongodb://h/?appName=a@b".into(),
        ),
        (
            format!("mongodb://h/?tlsCertificateKeyFilePassword={PASSWORD}@x"),
            "mongodb://h/?tlsCertificateKeyFilePassword=***".into(),
        ),
    ];
    for (uri, expected) in cases {
        assert_eq!(scandyctl::config::redact_uri(&uri), expected);
        assert!(!redact_uri(&uri).contains(PASSWORD));
    }
}

#[test]
fn render_effective_shows_values_sources_and_no_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let mut ctx = ctx(tmp.path());
    let file = tmp.path().join("etc/scandyctl/config.toml");
    write(&file, "[backup]\ndir = \"/srv/b\"\n");
    ctx.env.insert(
        "MONGODB_URI".into(),
        format!("mongodb://admin:{PASSWORD}@db:27017/?tlsCertificateKeyFilePassword={PASSWORD}"),
    );
    let root = tmp.path().join("scandy");
    write(
        &root.join(".env"),
        &format!("MONGO_INITDB_ROOT_PASSWORD={PASSWORD}\nMONGO_INITDB_DATABASE=scandy\n"),
    );
    let cli = CliOverrides {
        root: Some(root.clone()),
        ..Default::default()
    };
    let loaded = load(&cli, &ctx).unwrap();
    let text = render_effective(&loaded);
    assert!(!text.contains(PASSWORD), "{text}");
    let expected_head = format!(
        "# config file: {}\n\n[scandy]\nroot = \"{}\"  # from command line --root\n",
        file.display(),
        root.display()
    );
    assert!(text.starts_with(&expected_head), "{text}");
    for line in [
        "env_file = \".env\"  # from built-in default".to_string(),
        "uri = \"mongodb://admin:***@db:27017/?tlsCertificateKeyFilePassword=***\"  # from environment MONGODB_URI".into(),
        format!("database = \"scandy\"  # from {} (MONGO_INITDB_DATABASE)", root.join(".env").display()),
        format!("dir = \"/srv/b\"  # from config file {}", file.display()),
        "uploads = [\"app/static/uploads\"]  # from built-in default".into(),
        "config_files = [\".env\", \"docker-compose.yml\"]  # from built-in default".into(),
        "files = [\"app/logs/*.log\", \"logs/*.log\"]  # from built-in default".into(),
        "health_url = \"http://127.0.0.1:5000/health\"  # from built-in default".into(),
        "language = \"auto\"  # from built-in default".into(),
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
    }
    for section in ["[scandy]", "[mongo]", "[backup]", "[logs]", "[web]", "[ui]"] {
        assert!(text.lines().any(|l| l == section), "{section}");
    }

    let json = render_effective_json(&loaded);
    let json_text = serde_json::to_string(&json).unwrap();
    assert!(!json_text.contains(PASSWORD), "{json_text}");
    assert_eq!(
        json["settings"]["mongo"]["uri"]["value"],
        "mongodb://admin:***@db:27017/?tlsCertificateKeyFilePassword=***"
    );
    assert_eq!(
        json["settings"]["mongo"]["uri"]["source"]["kind"],
        "environment"
    );
    assert_eq!(
        json["settings"]["mongo"]["uri"]["from"],
        "environment MONGODB_URI"
    );
    assert_eq!(
        json["settings"]["backup"]["dir"]["from"],
        format!("config file {}", file.display())
    );
    assert_eq!(json["config_file"], file.display().to_string());
}

#[test]
fn render_effective_reports_the_discovered_install_and_notes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = docker_install(
        tmp.path(),
        &format!("MONGO_INITDB_ROOT_PASSWORD={PASSWORD}\n"),
    );
    let root = fs::canonicalize(root).unwrap();
    fs::create_dir_all(root.join("backups")).unwrap();
    let mut ctx = ctx(tmp.path());
    ctx.discovery.roots = vec![root.clone()];
    let loaded = load(&CliOverrides::default(), &ctx).unwrap();
    let text = render_effective(&loaded);
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(
        text.contains(&format!(
            "# install: docker-compose at {} (docker-compose.yml container scandy-mongodb-scandy; docker-compose.yml container scandy-app-scandy)",
            root.display()
        )),
        "{text}"
    );
    assert!(text.contains("uri = \"mongodb://admin:***@localhost:27018/scandy?authSource=admin\"  # from discovery (docker-compose install at"));
    let note = format!(
        "Scandy's own backups are in {}; scandyctl's backup.dir is /backups",
        root.join("backups").display()
    );
    assert!(
        text.ends_with(&format!("\n# notes:\n#   - {note}\n")),
        "{text}"
    );
    let json = render_effective_json(&loaded);
    assert_eq!(json["install"]["kind"], "docker-compose");
    assert_eq!(json["install"]["mongo_port"], 27018);
    assert!(!serde_json::to_string(&json).unwrap().contains(PASSWORD));
}

/// Real age X25519 recipients (from age-keygen).
const AGE_KEY_1: &str = "age1t8p7zvgc2rj874095m9uswflfqwnnqn96gaa0whhz3xm9uerly4shhz6ss";
const AGE_KEY_2: &str = "age1wu6s7pxn6lqkr2yd6gmtg87w9jshh56snagx3rewcdymwjgexp2s33hqz7";
const AGE_KEY_3: &str = "age15f5xdy2y3qguyjnyca9v8rpww0k0ll62ue82l5s5desc4slcz45qtfvk97";
/// What an age identity file holds; must never be printed.
const SECRET_KEY: &str =
    "AGE-SECRET-KEY-1QQPZRY9X8GF2TVDW0S3JN54KHCE6MUA7LQPZRY9X8GF2TVDW0S3JN54KHCE6MU";

#[test]
fn backup_encryption_keys_from_file_with_sources() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let ctx = ctx(tmp.path());
    let file = tmp.path().join("etc/scandyctl/config.toml");
    write(
        &file,
        &format!(
            "[backup]\ninclude_secrets = true\nrecipients = [\n  \"{AGE_KEY_1}\",\n  \"{AGE_KEY_2}\",\n]\n\
             recipients_file = \"recipients.txt\"\nidentity = \"../keys/identity.txt\"\n"
        ),
    );
    let recipients_file = tmp.path().join("etc/scandyctl/recipients.txt");
    write(&recipients_file, &format!("# offsite\n\n  {AGE_KEY_3}  \n"));
    let identity = tmp.path().join("etc/scandyctl/../keys/identity.txt");
    write(&identity, &format!("# created: today\n{SECRET_KEY}\n"));
    fs::set_permissions(&identity, fs::Permissions::from_mode(0o600)).unwrap();

    let loaded = load(&CliOverrides::default(), &ctx).unwrap();
    let b = &loaded.config.backup;
    assert!(b.include_secrets);
    assert_eq!(b.recipients, vec![AGE_KEY_1.to_string(), AGE_KEY_2.into()]);
    // Relative paths are relative to the config file's directory, like scandy.root.
    assert_eq!(
        b.recipients_file.as_deref(),
        Some(recipients_file.as_path())
    );
    assert_eq!(b.identity.as_deref(), Some(identity.as_path()));
    for key in [
        "backup.include_secrets",
        "backup.recipients",
        "backup.recipients_file",
        "backup.identity",
    ] {
        assert_eq!(source(&loaded, key), &file_source(&file), "{key}");
    }
    assert!(
        !loaded.notes.iter().any(|n| n.contains("backup.")),
        "{:?}",
        loaded.notes
    );
    assert_eq!(
        scandyctl::config::parse_recipients_file(&fs::read_to_string(&recipients_file).unwrap()),
        Ok(vec![AGE_KEY_3.to_string()])
    );

    // An identity readable by others and a missing recipients file are notes, not errors.
    fs::set_permissions(&identity, fs::Permissions::from_mode(0o644)).unwrap();
    fs::remove_file(&recipients_file).unwrap();
    let loaded = load(&CliOverrides::default(), &ctx).unwrap();
    assert!(loaded.notes.contains(&format!(
        "backup.identity {} holds a private key but is accessible to others (mode 0644); chmod 600 it",
        identity.display()
    )));
    assert!(loaded.notes.contains(&format!(
        "backup.recipients_file {} cannot be read (no such file or directory); backups will fail until it can",
        recipients_file.display()
    )));

    // Absolute paths stay as they are; secrets without recipients are pointed out.
    write(
        &file,
        "[backup]\ninclude_secrets = true\nidentity = \"/nonexistent/identity.txt\"\n",
    );
    let loaded = load(&CliOverrides::default(), &ctx).unwrap();
    assert_eq!(
        loaded.config.backup.identity,
        Some(PathBuf::from("/nonexistent/identity.txt"))
    );
    assert!(loaded.config.backup.recipients.is_empty());
    assert_eq!(loaded.config.backup.recipients_file, None);
    assert_eq!(source(&loaded, "backup.recipients"), &ValueSource::Default);
    assert_eq!(
        source(&loaded, "backup.recipients_file"),
        &ValueSource::Default
    );
    assert!(loaded.notes.contains(
        &"backup.identity /nonexistent/identity.txt cannot be used (no such file or directory); \
          verify --deep and restore of encrypted backups need it"
            .to_string()
    ));
    assert!(
        loaded.notes.contains(
            &"backup.include_secrets is true and no recipients are set: .env and other \
          secret-holding files go into unencrypted backups"
                .to_string()
        )
    );

    // Without a config file the defaults apply.
    fs::remove_file(&file).unwrap();
    let loaded = load(&CliOverrides::default(), &ctx).unwrap();
    let b = &loaded.config.backup;
    assert!(!b.include_secrets);
    assert!(b.recipients.is_empty());
    assert_eq!((&b.recipients_file, &b.identity), (&None, &None));
    for key in [
        "backup.include_secrets",
        "backup.recipients",
        "backup.recipients_file",
        "backup.identity",
    ] {
        assert_eq!(source(&loaded, key), &ValueSource::Default, "{key}");
    }
}

#[test]
fn backup_encryption_keys_wrong_types_name_key_and_line() {
    let (path, text) = config_error("[backup]\ndir = \"/b\"\ninclude_secrets = \"yes\"\n");
    assert_eq!(
        text,
        format!(
            "config file {}: key \"backup.include_secrets\" at line 3: expected a boolean (true or false), found string",
            path.display()
        )
    );
    let (path, text) = config_error(&format!("[backup]\nrecipients = \"{AGE_KEY_1}\"\n"));
    assert_eq!(
        text,
        format!(
            "config file {}: key \"backup.recipients\" at line 2: expected an array of strings, found string",
            path.display()
        )
    );
    let (_, text) = config_error(&format!(
        "[backup]\nrecipients = [\n  \"{AGE_KEY_1}\",\n  2,\n]\n"
    ));
    assert!(
        text.ends_with("key \"backup.recipients\" at line 4: expected an array of strings, found an array holding integer"),
        "{text}"
    );
    let (_, text) = config_error("[backup]\nidentity = true\n");
    assert!(
        text.ends_with("key \"backup.identity\" at line 2: expected a string, found boolean"),
        "{text}"
    );
    let (_, text) = config_error("[backup]\nrecipients_file = [\"a\"]\n");
    assert!(
        text.ends_with("key \"backup.recipients_file\" at line 2: expected a string, found array"),
        "{text}"
    );
    let (path, text) = config_error("[backup]\n\nidentity = \"\"\n");
    assert_eq!(
        text,
        format!(
            "backup.identity from config file {} (line 3): must not be empty; remove the line to leave it unset",
            path.display()
        )
    );
}

#[test]
fn backup_encryption_unknown_keys_suggest_the_new_keys() {
    for (typo, meant) in [
        ("include_secret = true", "backup.include_secrets"),
        ("recipient = []", "backup.recipients"),
        ("recipents_file = \"r\"", "backup.recipients_file"),
        ("identiy = \"i\"", "backup.identity"),
    ] {
        let (_, text) = config_error(&format!("[backup]\n{typo}\n"));
        assert!(
            text.ends_with(&format!("at line 2 — did you mean \"{meant}\"?")),
            "{typo}: {text}"
        );
    }
    // The key in the wrong section, or at the top.
    let (_, text) = config_error("[mongo]\nidentity = \"i\"\n");
    assert!(
        text.ends_with(
            "unknown key \"mongo.identity\" at line 2 — did you mean \"backup.identity\"?"
        ),
        "{text}"
    );
    let (_, text) = config_error("include_secrets = true\n");
    assert!(
        text.ends_with(
            "unknown key \"include_secrets\" at line 1 — did you mean \"backup.include_secrets\"?"
        ),
        "{text}"
    );
    let (_, text) = config_error("[backup]\nencrypt = true\n");
    assert!(
        text.ends_with(
            "unknown key \"backup.encrypt\" at line 2 (valid keys in [backup]: dir, uploads, config_files, log_dirs, legacy_dirs, include_secrets, recipients, recipients_file, identity, keep_daily, keep_weekly, keep_monthly, keep_pre_restore_days, min_free_percent, max_chain, max_chain_age_days, oplog_slices)"
        ),
        "{text}"
    );
}

#[test]
fn bad_recipients_name_key_line_and_index() {
    let (path, text) = config_error(&format!(
        "[backup]\nrecipients = [\n  \"{AGE_KEY_1}\",\n  \"age1qqqq\",\n]\n"
    ));
    assert_eq!(
        text,
        format!(
            "backup.recipients from config file {} (line 4): recipients[1]: \"age1qqqq\" is too short (8 characters; an age public key has 62)",
            path.display()
        )
    );
    let cases = [
        (
            AGE_KEY_1.to_uppercase(),
            "recipients[0]: \"AGE1T8P7",
            "does not start with \"age1\"; expected \"age1\" followed by 58 lowercase bech32 characters, as printed by age-keygen",
        ),
        (
            AGE_KEY_1.replacen("t8p7", "t8P7", 1),
            "recipients[0]: \"age1t8P7",
            "character 7 ('P') is not a lowercase bech32 character (upper case is not allowed)",
        ),
        (
            AGE_KEY_1.replacen("t8p7", "t8b7", 1),
            "recipients[0]: \"age1t8b7",
            "character 7 ('b') is not a lowercase bech32 character (bech32 does not use it)",
        ),
        (
            AGE_KEY_1.replacen("t8p7", "t8q7", 1),
            "recipients[0]: \"age1t8q7",
            "fails the bech32 checksum: a character is mistyped or missing",
        ),
        (
            AGE_KEY_1[..61].to_string(),
            "recipients[0]: \"age1t8p7",
            "fails the bech32 checksum",
        ),
        (
            format!(" {AGE_KEY_1}"),
            "recipients[0]: \" age1",
            "has spaces around it; write the key alone",
        ),
        (
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI".into(),
            "recipients[0]: \"ssh-ed25519",
            "is an SSH key; only age X25519 recipients (\"age1...\") are supported",
        ),
        (
            String::new(),
            "recipients[0]: empty;",
            "expected \"age1\" followed by 58",
        ),
    ];
    for (bad, start, end) in cases {
        let (_, text) = config_error(&format!("[backup]\nrecipients = [\"{bad}\"]\n"));
        assert!(
            text.contains(&format!("(line 2): {start}")),
            "{bad:?}: {text}"
        );
        assert!(text.contains(end), "{bad:?}: {text}");
    }

    // A private key pasted by mistake is recognised and never echoed.
    let (path, text) = config_error(&format!(
        "[backup]\nrecipients = [\"{AGE_KEY_1}\", \"{AGE_KEY_2}\",\n  \"{SECRET_KEY}\"]\n"
    ));
    assert_eq!(
        text,
        format!(
            "backup.recipients from config file {} (line 3): recipients[2]: this is an age identity (a private key), not a recipient: remove it from the configuration and use its public key (age-keygen -y FILE prints it)",
            path.display()
        )
    );
    assert!(!text.contains("AGE-SECRET-KEY-1"));
}

#[test]
fn bad_recipients_file_names_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let ctx = ctx(tmp.path());
    let file = tmp.path().join("cwd/scandyctl.toml");
    write(
        &file,
        "[backup]\nrecipients_file = \"keys/recipients.txt\"\n",
    );
    let list = tmp.path().join("cwd/keys/recipients.txt");
    write(&list, &format!("# team\n{AGE_KEY_1}\n\n{SECRET_KEY}\n"));
    let (_, text) = error(&CliOverrides::default(), &ctx);
    assert_eq!(
        text,
        format!(
            "backup.recipients_file from config file {} (line 2): {} line 4: this is an age identity (a private key), not a recipient: remove it from the configuration and use its public key (age-keygen -y FILE prints it)",
            file.display(),
            list.display()
        )
    );
    assert!(!text.contains("AGE-SECRET-KEY-1"));

    write(&list, "age1zzzz\n");
    let (_, text) = error(&CliOverrides::default(), &ctx);
    assert!(
        text.ends_with(&format!(
            "{} line 1: \"age1zzzz\" is too short (8 characters; an age public key has 62)",
            list.display()
        )),
        "{text}"
    );

    // Encryption was asked for: a file without any recipient must not mean "unencrypted".
    write(&list, "# nobody yet\n\n");
    let (_, text) = error(&CliOverrides::default(), &ctx);
    assert_eq!(
        text,
        format!(
            "backup.recipients_file from config file {} (line 2): {} holds no recipient; add one age1... public key per line, or remove the key",
            file.display(),
            list.display()
        )
    );
}

#[test]
fn render_effective_shows_recipients_and_identity_path_only() {
    let tmp = tempfile::tempdir().unwrap();
    let ctx = ctx(tmp.path());
    let file = tmp.path().join("cwd/scandyctl.toml");
    let identity = tmp.path().join("secret/identity.txt");
    write(&identity, &format!("{SECRET_KEY}\n"));
    write(
        &file,
        &format!(
            "[backup]\nrecipients = [\"{AGE_KEY_1}\", \"{AGE_KEY_2}\"]\nidentity = \"{}\"\n",
            identity.display()
        ),
    );
    let loaded = load(&CliOverrides::default(), &ctx).unwrap();
    let text = render_effective(&loaded);
    assert!(!text.contains("AGE-SECRET-KEY"), "{text}");
    let from_file = format!("# from config file {}", file.display());
    for line in [
        "include_secrets = false  # from built-in default".to_string(),
        format!("recipients = [\"{AGE_KEY_1}\", \"{AGE_KEY_2}\"]  {from_file}"),
        "# recipients_file = (not set)  # from built-in default".into(),
        format!("identity = \"{}\"  {from_file}", identity.display()),
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    // Printed in schema order inside [backup].
    let backup = text.split("\n[backup]\n").nth(1).unwrap();
    let order: Vec<&str> = backup
        .lines()
        .take_while(|l| !l.is_empty())
        .map(|l| l.trim_start_matches("# ").split([' ', '=']).next().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "dir",
            "uploads",
            "config_files",
            "log_dirs",
            "legacy_dirs",
            "include_secrets",
            "recipients",
            "recipients_file",
            "identity",
            "keep_daily",
            "keep_weekly",
            "keep_monthly",
            "keep_pre_restore_days",
            "min_free_percent",
            "max_chain",
            "max_chain_age_days",
            "oplog_slices"
        ]
    );

    let json = render_effective_json(&loaded);
    assert!(
        !serde_json::to_string(&json)
            .unwrap()
            .contains("AGE-SECRET-KEY")
    );
    let backup = &json["settings"]["backup"];
    assert_eq!(backup["include_secrets"]["value"], false);
    assert_eq!(backup["include_secrets"]["source"]["kind"], "default");
    assert_eq!(
        backup["recipients"]["value"],
        serde_json::json!([AGE_KEY_1, AGE_KEY_2])
    );
    assert_eq!(backup["recipients"]["source"]["kind"], "config_file");
    assert_eq!(backup["recipients_file"]["value"], serde_json::Value::Null);
    assert_eq!(backup["recipients_file"]["from"], "built-in default");
    assert_eq!(backup["identity"]["value"], identity.display().to_string());

    write(
        &file,
        "[backup]\ninclude_secrets = true\nrecipients_file = \"/srv/keys.txt\"\n",
    );
    let loaded = load(&CliOverrides::default(), &ctx).unwrap();
    let text = render_effective(&loaded);
    for line in [
        format!("include_secrets = true  {from_file}"),
        "recipients = []  # from built-in default".into(),
        format!("recipients_file = \"/srv/keys.txt\"  {from_file}"),
        "# identity = (not set)  # from built-in default".into(),
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    assert_eq!(
        render_effective_json(&loaded)["settings"]["backup"]["include_secrets"]["value"],
        true
    );
}

#[test]
fn backup_retention_keys_from_file_with_sources_and_defaults() {
    use scandyctl::backup::retention::RetentionPolicy;
    let tmp = tempfile::tempdir().unwrap();
    let ctx = ctx(tmp.path());
    let file = tmp.path().join("cwd/scandyctl.toml");
    write(
        &file,
        "[backup]\nkeep_daily = 14\nkeep_weekly = 0\nkeep_monthly = 0x18\nkeep_pre_restore_days = 0\n",
    );
    let loaded = load(&CliOverrides::default(), &ctx).unwrap();
    assert_eq!(
        loaded.config.backup.retention,
        RetentionPolicy {
            keep_daily: 14,
            keep_weekly: 0,
            keep_monthly: 24,
            keep_pre_restore_days: 0,
        }
    );
    for key in [
        "backup.keep_daily",
        "backup.keep_weekly",
        "backup.keep_monthly",
        "backup.keep_pre_restore_days",
    ] {
        assert_eq!(source(&loaded, key), &file_source(&file), "{key}");
    }
    let text = render_effective(&loaded);
    let from_file = format!("# from config file {}", file.display());
    for line in [
        format!("keep_daily = 14  {from_file}"),
        format!("keep_weekly = 0  {from_file}"),
        format!("keep_monthly = 24  {from_file}"),
        format!("keep_pre_restore_days = 0  {from_file}"),
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    let json = render_effective_json(&loaded);
    assert_eq!(json["settings"]["backup"]["keep_monthly"]["value"], 24);
    assert_eq!(
        json["settings"]["backup"]["keep_monthly"]["source"]["kind"],
        "config_file"
    );

    // Only some keys set: the others keep their defaults (7 / 4 / 12 / 7).
    write(&file, "[backup]\nkeep_weekly = 8\n");
    let loaded = load(&CliOverrides::default(), &ctx).unwrap();
    assert_eq!(
        loaded.config.backup.retention,
        RetentionPolicy {
            keep_weekly: 8,
            ..RetentionPolicy::default()
        }
    );
    assert_eq!(source(&loaded, "backup.keep_daily"), &ValueSource::Default);
    let text = render_effective(&loaded);
    assert!(
        text.lines()
            .any(|l| l == "keep_daily = 7  # from built-in default"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l == "keep_pre_restore_days = 7  # from built-in default"),
        "{text}"
    );
}

#[test]
fn backup_retention_bad_values_name_file_line_and_key() {
    let (path, text) = config_error("[backup]\ndir = \"/b\"\nkeep_daily = -1\n");
    assert_eq!(
        text,
        format!(
            "backup.keep_daily from config file {} (line 3): must be a whole number from 0 to 10000, found -1",
            path.display()
        )
    );
    let (path, text) = config_error("[backup]\nkeep_monthly = 10001\n");
    assert_eq!(
        text,
        format!(
            "backup.keep_monthly from config file {} (line 2): must be a whole number from 0 to 10000, found 10001",
            path.display()
        )
    );
    let (path, text) = config_error("[backup]\n\nkeep_weekly = \"4\"\n");
    assert_eq!(
        text,
        format!(
            "config file {}: key \"backup.keep_weekly\" at line 3: expected an integer, found string",
            path.display()
        )
    );
    let (_, text) = config_error("[backup]\nkeep_pre_restore_days = 7.5\n");
    assert!(
        text.ends_with(
            "key \"backup.keep_pre_restore_days\" at line 2: expected an integer, found float"
        ),
        "{text}"
    );
    let (_, text) = config_error("[backup]\nkeep_daily = 99999999999999999999\n");
    assert!(
        text.contains("backup.keep_daily") && text.contains("line 2"),
        "{text}"
    );
    // 10000 is allowed, and 0 for one or two of the three.
    let tmp = tempfile::tempdir().unwrap();
    let ctx = ctx(tmp.path());
    write(
        &tmp.path().join("cwd/scandyctl.toml"),
        "[backup]\nkeep_daily = 0\nkeep_weekly = 0\nkeep_monthly = 10000\n",
    );
    let loaded = load(&CliOverrides::default(), &ctx).unwrap();
    assert_eq!(loaded.config.backup.retention.keep_monthly, 10000);

    let (path, text) =
        config_error("[backup]\nkeep_daily = 0\nkeep_monthly = 0\nkeep_weekly = 0\n");
    assert_eq!(
        text,
        format!(
            "backup.keep_weekly from config file {} (line 4): keep_daily, keep_weekly and \
             keep_monthly are all 0: prune would delete every backup but the newest; keep at \
             least one daily, weekly or monthly set",
            path.display()
        )
    );
}

#[test]
fn backup_retention_unknown_keys_suggest_the_new_keys() {
    for (typo, meant) in [
        ("keep_dayly = 7", "backup.keep_daily"),
        ("keep_weeks = 4", "backup.keep_weekly"),
        ("keep_montly = 12", "backup.keep_monthly"),
        ("keep_pre_restore = 7", "backup.keep_pre_restore_days"),
    ] {
        let (_, text) = config_error(&format!("[backup]\n{typo}\n"));
        assert!(
            text.ends_with(&format!("at line 2 — did you mean \"{meant}\"?")),
            "{typo}: {text}"
        );
    }
}
