//! Everything that can change the console state arrives as an [`Action`].

use std::time::Instant;

use crossterm::event::{KeyEvent, MouseEvent};

use super::tab::Tab;
use super::tabs::backups::view::BackupsAction;
use crate::backup::inventory::BackupOverview;
use crate::backup::snapshot::BackupsSnapshot;
use crate::mongo::probe::ConnectionState;
use crate::system::disk::DiskSpace;

/// An input to [`super::state::update`].
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Periodic clock tick carrying the current instant.
    Tick(Instant),
    /// A key press, mapped through the keymap by `update`.
    Key(KeyEvent),
    /// A mouse event (clicks on the tab bar select tabs).
    Mouse(MouseEvent),
    /// The terminal was resized.
    Resize(u16, u16),
    /// Leave the console.
    Quit,
    /// Show the next tab.
    NextTab,
    /// Show the previous tab.
    PreviousTab,
    /// Show a given tab.
    SelectTab(Tab),
    /// Open or close the help overlay.
    ToggleHelp,
    /// Close the topmost overlay (help or error message).
    CloseOverlay,
    /// Reconnect to MongoDB without waiting for the back-off.
    RetryMongo,
    /// The connection monitor reported a new state.
    Mongo(ConnectionState),
    /// The backup directory was measured (or could not be).
    BackupSpace(Result<DiskSpace, String>),
    /// The backup inventory was read (or could not be).
    BackupOverview(Result<BackupOverview, String>),
    /// The backup directory was scanned in full for the Backups tab (or could not be).
    BackupInventory(Result<BackupsSnapshot, String>),
    /// A key meant for the Backups tab (selection, filter, sort).
    Backups(BackupsAction),
    /// A background task failed or panicked.
    TaskFailed {
        /// Which task.
        task: String,
        /// What happened.
        message: String,
    },
}

/// Work that `update` asks the event loop to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Wake the connection monitor so it retries at once.
    WakeMongoMonitor,
}
