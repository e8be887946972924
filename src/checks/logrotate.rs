//! The weekly log rotation item: is a logrotate rule in place for Scandy's log files
//! (the path lines of the files in `checklists.logrotate_dir`), how big are the logs and
//! which rotated files exist; and the rule scandyctl ships (`assets/logrotate/scandy`),
//! filled in for the install and written only after the admin saw it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr, bail};

use super::model::{ItemResult, PerfDatum, Severity};
use super::run::{CheckContext, ItemRun};
use super::settings::ChecklistSettings;
use super::support::{bytes_text, capped, unknown};
use crate::config::Config;
use crate::logs::sources::{is_glob, is_rotation};

/// The shipped rule; `/opt/scandy` stands for the install directory.
pub const LOGROTATE_ASSET: &str = include_str!("../../assets/logrotate/scandy");
/// The install directory as the shipped rule spells it.
const ASSET_ROOT: &str = "/opt/scandy";
/// The file name the rule is written under in the logrotate directory.
pub const RULE_FILE_NAME: &str = "scandy";
/// Endings of files logrotate skips in its directory (its default `tabooext`).
const TABOO_ENDINGS: &[&str] = &[
    ",v",
    ".cfsaved",
    ".disabled",
    ".dpkg-bak",
    ".dpkg-del",
    ".dpkg-dist",
    ".dpkg-new",
    ".dpkg-old",
    ".rpmnew",
    ".rpmorig",
    ".rpmsave",
    ".swp",
    ".ucf-dist",
    ".ucf-new",
    ".ucf-old",
    "~",
];
/// Directives whose following lines are a shell script up to `endscript`.
const SCRIPT_DIRECTIVES: &[&str] = &[
    "postrotate",
    "prerotate",
    "firstaction",
    "lastaction",
    "preremove",
];
/// Most evidence lines listed one by one.
const MAX_LINES: usize = 40;

/// The paths and globs one logrotate file names before its `{` blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogrotateRule {
    /// The file in the logrotate directory.
    pub file: PathBuf,
    /// Every path or glob of its blocks, as written (quotes removed).
    pub paths: Vec<String>,
}

/// The shipped rule with the install's log paths: `/opt/scandy` replaced by the install
/// directory, plus any configured log pattern the rule's paths do not cover yet.
pub fn logrotate_rule(config: &Config) -> String {
    let root = config.scandy.root.display().to_string();
    let root = root.trim_end_matches('/');
    let mut out = String::with_capacity(LOGROTATE_ASSET.len() + 128);
    for line in LOGROTATE_ASSET.lines() {
        if !line.starts_with(ASSET_ROOT) {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut paths: Vec<String> = line
            .trim_end()
            .trim_end_matches('{')
            .split_whitespace()
            .map(|p| p.replacen(ASSET_ROOT, root, 1))
            .collect();
        for pattern in configured_patterns(config) {
            if !paths
                .iter()
                .any(|p| pattern_matches(p, Path::new(&pattern)))
            {
                paths.push(pattern);
            }
        }
        let shown: Vec<String> = paths.iter().map(|p| quoted(p)).collect();
        out.push_str(&shown.join(" "));
        out.push_str(" {\n");
    }
    out
}

/// Writes [`logrotate_rule`] to `<logrotate_dir>/scandy` (atomically, mode 0644);
/// refuses when the directory does not exist or the file exists already.
pub fn write_logrotate_rule(config: &Config, settings: &ChecklistSettings) -> Result<PathBuf> {
    let dir = &settings.logrotate_dir;
    if !dir.is_dir() {
        bail!(
            "the logrotate directory {} does not exist (is logrotate installed?); nothing was written",
            dir.display()
        );
    }
    let path = dir.join(RULE_FILE_NAME);
    if std::fs::symlink_metadata(&path).is_ok() {
        bail!(
            "{} exists already; scandyctl never overwrites it: compare it with the rule shown \
             and change it by hand",
            path.display()
        );
    }
    crate::state::write_atomic(&path, logrotate_rule(config).as_bytes())
        .wrap_err_with(|| format!("cannot write the logrotate rule {}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
        .wrap_err_with(|| format!("cannot make {} mode 0644", path.display()))?;
    Ok(path)
}

/// The configured log patterns (`[logs] files`) as absolute paths.
fn configured_patterns(config: &Config) -> Vec<String> {
    config
        .logs
        .files
        .iter()
        .map(|p| config.resolve(Path::new(p)).display().to_string())
        .collect()
}

/// A path as logrotate reads it: in double quotes when it holds white space.
fn quoted(path: &str) -> String {
    if path.chars().any(char::is_whitespace) {
        format!("\"{path}\"")
    } else {
        path.to_string()
    }
}

/// The paths and globs of every block in a logrotate file's text (scripts skipped).
pub fn rule_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let mut in_block = false;
    let mut in_script = false;
    for raw in text.lines() {
        let line = raw.trim();
        if in_script {
            in_script = line != "endscript";
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if in_block {
            let word = line.split_whitespace().next().unwrap_or_default();
            if SCRIPT_DIRECTIVES.contains(&word) {
                in_script = true;
            } else if line.starts_with('}') {
                in_block = false;
            }
            continue;
        }
        if line.starts_with('{') {
            paths.append(&mut pending);
            in_block = !line.contains('}');
            continue;
        }
        if !line.starts_with(['/', '"', '\'']) {
            continue;
        }
        let (tokens, opens) = path_tokens(line);
        pending.extend(tokens);
        if opens {
            paths.append(&mut pending);
            in_block = !line.rsplit('{').next().unwrap_or_default().contains('}');
        }
    }
    paths
}

/// The path tokens of a line (quotes removed) and whether it opens a block.
fn path_tokens(line: &str) -> (Vec<String>, bool) {
    let mut tokens = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '{' {
            return (tokens, true);
        } else if c == '"' || c == '\'' {
            chars.next();
            let token: String = chars.by_ref().take_while(|&d| d != c).collect();
            tokens.push(token);
        } else {
            let mut token = String::new();
            while let Some(&d) = chars.peek() {
                if d.is_whitespace() || d == '{' {
                    break;
                }
                token.push(d);
                chars.next();
            }
            tokens.push(token);
        }
    }
    (tokens, false)
}

/// Every rule file in `dir` (as logrotate reads it: no dot files, none of its taboo
/// endings), sorted by name; `Ok(None)` when the directory does not exist.
pub fn read_rules(dir: &Path) -> Result<Option<Vec<LogrotateRule>>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e).wrap_err_with(|| {
                format!("cannot read the logrotate directory {}", dir.display())
            });
        }
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            !name.starts_with('.') && !TABOO_ENDINGS.iter().any(|t| name.ends_with(t))
        })
        .collect();
    files.sort();
    let mut rules = Vec::with_capacity(files.len());
    for file in files {
        let text = std::fs::read(&file)
            .wrap_err_with(|| format!("cannot read the logrotate rule {}", file.display()))?;
        rules.push(LogrotateRule {
            paths: rule_paths(&String::from_utf8_lossy(&text)),
            file,
        });
    }
    Ok(Some(rules))
}

/// Whether logrotate's `pattern` (a path or a glob) names `file`.
fn pattern_matches(pattern: &str, file: &Path) -> bool {
    if !is_glob(pattern) {
        return Path::new(pattern) == file;
    }
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    glob::Pattern::new(pattern).is_ok_and(|p| p.matches_path_with(file, options))
}

/// The rule (and its pattern) that covers `file`, also through a symlinked directory.
pub fn covering_rule<'a>(
    rules: &'a [LogrotateRule],
    file: &Path,
) -> Option<(&'a LogrotateRule, &'a str)> {
    let canonical = std::fs::canonicalize(file).ok();
    rules.iter().find_map(|rule| {
        rule.paths
            .iter()
            .find(|p| {
                pattern_matches(p, file)
                    || canonical.as_deref().is_some_and(|c| pattern_matches(p, c))
            })
            .map(|p| (rule, p.as_str()))
    })
}

/// The configured log files that exist now (no rotations), in configuration order.
pub fn configured_log_files(config: &Config) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for pattern in configured_patterns(config) {
        let found: Vec<PathBuf> = if is_glob(&pattern) {
            let mut found: Vec<PathBuf> = glob::glob(&pattern)
                .map(|paths| paths.flatten().collect())
                .unwrap_or_default();
            found.retain(|p| {
                !p.file_name()
                    .is_some_and(|n| is_rotation(&n.to_string_lossy()))
            });
            found.sort();
            found
        } else {
            vec![PathBuf::from(&pattern)]
        };
        for path in found {
            if path.is_file() && !out.contains(&path) {
                out.push(path);
            }
        }
    }
    out
}

/// The log rotation item.
pub async fn logrotate_item(ctx: &CheckContext, id: &str) -> ItemRun {
    let (config, dir, id_owned) = (
        ctx.config.clone(),
        ctx.settings.logrotate_dir.clone(),
        id.to_string(),
    );
    match tokio::task::spawn_blocking(move || logrotate_result(&id_owned, &config, &dir)).await {
        Ok(result) => result.into(),
        Err(err) => unknown(
            id,
            format!("could not check: the log rotation check failed: {err}"),
        )
        .into(),
    }
}

/// The log rotation item's result for the install's files and the rules in `dir`.
pub fn logrotate_result(id: &str, config: &Config, dir: &Path) -> ItemResult {
    let files = configured_log_files(config);
    if files.is_empty() {
        return ItemResult::new(
            id,
            Severity::Info,
            format!(
                "none of the configured log files exists ({})",
                configured_patterns(config).join(", ")
            ),
        );
    }
    let rules = match read_rules(dir) {
        Ok(rules) => rules,
        Err(err) => return unknown(id, format!("could not check: {err:#}")),
    };
    let mut lines = Vec::new();
    let mut uncovered = 0;
    let mut total_bytes = 0;
    for file in &files {
        let (line, bytes) = file_line(file);
        total_bytes += bytes;
        let covered = rules.as_deref().and_then(|r| covering_rule(r, file));
        let line = match covered {
            Some((rule, pattern)) => format!("{line}; rule {} ({pattern})", rule.file.display()),
            None => {
                uncovered += 1;
                format!("{line}; no logrotate rule")
            }
        };
        lines.push(line);
    }
    let (severity, summary) = match (&rules, uncovered) {
        (None, _) => (
            Severity::Warning,
            format!(
                "no logrotate directory {} (is logrotate installed?): {} log files are not rotated by it",
                dir.display(),
                files.len()
            ),
        ),
        (Some(_), 0) => (
            Severity::Ok,
            format!(
                "all {} log files are covered by a logrotate rule",
                files.len()
            ),
        ),
        (Some(_), n) => (
            Severity::Warning,
            format!(
                "{n} of {} log files are not covered by any logrotate rule in {}",
                files.len(),
                dir.display()
            ),
        ),
    };
    let mut result = ItemResult::new(id, severity, summary);
    result.evidence = capped(lines, MAX_LINES);
    result.perf(PerfDatum::new("log_bytes", total_bytes as f64, None, None))
}

/// `PATH: SIZE; rotated: a.1 … a.10 (10 files, SIZE)` and the bytes of the file and its
/// rotations.
fn file_line(file: &Path) -> (String, u64) {
    let size = std::fs::metadata(file).map_or(0, |m| m.len());
    let rotated = crate::logs::history::rotations(file);
    let rotated_bytes: u64 = rotated
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    let name = |p: &PathBuf| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let rotations = match rotated.as_slice() {
        [] => "no rotated files".to_string(),
        [one] => format!("rotated: {} ({})", name(one), bytes_text(rotated_bytes)),
        [first, .., last] => format!(
            "rotated: {} … {} ({} files, {})",
            name(first),
            name(last),
            rotated.len(),
            bytes_text(rotated_bytes)
        ),
    };
    (
        format!("{}: {}; {rotations}", file.display(), bytes_text(size)),
        size + rotated_bytes,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_lines_scripts_and_globals_are_told_apart() {
        let text = "# comment\nweekly\ninclude /etc/other\n/var/log/a.log \"/srv/my app/logs/*.log\" {\n  daily\n  postrotate\n    /bin/kill -HUP `cat /run/x.pid` { }\n  endscript\n}\n/var/log/b.log\n/var/log/c.log\n{\n  rotate 2\n}\n";
        assert_eq!(
            rule_paths(text),
            vec![
                "/var/log/a.log",
                "/srv/my app/logs/*.log",
                "/var/log/b.log",
                "/var/log/c.log"
            ]
        );
    }

    #[test]
    fn the_shipped_rule_gets_the_install_paths() {
        let mut config = Config::default();
        config.scandy.root = PathBuf::from("/srv/scandy");
        config.logs.files.push("/var/log/scandy-extra.log".into());
        config.logs.files.push("logs/auto_backup.log".into());
        let rule = logrotate_rule(&config);
        assert!(
            rule.contains(
                "\n/srv/scandy/app/logs/*.log /srv/scandy/logs/*.log /var/log/scandy-extra.log {\n"
            ),
            "{rule}"
        );
        assert!(!rule.contains("/opt/scandy/"), "{rule}");
        for directive in [
            "weekly",
            "rotate 8",
            "compress",
            "delaycompress",
            "missingok",
            "notifempty",
            "copytruncate",
        ] {
            assert!(
                rule.lines().any(|l| l.trim() == directive),
                "{directive}: {rule}"
            );
        }
        assert_eq!(
            rule_paths(&rule),
            vec![
                "/srv/scandy/app/logs/*.log",
                "/srv/scandy/logs/*.log",
                "/var/log/scandy-extra.log"
            ]
        );
    }

    #[test]
    fn a_root_with_spaces_is_quoted() {
        let mut config = Config::default();
        config.scandy.root = PathBuf::from("/srv/my scandy");
        let rule = logrotate_rule(&config);
        assert!(
            rule.contains("\"/srv/my scandy/app/logs/*.log\" \"/srv/my scandy/logs/*.log\" {"),
            "{rule}"
        );
        assert_eq!(
            rule_paths(&rule),
            vec!["/srv/my scandy/app/logs/*.log", "/srv/my scandy/logs/*.log"]
        );
    }
}
