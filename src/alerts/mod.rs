//! Alert rules (`[[alerts]]` in the config file) and the engine that turns sampled signals
//! into active alerts, with a minimum duration and hysteresis against flapping.
//!
//! No I/O happens here except reading the rules file: the caller samples [`Signals`]
//! (`scandyctl watch`, the console) and hands them to [`AlertEngine::evaluate`].

pub mod evaluate;
pub mod rules;
pub mod signals;

pub use evaluate::{ActiveAlert, AlertEngine};
pub use rules::{AlertRule, Metric, RulesError, default_rules, load_rules, parse_rules};
pub use signals::{MongoSignal, Signals};

/// How urgent an alert is: the notification priority, so alerts feed the escalator as-is.
pub use crate::notify::Priority;

/// The lowercase name of a priority (`info`, `warning`, `critical`).
pub fn priority_name(priority: Priority) -> &'static str {
    match priority {
        Priority::Info => "info",
        Priority::Warning => "warning",
        Priority::Critical => "critical",
    }
}

/// A priority from its lowercase name.
pub fn parse_priority(text: &str) -> Option<Priority> {
    match text {
        "info" => Some(Priority::Info),
        "warning" => Some(Priority::Warning),
        "critical" => Some(Priority::Critical),
        _ => None,
    }
}

/// Sort rank of a priority: higher is more urgent.
pub fn priority_rank(priority: Priority) -> u8 {
    match priority {
        Priority::Info => 0,
        Priority::Warning => 1,
        Priority::Critical => 2,
    }
}

/// Serializes a priority as its lowercase name (independent of the type's own derive).
pub(crate) fn serialize_priority<S: serde::Serializer>(
    priority: &Priority,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(priority_name(*priority))
}
