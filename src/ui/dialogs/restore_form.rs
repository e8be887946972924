//! The restore dialog: choose what and where, see the dry-run plan, type the database name.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};

use super::DialogOutcome;
use super::text_input::TextInput;
use crate::backup::manifest::Manifest;
use crate::backup::restore::{RestorePart, RestorePlan, RestoreRequest};
use crate::i18n::{Lang, Msg};
use crate::jobs::{JobSpec, Shared};

/// One collection of the set and whether it is restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionChoice {
    /// Collection name.
    pub name: String,
    /// Documents in the backup.
    pub documents: u64,
    /// Whether it is restored.
    pub chosen: bool,
}

/// A focusable row of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormRow {
    /// Restore the database part.
    Database,
    /// Select or clear every collection.
    AllCollections,
    /// One collection.
    Collection(usize),
    /// Live database or another one.
    DbTarget,
    /// Name of the other database.
    DbName,
    /// The point in time (empty: the set as it is).
    PointInTime,
    /// Restore the files part.
    Files,
    /// Original paths or another directory.
    FilesTarget,
    /// The other directory.
    FilesDir,
    /// Work out the plan.
    Preview,
}

/// Why the dialog refused to go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// Neither the database nor the files are chosen.
    NothingChosen,
    /// The database part has no collection chosen.
    NoCollection,
    /// The other database's name is not a valid MongoDB name.
    BadDatabaseName,
    /// The other directory is not an absolute path.
    BadDirectory,
    /// The point in time is not a time.
    BadTime,
    /// The dry run failed (MongoDB unreachable, set unreadable …).
    PlanFailed(String),
    /// The typed confirmation does not match this database name.
    Mismatch(String),
}

impl FormError {
    /// The message shown for this error.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            FormError::NothingChosen => Msg::RsNothingChosen.text(lang).into(),
            FormError::NoCollection => Msg::RsNoCollection.text(lang).into(),
            FormError::BadDatabaseName => Msg::RsBadDatabaseName.text(lang).into(),
            FormError::BadDirectory => Msg::RsBadDirectory.text(lang).into(),
            FormError::BadTime => Msg::RsBadTime.text(lang).into(),
            FormError::PlanFailed(why) => Msg::RsPlanFailed.fill(lang, &[why]),
            FormError::Mismatch(name) => Msg::RsMismatch.fill(lang, &[name]),
        }
    }
}

/// Where the dialog is.
#[derive(Debug, Clone, PartialEq)]
pub enum RestoreStep {
    /// Choosing parts and targets.
    Choose,
    /// Waiting for the dry-run plan.
    Planning,
    /// Showing the plan; the user types the database name.
    Confirm {
        /// The request the plan was made for.
        request: Shared<RestoreRequest>,
        /// What will change.
        plan: Shared<RestorePlan>,
        /// What the user typed so far.
        typed: TextInput,
    },
}

/// The restore dialog's state.
#[derive(Debug, Clone, PartialEq)]
pub struct RestoreForm {
    /// Set to restore.
    pub set_id: String,
    /// The configured (live) database.
    pub live_db: String,
    /// The Scandy root (original file paths).
    pub live_root: PathBuf,
    /// Restore the database part.
    pub database: bool,
    /// Restore the files part.
    pub files: bool,
    /// The set's collections.
    pub collections: Vec<CollectionChoice>,
    /// Restore into another database.
    pub db_elsewhere: bool,
    /// Its name.
    pub db_name: TextInput,
    /// Restore the files into another directory.
    pub files_elsewhere: bool,
    /// That directory.
    pub files_dir: TextInput,
    /// The point-in-time window, when oplog slices make one (`None`: no such row).
    pub window: Option<String>,
    /// The point in time typed (empty: the set as it is).
    pub at: TextInput,
    /// Focused row (index into [`RestoreForm::rows`]).
    pub focus: usize,
    /// Current step.
    pub step: RestoreStep,
    /// Why the last Enter was refused, or why the plan failed.
    pub error: Option<FormError>,
}

impl RestoreForm {
    /// A form for set `set_id` with every part and collection selected, live targets.
    pub fn new(
        set_id: &str,
        manifest: Option<&Manifest>,
        live_db: &str,
        live_root: PathBuf,
    ) -> RestoreForm {
        let collections = manifest
            .map(|m| {
                m.database
                    .collections
                    .iter()
                    .map(|c| CollectionChoice {
                        name: c.name.clone(),
                        documents: c.documents,
                        chosen: true,
                    })
                    .collect()
            })
            .unwrap_or_default();
        RestoreForm {
            set_id: set_id.to_string(),
            live_db: live_db.to_string(),
            live_root,
            database: true,
            files: true,
            collections,
            db_elsewhere: false,
            db_name: TextInput::with(format!("{live_db}_restore")),
            files_elsewhere: false,
            files_dir: TextInput::default(),
            window: None,
            at: TextInput::default(),
            focus: 0,
            step: RestoreStep::Choose,
            error: None,
        }
    }

    /// The rows shown for the current choices, in order.
    pub fn rows(&self) -> Vec<FormRow> {
        let mut rows = vec![FormRow::Database];
        if self.database {
            rows.push(FormRow::AllCollections);
            rows.extend((0..self.collections.len()).map(FormRow::Collection));
            rows.push(FormRow::DbTarget);
            if self.db_elsewhere {
                rows.push(FormRow::DbName);
            }
            if self.window.is_some() {
                rows.push(FormRow::PointInTime);
            }
        }
        rows.push(FormRow::Files);
        if self.files {
            rows.push(FormRow::FilesTarget);
            if self.files_elsewhere {
                rows.push(FormRow::FilesDir);
            }
        }
        rows.push(FormRow::Preview);
        rows
    }

    /// The focused row.
    pub fn focused(&self) -> FormRow {
        let rows = self.rows();
        rows[self.focus.min(rows.len() - 1)]
    }

    fn focus_row(&mut self, row: FormRow) {
        if let Some(at) = self.rows().iter().position(|r| *r == row) {
            self.focus = at;
        }
    }

    /// The database the restore writes to.
    pub fn target_db(&self) -> String {
        if self.db_elsewhere {
            self.db_name.value.trim().to_string()
        } else {
            self.live_db.clone()
        }
    }

    /// What the user must type to confirm: the database the restore concerns.
    pub fn confirm_word(&self) -> String {
        match &self.step {
            RestoreStep::Confirm { plan, .. } => plan
                .database
                .as_ref()
                .map(|d| d.target.clone())
                .unwrap_or_else(|| self.live_db.clone()),
            _ => self.target_db(),
        }
    }

    /// Handles a key (↑/↓/Tab move, Home/End jump unless a text field has the focus, Space
    /// and Enter toggle, Enter on Preview asks for the dry run); the outcome tells the caller
    /// what to do next.
    pub fn on_key(&mut self, key: &KeyEvent) -> DialogOutcome {
        match &mut self.step {
            RestoreStep::Choose => self.on_choose_key(key),
            RestoreStep::Planning => match key.code {
                KeyCode::Esc => DialogOutcome::Close,
                _ => DialogOutcome::Stay,
            },
            RestoreStep::Confirm {
                request,
                plan,
                typed,
            } => match key.code {
                KeyCode::Esc => {
                    self.step = RestoreStep::Choose;
                    self.error = None;
                    DialogOutcome::Stay
                }
                KeyCode::Enter => {
                    let expected = plan
                        .database
                        .as_ref()
                        .map(|d| d.target.clone())
                        .unwrap_or_else(|| self.live_db.clone());
                    if typed.value == expected {
                        DialogOutcome::Start(JobSpec::Restore {
                            request: request.clone(),
                            plan: plan.clone(),
                        })
                    } else {
                        self.error = Some(FormError::Mismatch(expected));
                        DialogOutcome::Stay
                    }
                }
                _ => {
                    if typed.handle(key) {
                        self.error = None;
                    }
                    DialogOutcome::Stay
                }
            },
        }
    }

    fn on_choose_key(&mut self, key: &KeyEvent) -> DialogOutcome {
        let rows = self.rows();
        let row = self.focused();
        match key.code {
            KeyCode::Esc => return DialogOutcome::Close,
            KeyCode::Up | KeyCode::BackTab => {
                self.focus = self.focus.min(rows.len() - 1).saturating_sub(1);
                return DialogOutcome::Stay;
            }
            KeyCode::Down | KeyCode::Tab => {
                self.focus = (self.focus + 1).min(rows.len() - 1);
                return DialogOutcome::Stay;
            }
            _ => {}
        }
        let editing = match row {
            FormRow::DbName => Some(&mut self.db_name),
            FormRow::FilesDir => Some(&mut self.files_dir),
            FormRow::PointInTime => Some(&mut self.at),
            _ => None,
        };
        if let Some(input) = editing {
            if key.code == KeyCode::Enter {
                self.focus = (self.focus + 1).min(rows.len() - 1);
            } else if input.handle(key) {
                self.error = None;
            }
            return DialogOutcome::Stay;
        }
        match key.code {
            KeyCode::Home | KeyCode::PageUp => {
                self.focus = 0;
                return DialogOutcome::Stay;
            }
            KeyCode::End | KeyCode::PageDown => {
                self.focus = rows.len() - 1;
                return DialogOutcome::Stay;
            }
            _ => {}
        }
        let toggle = matches!(key.code, KeyCode::Char(' ') | KeyCode::Enter);
        if !toggle {
            return DialogOutcome::Stay;
        }
        self.error = None;
        match row {
            FormRow::Database => self.database = !self.database,
            FormRow::AllCollections => {
                let all = self.collections.iter().all(|c| c.chosen);
                self.collections.iter_mut().for_each(|c| c.chosen = !all);
            }
            FormRow::Collection(i) => {
                if let Some(choice) = self.collections.get_mut(i) {
                    choice.chosen = !choice.chosen;
                }
            }
            FormRow::DbTarget => self.db_elsewhere = !self.db_elsewhere,
            FormRow::Files => self.files = !self.files,
            FormRow::FilesTarget => self.files_elsewhere = !self.files_elsewhere,
            FormRow::Preview => {
                return match self.request() {
                    Ok(request) => {
                        self.step = RestoreStep::Planning;
                        DialogOutcome::PlanRestore(Shared::new(request))
                    }
                    Err(msg) => {
                        self.error = Some(msg);
                        DialogOutcome::Stay
                    }
                };
            }
            FormRow::DbName | FormRow::FilesDir | FormRow::PointInTime => {}
        }
        self.focus_row(row);
        DialogOutcome::Stay
    }

    /// The request for the current choices, or the reason it cannot be made.
    pub fn request(&self) -> Result<RestoreRequest, FormError> {
        if !self.database && !self.files {
            return Err(FormError::NothingChosen);
        }
        let chosen: Vec<String> = self
            .collections
            .iter()
            .filter(|c| c.chosen)
            .map(|c| c.name.clone())
            .collect();
        if self.database && chosen.is_empty() {
            return Err(FormError::NoCollection);
        }
        if self.database && self.db_elsewhere && !valid_database_name(&self.target_db()) {
            return Err(FormError::BadDatabaseName);
        }
        let at = match self.at.value.trim() {
            "" => None,
            text if self.database => {
                Some(crate::backup::pitr::window::parse_time(text).ok_or(FormError::BadTime)?)
            }
            _ => None,
        };
        let files_dir = PathBuf::from(self.files_dir.value.trim());
        if self.files && self.files_elsewhere && !files_dir.is_absolute() {
            return Err(FormError::BadDirectory);
        }
        Ok(RestoreRequest {
            id: self.set_id.clone(),
            only: match (self.database, self.files && at.is_none()) {
                (true, false) => Some(RestorePart::Db),
                (false, true) => Some(RestorePart::Files),
                _ => None,
            },
            collections: (self.database && chosen.len() < self.collections.len()).then_some(chosen),
            to_db: (self.database && self.db_elsewhere).then(|| self.target_db()),
            files_to: (self.files && self.files_elsewhere).then_some(files_dir),
            safety_backup: true,
            at,
            missing_files_only: false,
        })
    }

    /// Takes the dry-run result; ignored unless the form is waiting for it.
    pub fn planned(
        &mut self,
        request: Shared<RestoreRequest>,
        plan: Result<Shared<RestorePlan>, String>,
    ) {
        if self.step != RestoreStep::Planning {
            return;
        }
        match plan {
            Ok(plan) => {
                self.step = RestoreStep::Confirm {
                    request,
                    plan,
                    typed: TextInput::default(),
                };
                self.error = None;
            }
            Err(message) => {
                self.step = RestoreStep::Choose;
                self.error = Some(FormError::PlanFailed(message));
            }
        }
    }
}

/// MongoDB's rules for database names (non-empty, < 64 bytes, none of `/\. "$*<>:|?`).
pub fn valid_database_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() < 64
        && !name
            .chars()
            .any(|c| "/\\. \"$*<>:|?".contains(c) || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn a_point_in_time_restores_the_database_only_and_bad_times_are_refused() {
        let mut form = RestoreForm::new("scandy-x-full", None, "scandy", "/opt/scandy".into());
        form.collections.push(CollectionChoice {
            name: "tools".into(),
            documents: 3,
            chosen: true,
        });
        assert!(!form.rows().contains(&FormRow::PointInTime));
        form.window = Some("any time from … to …, gap-free".into());
        assert!(form.rows().contains(&FormRow::PointInTime));
        form.focus_row(FormRow::PointInTime);
        for c in "2026-12-01 14:05".chars() {
            form.on_key(&key(KeyCode::Char(c)));
        }
        let request = form.request().unwrap();
        assert!(request.at.is_some());
        assert_eq!(request.only, Some(RestorePart::Db));
        form.on_key(&key(KeyCode::Char('x')));
        assert_eq!(form.request().unwrap_err(), FormError::BadTime);
    }
}
