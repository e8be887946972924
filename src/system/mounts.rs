//! The mount table: parsing `/proc/self/mounts` and finding the mount that holds a path.

use std::path::{Path, PathBuf};

/// One line of `/proc/self/mounts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    /// Source device or pseudo name (`/dev/sda1`, `tmpfs`, `server:/export`).
    pub device: String,
    /// Where it is mounted.
    pub mount_point: PathBuf,
    /// Filesystem type (`ext4`, `tmpfs`, `nfs4` …).
    pub fs_type: String,
}

/// Filesystem types that never hold admin data of their own.
const VIRTUAL_TYPES: &[&str] = &[
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devpts",
    "devtmpfs",
    "efivarfs",
    "fusectl",
    "hugetlbfs",
    "mqueue",
    "nsfs",
    "overlay",
    "proc",
    "pstore",
    "ramfs",
    "rpc_pipefs",
    "securityfs",
    "selinuxfs",
    "squashfs",
    "sysfs",
    "tmpfs",
    "tracefs",
    "fuse.lxcfs",
    "fuse.gvfsd-fuse",
    "fuse.portal",
    "fuse.snapfuse",
];

/// Filesystem types that are real even though their source is not a `/dev` path.
const REAL_NON_DEVICE_TYPES: &[&str] = &[
    "9p",
    "btrfs",
    "ceph",
    "cifs",
    "glusterfs",
    "nfs",
    "nfs4",
    "smb3",
    "smbfs",
    "virtiofs",
    "zfs",
];

/// Parses the text of `/proc/self/mounts` (or `/proc/mounts`); malformed lines are skipped.
pub fn parse_mounts(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let device = unescape_mount_field(fields.next()?);
            let mount_point = PathBuf::from(unescape_mount_field(fields.next()?));
            let fs_type = unescape_mount_field(fields.next()?);
            Some(MountEntry {
                device,
                mount_point,
                fs_type,
            })
        })
        .collect()
}

/// Reads and parses `/proc/self/mounts`.
pub fn read_mounts() -> std::io::Result<Vec<MountEntry>> {
    Ok(parse_mounts(&std::fs::read_to_string("/proc/self/mounts")?))
}

/// Decodes the octal escapes the kernel uses in mount fields (`\040` for a space).
pub fn unescape_mount_field(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() {
            let digits = &bytes[i + 1..i + 4];
            if digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
                let value = digits
                    .iter()
                    .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
                if let Ok(byte) = u8::try_from(value) {
                    out.push(byte);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a mount is a real filesystem worth listing (disks, network shares, ZFS, btrfs).
pub fn is_real_filesystem(entry: &MountEntry) -> bool {
    let fs_type = entry.fs_type.as_str();
    if VIRTUAL_TYPES.contains(&fs_type) {
        return false;
    }
    entry.device.starts_with('/')
        || REAL_NON_DEVICE_TYPES.contains(&fs_type)
        || fs_type.starts_with("fuse.")
        || fs_type.starts_with("nfs")
}

/// Keeps the real filesystems, one entry per device (the shortest mount point wins over bind mounts).
pub fn real_filesystems(mounts: &[MountEntry]) -> Vec<MountEntry> {
    let mut kept: Vec<MountEntry> = Vec::new();
    for entry in mounts.iter().filter(|entry| is_real_filesystem(entry)) {
        match kept
            .iter_mut()
            .find(|other| other.device == entry.device && other.fs_type == entry.fs_type)
        {
            Some(other) => {
                if entry.mount_point.as_os_str().len() < other.mount_point.as_os_str().len() {
                    *other = entry.clone();
                }
            }
            None => kept.push(entry.clone()),
        }
    }
    kept
}

/// The mount holding `path` (already canonical): the longest mount point that is a prefix; later mounts shadow earlier ones.
pub fn mount_for<'a>(mounts: &'a [MountEntry], path: &Path) -> Option<&'a MountEntry> {
    let mut best: Option<&MountEntry> = None;
    for entry in mounts {
        if !path.starts_with(&entry.mount_point) {
            continue;
        }
        let longer = best.is_none_or(|current| {
            entry.mount_point.components().count() >= current.mount_point.components().count()
        });
        if longer {
            best = Some(entry);
        }
    }
    best
}

/// Canonical form of `path`, or of its nearest existing ancestor joined with the missing rest.
pub fn canonical_existing(path: &Path) -> PathBuf {
    let mut missing: Vec<&std::ffi::OsStr> = Vec::new();
    let mut current = path;
    loop {
        if let Ok(canonical) = current.canonicalize() {
            return missing
                .iter()
                .rev()
                .fold(canonical, |acc, part| acc.join(part));
        }
        match (current.parent(), current.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name);
                current = parent;
            }
            _ => return path.to_path_buf(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTS: &str = "\
proc /proc proc rw,relatime 0 0
sysfs /sys sysfs rw,relatime 0 0
/dev/vda1 / ext4 rw,relatime 0 0
tmpfs /tmp tmpfs rw 0 0
/dev/vdb1 /srv/backup\\040disk ext4 rw 0 0
/dev/vda1 /etc/hosts ext4 rw 0 0
overlay /var/lib/docker/overlay2/abc/merged overlay rw 0 0
/dev/loop3 /snap/core/1 squashfs ro 0 0
nas:/export /mnt/nas nfs4 rw 0 0
tank/data /tank zfs rw 0 0
broken-line
";

    #[test]
    fn parses_fields_and_escapes() {
        let mounts = parse_mounts(MOUNTS);
        assert_eq!(mounts.len(), 10);
        assert_eq!(mounts[2].device, "/dev/vda1");
        assert_eq!(mounts[2].mount_point, PathBuf::from("/"));
        assert_eq!(mounts[2].fs_type, "ext4");
        assert_eq!(mounts[4].mount_point, PathBuf::from("/srv/backup disk"));
        assert_eq!(unescape_mount_field("a\\011b\\134c"), "a\tb\\c");
        assert_eq!(unescape_mount_field("end\\04"), "end\\04");
    }

    #[test]
    fn keeps_only_real_filesystems_once_per_device() {
        let real = real_filesystems(&parse_mounts(MOUNTS));
        let points: Vec<_> = real.iter().map(|m| m.mount_point.clone()).collect();
        assert_eq!(
            points,
            vec![
                PathBuf::from("/"),
                PathBuf::from("/srv/backup disk"),
                PathBuf::from("/mnt/nas"),
                PathBuf::from("/tank"),
            ]
        );
    }

    #[test]
    fn longest_prefix_wins() {
        let mounts = parse_mounts(MOUNTS);
        let at = |p: &str| {
            mount_for(&mounts, Path::new(p))
                .map(|m| m.mount_point.clone())
                .unwrap_or_default()
        };
        assert_eq!(
            at("/srv/backup disk/daily"),
            PathBuf::from("/srv/backup disk")
        );
        assert_eq!(at("/srv/backup"), PathBuf::from("/"));
        assert_eq!(at("/tmp/x"), PathBuf::from("/tmp"));
        assert_eq!(at("/tmpfoo"), PathBuf::from("/"));
        assert_eq!(at("/"), PathBuf::from("/"));
        assert!(mount_for(&mounts, Path::new("relative")).is_none());
    }

    #[test]
    fn later_mount_shadows_earlier_on_same_point() {
        let mounts = parse_mounts(
            "/dev/a / ext4 rw 0 0\n/dev/b /data ext4 rw 0 0\n/dev/c /data xfs rw 0 0\n",
        );
        let found = mount_for(&mounts, Path::new("/data/db")).map(|m| m.device.as_str());
        assert_eq!(found, Some("/dev/c"));
    }

    #[test]
    fn canonical_existing_keeps_missing_tail() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        assert_eq!(canonical_existing(dir.path()), base);
        assert_eq!(
            canonical_existing(&dir.path().join("not/yet")),
            base.join("not/yet")
        );
    }
}
