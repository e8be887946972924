//! The input of the alert engine: one sample of everything the rules look at.

use std::path::PathBuf;

/// Everything the rules look at, sampled by the caller; `None` means "not sampled".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signals {
    /// Mounted filesystems and how full each is (used %); empty when not sampled.
    pub disks: Vec<(PathBuf, f64)>,
    /// Memory in use, percent of total.
    pub memory_used_percent: Option<f64>,
    /// CPU busy, percent over all cores.
    pub cpu_percent: Option<f64>,
    /// Scandy's `/health`: `Ok`, or the failure detail; `None` when not probed (no URL).
    pub health: Option<Result<(), String>>,
    /// MongoDB reachability and authentication.
    pub mongo: Option<MongoSignal>,
    /// Age of the newest backup set; `Some(None)` when there is no backup at all.
    pub backup_age: Option<Option<chrono::Duration>>,
    /// Set id of the newest set whose verification failed (`None`: the newest verified set
    /// is fine, or nothing was checked).
    pub verify_failed: Option<String>,
    /// Error-level log entries per minute (averaged over the last few minutes).
    pub errors_per_minute: Option<f64>,
    /// The error of the last scheduled backup when it failed (`None`: it did not fail, or
    /// nothing is scheduled).
    pub schedule_failed: Option<String>,
    /// The overdue scheduled runs ("daily since 2026-11-26 02:00 UTC"); `None`: none.
    pub schedule_missed: Option<String>,
    /// The overdue maintenance checklists ("daily since 2026-11-26 08:00 UTC"); `None`:
    /// none (or the checklists' state was not read).
    pub checklists_overdue: Option<String>,
}

/// What a MongoDB probe found (details must already be free of secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MongoSignal {
    /// Reachable and the credentials work.
    Ok,
    /// No answer: refused, timed out, DNS, TLS; the redacted reason.
    Unreachable(String),
    /// The server answered but refused the credentials; the redacted reason.
    AuthFailed(String),
}

/// The checklists overdue at `now`, as "daily since 2026-11-25 20:00 UTC, weekly since …"
/// (`None`: none; a checklist never done is due, not overdue).
pub fn overdue_checklists(
    state: &crate::checks::state::ChecklistsState,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
    use crate::checks::state::{Due, due_state};
    let overdue: Vec<String> = crate::checks::Cadence::ALL
        .into_iter()
        .filter_map(|cadence| match due_state(state, cadence, now) {
            Due::Overdue { since } => Some(format!(
                "{} since {}",
                cadence.as_str(),
                since.format("%Y-%m-%d %H:%M UTC")
            )),
            _ => None,
        })
        .collect();
    (!overdue.is_empty()).then(|| overdue.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Cadence;
    use crate::checks::state::ChecklistsState;

    #[test]
    fn only_checklists_past_their_grace_are_overdue() {
        let now: chrono::DateTime<chrono::Utc> = "2026-11-26T09:30:00Z".parse().unwrap();
        let mut state = ChecklistsState::default();
        assert_eq!(
            overdue_checklists(&state, now),
            None,
            "never done is due, not overdue"
        );
        state
            .completed
            .insert(Cadence::Daily, now - chrono::Duration::hours(30));
        assert_eq!(
            overdue_checklists(&state, now),
            None,
            "due, within its grace"
        );
        state
            .completed
            .insert(Cadence::Daily, now - chrono::Duration::hours(40));
        state
            .completed
            .insert(Cadence::Weekly, now - chrono::Duration::days(10));
        assert_eq!(
            overdue_checklists(&state, now).as_deref(),
            Some("daily since 2026-11-25 17:30 UTC, weekly since 2026-11-23 09:30 UTC")
        );
    }
}
