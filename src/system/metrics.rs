//! Machine metrics for the System tab and `scandyctl watch`: CPU, memory, load, filesystems, I/O rates, processes.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sysinfo::{MemoryRefreshKind, ProcessRefreshKind, ProcessesToUpdate, System};

use super::disk::disk_space;
use super::mounts::{MountEntry, canonical_existing, mount_for, read_mounts, real_filesystems};
use super::processes::{ProcessInfo, ProcessTracker};

/// Processes kept per ranking (top by CPU, top by memory).
const TOP_PROCESSES: usize = 8;
/// How often the mount table and disk list are re-read.
const MOUNTS_MAX_AGE: Duration = Duration::from_secs(10);
/// Bytes per sector in `/proc/diskstats` (always 512, whatever the hardware uses).
const SECTOR_BYTES: u64 = 512;

/// What to mark on the filesystem list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum MountRole {
    /// Holds the backup directory.
    Backups,
    /// Holds MongoDB's data directory.
    MongoData,
    /// Holds the Scandy installation.
    ScandyRoot,
}

/// Paths whose filesystems are marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedPaths {
    /// Where backups are written.
    pub backup_dir: PathBuf,
    /// MongoDB's data directory, when local.
    pub mongo_data: Option<PathBuf>,
    /// The Scandy installation directory.
    pub scandy_root: PathBuf,
}

/// One mounted filesystem with its space.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Filesystem {
    /// Mount point.
    pub mount: PathBuf,
    /// Source device (`/dev/sda1`, `server:/export`).
    pub device: String,
    /// Filesystem type.
    pub fs_type: String,
    /// Size in bytes.
    pub total: u64,
    /// Bytes available to unprivileged users.
    pub available: u64,
    /// Watched paths this filesystem holds.
    pub roles: Vec<MountRole>,
}

impl Filesystem {
    /// Used share in percent (0..=100).
    pub fn used_percent(&self) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        (self.total.saturating_sub(self.available) as f64 / self.total as f64 * 100.0)
            .clamp(0.0, 100.0)
    }
}

/// Bytes per second in two directions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Rate {
    /// Disk: bytes read per second; network: bytes received per second.
    pub read_per_sec: f64,
    /// Disk: bytes written per second; network: bytes sent per second.
    pub write_per_sec: f64,
}

/// Cumulative byte counters in two directions, as the kernel reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IoCounters {
    /// Disk: bytes read; network: bytes received.
    pub read: u64,
    /// Disk: bytes written; network: bytes sent.
    pub write: u64,
}

/// One snapshot of the machine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SystemSample {
    /// When the sample was taken.
    pub taken_at: DateTime<Utc>,
    /// CPU use in percent (0..100) since the previous sample.
    pub cpu_total: f32,
    /// CPU use per logical core in percent.
    pub cpu_per_core: Vec<f32>,
    /// Installed memory in bytes.
    pub memory_total: u64,
    /// Memory in use in bytes (total minus available).
    pub memory_used: u64,
    /// Memory available for new work in bytes.
    pub memory_available: u64,
    /// Swap size in bytes.
    pub swap_total: u64,
    /// Swap in use in bytes.
    pub swap_used: u64,
    /// Load average over 1, 5 and 15 minutes.
    pub load: [f64; 3],
    /// Seconds since boot.
    pub uptime_secs: u64,
    /// Real filesystems, plus those holding a watched path.
    pub filesystems: Vec<Filesystem>,
    /// Whole-disk read/write rates; `None` on the first sample.
    pub disk_io: Option<Rate>,
    /// Network receive/send rates over all interfaces but `lo`; `None` on the first sample.
    pub network: Option<Rate>,
    /// Top processes by CPU and memory plus every Scandy/MongoDB process.
    pub processes: Vec<ProcessInfo>,
}

/// Mount-derived facts that change rarely.
#[derive(Debug)]
struct MountCache {
    read_at: Instant,
    /// Filesystems to measure, with their roles (space filled in per sample).
    filesystems: Vec<Filesystem>,
    /// Names of whole disks in `/proc/diskstats`.
    whole_disks: HashSet<String>,
}

/// The previous I/O counters and when they were read.
#[derive(Debug, Clone, Copy)]
struct IoSnapshot {
    at: Instant,
    disk: Option<IoCounters>,
    network: Option<IoCounters>,
}

/// Samples the machine; keep one and call `sample` every refresh (it blocks briefly: call it from spawn_blocking).
pub struct SystemSampler {
    paths: WatchedPaths,
    system: System,
    processes: ProcessTracker,
    mounts: Option<MountCache>,
    io: Option<IoSnapshot>,
}

impl std::fmt::Debug for SystemSampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemSampler")
            .field("paths", &self.paths)
            .finish_non_exhaustive()
    }
}

/// What sysinfo refreshes per process: CPU and memory only (command lines are read once by the tracker).
fn process_refresh() -> ProcessRefreshKind {
    ProcessRefreshKind::nothing()
        .with_cpu()
        .with_memory()
        .without_tasks()
}

impl SystemSampler {
    /// A sampler for the given watched paths; takes a first CPU reading so the first sample has a baseline.
    pub fn new(paths: WatchedPaths) -> SystemSampler {
        let mut system = System::new();
        system.refresh_cpu_usage();
        system.refresh_processes_specifics(ProcessesToUpdate::All, true, process_refresh());
        SystemSampler {
            paths,
            system,
            processes: ProcessTracker::default(),
            mounts: None,
            io: None,
        }
    }

    /// Takes one sample; CPU and rates cover the time since the previous call.
    pub fn sample(&mut self) -> SystemSample {
        let taken_at = Utc::now();
        self.system.refresh_cpu_usage();
        self.system
            .refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram().with_swap());
        self.system
            .refresh_processes_specifics(ProcessesToUpdate::All, true, process_refresh());
        let processes = self.processes.collect(&self.system, TOP_PROCESSES);

        let stale = self
            .mounts
            .as_ref()
            .is_none_or(|cache| cache.read_at.elapsed() >= MOUNTS_MAX_AGE);
        if stale {
            self.mounts = Some(MountCache {
                read_at: Instant::now(),
                filesystems: watched_filesystems(&read_mounts().unwrap_or_default(), &self.paths),
                whole_disks: whole_disks(),
            });
        }
        let (filesystems, whole) = match &self.mounts {
            Some(cache) => (measure(&cache.filesystems), Some(&cache.whole_disks)),
            None => (Vec::new(), None),
        };

        let now = Instant::now();
        let disk = std::fs::read_to_string("/proc/diskstats").ok().map(|text| {
            parse_diskstats(&text, |name| match whole {
                Some(set) if !set.is_empty() => set.contains(name),
                _ => looks_like_whole_disk(name),
            })
        });
        let network = std::fs::read_to_string("/proc/net/dev")
            .ok()
            .map(|text| parse_net_dev(&text));
        let current = IoSnapshot {
            at: now,
            disk,
            network,
        };
        let (disk_io, network_rate) = match self.io {
            Some(previous) => {
                let elapsed = now.duration_since(previous.at);
                (
                    previous.disk.zip(disk).map(|(a, b)| rate(a, b, elapsed)),
                    previous
                        .network
                        .zip(network)
                        .map(|(a, b)| rate(a, b, elapsed)),
                )
            }
            None => (None, None),
        };
        self.io = Some(current);

        let load = System::load_average();
        SystemSample {
            taken_at,
            cpu_total: self.system.global_cpu_usage().clamp(0.0, 100.0),
            cpu_per_core: self.system.cpus().iter().map(|c| c.cpu_usage()).collect(),
            memory_total: self.system.total_memory(),
            memory_used: self.system.used_memory(),
            memory_available: self.system.available_memory(),
            swap_total: self.system.total_swap(),
            swap_used: self.system.used_swap(),
            load: [load.one, load.five, load.fifteen],
            uptime_secs: System::uptime(),
            filesystems,
            disk_io,
            network: network_rate,
            processes,
        }
    }
}

/// The filesystems to list: real ones plus any holding a watched path, each with its roles (space not yet measured).
fn watched_filesystems(mounts: &[MountEntry], paths: &WatchedPaths) -> Vec<Filesystem> {
    let mut list: Vec<Filesystem> = real_filesystems(mounts)
        .into_iter()
        .map(|m| filesystem_from(&m))
        .collect();
    let watched = [
        (MountRole::Backups, Some(&paths.backup_dir)),
        (MountRole::MongoData, paths.mongo_data.as_ref()),
        (MountRole::ScandyRoot, Some(&paths.scandy_root)),
    ];
    for (role, path) in watched {
        let Some(path) = path else { continue };
        let canonical = canonical_existing(path);
        let index = match mount_for(mounts, &canonical) {
            Some(holder) => list
                .iter()
                .position(|fs| fs.mount == holder.mount_point)
                .or_else(|| {
                    list.iter().position(|fs| {
                        holder.device.starts_with('/')
                            && fs.device == holder.device
                            && fs.fs_type == holder.fs_type
                    })
                })
                .unwrap_or_else(|| {
                    list.push(filesystem_from(holder));
                    list.len() - 1
                }),
            None => {
                list.push(Filesystem {
                    mount: canonical,
                    device: String::new(),
                    fs_type: String::new(),
                    total: 0,
                    available: 0,
                    roles: Vec::new(),
                });
                list.len() - 1
            }
        };
        if !list[index].roles.contains(&role) {
            list[index].roles.push(role);
        }
    }
    list
}

/// A filesystem entry for a mount, not yet measured.
fn filesystem_from(mount: &MountEntry) -> Filesystem {
    Filesystem {
        mount: mount.mount_point.clone(),
        device: mount.device.clone(),
        fs_type: mount.fs_type.clone(),
        total: 0,
        available: 0,
        roles: Vec::new(),
    }
}

/// Measures each filesystem with statvfs; drops unmeasurable or empty ones unless they carry a role.
fn measure(filesystems: &[Filesystem]) -> Vec<Filesystem> {
    filesystems
        .iter()
        .filter_map(|fs| {
            let (total, available) = match disk_space(&fs.mount) {
                Ok(space) => (space.total, space.available),
                Err(_) => (0, 0),
            };
            (total > 0 || !fs.roles.is_empty()).then(|| Filesystem {
                total,
                available,
                ..fs.clone()
            })
        })
        .collect()
}

/// Names of whole physical disks: entries of `/sys/block` backed by a device (skips loop, ram, zram, dm).
fn whole_disks() -> HashSet<String> {
    let Ok(entries) = std::fs::read_dir("/sys/block") else {
        return HashSet::new();
    };
    entries
        .flatten()
        .filter(|entry| entry.path().join("device").exists())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| looks_like_whole_disk(name))
        .collect()
}

/// Guesses from its name whether a block device is a whole disk (fallback when `/sys/block` is unreadable).
pub fn looks_like_whole_disk(name: &str) -> bool {
    const VIRTUAL: &[&str] = &["loop", "ram", "zram", "dm-", "md", "sr", "fd", "nbd"];
    if VIRTUAL.iter().any(|prefix| name.starts_with(prefix)) {
        return false;
    }
    if name.starts_with("nvme") || name.starts_with("mmcblk") {
        // nvme0n1 / mmcblk0 are disks; nvme0n1p1 / mmcblk0p1 partitions.
        return !name.contains('p');
    }
    !name.ends_with(|c: char| c.is_ascii_digit())
}

/// Sums bytes read and written over the disks `whole_disk` accepts, from `/proc/diskstats` text.
pub fn parse_diskstats(text: &str, whole_disk: impl Fn(&str) -> bool) -> IoCounters {
    let mut counters = IoCounters::default();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 10 || !whole_disk(fields[2]) {
            continue;
        }
        let sectors = |i: usize| fields[i].parse::<u64>().unwrap_or(0);
        counters.read = counters.read.saturating_add(sectors(5) * SECTOR_BYTES);
        counters.write = counters.write.saturating_add(sectors(9) * SECTOR_BYTES);
    }
    counters
}

/// Sums bytes received and sent over all interfaces but `lo`, from `/proc/net/dev` text.
pub fn parse_net_dev(text: &str) -> IoCounters {
    let mut counters = IoCounters::default();
    for line in text.lines() {
        let Some((name, rest)) = line.split_once(':') else {
            continue;
        };
        if name.trim() == "lo" {
            continue;
        }
        let fields: Vec<u64> = rest
            .split_whitespace()
            .map(|f| f.parse().unwrap_or(0))
            .collect();
        if fields.len() < 9 {
            continue;
        }
        counters.read = counters.read.saturating_add(fields[0]);
        counters.write = counters.write.saturating_add(fields[8]);
    }
    counters
}

/// Per-second rates between two counter readings; a counter that went backwards counts as zero.
pub fn rate(previous: IoCounters, current: IoCounters, elapsed: Duration) -> Rate {
    let secs = elapsed.as_secs_f64();
    if secs <= 0.0 {
        return Rate::default();
    }
    Rate {
        read_per_sec: current.read.saturating_sub(previous.read) as f64 / secs,
        write_per_sec: current.write.saturating_sub(previous.write) as f64 / secs,
    }
}

/// MongoDB's data directory: `storage.dbPath` from `conf`, else `/var/lib/mongodb` when it exists.
pub fn mongo_data_dir(conf: &Path) -> Option<PathBuf> {
    std::fs::read_to_string(conf)
        .ok()
        .and_then(|text| parse_mongod_db_path(&text))
        .or_else(|| {
            let default = Path::new("/var/lib/mongodb");
            default.is_dir().then(|| default.to_path_buf())
        })
}

/// `storage.dbPath` from mongod.conf YAML text (or `dbpath=` of the old ini format).
fn parse_mongod_db_path(text: &str) -> Option<PathBuf> {
    let mut in_storage = false;
    for line in text.lines() {
        let content = line.split('#').next().unwrap_or("");
        if content.trim().is_empty() {
            continue;
        }
        let indented = content.starts_with([' ', '\t']);
        let trimmed = content.trim();
        if !indented {
            in_storage = trimmed == "storage:";
            if let Some(value) = trimmed
                .strip_prefix("dbpath=")
                .or_else(|| trimmed.strip_prefix("storage.dbPath:"))
            {
                return clean_value(value);
            }
            continue;
        }
        if in_storage && let Some(value) = trimmed.strip_prefix("dbPath:") {
            return clean_value(value);
        }
    }
    None
}

/// A YAML scalar without surrounding blanks and quotes; `None` when empty.
fn clean_value(value: &str) -> Option<PathBuf> {
    let value = value.trim().trim_matches(['"', '\'']).trim();
    (!value.is_empty()).then(|| PathBuf::from(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::mounts::parse_mounts;

    const DISKSTATS_1: &str = "\
   7       0 loop0 10 0 800 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 254       0 vda 100 0 1000 0 50 0 2000 0 0 0 0 0 0 0 0 0 0
 254       1 vda1 90 0 900 0 40 0 1900 0 0 0 0 0 0 0 0 0 0
 259       0 nvme0n1 1 0 10 0 1 0 20 0 0 0 0
 252       0 dm-0 5 0 500 0 5 0 500 0 0 0 0
";
    const DISKSTATS_2: &str = "\
   7       0 loop0 10 0 99999 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 254       0 vda 110 0 1400 0 60 0 2800 0 0 0 0 0 0 0 0 0 0
 254       1 vda1 99 0 1300 0 49 0 2700 0 0 0 0 0 0 0 0 0 0
 259       0 nvme0n1 2 0 30 0 2 0 20 0 0 0 0
 252       0 dm-0 5 0 9000 0 5 0 9000 0 0 0 0
";

    #[test]
    fn diskstats_rates_are_exact() {
        let first = parse_diskstats(DISKSTATS_1, looks_like_whole_disk);
        let second = parse_diskstats(DISKSTATS_2, looks_like_whole_disk);
        assert_eq!(
            first,
            IoCounters {
                read: 1010 * 512,
                write: 2020 * 512
            }
        );
        let r = rate(first, second, Duration::from_secs(2));
        assert_eq!(r.read_per_sec, 420.0 * 512.0 / 2.0);
        assert_eq!(r.write_per_sec, 800.0 * 512.0 / 2.0);
    }

    #[test]
    fn whole_disk_names() {
        for disk in ["sda", "vda", "xvdb", "nvme0n1", "mmcblk0", "hda"] {
            assert!(looks_like_whole_disk(disk), "{disk}");
        }
        for part in [
            "sda1",
            "vda2",
            "nvme0n1p1",
            "mmcblk0p2",
            "loop0",
            "dm-0",
            "zram0",
            "md0",
            "sr0",
        ] {
            assert!(!looks_like_whole_disk(part), "{part}");
        }
    }

    const NET_1: &str = "\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 5000  10    0    0    0     0          0         0 5000  10    0    0    0     0       0          0
  eth0: 1000  10    0    0    0     0          0         0  300   5    0    0    0     0       0          0
 wlan0:200 2    0    0    0     0          0         0  100   1    0    0    0     0       0          0
";
    const NET_2: &str = "\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 9000  10    0    0    0     0          0         0 9000  10    0    0    0     0       0          0
  eth0: 1600  10    0    0    0     0          0         0  700   5    0    0    0     0       0          0
 wlan0:300 2    0    0    0     0          0         0  150   1    0    0    0     0       0          0
";

    #[test]
    fn net_dev_rates_skip_loopback() {
        let first = parse_net_dev(NET_1);
        assert_eq!(
            first,
            IoCounters {
                read: 1200,
                write: 400
            }
        );
        let r = rate(first, parse_net_dev(NET_2), Duration::from_millis(500));
        assert_eq!(
            r,
            Rate {
                read_per_sec: 1400.0,
                write_per_sec: 900.0
            }
        );
        assert_eq!(
            rate(parse_net_dev(NET_2), first, Duration::from_secs(1)),
            Rate::default()
        );
        assert_eq!(rate(first, first, Duration::ZERO), Rate::default());
    }

    #[test]
    fn mongod_conf_db_path() {
        let yaml = "# mongod.conf\nstorage:\n  dbPath: /srv/mongo   # data\n  journal:\n    enabled: true\nsystemLog:\n  path: /var/log/mongodb/mongod.log\n";
        assert_eq!(
            parse_mongod_db_path(yaml),
            Some(PathBuf::from("/srv/mongo"))
        );
        let quoted = "net:\n  port: 27017\nstorage:\n    dbPath: \"/data/db\"\n";
        assert_eq!(
            parse_mongod_db_path(quoted),
            Some(PathBuf::from("/data/db"))
        );
        let elsewhere = "systemLog:\n  dbPath: /wrong\nstorage:\n  engine: wiredTiger\n";
        assert_eq!(parse_mongod_db_path(elsewhere), None);
        assert_eq!(
            parse_mongod_db_path("dbpath=/var/lib/mongo\n"),
            Some(PathBuf::from("/var/lib/mongo"))
        );

        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("mongod.conf");
        std::fs::write(&conf, yaml).unwrap();
        assert_eq!(mongo_data_dir(&conf), Some(PathBuf::from("/srv/mongo")));
        let missing = mongo_data_dir(&dir.path().join("none.conf"));
        let default = Path::new("/var/lib/mongodb");
        assert_eq!(missing, default.is_dir().then(|| default.to_path_buf()));
    }

    #[test]
    fn watched_paths_get_roles() {
        let mounts = parse_mounts(
            "/dev/vda1 / ext4 rw 0 0\n/dev/vdb /srv ext4 rw 0 0\ntmpfs /run tmpfs rw 0 0\n/dev/vdb /opt/scandy ext4 rw 0 0\n",
        );
        let paths = WatchedPaths {
            backup_dir: PathBuf::from("/run/backups"),
            mongo_data: Some(PathBuf::from("/srv/mongo")),
            scandy_root: PathBuf::from("/opt/scandy"),
        };
        let list = watched_filesystems(&mounts, &paths);
        let roles = |mount: &str| {
            list.iter()
                .find(|fs| fs.mount == Path::new(mount))
                .map(|fs| fs.roles.clone())
        };
        assert_eq!(list.len(), 3);
        assert_eq!(roles("/"), Some(vec![]));
        assert_eq!(
            roles("/srv"),
            Some(vec![MountRole::MongoData, MountRole::ScandyRoot])
        );
        assert_eq!(roles("/run"), Some(vec![MountRole::Backups]));
    }

    #[test]
    fn used_percent_of_filesystem() {
        let fs = Filesystem {
            mount: PathBuf::from("/"),
            device: "/dev/vda".into(),
            fs_type: "ext4".into(),
            total: 200,
            available: 50,
            roles: vec![],
        };
        assert_eq!(fs.used_percent(), 75.0);
        assert_eq!(Filesystem { total: 0, ..fs }.used_percent(), 0.0);
    }
}
