//! `scandyctl report weekly|monthly [--month YYYY-MM | --week YYYY-Www] --out FILE.md|FILE.html`.
//!
//! The file is always written when the period and the file name are valid. A section that
//! could not be gathered (MongoDB unreachable, unreadable backup directory) says so in the
//! report and on stderr; the exit code is then 6 when the database was unreachable, else 0.
//! Bad `--month`, `--week` or `--out` values exit 2 before anything is read.

use std::path::Path;

use chrono::Utc;
use color_eyre::eyre::Result;
use serde::Serialize;

use super::UsageError;
use crate::checks::report::{
    Gathered, ReportFormat, ReportKind, ReportPeriod, attach_alert_rules, build_report,
    write_report,
};
use crate::cli::{GlobalArgs, ReportArgs, ReportKindArg};
use crate::config::{LoadContext, load};
use crate::i18n::Lang;
use crate::sanitize::escape_controls;

/// What `report --json` prints.
#[derive(Debug, Serialize)]
struct Written<'a> {
    /// The file written.
    out: String,
    /// Markdown or HTML.
    format: ReportFormat,
    /// `en` or `de`.
    lang: &'static str,
    /// Sections that are missing, and why.
    warnings: Vec<String>,
    /// Everything the report shows.
    report: &'a crate::checks::report::Report,
}

/// Runs `scandyctl report`.
pub async fn run(global: &GlobalArgs, args: &ReportArgs) -> Result<i32> {
    let period = period_of(args)?;
    let format = ReportFormat::from_path(&args.out).map_err(|e| UsageError(e.to_string()))?;
    let loaded = load(&global.overrides(), &LoadContext::from_process())?;
    let config = &loaded.config;
    let lang = Lang::resolve(config.ui.language, |key| std::env::var(key).ok());
    let state_dir = crate::state::state_dir();
    let mut report = build_report(config, &state_dir, &period).await?;
    attach_alert_rules(&mut report, loaded.file.as_deref());
    write_report(&report, lang, &args.out)?;
    let warnings = report.warnings();
    for warning in &warnings {
        eprintln!("scandyctl: warning: {}", escape_controls(warning));
    }
    let out = display(&args.out);
    if args.json {
        let written = Written {
            out,
            format,
            lang: match lang {
                Lang::En => "en",
                Lang::De => "de",
            },
            warnings,
            report: &report,
        };
        println!("{}", crate::sanitize::to_json_pretty(&written)?);
    } else {
        println!("{}", escape_controls(&format!("{out} ({})", period.label)));
    }
    Ok(match report.usage {
        Gathered::Unavailable(_) => crate::exit::MONGO_UNREACHABLE,
        Gathered::Ok(_) => crate::exit::OK,
    })
}

/// The period the flags name, or the last complete one; bad values are usage errors.
fn period_of(args: &ReportArgs) -> Result<ReportPeriod> {
    let usage = |flag: &str, e: color_eyre::eyre::Report| UsageError(format!("{flag}: {e}"));
    match (args.kind, &args.month, &args.week) {
        (ReportKindArg::Monthly, Some(month), None) => {
            ReportPeriod::parse_month(month).map_err(|e| usage("--month", e).into())
        }
        (ReportKindArg::Weekly, None, Some(week)) => {
            ReportPeriod::parse_week(week).map_err(|e| usage("--week", e).into())
        }
        (ReportKindArg::Monthly, None, None) => {
            Ok(ReportPeriod::last_complete(ReportKind::Monthly, Utc::now()))
        }
        (ReportKindArg::Weekly, None, None) => {
            Ok(ReportPeriod::last_complete(ReportKind::Weekly, Utc::now()))
        }
        (ReportKindArg::Monthly, _, Some(_)) => {
            Err(UsageError("--week goes with `report weekly`, not monthly".into()).into())
        }
        (ReportKindArg::Weekly, Some(_), _) => {
            Err(UsageError("--month goes with `report monthly`, not weekly".into()).into())
        }
    }
}

/// A path for messages.
fn display(path: &Path) -> String {
    path.display().to_string()
}
