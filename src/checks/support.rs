//! What the weekly and monthly items share: building their definitions, a MongoDB
//! connection and server calls bounded in time, and a few ways of writing numbers.

use std::future::IntoFuture;
use std::time::Duration;

use mongodb::{Client, Database};

use super::model::{Cadence, FollowUp, ItemDef, ItemKind, ItemResult, Severity, Text};
use super::run::CheckContext;

/// Longest time one server call of an item may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest time connecting (and the first ping) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// The definition of one of scandyctl's own items.
pub fn item_def(
    id: &str,
    cadence: Cadence,
    kind: ItemKind,
    title: (&str, &str),
    fix: (&str, &str),
    follow_up: Option<FollowUp>,
) -> ItemDef {
    ItemDef {
        id: id.to_string(),
        cadence,
        kind,
        title: Text::new(title.0, title.1),
        fix: Text::new(fix.0, fix.1),
        follow_up,
    }
}

/// An "could not check" result for item `id` with the reason.
pub fn unknown(id: &str, why: impl Into<String>) -> ItemResult {
    ItemResult::new(id, Severity::Unknown, why)
}

/// Connects to the configured MongoDB within [`CONNECT_TIMEOUT`]; the error is the item's
/// "could not check" result (the URI in it is redacted).
pub async fn connect(ctx: &CheckContext, id: &str) -> Result<Client, ItemResult> {
    match tokio::time::timeout(
        CONNECT_TIMEOUT,
        crate::mongo::checked::connect_db(&ctx.config),
    )
    .await
    {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(err)) => Err(unknown(id, format!("could not check: {err:#}"))),
        Err(_) => Err(unknown(
            id,
            format!(
                "could not check: MongoDB did not answer within {} s",
                CONNECT_TIMEOUT.as_secs()
            ),
        )),
    }
}

/// The configured Scandy database on a connection made by [`connect`].
pub fn scandy_db(ctx: &CheckContext, client: &Client) -> Database {
    client.database(&ctx.config.mongo.database)
}

/// Awaits `work` for at most `limit`; the error names `what` (a timeout, or the error
/// with its context).
pub async fn bounded<T, E: std::fmt::Display>(
    what: &str,
    limit: Duration,
    work: impl IntoFuture<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(limit, work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(format!("{what}: {err:#}")),
        Err(_) => Err(format!("{what}: no answer within {} s", limit.as_secs())),
    }
}

/// A byte count for the evidence, e.g. `1.2 MiB`.
pub fn bytes_text(bytes: u64) -> String {
    crate::system::disk::human_bytes(bytes)
}

/// A percentage with one decimal, e.g. `99.5 %`.
pub fn percent_text(value: f64) -> String {
    format!("{value:.1} %")
}

/// `part` of `whole` in percent (100 when `whole` is 0).
pub fn percent_of(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// At most `max` lines of `lines`, the rest summed up in one last line.
pub fn capped(lines: Vec<String>, max: usize) -> Vec<String> {
    if lines.len() <= max {
        return lines;
    }
    let more = lines.len() - max;
    let mut out: Vec<String> = lines.into_iter().take(max).collect();
    out.push(format!("… and {more} more"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_capped_with_a_count() {
        let lines: Vec<String> = (0..5).map(|i| i.to_string()).collect();
        assert_eq!(capped(lines.clone(), 5), lines);
        assert_eq!(capped(lines, 2), vec!["0", "1", "… and 3 more"]);
        assert_eq!(percent_of(9, 10), 90.0);
        assert_eq!(percent_text(12.34), "12.3 %");
    }
}
