//! The inventory table's columns and rows for the generic table widget.

use chrono::{DateTime, Utc};
use ratatui::layout::Constraint;

use super::view::BackupColumn;
use crate::backup::inventory::{SetInfo, Verification, human_age};
use crate::backup::snapshot::BackupsSnapshot;
use crate::i18n::{Lang, Msg};
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;
use crate::ui::theme;
use crate::ui::widgets::table::{Cell, Column, Row};

/// The table columns in display order (matching [`BackupColumn::ALL`]).
pub fn columns(lang: Lang) -> Vec<Column> {
    BackupColumn::ALL
        .iter()
        .map(|column| {
            let (msg, width) = match column {
                BackupColumn::Id => (Msg::BkColId, Constraint::Length(35)),
                BackupColumn::Type => (Msg::BkColType, Constraint::Length(11)),
                BackupColumn::Time => (Msg::BkColTime, Constraint::Length(16)),
                BackupColumn::Age => (Msg::BkColAge, Constraint::Length(11)),
                BackupColumn::Size => (Msg::BkColSize, Constraint::Length(9)),
                BackupColumn::Parent => (Msg::BkColParent, Constraint::Fill(1)),
                BackupColumn::Encryption => (Msg::BkColEncryption, Constraint::Length(4)),
                BackupColumn::Verification => (Msg::BkColVerification, Constraint::Length(13)),
                BackupColumn::Skipped => (Msg::BkColSkipped, Constraint::Length(7)),
            };
            let col = Column::new(msg.text(lang), width);
            match column {
                BackupColumn::Age | BackupColumn::Size | BackupColumn::Skipped => col.right(),
                _ => col,
            }
        })
        .collect()
}

/// One table row for `set`; `newest_good` marks the ★ set.
pub fn row(
    lang: Lang,
    set: &SetInfo,
    snapshot: &BackupsSnapshot,
    newest_good: bool,
    now: DateTime<Utc>,
) -> Row {
    BackupColumn::ALL
        .iter()
        .map(|column| match column {
            BackupColumn::Id => Cell::from(escape_controls(&set.id).into_owned()),
            BackupColumn::Type if newest_good => {
                Cell::styled(format!("{} ★", set.kind.as_str()), theme::ok())
            }
            BackupColumn::Type => Cell::from(set.kind.as_str()),
            BackupColumn::Time => Cell::from(set.created_at.format("%Y-%m-%d %H:%M").to_string()),
            BackupColumn::Age => Cell::from(human_age(now - set.created_at)),
            BackupColumn::Size => Cell::from(human_bytes(set.size)),
            BackupColumn::Parent => {
                let parent = snapshot
                    .detail(&set.id)
                    .and_then(|d| d.manifest.parent.as_deref());
                match parent {
                    Some(parent) => Cell::from(escape_controls(parent).into_owned()),
                    None => Cell::styled("—", theme::muted()),
                }
            }
            BackupColumn::Encryption if set.encrypted => {
                Cell::styled(Msg::BkEncryptedShort.text(lang), theme::ok())
            }
            BackupColumn::Encryption => Cell::styled("—", theme::muted()),
            BackupColumn::Verification => verification_cell(lang, &set.verification, now),
            BackupColumn::Skipped if set.skipped > 0 => {
                Cell::styled(format!("⚠ {}", set.skipped), theme::warn())
            }
            BackupColumn::Skipped => Cell::styled("0", theme::muted()),
        })
        .collect()
}

/// The verification badge: never / ✓ age / ✗ FAILED.
pub fn verification_cell(lang: Lang, verification: &Verification, now: DateTime<Utc>) -> Cell {
    match verification {
        Verification::Never => Cell::styled(Msg::BkVerifyNever.text(lang), theme::warn()),
        Verification::Ok { at, .. } => Cell::styled(
            Msg::BkVerifyOk.fill(lang, &[&human_age(now - *at)]),
            theme::ok(),
        ),
        Verification::Failed { .. } => Cell::styled(Msg::BkVerifyFailed.text(lang), theme::bad()),
    }
}
