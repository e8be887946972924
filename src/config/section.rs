//! Reading one section of the config file for the loaders that check their own sections
//! (`[checklists]`, `[recovery]`): the file read, the section deserialized, errors naming
//! the file and the section.

use std::path::Path;

use color_eyre::eyre::{Result, eyre};
use serde::de::DeserializeOwned;

/// `[section]` of the config file at `path`; no file or no section gives the defaults.
pub fn read_section<T: DeserializeOwned + Default>(
    path: Option<&Path>,
    section: &str,
) -> Result<T> {
    let Some(path) = path else {
        return Ok(T::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| eyre!("cannot read {}: {}", path.display(), super::os_reason(&e)))?;
    parse_section(&text, path, section)
}

/// `[section]` of config `text` (`file` names it in errors); no section gives the defaults.
pub fn parse_section<T: DeserializeOwned + Default>(
    text: &str,
    file: &Path,
    section: &str,
) -> Result<T> {
    let failed = |message: &str| {
        eyre!(
            "config file {}: [{section}]: {}",
            file.display(),
            message.trim()
        )
    };
    let mut table: toml::Table = toml::from_str(text).map_err(|e| failed(e.message()))?;
    match table.remove(section) {
        None => Ok(T::default()),
        Some(value) => T::deserialize(value).map_err(|e| failed(e.message())),
    }
}
