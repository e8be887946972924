//! Escalation: a pure state machine (no I/O) that turns the incidents open now into the
//! notifications to send — one per incident and channel, repeats, resolved, retries.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::ChannelError;
use super::config::{NotifyConfig, Priority};
use super::message::{Notification, NotificationStatus};

/// First retry delay after a failed delivery; it doubles up to [`MAX_BACKOFF_SECS`].
pub const FIRST_BACKOFF_SECS: i64 = 30;
/// Longest retry delay.
pub const MAX_BACKOFF_SECS: i64 = 15 * 60;

/// An incident that is open right now, as the watcher sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveIncident {
    /// Stable id (`disk:/backups`).
    pub id: String,
    /// Its priority now.
    pub priority: Priority,
    /// Short headline.
    pub title: String,
    /// One or two sentences.
    pub summary: String,
}

/// One notification for one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// The channel name.
    pub channel: String,
    /// What to send.
    pub notification: Notification,
}

#[derive(Debug, Clone)]
struct OpenIncident {
    priority: Priority,
    title: String,
    summary: String,
    last_sent: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct Retry {
    outgoing: Outgoing,
    due: DateTime<Utc>,
}

/// Decides which notifications go out: one per incident when it opens, repeats every
/// `repeat` while open, one "resolved" when it closes (if enabled) — never one per sample.
#[derive(Debug, Clone)]
pub struct Escalator {
    repeat: Option<TimeDelta>,
    send_resolved: bool,
    escalation: BTreeMap<Priority, Vec<String>>,
    open: BTreeMap<String, OpenIncident>,
    /// Failed deliveries waiting for their next try, by (channel, incident).
    retries: BTreeMap<(String, String), Retry>,
    /// Consecutive failures by (channel, incident).
    attempts: BTreeMap<(String, String), u32>,
    /// The last error of each channel whose last delivery failed.
    failing: BTreeMap<String, String>,
}

impl Escalator {
    /// A fresh escalator with no open incidents.
    pub fn new(config: &NotifyConfig) -> Self {
        Escalator {
            repeat: config
                .repeat
                .and_then(|d| TimeDelta::from_std(d).ok())
                .filter(|d| *d > TimeDelta::zero()),
            send_resolved: config.send_resolved,
            escalation: config.escalation.clone(),
            open: BTreeMap::new(),
            retries: BTreeMap::new(),
            attempts: BTreeMap::new(),
            failing: BTreeMap::new(),
        }
    }

    /// The incidents active now (id → (priority, title, summary)); returns the (channel
    /// name, Notification) pairs to send at `now`.
    pub fn update(
        &mut self,
        active: &[ActiveIncident],
        now: DateTime<Utc>,
        host: &str,
    ) -> Vec<Outgoing> {
        let mut out = Vec::new();
        for incident in active {
            let status = match self.open.get_mut(&incident.id) {
                None => {
                    self.open.insert(
                        incident.id.clone(),
                        OpenIncident {
                            priority: incident.priority,
                            title: incident.title.clone(),
                            summary: incident.summary.clone(),
                            last_sent: now,
                        },
                    );
                    Some(NotificationStatus::Firing)
                }
                Some(open) => {
                    let raised = incident.priority > open.priority;
                    open.priority = incident.priority;
                    open.title.clone_from(&incident.title);
                    open.summary.clone_from(&incident.summary);
                    let repeat_due = self.repeat.is_some_and(|r| now - open.last_sent >= r);
                    if raised || repeat_due {
                        open.last_sent = now;
                    }
                    if raised {
                        Some(NotificationStatus::Firing)
                    } else if repeat_due {
                        Some(NotificationStatus::Repeat)
                    } else {
                        None
                    }
                }
            };
            if let Some(status) = status {
                let n = notification(incident, status, host, now);
                self.emit(&mut out, incident.priority, n);
            }
        }
        let closed: Vec<String> = self
            .open
            .keys()
            .filter(|id| !active.iter().any(|a| &a.id == *id))
            .cloned()
            .collect();
        for id in closed {
            let Some(open) = self.open.remove(&id) else {
                continue;
            };
            // Reminders of a closed incident are pointless; drop their retries.
            self.retries.retain(|(_, incident), _| *incident != id);
            self.attempts.retain(|(_, incident), _| *incident != id);
            if self.send_resolved {
                let incident = ActiveIncident {
                    id,
                    priority: open.priority,
                    title: open.title,
                    summary: open.summary,
                };
                let n = notification(&incident, NotificationStatus::Resolved, host, now);
                self.emit(&mut out, open.priority, n);
            }
        }
        let due: Vec<(String, String)> = self
            .retries
            .iter()
            .filter(|(_, retry)| retry.due <= now)
            .map(|(key, _)| key.clone())
            .collect();
        for key in due {
            if let Some(retry) = self.retries.remove(&key) {
                out.push(retry.outgoing);
            }
        }
        out
    }

    /// Queues `n` for every channel of `priority`; a newer message replaces a pending retry.
    fn emit(&mut self, out: &mut Vec<Outgoing>, priority: Priority, n: Notification) {
        for channel in self.escalation.get(&priority).into_iter().flatten() {
            self.retries.remove(&(channel.clone(), n.incident.clone()));
            out.push(Outgoing {
                channel: channel.clone(),
                notification: n.clone(),
            });
        }
    }

    /// Records a delivery result; a failed delivery is retried at the next update after a
    /// back-off (30 s, 1 min, 2 min, … max 15 min) without blocking others.
    pub fn delivered(
        &mut self,
        outgoing: &Outgoing,
        result: Result<(), ChannelError>,
        now: DateTime<Utc>,
    ) {
        let key = (
            outgoing.channel.clone(),
            outgoing.notification.incident.clone(),
        );
        match result {
            Ok(()) => {
                self.attempts.remove(&key);
                self.failing.remove(&outgoing.channel);
            }
            Err(err) => {
                self.failing
                    .insert(outgoing.channel.clone(), err.message.clone());
                let stale = outgoing.notification.status != NotificationStatus::Resolved
                    && !self.open.contains_key(&outgoing.notification.incident);
                if stale || self.retries.contains_key(&key) {
                    // Closed since, or a newer message is already queued for this channel.
                    return;
                }
                let attempts = self.attempts.entry(key.clone()).or_insert(0);
                *attempts += 1;
                let due = now + backoff(*attempts);
                self.retries.insert(
                    key,
                    Retry {
                        outgoing: outgoing.clone(),
                        due,
                    },
                );
            }
        }
    }

    /// Channel failures not yet reported (for the status line / journal): every channel
    /// whose last delivery failed, with its last error; cleared by a success.
    pub fn failures(&self) -> Vec<(String, String)> {
        self.failing
            .iter()
            .map(|(channel, message)| (channel.clone(), message.clone()))
            .collect()
    }

    /// The ids of the incidents currently open.
    pub fn open_incidents(&self) -> Vec<String> {
        self.open.keys().cloned().collect()
    }
}

/// The delay before retry number `attempt` (1-based): 30 s, 1 min, 2 min, … 15 min.
pub fn backoff(attempt: u32) -> TimeDelta {
    let shift = attempt.saturating_sub(1).min(10);
    TimeDelta::seconds((FIRST_BACKOFF_SECS << shift).min(MAX_BACKOFF_SECS))
}

fn notification(
    incident: &ActiveIncident,
    status: NotificationStatus,
    host: &str,
    now: DateTime<Utc>,
) -> Notification {
    Notification {
        incident: incident.id.clone(),
        priority: incident.priority,
        status,
        title: incident.title.clone(),
        summary: incident.summary.clone(),
        host: host.to_string(),
        at: now,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;

    use super::*;

    fn config() -> NotifyConfig {
        let mut escalation = BTreeMap::new();
        escalation.insert(
            Priority::Critical,
            vec!["mail".to_string(), "phone".to_string()],
        );
        escalation.insert(Priority::Warning, vec!["mail".to_string()]);
        escalation.insert(Priority::Info, Vec::new());
        NotifyConfig {
            repeat: Some(Duration::from_secs(3600)),
            send_resolved: true,
            escalation,
            channels: Vec::new(),
        }
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap()
    }

    fn disk(priority: Priority) -> ActiveIncident {
        ActiveIncident {
            id: "disk:/backups".into(),
            priority,
            title: "Disk /backups 91 % full".into(),
            summary: "Only 9 % left.".into(),
        }
    }

    fn summary(out: &[Outgoing]) -> Vec<(String, NotificationStatus)> {
        out.iter()
            .map(|o| (o.channel.clone(), o.notification.status))
            .collect()
    }

    fn ok_all(esc: &mut Escalator, out: &[Outgoing], now: DateTime<Utc>) {
        for o in out {
            esc.delivered(o, Ok(()), now);
        }
    }

    #[test]
    fn open_sends_one_message_per_channel_of_its_priority() {
        let mut esc = Escalator::new(&config());
        let out = esc.update(&[disk(Priority::Critical)], t0(), "werkstatt");
        assert_eq!(
            summary(&out),
            [
                ("mail".to_string(), NotificationStatus::Firing),
                ("phone".to_string(), NotificationStatus::Firing)
            ]
        );
        let n = &out[0].notification;
        assert_eq!(n.incident, "disk:/backups");
        assert_eq!(n.host, "werkstatt");
        assert_eq!(n.at, t0());
    }

    #[test]
    fn same_incident_is_quiet_until_repeat() {
        let mut esc = Escalator::new(&config());
        let out = esc.update(&[disk(Priority::Warning)], t0(), "h");
        ok_all(&mut esc, &out, t0());
        for minute in 1..=10 {
            let now = t0() + TimeDelta::minutes(minute * 5);
            assert!(esc.update(&[disk(Priority::Warning)], now, "h").is_empty());
        }
        let now = t0() + TimeDelta::minutes(60);
        let out = esc.update(&[disk(Priority::Warning)], now, "h");
        assert_eq!(
            summary(&out),
            [("mail".to_string(), NotificationStatus::Repeat)]
        );
        assert!(
            esc.update(&[disk(Priority::Warning)], now + TimeDelta::minutes(1), "h")
                .is_empty()
        );
    }

    #[test]
    fn no_repeat_when_disabled() {
        let mut cfg = config();
        cfg.repeat = None;
        let mut esc = Escalator::new(&cfg);
        esc.update(&[disk(Priority::Warning)], t0(), "h");
        let later = t0() + TimeDelta::days(3);
        assert!(
            esc.update(&[disk(Priority::Warning)], later, "h")
                .is_empty()
        );
    }

    #[test]
    fn resolved_sends_one_resolved() {
        let mut esc = Escalator::new(&config());
        esc.update(&[disk(Priority::Critical)], t0(), "h");
        let now = t0() + TimeDelta::minutes(5);
        let out = esc.update(&[], now, "h");
        assert_eq!(
            summary(&out),
            [
                ("mail".to_string(), NotificationStatus::Resolved),
                ("phone".to_string(), NotificationStatus::Resolved)
            ]
        );
        assert!(esc.update(&[], now + TimeDelta::minutes(1), "h").is_empty());
        assert!(esc.open_incidents().is_empty());
    }

    #[test]
    fn resolved_can_be_switched_off() {
        let mut cfg = config();
        cfg.send_resolved = false;
        let mut esc = Escalator::new(&cfg);
        esc.update(&[disk(Priority::Critical)], t0(), "h");
        assert!(
            esc.update(&[], t0() + TimeDelta::minutes(5), "h")
                .is_empty()
        );
    }

    #[test]
    fn priority_raise_fires_again_to_new_channels() {
        let mut esc = Escalator::new(&config());
        let out = esc.update(&[disk(Priority::Warning)], t0(), "h");
        assert_eq!(summary(&out).len(), 1);
        ok_all(&mut esc, &out, t0());
        let now = t0() + TimeDelta::minutes(2);
        let out = esc.update(&[disk(Priority::Critical)], now, "h");
        assert_eq!(
            summary(&out),
            [
                ("mail".to_string(), NotificationStatus::Firing),
                ("phone".to_string(), NotificationStatus::Firing)
            ]
        );
        assert_eq!(out[1].notification.priority, Priority::Critical);
        // Lowering the priority again is silent.
        let out = esc.update(&[disk(Priority::Warning)], now + TimeDelta::minutes(1), "h");
        assert!(out.is_empty());
    }

    #[test]
    fn failed_delivery_is_retried_after_backoff_others_unaffected() {
        let mut esc = Escalator::new(&config());
        let out = esc.update(&[disk(Priority::Critical)], t0(), "h");
        for o in &out {
            let result = if o.channel == "mail" {
                Err(ChannelError::new(
                    "mail",
                    "cannot connect to smtp:587: connection refused",
                    &[],
                ))
            } else {
                Ok(())
            };
            esc.delivered(o, result, t0());
        }
        assert_eq!(
            esc.failures(),
            [(
                "mail".to_string(),
                "cannot connect to smtp:587: connection refused".to_string()
            )]
        );
        // Not before 30 s.
        let at = |s: i64| t0() + TimeDelta::seconds(s);
        assert!(
            esc.update(&[disk(Priority::Critical)], at(10), "h")
                .is_empty()
        );
        let out = esc.update(&[disk(Priority::Critical)], at(30), "h");
        assert_eq!(
            summary(&out),
            [("mail".to_string(), NotificationStatus::Firing)]
        );
        assert_eq!(out[0].notification.at, t0());
        // Second failure: one minute.
        esc.delivered(
            &out[0],
            Err(ChannelError::new("mail", "still down", &[])),
            at(30),
        );
        assert!(
            esc.update(&[disk(Priority::Critical)], at(60), "h")
                .is_empty()
        );
        let out = esc.update(&[disk(Priority::Critical)], at(90), "h");
        assert_eq!(summary(&out).len(), 1);
        esc.delivered(&out[0], Ok(()), at(90));
        assert!(esc.failures().is_empty());
        assert!(
            esc.update(&[disk(Priority::Critical)], at(600), "h")
                .is_empty()
        );
    }

    #[test]
    fn backoff_doubles_up_to_fifteen_minutes() {
        let secs: Vec<i64> = (1..=8).map(|a| backoff(a).num_seconds()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 900, 900, 900]);
    }

    #[test]
    fn resolving_drops_pending_retries_of_the_incident() {
        let mut esc = Escalator::new(&config());
        let out = esc.update(&[disk(Priority::Warning)], t0(), "h");
        esc.delivered(&out[0], Err(ChannelError::new("mail", "down", &[])), t0());
        let out = esc.update(&[], t0() + TimeDelta::seconds(40), "h");
        assert_eq!(
            summary(&out),
            [("mail".to_string(), NotificationStatus::Resolved)]
        );
    }
}
