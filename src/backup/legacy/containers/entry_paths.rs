//! Where a container's entries belong under the Scandy root, and which names are refused.

/// Checks an entry name and returns it normalised (`./` and a trailing `/` removed).
/// Absolute names, `..`, backslashes and NUL bytes are refused (zip-slip, tar traversal).
pub fn checked_name(name: &str) -> Result<String, String> {
    let trimmed = name.trim_start_matches("./").trim_end_matches('/');
    if name.starts_with('/') || name.contains('\\') || name.contains('\0') || name.contains(':') {
        return Err(format!(
            "entry {name} has an absolute or foreign path: refused, nothing of it is used"
        ));
    }
    if trimmed.split('/').any(|part| part == "..") {
        return Err(format!(
            "entry {name} points outside the backup (..): refused, nothing of it is used"
        ));
    }
    Ok(trimmed
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect::<Vec<_>>()
        .join("/"))
}

/// The path under the Scandy root a carried file goes to; `None` for entries that are not
/// restored (the code's own files: `docker-compose.yml`, `requirements.txt`, ...).
pub fn root_path_for(name: &str) -> Option<String> {
    let (top, rest) = name.split_once('/')?;
    if rest.is_empty() {
        return None;
    }
    match top {
        "media" | "uploads" => Some(format!("app/static/uploads/{rest}")),
        "logs" => Some(format!("logs/{rest}")),
        "config" if rest == ".env" => Some(".env".into()),
        _ => None,
    }
}

/// Whether an entry holds secrets in clear (`.env`, `*.env`).
pub fn is_secret(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    base == ".env" || base.ends_with(".env") || base.starts_with(".env.")
}

/// The top-level directory every name shares, when the container wraps its content in one
/// (`scandy_backup_<ts>/uploads/...`); known top-level names are never stripped.
pub fn common_prefix<'a>(names: impl Iterator<Item = &'a str> + Clone) -> Option<String> {
    let mut first: Option<&str> = None;
    for name in names.clone() {
        let name = name.trim_start_matches("./");
        if name.is_empty() {
            continue;
        }
        let (top, _) = name.split_once('/')?;
        match first {
            None => first = Some(top),
            Some(seen) if seen != top => return None,
            Some(_) => {}
        }
    }
    let top = first?;
    const KNOWN: [&str; 5] = ["mongodb", "media", "uploads", "logs", "config"];
    (!KNOWN.contains(&top)).then(|| format!("{top}/"))
}

/// Seconds since the epoch of a zip entry's DOS time (Scandy's local time).
pub fn zip_mtime(at: Option<zip::DateTime>) -> i64 {
    let Some(at) = at else {
        return 0;
    };
    chrono::NaiveDate::from_ymd_opt(at.year().into(), at.month().into(), at.day().into())
        .and_then(|d| d.and_hms_opt(at.hour().into(), at.minute().into(), at.second().into()))
        .map_or(0, |t| super::super::scan::local_to_utc(t).timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_and_absolute_names_are_refused() {
        for bad in [
            "../../etc/cron.d/x",
            "media/../../x",
            "/etc/passwd",
            "C:\\x",
            "a\\..\\b",
            "x\0y",
        ] {
            assert!(checked_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(checked_name("./media/a//b.png").unwrap(), "media/a/b.png");
        assert_eq!(checked_name("logs/").unwrap(), "logs");
    }

    #[test]
    fn carried_files_land_where_scandy_keeps_them() {
        assert_eq!(
            root_path_for("media/tools/a.png").as_deref(),
            Some("app/static/uploads/tools/a.png")
        );
        assert_eq!(
            root_path_for("uploads/x.pdf").as_deref(),
            Some("app/static/uploads/x.pdf")
        );
        assert_eq!(
            root_path_for("logs/app.log").as_deref(),
            Some("logs/app.log")
        );
        assert_eq!(root_path_for("config/.env").as_deref(), Some(".env"));
        assert_eq!(root_path_for("config/docker-compose.yml"), None);
        assert_eq!(root_path_for("backup_metadata.json"), None);
        assert!(is_secret("config/.env") && !is_secret("logs/app.log"));
    }

    #[test]
    fn a_wrapping_directory_is_found_but_never_a_known_one() {
        let names = ["b/uploads/x", "b/mongodb_backup.archive", "b/"];
        assert_eq!(common_prefix(names.iter().copied()).as_deref(), Some("b/"));
        let names = ["uploads/x", "uploads/y"];
        assert_eq!(common_prefix(names.iter().copied()), None);
        let names = ["b/x", "c/y"];
        assert_eq!(common_prefix(names.iter().copied()), None);
        let names = ["b/x", "top.json"];
        assert_eq!(common_prefix(names.iter().copied()), None);
    }
}
