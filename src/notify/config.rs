//! The `[notify]` section: channels (SMTP, webhooks), escalation per priority, repeats.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::channel_check::{RawChannel, RawKind, smtp_channel, webhook_channel};
use super::toml_span::{key_at, line_of, line_of_key};

/// How urgent an incident is; decides which channels hear about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Worth knowing, nobody has to act.
    Info,
    /// Someone should look soon.
    Warning,
    /// Someone has to act now.
    Critical,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 3] = [Priority::Info, Priority::Warning, Priority::Critical];

    /// The lowercase name used in the config file (`critical`).
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Info => "info",
            Priority::Warning => "warning",
            Priority::Critical => "critical",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The whole `[notify]` section, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifyConfig {
    /// Repeat interval while an incident stays open (`None` = never repeat).
    pub repeat: Option<Duration>,
    /// Whether a "resolved" message goes out when an incident closes.
    pub send_resolved: bool,
    /// Channel names per priority (every priority present; defaults filled in).
    pub escalation: BTreeMap<Priority, Vec<String>>,
    /// The configured channels, in file order.
    pub channels: Vec<ChannelConfig>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            repeat: Some(Duration::from_secs(DEFAULT_REPEAT_MINUTES * 60)),
            send_resolved: true,
            escalation: Priority::ALL.iter().map(|p| (*p, Vec::new())).collect(),
            channels: Vec::new(),
        }
    }
}

impl NotifyConfig {
    /// The channel called `name`, if configured.
    pub fn channel(&self, name: &str) -> Option<&ChannelConfig> {
        self.channels.iter().find(|c| c.name == name)
    }

    /// The channel names of `priority`.
    pub fn channels_for(&self, priority: Priority) -> &[String] {
        self.escalation
            .get(&priority)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// One named channel.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelConfig {
    /// The name escalation lists and `notify test --channel` refer to.
    pub name: String,
    /// How messages are delivered.
    pub kind: ChannelKind,
}

/// The delivery mechanism of a channel.
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelKind {
    /// E-mail over SMTP.
    Smtp(SmtpConfig),
    /// An HTTP POST.
    Webhook(WebhookConfig),
}

/// Where a secret comes from; the secret itself is never in the config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable of this name.
    Env(String),
    /// The first line of this file.
    File(PathBuf),
}

impl SecretSource {
    /// Reads the secret; the error names the variable or file, never the value.
    pub fn read(&self) -> Result<String, String> {
        match self {
            SecretSource::Env(name) => match std::env::var(name) {
                Ok(value) if !value.is_empty() => Ok(value),
                Ok(_) => Err(format!("environment variable {name} is empty")),
                Err(std::env::VarError::NotPresent) => {
                    Err(format!("environment variable {name} is not set"))
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    Err(format!("environment variable {name} is not valid UTF-8"))
                }
            },
            SecretSource::File(path) => match std::fs::read_to_string(path) {
                Ok(text) => {
                    let value = text.lines().next().unwrap_or("").trim_end().to_string();
                    if value.is_empty() {
                        Err(format!("{} is empty", path.display()))
                    } else {
                        Ok(value)
                    }
                }
                Err(err) => Err(format!(
                    "cannot read {}: {}",
                    path.display(),
                    crate::config::os_reason(&err)
                )),
            },
        }
    }
}

/// Transport security of an SMTP channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required), port 587 by default.
    Starttls,
    /// TLS from the first byte (SMTPS), port 465 by default.
    Tls,
    /// No encryption (loopback relays only), port 25 by default.
    None,
}

/// An SMTP channel.
#[derive(Debug, Clone, PartialEq)]
pub struct SmtpConfig {
    /// Server host name.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Transport security.
    pub security: SmtpSecurity,
    /// Login name; without it no AUTH is attempted.
    pub username: Option<String>,
    /// Where the password comes from (set whenever `username` is).
    pub password: Option<SecretSource>,
    /// Sender mailbox (`Scandy <scandy@example.org>`).
    pub from: String,
    /// Recipient mailboxes (at least one).
    pub to: Vec<String>,
}

/// The body format of a webhook channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// The notification as JSON.
    Json,
    /// ntfy: body = summary, headers Title/Priority/Tags.
    Ntfy,
    /// Gotify: JSON {title, message, priority} with `X-Gotify-Key`.
    Gotify,
    /// Slack or Mattermost incoming webhook: JSON {text}.
    Slack,
    /// Any HTTP SMS gateway: the body comes from `body_template`.
    Sms,
    /// Prometheus Alertmanager: a list of alerts for `/api/v2/alerts` (`kind = "alertmanager"`).
    Alertmanager,
}

impl WebhookFormat {
    /// How the receiving side is named in messages ("ntfy", "sms gateway").
    pub fn label(self) -> &'static str {
        match self {
            WebhookFormat::Json => "webhook",
            WebhookFormat::Ntfy => "ntfy",
            WebhookFormat::Gotify => "gotify",
            WebhookFormat::Slack => "slack",
            WebhookFormat::Sms => "sms gateway",
            WebhookFormat::Alertmanager => "alertmanager",
        }
    }
}

/// A webhook channel.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookConfig {
    /// Where the POST goes (may carry userinfo; it is never shown).
    pub url: reqwest::Url,
    /// Body format.
    pub format: WebhookFormat,
    /// Gotify app token or bearer token.
    pub token: Option<SecretSource>,
    /// The POST body of `sms` (placeholders `{priority}` `{title}` `{summary}` `{host}` `{status}`).
    pub body_template: Option<String>,
    /// Content type of `sms` bodies.
    pub content_type: String,
}

/// A `[notify]` section that cannot be used; names the file, the key and the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfigError {
    /// The config file.
    pub file: PathBuf,
    /// The key path (`notify.channels[1].format`), when known.
    pub key: Option<String>,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for NotifyConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "config file {}", self.file.display())?;
        match (&self.key, self.line) {
            (Some(key), Some(line)) => write!(f, ": {key} (line {line})")?,
            (Some(key), None) => write!(f, ": {key}")?,
            (None, Some(line)) => write!(f, ": line {line}")?,
            (None, None) => {}
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for NotifyConfigError {}

const DEFAULT_REPEAT_MINUTES: u64 = 60;

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    notify: Option<RawNotify>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotify {
    repeat_minutes: Option<u64>,
    send_resolved: Option<bool>,
    #[serde(default)]
    escalation: BTreeMap<Priority, Vec<String>>,
    #[serde(default)]
    channels: Vec<RawChannel>,
}

/// Reads `[notify]` from the config file; `None` or a file without it is an empty config.
pub fn load_notify(path: Option<&Path>) -> Result<NotifyConfig, NotifyConfigError> {
    let Some(path) = path else {
        return Ok(NotifyConfig::default());
    };
    let text = std::fs::read_to_string(path).map_err(|err| NotifyConfigError {
        file: path.to_path_buf(),
        key: None,
        line: None,
        message: format!("cannot read: {}", crate::config::os_reason(&err)),
    })?;
    parse_notify(&text, path)
}

/// Parses `[notify]` from config file text; `file` only names the file in errors.
pub fn parse_notify(text: &str, file: &Path) -> Result<NotifyConfig, NotifyConfigError> {
    let raw: RawFile = toml::from_str(text).map_err(|err| {
        let span = err.span();
        let line = span.as_ref().map(|s| line_of(text, s.start));
        let key = span.and_then(|s| key_at(text, s.start));
        NotifyConfigError {
            file: file.to_path_buf(),
            key,
            line,
            message: err.message().trim().to_string(),
        }
    })?;
    let Some(raw) = raw.notify else {
        return Ok(NotifyConfig::default());
    };
    let fail = |key: String, message: String| NotifyConfigError {
        file: file.to_path_buf(),
        line: line_of_key(text, &key),
        key: Some(key),
        message,
    };
    let mut channels = Vec::new();
    let mut names = BTreeSet::new();
    for (i, ch) in raw.channels.into_iter().enumerate() {
        let at = format!("notify.channels[{i}]");
        if ch.name.trim().is_empty() {
            return Err(fail(format!("{at}.name"), "must not be empty".into()));
        }
        if !names.insert(ch.name.clone()) {
            return Err(fail(
                format!("{at}.name"),
                format!("channel name \"{}\" is used twice", ch.name),
            ));
        }
        let kind = match ch.kind {
            RawKind::Smtp => {
                ChannelKind::Smtp(smtp_channel(&ch, &at).map_err(|(k, m)| fail(k, m))?)
            }
            RawKind::Webhook => {
                ChannelKind::Webhook(webhook_channel(&ch, &at).map_err(|(k, m)| fail(k, m))?)
            }
            RawKind::Alertmanager => ChannelKind::Webhook(
                super::channel_check::alertmanager_channel(&ch, &at)
                    .map_err(|(k, m)| fail(k, m))?,
            ),
        };
        channels.push(ChannelConfig {
            name: ch.name,
            kind,
        });
    }
    let mut escalation = BTreeMap::new();
    for priority in Priority::ALL {
        let list = match raw.escalation.get(&priority) {
            Some(list) => {
                for (i, name) in list.iter().enumerate() {
                    if !names.contains(name) {
                        let known: Vec<&str> = names.iter().map(String::as_str).collect();
                        return Err(fail(
                            format!("notify.escalation.{priority}[{i}]"),
                            format!(
                                "no channel named \"{name}\" (channels: {})",
                                if known.is_empty() {
                                    "none".to_string()
                                } else {
                                    known.join(", ")
                                }
                            ),
                        ));
                    }
                }
                list.clone()
            }
            // Unlisted: warnings and critical incidents go everywhere, info nowhere.
            None if priority == Priority::Info => Vec::new(),
            None => channels.iter().map(|c| c.name.clone()).collect(),
        };
        escalation.insert(priority, list);
    }
    let repeat = match raw.repeat_minutes.unwrap_or(DEFAULT_REPEAT_MINUTES) {
        0 => None,
        minutes if minutes > 7 * 24 * 60 => {
            return Err(fail(
                "notify.repeat_minutes".into(),
                format!("{minutes} is more than a week (10080)"),
            ));
        }
        minutes => Some(Duration::from_secs(minutes * 60)),
    };
    Ok(NotifyConfig {
        repeat,
        send_resolved: raw.send_resolved.unwrap_or(true),
        escalation,
        channels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<NotifyConfig, NotifyConfigError> {
        parse_notify(text, Path::new("/etc/scandyctl/config.toml"))
    }

    const EXAMPLE: &str = r#"
[mongo]
uri = "mongodb://localhost"

[notify]
repeat_minutes = 30
send_resolved = false
[notify.escalation]
critical = ["mail", "phone"]
warning = ["mail"]
info = []
[[notify.channels]]
name = "mail"
kind = "smtp"
host = "smtp.example.org"
username = "scandy@example.org"
password_env = "SCANDYCTL_SMTP_PASSWORD"
from = "Scandy <scandy@example.org>"
to = ["admin@example.org"]
[[notify.channels]]
name = "phone"
kind = "webhook"
url = "https://ntfy.sh/scandy-werkstatt"
format = "ntfy"
"#;

    #[test]
    fn example_parses_with_defaults() {
        let config = parse(EXAMPLE).unwrap();
        assert_eq!(config.repeat, Some(Duration::from_secs(1800)));
        assert!(!config.send_resolved);
        assert_eq!(config.channels_for(Priority::Critical), ["mail", "phone"]);
        assert_eq!(config.channels_for(Priority::Info), [] as [String; 0]);
        let ChannelKind::Smtp(smtp) = &config.channel("mail").unwrap().kind else {
            panic!("not smtp");
        };
        assert_eq!(smtp.port, 587);
        assert_eq!(smtp.security, SmtpSecurity::Starttls);
        assert_eq!(
            smtp.password,
            Some(SecretSource::Env("SCANDYCTL_SMTP_PASSWORD".into()))
        );
    }

    #[test]
    fn missing_section_is_empty() {
        let config = parse("[mongo]\nuri = \"mongodb://x\"\n").unwrap();
        assert!(config.channels.is_empty());
        assert_eq!(load_notify(None).unwrap(), NotifyConfig::default());
    }

    #[test]
    fn bad_format_names_key_and_line() {
        let text = EXAMPLE.replace("format = \"ntfy\"", "format = \"pager\"");
        let err = parse(&text).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("notify.channels[1].format"));
        assert_eq!(err.line, Some(24));
        let shown = err.to_string();
        assert!(shown.contains("/etc/scandyctl/config.toml"), "{shown}");
        assert!(shown.contains("pager"), "{shown}");
    }

    #[test]
    fn unknown_key_is_rejected() {
        let text = EXAMPLE.replace("send_resolved = false", "send_resolve = false");
        let err = parse(&text).unwrap_err();
        assert_eq!(err.line, Some(7));
        assert!(err.message.contains("send_resolve"), "{err}");
    }

    #[test]
    fn inline_password_is_refused_without_echo() {
        let text = EXAMPLE.replace(
            "password_env = \"SCANDYCTL_SMTP_PASSWORD\"",
            "password = \"hunter2\"",
        );
        let err = parse(&text).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("notify.channels[0].password"));
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn validation_names_the_key() {
        let dup = EXAMPLE.replace("name = \"phone\"", "name = \"mail\"");
        let err = parse(&dup).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("notify.channels[1].name"));
        assert_eq!(err.line, Some(21));

        let unknown = EXAMPLE.replace("warning = [\"mail\"]", "warning = [\"pager\"]");
        let err = parse(&unknown).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("notify.escalation.warning[0]"));
        assert!(err.message.contains("mail, phone"), "{err}");

        let no_to = EXAMPLE.replace("to = [\"admin@example.org\"]", "to = []");
        let err = parse(&no_to).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("notify.channels[0].to"));
        assert_eq!(err.line, Some(19));

        let gotify = EXAMPLE.replace("format = \"ntfy\"", "format = \"gotify\"");
        let err = parse(&gotify).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("notify.channels[1].token_env"));
        assert!(err.line.is_some(), "{err}");

        let bad_url = EXAMPLE.replace("https://ntfy.sh/scandy-werkstatt", "not a url");
        let err = parse(&bad_url).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("notify.channels[1].url"));
    }

    #[test]
    fn unlisted_priorities_default() {
        let text = EXAMPLE.replace(
            "[notify.escalation]\ncritical = [\"mail\", \"phone\"]\nwarning = [\"mail\"]\ninfo = []\n",
            "",
        );
        let config = parse(&text).unwrap();
        assert_eq!(config.channels_for(Priority::Warning), ["mail", "phone"]);
        assert!(config.channels_for(Priority::Info).is_empty());
    }
}
