//! The files part of a staged restore: the tar is extracted into a staging directory
//! beside the target, checked, and then moved into place one top-level entry after
//! another (a missing entry is renamed whole; an existing directory is merged into, file
//! by file, so files of the install the backup does not hold stay). Moving again what is
//! left in the staging directory completes an interrupted move.

use std::fs::File;
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr, bail};

use super::hooks::step_delay_blocking;
use crate::backup::extract::symlink_escape_reason;
use crate::sanitize::escape_controls;

/// The staging directory for extracting into `target` in restore run `run`: beside the
/// target (`<parent>/.<name>.scandyctl-restore-<run>`) when that is on the target's
/// filesystem, else inside it (`<target>/.scandyctl-restore-<run>`).
pub fn staging_dir_for(target: &Path, run: &str) -> PathBuf {
    let inside = target.join(format!(".scandyctl-restore-{run}"));
    let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
        return inside;
    };
    if parent.as_os_str().is_empty() {
        return inside;
    }
    let beside = parent.join(format!(
        ".{}.scandyctl-restore-{run}",
        name.to_string_lossy()
    ));
    let device = |p: &Path| std::fs::metadata(p).ok().map(|m| m.dev());
    let writable = |p: &Path| {
        let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).ok();
        // SAFETY: access(2) with a valid NUL-terminated path.
        c.is_some_and(|c| unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0)
    };
    let same_device = match device(target) {
        Some(dev) => device(parent) == Some(dev),
        None => true,
    };
    if same_device && writable(parent) {
        beside
    } else {
        inside
    }
}

/// Creates the (new, empty) staging directory, mode 0700.
pub fn create_staging_dir(staging: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(staging)
        .wrap_err_with(|| format!("cannot create the staging directory {}", staging.display()))
}

/// The top-level entries of the staging directory, sorted.
pub fn staged_entries(staging: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(staging)
        .wrap_err_with(|| format!("cannot read {}", staging.display()))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

/// What moving the staged files into place will do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MoveCheck {
    /// Files and links that replace an existing path.
    pub overwritten: usize,
}

/// Checks before the swap that every staged entry can be moved into `target`: no directory
/// over a file or symlink, no file over a directory, and no symlink that would point
/// outside the target once beside what is already there.
pub fn check_moves(staging: &Path, target: &Path) -> Result<MoveCheck> {
    let mut check = MoveCheck::default();
    let mut links = Vec::new();
    walk_pairs(staging, target, "", &mut check, &mut links)?;
    for (rel, link_target) in &links {
        let lookup = |p: &str| -> Option<String> {
            let staged = staging.join(p);
            let path = if std::fs::symlink_metadata(&staged).is_ok() {
                staged
            } else {
                target.join(p)
            };
            let meta = std::fs::symlink_metadata(&path).ok()?;
            if !meta.file_type().is_symlink() {
                return None;
            }
            std::fs::read_link(&path)
                .ok()
                .map(|t| t.to_str().map(str::to_string).unwrap_or_else(|| "/".into()))
        };
        if let Some(why) = symlink_escape_reason(rel, link_target, lookup) {
            bail!(
                "refusing symlink {} -> {}: {why} once restored into {}",
                shown(rel),
                shown(link_target),
                target.display()
            );
        }
    }
    Ok(check)
}

fn walk_pairs(
    staging: &Path,
    target: &Path,
    rel: &str,
    check: &mut MoveCheck,
    links: &mut Vec<(String, String)>,
) -> Result<()> {
    let dir = staging.join(rel);
    for entry in
        std::fs::read_dir(&dir).wrap_err_with(|| format!("cannot read {}", dir.display()))?
    {
        let entry = entry.wrap_err_with(|| format!("cannot read {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let staged = std::fs::symlink_metadata(entry.path())
            .wrap_err_with(|| format!("cannot inspect {}", entry.path().display()))?;
        if staged.file_type().is_symlink() {
            let link = std::fs::read_link(entry.path())?;
            links.push((rel.clone(), link.to_string_lossy().into_owned()));
        }
        let dest = target.join(&rel);
        let existing = match std::fs::symlink_metadata(&dest) {
            Ok(meta) => Some(meta),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(e).wrap_err_with(|| format!("cannot inspect {}", dest.display()));
            }
        };
        if staged.is_dir() {
            if existing
                .as_ref()
                .is_some_and(|meta| meta.file_type().is_symlink() || !meta.is_dir())
            {
                bail!(
                    "cannot restore directory {}: a file or symlink is in the way",
                    shown(&dest.display().to_string())
                );
            }
            walk_pairs(staging, target, &rel, check, links)?;
        } else if let Some(meta) = existing {
            if meta.is_dir() {
                bail!(
                    "cannot restore {}: a directory is in the way",
                    shown(&dest.display().to_string())
                );
            }
            check.overwritten += 1;
        }
    }
    Ok(())
}

/// Removes from `staging` every file and symlink whose path exists in `target`, so only
/// missing ones are moved into place; returns the files and links left.
pub fn drop_existing(staging: &Path, target: &Path) -> Result<usize> {
    fn walk(staging: &Path, target: &Path, rel: &Path, kept: &mut usize) -> Result<()> {
        let dir = staging.join(rel);
        for entry in
            std::fs::read_dir(&dir).wrap_err_with(|| format!("cannot read {}", dir.display()))?
        {
            let entry = entry.wrap_err_with(|| format!("cannot read {}", dir.display()))?;
            let rel = rel.join(entry.file_name());
            let kind = entry
                .file_type()
                .wrap_err_with(|| format!("cannot inspect {}", entry.path().display()))?;
            if kind.is_dir() {
                walk(staging, target, &rel, kept)?;
            } else if std::fs::symlink_metadata(target.join(&rel)).is_ok() {
                std::fs::remove_file(entry.path())
                    .wrap_err_with(|| format!("cannot remove {}", entry.path().display()))?;
            } else {
                *kept += 1;
            }
        }
        Ok(())
    }
    let mut kept = 0;
    walk(staging, target, Path::new(""), &mut kept)?;
    Ok(kept)
}

/// Moves every top-level entry left in `staging` into `target`; `moved` hears of each
/// one once it is in place (to journal it). Removes the then empty staging directory.
pub fn move_into_place(
    staging: &Path,
    target: &Path,
    moved: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<Vec<String>> {
    std::fs::create_dir_all(target)
        .wrap_err_with(|| format!("cannot create {}", target.display()))?;
    let mut done = Vec::new();
    for name in staged_entries(staging)? {
        move_entry(&staging.join(&name), &target.join(&name))?;
        fsync_dir(target);
        moved(&name)?;
        done.push(name);
        step_delay_blocking();
    }
    remove_staging_dir(staging)?;
    Ok(done)
}

/// Moves one staged path into place (see the module docs).
fn move_entry(src: &Path, dst: &Path) -> Result<()> {
    let staged = std::fs::symlink_metadata(src)
        .wrap_err_with(|| format!("cannot inspect {}", src.display()))?;
    let existing = std::fs::symlink_metadata(dst).ok();
    match existing {
        Some(meta) if staged.is_dir() && meta.is_dir() && !meta.file_type().is_symlink() => {
            let mut names: Vec<_> = std::fs::read_dir(src)
                .wrap_err_with(|| format!("cannot read {}", src.display()))?
                .flatten()
                .map(|e| e.file_name())
                .collect();
            names.sort();
            for name in names {
                move_entry(&src.join(&name), &dst.join(&name))?;
            }
            fsync_dir(dst);
            std::fs::set_permissions(dst, std::fs::Permissions::from_mode(staged.mode() & 0o7777))
                .wrap_err_with(|| format!("cannot set the mode of {}", dst.display()))?;
            if let Ok(handle) = File::open(dst) {
                let _ = handle.set_modified(staged.modified()?);
            }
            std::fs::remove_dir(src).wrap_err_with(|| format!("cannot remove {}", src.display()))
        }
        Some(meta) if staged.is_dir() || meta.is_dir() => bail!(
            "cannot restore {}: a {} is in the way",
            shown(&dst.display().to_string()),
            if meta.is_dir() {
                "directory"
            } else {
                "file or symlink"
            }
        ),
        _ => rename_or_copy(src, dst, &staged),
    }
}

/// Renames `src` over `dst`; across filesystems files and links are copied beside `dst`
/// and renamed over it, directories are recreated and filled.
fn rename_or_copy(src: &Path, dst: &Path, staged: &std::fs::Metadata) -> Result<()> {
    match std::fs::rename(src, dst) {
        Ok(()) => return Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {}
        Err(e) => {
            return Err(e)
                .wrap_err_with(|| format!("cannot move {} to {}", src.display(), dst.display()));
        }
    }
    if staged.is_dir() {
        std::fs::create_dir(dst).wrap_err_with(|| format!("cannot create {}", dst.display()))?;
        return move_entry(src, dst);
    }
    let temp = dst.with_file_name(format!(".scandyctl-tmp-{}-move", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    if staged.file_type().is_symlink() {
        std::os::unix::fs::symlink(std::fs::read_link(src)?, &temp)?;
    } else {
        let mut from =
            File::open(src).wrap_err_with(|| format!("cannot open {}", src.display()))?;
        let mut to = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&temp)
            .wrap_err_with(|| format!("cannot create {}", temp.display()))?;
        io::copy(&mut from, &mut to)?;
        to.set_permissions(std::fs::Permissions::from_mode(staged.mode() & 0o7777))?;
        to.set_modified(staged.modified()?)?;
        to.sync_all()?;
    }
    std::fs::rename(&temp, dst)
        .wrap_err_with(|| format!("cannot move {} to {}", temp.display(), dst.display()))?;
    std::fs::remove_file(src).wrap_err_with(|| format!("cannot remove {}", src.display()))
}

/// Removes the staging directory and what is left in it; returns whether it existed.
pub fn remove_staging_dir(staging: &Path) -> Result<bool> {
    match std::fs::remove_dir_all(staging) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).wrap_err_with(|| format!("cannot remove {}", staging.display())),
    }
}

fn fsync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

fn shown(text: &str) -> String {
    escape_controls(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, content: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    #[test]
    fn moves_merge_into_existing_directories_and_keep_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("scandy");
        write(&target, "app/code.py", "code");
        write(&target, "app/static/uploads/old.png", "old");
        write(&target, ".env", "OLD");
        let staging = staging_dir_for(&target, "0a1b2c3d");
        assert_eq!(
            staging,
            dir.path().join(".scandy.scandyctl-restore-0a1b2c3d")
        );
        create_staging_dir(&staging).unwrap();
        write(&staging, "app/static/uploads/new.png", "new");
        write(&staging, "app/static/uploads/old.png", "restored");
        write(&staging, ".env", "NEW");
        write(&staging, "logs/security.log", "log");
        let check = check_moves(&staging, &target).unwrap();
        assert_eq!(check.overwritten, 2);
        let mut journaled = Vec::new();
        let moved = move_into_place(&staging, &target, &mut |n| {
            journaled.push(n.to_string());
            Ok(())
        })
        .unwrap();
        assert_eq!(moved, [".env", "app", "logs"]);
        assert_eq!(journaled, moved);
        let read = |rel: &str| std::fs::read_to_string(target.join(rel)).unwrap();
        assert_eq!(read("app/code.py"), "code");
        assert_eq!(read("app/static/uploads/old.png"), "restored");
        assert_eq!(read("app/static/uploads/new.png"), "new");
        assert_eq!(read(".env"), "NEW");
        assert_eq!(read("logs/security.log"), "log");
        assert!(!staging.exists());
    }

    #[test]
    fn an_interrupted_move_is_completed_by_moving_again() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        std::fs::create_dir(&target).unwrap();
        let staging = staging_dir_for(&target, "1");
        create_staging_dir(&staging).unwrap();
        write(&staging, "a/1", "1");
        write(&staging, "b/2", "2");
        let err = move_into_place(&staging, &target, &mut |n| {
            if n == "b" {
                bail!("killed")
            }
            Ok(())
        })
        .unwrap_err();
        assert!(format!("{err}").contains("killed"));
        let moved = move_into_place(&staging, &target, &mut |_| Ok(())).unwrap();
        assert!(moved.is_empty() || moved == ["b"]);
        assert_eq!(std::fs::read_to_string(target.join("b/2")).unwrap(), "2");
        assert_eq!(std::fs::read_to_string(target.join("a/1")).unwrap(), "1");
    }

    #[test]
    fn conflicts_and_escaping_links_are_refused_before_anything_moves() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        write(
            &target,
            "uploads",
            "a file where the backup has a directory",
        );
        let staging = staging_dir_for(&target, "2");
        create_staging_dir(&staging).unwrap();
        write(&staging, "uploads/x.png", "x");
        let err = check_moves(&staging, &target).unwrap_err();
        assert!(format!("{err}").contains("in the way"), "{err}");

        let target = dir.path().join("u");
        std::fs::create_dir_all(&target).unwrap();
        std::os::unix::fs::symlink("/etc", target.join("data")).unwrap();
        let staging = staging_dir_for(&target, "3");
        create_staging_dir(&staging).unwrap();
        std::fs::create_dir(staging.join("app")).unwrap();
        std::os::unix::fs::symlink("../data/passwd", staging.join("app/link")).unwrap();
        let err = check_moves(&staging, &target).unwrap_err();
        assert!(format!("{err}").contains("refusing symlink"), "{err}");
    }
}
