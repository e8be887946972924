//! The weekly and monthly maintenance reports (the guide's "Nutzungsstatistiken,
//! Fehleranalyse, Wartungsprotokoll"): usage statistics from the Scandy database, the
//! error analysis of the logs, availability from the history `watch` keeps, backups and
//! verifications, the maintenance log and alerts — gathered into a [`Report`] and written
//! as Markdown or as one self-contained HTML page (inline CSS and SVG, no scripts).

pub mod availability;
pub mod backups;
pub mod document;
pub mod errors;
pub mod format;
pub mod html;
pub mod journal;
pub mod markdown;
pub mod period;
pub mod sections;
pub mod svg;
pub mod usage;
pub mod words;

use std::path::Path;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr, bail};
use serde::Serialize;

pub use availability::AvailabilityStats;
pub use backups::BackupSummary;
pub use errors::ErrorAnalysis;
pub use html::{html_escape, render_html};
pub use journal::{AlertSummary, MaintenanceSummary};
pub use markdown::render_markdown;
pub use period::{Bucket, BucketUnit, ReportKind, ReportPeriod};
pub use usage::UsageStats;

use crate::config::Config;
use crate::i18n::Lang;

/// A section's numbers, or why they could not be gathered (free of secrets).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", content = "value", rename_all = "lowercase")]
pub enum Gathered<T> {
    /// Gathered.
    Ok(T),
    /// Not gathered: the reason.
    Unavailable(String),
}

impl<T> Gathered<T> {
    /// The numbers, when gathered.
    pub fn ok(&self) -> Option<&T> {
        match self {
            Gathered::Ok(value) => Some(value),
            Gathered::Unavailable(_) => None,
        }
    }
}

/// Everything a report shows, gathered once and rendered in either format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The period covered.
    pub period: ReportPeriod,
    /// When the report was gathered.
    pub generated_at: DateTime<Utc>,
    /// The machine it was gathered on.
    pub host: String,
    /// The Scandy database.
    pub database: String,
    /// Usage statistics from the database.
    pub usage: Gathered<UsageStats>,
    /// Warnings and errors in the logs.
    pub errors: Gathered<ErrorAnalysis>,
    /// Up-time and resource use from the history.
    pub availability: AvailabilityStats,
    /// Backup sets and verifications.
    pub backups: Gathered<BackupSummary>,
    /// The maintenance log of the period.
    pub maintenance: MaintenanceSummary,
    /// Alert history or the configured rules.
    pub alerts: AlertSummary,
}

impl Report {
    /// One line per section that could not be gathered (for stderr).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Gathered::Unavailable(reason) = &self.usage {
            out.push(format!("usage statistics missing: {reason}"));
        }
        if let Gathered::Unavailable(reason) = &self.errors {
            out.push(format!("error analysis missing: {reason}"));
        }
        if let Gathered::Unavailable(reason) = &self.backups {
            out.push(format!("backup section missing: {reason}"));
        }
        if self.availability.points == 0 {
            out.push(
                "no history recorded in the period: run `scandyctl watch` as a service".into(),
            );
        }
        out
    }
}

/// Gathers the report for `period`: the database, the logs of `config`, the history and
/// the maintenance log in `state_dir`, the backup directory. A section that cannot be
/// gathered says why; only a failing background task is an error.
pub async fn build_report(
    config: &Config,
    state_dir: &Path,
    period: &ReportPeriod,
) -> Result<Report> {
    let now = Utc::now();
    let usage = usage::gather_usage(config, period, now);
    let logs = {
        let (config, period) = (config.clone(), period.clone());
        tokio::task::spawn_blocking(move || errors::gather_errors(&config, &period))
    };
    let files = {
        let (state_dir, period) = (state_dir.to_path_buf(), period.clone());
        let backup_dir = config.resolve(&config.backup.dir);
        tokio::task::spawn_blocking(move || {
            (
                availability::gather_availability(&state_dir, &period),
                backups::gather_backups(&backup_dir, &period),
                journal::gather_journal(&state_dir, &period),
            )
        })
    };
    let (usage, logs, files) = tokio::join!(usage, logs, files);
    let errors = match logs {
        Ok(analysis) => Gathered::Ok(analysis),
        Err(err) => Gathered::Unavailable(format!("reading the logs failed: {err}")),
    };
    let (availability, backups, (maintenance, alerts)) = match files {
        Ok(files) => files,
        Err(err) => bail!("reading the history, backups and maintenance log failed: {err}"),
    };
    Ok(Report {
        period: period.clone(),
        generated_at: now,
        host: hostname::get()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "localhost".into()),
        database: config.mongo.database.clone(),
        usage,
        errors,
        availability,
        backups,
        maintenance,
        alerts,
    })
}

/// Fills the alerts section's rule list from the config file the rules come from
/// (`None`: no config file, the built-in rules apply).
pub fn attach_alert_rules(report: &mut Report, config_file: Option<&Path>) {
    match crate::alerts::load_rules(config_file) {
        Ok(rules) => report.alerts.rules = Some(journal::rule_rows(&rules)),
        Err(err) => report.alerts.rules_problem = Some(err.to_string()),
    }
}

/// The two output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// Markdown (`.md`).
    Markdown,
    /// One self-contained HTML page (`.html`).
    Html,
}

impl ReportFormat {
    /// The format `path`'s extension names (`.md`, `.markdown`, `.html`, `.htm`).
    pub fn from_path(path: &Path) -> Result<ReportFormat> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "md" | "markdown" => Ok(ReportFormat::Markdown),
            "html" | "htm" => Ok(ReportFormat::Html),
            _ => bail!(
                "{}: the report file must end in .md (Markdown) or .html (HTML)",
                crate::sanitize::escape_controls(&path.display().to_string())
            ),
        }
    }
}

/// Renders `report` in `lang` in the format `out`'s extension names and writes it
/// atomically.
pub fn write_report(report: &Report, lang: Lang, out: &Path) -> Result<()> {
    let text = match ReportFormat::from_path(out)? {
        ReportFormat::Markdown => render_markdown(report, lang),
        ReportFormat::Html => render_html(report, lang),
    };
    crate::state::write_atomic(out, text.as_bytes())
        .wrap_err_with(|| format!("cannot write the report {}", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_the_extension() {
        assert_eq!(
            ReportFormat::from_path(Path::new("x/Bericht.MD")).unwrap(),
            ReportFormat::Markdown
        );
        assert_eq!(
            ReportFormat::from_path(Path::new("r.htm")).unwrap(),
            ReportFormat::Html
        );
        let err = ReportFormat::from_path(Path::new("/tmp/r.pdf")).unwrap_err();
        assert!(err.to_string().contains("/tmp/r.pdf"), "{err}");
        assert!(ReportFormat::from_path(Path::new("report")).is_err());
    }
}
