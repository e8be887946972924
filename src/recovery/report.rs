//! The incident report (step 8): Markdown and HTML with the timeline, the findings and
//! their evidence, the backup used, the data-loss window, the restore figures, the
//! verification and the prevention notes; stored in the state directory and listed in the
//! maintenance log.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use color_eyre::eyre::Result;

use super::model::CheckLevel;
use super::wizard::Wizard;
use crate::maintenance_log::{MaintenanceEntry, append_entry};

/// The directory of the reports in `state_dir`.
pub fn reports_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("incidents")
}

/// Text from files or servers made safe for a Markdown line (controls escaped, no newlines).
fn line(text: &str) -> String {
    crate::sanitize::escape_controls(text).replace('|', "\\|")
}

/// The report as Markdown.
pub fn render_markdown(w: &Wizard) -> String {
    let mut out = String::new();
    let incident = w.incident.map_or("no incident", |k| k.title());
    let _ = writeln!(out, "# Incident report {}\n", w.id);
    let _ = writeln!(
        out,
        "- Incident: **{incident}**{}",
        if w.corrected {
            " (corrected by the admin)"
        } else {
            ""
        }
    );
    if let Some(p) = w.priority {
        let _ = writeln!(out, "- Priority: {}", p.as_str());
    }
    let _ = writeln!(
        out,
        "- Started: {}",
        w.started_at.format("%Y-%m-%d %H:%M:%S UTC")
    );
    if let Some(last) = w.timeline.last() {
        let _ = writeln!(
            out,
            "- Last step: {}",
            last.at.format("%Y-%m-%d %H:%M:%S UTC")
        );
    }
    if let Some(d) = &w.diagnosis {
        let _ = writeln!(out, "- Diagnosis: {}", line(&d.summary_line()));
    }
    out.push_str("\n## Findings\n\n");
    if let Some(d) = &w.diagnosis {
        for f in &d.findings {
            let _ = writeln!(out, "- [{}] {} {}", f.level.as_str(), f.id, line(&f.title));
            for e in f.evidence.iter().filter(|e| !e.is_empty()) {
                let _ = writeln!(out, "  - {}", line(e));
            }
        }
    }
    out.push_str("\n## Recovery point\n\n");
    match &w.point {
        Some(p) => {
            let _ = writeln!(
                out,
                "- Backup used: {} (taken {}, deep verify passed {})",
                p.id(),
                p.reference.created_at.format("%Y-%m-%d %H:%M UTC"),
                p.verified_at.format("%Y-%m-%d %H:%M UTC")
            );
            for s in &p.skipped {
                let _ = writeln!(out, "- Passed over {}: {}", s.id, line(&s.reason));
            }
        }
        None => out.push_str("- none (no restore)\n"),
    }
    if let Some(window) = &w.window {
        let _ = writeln!(
            out,
            "- Data-loss window: {} to {} ({} min)",
            window.from.format("%Y-%m-%d %H:%M UTC"),
            window.to.format("%Y-%m-%d %H:%M UTC"),
            window.minutes()
        );
        if !window.live_read {
            out.push_str(
                "- Changes since the backup: unknown (the live database could not be read)\n",
            );
        } else if !window.changed_collections.is_empty() {
            let _ = writeln!(
                out,
                "- Changed since the backup (still holding data): {}",
                line(&window.changed_collections.join(", "))
            );
        }
    }
    out.push_str("\n## Restore\n\n");
    if let Some(scope) = &w.scope {
        let _ = writeln!(out, "- Restored: {}", line(&scope.describe()));
        if !scope.not_in_backup.is_empty() {
            let _ = writeln!(
                out,
                "- Not in the backup: {}",
                line(&scope.not_in_backup.join(", "))
            );
        }
    }
    match &w.safety {
        Some(super::wizard::SafetyDecision::Take) => {}
        Some(super::wizard::SafetyDecision::Skipped { reason }) => {
            let _ = writeln!(out, "- Safety backup skipped: {}", line(reason));
        }
        Some(super::wizard::SafetyDecision::NotPossible { why }) => {
            let _ = writeln!(out, "- No safety backup: {}", line(why));
        }
        None => {}
    }
    if let Some(r) = &w.restore {
        let _ = writeln!(out, "- Set restored: {} ({:?})", r.set_id, r.state);
        if let Some(id) = &r.safety_backup {
            let _ = writeln!(out, "- Safety backup: {id}");
        }
        let _ = writeln!(
            out,
            "- Documents loaded: {}; files written: {}",
            r.documents, r.files_written
        );
        let figures: Vec<String> = r
            .seconds
            .iter()
            .map(|(k, v)| format!("{k} {v:.1} s"))
            .collect();
        if !figures.is_empty() {
            let _ = writeln!(out, "- Timings: {}", figures.join(", "));
        }
        if let Some(e) = &r.error {
            let _ = writeln!(out, "- Error: {}", line(e));
        }
    }
    for fix in &w.fix_log {
        let _ = writeln!(out, "- Fix: {}", line(fix));
    }
    out.push_str("\n## Verification\n\n");
    match &w.verification {
        Some(v) => {
            let _ = writeln!(
                out,
                "- Result: {}",
                if v.passed { "passed" } else { "FAILED" }
            );
            for c in &v.checks {
                let mark = match c.level {
                    CheckLevel::Ok => "ok",
                    other => other.as_str(),
                };
                let _ = writeln!(out, "- [{mark}] {} {}", c.id, line(&c.title));
                for e in c.evidence.iter().filter(|e| !e.is_empty()) {
                    let _ = writeln!(out, "  - {}", line(e));
                }
            }
        }
        None => out.push_str("- not run\n"),
    }
    out.push_str("\n## Notifications\n\n");
    if w.team_notified.is_none() && w.users_informed.is_none() {
        out.push_str("- none sent\n");
    }
    for (what, sent) in [("Team", &w.team_notified), ("Users", &w.users_informed)] {
        if let Some(s) = sent {
            let ok = s.channels.iter().filter(|(_, e)| e.is_none()).count();
            let _ = writeln!(
                out,
                "- {what} ({} of {} channels): {}",
                ok,
                s.channels.len(),
                line(&s.message)
            );
        }
    }
    out.push_str("\n## Timeline\n\n| Time (UTC) | Step | Who | What |\n|---|---|---|---|\n");
    for t in &w.timeline {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            t.at.format("%Y-%m-%d %H:%M:%S"),
            t.step.title(),
            line(&t.actor),
            line(&t.what)
        );
    }
    out.push_str("\n## Prevention\n\n");
    if w.prevention.trim().is_empty() {
        out.push_str("(none noted)\n");
    } else {
        for l in w.prevention.lines() {
            let _ = writeln!(out, "{}", line(l));
        }
    }
    out
}

/// The Markdown report as a self-contained HTML page (every text escaped).
pub fn render_html(w: &Wizard) -> String {
    let markdown = render_markdown(w);
    let mut body = String::new();
    let mut in_list = false;
    let mut in_table = false;
    for raw in markdown.lines() {
        let text = html_escape(raw);
        let close_list = |body: &mut String, in_list: &mut bool| {
            if *in_list {
                body.push_str("</ul>\n");
                *in_list = false;
            }
        };
        if let Some(h) = raw.strip_prefix("# ") {
            body.push_str(&format!("<h1>{}</h1>\n", html_escape(h)));
        } else if let Some(h) = raw.strip_prefix("## ") {
            close_list(&mut body, &mut in_list);
            if in_table {
                body.push_str("</table>\n");
                in_table = false;
            }
            body.push_str(&format!("<h2>{}</h2>\n", html_escape(h)));
        } else if raw.starts_with("|---") {
        } else if raw.starts_with('|') {
            if !in_table {
                body.push_str("<table>\n");
                in_table = true;
            }
            let cells: Vec<String> = raw
                .trim_matches('|')
                .split(" | ")
                .map(|c| format!("<td>{}</td>", html_escape(c.trim())))
                .collect();
            body.push_str(&format!("<tr>{}</tr>\n", cells.join("")));
        } else if let Some(item) = raw.strip_prefix("- ").or_else(|| raw.strip_prefix("  - ")) {
            if !in_list {
                body.push_str("<ul>\n");
                in_list = true;
            }
            body.push_str(&format!(
                "<li>{}</li>\n",
                html_escape(item).replace("**", "")
            ));
        } else if raw.trim().is_empty() {
            close_list(&mut body, &mut in_list);
        } else {
            body.push_str(&format!("<p>{text}</p>\n"));
        }
    }
    if in_list {
        body.push_str("</ul>\n");
    }
    if in_table {
        body.push_str("</table>\n");
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}\
         td{{border:1px solid #ccc;padding:.2em .5em}}table{{border-collapse:collapse}}</style>\
         </head><body>\n{body}</body></html>\n",
        html_escape(&w.id)
    )
}

/// `&`, `<`, `>`, `"` and `'` as entities, and controls escaped.
fn html_escape(text: &str) -> String {
    crate::sanitize::escape_controls(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Writes the report (Markdown and HTML) into `state_dir` and appends it to the
/// maintenance log; returns the Markdown file.
pub fn write_report(state_dir: &Path, w: &Wizard, actor: &str) -> Result<PathBuf> {
    let dir = reports_dir(state_dir);
    let md = dir.join(format!("{}.md", w.id));
    crate::state::write_atomic(&md, render_markdown(w).as_bytes())?;
    crate::state::write_atomic(
        &dir.join(format!("{}.html", w.id)),
        render_html(w).as_bytes(),
    )?;
    let title = match (&w.incident, &w.verification) {
        (Some(k), Some(v)) => format!(
            "{}: recovered, verification {}",
            k.title(),
            if v.passed { "passed" } else { "FAILED" }
        ),
        (Some(k), None) => format!("{}: handled", k.title()),
        (None, _) => "recovery wizard closed without an incident".to_string(),
    };
    append_entry(
        state_dir,
        &MaintenanceEntry {
            at: chrono::Utc::now(),
            kind: "incident".into(),
            actor: actor.to_string(),
            title,
            detail: w
                .diagnosis
                .as_ref()
                .map(|d| d.summary_line())
                .unwrap_or_default(),
            report: Some(md.clone()),
            ..MaintenanceEntry::default()
        },
    )?;
    Ok(md)
}

/// The reports in `state_dir`, newest first.
pub fn list_reports(state_dir: &Path) -> Vec<PathBuf> {
    let mut list: Vec<PathBuf> = std::fs::read_dir(reports_dir(state_dir))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "md"))
                .collect()
        })
        .unwrap_or_default();
    list.sort();
    list.reverse();
    list
}
