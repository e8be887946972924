//! The Checklists tab: snapshots (due, running, done, failed items, a confirmed manual item,
//! overdue, the maintenance log with a filter, the reports) in English and German at 100x30
//! and 80x24, the Overview with an overdue checklist and its alert, and the tab's update
//! logic (keys → commands, the runner's reports, the compact follow-up).

mod ui_support;

/// The update logic: keys → commands, the runner's reports, the compact follow-up.
#[path = "ui_checklists/update.rs"]
mod update;

/// The checklist runner on real files.
#[path = "ui_checklists/runner.rs"]
mod runner;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use scandyctl::checks::settings::parse_checklists;
use scandyctl::checks::state::{ChecklistsState, Round};
use scandyctl::checks::{Cadence, ItemDef, ItemResult, Severity};
use scandyctl::i18n::Lang;
use scandyctl::maintenance_log::MaintenanceEntry;
use scandyctl::ui::action::{Action, Command};
use scandyctl::ui::checklist_runner::list_reports;
use scandyctl::ui::state::{State, update};
use scandyctl::ui::tab::Tab;
use scandyctl::ui::tabs::checklists::view::{
    ChecklistsCommand, ChecklistsEvent, ChecklistsSnapshot, ChecklistsView, ReportFile,
};
use ui_support::*;

const SIZES: [(u16, u16); 2] = [(100, 30), (80, 24)];

/// The site's items of the snapshots: two command items and a manual one daily, one
/// command item weekly, one manual item monthly.
const CONFIG: &str = r#"
[checklists]
[[checklists.items]]
id = "SITE-UPS-001"
cadence = "daily"
title = "USV-Selbsttest bestanden"
command = "upsc ups@localhost ups.test.result | grep -q passed"
fix = "Akku der USV tauschen; USV-Protokoll ansehen."

[[checklists.items]]
id = "SITE-NAS-002"
cadence = "daily"
title = "Offsite-NAS erreichbar"
command = "ping -c1 -W2 nas.local"
fix = "Strom und VPN des NAS prüfen."

[[checklists.items]]
id = "SITE-DISK-003"
cadence = "daily"
title = "Sicherungsplatte getauscht und im Tresor"
fix = "USB-Platte im Rack mit der im Tresor tauschen."

[[checklists.items]]
id = "SITE-CERT-010"
cadence = "weekly"
title = "TLS-Zertifikat noch 30 Tage gültig"
command = "true"

[[checklists.items]]
id = "SITE-KEY-020"
cadence = "monthly"
title = "Schlüsselbuch geprüft"
"#;

fn items() -> Vec<ItemDef> {
    parse_checklists(CONFIG, Path::new("/etc/scandyctl/config.toml"))
        .expect("the test config")
        .items
        .iter()
        .map(|i| i.to_def())
        .collect()
}

/// The moment the snapshots' state was read.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 9, 30, 0).unwrap()
}

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, h, m, 0).unwrap()
}

fn result(id: &str, severity: Severity, summary: &str, when: DateTime<Utc>) -> ItemResult {
    ItemResult {
        at: when,
        millis: 840,
        by: Some("anna".into()),
        ..ItemResult::new(id, severity, summary)
    }
}

fn ok(id: &str, minute: u32) -> ItemResult {
    result(id, Severity::Ok, "exit 0 (ok)", at(8, minute))
}

fn confirmed(id: &str, comment: &str) -> ItemResult {
    ItemResult {
        comment: Some(comment.into()),
        millis: 0,
        ..result(id, Severity::Ok, "done (confirmed)", at(8, 20))
    }
}

/// Daily and weekly last completed so long before [`now`]; monthly done yesterday.
fn state_with(daily_done_hours_ago: i64, results: Vec<ItemResult>) -> ChecklistsState {
    let mut state = ChecklistsState::default();
    state.completed.insert(
        Cadence::Daily,
        now() - Duration::hours(daily_done_hours_ago),
    );
    state
        .completed
        .insert(Cadence::Monthly, now() - Duration::days(1));
    if !results.is_empty() {
        let mut round = Round {
            started: Some(at(8, 0)),
            ..Round::default()
        };
        for r in results {
            round.results.insert(r.id.clone(), r);
        }
        if round.results.len() == 3 {
            round.completed = Some(at(8, 20));
            state.completed.insert(Cadence::Daily, at(8, 20));
        }
        state.rounds.insert(Cadence::Daily, round);
    }
    state
}

fn entries() -> Vec<MaintenanceEntry> {
    let entry = |h, m, kind: &str, actor: &str, title: &str, detail: &str| MaintenanceEntry {
        at: at(h, m),
        kind: kind.into(),
        actor: actor.into(),
        title: title.into(),
        detail: detail.into(),
        outcome: if title.contains("warning") {
            "warning"
        } else {
            "ok"
        }
        .into(),
        ..MaintenanceEntry::default()
    };
    vec![
        entry(
            2,
            0,
            "backup",
            "scandyctl",
            "full backup scandy-20261126T020000Z-full",
            "3685 documents, 42 files",
        ),
        entry(
            8,
            5,
            "checklist",
            "anna",
            "daily checklist: SITE-UPS-001 warning — USV-Selbsttest bestanden",
            "exit 1 (warning): USV: Akku 60 %\nUSV: Akku 60 %",
        ),
        entry(
            8,
            6,
            "checklist",
            "anna",
            "daily checklist: SITE-NAS-002 ok — Offsite-NAS erreichbar",
            "exit 0 (ok)",
        ),
        entry(
            8,
            20,
            "checklist",
            "anna",
            "daily checklist: SITE-DISK-003 ok — Sicherungsplatte getauscht",
            "done (confirmed)\ncomment: Platte 3 im Tresor, Platte 4 im Rack",
        ),
        entry(
            8,
            21,
            "incident",
            "ben",
            "incident closed: MongoDB down (\u{1b}[31m15 min)",
            "report: /var/lib/scandyctl/incidents/incident-20261126T080000Z.md",
        ),
    ]
}

fn reports() -> Vec<ReportFile> {
    vec![
        ReportFile {
            path: "/var/lib/scandyctl/reports/scandy-monthly-2026-10.md".into(),
            modified: Some(Utc.with_ymd_and_hms(2026, 11, 1, 6, 0, 0).unwrap()),
        },
        ReportFile {
            path: "/var/lib/scandyctl/reports/scandy-monthly-2026-09.md".into(),
            modified: Some(Utc.with_ymd_and_hms(2026, 10, 1, 6, 0, 0).unwrap()),
        },
    ]
}

const REPORT: &str = "# Scandy monthly report 2026-10\n\n## Usage\n\n| week | lendings | returns |\n|---|---|---|\n| 2026-W40 | 212 | 198 |\n| 2026-W41 | 187 | 190 |\n\n## Errors\n\n- 14× pymongo.errors.OperationFailure \u{1b}[2J\n";

fn snapshot(state: ChecklistsState) -> ChecklistsSnapshot {
    ChecklistsSnapshot {
        state,
        entries: entries(),
        reports: reports(),
        report_dir: "/var/lib/scandyctl/reports".into(),
        at: now(),
    }
}

/// The console showing the Checklists tab after the runner's first read of `state`.
fn tab_with(lang: Lang, state: ChecklistsState) -> State {
    let mut s = connected_state(lang);
    s.checklists = ChecklistsView::new(items());
    update(&mut s, Action::SelectTab(Tab::Checklists));
    loaded(&mut s, state);
    s
}

fn loaded(s: &mut State, state: ChecklistsState) -> Vec<Command> {
    update(
        s,
        Action::Checklists(ChecklistsEvent::Loaded(Ok(Box::new(snapshot(state))))),
    )
}

fn press(s: &mut State, code: KeyCode) -> Vec<Command> {
    update(s, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_text(s: &mut State, text: &str) {
    for c in text.chars() {
        press(s, KeyCode::Char(c));
    }
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

fn failed_results() -> Vec<ItemResult> {
    let warning = result(
        "SITE-UPS-001",
        Severity::Warning,
        "exit 1 (warning): USV: Akku 60 %",
        at(8, 5),
    )
    .with("USV: Akku 60 %")
    .with("letzter Test 2026-11-25 03:00");
    let failed = result(
        "SITE-NAS-002",
        Severity::Failed,
        "exit 2 (failed): nas.local unreachable",
        at(8, 6),
    )
    .with("PING nas.local (10.0.0.20) 56(84) bytes of data.")
    .with("1 packets transmitted, 0 received, 100% packet loss")
    .with("evil \u{1b}[31mred\u{7} output");
    vec![warning, failed]
}

#[test]
fn due_with_nothing_done() {
    snap("checklists_due", |lang| {
        tab_with(lang, state_with(30, Vec::new()))
    });
}

#[test]
fn running_items() {
    snap("checklists_running", |lang| {
        let mut s = tab_with(lang, state_with(30, Vec::new()));
        let out = press(&mut s, KeyCode::Char('a'));
        assert_eq!(out.len(), 1, "{out:?}");
        update(
            &mut s,
            Action::Checklists(ChecklistsEvent::ItemStarted("SITE-UPS-001".into())),
        );
        s
    });
}

#[test]
fn done_all_ok() {
    snap("checklists_done", |lang| {
        let results = vec![
            ok("SITE-UPS-001", 5),
            ok("SITE-NAS-002", 6),
            confirmed("SITE-DISK-003", "Platte 3 im Tresor"),
        ];
        tab_with(lang, state_with(30, results))
    });
}

#[test]
fn failed_items_show_their_evidence() {
    snap("checklists_failed", |lang| {
        let mut s = tab_with(lang, state_with(30, failed_results()));
        press(&mut s, KeyCode::Char('j'));
        s
    });
}

#[test]
fn a_confirmed_manual_item_shows_its_comment() {
    snap("checklists_manual_confirmed", |lang| {
        let mut results = failed_results();
        results.push(confirmed(
            "SITE-DISK-003",
            "Platte 3 im Tresor, Platte 4 im Rack",
        ));
        let mut s = tab_with(lang, state_with(30, results));
        press(&mut s, KeyCode::End);
        s
    });
}

#[test]
fn overdue() {
    snap("checklists_overdue", |lang| {
        tab_with(lang, state_with(40, Vec::new()))
    });
}

#[test]
fn maintenance_log_with_a_filter() {
    snap("checklists_log_filtered", |lang| {
        let mut s = tab_with(lang, state_with(30, Vec::new()));
        press(&mut s, KeyCode::Char('l'));
        press(&mut s, KeyCode::Char('t'));
        press(&mut s, KeyCode::Char('t'));
        assert_eq!(s.checklists.log_kind.as_deref(), Some("checklist"));
        press(&mut s, KeyCode::Char('/'));
        type_text(&mut s, "usv");
        press(&mut s, KeyCode::Enter);
        assert_eq!(s.checklists.filtered_entries().len(), 1);
        s
    });
}

#[test]
fn report_view() {
    snap("checklists_reports", |lang| {
        let mut s = tab_with(lang, state_with(30, Vec::new()));
        let out = press(&mut s, KeyCode::Char('v'));
        let path = PathBuf::from("/var/lib/scandyctl/reports/scandy-monthly-2026-10.md");
        assert!(
            out.contains(&Command::Checklists(ChecklistsCommand::ReadReport(
                path.clone()
            ))),
            "{out:?}"
        );
        update(
            &mut s,
            Action::Checklists(ChecklistsEvent::ReportRead {
                path,
                text: Ok(REPORT.into()),
            }),
        );
        s
    });
}

#[test]
fn overview_shows_the_overdue_checklist_and_its_alert() {
    for lang in [Lang::En, Lang::De] {
        let mut s = tab_with(lang, state_with(40, Vec::new()));
        let alert = s
            .alerts
            .iter()
            .find(|a| a.rule == "checklist-overdue")
            .expect("the alert fires");
        assert_eq!(alert.title, "Checklist overdue: daily");
        assert!(
            alert.summary.contains("daily since 2026-11-25 17:30 UTC"),
            "{}",
            alert.summary
        );
        update(&mut s, Action::SelectTab(Tab::Overview));
        let screen = render_at(&mut s, 120, 40);
        assert!(screen.contains("Checklist overdue: daily"), "{screen}");
        insta::assert_snapshot!(
            format!("checklists_overview_overdue_{}", lang_name(lang)),
            screen
        );
    }
}

#[test]
fn the_overview_says_when_every_checklist_is_done() {
    let mut state = state_with(
        30,
        vec![
            ok("SITE-UPS-001", 5),
            ok("SITE-NAS-002", 6),
            confirmed("SITE-DISK-003", "x"),
        ],
    );
    state
        .completed
        .insert(Cadence::Weekly, now() - Duration::days(2));
    let mut s = tab_with(Lang::En, state);
    assert!(
        s.alerts.iter().all(|a| a.rule != "checklist-overdue"),
        "{:?}",
        s.alerts
    );
    update(&mut s, Action::SelectTab(Tab::Overview));
    let screen = render_at(&mut s, 120, 40);
    assert!(
        screen.contains("✓ all checklists done; next due: Daily 2026-11-27 08:20 UTC"),
        "{screen}"
    );
}

#[test]
fn reports_are_listed_newest_first_from_real_files() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, days_ago: u64| {
        let path = dir.path().join(name);
        std::fs::write(&path, "# report\n").unwrap();
        let when = std::time::SystemTime::now() - std::time::Duration::from_secs(days_ago * 86_400);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(when)
            .unwrap();
    };
    write("scandy-monthly-2026-09.md", 60);
    write("scandy-monthly-2026-10.md", 30);
    write("notes.txt", 1);
    let names: Vec<String> = list_reports(dir.path())
        .iter()
        .map(ReportFile::name)
        .collect();
    assert_eq!(
        names,
        ["scandy-monthly-2026-10.md", "scandy-monthly-2026-09.md"]
    );
    assert!(list_reports(&dir.path().join("missing")).is_empty());
}

#[test]
fn the_help_lists_the_tab_keys() {
    for lang in [Lang::En, Lang::De] {
        let mut s = tab_with(lang, state_with(30, Vec::new()));
        press(&mut s, KeyCode::Char('?'));
        assert!(s.help_open);
        let screen = render_at(&mut s, 120, 40);
        insta::assert_snapshot!(format!("checklists_help_{}", lang_name(lang)), screen);
    }
    let lines = scandyctl::ui::keymap::tab_help_lines(Lang::En, Tab::Checklists);
    let joined: Vec<String> = lines.iter().map(|(k, d)| format!("{k} {d}")).collect();
    for wanted in [
        "←, → previous / next checklist (reports: report)",
        "a run all automatic items in the background",
        "Enter run the selected item again (manual: confirm)",
        "c confirm the selected manual item, with a comment",
        "f the selected item's follow-up (asks first)",
        "l maintenance log (again: back)",
        "/ log: filter by text",
    ] {
        assert!(joined.contains(&wanted.to_string()), "{wanted}: {joined:?}");
    }
}
