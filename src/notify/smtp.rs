//! E-mail channel: one plain-text message over SMTP (STARTTLS, TLS or plain; optional AUTH).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::config::{SmtpConfig, SmtpSecurity};
use super::message::Notification;
use super::{ChannelError, io_reason};

/// How long one SMTP conversation may take.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// Builds the e-mail for a notification (subject, plain-text body, From/To).
pub fn build_mail(config: &SmtpConfig, n: &Notification) -> Result<Message, String> {
    let from: Mailbox = config
        .from
        .parse()
        .map_err(|err| format!("sender \"{}\" is not a mail address: {err}", config.from))?;
    let mut builder = Message::builder().from(from).subject(n.subject());
    for to in &config.to {
        let mailbox: Mailbox = to
            .parse()
            .map_err(|err| format!("recipient \"{to}\" is not a mail address: {err}"))?;
        builder = builder.to(mailbox);
    }
    builder
        .header(ContentType::TEXT_PLAIN)
        .body(n.mail_body())
        .map_err(|err| format!("cannot build the message: {err}"))
}

/// Sends `n` as an e-mail through the SMTP channel `name`.
pub async fn send_mail(
    name: &str,
    config: &SmtpConfig,
    n: &Notification,
) -> Result<(), ChannelError> {
    let password = match &config.password {
        Some(source) => Some(source.read().map_err(|m| ChannelError::new(name, m, &[]))?),
        None => None,
    };
    let secrets: Vec<&str> = password.iter().map(String::as_str).collect();
    let fail = |message: String| ChannelError::new(name, message, &secrets);
    let server = format!("{}:{}", config.host, config.port);
    let mail = build_mail(config, n).map_err(fail)?;
    let builder = match config.security {
        SmtpSecurity::Starttls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
        }
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host),
        SmtpSecurity::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
            &config.host,
        )),
    }
    .map_err(|err| fail(format!("cannot set up TLS for {server}: {err}")))?;
    let mut builder = builder.port(config.port).timeout(Some(SMTP_TIMEOUT));
    if let (Some(user), Some(password)) = (&config.username, &password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    let transport = builder.build();
    match transport.send(mail).await {
        Ok(_) => Ok(()),
        Err(err) => Err(fail(describe(&err, &server, config))),
    }
}

/// Turns a lettre error into the sentence the admin reads.
fn describe(err: &lettre::transport::smtp::Error, server: &str, config: &SmtpConfig) -> String {
    use std::io::ErrorKind;
    if err.is_timeout() {
        return format!(
            "no answer from {server} within {} s",
            SMTP_TIMEOUT.as_secs()
        );
    }
    if err.is_tls() {
        return format!("TLS with {server} failed: {}", chain_text(err));
    }
    if let Some(code) = err.status() {
        let text = chain_text(err);
        let code_text = code.to_string();
        if code_text == "535" || code_text == "534" || code_text == "530" {
            let user = config.username.as_deref().unwrap_or("(none)");
            return format!("{server} refused the login of {user}: {text}");
        }
        return format!("{server} refused the message: {text}");
    }
    if let Some((kind, reason)) = io_reason(err) {
        return match kind {
            ErrorKind::ConnectionRefused
            | ErrorKind::TimedOut
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::AddrNotAvailable
            | ErrorKind::NotFound => format!("cannot connect to {server}: {reason}"),
            _ => format!("connection to {server} failed: {reason}"),
        };
    }
    let text = chain_text(err);
    if text.contains("failed to lookup address") || text.contains("resolve") {
        return format!("cannot connect to {server}: {text}");
    }
    if config.security == SmtpSecurity::Starttls && text.to_lowercase().contains("starttls") {
        return format!("{server} does not offer STARTTLS: {text}");
    }
    format!("sending to {server} failed: {text}")
}

/// The error and its causes joined with ": ", repeated parts dropped.
fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = cause {
        let text = current.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = current.source();
    }
    parts.join(": ")
}
