//! The Nagios plugin convention for `scandyctl check --nagios`: exit 0 OK, 1 WARNING,
//! 2 CRITICAL, 3 UNKNOWN, and one status line with performance data, e.g.
//! `SCANDY DAILY WARNING - 1 warning | backup_age_hours=27.1;26;50 disk_free_percent=12;15;5`.

use super::model::{Cadence, ItemResult, PerfDatum, Severity};

/// The exit code for the worst severity (info counts as ok).
pub fn exit_code(worst: Severity) -> i32 {
    match worst {
        Severity::Ok | Severity::Info => 0,
        Severity::Warning => 1,
        Severity::Failed => 2,
        Severity::Unknown => 3,
    }
}

/// The plugin state word for the worst severity.
pub fn state_word(worst: Severity) -> &'static str {
    match exit_code(worst) {
        0 => "OK",
        1 => "WARNING",
        2 => "CRITICAL",
        _ => "UNKNOWN",
    }
}

/// The worst severity of `results` in the plugin's sense: a failure outranks an unknown.
pub fn plugin_worst(results: &[ItemResult]) -> Severity {
    let worst = results
        .iter()
        .map(|r| r.severity)
        .max()
        .unwrap_or(Severity::Ok);
    if worst == Severity::Unknown && results.iter().any(|r| r.severity == Severity::Failed) {
        Severity::Failed
    } else {
        worst
    }
}

/// One number as Nagios expects it: no exponent, at most two decimals, no trailing zeros.
fn number(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// A performance label: letters, digits and `_` only (anything else becomes `_`).
fn label(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `label=value;warn;crit`.
pub fn perf_text(datum: &PerfDatum) -> String {
    let mut text = format!("{}={}", label(&datum.label), number(datum.value));
    if datum.warn.is_some() || datum.crit.is_some() {
        text.push(';');
        text.push_str(&datum.warn.map(number).unwrap_or_default());
        text.push(';');
        text.push_str(&datum.crit.map(number).unwrap_or_default());
    }
    text
}

/// The status line for `cadence`'s results.
pub fn status_line(cadence: Cadence, results: &[ItemResult]) -> String {
    let worst = plugin_worst(results);
    let count = |s: Severity| results.iter().filter(|r| r.severity == s).count();
    let mut parts = Vec::new();
    for (severity, one, many) in [
        (Severity::Failed, "failed", "failed"),
        (Severity::Warning, "warning", "warnings"),
        (Severity::Unknown, "could not check", "could not check"),
    ] {
        let n = count(severity);
        if n > 0 {
            parts.push(format!("{n} {}", if n == 1 { one } else { many }));
        }
    }
    let summary = if parts.is_empty() {
        format!("{} items ok", results.len())
    } else {
        let ids: Vec<&str> = results
            .iter()
            .filter(|r| {
                matches!(
                    r.severity,
                    Severity::Warning | Severity::Failed | Severity::Unknown
                )
            })
            .map(|r| r.id.as_str())
            .collect();
        format!("{} ({})", parts.join(", "), ids.join(" "))
    };
    let perf: Vec<String> = results
        .iter()
        .flat_map(|r| r.perf.iter())
        .map(perf_text)
        .collect();
    let mut line = format!(
        "SCANDY {} {} - {}",
        cadence.as_str().to_ascii_uppercase(),
        state_word(worst),
        summary.replace('|', "/")
    );
    if !perf.is_empty() {
        line.push_str(" | ");
        line.push_str(&perf.join(" "));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_follows_the_plugin_format() {
        let results = vec![
            ItemResult::new("SCY-BKP-001", Severity::Warning, "27 h old").perf(PerfDatum::new(
                "backup_age_hours",
                27.1,
                Some(26.0),
                Some(50.0),
            )),
            ItemResult::new("SCY-DSK-001", Severity::Ok, "fine").perf(PerfDatum::new(
                "disk_free_percent",
                12.0,
                Some(15.0),
                Some(5.0),
            )),
        ];
        assert_eq!(
            status_line(Cadence::Daily, &results),
            "SCANDY DAILY WARNING - 1 warning (SCY-BKP-001) | backup_age_hours=27.1;26;50 disk_free_percent=12;15;5"
        );
        assert_eq!(exit_code(plugin_worst(&results)), 1);
        let ok = vec![ItemResult::new("A", Severity::Info, "x")];
        assert_eq!(
            status_line(Cadence::Weekly, &ok),
            "SCANDY WEEKLY OK - 1 items ok"
        );
        let mixed = vec![
            ItemResult::new("A", Severity::Unknown, "x"),
            ItemResult::new("B", Severity::Failed, "y"),
        ];
        assert_eq!(exit_code(plugin_worst(&mixed)), 2);
        assert_eq!(exit_code(plugin_worst(&mixed[..1])), 3);
    }
}
