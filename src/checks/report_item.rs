//! The monthly checklist's report item (`SCY-RPT-001`): writes the report of the last
//! complete month in Markdown and HTML (usage, errors, availability, backups, maintenance
//! log, alerts) into the report directory, where the Checklists tab shows it.

use std::path::PathBuf;

use chrono::Utc;

use super::model::{Cadence, ItemDef, ItemKind, ItemResult, Severity, Text};
use super::report::{ReportKind, ReportPeriod, attach_alert_rules, build_report, write_report};
use super::run::CheckContext;

/// The report item's id.
pub const REPORT_ID: &str = "SCY-RPT-001";

/// The item as the monthly checklist shows it.
pub fn report_item() -> ItemDef {
    ItemDef {
        id: REPORT_ID.to_string(),
        cadence: Cadence::Monthly,
        kind: ItemKind::Automatic,
        title: Text::new(
            "Monthly report: usage, errors, availability, backups, maintenance log",
            "Monatsbericht: Nutzung, Fehleranalyse, Verfügbarkeit, Sicherungen, Wartungsprotokoll",
        ),
        fix: Text::new(
            "Read the report (Checklists tab, p) and pass it on; a missing section names what to fix (run `scandyctl watch` as a service for the availability figures).",
            "Bericht lesen (Reiter Checklisten, p) und weitergeben; ein fehlender Abschnitt nennt, was zu beheben ist (für die Verfügbarkeit `scandyctl watch` als Dienst laufen lassen).",
        ),
        follow_up: None,
    }
}

/// Where the reports go: `[checklists] report_dir`, else `reports/` in the state directory.
pub fn report_dir(ctx: &CheckContext) -> PathBuf {
    match &ctx.settings.report_dir {
        Some(dir) => ctx.config.resolve(dir),
        None => ctx.state_dir.join("reports"),
    }
}

/// Writes the last complete month's report as `scandy-report-YYYY-MM.{md,html}`.
pub async fn run_report_item(ctx: &CheckContext) -> ItemResult {
    let period = ReportPeriod::last_complete(ReportKind::Monthly, Utc::now());
    let mut report = match build_report(&ctx.config, &ctx.state_dir, &period).await {
        Ok(report) => report,
        Err(err) => {
            return ItemResult::new(
                REPORT_ID,
                Severity::Failed,
                format!(
                    "the report for {} could not be gathered: {err:#}",
                    period.label
                ),
            );
        }
    };
    attach_alert_rules(&mut report, ctx.config_file.as_deref());
    let dir = report_dir(ctx);
    if let Err(err) = crate::state::ensure_dir(&dir) {
        return ItemResult::new(REPORT_ID, Severity::Failed, format!("{err:#}"));
    }
    let mut written = Vec::new();
    for ext in ["md", "html"] {
        let path = dir.join(format!("scandy-report-{}.{ext}", period.label));
        if let Err(err) = write_report(&report, ctx.lang, &path) {
            return ItemResult::new(
                REPORT_ID,
                Severity::Failed,
                format!("cannot write the report: {err:#}"),
            );
        }
        written.push(path);
    }
    let warnings = report.warnings();
    let severity = if warnings.is_empty() {
        Severity::Ok
    } else {
        Severity::Info
    };
    let mut result = ItemResult::new(
        REPORT_ID,
        severity,
        format!("report for {} written", period.label),
    );
    for path in &written {
        result.evidence.push(path.display().to_string());
    }
    result.evidence.extend(warnings);
    result
}
