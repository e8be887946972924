//! `scandyctl config`: the effective configuration with provenance, secrets redacted, and
//! the `[schedule]` entries (checked like `scandyctl schedule` checks them).

use color_eyre::eyre::Result;

use crate::backup::verify::VerifyLevel;
use crate::cli::GlobalArgs;
use crate::config::{LoadContext, load, render_effective, render_effective_json};
use crate::sanitize::escape_controls;
use crate::schedule::{ScheduleConfig, load_schedule};

/// Prints the effective configuration; a bad `[schedule]` fails like a bad key (exit 5).
pub fn run(global: &GlobalArgs, json: bool) -> Result<i32> {
    let loaded = load(&global.overrides(), &LoadContext::from_process())?;
    let schedule = load_schedule(loaded.file.as_deref())?;
    if json {
        let mut value = render_effective_json(&loaded);
        if let Some(object) = value.as_object_mut() {
            object.insert("schedule".into(), schedule_json(&schedule));
        }
        println!("{}", crate::sanitize::to_json_pretty(&value)?);
    } else {
        print!("{}", render_effective(&loaded));
        print!("{}", schedule_text(&schedule));
    }
    Ok(crate::exit::OK)
}

fn verify_word(level: VerifyLevel) -> &'static str {
    match level {
        VerifyLevel::Quick => "quick",
        VerifyLevel::Deep => "deep",
    }
}

/// The entries as lines under a `[schedule]` heading ("none" when nothing is scheduled).
fn schedule_text(schedule: &ScheduleConfig) -> String {
    let mut out = String::from("\n[schedule]\n");
    if schedule.is_empty() {
        out.push_str("  nothing scheduled (see `scandyctl schedule show`)\n");
        return out;
    }
    for entry in &schedule.entries {
        out.push_str(&format!(
            "  {:<8} {:<16} {}, verify {} (line {})\n",
            entry.name,
            escape_controls(&entry.cron_text),
            entry.kind.as_str(),
            verify_word(entry.verify),
            entry.line
        ));
    }
    out
}

/// The entries for `--json`.
fn schedule_json(schedule: &ScheduleConfig) -> serde_json::Value {
    serde_json::Value::Array(
        schedule
            .entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "name": e.name,
                    "cron": e.cron_text,
                    "type": e.kind.as_str(),
                    "verify": verify_word(e.verify),
                    "line": e.line,
                })
            })
            .collect(),
    )
}
