//! Short history of system samples for the System tab's charts.

use std::collections::VecDeque;
use std::time::Duration;

use super::metrics::SystemSample;

/// How far back the charts reach.
const HISTORY_SPAN: Duration = Duration::from_secs(600);
/// Fewest values kept, whatever the refresh rate.
const MIN_CAPACITY: usize = 60;

/// A ring buffer of the last `capacity` values.
#[derive(Debug, Clone, PartialEq)]
pub struct Ring<T> {
    values: VecDeque<T>,
    capacity: usize,
}

impl<T: Clone> Ring<T> {
    /// An empty ring holding at most `capacity` values (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Ring {
            values: VecDeque::with_capacity(capacity),
            capacity,
        }
    }

    /// Appends a value, dropping the oldest when full.
    pub fn push(&mut self, v: T) {
        if self.values.len() == self.capacity {
            self.values.pop_front();
        }
        self.values.push_back(v);
    }

    /// The values, oldest first.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.values.iter()
    }

    /// Number of values held.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no value was pushed yet.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The newest value.
    pub fn last(&self) -> Option<&T> {
        self.values.back()
    }

    /// The most values the ring keeps.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

/// Ten minutes of history at the refresh rate: CPU total, per core, memory used %, swap used %, disk read/write, network rx/tx.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemHistory {
    /// Total CPU use in percent.
    pub cpu: Ring<f32>,
    /// CPU use per core in percent.
    pub cores: Vec<Ring<f32>>,
    /// Memory used in percent of total.
    pub memory: Ring<f32>,
    /// Swap used in percent of total (0 without swap).
    pub swap: Ring<f32>,
    /// Disk bytes read per second (from the second sample on).
    pub disk_read: Ring<f64>,
    /// Disk bytes written per second (from the second sample on).
    pub disk_write: Ring<f64>,
    /// Network bytes received per second (from the second sample on).
    pub net_rx: Ring<f64>,
    /// Network bytes sent per second (from the second sample on).
    pub net_tx: Ring<f64>,
}

impl SystemHistory {
    /// Empty history keeping `capacity` values per series.
    pub fn new(capacity: usize) -> Self {
        SystemHistory {
            cpu: Ring::new(capacity),
            cores: Vec::new(),
            memory: Ring::new(capacity),
            swap: Ring::new(capacity),
            disk_read: Ring::new(capacity),
            disk_write: Ring::new(capacity),
            net_rx: Ring::new(capacity),
            net_tx: Ring::new(capacity),
        }
    }

    /// Adds one sample; rates missing on a first sample are skipped, not recorded as zero.
    pub fn push(&mut self, s: &SystemSample) {
        let capacity = self.cpu.capacity();
        self.cpu.push(s.cpu_total);
        if self.cores.len() != s.cpu_per_core.len() {
            self.cores.resize(s.cpu_per_core.len(), Ring::new(capacity));
        }
        for (ring, value) in self.cores.iter_mut().zip(&s.cpu_per_core) {
            ring.push(*value);
        }
        self.memory.push(percent(s.memory_used, s.memory_total));
        self.swap.push(percent(s.swap_used, s.swap_total));
        if let Some(disk) = s.disk_io {
            self.disk_read.push(disk.read_per_sec);
            self.disk_write.push(disk.write_per_sec);
        }
        if let Some(net) = s.network {
            self.net_rx.push(net.read_per_sec);
            self.net_tx.push(net.write_per_sec);
        }
    }
}

/// `part` as a percentage of `total` (0 when total is 0).
fn percent(part: u64, total: u64) -> f32 {
    if total == 0 {
        0.0
    } else {
        (part as f64 / total as f64 * 100.0) as f32
    }
}

/// Values needed for ten minutes at `refresh`, at least 60.
pub fn history_capacity(refresh: Duration) -> usize {
    let millis = refresh.as_millis().max(1);
    let needed = HISTORY_SPAN.as_millis().div_ceil(millis);
    usize::try_from(needed)
        .unwrap_or(usize::MAX)
        .max(MIN_CAPACITY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::metrics::Rate;

    #[test]
    fn ring_wraps_around_oldest_first() {
        let mut ring = Ring::new(3);
        assert!(ring.is_empty());
        assert_eq!(ring.last(), None);
        for v in 1..=5 {
            ring.push(v);
        }
        assert_eq!(ring.len(), 3);
        assert_eq!(ring.capacity(), 3);
        assert_eq!(ring.values().copied().collect::<Vec<_>>(), vec![3, 4, 5]);
        assert_eq!(ring.last(), Some(&5));
        assert_eq!(Ring::<u8>::new(0).capacity(), 1);
    }

    #[test]
    fn capacity_covers_ten_minutes() {
        assert_eq!(history_capacity(Duration::from_secs(1)), 600);
        assert_eq!(history_capacity(Duration::from_millis(250)), 2400);
        assert_eq!(history_capacity(Duration::from_secs(5)), 120);
        assert_eq!(history_capacity(Duration::from_secs(30)), 60);
        assert_eq!(history_capacity(Duration::ZERO), 600_000);
    }

    fn sample(cpu: f32, io: Option<Rate>) -> SystemSample {
        SystemSample {
            taken_at: chrono::Utc::now(),
            cpu_total: cpu,
            cpu_per_core: vec![cpu, cpu / 2.0],
            memory_total: 1000,
            memory_used: 250,
            memory_available: 750,
            swap_total: 0,
            swap_used: 0,
            load: [0.0; 3],
            uptime_secs: 1,
            filesystems: Vec::new(),
            disk_io: io,
            network: io,
            processes: Vec::new(),
        }
    }

    #[test]
    fn history_records_each_series() {
        let mut history = SystemHistory::new(2);
        let rate = Rate {
            read_per_sec: 10.0,
            write_per_sec: 20.0,
        };
        history.push(&sample(10.0, None));
        history.push(&sample(20.0, Some(rate)));
        history.push(&sample(30.0, Some(rate)));
        assert_eq!(
            history.cpu.values().copied().collect::<Vec<_>>(),
            vec![20.0, 30.0]
        );
        assert_eq!(history.cores.len(), 2);
        assert_eq!(history.cores[1].last(), Some(&15.0));
        assert_eq!(history.memory.last(), Some(&25.0));
        assert_eq!(history.swap.last(), Some(&0.0));
        assert_eq!(history.disk_read.len(), 2);
        assert_eq!(history.net_tx.last(), Some(&20.0));
    }
}
