//! Backups tab (read-only): space, last backup and warnings, the inventory table with filter and
//! sort, and the selected set's manifest, verification and chain.

pub mod columns;
pub mod detail;
pub mod legacy;
pub mod view;

use chrono::Utc;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use self::view::{HEADER_LINES, KindFilter, table_rows, visible_sets};
use crate::backup::inventory::human_age;
use crate::backup::snapshot::BackupsSnapshot;
use crate::i18n::{Lang, Msg};
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;
use crate::ui::state::State;
use crate::ui::tabs::overview_backups::warning_text;
use crate::ui::theme;
use crate::ui::widgets::table::{self, Row, TableView};

/// Width of the header labels.
const LABEL: usize = 16;

/// Draws the Backups tab into `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let [header, rest] =
        Layout::vertical([Constraint::Length(HEADER_LINES), Constraint::Min(0)]).areas(area);
    let jobs_height = crate::ui::job_list::height(state).min(rest.height / 3 + 1);
    let [rest, jobs_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(jobs_height)]).areas(rest);
    if jobs_height > 0 {
        crate::ui::job_list::draw(frame, jobs_area, state);
    }
    let snapshot = match &state.inventory {
        None => {
            frame.render_widget(Paragraph::new(header_lines(state, None)), header);
            frame.render_widget(
                Paragraph::new(Msg::BackupsScanning.text(lang)).style(theme::muted()),
                rest,
            );
            return;
        }
        Some(Err(err)) => {
            frame.render_widget(Paragraph::new(header_lines(state, None)), header);
            frame.render_widget(
                Paragraph::new(Msg::BackupsScanError.fill(lang, &[&escape_controls(err)]))
                    .style(theme::bad())
                    .wrap(Wrap { trim: false }),
                rest,
            );
            return;
        }
        Some(Ok(snapshot)) => snapshot,
    };
    frame.render_widget(Paragraph::new(header_lines(state, Some(snapshot))), header);
    if snapshot.inventory.sets.is_empty() {
        draw_empty(frame, rest, lang, snapshot);
        return;
    }
    let view = &state.backups_view;
    let sets = visible_sets(snapshot, view);
    let rows_on_screen = table_rows(area.height, sets.len()) as u16;
    let [table_area, detail_area] =
        Layout::vertical([Constraint::Length(rows_on_screen + 2), Constraint::Min(0)]).areas(rest);
    let legacy_lines = legacy::legacy_lines(lang, snapshot, snapshot.scanned_at);
    let legacy_height = (legacy_lines.len() as u16).min(detail_area.height / 2);
    let [detail_area, legacy_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(legacy_height)])
            .areas(detail_area);
    if legacy_height > 0 {
        frame.render_widget(Paragraph::new(legacy_lines), legacy_area);
    }
    // Ages are measured at the scan (at most one scan interval old), so the frame is a pure
    // function of the state.
    let now = snapshot.scanned_at;
    let good = snapshot.newest_good().map(|s| s.id.as_str());
    let rows: Vec<Row> = sets
        .iter()
        .map(|set| columns::row(lang, set, snapshot, Some(set.id.as_str()) == good, now))
        .collect();
    let columns = columns::columns(lang);
    let filter = filter_label(lang, view.filter);
    let sort = columns
        .get(view.sort_column.index())
        .map(|c| format!("{} {}", c.title, view.direction.marker()))
        .unwrap_or_default();
    let title = Msg::BkTableTitle.fill(
        lang,
        &[
            &sets.len().to_string(),
            &snapshot.inventory.sets.len().to_string(),
            &filter,
            &sort,
        ],
    );
    let block = Block::new()
        .borders(Borders::TOP)
        .title(format!(" {title} "))
        .title(
            Line::styled(
                format!(" {} ", Msg::BkTableHints.text(lang)),
                theme::muted(),
            )
            .right_aligned(),
        );
    let table_view = TableView {
        columns: &columns,
        rows: &rows,
        selected: view.selected,
        offset: view.offset,
        sort: Some(view.sort_spec()),
        block: Some(block),
        empty: Some(Line::styled(Msg::BkNoMatch.text(lang), theme::muted())),
    };
    table::render(frame, table_area, &table_view);
    if let Some(set) = view.selected.and_then(|i| sets.get(i)) {
        let block = Block::new().borders(Borders::TOP).title(format!(
            " {} ",
            Msg::BkDetailTitle.fill(lang, &[&escape_controls(&set.id)])
        ));
        let inner = block.inner(detail_area);
        frame.render_widget(block, detail_area);
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .spacing(2)
                .areas(inner);
        let manifest = snapshot.detail(&set.id).map(|d| &d.manifest);
        frame.render_widget(
            Paragraph::new(detail::manifest_lines(lang, manifest, left.width)),
            left,
        );
        frame.render_widget(
            Paragraph::new(detail::verification_lines(
                lang,
                set,
                snapshot,
                now,
                right.width,
            )),
            right,
        );
    }
}

fn label(text: &str) -> Span<'static> {
    Span::styled(format!("{text:<LABEL$} "), theme::label())
}

/// The three header lines: directory and space, last backup and next run, warnings.
fn header_lines(state: &State, snapshot: Option<&BackupsSnapshot>) -> Vec<Line<'static>> {
    let lang = state.lang;
    let dir = escape_controls(&state.install.backup_dir.display().to_string()).into_owned();
    let space = match &state.backup_space {
        None => Span::styled(Msg::BackupDirMeasuring.text(lang), theme::muted()),
        Some(Err(err)) => Span::styled(
            Msg::BackupDirError.fill(lang, &[&escape_controls(err)]),
            theme::bad(),
        ),
        Some(Ok(space)) => {
            let text = Msg::BackupDirFree.fill(
                lang,
                &[
                    &human_bytes(space.available),
                    &human_bytes(space.total),
                    &space.used_percent().to_string(),
                ],
            );
            let style = match space.used_percent() {
                0..=84 => theme::ok(),
                85..=94 => theme::warn(),
                _ => theme::bad(),
            };
            Span::styled(text, style)
        }
    };
    let first = Line::from(vec![
        label(Msg::BkDirectory.text(lang)),
        Span::raw(format!("{dir} · ")),
        space,
    ]);
    let last = match snapshot.and_then(|s| s.newest_backup()) {
        Some(set) => Span::raw(format!(
            "{} · {}",
            escape_controls(&set.id),
            Msg::BackupsAgo.fill(
                lang,
                &[&human_age(
                    snapshot.map_or_else(Utc::now, |s| s.scanned_at) - set.created_at
                )]
            )
        )),
        None if snapshot.is_some() => Span::styled(Msg::BackupsNone.text(lang), theme::warn()),
        None => Span::styled("…", theme::muted()),
    };
    let second = Line::from(
        vec![
            label(Msg::BkLastBackup.text(lang)),
            last,
            Span::raw("   "),
            Span::styled(format!("{}: ", Msg::BkNextRun.text(lang)), theme::label()),
        ]
        .into_iter()
        .chain(super::overview_backups::schedule_spans(lang, state, true))
        .collect::<Vec<_>>(),
    );
    let mut third = vec![label(Msg::BkWarnings.text(lang))];
    let scheduled = match &state.schedule {
        Some(Ok(glance)) => glance.warnings(),
        _ => Vec::new(),
    };
    let all: Option<Vec<_>> =
        snapshot.map(|s| scheduled.iter().chain(&s.warnings).cloned().collect());
    match all.as_ref() {
        Some(warnings) if !warnings.is_empty() => {
            let texts: Vec<String> = warnings
                .iter()
                .map(|w| format!("⚠ {}", warning_text(lang, w)))
                .collect();
            third.push(Span::styled(texts.join("  "), theme::warn()));
        }
        Some(_) => third.push(Span::styled(Msg::BkNoWarnings.text(lang), theme::ok())),
        None => third.push(Span::styled("…", theme::muted())),
    }
    vec![first, second, Line::from(third)]
}

/// The filter's label in the table title.
pub fn filter_label(lang: Lang, filter: KindFilter) -> String {
    match filter {
        KindFilter::All => Msg::BkFilterAll.text(lang).to_string(),
        KindFilter::Full => "full".into(),
        KindFilter::PreRestore => "pre-restore".into(),
    }
}

fn draw_empty(frame: &mut Frame, area: Rect, lang: Lang, snapshot: &BackupsSnapshot) {
    let dir = escape_controls(&snapshot.dir.display().to_string()).into_owned();
    let mut lines = vec![
        Line::raw(""),
        Line::styled(Msg::BkEmpty.fill(lang, &[&dir]), theme::warn()),
    ];
    // Scandy's own backups, a missing or unmounted directory: said here too, not only in
    // the header.
    for warning in snapshot.warnings.iter().filter(|w| {
        matches!(
            w.code,
            "no-backup-scandy-has"
                | "scandy-empty-dump"
                | "backup-dir-missing"
                | "backup-dir-unmounted"
        )
    }) {
        lines.push(Line::styled(
            format!("⚠ {}", warning_text(lang, warning)),
            theme::warn(),
        ));
    }
    let legacy = legacy::legacy_lines(lang, snapshot, snapshot.scanned_at);
    if !legacy.is_empty() {
        lines.push(Line::raw(""));
        lines.extend(legacy);
    }
    if !snapshot.inventory.partials.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::raw(Msg::BkPartials.text(lang)));
        for partial in &snapshot.inventory.partials {
            lines.push(Line::styled(
                format!("  {}", escape_controls(&partial.display().to_string())),
                theme::warn(),
            ));
        }
    }
    if !snapshot.inventory.unreadable.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::raw(Msg::BkUnreadable.text(lang)));
        for (path, reason) in &snapshot.inventory.unreadable {
            lines.push(Line::styled(
                format!(
                    "  {}: {}",
                    escape_controls(&path.display().to_string()),
                    escape_controls(reason)
                ),
                theme::bad(),
            ));
        }
    }
    let block = Block::new().borders(Borders::TOP).title(format!(
        " {} ",
        Msg::BkTableTitle.fill(lang, &["0", "0", Msg::BkFilterAll.text(lang), "—"])
    ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
