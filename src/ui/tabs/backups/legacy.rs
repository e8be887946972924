//! The Backups tab's section on legacy backups: Scandy's own and mongodump output, with their
//! format, time, size and last verification.

use chrono::{DateTime, Utc};
use ratatui::text::Line;

use crate::backup::inventory::human_age;
use crate::backup::snapshot::BackupsSnapshot;
use crate::i18n::{Lang, Msg};
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;
use crate::ui::theme;

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
        let (verification, style) = if backup.failed {
            (Msg::BkLegacyFailedDump.text(lang).to_string(), theme::bad())
        } else {
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
        };
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
