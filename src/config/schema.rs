//! The keys a config file may hold, and "did you mean" suggestions for the others.

/// The type a config key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// A string (paths, URIs, names).
    String,
    /// An array of strings.
    StringArray,
    /// `true` or `false`.
    Bool,
    /// A whole number (the loader checks the allowed range).
    Integer,
}

impl KeyType {
    /// Human wording for error messages ("a string", "an array of strings").
    pub fn describe(self) -> &'static str {
        match self {
            KeyType::String => "a string",
            KeyType::StringArray => "an array of strings",
            KeyType::Bool => "a boolean (true or false)",
            KeyType::Integer => "an integer",
        }
    }
}

/// The config file sections, in the order they are printed.
pub const SECTIONS: [&str; 9] = [
    "scandy", "mongo", "backup", "restore", "logs", "system", "web", "ui", "metrics",
];

/// Sections another loader reads and checks (`[[alerts]]` rules, `[notify]` channels,
/// `[schedule]` entries); the key-by-key check here passes over them.
pub const EXTERNAL_SECTIONS: [&str; 5] = ["alerts", "checklists", "notify", "recovery", "schedule"];

/// Every config key (`section.key`) and its type, in the order they are printed.
pub const KEYS: [(&str, KeyType); 35] = [
    ("scandy.root", KeyType::String),
    ("scandy.env_file", KeyType::String),
    ("scandy.kind", KeyType::String),
    ("mongo.uri", KeyType::String),
    ("mongo.database", KeyType::String),
    ("backup.dir", KeyType::String),
    ("backup.uploads", KeyType::StringArray),
    ("backup.config_files", KeyType::StringArray),
    ("backup.log_dirs", KeyType::StringArray),
    ("backup.legacy_dirs", KeyType::StringArray),
    ("backup.include_secrets", KeyType::Bool),
    ("backup.recipients", KeyType::StringArray),
    ("backup.recipients_file", KeyType::String),
    ("backup.identity", KeyType::String),
    ("backup.keep_daily", KeyType::Integer),
    ("backup.keep_weekly", KeyType::Integer),
    ("backup.keep_monthly", KeyType::Integer),
    ("backup.keep_pre_restore_days", KeyType::Integer),
    ("backup.min_free_percent", KeyType::Integer),
    ("backup.max_chain", KeyType::Integer),
    ("backup.max_chain_age_days", KeyType::Integer),
    ("backup.oplog_slices", KeyType::String),
    ("restore.parallel_collections", KeyType::Integer),
    ("logs.files", KeyType::StringArray),
    ("logs.max_entries", KeyType::Integer),
    ("logs.journal_units", KeyType::StringArray),
    ("logs.docker_containers", KeyType::StringArray),
    ("system.refresh_ms", KeyType::Integer),
    ("system.units", KeyType::StringArray),
    ("system.containers", KeyType::StringArray),
    ("web.health_url", KeyType::String),
    ("web.health_interval", KeyType::Integer),
    ("web.rate_limit", KeyType::String),
    ("ui.language", KeyType::String),
    ("metrics.textfile_dir", KeyType::String),
];

/// Every section a config file may have, in documentation order.
pub fn all_sections() -> Vec<&'static str> {
    SECTIONS.iter().chain(&EXTERNAL_SECTIONS).copied().collect()
}

/// The type of a full key like `mongo.uri`, if it is known.
pub fn key_type(full: &str) -> Option<KeyType> {
    KEYS.iter().find(|(k, _)| *k == full).map(|(_, t)| *t)
}

/// True for a known section name.
pub fn is_section(name: &str) -> bool {
    SECTIONS.contains(&name)
}

fn leaf(full: &str) -> &str {
    full.split_once('.').map(|(_, l)| l).unwrap_or(full)
}

fn close(a: &str, b: &str) -> bool {
    let limit = (a.chars().count().max(b.chars().count()) / 3).max(1);
    strsim::damerau_levenshtein(&a.to_lowercase(), &b.to_lowercase()) <= limit
}

/// The known key an unknown `section.leaf` (or top-level `leaf`) most likely meant.
pub fn suggest_key(section: Option<&str>, name: &str) -> Option<&'static str> {
    if let Some(found) = KEYS.iter().map(|(k, _)| *k).find(|k| leaf(k) == name) {
        return Some(found);
    }
    if let Some(section) = section.filter(|s| is_section(s)) {
        let same = KEYS
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| k.starts_with(&format!("{section}.")));
        if let Some(found) = nearest(same, name, true) {
            return Some(found);
        }
    }
    match section {
        Some(section) => nearest(
            KEYS.iter().map(|(k, _)| *k),
            &format!("{section}.{name}"),
            false,
        ),
        None => nearest(KEYS.iter().map(|(k, _)| *k), name, true),
    }
}

fn nearest(
    candidates: impl Iterator<Item = &'static str>,
    target: &str,
    use_leaf: bool,
) -> Option<&'static str> {
    let part = |k: &'static str| if use_leaf { leaf(k) } else { k };
    candidates
        .filter(|k| close(part(k), target))
        .min_by_key(|k| strsim::damerau_levenshtein(part(k), target))
}

/// The known section an unknown one most likely meant.
pub fn suggest_section(name: &str) -> Option<&'static str> {
    SECTIONS
        .iter()
        .copied()
        .filter(|s| close(s, name))
        .min_by_key(|s| strsim::damerau_levenshtein(s, name))
}

/// The keys of one section, for "valid keys are ..." hints.
pub fn keys_of(section: &str) -> Vec<&'static str> {
    KEYS.iter()
        .map(|(k, _)| *k)
        .filter(|k| k.split('.').next() == Some(section))
        .map(leaf)
        .collect()
}
