//! The document sections after the usage statistics: error analysis, availability,
//! backups, maintenance log and alerts.

use super::Gathered;
use super::availability::AvailabilityStats;
use super::backups::{BackupRow, BackupSummary, VerifyState};
use super::document::{AMBER, Block, Chart, RED, Series, Table, Tone, inline, num};
use super::errors::ErrorAnalysis;
use super::format::{self, day_label};
use super::journal::{AlertSummary, EntryRow, MaintenanceSummary};
use super::words::{fill, words};
use crate::i18n::Lang;

/// The error analysis section.
pub fn error_blocks(errors: &Gathered<ErrorAnalysis>, lang: Lang) -> Vec<Block> {
    let w = words(lang);
    let analysis = match errors {
        Gathered::Ok(analysis) => analysis,
        Gathered::Unavailable(reason) => {
            return vec![Block::Note(
                Tone::Warning,
                inline(w.logs_unavailable, &[reason]),
            )];
        }
    };
    if analysis.sources.is_empty() {
        return vec![Block::Note(Tone::Warning, inline(w.no_logs, &[]))];
    }
    let mut blocks = vec![Block::Paragraph(inline(
        w.sources_read,
        &[&analysis.sources.join(", ")],
    ))];
    for problem in &analysis.unreadable {
        blocks.push(Block::Note(Tone::Warning, inline(w.unreadable, &[problem])));
    }
    blocks.push(Block::Facts(vec![
        (w.error_count.into(), num(analysis.errors)),
        (w.warning_count.into(), num(analysis.warnings)),
        (w.kinds.into(), num(analysis.kind_count as u64)),
    ]));
    if analysis.kinds.is_empty() {
        blocks.push(Block::Paragraph(inline(w.no_errors, &[])));
        return blocks;
    }
    blocks.push(Block::Heading(w.kinds_title.into()));
    let time = |t: Option<chrono::NaiveDateTime>| {
        t.map_or_else(String::new, |t| format::naive_time(lang, t))
    };
    blocks.push(Block::Table(Table {
        headers: vec![
            w.level.into(),
            w.count.into(),
            w.first_seen.into(),
            w.last_seen.into(),
            w.message_pattern.into(),
        ],
        numeric: vec![false, true, false, false, false],
        rows: analysis
            .kinds
            .iter()
            .map(|k| {
                vec![
                    k.level.label().to_string(),
                    num(k.count),
                    time(k.first),
                    time(k.last),
                    k.shape.clone(),
                ]
            })
            .collect(),
    }));
    let more = analysis.kind_count.saturating_sub(analysis.kinds.len());
    if more > 0 {
        blocks.push(Block::Paragraph(inline(w.more_kinds, &[&more.to_string()])));
    }
    let labels: Vec<String> = analysis
        .per_day
        .iter()
        .map(|d| day_label(lang, d.day))
        .collect();
    blocks.push(Block::Heading(w.trend.into()));
    blocks.push(Block::Chart(Chart::Lines {
        title: w.chart_errors.into(),
        labels: labels.clone(),
        series: vec![
            Series {
                name: w.error_count.into(),
                values: analysis.per_day.iter().map(|d| d.errors as f64).collect(),
                color: RED,
            },
            Series {
                name: w.warning_count.into(),
                values: analysis.per_day.iter().map(|d| d.warnings as f64).collect(),
                color: AMBER,
            },
        ],
    }));
    blocks.push(Block::Table(Table {
        headers: vec![w.day.into(), w.error_count.into(), w.warning_count.into()],
        numeric: vec![false, true, true],
        rows: analysis
            .per_day
            .iter()
            .filter(|d| d.errors + d.warnings > 0)
            .map(|d| vec![format::date(lang, d.day), num(d.errors), num(d.warnings)])
            .collect(),
    }));
    blocks
}

/// The availability section.
pub fn availability_blocks(stats: &AvailabilityStats, lang: Lang) -> Vec<Block> {
    let w = words(lang);
    if stats.points == 0 {
        return vec![Block::Note(Tone::Warning, inline(w.no_history, &[]))];
    }
    let up = |u: Option<super::availability::UpTime>| match u {
        Some(u) => fill(
            w.down_of,
            &[
                &format::percent(lang, u.percent),
                &u.down.to_string(),
                &u.checked.to_string(),
            ],
        ),
        None => w.not_recorded.into(),
    };
    let ms = |v: Option<u64>| v.map_or_else(|| w.not_recorded.to_string(), |v| format!("{v} ms"));
    let load = |l: Option<super::availability::Load>| match l {
        Some(l) => format!(
            "{} / {}",
            format::percent(lang, l.average),
            format::percent(lang, l.peak)
        ),
        None => w.not_recorded.into(),
    };
    let mut blocks = vec![
        Block::Facts(vec![
            (
                w.history_points.into(),
                fill(
                    w.coverage,
                    &[
                        &stats.points.to_string(),
                        &format::percent(lang, stats.coverage_percent),
                    ],
                ),
            ),
            (w.health_up.into(), up(stats.health)),
            (w.mongo_up.into(), up(stats.mongo)),
            (w.health_median.into(), ms(stats.health_ms_median)),
            (w.health_p95.into(), ms(stats.health_ms_p95)),
            (w.cpu.into(), load(stats.cpu)),
            (w.memory.into(), load(stats.memory)),
        ]),
        Block::Chart(Chart::Uptime {
            title: w.chart_uptime.into(),
            labels: stats
                .per_day
                .iter()
                .map(|d| day_label(lang, d.day))
                .collect(),
            values: stats
                .per_day
                .iter()
                .map(|d| d.health.map(|h| h.percent))
                .collect(),
            no_data: w.no_data.into(),
        }),
    ];
    let down =
        |u: Option<super::availability::UpTime>| u.map_or_else(|| "–".to_string(), |u| num(u.down));
    blocks.push(Block::Table(Table {
        headers: vec![
            w.day.into(),
            w.points.into(),
            w.health_down.into(),
            w.mongo_down.into(),
        ],
        numeric: vec![false, true, true, true],
        rows: stats
            .per_day
            .iter()
            .filter(|d| d.points > 0)
            .map(|d| {
                vec![
                    format::date(lang, d.day),
                    num(d.points),
                    down(d.health),
                    down(d.mongo),
                ]
            })
            .collect(),
    }));
    blocks.push(Block::Paragraph(inline(w.history_utc, &[])));
    blocks
}

/// The words for a verification state.
fn verify_word(lang: Lang, state: VerifyState) -> &'static str {
    let w = words(lang);
    match state {
        VerifyState::Ok => w.verify_ok,
        VerifyState::Failed => w.verify_failed,
        VerifyState::Never => w.verify_never,
    }
}

/// The backup section.
pub fn backup_blocks(backups: &Gathered<BackupSummary>, lang: Lang) -> Vec<Block> {
    let w = words(lang);
    let summary = match backups {
        Gathered::Ok(summary) => summary,
        Gathered::Unavailable(reason) => {
            return vec![Block::Note(
                Tone::Warning,
                inline(w.backups_unavailable, &[reason]),
            )];
        }
    };
    let kinds = if summary.by_kind.is_empty() {
        "–".to_string()
    } else {
        summary
            .by_kind
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let newest = match &summary.newest_good {
        Some(row) => fill(
            w.newest_good_text,
            &[
                &row.id,
                &format::utc_time(lang, row.created_at),
                &row.verified_at
                    .map_or_else(String::new, |t| format::utc_time(lang, t)),
            ],
        ),
        None => w.no_good.into(),
    };
    let mut blocks = vec![Block::Facts(vec![
        (w.backup_dir.into(), summary.dir.clone()),
        (w.sets_created.into(), num(summary.created.len() as u64)),
        (w.by_kind.into(), kinds),
        (w.total_size.into(), format::bytes(lang, summary.total_size)),
        (
            w.verified.into(),
            format!(
                "{} / {} / {}",
                summary.verified_ok, summary.verified_failed, summary.never_verified
            ),
        ),
        (w.newest_good.into(), newest),
    ])];
    if summary.unreadable > 0 {
        blocks.push(Block::Note(
            Tone::Warning,
            inline(w.unreadable_sets, &[&summary.unreadable.to_string()]),
        ));
    }
    if summary.created.is_empty() {
        blocks.push(Block::Paragraph(inline(w.no_backups, &[])));
        return blocks;
    }
    let row = |r: &BackupRow| {
        vec![
            r.id.clone(),
            r.kind.clone(),
            format::utc_time(lang, r.created_at),
            format::bytes(lang, r.size),
            if r.encrypted { w.yes } else { w.no }.to_string(),
            verify_word(lang, r.verification).to_string(),
        ]
    };
    blocks.push(Block::Table(Table {
        headers: vec![
            w.set.into(),
            w.kind.into(),
            w.created.into(),
            w.size.into(),
            w.encrypted.into(),
            w.verification.into(),
        ],
        numeric: vec![false, false, false, true, false, false],
        rows: summary.created.iter().map(row).collect(),
    }));
    blocks
}

/// A table of maintenance log entries.
fn entry_table(entries: &[EntryRow], lang: Lang, with_kind: bool) -> Table {
    let w = words(lang);
    let mut headers = vec![w.time.to_string()];
    if with_kind {
        headers.push(w.kind.into());
    }
    headers.extend([w.who.to_string(), w.what.to_string()]);
    Table {
        numeric: vec![false; headers.len()],
        headers,
        rows: entries
            .iter()
            .map(|e| {
                let mut row = vec![format::utc_time(lang, e.at)];
                if with_kind {
                    row.push(e.kind.clone());
                }
                row.extend([e.actor.clone(), e.title.clone()]);
                row
            })
            .collect(),
    }
}

/// The maintenance log section.
pub fn maintenance_blocks(log: &MaintenanceSummary, lang: Lang) -> Vec<Block> {
    let w = words(lang);
    if log.total == 0 {
        return vec![Block::Paragraph(inline(w.no_entries, &[]))];
    }
    let mut blocks = vec![Block::Facts(
        std::iter::once((w.entries_total.to_string(), num(log.total)))
            .chain(
                log.groups
                    .iter()
                    .map(|g| (g.kind.clone(), num(g.entries.len() as u64))),
            )
            .collect(),
    )];
    for group in &log.groups {
        blocks.push(Block::Heading(format!(
            "{} ({})",
            group.kind,
            group.entries.len()
        )));
        blocks.push(Block::Table(entry_table(&group.entries, lang, false)));
    }
    blocks
}

/// The alerts section.
pub fn alert_blocks(alerts: &AlertSummary, lang: Lang) -> Vec<Block> {
    let w = words(lang);
    let mut blocks = Vec::new();
    if alerts.history.is_empty() {
        blocks.push(Block::Note(Tone::Info, inline(w.no_alert_history, &[])));
    } else {
        blocks.push(Block::Heading(w.alert_history.into()));
        blocks.push(Block::Table(entry_table(&alerts.history, lang, true)));
    }
    if let Some(problem) = &alerts.rules_problem {
        blocks.push(Block::Note(
            Tone::Warning,
            inline(w.rules_problem, &[problem]),
        ));
    }
    let Some(rules) = &alerts.rules else {
        if alerts.rules_problem.is_none() {
            blocks.push(Block::Paragraph(inline(w.rules_not_loaded, &[])));
        }
        return blocks;
    };
    let threshold = |v: Option<f64>| v.map_or_else(String::new, |v| format::quantity(lang, v));
    blocks.push(Block::Heading(w.configured_rules.into()));
    blocks.push(Block::Table(Table {
        headers: vec![
            w.rule.into(),
            w.metric.into(),
            w.warning.into(),
            w.critical.into(),
            w.priority.into(),
            w.enabled.into(),
        ],
        numeric: vec![false, false, true, true, false, false],
        rows: rules
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.metric.clone(),
                    threshold(r.warning),
                    threshold(r.critical),
                    r.priority.clone().unwrap_or_default(),
                    if r.enabled { w.yes } else { w.no }.to_string(),
                ]
            })
            .collect(),
    }));
    blocks
}
