//! Test hook: `SCANDYCTL_TEST_RESTORE_STEP_MS=<ms>` makes every journaled step of a restore
//! (an insert batch, an index build, a rename of the swap, a file entry moved into place)
//! take at least that long, so kill drills can hit each phase. Unset, it costs nothing.

use std::sync::OnceLock;
use std::time::Duration;

/// Environment variable of the step delay.
pub const STEP_DELAY_ENV: &str = "SCANDYCTL_TEST_RESTORE_STEP_MS";

/// The configured delay per step (`None` when the hook is off).
pub fn step_delay_duration() -> Option<Duration> {
    static DELAY: OnceLock<Option<Duration>> = OnceLock::new();
    *DELAY.get_or_init(|| {
        std::env::var(STEP_DELAY_ENV)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis)
    })
}

/// Sleeps for the step delay, if the hook is on.
pub async fn step_delay() {
    if let Some(delay) = step_delay_duration() {
        tokio::time::sleep(delay).await;
    }
}

/// Blocking [`step_delay`] for code on blocking threads.
pub fn step_delay_blocking() {
    if let Some(delay) = step_delay_duration() {
        std::thread::sleep(delay);
    }
}
