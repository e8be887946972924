//! `scandyctl config`: the effective configuration with provenance, secrets redacted.

use color_eyre::eyre::Result;

use crate::cli::GlobalArgs;
use crate::config::{LoadContext, load, render_effective, render_effective_json};

/// Prints the effective configuration.
pub fn run(global: &GlobalArgs, json: bool) -> Result<i32> {
    let loaded = load(&global.overrides(), &LoadContext::from_process())?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&render_effective_json(&loaded))?
        );
    } else {
        print!("{}", render_effective(&loaded));
    }
    Ok(crate::exit::OK)
}
