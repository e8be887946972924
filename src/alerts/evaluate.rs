//! The alert engine: rules + signals over time → active alerts, with a minimum duration
//! (`for_seconds`) and hysteresis (`clear_margin`) against flapping.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::rules::{AlertRule, Metric};
use super::signals::{MongoSignal, Signals};
use super::{Priority, priority_name, priority_rank, serialize_priority};

/// An alert that is firing now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActiveAlert {
    /// Incident id: the rule name, for disks `<rule>:<mount>` (`disk:/backups`).
    pub id: String,
    /// The rule that fired.
    pub rule: String,
    /// Current level.
    #[serde(serialize_with = "serialize_priority")]
    pub priority: Priority,
    /// One line, e.g. "Disk /backups 91 % full".
    pub title: String,
    /// What, threshold, since when, what to do.
    pub summary: String,
    /// Since when the condition holds.
    pub since: DateTime<Utc>,
    /// The measured value (numeric metrics; `None` for yes/no metrics and "no backup").
    pub value: Option<f64>,
}

/// The state of one incident between evaluations.
#[derive(Debug, Clone, Default)]
struct Incident {
    /// Firing level, `None` while pending or quiet.
    level: Option<Priority>,
    /// When the condition began (kept while firing).
    since: Option<DateTime<Utc>>,
    /// Since when the value is above `warning` (or the yes/no condition true), unbroken.
    above_warning: Option<DateTime<Utc>>,
    /// Since when the value is above `critical`, unbroken.
    above_critical: Option<DateTime<Utc>>,
    /// The newest observation (described while a missing signal keeps the alert).
    last: Option<Observation>,
}

/// One observation of a rule's metric.
#[derive(Debug, Clone, PartialEq)]
enum Observation {
    /// A number (`f64::INFINITY` for "no backup at all").
    Value(f64),
    /// A yes/no condition and its detail.
    Condition(bool, String),
}

/// What one rule sees in one sample: an incident id, its subject (the mount) and the
/// observation (`None`: not sampled).
struct Observed {
    id: String,
    subject: Option<String>,
    observation: Option<Observation>,
}

/// Evaluates rules against signals over time; keep one per process and call
/// [`AlertEngine::evaluate`] on every sample.
#[derive(Debug, Clone)]
pub struct AlertEngine {
    rules: Vec<AlertRule>,
    incidents: BTreeMap<String, Incident>,
}

impl AlertEngine {
    /// An engine for these rules (disabled rules are kept but never fire).
    pub fn new(rules: Vec<AlertRule>) -> Self {
        AlertEngine {
            rules,
            incidents: BTreeMap::new(),
        }
    }

    /// The rules, as given.
    pub fn rules(&self) -> &[AlertRule] {
        &self.rules
    }

    /// Feeds one sample taken at `now`; returns the active alerts, critical first, then
    /// the oldest. A signal that is `None` neither fires nor clears an alert.
    pub fn evaluate(&mut self, signals: &Signals, now: DateTime<Utc>) -> Vec<ActiveAlert> {
        let mut active = Vec::new();
        for rule in self.rules.iter().filter(|r| r.enabled) {
            if rule.metric == Metric::DiskUsedPercent && !signals.disks.is_empty() {
                // Filesystems no longer mounted: their incidents end.
                let prefix = format!("{}:", rule.name);
                let mounted: Vec<String> = signals
                    .disks
                    .iter()
                    .map(|(mount, _)| format!("{prefix}{}", mount.display()))
                    .collect();
                self.incidents
                    .retain(|id, _| !id.starts_with(&prefix) || mounted.contains(id));
            }
            for observed in observations(rule, signals, &self.incidents) {
                let incident = self.incidents.entry(observed.id.clone()).or_default();
                match observed.observation {
                    None => {
                        // Not sampled: neither fire nor clear; pending timers start over.
                        incident.above_warning = None;
                        incident.above_critical = None;
                    }
                    Some(observation) => {
                        step(incident, rule, &observation, now);
                        incident.last = Some(observation);
                    }
                }
                if let (Some(level), Some(since), Some(last)) =
                    (incident.level, incident.since, &incident.last)
                {
                    active.push(describe(
                        rule,
                        observed.id,
                        observed.subject.as_deref(),
                        level,
                        since,
                        last,
                    ));
                }
            }
        }
        active.sort_by(|a, b| {
            priority_rank(b.priority)
                .cmp(&priority_rank(a.priority))
                .then(a.since.cmp(&b.since))
                .then(a.id.cmp(&b.id))
        });
        active
    }
}

/// The observations a rule makes in one sample.
fn observations(
    rule: &AlertRule,
    signals: &Signals,
    incidents: &BTreeMap<String, Incident>,
) -> Vec<Observed> {
    let single = |observation: Option<Observation>| {
        vec![Observed {
            id: rule.name.clone(),
            subject: None,
            observation,
        }]
    };
    let condition = |on: bool, detail: &str| Some(Observation::Condition(on, detail.to_string()));
    match rule.metric {
        Metric::DiskUsedPercent if signals.disks.is_empty() => {
            // Not sampled: the known incidents stay as they are.
            let prefix = format!("{}:", rule.name);
            incidents
                .keys()
                .filter_map(|id| {
                    let mount = id.strip_prefix(&prefix)?;
                    Some(Observed {
                        id: id.clone(),
                        subject: Some(mount.to_string()),
                        observation: None,
                    })
                })
                .collect()
        }
        Metric::DiskUsedPercent => signals
            .disks
            .iter()
            .map(|(mount, used)| Observed {
                id: format!("{}:{}", rule.name, mount.display()),
                subject: Some(mount.display().to_string()),
                observation: Some(Observation::Value(*used)),
            })
            .collect(),
        Metric::MemoryUsedPercent => single(signals.memory_used_percent.map(Observation::Value)),
        Metric::CpuPercent => single(signals.cpu_percent.map(Observation::Value)),
        Metric::ErrorRatePerMinute => single(signals.errors_per_minute.map(Observation::Value)),
        Metric::BackupAgeHours => single(signals.backup_age.map(|age| {
            Observation::Value(match age {
                Some(age) => age.num_seconds() as f64 / 3600.0,
                None => f64::INFINITY,
            })
        })),
        Metric::HealthFailing => single(match &signals.health {
            None => None,
            Some(Ok(())) => condition(false, ""),
            Some(Err(detail)) => condition(true, detail),
        }),
        Metric::MongoUnreachable => single(match &signals.mongo {
            None => None,
            Some(MongoSignal::Unreachable(detail)) => condition(true, detail),
            Some(_) => condition(false, ""),
        }),
        Metric::MongoAuthFailing => single(match &signals.mongo {
            None => None,
            Some(MongoSignal::AuthFailed(detail)) => condition(true, detail),
            Some(_) => condition(false, ""),
        }),
        Metric::BackupFailed => single(match &signals.schedule_failed {
            Some(error) => condition(true, error),
            None => condition(false, ""),
        }),
        Metric::BackupMissed => single(match &signals.schedule_missed {
            Some(which) => condition(true, which),
            None => condition(false, ""),
        }),
        Metric::ChecklistOverdue => single(match &signals.checklists_overdue {
            Some(which) => condition(true, which),
            None => condition(false, ""),
        }),
        // `None` here means "no failed verification", so it clears.
        Metric::VerifyFailed => single(match &signals.verify_failed {
            Some(set) => condition(true, set),
            None => condition(false, ""),
        }),
    }
}

/// Advances one incident by one observation.
fn step(incident: &mut Incident, rule: &AlertRule, observation: &Observation, now: DateTime<Utc>) {
    let min = chrono::Duration::seconds(i64::try_from(rule.for_seconds).unwrap_or(i64::MAX / 1000));
    let held = |start: Option<DateTime<Utc>>| start.is_some_and(|s| now - s >= min);
    match observation {
        Observation::Condition(on, _) => {
            incident.above_critical = None;
            if !on {
                *incident = Incident::default();
                return;
            }
            let start = *incident.above_warning.get_or_insert(now);
            if incident.level.is_none() && held(Some(start)) {
                incident.level = Some(rule.priority);
                incident.since = Some(start);
            }
        }
        Observation::Value(value) => {
            let value = *value;
            let above = |threshold: Option<f64>| threshold.is_some_and(|t| value > t);
            // Hysteresis: a level holds until the value is `clear_margin` below it.
            let holds =
                |threshold: Option<f64>| threshold.is_some_and(|t| value >= t - rule.clear_margin);
            incident.above_warning = if above(rule.warning) {
                incident.above_warning.or(Some(now))
            } else {
                None
            };
            incident.above_critical = if above(rule.critical) {
                incident.above_critical.or(Some(now))
            } else {
                None
            };
            let level = match incident.level {
                _ if held(incident.above_critical) => Some(Priority::Critical),
                Some(Priority::Critical) if holds(rule.critical) => Some(Priority::Critical),
                Some(_) if holds(rule.warning) => Some(Priority::Warning),
                _ if held(incident.above_warning) => Some(Priority::Warning),
                _ => None,
            };
            match (incident.level, level) {
                (_, None) => {
                    incident.level = None;
                    incident.since = None;
                }
                (None, Some(_)) => {
                    incident.level = level;
                    incident.since = [incident.above_warning, incident.above_critical]
                        .into_iter()
                        .flatten()
                        .min()
                        .or(Some(now));
                }
                (Some(_), Some(_)) => incident.level = level,
            }
        }
    }
}

/// The alert for a firing incident.
fn describe(
    rule: &AlertRule,
    id: String,
    subject: Option<&str>,
    priority: Priority,
    since: DateTime<Utc>,
    last: &Observation,
) -> ActiveAlert {
    let (number, detail) = match last {
        Observation::Value(v) => (Some(*v), ""),
        Observation::Condition(_, detail) => (None, detail.as_str()),
    };
    let v = number.unwrap_or(0.0);
    let mount = subject.unwrap_or("?");
    let (title, what, advice) = match rule.metric {
        Metric::DiskUsedPercent => (
            format!("Disk {mount} {v:.0} % full"),
            format!("The filesystem at {mount} is {v:.1} % full"),
            "Free space: `scandyctl prune` removes backup sets the retention no longer keeps; \
             check logs and uploads, or grow the filesystem."
                .to_string(),
        ),
        Metric::MemoryUsedPercent => (
            format!("Memory {v:.0} % used"),
            format!("{v:.1} % of the memory is in use"),
            "Find the process that grows (Scandy workers, mongod) and restart it, or add memory."
                .to_string(),
        ),
        Metric::CpuPercent => (
            format!("CPU {v:.0} % busy"),
            format!("The CPU is {v:.1} % busy"),
            "Find the busy process; a runaway worker or a MongoDB query without an index is \
             typical."
                .to_string(),
        ),
        Metric::ErrorRatePerMinute => (
            format!("{v:.1} errors per minute in Scandy's logs"),
            format!("Scandy's logs show {v:.1} error entries per minute"),
            "Read them: `scandyctl logs --level error --since 10m`.".to_string(),
        ),
        Metric::BackupAgeHours if v.is_finite() => (
            format!("Last backup {v:.0} h old"),
            format!("The newest backup set is {v:.1} hours old"),
            "Run `scandyctl backup` and check the backup timer or cron job and its log."
                .to_string(),
        ),
        Metric::BackupAgeHours => (
            "No backup found".to_string(),
            "The backup directory holds no backup set".to_string(),
            "Run `scandyctl backup` now and set up the backup timer.".to_string(),
        ),
        Metric::HealthFailing => (
            "Scandy health check failing".to_string(),
            format!("Scandy's health endpoint does not answer healthy: {detail}"),
            "Check the Scandy service (systemctl status or docker ps) and its log.".to_string(),
        ),
        Metric::MongoUnreachable => (
            "MongoDB unreachable".to_string(),
            format!("MongoDB does not answer: {detail}"),
            "Check that mongod runs (systemctl status mongod or docker ps), its log and the \
             free space of its data directory."
                .to_string(),
        ),
        Metric::MongoAuthFailing => (
            "MongoDB refuses the credentials".to_string(),
            format!("MongoDB refuses the configured user: {detail}"),
            "Compare user and password in mongo.uri or Scandy's .env with the MongoDB users."
                .to_string(),
        ),
        Metric::BackupFailed => (
            "Scheduled backup failed".to_string(),
            format!("The last scheduled backup failed: {detail}"),
            "See `scandyctl schedule show` and the journal of the schedule service; the next \
             slot tries again."
                .to_string(),
        ),
        Metric::BackupMissed => (
            "Scheduled backup missed".to_string(),
            format!("A scheduled backup did not run: {detail}"),
            "Check that scandyctl-schedule.service or scandyctl-backup.timer is enabled and \
             running (`systemctl status`); `scandyctl schedule run --once` catches up."
                .to_string(),
        ),
        Metric::ChecklistOverdue => (
            format!("Checklist overdue: {}", overdue_names(detail)),
            format!("A maintenance checklist is overdue: {detail}"),
            "Walk it on the console's Checklists tab (key 6), or run `scandyctl check daily` \
             (weekly, monthly) and confirm the manual items on the tab."
                .to_string(),
        ),
        Metric::VerifyFailed => (
            format!("Verification of backup {detail} failed"),
            format!("The newest verified backup set, {detail}, failed its verification"),
            format!(
                "See `scandyctl verify {detail}` for the findings and take a new backup \
                 (`scandyctl backup`)."
            ),
        ),
    };
    let summary = format!(
        "{what} ({}) since {} UTC. {advice}",
        threshold_text(rule, priority),
        since.format("%Y-%m-%d %H:%M")
    );
    ActiveAlert {
        id,
        rule: rule.name.clone(),
        priority,
        title,
        summary,
        since,
        value: number.filter(|v| v.is_finite()),
    }
}

/// The checklist names of an overdue text ("daily since …, weekly since …" → "daily, weekly").
fn overdue_names(detail: &str) -> String {
    detail
        .split(", ")
        .map(|part| part.split(" since ").next().unwrap_or(part))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "warning above 85 %, critical above 95 %, held 120 s" or "critical, held 60 s".
fn threshold_text(rule: &AlertRule, priority: Priority) -> String {
    let unit = match rule.metric {
        Metric::DiskUsedPercent | Metric::MemoryUsedPercent | Metric::CpuPercent => " %",
        Metric::BackupAgeHours => " h",
        Metric::ErrorRatePerMinute => "/min",
        _ => "",
    };
    let mut parts: Vec<String> = Vec::new();
    if rule.metric.is_boolean() {
        parts.push(priority_name(priority).to_string());
    }
    if let Some(w) = rule.warning {
        parts.push(format!("warning above {w}{unit}"));
    }
    if let Some(c) = rule.critical {
        parts.push(format!("critical above {c}{unit}"));
    }
    if rule.for_seconds > 0 {
        parts.push(format!("held {} s", rule.for_seconds));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::default_rules;
    use chrono::TimeZone;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0)
            .single()
            .expect("time")
    }

    fn only(name: &str) -> AlertEngine {
        AlertEngine::new(
            default_rules()
                .into_iter()
                .filter(|r| r.name == name)
                .collect(),
        )
    }

    #[test]
    fn threshold_text_names_levels_and_duration() {
        let rules = default_rules();
        let memory = rules.iter().find(|r| r.name == "memory").expect("memory");
        assert_eq!(
            threshold_text(memory, Priority::Warning),
            "warning above 90 %, critical above 97 %, held 120 s"
        );
    }

    #[test]
    fn a_missing_signal_neither_fires_nor_clears() {
        let mut engine = only("memory");
        let high = Signals {
            memory_used_percent: Some(99.0),
            ..Signals::default()
        };
        assert!(engine.evaluate(&high, at(0)).is_empty());
        assert!(engine.evaluate(&Signals::default(), at(200)).is_empty());
        assert_eq!(engine.evaluate(&high, at(201)), Vec::new());
        let fired = engine.evaluate(&high, at(321));
        assert_eq!(fired.len(), 1);
        let still = engine.evaluate(&Signals::default(), at(400));
        assert_eq!(still, fired);
    }

    #[test]
    fn summary_says_what_threshold_since_and_what_to_do() {
        let mut engine = only("disk");
        let signals = Signals {
            disks: vec![("/backups".into(), 91.2)],
            ..Signals::default()
        };
        let alert = &engine.evaluate(&signals, at(0))[0];
        assert_eq!(alert.title, "Disk /backups 91 % full");
        assert!(alert.summary.contains("91.2 % full"), "{}", alert.summary);
        assert!(alert.summary.contains("warning above 85 %"));
        assert!(
            alert.summary.contains("since 2027-01-15"),
            "{}",
            alert.summary
        );
        assert!(alert.summary.contains("scandyctl prune"));
    }

    #[test]
    fn an_overdue_checklist_fires_naming_it_and_clears_when_done() {
        let mut engine = only("checklist-overdue");
        let overdue = Signals {
            checklists_overdue: Some(
                "daily since 2027-01-14 08:00 UTC, monthly since 2027-01-02 08:00 UTC".into(),
            ),
            ..Signals::default()
        };
        let fired = engine.evaluate(&overdue, at(0));
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].title, "Checklist overdue: daily, monthly");
        assert_eq!(fired[0].priority, Priority::Warning);
        assert!(
            fired[0]
                .summary
                .contains("daily since 2027-01-14 08:00 UTC"),
            "{}",
            fired[0].summary
        );
        assert!(
            fired[0].summary.contains("Checklists tab (key 6)"),
            "{}",
            fired[0].summary
        );
        assert!(engine.evaluate(&Signals::default(), at(60)).is_empty());
    }
}
