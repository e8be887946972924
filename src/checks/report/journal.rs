//! The report's maintenance log section (the guide's "Wartungsprotokoll": the entries of
//! the period grouped by kind) and its alerts section (alert entries of the log when there
//! are any, else the configured rules: `watch` keeps no alert history of its own, it writes
//! firing and resolved alerts only to its journal).

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::period::ReportPeriod;
use crate::maintenance_log::read_entries;

/// One maintenance log entry as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryRow {
    /// When.
    pub at: DateTime<Utc>,
    /// What kind of work.
    pub kind: String,
    /// Who.
    pub actor: String,
    /// One line.
    pub title: String,
}

/// The entries of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindGroup {
    /// The kind (`backup`, `checklist`, `incident` …).
    pub kind: String,
    /// Its entries, oldest first.
    pub entries: Vec<EntryRow>,
}

/// The maintenance log of the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaintenanceSummary {
    /// Entries in the period.
    pub total: u64,
    /// Grouped by kind, kinds in alphabetical order.
    pub groups: Vec<KindGroup>,
}

/// One configured alert rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleRow {
    /// Rule name.
    pub name: String,
    /// What it measures.
    pub metric: String,
    /// Warning threshold (numeric rules).
    pub warning: Option<f64>,
    /// Critical threshold (numeric rules).
    pub critical: Option<f64>,
    /// The priority of a yes/no rule.
    pub priority: Option<String>,
    /// Whether it is on.
    pub enabled: bool,
}

/// The alerts section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertSummary {
    /// Alert entries of the maintenance log in the period (kinds starting with `alert`).
    pub history: Vec<EntryRow>,
    /// The configured rules; `None` when they were not loaded (see
    /// [`super::attach_alert_rules`]).
    pub rules: Option<Vec<RuleRow>>,
    /// Why the rules could not be loaded, if they could not.
    pub rules_problem: Option<String>,
}

/// The maintenance log of `state_dir` in `period`, and the alert entries among it.
pub fn gather_journal(
    state_dir: &Path,
    period: &ReportPeriod,
) -> (MaintenanceSummary, AlertSummary) {
    let rows: Vec<EntryRow> = read_entries(state_dir)
        .into_iter()
        .filter(|e| period.contains(e.at))
        .map(|e| EntryRow {
            at: e.at,
            kind: e.kind,
            actor: e.actor,
            title: e.title,
        })
        .collect();
    let history = rows
        .iter()
        .filter(|r| r.kind.starts_with("alert"))
        .cloned()
        .collect();
    let mut groups: Vec<KindGroup> = Vec::new();
    for row in &rows {
        match groups.iter_mut().find(|g| g.kind == row.kind) {
            Some(group) => group.entries.push(row.clone()),
            None => groups.push(KindGroup {
                kind: row.kind.clone(),
                entries: vec![row.clone()],
            }),
        }
    }
    groups.sort_by(|a, b| a.kind.cmp(&b.kind));
    for group in &mut groups {
        group.entries.sort_by_key(|e| e.at);
    }
    (
        MaintenanceSummary {
            total: rows.len() as u64,
            groups,
        },
        AlertSummary {
            history,
            rules: None,
            rules_problem: None,
        },
    )
}

/// The rules as the report lists them.
pub fn rule_rows(rules: &[crate::alerts::AlertRule]) -> Vec<RuleRow> {
    rules
        .iter()
        .map(|rule| {
            let boolean = rule.metric.is_boolean();
            RuleRow {
                name: rule.name.clone(),
                metric: rule.metric.as_str().to_string(),
                warning: if boolean { None } else { rule.warning },
                critical: if boolean { None } else { rule.critical },
                priority: boolean.then(|| crate::alerts::priority_name(rule.priority).to_string()),
                enabled: rule.enabled,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maintenance_log::{MaintenanceEntry, append_entry};

    #[test]
    fn entries_of_the_period_grouped_by_kind() {
        let dir = tempfile::tempdir().unwrap();
        let entry = |at: &str, kind: &str, title: &str| MaintenanceEntry {
            at: at.parse().unwrap(),
            kind: kind.into(),
            actor: "anna".into(),
            title: title.into(),
            detail: String::new(),
            report: None,
            ..MaintenanceEntry::default()
        };
        for e in [
            entry("2026-10-31T23:59:59Z", "backup", "too early"),
            entry("2026-11-20T10:00:00Z", "checklist", "daily done"),
            entry("2026-11-02T10:00:00Z", "backup", "full backup"),
            entry("2026-11-03T10:00:00Z", "alert", "disk 91 %"),
            entry("2026-11-01T10:00:00Z", "checklist", "weekly done"),
            entry("2026-12-01T00:00:00Z", "checklist", "too late"),
        ] {
            append_entry(dir.path(), &e).unwrap();
        }
        let period = ReportPeriod::month(2026, 11).unwrap();
        let (log, alerts) = gather_journal(dir.path(), &period);
        assert_eq!(log.total, 4);
        let kinds: Vec<(&str, Vec<&str>)> = log
            .groups
            .iter()
            .map(|g| {
                (
                    g.kind.as_str(),
                    g.entries.iter().map(|e| e.title.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("alert", vec!["disk 91 %"]),
                ("backup", vec!["full backup"]),
                ("checklist", vec!["weekly done", "daily done"]),
            ]
        );
        assert_eq!(alerts.history.len(), 1);
    }
}
