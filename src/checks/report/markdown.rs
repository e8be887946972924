//! The report as Markdown: the same sections and tables as the HTML page, charts as text
//! bars. Every text is stripped of control characters and escaped, so a name from the
//! database can neither break a table nor become HTML or a link in a Markdown viewer.

use std::fmt::Write;

use super::Report;
use super::document::{Block, Chart, Document, Inline, Series, Table, Tone, build_document};
use crate::i18n::Lang;
use crate::sanitize::escape_controls;

/// Widest text bar in characters.
const BAR_WIDTH: f64 = 24.0;

/// Untrusted text made safe for Markdown: control characters made visible, then the
/// characters that would start markup, HTML or a table cell escaped.
pub fn markdown_escape(text: &str) -> String {
    let text = escape_controls(text);
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text for a code span: control characters made visible, backticks cannot end it early.
fn code_span(text: &str) -> String {
    let text = escape_controls(text).replace('`', "'");
    format!("`{text}`")
}

/// The report as Markdown in `lang`.
pub fn render_markdown(report: &Report, lang: Lang) -> String {
    document_markdown(&build_document(report, lang))
}

/// A document as Markdown.
pub fn document_markdown(doc: &Document) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let _ = writeln!(
        out,
        "# {}\n\n**{}**\n",
        markdown_escape(&doc.title),
        markdown_escape(&doc.subtitle)
    );
    out.push_str(&facts_markdown(&doc.fact_headers, &doc.facts));
    let _ = writeln!(out, "**{}:** {}\n", markdown_escape(&doc.contents), {
        doc.sections
            .iter()
            .map(|s| markdown_escape(&s.title))
            .collect::<Vec<_>>()
            .join(" · ")
    });
    for section in &doc.sections {
        let _ = writeln!(out, "## {}\n", markdown_escape(&section.title));
        for block in &section.blocks {
            out.push_str(&block_markdown(block, &doc.fact_headers));
        }
    }
    let _ = writeln!(out, "---\n\n{}", markdown_escape(&doc.footer));
    out
}

/// Running text as Markdown.
fn inline_markdown(parts: &[Inline]) -> String {
    parts
        .iter()
        .map(|part| match part {
            Inline::Text(text) => markdown_escape(text),
            Inline::Code(code) => code_span(code),
        })
        .collect()
}

/// Label and value pairs as a two-column table.
fn facts_markdown(headers: &(String, String), facts: &[(String, String)]) -> String {
    let mut out = format!(
        "| {} | {} |\n|---|---|\n",
        markdown_escape(&headers.0),
        markdown_escape(&headers.1)
    );
    for (label, value) in facts {
        let _ = writeln!(
            out,
            "| {} | {} |",
            markdown_escape(label),
            markdown_escape(value)
        );
    }
    out.push('\n');
    out
}

/// A table with its header row; numeric columns right-aligned.
fn table_markdown(table: &Table) -> String {
    let mut out = String::new();
    let headers: Vec<String> = table.headers.iter().map(|h| markdown_escape(h)).collect();
    let _ = writeln!(out, "| {} |", headers.join(" | "));
    let rule: Vec<&str> = (0..table.headers.len())
        .map(|i| {
            if table.numeric.get(i).copied().unwrap_or(false) {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    let _ = writeln!(out, "|{}|", rule.join("|"));
    for row in &table.rows {
        let cells: Vec<String> = row.iter().map(|c| markdown_escape(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
    out
}

/// A bar of `value` out of `max` in block characters.
fn text_bar(value: f64, max: f64) -> String {
    let cells = if max > 0.0 {
        (value / max * BAR_WIDTH).round() as usize
    } else {
        0
    };
    let cells = if value > 0.0 { cells.max(1) } else { 0 };
    "█".repeat(cells)
}

/// Series as text bars in a code block: one line per label and series.
fn series_bars(title: &str, labels: &[String], series: &[Series]) -> String {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0_f64, f64::max);
    let label_width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let name_width = series
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = format!("*{}*\n\n```text\n", markdown_escape(title));
    for (i, label) in labels.iter().enumerate() {
        for (k, line) in series.iter().enumerate() {
            let value = line.values.get(i).copied().unwrap_or(0.0);
            let shown = if k == 0 { label.as_str() } else { "" };
            let row = format!(
                "{:<label_width$}  {:<name_width$} {:>5} {}",
                escape_controls(shown),
                escape_controls(&line.name),
                super::format::quantity(crate::i18n::Lang::En, value),
                text_bar(value, max)
            );
            let _ = writeln!(out, "{}", row.trim_end());
        }
    }
    out.push_str("```\n\n");
    out
}

/// Block characters of a sparkline, lowest first.
const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One line per series: its values as a sparkline, with the peak.
fn sparklines(title: &str, labels: &[String], series: &[Series]) -> String {
    let name_width = series
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = format!("*{}*\n\n```text\n", markdown_escape(title));
    for line in series {
        let max = line.values.iter().copied().fold(0.0_f64, f64::max);
        let spark: String = line
            .values
            .iter()
            .map(|v| {
                if max <= 0.0 {
                    SPARKS[0]
                } else {
                    SPARKS[((v / max) * 7.0).round().clamp(0.0, 7.0) as usize]
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "{:<name_width$}  {spark}  max {}",
            escape_controls(&line.name),
            super::format::quantity(crate::i18n::Lang::En, max)
        );
    }
    if let (Some(first), Some(last)) = (labels.first(), labels.last()) {
        let _ = writeln!(
            out,
            "{:<name_width$}  {} … {}",
            "",
            escape_controls(first),
            escape_controls(last)
        );
    }
    out.push_str("```\n\n");
    out
}

/// One character per cell by up-time: █ 100 %, ▓ ≥ 99 %, ▒ ≥ 95 %, ░ below, · no data.
fn uptime_strip(title: &str, labels: &[String], values: &[Option<f64>], no_data: &str) -> String {
    let strip: String = values
        .iter()
        .map(|v| match v {
            None => '·',
            Some(p) if *p >= 100.0 => '█',
            Some(p) if *p >= 99.0 => '▓',
            Some(p) if *p >= 95.0 => '▒',
            Some(_) => '░',
        })
        .collect();
    let mut out = format!("*{}*\n\n```text\n{strip}\n", markdown_escape(title));
    if let (Some(first), Some(last)) = (labels.first(), labels.last()) {
        let _ = writeln!(
            out,
            "{} … {}",
            escape_controls(first),
            escape_controls(last)
        );
    }
    let _ = writeln!(
        out,
        "█ 100 %  ▓ ≥ 99 %  ▒ ≥ 95 %  ░ < 95 %  · {}",
        escape_controls(no_data)
    );
    out.push_str("```\n\n");
    out
}

/// A chart as text.
fn chart_markdown(chart: &Chart) -> String {
    match chart {
        Chart::Bars {
            title,
            labels,
            series,
        } => series_bars(title, labels, series),
        Chart::Lines {
            title,
            labels,
            series,
        } => sparklines(title, labels, series),
        Chart::Uptime {
            title,
            labels,
            values,
            no_data,
        } => uptime_strip(title, labels, values, no_data),
    }
}

/// One block as Markdown.
fn block_markdown(block: &Block, fact_headers: &(String, String)) -> String {
    match block {
        Block::Heading(text) => format!("### {}\n\n", markdown_escape(text)),
        Block::Paragraph(parts) => format!("{}\n\n", inline_markdown(parts)),
        Block::Note(Tone::Info, parts) => format!("> {}\n\n", inline_markdown(parts)),
        Block::Note(Tone::Warning, parts) => format!("> **⚠** {}\n\n", inline_markdown(parts)),
        Block::Figures(facts) | Block::Facts(facts) => facts_markdown(fact_headers, facts),
        Block::Table(table) => table_markdown(table),
        Block::Chart(chart) => chart_markdown(chart),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_stays_text() {
        assert_eq!(
            markdown_escape("<script>|[x](y)\u{1b}"),
            "&lt;script&gt;\\|\\[x\\](y)\\\\x1b"
        );
        assert_eq!(code_span("a`b\u{7}"), "`a'b\\x07`");
        assert_eq!(text_bar(5.0, 10.0), "█".repeat(12));
        assert_eq!(text_bar(0.1, 100.0), "█");
        assert_eq!(text_bar(0.0, 0.0), "");
    }
}
