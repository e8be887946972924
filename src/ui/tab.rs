//! The console's tabs, in display order.

use crate::i18n::Msg;

/// One console tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    /// Install, MongoDB connection, backup space, what is still to come.
    Overview,
    /// Log tailing and triage.
    Logs,
    /// Resources, services, alerts.
    System,
    /// Backup inventory and actions.
    Backups,
    /// MongoDB statistics and maintenance.
    Database,
    /// Maintenance checklists.
    Checklists,
    /// Emergency plan.
    Recovery,
}

impl Tab {
    /// All tabs in display order (index + 1 is the number key).
    pub const ALL: [Tab; 7] = [
        Tab::Overview,
        Tab::Logs,
        Tab::System,
        Tab::Backups,
        Tab::Database,
        Tab::Checklists,
        Tab::Recovery,
    ];

    /// Position in [`Tab::ALL`].
    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|tab| *tab == self).unwrap_or(0)
    }

    /// The tab after this one, wrapping around.
    pub fn next(self) -> Tab {
        Tab::ALL[(self.index() + 1) % Tab::ALL.len()]
    }

    /// The tab before this one, wrapping around.
    pub fn previous(self) -> Tab {
        Tab::ALL[(self.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]
    }

    /// Catalog key of the tab title.
    pub fn title(self) -> Msg {
        match self {
            Tab::Overview => Msg::TabOverview,
            Tab::Logs => Msg::TabLogs,
            Tab::System => Msg::TabSystem,
            Tab::Backups => Msg::TabBackups,
            Tab::Database => Msg::TabDatabase,
            Tab::Checklists => Msg::TabChecklists,
            Tab::Recovery => Msg::TabRecovery,
        }
    }
}
