//! The shipped example configuration stays valid and in step with the built-in defaults.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use scandyctl::config::schema::{EXTERNAL_SECTIONS, KEYS};
use scandyctl::config::{CliOverrides, Config, LoadContext, LoadedConfig, ValueSource, load};
use scandyctl::discovery::SearchPaths;

/// Optional keys that are unset by default; the example lists them as `# key = ...` lines.
const COMMENTED_OUT: [&str; 8] = [
    "backup.identity",
    "backup.oplog_slices",
    "backup.recipients_file",
    "logs.docker_containers",
    "logs.journal_units",
    "metrics.textfile_dir",
    "system.containers",
    "system.units",
];

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scandyctl.example.toml")
}

fn load_file(path: &Path) -> LoadedConfig {
    let empty = tempfile::tempdir().unwrap();
    let ctx = LoadContext {
        env: HashMap::new(),
        cwd: empty.path().to_path_buf(),
        home: Some(empty.path().to_path_buf()),
        etc_config: empty.path().join("etc.toml"),
        discovery: SearchPaths::with_roots(vec![]),
    };
    let cli = CliOverrides {
        config_file: Some(path.to_path_buf()),
        ..CliOverrides::default()
    };
    load(&cli, &ctx).expect("example config loads")
}

/// `section.key` of every `# key = value` line in the example (an optional key shown unset).
fn commented_out_keys(text: &str) -> BTreeSet<String> {
    let mut section = String::new();
    let mut keys = BTreeSet::new();
    for line in text.lines() {
        // Section headers, also commented-out ones (`# [[alerts]]` examples).
        let header = line.strip_prefix("# ").unwrap_or(line);
        if let Some(header) = header.strip_prefix('[') {
            section = header.trim_matches(|c| c == '[' || c == ']').to_string();
            section = section.split('.').next().unwrap_or("").to_string();
        } else if let Some((name, _)) = line.strip_prefix("# ").and_then(|l| l.split_once(" = "))
            && !name.contains(' ')
            && !EXTERNAL_SECTIONS.contains(&section.as_str())
        {
            keys.insert(format!("{section}.{name}"));
        }
    }
    keys
}

/// The example with its `# key = value` lines turned into settings (only keys of the
/// section they stand in, so `# kind = "smtp"` of a `[[notify.channels]]` example stays).
fn uncommented(text: &str) -> String {
    let known: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
    let mut section = String::new();
    text.lines()
        .map(|line| {
            let header = line.strip_prefix("# ").unwrap_or(line);
            if let Some(header) = header.strip_prefix('[') {
                section = header.trim_matches(|c| c == '[' || c == ']').to_string();
            }
            match line.strip_prefix("# ") {
                Some(rest)
                    if rest.split_once(" = ").is_some_and(|(name, _)| {
                        known.contains(&format!("{section}.{name}").as_str())
                    }) =>
                {
                    rest
                }
                _ => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn example_config_loads_and_matches_the_defaults() {
    let example = example_path();
    let loaded = load_file(&example);
    assert_eq!(loaded.config, Config::default());
    assert_eq!(loaded.file.as_deref(), Some(example.as_path()));
    assert_eq!(
        loaded.sources.len(),
        KEYS.len(),
        "{:?}",
        loaded.sources.keys()
    );
    assert_eq!(loaded.sources.len(), 35, "{:?}", loaded.sources.keys());
    let text = std::fs::read_to_string(&example).unwrap();
    let commented = commented_out_keys(&text);
    assert_eq!(
        commented.iter().map(String::as_str).collect::<Vec<_>>(),
        COMMENTED_OUT,
        "commented-out keys in the example"
    );
    for (key, source) in &loaded.sources {
        let expected = if commented.contains(key) {
            ValueSource::Default
        } else {
            ValueSource::ConfigFile {
                path: example.clone(),
            }
        };
        assert_eq!(source, &expected, "{key}");
    }
}

#[test]
fn example_config_commented_out_keys_are_valid_when_enabled() {
    let text = std::fs::read_to_string(example_path()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, uncommented(&text)).unwrap();
    let loaded = load_file(&path);
    for (key, source) in &loaded.sources {
        assert_eq!(
            source,
            &ValueSource::ConfigFile { path: path.clone() },
            "{key} not set by the uncommented example"
        );
    }
    assert_eq!(loaded.sources.len(), KEYS.len());
    // Only the optional keys differ from the defaults; a relative path is relative to
    // the config file's directory.
    let mut expected = Config::default();
    expected.backup.recipients_file = Some(dir.path().join("backup-recipients.txt"));
    expected.backup.identity = Some(PathBuf::from("/etc/scandyctl/backup-identity.txt"));
    expected.backup.oplog_slices = 600;
    expected.logs.journal_units = vec!["scandy.service".into()];
    expected.logs.docker_containers = vec!["scandy-app-scandy".into()];
    expected.system.units = vec!["scandy.service".into(), "mongod.service".into()];
    expected.system.containers = vec!["scandy-app-scandy".into(), "scandy-mongodb-scandy".into()];
    expected.metrics.textfile_dir = Some(PathBuf::from("/var/lib/prometheus/node-exporter"));
    assert_eq!(loaded.config, expected);
}
