//! The filesystem list of the System tab: used/free gauges, the mounts holding the backup
//! directory, MongoDB's data and the Scandy root marked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{bar, percent_style};
use crate::i18n::{Lang, Msg};
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;
use crate::system::metrics::{MountRole, SystemSample};
use crate::ui::theme;

/// Lines the list needs (title plus one per filesystem).
pub fn height(sample: &SystemSample) -> u16 {
    sample.filesystems.len() as u16 + 1
}

/// Draws the filesystems into `area`.
pub fn draw(frame: &mut Frame, area: Rect, lang: Lang, sample: &SystemSample) {
    let block = Block::new()
        .borders(Borders::TOP)
        .title(format!(" {} ", Msg::SysFilesystems.text(lang)));
    let width = sample
        .filesystems
        .iter()
        .map(|fs| fs.mount.display().to_string().chars().count())
        .max()
        .unwrap_or(1)
        .min(28);
    let lines: Vec<Line> = sample
        .filesystems
        .iter()
        .map(|fs| {
            let used = fs.used_percent();
            let mount: String = escape_controls(&fs.mount.display().to_string())
                .chars()
                .take(width)
                .collect();
            let roles: Vec<&str> = fs.roles.iter().map(|r| role_text(lang, *r)).collect();
            Line::from(vec![
                Span::raw(format!("{mount:<width$} ")),
                Span::styled(
                    format!("{:<6} ", escape_controls(&fs.fs_type)),
                    theme::muted(),
                ),
                Span::styled(bar(used, 20), percent_style(used)),
                Span::raw(format!(
                    " {used:3.0} % · {}",
                    Msg::SysFree.fill(lang, &[&human_bytes(fs.available), &human_bytes(fs.total)])
                )),
                Span::styled(
                    if roles.is_empty() {
                        String::new()
                    } else {
                        format!("  ◀ {}", roles.join(", "))
                    },
                    theme::warn(),
                ),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn role_text(lang: Lang, role: MountRole) -> &'static str {
    match role {
        MountRole::Backups => Msg::SysRoleBackups.text(lang),
        MountRole::MongoData => Msg::SysRoleMongo.text(lang),
        MountRole::ScandyRoot => Msg::SysRoleScandy.text(lang),
    }
}
