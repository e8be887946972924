//! Asks Scandy's `/health` endpoint whether the app and its database are fine.

use std::error::Error as _;
use std::time::{Duration, Instant};

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::config::redact_uri;
use crate::sanitize::escape_controls;

/// Longest body excerpt (in characters) shown in a probe's detail.
const MAX_BODY_CHARS: usize = 200;
/// Most bytes of a response body read.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest detail (in characters) of a failed request.
const MAX_DETAIL_CHARS: usize = 300;

/// The outcome of one GET of a health URL.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthProbe {
    /// 2xx and JSON `"status": "healthy"` (or a 2xx without JSON).
    pub healthy: bool,
    /// The HTTP status, if an answer came.
    pub status: Option<u16>,
    /// From sending the request to the end of the body (serialized as milliseconds).
    #[serde(serialize_with = "as_millis")]
    pub latency: Duration,
    /// What the admin reads: "healthy", "503 Service Unavailable: {…}", "connection refused" …
    pub detail: String,
    /// Scandy's rate limiter answered 429: the app is up but refused this request.
    #[serde(default)]
    pub rate_limited: bool,
    /// The `Retry-After` of a 429 or 503 answer.
    #[serde(skip)]
    pub retry_after: Option<Duration>,
    /// What was asked: a full `/health` request, or only whether the port accepts connections.
    pub via: ProbeVia,
}

/// How a probe reached its verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ProbeVia {
    /// A GET of the health URL.
    #[default]
    Request,
    /// A TCP connect to the web port (no HTTP request, so Scandy's rate limiter never sees it).
    Port,
}

/// Serializes a duration as fractional milliseconds.
fn as_millis<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

/// A client for probes: rustls, no proxy from the environment, at most 3 redirects, user agent `scandyctl/<version>`.
pub fn probe_client() -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("scandyctl/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// One GET of `url` within `timeout`; failures come back as unhealthy probes, never as errors.
pub async fn probe_health(client: &reqwest::Client, url: &str, timeout: Duration) -> HealthProbe {
    let started = Instant::now();
    let secret = Secret::of(url);
    let fail = |detail: String, started: Instant| HealthProbe {
        healthy: false,
        status: None,
        latency: started.elapsed(),
        detail: secret.hide(&detail, MAX_DETAIL_CHARS),
        rate_limited: false,
        retry_after: None,
        via: ProbeVia::Request,
    };
    let parsed = match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => parsed,
        Ok(parsed) => {
            return fail(
                format!(
                    "invalid URL: {}: the scheme must be http or https, not {}",
                    redact_uri(url),
                    parsed.scheme()
                ),
                started,
            );
        }
        Err(e) => return fail(format!("invalid URL: {}: {e}", redact_uri(url)), started),
    };
    let exchange = async {
        let response = client.get(parsed).timeout(timeout).send().await?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = read_body(response).await?;
        Ok::<_, reqwest::Error>((status, body, retry_after))
    };
    let outcome = tokio::time::timeout(timeout, exchange).await;
    let latency = started.elapsed();
    let (status, body, retry_after) = match outcome {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => return fail(describe_error(&e, timeout), started),
        Err(_) => return fail(timed_out(timeout), started),
    };
    let (healthy, detail) = judge(status, &body);
    HealthProbe {
        healthy,
        status: Some(status.as_u16()),
        latency,
        detail: secret.hide(&detail, MAX_DETAIL_CHARS + MAX_BODY_CHARS),
        rate_limited: status == reqwest::StatusCode::TOO_MANY_REQUESTS,
        retry_after,
        via: ProbeVia::Request,
    }
}

/// `Retry-After` as seconds (`120`) or an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let secs = (at.timestamp() - chrono::Utc::now().timestamp()).max(0);
    Some(Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

/// Reads at most `MAX_BODY_BYTES` of the body.
async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_BODY_BYTES.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if room <= chunk.len() {
            break;
        }
    }
    Ok(body)
}

/// Whether an answer is healthy, and what to say about it.
fn judge(status: reqwest::StatusCode, body: &[u8]) -> (bool, String) {
    let line = match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    };
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let reported = json
        .as_ref()
        .and_then(|v| v.get("status"))
        .and_then(Value::as_str);
    if status.is_success() {
        match (&json, reported) {
            (_, Some("healthy")) => return (true, "healthy".to_string()),
            (None, _) => return (true, format!("{line} (no JSON)")),
            (Some(_), None) => return (true, format!("{line} (no status in JSON)")),
            (Some(_), Some(_)) => {}
        }
    }
    let excerpt = body_excerpt(body);
    if excerpt.is_empty() {
        (false, line)
    } else {
        (false, format!("{line}: {excerpt}"))
    }
}

/// The body as safe text: control characters escaped, at most `MAX_BODY_CHARS` characters.
fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    cut_chars(&escape_controls(text.trim()), MAX_BODY_CHARS)
}

/// A reqwest error in words, without the URL.
fn describe_error(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        return timed_out(timeout);
    }
    let mut source = error.source();
    let mut innermost = None;
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused".to_string(),
                std::io::ErrorKind::TimedOut => return timed_out(timeout),
                _ => {}
            }
        }
        innermost = Some(e.to_string());
        source = e.source();
    }
    let cause = innermost.unwrap_or_else(|| error.to_string());
    if error.is_connect() {
        format!("cannot connect: {cause}")
    } else if error.is_redirect() {
        format!("too many redirects: {cause}")
    } else {
        format!("request failed: {cause}")
    }
}

/// "timed out after 5 s", "timed out after 300 ms".
fn timed_out(timeout: Duration) -> String {
    if timeout.as_millis().is_multiple_of(1000) {
        format!("timed out after {} s", timeout.as_secs())
    } else {
        format!("timed out after {} ms", timeout.as_millis())
    }
}

/// Cuts `text` to `max` characters, marking the cut with `…`.
fn cut_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The password of a URL, in every spelling it may show up in, so no message carries it.
struct Secret(Vec<String>);

impl Secret {
    /// Collects the password of `url` (raw and percent-decoded), if any.
    fn of(url: &str) -> Secret {
        let mut spellings = Vec::new();
        if let Ok(parsed) = reqwest::Url::parse(url)
            && let Some(password) = parsed.password().filter(|p| !p.is_empty())
        {
            if let Ok(decoded) = urlencoding::decode(password) {
                spellings.push(decoded.into_owned());
            }
            spellings.push(password.to_string());
        }
        // An unparsable URL: take what sits between "user:" and "@" by hand.
        if let Some((_, rest)) = url.split_once("://") {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            if let Some((userinfo, _)) = authority.rsplit_once('@')
                && let Some((_, password)) = userinfo.split_once(':')
                && !password.is_empty()
            {
                spellings.push(password.to_string());
            }
        }
        spellings.sort_by_key(|s| std::cmp::Reverse(s.len()));
        spellings.dedup();
        Secret(spellings)
    }

    /// Escapes, replaces the password with `***` and cuts to `max` characters.
    fn hide(&self, text: &str, max: usize) -> String {
        let mut out = escape_controls(text).into_owned();
        for spelling in &self.0 {
            out = out.replace(spelling.as_str(), "***");
        }
        cut_chars(&out, max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judges_answers() {
        let ok = reqwest::StatusCode::OK;
        assert_eq!(
            judge(ok, br#"{"status":"healthy"}"#),
            (true, "healthy".to_string())
        );
        assert_eq!(judge(ok, b"hello"), (true, "200 OK (no JSON)".to_string()));
        assert_eq!(
            judge(ok, br#"{"status":"degraded"}"#),
            (false, r#"200 OK: {"status":"degraded"}"#.to_string())
        );
        assert_eq!(
            judge(reqwest::StatusCode::NOT_FOUND, b""),
            (false, "404 Not Found".to_string())
        );
    }

    #[test]
    fn reads_retry_after_in_both_forms() {
        assert_eq!(parse_retry_after(" 120 "), Some(Duration::from_secs(120)));
        let later = chrono::Utc::now() + chrono::Duration::seconds(300);
        let secs = parse_retry_after(&later.to_rfc2822()).unwrap().as_secs();
        assert!((298..=300).contains(&secs), "{secs}");
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn hides_passwords() {
        let secret = Secret::of("http://admin:s3cr%40t@host/health");
        assert_eq!(secret.hide("x s3cr@t y s3cr%40t", 100), "x *** y ***");
        let secret = Secret::of("http://admin:pw@@@ bad url");
        assert!(!secret.hide("pw@@", 100).contains("pw@@"));
    }
}
