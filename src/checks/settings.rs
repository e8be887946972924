//! `[checklists]` in the config file: thresholds, where the logrotate rule goes, the
//! scratch database of the restore test, and `[[checklists.items]]` (site-specific items).

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, bail};
use serde::{Deserialize, Serialize};

use super::model::{Cadence, ItemDef, ItemKind, Text};

/// One `[[checklists.items]]` entry: a manual step or a shell command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomItem {
    /// Stable id (`SITE-UPS-001`); must not start with `SCY-`.
    pub id: String,
    /// `daily`, `weekly` or `monthly`.
    pub cadence: Cadence,
    /// What it checks, one line.
    pub title: String,
    /// A shell command (`sh -c`): exit 0/1/2 = ok/warning/failed; none makes it manual.
    #[serde(default)]
    pub command: Option<String>,
    /// Seconds before the command is killed (default 30).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// What to do when it does not pass.
    #[serde(default)]
    pub fix: String,
}

fn default_timeout() -> u64 {
    30
}

impl CustomItem {
    /// The item as the checklists show it.
    pub fn to_def(&self) -> ItemDef {
        ItemDef {
            id: self.id.clone(),
            cadence: self.cadence,
            kind: match &self.command {
                Some(command) => ItemKind::Command {
                    command: command.clone(),
                    timeout_secs: self.timeout_secs,
                },
                None => ItemKind::Manual,
            },
            title: Text::same(self.title.clone()),
            fix: Text::same(self.fix.clone()),
            follow_up: None,
        }
    }
}

/// The `[checklists]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChecklistSettings {
    /// The newest good backup older than this many hours is a warning (default 26).
    pub backup_age_warn_hours: u32,
    /// ... and older than this many hours a failure (default 50).
    pub backup_age_fail_hours: u32,
    /// A filesystem with less free space than this percentage is a warning (default 15).
    pub disk_warn_percent: u32,
    /// ... and with less than this a failure (default 5).
    pub disk_fail_percent: u32,
    /// Where the logrotate rule for Scandy's logs is looked for and written.
    pub logrotate_dir: PathBuf,
    /// The scratch database the weekly restore test restores into (then drops).
    pub restore_test_database: String,
    /// Where the monthly report item writes its report (default: `reports/` in the state
    /// directory).
    pub report_dir: Option<PathBuf>,
    /// MongoDB's config file the monthly security audit reads (`net.bindIp`,
    /// `security.authorization`; default `/etc/mongod.conf`).
    pub mongod_conf: PathBuf,
    /// Site-specific items.
    pub items: Vec<CustomItem>,
}

impl Default for ChecklistSettings {
    fn default() -> Self {
        ChecklistSettings {
            backup_age_warn_hours: 26,
            backup_age_fail_hours: 50,
            disk_warn_percent: 15,
            disk_fail_percent: 5,
            logrotate_dir: PathBuf::from("/etc/logrotate.d"),
            restore_test_database: "scandyctl_restore_test".to_string(),
            report_dir: None,
            mongod_conf: PathBuf::from("/etc/mongod.conf"),
            items: Vec::new(),
        }
    }
}

/// Reads `[checklists]` from the config file; no file or no section gives the defaults.
pub fn load_checklists(path: Option<&Path>) -> Result<ChecklistSettings> {
    match path {
        Some(path) => {
            let settings = crate::config::read_section(Some(path), "checklists")?;
            check_checklists(settings, path)
        }
        None => Ok(ChecklistSettings::default()),
    }
}

/// Parses `[checklists]` from config text; `file` names the file in errors.
pub fn parse_checklists(text: &str, file: &Path) -> Result<ChecklistSettings> {
    check_checklists(
        crate::config::parse_section(text, file, "checklists")?,
        file,
    )
}

/// Checks the values of `[checklists]` read from `file`.
fn check_checklists(settings: ChecklistSettings, file: &Path) -> Result<ChecklistSettings> {
    let file = file.display();
    if settings.backup_age_warn_hours == 0
        || settings.backup_age_fail_hours < settings.backup_age_warn_hours
    {
        bail!(
            "config file {file}: checklists.backup_age_fail_hours ({}) must be at least \
             checklists.backup_age_warn_hours ({}), and both above 0",
            settings.backup_age_fail_hours,
            settings.backup_age_warn_hours
        );
    }
    if settings.disk_warn_percent > 100 || settings.disk_fail_percent > settings.disk_warn_percent {
        bail!(
            "config file {file}: checklists.disk_fail_percent ({}) must not exceed \
             checklists.disk_warn_percent ({}), which is at most 100",
            settings.disk_fail_percent,
            settings.disk_warn_percent
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for (n, item) in settings.items.iter().enumerate() {
        let id = item.id.trim();
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            bail!(
                "config file {file}: checklists.items[{n}].id must be letters, digits, '-' or '_', found {:?}",
                item.id
            );
        }
        if id.to_ascii_uppercase().starts_with("SCY-") {
            bail!(
                "config file {file}: checklists.items[{n}].id {id}: ids starting with SCY- are scandyctl's own"
            );
        }
        if !seen.insert(id.to_string()) {
            bail!("config file {file}: checklists.items[{n}].id {id} is used twice");
        }
        if item.title.trim().is_empty() {
            bail!("config file {file}: checklists.items[{n}] ({id}): title must not be empty");
        }
        if item.command.as_deref().is_some_and(|c| c.trim().is_empty()) {
            bail!("config file {file}: checklists.items[{n}] ({id}): command is empty");
        }
        if !(1..=3600).contains(&item.timeout_secs) {
            bail!(
                "config file {file}: checklists.items[{n}] ({id}): timeout_secs must be 1 to 3600, found {}",
                item.timeout_secs
            );
        }
    }
    if settings.restore_test_database.trim().is_empty() {
        bail!("config file {file}: checklists.restore_test_database must not be empty");
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_custom_items() {
        let file = Path::new("c.toml");
        assert_eq!(
            parse_checklists("", file).unwrap(),
            ChecklistSettings::default()
        );
        let text = "[checklists]\nbackup_age_warn_hours = 30\nbackup_age_fail_hours = 60\n\
                    [[checklists.items]]\nid = \"SITE-UPS-001\"\ncadence = \"weekly\"\n\
                    title = \"USV-Test\"\ncommand = \"true\"\ntimeout_secs = 5\n\
                    [[checklists.items]]\nid = \"SITE-KEY-001\"\ncadence = \"monthly\"\n\
                    title = \"Schlüssel prüfen\"\n";
        let s = parse_checklists(text, file).unwrap();
        assert_eq!(s.backup_age_warn_hours, 30);
        assert_eq!(s.items.len(), 2);
        assert!(matches!(
            s.items[0].to_def().kind,
            ItemKind::Command {
                timeout_secs: 5,
                ..
            }
        ));
        assert_eq!(s.items[1].to_def().kind, ItemKind::Manual);
    }

    #[test]
    fn the_example_config_section_parses() {
        let text = include_str!("../../assets/scandyctl.example.toml");
        let section: String = text
            .lines()
            .skip_while(|l| !l.starts_with("# [checklists]"))
            .filter_map(|l| l.strip_prefix("# "))
            .map(|l| format!("{l}\n"))
            .collect();
        let s = parse_checklists(&section, Path::new("example")).unwrap();
        assert_eq!(
            s.backup_age_warn_hours,
            ChecklistSettings::default().backup_age_warn_hours
        );
        assert_eq!(s.logrotate_dir, ChecklistSettings::default().logrotate_dir);
        let ids: Vec<&str> = s.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["SITE-UPS-001", "SITE-KEY-001"]);
        assert_eq!(s.items[1].to_def().kind, ItemKind::Manual);
    }

    #[test]
    fn bad_items_name_file_key_and_id() {
        let file = Path::new("/etc/scandyctl/config.toml");
        for (text, needle) in [
            (
                "[checklists]\nitems = [{id = \"SCY-X\", cadence = \"daily\", title = \"x\"}]\n",
                "SCY-",
            ),
            (
                "[checklists]\nitems = [{id = \"A\", cadence = \"hourly\", title = \"x\"}]\n",
                "hourly",
            ),
            (
                "[checklists]\nitems = [{id = \"A\", cadence = \"daily\", title = \"x\"}, {id = \"A\", cadence = \"daily\", title = \"y\"}]\n",
                "used twice",
            ),
            (
                "[checklists]\nitems = [{id = \"A\", cadence = \"daily\", title = \"x\", timeout_secs = 0}]\n",
                "timeout_secs",
            ),
            ("[checklists]\ndisk_warn_percnt = 3\n", "disk_warn_percnt"),
        ] {
            let err = format!("{}", parse_checklists(text, file).unwrap_err());
            assert!(err.contains("/etc/scandyctl/config.toml"), "{err}");
            assert!(err.contains(needle), "{needle}: {err}");
        }
    }
}
