//! Snapshot tests of the Backups tab's actions: the restore dialog (choices, preview and
//! typed confirmation), running and finished jobs, the prune preview, export and cancel.

mod ui_support;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use scandyctl::backup::progress::{Progress, Stage};
use scandyctl::backup::restore::{CollectionChange, DatabasePlan, FilesPlan, RestorePlan};
use scandyctl::backup::retention::RetentionPolicy;
use scandyctl::backup::verify::{Finding, VerifyLevel};
use scandyctl::i18n::Lang;
use scandyctl::jobs::{JobResult, JobSpec, JobStatus, Shared};
use scandyctl::ui::action::{Action, Command};
use scandyctl::ui::dialogs::Dialog;
use scandyctl::ui::dialogs::restore_form::RestoreStep;
use scandyctl::ui::state::{State, update};
use ui_support::*;

fn press(state: &mut State, code: KeyCode) -> Vec<Command> {
    update(state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_text(state: &mut State, text: &str) {
    for c in text.chars() {
        press(state, KeyCode::Char(c));
    }
}

fn on_backups(lang: Lang) -> State {
    let mut state = connected_state(lang);
    update(&mut state, key('4'));
    state
}

/// Opens the restore dialog on the newest set and asks for the dry run with the given keys.
fn restore_planned(lang: Lang) -> (State, Shared<scandyctl::backup::restore::RestoreRequest>) {
    let mut state = on_backups(lang);
    press(&mut state, KeyCode::Char('R'));
    // Files off, database into another database named "scandy_check".
    let rows = match &state.dialog {
        Some(Dialog::Restore(form)) => form.rows(),
        other => panic!("restore dialog not open: {other:?}"),
    };
    let files_row = rows
        .iter()
        .position(|r| *r == scandyctl::ui::dialogs::restore_form::FormRow::Files)
        .unwrap();
    for _ in 0..files_row {
        press(&mut state, KeyCode::Down);
    }
    press(&mut state, KeyCode::Char(' '));
    press(&mut state, KeyCode::Up);
    press(&mut state, KeyCode::Char(' ')); // another database
    press(&mut state, KeyCode::Down); // name field
    for _ in 0.."scandy_restore".len() {
        press(&mut state, KeyCode::Backspace);
    }
    type_text(&mut state, "scandy_check");
    press(&mut state, KeyCode::Down);
    press(&mut state, KeyCode::Down);
    let commands = press(&mut state, KeyCode::Enter);
    let request = match commands.as_slice() {
        [Command::PlanRestore(request)] => request.clone(),
        other => panic!("expected a dry run, got {other:?}"),
    };
    (state, request)
}

fn preview_plan(id: &str) -> RestorePlan {
    RestorePlan::preview(
        id,
        Some(DatabasePlan {
            target: "scandy".into(),
            live: true,
            collections: vec![
                CollectionChange {
                    name: "tools".into(),
                    backup_documents: 1250,
                    current_documents: Some(1262),
                },
                CollectionChange {
                    name: "lendings".into(),
                    backup_documents: 2310,
                    current_documents: None,
                },
            ],
        }),
        Some(FilesPlan {
            target: "/opt/scandy".into(),
            added: vec!["app/uploads/new.png".into()],
            overwritten: vec!["app/uploads/tool-17.jpg".into(), ".env".into()],
            missing_only: false,
        }),
        true,
    )
}

#[test]
fn restore_form_builds_the_request_the_admin_chose() {
    let (state, request) = restore_planned(Lang::En);
    assert_eq!(request.to_db.as_deref(), Some("scandy_check"));
    assert_eq!(
        request.only,
        Some(scandyctl::backup::restore::RestorePart::Db)
    );
    assert_eq!(request.collections, None, "every collection stays chosen");
    assert!(request.safety_backup);
    let screen = render(&state);
    assert!(
        screen.contains("working out what the restore would change"),
        "{screen}"
    );
}

#[test]
fn restore_form_refuses_bad_choices_with_a_reason() {
    let mut state = on_backups(Lang::En);
    press(&mut state, KeyCode::Char('R'));
    press(&mut state, KeyCode::Char(' ')); // database off
    press(&mut state, KeyCode::Down); // files
    press(&mut state, KeyCode::Char(' ')); // files off
    press(&mut state, KeyCode::Down); // preview
    assert!(press(&mut state, KeyCode::Enter).is_empty());
    let screen = render(&state);
    assert!(
        screen.contains("choose the database, the files or both"),
        "{screen}"
    );
    insta::assert_snapshot!("restore_form_nothing_chosen_en", screen);
}

#[test]
fn restore_form_in_both_languages() {
    for lang in [Lang::En, Lang::De] {
        let mut state = on_backups(lang);
        press(&mut state, KeyCode::Char('R'));
        press(&mut state, KeyCode::Down);
        press(&mut state, KeyCode::Down);
        press(&mut state, KeyCode::Char(' ')); // users off
        let screen = render(&state);
        insta::assert_snapshot!(format!("restore_form_{}", lang_name(lang)), screen);
    }
}

#[test]
fn restore_confirmation_needs_the_exact_database_name() {
    for lang in [Lang::En, Lang::De] {
        let (mut state, request) = restore_planned(lang);
        let plan = Shared::new(preview_plan(&request.id));
        update(
            &mut state,
            Action::RestorePlanned {
                request: request.clone(),
                plan: Ok(plan.clone()),
            },
        );
        type_text(&mut state, "scand");
        let screen = render(&state);
        assert!(
            screen.contains("scandy_restore") || screen.contains("scand"),
            "{screen}"
        );
        insta::assert_snapshot!(format!("restore_confirm_{}", lang_name(lang)), screen);
        assert!(
            press(&mut state, KeyCode::Enter).is_empty(),
            "a partial name starts nothing"
        );
        assert!(
            matches!(&state.dialog, Some(Dialog::Restore(f)) if matches!(f.step, RestoreStep::Confirm { .. }))
        );
        if lang == Lang::En {
            assert!(render(&state).contains("that is not scandy; nothing was changed"));
        }
        type_text(&mut state, "y");
        let commands = press(&mut state, KeyCode::Enter);
        match commands.as_slice() {
            [
                Command::StartJob {
                    id: 1,
                    spec:
                        JobSpec::Restore {
                            plan: p,
                            request: r,
                        },
                },
            ] => {
                assert_eq!(*p, plan);
                assert_eq!(*r, request);
            }
            other => panic!("restore not started: {other:?}"),
        }
        assert!(state.dialog.is_none());
        assert_eq!(state.jobs.len(), 1);
    }
}

#[test]
fn a_failed_dry_run_returns_to_the_choices_with_the_reason() {
    let (mut state, request) = restore_planned(Lang::En);
    update(
        &mut state,
        Action::RestorePlanned {
            request,
            plan: Err(
                "MongoDB at mongodb://localhost:27017 is unreachable: refused \x1b[2J".into(),
            ),
        },
    );
    let screen = render(&state);
    assert!(screen.contains("the dry run failed: MongoDB"), "{screen}");
    assert!(
        screen.contains("\\x1b[2J"),
        "escape sequences are shown escaped: {screen}"
    );
}

fn progress(stage: Stage, items: u64, items_total: u64, bytes: u64) -> Progress {
    Progress {
        stage,
        items,
        items_total,
        bytes,
        bytes_total: 0,
    }
}

#[test]
fn running_and_finished_jobs_in_both_languages() {
    for lang in [Lang::En, Lang::De] {
        let mut state = on_backups(lang);
        let t0 = state.now;
        // Job 1: a verify that found a problem.
        update(&mut state, key('j'));
        let commands = update(&mut state, key('v'));
        assert!(matches!(
            commands.as_slice(),
            [Command::StartJob {
                id: 1,
                spec: JobSpec::Verify {
                    level: VerifyLevel::Quick,
                    ..
                }
            }]
        ));
        update(
            &mut state,
            Action::JobFinished {
                id: 1,
                status: JobStatus::Succeeded(JobResult::Verify {
                    id: "scandy-20261125T020000Z-full".into(),
                    level: VerifyLevel::Quick,
                    findings: vec![Finding {
                        subject: "files.tar.zst".into(),
                        message: "SHA-256 does not match".into(),
                    }],
                }),
                at: t0 + Duration::from_secs(2),
            },
        );
        // Job 2: an export that failed.
        update(&mut state, key('x'));
        let commands = press(&mut state, KeyCode::Enter);
        assert!(matches!(
            commands.as_slice(),
            [Command::StartJob {
                id: 2,
                spec: JobSpec::Export { .. }
            }]
        ));
        update(
            &mut state,
            Action::JobFinished {
                id: 2,
                status: JobStatus::Failed(
                    "/mnt/usb/x.tar already exists; choose another name (nothing was written)"
                        .into(),
                ),
                at: t0 + Duration::from_secs(3),
            },
        );
        // Job 3: a backup dumping the database, 40 % done after 8 s.
        update(&mut state, key('b'));
        let commands = update(&mut state, key('f'));
        assert!(matches!(
            commands.as_slice(),
            [Command::StartJob {
                id: 3,
                spec: JobSpec::Backup {
                    choice: scandyctl::jobs::BackupChoice::Full
                }
            }]
        ));
        let start = state.now;
        update(
            &mut state,
            Action::JobProgress {
                id: 3,
                progress: progress(Stage::Database, 0, 10_000, 0),
                at: start,
            },
        );
        update(
            &mut state,
            Action::JobProgress {
                id: 3,
                progress: progress(Stage::Database, 4_000, 10_000, 8 * 1024 * 1024),
                at: start + Duration::from_secs(8),
            },
        );
        update(&mut state, Action::Tick(start + Duration::from_secs(8)));
        let screen = render(&state);
        if lang == Lang::En {
            assert!(screen.contains("40%"), "{screen}");
            assert!(screen.contains("4000 / 10000 docs"), "{screen}");
            assert!(screen.contains("1.0 MiB/s"), "{screen}");
            assert!(screen.contains("ETA 0:12"), "{screen}");
            assert!(screen.contains("1 job(s) running"), "{screen}");
        }
        insta::assert_snapshot!(format!("jobs_running_{}", lang_name(lang)), screen);
    }
}

#[test]
fn cancel_asks_first_and_a_writing_restore_refuses() {
    let mut state = on_backups(Lang::En);
    update(&mut state, key('b'));
    update(&mut state, key('f'));
    update(&mut state, key('c'));
    let screen = render(&state);
    assert!(screen.contains("Cancel #1 backup (full)?"), "{screen}");
    insta::assert_snapshot!("jobs_cancel_confirm_en", screen);
    let commands = update(&mut state, key('y'));
    assert_eq!(commands, vec![Command::CancelJob(1)]);
    assert!(state.jobs[0].cancel_requested);

    let (mut state, request) = restore_planned(Lang::En);
    let plan = Shared::new(preview_plan(&request.id));
    update(
        &mut state,
        Action::RestorePlanned {
            request,
            plan: Ok(plan),
        },
    );
    type_text(&mut state, "scandy");
    press(&mut state, KeyCode::Enter);
    let at = state.now;
    update(
        &mut state,
        Action::JobProgress {
            id: 1,
            progress: progress(Stage::Restore, 10, 0, 100),
            at,
        },
    );
    assert!(update(&mut state, key('c')).is_empty());
    assert!(
        state.dialog.is_none(),
        "no confirmation for a cancel that cannot happen"
    );
    assert!(render(&state).contains("cannot cancel now"));
}

#[test]
fn quitting_while_a_job_runs_asks_first() {
    let mut state = on_backups(Lang::En);
    update(&mut state, key('b'));
    update(&mut state, key('f'));
    update(&mut state, key('q'));
    assert!(!state.quit);
    assert!(render(&state).contains("1 job(s) still running"));
    update(&mut state, key('n'));
    assert!(!state.quit && state.dialog.is_none());
    update(&mut state, key('q'));
    update(&mut state, key('y'));
    assert!(state.quit);
}

#[test]
fn prune_preview_lists_what_goes_and_why_the_rest_stays() {
    for lang in [Lang::En, Lang::De] {
        let mut state = on_backups(lang);
        state.retention = RetentionPolicy {
            keep_daily: 1,
            keep_weekly: 0,
            keep_monthly: 1,
            keep_pre_restore_days: 1,
        };
        update(&mut state, key('p'));
        let screen = render(&state);
        insta::assert_snapshot!(format!("prune_preview_{}", lang_name(lang)), screen);
        let plan = match &state.dialog {
            Some(Dialog::Prune { plan, .. }) => plan.clone(),
            other => panic!("prune dialog not open: {other:?}"),
        };
        let commands = update(&mut state, key('y'));
        let removed: Vec<&str> = plan.remove.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            removed,
            [
                "scandy-20261125T020000Z-full",
                "scandy-20261123T020000Z-full"
            ],
            "the failed set and the old one go: {screen}"
        );
        assert_eq!(
            commands,
            vec![Command::StartJob {
                id: 1,
                spec: JobSpec::Prune { plan }
            }]
        );
    }
}

#[test]
fn export_dialog_offers_a_path_and_resolves_relative_ones() {
    let mut state = on_backups(Lang::En);
    state.export_dir = "/srv/exports".into();
    update(&mut state, key('x'));
    let screen = render(&state);
    assert!(
        screen.contains("/srv/exports/scandy-20261126T020000Z-full.tar"),
        "{screen}"
    );
    insta::assert_snapshot!("export_dialog_en", screen);
    press(&mut state, KeyCode::Char('u'));
    update(
        &mut state,
        Action::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    assert!(
        press(&mut state, KeyCode::Enter).is_empty(),
        "an empty path is refused"
    );
    type_text(&mut state, "usb/set.tar");
    match press(&mut state, KeyCode::Enter).as_slice() {
        [
            Command::StartJob {
                spec: JobSpec::Export { out, .. },
                ..
            },
        ] => {
            assert_eq!(out, &std::path::PathBuf::from("/srv/exports/usb/set.tar"));
        }
        other => panic!("export not started: {other:?}"),
    }
}

fn worker(key: &str) -> scandyctl::jobs::WorkerRef {
    scandyctl::jobs::WorkerRef {
        key: key.into(),
        pid: 4242,
        host: "scandy-lxc".into(),
        log: format!("/var/lib/scandyctl/jobs/{key}.log").into(),
    }
}

fn report(
    key: &str,
    spec: JobSpec,
    started: std::time::Instant,
    status: JobStatus,
) -> scandyctl::jobs::watch::WorkerReport {
    scandyctl::jobs::watch::WorkerReport {
        worker: worker(key),
        spec,
        started,
        progress: None,
        cancel_requested: false,
        messages: Vec::new(),
        finished: (status != JobStatus::Running).then_some(started + Duration::from_secs(5)),
        status,
    }
}

#[test]
fn detached_jobs_follow_their_job_files_and_outlive_the_console() {
    use scandyctl::jobs::watch::WorkerEvent;
    let mut state = on_backups(Lang::En);
    let t0 = state.now;
    // This console's backup goes to a worker.
    update(&mut state, key('b'));
    update(&mut state, key('f'));
    update(
        &mut state,
        Action::JobDetached {
            id: 1,
            worker: worker("k-backup"),
        },
    );
    // Another console's deep verify, and a quick one whose worker died, turn up from their files.
    let mut verify = report(
        "k-verify",
        JobSpec::Verify {
            id: "scandy-20261126T020000Z-full".into(),
            level: VerifyLevel::Deep,
        },
        t0,
        JobStatus::Running,
    );
    verify.progress = Some((progress(Stage::Verify, 1, 2, 0), t0));
    update(
        &mut state,
        Action::Worker(WorkerEvent::Report(Box::new(verify.clone()))),
    );
    let died = report(
        "k-died",
        JobSpec::Verify {
            id: "scandy-20261125T020000Z-full".into(),
            level: VerifyLevel::Quick,
        },
        t0,
        JobStatus::Interrupted(
            "the worker process (pid 4242) ended without writing an outcome".into(),
        ),
    );
    let commands = update(
        &mut state,
        Action::Worker(WorkerEvent::Report(Box::new(died))),
    );
    assert_eq!(
        commands,
        vec![Command::RescanBackups],
        "an ended job rereads the sets"
    );
    assert_eq!(state.jobs.len(), 3);
    assert_eq!(state.jobs[1].id, 2, "found jobs get the next numbers");
    // The backup's own file reports progress, then the end.
    let mut backup = report(
        "k-backup",
        JobSpec::Backup {
            choice: scandyctl::jobs::BackupChoice::Full,
        },
        t0,
        JobStatus::Running,
    );
    backup.progress = Some((progress(Stage::Database, 400, 1000, 0), t0));
    backup.messages = vec!["a note from the worker".into()];
    update(
        &mut state,
        Action::Worker(WorkerEvent::Report(Box::new(backup.clone()))),
    );
    update(
        &mut state,
        Action::Worker(WorkerEvent::Report(Box::new(backup.clone()))),
    );
    assert_eq!(state.jobs.len(), 3, "the backup is matched by its key");
    assert_eq!(
        state.jobs[0].messages,
        vec!["a note from the worker"],
        "notes once"
    );
    assert_eq!(state.jobs[0].progress.unwrap().items, 400);
    update(&mut state, Action::Tick(t0 + Duration::from_secs(4)));
    let screen = render(&state);
    assert!(screen.contains("✗ #3 verify (quick)"), "{screen}");
    assert!(screen.contains("interrupted"), "{screen}");
    assert!(
        screen.contains("/var/lib/scandyctl/jobs/k-died.log"),
        "{screen}"
    );
    insta::assert_snapshot!("jobs_detached_en", screen);

    // Quitting does not ask: every running job is detached.
    update(&mut state, key('q'));
    assert!(state.quit && state.dialog.is_none());
    state.quit = false;

    // Cancel goes to the worker of the newest running job.
    update(&mut state, key('c'));
    assert!(matches!(state.dialog, Some(Dialog::CancelJob { id: 2 })));
    assert_eq!(
        update(&mut state, key('y')),
        vec![Command::CancelWorker {
            id: 2,
            key: "k-verify".into()
        }]
    );
    update(
        &mut state,
        Action::JobMessage {
            id: 2,
            text: "cannot cancel: the job runs on another-host (pid 1); cancel it there".into(),
        },
    );
    assert!(render(&state).contains("cancel it there"));

    // The backup ends; dismissing removes the finished jobs and their files.
    backup.status = JobStatus::Succeeded(scandyctl::jobs::JobResult::Backup {
        id: "scandy-20261127T020000Z-full".into(),
        notes: Vec::new(),
    });
    backup.finished = Some(t0 + Duration::from_secs(9));
    update(
        &mut state,
        Action::Worker(WorkerEvent::Report(Box::new(backup))),
    );
    assert!(!state.jobs[0].is_running());
    assert_eq!(
        state.jobs[0].elapsed(t0 + Duration::from_secs(60)),
        Duration::from_secs(9)
    );
    let commands = update(&mut state, key('d'));
    assert_eq!(
        commands,
        vec![Command::DismissJobs(vec![
            "k-backup".into(),
            "k-died".into()
        ])]
    );
    assert_eq!(state.jobs.len(), 1, "the running verify stays");
    // Another console dismissed it too: a removed file of a running job changes nothing.
    update(
        &mut state,
        Action::Worker(WorkerEvent::Gone("k-verify".into())),
    );
    assert_eq!(state.jobs.len(), 1);
}

#[test]
fn a_job_whose_worker_cannot_start_runs_in_the_console_and_says_so() {
    let mut state = on_backups(Lang::En);
    update(&mut state, key('b'));
    update(&mut state, key('f'));
    update(
        &mut state,
        Action::JobInConsole {
            id: 1,
            reason: "cannot create the state directory /var/lib/scandyctl: read-only".into(),
        },
    );
    let screen = render(&state);
    assert!(screen.contains("runs inside this console"), "{screen}");
    update(&mut state, key('q'));
    assert!(!state.quit, "quitting would cancel it: asks first");
}

#[test]
fn b_asks_full_incremental_or_auto() {
    let mut state = on_backups(Lang::En);
    assert!(
        update(&mut state, key('b')).is_empty(),
        "nothing starts before the choice"
    );
    let screen = render(&state);
    for expected in [
        "New backup",
        "f  full",
        "i  incremental",
        "a  auto",
        "Enter start",
    ] {
        assert!(screen.contains(expected), "{expected}: {screen}");
    }
    press(&mut state, KeyCode::Esc);
    assert!(!render(&state).contains("New backup"));
    update(&mut state, key('b'));
    let commands = update(&mut state, key('i'));
    assert!(
        matches!(
            commands.as_slice(),
            [Command::StartJob {
                spec: JobSpec::Backup {
                    choice: scandyctl::jobs::BackupChoice::Incremental
                },
                ..
            }]
        ),
        "{commands:?}"
    );
    let screen = render(&state);
    assert!(screen.contains("backup (incremental)"), "{screen}");
    let mut state = on_backups(Lang::De);
    update(&mut state, key('b'));
    let commands = press(&mut state, KeyCode::Enter);
    assert!(
        matches!(
            commands.as_slice(),
            [Command::StartJob {
                spec: JobSpec::Backup {
                    choice: scandyctl::jobs::BackupChoice::Auto
                },
                ..
            }]
        ),
        "Enter takes the highlighted auto: {commands:?}"
    );
}
