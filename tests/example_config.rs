//! The shipped example configuration stays valid and in step with the built-in defaults.

use std::collections::HashMap;
use std::path::Path;

use scandyctl::config::{CliOverrides, Config, LoadContext, ValueSource, load};
use scandyctl::discovery::SearchPaths;

#[test]
fn example_config_loads_and_matches_the_defaults() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scandyctl.example.toml");
    let empty = tempfile::tempdir().unwrap();
    let ctx = LoadContext {
        env: HashMap::new(),
        cwd: empty.path().to_path_buf(),
        home: Some(empty.path().to_path_buf()),
        etc_config: empty.path().join("etc.toml"),
        discovery: SearchPaths::with_roots(vec![]),
    };
    let cli = CliOverrides {
        config_file: Some(example.clone()),
        ..CliOverrides::default()
    };
    let loaded = load(&cli, &ctx).expect("example config loads");
    assert_eq!(loaded.config, Config::default());
    assert_eq!(loaded.file.as_deref(), Some(example.as_path()));
    for (key, source) in &loaded.sources {
        assert_eq!(
            source,
            &ValueSource::ConfigFile {
                path: example.clone()
            },
            "{key} not set by the example"
        );
    }
    assert_eq!(loaded.sources.len(), 11, "{:?}", loaded.sources.keys());
}
