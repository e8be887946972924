//! Index key patterns and names as mongosh text, commands as relaxed extended JSON.

use mongodb::bson::{Bson, Document};

/// Key pattern as text: `{department: 1, barcode: 1}`, `{name: "text"}`.
pub fn keys_string(keys: &Document) -> String {
    let parts: Vec<String> = keys
        .iter()
        .map(|(field, value)| {
            let value = match value {
                Bson::Int32(v) => v.to_string(),
                Bson::Int64(v) => v.to_string(),
                Bson::Double(v) if v.fract() == 0.0 => format!("{}", *v as i64),
                Bson::String(s) => js_string(s),
                other => other.to_string(),
            };
            format!("{}: {value}", js_key(field))
        })
        .collect();
    format!("{{{}}}", parts.join(", "))
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

fn js_key(field: &str) -> String {
    if is_identifier(field) {
        field.to_string()
    } else {
        js_string(field)
    }
}

/// A JavaScript string literal (JSON quoting).
pub(super) fn js_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""))
}

/// `db.name` or `db.getCollection("name")` when the name is no identifier.
pub(super) fn shell_collection(name: &str) -> String {
    if is_identifier(name) && !name.starts_with('$') {
        format!("db.{name}")
    } else {
        format!("db.getCollection({})", js_string(name))
    }
}

/// A command document as relaxed extended JSON.
pub(super) fn to_json(command: &Document) -> serde_json::Value {
    Bson::Document(command.clone()).into_relaxed_extjson()
}
