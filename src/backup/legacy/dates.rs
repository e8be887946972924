//! The date strings Scandy's JSON exports hold, read back as dates.

use chrono::{DateTime, NaiveDateTime, Utc};

/// Parses the date strings Scandy's exports hold: Python `str()` and `isoformat()` (naive
/// ones are UTC, as pymongo returns them), ISO with `Z` or an offset, `%d.%m.%Y %H:%M:%S`.
pub fn parse_date_string(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    if !(10..=40).contains(&bytes.len()) || !bytes[0].is_ascii_digit() {
        return None;
    }
    if bytes.len() >= 19 && bytes[4] == b'-' {
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Some(at.with_timezone(&Utc));
        }
        for format in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f%:z"] {
            if let Ok(at) = DateTime::parse_from_str(text, format) {
                return Some(at.with_timezone(&Utc));
            }
        }
        let naive = text.strip_suffix('Z').unwrap_or(text);
        for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
            if let Ok(at) = NaiveDateTime::parse_from_str(naive, format) {
                return Some(at.and_utc());
            }
        }
        return None;
    }
    if bytes.len() >= 19 && bytes[2] == b'.' {
        return NaiveDateTime::parse_from_str(text, "%d.%m.%Y %H:%M:%S")
            .ok()
            .map(|at| at.and_utc());
    }
    None
}
