//! `scandyctl job-worker --job FILE` (hidden): the detached worker the console starts for a
//! backup, verify, restore, export or prune job; the configuration arrives on stdin.

use std::path::Path;

use color_eyre::eyre::Result;

/// Runs the job of `job` to its end; the outcome is written to the job file.
pub async fn run(job: &Path) -> Result<i32> {
    crate::jobs::worker::run_worker(job, std::io::stdin()).await
}
