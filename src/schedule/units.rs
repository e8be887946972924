//! The systemd units of the schedule (`assets/systemd/`), filled in with the binary's real
//! path, the config file, the writable paths and the timer's calendar times.

use std::path::{Path, PathBuf};

use super::config::ScheduleConfig;

/// The daemon unit as shipped.
pub const SCHEDULE_SERVICE: &str = include_str!("../../assets/systemd/scandyctl-schedule.service");
/// The one-pass unit the timer starts, as shipped.
pub const BACKUP_SERVICE: &str = include_str!("../../assets/systemd/scandyctl-backup.service");
/// The timer as shipped.
pub const BACKUP_TIMER: &str = include_str!("../../assets/systemd/scandyctl-backup.timer");

/// The systemd directory units are installed to.
pub const SYSTEM_UNIT_DIR: &str = "/etc/systemd/system";

/// Which way the schedule runs under systemd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallKind {
    /// `scandyctl-schedule.service` running `schedule run`.
    Service,
    /// `scandyctl-backup.timer` starting `scandyctl-backup.service` (`schedule run --once`).
    Timer,
}

/// One unit file to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitFile {
    /// File name (`scandyctl-backup.timer`).
    pub name: &'static str,
    /// Content.
    pub text: String,
}

/// What the units are filled in with.
#[derive(Debug, Clone)]
pub struct UnitParams {
    /// The scandyctl binary (its real path).
    pub binary: PathBuf,
    /// The config file, if any (else scandyctl's own lookup applies).
    pub config: Option<PathBuf>,
    /// Paths the service writes: backup directory, state directory, metrics directory.
    pub writable: Vec<PathBuf>,
}

/// A value for a unit file line: paths with spaces or specials are quoted (systemd syntax).
fn unit_word(path: &Path) -> String {
    let text = path.display().to_string();
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@".contains(c))
    {
        text
    } else {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

fn exec_start(params: &UnitParams, once: bool) -> String {
    let mut line = format!("ExecStart={}", unit_word(&params.binary));
    if let Some(config) = &params.config {
        line.push_str(&format!(" --config {}", unit_word(config)));
    }
    line.push_str(" schedule run");
    if once {
        line.push_str(" --once");
    }
    line
}

fn fill(template: &str, params: &UnitParams, once: bool) -> String {
    let writable: Vec<String> = params
        .writable
        .iter()
        .map(|p| format!("-{}", unit_word(p)))
        .collect();
    template
        .lines()
        .map(|line| {
            if line.starts_with("ExecStart=") {
                exec_start(params, once)
            } else if line.starts_with("ReadWritePaths=") {
                format!("ReadWritePaths={}", writable.join(" "))
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// systemd `OnCalendar=` values for the entries: one per distinct "minute hour" of entries
/// written with plain numbers; any other expression makes the timer fire every 15 minutes
/// (`schedule run --once` runs only what is due, so extra passes do nothing).
pub fn calendar_times(schedule: &ScheduleConfig) -> Vec<String> {
    let mut times: Vec<String> = Vec::new();
    for entry in &schedule.entries {
        let fields: Vec<&str> = entry.cron_text.split_whitespace().collect();
        let simple = match fields.as_slice() {
            [minute, hour, ..] => minute
                .parse::<u32>()
                .ok()
                .zip(hour.parse::<u32>().ok())
                .filter(|(m, h)| *m < 60 && *h < 24),
            _ => None,
        };
        let Some((minute, hour)) = simple else {
            return vec!["*:0/15".into()];
        };
        let time = format!("*-*-* {hour:02}:{minute:02}:00");
        if !times.contains(&time) {
            times.push(time);
        }
    }
    if times.is_empty() {
        times.push("*-*-* 02:00:00".into());
    }
    times
}

/// The timer with its calendar times; with a `schedule.timezone` other than the host's,
/// each time names the zone (systemd 235+).
fn timer_text(schedule: &ScheduleConfig) -> String {
    let zone = schedule.timezone.map(|z| format!(" {}", z.name()));
    let mut out = Vec::new();
    for line in BACKUP_TIMER.lines() {
        if line.starts_with("OnCalendar=") {
            for time in calendar_times(schedule) {
                out.push(format!(
                    "OnCalendar={time}{}",
                    zone.as_deref().unwrap_or("")
                ));
            }
        } else {
            out.push(line.to_string());
        }
    }
    out.join("\n") + "\n"
}

/// The unit files of `kind`, filled in.
pub fn unit_files(
    kind: InstallKind,
    params: &UnitParams,
    schedule: &ScheduleConfig,
) -> Vec<UnitFile> {
    match kind {
        InstallKind::Service => vec![UnitFile {
            name: "scandyctl-schedule.service",
            text: fill(SCHEDULE_SERVICE, params, false),
        }],
        InstallKind::Timer => vec![
            UnitFile {
                name: "scandyctl-backup.service",
                text: fill(BACKUP_SERVICE, params, true),
            },
            UnitFile {
                name: "scandyctl-backup.timer",
                text: timer_text(schedule),
            },
        ],
    }
}

/// The `systemctl` commands that enable what was installed.
pub fn enable_commands(kind: InstallKind) -> Vec<String> {
    let unit = match kind {
        InstallKind::Service => "scandyctl-schedule.service",
        InstallKind::Timer => "scandyctl-backup.timer",
    };
    vec![
        "systemctl daemon-reload".into(),
        format!("systemctl enable --now {unit}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(text: &str) -> ScheduleConfig {
        super::super::config::parse_schedule(text, Path::new("t.toml")).unwrap()
    }

    #[test]
    fn units_are_filled_in() {
        let params = UnitParams {
            binary: "/opt/scandyctl/bin/scandyctl".into(),
            config: Some("/etc/scandyctl/my config.toml".into()),
            writable: vec!["/mnt/backups".into(), "/var/lib/scandyctl".into()],
        };
        let guide = schedule(
            "[schedule]\ndaily = { cron = \"0 2 * * *\" }\nweekly = { cron = \"0 2 * * 0\" }\nmonthly = { cron = \"30 3 1 * *\" }\ntimezone = \"Europe/Berlin\"\n",
        );
        let files = unit_files(InstallKind::Timer, &params, &guide);
        assert_eq!(files[0].name, "scandyctl-backup.service");
        assert!(files[0].text.contains(
            "ExecStart=/opt/scandyctl/bin/scandyctl --config \"/etc/scandyctl/my config.toml\" schedule run --once\n"
        ), "{}", files[0].text);
        assert!(
            files[0]
                .text
                .contains("ReadWritePaths=-/mnt/backups -/var/lib/scandyctl\n")
        );
        assert!(
            files[1].text.contains(
                "OnCalendar=*-*-* 02:00:00 Europe/Berlin\nOnCalendar=*-*-* 03:30:00 Europe/Berlin\n"
            ),
            "{}",
            files[1].text
        );
        assert!(files[1].text.contains("Persistent=true"));
        let service = unit_files(InstallKind::Service, &params, &guide);
        assert!(service[0].text.contains(" schedule run\n"));
        let every = schedule("[schedule]\ndaily = { cron = \"*/30 2 * * *\" }\n");
        assert_eq!(calendar_times(&every), ["*:0/15"]);
    }
}
