//! The backup inventory lines of the Overview: newest set, its verification, warnings.

use chrono::Utc;
use ratatui::text::{Line, Span};

use crate::backup::inventory::{BackupOverview, Verification, Warning, human_age};
use crate::i18n::{Lang, Msg};
use crate::sanitize::escape_controls;
use crate::ui::state::State;
use crate::ui::theme;

/// Lines below the free-space gauge: newest backup and every warning.
pub fn lines(state: &State) -> Vec<Line<'static>> {
    let lang = state.lang;
    match &state.backups {
        None => vec![Line::styled(
            Msg::BackupsScanning.text(lang),
            theme::muted(),
        )],
        Some(Err(err)) => vec![Line::styled(
            Msg::BackupsScanError.fill(lang, &[&escape_controls(err)]),
            theme::bad(),
        )],
        Some(Ok(overview)) => overview_lines(lang, overview, state),
    }
}

/// The next scheduled run and the last scheduled outcome ("not scheduled" without
/// `[schedule]`), for the Overview and the Backups tab header.
/// `compact` (the Backups tab header): the local time without offset, the outcome as a
/// mark, and no warnings (the header's warning line shows them).
pub fn schedule_spans(lang: Lang, state: &State, compact: bool) -> Vec<Span<'static>> {
    use crate::schedule::Outcome;
    let glance = match &state.schedule {
        None => return vec![Span::styled(Msg::BkNotScheduled.text(lang), theme::muted())],
        Some(Err(err)) => {
            return vec![Span::styled(
                Msg::SchedConfigError.fill(lang, &[&escape_controls(err)]),
                theme::bad(),
            )];
        }
        Some(Ok(glance)) => glance,
    };
    let next = match &glance.next_local {
        Some(local) if compact => format!(
            "{} ({})",
            local.get(..16).unwrap_or(local),
            glance.next_entries.join("+")
        ),
        Some(local) => format!("{local} ({})", glance.next_entries.join("+")),
        None => Msg::BkNotScheduled.text(lang).to_string(),
    };
    if compact {
        let mark = match glance.last.as_ref().map(|l| l.outcome) {
            None => Span::raw(""),
            Some(Outcome::Ok) => Span::styled(" · ✓", theme::ok()),
            Some(Outcome::Failed) => Span::styled(" · ✗", theme::bad()),
            Some(Outcome::Deferred | Outcome::Running) => Span::styled(" · …", theme::warn()),
        };
        return vec![Span::raw(next), mark];
    }
    let mut spans = vec![
        Span::raw(next),
        Span::styled(
            format!(" · {}: ", Msg::BkLastScheduled.text(lang)),
            theme::label(),
        ),
    ];
    spans.push(match &glance.last {
        None => Span::styled(Msg::SchedNeverRan.text(lang), theme::muted()),
        Some(last) => {
            let (word, style) = match last.outcome {
                Outcome::Ok => (Msg::SchedOk, theme::ok()),
                Outcome::Failed => (Msg::SchedFailed, theme::bad()),
                Outcome::Deferred => (Msg::SchedDeferred, theme::warn()),
                Outcome::Running => (Msg::SchedRunning, theme::warn()),
            };
            let age = Msg::BackupsAgo.fill(lang, &[&human_age(Utc::now() - last.started)]);
            Span::styled(format!("{} ({age})", word.text(lang)), style)
        }
    });
    for warning in glance.warnings() {
        spans.push(Span::styled(
            format!("  ⚠ {}", warning_text(lang, &warning)),
            theme::warn(),
        ));
    }
    spans
}

fn overview_lines(lang: Lang, overview: &BackupOverview, state: &State) -> Vec<Line<'static>> {
    let now = Utc::now();
    let mut lines = Vec::new();
    let label = |text: &str| Span::styled(format!("{text:<17}"), theme::label());
    match &overview.newest {
        None => lines.push(Line::from(vec![
            label(Msg::BackupsNewest.text(lang)),
            Span::styled(Msg::BackupsNone.text(lang), theme::warn()),
        ])),
        Some(set) => {
            let age = Msg::BackupsAgo.fill(lang, &[&human_age(now - set.created_at)]);
            let (verification, style) = match &set.verification {
                Verification::Ok { at, .. } => (
                    Msg::BackupsVerifiedOk.fill(lang, &[&human_age(now - *at)]),
                    theme::ok(),
                ),
                Verification::Failed { .. } => (
                    Msg::BackupsVerifyFailed.text(lang).to_string(),
                    theme::bad(),
                ),
                Verification::Never => (
                    Msg::BackupsNeverVerified.text(lang).to_string(),
                    theme::warn(),
                ),
            };
            lines.push(Line::from(vec![
                label(Msg::BackupsNewest.text(lang)),
                Span::raw(format!("{} ({age}) · ", escape_controls(&set.id))),
                Span::styled(verification, style),
            ]));
        }
    }
    lines.push(Line::from(vec![
        label(Msg::BackupsCount.text(lang)),
        Span::raw(overview.sets.to_string()),
    ]));
    if let Some(line) = state
        .snapshot()
        .and_then(|snapshot| super::backups::legacy::overview_line(lang, snapshot, now))
    {
        lines.push(line);
    }
    if state.schedule.is_some() {
        lines.push(Line::from(
            std::iter::once(label(Msg::OvSchedule.text(lang)))
                .chain(schedule_spans(lang, state, false))
                .collect::<Vec<_>>(),
        ));
    }
    for warning in &overview.warnings {
        lines.push(Line::styled(
            format!("⚠ {}", warning_text(lang, warning)),
            theme::warn(),
        ));
    }
    lines
}

/// The catalog text for a `status` warning, its values filled in.
pub fn warning_text(lang: Lang, warning: &Warning) -> String {
    let escaped: Vec<String> = warning
        .args
        .iter()
        .map(|a| escape_controls(a).into_owned())
        .collect();
    let args: Vec<&str> = escaped.iter().map(String::as_str).collect();
    let msg = match warning.code {
        "no-backup-scandy-has" => Msg::WarnScandyHasBackups,
        "scandy-empty-dump" => Msg::WarnScandyEmptyDump,
        "backup-dir-missing" => Msg::WarnBackupDirMissing,
        "backup-dir-unmounted" => Msg::WarnBackupDirUnmounted,
        "no-backup" => Msg::WarnNoBackup,
        "backup-too-old" => Msg::WarnBackupTooOld,
        "verify-failed" => Msg::WarnVerifyFailed,
        "never-verified" => Msg::WarnNeverVerified,
        "verify-too-old" => Msg::WarnVerifyTooOld,
        "secrets-skipped" => Msg::WarnSecretsSkipped,
        "low-space" => Msg::WarnLowSpace,
        "partial-left" => Msg::WarnPartialLeft,
        "restore-running" => Msg::WarnRestoreRunning,
        "restore-rolled-back" => Msg::WarnRestoreRolledBack,
        "restore-rolled-forward" => Msg::WarnRestoreRolledForward,
        "restore-unattended" => Msg::WarnRestoreUnattended,
        "restore-pending" => Msg::WarnRestorePending,
        "restore-journal-refused" => Msg::WarnRestoreJournalRefused,
        "restore-other-install" => Msg::WarnRestoreOtherInstall,
        "schedule-failed" => Msg::WarnScheduleFailed,
        "schedule-missed" => Msg::WarnScheduleMissed,
        _ => Msg::WarnUnreadableSet,
    };
    msg.fill(lang, &args)
}
