//! `scandyctl oplog capture|window`: oplog slices for point-in-time restore.

use color_eyre::eyre::Result;

use super::backup_cmd::load_config;
use crate::backup::pitr::capture::capture_slice;
use crate::backup::pitr::window::{manifests_in, window_of};
use crate::cli::{GlobalArgs, OplogCommand};

/// Runs an `oplog` subcommand.
pub async fn run(global: &GlobalArgs, command: OplogCommand) -> Result<i32> {
    let config = load_config(global)?;
    let dir = config.resolve(&config.backup.dir);
    match command {
        OplogCommand::Capture { json } => {
            let slice = capture_slice(&config).await?;
            let window = window_of(&manifests_in(&dir)?, &config.mongo.database);
            if json {
                println!(
                    "{}",
                    crate::sanitize::to_json_pretty(&serde_json::json!({
                        "id": slice.as_ref().map(|s| s.id.clone()),
                        "entries": slice.as_ref().map(|s| s.entries),
                        "window": window,
                    }))?
                );
            } else {
                match &slice {
                    Some(slice) => {
                        eprintln!(
                            "{} oplog entries from {} to {}",
                            slice.entries,
                            slice.from.time().format("%Y-%m-%d %H:%M:%S UTC"),
                            slice.to.time().format("%Y-%m-%d %H:%M:%S UTC")
                        );
                        println!("{}", slice.id);
                    }
                    None => eprintln!(
                        "the oplog has not moved since the last position; nothing to capture"
                    ),
                }
                eprintln!("point in time: {}", window.describe());
            }
            Ok(crate::exit::OK)
        }
        OplogCommand::Window { json } => {
            let window = window_of(&manifests_in(&dir)?, &config.mongo.database);
            if json {
                println!("{}", crate::sanitize::to_json_pretty(&window)?);
            } else {
                println!("point in time: {}", window.describe());
            }
            Ok(crate::exit::OK)
        }
    }
}
