//! The time zone cron expressions are read in: `schedule.timezone` or the host's zone, with
//! the DST rules cron follows (a time skipped by spring-forward runs at the end of the gap,
//! a time repeated by fall-back runs at its first occurrence).

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Timelike as _, Utc};

/// A time zone for schedule maths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// An IANA zone from the tz database.
    Named(chrono_tz::Tz),
    /// The host's zone as the C library sees it (no IANA name found).
    HostLocal,
}

impl Zone {
    /// `schedule.timezone` when set, else the host's zone (its IANA name when known).
    pub fn from_config(configured: Option<chrono_tz::Tz>) -> Zone {
        configured
            .or_else(host_zone_name)
            .map(Zone::Named)
            .unwrap_or(Zone::HostLocal)
    }

    /// The zone's name (`Europe/Berlin`, or `local` when the host's zone has no known name).
    pub fn name(&self) -> String {
        match self {
            Zone::Named(tz) => tz.name().to_string(),
            Zone::HostLocal => "local".into(),
        }
    }

    /// The wall-clock time of an instant.
    pub fn to_local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        match self {
            Zone::Named(tz) => at.with_timezone(tz).naive_local(),
            Zone::HostLocal => at.with_timezone(&chrono::Local).naive_local(),
        }
    }

    /// The UTC offset at an instant, as `+01:00`.
    pub fn offset_at(&self, at: DateTime<Utc>) -> String {
        match self {
            Zone::Named(tz) => at.with_timezone(tz).format("%:z").to_string(),
            Zone::HostLocal => at.with_timezone(&chrono::Local).format("%:z").to_string(),
        }
    }

    fn resolve(&self, local: &NaiveDateTime) -> LocalResult<DateTime<Utc>> {
        match self {
            Zone::Named(tz) => tz.from_local_datetime(local).map(|t| t.with_timezone(&Utc)),
            Zone::HostLocal => chrono::Local
                .from_local_datetime(local)
                .map(|t| t.with_timezone(&Utc)),
        }
    }

    /// The instant a wall-clock slot runs at: a time that occurs twice (fall-back) runs at its
    /// first occurrence; a time that does not exist (spring-forward) runs when the gap ends.
    pub fn slot_instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        let mut probe = local;
        // Gaps are at most a few hours; step minute by minute to their end.
        for _ in 0..(26 * 60) {
            match self.resolve(&probe) {
                LocalResult::Single(t) => return t,
                LocalResult::Ambiguous(earliest, _) => return earliest,
                LocalResult::None => {
                    probe = (probe + chrono::Duration::minutes(1))
                        .with_second(0)
                        .unwrap_or(probe);
                }
            }
        }
        Utc.from_utc_datetime(&local)
    }
}

/// The host's IANA zone: `$TZ`, `/etc/timezone`, or the target of `/etc/localtime`.
fn host_zone_name() -> Option<chrono_tz::Tz> {
    if let Ok(tz) = std::env::var("TZ") {
        let name = tz.trim_start_matches(':');
        if let Ok(zone) = name.parse() {
            return Some(zone);
        }
        if let Some(zone) = name.split("zoneinfo/").nth(1).and_then(|n| n.parse().ok()) {
            return Some(zone);
        }
    }
    if let Ok(text) = std::fs::read_to_string("/etc/timezone")
        && let Ok(zone) = text.trim().parse()
    {
        return Some(zone);
    }
    let target = std::fs::read_link("/etc/localtime").ok()?;
    let target = target.to_string_lossy();
    target.split("zoneinfo/").nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> Zone {
        Zone::Named(chrono_tz::Europe::Berlin)
    }

    fn naive(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn skipped_time_runs_at_the_end_of_the_gap() {
        // 2026-03-29: Berlin jumps from 02:00 CET to 03:00 CEST.
        let at = berlin().slot_instant(naive("2026-03-29 02:30"));
        assert_eq!(at.to_rfc3339(), "2026-03-29T01:00:00+00:00");
    }

    #[test]
    fn repeated_time_runs_at_its_first_occurrence() {
        // 2026-10-25: Berlin goes back from 03:00 CEST to 02:00 CET.
        let at = berlin().slot_instant(naive("2026-10-25 02:30"));
        assert_eq!(at.to_rfc3339(), "2026-10-25T00:30:00+00:00");
        assert_eq!(berlin().offset_at(at), "+02:00");
    }
}
