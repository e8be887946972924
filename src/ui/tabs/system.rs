//! System tab: CPU (total, per core, ten-minute chart), memory and swap, load, uptime, disk
//! and network throughput; every filesystem with the backup, MongoDB and Scandy mounts
//! marked; Scandy's services with `/health` and MongoDB; the top processes.

pub mod processes;
pub mod services;
pub mod storage;
pub mod view;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

use self::view::SystemView;
use crate::backup::inventory::human_age;
use crate::i18n::{Lang, Msg};
use crate::system::disk::human_bytes;
use crate::system::metrics::SystemSample;
use crate::ui::state::State;
use crate::ui::theme;

/// Draws the System tab into `area`.
pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let view = &state.system;
    let Some(sample) = view.latest.as_deref() else {
        frame.render_widget(
            Paragraph::new(Msg::SysSampling.text(lang)).style(theme::muted()),
            area,
        );
        return;
    };
    let jobs_height = crate::ui::job_list::height(state).min(area.height / 4 + 1);
    let core_rows = core_lines(sample, area.width).len() as u16;
    let fs_height = storage::height(sample);
    let svc_height = services::height(view);
    let [
        cpu_head,
        cpu_chart,
        cores,
        mem_head,
        mem_chart,
        fs,
        svc,
        procs,
        jobs,
    ] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Length(core_rows),
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(fs_height),
        Constraint::Length(svc_height),
        Constraint::Min(3),
        Constraint::Length(jobs_height),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(cpu_line(lang, sample)), cpu_head);
    draw_chart(
        frame,
        cpu_chart,
        view.history.cpu.values().map(|v| f64::from(*v)),
        theme::ok(),
    );
    frame.render_widget(Paragraph::new(core_lines(sample, area.width)), cores);
    frame.render_widget(Paragraph::new(memory_line(lang, sample)), mem_head);
    draw_chart(
        frame,
        mem_chart,
        view.history.memory.values().map(|v| f64::from(*v)),
        theme::label(),
    );
    storage::draw(frame, fs, lang, sample);
    services::draw(frame, svc, state);
    processes::draw(frame, procs, lang, sample, view.sort_by_memory);
    if jobs_height > 0 {
        crate::ui::job_list::draw(frame, jobs, state);
    }
}

/// A percent history (0..=100) as a sparkline, the newest value at the right.
fn draw_chart(
    frame: &mut Frame,
    area: Rect,
    values: impl Iterator<Item = f64>,
    style: ratatui::style::Style,
) {
    let values: Vec<u64> = values
        .map(|v| (v.clamp(0.0, 100.0) * 10.0) as u64)
        .collect();
    let width = usize::from(area.width);
    let shown = &values[values.len().saturating_sub(width)..];
    frame.render_widget(
        Sparkline::default().data(shown).max(1000).style(style),
        area,
    );
}

fn cpu_line(lang: Lang, sample: &SystemSample) -> Line<'static> {
    let load = sample.load;
    Line::from(vec![
        Span::styled(format!("{:<8}", Msg::SysCpu.text(lang)), theme::label()),
        Span::styled(
            format!("{:5.1} %", sample.cpu_total),
            percent_style(f64::from(sample.cpu_total)),
        ),
        Span::raw(format!(
            " · {} · {} {:.2} {:.2} {:.2} · {}",
            Msg::SysCores.fill(lang, &[&sample.cpu_per_core.len().to_string()]),
            Msg::SysLoad.text(lang),
            load[0],
            load[1],
            load[2],
            Msg::SysUptime.fill(
                lang,
                &[&human_age(chrono::Duration::seconds(
                    i64::try_from(sample.uptime_secs).unwrap_or(i64::MAX)
                ))]
            ),
        )),
        Span::styled(
            format!("   {}", Msg::SysChartSpan.text(lang)),
            theme::muted(),
        ),
    ])
}

/// Per-core usage as short bars, as many per line as fit.
fn core_lines(sample: &SystemSample, width: u16) -> Vec<Line<'static>> {
    const CELL: usize = 18;
    let per_line = (usize::from(width) / CELL).max(1);
    sample
        .cpu_per_core
        .chunks(per_line)
        .enumerate()
        .map(|(row, chunk)| {
            let spans: Vec<Span> = chunk
                .iter()
                .enumerate()
                .flat_map(|(i, usage)| {
                    let index = row * per_line + i;
                    let value = f64::from(*usage);
                    vec![
                        Span::styled(format!("{index:>3} "), theme::muted()),
                        Span::styled(bar(value, 8), percent_style(value)),
                        Span::raw(format!(" {value:3.0}% ")),
                    ]
                })
                .collect();
            Line::from(spans)
        })
        .collect()
}

fn memory_line(lang: Lang, sample: &SystemSample) -> Line<'static> {
    let used = percent(sample.memory_used, sample.memory_total);
    let mut spans = vec![
        Span::styled(format!("{:<8}", Msg::SysMemory.text(lang)), theme::label()),
        Span::styled(
            Msg::SysOf.fill(
                lang,
                &[
                    &human_bytes(sample.memory_used),
                    &human_bytes(sample.memory_total),
                ],
            ),
            percent_style(used),
        ),
        Span::raw(format!(" ({used:.0} %)")),
    ];
    if sample.swap_total > 0 {
        spans.push(Span::raw(format!(
            " · {} {}",
            Msg::SysSwap.text(lang),
            Msg::SysOf.fill(
                lang,
                &[
                    &human_bytes(sample.swap_used),
                    &human_bytes(sample.swap_total)
                ]
            )
        )));
    }
    if let Some(io) = sample.disk_io {
        spans.push(Span::raw(format!(
            " · {} r {}/s w {}/s",
            Msg::SysDisk.text(lang),
            human_bytes(io.read_per_sec as u64),
            human_bytes(io.write_per_sec as u64)
        )));
    }
    if let Some(net) = sample.network {
        spans.push(Span::raw(format!(
            " · {} ↓ {}/s ↑ {}/s",
            Msg::SysNetwork.text(lang),
            human_bytes(net.read_per_sec as u64),
            human_bytes(net.write_per_sec as u64)
        )));
    }
    Line::from(spans)
}

/// `part` of `total` in percent (0 when the total is 0).
pub fn percent(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 * 100.0 / total as f64
    }
}

/// A bar of `width` cells filled to `value` percent.
pub fn bar(value: f64, width: usize) -> String {
    let filled = ((value.clamp(0.0, 100.0) / 100.0) * width as f64).round() as usize;
    format!(
        "{}{}",
        "█".repeat(filled),
        "░".repeat(width - filled.min(width))
    )
}

/// Green below 85 %, yellow below 95 %, red above.
pub fn percent_style(value: f64) -> ratatui::style::Style {
    if value >= 95.0 {
        theme::bad()
    } else if value >= 85.0 {
        theme::warn()
    } else {
        theme::ok()
    }
}

/// The System tab's view of a fresh state (used by tests and the console start).
pub fn empty_view(refresh: std::time::Duration) -> SystemView {
    SystemView::new(refresh)
}
