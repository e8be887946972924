//! Install discovery over layouts generated in temporary directories.

use std::fs;
use std::path::{Path, PathBuf};

use scandyctl::discovery::host::{DockerView, Gunicorn, HostView};
use scandyctl::discovery::{
    Install, InstallKind, SearchPaths, discover, discover_with, inspect_root, render_text,
};

const PASSWORD: &str = "Sup3rGeheim";

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn search(roots: &[&Path], systemd: &[&Path]) -> SearchPaths {
    SearchPaths {
        roots: roots.iter().map(|p| p.to_path_buf()).collect(),
        systemd_dirs: systemd.iter().map(|p| p.to_path_buf()).collect(),
    }
}

fn canonical(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap()
}

/// `/opt/scandy`-style native install with logs and uploads.
fn native_layout(root: &Path) {
    write(
        &root.join(".env"),
        "# Scandy\nexport MONGODB_URI=mongodb://localhost:27017/scandy\nMONGO_INITDB_DATABASE=scandy\nWEB_PORT=5000\n",
    );
    write(&root.join("app/__init__.py"), "");
    write(
        &root.join("app/logs/app.log"),
        "2025-07-31 21:35:27,958 - INFO - start\n",
    );
    write(&root.join("app/logs/app.log.1"), "");
    write(&root.join("app/logs/notes.txt"), "");
    write(&root.join("logs/security.log"), "");
    write(&root.join("logs/auto_backup.log"), "");
    fs::create_dir_all(root.join("app/static/uploads/logos")).unwrap();
}

fn docker_compose(instance: &str, mongo_port: Option<u16>, web_port: u16) -> String {
    let mongo_ports = match mongo_port {
        Some(port) => format!("    ports:\n      - \"{port}:27017\"\n"),
        None => String::new(),
    };
    format!(
        "services:\n\
         \x20 scandy-mongodb-{instance}:\n\
         \x20   image: mongo:7\n\
         \x20   container_name: scandy-mongodb-{instance}\n\
         \x20   environment:\n\
         \x20     MONGO_INITDB_ROOT_USERNAME: admin\n\
         \x20     MONGO_INITDB_ROOT_PASSWORD: ${{MONGO_INITDB_ROOT_PASSWORD}}\n\
         {mongo_ports}\
         \x20   healthcheck:\n\
         \x20     test: [\"CMD\", \"mongosh\", \"--eval\", \"db.adminCommand('ping')\"]\n\
         \x20 scandy-app-{instance}:\n\
         \x20   build: .\n\
         \x20   container_name: scandy-app-{instance}  # the web app\n\
         \x20   ports:\n\
         \x20     - \"{web_port}:5000\"\n\
         \x20 scandy-mongo-express-{instance}:\n\
         \x20   image: mongo-express\n\
         \x20   container_name: scandy-mongo-express-{instance}\n\
         \x20   ports:\n\
         \x20     - \"{}:8081\"\n",
        8081 + web_port - 5000
    )
}

fn only(installs: &[Install]) -> &Install {
    assert_eq!(installs.len(), 1, "expected one install, got {installs:#?}");
    &installs[0]
}

#[test]
fn native_install_with_systemd_unit() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("opt/scandy");
    native_layout(&root);
    let systemd = tmp.path().join("systemd");
    write(
        &systemd.join("scandy.service"),
        &format!(
            "[Service]\nWorkingDirectory={}\nExecStart=/opt/scandy/venv/bin/gunicorn --workers 2 --bind 0.0.0.0:5000 app:app\n",
            root.display()
        ),
    );
    write(
        &systemd.join("other.service"),
        "[Service]\nWorkingDirectory=/nowhere\n",
    );

    let installs = discover(&search(&[&root], &[&systemd]));
    let install = only(&installs);
    let root = canonical(&root);
    assert_eq!(install.kind, InstallKind::Native);
    assert_eq!(install.root, root);
    assert_eq!(install.instance, None);
    assert_eq!(install.database, "scandy");
    assert_eq!(
        install.mongo_uri_redacted.as_deref(),
        Some("mongodb://localhost:27017/scandy")
    );
    assert_eq!(install.mongo_port, Some(27017));
    assert_eq!(install.web_port, Some(5000));
    assert_eq!(install.service_unit, Some(systemd.join("scandy.service")));
    assert!(install.containers.is_empty());
    assert_eq!(
        install.log_files,
        vec![
            root.join("app/logs/app.log"),
            root.join("app/logs/app.log.1"),
            root.join("logs/auto_backup.log"),
            root.join("logs/security.log"),
        ]
    );
    assert_eq!(
        install.upload_dirs,
        vec![
            root.join("app/static/uploads"),
            root.join("app/static/uploads/logos")
        ]
    );
    assert_eq!(install.evidence[0], ".env and app/__init__.py present");
    let unit_evidence = format!(
        "scandy.service WorkingDirectory={}",
        tmp.path().join("opt/scandy").display()
    );
    assert!(
        install.evidence.contains(&unit_evidence),
        "{:?}",
        install.evidence
    );
}

#[test]
fn native_install_found_one_level_down_with_credentials_redacted() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("scandy");
    write(
        &root.join(".env"),
        &format!(
            "MONGODB_URI=\"mongodb://scandy:{PASSWORD}@db.local:27020/werk\"\nMONGODB_DB=werk\n"
        ),
    );
    fs::create_dir_all(root.join("app/logs")).unwrap();
    fs::create_dir_all(tmp.path().join("unrelated/app")).unwrap();

    let installs = discover(&search(&[tmp.path()], &[]));
    let install = only(&installs);
    assert_eq!(install.root, canonical(&root));
    assert_eq!(install.database, "werk");
    // Scandy adds authSource=admin to URIs with credentials.
    assert_eq!(
        install.mongo_uri_redacted.as_deref(),
        Some("mongodb://scandy:***@db.local:27020/werk?authSource=admin")
    );
    assert_eq!(
        install.mongo_uri.as_deref(),
        Some(format!("mongodb://scandy:{PASSWORD}@db.local:27020/werk?authSource=admin").as_str())
    );
    assert_eq!(install.mongo_port, Some(27020));
    assert_eq!(install.web_port, None);
    assert!(install.log_files.is_empty());
    assert!(install.upload_dirs.is_empty());
}

#[test]
fn docker_compose_install_without_published_mongo_port() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("scandy-docker");
    write(
        &root.join("docker-compose.yml"),
        &docker_compose("scandy", None, 5000),
    );
    write(
        &root.join(".env"),
        &format!(
            "MONGO_INITDB_ROOT_USERNAME=admin\nMONGO_INITDB_ROOT_PASSWORD={PASSWORD}\nMONGO_INITDB_DATABASE=scandy\n\
             MONGODB_URI=mongodb://admin:{PASSWORD}@scandy-mongodb-scandy:27017/scandy?authSource=admin\n"
        ),
    );
    write(&root.join("app/logs/app.log"), "");

    let installs = discover(&search(&[&root], &[]));
    let install = only(&installs);
    assert_eq!(install.kind, InstallKind::DockerCompose);
    assert_eq!(install.root, canonical(&root));
    assert_eq!(install.instance, None);
    assert_eq!(install.database, "scandy");
    assert_eq!(
        install.mongo_uri_redacted.as_deref(),
        Some("mongodb://admin:***@localhost:27017/scandy?authSource=admin")
    );
    assert_eq!(
        install.mongo_uri.as_deref(),
        Some(
            format!("mongodb://admin:{PASSWORD}@localhost:27017/scandy?authSource=admin").as_str()
        )
    );
    assert_eq!(install.mongo_port, None);
    assert_eq!(install.web_port, Some(5000));
    assert_eq!(
        install.containers,
        vec![
            "scandy-mongodb-scandy",
            "scandy-app-scandy",
            "scandy-mongo-express-scandy"
        ]
    );
    assert_eq!(
        install.log_files,
        vec![canonical(&root).join("app/logs/app.log")]
    );
    assert!(
        install
            .evidence
            .contains(&"docker-compose.yml container scandy-app-scandy".to_string())
    );
    assert!(install.evidence.contains(
        &"MongoDB port not published; reach it from inside the compose network".to_string()
    ));

    let json = serde_json::to_string(&installs).unwrap();
    assert!(!json.contains(PASSWORD), "{json}");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value[0]["kind"], "docker-compose");
    assert_eq!(
        value[0]["mongo_uri"],
        "mongodb://admin:***@localhost:27017/scandy?authSource=admin"
    );
    assert!(value[0].get("mongo_uri_redacted").is_none());
}

#[test]
fn multi_instance_installs_with_published_ports() {
    let tmp = tempfile::tempdir().unwrap();
    let parent = tmp.path().join("srv");
    for (n, instance) in [(1u16, "werkstatt"), (2, "lager")] {
        let dir = parent.join(instance);
        write(
            &dir.join("docker-compose.yml"),
            &docker_compose(instance, Some(27017 + n), 5000 + n),
        );
        write(
            &dir.join(".env"),
            &format!("MONGO_INITDB_ROOT_PASSWORD={PASSWORD}{n}\n"),
        );
    }
    // The second instance's .env names its database explicitly.
    write(
        &parent.join("lager/.env"),
        &format!("MONGO_INITDB_ROOT_PASSWORD={PASSWORD}2\nMONGODB_DB=lager_db\n"),
    );
    fs::create_dir_all(parent.join("lager/app/static/uploads")).unwrap();

    let installs = discover(&search(&[&parent], &[]));
    assert_eq!(installs.len(), 2, "{installs:#?}");
    let (lager, werkstatt) = (&installs[0], &installs[1]);

    assert_eq!(werkstatt.kind, InstallKind::MultiInstance);
    assert_eq!(werkstatt.root, canonical(&parent.join("werkstatt")));
    assert_eq!(werkstatt.instance.as_deref(), Some("werkstatt"));
    assert_eq!(werkstatt.database, "werkstatt_scandy");
    assert_eq!(werkstatt.mongo_port, Some(27018));
    assert_eq!(werkstatt.web_port, Some(5001));
    assert_eq!(
        werkstatt.mongo_uri_redacted.as_deref(),
        Some("mongodb://admin:***@localhost:27018/werkstatt_scandy?authSource=admin")
    );
    assert_eq!(
        werkstatt.containers,
        vec![
            "scandy-mongodb-werkstatt",
            "scandy-app-werkstatt",
            "scandy-mongo-express-werkstatt"
        ]
    );
    assert!(werkstatt.upload_dirs.is_empty());

    assert_eq!(lager.kind, InstallKind::MultiInstance);
    assert_eq!(lager.instance.as_deref(), Some("lager"));
    assert_eq!(lager.database, "lager_db");
    assert_eq!(lager.mongo_port, Some(27019));
    assert_eq!(lager.web_port, Some(5002));
    assert_eq!(
        lager.upload_dirs,
        vec![canonical(&parent.join("lager/app/static/uploads"))]
    );

    let text = render_text(&installs, false);
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(text.contains("multi-instance"), "{text}");
    assert!(text.contains("(instance werkstatt)"), "{text}");
    assert!(
        text.contains("mongodb://admin:***@localhost:27019/lager_db?authSource=admin"),
        "{text}"
    );
    let json = serde_json::to_value(&installs).unwrap();
    assert_eq!(json[1]["kind"], "multi-instance");
    assert_eq!(json[1]["instance"], "werkstatt");
}

#[test]
fn compose_variants_long_ports_host_ip_and_interpolation() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("kiel");
    write(
        &root.join("compose.yaml"),
        "services:\n\
         \x20 db:\n\
         \x20   container_name: \"scandy-mongodb-kiel\"\n\
         \x20   environment:\n\
         \x20     - MONGO_INITDB_ROOT_PASSWORD=literal:pw@x\n\
         \x20   ports:\n\
         \x20     - target: 27017\n\
         \x20       published: \"${MONGO_PORT:-27030}\"\n\
         \x20 web:\n\
         \x20   container_name: scandy-app-kiel\n\
         \x20   ports: [\"127.0.0.1:5010:5000\"]\n",
    );
    let installs = discover(&search(&[&root], &[]));
    let install = only(&installs);
    assert_eq!(install.kind, InstallKind::MultiInstance);
    assert_eq!(install.instance.as_deref(), Some("kiel"));
    assert_eq!(install.mongo_port, Some(27030));
    assert_eq!(install.web_port, Some(5010));
    // The compose file's literal password is used and percent-encoded, then redacted.
    assert_eq!(
        install.mongo_uri.as_deref(),
        Some("mongodb://admin:literal%3Apw%40x@localhost:27030/kiel_scandy?authSource=admin")
    );
    assert_eq!(
        install.mongo_uri_redacted.as_deref(),
        Some("mongodb://admin:***@localhost:27030/kiel_scandy?authSource=admin")
    );
    assert!(
        install
            .evidence
            .contains(&"compose.yaml container scandy-mongodb-kiel".to_string())
    );
}

#[test]
fn unit_pointing_at_unknown_directory_is_still_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let systemd = tmp.path().join("systemd");
    let bare = tmp.path().join("srv/scandy-old");
    fs::create_dir_all(&bare).unwrap();
    write(
        &systemd.join("scandy.service"),
        &format!("[Service]\nWorkingDirectory=-{}\n", bare.display()),
    );
    let gone = tmp.path().join("gone");
    write(
        &systemd.join("scandy-second.service"),
        &format!(
            "[Service]\nWorkingDirectory={}\nExecStart=/usr/bin/gunicorn -b 127.0.0.1:5007 app:app\n",
            gone.display()
        ),
    );

    let installs = discover(&search(&[], &[&systemd]));
    assert_eq!(installs.len(), 2, "{installs:#?}");
    let (bare_install, gone_install) = (&installs[1], &installs[0]);
    assert_eq!(bare_install.kind, InstallKind::Native);
    assert_eq!(bare_install.root, canonical(&bare));
    assert_eq!(bare_install.database, "scandy");
    assert_eq!(
        bare_install.service_unit,
        Some(systemd.join("scandy.service"))
    );
    assert_eq!(
        bare_install.evidence,
        vec![format!(
            "scandy.service WorkingDirectory={}",
            bare.display()
        )]
    );
    assert_eq!(gone_install.root, gone);
    assert_eq!(gone_install.web_port, Some(5007));
    assert!(
        gone_install
            .evidence
            .contains(&"the directory does not exist".to_string())
    );
}

#[test]
fn duplicate_roots_and_symlinks_are_reported_once() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("scandy");
    native_layout(&root);
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&root, &link).unwrap();
    let installs = discover(&search(&[&root, &link, tmp.path(), &root], &[]));
    assert_eq!(only(&installs).root, canonical(&root));
}

#[test]
fn unreadable_missing_and_empty_roots_do_not_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    let file = tmp.path().join("plain-file");
    write(&file, "not a directory");
    let locked = tmp.path().join("locked");
    fs::create_dir_all(locked.join("inner/app/logs")).unwrap();
    write(
        &locked.join("inner/.env"),
        "MONGODB_URI=mongodb://localhost\n",
    );
    // An .env that is a directory, next to a native marker.
    fs::create_dir_all(tmp.path().join("odd/.env")).unwrap();
    fs::create_dir_all(tmp.path().join("odd/app/logs")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let systemd = tmp.path().join("no-systemd-here");

    let installs = discover(&search(
        &[&empty, &file, &tmp.path().join("missing"), &locked],
        &[&systemd, &file],
    ));
    let is_root = unsafe { libc::geteuid() } == 0;
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    if is_root {
        // root reads through mode 000, so the inner install is still found.
        assert_eq!(installs.len(), 1);
    } else {
        assert!(installs.is_empty(), "{installs:#?}");
    }
    assert!(discover(&search(&[&tmp.path().join("odd")], &[])).is_empty());
    assert_eq!(
        render_text(&[], false),
        "No Scandy install found. Search other directories with `scandyctl detect DIR...`.\n"
    );
}

#[test]
fn inspect_root_keeps_the_given_path_and_finds_its_unit() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("scandy");
    native_layout(&root);
    let systemd = tmp.path().join("systemd");
    write(
        &systemd.join("scandy.service"),
        &format!("[Service]\nWorkingDirectory={}/\n", root.display()),
    );
    let given = tmp.path().join("./scandy");
    let install = inspect_root(&given, std::slice::from_ref(&systemd), None).expect("install");
    assert_eq!(install.root, given);
    assert_eq!(install.service_unit, Some(systemd.join("scandy.service")));
    assert!(inspect_root(&tmp.path().join("nothing"), &[systemd], None).is_none());
}

#[test]
fn render_text_lists_every_field_without_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("scandy");
    native_layout(&root);
    write(
        &root.join(".env"),
        &format!("MONGODB_URI=mongodb://u:{PASSWORD}@localhost:27017/scandy\nWEB_PORT=5005\n"),
    );
    let installs = discover(&search(&[&root], &[]));
    let text = render_text(&installs, false);
    let root = canonical(&root);
    let expected = format!(
        "1 Scandy install found:\n\nnative {}\n  verdict     native: .env MONGODB_URI points at localhost:27017, a mongod on this host\n  database    scandy\n  mongo uri   mongodb://u:***@localhost:27017/scandy?authSource=admin\n  \
         mongo port  27017\n  web port    5005\n  logs        app/logs/app.log, app/logs/app.log.1, logs/auto_backup.log, logs/security.log\n  \
         uploads     app/static/uploads, app/static/uploads/logos\n  evidence    .env and app/__init__.py present\n",
        root.display()
    );
    assert_eq!(text, expected);
}

/// A native install laid out as Scandy's installer does it: the whole repository copied
/// (compose file and Dockerfile included), its venv, `.env` with `WEB_PORT=5055`.
fn real_native_layout(root: &Path) {
    write(
        &root.join(".env"),
        &format!(
            "MONGODB_URI=mongodb://localhost:27017/scandy\nMONGO_INITDB_DATABASE=scandy\nMONGODB_DB=scandy\n\
             SECRET_KEY=abc\nWEB_PORT=5055\nMONGO_INITDB_ROOT_PASSWORD={PASSWORD}\n\
             ME_CONFIG_MONGODB_URL=mongodb://admin:${{MONGO_INITDB_ROOT_PASSWORD}}@scandy-mongodb-scandy:27017/\n"
        ),
    );
    write(
        &root.join("docker-compose.yml"),
        &docker_compose("scandy", Some(27017), 5000),
    );
    write(&root.join("Dockerfile"), "FROM python:3.11\n");
    write(&root.join("app/__init__.py"), "");
    write(&root.join("app/wsgi.py"), "");
    write(&root.join("app/logs/app.log.1"), "");
    write(&root.join("venv/bin/gunicorn"), "#!/usr/bin/python3\n");
    write(&root.join("venv/bin/python"), "");
}

fn no_docker() -> DockerView {
    DockerView::Unavailable("docker is not installed".into())
}

#[test]
fn native_install_with_the_repository_compose_file_is_native() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("scandy");
    real_native_layout(&root);
    for docker in [
        no_docker(),
        DockerView::Answered(vec![("other".into(), None)]),
    ] {
        let host = HostView::known(Vec::new(), docker);
        let installs = discover_with(&search(&[&root], &[]), &host);
        let install = only(&installs);
        assert_eq!(install.kind, InstallKind::Native, "{install:#?}");
        assert_eq!(
            install.mongo_uri_redacted.as_deref(),
            Some("mongodb://localhost:27017/scandy")
        );
        assert_eq!(install.web_port, Some(5055));
        assert!(install.containers.is_empty(), "{:?}", install.containers);
        assert!(
            install.verdict.starts_with("native: "),
            "{}",
            install.verdict
        );
        assert!(
            install.verdict.contains("venv/bin/gunicorn"),
            "{}",
            install.verdict
        );
        let explained = render_text(&installs, true);
        assert!(
            explained.contains("[none no proof] docker-compose.yml names"),
            "{explained}"
        );
        assert!(!explained.contains(PASSWORD), "{explained}");
    }
}

#[test]
fn a_running_gunicorn_or_a_unit_outweighs_known_containers() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("scandy");
    real_native_layout(&root);
    let containers = DockerView::Answered(vec![("scandy-app-scandy".into(), None)]);
    let gunicorn = Gunicorn {
        pid: 4242,
        cwd: canonical(&root),
        bind_port: Some(5055),
    };
    let host = HostView::known(vec![gunicorn], containers.clone());
    let install = discover_with(&search(&[&root], &[]), &host).remove(0);
    assert_eq!(install.kind, InstallKind::Native);
    assert!(
        install.verdict.contains("gunicorn (pid 4242)"),
        "{}",
        install.verdict
    );

    // The same checkout without venv and gunicorn, and the daemon runs its containers.
    fs::remove_dir_all(root.join("venv")).unwrap();
    let host = HostView::known(Vec::new(), containers);
    let install = discover_with(&search(&[&root], &[]), &host).remove(0);
    assert_eq!(
        install.kind,
        InstallKind::DockerCompose,
        "{}",
        install.verdict
    );
    assert!(
        install.verdict.contains("docker daemon"),
        "{}",
        install.verdict
    );
    assert_eq!(install.web_port, Some(5000));
}

#[test]
fn a_compose_project_known_to_the_daemon_is_docker() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("scandy");
    real_native_layout(&root);
    fs::remove_dir_all(root.join("venv")).unwrap();
    let docker = DockerView::Answered(vec![("scandy-app-scandy".into(), Some(root.clone()))]);
    let host = HostView::known(Vec::new(), docker);
    let install = discover_with(&search(&[&root], &[]), &host).remove(0);
    assert_eq!(install.kind, InstallKind::DockerCompose);
    let explained = render_text(&[install], true);
    assert!(
        explained.contains("[docker strong] the docker daemon runs compose project"),
        "{explained}"
    );
}

#[test]
fn scandy_kind_overrides_the_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("scandy");
    real_native_layout(&root);
    let install = inspect_root(&root, &[], Some(InstallKind::DockerCompose)).unwrap();
    assert_eq!(install.kind, InstallKind::DockerCompose);
    assert!(
        install.verdict.contains("scandy.kind"),
        "{}",
        install.verdict
    );
    let install = inspect_root(&root, &[], None).unwrap();
    assert_eq!(install.kind, InstallKind::Native);
}
