//! The monthly security audit's `.env` items: the mode and owner of Scandy's `.env`, and
//! the emergency admin switch in it (no other value of the file is ever shown).

use std::ffi::CStr;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::model::{ItemResult, Severity};
use super::run::{CheckContext, ItemRun};
use super::support::unknown;

/// The `.env` key that enables Scandy's emergency admin login.
pub const EMERGENCY_ADMIN_KEY: &str = "ENABLE_EMERGENCY_ADMIN";

/// A mode as `ls -l` shows it, e.g. `-rw-r--r--`.
pub fn mode_text(mode: u32, is_dir: bool) -> String {
    let mut out = String::with_capacity(10);
    out.push(if is_dir { 'd' } else { '-' });
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 0o7;
        out.push(if bits & 4 != 0 { 'r' } else { '-' });
        out.push(if bits & 2 != 0 { 'w' } else { '-' });
        out.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    out
}

/// The name of user `uid` (its number when it has none).
pub fn user_name(uid: u32) -> String {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: getpwuid_r writes into `pwd` and `buf` (of the length given) only.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        if libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found) == 0
            && !found.is_null()
        {
            return CStr::from_ptr(pwd.pw_name).to_string_lossy().into_owned();
        }
    }
    uid.to_string()
}

/// The primary group of user `uid`, if the user is known.
fn primary_group(uid: u32) -> Option<u32> {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: as in `user_name`.
    unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        (libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found) == 0
            && !found.is_null())
        .then_some(pwd.pw_gid)
    }
}

/// The name of group `gid` (its number when it has none).
pub fn group_name(gid: u32) -> String {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: getgrgid_r writes into `grp` and `buf` (of the length given) only.
    unsafe {
        let mut grp: libc::group = std::mem::zeroed();
        let mut found: *mut libc::group = std::ptr::null_mut();
        if libc::getgrgid_r(gid, &mut grp, buf.as_mut_ptr(), buf.len(), &mut found) == 0
            && !found.is_null()
        {
            return CStr::from_ptr(grp.gr_name).to_string_lossy().into_owned();
        }
    }
    gid.to_string()
}

/// The `.env` mode and owner item.
pub fn env_mode_item(ctx: &CheckContext, id: &str) -> ItemRun {
    env_mode_result(id, &ctx.config.resolve(&ctx.config.scandy.env_file)).into()
}

/// The `.env` mode item's result for `path`: failed when every user may read it or others
/// than its owner may change it; warning when a group other than the owner's may read it.
pub fn env_mode_result(id: &str, path: &Path) -> ItemResult {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return ItemResult::new(id, Severity::Info, format!("no .env at {}", path.display()));
        }
        Err(e) => {
            return unknown(
                id,
                format!("could not check: cannot read {}: {e}", path.display()),
            );
        }
    };
    let mode = meta.mode() & 0o7777;
    let (user, group) = (user_name(meta.uid()), group_name(meta.gid()));
    let shown = format!(
        "{} {user}:{group} {}",
        mode_text(mode, meta.is_dir()),
        path.display()
    );
    let octal = format!("{:04o}", mode);
    let (severity, summary) = if mode & 0o004 != 0 {
        (
            Severity::Failed,
            format!(
                "{} is readable by every user of this machine (mode {octal})",
                path.display()
            ),
        )
    } else if mode & 0o022 != 0 {
        (
            Severity::Failed,
            format!(
                "{} can be changed by users other than {user} (mode {octal})",
                path.display()
            ),
        )
    } else if mode & 0o040 != 0 && primary_group(meta.uid()) != Some(meta.gid()) {
        (
            Severity::Warning,
            format!(
                "{} is readable by the group {group}, not only by {user} (mode {octal})",
                path.display()
            ),
        )
    } else {
        (
            Severity::Ok,
            format!(
                "{} is readable only by {user} (mode {octal})",
                path.display()
            ),
        )
    };
    ItemResult::new(id, severity, summary).with(shown)
}

/// The emergency admin item.
pub fn emergency_admin_item(ctx: &CheckContext, id: &str) -> ItemRun {
    emergency_admin_result(id, &ctx.config.resolve(&ctx.config.scandy.env_file)).into()
}

/// The emergency admin item's result: failed when `.env` sets
/// `ENABLE_EMERGENCY_ADMIN` true (no other value of the file is shown).
pub fn emergency_admin_result(id: &str, path: &Path) -> ItemResult {
    let env = match crate::config::dotenv::read(path) {
        Ok(Some(env)) => env,
        Ok(None) => {
            return ItemResult::new(id, Severity::Info, format!("no .env at {}", path.display()));
        }
        Err(e) => {
            return unknown(
                id,
                format!("could not check: cannot read {}: {e}", path.display()),
            );
        }
    };
    match env.get(EMERGENCY_ADMIN_KEY) {
        Some(value) if is_true(value) => ItemResult::new(
            id,
            Severity::Failed,
            format!(
                "{EMERGENCY_ADMIN_KEY} is on in {}: the emergency admin login is open",
                path.display()
            ),
        )
        .with(format!(
            "{EMERGENCY_ADMIN_KEY}={value} in {}",
            path.display()
        )),
        Some(value) => {
            ItemResult::new(id, Severity::Ok, format!("{EMERGENCY_ADMIN_KEY} is off")).with(
                format!("{EMERGENCY_ADMIN_KEY}={value} in {}", path.display()),
            )
        }
        None => ItemResult::new(
            id,
            Severity::Ok,
            format!("{EMERGENCY_ADMIN_KEY} is not set (off)"),
        )
        .with(format!("no {EMERGENCY_ADMIN_KEY} in {}", path.display())),
    }
}

/// Whether a `.env` value means "on" the way Python code reads it.
fn is_true(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "true" | "1" | "yes" | "on" | "y" | "t"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_shown_like_ls() {
        assert_eq!(mode_text(0o644, false), "-rw-r--r--");
        assert_eq!(mode_text(0o600, false), "-rw-------");
        assert_eq!(mode_text(0o750, true), "drwxr-x---");
    }
}
