//! Notifications: e-mail over SMTP, webhooks (JSON, ntfy, Gotify, Slack/Mattermost, SMS
//! gateways) and the escalation state machine that decides what goes out when.

pub mod alertmanager;
mod channel_check;
pub mod config;
pub mod escalation;
pub mod message;
pub mod smtp;
mod toml_span;
pub mod webhook;

use std::fmt;

pub use config::{
    ChannelConfig, ChannelKind, NotifyConfig, NotifyConfigError, Priority, SecretSource,
    SmtpConfig, SmtpSecurity, WebhookConfig, WebhookFormat, load_notify, parse_notify,
};
pub use escalation::{ActiveIncident, Escalator, Outgoing};
pub use message::{Notification, NotificationStatus};

/// A delivery that failed; the text names the channel and never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelError {
    /// The channel name.
    pub channel: String,
    /// What went wrong ("cannot connect to smtp.example.org:587: connection refused").
    pub message: String,
}

impl ChannelError {
    /// An error of `channel`; every secret in `secrets` is masked out of `message`.
    pub fn new(channel: &str, message: impl Into<String>, secrets: &[&str]) -> Self {
        ChannelError {
            channel: channel.to_string(),
            message: scrub(message.into(), secrets),
        }
    }
}

impl fmt::Display for ChannelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.channel, self.message)
    }
}

impl std::error::Error for ChannelError {}

/// Replaces every occurrence of a secret (and its percent-encoded form) with `***`.
fn scrub(mut text: String, secrets: &[&str]) -> String {
    for secret in secrets.iter().filter(|s| s.len() >= 3) {
        text = text.replace(secret, "***");
        let encoded = urlencoding::encode(secret);
        if encoded != *secret {
            text = text.replace(encoded.as_ref(), "***");
        }
    }
    text
}

/// The innermost I/O error in an error's source chain, as "connection refused".
fn io_reason(err: &(dyn std::error::Error + 'static)) -> Option<(std::io::ErrorKind, String)> {
    let mut found = None;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            found = Some((io.kind(), crate::config::os_reason(io)));
        }
        cause = current.source();
    }
    found
}

/// Sends one notification through one channel. Err carries a clear message: "mail: cannot
/// connect to smtp.example.org:587: connection refused", "phone: ntfy answered 401
/// Unauthorized". Secrets (passwords, tokens, URL userinfo) never appear in errors or logs.
pub async fn send(channel: &ChannelConfig, n: &Notification) -> Result<(), ChannelError> {
    match &channel.kind {
        ChannelKind::Smtp(smtp) => smtp::send_mail(&channel.name, smtp, n).await,
        ChannelKind::Webhook(hook) => webhook::post(&channel.name, hook, n).await,
    }
}

/// Sends every outgoing notification concurrently and records each result in `escalator`;
/// an outgoing naming an unknown channel is recorded as failed.
pub async fn deliver(
    config: &NotifyConfig,
    escalator: &mut Escalator,
    outgoing: Vec<Outgoing>,
    now: chrono::DateTime<chrono::Utc>,
) {
    let sends = outgoing.iter().map(|out| async move {
        match config.channel(&out.channel) {
            Some(channel) => send(channel, &out.notification).await,
            None => Err(ChannelError::new(
                &out.channel,
                "no such channel in [notify]",
                &[],
            )),
        }
    });
    let results = futures::future::join_all(sends).await;
    for (out, result) in outgoing.iter().zip(results) {
        escalator.delivered(out, result, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_masks_plain_and_encoded() {
        let text = scrub(
            "login p@ss w0rd and p%40ss%20w0rd".to_string(),
            &["p@ss w0rd"],
        );
        assert_eq!(text, "login *** and ***");
    }
}
