//! `scandyctl restore ID ...`: dry run, typed confirmation, safety backup, restore.

use std::io::{BufRead, IsTerminal, Write};

use color_eyre::eyre::{Result, bail};

use super::backup_cmd::{cancel_on_signal, load_config};
use super::progress_line::{clear_progress, stderr_progress};
use crate::backup::crypt::load_identities;
use crate::backup::restore::{RestorePart, RestorePlan, RestoreRequest, plan_restore, run_restore};
use crate::cli::{GlobalArgs, OnlyArg, RestoreArgs};
use crate::sanitize::escape_controls;

/// Plans, confirms and runs a restore.
pub async fn run(global: &GlobalArgs, args: &RestoreArgs) -> Result<i32> {
    let config = load_config(global)?;
    let identities = match &config.backup.identity {
        Some(path) => load_identities(&config.resolve(path))?,
        None => Vec::new(),
    };
    let request = RestoreRequest {
        id: args.id.clone(),
        only: args.only.map(|only| match only {
            OnlyArg::Db => RestorePart::Db,
            OnlyArg::Files => RestorePart::Files,
        }),
        collections: args.collections.clone(),
        to_db: args.to_db.clone(),
        files_to: args.files_to.clone(),
        safety_backup: !args.no_safety_backup,
    };
    let plan = plan_restore(&config, &request, &identities).await?;
    if args.json && args.dry_run {
        println!("{}", serde_json::to_string_pretty(&plan)?);
        return Ok(crate::exit::OK);
    }
    print_plan(&plan, args.dry_run);
    if args.dry_run {
        return Ok(crate::exit::OK);
    }
    if !args.yes {
        let database = plan
            .database
            .as_ref()
            .map(|d| d.target.clone())
            .unwrap_or_else(|| config.mongo.database.clone());
        confirm(&database)?;
    }
    let outcome = run_restore(
        &config,
        &plan,
        &request,
        &identities,
        stderr_progress(),
        cancel_on_signal(),
    )
    .await;
    clear_progress();
    let outcome = outcome?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
        return Ok(crate::exit::OK);
    }
    if let Some(safety) = &outcome.safety_backup {
        println!("safety backup: {safety} (restore it to undo)");
    }
    let documents: u64 = outcome.documents.iter().map(|(_, n)| n).sum();
    println!(
        "restored {} collection(s), {documents} document(s); {} file(s) written, {} overwritten",
        outcome.documents.len(),
        outcome.files_written,
        outcome.files_overwritten
    );
    Ok(crate::exit::OK)
}

fn print_plan(plan: &RestorePlan, dry_run: bool) {
    let verb = if dry_run { "would" } else { "will" };
    println!("restore of {}:", plan.id);
    if plan.safety_backup {
        println!("  a pre-restore safety backup of the current state {verb} be taken first");
    }
    if let Some(db) = &plan.database {
        let live = if db.live { " (the live database)" } else { "" };
        println!(
            "  database {}{live}: {} collection(s) {verb} be replaced",
            db.target,
            db.collections.len()
        );
        for c in &db.collections {
            let now = c
                .current_documents
                .map(|n| format!("{n} now"))
                .unwrap_or_else(|| "does not exist".into());
            println!(
                "    {:<28} {:>9} from backup, {now}",
                c.name, c.backup_documents
            );
        }
    }
    if let Some(files) = &plan.files {
        println!(
            "  files into {}: {} added, {} overwritten",
            escape_controls(&files.target.display().to_string()),
            files.added.len(),
            files.overwritten.len()
        );
        for path in files.overwritten.iter().take(20) {
            println!(
                "    overwrite {}",
                escape_controls(&path.display().to_string())
            );
        }
        if files.overwritten.len() > 20 {
            println!("    … and {} more", files.overwritten.len() - 20);
        }
    }
}

fn confirm(database: &str) -> Result<()> {
    if !std::io::stdin().is_terminal() {
        bail!(super::NeedsConfirmation { command: "restore" });
    }
    print!("Type the database name ({database}) to confirm the restore: ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if line.trim() != database {
        bail!("confirmation did not match {database}; nothing was changed");
    }
    Ok(())
}
