//! mongosh literals of BSON values and the `updateMany` statements the fixes show.

use chrono::DateTime;
use mongodb::bson::{Bson, Document};

/// Renders a BSON value as a mongosh literal.
pub fn mongosh_value(value: &Bson) -> String {
    match value {
        Bson::Document(d) => mongosh_doc(d),
        Bson::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(mongosh_value)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Bson::String(s) => serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}")),
        Bson::ObjectId(oid) => format!("ObjectId(\"{}\")", oid.to_hex()),
        Bson::DateTime(d) => match DateTime::from_timestamp_millis(d.timestamp_millis()) {
            Some(t) => format!("ISODate(\"{}\")", t.format("%Y-%m-%dT%H:%M:%S%.3fZ")),
            None => format!("new Date({})", d.timestamp_millis()),
        },
        Bson::Null => "null".into(),
        Bson::Boolean(b) => b.to_string(),
        Bson::Int32(n) => n.to_string(),
        Bson::Int64(n) => n.to_string(),
        Bson::Double(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Renders a document as a mongosh object literal.
pub fn mongosh_doc(d: &Document) -> String {
    if d.is_empty() {
        return "{}".into();
    }
    let fields: Vec<String> = d
        .iter()
        .map(|(k, v)| {
            let plain = k
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
            let key = if plain {
                k.clone()
            } else {
                serde_json::to_string(k).unwrap_or_else(|_| format!("{k:?}"))
            };
            format!("{key}: {}", mongosh_value(v))
        })
        .collect();
    format!("{{ {} }}", fields.join(", "))
}

/// `db.<collection>.updateMany(<filter>, <pipeline>);` as mongosh reads it.
pub(super) fn update_many_statement(
    collection: &str,
    filter: &Document,
    pipeline: &[Document],
) -> String {
    format!(
        "db.{collection}.updateMany({}, {});",
        mongosh_doc(filter),
        mongosh_pipeline(pipeline)
    )
}

pub(super) fn mongosh_pipeline(pipeline: &[Document]) -> String {
    mongosh_value(&Bson::Array(
        pipeline.iter().cloned().map(Bson::Document).collect(),
    ))
}
