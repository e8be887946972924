//! What a checklist item is and what running it found: the stable id, the severity, the
//! evidence and the fix (the shape of Lynis' and Percona's advisors).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// How often a checklist is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cadence {
    /// Every day.
    Daily,
    /// Every week.
    Weekly,
    /// Every month.
    Monthly,
}

impl Cadence {
    /// All cadences, shortest first.
    pub const ALL: [Cadence; 3] = [Cadence::Daily, Cadence::Weekly, Cadence::Monthly];

    /// `daily`, `weekly`, `monthly`.
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Daily => "daily",
            Cadence::Weekly => "weekly",
            Cadence::Monthly => "monthly",
        }
    }

    /// Parses `daily`, `weekly` or `monthly`.
    pub fn parse(text: &str) -> Option<Cadence> {
        Cadence::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// The checklist's name in `lang`.
    pub fn title(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Cadence::Daily, Lang::En) => "Daily",
            (Cadence::Weekly, Lang::En) => "Weekly",
            (Cadence::Monthly, Lang::En) => "Monthly",
            (Cadence::Daily, Lang::De) => "Täglich",
            (Cadence::Weekly, Lang::De) => "Wöchentlich",
            (Cadence::Monthly, Lang::De) => "Monatlich",
        }
    }

    /// How long a completed run of this checklist counts (it is due again after this).
    pub fn period(self) -> chrono::Duration {
        match self {
            Cadence::Daily => chrono::Duration::hours(24),
            Cadence::Weekly => chrono::Duration::days(7),
            Cadence::Monthly => chrono::Duration::days(30),
        }
    }

    /// How long after falling due a checklist counts as overdue.
    pub fn grace(self) -> chrono::Duration {
        match self {
            Cadence::Daily => chrono::Duration::hours(12),
            Cadence::Weekly => chrono::Duration::days(2),
            Cadence::Monthly => chrono::Duration::days(5),
        }
    }
}

/// What one item found, best first (the order decides the checklist's overall outcome).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Nothing to do.
    #[default]
    Ok,
    /// Worth knowing, nothing to do.
    Info,
    /// Needs attention soon.
    Warning,
    /// Needs attention now.
    Failed,
    /// The item could not check (a server down, a file unreadable): Nagios' UNKNOWN.
    Unknown,
}

impl Severity {
    /// `ok`, `info`, `warning`, `failed`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Failed => "failed",
            Severity::Unknown => "unknown",
        }
    }

    /// The severity's name in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Severity::Ok, Lang::En) => "ok",
            (Severity::Info, Lang::En) => "info",
            (Severity::Warning, Lang::En) => "warning",
            (Severity::Failed, Lang::En) => "failed",
            (Severity::Unknown, Lang::En) => "unknown",
            (Severity::Ok, Lang::De) => "ok",
            (Severity::Info, Lang::De) => "Hinweis",
            (Severity::Warning, Lang::De) => "Warnung",
            (Severity::Failed, Lang::De) => "Fehler",
            (Severity::Unknown, Lang::De) => "unbekannt",
        }
    }
}

/// How an item is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// scandyctl checks it (in the background in the console, by `scandyctl check`).
    Automatic,
    /// The admin does it and confirms it, with an optional comment.
    Manual,
    /// A site-specific shell command: exit 0/1/2 = ok/warning/failed, with a timeout.
    Command {
        /// The command line, run by `sh -c`.
        command: String,
        /// Seconds before it is killed (then the item is failed).
        timeout_secs: u64,
    },
}

/// A follow-up the console offers on an item once it ran (each needs the admin's go-ahead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FollowUp {
    /// `compact` every collection (after the admin's go-ahead).
    Compact,
    /// Write `/etc/logrotate.d/scandy` from the shipped rule (shown first).
    WriteLogrotate,
    /// Create Scandy's missing indexes.
    CreateIndexes,
}

/// A text in both console languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    /// English.
    pub en: String,
    /// German.
    pub de: String,
}

impl Text {
    /// A text from its English and German wording.
    pub fn new(en: impl Into<String>, de: impl Into<String>) -> Text {
        Text {
            en: en.into(),
            de: de.into(),
        }
    }

    /// The same wording in both languages (site-specific items).
    pub fn same(text: impl Into<String>) -> Text {
        let text = text.into();
        Text {
            en: text.clone(),
            de: text,
        }
    }

    /// The wording in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::De => &self.de,
        }
    }
}

/// One item of a checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemDef {
    /// Stable id (`SCY-BKP-001`).
    pub id: String,
    /// Which checklist it belongs to.
    pub cadence: Cadence,
    /// Automatic, manual or a site command.
    pub kind: ItemKind,
    /// What it checks, one line.
    pub title: Text,
    /// What to do when it does not pass (shown with the evidence).
    pub fix: Text,
    /// What the console can do about it after it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUp>,
}

impl ItemDef {
    /// Whether scandyctl runs it without the admin (automatic and command items).
    pub fn is_automatic(&self) -> bool {
        !matches!(self.kind, ItemKind::Manual)
    }
}

/// One Nagios performance value (`label=value;warn;crit`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerfDatum {
    /// Label (`backup_age_hours`).
    pub label: String,
    /// The measured value.
    pub value: f64,
    /// Warning threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn: Option<f64>,
    /// Critical threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crit: Option<f64>,
}

impl PerfDatum {
    /// A value with its thresholds.
    pub fn new(label: &str, value: f64, warn: Option<f64>, crit: Option<f64>) -> PerfDatum {
        PerfDatum {
            label: label.to_string(),
            value,
            warn,
            crit,
        }
    }
}

/// What running (or confirming) one item found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    /// The item's id.
    pub id: String,
    /// The outcome.
    pub severity: Severity,
    /// One line: what was found.
    pub summary: String,
    /// The evidence, one fact per line (already free of control characters only when
    /// escaped for display: file and server text is kept as it was).
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Nagios performance data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub perf: Vec<PerfDatum>,
    /// When it finished.
    pub at: DateTime<Utc>,
    /// How long it took, in milliseconds.
    #[serde(default)]
    pub millis: u64,
    /// Who confirmed a manual item (or ran the checklist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The admin's comment on a manual item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl ItemResult {
    /// A result found now.
    pub fn new(id: &str, severity: Severity, summary: impl Into<String>) -> ItemResult {
        ItemResult {
            id: id.to_string(),
            severity,
            summary: summary.into(),
            evidence: Vec::new(),
            perf: Vec::new(),
            at: Utc::now(),
            millis: 0,
            by: None,
            comment: None,
        }
    }

    /// Adds one line of evidence.
    pub fn with(mut self, line: impl Into<String>) -> ItemResult {
        self.evidence.push(line.into());
        self
    }

    /// Adds one performance value.
    pub fn perf(mut self, datum: PerfDatum) -> ItemResult {
        self.perf.push(datum);
        self
    }
}

/// The worst severity of `results` (`Ok` when empty).
pub fn worst<'a>(results: impl IntoIterator<Item = &'a ItemResult>) -> Severity {
    results
        .into_iter()
        .map(|r| r.severity)
        .max()
        .unwrap_or(Severity::Ok)
}
