//! The Logs tab: snapshot tests (EN/DE) of the merged view, an expanded traceback with
//! search highlight, the error summary, the prompt; and the behaviour of its keys — follow
//! mode, filters, jumps, marks and saving — on entries parsed from Scandy-format text.

mod ui_support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use scandyctl::i18n::Lang;
use scandyctl::logs::assemble::assemble_all;
use scandyctl::logs::entry::Level;
use scandyctl::logs::watch::LogEvent;
use scandyctl::ui::action::{Action, Command};
use scandyctl::ui::state::{State, update};
use scandyctl::ui::tabs::logs::view::{LogsView, SourceInfo};
use ui_support::*;

const APP_LOG: &str = "\
2025-07-31 21:35:27,958 - INFO - Request: GET http://192.168.178.56:5000/workers/ - IP: 192.168.178.50
2025-07-31 21:36:02,101 - INFO - Request: GET http://192.168.178.56:5000/tools/ - IP: 192.168.178.51
2025-07-31 21:40:11,411 - ERROR - Exception on /tickets/ [GET]
Traceback (most recent call last):
  File \"/opt/scandy/app/routes/tickets.py\", line 214, in index
    ticket['due_date'].strftime('%d.%m.%Y')
AttributeError: 'str' object has no attribute 'strftime'
2025-07-31 21:41:00,000 - WARNING - Statische Datei nicht gefunden: /static/js/delete.js - IP: 192.168.178.50
2025-07-31 21:44:30,500 - ERROR - Werkzeug mit Barcode 100042 nicht gefunden
2025-07-31 21:45:00,000 - INFO - Request: GET http://192.168.178.56:5000/tickets/ - IP: 192.168.178.52
";

const SECURITY_LOG: &str = "\
2025-07-31 21:38:00,000 - scandy.security - WARNING - Login fehlgeschlagen für admin \u{1b}]0;pwned\u{7}\u{1b}[2J
2025-07-31 21:43:10,000 - scandy.security - ERROR - Werkzeug mit Barcode 100077 nicht gefunden
";

const BACKUP_LOG: &str = "\
[31.07.2025 21:39:00] Backup gestartet
[31.07.2025 21:42:00] Backup erfolgreich
";

fn on_logs(lang: Lang) -> State {
    let mut state = connected_state(lang);
    state.logs = LogsView::new(10_000);
    state.logs.sources = [
        "app/logs/app.log",
        "logs/security.log",
        "logs/auto_backup.log",
    ]
    .iter()
    .enumerate()
    .map(|(i, name)| SourceInfo {
        id: i as u16,
        name: name.to_string(),
        problem: None,
    })
    .collect();
    update(&mut state, key('2'));
    let merged = scandyctl::logs::filter::merge_by_time(vec![
        assemble_all(0, APP_LOG.as_bytes()),
        assemble_all(1, SECURITY_LOG.as_bytes()),
        assemble_all(2, BACKUP_LOG.as_bytes()),
    ]);
    update(
        &mut state,
        Action::Log(LogEvent::Loaded {
            entries: merged,
            problems: Vec::new(),
            events: true,
        }),
    );
    state
}

fn press(state: &mut State, code: KeyCode) -> Vec<Command> {
    update(state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_text(state: &mut State, text: &str) {
    for c in text.chars() {
        press(state, KeyCode::Char(c));
    }
}

fn selected_message(state: &State) -> String {
    state.logs.selected_entry().unwrap().entry.message.clone()
}

#[test]
fn merged_sources_follow_the_newest_entry_en_de() {
    for lang in [Lang::En, Lang::De] {
        let state = on_logs(lang);
        assert_eq!(state.logs.entries.len(), 10);
        assert!(state.logs.follow);
        let screen = render(&state);
        assert!(
            !screen.contains('\u{1b}') && !screen.contains('\u{7}'),
            "{screen}"
        );
        assert!(screen.contains("\\x1b]0;pwned\\x07"), "{screen}");
        insta::assert_snapshot!(format!("logs_merged_{}", lang_name(lang)), screen);
    }
}

#[test]
fn traceback_expands_and_search_highlights_en_de() {
    for lang in [Lang::En, Lang::De] {
        let mut state = on_logs(lang);
        for _ in 0..3 {
            press(&mut state, KeyCode::Char('E'));
        }
        assert_eq!(selected_message(&state), "Exception on /tickets/ [GET]");
        press(&mut state, KeyCode::Char('E'));
        assert!(state.logs.notice.is_some(), "no earlier error is said");
        assert!(!state.logs.follow, "a jump pauses following");
        press(&mut state, KeyCode::Enter);
        press(&mut state, KeyCode::Char('/'));
        type_text(&mut state, "tickets");
        let screen = render(&state);
        assert!(screen.contains("AttributeError: 'str' object"), "{screen}");
        insta::assert_snapshot!(format!("logs_traceback_search_{}", lang_name(lang)), screen);
        press(&mut state, KeyCode::Enter);
        assert!(state.logs.prompt.is_none());
        press(&mut state, KeyCode::Char('n'));
        assert!(
            selected_message(&state).contains("/tickets/ - IP"),
            "{}",
            selected_message(&state)
        );
        press(&mut state, KeyCode::Char('N'));
        assert_eq!(selected_message(&state), "Exception on /tickets/ [GET]");
    }
}

#[test]
fn error_summary_groups_masked_messages_en_de() {
    for lang in [Lang::En, Lang::De] {
        let mut state = on_logs(lang);
        press(&mut state, KeyCode::Char('S'));
        let barcodes = state
            .logs
            .summary
            .iter()
            .find(|g| g.shape.contains("Barcode"))
            .unwrap();
        assert_eq!(barcodes.count, 2, "two barcodes, one message shape");
        assert_eq!(barcodes.sources, vec![0, 1]);
        insta::assert_snapshot!(format!("logs_summary_{}", lang_name(lang)), render(&state));
    }
}

#[test]
fn filters_by_level_source_and_matches() {
    let mut state = on_logs(Lang::En);
    press(&mut state, KeyCode::Char('l'));
    press(&mut state, KeyCode::Char('l'));
    assert_eq!(state.logs.min_level, Some(Level::Error));
    assert_eq!(state.logs.visible.len(), 3);
    press(&mut state, KeyCode::Char('l'));
    press(&mut state, KeyCode::Char('s'));
    press(&mut state, KeyCode::Char('s'));
    assert_eq!(state.logs.source_filter, Some(1));
    assert_eq!(state.logs.visible.len(), 2);
    press(&mut state, KeyCode::Char('s'));
    press(&mut state, KeyCode::Char('s'));
    assert_eq!(state.logs.source_filter, None);
    press(&mut state, KeyCode::Char('/'));
    type_text(&mut state, "barcode \\d+");
    press(&mut state, KeyCode::Enter);
    press(&mut state, KeyCode::Char('f'));
    assert_eq!(state.logs.visible.len(), 2, "only the two barcode errors");
    insta::assert_snapshot!("logs_only_matches_en", render(&state));
    press(&mut state, KeyCode::Char('/'));
    type_text(&mut state, "(");
    let screen = render(&state);
    assert!(
        screen.contains("unclosed group"),
        "an invalid pattern says why: {screen}"
    );
    press(&mut state, KeyCode::Esc);
    assert_eq!(
        state.logs.search.as_ref().map(|s| s.text.as_str()),
        Some("barcode \\d+"),
        "Esc restores the previous search"
    );
}

#[test]
fn follow_pauses_on_scroll_and_resumes_on_end() {
    let mut state = on_logs(Lang::En);
    press(&mut state, KeyCode::Char('k'));
    assert!(!state.logs.follow);
    let selected = selected_message(&state);
    let more = assemble_all(
        0,
        b"2025-07-31 21:50:00,000 - INFO - Request: GET http://192.168.178.56:5000/ - IP: 192.168.178.60\n",
    );
    update(&mut state, Action::Log(LogEvent::Appended(more.clone())));
    assert_eq!(
        selected_message(&state),
        selected,
        "paused: the selection stays"
    );
    press(&mut state, KeyCode::Char('G'));
    assert!(state.logs.follow);
    update(&mut state, Action::Log(LogEvent::Appended(more)));
    assert_eq!(state.logs.selected, Some(state.logs.visible.len() - 1));
    press(&mut state, KeyCode::Char('g'));
    let commands = press(&mut state, KeyCode::Char('k'));
    assert_eq!(
        commands,
        vec![Command::LoadOlderLogs],
        "up at the top reads older entries"
    );
    assert!(
        press(&mut state, KeyCode::Char('k')).is_empty(),
        "one request at a time"
    );
    let older = assemble_all(0, b"2025-07-31 20:00:00,000 - ERROR - alt\n");
    update(
        &mut state,
        Action::Log(LogEvent::Older {
            entries: older,
            more: false,
        }),
    );
    assert_eq!(state.logs.entries[0].entry.message, "alt");
    assert!(!state.logs.more_older);
}

#[test]
fn jump_to_time_and_save_marked_entries() {
    let mut state = on_logs(Lang::En);
    press(&mut state, KeyCode::Char('t'));
    type_text(&mut state, "21:41");
    press(&mut state, KeyCode::Enter);
    assert!(selected_message(&state).starts_with("Statische Datei"));
    press(&mut state, KeyCode::Char('t'));
    type_text(&mut state, "gestern");
    press(&mut state, KeyCode::Enter);
    assert!(
        state
            .logs
            .prompt
            .as_ref()
            .is_some_and(|p| p.error.is_some()),
        "bad time refused"
    );
    press(&mut state, KeyCode::Esc);
    press(&mut state, KeyCode::Char('m'));
    press(&mut state, KeyCode::Char('E'));
    press(&mut state, KeyCode::Char('m'));
    press(&mut state, KeyCode::Char('w'));
    let prompt = state.logs.prompt.as_ref().unwrap();
    assert!(
        prompt
            .input
            .value
            .ends_with("scandy-logs-20250731-214500.log"),
        "{}",
        prompt.input.value
    );
    let commands = press(&mut state, KeyCode::Enter);
    let [Command::SaveLogs { text, count, .. }] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert_eq!(*count, 2);
    assert_eq!(
        text,
        "2025-07-31 21:40:11.411 ERROR [app/logs/app.log] Exception on /tickets/ [GET]\n\
         Traceback (most recent call last):\n  File \"/opt/scandy/app/routes/tickets.py\", line 214, in index\n    ticket['due_date'].strftime('%d.%m.%Y')\nAttributeError: 'str' object has no attribute 'strftime'\n\
         2025-07-31 21:41:00.000 WARNING [app/logs/app.log] Statische Datei nicht gefunden: /static/js/delete.js - IP: 192.168.178.50\n"
    );
    update(&mut state, Action::LogsSaved(Ok(("/tmp/x.log".into(), 2))));
    assert!(render(&state).contains("2 entries saved to /tmp/x.log"));
}

const SECURITY_EVENTS: &str = "\
2025-07-31 21:46:00,000 - scandy.security - WARNING - SECURITY_EVENT: {'event_type': 'login_failed', 'user': 'admin', 'ip': '192.168.178.50'}
2025-07-31 21:47:00,000 - scandy.security - WARNING - SECURITY_EVENT: {'event_type': 'login_failed', 'user': 'o\\'neil\u{1b}[2J', 'ip': '192.168.178.51', 'details': {'attempt': 3, 'locked': False}}
";

#[test]
fn security_event_fields_show_in_the_detail_pane_and_group_the_summary_en() {
    let mut state = on_logs(Lang::En);
    update(
        &mut state,
        Action::Log(LogEvent::Appended(assemble_all(
            1,
            SECURITY_EVENTS.as_bytes(),
        ))),
    );
    let selected = &state.logs.selected_entry().unwrap().entry;
    assert_eq!(
        selected
            .fields
            .get("user")
            .map(ToString::to_string)
            .as_deref(),
        Some("o'neil\u{1b}[2J")
    );
    let screen = render(&state);
    assert!(
        screen.contains("event_type login_failed · user o'neil\\x1b[2J · ip 192.168.178.51"),
        "{screen}"
    );
    assert!(!screen.contains('\u{1b}'), "{screen}");
    insta::assert_snapshot!("logs_security_fields_en", screen);
    press(&mut state, KeyCode::Char('S'));
    let group = state
        .logs
        .summary
        .iter()
        .find(|g| g.shape == "SECURITY_EVENT: login_failed")
        .expect("security events grouped by type");
    assert_eq!(group.count, 2);
}
