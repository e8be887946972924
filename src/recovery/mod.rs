//! Emergency recovery (the guide's "Notfallplan"): detection, reaction, the recovery point,
//! the safety backup, the restore of exactly what was lost, verification, informing users
//! and the incident report, as a resumable wizard whose state is saved after every step.
//! The console's Recovery tab and `scandyctl recover` drive the same steps.

pub mod auto;
pub mod console_support;
pub mod detect;
pub mod fixes;
pub mod model;
pub mod point;
pub mod reference;
pub mod report;
pub mod scope;
pub mod settings;
pub mod steps;
pub mod verify_after;
pub mod wizard;

pub use model::{CheckLevel, Diagnosis, Finding, IncidentKind};
pub use settings::{RecoverySettings, load_recovery};
pub use wizard::{Step, Wizard};

#[cfg(test)]
mod tests;
