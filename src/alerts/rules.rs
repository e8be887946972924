//! Alert rules: the model, the built-in defaults and the `[[alerts]]` loader.
//!
//! Without a config file, or without `[[alerts]]` in it, the defaults apply. Each
//! `[[alerts]]` table is merged into the defaults by `name`: a rule named like a default
//! replaces the keys it sets (the rest stay as in the default), `enabled = false` turns a
//! rule off, and a new name adds a rule (then `metric` is required).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Priority, parse_priority, serialize_priority};

/// What a rule measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Used space of each mounted filesystem, percent (one incident per mount).
    DiskUsedPercent,
    /// Memory in use, percent.
    MemoryUsedPercent,
    /// CPU busy, percent.
    CpuPercent,
    /// Scandy's `/health` endpoint does not answer healthy.
    HealthFailing,
    /// MongoDB does not answer.
    MongoUnreachable,
    /// MongoDB refuses the configured credentials.
    MongoAuthFailing,
    /// Hours since the newest backup set (no backup at all counts as infinitely old).
    BackupAgeHours,
    /// The newest verified backup set failed its verification.
    VerifyFailed,
    /// Error-level log entries per minute.
    ErrorRatePerMinute,
    /// The last scheduled backup failed (`[schedule]`).
    BackupFailed,
    /// A scheduled backup is more than an hour overdue and has not run.
    BackupMissed,
    /// A maintenance checklist (daily, weekly, monthly) is overdue.
    ChecklistOverdue,
}

impl Metric {
    /// Every metric, in documentation order.
    pub const ALL: [Metric; 12] = [
        Metric::DiskUsedPercent,
        Metric::MemoryUsedPercent,
        Metric::CpuPercent,
        Metric::HealthFailing,
        Metric::MongoUnreachable,
        Metric::MongoAuthFailing,
        Metric::BackupAgeHours,
        Metric::VerifyFailed,
        Metric::ErrorRatePerMinute,
        Metric::BackupFailed,
        Metric::BackupMissed,
        Metric::ChecklistOverdue,
    ];

    /// The name used in `metric = "..."`.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::DiskUsedPercent => "disk_used_percent",
            Metric::MemoryUsedPercent => "memory_used_percent",
            Metric::CpuPercent => "cpu_percent",
            Metric::HealthFailing => "health_failing",
            Metric::MongoUnreachable => "mongo_unreachable",
            Metric::MongoAuthFailing => "mongo_auth_failing",
            Metric::BackupAgeHours => "backup_age_hours",
            Metric::VerifyFailed => "verify_failed",
            Metric::ErrorRatePerMinute => "error_rate_per_minute",
            Metric::BackupFailed => "backup_failed",
            Metric::BackupMissed => "backup_missed",
            Metric::ChecklistOverdue => "checklist_overdue",
        }
    }

    /// The metric named `text`.
    pub fn parse(text: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// True for yes/no metrics, which use `priority` instead of thresholds.
    pub fn is_boolean(self) -> bool {
        matches!(
            self,
            Metric::HealthFailing
                | Metric::MongoUnreachable
                | Metric::MongoAuthFailing
                | Metric::VerifyFailed
                | Metric::BackupFailed
                | Metric::BackupMissed
                | Metric::ChecklistOverdue
        )
    }
}

/// One alert rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertRule {
    /// Unique id; also the incident id (disk rules add `:<mount>`).
    pub name: String,
    /// What is measured.
    pub metric: Metric,
    /// Fires at warning level above this value (numeric metrics).
    pub warning: Option<f64>,
    /// Fires at critical level above this value (numeric metrics).
    pub critical: Option<f64>,
    /// The priority when a boolean metric is true.
    #[serde(serialize_with = "serialize_priority")]
    pub priority: Priority,
    /// The condition must hold this long before the alert fires.
    pub for_seconds: u64,
    /// Hysteresis: a firing alert clears only below its threshold minus this.
    pub clear_margin: f64,
    /// False turns the rule off.
    pub enabled: bool,
}

impl AlertRule {
    fn numeric(name: &str, metric: Metric, warning: Option<f64>, critical: Option<f64>) -> Self {
        AlertRule {
            name: name.into(),
            metric,
            warning,
            critical,
            priority: Priority::Warning,
            for_seconds: 0,
            clear_margin: 0.0,
            enabled: true,
        }
    }

    fn boolean(name: &str, metric: Metric, priority: Priority, for_seconds: u64) -> Self {
        AlertRule {
            priority,
            for_seconds,
            ..AlertRule::numeric(name, metric, None, None)
        }
    }

    fn lasting(self, for_seconds: u64, clear_margin: f64) -> Self {
        AlertRule {
            for_seconds,
            clear_margin,
            ..self
        }
    }
}

/// The built-in rules, used when the config file has no `[[alerts]]`.
pub fn default_rules() -> Vec<AlertRule> {
    use Metric::*;
    vec![
        AlertRule::numeric("disk", DiskUsedPercent, Some(85.0), Some(95.0)).lasting(0, 3.0),
        AlertRule::numeric("memory", MemoryUsedPercent, Some(90.0), Some(97.0)).lasting(120, 3.0),
        AlertRule::numeric("cpu", CpuPercent, Some(90.0), None).lasting(300, 10.0),
        AlertRule::boolean("health", HealthFailing, Priority::Critical, 60),
        AlertRule::boolean("mongo", MongoUnreachable, Priority::Critical, 30),
        AlertRule::boolean("mongo_auth", MongoAuthFailing, Priority::Critical, 0),
        AlertRule::numeric("backup_age", BackupAgeHours, Some(26.0), Some(50.0)),
        AlertRule::boolean("verify", VerifyFailed, Priority::Warning, 0),
        AlertRule::numeric("error_rate", ErrorRatePerMinute, Some(10.0), None).lasting(300, 2.0),
        AlertRule::boolean("backup-failed", BackupFailed, Priority::Critical, 0),
        AlertRule::boolean("backup-missed", BackupMissed, Priority::Warning, 0),
        AlertRule::boolean("checklist-overdue", ChecklistOverdue, Priority::Warning, 0),
    ]
}

/// Why the `[[alerts]]` rules could not be read; names the file, the key and the line.
#[derive(Debug, Clone, PartialEq)]
pub struct RulesError {
    /// The config file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// `alerts[2].warning`, `alerts[2]` or `alerts`.
    pub key: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "{}:{line}: {}: {}",
                self.path.display(),
                self.key,
                self.message
            ),
            None => write!(f, "{}: {}: {}", self.path.display(), self.key, self.message),
        }
    }
}

impl std::error::Error for RulesError {}

/// The alert rules of the config file at `path` (the defaults without a file or without
/// `[[alerts]]`).
pub fn load_rules(path: Option<&Path>) -> Result<Vec<AlertRule>, RulesError> {
    let Some(path) = path else {
        return Ok(default_rules());
    };
    let text = std::fs::read_to_string(path).map_err(|err| RulesError {
        path: path.to_path_buf(),
        line: None,
        key: "alerts".into(),
        message: format!("cannot read the file: {}", crate::config::os_reason(&err)),
    })?;
    parse_rules(path, &text)
}

/// The alert rules in config file text; `path` is only used in messages.
pub fn parse_rules(path: &Path, text: &str) -> Result<Vec<AlertRule>, RulesError> {
    let error = |line: Option<usize>, key: String, message: String| RulesError {
        path: path.to_path_buf(),
        line,
        key,
        message,
    };
    let doc = DeTable::parse(text).map_err(|err| {
        let line = err.span().map(|s| line_of(text, s.start));
        error(line, "alerts".into(), err.message().trim().to_string())
    })?;
    let Some((key, value)) = doc.get_ref().iter().find(|(k, _)| k.get_ref() == "alerts") else {
        return Ok(default_rules());
    };
    let DeValue::Array(items) = value.get_ref() else {
        return Err(error(
            Some(line_of(text, key.span().start)),
            "alerts".into(),
            format!(
                "expected an array of tables (`[[alerts]]`), found {}",
                value.get_ref().type_str()
            ),
        ));
    };
    let mut rules = default_rules();
    let mut seen: Vec<String> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let line = line_of(text, item.span().start);
        let DeValue::Table(table) = item.get_ref() else {
            return Err(error(
                Some(line),
                format!("alerts[{index}]"),
                format!("expected a table, found {}", item.get_ref().type_str()),
            ));
        };
        let raw = RawRule::read(text, table).map_err(|(line, key, message)| {
            error(Some(line), format!("alerts[{index}].{key}"), message)
        })?;
        let Some((name, name_line)) = raw.name.clone() else {
            return Err(error(
                Some(line),
                format!("alerts[{index}].name"),
                "missing: every rule needs a unique `name`".into(),
            ));
        };
        if seen.contains(&name) {
            return Err(error(
                Some(name_line),
                format!("alerts[{index}].name"),
                format!("`{name}` is used by an earlier [[alerts]] rule; names must be unique"),
            ));
        }
        seen.push(name.clone());
        let merged = match rules.iter().position(|r| r.name == name) {
            Some(at) => {
                let rule = raw.apply(rules[at].clone());
                rules[at] = rule.clone();
                rule
            }
            None => {
                let Some((metric, _)) = raw.metric else {
                    return Err(error(
                        Some(line),
                        format!("alerts[{index}].metric"),
                        format!(
                            "missing: `{name}` is not a built-in rule, so it needs a metric ({})",
                            metric_list()
                        ),
                    ));
                };
                let start = AlertRule::numeric(&name, metric, None, None);
                let rule = raw.apply(start);
                rules.push(rule.clone());
                rule
            }
        };
        check_rule(&merged, &raw, line).map_err(|(line, key, message)| {
            error(Some(line), format!("alerts[{index}].{key}"), message)
        })?;
    }
    Ok(rules)
}

fn metric_list() -> String {
    Metric::ALL.map(Metric::as_str).join(", ")
}

/// Consistency of a merged rule; errors point at the key that breaks it.
fn check_rule(rule: &AlertRule, raw: &RawRule, line: usize) -> Result<(), (usize, String, String)> {
    let at = |field: &Option<(f64, usize)>| field.map(|(_, l)| l).unwrap_or(line);
    if !rule.enabled {
        return Ok(());
    }
    if rule.metric.is_boolean() {
        for (key, field) in [("warning", &raw.warning), ("critical", &raw.critical)] {
            if field.is_some() {
                return Err((
                    at(field),
                    key.into(),
                    format!(
                        "`{}` is a yes/no metric: set only `priority`, not thresholds",
                        rule.metric.as_str()
                    ),
                ));
            }
        }
        return Ok(());
    }
    if let Some((_, priority_line)) = raw.priority {
        return Err((
            priority_line,
            "priority".into(),
            format!(
                "`{}` is a numeric metric: its priority follows `warning` and `critical`",
                rule.metric.as_str()
            ),
        ));
    }
    match (rule.warning, rule.critical) {
        (None, None) => Err((
            line,
            "warning".into(),
            format!(
                "`{}` needs a threshold: set `warning`, `critical` or both",
                rule.metric.as_str()
            ),
        )),
        (Some(w), Some(c)) if w > c => Err((
            at(&raw.critical).max(at(&raw.warning)),
            if raw.critical.is_some() {
                "critical"
            } else {
                "warning"
            }
            .into(),
            format!("critical ({c}) must not be below warning ({w})"),
        )),
        _ => Ok(()),
    }
}

/// The keys one `[[alerts]]` table sets, each with its line.
#[derive(Debug, Default)]
struct RawRule {
    name: Option<(String, usize)>,
    metric: Option<(Metric, usize)>,
    warning: Option<(f64, usize)>,
    critical: Option<(f64, usize)>,
    priority: Option<(Priority, usize)>,
    for_seconds: Option<(u64, usize)>,
    clear_margin: Option<(f64, usize)>,
    enabled: Option<(bool, usize)>,
}

/// The keys an `[[alerts]]` table may hold.
const RULE_KEYS: [&str; 8] = [
    "name",
    "metric",
    "warning",
    "critical",
    "priority",
    "for_seconds",
    "clear_margin",
    "enabled",
];

impl RawRule {
    fn read(text: &str, table: &DeTable<'_>) -> Result<Self, (usize, String, String)> {
        let mut raw = RawRule::default();
        for (key, value) in table {
            let line = line_of(text, key.span().start);
            let name = key.get_ref().as_ref();
            let wrong = |expected: &str| {
                (
                    line,
                    name.to_string(),
                    format!("expected {expected}, found {}", value.get_ref().type_str()),
                )
            };
            match name {
                "name" => {
                    let s = string(value).ok_or_else(|| wrong("a string"))?;
                    if s.trim().is_empty() {
                        return Err((line, name.into(), "must not be empty".into()));
                    }
                    raw.name = Some((s, line));
                }
                "metric" => {
                    let s = string(value).ok_or_else(|| wrong("a string"))?;
                    let metric = Metric::parse(&s).ok_or_else(|| {
                        (
                            line,
                            name.to_string(),
                            format!("unknown metric `{s}`; one of: {}", metric_list()),
                        )
                    })?;
                    raw.metric = Some((metric, line));
                }
                "warning" | "critical" | "clear_margin" => {
                    let n = number(value).ok_or_else(|| wrong("a number"))?;
                    if !n.is_finite() || n < 0.0 {
                        return Err((line, name.into(), "must be a finite number ≥ 0".into()));
                    }
                    let slot = match name {
                        "warning" => &mut raw.warning,
                        "critical" => &mut raw.critical,
                        _ => &mut raw.clear_margin,
                    };
                    *slot = Some((n, line));
                }
                "priority" => {
                    let s = string(value).ok_or_else(|| wrong("a string"))?;
                    let p = parse_priority(&s).ok_or_else(|| {
                        (
                            line,
                            name.to_string(),
                            format!("unknown priority `{s}`; one of: info, warning, critical"),
                        )
                    })?;
                    raw.priority = Some((p, line));
                }
                "for_seconds" => {
                    let n = integer(value).ok_or_else(|| wrong("an integer"))?;
                    let n = u64::try_from(n).map_err(|_| {
                        (line, name.to_string(), "must not be negative".to_string())
                    })?;
                    raw.for_seconds = Some((n, line));
                }
                "enabled" => match value.get_ref() {
                    DeValue::Boolean(b) => raw.enabled = Some((*b, line)),
                    _ => return Err(wrong("true or false")),
                },
                other => {
                    return Err((
                        line,
                        other.to_string(),
                        format!("unknown key; allowed: {}", RULE_KEYS.join(", ")),
                    ));
                }
            }
        }
        Ok(raw)
    }

    /// `base` with the keys this table sets.
    fn apply(&self, base: AlertRule) -> AlertRule {
        let mut rule = base;
        if let Some((metric, _)) = self.metric {
            if metric != rule.metric {
                // Another metric: the default's thresholds no longer mean anything.
                rule.warning = None;
                rule.critical = None;
            }
            rule.metric = metric;
        }
        if let Some((w, _)) = self.warning {
            rule.warning = Some(w);
        }
        if let Some((c, _)) = self.critical {
            rule.critical = Some(c);
        }
        if let Some((p, _)) = self.priority {
            rule.priority = p;
        }
        if let Some((s, _)) = self.for_seconds {
            rule.for_seconds = s;
        }
        if let Some((m, _)) = self.clear_margin {
            rule.clear_margin = m;
        }
        if let Some((e, _)) = self.enabled {
            rule.enabled = e;
        }
        rule
    }
}

fn string(value: &Spanned<DeValue<'_>>) -> Option<String> {
    match value.get_ref() {
        DeValue::String(s) => Some(s.to_string()),
        _ => None,
    }
}

fn integer(value: &Spanned<DeValue<'_>>) -> Option<i64> {
    match value.get_ref() {
        DeValue::Integer(n) => i64::from_str_radix(n.as_str(), n.radix()).ok(),
        _ => None,
    }
}

fn number(value: &Spanned<DeValue<'_>>) -> Option<f64> {
    match value.get_ref() {
        DeValue::Float(f) => f.as_str().replace('_', "").parse().ok(),
        DeValue::Integer(_) => integer(value).map(|n| n as f64),
        _ => None,
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    crate::config::line_col(text, offset).0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<AlertRule>, RulesError> {
        parse_rules(Path::new("/etc/scandyctl/config.toml"), text)
    }

    fn rule<'a>(rules: &'a [AlertRule], name: &str) -> &'a AlertRule {
        rules.iter().find(|r| r.name == name).expect("rule")
    }

    #[test]
    fn without_alerts_the_defaults_apply() {
        assert_eq!(
            parse("[mongo]\nuri = \"mongodb://x\"\n").unwrap(),
            default_rules()
        );
        assert_eq!(load_rules(None).unwrap(), default_rules());
    }

    #[test]
    fn defaults_have_unique_names_and_valid_thresholds() {
        let rules = default_rules();
        for (i, r) in rules.iter().enumerate() {
            assert!(
                rules[i + 1..].iter().all(|o| o.name != r.name),
                "{}",
                r.name
            );
            assert_eq!(
                r.metric.is_boolean(),
                r.warning.is_none() && r.critical.is_none()
            );
        }
        assert_eq!(rule(&rules, "disk").warning, Some(85.0));
        assert_eq!(rule(&rules, "backup_age").critical, Some(50.0));
    }

    #[test]
    fn a_rule_overrides_the_default_of_the_same_name_key_by_key() {
        let rules = parse("[[alerts]]\nname = \"disk\"\nwarning = 80\n").unwrap();
        let disk = rule(&rules, "disk");
        assert_eq!(disk.warning, Some(80.0));
        assert_eq!(disk.critical, Some(95.0));
        assert_eq!(rules.len(), default_rules().len());
    }

    #[test]
    fn enabled_false_turns_a_default_off() {
        let rules = parse("[[alerts]]\nname = \"cpu\"\nenabled = false\n").unwrap();
        assert!(!rule(&rules, "cpu").enabled);
    }

    #[test]
    fn a_new_rule_needs_a_metric() {
        let err = parse("[[alerts]]\nname = \"x\"\nwarning = 1\n").unwrap_err();
        assert_eq!(err.key, "alerts[0].metric");
        let rules =
            parse("[[alerts]]\nname = \"load\"\nmetric = \"cpu_percent\"\ncritical = 99.5\n")
                .unwrap();
        assert_eq!(rule(&rules, "load").critical, Some(99.5));
    }

    #[test]
    fn errors_name_key_and_line() {
        let err = parse("[[alerts]]\nname = \"disk\"\n\n[[alerts]]\nname = \"cpu\"\nwarnin = 3\n")
            .unwrap_err();
        assert_eq!(err.key, "alerts[1].warnin");
        assert_eq!(err.line, Some(6));
        assert!(
            err.to_string()
                .starts_with("/etc/scandyctl/config.toml:6: alerts[1].warnin")
        );
        let err = parse("[[alerts]]\nname = \"disk\"\nwarning = \"high\"\n").unwrap_err();
        assert_eq!(err.key, "alerts[0].warning");
        let err = parse("[[alerts]]\nname = \"health\"\nwarning = 3\n").unwrap_err();
        assert_eq!(err.key, "alerts[0].warning");
        let err = parse("[[alerts]]\nname = \"disk\"\npriority = \"critical\"\n").unwrap_err();
        assert_eq!(err.key, "alerts[0].priority");
        let err = parse("[[alerts]]\nname = \"disk\"\ncritical = 50\n").unwrap_err();
        assert_eq!(
            (err.key.as_str(), err.line),
            ("alerts[0].critical", Some(3))
        );
        let err = parse("[[alerts]]\nname = \"disk\"\n[[alerts]]\nname = \"disk\"\n").unwrap_err();
        assert_eq!((err.key.as_str(), err.line), ("alerts[1].name", Some(4)));
        let err = parse("alerts = 3\n").unwrap_err();
        assert_eq!(err.key, "alerts");
    }
}
