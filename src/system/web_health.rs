//! Is Scandy's web app up? A TCP connect to the web port answers that on every check at no
//! cost to Scandy; the full `/health` request (which Scandy's rate limiter counts) goes out
//! only when the shared budget allows (see [`super::health_budget`]). A 429 answer means
//! "up, rate-limited", never "down".

use std::time::{Duration, Instant, SystemTime};

use super::health_budget::{
    BudgetPolicy, DEFAULT_RETRY_AFTER, Decision, MAX_RETRY_AFTER, SharedAnswer, SharedLedger,
    WaitReason, decide, epoch_ms,
};
use super::http_probe::{HealthProbe, ProbeVia, probe_client, probe_health};

/// Checks Scandy's web app, sharing the `/health` budget with every scandyctl on the host.
pub struct WebHealthMonitor {
    client: reqwest::Client,
    url: String,
    policy: BudgetPolicy,
    ledger: SharedLedger,
    timeout: Duration,
    port_was_open: Option<bool>,
}

impl WebHealthMonitor {
    /// A monitor of `url` under `policy`; each check waits at most `timeout`.
    pub fn new(url: &str, policy: BudgetPolicy, timeout: Duration) -> Self {
        WebHealthMonitor {
            client: probe_client(),
            url: url.to_string(),
            ledger: SharedLedger::for_url(url),
            policy,
            timeout,
            port_was_open: None,
        }
    }

    /// Why the shared ledger could not be used (the budget then holds per process).
    pub fn ledger_problem(&self) -> Option<&str> {
        self.ledger.problem.as_deref()
    }

    /// One check: the port always, `/health` when the budget allows.
    pub async fn check(&mut self) -> HealthProbe {
        let started = Instant::now();
        let port = connect_port(&self.url, self.timeout).await;
        let connect_latency = started.elapsed();
        if let Err(detail) = port {
            self.port_was_open = Some(false);
            return HealthProbe {
                healthy: false,
                status: None,
                latency: connect_latency,
                detail,
                rate_limited: false,
                retry_after: None,
                via: ProbeVia::Port,
            };
        }
        let came_back = self.port_was_open == Some(false);
        self.port_was_open = Some(true);
        let policy = self.policy.clone();
        // The time is taken under the ledger's lock, so requests enter the ledger in the order
        // of their times even when two monitors (in one process or two) ask at once.
        let (decision, last, now_ms) = self.ledger.update(|ledger| {
            let now_ms = epoch_ms(SystemTime::now());
            let urgent = came_back
                || ledger
                    .last
                    .as_ref()
                    .is_none_or(|a| !a.healthy && !a.rate_limited);
            let decision = decide(ledger, &policy, now_ms, urgent);
            (decision, ledger.last.clone(), now_ms)
        });
        match decision {
            Decision::Send => self.request().await,
            Decision::Wait { until_ms, reason } => {
                from_shared(last.as_ref(), connect_latency, now_ms, until_ms, reason)
            }
        }
    }

    /// The full `/health` request, recorded in the ledger.
    async fn request(&mut self) -> HealthProbe {
        let mut probe = probe_health(&self.client, &self.url, self.timeout).await;
        let now_ms = epoch_ms(SystemTime::now());
        let mut wait = None;
        if probe.rate_limited {
            let retry = probe
                .retry_after
                .unwrap_or(DEFAULT_RETRY_AFTER)
                .min(MAX_RETRY_AFTER);
            wait = Some(now_ms + i64::try_from(retry.as_millis()).unwrap_or(i64::MAX));
            probe.healthy = true;
            probe.detail = rate_limited_detail(&self.policy, retry);
        }
        let answer = SharedAnswer {
            at_ms: now_ms,
            healthy: probe.healthy,
            rate_limited: probe.rate_limited,
            status: probe.status,
            detail: probe.detail.clone(),
            latency_ms: probe.latency.as_secs_f64() * 1000.0,
        };
        self.ledger.update(|ledger| {
            if let Some(until) = wait {
                ledger.retry_after_until = Some(until);
            }
            ledger.last = Some(answer);
        });
        probe
    }
}

/// "up, rate-limited: …" naming Scandy's limiter and what to do.
fn rate_limited_detail(policy: &BudgetPolicy, retry: Duration) -> String {
    let limits: Vec<String> = policy.limits.iter().map(ToString::to_string).collect();
    let limits = if limits.is_empty() {
        "web.rate_limit = none".to_string()
    } else {
        limits.join(", ")
    };
    format!(
        "up, rate-limited: Scandy's rate limiter (Flask-Limiter, {limits} per client IP) answered \
         429 Too Many Requests; next /health request in {}; exempt /health in Scandy (see the README)",
        human(retry)
    )
}

/// The state from the last shared answer while no request may go out.
fn from_shared(
    last: Option<&SharedAnswer>,
    connect_latency: Duration,
    now_ms: i64,
    until_ms: i64,
    reason: WaitReason,
) -> HealthProbe {
    let next = Duration::from_millis(u64::try_from(until_ms - now_ms).unwrap_or(0));
    let why = match reason {
        WaitReason::Spacing => String::new(),
        WaitReason::Budget(limit) => format!(", budget for {limit} spent"),
        WaitReason::RetryAfter => ", Retry-After".to_string(),
    };
    let (healthy, rate_limited, status, detail) = match last {
        Some(answer) => {
            let age = Duration::from_millis(u64::try_from(now_ms - answer.at_ms).unwrap_or(0));
            let shown = if answer.rate_limited {
                "rate-limited (429)".to_string()
            } else {
                answer.detail.clone()
            };
            (
                answer.healthy || answer.rate_limited,
                answer.rate_limited,
                answer.status,
                format!(
                    "port open; /health {shown} {} ago (next in {}{why})",
                    human(age),
                    human(next)
                ),
            )
        }
        None => (
            true,
            false,
            None,
            format!(
                "port open; /health not asked yet (next in {}{why})",
                human(next)
            ),
        ),
    };
    HealthProbe {
        healthy,
        status,
        latency: connect_latency,
        detail,
        rate_limited,
        retry_after: None,
        via: ProbeVia::Port,
    }
}

/// "45 s", "12 min", "3 h".
fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 120 {
        format!("{secs} s")
    } else if secs < 2 * 3_600 {
        format!("{} min", secs / 60)
    } else {
        format!("{} h", secs / 3_600)
    }
}

/// Connects to the URL's host and port and closes again; the error in words.
async fn connect_port(url: &str, timeout: Duration) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| format!("invalid URL {}: {e}", crate::config::redact_uri(url)))?;
    let host = parsed.host_str().unwrap_or_default().to_string();
    let port = parsed
        .port_or_known_default()
        .ok_or_else(|| format!("no port in {}", crate::config::redact_uri(url)))?;
    let attempt = async {
        let addrs: Vec<_> = tokio::net::lookup_host((host.trim_matches(['[', ']']), port))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect();
        let mut last = format!("cannot resolve {host}");
        for addr in addrs {
            match tokio::net::TcpStream::connect(addr).await {
                Ok(_stream) => return Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    last = "connection refused".to_string();
                }
                Err(e) => last = format!("cannot connect to {host}:{port}: {e}"),
            }
        }
        Err(last)
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(result) => result.map_err(|e| crate::sanitize::escape_controls(&e).into_owned()),
        Err(_) => Err(format!(
            "port {port} did not accept a connection within {} s",
            timeout.as_secs()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_answers_keep_429_up_and_say_when_next() {
        let answer = SharedAnswer {
            at_ms: 1_000,
            healthy: true,
            rate_limited: true,
            status: Some(429),
            detail: "up, rate-limited".into(),
            latency_ms: 3.0,
        };
        let probe = from_shared(
            Some(&answer),
            Duration::from_millis(2),
            61_000,
            121_000,
            WaitReason::RetryAfter,
        );
        assert!(probe.healthy);
        assert!(probe.rate_limited);
        assert_eq!(
            probe.detail,
            "port open; /health rate-limited (429) 60 s ago (next in 60 s, Retry-After)"
        );
        let none = from_shared(None, Duration::ZERO, 0, 600_000, WaitReason::Spacing);
        assert!(none.healthy);
        assert_eq!(
            none.detail,
            "port open; /health not asked yet (next in 10 min)"
        );
    }
}
