//! Rate limits in Flask-Limiter's notation (`"200 per day; 50 per hour"`, `"10/minute"`,
//! `"20 per 30 seconds"`), the way Scandy configures them.

use std::time::Duration;

/// One limit: at most `count` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed in one window.
    pub count: u32,
    /// The window's length.
    pub window: Duration,
}

impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.window.as_secs();
        let units = [
            (86_400 * 365, "year"),
            (86_400 * 30, "month"),
            (86_400, "day"),
            (3_600, "hour"),
            (60, "minute"),
            (1, "second"),
        ];
        let (size, unit) = units
            .iter()
            .find(|(size, _)| secs >= *size && secs.is_multiple_of(*size))
            .copied()
            .unwrap_or((1, "second"));
        match secs / size {
            1 => write!(f, "{} per {unit}", self.count),
            n => write!(f, "{} per {n} {unit}s", self.count),
        }
    }
}

/// Scandy's default limits (Flask-Limiter `default_limits`).
pub const SCANDY_DEFAULT_LIMITS: &str = "200 per day; 50 per hour";

/// Parses a list of limits separated by `;` or `,`; `""` or `none` is no limit at all.
pub fn parse_rate_limits(text: &str) -> Result<Vec<RateLimit>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    trimmed
        .split([';', ','])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(parse_one)
        .collect()
}

fn parse_one(part: &str) -> Result<RateLimit, String> {
    let shown = crate::sanitize::escape_controls(part);
    let bad = |why: &str| {
        format!(
            "\"{shown}\" is not a rate limit ({why}); write it like \"50 per hour\" or \"200/day\""
        )
    };
    let (count, rest) = match part.split_once('/') {
        Some((count, rest)) => (count.trim(), rest.trim()),
        None => {
            let mut words = part.splitn(2, char::is_whitespace);
            let count = words.next().unwrap_or_default();
            let rest = words.next().unwrap_or_default().trim();
            let rest = rest
                .strip_prefix("per")
                .map(str::trim_start)
                .ok_or_else(|| bad("expected \"per\" after the count"))?;
            (count, rest)
        }
    };
    let count: u32 = count
        .parse()
        .ok()
        .filter(|c| *c > 0)
        .ok_or_else(|| bad("the count must be a whole number above 0"))?;
    let mut words = rest.split_whitespace();
    let first = words.next().ok_or_else(|| bad("no time unit"))?;
    let (multiple, unit) = match first.parse::<u64>() {
        Ok(n) => (n, words.next().ok_or_else(|| bad("no time unit"))?),
        Err(_) => (1, first),
    };
    if words.next().is_some() {
        return Err(bad("unexpected words after the unit"));
    }
    let unit_secs = match unit.trim_end_matches('s').to_ascii_lowercase().as_str() {
        "second" => 1,
        "minute" => 60,
        "hour" => 3_600,
        "day" => 86_400,
        "month" => 86_400 * 30,
        "year" => 86_400 * 365,
        _ => {
            return Err(bad(
                "the unit must be second, minute, hour, day, month or year",
            ));
        }
    };
    if multiple == 0 {
        return Err(bad("the window must be longer than 0"));
    }
    Ok(RateLimit {
        count,
        window: Duration::from_secs(unit_secs * multiple),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flask_limiter_notation() {
        let limits = parse_rate_limits(SCANDY_DEFAULT_LIMITS).unwrap();
        assert_eq!(
            limits,
            vec![
                RateLimit {
                    count: 200,
                    window: Duration::from_secs(86_400)
                },
                RateLimit {
                    count: 50,
                    window: Duration::from_secs(3_600)
                }
            ]
        );
        let limits = parse_rate_limits("10/minute, 20 per 30 seconds").unwrap();
        assert_eq!(limits[0].window, Duration::from_secs(60));
        assert_eq!(limits[1].count, 20);
        assert_eq!(limits[1].window, Duration::from_secs(30));
        assert_eq!(limits[1].to_string(), "20 per 30 seconds");
        assert_eq!(limits[0].to_string(), "10 per minute");
        assert!(parse_rate_limits("none").unwrap().is_empty());
        assert!(parse_rate_limits(" ").unwrap().is_empty());
    }

    #[test]
    fn rejects_bad_limits_with_the_text() {
        let err = parse_rate_limits("50 per fortnight").unwrap_err();
        assert!(err.contains("\"50 per fortnight\""), "{err}");
        assert!(parse_rate_limits("0 per hour").is_err());
        assert!(parse_rate_limits("many per hour").is_err());
        assert!(parse_rate_limits("50 hour").is_err());
        let err = parse_rate_limits("5 per \u{1b}[2Jday").unwrap_err();
        assert!(!err.contains('\u{1b}'), "{err}");
    }
}
