//! Which command sources `scandyctl logs` reads by default: the journal of the systemd unit
//! that runs a native install (found by discovery or for a `--root` install), even when the
//! install directory carries Scandy's compose file, and the containers of a docker install.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use scandyctl::config::{CliOverrides, LoadContext, LoadedConfig, ValueSource, load};
use scandyctl::discovery::SearchPaths;
use scandyctl::logs::sources::command_sources;

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// Scandy's compose file as its repository ships it (and the native installer copies it).
const COMPOSE: &str = "services:\n  scandy-mongodb-scandy:\n    image: mongo:7\n    container_name: scandy-mongodb-scandy\n  scandy-app-scandy:\n    build: .\n    container_name: scandy-app-scandy\n    ports:\n      - \"5000:5000\"\n";

/// A native install at `root` as the installer leaves it: the whole repository.
fn native_install(root: &Path) {
    write(
        &root.join(".env"),
        "MONGODB_URI=mongodb://localhost:27017/scandy\nMONGO_INITDB_DATABASE=scandy\nWEB_PORT=5055\n",
    );
    write(&root.join("app/__init__.py"), "");
    write(
        &root.join("app/logs/app.log.1"),
        "2025-07-31 21:35:27,958 - INFO - alt\n",
    );
    write(&root.join("docker-compose.yml"), COMPOSE);
}

fn unit(systemd: &Path, root: &Path) {
    write(
        &systemd.join("scandy.service"),
        &format!(
            "[Unit]\nDescription=Scandy\n[Service]\nWorkingDirectory={}\nEnvironmentFile={}/.env\nExecStart={}/venv/bin/gunicorn --bind 0.0.0.0:${{WEB_PORT}} --workers 2 app.wsgi:app\n[Install]\nWantedBy=multi-user.target\n",
            root.display(),
            root.display(),
            root.display()
        ),
    );
}

/// A context that sees only `roots` and the unit directory `systemd`.
fn context(tmp: &Path, roots: Vec<std::path::PathBuf>) -> LoadContext {
    fs::create_dir_all(tmp.join("cwd")).unwrap();
    LoadContext {
        env: HashMap::new(),
        cwd: tmp.join("cwd"),
        home: Some(tmp.join("home")),
        etc_config: tmp.join("etc/scandyctl/config.toml"),
        discovery: SearchPaths {
            roots,
            systemd_dirs: vec![tmp.join("etc/systemd/system")],
        },
    }
}

fn command_names(loaded: &LoadedConfig) -> Vec<String> {
    command_sources(&loaded.config, 1)
        .iter()
        .map(|c| c.name())
        .collect()
}

#[test]
fn the_native_units_journal_is_read_for_a_discovered_install() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("opt/scandy");
    native_install(&root);
    unit(&tmp.path().join("etc/systemd/system"), &root);
    let ctx = context(tmp.path(), vec![tmp.path().join("opt")]);
    let loaded = load(&CliOverrides::default(), &ctx).unwrap();
    assert_eq!(loaded.config.logs.journal_units, ["scandy.service"]);
    assert!(
        loaded.config.logs.docker_containers.is_empty(),
        "the compose file of a native install names no running container"
    );
    assert!(matches!(
        loaded.sources.get("logs.journal_units"),
        Some(ValueSource::Discovery { .. })
    ));
    assert_eq!(command_names(&loaded), ["journal:scandy.service"]);
}

#[test]
fn the_native_units_journal_is_read_for_a_root_given_install() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("srv/werkstatt");
    native_install(&root);
    unit(&tmp.path().join("etc/systemd/system"), &root);
    let ctx = context(tmp.path(), Vec::new());
    let cli = CliOverrides {
        root: Some(root.clone()),
        ..Default::default()
    };
    let loaded = load(&cli, &ctx).unwrap();
    assert_eq!(loaded.config.scandy.root, root);
    assert_eq!(command_names(&loaded), ["journal:scandy.service"]);
}

#[test]
fn a_docker_install_reads_its_containers_and_a_config_list_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("opt/scandy");
    write(&root.join(".env"), "MONGO_INITDB_ROOT_PASSWORD=x\n");
    write(&root.join("docker-compose.yml"), COMPOSE);
    let ctx = context(tmp.path(), Vec::new());
    let cli = CliOverrides {
        root: Some(root.clone()),
        ..Default::default()
    };
    let loaded = load(&cli, &ctx).unwrap();
    assert!(loaded.config.logs.journal_units.is_empty());
    assert_eq!(
        command_names(&loaded),
        ["docker:scandy-mongodb-scandy", "docker:scandy-app-scandy"]
    );

    native_install(&root);
    unit(&tmp.path().join("etc/systemd/system"), &root);
    let config = tmp.path().join("scandyctl.toml");
    write(&config, "[logs]\njournal_units = []\n");
    let cli = CliOverrides {
        root: Some(root),
        config_file: Some(config),
        ..Default::default()
    };
    let loaded = load(&cli, &ctx).unwrap();
    assert!(
        command_names(&loaded).is_empty(),
        "an empty list in the config turns the journal off"
    );
}
