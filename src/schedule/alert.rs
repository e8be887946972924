//! Telling the admin about a failed scheduled backup (and its recovery) through the
//! `[notify]` channels of the critical priority.

use chrono::Utc;

use super::runner::RunReport;
use crate::notify::{Notification, NotificationStatus, NotifyConfig, Priority};

/// The incident id of failed scheduled backups.
pub const FAILED_INCIDENT: &str = "backup-failed";

fn notification(report: &RunReport, status: NotificationStatus, summary: String) -> Notification {
    let host = crate::backup::lock::host_name();
    Notification {
        incident: FAILED_INCIDENT.into(),
        priority: Priority::Critical,
        status,
        title: format!(
            "Scheduled backup ({}) failed on {host}",
            report.slot.entries.join(", ")
        ),
        summary,
        host,
        at: Utc::now(),
    }
}

async fn send_all(config: &NotifyConfig, n: &Notification) -> Vec<String> {
    let mut lines = Vec::new();
    for name in config.channels_for(n.priority) {
        let Some(channel) = config.channel(name) else {
            continue;
        };
        match crate::notify::send(channel, n).await {
            Ok(()) => lines.push(format!("notify {name}: {} sent", n.status)),
            Err(err) => lines.push(format!("notify {err}")),
        }
    }
    lines
}

/// Sends "scheduled backup failed" with the error text; returns a line per channel.
pub async fn notify_failure(config: &NotifyConfig, report: &RunReport, error: &str) -> Vec<String> {
    let summary = format!(
        "The scheduled backup of slot {} did not complete: {error}",
        report.slot.at.format("%Y-%m-%d %H:%M UTC")
    );
    send_all(
        config,
        &notification(report, NotificationStatus::Firing, summary),
    )
    .await
}

/// Sends "resolved" after a successful run that follows a failed one (when
/// `notify.send_resolved`).
pub async fn notify_recovered(config: &NotifyConfig, report: &RunReport) -> Vec<String> {
    if !config.send_resolved {
        return Vec::new();
    }
    let summary = format!(
        "The scheduled backup works again: set {} was written.",
        report.set_id.as_deref().unwrap_or("?")
    );
    send_all(
        config,
        &notification(report, NotificationStatus::Resolved, summary),
    )
    .await
}
