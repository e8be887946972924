//! Fixed texts of the Recovery tab: step and incident names, what runs, the key hints.

use ratatui::text::Span;

use super::update::restores;
use super::view::{Audience, Busy, Input};
use crate::i18n::{Lang, Msg};
use crate::recovery::model::{CheckLevel, IncidentKind};
use crate::recovery::wizard::{RunState, Step};
use crate::ui::state::State;
use crate::ui::theme;

/// The name of `step` in `lang`.
pub fn step_title(lang: Lang, step: Step) -> &'static str {
    match step {
        Step::Detection => Msg::RcStepDetection,
        Step::Reaction => Msg::RcStepReaction,
        Step::RecoveryPoint => Msg::RcStepPoint,
        Step::Safety => Msg::RcStepSafety,
        Step::Restore => Msg::RcStepRestore,
        Step::Verification => Msg::RcStepVerification,
        Step::Inform => Msg::RcStepInform,
        Step::PostIncident => Msg::RcStepPost,
        Step::Closed => Msg::RcStepClosed,
    }
    .text(lang)
}

/// The name of `kind` in `lang`.
pub fn incident_title(lang: Lang, kind: IncidentKind) -> &'static str {
    match kind {
        IncidentKind::CredentialsBroken => Msg::RcKindCredentials,
        IncidentKind::MongoDown => Msg::RcKindMongoDown,
        IncidentKind::DatabaseLost => Msg::RcKindDatabaseLost,
        IncidentKind::CollectionsLost => Msg::RcKindCollectionsLost,
        IncidentKind::FilesLost => Msg::RcKindFilesLost,
        IncidentKind::DiskFull => Msg::RcKindDiskFull,
        IncidentKind::ServiceDown => Msg::RcKindServiceDown,
    }
    .text(lang)
}

/// What the running background work is doing.
pub fn busy_text(lang: Lang, busy: Busy) -> &'static str {
    match busy {
        Busy::Loading => Msg::RcBusyLoading,
        Busy::Detecting => Msg::RcBusyDetecting,
        Busy::Correcting => Msg::RcBusyCorrecting,
        Busy::Sending(_) => Msg::RcBusySending,
        Busy::Listing => Msg::RcBusyListing,
        Busy::ChoosingPoint => Msg::RcBusyVerifying,
        Busy::Preparing => Msg::RcBusyPreparing,
        Busy::ReadingJob => Msg::RcBusyReadingJob,
        Busy::Finishing => Msg::RcBusyFinishing,
        Busy::Verifying => Msg::RcBusyChecking,
        Busy::LoadingGuide => Msg::RcBusyGuide,
        Busy::Restarting => Msg::RcBusyRestarting,
        Busy::Writing => Msg::RcBusyWriting,
    }
    .text(lang)
}

/// The mark of a check's level (`✓`, `!`, `✗`, `–`) in its colour.
pub fn level_mark(level: CheckLevel) -> Span<'static> {
    match level {
        CheckLevel::Ok => Span::styled("✓", theme::ok()),
        CheckLevel::Warning => Span::styled("!", theme::warn()),
        CheckLevel::Failed => Span::styled("✗", theme::bad()),
        CheckLevel::Skipped => Span::styled("–", theme::muted()),
    }
}

/// The key hints for what the tab shows now.
pub fn hints(state: &State) -> String {
    let lang = state.lang;
    let view = &state.recovery;
    let msg = match &view.input {
        Some(Input::Message) => Msg::RcHintsMessage,
        Some(Input::Notes) => Msg::RcHintsNotes,
        Some(Input::SkipReason(_)) => Msg::RcHintsReason,
        Some(Input::ConfirmRestore(_) | Input::ConfirmRestart(_)) => Msg::RcHintsConfirm,
        Some(Input::PickIncident(_) | Input::PickBackup(_)) => Msg::RcHintsPicker,
        None => match &view.wizard {
            None => Msg::RcHintsIntro,
            Some(_) if view.timeline => Msg::RcHintsTimeline,
            Some(w) => match w.step {
                Step::Detection if w.diagnosis.is_some() && w.incident.is_none() => {
                    Msg::RcHintsHealthy
                }
                Step::Detection => Msg::RcHintsDetection,
                Step::Reaction => Msg::RcHintsReaction,
                Step::RecoveryPoint if restores(w) => Msg::RcHintsPoint,
                Step::RecoveryPoint if w.incident == Some(IncidentKind::ServiceDown) => {
                    Msg::RcHintsFixRestart
                }
                Step::RecoveryPoint => Msg::RcHintsFix,
                Step::Safety => Msg::RcHintsSafety,
                Step::Restore => match w.restore.as_ref().map(|r| r.state) {
                    Some(RunState::Running) => Msg::RcHintsRestoreRunning,
                    Some(RunState::Failed) => Msg::RcHintsRestoreFailed,
                    _ => Msg::RcHintsRestore,
                },
                Step::Verification => Msg::RcHintsVerification,
                Step::Inform => Msg::RcHintsInform,
                Step::PostIncident | Step::Closed => Msg::RcHintsPost,
            },
        },
    };
    format!(" {}", msg.text(lang))
}

/// Who a message goes to, as a heading.
pub fn audience_heading(lang: Lang, audience: Audience) -> &'static str {
    match audience {
        Audience::Team => Msg::RcMessageTeam.text(lang),
        Audience::Users => Msg::RcMessageUsers.text(lang),
    }
}
