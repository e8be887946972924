//! Automatic backups: the `[schedule]` section, the schedule maths (cron in a time zone,
//! DST, coinciding entries, catch-up), the state file and the runner that backs up,
//! verifies and prunes through the backup engine.

pub mod alert;
pub mod config;
pub mod runner;
pub mod slots;
pub mod state;
pub mod summary;
pub mod units;
pub mod zone;

pub use config::{
    AfterStep, ScheduleConfig, ScheduleConfigError, ScheduleEntry, ScheduledType, load_schedule,
    parse_schedule,
};
pub use slots::Slot;
pub use state::{EntryState, Outcome, ScheduleState};
pub use zone::Zone;
