//! System sampling: disk space and, later, CPU, memory and services.

pub mod disk;
pub mod health_budget;
pub mod history;
pub mod http_probe;
pub mod metrics;
pub mod mounts;
pub mod processes;
pub mod rate_limit;
pub mod sample_log;
pub mod services;
pub mod web_health;
