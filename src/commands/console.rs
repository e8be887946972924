//! `scandyctl` / `scandyctl console`: load the configuration and open the console.

use color_eyre::eyre::Result;

use crate::cli::GlobalArgs;
use crate::config::{Config, LoadContext, LoadedConfig, ValueSource, load, redact_uri};
use crate::discovery::InstallKind;
use crate::i18n::Lang;
use crate::ui::state::{InstallKindLabel, InstallSummary};
use crate::ui::{ConsoleContext, run as run_console};

/// Opens the console for the configured (or discovered) install.
pub async fn run(global: &GlobalArgs) -> Result<i32> {
    let loaded = load(&global.overrides(), &LoadContext::from_process())?;
    // Interrupted restores are finished or undone before the console starts (bounded: a
    // MongoDB that does not answer leaves them for later); the Overview and Backups tabs
    // show them until acknowledged.
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        crate::backup::restore::recover_interrupted_restores(&loaded.config),
    )
    .await;
    run_console(context_for(&loaded)).await?;
    Ok(crate::exit::OK)
}

/// Builds the console context from a loaded configuration.
pub fn context_for(loaded: &LoadedConfig) -> ConsoleContext {
    let config = &loaded.config;
    let kind = match &loaded.install {
        Some(install) if install.root == config.scandy.root => match install.kind {
            InstallKind::Native => InstallKindLabel::Native,
            InstallKind::DockerCompose => InstallKindLabel::Docker,
            InstallKind::MultiInstance => {
                InstallKindLabel::MultiInstance(install.instance.clone().unwrap_or_default())
            }
        },
        _ => InstallKindLabel::Configured,
    };
    let root_source = loaded
        .sources
        .get("scandy.root")
        .cloned()
        .unwrap_or(ValueSource::Default);
    context_from_config(config, kind, root_source, loaded.file.clone())
}

/// Builds the console context from a plain configuration (used by the demo too).
pub fn context_from_config(
    config: &Config,
    kind: InstallKindLabel,
    root_source: ValueSource,
    config_file: Option<std::path::PathBuf>,
) -> ConsoleContext {
    let env = |key: &str| std::env::var(key).ok();
    ConsoleContext {
        lang: Lang::resolve(config.ui.language, env),
        install: InstallSummary {
            kind,
            root: config.scandy.root.clone(),
            root_source,
            database: config.mongo.database.clone(),
            uri_redacted: redact_uri(&config.mongo.uri),
            config_file,
            backup_dir: config.backup.dir.clone(),
        },
        mongo_uri: config.mongo.uri.clone(),
        config: std::sync::Arc::new(config.clone()),
        export_dir: std::env::current_dir().unwrap_or_else(|_| std::path::PathBuf::from(".")),
        debug_panic: std::env::var("SCANDYCTL_DEBUG_PANIC").ok(),
    }
}
