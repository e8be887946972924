//! Connection probing: connect with tight timeouts, ping, classify failures, back off.

use std::time::{Duration, Instant};

use mongodb::Client;
use mongodb::bson::doc;
use mongodb::error::ErrorKind;
use mongodb::options::{ClientOptions, ServerAddress};
use tokio::net::TcpStream;

/// What a successful probe learned about the server.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerInfo {
    /// `buildInfo.version`, e.g. `7.0.14`.
    pub version: String,
    /// Round trip of one `ping` command.
    pub latency: Duration,
}

/// Why a probe failed, in the terms an admin acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Nothing listens on the port.
    Refused,
    /// The server did not answer in time (or a port that accepts and never answers).
    Timeout,
    /// SCRAM authentication failed.
    Auth,
    /// The host name could not be resolved.
    Dns,
    /// TLS handshake or configuration failed.
    Tls,
    /// The connection string could not be used.
    InvalidUri,
    /// Anything else.
    Other,
}

/// A failed probe: the kind and a redacted, one-line detail.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeFailure {
    /// Classification of the failure.
    pub kind: FailureKind,
    /// The underlying message with any password removed.
    pub detail: String,
}

impl std::fmt::Display for ProbeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

/// MongoDB could not be reached (or refused the credentials) for a headless command.
#[derive(Debug, Clone)]
pub struct MongoUnreachable {
    /// The connection string, password redacted.
    pub uri_redacted: String,
    /// Why.
    pub failure: ProbeFailure,
}

impl std::fmt::Display for MongoUnreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot reach MongoDB at {}: {}",
            self.uri_redacted, self.failure
        )?;
        if self.failure.kind == FailureKind::Auth {
            write!(
                f,
                " (the password in .env may no longer match the database user)"
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for MongoUnreachable {}

/// Connection state as the monitor reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectionState {
    /// A connection attempt is running.
    Connecting {
        /// 1-based attempt number since the last success.
        attempt: u32,
    },
    /// The last ping succeeded.
    Connected {
        /// Server version and latency of the last ping.
        info: ServerInfo,
        /// When the connection was first established.
        since: chrono::DateTime<chrono::Local>,
    },
    /// The last attempt failed; the next one starts after `retry_in`.
    Unreachable {
        /// Why it failed.
        failure: ProbeFailure,
        /// Consecutive failed attempts.
        attempt: u32,
        /// Delay until the next attempt, counted from `reported_at`.
        retry_in: Duration,
        /// When this state was reported.
        reported_at: Instant,
    },
}

/// Exponential back-off between reconnect attempts: 1, 2, 4, 8, 16, 30, 30 … seconds.
#[derive(Debug, Clone)]
pub struct Backoff {
    /// The first delay.
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// Delay after `failures` consecutive failed attempts (1-based).
    pub fn delay(&self, failures: u32) -> Duration {
        let shift = failures.saturating_sub(1).min(16);
        self.initial.saturating_mul(1 << shift).min(self.max)
    }
}

/// Timeouts used by [`connect`] and [`ping`].
#[derive(Debug, Clone, Copy)]
pub struct ProbeTimeouts {
    /// TCP connect pre-check.
    pub tcp: Duration,
    /// Server selection, handshake and the ping itself.
    pub server: Duration,
}

impl Default for ProbeTimeouts {
    fn default() -> Self {
        ProbeTimeouts {
            tcp: Duration::from_millis(800),
            server: Duration::from_secs(3),
        }
    }
}

/// Builds a client for `uri` with scandyctl's timeouts; fails fast when nothing listens.
pub async fn connect(uri: &str, timeouts: ProbeTimeouts) -> Result<Client, ProbeFailure> {
    let secret = password_of(uri);
    let redact = |text: String| redact_secret(text, secret.as_deref());
    let mut options = match tokio::time::timeout(timeouts.server, ClientOptions::parse(uri)).await {
        Ok(Ok(options)) => options,
        Ok(Err(err)) => return Err(classify(&err, redact)),
        Err(_) => {
            return Err(ProbeFailure {
                kind: FailureKind::Timeout,
                detail: "resolving the connection string timed out".into(),
            });
        }
    };
    options.app_name = Some("scandyctl".into());
    options.server_selection_timeout = Some(timeouts.server);
    options.connect_timeout = Some(timeouts.server);
    if let [ServerAddress::Tcp { host, port }] = options.hosts.as_slice() {
        tcp_precheck(host, port.unwrap_or(27017), timeouts.tcp).await?;
    }
    Client::with_options(options).map_err(|err| classify(&err, redact))
}

/// Sends `ping` and `buildInfo`; the latency is that of the ping alone.
pub async fn ping(
    client: &Client,
    uri: &str,
    timeouts: ProbeTimeouts,
) -> Result<ServerInfo, ProbeFailure> {
    let secret = password_of(uri);
    let redact = |text: String| redact_secret(text, secret.as_deref());
    let admin = client.database("admin");
    let work = async {
        let started = Instant::now();
        admin.run_command(doc! { "ping": 1 }).await?;
        let latency = started.elapsed();
        let build = admin.run_command(doc! { "buildInfo": 1 }).await?;
        let version = build.get_str("version").unwrap_or("unknown").to_string();
        Ok::<_, mongodb::error::Error>(ServerInfo { version, latency })
    };
    match tokio::time::timeout(timeouts.server + Duration::from_millis(500), work).await {
        Ok(Ok(info)) => Ok(info),
        Ok(Err(err)) => Err(classify(&err, redact)),
        Err(_) => Err(ProbeFailure {
            kind: FailureKind::Timeout,
            detail: format!("no answer within {} s", timeouts.server.as_secs()),
        }),
    }
}

async fn tcp_precheck(host: &str, port: u16, limit: Duration) -> Result<(), ProbeFailure> {
    match tokio::time::timeout(limit, TcpStream::connect((host, port))).await {
        Ok(Ok(_stream)) => Ok(()),
        Ok(Err(err)) if err.kind() == std::io::ErrorKind::ConnectionRefused => Err(ProbeFailure {
            kind: FailureKind::Refused,
            detail: format!("connection to {host}:{port} refused"),
        }),
        Ok(Err(err)) => {
            let text = err.to_string();
            let kind = if text.contains("resolve")
                || text.contains("lookup")
                || text.contains("Name or service")
            {
                FailureKind::Dns
            } else {
                FailureKind::Other
            };
            Err(ProbeFailure {
                kind,
                detail: format!("cannot connect to {host}:{port}: {text}"),
            })
        }
        Err(_) => Err(ProbeFailure {
            kind: FailureKind::Timeout,
            detail: format!(
                "TCP connect to {host}:{port} timed out after {} ms",
                limit.as_millis()
            ),
        }),
    }
}

/// Classifies a driver error into a [`ProbeFailure`], passing its text through `redact`.
pub fn classify(err: &mongodb::error::Error, redact: impl Fn(String) -> String) -> ProbeFailure {
    let text = redact(first_line(&err.to_string()));
    let lower = text.to_lowercase();
    let kind = match err.kind.as_ref() {
        ErrorKind::Authentication { .. } => FailureKind::Auth,
        ErrorKind::DnsResolve { .. } => FailureKind::Dns,
        ErrorKind::InvalidTlsConfig { .. } => FailureKind::Tls,
        ErrorKind::InvalidArgument { .. } => FailureKind::InvalidUri,
        ErrorKind::Command(cmd) if cmd.code == 18 => FailureKind::Auth,
        _ if lower.contains("authentication failed") || lower.contains("scram") => {
            FailureKind::Auth
        }
        _ if lower.contains("connection refused") => FailureKind::Refused,
        _ if lower.contains("tls") || lower.contains("certificate") => FailureKind::Tls,
        _ if lower.contains("timed out") || lower.contains("timeout") => FailureKind::Timeout,
        _ => FailureKind::Other,
    };
    ProbeFailure { kind, detail: text }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() > 300 {
        let cut: String = line.chars().take(300).collect();
        format!("{cut}…")
    } else {
        line.to_string()
    }
}

/// The percent-decoded password in a MongoDB URI, if any.
pub fn password_of(uri: &str) -> Option<String> {
    let rest = uri.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let userinfo = authority.rsplit_once('@')?.0;
    let password = userinfo.split_once(':')?.1;
    if password.is_empty() {
        return None;
    }
    Some(
        urlencoding::decode(password)
            .map(|p| p.into_owned())
            .unwrap_or_else(|_| password.to_string()),
    )
}

fn redact_secret(text: String, secret: Option<&str>) -> String {
    match secret {
        Some(secret) if !secret.is_empty() => {
            let encoded = urlencoding::encode(secret).into_owned();
            text.replace(secret, "***").replace(&encoded, "***")
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let backoff = Backoff::default();
        let secs: Vec<u64> = (1..=8).map(|n| backoff.delay(n).as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn password_is_found_and_redacted() {
        let uri = "mongodb://admin:S%40cret@db:27017/scandy?authSource=admin";
        assert_eq!(password_of(uri).as_deref(), Some("S@cret"));
        let text = redact_secret("bad S@cret and S%40cret".into(), Some("S@cret"));
        assert_eq!(text, "bad *** and ***");
        assert_eq!(password_of("mongodb://localhost:27017"), None);
    }

    #[tokio::test]
    async fn refused_port_is_reported_at_once() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let started = Instant::now();
        let err = connect(
            &format!("mongodb://127.0.0.1:{port}"),
            ProbeTimeouts::default(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind, FailureKind::Refused);
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn silent_server_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let holder = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let timeouts = ProbeTimeouts {
            tcp: Duration::from_millis(500),
            server: Duration::from_millis(700),
        };
        let uri = format!("mongodb://127.0.0.1:{port}");
        let client = connect(&uri, timeouts).await.expect("client");
        let err = ping(&client, &uri, timeouts).await.unwrap_err();
        assert_eq!(err.kind, FailureKind::Timeout, "{err:?}");
        holder.abort();
    }
}
