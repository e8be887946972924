//! The Recovery tab's intro and closed screens, step 1 (detection), step 8 (post-incident)
//! and the timeline.

use ratatui::text::{Line, Span};

use super::text::{incident_title, level_mark};
use super::{field, heading, utc};
use crate::i18n::{Lang, Msg};
use crate::recovery::model::Finding;
use crate::recovery::wizard::Wizard;
use crate::sanitize::escape_controls;
use crate::ui::state::State;
use crate::ui::theme;

/// Most earlier reports listed.
const REPORTS_SHOWN: usize = 8;

/// The screen without an open wizard: what the tab does, the incident closed in this
/// session, the earlier reports.
pub fn lines(state: &State) -> Vec<Line<'static>> {
    let lang = state.lang;
    let view = &state.recovery;
    let mut out = Vec::new();
    if !view.loaded {
        out.push(Line::styled(
            Msg::RcLoading.text(lang).to_string(),
            theme::muted(),
        ));
        return out;
    }
    if let Some(closed) = &view.closed {
        let w = &closed.wizard;
        out.push(Line::styled(
            Msg::RcClosed.fill(lang, &[&escape_controls(&w.id)]),
            theme::ok(),
        ));
        let what = w
            .incident
            .map_or(Msg::RcHealthyShort.text(lang), |k| incident_title(lang, k));
        out.push(field(Msg::RcIncident.text(lang), what.to_string()));
        if let Some(v) = &w.verification {
            let text = if v.passed {
                Msg::RcVerifyPassed
            } else {
                Msg::RcVerifyFailed
            };
            out.push(field(
                Msg::RcStepVerification.text(lang),
                text.text(lang).to_string(),
            ));
        }
        out.push(field(
            Msg::RcReport.text(lang),
            escape_controls(&closed.report.display().to_string()).into_owned(),
        ));
        out.push(Line::raw(""));
    } else {
        out.push(heading(Msg::RcIntroHeading.text(lang)));
        out.push(Line::raw(Msg::RcIntro.text(lang).to_string()));
        out.push(Line::raw(""));
        out.push(Line::styled(
            Msg::RcIntroStart.text(lang).to_string(),
            theme::warn(),
        ));
        out.push(Line::raw(""));
    }
    out.push(heading(Msg::RcReports.text(lang)));
    if view.reports.is_empty() {
        out.push(Line::styled(
            Msg::RcNoReports.text(lang).to_string(),
            theme::muted(),
        ));
    }
    for report in view.reports.iter().take(REPORTS_SHOWN) {
        out.push(Line::raw(format!(
            "  {}",
            escape_controls(&report.display().to_string())
        )));
    }
    if view.reports.len() > REPORTS_SHOWN {
        out.push(Line::styled(
            Msg::RcMoreReports.fill(lang, &[&(view.reports.len() - REPORTS_SHOWN).to_string()]),
            theme::muted(),
        ));
    }
    out
}

/// One finding: its mark, id and title, then its evidence indented.
pub fn finding_lines(f: &Finding) -> Vec<Line<'static>> {
    let mut out = vec![Line::from(vec![
        level_mark(f.level),
        Span::raw(" "),
        Span::styled(format!("{} ", escape_controls(&f.id)), theme::label()),
        Span::raw(escape_controls(&f.title).into_owned()),
    ])];
    for e in f.evidence.iter().filter(|e| !e.is_empty()) {
        out.push(Line::styled(
            format!("    {}", escape_controls(e)),
            theme::muted(),
        ));
    }
    out
}

/// Step 1: the findings and the proposal.
pub fn detection_lines(state: &State, w: &Wizard) -> Vec<Line<'static>> {
    let lang = state.lang;
    let Some(d) = &w.diagnosis else {
        return vec![Line::styled(
            Msg::RcDetecting.text(lang).to_string(),
            theme::muted(),
        )];
    };
    let mut out = Vec::new();
    match d.proposed() {
        Some(kind) => {
            out.push(Line::from(vec![
                Span::styled(format!("{} ", Msg::RcProposed.text(lang)), theme::label()),
                Span::styled(incident_title(lang, kind).to_string(), theme::bad()),
            ]));
            let others: Vec<&str> = d.incidents[1..]
                .iter()
                .map(|k| incident_title(lang, *k))
                .collect();
            if !others.is_empty() {
                out.push(field(Msg::RcAlsoFound.text(lang), others.join(", ")));
            }
        }
        None => out.push(Line::styled(
            Msg::RcHealthy.fill(lang, &[&escape_controls(&d.database)]),
            theme::ok(),
        )),
    }
    out.push(Line::styled(
        Msg::RcCheckedAt.fill(lang, &[&utc(d.at), &d.findings.len().to_string()]),
        theme::muted(),
    ));
    out.push(Line::raw(""));
    for f in &d.findings {
        out.extend(finding_lines(f));
    }
    out
}

/// Step 8: the prevention notes and what the report will hold.
pub fn post_lines(state: &State, w: &Wizard) -> Vec<Line<'static>> {
    let lang = state.lang;
    let view = &state.recovery;
    let mut out = vec![
        Line::raw(Msg::RcPostIntro.text(lang).to_string()),
        Line::raw(""),
        heading(Msg::RcPrevention.text(lang)),
    ];
    if view.notes.value.trim().is_empty() {
        out.push(Line::styled(
            Msg::RcNoNotes.text(lang).to_string(),
            theme::muted(),
        ));
    } else if view.input.is_none() {
        for l in view.notes.value.lines() {
            out.push(Line::raw(format!("  {}", escape_controls(l))));
        }
    } else {
        out.push(Line::styled(
            Msg::RcNotesBelow.text(lang).to_string(),
            theme::muted(),
        ));
    }
    out.push(Line::raw(""));
    out.push(heading(Msg::RcReportHolds.text(lang)));
    out.push(field(
        Msg::RcTimelineTitle.text(lang),
        Msg::RcEntries.fill(lang, &[&w.timeline.len().to_string()]),
    ));
    if let Some(v) = &w.verification {
        let text = if v.passed {
            Msg::RcVerifyPassed
        } else {
            Msg::RcVerifyFailed
        };
        out.push(field(
            Msg::RcStepVerification.text(lang),
            text.text(lang).to_string(),
        ));
    }
    for fix in &w.fix_log {
        out.push(field(
            Msg::RcFixDone.text(lang),
            escape_controls(fix).into_owned(),
        ));
    }
    out
}

/// The timeline: when, which step, who, what.
pub fn timeline_lines(lang: Lang, w: &Wizard) -> Vec<Line<'static>> {
    let mut out = vec![heading(Msg::RcTimelineTitle.text(lang))];
    for t in &w.timeline {
        out.push(Line::from(vec![
            Span::styled(t.at.format("%m-%d %H:%M:%S ").to_string(), theme::label()),
            Span::styled(format!("{} ", t.step.number().min(8)), theme::muted()),
            Span::styled(format!("{} ", escape_controls(&t.actor)), theme::muted()),
            Span::raw(escape_controls(&t.what).into_owned()),
        ]));
    }
    if w.timeline.is_empty() {
        out.push(Line::styled("—".to_string(), theme::muted()));
    }
    out
}
