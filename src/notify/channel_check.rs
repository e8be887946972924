//! Checks of one `[[notify.channels]]` table: the keys its kind takes, secrets only by
//! reference, addresses and URLs that parse.

use std::path::PathBuf;

use serde::Deserialize;

use super::config::{SecretSource, SmtpConfig, SmtpSecurity, WebhookConfig, WebhookFormat};

#[derive(Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawKind {
    Smtp,
    Webhook,
    Alertmanager,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChannel {
    pub(super) name: String,
    pub(super) kind: RawKind,
    // smtp
    pub(super) host: Option<String>,
    pub(super) port: Option<u16>,
    pub(super) security: Option<SmtpSecurity>,
    pub(super) username: Option<String>,
    pub(super) password: Option<toml::Value>,
    pub(super) password_env: Option<String>,
    pub(super) password_file: Option<PathBuf>,
    pub(super) from: Option<String>,
    pub(super) to: Option<Vec<String>>,
    // webhook
    pub(super) url: Option<String>,
    pub(super) format: Option<WebhookFormat>,
    pub(super) token: Option<toml::Value>,
    pub(super) token_env: Option<String>,
    pub(super) token_file: Option<PathBuf>,
    pub(super) body_template: Option<String>,
    pub(super) content_type: Option<String>,
}

type KeyError = (String, String);

fn reject_keys(at: &str, kind: &str, keys: &[(&str, bool)]) -> Result<(), KeyError> {
    match keys.iter().find(|(_, present)| *present) {
        Some((key, _)) => Err((
            format!("{at}.{key}"),
            format!("is not a key of a {kind} channel"),
        )),
        None => Ok(()),
    }
}

fn secret_source(
    at: &str,
    what: &str,
    inline: bool,
    env: &Option<String>,
    file: &Option<PathBuf>,
) -> Result<Option<SecretSource>, KeyError> {
    if inline {
        return Err((
            format!("{at}.{what}"),
            format!("secrets are never written inline; use {what}_env or {what}_file"),
        ));
    }
    match (env, file) {
        (Some(_), Some(_)) => Err((
            format!("{at}.{what}_file"),
            format!("give either {what}_env or {what}_file, not both"),
        )),
        (Some(env), None) if env.trim().is_empty() => Err((
            format!("{at}.{what}_env"),
            "must name an environment variable".into(),
        )),
        (Some(env), None) => Ok(Some(SecretSource::Env(env.clone()))),
        (None, Some(file)) => Ok(Some(SecretSource::File(file.clone()))),
        (None, None) => Ok(None),
    }
}

pub(super) fn smtp_channel(ch: &RawChannel, at: &str) -> Result<SmtpConfig, KeyError> {
    reject_keys(
        at,
        "smtp",
        &[
            ("url", ch.url.is_some()),
            ("format", ch.format.is_some()),
            ("token", ch.token.is_some()),
            ("token_env", ch.token_env.is_some()),
            ("token_file", ch.token_file.is_some()),
            ("body_template", ch.body_template.is_some()),
            ("content_type", ch.content_type.is_some()),
        ],
    )?;
    let host = match &ch.host {
        Some(host) if !host.trim().is_empty() => host.trim().to_string(),
        _ => return Err((format!("{at}.host"), "an smtp channel needs a host".into())),
    };
    let security = ch.security.unwrap_or(SmtpSecurity::Starttls);
    let port = ch.port.unwrap_or(match security {
        SmtpSecurity::Starttls => 587,
        SmtpSecurity::Tls => 465,
        SmtpSecurity::None => 25,
    });
    if port == 0 {
        return Err((format!("{at}.port"), "must be 1 to 65535".into()));
    }
    let password = secret_source(
        at,
        "password",
        ch.password.is_some(),
        &ch.password_env,
        &ch.password_file,
    )?;
    let username = ch.username.clone().filter(|u| !u.is_empty());
    match (&username, &password) {
        (Some(_), None) => {
            return Err((
                format!("{at}.username"),
                "a login needs password_env or password_file".into(),
            ));
        }
        (None, Some(_)) => {
            return Err((
                format!("{at}.username"),
                "a password is given but no username".into(),
            ));
        }
        _ => {}
    }
    let from = match &ch.from {
        Some(from) => from.clone(),
        None => {
            return Err((
                format!("{at}.from"),
                "an smtp channel needs a sender".into(),
            ));
        }
    };
    if let Err(err) = from.parse::<lettre::message::Mailbox>() {
        return Err((
            format!("{at}.from"),
            format!("\"{from}\" is not a mail address: {err}"),
        ));
    }
    let to = ch.to.clone().unwrap_or_default();
    if to.is_empty() {
        return Err((
            format!("{at}.to"),
            "an smtp channel needs at least one recipient".into(),
        ));
    }
    for (i, addr) in to.iter().enumerate() {
        if let Err(err) = addr.parse::<lettre::message::Mailbox>() {
            return Err((
                format!("{at}.to[{i}]"),
                format!("\"{addr}\" is not a mail address: {err}"),
            ));
        }
    }
    Ok(SmtpConfig {
        host,
        port,
        security,
        username,
        password,
        from,
        to,
    })
}

pub(super) fn webhook_channel(ch: &RawChannel, at: &str) -> Result<WebhookConfig, KeyError> {
    reject_keys(
        at,
        "webhook",
        &[
            ("host", ch.host.is_some()),
            ("port", ch.port.is_some()),
            ("security", ch.security.is_some()),
            ("username", ch.username.is_some()),
            ("password", ch.password.is_some()),
            ("password_env", ch.password_env.is_some()),
            ("password_file", ch.password_file.is_some()),
            ("from", ch.from.is_some()),
            ("to", ch.to.is_some()),
        ],
    )?;
    let Some(url_text) = &ch.url else {
        return Err((format!("{at}.url"), "a webhook channel needs a url".into()));
    };
    let url = match reqwest::Url::parse(url_text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => url,
        Ok(url) => {
            return Err((
                format!("{at}.url"),
                format!(
                    "{} is not an http or https URL",
                    super::webhook::redact_url(&url)
                ),
            ));
        }
        Err(err) => return Err((format!("{at}.url"), format!("not a valid URL: {err}"))),
    };
    let format = ch.format.unwrap_or(WebhookFormat::Json);
    let token = secret_source(
        at,
        "token",
        ch.token.is_some(),
        &ch.token_env,
        &ch.token_file,
    )?;
    if format == WebhookFormat::Gotify && token.is_none() {
        return Err((
            format!("{at}.token_env"),
            "gotify needs the app token (token_env or token_file)".into(),
        ));
    }
    if format != WebhookFormat::Sms {
        if ch.body_template.is_some() {
            return Err((
                format!("{at}.body_template"),
                "only format = \"sms\" takes a body template".into(),
            ));
        }
        if ch.content_type.is_some() {
            return Err((
                format!("{at}.content_type"),
                "only format = \"sms\" takes a content type".into(),
            ));
        }
    }
    let body_template = match (&ch.body_template, format) {
        (None, WebhookFormat::Sms) => {
            return Err((
                format!("{at}.body_template"),
                "format = \"sms\" needs a body template".into(),
            ));
        }
        (template, _) => template.clone(),
    };
    let content_type = ch
        .content_type
        .clone()
        .unwrap_or_else(|| "text/plain; charset=utf-8".to_string());
    if reqwest::header::HeaderValue::from_str(&content_type).is_err() {
        return Err((
            format!("{at}.content_type"),
            "is not a valid header value".into(),
        ));
    }
    Ok(WebhookConfig {
        url,
        format,
        token,
        body_template,
        content_type,
    })
}

/// An `alertmanager` channel: `url` is the Alertmanager's base URL (`/api/v2/alerts` is
/// appended), an optional bearer token; no format, template or content type.
pub(super) fn alertmanager_channel(ch: &RawChannel, at: &str) -> Result<WebhookConfig, KeyError> {
    reject_keys(
        at,
        "alertmanager",
        &[
            ("format", ch.format.is_some()),
            ("body_template", ch.body_template.is_some()),
            ("content_type", ch.content_type.is_some()),
        ],
    )?;
    let mut config = webhook_channel(ch, at).map_err(|(key, message)| {
        (
            key,
            message.replace("a webhook channel", "an alertmanager channel"),
        )
    })?;
    config.url = super::alertmanager::alerts_url(&config.url);
    config.format = WebhookFormat::Alertmanager;
    config.content_type = "application/json".into();
    Ok(config)
}
