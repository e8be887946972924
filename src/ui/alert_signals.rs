//! The console's own alert evaluation: the signals come from what the console already
//! holds (system sample, `/health` probe, MongoDB state, backup overview, log error rate,
//! the checklists' due states), evaluated on every system sample and every read of the
//! checklists with the same rules as `scandyctl watch`.

use chrono::{DateTime, Utc};

use super::state::State;
use crate::alerts::{MongoSignal, Signals};
use crate::backup::inventory::Verification;
use crate::mongo::probe::{ConnectionState, FailureKind};

/// Minutes the log error rate is averaged over.
const ERROR_RATE_MINUTES: usize = 5;

/// The signals of `state` as of `now`.
pub fn signals(state: &State, now: DateTime<Utc>) -> Signals {
    let sample = state.system.latest.as_deref();
    let overview = state.backups.as_ref().and_then(|r| r.as_ref().ok());
    let rate = &state.logs.error_rate;
    let glance = state.schedule.as_ref().and_then(|r| r.as_ref().ok());
    Signals {
        disks: sample.map_or_else(Vec::new, |s| {
            s.filesystems
                .iter()
                .map(|fs| (fs.mount.clone(), fs.used_percent()))
                .collect()
        }),
        memory_used_percent: sample
            .filter(|s| s.memory_total > 0)
            .map(|s| s.memory_used as f64 * 100.0 / s.memory_total as f64),
        cpu_percent: sample.map(|s| f64::from(s.cpu_total)),
        health: state.system.health.as_ref().map(|p| {
            if p.healthy {
                Ok(())
            } else {
                Err(p.detail.clone())
            }
        }),
        mongo: match &state.mongo {
            ConnectionState::Connected { .. } => Some(MongoSignal::Ok),
            ConnectionState::Connecting { .. } => None,
            ConnectionState::Unreachable { failure, .. } if failure.kind == FailureKind::Auth => {
                Some(MongoSignal::AuthFailed(failure.detail.clone()))
            }
            ConnectionState::Unreachable { failure, .. } => {
                Some(MongoSignal::Unreachable(failure.detail.clone()))
            }
        },
        backup_age: overview.map(|o| o.newest.as_ref().map(|set| now - set.created_at)),
        verify_failed: overview
            .and_then(|o| o.newest.as_ref())
            .filter(|set| matches!(set.verification, Verification::Failed { .. }))
            .map(|set| set.id.clone()),
        schedule_failed: glance.and_then(|g| g.failed().map(String::from)),
        schedule_missed: glance.and_then(|g| g.missed_text()),
        checklists_overdue: state.checklists.overdue_text(),
        errors_per_minute: (!rate.is_empty()).then(|| {
            let recent: u64 = rate.iter().rev().take(ERROR_RATE_MINUTES).sum();
            recent as f64 / ERROR_RATE_MINUTES as f64
        }),
    }
}

/// Evaluates the rules on the current state (called on every system sample and every read
/// of the checklists).
pub fn evaluate(state: &mut State, now: DateTime<Utc>) {
    let signals = signals(state, now);
    let alerts = state.alert_engine.evaluate(&signals, now);
    if alerts != state.alerts {
        state.alerts = alerts;
        state.dirty = true;
    }
}
