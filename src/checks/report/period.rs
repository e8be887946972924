//! The period a report covers: one calendar month or one ISO week, as UTC bounds, and the
//! buckets (ISO weeks of a month, days of a week) its per-bucket numbers are counted in.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc, Weekday};
use color_eyre::eyre::{Result, bail, eyre};
use serde::Serialize;

/// Earliest year a report period may lie in.
const MIN_YEAR: i32 = 1970;
/// Latest year a report period may lie in.
const MAX_YEAR: i32 = 9999;

/// Which report: one ISO week or one calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportKind {
    /// One ISO week (Monday to Sunday).
    Weekly,
    /// One calendar month.
    Monthly,
}

/// The span of time a report covers: `start` inclusive, `end` exclusive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportPeriod {
    /// Weekly or monthly.
    pub kind: ReportKind,
    /// First instant of the period.
    pub start: DateTime<Utc>,
    /// First instant after the period.
    pub end: DateTime<Utc>,
    /// Machine-readable name: `2026-11` or `2026-W47`.
    pub label: String,
}

/// What one bucket of a period is: an ISO week (of a monthly report) or a day (of a weekly one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "unit", content = "value", rename_all = "lowercase")]
pub enum BucketUnit {
    /// ISO week number.
    Week(u32),
    /// Calendar day.
    Day(NaiveDate),
}

/// One slice of a period that per-bucket numbers are counted in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    /// Which week or day.
    pub unit: BucketUnit,
    /// First instant (clipped to the period).
    pub start: DateTime<Utc>,
    /// First instant after it (clipped to the period).
    pub end: DateTime<Utc>,
}

impl ReportPeriod {
    /// The calendar month `month` of `year` (`2026`, `13` is an error naming the value).
    pub fn month(year: i32, month: u32) -> Result<Self> {
        check_year(year)?;
        let first = NaiveDate::from_ymd_opt(year, month, 1)
            .ok_or_else(|| eyre!("{year:04}-{month:02} is not a month (months are 01 to 12)"))?;
        let next = first
            .checked_add_months(chrono::Months::new(1))
            .ok_or_else(|| eyre!("{year:04}-{month:02} is out of range"))?;
        Ok(ReportPeriod {
            kind: ReportKind::Monthly,
            start: midnight(first),
            end: midnight(next),
            label: format!("{year:04}-{month:02}"),
        })
    }

    /// ISO week `week` of ISO year `year` (Monday 00:00 to the next Monday 00:00 UTC).
    pub fn iso_week(year: i32, week: u32) -> Result<Self> {
        check_year(year)?;
        let monday = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(|| {
            eyre!(
                "{year:04}-W{week:02} is not a week (ISO year {year} has weeks 01 to {:02})",
                { weeks_in_iso_year(year) }
            )
        })?;
        Ok(ReportPeriod {
            kind: ReportKind::Weekly,
            start: midnight(monday),
            end: midnight(monday + Duration::days(7)),
            label: format!("{year:04}-W{week:02}"),
        })
    }

    /// The last period of `kind` that ended at or before `now`: the previous month or ISO week.
    pub fn last_complete(kind: ReportKind, now: DateTime<Utc>) -> Self {
        let today = now.date_naive();
        let found = match kind {
            ReportKind::Monthly => {
                let previous = today
                    .with_day(1)
                    .and_then(|first| first.checked_sub_months(chrono::Months::new(1)))
                    .unwrap_or(today);
                ReportPeriod::month(previous.year(), previous.month())
            }
            ReportKind::Weekly => {
                let previous = today - Duration::days(7);
                let week = previous.iso_week();
                ReportPeriod::iso_week(week.year(), week.week())
            }
        };
        // Only out-of-range clocks (before 1970) fail; fall back to the earliest period.
        found.unwrap_or_else(|_| {
            match kind {
                ReportKind::Monthly => ReportPeriod::month(MIN_YEAR, 1),
                ReportKind::Weekly => ReportPeriod::iso_week(MIN_YEAR, 1),
            }
            .expect("the first period of 1970 exists")
        })
    }

    /// Reads `--month`: `2026-11`.
    pub fn parse_month(text: &str) -> Result<Self> {
        let trimmed = text.trim();
        let parsed = trimmed.split_once('-').and_then(|(year, month)| {
            let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
                n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
            };
            (digits(year, 4..=4) && digits(month, 1..=2))
                .then(|| Some((year.parse::<i32>().ok()?, month.parse::<u32>().ok()?)))
                .flatten()
        });
        let Some((year, month)) = parsed else {
            bail!("{trimmed:?} is not a month: write it as YYYY-MM, e.g. 2026-11");
        };
        ReportPeriod::month(year, month)
    }

    /// Reads `--week`: `2026-W47` (also `2026W47`, `2026-w47`).
    pub fn parse_week(text: &str) -> Result<Self> {
        let trimmed = text.trim();
        let parsed = trimmed
            .get(..4)
            .zip(trimmed.get(4..))
            .and_then(|(year, rest)| {
                let rest = rest.strip_prefix('-').unwrap_or(rest);
                let week = rest.strip_prefix(['W', 'w'])?;
                let digits = |s: &str, n: std::ops::RangeInclusive<usize>| {
                    n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
                };
                (digits(year, 4..=4) && digits(week, 1..=2))
                    .then(|| Some((year.parse::<i32>().ok()?, week.parse::<u32>().ok()?)))
                    .flatten()
            });
        let Some((year, week)) = parsed else {
            bail!("{trimmed:?} is not an ISO week: write it as YYYY-Www, e.g. 2026-W47");
        };
        ReportPeriod::iso_week(year, week)
    }

    /// The period's start as a naive time (for Scandy's naive local timestamps in the logs).
    pub fn naive_start(&self) -> NaiveDateTime {
        self.start.naive_utc()
    }

    /// The period's end as a naive time.
    pub fn naive_end(&self) -> NaiveDateTime {
        self.end.naive_utc()
    }

    /// Whether `at` lies in the period.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        at >= self.start && at < self.end
    }

    /// The calendar days of the period, in order.
    pub fn days(&self) -> Vec<NaiveDate> {
        let last = (self.end - Duration::days(1)).date_naive();
        self.start
            .date_naive()
            .iter_days()
            .take_while(|d| *d <= last)
            .collect()
    }

    /// The buckets per-bucket numbers are counted in: the ISO weeks of a month (the first
    /// and last clipped to the month), the seven days of a week.
    pub fn buckets(&self) -> Vec<Bucket> {
        match self.kind {
            ReportKind::Weekly => self
                .days()
                .into_iter()
                .map(|day| Bucket {
                    unit: BucketUnit::Day(day),
                    start: midnight(day),
                    end: midnight(day + Duration::days(1)),
                })
                .collect(),
            ReportKind::Monthly => {
                let mut buckets = Vec::new();
                let mut start = self.start;
                while start < self.end {
                    let day = start.date_naive();
                    let monday =
                        day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
                    let end = midnight(monday + Duration::days(7)).min(self.end);
                    buckets.push(Bucket {
                        unit: BucketUnit::Week(day.iso_week().week()),
                        start,
                        end,
                    });
                    start = end;
                }
                buckets
            }
        }
    }
}

/// 00:00 UTC of `day`.
fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .expect("midnight exists every day")
        .and_utc()
}

/// Refuses years chrono or a report cannot sensibly handle.
fn check_year(year: i32) -> Result<()> {
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        bail!("year {year} is out of range ({MIN_YEAR} to {MAX_YEAR})");
    }
    Ok(())
}

/// How many ISO weeks `year` has (52 or 53).
fn weeks_in_iso_year(year: i32) -> u32 {
    NaiveDate::from_ymd_opt(year, 12, 28).map_or(52, |d| d.iso_week().week())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn months_and_weeks_have_exact_bounds() {
        let nov = ReportPeriod::parse_month("2026-11").unwrap();
        assert_eq!(nov.start, at("2026-11-01T00:00:00Z"));
        assert_eq!(nov.end, at("2026-12-01T00:00:00Z"));
        assert_eq!(nov.label, "2026-11");
        let dec = ReportPeriod::month(2026, 12).unwrap();
        assert_eq!(dec.end, at("2027-01-01T00:00:00Z"));
        let week = ReportPeriod::parse_week("2026-W47").unwrap();
        assert_eq!(week.start, at("2026-11-16T00:00:00Z"));
        assert_eq!(week.end, at("2026-11-23T00:00:00Z"));
        assert_eq!(week.label, "2026-W47");
        assert_eq!(ReportPeriod::parse_week("2026w47").unwrap(), week);
        // ISO week 1 of 2027 starts in 2026.
        let first = ReportPeriod::iso_week(2027, 1).unwrap();
        assert_eq!(first.start, at("2027-01-04T00:00:00Z"));
        assert_eq!(ReportPeriod::iso_week(2026, 53).unwrap().label, "2026-W53");
    }

    #[test]
    fn bad_values_are_named() {
        for bad in ["2026-13", "2026-00", "2026-1x", "26-11", "november"] {
            let err = ReportPeriod::parse_month(bad).unwrap_err().to_string();
            assert!(err.contains(bad.split('-').next().unwrap()), "{bad}: {err}");
        }
        let err = ReportPeriod::parse_week("2025-W53")
            .unwrap_err()
            .to_string();
        assert!(err.contains("2025-W53") && err.contains("52"), "{err}");
        assert!(ReportPeriod::parse_week("2026-47").is_err());
        assert!(ReportPeriod::parse_week("2026-W00").is_err());
    }

    #[test]
    fn last_complete_is_the_previous_period() {
        let now = at("2026-12-04T04:08:48Z");
        let month = ReportPeriod::last_complete(ReportKind::Monthly, now);
        assert_eq!(month.label, "2026-11");
        let week = ReportPeriod::last_complete(ReportKind::Weekly, now);
        assert_eq!(week.label, "2026-W48");
        assert!(week.end <= now);
        let jan = ReportPeriod::last_complete(ReportKind::Monthly, at("2027-01-01T00:00:00Z"));
        assert_eq!(jan.label, "2026-12");
        let monday = ReportPeriod::last_complete(ReportKind::Weekly, at("2026-11-23T00:00:00Z"));
        assert_eq!(monday.label, "2026-W47");
    }

    #[test]
    fn buckets_cover_the_period_without_gaps() {
        let nov = ReportPeriod::month(2026, 11).unwrap();
        let buckets = nov.buckets();
        let weeks: Vec<_> = buckets.iter().map(|b| b.unit).collect();
        assert_eq!(
            weeks,
            [44, 45, 46, 47, 48, 49].map(BucketUnit::Week).to_vec(),
            "1 Nov 2026 is a Sunday (week 44), 30 Nov a Monday (week 49)"
        );
        assert_eq!(buckets[0].start, nov.start);
        assert_eq!(buckets[0].end, at("2026-11-02T00:00:00Z"));
        assert_eq!(buckets.last().unwrap().end, nov.end);
        for pair in buckets.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        assert_eq!(nov.days().len(), 30);
        let week = ReportPeriod::iso_week(2026, 47).unwrap();
        assert_eq!(week.buckets().len(), 7);
        assert_eq!(
            week.days()[6],
            NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
        );
    }
}
