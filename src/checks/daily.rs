//! The daily checklist's automatic items: log review, disk space, backup status, services
//! and `/health`.

use std::time::Duration;

use chrono::{DateTime, Local, Utc};

use super::model::{Cadence, ItemDef, ItemKind, ItemResult, PerfDatum, Severity, Text};
use super::run::{CheckContext, ItemRun, StateNotes};
use super::state::ChecklistsState;
use crate::backup::inventory::{Verification, human_age, scan_inventory};
use crate::logs::entry::{Level, LogEntry};
use crate::system::disk::human_bytes;

/// The log review's id.
pub const LOG_REVIEW_ID: &str = "SCY-LOG-001";
/// The disk space item's id.
pub const DISK_ID: &str = "SCY-DSK-001";
/// The backup status item's id.
pub const BACKUP_ID: &str = "SCY-BKP-001";
/// The services item's id.
pub const SERVICES_ID: &str = "SCY-SVC-001";
/// The `/health` item's id.
pub const HEALTH_ID: &str = "SCY-WEB-001";

/// Log lines read from the end of each log file by the review.
const LOG_LINES: usize = 50_000;
/// Error kinds listed one by one in the evidence.
const KINDS_SHOWN: usize = 10;
/// The log review looks back at most this far (also when the last check is older).
const MAX_LOOKBACK_DAYS: i64 = 7;
/// How long one service status query may take.
const SERVICE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the `/health` request may take.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(10);

fn def(id: &str, title: Text, fix: Text) -> ItemDef {
    ItemDef {
        id: id.to_string(),
        cadence: Cadence::Daily,
        kind: ItemKind::Automatic,
        title,
        fix,
        follow_up: None,
    }
}

/// The daily items in order.
pub fn daily_items() -> Vec<ItemDef> {
    vec![
        def(
            LOG_REVIEW_ID,
            Text::new(
                "Log review: errors and warnings since the last daily check",
                "Protokollsichtung: Fehler und Warnungen seit der letzten täglichen Prüfung",
            ),
            Text::new(
                "Open the Logs tab (2), filter by level ERROR and read the newest entry of each kind; new kinds first.",
                "Reiter Protokolle (2) öffnen, nach Stufe ERROR filtern und je Art den neuesten Eintrag lesen; neue Arten zuerst.",
            ),
        ),
        def(
            DISK_ID,
            Text::new(
                "Disk space of the backup directory, the Scandy root and MongoDB's data",
                "Speicherplatz von Sicherungsverzeichnis, Scandy-Verzeichnis und MongoDB-Daten",
            ),
            Text::new(
                "Free space: `scandyctl prune` removes sets outside the retention; rotate or delete old logs; grow the filesystem before it fills.",
                "Platz schaffen: `scandyctl prune` entfernt Sicherungen außerhalb der Aufbewahrung; alte Protokolle rotieren oder löschen; Dateisystem rechtzeitig vergrößern.",
            ),
        ),
        def(
            BACKUP_ID,
            Text::new(
                "Backup status: age and verification of the newest good backup, scheduled runs",
                "Sicherungsstatus: Alter und Prüfung der neuesten guten Sicherung, geplante Läufe",
            ),
            Text::new(
                "Take a backup now (Backups tab, b; or `scandyctl backup`), verify it (`scandyctl verify --deep`), and read the failed scheduled run's error (`scandyctl schedule status`).",
                "Jetzt sichern (Reiter Sicherungen, b; oder `scandyctl backup`), prüfen (`scandyctl verify --deep`) und den Fehler des fehlgeschlagenen geplanten Laufs lesen (`scandyctl schedule status`).",
            ),
        ),
        def(
            SERVICES_ID,
            Text::new(
                "Services: Scandy's unit or containers are running",
                "Dienste: Scandys Unit bzw. Container laufen",
            ),
            Text::new(
                "Look at the service on the System tab (3), read its last log lines and restart it there (or `systemctl restart scandy` / `docker compose up -d`).",
                "Dienst im Reiter System (3) ansehen, seine letzten Protokollzeilen lesen und dort neu starten (oder `systemctl restart scandy` / `docker compose up -d`).",
            ),
        ),
        def(
            HEALTH_ID,
            Text::new(
                "Scandy answers /health (within its rate limit)",
                "Scandy beantwortet /health (innerhalb seiner Ratenbegrenzung)",
            ),
            Text::new(
                "When /health fails while the service runs, MongoDB is usually the cause: see the Database tab (5) and Scandy's log.",
                "Scheitert /health, obwohl der Dienst läuft, ist meist MongoDB die Ursache: Reiter Datenbank (5) und Scandys Protokoll ansehen.",
            ),
        ),
    ]
}

/// Runs the daily item `id` (`None`: no such item).
pub async fn run_daily(ctx: &CheckContext, prior: &ChecklistsState, id: &str) -> Option<ItemRun> {
    let blocking = |work: fn(&CheckContext, &ChecklistsState) -> ItemRun| {
        let ctx = ctx.clone();
        let prior = prior.clone();
        async move {
            tokio::task::spawn_blocking(move || work(&ctx, &prior))
                .await
                .unwrap_or_else(|e| {
                    ItemRun::from(ItemResult::new(
                        "",
                        Severity::Unknown,
                        format!("the check stopped: {e}"),
                    ))
                })
        }
    };
    Some(match id {
        LOG_REVIEW_ID => blocking(log_review).await,
        DISK_ID => blocking(super::daily_disk::disk_space_item).await,
        BACKUP_ID => blocking(backup_status).await,
        SERVICES_ID => ItemRun::from(services(ctx).await),
        HEALTH_ID => ItemRun::from(health(ctx).await),
        _ => return None,
    })
}

/// Entries of the configured log files and their rotations (`app.log.1` …, `.gz`) at or
/// after `since` (local time, as Scandy writes it), oldest first. A rotation last written
/// before `since` holds nothing newer and is not read, nor are the older ones after it.
pub fn log_entries_since(
    config: &crate::config::Config,
    since: chrono::NaiveDateTime,
) -> Vec<LogEntry> {
    use std::os::unix::fs::MetadataExt;
    let since_utc = since
        .and_local_timezone(Local)
        .earliest()
        .map(|t| t.with_timezone(&Utc));
    let mut seen = std::collections::HashSet::new();
    let mut entries = Vec::new();
    for source in crate::logs::sources::file_sources(config) {
        let mut files = vec![source.path.clone()];
        if !source.is_rotation() {
            files.extend(crate::logs::history::rotations(&source.path));
        }
        for file in files {
            let Ok(meta) = std::fs::metadata(&file) else {
                continue;
            };
            if !seen.insert((meta.dev(), meta.ino())) {
                continue;
            }
            let written = meta.modified().ok().map(DateTime::<Utc>::from);
            if let (Some(written), Some(since)) = (written, since_utc)
                && written < since
            {
                break;
            }
            let Ok((lines, start)) = crate::logs::history::newest_lines(&file, LOG_LINES) else {
                continue;
            };
            let (found, _) = crate::logs::assemble::assemble_from(source.id, &lines, start);
            entries.extend(
                found
                    .into_iter()
                    .filter(|e| e.timestamp.is_some_and(|t| t >= since)),
            );
        }
    }
    entries.sort_by_key(|e| e.timestamp);
    entries
}

fn log_review(ctx: &CheckContext, prior: &ChecklistsState) -> ItemRun {
    let now = Local::now();
    let floor = now - chrono::Duration::days(MAX_LOOKBACK_DAYS);
    let since = prior
        .last_checked
        .get(&Cadence::Daily)
        .map(|t| t.with_timezone(&Local))
        .filter(|t| *t > floor)
        .unwrap_or(now - chrono::Duration::hours(24));
    let sources = crate::logs::sources::file_sources(&ctx.config);
    if sources.is_empty() {
        return ItemRun::from(
            ItemResult::new(LOG_REVIEW_ID, Severity::Unknown, "no log files found")
                .with(format!("looked for: {}", ctx.config.logs.files.join(", "))),
        );
    }
    let entries = log_entries_since(&ctx.config, since.naive_local());
    let errors = crate::logs::summary::error_groups(&entries, Level::Error, usize::MAX);
    let warnings: Vec<_> = crate::logs::summary::error_groups(&entries, Level::Warning, usize::MAX)
        .into_iter()
        .filter(|g| g.level == Level::Warning && !g.example.starts_with("SECURITY_EVENT"))
        .collect();
    let error_count: u64 = errors.iter().map(|g| g.count).sum();
    let warning_count: u64 = warnings.iter().map(|g| g.count).sum();
    let new_kinds: Vec<String> = errors
        .iter()
        .filter(|g| !prior.known_error_kinds.contains(&g.shape))
        .map(|g| g.shape.clone())
        .collect();
    let since_text = since.format("%Y-%m-%d %H:%M");
    let (severity, summary) = if error_count > 0 {
        let new = if new_kinds.is_empty() {
            String::new()
        } else {
            format!(", {} new", new_kinds.len())
        };
        (
            Severity::Warning,
            format!(
                "{error_count} errors of {} kinds{new} and {warning_count} warnings since {since_text}",
                errors.len()
            ),
        )
    } else if warning_count > 0 {
        (
            Severity::Info,
            format!(
                "no errors, {warning_count} warnings of {} kinds since {since_text}",
                warnings.len()
            ),
        )
    } else {
        (
            Severity::Ok,
            format!("no errors or warnings since {since_text}"),
        )
    };
    let mut result = ItemResult::new(LOG_REVIEW_ID, severity, summary);
    let time = |t: Option<chrono::NaiveDateTime>| {
        t.map_or_else(|| "?".to_string(), |t| t.format("%m-%d %H:%M").to_string())
    };
    for (level, groups) in [("ERROR", &errors), ("WARNING", &warnings)] {
        for g in groups.iter().take(KINDS_SHOWN) {
            let mark = if level == "ERROR" && new_kinds.contains(&g.shape) {
                "NEW "
            } else {
                ""
            };
            result.evidence.push(format!(
                "{mark}{level} {}× {} (first {}, last {})",
                g.count,
                g.shape,
                time(g.first),
                time(g.last)
            ));
        }
        if groups.len() > KINDS_SHOWN {
            result.evidence.push(format!(
                "… and {} more {level} kinds",
                groups.len() - KINDS_SHOWN
            ));
        }
    }
    result = result
        .perf(PerfDatum::new("log_errors", error_count as f64, None, None))
        .perf(PerfDatum::new(
            "log_warnings",
            warning_count as f64,
            None,
            None,
        ));
    ItemRun {
        result,
        notes: StateNotes {
            error_kinds: new_kinds,
            disk: Vec::new(),
        },
    }
}

fn backup_status(ctx: &CheckContext, prior: &ChecklistsState) -> ItemRun {
    let config = &ctx.config;
    let dir = config.resolve(&config.backup.dir);
    let inventory = match scan_inventory(&dir) {
        Ok(inventory) => inventory,
        Err(err) => {
            return ItemRun::from(ItemResult::new(
                BACKUP_ID,
                Severity::Unknown,
                format!("cannot read the backup directory: {err:#}"),
            ));
        }
    };
    let now = Utc::now();
    let warn_h = f64::from(ctx.settings.backup_age_warn_hours);
    let fail_h = f64::from(ctx.settings.backup_age_fail_hours);
    let good = inventory.sets.iter().find(|s| {
        !matches!(s.verification, Verification::Failed { .. })
            && s.kind != crate::backup::manifest::BackupKind::PreRestore
    });
    let mut result = match good {
        None => ItemResult::new(
            BACKUP_ID,
            Severity::Failed,
            format!("no good backup in {}", dir.display()),
        ),
        Some(set) => {
            let age = now - set.created_at;
            let hours = age.num_minutes() as f64 / 60.0;
            let mut severity = if hours > fail_h {
                Severity::Failed
            } else if hours > warn_h {
                Severity::Warning
            } else {
                Severity::Ok
            };
            let verified = match &set.verification {
                Verification::Never => {
                    severity = severity.max(Severity::Warning);
                    "never verified".to_string()
                }
                Verification::Ok { at, level } => {
                    format!("verified ({level:?}, {})", at.format("%Y-%m-%d %H:%M UTC"))
                        .to_lowercase()
                }
                // `good` never holds a set whose verification failed.
                Verification::Failed { .. } => "verification failed".to_string(),
            };
            ItemResult::new(
                BACKUP_ID,
                severity,
                format!(
                    "newest good backup {} is {} old, {verified}",
                    set.id,
                    human_age(age)
                ),
            )
            .with(format!(
                "{}: {}, {}, {} documents, {} files{}",
                set.id,
                set.kind.as_str(),
                human_bytes(set.size),
                set.documents,
                set.files,
                if set.encrypted {
                    ", encrypted"
                } else {
                    ", not encrypted"
                }
            ))
            .perf(PerfDatum::new(
                "backup_age_hours",
                (hours * 10.0).round() / 10.0,
                Some(warn_h),
                Some(fail_h),
            ))
        }
    };
    for set in inventory
        .sets
        .iter()
        .take_while(|s| Some(&s.id) != good.map(|g| &g.id))
    {
        if let Verification::Failed { findings, .. } = set.verification {
            result.evidence.push(format!(
                "{}: verification FAILED ({findings} findings)",
                set.id
            ));
            result.severity = result.severity.max(Severity::Warning);
        }
    }
    for partial in &inventory.partials {
        result.evidence.push(format!(
            "interrupted backup left behind: {}",
            partial.display()
        ));
    }
    let since = prior
        .last_checked
        .get(&Cadence::Daily)
        .copied()
        .unwrap_or(now - chrono::Duration::hours(24));
    let schedule = crate::schedule::summary::read_state(&ctx.state_dir);
    let mut runs = 0;
    for (name, entry) in &schedule.entries {
        let Some(started) = entry.last_start.filter(|s| *s >= since) else {
            continue;
        };
        runs += 1;
        let outcome = entry.outcome.map_or("unknown", |o| o.as_str());
        let mut line = format!(
            "scheduled {name}: {outcome} at {}",
            started.format("%Y-%m-%d %H:%M UTC")
        );
        if let Some(error) = &entry.error {
            line.push_str(&format!(": {error}"));
        }
        if entry.outcome == Some(crate::schedule::state::Outcome::Failed) {
            result.severity = result.severity.max(Severity::Warning);
        }
        result.evidence.push(line);
    }
    if runs == 0 && !schedule.entries.is_empty() {
        result.evidence.push(format!(
            "no scheduled run since {}",
            since.format("%Y-%m-%d %H:%M UTC")
        ));
    } else if schedule.entries.is_empty() {
        result
            .evidence
            .push("no backup schedule (see `scandyctl schedule`)".to_string());
    }
    ItemRun::from(result)
}

async fn services(ctx: &CheckContext) -> ItemResult {
    use crate::system::services::{ServiceReport, service_status_within, service_targets};
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    let targets = service_targets(&ctx.config);
    if targets.is_empty() {
        return ItemResult::new(
            SERVICES_ID,
            Severity::Info,
            "no Scandy service or container configured ([system] units, containers)",
        );
    }
    let mut severity = Severity::Ok;
    let mut evidence = Vec::new();
    let mut up = 0;
    for target in &targets {
        let line = match service_status_within(target, &path_var, SERVICE_TIMEOUT).await {
            ServiceReport::Status(status) => {
                if status.up {
                    up += 1;
                } else {
                    severity = Severity::Failed;
                }
                let mut line = format!("{}: {}", target.name(), status.state);
                if let Some(detail) = status.detail.filter(|d| !d.is_empty()) {
                    line.push_str(&format!(" ({detail})"));
                }
                line
            }
            ServiceReport::NotAvailable { reason, .. } => {
                severity = severity.max(Severity::Unknown);
                format!("{}: not checked: {reason}", target.name())
            }
            ServiceReport::Failed { message, .. } => {
                severity = severity.max(Severity::Unknown);
                format!("{}: status unknown: {message}", target.name())
            }
        };
        evidence.push(line);
    }
    if severity == Severity::Unknown && up == 0 {
        // Nothing answered: nothing is known.
    } else if severity == Severity::Unknown {
        severity = Severity::Warning;
    }
    let mut result = ItemResult::new(
        SERVICES_ID,
        severity,
        format!("{up} of {} services running", targets.len()),
    );
    result.evidence = evidence;
    result
}

async fn health(ctx: &CheckContext) -> ItemResult {
    let url = ctx.config.web.health_url.trim();
    if url.is_empty() {
        return ItemResult::new(
            HEALTH_ID,
            Severity::Info,
            "no health URL configured ([web] health_url)",
        );
    }
    let mut monitor = crate::system::web_health::WebHealthMonitor::new(
        url,
        ctx.config.web.budget_policy(),
        HEALTH_TIMEOUT,
    );
    let probe = monitor.check().await;
    let ms = probe.latency.as_millis() as f64;
    let (severity, summary) = if probe.healthy {
        (Severity::Ok, format!("healthy ({ms:.0} ms)"))
    } else if probe.rate_limited {
        (
            Severity::Info,
            "Scandy's rate limiter refused the request (the app is up)".to_string(),
        )
    } else {
        (Severity::Failed, format!("not healthy: {}", probe.detail))
    };
    let mut result = ItemResult::new(HEALTH_ID, severity, summary).with(format!(
        "{url}: {} — {}",
        probe
            .status
            .map_or_else(|| "no answer".to_string(), |s| s.to_string()),
        probe.detail
    ));
    if let Some(problem) = monitor.ledger_problem() {
        result.evidence.push(problem.to_string());
    }
    if probe.status.is_some() {
        result = result.perf(PerfDatum::new("health_ms", ms, None, None));
    }
    result
}

/// When the daily checklist's automatic items last ran (for the tab's header).
pub fn last_daily_check(state: &ChecklistsState) -> Option<DateTime<Utc>> {
    state.last_checked.get(&Cadence::Daily).copied()
}
