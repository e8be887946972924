//! The report as a document: sections of paragraphs, tables and charts, built once from a
//! [`Report`] in one language, so that the Markdown and the HTML output show the same
//! sections with the same numbers. Text here is raw; each renderer escapes it.

use super::format::{self, bucket_label};
use super::period::ReportKind;
use super::usage::{OVERDUE_DAYS, UsageStats};
use super::words::{Words, fill, words};
use super::{Gathered, Report, sections};
use crate::i18n::Lang;

/// A piece of running text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    /// Plain text.
    Text(String),
    /// A command, file or field name.
    Code(String),
}

/// How a note should stand out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// An explanation.
    Info,
    /// Something is missing or wrong.
    Warning,
}

/// A table: headers, which columns are numbers (right-aligned), rows of cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Column headers.
    pub headers: Vec<String>,
    /// Per column: right-aligned numbers.
    pub numeric: Vec<bool>,
    /// The cells, row by row.
    pub rows: Vec<Vec<String>>,
}

/// One data series of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// One value per label.
    pub values: Vec<f64>,
    /// Fill or stroke colour (`#rrggbb`).
    pub color: &'static str,
}

/// A chart (an inline SVG in HTML, text bars in Markdown).
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// Grouped vertical bars.
    Bars {
        /// Title above the chart.
        title: String,
        /// One label per group.
        labels: Vec<String>,
        /// The series drawn side by side.
        series: Vec<Series>,
    },
    /// Lines over the labels (a trend).
    Lines {
        /// Title above the chart.
        title: String,
        /// One label per point.
        labels: Vec<String>,
        /// The lines.
        series: Vec<Series>,
    },
    /// One coloured cell per label by up-time percentage (`None`: no data).
    Uptime {
        /// Title above the chart.
        title: String,
        /// One label per cell.
        labels: Vec<String>,
        /// Up-time percent per cell.
        values: Vec<Option<f64>>,
        /// Legend text for cells without data.
        no_data: String,
    },
}

/// One element of a section.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A sub-heading.
    Heading(String),
    /// Running text.
    Paragraph(Vec<Inline>),
    /// A remark set apart.
    Note(Tone, Vec<Inline>),
    /// Key figures (cards in HTML, a table in Markdown).
    Figures(Vec<(String, String)>),
    /// Label and value pairs.
    Facts(Vec<(String, String)>),
    /// A table.
    Table(Table),
    /// A chart.
    Chart(Chart),
}

/// A top-level section with an anchor.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Anchor id (`usage`, `errors` …).
    pub id: &'static str,
    /// Heading.
    pub title: String,
    /// Content.
    pub blocks: Vec<Block>,
}

/// The whole report as a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// `lang` attribute value (`en`, `de`).
    pub lang: &'static str,
    /// Main heading.
    pub title: String,
    /// The period line.
    pub subtitle: String,
    /// Period, host, database, time of generation.
    pub facts: Vec<(String, String)>,
    /// Word for the table of contents.
    pub contents: String,
    /// Column headers of fact tables in Markdown.
    pub fact_headers: (String, String),
    /// The sections in order.
    pub sections: Vec<Section>,
    /// Closing line.
    pub footer: String,
}

/// Series colours: blue, purple, amber, red, green.
pub const BLUE: &str = "#1f6feb";
/// Second series colour.
pub const PURPLE: &str = "#8250df";
/// Warnings.
pub const AMBER: &str = "#c77c00";
/// Errors.
pub const RED: &str = "#cf222e";

/// Running text from one of our templates: backtick spans become code, each `{}` the next
/// argument (arguments are never parsed for backticks).
pub fn inline(template: &str, args: &[&str]) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    let mut args = args.iter();
    for (i, part) in template.split('`').enumerate() {
        if i % 2 == 1 {
            out.push(Inline::Code(part.to_string()));
            continue;
        }
        let mut text = String::new();
        let mut rest = part;
        while let Some(pos) = rest.find("{}") {
            text.push_str(&rest[..pos]);
            text.push_str(args.next().copied().unwrap_or(""));
            rest = &rest[pos + 2..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            out.push(Inline::Text(text));
        }
    }
    out
}

/// A numeric cell.
pub fn num(n: u64) -> String {
    n.to_string()
}

/// Builds the document of `report` in `lang`.
pub fn build_document(report: &Report, lang: Lang) -> Document {
    let w = words(lang);
    let period = &report.period;
    let facts = vec![
        (
            w.period.to_string(),
            format!(
                "{} ({} – {})",
                period.label,
                format::utc_time(lang, period.start),
                format::utc_time(lang, period.end)
            ),
        ),
        (w.host.to_string(), report.host.clone()),
        (w.database.to_string(), report.database.clone()),
        (
            w.generated.to_string(),
            format::utc_time(lang, report.generated_at),
        ),
    ];
    let sections = vec![
        Section {
            id: "glance",
            title: w.glance.into(),
            blocks: vec![Block::Figures(glance(report, lang))],
        },
        Section {
            id: "usage",
            title: w.usage.into(),
            blocks: usage_blocks(report, lang),
        },
        Section {
            id: "errors",
            title: w.errors.into(),
            blocks: sections::error_blocks(&report.errors, lang),
        },
        Section {
            id: "availability",
            title: w.availability.into(),
            blocks: sections::availability_blocks(&report.availability, lang),
        },
        Section {
            id: "backups",
            title: w.backups.into(),
            blocks: sections::backup_blocks(&report.backups, lang),
        },
        Section {
            id: "maintenance",
            title: w.maintenance.into(),
            blocks: sections::maintenance_blocks(&report.maintenance, lang),
        },
        Section {
            id: "alerts",
            title: w.alerts.into(),
            blocks: sections::alert_blocks(&report.alerts, lang),
        },
    ];
    Document {
        lang: match lang {
            Lang::En => "en",
            Lang::De => "de",
        },
        title: w.title.into(),
        subtitle: format::report_title(lang, period),
        facts,
        contents: w.contents.into(),
        fact_headers: (w.item.into(), w.value.into()),
        sections,
        footer: fill(w.footer, &[env!("CARGO_PKG_VERSION")]),
    }
}

/// The key figures at the top.
fn glance(report: &Report, lang: Lang) -> Vec<(String, String)> {
    let w = words(lang);
    let dash = || "–".to_string();
    let usage = report.usage.ok();
    let errors = report.errors.ok();
    vec![
        (
            w.lendings_started.into(),
            usage.map_or_else(dash, |u| num(u.lendings_started)),
        ),
        (
            w.lendings_returned.into(),
            usage.map_or_else(dash, |u| num(u.lendings_returned)),
        ),
        (
            w.tickets_opened.into(),
            usage.map_or_else(dash, |u| num(u.tickets_opened)),
        ),
        (
            w.tickets_closed.into(),
            usage.map_or_else(dash, |u| num(u.tickets_closed)),
        ),
        (
            w.error_count.into(),
            errors.map_or_else(dash, |e| num(e.errors)),
        ),
        (
            w.warning_count.into(),
            errors.map_or_else(dash, |e| num(e.warnings)),
        ),
        (
            w.health_up.into(),
            report
                .availability
                .health
                .map_or_else(dash, |h| format::percent(lang, h.percent)),
        ),
        (
            w.sets_created.into(),
            report
                .backups
                .ok()
                .map_or_else(dash, |b| num(b.created.len() as u64)),
        ),
    ]
}

/// The usage section.
fn usage_blocks(report: &Report, lang: Lang) -> Vec<Block> {
    let w = words(lang);
    let stats = match &report.usage {
        Gathered::Ok(stats) => stats,
        Gathered::Unavailable(reason) => {
            return vec![Block::Note(
                Tone::Warning,
                inline(w.db_unavailable, &[reason]),
            )];
        }
    };
    let mut blocks = vec![Block::Note(Tone::Info, inline(w.times_note, &[]))];
    if !stats.missing_collections.is_empty() {
        let names = stats.missing_collections.join(", ");
        blocks.push(Block::Note(
            Tone::Info,
            inline(w.missing_collections, &[&names]),
        ));
    }
    blocks.push(Block::Heading(w.totals.into()));
    blocks.push(Block::Facts(usage_totals(stats, lang)));
    blocks.push(Block::Paragraph(inline(
        w.as_of,
        &[&format::naive_time(lang, stats.as_of.naive_utc())],
    )));
    blocks.extend(bucket_blocks(stats, report.period.kind, w, lang));
    blocks.push(Block::Paragraph(inline(w.closed_rule, &[])));
    blocks.push(Block::Heading(w.top_tools.into()));
    if stats.top_tools.is_empty() {
        blocks.push(Block::Paragraph(inline(w.none_in_period, &[])));
    } else {
        blocks.push(Block::Table(Table {
            headers: vec![
                w.rank.into(),
                w.barcode.into(),
                w.tool.into(),
                w.lendings.into(),
            ],
            numeric: vec![true, false, false, true],
            rows: stats
                .top_tools
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    vec![
                        num(i as u64 + 1),
                        t.barcode.clone(),
                        t.name.clone(),
                        num(t.lendings),
                    ]
                })
                .collect(),
        }));
    }
    blocks.push(Block::Heading(w.top_consumables.into()));
    if stats.top_consumables.is_empty() {
        blocks.push(Block::Paragraph(inline(w.none_in_period, &[])));
    } else {
        blocks.push(Block::Table(Table {
            headers: vec![
                w.rank.into(),
                w.barcode.into(),
                w.consumable.into(),
                w.units.into(),
                w.withdrawals.into(),
            ],
            numeric: vec![true, false, false, true, true],
            rows: stats
                .top_consumables
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    vec![
                        num(i as u64 + 1),
                        c.barcode.clone(),
                        c.name.clone(),
                        format::quantity(lang, c.units),
                        num(c.withdrawals),
                    ]
                })
                .collect(),
        }));
    }
    blocks.push(Block::Heading(fill(
        w.overdue,
        &[&OVERDUE_DAYS.to_string()],
    )));
    if stats.overdue.is_empty() {
        blocks.push(Block::Paragraph(inline(w.no_overdue, &[])));
    } else {
        blocks.push(Block::Table(Table {
            headers: vec![
                w.barcode.into(),
                w.tool.into(),
                w.worker.into(),
                w.lent_at.into(),
                w.days_open.into(),
            ],
            numeric: vec![false, false, false, false, true],
            rows: stats
                .overdue
                .iter()
                .map(|l| {
                    vec![
                        l.tool_barcode.clone(),
                        l.tool_name.clone(),
                        l.worker_barcode.clone(),
                        format::naive_time(lang, l.lent_at.naive_utc()),
                        l.days_open.to_string(),
                    ]
                })
                .collect(),
        }));
        let more = stats
            .overdue_count
            .saturating_sub(stats.overdue.len() as u64);
        if more > 0 {
            blocks.push(Block::Paragraph(inline(
                w.more_overdue,
                &[&more.to_string()],
            )));
        }
    }
    blocks
}

/// The totals of the usage section.
fn usage_totals(stats: &UsageStats, lang: Lang) -> Vec<(String, String)> {
    let w = words(lang);
    vec![
        (w.lendings_started.into(), num(stats.lendings_started)),
        (w.lendings_returned.into(), num(stats.lendings_returned)),
        (
            w.consumable_units.into(),
            format::quantity(lang, stats.consumable_units),
        ),
        (
            w.consumable_withdrawals.into(),
            num(stats.consumable_withdrawals),
        ),
        (w.tickets_opened.into(), num(stats.tickets_opened)),
        (w.tickets_closed.into(), num(stats.tickets_closed)),
        (w.active_tools.into(), num(stats.active_tools)),
        (w.active_workers.into(), num(stats.active_workers)),
        (
            fill(w.overdue, &[&OVERDUE_DAYS.to_string()]),
            num(stats.overdue_count),
        ),
    ]
}

/// The per-week (monthly) or per-day (weekly) table and chart.
fn bucket_blocks(stats: &UsageStats, kind: ReportKind, w: &Words, lang: Lang) -> Vec<Block> {
    let (heading, unit) = match kind {
        ReportKind::Monthly => (w.per_week, w.week),
        ReportKind::Weekly => (w.per_day, w.day),
    };
    let labels: Vec<String> = stats
        .buckets
        .iter()
        .map(|b| bucket_label(lang, b.bucket.unit))
        .collect();
    let last_day = |b: &super::period::Bucket| (b.end - chrono::Duration::days(1)).date_naive();
    let table = Table {
        headers: vec![
            unit.into(),
            w.from.into(),
            w.to.into(),
            w.lendings.into(),
            w.returns.into(),
            w.opened.into(),
            w.closed.into(),
        ],
        numeric: vec![false, false, false, true, true, true, true],
        rows: stats
            .buckets
            .iter()
            .zip(&labels)
            .map(|(b, label)| {
                vec![
                    label.clone(),
                    format::date(lang, b.bucket.start.date_naive()),
                    format::date(lang, last_day(&b.bucket)),
                    num(b.lendings_started),
                    num(b.lendings_returned),
                    num(b.tickets_opened),
                    num(b.tickets_closed),
                ]
            })
            .collect(),
    };
    let series = |name: &str, color, pick: fn(&super::usage::UsageBucket) -> u64| Series {
        name: name.into(),
        values: stats.buckets.iter().map(|b| pick(b) as f64).collect(),
        color,
    };
    vec![
        Block::Heading(heading.into()),
        Block::Chart(Chart::Bars {
            title: w.chart_lendings.into(),
            labels: labels.clone(),
            series: vec![
                series(w.lendings, BLUE, |b| b.lendings_started),
                series(w.returns, PURPLE, |b| b.lendings_returned),
            ],
        }),
        Block::Table(table),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_into_text_and_code() {
        assert_eq!(
            inline("run `scandyctl watch` for {}", &["`x`"]),
            vec![
                Inline::Text("run ".into()),
                Inline::Code("scandyctl watch".into()),
                Inline::Text(" for `x`".into()),
            ]
        );
    }
}
