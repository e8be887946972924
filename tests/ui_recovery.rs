//! The Recovery tab: snapshots of every wizard step (and the intro, a guided fix, the
//! closed screen, the timeline) in English and German at 80x24 and 120x40, and the tab's
//! update logic (typed reason to skip the safety backup, typed confirmation before the
//! restore, resuming at the saved step).

mod ui_support;

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use scandyctl::backup::restore::{CollectionChange, DatabasePlan, RestorePlan, RestoreRequest};
use scandyctl::i18n::Lang;
use scandyctl::jobs::{JobSpec, Shared};
use scandyctl::notify::Priority;
use scandyctl::recovery::fixes::{DiskGuide, SizedItem};
use scandyctl::recovery::model::{
    CheckLevel, Diagnosis, Finding, IncidentKind, LostCollection, MongoState, PointSource,
    Reference,
};
use scandyctl::recovery::point::{LossWindow, RecoveryPoint, SkippedPoint};
use scandyctl::recovery::scope::RecoveryScope;
use scandyctl::recovery::settings::{Contact, RecoverySettings};
use scandyctl::recovery::steps::{restore_started, team_message, users_message};
use scandyctl::recovery::verify_after::VerificationReport;
use scandyctl::recovery::wizard::{
    RunState, SafetyDecision, SentMessage, Step, TimelineEntry, Wizard, load_wizard, save_wizard,
};
use scandyctl::ui::action::{Action, Command};
use scandyctl::ui::dialogs::text_input::TextInput;
use scandyctl::ui::state::{State, update};
use scandyctl::ui::tab::Tab;
use scandyctl::ui::tabs::recovery::view::{
    ClosedIncident, GuideView, Input, PreparedRestore, RecoveryAction, RecoveryCommand,
    RecoveryEvent,
};
use ui_support::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];
const SET: &str = "scandy-20261126T020000Z-full";

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, h, m, 0).unwrap()
}

fn collections() -> Vec<(String, u64)> {
    [
        ("tools", 412),
        ("consumables", 96),
        ("workers", 58),
        ("lendings", 2210),
        ("tickets", 131),
        ("users", 12),
        ("settings", 4),
    ]
    .iter()
    .map(|(n, c)| (n.to_string(), *c))
    .collect()
}

fn reference() -> Reference {
    Reference {
        id: SET.into(),
        source: PointSource::Set,
        created_at: at(2, 0),
        collections: collections(),
        upload_files: Some(40),
    }
}

fn diagnosis() -> Diagnosis {
    Diagnosis {
        at: at(5, 12),
        database: "scandy".into(),
        findings: vec![
            Finding::new(
                "SCY-REC-REFERENCE",
                CheckLevel::Ok,
                format!("newest backup to compare with: {SET}"),
            )
            .with("taken 2026-11-26 02:00 UTC"),
            Finding::new(
                "SCY-REC-MONGO",
                CheckLevel::Ok,
                "MongoDB answers (7.0.14, 2 ms)",
            ),
            Finding::new(
                "SCY-REC-COLLECTIONS",
                CheckLevel::Failed,
                "all 7 collections of scandy are gone",
            )
            .with("tools: 412 in the backup, missing now")
            .with("lendings: 2210 in the backup, missing now")
            .with("evil \u{1b}[31mred\u{7} name"),
            Finding::new(
                "SCY-REC-FILES",
                CheckLevel::Ok,
                "upload files: 40 of 40 present",
            ),
            Finding::new(
                "SCY-REC-DISK",
                CheckLevel::Ok,
                "/ 38.0 GiB free (62 % used)",
            ),
            Finding::new(
                "SCY-REC-SERVICE",
                CheckLevel::Skipped,
                "no Scandy service configured",
            ),
            Finding::new(
                "SCY-REC-LOGS",
                CheckLevel::Warning,
                "3 error kinds in the last hour",
            )
            .with("14× pymongo.errors.OperationFailure: ns not found"),
        ],
        incidents: vec![IncidentKind::DatabaseLost],
        severity: Priority::Critical,
        mongo: MongoState::Reachable {
            version: "7.0.14".into(),
            latency_ms: 2,
        },
        reference: Some(reference()),
        lost_collections: vec![LostCollection {
            name: "tools".into(),
            expected: 412,
            live: None,
        }],
        files: None,
        top_errors: Vec::new(),
    }
}

fn timeline() -> Vec<TimelineEntry> {
    let entry = |m, step, actor: &str, what: &str| TimelineEntry {
        at: at(5, m),
        step,
        actor: actor.into(),
        what: what.into(),
    };
    vec![
        entry(12, Step::Detection, "anna", "step 1: Detection"),
        entry(
            12,
            Step::Detection,
            "scandyctl",
            "detection: Database lost (database scandy)",
        ),
        entry(14, Step::Reaction, "anna", "step 2: Reaction"),
        entry(
            15,
            Step::Reaction,
            "anna",
            "team notified through 1 of 2 channel(s)",
        ),
        entry(16, Step::RecoveryPoint, "anna", "step 3: Recovery point"),
        entry(
            19,
            Step::RecoveryPoint,
            "scandyctl",
            "recovery point scandy-20261126T020000Z-full (taken 2026-11-26 02:00 UTC), deep verify passed; data-loss window 196 min",
        ),
    ]
}

/// A wizard at `step` with everything the earlier steps found.
fn wizard_at(step: Step) -> Wizard {
    let mut w = Wizard::start(at(5, 12));
    w.step = step;
    w.diagnosis = Some(diagnosis());
    w.incident = Some(IncidentKind::DatabaseLost);
    w.priority = Some(Priority::Critical);
    w.timeline = timeline();
    if step > Step::Reaction {
        w.team_notified = Some(SentMessage {
            at: at(5, 15),
            message: team_message(&w),
            channels: vec![
                ("mail-admins".into(), None),
                (
                    "chat".into(),
                    Some("POST https://chat.example/hook: connection refused".into()),
                ),
            ],
        });
    }
    if step > Step::RecoveryPoint {
        w.point = Some(RecoveryPoint {
            reference: reference(),
            verified_at: at(5, 19),
            skipped: vec![SkippedPoint {
                id: "scandy-20261126T040000Z-incr".into(),
                reason: "deep verify failed: database.archive: checksum mismatch".into(),
            }],
        });
        w.window = Some(LossWindow {
            from: at(2, 0),
            to: at(5, 16),
            changed_collections: collections().into_iter().map(|(n, _)| n).collect(),
            live_read: true,
        });
    }
    if step > Step::Safety {
        w.safety = Some(SafetyDecision::Take);
        w.scope = Some(RecoveryScope {
            whole_database: true,
            collections: Vec::new(),
            missing_files: false,
            not_in_backup: Vec::new(),
        });
    }
    if step > Step::Restore {
        let record = scandyctl::jobs::job_file::RestoreRecord::from(&request());
        let mut run = restore_started(&record, Some("20261126T052100000Z-restore-4242-1".into()));
        run.started_at = at(5, 21);
        run.finished_at = Some(at(5, 23));
        run.state = RunState::Done;
        run.documents = 2923;
        run.safety_backup = Some("scandy-20261126T052100Z-pre-restore".into());
        w.restore = Some(run);
    }
    if step > Step::Verification {
        w.verification = Some(VerificationReport {
            at: at(5, 24),
            checks: vec![
                Finding::new(
                    "SCY-VER-COUNTS",
                    CheckLevel::Ok,
                    "document counts match the backup (7 collections)",
                ),
                Finding::new(
                    "SCY-VER-INDEXES",
                    CheckLevel::Ok,
                    "indexes match the backup",
                ),
                Finding::new(
                    "SCY-VER-SAMPLE",
                    CheckLevel::Ok,
                    "140 sample documents read back",
                ),
                Finding::new(
                    "SCY-VER-DATA-HEALTH",
                    CheckLevel::Warning,
                    "Scandy data-health checks: 5 of 6 ok",
                )
                .with("2 lendings without a worker"),
                Finding::new(
                    "SCY-VER-LOGS",
                    CheckLevel::Ok,
                    "no new error kinds in the logs since the restore",
                ),
            ],
            passed: true,
            health_ok_at: None,
        });
    }
    w
}

fn request() -> RestoreRequest {
    RestoreRequest {
        id: SET.into(),
        only: Some(scandyctl::backup::restore::RestorePart::Db),
        collections: None,
        to_db: None,
        files_to: None,
        safety_backup: true,
        at: None,
        missing_files_only: false,
    }
}

fn prepared() -> PreparedRestore {
    let plan = RestorePlan::preview(
        SET,
        Some(DatabasePlan {
            target: "scandy".into(),
            live: true,
            collections: collections()
                .into_iter()
                .map(|(name, n)| CollectionChange {
                    current_documents: (name == "settings").then_some(1),
                    name,
                    backup_documents: n,
                })
                .collect(),
        }),
        None,
        true,
    );
    PreparedRestore {
        request: Shared::new(request()),
        plan: Shared::new(plan),
    }
}

fn settings() -> RecoverySettings {
    RecoverySettings {
        drop_threshold: 20,
        contacts: vec![
            Contact {
                name: "Anna Becker".into(),
                role: "IT".into(),
                phone: "+49 170 1234567".into(),
                email: "anna@example.org".into(),
            },
            Contact {
                name: "Jonas Weber".into(),
                role: "Werkstattleitung".into(),
                phone: "+49 171 7654321".into(),
                email: String::new(),
            },
        ],
        notes: "Schlüssel zum Serverraum: Büro 2.14\nBackups auf dem NAS: /mnt/nas/scandy".into(),
    }
}

/// The console on the Recovery tab with `w` open.
fn state_with(lang: Lang, w: Option<Wizard>) -> State {
    let mut state = connected_state(lang);
    update(&mut state, Action::SelectTab(Tab::Recovery));
    state.recovery.loaded = true;
    state.recovery.actor = "anna".into();
    state.recovery.settings = settings();
    state.recovery.reports = vec![
        "/var/lib/scandyctl/incidents/incident-20261002T081500Z.md".into(),
        "/var/lib/scandyctl/incidents/incident-20260714T192200Z.md".into(),
    ];
    if let Some(w) = &w {
        match w.step {
            Step::Reaction => state.recovery.draft = TextInput::with(team_message(w)),
            Step::Inform => state.recovery.draft = TextInput::with(users_message(w)),
            _ => {}
        }
    }
    state.recovery.wizard = w;
    state
}

fn snap(name: &str, make: impl Fn(Lang) -> State) {
    for lang in [Lang::En, Lang::De] {
        for (width, height) in SIZES {
            let mut state = make(lang);
            let screen = render_at(&mut state, width, height);
            assert!(
                !screen.contains('\u{1b}'),
                "{name}: a raw escape reached the screen"
            );
            insta::assert_snapshot!(
                format!("{name}_{}_{width}x{height}", lang_name(lang)),
                screen
            );
        }
    }
}

#[test]
fn intro_lists_earlier_reports() {
    snap("recovery_intro", |lang| state_with(lang, None));
}

#[test]
fn step_1_detection() {
    snap("recovery_1_detection", |lang| {
        state_with(lang, Some(wizard_at(Step::Detection)))
    });
}

#[test]
fn step_1_incident_picker() {
    snap("recovery_1_picker", |lang| {
        let mut s = state_with(lang, Some(wizard_at(Step::Detection)));
        s.recovery.input = Some(Input::PickIncident(2));
        s
    });
}

#[test]
fn step_2_reaction() {
    snap("recovery_2_reaction", |lang| {
        let mut w = wizard_at(Step::Reaction);
        w.team_notified = wizard_at(Step::RecoveryPoint).team_notified;
        state_with(lang, Some(w))
    });
}

#[test]
fn step_3_recovery_point() {
    snap("recovery_3_point", |lang| {
        state_with(lang, Some(wizard_at(Step::Safety))).with_step(Step::RecoveryPoint)
    });
}

#[test]
fn step_3_verifying() {
    snap("recovery_3_verifying", |lang| {
        let mut s = state_with(lang, Some(wizard_at(Step::RecoveryPoint)));
        s.recovery.busy = Some(scandyctl::ui::tabs::recovery::view::Busy::ChoosingPoint);
        s
    });
}

#[test]
fn step_4_safety() {
    snap("recovery_4_safety", |lang| {
        state_with(lang, Some(wizard_at(Step::Safety)))
    });
}

#[test]
fn step_4_skip_reason() {
    snap("recovery_4_skip_reason", |lang| {
        let mut s = state_with(lang, Some(wizard_at(Step::Safety)));
        s.recovery.input = Some(Input::SkipReason(TextInput::with(
            "MongoDB-Volume beschädigt",
        )));
        s
    });
}

#[test]
fn step_5_restore_confirmation() {
    snap("recovery_5_confirm", |lang| {
        let mut s = state_with(lang, Some(wizard_at(Step::Restore)));
        s.recovery.prepared = Some(prepared());
        s.recovery.input = Some(Input::ConfirmRestore(TextInput::with("scan")));
        s
    });
}

#[test]
fn step_5_restore_running() {
    snap("recovery_5_running", |lang| {
        let mut w = wizard_at(Step::Restore);
        let record = scandyctl::jobs::job_file::RestoreRecord::from(&request());
        let mut run = restore_started(&record, Some("20261126T052100000Z-restore-4242-1".into()));
        run.started_at = at(5, 21);
        w.restore = Some(run);
        state_with(lang, Some(w))
    });
}

#[test]
fn step_5_restore_failed() {
    snap("recovery_5_failed", |lang| {
        let mut w = wizard_at(Step::Restore);
        let record = scandyctl::jobs::job_file::RestoreRecord::from(&request());
        let mut run = restore_started(&record, Some("20261126T052100000Z-restore-4242-1".into()));
        run.started_at = at(5, 21);
        run.state = RunState::Failed;
        run.error = Some("the worker process (pid 4242) ended without writing an outcome".into());
        w.restore = Some(run);
        state_with(lang, Some(w))
    });
}

#[test]
fn step_6_verification() {
    snap("recovery_6_verification", |lang| {
        state_with(lang, Some(wizard_at(Step::Inform))).with_step(Step::Verification)
    });
}

#[test]
fn step_7_inform() {
    snap("recovery_7_inform", |lang| {
        state_with(lang, Some(wizard_at(Step::Inform)))
    });
}

#[test]
fn step_8_post_incident() {
    snap("recovery_8_post", |lang| {
        let mut s = state_with(lang, Some(wizard_at(Step::PostIncident)));
        s.recovery.notes = TextInput::with(
            "Backups stündlich statt täglich.\nDrop-Rechte nur für den Admin-Benutzer.",
        );
        s
    });
}

#[test]
fn step_8_typing_notes() {
    snap("recovery_8_typing", |lang| {
        let mut s = state_with(lang, Some(wizard_at(Step::PostIncident)));
        s.recovery.notes = TextInput::with("Backups stündlich.\nRechte prüfen");
        s.recovery.input = Some(Input::Notes);
        s
    });
}

#[test]
fn guided_fix_of_a_full_disk() {
    snap("recovery_fix_disk", |lang| {
        let mut w = wizard_at(Step::RecoveryPoint);
        w.incident = Some(IncidentKind::DiskFull);
        let mut s = state_with(lang, Some(w));
        let item = |name: &str, bytes: u64, note: &str| SizedItem {
            name: name.into(),
            bytes,
            note: note.into(),
        };
        s.recovery.guide = Some(GuideView::Disk(DiskGuide {
            largest_files: vec![
                item(
                    "/backups/scandy-20261120T020000Z-full/database.archive",
                    9 * GIB,
                    "",
                ),
                item("/opt/scandy/app/logs/app.log.1", 3 * GIB, ""),
            ],
            prunable_sets: vec![item(
                "scandy-20261001T020000Z-full",
                8 * GIB,
                "not kept by retention, 56 days",
            )],
            rotated_logs: vec![item(
                "/opt/scandy/app/logs/app.log.1",
                3 * GIB,
                "rotated log",
            )],
        }));
        s
    });
}

#[test]
fn guided_fix_of_broken_credentials() {
    snap("recovery_fix_credentials", |lang| {
        let mut w = wizard_at(Step::RecoveryPoint);
        w.incident = Some(IncidentKind::CredentialsBroken);
        if let Some(d) = w.diagnosis.as_mut() {
            d.findings[1] = Finding::new(
                "SCY-REC-MONGO",
                CheckLevel::Failed,
                "MongoDB refuses the credentials",
            )
            .with("the password in /opt/scandy/.env (MONGO_INITDB_ROOT_PASSWORD) no longer matches")
            .with("never run `docker compose down -v`: it deletes the database volume");
        }
        let mut s = state_with(lang, Some(w));
        s.recovery.guide = Some(GuideView::Credentials);
        s
    });
}

#[test]
fn timeline_pane() {
    snap("recovery_timeline", |lang| {
        let mut s = state_with(lang, Some(wizard_at(Step::Safety)));
        s.recovery.timeline = true;
        s
    });
}

#[test]
fn closed_screen() {
    snap("recovery_closed", |lang| {
        let mut s = state_with(lang, None);
        let mut w = wizard_at(Step::PostIncident);
        w.step = Step::Closed;
        s.recovery.closed = Some(ClosedIncident {
            wizard: Box::new(w),
            report: "/var/lib/scandyctl/incidents/incident-20261126T051200Z.md".into(),
        });
        s
    });
}

trait WithStep {
    fn with_step(self, step: Step) -> Self;
}

impl WithStep for State {
    fn with_step(mut self, step: Step) -> State {
        if let Some(w) = self.recovery.wizard.as_mut() {
            w.step = step;
        }
        self
    }
}

fn press(state: &mut State, code: KeyCode) -> Vec<Command> {
    update(state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_text(state: &mut State, text: &str) {
    for c in text.chars() {
        press(state, KeyCode::Char(c));
    }
}

#[test]
fn skipping_the_safety_backup_needs_a_typed_reason() {
    let mut s = state_with(Lang::En, Some(wizard_at(Step::Safety)));
    let out = update(&mut s, Action::Recovery(RecoveryAction::Skip));
    assert!(out.is_empty());
    assert!(matches!(s.recovery.input, Some(Input::SkipReason(_))));
    let out = press(&mut s, KeyCode::Enter);
    assert!(out.is_empty(), "an empty reason is refused: {out:?}");
    assert!(matches!(s.recovery.input, Some(Input::SkipReason(_))));
    assert!(s.recovery.notice.as_ref().is_some_and(|(_, error)| *error));
    type_text(&mut s, "   ");
    assert!(
        press(&mut s, KeyCode::Enter).is_empty(),
        "blanks are no reason"
    );
    type_text(&mut s, "volume damaged");
    let out = press(&mut s, KeyCode::Enter);
    let decision = out.iter().find_map(|c| match c {
        Command::Recovery(RecoveryCommand::Prepare { decision, .. }) => Some(decision.clone()),
        _ => None,
    });
    assert_eq!(
        decision,
        Some(Some(SafetyDecision::Skipped {
            reason: "volume damaged".into()
        }))
    );
    assert!(s.recovery.input.is_none());
}

#[test]
fn enter_on_the_safety_step_takes_the_safety_backup() {
    let mut s = state_with(Lang::En, Some(wizard_at(Step::Safety)));
    let out = press(&mut s, KeyCode::Enter);
    assert!(out.iter().any(|c| matches!(
        c,
        Command::Recovery(RecoveryCommand::Prepare {
            decision: Some(SafetyDecision::Take),
            ..
        })
    )));
}

#[test]
fn the_restore_starts_only_after_the_database_name_is_typed() {
    let mut s = state_with(Lang::En, Some(wizard_at(Step::Restore)));
    let out = update(
        &mut s,
        Action::RecoveryEvent(RecoveryEvent::Prepared {
            wizard: Box::new(wizard_at(Step::Restore)),
            prepared: prepared(),
        }),
    );
    assert!(
        out.iter()
            .any(|c| matches!(c, Command::Recovery(RecoveryCommand::Save(_))))
    );
    assert!(matches!(s.recovery.input, Some(Input::ConfirmRestore(_))));
    type_text(&mut s, "scandx");
    let out = press(&mut s, KeyCode::Enter);
    assert!(
        !out.iter().any(|c| matches!(c, Command::StartJob { .. })),
        "a wrong name starts nothing: {out:?}"
    );
    assert!(s.recovery.wizard.as_ref().unwrap().restore.is_none());
    assert!(
        s.recovery
            .notice
            .as_ref()
            .unwrap()
            .0
            .contains("that is not scandy")
    );
    press(&mut s, KeyCode::Backspace);
    type_text(&mut s, "y");
    let out = press(&mut s, KeyCode::Enter);
    let spec = out.iter().find_map(|c| match c {
        Command::StartJob { spec, .. } => Some(spec.clone()),
        _ => None,
    });
    assert!(matches!(spec, Some(JobSpec::Restore { .. })), "{out:?}");
    let saved = out.iter().find_map(|c| match c {
        Command::Recovery(RecoveryCommand::Save(w)) => Some(w.clone()),
        _ => None,
    });
    let saved = saved.expect("the wizard is saved when the restore starts");
    assert_eq!(saved.restore.as_ref().unwrap().state, RunState::Running);
    assert_eq!(s.recovery.restore_job, Some(s.next_job));
}

#[test]
fn resume_loads_the_saved_step_and_picks_up_the_restore_job() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = wizard_at(Step::Restore);
    let record = scandyctl::jobs::job_file::RestoreRecord::from(&request());
    w.restore = Some(restore_started(
        &record,
        Some("20261126T052100000Z-restore-1-1".into()),
    ));
    save_wizard(dir.path(), &w).unwrap();
    let loaded = load_wizard(dir.path()).unwrap();

    let mut s = connected_state(Lang::En);
    update(&mut s, Action::SelectTab(Tab::Recovery));
    let out = update(
        &mut s,
        Action::RecoveryEvent(RecoveryEvent::Loaded {
            wizard: Ok(loaded.map(Box::new)),
            reports: Vec::new(),
            settings: Box::new(settings()),
        }),
    );
    let resumed = s.recovery.wizard.as_ref().expect("resumed");
    assert_eq!(resumed.step, Step::Restore);
    assert_eq!(resumed, &w, "everything known so far is back");
    assert!(
        out.contains(&Command::Recovery(RecoveryCommand::ReadJob(
            "20261126T052100000Z-restore-1-1".into()
        ))),
        "{out:?}"
    );
    let screen = render(&s);
    assert!(screen.contains("Step 5 of 8: Restore"), "{screen}");

    let mut reaction = wizard_at(Step::Reaction);
    reaction.team_notified = None;
    save_wizard(dir.path(), &reaction).unwrap();
    let mut s = connected_state(Lang::En);
    update(
        &mut s,
        Action::RecoveryEvent(RecoveryEvent::Loaded {
            wizard: Ok(load_wizard(dir.path()).unwrap().map(Box::new)),
            reports: Vec::new(),
            settings: Box::new(settings()),
        }),
    );
    assert_eq!(s.recovery.wizard.as_ref().unwrap().step, Step::Reaction);
    assert_eq!(
        s.recovery.draft.value,
        team_message(&reaction),
        "the draft is prefilled"
    );
}

#[test]
fn the_tab_keys_are_in_the_help() {
    let lines = scandyctl::ui::keymap::tab_help_lines(Lang::En, Tab::Recovery);
    let joined: Vec<String> = lines.iter().map(|(k, d)| format!("{k} {d}")).collect();
    for wanted in [
        "n start a new recovery",
        "c correct the proposed incident",
        "t show or hide the timeline",
    ] {
        assert!(joined.iter().any(|l| l == wanted), "{wanted}: {joined:?}");
    }
}
