//! Structured fields of Scandy's event lines: `SECURITY_EVENT: {'event_type': …}` in
//! security.log (a Python dict repr, or JSON) and `USER_ACTION: login - User: admin -
//! Details: {…}` in user_actions.log.

use std::fmt;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::python_repr::{parse_python_value, parse_whole};

/// What starts a security event's message.
pub const SECURITY_EVENT: &str = "SECURITY_EVENT:";
/// What starts a user action's message.
pub const USER_ACTION: &str = "USER_ACTION:";

/// One value of a structured field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// A string (escapes decoded).
    Text(String),
    /// A number as written (`42`, `-1.5`, `1e-05`, `inf`).
    Number(String),
    /// `True` / `False` (`true` / `false` in JSON).
    Bool(bool),
    /// `None` (`null` in JSON).
    Null,
    /// A list, tuple or set.
    List(Vec<FieldValue>),
    /// A nested dict, keys in written order.
    Map(Vec<(String, FieldValue)>),
    /// Anything else, as Python wrote it (`datetime.datetime(2025, 7, 31, 21, 35)`).
    Raw(String),
}

impl FieldValue {
    /// Writes the value inside a list or dict: strings quoted like Python does.
    fn fmt_nested(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Text(text) => write!(f, "'{text}'"),
            other => fmt::Display::fmt(other, f),
        }
    }
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Text(text) | FieldValue::Number(text) | FieldValue::Raw(text) => {
                f.write_str(text)
            }
            FieldValue::Bool(true) => f.write_str("True"),
            FieldValue::Bool(false) => f.write_str("False"),
            FieldValue::Null => f.write_str("None"),
            FieldValue::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    item.fmt_nested(f)?;
                }
                f.write_str("]")
            }
            FieldValue::Map(pairs) => {
                f.write_str("{")?;
                for (i, (key, value)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key}: ")?;
                    value.fmt_nested(f)?;
                }
                f.write_str("}")
            }
        }
    }
}

impl Serialize for FieldValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldValue::Text(text) | FieldValue::Raw(text) => serializer.serialize_str(text),
            FieldValue::Number(text) => serialize_number(text, serializer),
            FieldValue::Bool(b) => serializer.serialize_bool(*b),
            FieldValue::Null => serializer.serialize_none(),
            FieldValue::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            FieldValue::Map(pairs) => serialize_pairs(pairs, serializer),
        }
    }
}

/// A number as a JSON number when it is one (`inf`, `nan`, `1_000` stay strings).
fn serialize_number<S: Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
    if let Ok(n) = text.parse::<i64>() {
        return serializer.serialize_i64(n);
    }
    if let Ok(n) = text.parse::<u64>() {
        return serializer.serialize_u64(n);
    }
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && !text.contains(['i', 'I', 'n', 'N']) => {
            serializer.serialize_f64(x)
        }
        _ => serializer.serialize_str(text),
    }
}

/// Key-value pairs as a map, in their order.
fn serialize_pairs<S: Serializer>(
    pairs: &[(String, FieldValue)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(pairs.len()))?;
    for (key, value) in pairs {
        map.serialize_entry(key, value)?;
    }
    map.end()
}

/// The structured fields of an entry, in written order (empty for most entries).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fields(pub Vec<(String, FieldValue)>);

impl Fields {
    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&FieldValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The fields in written order.
    pub fn iter(&self) -> impl Iterator<Item = &(String, FieldValue)> {
        self.0.iter()
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_pairs(&self.0, serializer)
    }
}

/// The fields of a message: a security event's dict, or a user action's action, user and
/// details; empty for any other message or when the dict cannot be read.
pub fn message_fields(message: &str) -> Fields {
    if let Some(rest) = message.strip_prefix(SECURITY_EVENT) {
        return match parse_python_value(rest.trim_start()) {
            Some(FieldValue::Map(pairs)) => Fields(pairs),
            _ => Fields::default(),
        };
    }
    if let Some(rest) = message.strip_prefix(USER_ACTION) {
        return user_action_fields(rest.trim_start());
    }
    Fields::default()
}

/// `login - User: admin - Details: {...}` → action, user, details.
fn user_action_fields(rest: &str) -> Fields {
    let (action, after) = match rest.split_once(" - User: ") {
        Some((action, after)) => (action, Some(after)),
        None => (rest, None),
    };
    let mut fields = Vec::new();
    if !action.trim().is_empty() {
        fields.push(("action".to_string(), text(action.trim())));
    }
    let Some(after) = after else {
        return Fields(fields);
    };
    let (user, details) = match after.split_once(" - Details: ") {
        Some((user, details)) => (user, Some(details)),
        None => (after, None),
    };
    fields.push(("user".to_string(), text(user.trim())));
    if let Some(details) = details {
        let value = parse_whole(details.trim())
            .unwrap_or_else(|| FieldValue::Text(details.trim().to_string()));
        fields.push(("details".to_string(), value));
    }
    Fields(fields)
}

fn text(value: &str) -> FieldValue {
    FieldValue::Text(value.to_string())
}

/// What the error summary groups a Scandy event by: `SECURITY_EVENT: login_failed` for a
/// security event with an `event_type`, `USER_ACTION: login` for a user action.
pub fn event_label(message: &str, fields: &Fields) -> Option<String> {
    let (prefix, key) = if message.starts_with(SECURITY_EVENT) {
        (SECURITY_EVENT, "event_type")
    } else if message.starts_with(USER_ACTION) {
        (USER_ACTION, "action")
    } else {
        return None;
    };
    fields.get(key).map(|value| format!("{prefix} {value}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> FieldValue {
        FieldValue::Text(s.into())
    }

    fn pair(k: &str, v: FieldValue) -> (String, FieldValue) {
        (k.to_string(), v)
    }

    #[test]
    fn security_event_dict() {
        let fields = message_fields(
            "SECURITY_EVENT: {'event_type': 'login_failed', 'user': 'admin', 'ip': '127.0.0.1'}",
        );
        assert_eq!(
            fields.0,
            [
                pair("event_type", t("login_failed")),
                pair("user", t("admin")),
                pair("ip", t("127.0.0.1")),
            ]
        );
        assert_eq!(
            event_label("SECURITY_EVENT: {…}", &fields).as_deref(),
            Some("SECURITY_EVENT: login_failed")
        );
    }

    #[test]
    fn broken_input_gives_no_fields() {
        for text in [
            "SECURITY_EVENT: {'event_type': 'login_failed', 'user': 'adm",
            "SECURITY_EVENT: {'event_type' 'x'}",
            "SECURITY_EVENT: ['not', 'a', 'dict']",
            "SECURITY_EVENT: login_failed for admin",
            "Request: GET /",
            "SECURITY_EVENT: {'a': \\",
        ] {
            assert!(message_fields(text).is_empty(), "{text}");
        }
        let deep = format!(
            "SECURITY_EVENT: {}{}",
            "{'a': ".repeat(100),
            "}".repeat(100)
        );
        assert!(message_fields(&deep).is_empty());
    }

    #[test]
    fn user_action_fields() {
        let fields = message_fields(
            "USER_ACTION: login - User: admin - Details: {'ip': '10.0.0.7', 'success': True}",
        );
        assert_eq!(
            fields.0,
            [
                pair("action", t("login")),
                pair("user", t("admin")),
                pair(
                    "details",
                    FieldValue::Map(vec![
                        pair("ip", t("10.0.0.7")),
                        pair("success", FieldValue::Bool(true))
                    ])
                ),
            ]
        );
        assert_eq!(
            event_label("USER_ACTION: login", &fields).as_deref(),
            Some("USER_ACTION: login")
        );
        let plain = message_fields("USER_ACTION: logout - User: max - Details: kaputt {");
        assert_eq!(plain.get("details"), Some(&t("kaputt {")));
        assert_eq!(
            message_fields("USER_ACTION: export").0,
            [pair("action", t("export"))]
        );
    }

    #[test]
    fn fields_serialize_as_an_ordered_object() {
        let fields = message_fields(
            "SECURITY_EVENT: {'event_type': 'x', 'n': 3, 'f': 0.5, 'big': inf, 'none': None, 'l': [True]}",
        );
        assert_eq!(
            serde_json::to_string(&fields).unwrap(),
            r#"{"event_type":"x","n":3,"f":0.5,"big":"inf","none":null,"l":[true]}"#
        );
    }
}
