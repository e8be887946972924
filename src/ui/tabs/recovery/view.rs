//! The Recovery tab's state: the open wizard, what runs in the background, the open input
//! and the drafts; and the keys, reports and commands that drive it.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::backup::restore::{RestorePlan, RestoreRequest};
use crate::jobs::job_file::JobFile;
use crate::jobs::{JobId, Shared};
use crate::recovery::fixes::{DiskGuide, ServiceGuide};
use crate::recovery::model::{IncidentKind, PointSource};
use crate::recovery::settings::RecoverySettings;
use crate::recovery::wizard::{SafetyDecision, SentMessage, Wizard};
use crate::ui::dialogs::text_input::TextInput;
use crate::ui::widgets::table::Movement;

/// The word typed to confirm a service restart in the guided fix.
pub const RESTART_WORD: &str = "restart";

/// A key of the Recovery tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryAction {
    /// Start a new wizard (intro and closed screens).
    Start,
    /// The step's main action: go on, run, confirm.
    Continue,
    /// Correct the proposed incident (a picker).
    Correct,
    /// Run detection again.
    Detect,
    /// Edit the message or the prevention notes.
    Edit,
    /// Send the message.
    Send,
    /// Skip sending, or skip the safety backup (with a typed reason).
    Skip,
    /// Choose another backup as the recovery point.
    OtherBackup,
    /// Restart the Scandy services (guided fix, typed confirmation).
    Restart,
    /// Show or hide the timeline.
    ToggleTimeline,
    /// Scroll the step's text.
    Scroll(Movement),
}

/// Who a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The team (step 2).
    Team,
    /// The users (step 7).
    Users,
}

/// Background work of the tab (one at a time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// Reading the saved wizard.
    Loading,
    /// Step 1.
    Detecting,
    /// Setting the corrected incident.
    Correcting,
    /// Sending a message.
    Sending(Audience),
    /// Listing the backups to choose from.
    Listing,
    /// Step 3: deep-verifying backups.
    ChoosingPoint,
    /// Steps 4/5: scope, request and dry-run plan.
    Preparing,
    /// Reading the restore's job file.
    ReadingJob,
    /// After the restore: restarting the services found down.
    Finishing,
    /// Step 6.
    Verifying,
    /// Reading what the guided fix shows.
    LoadingGuide,
    /// Restarting services from the guided fix.
    Restarting,
    /// Step 8: writing the report and closing.
    Writing,
}

/// What the guided fix of an incident without a restore shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuideView {
    /// The Scandy service: status and last log lines.
    Service(ServiceGuide),
    /// A full disk: largest files, prunable sets, rotated logs.
    Disk(DiskGuide),
    /// MongoDB: its status and log tail.
    Mongo(ServiceGuide),
    /// Broken credentials: the finding's evidence (nothing to read).
    Credentials,
}

/// One backup in the "choose another backup" picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateRow {
    /// Set or legacy id.
    pub id: String,
    /// Set or legacy.
    pub source: PointSource,
    /// When it was taken.
    pub created_at: DateTime<Utc>,
    /// Why it is known to be unusable already.
    pub known_bad: Option<String>,
}

/// The open input of the tab (it receives every key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Editing the message draft.
    Message,
    /// Editing the prevention notes (multi-line).
    Notes,
    /// The reason for skipping the safety backup.
    SkipReason(TextInput),
    /// The database name typed to confirm the restore.
    ConfirmRestore(TextInput),
    /// The word typed to confirm restarting the services.
    ConfirmRestart(TextInput),
    /// Choosing the incident; the highlighted row of [`IncidentKind::ALL`].
    PickIncident(usize),
    /// Choosing the backup; the highlighted row of the candidates.
    PickBackup(usize),
}

/// The restore prepared in steps 4/5, waiting for the typed confirmation.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedRestore {
    /// What is restored.
    pub request: Shared<RestoreRequest>,
    /// The dry-run plan: what is overwritten.
    pub plan: Shared<RestorePlan>,
}

impl PreparedRestore {
    /// The word the admin types to confirm: the database the restore writes to.
    pub fn confirm_word(&self, live_db: &str) -> String {
        self.plan
            .database
            .as_ref()
            .map_or_else(|| live_db.to_string(), |d| d.target.clone())
    }
}

/// A wizard closed in this session.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedIncident {
    /// The wizard as closed.
    pub wizard: Box<Wizard>,
    /// The report (Markdown).
    pub report: PathBuf,
}

/// The Recovery tab's state.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryView {
    /// Whether the saved wizard was read (or could not be).
    pub loaded: bool,
    /// The open wizard.
    pub wizard: Option<Wizard>,
    /// `[recovery]`: contacts and runbook notes.
    pub settings: RecoverySettings,
    /// Who is at the keyboard.
    pub actor: String,
    /// Earlier incident reports, newest first.
    pub reports: Vec<PathBuf>,
    /// The wizard closed in this session.
    pub closed: Option<ClosedIncident>,
    /// The background work running now.
    pub busy: Option<Busy>,
    /// The open input.
    pub input: Option<Input>,
    /// The message being prepared (team in step 2, users in step 7).
    pub draft: TextInput,
    /// The prevention notes being typed (step 8).
    pub notes: TextInput,
    /// A note for the admin (`true`: an error).
    pub notice: Option<(String, bool)>,
    /// The backups to choose from.
    pub candidates: Vec<CandidateRow>,
    /// The restore waiting for its confirmation.
    pub prepared: Option<PreparedRestore>,
    /// The restore job of this session.
    pub restore_job: Option<JobId>,
    /// What the guided fix shows.
    pub guide: Option<GuideView>,
    /// First line shown of the step's text.
    pub scroll: u16,
    /// Whether the timeline is shown instead of the step.
    pub timeline: bool,
}

impl Default for RecoveryView {
    fn default() -> Self {
        RecoveryView {
            loaded: false,
            wizard: None,
            settings: RecoverySettings::default(),
            actor: "unknown".into(),
            reports: Vec::new(),
            closed: None,
            busy: None,
            input: None,
            draft: TextInput::default(),
            notes: TextInput::default(),
            notice: None,
            candidates: Vec::new(),
            prepared: None,
            restore_job: None,
            guide: None,
            scroll: 0,
            timeline: false,
        }
    }
}

/// What the recovery runner reports back.
#[derive(Debug, Clone, PartialEq)]
pub enum RecoveryEvent {
    /// The saved wizard was read (`None`: there is none) with the earlier reports.
    Loaded {
        /// The open wizard, or why it cannot be read.
        wizard: Result<Option<Box<Wizard>>, String>,
        /// Earlier reports, newest first.
        reports: Vec<PathBuf>,
        /// `[recovery]`.
        settings: Box<RecoverySettings>,
    },
    /// Background work on the wizard finished; the wizard as it is now (already saved).
    Done {
        /// Which work.
        what: Busy,
        /// The wizard after it.
        wizard: Box<Wizard>,
    },
    /// Background work failed; the wizard is unchanged unless given.
    Failed {
        /// Which work.
        what: Busy,
        /// Why.
        error: String,
        /// The wizard with what was logged on the way.
        wizard: Option<Box<Wizard>>,
    },
    /// A message was sent (or could not be).
    Sent {
        /// To whom.
        audience: Audience,
        /// Per channel results, or why nothing was sent.
        result: Result<SentMessage, String>,
    },
    /// The backups to choose from.
    Candidates(Vec<CandidateRow>),
    /// The restore is prepared (scope and request in the wizard, already saved).
    Prepared {
        /// The wizard with scope and safety decision.
        wizard: Box<Wizard>,
        /// What is restored and what is overwritten.
        prepared: PreparedRestore,
    },
    /// What the guided fix shows.
    Guide(GuideView),
    /// The restore's job file (on resume), or why it cannot be read.
    JobRead(Result<Box<JobFile>, String>),
    /// The wizard was closed with its report.
    Closed {
        /// The wizard as closed.
        wizard: Box<Wizard>,
        /// The report.
        report: PathBuf,
        /// Every report, newest first.
        reports: Vec<PathBuf>,
    },
    /// Saving the wizard failed.
    SaveFailed(String),
}

/// Work the Recovery tab asks the event loop for.
#[derive(Debug, Clone, PartialEq)]
pub enum RecoveryCommand {
    /// Read the saved wizard, the reports and `[recovery]`.
    Load,
    /// Save the wizard (in order with every other save).
    Save(Box<Wizard>),
    /// Step 1: detection.
    Detect(Box<Wizard>),
    /// Step 1: the admin's correction.
    Correct(Box<Wizard>, IncidentKind),
    /// Send a message.
    Send {
        /// The wizard (priority, incident).
        wizard: Box<Wizard>,
        /// The text.
        message: String,
        /// To whom.
        audience: Audience,
    },
    /// List the backups for the picker.
    ListCandidates,
    /// Step 3: choose (and deep-verify) the recovery point.
    ChoosePoint {
        /// The wizard.
        wizard: Box<Wizard>,
        /// The backup the admin chose, if any.
        wanted: Option<String>,
    },
    /// Steps 4/5: prepare the restore and its dry-run plan.
    Prepare {
        /// The wizard.
        wizard: Box<Wizard>,
        /// The safety decision (`None`: the engine's default).
        decision: Option<SafetyDecision>,
    },
    /// Read the restore's job file.
    ReadJob(String),
    /// After the restore: restart the services the diagnosis found down.
    AfterRestore(Box<Wizard>),
    /// Step 6 after a restore.
    Verify(Box<Wizard>),
    /// Step 6 after a guided fix: detection again.
    Recheck(Box<Wizard>),
    /// Read what the guided fix of this incident shows.
    Guide(IncidentKind),
    /// Restart the Scandy services (confirmed).
    RestartServices(Box<Wizard>),
    /// Step 8: write the report and close the wizard.
    Finish(Box<Wizard>),
}
