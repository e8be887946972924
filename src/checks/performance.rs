//! The monthly performance analysis: `/health` up-time and response times, CPU and
//! memory use, MongoDB's latency, up-time and growth — over the last 30 days of the
//! history `scandyctl watch` keeps — and the operations running slowly now.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use mongodb::bson::doc;

use super::model::{ItemResult, PerfDatum, Severity};
use super::run::{CheckContext, ItemRun};
use super::support::{
    CALL_TIMEOUT, bounded, bytes_text, capped, connect, percent_of, percent_text, scandy_db,
    unknown,
};
use crate::mongo::maintenance::{Operation, current_operations};
use crate::mongo::stats::{Availability, UnavailableReason};
use crate::system::sample_log::{HistoryPoint, read_points};

/// How far back the history is read, in days.
pub const HISTORY_DAYS: i64 = 30;
/// Up-time below this percentage is a warning.
pub const UPTIME_WARN_PERCENT: f64 = 99.0;
/// Up-time below this percentage is a failure.
pub const UPTIME_FAIL_PERCENT: f64 = 95.0;
/// Average CPU use at or above this percentage is a warning.
pub const CPU_WARN_PERCENT: f64 = 80.0;
/// Average memory use at or above this percentage is a warning.
pub const MEMORY_WARN_PERCENT: f64 = 90.0;
/// An operation running at least this many seconds is slow.
pub const SLOW_OPERATION_SECS: u64 = 10;
/// A ping slower than this many milliseconds is a warning.
pub const PING_WARN_MS: f64 = 500.0;
/// What the items say when there is no history.
pub const NO_HISTORY: &str = "no history recorded: run scandyctl watch as a service";
/// Outage times listed one by one.
const MAX_LINES: usize = 20;

/// The history of the last [`HISTORY_DAYS`] days before `now`.
fn month_of_history(ctx: &CheckContext, now: DateTime<Utc>) -> Vec<HistoryPoint> {
    read_points(
        &ctx.state_dir,
        now - Duration::days(HISTORY_DAYS),
        now + Duration::seconds(1),
    )
}

/// `history: N points from A to B`.
fn span_line(points: &[HistoryPoint]) -> String {
    match (points.first(), points.last()) {
        (Some(first), Some(last)) => format!(
            "history: {} points from {} to {}",
            points.len(),
            first.at.format("%Y-%m-%d %H:%M UTC"),
            last.at.format("%Y-%m-%d %H:%M UTC")
        ),
        _ => "history: no points".to_string(),
    }
}

/// Average, 95th percentile and largest of `values` (none when empty).
pub fn spread(values: &[f64]) -> Option<(f64, f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let average = sorted.iter().sum::<f64>() / sorted.len() as f64;
    let rank = ((sorted.len() as f64) * 0.95).ceil() as usize;
    let p95 = sorted[rank.clamp(1, sorted.len()) - 1];
    Some((average, p95, sorted[sorted.len() - 1]))
}

/// The severity of an up-time percentage.
fn uptime_severity(percent: f64) -> Severity {
    if percent < UPTIME_FAIL_PERCENT {
        Severity::Failed
    } else if percent < UPTIME_WARN_PERCENT {
        Severity::Warning
    } else {
        Severity::Ok
    }
}

/// The `/health` item.
pub fn health_item(ctx: &CheckContext, id: &str) -> ItemRun {
    health_result(id, &month_of_history(ctx, Utc::now())).into()
}

/// The `/health` item's result from the history (pure): up-time over the points that
/// asked `/health`, response times of the answers.
pub fn health_result(id: &str, points: &[HistoryPoint]) -> ItemResult {
    if points.is_empty() {
        return ItemResult::new(id, Severity::Info, NO_HISTORY);
    }
    let asked: Vec<&HistoryPoint> = points.iter().filter(|p| p.health_ok.is_some()).collect();
    if asked.is_empty() {
        return ItemResult::new(id, Severity::Info, "the history holds no /health answers")
            .with(span_line(points));
    }
    let healthy = asked.iter().filter(|p| p.health_ok == Some(true)).count();
    let uptime = percent_of(healthy, asked.len());
    let times: Vec<f64> = asked
        .iter()
        .filter_map(|p| p.health_ms)
        .map(|ms| ms as f64)
        .collect();
    let mut lines = vec![
        span_line(points),
        format!(
            "/health healthy in {healthy} of {} checks: {}",
            asked.len(),
            percent_text(uptime)
        ),
    ];
    let mut result_perf = vec![PerfDatum::new(
        "health_uptime_percent",
        uptime,
        Some(UPTIME_WARN_PERCENT),
        Some(UPTIME_FAIL_PERCENT),
    )];
    if let Some((average, p95, max)) = spread(&times) {
        lines.push(format!(
            "/health response time: average {average:.0} ms, 95th percentile {p95:.0} ms, slowest {max:.0} ms"
        ));
        result_perf.push(PerfDatum::new("health_ms_avg", average, None, None));
    }
    let outages: Vec<String> = asked
        .iter()
        .filter(|p| p.health_ok == Some(false))
        .map(|p| format!("unhealthy at {}", p.at.format("%Y-%m-%d %H:%M UTC")))
        .collect();
    lines.extend(capped(outages, MAX_LINES));
    let severity = uptime_severity(uptime);
    let summary = format!(
        "/health up {} of the last {HISTORY_DAYS} days' checks",
        percent_text(uptime)
    );
    let mut result = ItemResult::new(id, severity, summary);
    result.evidence = lines;
    result.perf = result_perf;
    result
}

/// The resource use item.
pub fn resources_item(ctx: &CheckContext, id: &str) -> ItemRun {
    resources_result(id, &month_of_history(ctx, Utc::now())).into()
}

/// The resource use item's result from the history (pure): CPU and memory average and
/// peak, the load and the fullest filesystem where recorded.
pub fn resources_result(id: &str, points: &[HistoryPoint]) -> ItemResult {
    if points.is_empty() {
        return ItemResult::new(id, Severity::Info, NO_HISTORY);
    }
    let values =
        |f: fn(&HistoryPoint) -> Option<f64>| -> Vec<f64> { points.iter().filter_map(f).collect() };
    let cpu = spread(&values(|p| Some(f64::from(p.cpu_percent)))).unwrap_or_default();
    let memory = spread(&values(|p| Some(f64::from(p.memory_used_percent)))).unwrap_or_default();
    let mut lines = vec![
        span_line(points),
        format!(
            "CPU: average {}, peak {}",
            percent_text(cpu.0),
            percent_text(cpu.2)
        ),
        format!(
            "memory: average {}, peak {}",
            percent_text(memory.0),
            percent_text(memory.2)
        ),
    ];
    if let Some((average, _, max)) = spread(&values(|p| p.load1.map(f64::from))) {
        lines.push(format!("load (1 min): average {average:.2}, peak {max:.2}"));
    }
    if let Some((_, _, max)) = spread(&values(|p| p.disk_used_percent.map(f64::from))) {
        lines.push(format!(
            "fullest filesystem: peak {} used",
            percent_text(max)
        ));
    }
    let busy = cpu.0 >= CPU_WARN_PERCENT || memory.0 >= MEMORY_WARN_PERCENT;
    let severity = if busy {
        Severity::Warning
    } else {
        Severity::Ok
    };
    let summary = format!(
        "CPU average {} (peak {}), memory average {} (peak {})",
        percent_text(cpu.0),
        percent_text(cpu.2),
        percent_text(memory.0),
        percent_text(memory.2)
    );
    let mut result = ItemResult::new(id, severity, summary);
    result.evidence = lines;
    result
        .perf(PerfDatum::new(
            "cpu_avg_percent",
            cpu.0,
            Some(CPU_WARN_PERCENT),
            None,
        ))
        .perf(PerfDatum::new(
            "memory_avg_percent",
            memory.0,
            Some(MEMORY_WARN_PERCENT),
            None,
        ))
}

/// The database latency and growth item: a ping now, the history's pings and up-time,
/// and the data size now against the oldest recorded one.
pub async fn database_item(ctx: &CheckContext, id: &str) -> ItemRun {
    let client = match connect(ctx, id).await {
        Ok(client) => client,
        Err(result) => return result.into(),
    };
    let db = scandy_db(ctx, &client);
    let started = Instant::now();
    let ping = bounded(
        "ping",
        CALL_TIMEOUT,
        client.database("admin").run_command(doc! { "ping": 1 }),
    )
    .await;
    let ping_ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Err(why) = ping {
        return unknown(id, format!("could not check: {why}")).into();
    }
    let stats = bounded(
        &format!("dbStats on {}", db.name()),
        CALL_TIMEOUT,
        db.run_command(doc! { "dbStats": 1 }),
    )
    .await;
    let data_bytes = stats.ok().and_then(|s| match s.get("dataSize") {
        Some(mongodb::bson::Bson::Int32(v)) => u64::try_from(*v).ok(),
        Some(mongodb::bson::Bson::Int64(v)) => u64::try_from(*v).ok(),
        Some(mongodb::bson::Bson::Double(v)) if *v >= 0.0 => Some(*v as u64),
        _ => None,
    });
    database_result(id, ping_ms, data_bytes, &month_of_history(ctx, Utc::now())).into()
}

/// The database item's result (pure).
pub fn database_result(
    id: &str,
    ping_ms: f64,
    data_bytes: Option<u64>,
    points: &[HistoryPoint],
) -> ItemResult {
    let mut lines = vec![format!("ping now: {ping_ms:.1} ms")];
    let mut severity = if ping_ms > PING_WARN_MS {
        Severity::Warning
    } else {
        Severity::Ok
    };
    let mut perf = vec![PerfDatum::new(
        "mongo_ping_ms",
        ping_ms,
        Some(PING_WARN_MS),
        None,
    )];
    let mut summary = format!("ping {ping_ms:.1} ms");
    if points.is_empty() {
        lines.push(NO_HISTORY.to_string());
        if severity == Severity::Ok {
            severity = Severity::Info;
        }
    } else {
        lines.push(span_line(points));
        let asked: Vec<&HistoryPoint> = points.iter().filter(|p| p.mongo_ok.is_some()).collect();
        if !asked.is_empty() {
            let up = asked.iter().filter(|p| p.mongo_ok == Some(true)).count();
            let uptime = percent_of(up, asked.len());
            lines.push(format!(
                "MongoDB answered {up} of {} pings: {}",
                asked.len(),
                percent_text(uptime)
            ));
            summary.push_str(&format!(", up {} of the month", percent_text(uptime)));
            severity = severity.max(uptime_severity(uptime));
            perf.push(PerfDatum::new(
                "mongo_uptime_percent",
                uptime,
                Some(UPTIME_WARN_PERCENT),
                Some(UPTIME_FAIL_PERCENT),
            ));
        }
        let times: Vec<f64> = points
            .iter()
            .filter_map(|p| p.mongo_ms)
            .map(|v| v as f64)
            .collect();
        if let Some((average, p95, max)) = spread(&times) {
            lines.push(format!(
                "pings in the history: average {average:.0} ms, 95th percentile {p95:.0} ms, slowest {max:.0} ms"
            ));
        }
    }
    match (
        data_bytes,
        points.iter().find(|p| p.db_data_bytes.is_some()),
    ) {
        (Some(now), Some(oldest)) => {
            let then = oldest.db_data_bytes.unwrap_or_default();
            let change = if now >= then {
                format!("+{}", bytes_text(now - then))
            } else {
                format!("-{}", bytes_text(then - now))
            };
            lines.push(format!(
                "data size now {}; {} on {}: {change}",
                bytes_text(now),
                bytes_text(then),
                oldest.at.format("%Y-%m-%d")
            ));
            summary.push_str(&format!(", data {} ({change})", bytes_text(now)));
            perf.push(PerfDatum::new("db_data_bytes", now as f64, None, None));
        }
        (Some(now), None) => {
            lines.push(format!(
                "data size now {} (no earlier size recorded)",
                bytes_text(now)
            ));
            summary.push_str(&format!(", data {}", bytes_text(now)));
            perf.push(PerfDatum::new("db_data_bytes", now as f64, None, None));
        }
        (None, _) => lines.push("data size: dbStats not answered".to_string()),
    }
    let mut result = ItemResult::new(id, severity, summary);
    result.evidence = lines;
    result.perf = perf;
    result
}

/// The slow operations item.
pub async fn slow_operations_item(ctx: &CheckContext, id: &str) -> ItemRun {
    let client = match connect(ctx, id).await {
        Ok(client) => client,
        Err(result) => return result.into(),
    };
    match bounded("currentOp", CALL_TIMEOUT, current_operations(&client)).await {
        Ok(Availability::Available { value }) => slow_operations_result(id, &value).into(),
        Ok(Availability::Unavailable {
            reason: UnavailableReason::NotSupported,
        }) => ItemResult::new(
            id,
            Severity::Info,
            "currentOp not supported by this server: slow operations cannot be listed",
        )
        .into(),
        Ok(Availability::Unavailable { reason }) => {
            unknown(id, format!("could not check: currentOp {reason}")).into()
        }
        Err(why) => unknown(id, format!("could not check: {why}")).into(),
    }
}

/// The slow operations item's result (pure): operations running at least
/// [`SLOW_OPERATION_SECS`] are a warning, each one evidence line.
pub fn slow_operations_result(id: &str, operations: &[Operation]) -> ItemResult {
    let slow: Vec<&Operation> = operations
        .iter()
        .filter(|o| o.secs_running.is_some_and(|s| s >= SLOW_OPERATION_SECS))
        .collect();
    let lines: Vec<String> = slow
        .iter()
        .map(|o| {
            let mut line = format!(
                "opid {}: {} {} running {} s",
                o.opid,
                o.op,
                o.namespace,
                o.secs_running.unwrap_or_default()
            );
            if let Some(client) = &o.client {
                line.push_str(&format!(", client {client}"));
            }
            if let Some(app) = &o.app_name {
                line.push_str(&format!(", {app}"));
            }
            if o.waiting_for_lock {
                line.push_str(", waiting for a lock");
            }
            if !o.summary.is_empty() {
                line.push_str(&format!(" — {}", o.summary));
            }
            line
        })
        .collect();
    let (severity, summary) = if slow.is_empty() {
        (
            Severity::Ok,
            format!(
                "no operation running {SLOW_OPERATION_SECS} s or longer ({} active)",
                operations.len()
            ),
        )
    } else {
        (
            Severity::Warning,
            format!(
                "{} operations running {SLOW_OPERATION_SECS} s or longer",
                slow.len()
            ),
        )
    };
    let mut result = ItemResult::new(id, severity, summary);
    result.evidence = capped(lines, MAX_LINES);
    result.perf(PerfDatum::new(
        "slow_operations",
        slow.len() as f64,
        Some(1.0),
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_gives_average_p95_and_max() {
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(spread(&values), Some((10.5, 19.0, 20.0)));
        assert_eq!(spread(&[]), None);
    }

    #[test]
    fn a_slow_operation_is_a_warning() {
        let op = |opid, secs| Operation {
            opid,
            op: "query".into(),
            namespace: "scandy.lendings".into(),
            client: Some("10.0.0.2:5000".into()),
            description: None,
            app_name: None,
            secs_running: Some(secs),
            active: true,
            waiting_for_lock: false,
            summary: "find: lendings".into(),
        };
        let result = slow_operations_result("SCY-PRF-013", &[op(1, 2), op(7, 42)]);
        assert_eq!(result.severity, Severity::Warning);
        assert_eq!(
            result.evidence,
            vec![
                "opid 7: query scandy.lendings running 42 s, client 10.0.0.2:5000 — find: lendings"
            ]
        );
    }
}
