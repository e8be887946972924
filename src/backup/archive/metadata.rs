//! Per-collection metadata of the archive prelude.
//!
//! Each prelude entry (`CollectionMetadata` in mongo-tools) carries `db`, `collection`,
//! `metadata`, `size` and `type`. `metadata` is a *string*: the canonical Extended JSON
//! that mongodump also writes to `<coll>.metadata.json` (struct `Metadata` in
//! `mongodump/metadata_dump.go`): `options` (omitted when empty), `indexes` (always an
//! array), `uuid` (hex, omitted when unknown), `collectionName`, `type`.

use std::io;

use mongodb::bson::{Bson, Document, RawBsonRef, RawDocument, RawDocumentBuf};

use super::format::{bson_err, int_field, invalid, str_field};

/// What a namespace is: a plain collection, a view, or something this tool only records.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CollectionKind {
    /// A regular collection with documents and indexes.
    Collection,
    /// A view: `options.viewOn` + `options.pipeline`, no data, no indexes.
    View,
    /// A time-series collection (its data lives in `system.buckets.<name>`).
    Timeseries,
    /// Any other `type` string a server reports.
    Other(String),
}

impl CollectionKind {
    /// Parses the `type` of `listCollections`; an empty string means a collection.
    pub fn parse(kind: &str) -> Self {
        match kind {
            "" | "collection" => CollectionKind::Collection,
            "view" => CollectionKind::View,
            "timeseries" => CollectionKind::Timeseries,
            other => CollectionKind::Other(other.to_string()),
        }
    }

    /// Returns the `type` string as MongoDB spells it.
    pub fn as_str(&self) -> &str {
        match self {
            CollectionKind::Collection => "collection",
            CollectionKind::View => "view",
            CollectionKind::Timeseries => "timeseries",
            CollectionKind::Other(s) => s,
        }
    }
}

/// A collection's options, indexes and identity, as in mongodump's `.metadata.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionMetadata {
    /// Collection name (`collectionName`).
    pub collection_name: String,
    /// `options` of `listCollections` (capped, validator, viewOn, pipeline, ...).
    pub options: Document,
    /// Index specifications as `listIndexes` returns them, `_id_` included.
    pub indexes: Vec<Document>,
    /// The collection UUID as 32 lowercase hex digits, when the server reported one.
    pub uuid: Option<String>,
    /// Collection, view, ...
    pub kind: CollectionKind,
}

impl CollectionMetadata {
    /// Renders the metadata as mongodump does: compact canonical Extended JSON v2.
    pub fn to_extjson(&self) -> String {
        let mut doc = Document::new();
        if !self.options.is_empty() {
            doc.insert("options", self.options.clone());
        }
        doc.insert(
            "indexes",
            Bson::Array(self.indexes.iter().cloned().map(Bson::Document).collect()),
        );
        if let Some(uuid) = self.uuid.as_deref().filter(|u| !u.is_empty()) {
            doc.insert("uuid", uuid);
        }
        doc.insert("collectionName", self.collection_name.as_str());
        doc.insert("type", self.kind.as_str());
        // serde_json keeps object keys in insertion order here (`preserve_order`, which the
        // bson crate requires), so index keys keep their order.
        Bson::Document(doc).into_canonical_extjson().to_string()
    }

    /// Parses metadata JSON (canonical or relaxed Extended JSON); `""` gives empty metadata.
    pub fn from_extjson(json: &str, collection: &str) -> io::Result<Self> {
        let mut meta = CollectionMetadata {
            collection_name: collection.to_string(),
            options: Document::new(),
            indexes: Vec::new(),
            uuid: None,
            kind: CollectionKind::Collection,
        };
        if json.trim().is_empty() {
            return Ok(meta);
        }
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| invalid(format!("metadata of {collection} is not JSON: {e}")))?;
        let doc = match Bson::try_from(value) {
            Ok(Bson::Document(doc)) => doc,
            Ok(_) => {
                return Err(invalid(format!(
                    "metadata of {collection} is not an object"
                )));
            }
            Err(e) => {
                return Err(invalid(format!(
                    "metadata of {collection} is not Extended JSON: {e}"
                )));
            }
        };
        match doc.get("options") {
            None | Some(Bson::Null) => {}
            Some(Bson::Document(options)) => meta.options = options.clone(),
            Some(_) => {
                return Err(invalid(format!(
                    "options of {collection} are not an object"
                )));
            }
        }
        match doc.get("indexes") {
            None | Some(Bson::Null) => {}
            Some(Bson::Array(items)) => {
                for item in items {
                    match item {
                        Bson::Document(index) => meta.indexes.push(index.clone()),
                        _ => {
                            return Err(invalid(format!(
                                "an index of {collection} is not an object"
                            )));
                        }
                    }
                }
            }
            Some(_) => return Err(invalid(format!("indexes of {collection} are not an array"))),
        }
        if let Some(Bson::String(uuid)) = doc.get("uuid") {
            meta.uuid = Some(uuid.clone()).filter(|u| !u.is_empty());
        }
        if let Some(Bson::String(name)) = doc.get("collectionName") {
            meta.collection_name = name.clone();
        }
        if let Some(Bson::String(kind)) = doc.get("type") {
            meta.kind = CollectionKind::parse(kind);
        }
        Ok(meta)
    }
}

/// One prelude entry: which namespace the archive holds and its metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionPrelude {
    /// Database name.
    pub db: String,
    /// Collection name.
    pub collection: String,
    /// Options, indexes, UUID and kind.
    pub metadata: CollectionMetadata,
    /// Uncompressed data size in bytes (an estimate taken before the data was read).
    pub size: i64,
}

impl CollectionPrelude {
    /// Encodes the entry: `db`, `collection`, `metadata` (JSON string), `size`, `type`.
    ///
    /// `size` is a Go `int`: int32 when it fits, int64 otherwise, as the Go driver encodes it.
    pub fn to_raw(&self) -> RawDocumentBuf {
        let mut doc = RawDocumentBuf::new();
        doc.append("db", self.db.as_str());
        doc.append("collection", self.collection.as_str());
        doc.append("metadata", self.metadata.to_extjson());
        match i32::try_from(self.size) {
            Ok(small) => doc.append("size", small),
            Err(_) => doc.append("size", self.size),
        }
        doc.append("type", self.metadata.kind.as_str());
        doc
    }

    /// Decodes an entry; the prelude's `type` wins over the metadata's.
    pub fn from_raw(doc: &RawDocument) -> io::Result<Self> {
        let db = str_field(doc, "db")?.to_string();
        let collection = str_field(doc, "collection")?.to_string();
        if collection.is_empty() {
            return Err(invalid("collection metadata without a collection name"));
        }
        let json = match doc.get("metadata").map_err(bson_err)? {
            None => "",
            Some(RawBsonRef::String(s)) => s,
            Some(other) => {
                return Err(invalid(format!(
                    "metadata of {collection} is {:?}, not a string",
                    other.element_type()
                )));
            }
        };
        let mut metadata = CollectionMetadata::from_extjson(json, &collection)?;
        let kind = str_field(doc, "type")?;
        if !kind.is_empty() {
            metadata.kind = CollectionKind::parse(kind);
        }
        Ok(CollectionPrelude {
            size: int_field(doc, "size")?,
            db,
            collection,
            metadata,
        })
    }

    /// Returns `db.collection`.
    pub fn namespace(&self) -> String {
        format!("{}.{}", self.db, self.collection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::doc;

    fn sample() -> CollectionMetadata {
        CollectionMetadata {
            collection_name: "tools".into(),
            options: doc! {},
            indexes: vec![
                doc! { "v": 2, "key": { "_id": 1 }, "name": "_id_" },
                doc! { "v": 2, "key": { "department": 1, "barcode": 1 },
                "name": "department_1_barcode_1", "unique": true, "sparse": true },
            ],
            uuid: Some("0123456789abcdef0123456789abcdef".into()),
            kind: CollectionKind::Collection,
        }
    }

    #[test]
    fn metadata_json_is_canonical_and_ordered() {
        let json = sample().to_extjson();
        assert!(
            json.starts_with(r#"{"indexes":[{"v":{"$numberInt":"2"},"key":{"_id":{"$numberInt":"1"}},"name":"_id_"},"#),
            "{json}"
        );
        assert!(
            json.contains(
                r#""key":{"department":{"$numberInt":"1"},"barcode":{"$numberInt":"1"}}"#
            )
        );
        assert!(json.ends_with(
            r#""uuid":"0123456789abcdef0123456789abcdef","collectionName":"tools","type":"collection"}"#
        ));
        assert_eq!(
            CollectionMetadata::from_extjson(&json, "x").unwrap(),
            sample()
        );
    }

    #[test]
    fn prelude_round_trips_with_int32_size() {
        let p = CollectionPrelude {
            db: "scandy".into(),
            collection: "tools".into(),
            metadata: sample(),
            size: 1234,
        };
        let raw = p.to_raw();
        assert!(matches!(raw.get("size"), Ok(Some(RawBsonRef::Int32(1234)))));
        assert_eq!(CollectionPrelude::from_raw(&raw).unwrap(), p);
    }
}
