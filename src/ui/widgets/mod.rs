//! Reusable console widgets shared by the tabs.

pub mod table;
pub mod wrap;
