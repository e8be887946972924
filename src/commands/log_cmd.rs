//! `scandyctl log [--since] [--kind] [--json]` and `scandyctl log verify`, plus the helper
//! the other CLI commands use to record what they did in the maintenance log.

use chrono::{DateTime, Local, NaiveDate, TimeZone, Utc};
use color_eyre::eyre::Result;

use super::UsageError;
use crate::cli::{GlobalArgs, LogArgs, LogCommand};
use crate::maintenance_log::{
    ChainReport, MaintenanceEntry, Outcome, read_entries_filtered, verify_chain,
};
use crate::sanitize::escape_controls;

/// Runs `scandyctl log` (list) or `scandyctl log verify`.
pub fn run(_global: &GlobalArgs, args: &LogArgs) -> Result<i32> {
    let state_dir = crate::state::state_dir();
    if let Some(LogCommand::Verify { json }) = &args.command {
        let report = verify_chain(&state_dir);
        print_verify(&report, *json)?;
        return Ok(if report.intact() {
            crate::exit::OK
        } else {
            crate::exit::VERIFY_FAILED
        });
    }
    let since = match &args.since {
        Some(text) => Some(parse_since(text, Utc::now())?),
        None => None,
    };
    let entries = read_entries_filtered(&state_dir, since, args.kind.as_deref());
    if args.json {
        for entry in &entries {
            println!("{}", crate::sanitize::to_json_line(entry)?);
        }
    } else if entries.is_empty() {
        println!("no maintenance log entries{}", filter_text(args));
    } else {
        for entry in &entries {
            print_entry(entry);
        }
    }
    Ok(crate::exit::OK)
}

/// `--since`: `2026-11-01` (local midnight), `2026-11-01 08:00` (local), RFC 3339, or a
/// span back from `now` (`30m`, `12h`, `7d`, `2w`); anything else is a usage error naming it.
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let trimmed = text.trim();
    if let Some(span) = relative_span(trimmed) {
        return Ok(now - span);
    }
    if let Ok(day) = NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
        && let Some(midnight) = day.and_hms_opt(0, 0, 0)
        && let Some(local) = Local.from_local_datetime(&midnight).earliest()
    {
        return Ok(local.with_timezone(&Utc));
    }
    if let Some(at) = crate::backup::pitr::window::parse_time(trimmed) {
        return Ok(at);
    }
    Err(UsageError(format!(
        "--since {:?}: not a time; write a date (2026-11-01), a time (2026-11-01T08:00:00Z, \
         2026-11-01 08:00) or a span back from now (30m, 12h, 7d, 2w)",
        escape_controls(text)
    ))
    .into())
}

/// `30m`, `12h`, `7d`, `2w` as a duration (at most about 100 years).
fn relative_span(text: &str) -> Option<chrono::TimeDelta> {
    let unit = text.chars().last()?;
    let number: i64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
    if !(0..=36_500 * 24 * 60).contains(&number) {
        return None;
    }
    match unit {
        'm' => chrono::TimeDelta::try_minutes(number),
        'h' => chrono::TimeDelta::try_hours(number),
        'd' => chrono::TimeDelta::try_days(number),
        'w' => chrono::TimeDelta::try_weeks(number),
        _ => None,
    }
    .filter(|span| *span <= chrono::TimeDelta::days(36_500))
}

fn filter_text(args: &LogArgs) -> String {
    let mut parts = Vec::new();
    if let Some(since) = &args.since {
        parts.push(format!("since {}", escape_controls(since)));
    }
    if let Some(kind) = &args.kind {
        parts.push(format!("of kind {}", escape_controls(kind)));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// One entry for people: a header line, then parameters, detail and evidence indented.
fn print_entry(entry: &MaintenanceEntry) {
    let when = entry
        .at
        .with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S %:z");
    let who = if entry.host.is_empty() {
        escape_controls(&entry.actor).into_owned()
    } else {
        format!(
            "{}@{}",
            escape_controls(&entry.actor),
            escape_controls(&entry.host)
        )
    };
    println!(
        "{when}  {:<9} {:<15} {who}  {}",
        escape_controls(&entry.outcome),
        escape_controls(&entry.kind),
        escape_controls(&entry.title)
    );
    if !entry.params.is_empty() {
        let params: Vec<String> = entry
            .params
            .iter()
            .map(|(k, v)| format!("{}={}", escape_controls(k), escape_controls(v)))
            .collect();
        println!("    {}", params.join("  "));
    }
    for line in entry.detail.lines().filter(|l| !l.trim().is_empty()) {
        println!("    {}", escape_controls(line));
    }
    for line in &entry.evidence {
        println!("    - {}", escape_controls(line));
    }
    if let Some(report) = &entry.report {
        println!(
            "    report: {}",
            escape_controls(&report.display().to_string())
        );
    }
}

fn print_verify(report: &ChainReport, json: bool) -> Result<()> {
    if json {
        let mut value = serde_json::to_value(report)?;
        if let Some(object) = value.as_object_mut() {
            object.insert("intact".into(), report.intact().into());
        }
        println!("{}", crate::sanitize::to_json_pretty(&value)?);
        return Ok(());
    }
    let files = if report.files.is_empty() {
        "no file yet".to_string()
    } else {
        format!(
            "{} file(s): {}",
            report.files.len(),
            escape_controls(&report.files.join(", "))
        )
    };
    println!(
        "maintenance log: {} entr{} in {files}",
        report.entries,
        if report.entries == 1 { "y" } else { "ies" }
    );
    for note in &report.notes {
        println!("note: {}", escape_controls(note));
    }
    for problem in &report.problems {
        println!("{}", escape_controls(&problem.to_string()));
    }
    if report.intact() {
        println!("chain intact: no entry was edited, deleted or reordered");
    } else {
        println!(
            "{} problem(s): the log was changed after it was written",
            report.problems.len()
        );
    }
    Ok(())
}

/// Appends `entry` to the maintenance log, finished by `result` (`ok` with
/// `evidence(value)`, else `failed`/`cancelled` with the error chain). A usage error
/// (exit 2: nothing was attempted) is not recorded; a log that cannot be written is a
/// warning on stderr, never a failure of the command.
pub fn record_cli<T>(
    entry: MaintenanceEntry,
    result: &Result<T>,
    evidence: impl FnOnce(&T) -> Vec<String>,
) {
    if let Err(err) = result
        && super::exit_code_for(err) == crate::exit::USAGE
    {
        return;
    }
    record_entry(&entry.param("via", "cli").with_result(result, evidence));
}

/// Like [`record_cli`] for a command's exit code: 0 is `ok`, anything else `failed`.
pub fn record_cli_code(entry: MaintenanceEntry, result: &Result<i32>) {
    let entry = match result {
        Ok(code) if *code != crate::exit::OK => entry.outcome(Outcome::Failed),
        _ => entry,
    };
    record_cli(entry, result, |_| Vec::new());
}

/// Appends `entry` as it is; a failure is a warning on stderr.
pub fn record_entry(entry: &MaintenanceEntry) {
    if let Err(err) = crate::maintenance_log::record(entry) {
        eprintln!(
            "warning: not recorded in the maintenance log: {}",
            crate::sanitize::escape_controls_keep_lines(&format!("{err:#}"))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_spans_dates_and_rfc3339() {
        let now = DateTime::parse_from_rfc3339("2026-11-10T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let at = |s: &str| parse_since(s, now).unwrap().to_rfc3339();
        assert_eq!(at("7d"), "2026-11-03T12:00:00+00:00");
        assert_eq!(at("12h"), "2026-11-10T00:00:00+00:00");
        assert_eq!(at("30m"), "2026-11-10T11:30:00+00:00");
        assert_eq!(at("2w"), "2026-10-27T12:00:00+00:00");
        assert_eq!(at("2026-11-01T08:00:00Z"), "2026-11-01T08:00:00+00:00");
        let midnight = Local
            .from_local_datetime(
                &NaiveDate::from_ymd_opt(2026, 11, 1)
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap(),
            )
            .earliest()
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_since("2026-11-01", now).unwrap(), midnight);
    }

    #[test]
    fn since_rejects_other_text_as_a_usage_error_naming_it() {
        let now = Utc::now();
        for bad in ["yesterday", "7x", "d", "-3d", "2026-13-01", ""] {
            let err = parse_since(bad, now).unwrap_err();
            assert!(err.is::<UsageError>(), "{bad}");
            assert!(
                err.to_string().contains(&format!("{bad:?}")),
                "{bad}: {err}"
            );
        }
    }
}
