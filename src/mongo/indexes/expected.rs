//! The indexes Scandy creates at start, as mongosh lines and `createIndexes` commands.

use mongodb::bson::{Document, doc};

use super::IndexInfo;
use super::shell::{js_string, keys_string, shell_collection};
use crate::datagen::{IndexSpec, expected_indexes};

/// An index Scandy creates at start (mirrors `crate::datagen`'s list).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExpectedIndex {
    /// Collection.
    pub collection: String,
    /// Index name (pymongo style).
    pub name: String,
    /// Key fields and directions, in order.
    pub keys: Vec<(String, i32)>,
    /// `unique: true`.
    pub unique: bool,
    /// `sparse: true`.
    pub sparse: bool,
    /// TTL `expireAfterSeconds`.
    pub ttl_secs: Option<u64>,
}

impl ExpectedIndex {
    fn from_spec(spec: IndexSpec) -> Self {
        ExpectedIndex {
            collection: spec.collection,
            name: spec.name,
            keys: spec.keys,
            unique: spec.unique,
            sparse: spec.sparse,
            ttl_secs: spec.expire_after_secs,
        }
    }

    /// The key pattern as a document.
    pub fn key_document(&self) -> Document {
        let mut keys = Document::new();
        for (field, dir) in &self.keys {
            keys.insert(field.clone(), *dir);
        }
        keys
    }

    /// The key pattern as text, e.g. `{department: 1, barcode: 1}`.
    pub fn keys_string(&self) -> String {
        keys_string(&self.key_document())
    }

    /// The options as mongosh text, e.g. `{name: "username_1", unique: true}`.
    pub(super) fn options_text(&self) -> String {
        let mut parts = vec![format!("name: {}", js_string(&self.name))];
        if self.unique {
            parts.push("unique: true".into());
        }
        if self.sparse {
            parts.push("sparse: true".into());
        }
        if let Some(secs) = self.ttl_secs {
            parts.push(format!("expireAfterSeconds: {secs}"));
        }
        format!("{{{}}}", parts.join(", "))
    }

    /// The mongosh line that creates this index.
    pub fn mongosh(&self) -> String {
        format!(
            "{}.createIndex({}, {})",
            shell_collection(&self.collection),
            self.keys_string(),
            self.options_text()
        )
    }

    /// The `createIndexes` command that creates this index.
    pub fn create_command(&self) -> Document {
        let mut index = doc! { "key": self.key_document(), "name": &self.name };
        if self.unique {
            index.insert("unique", true);
        }
        if self.sparse {
            index.insert("sparse", true);
        }
        if let Some(secs) = self.ttl_secs {
            index.insert("expireAfterSeconds", secs as i64);
        }
        doc! { "createIndexes": &self.collection, "indexes": [index] }
    }

    /// Whether `info` is on the same collection with the same key pattern.
    pub(super) fn matches_keys(&self, info: &IndexInfo) -> bool {
        info.collection == self.collection && info.keys == self.keys_string()
    }

    /// Whether `info` has the same unique/sparse/TTL options.
    pub(super) fn matches_options(&self, info: &IndexInfo) -> bool {
        info.unique == self.unique && info.sparse == self.sparse && info.ttl_secs == self.ttl_secs
    }
}

/// Scandy's indexes (what `init_db` creates), without `_id_` and the legacy `barcode_1`.
pub fn expected_scandy_indexes() -> Vec<ExpectedIndex> {
    expected_indexes(false)
        .iter()
        .map(|(coll, model)| ExpectedIndex::from_spec(IndexSpec::from_model(coll, model)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::shell::to_json;
    use super::*;

    fn find<'a>(all: &'a [ExpectedIndex], coll: &str, name: &str) -> &'a ExpectedIndex {
        all.iter()
            .find(|i| i.collection == coll && i.name == name)
            .unwrap_or_else(|| panic!("{coll}.{name} missing"))
    }

    #[test]
    fn expected_list_has_the_documented_indexes() {
        let all = expected_scandy_indexes();
        for coll in ["tools", "workers", "consumables"] {
            let i = find(&all, coll, "department_1_barcode_1");
            assert!(i.unique && i.sparse);
        }
        assert!(find(&all, "users", "username_1").unique);
        assert_eq!(find(&all, "users", "delete_at_1").ttl_secs, Some(0));
        assert_eq!(find(&all, "workers", "delete_at_1").ttl_secs, Some(0));
        assert!(find(&all, "timesheets", "user_id_1_year_1_kw_1").unique);
        let s = find(&all, "settings", "department_1_key_1");
        assert!(s.unique && s.sparse);
        find(&all, "messages", "ticket_id_1");
    }

    #[test]
    fn scandy_creates_no_index_on_system_locks() {
        let all = expected_scandy_indexes();
        let locks: Vec<&str> = all
            .iter()
            .filter(|i| i.collection == "system_locks")
            .map(|i| i.name.as_str())
            .collect();
        assert!(locks.is_empty(), "{locks:?}");
        let ttl: Vec<String> = all
            .iter()
            .filter(|i| i.ttl_secs.is_some())
            .map(|i| format!("{}.{}", i.collection, i.name))
            .collect();
        assert_eq!(ttl, ["workers.delete_at_1", "users.delete_at_1"]);
    }

    #[test]
    fn mongosh_and_command_text() {
        let all = expected_scandy_indexes();
        let tools = find(&all, "tools", "department_1_barcode_1");
        assert_eq!(
            tools.mongosh(),
            r#"db.tools.createIndex({department: 1, barcode: 1}, {name: "department_1_barcode_1", unique: true, sparse: true})"#
        );
        assert_eq!(
            to_json(&tools.create_command()).to_string(),
            r#"{"createIndexes":"tools","indexes":[{"key":{"department":1,"barcode":1},"name":"department_1_barcode_1","unique":true,"sparse":true}]}"#
        );
        assert_eq!(
            keys_string(&doc! { "used_at": -1, "a.b": "text" }),
            r#"{used_at: -1, "a.b": "text"}"#
        );
    }
}
