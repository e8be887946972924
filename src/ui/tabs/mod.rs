//! One module per tab.

pub mod alerts;
pub mod backups;
pub mod checklists;
pub mod database;
pub mod logs;
pub mod overview;
pub mod overview_backups;
pub mod recovery;
pub mod system;
