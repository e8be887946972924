//! Overlays drawn above the tabs.

pub mod error;
pub mod help;
