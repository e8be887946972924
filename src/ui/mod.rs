//! The full-screen console: event loop, tabs, overlays. Only this module imports ratatui.

pub mod action;
pub mod alert_signals;
pub mod app;
pub mod checklist_runner;
pub mod db_actions;
pub mod dialogs;
pub mod event;
pub mod job_actions;
pub mod job_list;
pub mod job_runner;
pub mod job_text;
pub mod keymap;
pub mod log_actions;
pub mod popups;
pub mod recovery_runner;
pub mod render;
pub mod state;
pub mod system_actions;
pub mod tab;
pub mod tabs;
pub mod terminal;
pub mod theme;
pub mod watchers;
pub mod widgets;

pub use app::{ConsoleContext, run};
