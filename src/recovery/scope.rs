//! What a recovery restores: exactly what the incident lost (only the lost collections,
//! only the missing files, or everything), as a restore request.

use serde::{Deserialize, Serialize};

use super::model::{Diagnosis, IncidentKind, Reference};
use crate::backup::restore::{RestorePart, RestoreRequest};

/// The parts a recovery restores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryScope {
    /// Restore the whole database.
    pub whole_database: bool,
    /// Restore only these collections (empty with `whole_database` or no database part).
    pub collections: Vec<String>,
    /// Restore the upload files that are missing (never overwriting one).
    pub missing_files: bool,
    /// Lost collections the backup does not hold (cannot be restored from it).
    pub not_in_backup: Vec<String>,
}

impl RecoveryScope {
    /// Whether anything is restored.
    pub fn is_empty(&self) -> bool {
        !self.whole_database && self.collections.is_empty() && !self.missing_files
    }

    /// Whether the database part is restored.
    pub fn has_database(&self) -> bool {
        self.whole_database || !self.collections.is_empty()
    }

    /// One line ("the whole database and the missing files").
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.whole_database {
            parts.push("the whole database".to_string());
        } else if !self.collections.is_empty() {
            parts.push(format!("collections {}", self.collections.join(", ")));
        }
        if self.missing_files {
            parts.push("the missing files".to_string());
        }
        if parts.is_empty() {
            "nothing".to_string()
        } else {
            parts.join(" and ")
        }
    }

    /// The restore request for set `id` (a safety backup first when `safety_backup`).
    pub fn request(
        &self,
        id: &str,
        safety_backup: bool,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> RestoreRequest {
        let only = match (self.has_database(), self.missing_files) {
            (true, false) => Some(RestorePart::Db),
            (false, true) => Some(RestorePart::Files),
            _ => None,
        };
        RestoreRequest {
            id: id.to_string(),
            only,
            collections: (!self.whole_database && !self.collections.is_empty())
                .then(|| self.collections.clone()),
            to_db: None,
            files_to: None,
            safety_backup,
            at,
            missing_files_only: self.missing_files,
        }
    }
}

/// The scope for handling `incident` (plus every other data loss the diagnosis found) from
/// the backup `point` holds; `has_files` says whether that backup carries files.
pub fn scope_for(
    incident: IncidentKind,
    diagnosis: &Diagnosis,
    point: &Reference,
    has_files: bool,
) -> RecoveryScope {
    let found = |k: IncidentKind| incident == k || diagnosis.incidents.contains(&k);
    let mut scope = RecoveryScope {
        whole_database: found(IncidentKind::DatabaseLost),
        collections: Vec::new(),
        missing_files: has_files && found(IncidentKind::FilesLost),
        not_in_backup: Vec::new(),
    };
    if !scope.whole_database && found(IncidentKind::CollectionsLost) {
        for lost in &diagnosis.lost_collections {
            if point.collections.iter().any(|(n, _)| *n == lost.name) {
                scope.collections.push(lost.name.clone());
            } else {
                scope.not_in_backup.push(lost.name.clone());
            }
        }
        if scope.collections.is_empty() && scope.not_in_backup.is_empty() {
            scope.whole_database = true;
        }
    }
    scope
}
