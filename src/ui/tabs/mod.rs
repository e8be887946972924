//! One module per tab.

pub mod overview;
pub mod placeholder;
