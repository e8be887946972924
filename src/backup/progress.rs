//! Progress of long backup operations, reported through a callback, and [`Cancelled`], the
//! error of an operation stopped through its cancellation token.

use std::fmt;
use std::time::{Duration, Instant};

/// The stage an operation is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Dumping the database.
    Database,
    /// Archiving files.
    Files,
    /// Checking members.
    Verify,
    /// Loading the database.
    Restore,
    /// Extracting files.
    Extract,
    /// Writing a set as one portable file.
    Export,
    /// Database maintenance (validate, one collection after another).
    Maintenance,
}

impl Stage {
    /// Short label for progress lines.
    pub fn label(self) -> &'static str {
        match self {
            Stage::Database => "database",
            Stage::Files => "files",
            Stage::Verify => "verify",
            Stage::Restore => "restore",
            Stage::Extract => "extract",
            Stage::Export => "export",
            Stage::Maintenance => "maintenance",
        }
    }
}

/// One progress report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Current stage.
    pub stage: Stage,
    /// Items (documents, files) done.
    pub items: u64,
    /// Items expected (0 when unknown).
    pub items_total: u64,
    /// Bytes done.
    pub bytes: u64,
    /// Bytes expected (0 when unknown).
    pub bytes_total: u64,
}

impl Progress {
    /// Converts a dump progress report.
    pub fn from_dump(dump: &super::dump::DumpProgress) -> Progress {
        Progress {
            stage: Stage::Database,
            items: dump.total_documents,
            items_total: dump.total_documents_estimated.max(dump.total_documents),
            bytes: dump.total_bytes,
            bytes_total: 0,
        }
    }

    /// Fraction done (0..=1) by bytes when their total is known, else by items; `None` when
    /// both totals are unknown. Bytes come first: where both are known (verify, export) the
    /// items are a few members, too coarse for a progress bar.
    pub fn fraction(&self) -> Option<f64> {
        if self.bytes_total > 0 {
            Some((self.bytes as f64 / self.bytes_total as f64).min(1.0))
        } else if self.items_total > 0 {
            Some((self.items as f64 / self.items_total as f64).min(1.0))
        } else {
            None
        }
    }
}

/// The error of an operation stopped through its cancellation token. It displays as
/// `cancelled`; find it with `err.is::<Cancelled>()` or [`is_cancelled`], which also looks
/// through wrapped errors and I/O errors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cancelled;

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cancelled")
    }
}

impl std::error::Error for Cancelled {}

impl Cancelled {
    /// An I/O error carrying [`Cancelled`], for readers and writers that see the token.
    pub fn io() -> std::io::Error {
        std::io::Error::other(Cancelled)
    }
}

/// Whether `err`, or an error it wraps, is a [`Cancelled`] (also inside an I/O error).
pub fn is_cancelled(err: &color_eyre::eyre::Report) -> bool {
    err.is::<Cancelled>()
        || err.chain().any(|cause| {
            cause.is::<Cancelled>()
                || cause
                    .downcast_ref::<std::io::Error>()
                    .and_then(|io| io.get_ref())
                    .is_some_and(|inner| inner.is::<Cancelled>())
        })
}

/// Lets at most one report through per interval (100 ms: ten a second), so callbacks stay
/// cheap however often an operation offers one.
#[derive(Debug, Clone)]
pub struct Throttle {
    interval: Duration,
    last: Option<Instant>,
}

impl Throttle {
    /// A throttle letting one report through every 100 ms; the first passes at once.
    pub fn new() -> Throttle {
        Throttle::every(Duration::from_millis(100))
    }

    /// A throttle letting one report through per `interval`; the first passes at once.
    pub fn every(interval: Duration) -> Throttle {
        Throttle {
            interval,
            last: None,
        }
    }

    /// Whether a report may go out now (and if so, starts the next interval).
    pub fn ready(&mut self) -> bool {
        let now = Instant::now();
        match self.last {
            Some(last) if now.duration_since(last) < self.interval => false,
            _ => {
                self.last = Some(now);
                true
            }
        }
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use color_eyre::eyre::{Report, WrapErr};

    #[test]
    fn cancelled_is_found_through_wrapping_and_io_errors() {
        let plain = Report::new(Cancelled);
        assert_eq!(plain.to_string(), "cancelled");
        assert!(plain.is::<Cancelled>() && is_cancelled(&plain));
        let wrapped = Err::<(), _>(Report::new(Cancelled))
            .wrap_err("cannot dump")
            .wrap_err("backup failed")
            .unwrap_err();
        assert!(wrapped.is::<Cancelled>() && is_cancelled(&wrapped));
        let io = Err::<(), _>(Cancelled::io())
            .wrap_err("cannot read")
            .unwrap_err();
        assert!(is_cancelled(&io));
        assert!(!is_cancelled(&color_eyre::eyre::eyre!("cancelled")));
    }

    #[test]
    fn throttle_passes_the_first_report_then_one_per_interval() {
        let mut throttle = Throttle::every(Duration::from_secs(3600));
        assert!(throttle.ready());
        assert!(!throttle.ready());
        let mut open = Throttle::every(Duration::ZERO);
        assert!(open.ready() && open.ready());
    }

    #[test]
    fn fraction_prefers_bytes_then_items() {
        let mut p = Progress {
            stage: Stage::Verify,
            items: 1,
            items_total: 2,
            bytes: 30,
            bytes_total: 40,
        };
        assert_eq!(p.fraction(), Some(0.75));
        p.bytes_total = 0;
        assert_eq!(p.fraction(), Some(0.5));
        p.items_total = 0;
        assert_eq!(p.fraction(), None);
        assert_eq!(Stage::Export.label(), "export");
    }
}
