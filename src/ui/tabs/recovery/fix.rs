//! Steps 3–5 of incidents a restore does not fix: the guided fix of a service that is down,
//! a full disk, MongoDB down or broken credentials.

use ratatui::text::{Line, Span};

use super::intro::finding_lines;
use super::view::GuideView;
use super::{field, heading};
use crate::i18n::{Lang, Msg};
use crate::recovery::fixes::{ServiceGuide, SizedItem};
use crate::recovery::model::CheckLevel;
use crate::recovery::wizard::Wizard;
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;
use crate::ui::state::State;
use crate::ui::theme;

/// The guided fix.
pub fn guide_lines(state: &State, w: &Wizard) -> Vec<Line<'static>> {
    let lang = state.lang;
    let mut out = vec![Line::styled(
        Msg::RcFixIntro.text(lang).to_string(),
        theme::muted(),
    )];
    out.push(Line::raw(""));
    match &state.recovery.guide {
        None => out.push(Line::styled(
            Msg::RcBusyGuide.text(lang).to_string(),
            theme::muted(),
        )),
        Some(GuideView::Service(g)) => {
            out.extend(service_lines(lang, g));
            out.push(Line::raw(""));
            out.push(Line::styled(
                Msg::RcFixRestartOffer.text(lang).to_string(),
                theme::warn(),
            ));
        }
        Some(GuideView::Mongo(g)) => {
            out.extend(service_lines(lang, g));
            out.push(Line::raw(""));
            out.push(Line::styled(
                Msg::RcFixMongoHint.text(lang).to_string(),
                theme::warn(),
            ));
        }
        Some(GuideView::Disk(d)) => {
            out.extend(sized(lang, Msg::RcFixLargest, &d.largest_files));
            out.extend(sized(lang, Msg::RcFixPrunable, &d.prunable_sets));
            out.extend(sized(lang, Msg::RcFixRotated, &d.rotated_logs));
            out.push(Line::styled(
                Msg::RcFixDiskHint.text(lang).to_string(),
                theme::warn(),
            ));
        }
        Some(GuideView::Credentials) => {
            out.push(heading(Msg::RcFixCredentials.text(lang)));
            if let Some(d) = &w.diagnosis {
                for f in d.findings.iter().filter(|f| f.level == CheckLevel::Failed) {
                    out.extend(finding_lines(f));
                }
            }
            out.push(Line::raw(""));
            out.push(Line::styled(
                Msg::RcFixNeverDownV.text(lang).to_string(),
                theme::bad(),
            ));
        }
    }
    if !w.fix_log.is_empty() {
        out.push(Line::raw(""));
        for fix in &w.fix_log {
            out.push(field(
                Msg::RcFixDone.text(lang),
                escape_controls(fix).into_owned(),
            ));
        }
    }
    out
}

fn service_lines(lang: Lang, g: &ServiceGuide) -> Vec<Line<'static>> {
    let mut out = vec![heading(Msg::RcFixStatus.text(lang))];
    for l in &g.status {
        out.push(Line::raw(format!("  {}", escape_controls(l))));
    }
    out.push(heading(Msg::RcFixLog.text(lang)));
    if g.log_tail.is_empty() {
        out.push(Line::styled("  —".to_string(), theme::muted()));
    }
    for l in &g.log_tail {
        out.push(Line::styled(
            format!("  {}", escape_controls(l)),
            theme::muted(),
        ));
    }
    out
}

fn sized(lang: Lang, title: Msg, items: &[SizedItem]) -> Vec<Line<'static>> {
    let mut out = vec![heading(title.text(lang))];
    if items.is_empty() {
        out.push(Line::styled("  —".to_string(), theme::muted()));
    }
    for item in items {
        let mut spans = vec![
            Span::styled(
                format!("  {:>10}  ", human_bytes(item.bytes)),
                theme::label(),
            ),
            Span::raw(escape_controls(&item.name).into_owned()),
        ];
        if !item.note.is_empty() {
            spans.push(Span::styled(
                format!("  ({})", escape_controls(&item.note)),
                theme::muted(),
            ));
        }
        out.push(Line::from(spans));
    }
    out
}
