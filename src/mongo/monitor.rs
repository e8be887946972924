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
        }
        let outcome = match client.as_ref() {
            Some(active) => probe::ping(active, &settings.uri, settings.timeouts).await,
            None => match probe::connect(&settings.uri, settings.timeouts).await {
                Ok(new_client) => {
                    client = Some(new_client);
                    continue;
                }
                Err(failure) => Err(failure),
            },
        };
        let delay = match outcome {
            Ok(info) => {
                failures = 0;
                let since = *since.get_or_insert_with(chrono::Local::now);
                report(ConnectionState::Connected { info, since });
                settings.interval
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
                retry_in
            }
        };
        wait(delay, &wake).await;
    }
}

async fn wait(delay: Duration, wake: &Notify) {
    tokio::select! {
        _ = tokio::time::sleep(delay) => {}
        _ = wake.notified() => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unreachable_server_backs_off_and_wakes_on_demand() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut settings = MonitorSettings::new(format!("mongodb://127.0.0.1:{port}"));
        settings.backoff.initial = Duration::from_secs(60);
        settings.backoff.max = Duration::from_secs(60);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let wake = Arc::new(Notify::new());
        let task = tokio::spawn(run_monitor(settings, wake.clone(), move |state| {
            let _ = tx.send(state);
        }));
        assert_eq!(
            rx.recv().await,
            Some(ConnectionState::Connecting { attempt: 1 })
        );
        match rx.recv().await {
            Some(ConnectionState::Unreachable {
                attempt,
                retry_in,
                failure,
                ..
            }) => {
                assert_eq!(attempt, 1);
                assert_eq!(retry_in, Duration::from_secs(60));
                assert_eq!(failure.kind, probe::FailureKind::Refused);
            }
            other => panic!("expected unreachable, got {other:?}"),
        }
        // Without the wake-up the next attempt would come a minute later.
        wake.notify_one();
        let next = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        assert_eq!(
            next.unwrap(),
            Some(ConnectionState::Connecting { attempt: 2 })
        );
        task.abort();
    }
}
