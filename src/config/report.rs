//! `scandyctl config`: the effective configuration with provenance, secrets redacted.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::load::LoadedConfig;
use super::schema::{KEYS, SECTIONS};
use super::uri::redact_uri;
use super::{Config, LanguageSetting, ValueSource};

/// A printable value (URI already redacted); `Unset` is an optional key with no value.
enum Shown {
    Str(String),
    List(Vec<String>),
    Bool(bool),
    Int(u32),
    Unset,
}

fn optional_path(path: Option<&Path>) -> Shown {
    match path {
        Some(p) => Shown::Str(p.display().to_string()),
        None => Shown::Unset,
    }
}

fn paths(list: &[PathBuf]) -> Shown {
    Shown::List(list.iter().map(|p| p.display().to_string()).collect())
}

fn shown(config: &Config, key: &str) -> Shown {
    match key {
        "scandy.root" => Shown::Str(config.scandy.root.display().to_string()),
        "scandy.env_file" => Shown::Str(config.scandy.env_file.display().to_string()),
        "scandy.kind" => Shown::Str(config.scandy.kind.clone()),
        "mongo.uri" => Shown::Str(redact_uri(&config.mongo.uri)),
        "mongo.database" => Shown::Str(config.mongo.database.clone()),
        "backup.dir" => Shown::Str(config.backup.dir.display().to_string()),
        "backup.uploads" => paths(&config.backup.uploads),
        "backup.config_files" => paths(&config.backup.config_files),
        "backup.log_dirs" => paths(&config.backup.log_dirs),
        "backup.legacy_dirs" => paths(&config.backup.legacy_dirs),
        "backup.include_secrets" => Shown::Bool(config.backup.include_secrets),
        // Public keys: printed as they are.
        "backup.recipients" => Shown::List(config.backup.recipients.clone()),
        "backup.recipients_file" => optional_path(config.backup.recipients_file.as_deref()),
        // Only the path: the identity file is never read here.
        "backup.identity" => optional_path(config.backup.identity.as_deref()),
        "backup.keep_daily" => Shown::Int(config.backup.retention.keep_daily),
        "backup.keep_weekly" => Shown::Int(config.backup.retention.keep_weekly),
        "backup.keep_monthly" => Shown::Int(config.backup.retention.keep_monthly),
        "backup.keep_pre_restore_days" => Shown::Int(config.backup.retention.keep_pre_restore_days),
        "backup.min_free_percent" => Shown::Int(config.backup.min_free_percent),
        "backup.max_chain" => Shown::Int(config.backup.max_chain),
        "backup.max_chain_age_days" => Shown::Int(config.backup.max_chain_age_days),
        "backup.oplog_slices" => match config.backup.oplog_slices {
            0 => Shown::Unset,
            s if s % 3600 == 0 => Shown::Str(format!("{}h", s / 3600)),
            s if s % 60 == 0 => Shown::Str(format!("{}m", s / 60)),
            s => Shown::Str(format!("{s}s")),
        },
        "metrics.textfile_dir" => optional_path(config.metrics.textfile_dir.as_deref()),
        "restore.parallel_collections" => Shown::Int(config.restore.parallel_collections),
        "logs.files" => Shown::List(config.logs.files.clone()),
        "logs.max_entries" => Shown::Int(config.logs.max_entries),
        "logs.journal_units" => Shown::List(config.logs.journal_units.clone()),
        "logs.docker_containers" => Shown::List(config.logs.docker_containers.clone()),
        "system.refresh_ms" => Shown::Int(config.system.refresh_ms),
        "system.units" => Shown::List(config.system.units.clone()),
        "system.containers" => Shown::List(config.system.containers.clone()),
        "web.health_url" => Shown::Str(redact_uri(&config.web.health_url)),
        "web.health_interval" => Shown::Int(config.web.health_interval),
        "web.rate_limit" => Shown::Str(config.web.rate_limit.clone()),
        "ui.language" => Shown::Str(
            match config.ui.language {
                LanguageSetting::Auto => "auto",
                LanguageSetting::En => "en",
                LanguageSetting::De => "de",
            }
            .into(),
        ),
        _ => Shown::Str(String::new()),
    }
}

/// A TOML basic string; control characters escaped so nothing can drive the terminal.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Control characters in free text (paths in notes) shown as `?`.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Text for `scandyctl config`: every key by section with its value (URI redacted) and source.
pub fn render_effective(loaded: &LoadedConfig) -> String {
    let mut out = String::new();
    match &loaded.file {
        Some(file) => {
            let _ = writeln!(out, "# config file: {}", clean(&file.display().to_string()));
        }
        None => {
            let searched: Vec<String> = loaded
                .searched
                .iter()
                .map(|p| clean(&p.display().to_string()))
                .collect();
            let _ = writeln!(
                out,
                "# config file: none found; searched: {}",
                searched.join(", ")
            );
        }
    }
    if let Some(install) = &loaded.install {
        let instance = install
            .instance
            .as_deref()
            .map(|i| format!(" instance {}", clean(i)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "# install: {}{instance} at {} ({})",
            install.kind,
            clean(&install.root.display().to_string()),
            clean(&install.evidence.join("; "))
        );
    }
    for section in SECTIONS {
        let _ = writeln!(out, "\n[{section}]");
        for (key, _) in KEYS
            .iter()
            .filter(|(k, _)| k.split('.').next() == Some(section))
        {
            let name = &key[section.len() + 1..];
            let source = loaded
                .sources
                .get(*key)
                .cloned()
                .unwrap_or(ValueSource::Default);
            let value = match shown(&loaded.config, key) {
                Shown::Unset => {
                    let _ = writeln!(
                        out,
                        "# {name} = (not set)  # from {}",
                        clean(&source.to_string())
                    );
                    continue;
                }
                Shown::Bool(b) => b.to_string(),
                Shown::Int(n) => n.to_string(),
                Shown::Str(s) => quoted(&s),
                Shown::List(items) => {
                    format!(
                        "[{}]",
                        items
                            .iter()
                            .map(|i| quoted(i))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            };
            let _ = writeln!(
                out,
                "{name} = {value}  # from {}",
                clean(&source.to_string())
            );
        }
    }
    if !loaded.notes.is_empty() {
        out.push_str("\n# notes:\n");
        for note in &loaded.notes {
            let _ = writeln!(out, "#   - {}", clean(note));
        }
    }
    out
}

/// JSON for `scandyctl config --json`: `settings.<section>.<key>` = value, source, from.
pub fn render_effective_json(loaded: &LoadedConfig) -> Value {
    let mut settings = serde_json::Map::new();
    for section in SECTIONS {
        let mut keys = serde_json::Map::new();
        for (key, _) in KEYS
            .iter()
            .filter(|(k, _)| k.split('.').next() == Some(section))
        {
            let value = match shown(&loaded.config, key) {
                Shown::Str(s) => json!(s),
                Shown::List(items) => json!(items),
                Shown::Bool(b) => json!(b),
                Shown::Int(n) => json!(n),
                Shown::Unset => Value::Null,
            };
            let source = loaded
                .sources
                .get(*key)
                .cloned()
                .unwrap_or(ValueSource::Default);
            keys.insert(
                key[section.len() + 1..].to_string(),
                json!({ "value": value, "source": source, "from": source.to_string() }),
            );
        }
        settings.insert(section.to_string(), Value::Object(keys));
    }
    json!({
        "config_file": loaded.file,
        "searched": loaded.searched,
        "install": loaded.install,
        "settings": settings,
        "notes": loaded.notes,
    })
}
