//! One module per tab.

pub mod overview;
pub mod overview_backups;
pub mod placeholder;
