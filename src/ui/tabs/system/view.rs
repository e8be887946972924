//! The System tab's own state: the latest sample, ten minutes of history, services, the
//! `/health` probe with its response-time history, and the selection.

use crate::system::history::{Ring, SystemHistory, history_capacity};
use crate::system::http_probe::HealthProbe;
use crate::system::metrics::SystemSample;
use crate::system::services::{ServiceReport, ServiceTarget};

/// The System tab's state.
#[derive(Debug, Clone)]
pub struct SystemView {
    /// The newest sample.
    pub latest: Option<Box<SystemSample>>,
    /// History for the charts.
    pub history: SystemHistory,
    /// The services, as last asked.
    pub services: Vec<ServiceReport>,
    /// The newest `/health` probe.
    pub health: Option<HealthProbe>,
    /// `/health` response times in milliseconds (`None`: the probe failed).
    pub health_history: Ring<Option<f64>>,
    /// The selected service (for restart).
    pub selected_service: usize,
    /// Sort the process table by memory instead of CPU.
    pub sort_by_memory: bool,
    /// MongoDB's connections and operations per second (`serverStatus`).
    pub mongo_load: Option<MongoLoad>,
}

/// MongoDB's load from `serverStatus`; a field is `None` when the server will not say.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MongoLoad {
    /// Open connections and the server's limit (open + available).
    pub connections: Option<(u64, u64)>,
    /// Operations per second since the previous reading.
    pub ops_per_sec: Option<f64>,
}

impl SystemView {
    /// An empty view keeping history for `refresh`-spaced samples.
    pub fn new(refresh: std::time::Duration) -> SystemView {
        let capacity = history_capacity(refresh);
        SystemView {
            latest: None,
            history: SystemHistory::new(capacity),
            services: Vec::new(),
            health: None,
            health_history: Ring::new(capacity),
            selected_service: 0,
            sort_by_memory: false,
            mongo_load: None,
        }
    }

    /// Takes a new sample into the history.
    pub fn sampled(&mut self, sample: Box<SystemSample>) {
        self.history.push(&sample);
        self.latest = Some(sample);
    }

    /// Takes a new probe into the response-time history.
    pub fn probed(&mut self, probe: HealthProbe) {
        let ms = probe.latency.as_secs_f64() * 1000.0;
        self.health_history.push(probe.healthy.then_some(ms));
        self.health = Some(probe);
    }

    /// New service states; the selection stays in range.
    pub fn services_checked(&mut self, services: Vec<ServiceReport>) {
        self.selected_service = self.selected_service.min(services.len().saturating_sub(1));
        self.services = services;
    }

    /// The selected service's target, if any.
    pub fn selected_target(&self) -> Option<&ServiceTarget> {
        self.services.get(self.selected_service).map(report_target)
    }

    /// Moves the service selection by `delta` rows; returns whether it moved.
    pub fn move_service(&mut self, delta: isize) -> bool {
        let last = self.services.len().saturating_sub(1);
        let next = self.selected_service.saturating_add_signed(delta).min(last);
        let moved = next != self.selected_service;
        self.selected_service = next;
        moved
    }
}

impl Default for SystemView {
    fn default() -> Self {
        SystemView::new(std::time::Duration::from_secs(1))
    }
}

/// The target a report is about.
pub fn report_target(report: &ServiceReport) -> &ServiceTarget {
    match report {
        ServiceReport::Status(status) => &status.target,
        ServiceReport::NotAvailable { target, .. } | ServiceReport::Failed { target, .. } => target,
    }
}
