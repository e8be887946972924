//! Progress on stderr for long commands: one updating line, only on a terminal.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::backup::progress::Progress;
use crate::system::disk::human_bytes;

/// A progress callback that draws on stderr when it is a terminal, at most 10 times a second.
pub fn stderr_progress() -> Arc<dyn Fn(Progress) + Send + Sync> {
    if !std::io::stderr().is_terminal() {
        return Arc::new(|_| {});
    }
    let started = Instant::now();
    let last = Mutex::new(Instant::now() - Duration::from_secs(1));
    Arc::new(move |p: Progress| {
        let Ok(mut last) = last.lock() else { return };
        if last.elapsed() < Duration::from_millis(100) {
            return;
        }
        *last = Instant::now();
        let line = progress_text(&p, started.elapsed());
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
    })
}

/// Clears the progress line (call before printing results).
pub fn clear_progress() {
    if std::io::stderr().is_terminal() {
        let _ = write!(std::io::stderr(), "\r\x1b[2K");
    }
}

/// One progress line: stage, counts, bytes, rate and ETA.
pub fn progress_text(p: &Progress, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(0.001);
    let mut text = format!("{:<8}", p.stage.label());
    if p.items_total > 0 {
        text.push_str(&format!(" {}/{} items", p.items, p.items_total));
    } else if p.items > 0 {
        text.push_str(&format!(" {} items", p.items));
    }
    text.push_str(&format!(" · {}", human_bytes(p.bytes)));
    if p.items > 0 {
        text.push_str(&format!(" · {:.0} docs/s", p.items as f64 / secs));
    } else {
        text.push_str(&format!(
            " · {}/s",
            human_bytes((p.bytes as f64 / secs) as u64)
        ));
    }
    if let Some(fraction) = p.fraction().filter(|f| *f > 0.01) {
        let eta = secs / fraction - secs;
        text.push_str(&format!(" · ETA {:.0} s", eta.max(0.0)));
    }
    text
}
