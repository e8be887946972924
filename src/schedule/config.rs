//! The `[schedule]` section: cron entries (`daily`, `weekly`, `monthly`), the steps after a
//! backup, jitter and the time zone, checked with the file, line and a suggestion for typos.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use toml::de::{DeTable, DeValue};

use crate::backup::verify::VerifyLevel;

/// The names a schedule entry may have, in the order they are shown.
pub const ENTRY_NAMES: [&str; 3] = ["daily", "weekly", "monthly"];

/// The keys of `[schedule]` that are not entries.
const OTHER_KEYS: [&str; 3] = ["after", "jitter_seconds", "timezone"];

/// The keys of one entry's inline table.
const ENTRY_KEYS: [&str; 3] = ["cron", "type", "verify"];

/// Largest allowed `jitter_seconds` (one hour).
pub const MAX_JITTER_SECONDS: u32 = 3600;

/// The backup type an entry asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScheduledType {
    /// Only what changed since the parent (`backup --type auto`: a full starts a new chain
    /// when `backup.max_chain` or `backup.max_chain_age_days` says so).
    Incremental,
    /// Database and files in full.
    Full,
}

impl ScheduledType {
    /// The name used in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduledType::Incremental => "incremental",
            ScheduledType::Full => "full",
        }
    }
}

/// A step that runs after the backup of a scheduled run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AfterStep {
    /// Verify the new set (quick or deep, from the entry).
    Verify,
    /// Apply the retention policy (`scandyctl prune`).
    Prune,
}

/// One cron entry of `[schedule]`.
#[derive(Debug, Clone)]
pub struct ScheduleEntry {
    /// `daily`, `weekly` or `monthly`.
    pub name: String,
    /// The cron expression as written.
    pub cron_text: String,
    /// The parsed expression.
    pub cron: croner::Cron,
    /// The backup type asked for.
    pub kind: ScheduledType,
    /// The verification level of the verify step.
    pub verify: VerifyLevel,
    /// The line of the entry in the config file.
    pub line: usize,
}

impl PartialEq for ScheduleEntry {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.cron_text == other.cron_text
            && self.kind == other.kind
            && self.verify == other.verify
    }
}

/// The validated `[schedule]` section; no entries means nothing is scheduled.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleConfig {
    /// The entries in the order of [`ENTRY_NAMES`].
    pub entries: Vec<ScheduleEntry>,
    /// The steps after each backup (default: verify, then prune).
    pub after: Vec<AfterStep>,
    /// A random delay of up to this many seconds before each run (fleets sharing a server).
    pub jitter_seconds: u32,
    /// The IANA time zone of the cron expressions; `None` is the host's local zone.
    pub timezone: Option<chrono_tz::Tz>,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            entries: Vec::new(),
            after: vec![AfterStep::Verify, AfterStep::Prune],
            jitter_seconds: 0,
            timezone: None,
        }
    }
}

impl ScheduleConfig {
    /// True when no entry is configured (nothing runs on its own).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry called `name`.
    pub fn entry(&self, name: &str) -> Option<&ScheduleEntry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Whether `step` runs after each backup.
    pub fn runs(&self, step: AfterStep) -> bool {
        self.after.contains(&step)
    }
}

/// A `[schedule]` section that cannot be used; names the file, the key and the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleConfigError {
    /// The config file.
    pub file: PathBuf,
    /// The key path (`schedule.daily.cron`).
    pub key: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScheduleConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config file {}: {}", self.file.display(), self.key)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ScheduleConfigError {}

/// Reads `[schedule]` from the config file; no file, or a file without it, schedules nothing.
pub fn load_schedule(path: Option<&Path>) -> Result<ScheduleConfig, ScheduleConfigError> {
    let Some(path) = path else {
        return Ok(ScheduleConfig::default());
    };
    let text = std::fs::read_to_string(path).map_err(|err| ScheduleConfigError {
        file: path.to_path_buf(),
        key: "schedule".into(),
        line: None,
        message: format!("cannot read: {}", crate::config::os_reason(&err)),
    })?;
    parse_schedule(&text, path)
}

/// Parses `[schedule]` from config file text; `file` only names the file in errors.
pub fn parse_schedule(text: &str, file: &Path) -> Result<ScheduleConfig, ScheduleConfigError> {
    let fail = |key: String, line: Option<usize>, message: String| ScheduleConfigError {
        file: file.to_path_buf(),
        key,
        line,
        message,
    };
    let line_at = |offset: usize| crate::config::line_col(text, offset).0;
    let doc = DeTable::parse(text).map_err(|err| {
        let line = err.span().map(|s| line_at(s.start));
        fail("schedule".into(), line, err.message().trim().to_string())
    })?;
    let mut config = ScheduleConfig::default();
    let Some(section) = doc.get_ref().get("schedule") else {
        return Ok(config);
    };
    let DeValue::Table(table) = section.get_ref() else {
        return Err(fail(
            "schedule".into(),
            Some(line_at(section.span().start)),
            format!(
                "must be a table ([schedule]), found {}",
                section.get_ref().type_str()
            ),
        ));
    };
    for (key, value) in table.iter() {
        let name = key.get_ref().as_ref();
        let line = line_at(key.span().start);
        let full = format!("schedule.{name}");
        match name {
            "after" => config.after = after_steps(value, &full, line, &fail, &line_at)?,
            "jitter_seconds" => {
                let n = integer(value.get_ref()).ok_or_else(|| {
                    fail(
                        full.clone(),
                        Some(line),
                        wrong("an integer", value.get_ref()),
                    )
                })?;
                config.jitter_seconds = u32::try_from(n)
                    .ok()
                    .filter(|n| *n <= MAX_JITTER_SECONDS)
                    .ok_or_else(|| {
                        fail(
                            full.clone(),
                            Some(line),
                            format!(
                                "must be a whole number of seconds from 0 to {MAX_JITTER_SECONDS}, found {n}"
                            ),
                        )
                    })?;
            }
            "timezone" => {
                let DeValue::String(zone) = value.get_ref() else {
                    return Err(fail(full, Some(line), wrong("a string", value.get_ref())));
                };
                config.timezone = Some(parse_zone(zone).map_err(|m| fail(full, Some(line), m))?);
            }
            entry if ENTRY_NAMES.contains(&entry) => {
                let parsed = parse_entry(entry, value.get_ref(), line, &fail, &line_at)?;
                config.entries.push(parsed);
            }
            other => {
                let known: Vec<&str> = ENTRY_NAMES.iter().chain(&OTHER_KEYS).copied().collect();
                let message = match nearest(other, &known) {
                    Some(s) => format!("unknown key; did you mean schedule.{s}?"),
                    None => format!("unknown key; valid keys are {}", known.join(", ")),
                };
                return Err(fail(full, Some(line), message));
            }
        }
    }
    config
        .entries
        .sort_by_key(|e| ENTRY_NAMES.iter().position(|n| *n == e.name));
    Ok(config)
}

type Fail<'a> = dyn Fn(String, Option<usize>, String) -> ScheduleConfigError + 'a;

fn wrong(expected: &str, found: &DeValue<'_>) -> String {
    format!("must be {expected}, found {}", found.type_str())
}

fn integer(value: &DeValue<'_>) -> Option<i64> {
    match value {
        DeValue::Integer(n) => i64::from_str_radix(n.as_str(), n.radix()).ok(),
        _ => None,
    }
}

/// The closest of `known` to `name` (at most a third of its letters off).
fn nearest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .copied()
        .map(|k| (k, strsim::damerau_levenshtein(&name.to_lowercase(), k)))
        .filter(|(k, d)| *d <= (k.len().max(name.len()) / 3).max(1))
        .min_by_key(|(_, d)| *d)
        .map(|(k, _)| k)
}

fn after_steps(
    value: &toml::Spanned<DeValue<'_>>,
    key: &str,
    line: usize,
    fail: &Fail<'_>,
    line_at: &dyn Fn(usize) -> usize,
) -> Result<Vec<AfterStep>, ScheduleConfigError> {
    let DeValue::Array(items) = value.get_ref() else {
        return Err(fail(
            key.into(),
            Some(line),
            wrong("an array of strings", value.get_ref()),
        ));
    };
    let mut steps = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{key}[{i}]");
        let item_line = Some(line_at(item.span().start));
        let DeValue::String(step) = item.get_ref() else {
            return Err(fail(at, item_line, wrong("a string", item.get_ref())));
        };
        let step = match step.as_ref() {
            "verify" => AfterStep::Verify,
            "prune" => AfterStep::Prune,
            "copy" => {
                return Err(fail(
                    at,
                    item_line,
                    "\"copy\" needs off-site targets, which scandyctl does not have yet; \
                     use verify and prune"
                        .into(),
                ));
            }
            other => {
                let hint = nearest(other, &["verify", "prune"])
                    .map(|s| format!("; did you mean \"{s}\"?"))
                    .unwrap_or_default();
                return Err(fail(
                    at,
                    item_line,
                    format!(
                        "\"{}\" is not a step; use verify and prune{hint}",
                        other.escape_debug()
                    ),
                ));
            }
        };
        if steps.contains(&step) {
            return Err(fail(at, item_line, "names a step twice".into()));
        }
        steps.push(step);
    }
    if steps == [AfterStep::Prune, AfterStep::Verify] {
        steps.reverse(); // the new set is always verified before anything is pruned
    }
    Ok(steps)
}

/// The five-field cron parser every entry uses (no seconds, no years).
pub fn cron_parser() -> croner::parser::CronParser {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Disallowed)
        .year(croner::parser::Year::Disallowed)
        .build()
}

/// Parses a cron expression and checks that it fires at all (within eight years, which
/// covers every leap day).
pub fn parse_cron(text: &str) -> Result<croner::Cron, String> {
    let cron = cron_parser()
        .parse(text)
        .map_err(|e| format!("\"{}\" is not a cron expression: {e}", text.escape_debug()))?;
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("a valid date");
    let limit = start + chrono::Duration::days(8 * 366);
    match cron.find_next_occurrence(&start, true) {
        Ok(next) if next <= limit => Ok(cron),
        _ => Err(format!(
            "\"{}\" never fires (no such date in any year); fix the day and month fields",
            text.escape_debug()
        )),
    }
}

fn parse_entry(
    name: &str,
    value: &DeValue<'_>,
    line: usize,
    fail: &Fail<'_>,
    line_at: &dyn Fn(usize) -> usize,
) -> Result<ScheduleEntry, ScheduleConfigError> {
    let at = format!("schedule.{name}");
    let DeValue::Table(table) = value else {
        return Err(fail(
            at,
            Some(line),
            format!(
                "must be a table like {{ cron = \"0 2 * * *\", type = \"full\" }}, found {}",
                value.type_str()
            ),
        ));
    };
    let mut cron = None;
    let mut kind = ScheduledType::Full;
    let mut verify = VerifyLevel::Quick;
    for (key, value) in table.iter() {
        let key_name = key.get_ref().as_ref();
        let full = format!("{at}.{key_name}");
        let key_line = Some(line_at(key.span().start));
        let DeValue::String(text) = value.get_ref() else {
            if !ENTRY_KEYS.contains(&key_name) {
                return Err(unknown_entry_key(&full, key_name, key_line, fail));
            }
            return Err(fail(full, key_line, wrong("a string", value.get_ref())));
        };
        match key_name {
            "cron" => cron = Some((parse_cron(text).map_err(|m| fail(full, key_line, m))?, text)),
            "type" => {
                kind = match text.as_ref() {
                    "full" => ScheduledType::Full,
                    "incremental" => ScheduledType::Incremental,
                    other => {
                        return Err(fail(
                            full,
                            key_line,
                            format!(
                                "\"{}\" is not a backup type; use full or incremental",
                                other.escape_debug()
                            ),
                        ));
                    }
                }
            }
            "verify" => {
                verify = match text.as_ref() {
                    "quick" => VerifyLevel::Quick,
                    "deep" => VerifyLevel::Deep,
                    other => {
                        return Err(fail(
                            full,
                            key_line,
                            format!(
                                "\"{}\" is not a verification level; use quick or deep",
                                other.escape_debug()
                            ),
                        ));
                    }
                }
            }
            other => return Err(unknown_entry_key(&full, other, key_line, fail)),
        }
    }
    let Some((cron, text)) = cron else {
        return Err(fail(
            format!("{at}.cron"),
            Some(line),
            "is missing: every entry needs a cron expression, e.g. cron = \"0 2 * * *\"".into(),
        ));
    };
    Ok(ScheduleEntry {
        name: name.to_string(),
        cron_text: text.to_string(),
        cron,
        kind,
        verify,
        line,
    })
}

fn unknown_entry_key(
    full: &str,
    name: &str,
    line: Option<usize>,
    fail: &Fail<'_>,
) -> ScheduleConfigError {
    let message = match nearest(name, &ENTRY_KEYS) {
        Some(s) => format!("unknown key; did you mean {s}?"),
        None => format!("unknown key; an entry has {}", ENTRY_KEYS.join(", ")),
    };
    fail(full.to_string(), line, message)
}

/// An IANA zone name (`Europe/Berlin`), with the closest known name suggested for a typo.
pub fn parse_zone(name: &str) -> Result<chrono_tz::Tz, String> {
    if let Ok(zone) = name.parse::<chrono_tz::Tz>() {
        return Ok(zone);
    }
    let best = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|z| (z.name(), strsim::damerau_levenshtein(name, z.name())))
        .filter(|(_, d)| *d <= 3)
        .min_by_key(|(_, d)| *d);
    Err(match best {
        Some((zone, _)) => format!(
            "\"{}\" is not an IANA time zone; did you mean \"{zone}\"?",
            name.escape_debug()
        ),
        None => format!(
            "\"{}\" is not an IANA time zone (e.g. \"Europe/Berlin\"); leave it out for the \
             host's zone",
            name.escape_debug()
        ),
    })
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
