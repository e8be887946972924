//! The connection monitor: keeps probing MongoDB and reports state changes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::probe::{self, Backoff, ConnectionState, ProbeTimeouts};

/// Settings of the connection monitor.
#[derive(Debug, Clone)]
pub struct MonitorSettings {
    /// Connection string (never shown; the UI shows a redacted copy).
    pub uri: String,
    /// Probe timeouts.
    pub timeouts: ProbeTimeouts,
    /// Delays between failed attempts.
    pub backoff: Backoff,
    /// Ping interval while connected.
    pub interval: Duration,
}

impl MonitorSettings {
    /// Default settings for `uri`: 1 s..30 s back-off, 5 s ping interval.
    pub fn new(uri: impl Into<String>) -> Self {
        MonitorSettings {
            uri: uri.into(),
            timeouts: ProbeTimeouts::default(),
            backoff: Backoff::default(),
            interval: Duration::from_secs(5),
        }
    }
}

/// Probes forever, calling `report` with each new state; `wake` cuts a wait short.
pub async fn run_monitor(
    settings: MonitorSettings,
    wake: Arc<Notify>,
    mut report: impl FnMut(ConnectionState) + Send,
) {
    let mut failures: u32 = 0;
    let mut client = None;
    let mut since = None;
    loop {
        if client.is_none() {
            report(ConnectionState::Connecting {
                attempt: failures + 1,
            });
            match probe::connect(&settings.uri, settings.timeouts).await {
                Ok(new_client) => client = Some(new_client),
                Err(failure) => {
                    failures += 1;
                    let retry_in = settings.backoff.delay(failures);
                    report(ConnectionState::Unreachable {
                        failure,
                        attempt: failures,
                        retry_in,
                        reported_at: Instant::now(),
                    });
                    wait(retry_in, &wake).await;
                    continue;
                }
            }
        }
        let Some(active) = client.as_ref() else {
            continue;
        };
        match probe::ping(active, &settings.uri, settings.timeouts).await {
            Ok(info) => {
                failures = 0;
                let since = *since.get_or_insert_with(chrono::Local::now);
                report(ConnectionState::Connected { info, since });
                wait(settings.interval, &wake).await;
            }
            Err(failure) => {
                client = None;
                since = None;
                failures += 1;
                let retry_in = settings.backoff.delay(failures);
                report(ConnectionState::Unreachable {
                    failure,
                    attempt: failures,
                    retry_in,
                    reported_at: Instant::now(),
                });
                wait(retry_in, &wake).await;
            }
        }
    }
}

async fn wait(delay: Duration, wake: &Notify) {
    tokio::select! {
        _ = tokio::time::sleep(delay) => {}
        _ = wake.notified() => {}
    }
}
