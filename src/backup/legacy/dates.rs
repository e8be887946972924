//! The date strings Scandy's JSON exports hold, read back as dates.
//!
//! Parsed by hand: a JSON backup holds one or more dates per document, and chrono's
//! format-string parser (which re-reads its format for every call) took a tenth of a deep
//! verify's time.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

/// Parses the date strings Scandy's exports hold: Python `str()` and `isoformat()` (naive
/// ones are UTC, as pymongo returns them), ISO with `Z` or an offset, `%d.%m.%Y %H:%M:%S`.
pub fn parse_date_string(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    if !(19..=40).contains(&b.len()) || !b[0].is_ascii_digit() {
        return None;
    }
    if b[4] == b'-' && b[7] == b'-' && matches!(b[10], b' ' | b'T') {
        let date = NaiveDate::from_ymd_opt(num(b, 0, 4)? as i32, num(b, 5, 2)?, num(b, 8, 2)?)?;
        let (naive, rest) = time_of(date, &b[11..])?;
        let offset = match rest {
            [] | [b'Z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let minutes = num(&[*h1, *h2], 0, 2)? * 60 + num(&[*m1, *m2], 0, 2)?;
                if minutes >= 24 * 60 {
                    return None;
                }
                if *sign == b'+' {
                    i64::from(minutes)
                } else {
                    -i64::from(minutes)
                }
            }
            _ => return None,
        };
        return Some((naive - Duration::minutes(offset)).and_utc());
    }
    if b.len() == 19 && b[2] == b'.' && b[5] == b'.' && b[10] == b' ' {
        let date = NaiveDate::from_ymd_opt(num(b, 6, 4)? as i32, num(b, 3, 2)?, num(b, 0, 2)?)?;
        let (naive, rest) = time_of(date, &b[11..])?;
        return rest.is_empty().then(|| naive.and_utc());
    }
    None
}

/// `HH:MM:SS[.f…]` at the start of `b` on `date`, and what follows it.
fn time_of(date: NaiveDate, b: &[u8]) -> Option<(NaiveDateTime, &[u8])> {
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let mut nanos = 0u32;
    let mut rest = &b[8..];
    if let [b'.', tail @ ..] = rest {
        let digits = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        nanos = num(tail, 0, digits)? * 10u32.pow((9 - digits) as u32);
        rest = &tail[digits..];
    }
    let time = date.and_hms_nano_opt(num(b, 0, 2)?, num(b, 3, 2)?, num(b, 6, 2)?, nanos)?;
    Some((time, rest))
}

/// The decimal number in `b[at..at + len]` (digits only).
fn num(b: &[u8], at: usize, len: usize) -> Option<u32> {
    b.get(at..at + len)?.iter().try_fold(0u32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
    }

    #[test]
    fn every_shape_scandy_writes() {
        for (text, expected) in [
            ("2026-12-02 05:10:06.526000", "2026-12-02T05:10:06.526Z"),
            ("2026-12-02 05:10:06", "2026-12-02T05:10:06Z"),
            ("2026-12-02T05:10:06.5", "2026-12-02T05:10:06.5Z"),
            ("2026-12-02T05:10:06Z", "2026-12-02T05:10:06Z"),
            (
                "2026-12-02T05:10:06.123456789Z",
                "2026-12-02T05:10:06.123456789Z",
            ),
            ("2026-12-02T05:10:06+01:00", "2026-12-02T04:10:06Z"),
            (
                "2026-12-02 23:10:06.250000-02:30",
                "2026-12-03T01:40:06.25Z",
            ),
            ("02.12.2026 05:10:06", "2026-12-02T05:10:06Z"),
        ] {
            assert_eq!(parse_date_string(text), Some(at(expected)), "{text}");
        }
    }

    #[test]
    fn anything_else_stays_a_string() {
        for text in [
            "",
            "2026-12-02",
            "Werkstatt 2026-12-02 05:10",
            "2026-13-02 05:10:06",
            "2026-02-30 05:10:06",
            "2026-12-02 25:10:06",
            "2026-12-02 05:10:06.",
            "2026-12-02 05:10:06 Uhr",
            "2026-12-02 05:10:06+1",
            "2026-12-02 05:10:06+24:00",
            "02.12.2026 05:10:06.5",
            "2026-12-02 05:1a:06",
            "٢٠٢٦-12-02 05:10:06",
        ] {
            assert_eq!(parse_date_string(text), None, "{text:?}");
        }
    }
}
