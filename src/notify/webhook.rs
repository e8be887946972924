//! Webhook channel: one HTTP POST per notification in the format the receiver expects.

use std::time::Duration;

use super::config::{Priority, WebhookConfig, WebhookFormat};
use super::message::{Notification, NotificationStatus};
use super::{ChannelError, io_reason};

/// How long one POST may take.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// The request a webhook channel sends, before it goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRequest {
    /// Content-Type header.
    pub content_type: String,
    /// Further headers (name, value); values may carry secrets and are never shown.
    pub headers: Vec<(String, String)>,
    /// The POST body.
    pub body: String,
}

/// The URL as it may be shown: scheme, host, port and path; no userinfo, no query.
pub fn redact_url(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}{}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    }
}

/// ntfy's priority name for an incident priority.
pub fn ntfy_priority(priority: Priority) -> &'static str {
    match priority {
        Priority::Critical => "urgent",
        Priority::Warning => "high",
        Priority::Info => "default",
    }
}

/// Gotify's numeric priority for an incident priority.
pub fn gotify_priority(priority: Priority) -> u8 {
    match priority {
        Priority::Critical => 8,
        Priority::Warning => 5,
        Priority::Info => 2,
    }
}

/// ntfy tags (emoji short codes) for a notification.
fn ntfy_tags(n: &Notification) -> String {
    let tag = match (n.status, n.priority) {
        (NotificationStatus::Resolved, _) => "white_check_mark",
        (NotificationStatus::Test, _) => "test_tube",
        (_, Priority::Critical) => "rotating_light",
        (_, Priority::Warning) => "warning",
        (_, Priority::Info) => "information_source",
    };
    format!("{tag},scandy")
}

/// A header value as-is when it is printable ASCII, else RFC 2047 Q-encoded UTF-8.
fn header_text(text: &str) -> String {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return text.to_string();
    }
    let mut out = String::from("=?UTF-8?Q?");
    for b in text.bytes() {
        match b {
            b' ' => out.push('_'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'!' | b'*' | b'+' | b'-' | b'/' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("={b:02X}")),
        }
    }
    out.push_str("?=");
    out
}

/// Fills `{priority}` `{title}` `{summary}` `{host}` `{status}` `{incident}` `{time}`,
/// escaping the values for form or JSON bodies as `content_type` says.
pub fn render_template(template: &str, content_type: &str, n: &Notification) -> String {
    let content_type = content_type.to_ascii_lowercase();
    let escape = |value: &str| -> String {
        if content_type.contains("x-www-form-urlencoded") {
            urlencoding::encode(value).into_owned()
        } else if content_type.contains("json") {
            let quoted = serde_json::Value::String(value.to_string()).to_string();
            quoted[1..quoted.len() - 1].to_string()
        } else {
            value.to_string()
        }
    };
    let values = [
        ("{priority}", n.priority.as_str().to_string()),
        ("{title}", n.headline()),
        ("{summary}", n.summary.clone()),
        ("{host}", n.host.clone()),
        ("{status}", n.status.as_str().to_string()),
        ("{incident}", n.incident.clone()),
        ("{time}", n.time_text()),
    ];
    // One pass, so a value containing "{host}" is not expanded again.
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    'outer: while !rest.is_empty() {
        for (name, value) in &values {
            if let Some(after) = rest.strip_prefix(name) {
                out.push_str(&escape(value));
                rest = after;
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

/// Builds the request of `config.format` for `n`; `token` is the resolved token, if any.
pub fn build_request(
    config: &WebhookConfig,
    token: Option<&str>,
    n: &Notification,
) -> WebhookRequest {
    let mut headers = Vec::new();
    let bearer = |headers: &mut Vec<(String, String)>| {
        if let Some(token) = token {
            headers.push(("Authorization".to_string(), format!("Bearer {token}")));
        }
    };
    match config.format {
        WebhookFormat::Json => {
            bearer(&mut headers);
            WebhookRequest {
                content_type: "application/json".to_string(),
                headers,
                body: serde_json::to_string(n).unwrap_or_default(),
            }
        }
        WebhookFormat::Ntfy => {
            headers.push(("Title".to_string(), header_text(&n.headline())));
            headers.push((
                "Priority".to_string(),
                ntfy_priority(n.effective_priority()).to_string(),
            ));
            headers.push(("Tags".to_string(), ntfy_tags(n)));
            bearer(&mut headers);
            WebhookRequest {
                content_type: "text/plain; charset=utf-8".to_string(),
                headers,
                body: n.summary.clone(),
            }
        }
        WebhookFormat::Gotify => {
            if let Some(token) = token {
                headers.push(("X-Gotify-Key".to_string(), token.to_string()));
            }
            let body = serde_json::json!({
                "title": n.headline(),
                "message": format!("{}\n\nHost: {}\nTime: {}", n.summary, n.host, n.time_text()),
                "priority": gotify_priority(n.effective_priority()),
            });
            WebhookRequest {
                content_type: "application/json".to_string(),
                headers,
                body: body.to_string(),
            }
        }
        WebhookFormat::Slack => {
            bearer(&mut headers);
            let body = serde_json::json!({
                "text": format!("*{}*\n{}", n.headline(), n.summary),
            });
            WebhookRequest {
                content_type: "application/json".to_string(),
                headers,
                body: body.to_string(),
            }
        }
        WebhookFormat::Alertmanager => {
            bearer(&mut headers);
            WebhookRequest {
                content_type: "application/json".to_string(),
                headers,
                body: super::alertmanager::alerts_body(n, chrono::Utc::now()),
            }
        }
        WebhookFormat::Sms => {
            bearer(&mut headers);
            let template = config
                .body_template
                .as_deref()
                .unwrap_or("{title}: {summary}");
            WebhookRequest {
                content_type: config.content_type.clone(),
                headers,
                body: render_template(template, &config.content_type, n),
            }
        }
    }
}

/// POSTs `n` to the webhook channel `name`; any 2xx answer is success.
pub async fn post(
    name: &str,
    config: &WebhookConfig,
    n: &Notification,
) -> Result<(), ChannelError> {
    let token = match &config.token {
        Some(source) => Some(source.read().map_err(|m| ChannelError::new(name, m, &[]))?),
        None => None,
    };
    let userinfo_password = config.url.password().map(str::to_string);
    let mut secrets: Vec<&str> = token.iter().map(String::as_str).collect();
    let decoded_password = userinfo_password.as_deref().map(percent_decode);
    if let Some(password) = &userinfo_password {
        secrets.push(password);
    }
    if let Some(password) = &decoded_password {
        secrets.push(password);
    }
    let fail = |message: String| ChannelError::new(name, message, &secrets);
    let shown = redact_url(&config.url);
    let label = config.format.label();
    let request = build_request(config, token.as_deref(), n);
    let client = reqwest::Client::builder()
        .timeout(WEBHOOK_TIMEOUT)
        .user_agent(concat!("scandyctl/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|err| {
            fail(format!(
                "cannot set up the HTTP client: {}",
                err.without_url()
            ))
        })?;
    // Userinfo becomes Basic auth unless a token already authorizes the request.
    let mut url = config.url.clone();
    let user = url.username().to_string();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let mut builder = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, &request.content_type)
        .body(request.body);
    let has_authorization = request
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("authorization"));
    if !has_authorization && (!user.is_empty() || userinfo_password.is_some()) {
        builder = builder.basic_auth(
            percent_decode(&user),
            userinfo_password.as_deref().map(percent_decode),
        );
    }
    for (key, value) in &request.headers {
        builder = builder.header(key.as_str(), value.as_str());
    }
    let response = match builder.send().await {
        Ok(response) => response,
        Err(err) => return Err(fail(describe_send_error(err, &config.url, WEBHOOK_TIMEOUT))),
    };
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let text = response.text().await.unwrap_or_default();
    let snippet: String = text.trim().chars().take(200).collect();
    let snippet = snippet.replace(['\n', '\r'], " ");
    if snippet.is_empty() {
        Err(fail(format!("{label} at {shown} answered {status}")))
    } else {
        Err(fail(format!(
            "{label} at {shown} answered {status}: {snippet}"
        )))
    }
}

/// Userinfo as written in the URL, percent-decoded.
fn percent_decode(text: &str) -> String {
    urlencoding::decode(text)
        .map(|t| t.into_owned())
        .unwrap_or_else(|_| text.to_string())
}

/// Explains a failed POST without the URL's secrets.
fn describe_send_error(err: reqwest::Error, url: &reqwest::Url, timeout: Duration) -> String {
    let address = match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        _ => redact_url(url),
    };
    if err.is_timeout() {
        return format!("no answer from {address} within {} s", timeout.as_secs());
    }
    let err = err.without_url();
    if let Some((kind, reason)) = io_reason(&err) {
        use std::io::ErrorKind;
        return match kind {
            ErrorKind::ConnectionRefused
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::AddrNotAvailable
            | ErrorKind::TimedOut => format!("cannot connect to {address}: {reason}"),
            _ => format!("request to {address} failed: {reason}"),
        };
    }
    let mut parts: Vec<String> = Vec::new();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(current) = cause {
        let text = current.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = current.source();
    }
    if err.is_connect() {
        format!("cannot connect to {address}: {}", parts.join(": "))
    } else {
        format!("request to {address} failed: {}", parts.join(": "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sample() -> Notification {
        Notification {
            incident: "disk:/backups".into(),
            priority: Priority::Warning,
            status: NotificationStatus::Firing,
            title: "Datenträger /backups 91 % voll".into(),
            summary: "Nur noch 9 % & \"frei\".".into(),
            host: "werkstatt".into(),
            at: chrono::Utc
                .with_ymd_and_hms(2026, 11, 26, 13, 4, 5)
                .unwrap(),
        }
    }

    #[test]
    fn non_ascii_header_is_q_encoded() {
        assert_eq!(header_text("Disk full"), "Disk full");
        assert_eq!(header_text("Tür"), "=?UTF-8?Q?T=C3=BCr?=");
    }

    #[test]
    fn template_escapes_by_content_type() {
        let n = sample();
        assert_eq!(
            render_template(
                "text={summary}&h={host}",
                "application/x-www-form-urlencoded",
                &n
            ),
            "text=Nur%20noch%209%20%25%20%26%20%22frei%22.&h=werkstatt"
        );
        assert_eq!(
            render_template("{\"m\":\"{summary}\"}", "application/json", &n),
            "{\"m\":\"Nur noch 9 % & \\\"frei\\\".\"}"
        );
        assert_eq!(
            render_template("{priority}/{status}: {title} {unknown}", "text/plain", &n),
            "warning/firing: Datenträger /backups 91 % voll {unknown}"
        );
    }

    #[test]
    fn redacted_url_has_no_userinfo_or_query() {
        let url =
            reqwest::Url::parse("https://u:secret@sms.example.org:8443/send?key=abc").unwrap();
        assert_eq!(redact_url(&url), "https://sms.example.org:8443/send");
    }
}
