//! Scandy's own JSON backup format ("v2"), as its exporter writes it.
//!
//! `{"metadata":{"version":"2.0","created_at":...,"collections":[...]},"data":{...}}`;
//! datetimes become `{"__type__":"datetime","value":"<isoformat>"}`, ObjectIds plain
//! 24-hex strings. Decimal128 turns into its decimal string and binary data into
//! base64 text, since Python's JSON encoder has no better answer for them either.

use chrono::{DateTime, NaiveDateTime};
use mongodb::bson::Bson;
use serde_json::{Map, Value, json};

use super::Dataset;

/// Renders a dataset as a Scandy JSON v2 backup created at `created_at`.
pub fn to_scandy_json_v2(data: &Dataset, created_at: NaiveDateTime) -> Value {
    let names: Vec<Value> = data
        .collections
        .iter()
        .map(|(name, _)| Value::String(name.clone()))
        .collect();
    let mut collections = Map::new();
    for (name, docs) in &data.collections {
        let docs: Vec<Value> = docs
            .iter()
            .map(|doc| bson_to_scandy_json(&Bson::Document(doc.clone())))
            .collect();
        collections.insert(name.clone(), Value::Array(docs));
    }
    json!({
        "metadata": {
            "version": "2.0",
            "created_at": python_isoformat(created_at),
            "collections": names,
        },
        "data": collections,
    })
}

/// Converts one BSON value the way Scandy's JSON exporter does.
pub fn bson_to_scandy_json(value: &Bson) -> Value {
    match value {
        Bson::ObjectId(oid) => Value::String(oid.to_hex()),
        Bson::DateTime(dt) => {
            let naive = DateTime::from_timestamp_millis(dt.timestamp_millis())
                .map(|t| t.naive_utc())
                .unwrap_or_default();
            json!({ "__type__": "datetime", "value": python_isoformat(naive) })
        }
        Bson::String(s) => Value::String(s.clone()),
        Bson::Boolean(b) => Value::Bool(*b),
        Bson::Null | Bson::Undefined => Value::Null,
        Bson::Int32(i) => Value::from(*i),
        Bson::Int64(i) => Value::from(*i),
        Bson::Double(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Bson::Decimal128(d) => Value::String(d.to_string()),
        Bson::Binary(b) => Value::String(base64(&b.bytes)),
        Bson::Array(items) => Value::Array(items.iter().map(bson_to_scandy_json).collect()),
        Bson::Document(doc) => Value::Object(
            doc.iter()
                .map(|(k, v)| (k.clone(), bson_to_scandy_json(v)))
                .collect(),
        ),
        other => Value::String(other.to_string()),
    }
}

/// Formats like Python's `datetime.isoformat()` (microseconds only when non-zero).
fn python_isoformat(t: NaiveDateTime) -> String {
    if t.and_utc().timestamp_subsec_micros() == 0 {
        t.format("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
    }
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn isoformat_like_python() {
        let t = NaiveDate::from_ymd_opt(2025, 7, 31)
            .and_then(|d| d.and_hms_milli_opt(21, 35, 27, 958))
            .unwrap();
        assert_eq!(python_isoformat(t), "2025-07-31T21:35:27.958000");
        let t = NaiveDate::from_ymd_opt(2025, 7, 31)
            .and_then(|d| d.and_hms_opt(2, 0, 1))
            .unwrap();
        assert_eq!(python_isoformat(t), "2025-07-31T02:00:01");
    }
}
