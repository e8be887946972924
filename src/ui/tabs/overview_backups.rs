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
        Some(Ok(overview)) => overview_lines(lang, overview),
    }
}

fn overview_lines(lang: Lang, overview: &BackupOverview) -> Vec<Line<'static>> {
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
        _ => Msg::WarnUnreadableSet,
    };
    msg.fill(lang, &args)
}
