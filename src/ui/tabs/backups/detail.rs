//! The detail pane of the selected set: manifest summary, last verification, chain.

use chrono::{DateTime, Utc};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::backup::inventory::{SetInfo, human_age};
use crate::backup::manifest::Manifest;
use crate::backup::snapshot::BackupsSnapshot;
use crate::backup::verify::{VerifyLevel, VerifyReport};
use crate::i18n::{Lang, Msg};
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;
use crate::ui::theme;
use crate::ui::widgets::table::text_width;

/// Width of the label column in the detail pane.
const LABEL: usize = 13;

/// How many collections are listed before "… N more".
const MAX_COLLECTIONS: usize = 8;

/// Lines of one detail column: labelled values, wrapped under their value column.
struct Pane {
    lines: Vec<Line<'static>>,
    width: usize,
}

impl Pane {
    fn new(width: u16) -> Pane {
        Pane {
            lines: Vec::new(),
            width: usize::from(width),
        }
    }

    /// `text` under `label` (an empty label continues the previous field).
    fn field(&mut self, label: &str, text: String, style: Style) {
        let room = self.width.saturating_sub(LABEL + 1).max(8);
        for (i, chunk) in wrap(&text, room).into_iter().enumerate() {
            let head = if i == 0 { label } else { "" };
            self.lines.push(Line::from(vec![
                Span::styled(format!("{head:<LABEL$} "), theme::label()),
                Span::styled(chunk, style),
            ]));
        }
    }

    /// A value continuing the previous field on a new line.
    fn more(&mut self, text: String, style: Style) {
        self.field("", text, style);
    }

    fn blank(&mut self) {
        self.lines.push(Line::raw(""));
    }
}

/// `text` broken at spaces into pieces of at most `width` cells (long words are cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let sep = usize::from(!line.is_empty());
        if text_width(&line) + sep + text_width(word) <= width {
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            out.push(std::mem::take(&mut line));
        }
        for ch in word.chars() {
            if text_width(&line) + text_width(ch.encode_utf8(&mut [0; 4])) > width {
                out.push(std::mem::take(&mut line));
            }
            line.push(ch);
        }
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

fn esc(text: &str) -> String {
    escape_controls(text).into_owned()
}

/// Left column (`width` cells): what the set holds, from its manifest.
pub fn manifest_lines(lang: Lang, manifest: Option<&Manifest>, width: u16) -> Vec<Line<'static>> {
    let plain = Style::new();
    let Some(m) = manifest else {
        return vec![Line::styled(Msg::BkNoManifest.text(lang), theme::warn())];
    };
    let mut pane = Pane::new(width);
    pane.field(
        Msg::BkCreated.text(lang),
        Msg::BkCreatedValue.fill(
            lang,
            &[
                &m.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                &m.finished_at.format("%H:%M:%S").to_string(),
                &esc(&m.host),
                &esc(&m.scandyctl_version),
            ],
        ),
        plain,
    );
    pane.field(
        Msg::BkServer.text(lang),
        format!("MongoDB {}", esc(&m.database.server_version)),
        plain,
    );
    pane.field(Msg::BkDatabase.text(lang), esc(&m.database.database), plain);
    if let Some(increment) = &m.increment {
        let stored: u64 = m.database.collections.iter().map(|c| c.documents).sum();
        pane.field(
            Msg::BkIncrement.text(lang),
            Msg::BkIncrementValue.fill(
                lang,
                &[
                    &increment.depth.to_string(),
                    &esc(&increment.base),
                    &increment.method,
                    &stored.to_string(),
                    &m.state_total_documents().to_string(),
                    &m.files.files.to_string(),
                    &increment.files.files.to_string(),
                ],
            ),
            plain,
        );
        if let Some(reason) = &increment.scan_reason {
            pane.more(esc(reason), theme::muted());
        }
    }
    if let Some(reason) = &m.full_reason {
        pane.field(Msg::BkFullReason.text(lang), esc(reason), theme::muted());
    }
    if m.synthetic {
        pane.field(
            Msg::BkSynthetic.text(lang),
            esc(&m.synthesized_from.join(" ← ")),
            plain,
        );
    }
    if let (Some(from), Some(to)) = (m.oplog_from, m.oplog) {
        pane.field(
            Msg::BkOplogSlice.text(lang),
            format!(
                "{} – {}",
                from.time().format("%Y-%m-%d %H:%M:%S"),
                to.time().format("%Y-%m-%d %H:%M:%S")
            ),
            plain,
        );
    }
    pane.field(
        Msg::BkCollections.text(lang),
        Msg::BkCollectionsValue.fill(
            lang,
            &[
                &m.database.collections.len().to_string(),
                &m.database.total_documents().to_string(),
                &human_bytes(m.database.total_bytes()),
            ],
        ),
        plain,
    );
    let mut collections: Vec<_> = m.database.collections.iter().collect();
    collections.sort_by(|a, b| b.documents.cmp(&a.documents).then(a.name.cmp(&b.name)));
    let name_width = collections
        .iter()
        .take(MAX_COLLECTIONS)
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    for c in collections.iter().take(MAX_COLLECTIONS) {
        let docs = Msg::BkDocuments.fill(lang, &[&c.documents.to_string()]);
        pane.more(
            format!(
                "{:<name_width$}  {docs:>11}  {:>9}",
                esc(&c.name),
                human_bytes(c.bytes)
            ),
            plain,
        );
    }
    if collections.len() > MAX_COLLECTIONS {
        let more = (collections.len() - MAX_COLLECTIONS).to_string();
        pane.more(Msg::BkMoreCollections.fill(lang, &[&more]), theme::muted());
    }
    pane.field(
        Msg::BkFiles.text(lang),
        Msg::BkFilesValue.fill(
            lang,
            &[&m.files.files.to_string(), &human_bytes(m.files.bytes)],
        ),
        plain,
    );
    for (i, skipped) in m.files.skipped.iter().enumerate() {
        let label = if i == 0 {
            Msg::BkSkippedItems.text(lang)
        } else {
            ""
        };
        let text = format!("⚠ {}: {}", esc(&skipped.item), esc(&skipped.reason));
        pane.field(label, text, theme::warn());
    }
    for (i, member) in m.members.iter().enumerate() {
        let (crypt, style) = if member.encrypted {
            (Msg::BkMemberEncrypted.text(lang), plain)
        } else {
            (Msg::BkMemberPlain.text(lang), theme::muted())
        };
        let label = if i == 0 {
            Msg::BkMembers.text(lang)
        } else {
            ""
        };
        let text = format!(
            "{}  {}  {crypt}",
            esc(&member.name),
            human_bytes(member.size)
        );
        pane.field(label, text, style);
    }
    if m.recipients.is_empty() {
        pane.field(
            Msg::BkRecipients.text(lang),
            Msg::BkNoRecipients.text(lang).to_string(),
            theme::muted(),
        );
    }
    for (i, recipient) in m.recipients.iter().enumerate() {
        let label = if i == 0 {
            Msg::BkRecipients.text(lang)
        } else {
            ""
        };
        pane.field(label, esc(recipient), plain);
    }
    pane.lines
}

/// Right column (`width` cells): the last verification with its findings, then the chain.
pub fn verification_lines(
    lang: Lang,
    set: &SetInfo,
    snapshot: &BackupsSnapshot,
    now: DateTime<Utc>,
    width: u16,
) -> Vec<Line<'static>> {
    let detail = snapshot.detail(&set.id);
    let mut pane = Pane::new(width);
    match detail.and_then(|d| d.verify.as_ref()) {
        None => pane.field(
            Msg::BkVerification.text(lang),
            Msg::BkVerifyNeverLong.fill(lang, &[&esc(&set.id)]),
            theme::warn(),
        ),
        Some(report) => report_lines(lang, report, now, &mut pane),
    }
    pane.blank();
    let mut chain = Vec::new();
    let mut parent = detail.and_then(|d| d.manifest.parent.clone());
    while let Some(id) = parent.take() {
        if chain.contains(&id) || chain.len() > 32 {
            break;
        }
        match snapshot.detail(&id) {
            Some(found) => {
                chain.push(id.clone());
                parent = found.manifest.parent.clone();
            }
            None => chain.push(Msg::BkParentMissing.fill(lang, &[&esc(&id)])),
        }
    }
    if chain.is_empty() {
        pane.field(
            Msg::BkChain.text(lang),
            Msg::BkNoParent.text(lang).to_string(),
            theme::muted(),
        );
    }
    for (i, link) in chain.iter().enumerate() {
        let label = if i == 0 { Msg::BkChain.text(lang) } else { "" };
        pane.field(label, format!("← {}", esc(link)), Style::new());
    }
    if !chain.is_empty() {
        let restorable: u64 = std::iter::once(set.size)
            .chain(
                chain
                    .iter()
                    .filter_map(|id| snapshot.inventory.find(id).map(|s| s.size)),
            )
            .sum();
        pane.field(
            Msg::BkRestorable.text(lang),
            Msg::BkRestorableValue.fill(
                lang,
                &[
                    &human_bytes(set.size),
                    &human_bytes(restorable),
                    &(chain.len() + 1).to_string(),
                ],
            ),
            Style::new(),
        );
    }
    if !snapshot.window.spans.is_empty() {
        pane.blank();
        pane.field(
            Msg::BkPointInTime.text(lang),
            snapshot.window.describe(),
            Style::new(),
        );
    }
    pane.lines
}

fn report_lines(lang: Lang, report: &VerifyReport, now: DateTime<Utc>, pane: &mut Pane) {
    let level = match report.level {
        VerifyLevel::Quick => Msg::BkLevelQuick,
        VerifyLevel::Deep => Msg::BkLevelDeep,
    }
    .text(lang);
    let (text, style) = if report.ok {
        (Msg::BkVerifyOkLong.fill(lang, &[level]), theme::ok())
    } else {
        (Msg::BkVerifyFailedLong.fill(lang, &[level]), theme::bad())
    };
    pane.field(Msg::BkVerification.text(lang), text, style);
    let when = Msg::BkVerifyWhen.fill(
        lang,
        &[
            &human_age(now - report.checked_at),
            &report.checked_at.format("%Y-%m-%d %H:%M").to_string(),
        ],
    );
    pane.more(when, Style::new());
    if !report.checked.is_empty() {
        let checked: Vec<String> = report
            .checked
            .iter()
            .map(|(what, count)| format!("{} {count}", esc(what)))
            .collect();
        pane.field(
            Msg::BkChecked.text(lang),
            checked.join(" · "),
            theme::muted(),
        );
    }
    for (i, finding) in report.findings.iter().enumerate() {
        let label = if i == 0 {
            Msg::BkFindings.text(lang)
        } else {
            ""
        };
        let text = format!("✗ {}: {}", esc(&finding.subject), esc(&finding.message));
        pane.field(label, text, theme::bad());
    }
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrapping_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("ab cd ef", 5), ["ab cd", "ef"]);
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("", 3), [""]);
        assert_eq!(wrap("ab abcdefg", 4), ["ab", "abcd", "efg"]);
    }
}
