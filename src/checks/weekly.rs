//! The weekly checklist's items: database optimisation (validate, compact after the
//! admin's go-ahead, the index findings), data health, log rotation, the services, and the
//! restore test of the newest backup into a scratch database.

use std::ffi::OsStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::model::{Cadence, FollowUp, ItemDef, ItemKind, ItemResult, PerfDatum, Severity};
use super::run::{CheckContext, ItemRun};
use super::state::ChecklistsState;
use super::support::item_def;
use crate::system::services::{
    ServiceReport, ServiceStatus, ServiceTarget, service_status_within, service_targets,
};

/// The restore test's id (it has a longer time bound).
pub const RESTORE_TEST_ID: &str = "SCY-BKP-010";
/// `validate` of every collection.
pub const VALIDATE_ID: &str = "SCY-DB-010";
/// `compact` of every collection (manual: after the admin's go-ahead).
pub const COMPACT_ID: &str = "SCY-DB-011";
/// The index findings of the Database tab.
pub const INDEXES_ID: &str = "SCY-DB-012";
/// The six Scandy data health checks.
pub const DATA_HEALTH_ID: &str = "SCY-DAT-010";
/// Log rotation: a logrotate rule for Scandy's logs, sizes, rotated files.
pub const LOGROTATE_ID: &str = "SCY-LOG-010";
/// The services with their last (re)start.
pub const SERVICES_ID: &str = "SCY-SVC-010";

/// How long one service status query may take.
const SERVICE_TIMEOUT: Duration = Duration::from_secs(5);

/// The weekly items in order.
pub fn weekly_items() -> Vec<ItemDef> {
    let weekly = |id, kind, title, fix, follow_up| {
        item_def(id, Cadence::Weekly, kind, title, fix, follow_up)
    };
    vec![
        weekly(
            VALIDATE_ID,
            ItemKind::Automatic,
            (
                "Validate every collection",
                "Alle Collections prüfen (validate)",
            ),
            (
                "Restore an invalid collection from the newest good backup \
                 (scandyctl restore ID --collections NAME) or, after a backup, repair it with \
                 mongod --repair; the server's errors are in the evidence.",
                "Eine fehlerhafte Collection aus dem neuesten guten Backup wiederherstellen \
                 (scandyctl restore ID --collections NAME) oder nach einem Backup mit \
                 mongod --repair reparieren; die Fehler des Servers stehen in den Belegen.",
            ),
            None,
        ),
        weekly(
            COMPACT_ID,
            ItemKind::Manual,
            (
                "Compact the collections (after your go-ahead)",
                "Collections kompaktieren (nach Ihrer Freigabe)",
            ),
            (
                "Run compact from the Checklists tab (it asks first), or confirm without it: \
                 compact only gives disk space back after large deletions, and some servers \
                 (SecantusDB) do not support it.",
                "Compact über den Reiter Checklisten starten (mit Rückfrage) oder ohne \
                 bestätigen: compact gibt nur nach großen Löschungen Platz frei, und manche \
                 Server (SecantusDB) unterstützen es nicht.",
            ),
            Some(FollowUp::Compact),
        ),
        weekly(
            INDEXES_ID,
            ItemKind::Automatic,
            ("Index findings", "Index-Befunde"),
            (
                "Create Scandy's missing indexes (scandyctl db indexes --create-missing, or \
                 key m on the Database tab); drop a legacy unique barcode_1 with the mongosh \
                 line the Database tab shows.",
                "Fehlende Scandy-Indizes anlegen (scandyctl db indexes --create-missing oder \
                 Taste m im Reiter Datenbank); einen alten eindeutigen Index barcode_1 mit der \
                 mongosh-Zeile aus dem Reiter Datenbank entfernen.",
            ),
            Some(FollowUp::CreateIndexes),
        ),
        weekly(
            DATA_HEALTH_ID,
            ItemKind::Automatic,
            (
                "Data health (the six Scandy checks)",
                "Datenqualität (die sechs Scandy-Prüfungen)",
            ),
            (
                "Repair what can be repaired automatically with scandyctl db health --fix CHECK \
                 (or on the Database tab); the rest needs a look in Scandy (see each check).",
                "Automatisch Behebbares mit scandyctl db health --fix PRÜFUNG (oder im Reiter \
                 Datenbank) reparieren; der Rest braucht einen Blick in Scandy (siehe jede Prüfung).",
            ),
            None,
        ),
        weekly(
            LOGROTATE_ID,
            ItemKind::Automatic,
            ("Log rotation in place", "Logrotation eingerichtet"),
            (
                "Install the shipped rule: the Checklists tab shows it and writes \
                 /etc/logrotate.d/scandy after you confirm; test it with \
                 logrotate -d /etc/logrotate.d/scandy.",
                "Die mitgelieferte Regel einrichten: der Reiter Checklisten zeigt sie und \
                 schreibt /etc/logrotate.d/scandy nach Ihrer Bestätigung; testen mit \
                 logrotate -d /etc/logrotate.d/scandy.",
            ),
            Some(FollowUp::WriteLogrotate),
        ),
        weekly(
            SERVICES_ID,
            ItemKind::Automatic,
            ("Service status and restarts", "Dienststatus und Neustarts"),
            (
                "Read the journal of a service that is down or restarted (journalctl -u \
                 scandy, docker logs scandy-app-scandy) and restart it from the System tab.",
                "Das Journal eines gestoppten oder neu gestarteten Dienstes lesen (journalctl \
                 -u scandy, docker logs scandy-app-scandy) und ihn im Reiter System neu starten.",
            ),
            None,
        ),
        weekly(
            RESTORE_TEST_ID,
            ItemKind::Automatic,
            (
                "Restore test of the newest backup into a scratch database",
                "Wiederherstellungstest des neuesten Backups in eine Test-Datenbank",
            ),
            (
                "Verify the set (scandyctl verify ID --deep), take a new backup and repeat the \
                 test: a backup that cannot be restored is no backup.",
                "Das Backup prüfen (scandyctl verify ID --deep), ein neues Backup anlegen und \
                 den Test wiederholen: ein Backup, das sich nicht wiederherstellen lässt, ist \
                 keines.",
            ),
            None,
        ),
    ]
}

/// Runs the weekly item `id` (`None`: no such item).
pub async fn run_weekly(ctx: &CheckContext, _prior: &ChecklistsState, id: &str) -> Option<ItemRun> {
    Some(match id {
        VALIDATE_ID => super::weekly_db::validate_item(ctx, id).await,
        INDEXES_ID => super::weekly_db::index_item(ctx, id).await,
        DATA_HEALTH_ID => super::weekly_db::data_health_item(ctx, id).await,
        LOGROTATE_ID => super::logrotate::logrotate_item(ctx, id).await,
        SERVICES_ID => services_item(ctx, id).await,
        RESTORE_TEST_ID => super::restore_test::restore_test_item(ctx, id).await,
        _ => return None,
    })
}

/// The services item: each configured unit or container with its state and last (re)start.
async fn services_item(ctx: &CheckContext, id: &str) -> ItemRun {
    let path = std::env::var_os("PATH").unwrap_or_default();
    services_result(id, &service_targets(&ctx.config), &path, Utc::now())
        .await
        .into()
}

/// The services item's result for `targets`, asking systemctl or docker found on
/// `path_var`: failed when one is down, info when one (re)started within the last week.
pub async fn services_result(
    id: &str,
    targets: &[ServiceTarget],
    path_var: &OsStr,
    now: DateTime<Utc>,
) -> ItemResult {
    if targets.is_empty() {
        return ItemResult::new(
            id,
            Severity::Info,
            "no services configured ([system] units / containers)",
        );
    }
    let mut lines = Vec::new();
    let (mut down, mut unknown, mut restarted) = (Vec::new(), Vec::new(), Vec::new());
    for target in targets {
        match service_status_within(target, path_var, SERVICE_TIMEOUT).await {
            ServiceReport::Status(status) => {
                if !status.up {
                    down.push(target.name());
                } else if status
                    .since
                    .is_some_and(|s| now - s < chrono::Duration::days(7))
                {
                    restarted.push(target.name());
                }
                lines.push(status_line(&status));
            }
            ServiceReport::NotAvailable { reason, .. } => {
                unknown.push(target.name());
                lines.push(format!("{}: cannot be asked here: {reason}", target.name()));
            }
            ServiceReport::Failed { message, .. } => {
                unknown.push(target.name());
                lines.push(format!("{}: {message}", target.name()));
            }
        }
    }
    let total = targets.len();
    let (severity, summary) = if !down.is_empty() {
        (
            Severity::Failed,
            format!(
                "{} of {total} services down: {}",
                down.len(),
                down.join(", ")
            ),
        )
    } else if unknown.len() == total {
        (
            Severity::Unknown,
            format!(
                "could not check: no service could be asked ({})",
                unknown.join(", ")
            ),
        )
    } else if !unknown.is_empty() {
        (
            Severity::Warning,
            format!(
                "{} of {total} services could not be asked: {}",
                unknown.len(),
                unknown.join(", ")
            ),
        )
    } else if !restarted.is_empty() {
        (
            Severity::Info,
            format!(
                "all {total} services up; (re)started within the week: {}",
                restarted.join(", ")
            ),
        )
    } else {
        (Severity::Ok, format!("all {total} services up"))
    };
    let mut result = ItemResult::new(id, severity, summary);
    result.evidence = lines;
    result.perf(PerfDatum::new(
        "services_down",
        down.len() as f64,
        None,
        Some(1.0),
    ))
}

/// `scandy.service: active (running) since 2026-11-26 10:00 UTC, 2 restarts, pid 4242`.
fn status_line(status: &ServiceStatus) -> String {
    let mut line = format!("{}: {}", status.target.name(), status.state);
    if let Some(detail) = &status.detail {
        line.push_str(&format!(" ({detail})"));
    }
    if let Some(health) = &status.health {
        line.push_str(&format!(", {health}"));
    }
    match status.since {
        Some(since) => line.push_str(&format!(", since {}", since.format("%Y-%m-%d %H:%M UTC"))),
        None => line.push_str(", start time unknown"),
    }
    if let Some(restarts) = status.restarts {
        line.push_str(&format!(", {restarts} restarts"));
    }
    if let Some(pid) = status.main_pid {
        line.push_str(&format!(", pid {pid}"));
    }
    line
}
