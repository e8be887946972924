//! What is wrong with a database's indexes compared with what Scandy expects, and the
//! creation of the missing ones.
//!
//! Expected indexes of collections that do not exist yet are no problem: they are
//! reported as [`FindingKind::PendingCollection`] and never created (creating an index
//! creates its collection). When most expected indexes of the existing collections are
//! missing, one [`FindingKind::ScandyIndexDefect`] finding names the cause: Scandy's own
//! index setup fails since August 2025.

use std::collections::BTreeSet;

use color_eyre::eyre::{Result, WrapErr};
use mongodb::Database;
use mongodb::bson::{Document, doc};
use serde::Serialize;

use super::expected::{ExpectedIndex, expected_scandy_indexes};
use super::shell::{js_string, shell_collection, to_json};
use super::{IndexInfo, all_indexes};
use crate::datagen::{IndexSpec, expected_indexes};

/// Collections where a unique `barcode_1` breaks multi-department installs.
const BARCODE_COLLECTIONS: &[&str] = &["tools", "workers", "consumables"];

/// The fewest expected indexes on existing collections for a [`FindingKind::ScandyIndexDefect`].
const DEFECT_MIN_EXPECTED: usize = 3;

/// Why Scandy's own index setup fails (the text of [`FindingKind::ScandyIndexDefect`]).
pub const SCANDY_INDEX_DEFECT_CAUSE: &str = "Scandy since August 2025 passes \
     expireAfterSeconds: null to createIndex, which the server rejects, so index creation \
     stops at the first index. Create them with `scandyctl db indexes --create-missing` \
     (key m on the Database tab)";

/// Kind of an index finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// All or most expected indexes of the existing collections are missing: Scandy's
    /// own index setup failed (one database-wide finding, see [`SCANDY_INDEX_DEFECT_CAUSE`]).
    ScandyIndexDefect,
    /// An index Scandy expects on an existing collection does not exist.
    MissingExpected,
    /// An index with the expected keys exists with other options (unique/sparse/TTL).
    OptionsDiffer,
    /// The legacy unique `barcode_1` on tools/workers/consumables.
    LegacyBarcode,
    /// An index nobody used since `since` (only non-unique, non-TTL, non-Scandy ones).
    Unused,
    /// An expected index of a collection that does not exist yet (no problem, not created).
    PendingCollection,
}

impl FindingKind {
    /// Whether findings of this kind are problems (pending indexes are not).
    pub fn is_problem(self) -> bool {
        self != FindingKind::PendingCollection
    }
}

/// How urgent a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look.
    Info,
    /// Breaks or slows Scandy.
    Warning,
}

/// One index finding with its fix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexFinding {
    /// What is wrong.
    pub kind: FindingKind,
    /// How urgent.
    pub severity: Severity,
    /// Collection (empty for the database-wide [`FindingKind::ScandyIndexDefect`]).
    pub collection: String,
    /// Index name, expected or existing (empty for a database-wide finding).
    pub index: String,
    /// Key pattern (empty for a database-wide finding).
    pub keys: String,
    /// One-line explanation.
    pub message: String,
    /// mongosh line(s) that fix it.
    pub fix: Option<String>,
    /// The database command(s) that fix it, as relaxed extended JSON.
    pub fix_commands: Vec<serde_json::Value>,
}

/// Compares `existing` with Scandy's expected indexes (pure; see [`index_findings`]).
///
/// A collection counts as existing when `existing` holds at least one of its indexes:
/// every regular collection has one (`_id_` or its clustered index), and
/// [`all_indexes`] lists every regular collection.
pub fn findings_for(existing: &[IndexInfo]) -> Vec<IndexFinding> {
    let expected = expected_scandy_indexes();
    let collections: BTreeSet<&str> = existing.iter().map(|i| i.collection.as_str()).collect();
    let (present, absent): (Vec<&ExpectedIndex>, Vec<&ExpectedIndex>) = expected
        .iter()
        .partition(|want| collections.contains(want.collection.as_str()));
    let mut findings = Vec::new();
    for want in &present {
        findings.extend(compare_expected(want, existing));
    }
    for info in existing {
        findings.extend(legacy_barcode(info));
    }
    for info in existing {
        let scandy = expected.iter().any(|want| want.matches_keys(info));
        findings.extend(unused(info, scandy));
    }
    findings.extend(absent.iter().map(|want| pending(want)));
    let missing = findings
        .iter()
        .filter(|f| f.kind == FindingKind::MissingExpected)
        .count();
    if let Some(defect) = scandy_index_defect(present.len(), missing) {
        findings.insert(0, defect);
    }
    findings
}

/// The missing or differently configured index `want`, if so.
fn compare_expected(want: &ExpectedIndex, existing: &[IndexInfo]) -> Option<IndexFinding> {
    let same_keys: Vec<&IndexInfo> = existing.iter().filter(|i| want.matches_keys(i)).collect();
    if same_keys.is_empty() {
        return Some(IndexFinding {
            kind: FindingKind::MissingExpected,
            severity: Severity::Warning,
            collection: want.collection.clone(),
            index: want.name.clone(),
            keys: want.keys_string(),
            message: format!(
                "expected index {} {} is missing",
                want.name,
                want.keys_string()
            ),
            fix: Some(want.mongosh()),
            fix_commands: vec![to_json(&want.create_command())],
        });
    }
    if same_keys.iter().any(|i| want.matches_options(i)) {
        return None;
    }
    let have = same_keys[0];
    let drop = doc! { "dropIndexes": &want.collection, "index": &have.name };
    Some(IndexFinding {
        kind: FindingKind::OptionsDiffer,
        severity: Severity::Warning,
        collection: want.collection.clone(),
        index: have.name.clone(),
        keys: have.keys.clone(),
        message: format!(
            "index {} has other options than Scandy expects ({})",
            have.name,
            want.options_text()
        ),
        fix: Some(format!(
            "{}.dropIndex({}); {}",
            shell_collection(&want.collection),
            js_string(&have.name),
            want.mongosh()
        )),
        fix_commands: vec![to_json(&drop), to_json(&want.create_command())],
    })
}

/// A drop finding for `info` (legacy barcode or unused index).
fn drop_finding(
    info: &IndexInfo,
    kind: FindingKind,
    severity: Severity,
    message: String,
) -> IndexFinding {
    let drop: Document = doc! { "dropIndexes": &info.collection, "index": &info.name };
    IndexFinding {
        kind,
        severity,
        collection: info.collection.clone(),
        index: info.name.clone(),
        keys: info.keys.clone(),
        message,
        fix: Some(format!(
            "{}.dropIndex({})",
            shell_collection(&info.collection),
            js_string(&info.name)
        )),
        fix_commands: vec![to_json(&drop)],
    }
}

/// The legacy unique `barcode_1` finding, when `info` is one.
fn legacy_barcode(info: &IndexInfo) -> Option<IndexFinding> {
    let legacy = BARCODE_COLLECTIONS.contains(&info.collection.as_str())
        && info.keys == "{barcode: 1}"
        && info.unique;
    legacy.then(|| {
        drop_finding(
            info,
            FindingKind::LegacyBarcode,
            Severity::Warning,
            format!(
                "legacy unique index {} on {}: the same barcode cannot exist in two departments, which breaks multi-department installs",
                info.name, info.collection
            ),
        )
    })
}

/// The unused-index notice, for non-unique, non-TTL indexes Scandy does not expect.
fn unused(info: &IndexInfo, scandy: bool) -> Option<IndexFinding> {
    if !info.unused || info.name == "_id_" || info.unique || info.ttl_secs.is_some() || scandy {
        return None;
    }
    let since = info
        .usage
        .value()
        .and_then(|u| u.since.clone())
        .map(|s| format!(" since {s}"))
        .unwrap_or_default();
    Some(drop_finding(
        info,
        FindingKind::Unused,
        Severity::Info,
        format!(
            "index {} was not used{since}; it costs write time and memory",
            info.name
        ),
    ))
}

/// The notice for an expected index whose collection does not exist yet.
fn pending(want: &ExpectedIndex) -> IndexFinding {
    IndexFinding {
        kind: FindingKind::PendingCollection,
        severity: Severity::Info,
        collection: want.collection.clone(),
        index: want.name.clone(),
        keys: want.keys_string(),
        message: format!(
            "{} does not exist yet: index {} {} will be needed when the collection appears \
             (not created now: creating an index would create the collection)",
            want.collection,
            want.name,
            want.keys_string()
        ),
        fix: None,
        fix_commands: Vec::new(),
    }
}

/// The database-wide defect finding when `missing` of the `expected` indexes of
/// existing collections are missing and that is all or at least three quarters of them.
fn scandy_index_defect(expected: usize, missing: usize) -> Option<IndexFinding> {
    if expected < DEFECT_MIN_EXPECTED || missing * 4 < expected * 3 {
        return None;
    }
    let created = expected - missing;
    let lead = if created == 0 {
        format!("Scandy created none of its indexes ({missing} missing on existing collections)")
    } else {
        format!(
            "Scandy created only {created} of its {expected} indexes ({missing} missing on \
             existing collections)"
        )
    };
    Some(IndexFinding {
        kind: FindingKind::ScandyIndexDefect,
        severity: Severity::Warning,
        collection: String::new(),
        index: String::new(),
        keys: String::new(),
        message: format!("{lead}: {SCANDY_INDEX_DEFECT_CAUSE}"),
        fix: None,
        fix_commands: Vec::new(),
    })
}

/// Index findings of `db`: the Scandy defect, missing expected indexes, other options,
/// legacy `barcode_1`, unused indexes and the pending indexes of absent collections.
pub async fn index_findings(db: &Database) -> Result<Vec<IndexFinding>> {
    Ok(findings_for(&all_indexes(db).await?))
}

/// Creates the missing expected indexes of existing collections; returns
/// `collection.index` of each. Indexes of absent collections are skipped (creating one
/// would create its collection).
pub async fn create_missing_indexes(db: &Database) -> Result<Vec<String>> {
    let missing: Vec<IndexFinding> = index_findings(db)
        .await?
        .into_iter()
        .filter(|f| f.kind == FindingKind::MissingExpected)
        .collect();
    let models = expected_indexes(false);
    let mut created = Vec::new();
    for finding in missing {
        let Some((_, model)) = models.iter().find(|(coll, model)| {
            coll == &finding.collection && IndexSpec::from_model(coll, model).name == finding.index
        }) else {
            continue;
        };
        db.collection::<Document>(&finding.collection)
            .create_index(model.clone())
            .await
            .wrap_err_with(|| {
                format!(
                    "cannot create index {} on {}.{}",
                    finding.index,
                    db.name(),
                    finding.collection
                )
            })?;
        created.push(format!("{}.{}", finding.collection, finding.index));
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::super::IndexUsage;
    use super::*;
    use crate::mongo::stats::Availability;

    fn id_index(collection: &str) -> IndexInfo {
        IndexInfo {
            collection: collection.into(),
            name: "_id_".into(),
            keys: "{_id: 1}".into(),
            unique: false,
            sparse: false,
            ttl_secs: None,
            partial_filter: None,
            size: Availability::Available { value: 4096 },
            usage: Availability::Available {
                value: IndexUsage {
                    ops: 0,
                    since: None,
                },
            },
            unused: true,
        }
    }

    fn of_kind(findings: &[IndexFinding], kind: FindingKind) -> Vec<String> {
        findings
            .iter()
            .filter(|f| f.kind == kind)
            .map(|f| format!("{}.{}", f.collection, f.index))
            .collect()
    }

    #[test]
    fn only_id_indexes_name_the_scandy_defect_and_keep_absent_collections_pending() {
        let existing = [
            id_index("tools"),
            id_index("users"),
            id_index("system_locks"),
        ];
        let findings = findings_for(&existing);
        assert_eq!(findings[0].kind, FindingKind::ScandyIndexDefect);
        assert!(
            findings[0]
                .message
                .starts_with("Scandy created none of its indexes (11 missing"),
            "{}",
            findings[0].message
        );
        assert!(findings[0].message.contains("expireAfterSeconds: null"));
        let missing = of_kind(&findings, FindingKind::MissingExpected);
        assert_eq!(missing.len(), 11, "{missing:?}");
        assert!(
            missing
                .iter()
                .all(|m| m.starts_with("tools.") || m.starts_with("users."))
        );
        let pending = of_kind(&findings, FindingKind::PendingCollection);
        assert!(
            pending.contains(&"messages.ticket_id_1".to_string()),
            "{pending:?}"
        );
        assert!(pending.iter().all(|p| !p.starts_with("tools.")));
        assert!(findings.iter().all(|f| f.collection != "system_locks"));
        assert!(findings.iter().all(|f| f.kind != FindingKind::Unused));
    }

    #[test]
    fn a_few_missing_indexes_are_no_scandy_defect() {
        let existing = [id_index("tools")];
        let mut all: Vec<IndexInfo> = existing.to_vec();
        for want in expected_scandy_indexes()
            .iter()
            .filter(|w| w.collection == "tools")
            .skip(2)
        {
            let mut info = id_index("tools");
            info.name = want.name.clone();
            info.keys = want.keys_string();
            info.unique = want.unique;
            info.sparse = want.sparse;
            all.push(info);
        }
        let findings = findings_for(&all);
        assert_eq!(of_kind(&findings, FindingKind::MissingExpected).len(), 2);
        assert!(of_kind(&findings, FindingKind::ScandyIndexDefect).is_empty());
        assert!(findings.iter().all(|f| f.kind != FindingKind::Unused));
    }

    #[test]
    fn mostly_missing_names_how_many_scandy_created() {
        let defect = scandy_index_defect(40, 38).expect("38 of 40 missing");
        assert!(
            defect
                .message
                .starts_with("Scandy created only 2 of its 40 indexes (38 missing"),
            "{}",
            defect.message
        );
        assert!(scandy_index_defect(40, 29).is_none());
        assert!(scandy_index_defect(2, 2).is_none());
        assert!(scandy_index_defect(0, 0).is_none());
    }

    #[test]
    fn an_empty_database_has_only_pending_indexes() {
        let findings = findings_for(&[]);
        assert!(!findings.is_empty());
        assert!(
            findings
                .iter()
                .all(|f| f.kind == FindingKind::PendingCollection && !f.kind.is_problem())
        );
    }
}
