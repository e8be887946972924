//! `scandyctl demo`: build a sandbox Scandy install and open the console on it.

use color_eyre::eyre::Result;

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
    crate::state::use_state_dir(demo.root.join(".scandyctl-state"));
    let mut config = demo.config.clone();
    if let Some(lang) = global.overrides().language {
        config.ui.language = lang;
    }
    let context = context_from_config(&config, InstallKindLabel::Native, ValueSource::Demo, None);
    let outcome = crate::ui::run(context).await;
    let kept = demo.shutdown().await?;
    outcome?;
    match kept {
        Some(path) => eprintln!("demo: kept the sandbox at {}", path.display()),
        None => eprintln!("demo: sandbox removed"),
    }
    Ok(crate::exit::OK)
}
