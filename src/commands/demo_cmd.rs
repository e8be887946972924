//! `scandyctl demo`: build a sandbox Scandy install and open the console on it.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};

use super::console::context_from_config;
use crate::cli::{DemoArgs, GlobalArgs};
use crate::config::ValueSource;
use crate::demo::{DemoOptions, prepare};
use crate::ui::state::InstallKindLabel;

/// Builds the demo, runs the console, then cleans up (unless `--keep`).
pub async fn run(global: &GlobalArgs, args: &DemoArgs) -> Result<i32> {
    let options = DemoOptions {
        dir: args.dir.clone(),
        mongo_uri: global.mongo_uri.clone(),
        keep: args.keep,
        scale: args.scale,
        log_lines_per_sec: args.log_rate,
        rotate_bytes: 1024 * 1024,
        rotate_keep: 10,
    };
    let mut progress = |step: &str| eprintln!("demo: {step}");
    let demo = prepare(&options, &mut progress).await?;
    // The sandbox's checklists, maintenance log, jobs and wizards stay in the sandbox: the
    // demo never marks a real install's checklist done or writes into its log.
    let state_dir = demo.root.join(".scandyctl-state");
    crate::state::use_state_dir(state_dir.clone());
    let config_file = sandbox_config(&demo.root, &state_dir)?;
    let mut config = demo.config.clone();
    if let Some(lang) = global.overrides().language {
        config.ui.language = lang;
    }
    let context = context_from_config(
        &config,
        InstallKindLabel::Native,
        ValueSource::Demo,
        Some(config_file),
    );
    let outcome = crate::ui::run(context).await;
    let kept = demo.shutdown().await?;
    outcome?;
    match kept {
        Some(path) => eprintln!("demo: kept the sandbox at {}", path.display()),
        None => eprintln!("demo: sandbox removed"),
    }
    Ok(crate::exit::OK)
}

/// A config file for the sandbox whose `[checklists]` keep the checklists' follow-ups and
/// reads inside it (the logrotate rule is written to the sandbox's `etc/logrotate.d`, never
/// to the host's); returns its path.
fn sandbox_config(root: &Path, state_dir: &Path) -> Result<PathBuf> {
    let etc = root.join("etc");
    std::fs::create_dir_all(etc.join("logrotate.d"))
        .wrap_err_with(|| format!("cannot create {}", etc.display()))?;
    let quoted = |path: PathBuf| toml::Value::String(path.display().to_string()).to_string();
    let text = format!(
        "# The demo sandbox's own settings (removed with the sandbox).\n[checklists]\n\
         logrotate_dir = {}\nmongod_conf = {}\n",
        quoted(etc.join("logrotate.d")),
        quoted(etc.join("mongod.conf"))
    );
    let path = state_dir.join("demo.toml");
    crate::state::write_atomic(&path, text.as_bytes())?;
    Ok(path)
}
