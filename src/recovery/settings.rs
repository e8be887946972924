//! `[recovery]` in the config file: the drop threshold, the team's contacts and the site's
//! runbook notes.

use std::path::Path;

use color_eyre::eyre::{Result, bail};
use serde::{Deserialize, Serialize};

/// One person to call in an emergency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Name.
    pub name: String,
    /// Role ("Werkstattleitung", "IT").
    #[serde(default)]
    pub role: String,
    /// Phone number.
    #[serde(default)]
    pub phone: String,
    /// E-mail address.
    #[serde(default)]
    pub email: String,
}

/// The `[recovery]` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecoverySettings {
    /// A collection whose document count fell by more than this percentage against the
    /// newest backup counts as lost (default 20).
    pub drop_threshold: u32,
    /// Who to call.
    pub contacts: Vec<Contact>,
    /// The site's runbook notes, shown in the reaction step.
    pub notes: String,
}

impl RecoverySettings {
    /// Default of `drop_threshold`.
    pub const DEFAULT_DROP_THRESHOLD: u32 = 20;
}

impl Default for RecoverySettings {
    fn default() -> Self {
        RecoverySettings {
            drop_threshold: RecoverySettings::DEFAULT_DROP_THRESHOLD,
            contacts: Vec::new(),
            notes: String::new(),
        }
    }
}

/// Reads `[recovery]` from the config file; no file or no section gives the defaults.
pub fn load_recovery(path: Option<&Path>) -> Result<RecoverySettings> {
    match path {
        Some(path) => check_recovery(crate::config::read_section(Some(path), "recovery")?, path),
        None => Ok(RecoverySettings::default()),
    }
}

/// Parses `[recovery]` from config text; `file` names the file in errors.
pub fn parse_recovery(text: &str, file: &Path) -> Result<RecoverySettings> {
    check_recovery(crate::config::parse_section(text, file, "recovery")?, file)
}

/// Checks the values of `[recovery]` read from `file`.
fn check_recovery(settings: RecoverySettings, file: &Path) -> Result<RecoverySettings> {
    if !(1..=100).contains(&settings.drop_threshold) {
        bail!(
            "config file {}: recovery.drop_threshold must be a percentage from 1 to 100, found {}",
            file.display(),
            settings.drop_threshold
        );
    }
    for (n, contact) in settings.contacts.iter().enumerate() {
        if contact.name.trim().is_empty() {
            bail!(
                "config file {}: recovery.contacts[{n}]: name must not be empty",
                file.display()
            );
        }
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_section_and_values_with_it() {
        let file = Path::new("c.toml");
        assert_eq!(
            parse_recovery("[mongo]\nuri = \"x\"\n", file).unwrap(),
            RecoverySettings::default()
        );
        let text = "[recovery]\ndrop_threshold = 35\nnotes = \"Schlüssel im Büro\"\n\
                    [[recovery.contacts]]\nname = \"Anna\"\nrole = \"IT\"\nphone = \"+49 1\"\n";
        let s = parse_recovery(text, file).unwrap();
        assert_eq!(s.drop_threshold, 35);
        assert_eq!(s.contacts[0].name, "Anna");
        assert_eq!(s.notes, "Schlüssel im Büro");
    }

    #[test]
    fn bad_values_name_the_file_and_key() {
        let file = Path::new("/etc/scandyctl/config.toml");
        let err = parse_recovery("[recovery]\ndrop_treshold = 3\n", file).unwrap_err();
        let text = format!("{err}");
        assert!(text.contains("/etc/scandyctl/config.toml"), "{text}");
        assert!(text.contains("drop_treshold"), "{text}");
        let err = parse_recovery("[recovery]\ndrop_threshold = 0\n", file).unwrap_err();
        assert!(format!("{err}").contains("recovery.drop_threshold"));
    }
}
