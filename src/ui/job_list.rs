//! The job list on the Backups and Database tabs: running jobs with a progress bar, throughput and ETA,
//! finished ones with their outcome and messages, newest first.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::backup::progress::Progress;
use crate::i18n::{Lang, Msg};
use crate::jobs::record::clock;
use crate::jobs::{JobRecord, JobSpec, JobStatus};
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;
use crate::ui::job_text::{item_unit, job_title, result_text, stage_text};
use crate::ui::state::State;
use crate::ui::theme;
use crate::ui::widgets::wrap::wrap;

/// Most job lines shown.
const MAX_LINES: usize = 8;
/// Most lines of an outcome or failure message shown.
const DETAIL_LINES: usize = 2;
/// Width of the progress bar in cells.
const BAR: usize = 20;

/// Lines the job list needs (0 when no job ran yet).
pub fn height(state: &State) -> u16 {
    if state.jobs.is_empty() {
        return 0;
    }
    let width = usize::from(state.size.0.saturating_sub(4));
    let lines: usize = state
        .jobs
        .iter()
        .map(|job| job_lines(state.lang, job, state.now, width).len())
        .sum();
    lines.min(MAX_LINES) as u16 + 1
}

/// Draws the job list into `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let running = state.jobs.iter().filter(|j| j.is_running()).count();
    let block = Block::new()
        .borders(Borders::TOP)
        .title(format!(
            " {} ",
            Msg::JobsTitle.fill(lang, &[&running.to_string(), &state.jobs.len().to_string()])
        ))
        .title(Line::styled(format!(" {} ", hints(state)), theme::muted()).right_aligned());
    let width = usize::from(area.width.saturating_sub(4));
    let mut lines: Vec<Line> = state
        .jobs
        .iter()
        .rev()
        .flat_map(|job| job_lines(lang, job, state.now, width))
        .collect();
    lines.truncate(usize::from(area.height.saturating_sub(1)));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The keys for the job list on the visible tab (`d` dismisses on the Backups tab).
fn hints(state: &State) -> &'static str {
    if state.tab == crate::ui::tab::Tab::Backups {
        Msg::JobsHintsBackups.text(state.lang)
    } else {
        Msg::JobsHints.text(state.lang)
    }
}

/// The lines of one job (also shown on the Recovery tab): its status line, then (wrapped) outcome or failure and its last
/// message.
pub fn job_lines(lang: Lang, job: &JobRecord, now: Instant, width: usize) -> Vec<Line<'static>> {
    let (first, detail) = match &job.status {
        JobStatus::Succeeded(result) => {
            let (text, good) = result_text(lang, result);
            let style = if good { Style::new() } else { theme::bad() };
            let inline = result_line(lang, job, now, good, Some((&text, style)));
            if inline.width() <= width + 4 {
                (inline, None)
            } else {
                (result_line(lang, job, now, good, None), Some((text, style)))
            }
        }
        JobStatus::Failed(message) => (
            job_line(lang, job, now),
            Some((message.clone(), theme::bad())),
        ),
        JobStatus::Interrupted(reason) => {
            let mut text = reason.clone();
            if let Some(worker) = &job.worker {
                let log = Msg::JobLog.fill(lang, &[&worker.log.display().to_string()]);
                text = if text.is_empty() {
                    log
                } else {
                    format!("{text}; {log}")
                };
            }
            (job_line(lang, job, now), Some((text, theme::bad())))
        }
        _ => (job_line(lang, job, now), None),
    };
    let mut lines = vec![first];
    if let Some((text, style)) = detail {
        for part in wrap(&escape_controls(&text), width)
            .into_iter()
            .take(DETAIL_LINES)
        {
            lines.push(Line::styled(format!("    {part}"), style));
        }
    }
    if let Some(message) = job.messages.last() {
        lines.push(Line::styled(
            format!("    {}", escape_controls(message)),
            theme::muted(),
        ));
    }
    lines
}

fn job_line(lang: Lang, job: &JobRecord, now: Instant) -> Line<'static> {
    let title = job_title(lang, job);
    let elapsed = clock(job.elapsed(now));
    match &job.status {
        JobStatus::Running => {
            let mut spans = vec![Span::styled("▶ ", theme::warn()), Span::raw(title)];
            if job.cancel_requested {
                spans.push(Span::styled(
                    format!(" · {}", Msg::JobCancelling.text(lang)),
                    theme::warn(),
                ));
            }
            if let Some(progress) = job.progress {
                spans.push(Span::raw(" · "));
                spans.extend(progress_spans(lang, job, &progress, now));
            } else {
                spans.push(Span::styled(
                    format!(" · {}", Msg::JobStarting.text(lang)),
                    theme::muted(),
                ));
            }
            spans.push(Span::styled(format!(" · {elapsed}"), theme::muted()));
            Line::from(spans)
        }
        JobStatus::Succeeded(result) => {
            result_line(lang, job, now, result_text(lang, result).1, None)
        }
        JobStatus::Failed(_) => Line::from(vec![
            Span::styled("✗ ", theme::bad()),
            Span::raw(format!("{title}: ")),
            Span::styled(failed_text(lang, job), theme::bad()),
            Span::styled(format!(" · {elapsed}"), theme::muted()),
        ]),
        JobStatus::Interrupted(_) => Line::from(vec![
            Span::styled("✗ ", theme::bad()),
            Span::raw(format!("{title}: ")),
            Span::styled(Msg::JobInterrupted.text(lang), theme::bad()),
            Span::styled(format!(" · {elapsed}"), theme::muted()),
        ]),
        JobStatus::Cancelled => Line::from(vec![
            Span::styled("⊘ ", theme::warn()),
            Span::raw(format!("{title}: ")),
            Span::styled(Msg::JobCancelled.text(lang), theme::warn()),
        ]),
    }
}

/// "✓ #2 verify (quick) ID: ok · 0:02"; the outcome text is left out when it goes below.
fn result_line(
    lang: Lang,
    job: &JobRecord,
    now: Instant,
    good: bool,
    text: Option<(&str, Style)>,
) -> Line<'static> {
    let (mark, mark_style) = if good {
        ("✓ ", theme::ok())
    } else {
        ("✗ ", theme::bad())
    };
    let mut spans = vec![
        Span::styled(mark, mark_style),
        Span::raw(job_title(lang, job)),
    ];
    if let Some((text, style)) = text {
        spans.push(Span::raw(": "));
        spans.push(Span::styled(escape_controls(text).into_owned(), style));
    }
    spans.push(Span::styled(
        format!(" · {}", clock(job.elapsed(now))),
        theme::muted(),
    ));
    Line::from(spans)
}

fn progress_spans(lang: Lang, job: &JobRecord, p: &Progress, now: Instant) -> Vec<Span<'static>> {
    let mut spans = vec![Span::styled(stage_text(lang, p.stage), theme::label())];
    if let Some(fraction) = p.fraction() {
        let filled = ((fraction * BAR as f64).round() as usize).min(BAR);
        spans.push(Span::raw(" "));
        spans.push(Span::styled("█".repeat(filled), theme::ok()));
        spans.push(Span::styled("░".repeat(BAR - filled), theme::muted()));
        spans.push(Span::raw(format!(
            " {:>3}%",
            (fraction * 100.0).floor() as u64
        )));
    }
    let mut counters = Vec::new();
    if p.items > 0 || p.items_total > 0 {
        let unit = item_unit(lang, p.stage);
        counters.push(if p.items_total > 0 {
            format!("{} / {} {unit}", p.items, p.items_total)
        } else {
            format!("{} {unit}", p.items)
        });
    }
    if p.bytes > 0 {
        counters.push(if p.bytes_total > 0 {
            format!("{} / {}", human_bytes(p.bytes), human_bytes(p.bytes_total))
        } else {
            human_bytes(p.bytes)
        });
    }
    if let Some((bytes, _)) = job.throughput(now)
        && bytes > 0.0
    {
        counters.push(format!("{}/s", human_bytes(bytes as u64)));
    }
    if let Some(eta) = job.eta(now) {
        counters.push(Msg::JobEta.fill(lang, &[&clock(eta)]));
    }
    if !counters.is_empty() {
        spans.push(Span::raw(format!(" · {}", counters.join(" · "))));
    }
    spans
}

/// "failed; nothing half-done was kept" for backup jobs, plain "failed" for maintenance
/// (the server either ran the command or refused it).
fn failed_text(lang: Lang, job: &JobRecord) -> &'static str {
    match job.spec {
        JobSpec::Db(_) | JobSpec::RestartService { .. } => Msg::JobDbFailed.text(lang),
        _ => Msg::JobFailed.text(lang),
    }
}
