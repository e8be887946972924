//! Steps 2 (reaction: priority, contacts, runbook notes, the team told) and 7 (users
//! informed).

use ratatui::text::{Line, Span};

use super::text::audience_heading;
use super::view::{Audience, Input};
use super::{field, heading, utc};
use crate::i18n::{Lang, Msg};
use crate::recovery::wizard::{SentMessage, Wizard};
use crate::sanitize::escape_controls;
use crate::ui::state::State;
use crate::ui::tabs::alerts::priority_label;
use crate::ui::theme;
use crate::ui::widgets::wrap::wrap;

/// Step 2.
pub fn reaction_lines(state: &State, w: &Wizard, width: usize) -> Vec<Line<'static>> {
    let lang = state.lang;
    let settings = &state.recovery.settings;
    let mut out = Vec::new();
    if let Some(priority) = w.priority {
        let (label, style) = priority_label(priority);
        out.push(Line::from(vec![
            Span::styled(
                format!("{:<18}", Msg::RcPriority.text(lang)),
                theme::label(),
            ),
            Span::styled(label, style),
        ]));
    }
    out.push(Line::raw(""));
    out.push(heading(Msg::RcContacts.text(lang)));
    if settings.contacts.is_empty() {
        out.push(Line::styled(
            Msg::RcNoContacts.text(lang).to_string(),
            theme::muted(),
        ));
    }
    for c in &settings.contacts {
        let mut parts = vec![escape_controls(&c.name).into_owned()];
        for extra in [&c.role, &c.phone, &c.email] {
            if !extra.trim().is_empty() {
                parts.push(escape_controls(extra).into_owned());
            }
        }
        out.push(Line::raw(format!("  {}", parts.join(" · "))));
    }
    if !settings.notes.trim().is_empty() {
        out.push(Line::raw(""));
        out.push(heading(Msg::RcRunbook.text(lang)));
        for l in settings.notes.lines() {
            out.push(Line::raw(format!("  {}", escape_controls(l))));
        }
    }
    out.push(Line::raw(""));
    out.extend(message_lines(
        state,
        Audience::Team,
        w.team_notified.as_ref(),
        width,
    ));
    out
}

/// Step 7.
pub fn inform_lines(state: &State, w: &Wizard, width: usize) -> Vec<Line<'static>> {
    let lang = state.lang;
    let mut out = vec![
        Line::raw(Msg::RcInformIntro.text(lang).to_string()),
        Line::raw(""),
    ];
    out.extend(message_lines(
        state,
        Audience::Users,
        w.users_informed.as_ref(),
        width,
    ));
    out
}

/// The draft (or the editing mark) and what happened when it was sent.
fn message_lines(
    state: &State,
    audience: Audience,
    sent: Option<&SentMessage>,
    width: usize,
) -> Vec<Line<'static>> {
    let lang = state.lang;
    let view = &state.recovery;
    let mut out = vec![super::heading(audience_heading(lang, audience))];
    if view.input == Some(Input::Message) {
        out.push(Line::styled(
            Msg::RcEditingBelow.text(lang).to_string(),
            theme::muted(),
        ));
    } else {
        for part in wrap(
            &escape_controls(&view.draft.value),
            width.saturating_sub(2).max(10),
        ) {
            out.push(Line::raw(format!("  {part}")));
        }
    }
    if let Some(sent) = sent {
        out.push(Line::raw(""));
        out.extend(sent_lines(lang, sent));
    }
    out
}

/// Per channel: delivered or the error.
pub fn sent_lines(lang: Lang, sent: &SentMessage) -> Vec<Line<'static>> {
    let mut out = vec![field(
        Msg::RcSentAt.text(lang),
        Msg::RcChannels.fill(
            lang,
            &[
                &utc(sent.at),
                &sent
                    .channels
                    .iter()
                    .filter(|(_, e)| e.is_none())
                    .count()
                    .to_string(),
                &sent.channels.len().to_string(),
            ],
        ),
    )];
    if sent.channels.is_empty() {
        out.push(Line::styled(
            Msg::RcNoChannels.text(lang).to_string(),
            theme::warn(),
        ));
    }
    for (name, error) in &sent.channels {
        out.push(match error {
            None => Line::from(vec![
                Span::styled("  ✓ ", theme::ok()),
                Span::raw(escape_controls(name).into_owned()),
            ]),
            Some(e) => Line::from(vec![
                Span::styled("  ✗ ", theme::bad()),
                Span::raw(format!("{}: {}", escape_controls(name), escape_controls(e))),
            ]),
        });
    }
    out
}
