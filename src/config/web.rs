//! `[web]` (health URL, `/health` interval, Scandy's rate limit) and `ui.language`.

use std::path::Path;
use std::time::Duration;

use super::dotenv::DotEnv;
use super::error::ConfigError;
use super::file::FileSettings;
use super::load::{FileLookup, LoadedConfig, bounded, first, flag, invalid_value, line_of};
use super::{CliOverrides, Config, LanguageSetting, ValueSource, WebSection};
use crate::discovery::InstallKind;
use crate::system::rate_limit::parse_rate_limits;

/// `web.*` (file > `.env` `WEB_PORT`/`BASE_URL` > discovery > default) and `ui.language`
/// (flag > file > default). `settings` is the config file with its source, `dot` Scandy's
/// `.env` with its path.
pub(super) fn web_and_ui(
    cli: &CliOverrides,
    loaded: &mut LoadedConfig,
    from_file: &FileLookup<'_>,
    settings: Option<(&FileSettings, &ValueSource)>,
    dot: Option<(&DotEnv, &Path)>,
) -> Result<(), ConfigError> {
    health_url(loaded, from_file, dot)?;
    health_budget(loaded, from_file, settings)?;
    language(cli, loaded, from_file)
}

/// `web.health_url`: the config file, else `.env`'s `WEB_PORT` (gunicorn's port, asked on
/// loopback so no proxy stands in between), else `BASE_URL`, else the discovered port.
fn health_url(
    loaded: &mut LoadedConfig,
    from_file: &FileLookup<'_>,
    dot: Option<(&DotEnv, &Path)>,
) -> Result<(), ConfigError> {
    let discovered = loaded.install.as_ref().and_then(|i| {
        let port = i.web_port?;
        let detail = format!("web port {port} of the {} install", i.kind);
        Some((
            (format!("http://127.0.0.1:{port}/health"), 0),
            ValueSource::Discovery { detail },
        ))
    });
    // A docker install's `.env` port is the one inside the container: discovery knows the
    // published one.
    let native = loaded
        .install
        .as_ref()
        .is_none_or(|i| i.kind == InstallKind::Native);
    let from_env = dot.filter(|_| native).and_then(|(env, path)| {
        let source = |key: &str| ValueSource::DotEnv {
            path: path.to_path_buf(),
            key: key.into(),
        };
        if let Some(port) = env
            .get("WEB_PORT")
            .and_then(|p| p.trim().parse::<u16>().ok())
        {
            return Some((
                (format!("http://127.0.0.1:{port}/health"), 0),
                source("WEB_PORT"),
            ));
        }
        let base = env.get("BASE_URL")?.trim().trim_end_matches('/');
        Some(((format!("{base}/health"), 0), source("BASE_URL")))
    });
    let ((url, line), source) = first(
        vec![from_file("web.health_url"), from_env, discovered],
        (Config::default().web.health_url, 0),
    );
    let lower = url.to_ascii_lowercase();
    let host = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"));
    if host.is_none_or(|h| h.is_empty() || h.starts_with('/')) {
        return Err(ConfigError::InvalidValue {
            key: "web.health_url",
            line: line_of(&source, line),
            source: Box::new(source),
            message:
                "must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:5000/health"
                    .into(),
        });
    }
    loaded.config.web.health_url = url;
    loaded.sources.insert("web.health_url".into(), source);
    Ok(())
}

/// `web.health_interval` (seconds) and `web.rate_limit` (Flask-Limiter notation), file only.
fn health_budget(
    loaded: &mut LoadedConfig,
    from_file: &FileLookup<'_>,
    settings: Option<(&FileSettings, &ValueSource)>,
) -> Result<(), ConfigError> {
    let mut interval_source = ValueSource::Default;
    if let Some((settings, source)) = settings {
        let range = WebSection::MIN_HEALTH_INTERVAL..=WebSection::MAX_HEALTH_INTERVAL;
        if let Some(secs) = bounded(
            settings,
            source,
            "web.health_interval",
            range,
            " of seconds",
        )? {
            loaded.config.web.health_interval = secs;
            interval_source = source.clone();
        }
    }
    loaded
        .sources
        .insert("web.health_interval".into(), interval_source);
    let (limit_source, limit) = match from_file("web.rate_limit") {
        Some(((text, line), source)) => {
            if let Err(message) = parse_rate_limits(&text) {
                return Err(invalid_value(&source, "web.rate_limit", line, message));
            }
            (source, text)
        }
        None => (ValueSource::Default, loaded.config.web.rate_limit.clone()),
    };
    loaded.config.web.rate_limit = limit;
    loaded.sources.insert("web.rate_limit".into(), limit_source);
    Ok(())
}

fn language(
    cli: &CliOverrides,
    loaded: &mut LoadedConfig,
    from_file: &FileLookup<'_>,
) -> Result<(), ConfigError> {
    let (language, source) = match (cli.language, from_file("ui.language")) {
        (Some(lang), _) => (lang, flag("--lang")),
        (None, Some(((text, line), source))) => match text.as_str() {
            "auto" => (LanguageSetting::Auto, source),
            "en" => (LanguageSetting::En, source),
            "de" => (LanguageSetting::De, source),
            other => {
                return Err(ConfigError::InvalidValue {
                    key: "ui.language",
                    source: Box::new(source),
                    line: Some(line),
                    message: format!(
                        "\"{}\" is not a language; use auto, en or de",
                        other.escape_debug()
                    ),
                });
            }
        },
        (None, None) => (LanguageSetting::Auto, ValueSource::Default),
    };
    loaded.config.ui.language = language;
    loaded.sources.insert("ui.language".into(), source);
    Ok(())
}

impl WebSection {
    /// Smallest allowed `health_interval` (seconds).
    pub const MIN_HEALTH_INTERVAL: u32 = 1;
    /// Largest allowed `health_interval` (seconds).
    pub const MAX_HEALTH_INTERVAL: u32 = 86_400;
    /// Default `health_interval` (seconds).
    pub const DEFAULT_HEALTH_INTERVAL: u32 = 600;

    /// The `/health` budget these settings give (an unparsable limit counts as Scandy's default).
    pub fn budget_policy(&self) -> crate::system::health_budget::BudgetPolicy {
        use crate::system::rate_limit::SCANDY_DEFAULT_LIMITS;
        crate::system::health_budget::BudgetPolicy {
            limits: parse_rate_limits(&self.rate_limit)
                .or_else(|_| parse_rate_limits(SCANDY_DEFAULT_LIMITS))
                .unwrap_or_default(),
            interval: Duration::from_secs(u64::from(self.health_interval)),
        }
    }
}
