//! Everything that can change the console state arrives as an [`Action`].

use std::time::Instant;

use crossterm::event::{KeyEvent, MouseEvent};

use super::log_actions::LogsAction;
use super::tab::Tab;
use super::tabs::backups::view::BackupsAction;
use super::tabs::checklists::view::{ChecklistsAction, ChecklistsCommand, ChecklistsEvent};
use super::tabs::database::view::DatabaseAction;
use super::tabs::recovery::view::{RecoveryAction, RecoveryCommand, RecoveryEvent};
use crate::backup::inventory::BackupOverview;
use crate::backup::progress::Progress;
use crate::backup::restore::{RestorePlan, RestoreRequest};
use crate::backup::snapshot::BackupsSnapshot;
use crate::backup::verify::VerifyLevel;
use crate::jobs::watch::WorkerEvent;
use crate::jobs::{JobId, JobSpec, JobStatus, Shared, WorkerRef};
use crate::logs::watch::LogEvent;
use crate::mongo::health::CheckResult;
use crate::mongo::probe::ConnectionState;
use crate::mongo::sample::DatabaseSample;
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
    /// The schedule was read (`None`: nothing scheduled).
    Schedule(Option<Result<crate::schedule::summary::ScheduleGlance, String>>),
    /// The backup directory was scanned in full for the Backups tab (or could not be).
    BackupInventory(Result<BackupsSnapshot, String>),
    /// A key meant for the Backups tab (selection, filter, sort).
    Backups(BackupsAction),
    /// A backup action key on the Backups tab.
    Job(JobAction),
    /// A running job reported progress.
    JobProgress {
        /// Which job.
        id: JobId,
        /// Its progress.
        progress: Progress,
        /// When the report was made.
        at: Instant,
    },
    /// A job ended.
    JobFinished {
        /// Which job.
        id: JobId,
        /// How it ended.
        status: JobStatus,
        /// When.
        at: Instant,
    },
    /// Job `id` was handed to a detached worker (it outlives this console).
    JobDetached {
        /// Which job.
        id: JobId,
        /// Its worker.
        worker: WorkerRef,
    },
    /// No detached worker could be started: job `id` runs inside this console.
    JobInConsole {
        /// Which job.
        id: JobId,
        /// Why it could not be detached.
        reason: String,
    },
    /// A note for job `id` (e.g. why a cancel could not be sent).
    JobMessage {
        /// Which job.
        id: JobId,
        /// The note.
        text: String,
    },
    /// The jobs directory reported a detached job (this console's or another's).
    Worker(WorkerEvent),
    /// The dry-run plan of a restore is ready (or could not be made).
    RestorePlanned {
        /// The request it was made for.
        request: Shared<RestoreRequest>,
        /// The plan, or why there is none.
        plan: Result<Shared<RestorePlan>, String>,
    },
    /// The Database tab's sampler finished a sample (or could not take one).
    DatabaseSampled(Result<Box<DatabaseSample>, String>),
    /// A navigation key of the Database tab.
    Database(DatabaseAction),
    /// A maintenance key of the Database tab.
    Maintenance(MaintenanceAction),
    /// The data health checks finished (or failed).
    HealthChecked {
        /// The results, or why there are none.
        results: Result<Vec<CheckResult>, String>,
        /// When they finished.
        at: chrono::DateTime<chrono::Utc>,
    },
    /// The log watcher reported.
    Log(LogEvent),
    /// A key of the Logs tab.
    Logs(LogsAction),
    /// Saving log entries finished (the file and the number of entries) or failed.
    LogsSaved(Result<(std::path::PathBuf, usize), String>),
    /// The system sampler took a sample.
    SystemSampled(Box<crate::system::metrics::SystemSample>),
    /// The services were asked for their state.
    ServicesChecked(Vec<crate::system::services::ServiceReport>),
    /// Scandy's `/health` was probed.
    HealthProbed(crate::system::http_probe::HealthProbe),
    /// MongoDB's connections and operations per second were read.
    MongoLoad(crate::ui::tabs::system::view::MongoLoad),
    /// A key of the System tab.
    System(SystemAction),
    /// A key of the Recovery tab.
    Recovery(RecoveryAction),
    /// The Recovery tab's background work reported.
    RecoveryEvent(RecoveryEvent),
    /// A key of the Checklists tab.
    Checklist(ChecklistsAction),
    /// The Checklists tab's background work reported.
    Checklists(ChecklistsEvent),
    /// A background task failed or panicked.
    TaskFailed {
        /// Which task.
        task: String,
        /// What happened.
        message: String,
    },
}

/// The backup actions on the Backups tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobAction {
    /// Take a new full backup.
    NewBackup,
    /// Verify the selected set.
    Verify(VerifyLevel),
    /// Open the restore dialog for the selected set.
    Restore,
    /// Open the export dialog for the selected set.
    Export,
    /// Preview what the retention rules would remove.
    Prune,
    /// Cancel the newest running job (after a confirmation).
    Cancel,
    /// Remove the finished jobs from the list (and their job files).
    Dismiss,
}

/// The keys of the System tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemAction {
    /// Move the service selection by this many rows.
    MoveService(isize),
    /// Restart the selected service (asks first).
    Restart,
    /// Sort the processes by memory instead of CPU, or back.
    ToggleSort,
}

/// The maintenance keys of the Database tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaintenanceAction {
    /// `validate` the selected collection.
    Validate,
    /// `validate` every collection with `full: true` (asks first).
    ValidateAll,
    /// `compact` the selected collection (asks first).
    Compact,
    /// `reIndex` the selected collection (standalone only; asks first).
    Reindex,
    /// Create Scandy's missing indexes (asks first).
    CreateIndexes,
    /// `killOp` the selected operation (asks first).
    KillOperation,
    /// Run the data health checks.
    RunHealthChecks,
    /// Apply the fix of the selected health check (asks first).
    FixCheck,
}

/// Work that `update` asks the event loop to start.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Wake the connection monitor so it retries at once.
    WakeMongoMonitor,
    /// Read the backup directory again now.
    RescanBackups,
    /// Run a job in the background.
    StartJob {
        /// Its number.
        id: JobId,
        /// What it does.
        spec: JobSpec,
    },
    /// Cancel a running job of this console.
    CancelJob(JobId),
    /// Ask a detached worker to cancel its job.
    CancelWorker {
        /// The job in the list.
        id: JobId,
        /// Its job file's key.
        key: String,
    },
    /// Remove the job files of these finished detached jobs.
    DismissJobs(Vec<String>),
    /// Work out a restore plan (dry run) for the restore dialog.
    PlanRestore(Shared<RestoreRequest>),
    /// Sample the database for the Database tab now.
    RefreshDatabase,
    /// Run the data health checks in the background.
    RunHealthChecks,
    /// Read older log entries.
    LoadOlderLogs,
    /// Write log entries to a file.
    SaveLogs {
        /// The file (an existing file is not overwritten).
        path: std::path::PathBuf,
        /// The text.
        text: String,
        /// How many entries it holds.
        count: usize,
    },
    /// Work of the Recovery tab.
    Recovery(RecoveryCommand),
    /// Work of the Checklists tab.
    Checklists(ChecklistsCommand),
}

impl From<BackupsAction> for Action {
    fn from(action: BackupsAction) -> Action {
        Action::Backups(action)
    }
}

impl From<JobAction> for Action {
    fn from(action: JobAction) -> Action {
        Action::Job(action)
    }
}

impl From<DatabaseAction> for Action {
    fn from(action: DatabaseAction) -> Action {
        Action::Database(action)
    }
}

impl From<MaintenanceAction> for Action {
    fn from(action: MaintenanceAction) -> Action {
        Action::Maintenance(action)
    }
}

impl From<LogsAction> for Action {
    fn from(action: LogsAction) -> Action {
        Action::Logs(action)
    }
}

impl From<RecoveryAction> for Action {
    fn from(action: RecoveryAction) -> Action {
        Action::Recovery(action)
    }
}

impl From<ChecklistsAction> for Action {
    fn from(action: ChecklistsAction) -> Action {
        Action::Checklist(action)
    }
}

impl From<SystemAction> for Action {
    fn from(action: SystemAction) -> Action {
        Action::System(action)
    }
}
