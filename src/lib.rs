//! scandyctl: terminal console and headless CLI for running Scandy installations.
//!
//! The engine modules (`config`, `discovery`, `mongo`, `system`, `datagen`, `demo`)
//! never import ratatui; the console lives in `ui`.

pub mod alerts;
pub mod backup;
pub mod checks;
pub mod cli;
pub mod cli_maintenance;
pub mod commands;
pub mod config;
pub mod datagen;
pub mod demo;
pub mod discovery;
pub mod exit;
pub mod i18n;
pub mod jobs;
pub mod logs;
pub mod maintenance_log;
pub mod metrics;
pub mod mongo;
pub mod notify;
pub mod recovery;
pub mod sanitize;
pub mod schedule;
pub mod state;
pub mod system;
pub mod ui;
