//! The Collections view: the sortable collection table and the selected collection's
//! indexes with Scandy's index findings and their fixes.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use super::available_text;
use super::view::{CollectionColumn, sorted_collections};
use crate::i18n::{Lang, Msg};
use crate::mongo::indexes::{FindingKind, IndexFinding, IndexInfo, Severity};
use crate::mongo::sample::DatabaseSample;
use crate::mongo::stats::{CollectionKind, CollectionStats};
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;
use crate::ui::db_actions::database_page;
use crate::ui::state::State;
use crate::ui::theme;
use crate::ui::widgets::table::{self, Cell, Column, Row, TableView, truncate};
use crate::ui::widgets::wrap::wrap;

/// Draws the collection table and, below it, the indexes of the selected collection.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, sample: &DatabaseSample) {
    let lang = state.lang;
    let view = &state.database_view;
    let sorted = sorted_collections(sample, view.sort);
    let detail_needed = view.selected_collection(sample).map_or(0, |c| {
        detail_height(sample, &c.name, usize::from(area.width))
    });
    let room = usize::from(area.height.saturating_sub(detail_needed + 2));
    let rows_on_screen = sorted.len().clamp(1, room.max(database_page(state.size))) as u16;
    let [table_area, detail_area] =
        Layout::vertical([Constraint::Length(rows_on_screen + 2), Constraint::Min(0)]).areas(area);
    let columns = columns(lang);
    let rows: Vec<Row> = sorted.iter().map(|c| row(lang, c)).collect();
    let block = Block::new().borders(Borders::TOP).title(format!(
        " {} ",
        Msg::DbCollectionsTitle.fill(lang, &[&escape_controls(&sample.database.name)])
    ));
    table::render(
        frame,
        table_area,
        &TableView {
            columns: &columns,
            rows: &rows,
            selected: view.collection_index(&sorted),
            offset: view.collection_offset,
            sort: Some(view.sort),
            block: Some(block),
            empty: Some(Line::styled(
                Msg::DbNoCollections.text(lang),
                theme::muted(),
            )),
        },
    );
    if let Some(collection) = view.selected_collection(sample) {
        draw_indexes(frame, detail_area, lang, sample, collection);
    }
}

/// Lines the index detail of `collection` needs at `width`: title, header, indexes, findings.
fn detail_height(sample: &DatabaseSample, collection: &str, width: usize) -> u16 {
    let indexes = sample.indexes_of(collection).count();
    let findings = finding_lines(&collection_findings(sample, collection), width).len();
    (indexes + findings + 2) as u16
}

/// The findings shown under `collection`'s indexes: the database-wide Scandy defect first
/// when the collection misses expected indexes, then the collection's own findings.
fn collection_findings<'a>(
    sample: &'a DatabaseSample,
    collection: &'a str,
) -> Vec<&'a IndexFinding> {
    let own: Vec<&IndexFinding> = sample.findings_of(collection).collect();
    let misses = own.iter().any(|f| f.kind == FindingKind::MissingExpected);
    sample
        .findings
        .iter()
        .filter(|f| misses && f.kind == FindingKind::ScandyIndexDefect)
        .chain(own)
        .collect()
}

fn columns(lang: Lang) -> Vec<Column> {
    CollectionColumn::ALL
        .iter()
        .map(|column| match column {
            CollectionColumn::Name => Column::new(Msg::DbColName.text(lang), Constraint::Min(16)),
            CollectionColumn::Documents => {
                Column::new(Msg::DbColDocuments.text(lang), Constraint::Length(10)).right()
            }
            CollectionColumn::Size => {
                Column::new(Msg::DbColSize.text(lang), Constraint::Length(10)).right()
            }
            CollectionColumn::Storage => {
                Column::new(Msg::DbColStorage.text(lang), Constraint::Length(10)).right()
            }
            CollectionColumn::AvgObject => {
                Column::new(Msg::DbColAvg.text(lang), Constraint::Length(9)).right()
            }
            CollectionColumn::Indexes => {
                Column::new(Msg::DbColIndexes.text(lang), Constraint::Length(7)).right()
            }
            CollectionColumn::IndexSize => {
                Column::new(Msg::DbColIndexSize.text(lang), Constraint::Length(10)).right()
            }
            CollectionColumn::Ttl => Column::new("TTL", Constraint::Length(22)),
        })
        .collect()
}

fn row(lang: Lang, collection: &CollectionStats) -> Row {
    let name = match collection.kind {
        CollectionKind::View => Msg::DbView.fill(lang, &[&collection.name]),
        CollectionKind::Timeseries => format!("{} ⏱", collection.name),
        CollectionKind::Collection => collection.name.clone(),
    };
    let storage = |f: fn(&crate::mongo::stats::StorageStats) -> String| -> String {
        match &collection.storage {
            Some(storage) => available_text(lang, storage, f),
            None => "–".into(),
        }
    };
    let ttl = collection
        .ttl
        .first()
        .map(|t| format!("{} {}", t.field, ttl_text(t.expire_after_secs)))
        .unwrap_or_default();
    vec![
        Cell::from(escape_controls(&name).into_owned()),
        Cell::from(collection.count.map_or("–".into(), |n| n.to_string())),
        Cell::from(storage(|s| human_bytes(s.size))),
        Cell::from(storage(|s| human_bytes(s.storage_size))),
        Cell::from(storage(|s| human_bytes(s.avg_obj_size))),
        Cell::from(storage(|s| s.nindexes.to_string())),
        Cell::from(storage(|s| human_bytes(s.total_index_size))),
        Cell::from(escape_controls(&ttl).into_owned()),
    ]
}

/// `expireAfterSeconds` in the largest whole unit: "0 s" (at the date), "30 d", "12 h".
fn ttl_text(secs: u64) -> String {
    match secs {
        0 => "0 s".into(),
        s if s % 86_400 == 0 => format!("{} d", s / 86_400),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s => format!("{s} s"),
    }
}

fn draw_indexes(
    frame: &mut Frame,
    area: Rect,
    lang: Lang,
    sample: &DatabaseSample,
    collection: &CollectionStats,
) {
    let indexes: Vec<&IndexInfo> = sample.indexes_of(&collection.name).collect();
    let findings = collection_findings(sample, &collection.name);
    let block = Block::new().borders(Borders::TOP).title(format!(
        " {} ",
        Msg::DbIndexesTitle.fill(lang, &[&escape_controls(&collection.name)])
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let finding_lines = finding_lines(&findings, usize::from(inner.width));
    let table_height = (indexes.len() as u16 + 1).min(
        inner
            .height
            .saturating_sub(finding_lines.len().min(4) as u16)
            .max(2),
    );
    let [table_area, findings_area] =
        Layout::vertical([Constraint::Length(table_height), Constraint::Min(0)]).areas(inner);
    let columns = vec![
        Column::new(Msg::DbColIndex.text(lang), Constraint::Min(14)),
        Column::new(Msg::DbColKeys.text(lang), Constraint::Min(20)),
        Column::new(Msg::DbColOptions.text(lang), Constraint::Length(18)),
        Column::new(Msg::DbColSize.text(lang), Constraint::Length(10)).right(),
        Column::new(Msg::DbColUsage.text(lang), Constraint::Length(24)),
    ];
    let rows: Vec<Row> = indexes
        .iter()
        .map(|i| index_row(lang, i, &findings))
        .collect();
    table::render(
        frame,
        table_area,
        &TableView {
            columns: &columns,
            rows: &rows,
            selected: None,
            offset: 0,
            sort: None,
            block: None,
            empty: Some(Line::styled(Msg::DbNoIndexes.text(lang), theme::muted())),
        },
    );
    frame.render_widget(Paragraph::new(finding_lines), findings_area);
}

fn index_row(lang: Lang, index: &IndexInfo, findings: &[&IndexFinding]) -> Row {
    let mut options = Vec::new();
    if index.unique {
        options.push("unique".to_string());
    }
    if index.sparse {
        options.push("sparse".to_string());
    }
    if let Some(ttl) = index.ttl_secs {
        options.push(format!("TTL {}", ttl_text(ttl)));
    }
    if index.partial_filter.is_some() {
        options.push("partial".to_string());
    }
    let flagged = findings.iter().find(|f| f.index == index.name);
    let style = match flagged.map(|f| f.severity) {
        Some(Severity::Warning) => theme::bad(),
        Some(Severity::Info) => theme::muted(),
        None => Style::new(),
    };
    let usage = available_text(lang, &index.usage, |u| match &u.since {
        Some(since) => Msg::DbUsageSince.fill(
            lang,
            &[&u.ops.to_string(), since.get(..10).unwrap_or(since)],
        ),
        None => Msg::DbUsage.fill(lang, &[&u.ops.to_string()]),
    });
    let unused = flagged.is_some_and(|f| f.kind == FindingKind::Unused);
    let usage = if unused {
        format!("{usage} · {}", Msg::DbUnused.text(lang))
    } else {
        usage
    };
    vec![
        Cell::styled(escape_controls(&index.name).into_owned(), style),
        Cell::from(escape_controls(&index.keys).into_owned()),
        Cell::from(options.join(", ")),
        Cell::from(available_text(lang, &index.size, |b| human_bytes(*b))),
        Cell::styled(
            usage,
            if index.unused {
                theme::warn()
            } else {
                Style::new()
            },
        ),
    ]
}

/// "⚠ message" and "  fix: statement" lines for each finding, cut to `width`; an index
/// of a collection that does not exist yet is a dimmed "· message" (no problem).
fn finding_lines(findings: &[&IndexFinding], width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for finding in findings {
        let (mark, style) = match (finding.kind, finding.severity) {
            (FindingKind::PendingCollection, _) => ("·", theme::muted()),
            (FindingKind::ScandyIndexDefect, _) => ("⚠", theme::bad()),
            (_, Severity::Warning) => ("⚠", theme::warn()),
            (_, Severity::Info) => ("⚠", theme::muted()),
        };
        let message = format!("{mark} {}", escape_controls(&finding.message));
        if finding.kind == FindingKind::ScandyIndexDefect {
            // The cause and the remedy matter more than one tidy line: wrap it.
            for (i, part) in wrap(&message, width.saturating_sub(2))
                .into_iter()
                .enumerate()
            {
                let indent = if i == 0 { "" } else { "  " };
                lines.push(Line::styled(format!("{indent}{part}"), style));
            }
        } else {
            lines.push(Line::styled(truncate(&message, width), style));
        }
        if let Some(fix) = &finding.fix {
            for statement in fix.lines() {
                lines.push(Line::styled(
                    truncate(&format!("    {}", escape_controls(statement)), width),
                    theme::label(),
                ));
            }
        }
    }
    lines
}
