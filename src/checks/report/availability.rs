//! The report's availability section: `/health` and MongoDB up-time, response times and
//! resource use over the period, from the history `scandyctl watch` keeps
//! ([`crate::system::sample_log`]).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::period::ReportPeriod;
use crate::system::sample_log::{HistoryPoint, POINT_INTERVAL, read_points};

/// Up-time of one service over the points that asked it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UpTime {
    /// Points that asked the service.
    pub checked: u64,
    /// Of those, points where it did not answer healthy.
    pub down: u64,
    /// `100 × (checked − down) / checked`.
    pub percent: f64,
}

/// The points of one day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DayAvailability {
    /// The day (UTC).
    pub day: NaiveDate,
    /// Points recorded that day.
    pub points: u64,
    /// `/health` up-time of the day, when asked.
    pub health: Option<UpTime>,
    /// MongoDB up-time of the day, when asked.
    pub mongo: Option<UpTime>,
}

/// Average and peak of a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Load {
    /// Mean over the points.
    pub average: f64,
    /// Highest value.
    pub peak: f64,
}

/// Everything the availability section shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AvailabilityStats {
    /// History points in the period (0: `watch` did not run).
    pub points: u64,
    /// The oldest point in the period.
    pub first: Option<DateTime<Utc>>,
    /// The newest point in the period.
    pub last: Option<DateTime<Utc>>,
    /// Share of the period the points cover (one point stands for [`POINT_INTERVAL`]).
    pub coverage_percent: f64,
    /// `/health` up-time (points with `health_ok == false` count as down).
    pub health: Option<UpTime>,
    /// MongoDB up-time.
    pub mongo: Option<UpTime>,
    /// Median `/health` response time in milliseconds (nearest rank).
    pub health_ms_median: Option<u64>,
    /// 95th percentile of the `/health` response time (nearest rank).
    pub health_ms_p95: Option<u64>,
    /// CPU use of the machine.
    pub cpu: Option<Load>,
    /// Memory in use.
    pub memory: Option<Load>,
    /// Every day of the period, in order.
    pub per_day: Vec<DayAvailability>,
}

/// Reads the history of `state_dir` for `period`.
pub fn gather_availability(state_dir: &Path, period: &ReportPeriod) -> AvailabilityStats {
    let points = read_points(state_dir, period.start, period.end);
    availability_of(&points, period)
}

/// The availability numbers of `points` (all inside `period`).
pub fn availability_of(points: &[HistoryPoint], period: &ReportPeriod) -> AvailabilityStats {
    let mut by_day: BTreeMap<NaiveDate, Vec<&HistoryPoint>> =
        period.days().into_iter().map(|d| (d, Vec::new())).collect();
    for point in points {
        if let Some(day) = by_day.get_mut(&point.at.date_naive()) {
            day.push(point);
        }
    }
    let per_day = by_day
        .into_iter()
        .map(|(day, points)| DayAvailability {
            day,
            points: points.len() as u64,
            health: up_time(points.iter().map(|p| p.health_ok)),
            mongo: up_time(points.iter().map(|p| p.mongo_ok)),
        })
        .collect();
    let period_secs = (period.end - period.start).num_seconds().max(1) as f64;
    let covered = points.len() as f64 * POINT_INTERVAL.as_secs_f64();
    let mut health_ms: Vec<u64> = points.iter().filter_map(|p| p.health_ms).collect();
    health_ms.sort_unstable();
    AvailabilityStats {
        points: points.len() as u64,
        first: points.first().map(|p| p.at),
        last: points.last().map(|p| p.at),
        coverage_percent: (covered * 100.0 / period_secs).min(100.0),
        health: up_time(points.iter().map(|p| p.health_ok)),
        mongo: up_time(points.iter().map(|p| p.mongo_ok)),
        health_ms_median: nearest_rank(&health_ms, 50.0),
        health_ms_p95: nearest_rank(&health_ms, 95.0),
        cpu: load(points.iter().map(|p| f64::from(p.cpu_percent))),
        memory: load(points.iter().map(|p| f64::from(p.memory_used_percent))),
        per_day,
    }
}

/// Up-time over the answers that were asked (`None` entries were not).
fn up_time(answers: impl Iterator<Item = Option<bool>>) -> Option<UpTime> {
    let (mut checked, mut down) = (0u64, 0u64);
    for ok in answers.flatten() {
        checked += 1;
        if !ok {
            down += 1;
        }
    }
    (checked > 0).then(|| UpTime {
        checked,
        down,
        percent: (checked - down) as f64 * 100.0 / checked as f64,
    })
}

/// The nearest-rank percentile `p` of the sorted `values`: the smallest value with at
/// least `p` percent of the values at or below it.
fn nearest_rank(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// Average and peak of `values` (`None` when empty).
fn load(values: impl Iterator<Item = f64>) -> Option<Load> {
    let (mut sum, mut peak, mut n) = (0.0, f64::MIN, 0u64);
    for v in values {
        sum += v;
        peak = peak.max(v);
        n += 1;
    }
    (n > 0).then(|| Load {
        average: sum / n as f64,
        peak,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(at: &str, health: Option<bool>, ms: Option<u64>, cpu: f32) -> HistoryPoint {
        HistoryPoint {
            at: at.parse().unwrap(),
            cpu_percent: cpu,
            memory_used_percent: 50.0,
            load1: None,
            health_ok: health,
            health_ms: ms,
            mongo_ok: Some(true),
            mongo_ms: Some(1),
            db_data_bytes: None,
            disk_used_percent: None,
        }
    }

    #[test]
    fn up_time_percentiles_and_load() {
        let period = ReportPeriod::iso_week(2026, 47).unwrap();
        let points = [
            point("2026-11-16T00:00:00Z", Some(true), Some(10), 10.0),
            point("2026-11-16T00:05:00Z", Some(false), None, 30.0),
            point("2026-11-16T00:10:00Z", None, None, 20.0),
            point("2026-11-17T00:00:00Z", Some(true), Some(30), 40.0),
            point("2026-11-17T00:05:00Z", Some(true), Some(20), 0.0),
        ];
        let stats = availability_of(&points, &period);
        assert_eq!(stats.points, 5);
        let health = stats.health.unwrap();
        assert_eq!((health.checked, health.down), (4, 1));
        assert_eq!(health.percent, 75.0);
        assert_eq!(stats.mongo.unwrap().percent, 100.0);
        assert_eq!(stats.health_ms_median, Some(20));
        assert_eq!(stats.health_ms_p95, Some(30));
        let cpu = stats.cpu.unwrap();
        assert_eq!((cpu.average, cpu.peak), (20.0, 40.0));
        assert_eq!(stats.per_day.len(), 7);
        assert_eq!(stats.per_day[0].health.unwrap().down, 1);
        assert_eq!(stats.per_day[1].health.unwrap().down, 0);
        assert!(stats.per_day[2].health.is_none());
        let five_points = 5.0 * 300.0 * 100.0 / (7.0 * 86_400.0);
        assert!((stats.coverage_percent - five_points).abs() < 1e-9);
    }

    #[test]
    fn no_points_no_numbers() {
        let period = ReportPeriod::month(2026, 11).unwrap();
        let stats = availability_of(&[], &period);
        assert_eq!(stats.points, 0);
        assert!(stats.health.is_none() && stats.cpu.is_none());
        assert_eq!(stats.health_ms_median, None);
        assert_eq!(nearest_rank(&[7], 95.0), Some(7));
    }
}
