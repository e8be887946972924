//! The maintenance checklists (the guide's "Regelmäßige Wartung"): daily, weekly and
//! monthly items with stable ids, severities, evidence and fixes; their state and due
//! dates; site-specific items; the Nagios output of `scandyctl check`; the reports.
//! No terminal code here.

pub mod catalog;
pub mod custom;
pub mod daily;
pub mod daily_disk;
pub mod logrotate;
pub mod model;
pub mod mongo_exposure;
pub mod monthly;
pub mod nagios;
pub mod os_updates;
pub mod performance;
pub mod report;
pub mod report_item;
pub mod restore_test;
pub mod run;
pub mod security_backups;
pub mod security_files;
pub mod security_log;
pub mod settings;
pub mod state;
pub mod support;
pub mod weekly;
pub mod weekly_db;

pub use model::{Cadence, FollowUp, ItemDef, ItemKind, ItemResult, PerfDatum, Severity, Text};
pub use run::{CheckContext, ItemRun, StateNotes};
