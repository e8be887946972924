//! Unit tests of the console state and its `update` (kept apart from `state.rs`).

use super::*;
use crate::mongo::probe::{FailureKind, ProbeFailure};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent};

fn state() -> State {
    let install = InstallSummary {
        kind: InstallKindLabel::Native,
        root: "/opt/scandy".into(),
        root_source: ValueSource::Default,
        database: "scandy".into(),
        uri_redacted: "mongodb://localhost:27017".into(),
        config_file: None,
        backup_dir: "/backups".into(),
    };
    let mut state = State::new(Lang::En, install, Instant::now(), (120, 40));
    state.dirty = false;
    state
}

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

#[test]
fn number_keys_and_tab_cycle() {
    let mut s = state();
    update(&mut s, key('5'));
    assert_eq!(s.tab, Tab::Database);
    assert!(s.dirty);
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)),
    );
    assert_eq!(s.tab, Tab::Checklists);
    update(&mut s, Action::NextTab);
    update(&mut s, Action::NextTab);
    assert_eq!(s.tab, Tab::Overview);
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
    );
    assert_eq!(s.tab, Tab::Recovery);
}

#[test]
fn help_toggles_and_escape_closes() {
    let mut s = state();
    update(&mut s, key('?'));
    assert!(s.help_open);
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
    );
    assert!(!s.help_open);
}

#[test]
fn q_quits_and_r_wakes_the_monitor() {
    let mut s = state();
    assert_eq!(update(&mut s, key('r')), vec![Command::WakeMongoMonitor]);
    update(&mut s, key('q'));
    assert!(s.quit);
}

#[test]
fn clicking_a_tab_label_selects_it() {
    let mut s = state();
    let (_, start, end) = tab_positions(Lang::En)[3];
    let click = |column| {
        Action::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row: 0,
            modifiers: KeyModifiers::NONE,
        })
    };
    update(&mut s, click(end - 1));
    assert_eq!(s.tab, Tab::Backups);
    update(&mut s, click(start));
    assert_eq!(s.tab, Tab::Backups);
    update(&mut s, click(0));
    assert_eq!(s.tab, Tab::Backups, "brand is not a tab");
}

#[test]
fn countdown_redraws_only_when_the_second_changes() {
    let mut s = state();
    let t0 = s.now;
    update(
        &mut s,
        Action::Mongo(ConnectionState::Unreachable {
            failure: ProbeFailure {
                kind: FailureKind::Refused,
                detail: "refused".into(),
            },
            attempt: 2,
            retry_in: Duration::from_secs(4),
            reported_at: t0,
        }),
    );
    assert_eq!(s.retry_countdown(), Some(4));
    s.dirty = false;
    update(&mut s, Action::Tick(t0 + Duration::from_millis(200)));
    assert!(!s.dirty);
    update(&mut s, Action::Tick(t0 + Duration::from_millis(1200)));
    assert!(s.dirty);
    assert_eq!(s.retry_countdown(), Some(3));
}

fn inventory(ids: &[&str]) -> Action {
    use crate::backup::inventory::{Inventory, SetInfo, Verification};
    use crate::backup::manifest::BackupKind;
    let now = chrono::DateTime::UNIX_EPOCH + chrono::Duration::days(20_000);
    let sets = ids
        .iter()
        .enumerate()
        .map(|(i, id)| SetInfo {
            id: id.to_string(),
            kind: BackupKind::Full,
            created_at: now - chrono::Duration::hours(i as i64),
            size: 1,
            encrypted: false,
            documents: 0,
            files: 0,
            skipped: 0,
            verification: Verification::Never,
            path: format!("/backups/{id}").into(),
        })
        .collect();
    Action::BackupInventory(Ok(BackupsSnapshot {
        legacy: Default::default(),
        legacy_verify: Default::default(),
        window: Default::default(),
        dir: "/backups".into(),
        scanned_at: now,
        inventory: Inventory {
            sets,
            ..Inventory::default()
        },
        details: Default::default(),
        warnings: Vec::new(),
    }))
}

#[test]
fn backups_keys_move_the_selection_only_on_the_backups_tab() {
    let mut s = state();
    update(&mut s, inventory(&["a", "b", "c"]));
    assert_eq!(s.backups_view.selected, Some(0));
    assert!(s.dirty);
    s.dirty = false;
    update(&mut s, key('j'));
    assert_eq!(
        s.backups_view.selected,
        Some(0),
        "j does nothing on the Overview"
    );
    update(&mut s, key('4'));
    s.dirty = false;
    update(&mut s, key('j'));
    assert_eq!(s.backups_view.selected, Some(1));
    assert!(s.dirty);
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::End, KeyModifiers::NONE)),
    );
    assert_eq!(s.backups_view.selected, Some(2));
    s.dirty = false;
    update(&mut s, key('j'));
    assert!(!s.dirty, "no redraw when the selection cannot move");
    update(&mut s, inventory(&["a", "b", "c"]));
    assert!(!s.dirty, "an unchanged scan does not redraw");
    update(&mut s, inventory(&["a"]));
    assert_eq!(
        s.backups_view.selected,
        Some(0),
        "the selection follows shrinking lists"
    );
    update(&mut s, key('1'));
    assert_eq!(s.tab, Tab::Overview, "digits keep their global meaning");
}

#[test]
fn background_failures_queue_and_dismiss() {
    let mut s = state();
    update(
        &mut s,
        Action::TaskFailed {
            task: "a".into(),
            message: "x".into(),
        },
    );
    update(
        &mut s,
        Action::TaskFailed {
            task: "b".into(),
            message: "y".into(),
        },
    );
    update(&mut s, Action::CloseOverlay);
    assert_eq!(s.errors, vec![("b".to_string(), "y".to_string())]);
}
