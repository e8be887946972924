//! Overview: the install, the MongoDB connection, backup space, the alerts, the checklists
//! that are due and what is still to come.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, Paragraph};

use crate::config::ValueSource;
use crate::i18n::{Lang, Msg};
use crate::mongo::probe::{ConnectionState, FailureKind};
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;
use crate::ui::render::{format_latency, mongo_unreachable_text};
use crate::ui::state::{InstallKindLabel, State};
use crate::ui::theme;

/// Draws the Overview tab into `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let install_width = area.width * 55 / 100;
    let mongo_width = area.width - install_width;
    let install = install_lines(state, install_width.saturating_sub(2));
    let mongo = mongo_lines(state, mongo_width.saturating_sub(2));
    let top_height = install.len().max(mongo.len()) as u16 + 2;
    let backup_lines = super::overview_backups::lines(state);
    let backups_height = backup_lines.len() as u16 + 5;
    let [top, disk, rest] = Layout::vertical([
        Constraint::Length(top_height),
        Constraint::Length(backups_height),
        Constraint::Min(0),
    ])
    .areas(area);
    let [install_area, mongo_area] = Layout::horizontal([
        Constraint::Length(install_width),
        Constraint::Length(mongo_width),
    ])
    .areas(top);
    let lang = state.lang;
    let block = Block::bordered().title(format!(" {} ", Msg::InstallTitle.text(lang)));
    frame.render_widget(Paragraph::new(install).block(block), install_area);
    let block = Block::bordered().title(format!(" {} ", Msg::MongoTitle.text(lang)));
    frame.render_widget(Paragraph::new(mongo).block(block), mongo_area);
    draw_backup_dir(frame, disk, state, backup_lines);
    let alert_lines = super::alerts::lines(state);
    let checklist_lines = super::checklists::overview_lines(state);
    let [alerts, checklists, _] = Layout::vertical([
        Constraint::Length(alert_lines.len() as u16 + 2),
        Constraint::Length(checklist_lines.len() as u16 + 2),
        Constraint::Min(0),
    ])
    .areas(rest);
    super::alerts::draw(frame, alerts, state, alert_lines);
    let block = Block::bordered().title(format!(" {} ", Msg::CkOverviewTitle.text(lang)));
    frame.render_widget(Paragraph::new(checklist_lines).block(block), checklists);
}

const LABEL_WIDTH: usize = 17;

/// A label/value row; long values wrap under the value column.
fn field(lines: &mut Vec<Line<'static>>, width: u16, label: &str, value: &str, style: Style) {
    let value_width = (width as usize).saturating_sub(LABEL_WIDTH).max(8);
    let chunks = wrap_words(value, value_width);
    for (i, chunk) in chunks.into_iter().enumerate() {
        let label = if i == 0 { label } else { "" };
        lines.push(Line::from(vec![
            Span::styled(format!("{label:<LABEL_WIDTH$}"), theme::label()),
            Span::styled(chunk, style),
        ]));
    }
}

/// Greedy word wrap to `width` columns; words longer than a line are split.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = vec![String::new()];
    let mut used = 0usize;
    for word in text.split(' ') {
        let word_len = word.chars().count();
        if used > 0 && used + 1 + word_len > width {
            lines.push(String::new());
            used = 0;
        }
        if used > 0 {
            lines.last_mut().expect("one line").push(' ');
            used += 1;
        }
        for c in word.chars() {
            if used >= width {
                lines.push(String::new());
                used = 0;
            }
            lines.last_mut().expect("one line").push(c);
            used += 1;
        }
    }
    lines
}

fn install_lines(state: &State, width: u16) -> Vec<Line<'static>> {
    let lang = state.lang;
    let install = &state.install;
    let kind = match &install.kind {
        InstallKindLabel::Native => Msg::KindNative.text(lang).to_string(),
        InstallKindLabel::Docker => Msg::KindDocker.text(lang).to_string(),
        InstallKindLabel::MultiInstance(name) => Msg::KindMulti.fill(lang, &[name]),
        InstallKindLabel::Configured => Msg::KindConfigured.text(lang).to_string(),
    };
    let config_file = match &install.config_file {
        Some(path) => escape_controls(&path.display().to_string()).into_owned(),
        None => Msg::InstallNoConfigFile.text(lang).to_string(),
    };
    let plain = Style::new();
    let mut lines = Vec::new();
    field(&mut lines, width, Msg::InstallKind.text(lang), &kind, plain);
    let root = escape_controls(&install.root.display().to_string()).into_owned();
    field(&mut lines, width, Msg::InstallRoot.text(lang), &root, plain);
    let source = Msg::FromSource.fill(
        lang,
        &[&escape_controls(&source_text(lang, &install.root_source))],
    );
    field(&mut lines, width, "", &source, theme::muted());
    field(
        &mut lines,
        width,
        Msg::InstallDatabase.text(lang),
        &escape_controls(&install.database),
        plain,
    );
    field(
        &mut lines,
        width,
        Msg::InstallUri.text(lang),
        &escape_controls(&install.uri_redacted),
        plain,
    );
    field(
        &mut lines,
        width,
        Msg::InstallConfigFile.text(lang),
        &config_file,
        plain,
    );
    lines
}

fn mongo_lines(state: &State, width: u16) -> Vec<Line<'static>> {
    let lang = state.lang;
    let state_label = Msg::MongoState.text(lang);
    let plain = Style::new();
    let mut lines = Vec::new();
    match &state.mongo {
        ConnectionState::Connecting { attempt } => {
            let text = Msg::MongoConnecting.fill(lang, &[&attempt.to_string()]);
            field(&mut lines, width, state_label, &text, theme::warn());
        }
        ConnectionState::Connected { info, since } => {
            field(
                &mut lines,
                width,
                state_label,
                Msg::MongoConnected.text(lang),
                theme::ok(),
            );
            field(
                &mut lines,
                width,
                Msg::MongoVersion.text(lang),
                &escape_controls(&info.version),
                plain,
            );
            field(
                &mut lines,
                width,
                Msg::MongoLatency.text(lang),
                &format_latency(info.latency),
                plain,
            );
            let since = since.format("%Y-%m-%d %H:%M:%S").to_string();
            field(&mut lines, width, Msg::MongoSince.text(lang), &since, plain);
        }
        ConnectionState::Unreachable {
            failure, attempt, ..
        } => {
            field(
                &mut lines,
                width,
                state_label,
                &mongo_unreachable_text(state),
                theme::bad(),
            );
            field(
                &mut lines,
                width,
                Msg::MongoLastError.text(lang),
                &escape_controls(&failure.detail),
                plain,
            );
            field(
                &mut lines,
                width,
                Msg::MongoAttempts.text(lang),
                &attempt.to_string(),
                plain,
            );
            if let Some(hint) = failure_hint(failure.kind) {
                field(
                    &mut lines,
                    width,
                    Msg::MongoHint.text(lang),
                    hint.text(lang),
                    theme::warn(),
                );
            }
        }
    }
    lines
}

/// Where a configuration value came from, in the console language.
pub fn source_text(lang: Lang, source: &ValueSource) -> String {
    match source {
        ValueSource::Flag { flag } => Msg::SourceFlag.fill(lang, &[flag]),
        ValueSource::Environment { variable } => Msg::SourceEnvironment.fill(lang, &[variable]),
        ValueSource::ConfigFile { path } => {
            Msg::SourceConfigFile.fill(lang, &[&path.display().to_string()])
        }
        ValueSource::DotEnv { path, key } => {
            Msg::SourceDotEnv.fill(lang, &[&path.display().to_string(), key])
        }
        ValueSource::Discovery { detail } => Msg::SourceDiscovery.fill(lang, &[detail]),
        ValueSource::Default => Msg::SourceDefault.text(lang).to_string(),
        ValueSource::Demo => Msg::SourceDemo.text(lang).to_string(),
    }
}

/// The hint shown under a connection failure of `kind`, if there is one.
pub fn failure_hint(kind: FailureKind) -> Option<Msg> {
    match kind {
        FailureKind::Refused => Some(Msg::HintRefused),
        FailureKind::Timeout => Some(Msg::HintTimeout),
        FailureKind::Auth => Some(Msg::HintAuth),
        FailureKind::Dns => Some(Msg::HintDns),
        FailureKind::Tls => Some(Msg::HintTls),
        FailureKind::InvalidUri | FailureKind::Other => None,
    }
}

fn draw_backup_dir(frame: &mut Frame, area: Rect, state: &State, inventory: Vec<Line<'static>>) {
    let lang = state.lang;
    let block = Block::bordered().title(format!(" {} ", Msg::BackupDirTitle.text(lang)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [path_line, detail_line, gauge_line, inventory_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(inventory), inventory_area);
    let path = escape_controls(&state.install.backup_dir.display().to_string()).into_owned();
    frame.render_widget(Paragraph::new(path), path_line);
    match &state.backup_space {
        None => frame.render_widget(
            Paragraph::new(Msg::BackupDirMeasuring.text(lang)).style(theme::muted()),
            detail_line,
        ),
        Some(Err(err)) => frame.render_widget(
            Paragraph::new(Msg::BackupDirError.fill(lang, &[&escape_controls(err)]))
                .style(theme::bad()),
            detail_line,
        ),
        Some(Ok(space)) => {
            let text = if space.exists {
                Msg::BackupDirFree.fill(
                    lang,
                    &[
                        &human_bytes(space.available),
                        &human_bytes(space.total),
                        &space.used_percent().to_string(),
                    ],
                )
            } else {
                Msg::BackupDirMissing.fill(
                    lang,
                    &[
                        &escape_controls(&space.measured.display().to_string()),
                        &human_bytes(space.available),
                    ],
                )
            };
            let used = space.used_percent();
            let style = match used {
                0..=84 => theme::ok(),
                85..=94 => theme::warn(),
                _ => theme::bad(),
            };
            frame.render_widget(Paragraph::new(text), detail_line);
            frame.render_widget(
                Gauge::default()
                    .gauge_style(style)
                    .percent(u16::from(used))
                    .label(format!("{used} %")),
                gauge_line,
            );
        }
    }
}
