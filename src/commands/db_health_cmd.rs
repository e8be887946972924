//! `scandyctl db health`: data health checks and their automatic fixes.

use color_eyre::eyre::{Result, bail};

use super::UsageError;
use super::backup_cmd::load_config;
use crate::backup::restore::connect_checked;
use crate::cli::GlobalArgs;
use crate::config::redact_uri;
use crate::mongo::health::{CHECK_IDS, CheckResult, CheckState, apply_fix, run_checks};
use crate::sanitize::escape_controls;

/// Runs the checks on the configured database, or applies one check's fix.
///
/// Without `--fix`: prints every check (or, with `json`, `{database, checks, problems}`)
/// and returns 0 ([`crate::exit::OK`]) when no check found problems, 3
/// ([`crate::exit::VERIFY_FAILED`]) when at least one did. Informational findings
/// (`ttl-due`) and checks the server could not run do not change the exit code.
///
/// With `--fix CHECK`: prints what will change (count and the mongosh statements), asks
/// for a typed `yes` on a terminal unless `yes` (no terminal: [`NeedsConfirmation`], exit
/// code 2), applies the fix and prints the number of modified documents; returns 0.
/// An unknown check id is a usage error (exit code 2); a check without an automatic
/// fix is an error saying why (exit code 1).
pub async fn run(global: &GlobalArgs, json: bool, fix: Option<String>, yes: bool) -> Result<i32> {
    if let Some(id) = fix.as_deref()
        && !CHECK_IDS.contains(&id)
    {
        bail!(UsageError(format!(
            "unknown check {:?} for --fix; known checks: {}",
            escape_controls(id),
            CHECK_IDS.join(", ")
        )));
    }
    let config = load_config(global)?;
    let client = connect_checked(&config).await?;
    let db = client.database(&config.mongo.database);
    let now = chrono::Local::now().naive_local();
    let results = run_checks(&db, now).await?;
    match fix {
        None => {
            report(&results, &config.mongo.database, &config.mongo.uri, json)?;
            let problems = results.iter().any(CheckResult::has_problems);
            Ok(if problems {
                crate::exit::VERIFY_FAILED
            } else {
                crate::exit::OK
            })
        }
        Some(id) => {
            let Some(check) = results.iter().find(|c| c.id == id) else {
                bail!(UsageError(format!("unknown check {id:?}")));
            };
            run_fix(&db, check, json, yes, now).await
        }
    }
}

async fn run_fix(
    db: &mongodb::Database,
    check: &CheckResult,
    json: bool,
    yes: bool,
    now: chrono::NaiveDateTime,
) -> Result<i32> {
    if let CheckState::Unavailable(reason) = &check.state {
        bail!(
            "check {} could not run on this server: {}",
            check.id,
            escape_controls(reason)
        );
    }
    let Some(plan) = &check.fix else {
        if !check_has_fix(check.id) {
            // The engine refuses with the reason why there is no automatic fix.
            apply_fix(db, check.id, now).await?;
            bail!("check {} has no automatic fix", check.id);
        }
        if check.count == 0 {
            say(json, &format!("{}: nothing to fix", check.id));
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "check": check.id, "modified": 0 })
                );
            }
            return Ok(crate::exit::OK);
        }
        bail!(
            "check {} has findings but none an automatic fix can repair: {}",
            check.id,
            escape_controls(check.no_fix.as_deref().unwrap_or("see the check's output"))
        );
    };
    say(
        json,
        &format!(
            "{}: {} finding(s); the fix will {}",
            check.id,
            check.count,
            escape_controls(&plan.description)
        ),
    );
    if let Some(why) = &check.no_fix {
        say(
            json,
            &format!("not fixed automatically: {}", escape_controls(why)),
        );
    }
    say(json, "statements:");
    for line in plan.mongosh.lines() {
        say(json, &format!("  {}", escape_controls(line)));
    }
    if !yes {
        confirm(check.id, json)?;
    }
    let outcome = apply_fix(db, check.id, now).await;
    let entry = crate::maintenance_log::MaintenanceEntry::now(
        "health-fix",
        &format!("health fix {}", check.id),
        "",
    )
    .param("database", db.name())
    .param("check", check.id)
    .param("findings", check.count.to_string());
    super::log_cmd::record_cli(entry, &outcome, |o| {
        vec![format!("{}: {} document(s) modified", o.check, o.modified)]
    });
    let outcome = outcome?;
    if json {
        println!("{}", crate::sanitize::to_json_pretty(&outcome)?);
    } else {
        println!(
            "{}: modified {} document(s)",
            outcome.check, outcome.modified
        );
    }
    Ok(crate::exit::OK)
}

/// Whether `id` has an automatic fix at all.
fn check_has_fix(id: &str) -> bool {
    use crate::mongo::health::{CHECK_MISSING_FIELDS, CHECK_STRING_TYPES, CHECK_TOOL_STATUS};
    [CHECK_TOOL_STATUS, CHECK_MISSING_FIELDS, CHECK_STRING_TYPES].contains(&id)
}

/// Prints a line for people: stdout, or stderr when stdout carries JSON.
fn say(json: bool, line: &str) {
    if json {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

fn confirm(check: &str, json: bool) -> Result<()> {
    let prompt = format!("Type yes to apply the fix for {check}: ");
    super::confirm_yes("db health --fix", &prompt, json, "changed")
}

fn report(results: &[CheckResult], database: &str, uri: &str, json: bool) -> Result<()> {
    let problems = results.iter().filter(|c| c.has_problems()).count();
    if json {
        let out = serde_json::json!({
            "database": database,
            "checks": results,
            "problems": problems,
        });
        println!("{}", crate::sanitize::to_json_pretty(&out)?);
        return Ok(());
    }
    println!(
        "database {} on {}",
        escape_controls(database),
        escape_controls(&redact_uri(uri))
    );
    for check in results {
        let mark = match (&check.state, check.informational) {
            (CheckState::Ok, _) => "✓",
            (CheckState::Findings, true) => "ℹ",
            (CheckState::Findings, false) => "⚠",
            (CheckState::Unavailable(_), _) => "?",
        };
        match &check.state {
            CheckState::Unavailable(reason) => println!(
                "{mark} {} [{}]: not checked: {}",
                check.title,
                check.id,
                escape_controls(reason)
            ),
            _ => println!("{mark} {} [{}]: {}", check.title, check.id, check.count),
        }
        for example in &check.examples {
            println!("    {}", escape_controls(example));
        }
        if check.count > check.examples.len() as u64 && !check.examples.is_empty() {
            println!("    … {} finding(s) in all", check.count);
        }
        if let Some(fix) = &check.fix {
            println!(
                "  fix (scandyctl db health --fix {}): {}",
                check.id,
                escape_controls(&fix.description)
            );
            for line in fix.mongosh.lines() {
                println!("    {}", escape_controls(line));
            }
        }
        if let Some(why) = &check.no_fix {
            let lead = if check.informational {
                "note"
            } else {
                "no automatic fix"
            };
            println!("  {lead}: {}", escape_controls(why));
        }
    }
    if problems == 0 {
        println!("no problems found");
    } else {
        println!("{problems} check(s) found problems");
    }
    Ok(())
}
