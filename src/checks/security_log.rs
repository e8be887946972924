//! The monthly security audit's account items: failed logins and other security events
//! from Scandy's `logs/security.log` (grouped by user and by address), and the admin
//! accounts and the accounts never used (`users` and `logs/user_actions.log`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDateTime};
use futures::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};

use super::model::{ItemResult, PerfDatum, Severity};
use super::run::{CheckContext, ItemRun};
use super::support::{CALL_TIMEOUT, bounded, capped, connect, scandy_db, unknown};
use crate::config::Config;
use crate::logs::entry::{Level, LogEntry};
use crate::logs::fields::{FieldValue, Fields};
use crate::logs::parse::{ParsedLine, parse_line};
use crate::logs::sources::is_glob;

/// Failed logins from one address (or for one user) that make the item a warning.
pub const FAILED_LOGINS_WARN: u64 = 10;
/// How far back the security events are read, in days.
pub const AUDIT_DAYS: i64 = 30;
/// Most bytes read from one log file (and each rotation).
const MAX_LOG_BYTES: u64 = 64 << 20;
/// Most users read from the `users` collection.
const MAX_USERS: i64 = 20_000;
/// Most evidence lines listed one by one.
const MAX_LINES: usize = 40;

/// A Scandy log file among the configured ones (`[logs] files`) by its file name, else
/// `<root>/logs/<name>` when it exists.
pub fn find_scandy_log(config: &Config, name: &str) -> Option<PathBuf> {
    for pattern in &config.logs.files {
        let pattern = config.resolve(Path::new(pattern));
        let text = pattern.to_string_lossy();
        let candidates: Vec<PathBuf> = if is_glob(&text) {
            glob::glob(&text)
                .map(|p| p.flatten().collect())
                .unwrap_or_default()
        } else {
            vec![pattern.clone()]
        };
        if let Some(found) = candidates
            .into_iter()
            .find(|p| p.file_name().is_some_and(|n| n == name) && p.is_file())
        {
            return Some(found);
        }
    }
    let fallback = config.scandy.root.join("logs").join(name);
    fallback.is_file().then_some(fallback)
}

/// The entries of `path` and its rotations (oldest file first), each file read up to
/// [`MAX_LOG_BYTES`]; continuation lines are dropped (events are one line).
pub fn read_log_entries(path: &Path) -> std::io::Result<Vec<LogEntry>> {
    let mut files = crate::logs::history::rotations(path);
    files.reverse();
    files.push(path.to_path_buf());
    let mut entries = Vec::new();
    for file in files {
        let reader = crate::logs::history::open_text(&file)?;
        let mut reader = BufReader::new(reader.take(MAX_LOG_BYTES));
        let mut line = Vec::new();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            let bytes = line.strip_suffix(b"\n").unwrap_or(&line);
            if let ParsedLine::Start(entry) = parse_line(bytes) {
                entries.push(entry);
            }
        }
    }
    Ok(entries)
}

/// A field's text (strings unquoted, anything else as Python wrote it).
fn field_text(fields: &Fields, key: &str) -> Option<String> {
    match fields.get(key)? {
        FieldValue::Text(text) => Some(text.clone()),
        FieldValue::Null => None,
        other => Some(other.to_string()),
    }
}

/// What the security events of a period add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityTally {
    /// Failed logins in all.
    pub failed_logins: u64,
    /// Failed logins per address.
    pub failed_by_ip: BTreeMap<String, u64>,
    /// Failed logins per user name.
    pub failed_by_user: BTreeMap<String, u64>,
    /// Other security events (not `login_failed`, not `login_success`) per event type.
    pub other_events: BTreeMap<String, u64>,
    /// Events written at level CRITICAL.
    pub critical: u64,
}

/// Adds up the security events of `entries` at or after `since` (pure).
pub fn tally_security(entries: &[LogEntry], since: NaiveDateTime) -> SecurityTally {
    let mut tally = SecurityTally::default();
    for entry in entries {
        if entry.timestamp.is_none_or(|t| t < since) {
            continue;
        }
        let Some(event) = field_text(&entry.fields, "event_type") else {
            continue;
        };
        if entry.level == Some(Level::Critical) {
            tally.critical += 1;
        }
        match event.as_str() {
            "login_failed" => {
                tally.failed_logins += 1;
                let user = field_text(&entry.fields, "user").unwrap_or_else(|| "(no user)".into());
                let ip = field_text(&entry.fields, "ip").unwrap_or_else(|| "(no address)".into());
                *tally.failed_by_user.entry(user).or_default() += 1;
                *tally.failed_by_ip.entry(ip).or_default() += 1;
            }
            "login_success" => {}
            other => *tally.other_events.entry(other.to_string()).or_default() += 1,
        }
    }
    tally
}

/// `map`'s entries, most first (then by name).
fn by_count(map: &BTreeMap<String, u64>) -> Vec<(&String, u64)> {
    let mut list: Vec<(&String, u64)> = map.iter().map(|(k, v)| (k, *v)).collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    list
}

/// The failed logins item.
pub async fn failed_logins_item(ctx: &CheckContext, id: &str) -> ItemRun {
    let Some(path) = find_scandy_log(&ctx.config, "security.log") else {
        return ItemResult::new(
            id,
            Severity::Info,
            "no security.log found among the configured log files (Scandy writes it at the first security event)",
        )
        .into();
    };
    let read_path = path.clone();
    let entries = match tokio::task::spawn_blocking(move || read_log_entries(&read_path)).await {
        Ok(Ok(entries)) => entries,
        Ok(Err(err)) => {
            return unknown(
                id,
                format!("could not check: cannot read {}: {err}", path.display()),
            )
            .into();
        }
        Err(err) => return unknown(id, format!("could not check: {err}")).into(),
    };
    let since = chrono::Local::now().naive_local() - Duration::days(AUDIT_DAYS);
    failed_logins_result(id, &path, &tally_security(&entries, since)).into()
}

/// The failed logins item's result from the tally of `path` (pure).
pub fn failed_logins_result(id: &str, path: &Path, tally: &SecurityTally) -> ItemResult {
    let mut lines = vec![format!("{}: last {AUDIT_DAYS} days", path.display())];
    lines.push(format!("failed logins: {}", tally.failed_logins));
    let ips = by_count(&tally.failed_by_ip);
    let users = by_count(&tally.failed_by_user);
    lines.extend(
        ips.iter()
            .map(|(ip, n)| format!("failed logins from {ip}: {n}")),
    );
    lines.extend(
        users
            .iter()
            .map(|(user, n)| format!("failed logins for {user}: {n}")),
    );
    lines.extend(
        by_count(&tally.other_events)
            .iter()
            .map(|(event, n)| format!("event {event}: {n}")),
    );
    if tally.critical > 0 {
        lines.push(format!("critical events: {}", tally.critical));
    }
    let loud_ips: Vec<&str> = ips
        .iter()
        .filter(|(_, n)| *n >= FAILED_LOGINS_WARN)
        .map(|(ip, _)| ip.as_str())
        .collect();
    let loud_users: Vec<&str> = users
        .iter()
        .filter(|(_, n)| *n >= FAILED_LOGINS_WARN)
        .map(|(user, _)| user.as_str())
        .collect();
    let others: u64 = tally.other_events.values().sum();
    let (severity, summary) = if !loud_ips.is_empty()
        || !loud_users.is_empty()
        || tally.critical > 0
    {
        let mut parts = Vec::new();
        if !loud_ips.is_empty() {
            parts.push(format!("from {}", loud_ips.join(", ")));
        }
        if !loud_users.is_empty() {
            parts.push(format!("for {}", loud_users.join(", ")));
        }
        let reached = if parts.is_empty() {
            format!("{} critical events", tally.critical)
        } else {
            format!(
                "{FAILED_LOGINS_WARN} or more failures {}",
                parts.join(" and ")
            )
        };
        (
            Severity::Warning,
            format!(
                "{} failed logins in {AUDIT_DAYS} days; {reached}",
                tally.failed_logins
            ),
        )
    } else if others > 0 {
        (
            Severity::Info,
            format!(
                "{} failed logins and {others} other security events in {AUDIT_DAYS} days",
                tally.failed_logins
            ),
        )
    } else {
        (
            Severity::Ok,
            format!(
                "{} failed logins in {AUDIT_DAYS} days, fewer than {FAILED_LOGINS_WARN} from any address or for any user",
                tally.failed_logins
            ),
        )
    };
    let worst_ip = ips.first().map_or(0, |(_, n)| *n);
    let mut result = ItemResult::new(id, severity, summary);
    result.evidence = capped(lines, MAX_LINES);
    result
        .perf(PerfDatum::new(
            "failed_logins",
            tally.failed_logins as f64,
            None,
            None,
        ))
        .perf(PerfDatum::new(
            "failed_logins_max_ip",
            worst_ip as f64,
            Some(FAILED_LOGINS_WARN as f64),
            None,
        ))
}

/// One account of the `users` collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// `username`.
    pub username: String,
    /// `role`.
    pub role: String,
    /// `is_active` (true when absent).
    pub active: bool,
    /// Whether the document has a `last_login`.
    pub has_last_login: bool,
}

/// The user names `user_actions.log` records a login of (`USER_ACTION: login - User: NAME`).
pub fn logged_in_users(entries: &[LogEntry]) -> BTreeSet<String> {
    entries
        .iter()
        .filter(|e| field_text(&e.fields, "action").as_deref() == Some("login"))
        .filter_map(|e| field_text(&e.fields, "user"))
        .collect()
}

/// The accounts item.
pub async fn accounts_item(ctx: &CheckContext, id: &str) -> ItemRun {
    let client = match connect(ctx, id).await {
        Ok(client) => client,
        Err(result) => return result.into(),
    };
    let db = scandy_db(ctx, &client);
    let users = db.collection::<Document>("users");
    let what = format!("cannot read {}.users", db.name());
    let docs: Vec<Document> = match bounded(&what, CALL_TIMEOUT, async {
        users
            .find(doc! {})
            .projection(doc! { "username": 1, "role": 1, "is_active": 1, "last_login": 1 })
            .limit(MAX_USERS)
            .await?
            .try_collect()
            .await
    })
    .await
    {
        Ok(docs) => docs,
        Err(why) => return unknown(id, format!("could not check: {why}")).into(),
    };
    let accounts: Vec<Account> = docs.iter().filter_map(account).collect();
    let log = find_scandy_log(&ctx.config, "user_actions.log");
    let logins = match &log {
        Some(path) => {
            let read_path = path.clone();
            match tokio::task::spawn_blocking(move || read_log_entries(&read_path)).await {
                Ok(Ok(entries)) => Some(logged_in_users(&entries)),
                Ok(Err(err)) => {
                    return unknown(
                        id,
                        format!("could not check: cannot read {}: {err}", path.display()),
                    )
                    .into();
                }
                Err(err) => return unknown(id, format!("could not check: {err}")).into(),
            }
        }
        None => None,
    };
    accounts_result(id, &accounts, log.as_deref().zip(logins.as_ref())).into()
}

/// An account from a `users` document (`None` without a user name).
fn account(doc: &Document) -> Option<Account> {
    let username = doc.get_str("username").ok()?.to_string();
    Some(Account {
        username,
        role: doc.get_str("role").unwrap_or("").to_string(),
        active: !matches!(doc.get("is_active"), Some(Bson::Boolean(false))),
        has_last_login: doc
            .get("last_login")
            .is_some_and(|v| !matches!(v, Bson::Null)),
    })
}

/// The accounts item's result (pure): the admin accounts listed; an account counts as
/// never used when its document has no `last_login` and `user_actions.log` (when found)
/// records no login of it. An admin account never used is a warning.
pub fn accounts_result(
    id: &str,
    accounts: &[Account],
    logins: Option<(&Path, &BTreeSet<String>)>,
) -> ItemResult {
    let mut admins: Vec<String> = accounts
        .iter()
        .filter(|a| a.role == "admin")
        .map(|a| {
            if a.active {
                a.username.clone()
            } else {
                format!("{} (inactive)", a.username)
            }
        })
        .collect();
    admins.sort();
    let logged_in = |name: &str| logins.is_some_and(|(_, set)| set.contains(name));
    let mut never: Vec<&Account> = accounts
        .iter()
        .filter(|a| a.active && !a.has_last_login && !logged_in(&a.username))
        .collect();
    never.sort_by(|a, b| a.username.cmp(&b.username));
    let rule = match logins {
        Some((path, set)) => format!(
            "never used = no last_login in users and no 'USER_ACTION: login - User: NAME' line in {} ({} users logged in there)",
            path.display(),
            set.len()
        ),
        None => "never used = no last_login in users (no user_actions.log found)".to_string(),
    };
    let never_admins: Vec<&str> = never
        .iter()
        .filter(|a| a.role == "admin")
        .map(|a| a.username.as_str())
        .collect();
    let never_names: Vec<String> = never
        .iter()
        .map(|a| {
            format!(
                "{} ({})",
                a.username,
                if a.role.is_empty() {
                    "no role"
                } else {
                    &a.role
                }
            )
        })
        .collect();
    let mut lines = vec![format!(
        "admin accounts ({}): {}",
        admins.len(),
        admins.join(", ")
    )];
    lines.push(rule);
    lines.push(format!(
        "never used ({}): {}",
        never.len(),
        if never_names.is_empty() {
            "none".to_string()
        } else {
            never_names.join(", ")
        }
    ));
    let inactive = accounts.iter().filter(|a| !a.active).count();
    if inactive > 0 {
        lines.push(format!("inactive accounts (not counted): {inactive}"));
    }
    let (severity, summary) = if !never_admins.is_empty() {
        (
            Severity::Warning,
            format!(
                "{} admin accounts; admin accounts never used: {}",
                admins.len(),
                never_admins.join(", ")
            ),
        )
    } else if !never.is_empty() {
        (
            Severity::Info,
            format!(
                "{} admin accounts; {} accounts never used",
                admins.len(),
                never.len()
            ),
        )
    } else {
        (
            Severity::Ok,
            format!(
                "{} admin accounts; every active account was used",
                admins.len()
            ),
        )
    };
    let mut result = ItemResult::new(id, severity, summary);
    result.evidence = capped(lines, MAX_LINES);
    result
        .perf(PerfDatum::new(
            "admin_accounts",
            admins.len() as f64,
            None,
            None,
        ))
        .perf(PerfDatum::new(
            "unused_accounts",
            never.len() as f64,
            None,
            None,
        ))
}
