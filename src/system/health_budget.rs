//! The `/health` request budget every scandyctl process on this host shares.
//!
//! Scandy's Flask-Limiter counts `/health` like any other request (200 per day and 50 per
//! hour per client IP by default), so an eager probe locks out every user behind the same
//! address. scandyctl spends at most [`BUDGET_SHARE_PERCENT`] of each limit: the ledger in
//! the state directory records the requests of every scandyctl process (console, `watch`)
//! under a short `flock`, and [`decide`] allows a request only when every limit's window
//! still has room, the spacing since the previous request is kept and no `Retry-After` is
//! pending.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::rate_limit::RateLimit;
use crate::state::{StateLock, state_dir, write_atomic};

/// Share of each of Scandy's rate limits scandyctl may use, in percent.
pub const BUDGET_SHARE_PERCENT: u32 = 20;
/// Shortest spacing of an urgent request (after a failure or when the port came back).
pub const URGENT_SPACING: Duration = Duration::from_secs(60);
/// Longest `Retry-After` honoured (a longer one is cut to this).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(6 * 3_600);
/// Wait after a 429 without `Retry-After`.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(600);

/// How often `/health` may be asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetPolicy {
    /// Scandy's rate limits (empty: `/health` is exempt).
    pub limits: Vec<RateLimit>,
    /// `web.health_interval`: the spacing of routine requests.
    pub interval: Duration,
}

impl BudgetPolicy {
    /// Each limit with the number of requests scandyctl may spend in its window (at least 1).
    pub fn caps(&self) -> Vec<(RateLimit, u32)> {
        self.limits
            .iter()
            .map(|l| (*l, (l.count * BUDGET_SHARE_PERCENT / 100).max(1)))
            .collect()
    }

    /// The spacing of routine requests: `interval`, or longer where a limit's share demands.
    pub fn spacing(&self) -> Duration {
        self.caps()
            .iter()
            .map(|(l, cap)| l.window / *cap)
            .fold(self.interval, Duration::max)
    }

    /// The spacing of urgent requests: [`URGENT_SPACING`], never longer than [`Self::spacing`].
    pub fn urgent_spacing(&self) -> Duration {
        URGENT_SPACING.min(self.spacing())
    }

    /// The longest window (how long the ledger keeps a request).
    fn longest_window(&self) -> Duration {
        self.limits
            .iter()
            .map(|l| l.window)
            .fold(self.spacing(), Duration::max)
    }
}

/// The last `/health` answer, as shared between scandyctl processes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedAnswer {
    /// When it came (milliseconds since the epoch).
    pub at_ms: i64,
    /// Whether it was healthy.
    pub healthy: bool,
    /// Answered 429 (rate-limited).
    pub rate_limited: bool,
    /// The HTTP status, if any.
    pub status: Option<u16>,
    /// The probe's detail (already escaped and free of secrets).
    pub detail: String,
    /// Response time in milliseconds.
    pub latency_ms: f64,
}

/// What the ledger file holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    /// Times of the requests still inside the longest window (ms since the epoch).
    pub requests: Vec<i64>,
    /// No request before this time (a `Retry-After`), ms since the epoch.
    pub retry_after_until: Option<i64>,
    /// The newest answer.
    pub last: Option<SharedAnswer>,
}

/// Why a request has to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitReason {
    /// The spacing since the previous request is not over.
    Spacing,
    /// This limit's share is spent for its window.
    Budget(RateLimit),
    /// Scandy asked to wait (`Retry-After`).
    RetryAfter,
}

/// Whether a request may go out now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send it (the ledger recorded it).
    Send,
    /// Wait until this time (ms since the epoch).
    Wait {
        /// Earliest time a request may go out.
        until_ms: i64,
        /// Why.
        reason: WaitReason,
    },
}

/// Milliseconds since the epoch.
pub fn epoch_ms(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Decides on a request at `now_ms` and records it in `ledger` when it may go out.
///
/// An urgent request (the last answer failed, or the port just came back) uses the shorter
/// [`BudgetPolicy::urgent_spacing`], but only while at most half of every limit's share is
/// spent, so a long outage never eats the budget that routine checks need afterwards.
pub fn decide(ledger: &mut Ledger, policy: &BudgetPolicy, now_ms: i64, urgent: bool) -> Decision {
    let keep = ms(policy.longest_window());
    // A request stamped a little after `now_ms` (another process's clock read) still counts:
    // dropping it would let two requests out at once.
    ledger.requests.retain(|t| (now_ms - *t).abs() < keep);
    ledger.requests.sort_unstable();
    if let Some(until) = ledger.retry_after_until {
        if until > now_ms {
            return Decision::Wait {
                until_ms: until,
                reason: WaitReason::RetryAfter,
            };
        }
        ledger.retry_after_until = None;
    }
    let mut urgent_allowed = urgent;
    for (limit, cap) in policy.caps() {
        let window = ms(limit.window);
        let inside: Vec<i64> = ledger
            .requests
            .iter()
            .copied()
            .filter(|t| now_ms - *t < window)
            .collect();
        if inside.len() >= cap as usize {
            // The oldest request inside the window leaves it first.
            return Decision::Wait {
                until_ms: inside[inside.len() - cap as usize] + window,
                reason: WaitReason::Budget(limit),
            };
        }
        if inside.len() >= (cap - cap / 2) as usize {
            urgent_allowed = false;
        }
    }
    let spacing = if urgent_allowed {
        policy.urgent_spacing()
    } else {
        policy.spacing()
    };
    if let Some(last) = ledger.requests.last()
        && now_ms - last < ms(spacing)
    {
        return Decision::Wait {
            until_ms: last + ms(spacing),
            reason: WaitReason::Spacing,
        };
    }
    ledger.requests.push(now_ms);
    Decision::Send
}

/// The ledger file for one health URL, shared through the state directory.
#[derive(Debug, Clone)]
pub struct SharedLedger {
    file: PathBuf,
    lock: PathBuf,
    /// The process's own copy, used when the state directory cannot be written.
    memory: Ledger,
    /// Why the file could not be used (said once).
    pub problem: Option<String>,
}

impl SharedLedger {
    /// The ledger for `url` in the state directory (one file per host and port).
    pub fn for_url(url: &str) -> SharedLedger {
        let key: String = reqwest::Url::parse(url)
            .ok()
            .map(|u| {
                format!(
                    "{}-{}",
                    u.host_str().unwrap_or("none"),
                    u.port_or_known_default().unwrap_or(0)
                )
            })
            .unwrap_or_else(|| "invalid".into())
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let dir = state_dir().join("health");
        SharedLedger {
            file: dir.join(format!("{key}.json")),
            lock: dir.join(format!("{key}.lock")),
            memory: Ledger::default(),
            problem: None,
        }
    }

    /// Runs `change` on the newest ledger under the lock and stores the result.
    pub fn update<T>(&mut self, change: impl FnOnce(&mut Ledger) -> T) -> T {
        let guard = match StateLock::acquire(&self.lock) {
            Ok(guard) => Some(guard),
            Err(e) => {
                self.problem = Some(format!("{e:#}"));
                None
            }
        };
        if guard.is_some()
            && let Ok(bytes) = std::fs::read(&self.file)
            && let Ok(ledger) = serde_json::from_slice::<Ledger>(&bytes)
        {
            self.memory = ledger;
        }
        let out = change(&mut self.memory);
        if guard.is_some() {
            let bytes = serde_json::to_vec(&self.memory).unwrap_or_default();
            if let Err(e) = write_atomic(&self.file, &bytes) {
                self.problem = Some(format!("{e:#}"));
            }
        }
        out
    }

    /// The newest shared answer (read without changing anything).
    pub fn last_answer(&mut self) -> Option<SharedAnswer> {
        self.update(|l| l.last.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(limits: &[(u32, u64)], interval: u64) -> BudgetPolicy {
        BudgetPolicy {
            limits: limits
                .iter()
                .map(|(count, secs)| RateLimit {
                    count: *count,
                    window: Duration::from_secs(*secs),
                })
                .collect(),
            interval: Duration::from_secs(interval),
        }
    }

    #[test]
    fn scandy_defaults_give_a_request_every_36_minutes() {
        let p = policy(&[(200, 86_400), (50, 3_600)], 600);
        assert_eq!(
            p.caps().iter().map(|(_, c)| *c).collect::<Vec<_>>(),
            vec![40, 10]
        );
        assert_eq!(p.spacing(), Duration::from_secs(2_160));
        assert_eq!(p.urgent_spacing(), URGENT_SPACING);
        let exempt = policy(&[], 600);
        assert_eq!(exempt.spacing(), Duration::from_secs(600));
    }

    /// Whatever the callers do, no window of any limit ever holds more than its share.
    #[test]
    fn never_spends_more_than_the_share_in_any_window() {
        let p = policy(&[(200, 86_400), (50, 3_600)], 1);
        let mut ledger = Ledger::default();
        let mut sent = Vec::new();
        // Two days, asked every 10 s, urgent half of the time (a flapping service).
        let mut now = 0i64;
        while now < 2 * 86_400_000 {
            let urgent = (now / 3_600_000) % 2 == 0;
            if decide(&mut ledger, &p, now, urgent) == Decision::Send {
                sent.push(now);
            }
            now += 10_000;
        }
        for (limit, cap) in p.caps() {
            let window = ms(limit.window);
            for (i, start) in sent.iter().enumerate() {
                let inside = sent[i..]
                    .iter()
                    .take_while(|t| **t - start < window)
                    .count();
                assert!(inside <= cap as usize, "{inside} > {cap} in {limit}");
            }
        }
        // And it keeps probing all along: about one routine request per spacing.
        assert!(sent.len() >= 60, "{}", sent.len());
    }

    #[test]
    fn urgent_requests_come_sooner_but_keep_half_the_share() {
        let p = policy(&[(50, 3_600)], 600);
        let mut ledger = Ledger::default();
        assert_eq!(decide(&mut ledger, &p, 0, true), Decision::Send);
        assert_eq!(
            decide(&mut ledger, &p, 30_000, true),
            Decision::Wait {
                until_ms: 60_000,
                reason: WaitReason::Spacing
            }
        );
        let mut t = 60_000;
        let mut urgent_sent = 1;
        while t < 3_600_000 {
            if decide(&mut ledger, &p, t, true) == Decision::Send {
                urgent_sent += 1;
            }
            t += 1_000;
        }
        // cap 10 per hour, half of it (5) for urgent ones, then the routine 6-minute pace.
        assert!(urgent_sent <= 10, "{urgent_sent}");
        assert!(urgent_sent >= 5, "{urgent_sent}");
    }

    /// Two callers that read the clock before taking turns: the later turn with the earlier
    /// time still sees the other's request and waits.
    #[test]
    fn a_request_stamped_just_after_now_still_holds_back_the_next() {
        let p = policy(&[(20, 30)], 10);
        let mut ledger = Ledger::default();
        assert_eq!(decide(&mut ledger, &p, 1_010, false), Decision::Send);
        assert!(matches!(
            decide(&mut ledger, &p, 1_000, false),
            Decision::Wait {
                reason: WaitReason::Spacing,
                ..
            }
        ));
        assert_eq!(ledger.requests, vec![1_010]);
    }

    #[test]
    fn retry_after_blocks_until_its_time() {
        let p = policy(&[], 1);
        let mut ledger = Ledger {
            retry_after_until: Some(5_000),
            ..Ledger::default()
        };
        assert_eq!(
            decide(&mut ledger, &p, 1_000, true),
            Decision::Wait {
                until_ms: 5_000,
                reason: WaitReason::RetryAfter
            }
        );
        assert_eq!(decide(&mut ledger, &p, 5_000, false), Decision::Send);
        assert_eq!(ledger.retry_after_until, None);
    }
}
