//! `scandyctl flatten ID`: a synthetic full set from an incremental's chain.

use color_eyre::eyre::{Result, WrapErr};

use super::backup_cmd::load_config;
use crate::backup::chain::flatten::flatten_set;
use crate::backup::crypt::{load_identities, parse_recipients};
use crate::cli::GlobalArgs;
use crate::maintenance_log::{MaintenanceEntry, Outcome};

/// Writes the synthetic full and prints its id; exit 0 only when it verified.
pub async fn run_flatten(global: &GlobalArgs, id: &str, json: bool) -> Result<i32> {
    let config = load_config(global)?;
    let dir = config.resolve(&config.backup.dir);
    let recipients = parse_recipients(
        &config.backup.recipients,
        config.backup.recipients_file.as_deref(),
    )
    .wrap_err("cannot read the backup recipients")?;
    let identities = match &config.backup.identity {
        Some(path) => load_identities(&config.resolve(path))?,
        None => Vec::new(),
    };
    let source = id.to_string();
    let flat =
        tokio::task::spawn_blocking(move || flatten_set(&dir, &source, &recipients, &identities))
            .await
            .wrap_err("the flatten task failed")
            .and_then(|flat| flat);
    let entry = MaintenanceEntry::now("flatten", &format!("flatten of {id}"), "").param("set", id);
    let entry = match &flat {
        Ok(flat) if !flat.verify.ok => entry.outcome(Outcome::Failed),
        _ => entry,
    };
    super::log_cmd::record_cli(entry, &flat, |flat| {
        vec![
            format!("new set {}", flat.id),
            format!("verify {}", if flat.verify.ok { "ok" } else { "FAILED" }),
        ]
    });
    let flat = flat?;
    if json {
        println!(
            "{}",
            crate::sanitize::to_json_pretty(&serde_json::json!({
                "id": flat.id,
                "path": flat.path,
                "synthesized_from": flat.manifest.synthesized_from,
                "verify": flat.verify,
            }))?
        );
    } else {
        eprintln!(
            "flattened {} into {} ({} verify: {})",
            crate::sanitize::escape_controls(&flat.manifest.synthesized_from.join(" <- ")),
            flat.id,
            match flat.verify.level {
                crate::backup::verify::VerifyLevel::Deep => "deep",
                crate::backup::verify::VerifyLevel::Quick => "quick",
            },
            if flat.verify.ok { "ok" } else { "FAILED" }
        );
        println!("{}", flat.id);
    }
    Ok(if flat.verify.ok {
        crate::exit::OK
    } else {
        crate::exit::VERIFY_FAILED
    })
}
