//! The Checklists tab's update logic: keys become commands, the runner's reports fill the
//! view in, and the compact follow-up asks first, then compacts one collection at a time.

use crossterm::event::KeyCode;

use scandyctl::checks::{FollowUp, ItemKind, Text};
use scandyctl::jobs::{DbTask, JobSpec, JobStatus};
use scandyctl::ui::tabs::checklists::view::{Input, Mode};

use super::*;

#[test]
fn run_all_queues_the_automatic_items_once() {
    let mut s = tab_with(Lang::En, state_with(30, Vec::new()));
    let out = press(&mut s, KeyCode::Char('a'));
    let run = ChecklistsCommand::Run {
        cadence: Cadence::Daily,
        ids: vec!["SITE-UPS-001".into(), "SITE-NAS-002".into()],
    };
    assert_eq!(out, vec![Command::Checklists(run)]);
    assert_eq!(s.checklists.running.len(), 2);
    assert!(
        press(&mut s, KeyCode::Char('a')).is_empty(),
        "no second run while one runs"
    );
    assert!(s.checklists.notice.is_some());
    assert_eq!(
        press(&mut s, KeyCode::Char('r')),
        vec![Command::WakeMongoMonitor],
        "r keeps its global meaning"
    );
    let done = |id: &str| ChecklistsEvent::ItemDone {
        id: id.into(),
        outcome: Ok((Box::new(ok(id, 9)), false)),
        snapshot: None,
    };
    update(&mut s, Action::Checklists(done("SITE-UPS-001")));
    update(&mut s, Action::Checklists(done("SITE-NAS-002")));
    assert!(s.checklists.running.is_empty());
    assert!(
        !press(&mut s, KeyCode::Char('a')).is_empty(),
        "a runs again once done"
    );
}

#[test]
fn enter_reruns_an_automatic_item_and_confirms_a_manual_one_with_its_comment() {
    let mut s = tab_with(Lang::En, state_with(30, Vec::new()));
    let out = press(&mut s, KeyCode::Enter);
    let one = ChecklistsCommand::Run {
        cadence: Cadence::Daily,
        ids: vec!["SITE-UPS-001".into()],
    };
    assert_eq!(out, vec![Command::Checklists(one)]);
    press(&mut s, KeyCode::Down);
    assert!(
        press(&mut s, KeyCode::Char('c')).is_empty(),
        "c on an automatic item only explains"
    );
    assert!(s.checklists.input.is_none());
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Enter);
    assert!(matches!(s.checklists.input, Some(Input::Comment { .. })));
    assert!(press(&mut s, KeyCode::Esc).is_empty(), "Esc cancels");
    assert!(s.checklists.input.is_none());
    press(&mut s, KeyCode::Char('c'));
    type_text(&mut s, "Platte 3 im Tresor");
    assert_eq!(
        s.tab,
        Tab::Checklists,
        "digits and letters go into the comment"
    );
    let out = press(&mut s, KeyCode::Enter);
    let confirm = ChecklistsCommand::Confirm {
        id: "SITE-DISK-003".into(),
        comment: Some("Platte 3 im Tresor".into()),
    };
    assert_eq!(out, vec![Command::Checklists(confirm)]);
    let mut completed = state_with(
        30,
        vec![
            ok("SITE-UPS-001", 5),
            ok("SITE-NAS-002", 6),
            confirmed("SITE-DISK-003", "Platte 3 im Tresor"),
        ],
    );
    completed.completed.insert(Cadence::Daily, at(8, 20));
    update(
        &mut s,
        Action::Checklists(ChecklistsEvent::ItemDone {
            id: "SITE-DISK-003".into(),
            outcome: Ok((
                Box::new(confirmed("SITE-DISK-003", "Platte 3 im Tresor")),
                true,
            )),
            snapshot: Some(Box::new(snapshot(completed))),
        }),
    );
    assert!(!s.checklists.running.contains_key("SITE-DISK-003"));
    assert!(
        s.checklists.running.contains_key("SITE-UPS-001"),
        "the rerun of SITE-UPS-001 is still queued"
    );
    assert_eq!(
        s.checklists.notice.as_ref().map(|(t, _)| t.as_str()),
        Some("Daily checklist completed")
    );
    let screen = render_at(&mut s, 100, 30);
    assert!(screen.contains("Daily: done"), "{screen}");
    assert!(screen.contains("Platte 3 im Tresor"), "{screen}");
}

#[test]
fn checklist_keys_switch_views_and_esc_returns() {
    let mut s = tab_with(Lang::En, state_with(30, Vec::new()));
    press(&mut s, KeyCode::Char('w'));
    assert_eq!(s.checklists.cadence, Cadence::Weekly);
    press(&mut s, KeyCode::Right);
    assert_eq!(s.checklists.cadence, Cadence::Monthly);
    press(&mut s, KeyCode::Right);
    assert_eq!(s.checklists.cadence, Cadence::Daily, "→ wraps around");
    press(&mut s, KeyCode::Left);
    assert_eq!(s.checklists.cadence, Cadence::Monthly);
    assert!(
        press(&mut s, KeyCode::Char('a')).is_empty(),
        "monthly has no automatic item here"
    );
    let out = press(&mut s, KeyCode::Char('l'));
    assert_eq!(out, vec![Command::Checklists(ChecklistsCommand::Load)]);
    assert_eq!(s.checklists.mode, Mode::Log);
    assert!(
        press(&mut s, KeyCode::Char('a')).is_empty(),
        "no run from the log view"
    );
    press(&mut s, KeyCode::Char('t'));
    assert_eq!(s.checklists.log_kind.as_deref(), Some("backup"));
    press(&mut s, KeyCode::Char('t'));
    press(&mut s, KeyCode::Char('t'));
    press(&mut s, KeyCode::Char('t'));
    assert_eq!(s.checklists.log_kind, None, "t cycles back to all kinds");
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.checklists.mode, Mode::Checklist);
    assert_eq!(s.tab, Tab::Checklists);
    assert_eq!(update(&mut s, Action::SelectTab(Tab::Overview)), Vec::new());
    assert_eq!(
        update(&mut s, Action::SelectTab(Tab::Checklists)),
        vec![Command::Checklists(ChecklistsCommand::Load)],
        "showing the tab reads the state again"
    );
}

#[test]
fn the_compact_follow_up_asks_then_compacts_one_collection_after_the_other() {
    let mut s = connected_state(Lang::En);
    let def = ItemDef {
        id: "SCY-DB-011".into(),
        cadence: Cadence::Weekly,
        kind: ItemKind::Automatic,
        title: Text::same("compact"),
        fix: Text::same(""),
        follow_up: Some(FollowUp::Compact),
    };
    s.checklists = ChecklistsView::new(vec![def]);
    update(&mut s, Action::SelectTab(Tab::Checklists));
    let mut state = ChecklistsState::default();
    state.rounds.insert(
        Cadence::Weekly,
        Round {
            started: Some(at(8, 0)),
            completed: None,
            results: [(
                "SCY-DB-011".to_string(),
                result(
                    "SCY-DB-011",
                    Severity::Info,
                    "2 collections could shrink",
                    at(8, 1),
                ),
            )]
            .into(),
        },
    );
    loaded(&mut s, state);
    press(&mut s, KeyCode::Char('w'));
    assert_eq!(
        press(&mut s, KeyCode::Char('f')),
        vec![Command::Checklists(ChecklistsCommand::ListCollections)]
    );
    update(
        &mut s,
        Action::Checklists(ChecklistsEvent::Collections(Ok(vec![
            "lendings".into(),
            "tools".into(),
            "users".into(),
        ]))),
    );
    let Some(Input::FollowUp(plan)) = &s.checklists.input else {
        panic!("no confirmation: {:?}", s.checklists.input)
    };
    assert_eq!(plan.statements[1], "db.runCommand({ compact: \"tools\" })");
    let screen = render_at(&mut s, 100, 30);
    assert!(
        screen.contains("Compact 3 collections of scandy"),
        "{screen}"
    );
    let compact = |c: &str| {
        JobSpec::Db(DbTask::Compact {
            collection: c.into(),
        })
    };
    let out = press(&mut s, KeyCode::Char('y'));
    assert!(
        matches!(&out[..], [Command::StartJob { spec, .. }] if *spec == compact("lendings")),
        "{out:?}"
    );
    let finish = |s: &mut State, status| {
        let (id, at) = (s.next_job, s.now);
        update(s, Action::JobFinished { id, status, at })
    };
    let out = finish(
        &mut s,
        JobStatus::Failed("compact of lendings: timed out".into()),
    );
    let started: Vec<&JobSpec> = out
        .iter()
        .filter_map(|c| match c {
            Command::StartJob { spec, .. } => Some(spec),
            _ => None,
        })
        .collect();
    assert_eq!(started, [&compact("tools")], "{out:?}");
    let out = finish(
        &mut s,
        JobStatus::Failed("compact on tools: not supported by this server".into()),
    );
    assert!(
        !out.iter().any(|c| matches!(c, Command::StartJob { .. })),
        "a server without compact stops the queue: {out:?}"
    );
    let (text, error) = s.checklists.notice.clone().expect("a notice");
    assert!(error && text.contains("not supported"), "{text}");
    assert!(!s.checklists.is_busy());
}

#[test]
fn an_item_without_a_follow_up_says_so() {
    let mut s = tab_with(Lang::En, state_with(30, failed_results()));
    press(&mut s, KeyCode::Char('f'));
    let (text, _) = s.checklists.notice.clone().expect("a notice");
    assert_eq!(text, "SITE-UPS-001 offers no follow-up");
}

#[test]
fn the_logrotate_follow_up_shows_the_rule_and_writes_only_after_yes() {
    let mut s = connected_state(Lang::En);
    let def = ItemDef {
        id: "SCY-LOG-010".into(),
        cadence: Cadence::Daily,
        kind: ItemKind::Automatic,
        title: Text::same("logrotate"),
        fix: Text::same(""),
        follow_up: Some(FollowUp::WriteLogrotate),
    };
    s.checklists = ChecklistsView::new(vec![def]);
    s.checklists.logrotate = Some((
        "/etc/logrotate.d/scandy".into(),
        "/opt/scandy/app/logs/*.log {\n    weekly\n}\n".into(),
    ));
    update(&mut s, Action::SelectTab(Tab::Checklists));
    press(&mut s, KeyCode::Char('f'));
    assert_eq!(
        s.checklists.notice.as_ref().map(|(t, _)| t.as_str()),
        Some("run SCY-LOG-010 first: its follow-up is offered once it ran")
    );
    let mut state = state_with(30, Vec::new());
    let found = result(
        "SCY-LOG-010",
        Severity::Warning,
        "no logrotate rule",
        at(8, 1),
    );
    state.rounds.insert(
        Cadence::Daily,
        Round {
            started: Some(at(8, 0)),
            completed: None,
            results: [("SCY-LOG-010".to_string(), found)].into(),
        },
    );
    loaded(&mut s, state);
    assert!(press(&mut s, KeyCode::Char('f')).is_empty());
    let Some(Input::FollowUp(plan)) = &s.checklists.input else {
        panic!("no confirmation: {:?}", s.checklists.input)
    };
    assert_eq!(plan.title, "Write /etc/logrotate.d/scandy");
    assert_eq!(
        plan.statements,
        ["/opt/scandy/app/logs/*.log {", "    weekly", "}"]
    );
    let screen = render_at(&mut s, 100, 30);
    assert!(screen.contains("/opt/scandy/app/logs/*.log {"), "{screen}");
    assert!(press(&mut s, KeyCode::Char('n')).is_empty(), "n declines");
    assert!(s.checklists.input.is_none());
    press(&mut s, KeyCode::Char('f'));
    assert_eq!(
        press(&mut s, KeyCode::Char('y')),
        vec![Command::Checklists(ChecklistsCommand::WriteLogrotate)]
    );
}
