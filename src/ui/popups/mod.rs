//! Overlays drawn above the tabs.

pub mod confirm;
pub mod error;
pub mod help;
pub mod restore;
