//! The `alertmanager` channel: posts firing and resolved alerts to an Alertmanager's
//! `/api/v2/alerts`. A firing alert carries an `endsAt` [`FIRING_HOLD`] ahead and is re-sent
//! with every repeat (`notify.repeat_minutes`); a resolved one ends now.

use chrono::{DateTime, Duration, Utc};

use super::message::{Notification, NotificationStatus};

/// How long Alertmanager keeps a firing alert without hearing of it again (two hours: more
/// than the default repeat of 60 minutes, so a firing alert never lapses between repeats).
pub const FIRING_HOLD: Duration = Duration::hours(2);

/// The API path appended to the channel's base URL.
pub const ALERTS_PATH: &str = "api/v2/alerts";

/// The base URL of an Alertmanager with `/api/v2/alerts` appended (once).
pub fn alerts_url(base: &reqwest::Url) -> reqwest::Url {
    let mut url = base.clone();
    let path = url.path().trim_end_matches('/').to_string();
    if !path.ends_with("/api/v2/alerts") {
        url.set_path(&format!("{path}/{ALERTS_PATH}"));
    }
    url
}

/// The `alertname` of an incident: the rule part of its id (`disk` of `disk:/backups`).
fn alert_name(incident: &str) -> String {
    let rule = incident.split(':').next().unwrap_or(incident);
    format!("scandyctl_{}", rule.replace(['-', ' '], "_"))
}

/// The JSON body (a list of one alert) for `n` at `now`.
pub fn alerts_body(n: &Notification, now: DateTime<Utc>) -> String {
    let ends = match n.status {
        NotificationStatus::Resolved => now,
        NotificationStatus::Test => now + Duration::minutes(5),
        NotificationStatus::Firing | NotificationStatus::Repeat => now + FIRING_HOLD,
    };
    let alert = serde_json::json!({
        "labels": {
            "alertname": alert_name(&n.incident),
            "incident": n.incident,
            "severity": n.priority.as_str(),
            "instance": n.host,
            "service": "scandy",
        },
        "annotations": {
            "summary": n.title,
            "description": n.summary,
        },
        "startsAt": n.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "endsAt": ends.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    serde_json::Value::Array(vec![alert]).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Priority;

    #[test]
    fn body_and_url() {
        let base = reqwest::Url::parse("http://127.0.0.1:9093").unwrap();
        assert_eq!(
            alerts_url(&base).as_str(),
            "http://127.0.0.1:9093/api/v2/alerts"
        );
        let full = reqwest::Url::parse("http://am:9093/api/v2/alerts").unwrap();
        assert_eq!(alerts_url(&full), full);
        let now = Utc::now();
        let mut n = Notification {
            incident: "disk:/backups".into(),
            priority: Priority::Critical,
            status: NotificationStatus::Firing,
            title: "Disk /backups 96 % full".into(),
            summary: "…".into(),
            host: "werkstatt".into(),
            at: now,
        };
        let body: serde_json::Value = serde_json::from_str(&alerts_body(&n, now)).unwrap();
        assert_eq!(body[0]["labels"]["alertname"], "scandyctl_disk");
        assert_eq!(body[0]["labels"]["severity"], "critical");
        n.status = NotificationStatus::Resolved;
        let body: serde_json::Value = serde_json::from_str(&alerts_body(&n, now)).unwrap();
        assert_eq!(
            body[0]["endsAt"],
            now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
    }
}
