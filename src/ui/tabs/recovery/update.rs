//! The Recovery tab's pure update: keys move the wizard on, background reports fill it in.
//! Every change of the wizard is saved (a [`RecoveryCommand::Save`]); engine work leaves as
//! commands. Keys of an open input are in [`super::input`].

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::view::{
    Audience, Busy, ClosedIncident, GuideView, Input, RecoveryAction, RecoveryCommand,
    RecoveryEvent,
};
use crate::i18n::Msg;
use crate::jobs::JobStatus;
use crate::jobs::job_file::ResultRecord;
use crate::recovery::console_support::{
    restore_finished_from_job, restore_finished_from_result, restore_outcome_line,
};
use crate::recovery::model::IncidentKind;
use crate::recovery::steps::{enter, team_message, users_message};
use crate::recovery::wizard::{RunState, SafetyDecision, Step, Wizard};
use crate::ui::action::Command;
use crate::ui::dialogs::text_input::TextInput;
use crate::ui::state::State;
use crate::ui::widgets::table::Movement;

/// The command carrying `command`.
pub(super) fn cmd(command: RecoveryCommand) -> Command {
    Command::Recovery(command)
}

/// The command saving `w`.
pub(super) fn save(w: &Wizard) -> Command {
    cmd(RecoveryCommand::Save(Box::new(w.clone())))
}

fn notice(state: &mut State, msg: Msg, error: bool) {
    state.recovery.notice = Some((msg.text(state.lang).to_string(), error));
}

/// Whether the wizard's incident is fixed by a restore.
pub fn restores(w: &Wizard) -> bool {
    w.incident.is_some_and(IncidentKind::needs_restore)
}

/// A key of the tab.
pub fn on_action(state: &mut State, action: RecoveryAction) -> Vec<Command> {
    state.dirty = true;
    let view = &mut state.recovery;
    if let RecoveryAction::Scroll(movement) = action {
        view.scroll = match movement {
            Movement::Down => view.scroll.saturating_add(1),
            Movement::Up => view.scroll.saturating_sub(1),
            Movement::PageDown => view.scroll.saturating_add(10),
            Movement::PageUp => view.scroll.saturating_sub(10),
            Movement::Home => 0,
            Movement::End => u16::MAX,
        };
        return Vec::new();
    }
    if action == RecoveryAction::ToggleTimeline {
        view.timeline = !view.timeline;
        view.scroll = 0;
        return Vec::new();
    }
    view.notice = None;
    if view.busy.is_some() {
        notice(state, Msg::RcBusy, false);
        return Vec::new();
    }
    let Some(w) = state.recovery.wizard.clone() else {
        return match action {
            RecoveryAction::Start | RecoveryAction::Continue if state.recovery.loaded => {
                start(state)
            }
            _ => Vec::new(),
        };
    };
    match (w.step, action) {
        (_, RecoveryAction::Start) => {
            notice(state, Msg::RcAlreadyOpen, false);
            Vec::new()
        }
        (Step::Detection, RecoveryAction::Detect) => run_detection(state, w),
        (Step::Detection, RecoveryAction::Correct) if w.diagnosis.is_some() => {
            let at = w
                .incident
                .and_then(|k| IncidentKind::ALL.iter().position(|a| *a == k))
                .unwrap_or(0);
            state.recovery.input = Some(Input::PickIncident(at));
            Vec::new()
        }
        (Step::Reaction | Step::Inform, RecoveryAction::Edit) => {
            state.recovery.input = Some(Input::Message);
            Vec::new()
        }
        (Step::Reaction | Step::Inform, RecoveryAction::Send) => {
            let audience = if w.step == Step::Reaction {
                Audience::Team
            } else {
                Audience::Users
            };
            state.recovery.busy = Some(Busy::Sending(audience));
            vec![cmd(RecoveryCommand::Send {
                wizard: Box::new(w),
                message: state.recovery.draft.value.clone(),
                audience,
            })]
        }
        (Step::Reaction | Step::Inform, RecoveryAction::Skip) => {
            let mut w = w;
            w.log(
                &state.recovery.actor,
                if w.step == Step::Reaction {
                    "the team was not notified (skipped)"
                } else {
                    "the users were not informed (skipped)"
                },
            );
            advance(state, w)
        }
        (Step::RecoveryPoint, RecoveryAction::OtherBackup) if restores(&w) => {
            state.recovery.busy = Some(Busy::Listing);
            vec![cmd(RecoveryCommand::ListCandidates)]
        }
        (Step::RecoveryPoint, RecoveryAction::Restart)
            if w.incident == Some(IncidentKind::ServiceDown) =>
        {
            state.recovery.input = Some(Input::ConfirmRestart(TextInput::default()));
            Vec::new()
        }
        (Step::Safety, RecoveryAction::Skip) => {
            state.recovery.input = Some(Input::SkipReason(TextInput::default()));
            Vec::new()
        }
        (Step::PostIncident, RecoveryAction::Edit) => {
            state.recovery.input = Some(Input::Notes);
            Vec::new()
        }
        (_, RecoveryAction::Continue) => go_on(state, w),
        _ => Vec::new(),
    }
}

/// A new wizard at detection.
fn start(state: &mut State) -> Vec<Command> {
    let mut w = Wizard::start(chrono::Utc::now());
    enter(&mut w, &state.recovery.actor, Step::Detection);
    let view = &mut state.recovery;
    view.closed = None;
    view.prepared = None;
    view.guide = None;
    view.restore_job = None;
    view.scroll = 0;
    view.notes = TextInput::default();
    let mut out = vec![save(&w)];
    out.extend(run_detection(state, w));
    out
}

fn run_detection(state: &mut State, w: Wizard) -> Vec<Command> {
    state.recovery.wizard = Some(w.clone());
    state.recovery.busy = Some(Busy::Detecting);
    vec![cmd(RecoveryCommand::Detect(Box::new(w)))]
}

/// Moves `w` to the step after its current one and starts what that step runs.
fn advance(state: &mut State, w: Wizard) -> Vec<Command> {
    let next = match w.step {
        Step::RecoveryPoint if !restores(&w) => Step::Verification,
        other => other.next(),
    };
    enter_step(state, w, next)
}

/// Enters `step`, saves, and starts its work.
fn enter_step(state: &mut State, mut w: Wizard, step: Step) -> Vec<Command> {
    enter(&mut w, &state.recovery.actor, step);
    state.recovery.scroll = 0;
    let mut out = vec![save(&w)];
    out.extend(begin(state, &w));
    state.recovery.wizard = Some(w);
    out
}

/// What a step starts when it is entered or resumed.
fn begin(state: &mut State, w: &Wizard) -> Vec<Command> {
    let view = &mut state.recovery;
    let boxed = || Box::new(w.clone());
    match w.step {
        Step::Detection if w.diagnosis.is_none() => {
            view.busy = Some(Busy::Detecting);
            vec![cmd(RecoveryCommand::Detect(boxed()))]
        }
        Step::Reaction => {
            view.draft = TextInput::with(team_message(w));
            Vec::new()
        }
        Step::RecoveryPoint if restores(w) && w.point.is_none() => {
            view.busy = Some(Busy::ChoosingPoint);
            vec![cmd(RecoveryCommand::ChoosePoint {
                wizard: boxed(),
                wanted: None,
            })]
        }
        Step::RecoveryPoint if !restores(w) => match w.incident {
            Some(IncidentKind::CredentialsBroken) => {
                view.guide = Some(GuideView::Credentials);
                Vec::new()
            }
            Some(kind) => {
                view.busy = Some(Busy::LoadingGuide);
                vec![cmd(RecoveryCommand::Guide(kind))]
            }
            None => Vec::new(),
        },
        Step::Restore => match &w.restore {
            None if view.prepared.is_none() => {
                view.busy = Some(Busy::Preparing);
                vec![cmd(RecoveryCommand::Prepare {
                    wizard: boxed(),
                    decision: w.safety.clone(),
                })]
            }
            None => {
                view.input = Some(Input::ConfirmRestore(TextInput::default()));
                Vec::new()
            }
            Some(run) if run.state == RunState::Running => match &run.job_key {
                Some(key) => {
                    view.busy = Some(Busy::ReadingJob);
                    vec![cmd(RecoveryCommand::ReadJob(key.clone()))]
                }
                None => Vec::new(),
            },
            Some(run) if run.state == RunState::Done => {
                view.busy = Some(Busy::Finishing);
                vec![cmd(RecoveryCommand::AfterRestore(boxed()))]
            }
            Some(_) => Vec::new(),
        },
        Step::Verification if w.verification.is_none() => {
            view.busy = Some(Busy::Verifying);
            if restores(w) {
                vec![cmd(RecoveryCommand::Verify(boxed()))]
            } else {
                vec![cmd(RecoveryCommand::Recheck(boxed()))]
            }
        }
        Step::Inform => {
            view.draft = TextInput::with(users_message(w));
            Vec::new()
        }
        Step::PostIncident => {
            view.notes = TextInput::with(w.prevention.clone());
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Enter: the step's main action.
fn go_on(state: &mut State, mut w: Wizard) -> Vec<Command> {
    match w.step {
        Step::Detection => match &w.diagnosis {
            None => run_detection(state, w),
            Some(_) if w.incident.is_none() => finish(state, w),
            Some(_) => advance(state, w),
        },
        Step::RecoveryPoint if restores(&w) && w.point.is_none() => {
            state.recovery.busy = Some(Busy::ChoosingPoint);
            vec![cmd(RecoveryCommand::ChoosePoint {
                wizard: Box::new(w),
                wanted: None,
            })]
        }
        Step::RecoveryPoint if !restores(&w) => {
            let line = guide_summary(state, &w);
            w.fix_log.push(line.clone());
            w.log(&state.recovery.actor, line);
            advance(state, w)
        }
        Step::Safety => {
            let readable = w.diagnosis.as_ref().is_some_and(|d| d.mongo.readable());
            state.recovery.busy = Some(Busy::Preparing);
            state.recovery.prepared = None;
            vec![cmd(RecoveryCommand::Prepare {
                wizard: Box::new(w),
                decision: readable.then_some(SafetyDecision::Take),
            })]
        }
        Step::Restore => match w.restore.as_ref().map(|r| r.state) {
            Some(RunState::Running) => {
                notice(state, Msg::RcRestoreRunning, false);
                Vec::new()
            }
            Some(RunState::Failed) => {
                w.restore = None;
                state.recovery.prepared = None;
                w.log(&state.recovery.actor, "the restore is tried again");
                state.recovery.wizard = Some(w.clone());
                let mut out = vec![save(&w)];
                out.extend(begin(state, &w));
                out
            }
            _ => begin(state, &w),
        },
        Step::Verification if w.verification.is_none() => begin(state, &w),
        Step::PostIncident => {
            w.prevention = state.recovery.notes.value.clone();
            finish(state, w)
        }
        _ => advance(state, w),
    }
}

/// One line for the fix log: what the guided fix showed.
fn guide_summary(state: &State, w: &Wizard) -> String {
    let kind = w.incident.map_or("incident", |k| k.title());
    match &state.recovery.guide {
        Some(GuideView::Disk(d)) => format!(
            "{kind}: disk guide reviewed ({} largest files, {} prunable sets, {} rotated logs)",
            d.largest_files.len(),
            d.prunable_sets.len(),
            d.rotated_logs.len()
        ),
        Some(GuideView::Service(g) | GuideView::Mongo(g)) => {
            format!("{kind}: status and {} log lines reviewed", g.log_tail.len())
        }
        Some(GuideView::Credentials) => {
            format!("{kind}: credentials guide reviewed (.env checked by the admin)")
        }
        None => format!("{kind}: guided fix done"),
    }
}

/// Writes the report and closes the wizard.
fn finish(state: &mut State, mut w: Wizard) -> Vec<Command> {
    if w.step != Step::PostIncident {
        enter(&mut w, &state.recovery.actor, Step::PostIncident);
    }
    state.recovery.wizard = Some(w.clone());
    state.recovery.busy = Some(Busy::Writing);
    vec![save(&w), cmd(RecoveryCommand::Finish(Box::new(w)))]
}

/// After any job report: the wizard's restore follows its job (the key once detached, the
/// outcome once it ended).
pub fn follow_job(state: &mut State) -> Vec<Command> {
    let Some(mut w) = state.recovery.wizard.clone() else {
        return Vec::new();
    };
    let Some(run) = w.restore.as_mut().filter(|r| r.state == RunState::Running) else {
        return Vec::new();
    };
    let ours = state.recovery.restore_job;
    let Some(job) = state.jobs.iter().find(|j| {
        Some(j.id) == ours
            || (run.job_key.is_some() && j.worker.as_ref().map(|k| &k.key) == run.job_key.as_ref())
    }) else {
        return Vec::new();
    };
    let mut changed = false;
    if run.job_key.is_none()
        && let Some(worker) = &job.worker
    {
        run.job_key = Some(worker.key.clone());
        changed = true;
    }
    if !job.is_running() {
        let outcome = match &job.status {
            JobStatus::Succeeded(result) => ResultRecord::from_result(result)
                .ok_or_else(|| "the job recorded no restore result".to_string()),
            JobStatus::Failed(e) | JobStatus::Interrupted(e) => Err(e.clone()),
            JobStatus::Cancelled => Err("the restore was cancelled; nothing was changed".into()),
            JobStatus::Running => unreachable!("checked above"),
        };
        let started = run.started_at;
        restore_finished_from_result(run, outcome.as_ref().map_err(Clone::clone), started);
        return restore_ended(state, w);
    }
    if changed {
        state.recovery.wizard = Some(w.clone());
        state.dirty = true;
        return vec![save(&w)];
    }
    Vec::new()
}

/// The restore of `w` ended (its outcome filled in): logged, saved, and on success the
/// services are restarted and verification follows.
fn restore_ended(state: &mut State, mut w: Wizard) -> Vec<Command> {
    let Some(run) = &w.restore else {
        return Vec::new();
    };
    let done = run.state == RunState::Done;
    let line = restore_outcome_line(run);
    w.log("scandyctl", line);
    state.recovery.restore_job = None;
    state.dirty = true;
    let mut out = vec![save(&w)];
    if done {
        state.recovery.busy = Some(Busy::Finishing);
        out.push(cmd(RecoveryCommand::AfterRestore(Box::new(w.clone()))));
    } else {
        notice(state, Msg::RcRestoreFailed, true);
    }
    state.recovery.wizard = Some(w);
    out
}

/// A report of the recovery runner.
pub fn on_event(state: &mut State, event: RecoveryEvent) -> Vec<Command> {
    state.dirty = true;
    match event {
        RecoveryEvent::Loaded {
            wizard,
            reports,
            settings,
        } => {
            let view = &mut state.recovery;
            view.loaded = true;
            view.busy = None;
            view.reports = reports;
            view.settings = *settings;
            match wizard {
                Ok(Some(w)) => {
                    view.wizard = Some((*w).clone());
                    let mut out = begin(state, &w);
                    if w.step == Step::Restore
                        && w.restore
                            .as_ref()
                            .is_some_and(|r| r.state == RunState::Running && r.job_key.is_none())
                    {
                        let mut w = *w;
                        if let Some(run) = w.restore.as_mut() {
                            restore_finished_from_result(
                                run,
                                Err("the console ended before the restore job was handed over"
                                    .into()),
                                run.started_at,
                            );
                        }
                        out.extend(restore_ended(state, w));
                    }
                    out
                }
                Ok(None) => Vec::new(),
                Err(e) => {
                    view.notice = Some((e, true));
                    Vec::new()
                }
            }
        }
        RecoveryEvent::Done { what, wizard } => {
            state.recovery.busy = None;
            let w = *wizard;
            match what {
                Busy::Finishing => enter_step(state, w, Step::Verification),
                Busy::Restarting => {
                    let kind = w.incident;
                    state.recovery.wizard = Some(w);
                    match kind {
                        Some(kind) => {
                            state.recovery.busy = Some(Busy::LoadingGuide);
                            vec![cmd(RecoveryCommand::Guide(kind))]
                        }
                        None => Vec::new(),
                    }
                }
                _ => {
                    state.recovery.wizard = Some(w);
                    Vec::new()
                }
            }
        }
        RecoveryEvent::Failed {
            what,
            error,
            wizard,
        } => {
            let view = &mut state.recovery;
            view.busy = None;
            if let Some(w) = wizard {
                view.wizard = Some(*w);
            }
            let prefix = if what == Busy::ChoosingPoint {
                Msg::RcNoPoint.text(state.lang)
            } else {
                Msg::RcFailed.text(state.lang)
            };
            view.notice = Some((format!("{prefix}: {error}"), true));
            Vec::new()
        }
        RecoveryEvent::Sent { audience, result } => {
            let view = &mut state.recovery;
            view.busy = None;
            let Some(mut w) = view.wizard.clone() else {
                return Vec::new();
            };
            match result {
                Ok(sent) => {
                    let ok = sent.channels.iter().filter(|(_, e)| e.is_none()).count();
                    let who = match audience {
                        Audience::Team => "team",
                        Audience::Users => "users",
                    };
                    w.log(
                        &view.actor,
                        format!(
                            "{who} notified through {ok} of {} channel(s)",
                            sent.channels.len()
                        ),
                    );
                    match audience {
                        Audience::Team => w.team_notified = Some(sent),
                        Audience::Users => w.users_informed = Some(sent),
                    }
                }
                Err(e) => {
                    w.log(&view.actor, format!("message not sent: {e}"));
                    view.notice = Some((format!("{}: {e}", Msg::RcNotSent.text(state.lang)), true));
                }
            }
            view.wizard = Some(w.clone());
            vec![save(&w)]
        }
        RecoveryEvent::Candidates(list) => {
            let view = &mut state.recovery;
            view.busy = None;
            if list.is_empty() {
                notice(state, Msg::RcNoCandidates, true);
            } else {
                view.candidates = list;
                view.input = Some(Input::PickBackup(0));
            }
            Vec::new()
        }
        RecoveryEvent::Prepared { wizard, prepared } => {
            let view = &mut state.recovery;
            view.busy = None;
            view.prepared = Some(prepared);
            let w = *wizard;
            if w.step == Step::Restore {
                view.input = Some(Input::ConfirmRestore(TextInput::default()));
                view.wizard = Some(w.clone());
                vec![save(&w)]
            } else {
                let out = enter_step(state, w, Step::Restore);
                state.recovery.input = Some(Input::ConfirmRestore(TextInput::default()));
                out
            }
        }
        RecoveryEvent::Guide(guide) => {
            state.recovery.busy = None;
            state.recovery.guide = Some(guide);
            Vec::new()
        }
        RecoveryEvent::JobRead(result) => {
            state.recovery.busy = None;
            let Some(mut w) = state.recovery.wizard.clone() else {
                return Vec::new();
            };
            let Some(run) = w.restore.as_mut().filter(|r| r.state == RunState::Running) else {
                return Vec::new();
            };
            match result {
                Ok(file) => {
                    if restore_finished_from_job(run, &file) {
                        return restore_ended(state, w);
                    }
                    Vec::new()
                }
                Err(e) => {
                    let started = run.started_at;
                    restore_finished_from_result(run, Err(e), started);
                    restore_ended(state, w)
                }
            }
        }
        RecoveryEvent::Closed {
            wizard,
            report,
            reports,
        } => {
            let view = &mut state.recovery;
            view.busy = None;
            view.wizard = None;
            view.input = None;
            view.timeline = false;
            view.scroll = 0;
            view.reports = reports;
            view.closed = Some(ClosedIncident { wizard, report });
            Vec::new()
        }
        RecoveryEvent::SaveFailed(e) => {
            state.recovery.notice =
                Some((format!("{}: {e}", Msg::RcSaveFailed.text(state.lang)), true));
            Vec::new()
        }
    }
}

/// Whether `key` is Ctrl-C (it quits even while an input is open).
pub fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}
