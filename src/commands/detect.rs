//! `scandyctl detect`: lists Scandy installs found on this machine.

use std::path::PathBuf;

use color_eyre::eyre::Result;

use crate::discovery::{SearchPaths, discover, render_text};

/// Prints the installs found under `paths` (or the default places); `explain` adds the weighing.
pub fn run(json: bool, explain: bool, paths: Vec<PathBuf>) -> Result<i32> {
    let search = if paths.is_empty() {
        SearchPaths::defaults()
    } else {
        SearchPaths::with_roots(paths)
    };
    let installs = discover(&search);
    if json {
        println!("{}", crate::sanitize::to_json_pretty(&installs)?);
    } else {
        print!("{}", render_text(&installs, explain));
    }
    Ok(crate::exit::OK)
}
