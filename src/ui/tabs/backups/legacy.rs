//! The Backups tab's section on legacy backups: Scandy's own and mongodump output, with their
//! format, time, size and last verification.

use chrono::{DateTime, Utc};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::backup::inventory::human_age;
use crate::backup::legacy::LegacyBackup;
use crate::backup::snapshot::BackupsSnapshot;
use crate::i18n::{Lang, Msg};
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;
use crate::ui::theme;

/// How the last verification of `backup` went, as text and style.
fn verification(
    lang: Lang,
    snapshot: &BackupsSnapshot,
    backup: &LegacyBackup,
    now: DateTime<Utc>,
) -> (String, Style) {
    if backup.failed {
        return (Msg::BkLegacyFailedDump.text(lang).to_string(), theme::bad());
    }
    match snapshot.legacy_verify.get(&backup.id) {
        None => (Msg::BkLegacyNever.text(lang).to_string(), theme::muted()),
        Some(r) if r.ok => (format!("ok {}", human_age(now - r.at)), theme::ok()),
        Some(r) => (
            format!(
                "FAILED {} ({})",
                human_age(now - r.at),
                r.findings.iter().filter(|f| f.severity == "error").count()
            ),
            theme::bad(),
        ),
    }
}

/// The Overview's line on legacy backups: how many, the newest with its verification, and
/// the failed (empty) dumps; `None` when there are none.
pub fn overview_line(
    lang: Lang,
    snapshot: &BackupsSnapshot,
    now: DateTime<Utc>,
) -> Option<Line<'static>> {
    let backups = &snapshot.legacy.backups;
    let newest = backups
        .iter()
        .filter(|b| !b.failed)
        .max_by_key(|b| b.created_at);
    let failed = backups.iter().filter(|b| b.failed).count();
    if backups.is_empty() {
        return None;
    }
    let mut spans = vec![
        Span::styled(format!("{:<17}", Msg::OvLegacy.text(lang)), theme::label()),
        Span::raw(backups.len().to_string()),
    ];
    if failed > 0 {
        spans.push(Span::styled(
            format!(
                " · {}",
                Msg::OvLegacyFailed.fill(lang, &[&failed.to_string()])
            ),
            theme::bad(),
        ));
    }
    if let Some(newest) = newest {
        let (text, style) = verification(lang, snapshot, newest, now);
        spans.push(Span::raw(format!(
            " · {} {} ({}, {}) · ",
            Msg::OvLegacyNewest.text(lang),
            escape_controls(&newest.id),
            newest.format.as_str(),
            human_age(now - newest.created_at)
        )));
        spans.push(Span::styled(text, style));
    }
    Some(Line::from(spans))
}

/// Lines of the legacy section (empty when there are no legacy backups).
pub fn legacy_lines(
    lang: Lang,
    snapshot: &BackupsSnapshot,
    now: DateTime<Utc>,
) -> Vec<Line<'static>> {
    let legacy = &snapshot.legacy;
    if legacy.backups.is_empty() && legacy.unknown.is_empty() {
        return Vec::new();
    }
    let mut lines = vec![Line::styled(
        Msg::BkLegacyTitle.fill(lang, &[&legacy.backups.len().to_string()]),
        theme::label(),
    )];
    for backup in &legacy.backups {
        let (verification, style) = verification(lang, snapshot, backup, now);
        let file = backup
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = match &backup.member {
            Some(member) => format!("{file}:{member}"),
            None => file,
        };
        lines.push(Line::styled(
            format!(
                "  {:<34} {:<18} {:<16} {:>9} {:>9}  {verification}  {}",
                backup.id,
                backup.format.as_str(),
                backup.created_at.format("%Y-%m-%d %H:%M"),
                human_age(now - backup.created_at),
                human_bytes(backup.size),
                escape_controls(&name)
            ),
            style,
        ));
    }
    for unknown in &legacy.unknown {
        lines.push(Line::styled(
            format!(
                "  {}",
                Msg::BkLegacyUnknown.fill(
                    lang,
                    &[
                        &escape_controls(&unknown.path.display().to_string()),
                        &escape_controls(&unknown.reason)
                    ]
                )
            ),
            theme::warn(),
        ));
    }
    lines
}
