//! Plain-text listing of discovered installs (`scandyctl detect`).

use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::Install;
use super::weigh::Weight;

/// Text for `scandyctl detect`: one block per install, secrets redacted; `explain` adds
/// every finding weighed for the verdict.
pub fn render_text(installs: &[Install], explain: bool) -> String {
    if installs.is_empty() {
        return "No Scandy install found. Search other directories with `scandyctl detect DIR...`.\n".into();
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} Scandy install{} found:",
        installs.len(),
        if installs.len() == 1 { "" } else { "s" }
    );
    for install in installs {
        out.push('\n');
        let instance = install
            .instance
            .as_deref()
            .map(|i| format!(" (instance {})", clean(i)))
            .unwrap_or_default();
        let _ = writeln!(out, "{} {}{instance}", install.kind, shown(&install.root));
        if !install.verdict.is_empty() {
            field(&mut out, "verdict", &clean(&install.verdict));
        }
        field(&mut out, "database", &clean(&install.database));
        if let Some(uri) = &install.mongo_uri_redacted {
            field(&mut out, "mongo uri", &clean(uri));
        }
        let port = |p: Option<u16>| p.map(|p| p.to_string()).unwrap_or_else(|| "unknown".into());
        field(&mut out, "mongo port", &port(install.mongo_port));
        field(&mut out, "web port", &port(install.web_port));
        if let Some(unit) = &install.service_unit {
            field(&mut out, "service", &shown(unit));
        }
        if !install.containers.is_empty() {
            field(
                &mut out,
                "containers",
                &clean(&install.containers.join(", ")),
            );
        }
        field(&mut out, "logs", &list(&install.root, &install.log_files));
        field(
            &mut out,
            "uploads",
            &list(&install.root, &install.upload_dirs),
        );
        for (i, line) in install.evidence.iter().enumerate() {
            field(&mut out, if i == 0 { "evidence" } else { "" }, &clean(line));
        }
        if explain {
            for (i, signal) in install.signals.iter().enumerate() {
                let weight = match signal.weight {
                    Weight::Strong => "strong",
                    Weight::Medium => "medium",
                    Weight::None => "no proof",
                };
                let line = format!("[{} {weight}] {}", signal.points_to, signal.text);
                field(&mut out, if i == 0 { "weighed" } else { "" }, &clean(&line));
            }
        }
    }
    out
}

fn field(out: &mut String, name: &str, value: &str) {
    let _ = writeln!(out, "  {name:<11} {value}");
}

fn list(root: &Path, paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "none".into();
    }
    let names: Vec<String> = paths
        .iter()
        .map(|p| clean(&p.strip_prefix(root).unwrap_or(p).display().to_string()))
        .collect();
    names.join(", ")
}

fn shown(path: &Path) -> String {
    clean(&path.display().to_string())
}

/// Escapes control characters so file contents cannot drive the terminal.
fn clean(text: &str) -> String {
    crate::sanitize::escape_controls(text).into_owned()
}
