//! The wizard's saved state: every step's result and a timeline, written atomically to the
//! state directory after every step, so quitting, a crash, a dropped SSH connection or a
//! reboot resumes at the same step with everything known so far.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};

use super::model::{Diagnosis, IncidentKind};
use super::point::{LossWindow, RecoveryPoint};
use super::scope::RecoveryScope;
use super::verify_after::VerificationReport;
use crate::jobs::job_file::RestoreRecord;
use crate::notify::Priority;

/// Version of the saved file.
pub const WIZARD_FORMAT: u32 = 1;

/// The wizard's steps (the guide's Erkennung, Reaktion, Wiederherstellung, Nachbereitung).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// 1: what is wrong.
    Detection,
    /// 2: priority, the team told, contacts and runbook notes.
    Reaction,
    /// 3: the backup to restore and the data-loss window.
    RecoveryPoint,
    /// 4: a safety backup of what is still readable.
    Safety,
    /// 5: the restore (or the guided fix of an incident that needs none).
    Restore,
    /// 6: counts, indexes, data health, `/health`, logs.
    Verification,
    /// 7: users told.
    Inform,
    /// 8: the incident report.
    PostIncident,
    /// Closed: the report is written.
    Closed,
}

impl Step {
    /// The eight steps in order.
    pub const ALL: [Step; 8] = [
        Step::Detection,
        Step::Reaction,
        Step::RecoveryPoint,
        Step::Safety,
        Step::Restore,
        Step::Verification,
        Step::Inform,
        Step::PostIncident,
    ];

    /// 1-based number (9 for closed).
    pub fn number(self) -> usize {
        Step::ALL
            .iter()
            .position(|s| *s == self)
            .map_or(9, |i| i + 1)
    }

    /// The next step.
    pub fn next(self) -> Step {
        Step::ALL
            .get(self.number())
            .copied()
            .unwrap_or(Step::Closed)
    }

    /// English name.
    pub fn title(self) -> &'static str {
        match self {
            Step::Detection => "Detection",
            Step::Reaction => "Reaction",
            Step::RecoveryPoint => "Recovery point",
            Step::Safety => "Safety backup",
            Step::Restore => "Restore",
            Step::Verification => "Verification",
            Step::Inform => "Inform users",
            Step::PostIncident => "Post-incident report",
            Step::Closed => "Closed",
        }
    }
}

/// One line of the timeline: when, which step, who, what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// The step it belongs to.
    pub step: Step,
    /// Who (login name, or `scandyctl` for automatic work).
    pub actor: String,
    /// What happened.
    pub what: String,
}

/// A notification that went out (or could not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    /// When.
    pub at: DateTime<Utc>,
    /// The text sent.
    pub message: String,
    /// Per channel: its name and `None` when delivered, else the error.
    pub channels: Vec<(String, Option<String>)>,
}

/// What was decided about the safety backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum SafetyDecision {
    /// The restore takes a pre-restore backup of the live state first.
    Take,
    /// The admin skipped it, with a typed reason.
    Skipped {
        /// The reason typed.
        reason: String,
    },
    /// Nothing readable is left to back up (MongoDB down, nothing restored over live data).
    NotPossible {
        /// Why.
        why: String,
    },
}

/// Where the restore stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Started, not finished.
    Running,
    /// Finished.
    Done,
    /// Failed or was interrupted.
    Failed,
}

/// The restore step's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreRun {
    /// What was restored.
    pub request: RestoreRecord,
    /// The set restored (a legacy backup's converted set).
    pub set_id: String,
    /// The detached job (console), when it runs as one.
    pub job_key: Option<String>,
    /// The process running it in place (`recover --auto`), when not a job.
    #[serde(default)]
    pub pid: Option<u32>,
    /// Where it stands.
    pub state: RunState,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// The safety backup taken first.
    pub safety_backup: Option<String>,
    /// Documents loaded.
    pub documents: u64,
    /// Files written.
    pub files_written: u64,
    /// Seconds per phase (`safety_backup`, `load`, `files`, `swap`, `total`).
    pub seconds: Vec<(String, f64)>,
    /// The error, when it failed.
    pub error: Option<String>,
}

/// The wizard's whole saved state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wizard {
    /// Version of this file.
    pub format: u32,
    /// Incident id (`incident-20261204T020312Z`).
    pub id: String,
    /// When the wizard started.
    pub started_at: DateTime<Utc>,
    /// The current step.
    pub step: Step,
    /// Detection's result.
    pub diagnosis: Option<Diagnosis>,
    /// The incident being handled (proposed, or corrected by the admin).
    pub incident: Option<IncidentKind>,
    /// Whether the admin corrected the proposal.
    pub corrected: bool,
    /// Priority of the incident.
    pub priority: Option<Priority>,
    /// The team notified (step 2).
    pub team_notified: Option<SentMessage>,
    /// The recovery point (step 3).
    pub point: Option<RecoveryPoint>,
    /// The data-loss window (step 3).
    pub window: Option<LossWindow>,
    /// What is restored.
    pub scope: Option<RecoveryScope>,
    /// Step 4's decision.
    pub safety: Option<SafetyDecision>,
    /// Step 5.
    pub restore: Option<RestoreRun>,
    /// Guided fix steps done for incidents that need no restore.
    pub fix_log: Vec<String>,
    /// Step 6.
    pub verification: Option<VerificationReport>,
    /// Users informed (step 7).
    pub users_informed: Option<SentMessage>,
    /// Prevention notes typed by the admin (step 8).
    pub prevention: String,
    /// The written report (Markdown), once closed.
    pub report: Option<PathBuf>,
    /// Every step, who did it and when.
    pub timeline: Vec<TimelineEntry>,
}

impl Wizard {
    /// A new wizard starting at detection.
    pub fn start(now: DateTime<Utc>) -> Wizard {
        Wizard {
            format: WIZARD_FORMAT,
            id: format!("incident-{}", now.format("%Y%m%dT%H%M%SZ")),
            started_at: now,
            step: Step::Detection,
            diagnosis: None,
            incident: None,
            corrected: false,
            priority: None,
            team_notified: None,
            point: None,
            window: None,
            scope: None,
            safety: None,
            restore: None,
            fix_log: Vec::new(),
            verification: None,
            users_informed: None,
            prevention: String::new(),
            report: None,
            timeline: Vec::new(),
        }
    }

    /// Adds a timeline line for the current step.
    pub fn log(&mut self, actor: &str, what: impl Into<String>) {
        self.timeline.push(TimelineEntry {
            at: Utc::now(),
            step: self.step,
            actor: actor.to_string(),
            what: what.into(),
        });
    }

    /// Moves to the next step.
    pub fn advance(&mut self) {
        self.step = self.step.next();
    }
}

/// The directory of the wizard's files in `state_dir`.
pub fn recovery_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("recovery")
}

/// The open wizard's file.
pub fn current_path(state_dir: &Path) -> PathBuf {
    recovery_dir(state_dir).join("current.json")
}

/// Saves `wizard` as the open one (atomically).
pub fn save_wizard(state_dir: &Path, wizard: &Wizard) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(wizard)?;
    crate::state::write_atomic(&current_path(state_dir), &bytes)
}

/// The open wizard, if there is one; a file that cannot be read is an error naming it.
pub fn load_wizard(state_dir: &Path) -> Result<Option<Wizard>> {
    let path = current_path(state_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).wrap_err_with(|| format!("cannot read {}", path.display())),
    };
    let wizard: Wizard = serde_json::from_str(&text)
        .wrap_err_with(|| format!("{} is not a recovery wizard state", path.display()))?;
    Ok(Some(wizard))
}

/// Closes the open wizard: its file is kept as `<id>.json` beside the reports.
pub fn close_wizard(state_dir: &Path, wizard: &Wizard) -> Result<PathBuf> {
    let kept = recovery_dir(state_dir).join(format!("{}.json", wizard.id));
    crate::state::write_atomic(&kept, &serde_json::to_vec_pretty(wizard)?)?;
    let current = current_path(state_dir);
    match std::fs::remove_file(&current) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).wrap_err_with(|| format!("cannot remove {}", current.display())),
    }
    Ok(kept)
}

/// The `status` warning for an open wizard: which incident, at which step.
pub fn open_wizard_warning(state_dir: &Path) -> Option<crate::backup::inventory::Warning> {
    let w = load_wizard(state_dir).ok().flatten()?;
    let incident = w.incident.map_or("no incident yet", |k| k.title());
    Some(crate::backup::inventory::Warning {
        code: "recovery-open",
        message: format!(
            "recovery {} is open at step {} ({}): {incident}; continue it in the console's \
             Recovery tab (scandyctl, then 7) or with scandyctl recover --auto --yes",
            w.id,
            w.step.number(),
            w.step.title()
        ),
        args: vec![
            w.id.clone(),
            w.step.number().to_string(),
            incident.to_string(),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_resumes_and_closes() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load_wizard(dir.path()).unwrap().is_none());
        let mut w = Wizard::start(Utc::now());
        w.log("anna", "started");
        w.advance();
        save_wizard(dir.path(), &w).unwrap();
        let back = load_wizard(dir.path()).unwrap().unwrap();
        assert_eq!(back, w);
        assert_eq!(back.step, Step::Reaction);
        let kept = close_wizard(dir.path(), &back).unwrap();
        assert!(kept.is_file());
        assert!(load_wizard(dir.path()).unwrap().is_none());
    }

    #[test]
    fn steps_run_in_order() {
        let mut step = Step::Detection;
        let mut seen = vec![step];
        while step != Step::Closed {
            step = step.next();
            seen.push(step);
        }
        assert_eq!(seen.len(), 9);
        assert_eq!(Step::PostIncident.next(), Step::Closed);
    }
}
