//! Progress of long backup operations, reported through a callback.

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

    /// Fraction done (0..=1) by items, else by bytes; `None` when totals are unknown.
    pub fn fraction(&self) -> Option<f64> {
        if self.items_total > 0 {
            Some((self.items as f64 / self.items_total as f64).min(1.0))
        } else if self.bytes_total > 0 {
            Some((self.bytes as f64 / self.bytes_total as f64).min(1.0))
        } else {
            None
        }
    }
}
