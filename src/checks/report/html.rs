//! The report as one self-contained HTML page: inline CSS (with a print layout), inline
//! SVG charts, no scripts and no external resources. Every text is stripped of control
//! characters and HTML-escaped.

use std::fmt::Write;

use super::Report;
use super::document::{Block, Document, Inline, Table, Tone, build_document};
use super::svg::chart_svg;
use crate::i18n::Lang;
use crate::sanitize::escape_controls;

/// The page's style sheet.
const CSS: &str = "\
:root{--fg:#1d2630;--muted:#5b6773;--line:#d5dbe1;--accent:#1f6feb;--warn:#b26a00;--soft:#f4f6f8}
*{box-sizing:border-box}
body{margin:0;background:var(--soft);color:var(--fg);font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}
main{max-width:1000px;margin:0 auto;padding:28px 32px;background:#fff}
header h1{margin:0 0 2px;font-size:26px}
header .subtitle{margin:0 0 14px;font-size:18px;color:var(--accent)}
h2{margin:28px 0 10px;padding-bottom:4px;border-bottom:2px solid var(--line);font-size:20px}
h3{margin:18px 0 6px;font-size:15px}
nav ol{margin:6px 0 0;padding-left:20px;columns:2}
nav a{color:var(--accent);text-decoration:none}
table{width:100%;border-collapse:collapse;margin:6px 0 14px}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.facts th{width:38%;background:none;font-weight:500;color:var(--muted)}
td{overflow-wrap:anywhere}
code{font:12.5px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--soft);padding:1px 4px;border-radius:3px}
.note{margin:8px 0;padding:8px 12px;border-left:4px solid var(--accent);background:#eef4ff}
.note.warning{border-color:var(--warn);background:#fff6e0}
.figures{display:grid;grid-template-columns:repeat(4,1fr);gap:8px;margin:6px 0 10px}
.figure{border:1px solid var(--line);border-radius:6px;padding:8px 12px}
.figure .label{color:var(--muted);font-size:12px}
.figure .value{font-size:22px;font-weight:600}
svg.chart{display:block;width:100%;height:auto;margin:6px 0 10px}
svg .chart-title{font-size:13px;font-weight:600;fill:var(--fg)}
svg .legend,svg .axis{font-size:11px;fill:var(--muted)}
svg .value{font-size:10px;fill:var(--fg)}
footer{margin-top:28px;color:var(--muted);font-size:12px}
@media print{
@page{margin:14mm}
body{background:#fff;font-size:10.5pt}
main{max-width:none;padding:0}
nav{display:none}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
h2,h3{break-after:avoid}
table,svg.chart,.figures,.note{break-inside:avoid}
tr{break-inside:avoid}
a{color:inherit}
}
";

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by entities.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Untrusted text made safe for HTML: control characters made visible, then escaped.
pub fn safe_text(text: &str) -> String {
    html_escape(&escape_controls(text))
}

/// The report as one HTML page in `lang`.
pub fn render_html(report: &Report, lang: Lang) -> String {
    document_html(&build_document(report, lang))
}

/// A document as one HTML page.
pub fn document_html(doc: &Document) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} – {}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n<header>\n\
         <h1>{}</h1>\n<p class=\"subtitle\">{}</p>\n",
        doc.lang,
        safe_text(&doc.title),
        safe_text(&doc.subtitle),
        safe_text(&doc.title),
        safe_text(&doc.subtitle)
    );
    out.push_str(&facts_table(&doc.facts));
    out.push_str("</header>\n<nav>\n");
    let _ = writeln!(out, "<h2>{}</h2>\n<ol>", safe_text(&doc.contents));
    for section in &doc.sections {
        let _ = writeln!(
            out,
            "<li><a href=\"#{}\">{}</a></li>",
            section.id,
            safe_text(&section.title)
        );
    }
    out.push_str("</ol>\n</nav>\n");
    for section in &doc.sections {
        let _ = writeln!(
            out,
            "<section id=\"{}\">\n<h2>{}</h2>",
            section.id,
            safe_text(&section.title)
        );
        for block in &section.blocks {
            out.push_str(&block_html(block));
        }
        out.push_str("</section>\n");
    }
    let _ = write!(
        out,
        "<footer>{}</footer>\n</main>\n</body>\n</html>\n",
        safe_text(&doc.footer)
    );
    out
}

/// Running text as HTML.
fn inline_html(parts: &[Inline]) -> String {
    parts
        .iter()
        .map(|part| match part {
            Inline::Text(text) => safe_text(text),
            Inline::Code(code) => format!("<code>{}</code>", safe_text(code)),
        })
        .collect()
}

/// Label and value pairs as a two-column table.
fn facts_table(facts: &[(String, String)]) -> String {
    let mut out = String::from("<table class=\"facts\">\n<tbody>\n");
    for (label, value) in facts {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
            safe_text(label),
            safe_text(value)
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// A table with a header row; numeric columns right-aligned.
fn table_html(table: &Table) -> String {
    let class = |i: usize| {
        if table.numeric.get(i).copied().unwrap_or(false) {
            " class=\"num\""
        } else {
            ""
        }
    };
    let mut out = String::from("<table>\n<thead>\n<tr>");
    for (i, header) in table.headers.iter().enumerate() {
        let _ = write!(
            out,
            "<th scope=\"col\"{}>{}</th>",
            class(i),
            safe_text(header)
        );
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let _ = write!(out, "<td{}>{}</td>", class(i), safe_text(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// One block as HTML.
fn block_html(block: &Block) -> String {
    match block {
        Block::Heading(text) => format!("<h3>{}</h3>\n", safe_text(text)),
        Block::Paragraph(parts) => format!("<p>{}</p>\n", inline_html(parts)),
        Block::Note(tone, parts) => format!(
            "<p class=\"note{}\">{}</p>\n",
            match tone {
                Tone::Info => "",
                Tone::Warning => " warning",
            },
            inline_html(parts)
        ),
        Block::Figures(figures) => {
            let mut out = String::from("<div class=\"figures\">\n");
            for (label, value) in figures {
                let _ = writeln!(
                    out,
                    "<div class=\"figure\"><div class=\"label\">{}</div><div class=\"value\">{}</div></div>",
                    safe_text(label),
                    safe_text(value)
                );
            }
            out.push_str("</div>\n");
            out
        }
        Block::Facts(facts) => facts_table(facts),
        Block::Table(table) => table_html(table),
        Block::Chart(chart) => format!("{}\n", chart_svg(chart)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            html_escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(safe_text("<script>\u{1b}[2J"), "&lt;script&gt;\\x1b[2J");
    }
}
