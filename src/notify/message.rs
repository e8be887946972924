//! What a notification says: the message itself and its wording per channel.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::config::Priority;

/// Where an incident stands when a notification goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationStatus {
    /// The incident just opened (or its priority rose).
    Firing,
    /// The incident is still open; a reminder.
    Repeat,
    /// The incident closed.
    Resolved,
    /// A test from `scandyctl notify test`.
    Test,
}

impl NotificationStatus {
    /// The lowercase name (`firing`).
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::Firing => "firing",
            NotificationStatus::Repeat => "repeat",
            NotificationStatus::Resolved => "resolved",
            NotificationStatus::Test => "test",
        }
    }
}

impl fmt::Display for NotificationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One notification: an incident opening, repeating or resolving, or a test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    /// Stable incident id, e.g. `disk:/backups`.
    pub incident: String,
    /// Priority of the incident.
    pub priority: Priority,
    /// Opening, reminder, resolved or test.
    pub status: NotificationStatus,
    /// Short headline, e.g. "Disk /backups 91 % full".
    pub title: String,
    /// One or two sentences.
    pub summary: String,
    /// The machine the incident is about.
    pub host: String,
    /// When the notification was made.
    pub at: DateTime<Utc>,
}

impl Notification {
    /// A test notification for `scandyctl notify test`.
    pub fn test(host: &str, at: DateTime<Utc>) -> Self {
        Notification {
            incident: "test".to_string(),
            priority: Priority::Info,
            status: NotificationStatus::Test,
            title: format!("Test message from scandyctl on {host}"),
            summary: "This is a test of the scandyctl notification channels. If you read this, \
                      the channel works."
                .to_string(),
            host: host.to_string(),
            at,
        }
    }

    /// The headline with the status in front where it matters ("Resolved: Disk … full").
    pub fn headline(&self) -> String {
        match self.status {
            NotificationStatus::Firing | NotificationStatus::Test => self.title.clone(),
            NotificationStatus::Repeat => format!("Still open: {}", self.title),
            NotificationStatus::Resolved => format!("Resolved: {}", self.title),
        }
    }

    /// The e-mail subject: `[Scandy CRITICAL] <title>`, `[Scandy RESOLVED] <title>`.
    pub fn subject(&self) -> String {
        let tag = match self.status {
            NotificationStatus::Resolved => "RESOLVED".to_string(),
            NotificationStatus::Test => "TEST".to_string(),
            _ => self.priority.as_str().to_uppercase(),
        };
        let title = match self.status {
            NotificationStatus::Repeat => format!("Still open: {}", self.title),
            _ => self.title.clone(),
        };
        format!("[Scandy {tag}] {title}")
    }

    /// The time as the admin reads it (`2026-11-26 13:04:05 UTC`).
    pub fn time_text(&self) -> String {
        self.at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }

    /// The plain-text e-mail body: summary, then status, priority, host, time and incident.
    pub fn mail_body(&self) -> String {
        let status = match self.status {
            NotificationStatus::Firing => "open",
            NotificationStatus::Repeat => "still open",
            NotificationStatus::Resolved => "resolved",
            NotificationStatus::Test => "test",
        };
        format!(
            "{summary}\n\nStatus:   {status}\nPriority: {priority}\nHost:     {host}\nTime:     \
             {time}\nIncident: {incident}\n\n-- \nsent by scandyctl\n",
            summary = self.summary,
            priority = self.priority,
            host = self.host,
            time = self.time_text(),
            incident = self.incident,
        )
    }

    /// The priority the receiving app shows; a resolved message never wakes anyone.
    pub fn effective_priority(&self) -> Priority {
        match self.status {
            NotificationStatus::Resolved | NotificationStatus::Test => Priority::Info,
            _ => self.priority,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sample(status: NotificationStatus) -> Notification {
        Notification {
            incident: "disk:/backups".into(),
            priority: Priority::Critical,
            status,
            title: "Disk /backups 91 % full".into(),
            summary: "Only 9 % left.".into(),
            host: "werkstatt".into(),
            at: Utc.with_ymd_and_hms(2026, 11, 26, 13, 4, 5).unwrap(),
        }
    }

    #[test]
    fn subjects() {
        assert_eq!(
            sample(NotificationStatus::Firing).subject(),
            "[Scandy CRITICAL] Disk /backups 91 % full"
        );
        assert_eq!(
            sample(NotificationStatus::Resolved).subject(),
            "[Scandy RESOLVED] Disk /backups 91 % full"
        );
        assert_eq!(
            sample(NotificationStatus::Repeat).subject(),
            "[Scandy CRITICAL] Still open: Disk /backups 91 % full"
        );
    }

    #[test]
    fn body_has_everything() {
        let body = sample(NotificationStatus::Firing).mail_body();
        for part in [
            "Only 9 % left.",
            "Host:     werkstatt",
            "Time:     2026-11-26 13:04:05 UTC",
            "Incident: disk:/backups",
        ] {
            assert!(body.contains(part), "{body}");
        }
    }

    #[test]
    fn json_shape() {
        let json = serde_json::to_value(sample(NotificationStatus::Resolved)).unwrap();
        assert_eq!(json["status"], "resolved");
        assert_eq!(json["priority"], "critical");
        assert_eq!(json["at"], "2026-11-26T13:04:05Z");
    }
}
