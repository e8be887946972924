//! Modal dialogs of the console: restore, export, prune, maintenance, cancel and quit
//! confirmations.
//! While one is open it receives every key (Ctrl-C still quits).

pub mod restore_form;
pub mod text_input;

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};

use self::restore_form::RestoreForm;
use self::text_input::TextInput;
use crate::backup::restore::RestoreRequest;
use crate::backup::retention::PrunePlan;
use crate::jobs::{BackupChoice, JobId, JobSpec, Shared};

/// An open dialog.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    /// Choose the kind of a new backup.
    BackupType {
        /// The highlighted choice.
        selected: BackupChoice,
    },
    /// Restore a set.
    Restore(Box<RestoreForm>),
    /// Export a set to a path.
    Export {
        /// Set id.
        id: String,
        /// Target path being edited.
        path: TextInput,
        /// Set when the path was refused.
        invalid: bool,
    },
    /// Confirm removing the sets a retention plan selected.
    Prune {
        /// The plan shown.
        plan: Shared<PrunePlan>,
        /// First row shown of the plan.
        scroll: usize,
    },
    /// Confirm cancelling a running job.
    CancelJob {
        /// The job.
        id: JobId,
    },
    /// Confirm quitting while jobs run (they are cancelled).
    Quit {
        /// How many jobs are running.
        running: usize,
    },
    /// Confirm a maintenance job: what it does, what it blocks, the exact statements.
    Confirm(Box<Confirmation>),
}

/// The content of a [`Dialog::Confirm`], worded when it opens.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmation {
    /// Dialog title.
    pub title: String,
    /// What will happen, one paragraph per entry.
    pub lines: Vec<String>,
    /// What it blocks or risks, if anything.
    pub warning: Option<String>,
    /// Exact statements that will run (mongosh), shown verbatim.
    pub statements: Vec<String>,
    /// The job started on "yes".
    pub spec: JobSpec,
}

/// What a key in a dialog asks the console to do.
#[derive(Debug, Clone, PartialEq)]
pub enum DialogOutcome {
    /// Keep the dialog open.
    Stay,
    /// Close the dialog.
    Close,
    /// Work out a restore plan (the dialog stays open and waits).
    PlanRestore(Shared<RestoreRequest>),
    /// Close the dialog and start this job.
    Start(JobSpec),
    /// Close the dialog and cancel this job.
    CancelJob(JobId),
    /// Quit the console, cancelling running jobs.
    Quit,
}

fn yes(key: &KeyEvent) -> bool {
    matches!(key.code, KeyCode::Char('y' | 'Y' | 'j' | 'J'))
}

fn no(key: &KeyEvent) -> bool {
    matches!(key.code, KeyCode::Esc | KeyCode::Char('n' | 'N'))
}

impl Dialog {
    /// Handles a key; `base` resolves relative export paths.
    pub fn on_key(&mut self, key: &KeyEvent, base: &std::path::Path) -> DialogOutcome {
        match self {
            Dialog::BackupType { selected } => {
                const ORDER: [BackupChoice; 3] = [
                    BackupChoice::Full,
                    BackupChoice::Incremental,
                    BackupChoice::Auto,
                ];
                let at = ORDER.iter().position(|c| c == selected).unwrap_or(0);
                let start = |choice| DialogOutcome::Start(JobSpec::Backup { choice });
                match key.code {
                    KeyCode::Char('f' | 'F' | 'v' | 'V') => start(BackupChoice::Full),
                    KeyCode::Char('i' | 'I') => start(BackupChoice::Incremental),
                    KeyCode::Char('a' | 'A') => start(BackupChoice::Auto),
                    KeyCode::Enter => start(*selected),
                    KeyCode::Up => {
                        *selected = ORDER[(at + ORDER.len() - 1) % ORDER.len()];
                        DialogOutcome::Stay
                    }
                    KeyCode::Down | KeyCode::Tab => {
                        *selected = ORDER[(at + 1) % ORDER.len()];
                        DialogOutcome::Stay
                    }
                    KeyCode::Esc => DialogOutcome::Close,
                    _ => DialogOutcome::Stay,
                }
            }
            Dialog::Restore(form) => form.on_key(key),
            Dialog::Export { id, path, invalid } => match key.code {
                KeyCode::Esc => DialogOutcome::Close,
                KeyCode::Enter => {
                    let text = path.value.trim();
                    if text.is_empty() {
                        *invalid = true;
                        return DialogOutcome::Stay;
                    }
                    let out = PathBuf::from(text);
                    let out = if out.is_absolute() {
                        out
                    } else {
                        base.join(out)
                    };
                    let out: PathBuf = out.components().collect();
                    DialogOutcome::Start(JobSpec::Export {
                        id: id.clone(),
                        out,
                    })
                }
                _ => {
                    if path.handle(key) {
                        *invalid = false;
                    }
                    DialogOutcome::Stay
                }
            },
            Dialog::Prune { plan, scroll } => match key.code {
                KeyCode::Down => {
                    *scroll = (*scroll + 1).min(plan.keep.len() + plan.remove.len());
                    DialogOutcome::Stay
                }
                KeyCode::Up => {
                    *scroll = scroll.saturating_sub(1);
                    DialogOutcome::Stay
                }
                KeyCode::Enter if plan.remove.is_empty() => DialogOutcome::Close,
                _ if yes(key) && !plan.remove.is_empty() => {
                    DialogOutcome::Start(JobSpec::Prune { plan: plan.clone() })
                }
                _ if no(key) => DialogOutcome::Close,
                _ => DialogOutcome::Stay,
            },
            Dialog::CancelJob { id } => {
                if yes(key) {
                    DialogOutcome::CancelJob(*id)
                } else if no(key) {
                    DialogOutcome::Close
                } else {
                    DialogOutcome::Stay
                }
            }
            Dialog::Confirm(confirmation) => {
                if yes(key) {
                    DialogOutcome::Start(confirmation.spec.clone())
                } else if no(key) {
                    DialogOutcome::Close
                } else {
                    DialogOutcome::Stay
                }
            }
            Dialog::Quit { .. } => {
                if yes(key) {
                    DialogOutcome::Quit
                } else if no(key) {
                    DialogOutcome::Close
                } else {
                    DialogOutcome::Stay
                }
            }
        }
    }
}
