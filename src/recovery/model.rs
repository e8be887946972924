//! What the recovery wizard knows: incident kinds, findings with evidence, the diagnosis.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::notify::Priority;

/// What went wrong, as the wizard names it (the guide's incident types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncidentKind {
    /// The credentials in `.env` no longer open the database.
    CredentialsBroken,
    /// MongoDB does not answer.
    MongoDown,
    /// The database is gone or all its collections are empty.
    DatabaseLost,
    /// Some collections are missing, emptied or shrank past the threshold.
    CollectionsLost,
    /// Upload directories are missing or hold far fewer files than the backup.
    FilesLost,
    /// A filesystem Scandy or MongoDB writes to is full.
    DiskFull,
    /// The Scandy service or its containers are not running, or `/health` fails.
    ServiceDown,
}

impl IncidentKind {
    /// Every kind, in the order the wizard proposes them when several are found.
    pub const ALL: [IncidentKind; 7] = [
        IncidentKind::CredentialsBroken,
        IncidentKind::MongoDown,
        IncidentKind::DatabaseLost,
        IncidentKind::CollectionsLost,
        IncidentKind::FilesLost,
        IncidentKind::DiskFull,
        IncidentKind::ServiceDown,
    ];

    /// The stable kebab-case name (`database-lost`).
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::CredentialsBroken => "credentials-broken",
            IncidentKind::MongoDown => "mongo-down",
            IncidentKind::DatabaseLost => "database-lost",
            IncidentKind::CollectionsLost => "collections-lost",
            IncidentKind::FilesLost => "files-lost",
            IncidentKind::DiskFull => "disk-full",
            IncidentKind::ServiceDown => "service-down",
        }
    }

    /// Parses [`IncidentKind::as_str`].
    pub fn parse(text: &str) -> Option<IncidentKind> {
        IncidentKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// English headline ("Database lost").
    pub fn title(self) -> &'static str {
        match self {
            IncidentKind::CredentialsBroken => "Credentials broken",
            IncidentKind::MongoDown => "MongoDB down",
            IncidentKind::DatabaseLost => "Database lost",
            IncidentKind::CollectionsLost => "Collections lost or emptied",
            IncidentKind::FilesLost => "Files lost",
            IncidentKind::DiskFull => "Disk full",
            IncidentKind::ServiceDown => "Service down",
        }
    }

    /// Whether a restore from a backup is what fixes it.
    pub fn needs_restore(self) -> bool {
        matches!(
            self,
            IncidentKind::DatabaseLost | IncidentKind::CollectionsLost | IncidentKind::FilesLost
        )
    }

    /// The priority it is raised with.
    pub fn severity(self) -> Priority {
        match self {
            IncidentKind::FilesLost => Priority::Warning,
            _ => Priority::Critical,
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckLevel {
    /// Fine.
    Ok,
    /// Worth a look; not an incident by itself.
    Warning,
    /// Broken.
    Failed,
    /// Could not be checked (nothing configured, or a precondition failed).
    Skipped,
}

impl CheckLevel {
    /// The lowercase word (`ok`, `warning`, `failed`, `skipped`).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckLevel::Ok => "ok",
            CheckLevel::Warning => "warning",
            CheckLevel::Failed => "failed",
            CheckLevel::Skipped => "skipped",
        }
    }
}

/// One check with its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable id (`SCY-REC-MONGO`).
    pub id: String,
    /// Outcome.
    pub level: CheckLevel,
    /// One line ("MongoDB answers (7.0.14, 3 ms)").
    pub title: String,
    /// What was seen, one fact per line (raw text: escape when shown).
    pub evidence: Vec<String>,
}

impl Finding {
    /// A finding without evidence yet.
    pub fn new(id: &str, level: CheckLevel, title: impl Into<String>) -> Finding {
        Finding {
            id: id.to_string(),
            level,
            title: title.into(),
            evidence: Vec::new(),
        }
    }

    /// Adds one line of evidence.
    pub fn with(mut self, line: impl Into<String>) -> Finding {
        self.evidence.push(line.into());
        self
    }
}

/// A collection that is missing, emptied or shrank past the threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostCollection {
    /// Collection name.
    pub name: String,
    /// Documents in the reference backup.
    pub expected: u64,
    /// Documents now (`None`: the collection does not exist).
    pub live: Option<u64>,
}

/// The upload directories compared with the reference backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilesState {
    /// Upload files the reference backup holds (`None`: it does not say).
    pub expected: Option<u64>,
    /// Upload files present now.
    pub present: u64,
    /// Configured upload directories that do not exist.
    pub missing_dirs: Vec<String>,
}

/// Where a backup comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PointSource {
    /// A scandyctl set (full, incremental or pre-restore).
    Set,
    /// One of Scandy's own backups.
    Legacy,
}

/// The backup the live state is compared with (the newest one, not yet deep-verified).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// Set or legacy id.
    pub id: String,
    /// Set or legacy.
    pub source: PointSource,
    /// When it was taken.
    pub created_at: DateTime<Utc>,
    /// Documents per collection in it.
    pub collections: Vec<(String, u64)>,
    /// Upload files in it, when known.
    pub upload_files: Option<u64>,
}

/// How MongoDB answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum MongoState {
    /// It answered.
    Reachable {
        /// Server version.
        version: String,
        /// Ping round trip in milliseconds.
        latency_ms: u64,
    },
    /// It refused the credentials.
    AuthFailed {
        /// The driver's message, password removed.
        detail: String,
    },
    /// It did not answer.
    Unreachable {
        /// Why.
        detail: String,
    },
}

impl MongoState {
    /// Whether the database can be read.
    pub fn readable(&self) -> bool {
        matches!(self, MongoState::Reachable { .. })
    }
}

/// The result of detection: every check, the incidents found and the proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// When it ran.
    pub at: DateTime<Utc>,
    /// The database checked.
    pub database: String,
    /// Every check, in the order they ran.
    pub findings: Vec<Finding>,
    /// Incidents found, the proposed (most urgent) first.
    pub incidents: Vec<IncidentKind>,
    /// The overall severity.
    pub severity: Priority,
    /// MongoDB's answer.
    pub mongo: MongoState,
    /// The backup compared with.
    pub reference: Option<Reference>,
    /// Collections lost, emptied or shrunk.
    pub lost_collections: Vec<LostCollection>,
    /// The upload directories.
    pub files: Option<FilesState>,
    /// Errors in the logs of the last hour: (kind, count), most frequent first.
    pub top_errors: Vec<(String, u64)>,
}

impl Diagnosis {
    /// The incident the wizard proposes.
    pub fn proposed(&self) -> Option<IncidentKind> {
        self.incidents.first().copied()
    }

    /// Whether nothing is wrong.
    pub fn healthy(&self) -> bool {
        self.incidents.is_empty()
    }

    /// One line for notifications and the report ("Database lost: 7 collections …").
    pub fn summary_line(&self) -> String {
        let Some(kind) = self.proposed() else {
            return format!("Scandy looks healthy (database {})", self.database);
        };
        let mut text = format!("{} (database {})", kind.title(), self.database);
        if kind == IncidentKind::DatabaseLost && !self.lost_collections.is_empty() {
            text.push_str(&format!(
                "; {} collection(s) lost or emptied",
                self.lost_collections.len()
            ));
        } else if !self.lost_collections.is_empty() {
            let names: Vec<&str> = self
                .lost_collections
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            text.push_str(&format!("; lost or emptied: {}", name_list(&names, 5)));
        }
        if let Some(files) = self
            .files
            .as_ref()
            .filter(|_| self.incidents.contains(&IncidentKind::FilesLost))
        {
            match files.expected {
                Some(expected) => {
                    text.push_str(&format!("; upload files: {} of {expected}", files.present))
                }
                None => text.push_str(&format!("; upload files: {}", files.present)),
            }
        }
        let others: Vec<&str> = self.incidents[1..].iter().map(|k| k.title()).collect();
        if !others.is_empty() {
            text.push_str(&format!("; also: {}", others.join(", ")));
        }
        text
    }
}

/// Up to `most` names joined with ", ", then "and N more".
pub fn name_list(names: &[&str], most: usize) -> String {
    if names.len() <= most {
        return names.join(", ");
    }
    format!(
        "{} and {} more",
        names[..most].join(", "),
        names.len() - most
    )
}
