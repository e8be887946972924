//! Steps 3 (the recovery point, the backups passed over, the data-loss window) and 4 (the
//! safety backup), and the picker of another backup.

use ratatui::text::{Line, Span};

use super::view::CandidateRow;
use super::{field, heading, utc};
use crate::backup::inventory::human_age;
use crate::i18n::{Lang, Msg};
use crate::recovery::model::PointSource;
use crate::recovery::wizard::{SafetyDecision, Wizard};
use crate::sanitize::escape_controls;
use crate::ui::theme;

/// Step 3 for an incident a restore fixes.
pub fn point_lines(lang: Lang, w: &Wizard) -> Vec<Line<'static>> {
    let Some(point) = &w.point else {
        return vec![
            Line::styled(Msg::RcPointSearching.text(lang).to_string(), theme::muted()),
            Line::styled(Msg::RcPointWhy.text(lang).to_string(), theme::muted()),
        ];
    };
    let r = &point.reference;
    let source = match r.source {
        PointSource::Set => Msg::RcSourceSet,
        PointSource::Legacy => Msg::RcSourceLegacy,
    };
    let mut out = vec![
        Line::from(vec![
            Span::styled(
                format!("{:<18}", Msg::RcPointChosen.text(lang)),
                theme::label(),
            ),
            Span::styled(escape_controls(point.id()).into_owned(), theme::ok()),
        ]),
        field(Msg::RcPointKind.text(lang), source.text(lang).to_string()),
        field(
            Msg::RcPointTaken.text(lang),
            Msg::RcPointAge.fill(
                lang,
                &[
                    &utc(r.created_at),
                    &human_age(point.verified_at - r.created_at),
                ],
            ),
        ),
        field(
            Msg::RcPointVerified.text(lang),
            Msg::RcDeepPassed.fill(lang, &[&utc(point.verified_at)]),
        ),
    ];
    let documents: u64 = r.collections.iter().map(|(_, n)| n).sum();
    out.push(field(
        Msg::RcPointHolds.text(lang),
        Msg::RcPointContent.fill(
            lang,
            &[&r.collections.len().to_string(), &documents.to_string()],
        ),
    ));
    if let Some(files) = r.upload_files {
        out.push(field(Msg::RcUploadFiles.text(lang), files.to_string()));
    }
    if let Some(window) = &w.window {
        out.push(Line::raw(""));
        out.push(heading(Msg::RcWindow.text(lang)));
        out.push(field(
            Msg::RcWindowSpan.text(lang),
            Msg::RcWindowFromTo.fill(
                lang,
                &[
                    &utc(window.from),
                    &utc(window.to),
                    &window.minutes().to_string(),
                ],
            ),
        ));
        let changed = if !window.live_read {
            Msg::RcWindowUnread.text(lang).to_string()
        } else if window.changed_collections.is_empty() {
            Msg::RcWindowNone.text(lang).to_string()
        } else {
            escape_controls(&window.changed_collections.join(", ")).into_owned()
        };
        out.push(field(Msg::RcWindowChanged.text(lang), changed));
        out.push(Line::styled(
            Msg::RcWindowLost.text(lang).to_string(),
            theme::warn(),
        ));
    }
    if !point.skipped.is_empty() {
        out.push(Line::raw(""));
        out.push(heading(Msg::RcPassedOver.text(lang)));
        for s in &point.skipped {
            out.push(Line::from(vec![
                Span::styled("  ✗ ", theme::bad()),
                Span::raw(format!(
                    "{}: {}",
                    escape_controls(&s.id),
                    escape_controls(&s.reason)
                )),
            ]));
        }
    }
    out
}

/// The picker of another backup.
pub fn candidate_lines(lang: Lang, list: &[CandidateRow], at: usize) -> Vec<Line<'static>> {
    let mut out = vec![heading(Msg::RcPickBackup.text(lang))];
    for (i, c) in list.iter().enumerate() {
        let mut text = format!("{}  {}", escape_controls(&c.id), utc(c.created_at));
        if c.source == PointSource::Legacy {
            text.push_str(&format!("  ({})", Msg::RcSourceLegacy.text(lang)));
        }
        if let Some(bad) = &c.known_bad {
            text.push_str(&format!("  ✗ {}", escape_controls(bad)));
        }
        out.push(if i == at {
            Line::styled(format!("▶ {text}"), theme::tab_active())
        } else {
            Line::raw(format!("  {text}"))
        });
    }
    out
}

/// Step 4.
pub fn safety_lines(lang: Lang, w: &Wizard) -> Vec<Line<'static>> {
    let readable = w.diagnosis.as_ref().is_some_and(|d| d.mongo.readable());
    let mut out = vec![
        Line::raw(Msg::RcSafetyIntro.text(lang).to_string()),
        Line::raw(""),
    ];
    if readable {
        out.push(Line::styled(
            Msg::RcSafetyDefault.text(lang).to_string(),
            theme::ok(),
        ));
    } else {
        out.push(Line::styled(
            Msg::RcSafetyUnreadable.text(lang).to_string(),
            theme::warn(),
        ));
    }
    out.push(Line::styled(
        Msg::RcSafetySkipNote.text(lang).to_string(),
        theme::muted(),
    ));
    match &w.safety {
        Some(SafetyDecision::Skipped { reason }) => {
            out.push(Line::raw(""));
            out.push(field(
                Msg::RcSafetySkipped.text(lang),
                escape_controls(reason).into_owned(),
            ));
        }
        Some(SafetyDecision::NotPossible { why }) => {
            out.push(Line::raw(""));
            out.push(field(
                Msg::RcSafetyNotPossible.text(lang),
                escape_controls(why).into_owned(),
            ));
        }
        _ => {}
    }
    out
}
