//! Snapshot tests of the console shell at 120x40 in English and German.

use std::time::{Duration, Instant};

use chrono::TimeZone;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use scandyctl::backup::inventory::{BackupOverview, SetInfo, Verification, Warning};
use scandyctl::backup::manifest::BackupKind;
use scandyctl::backup::verify::VerifyLevel;
use scandyctl::config::ValueSource;
use scandyctl::i18n::Lang;
use scandyctl::mongo::probe::{ConnectionState, FailureKind, ProbeFailure, ServerInfo};
use scandyctl::system::disk::DiskSpace;
use scandyctl::ui::action::Action;
use scandyctl::ui::render::draw;
use scandyctl::ui::state::{InstallKindLabel, InstallSummary, State, update};
use scandyctl::ui::tab::Tab;

const GIB: u64 = 1024 * 1024 * 1024;

fn connected_state(lang: Lang) -> State {
    let install = InstallSummary {
        kind: InstallKindLabel::Native,
        root: "/opt/scandy".into(),
        root_source: ValueSource::Discovery {
            detail: "scandy.service WorkingDirectory=/opt/scandy".into(),
        },
        database: "scandy".into(),
        uri_redacted: "mongodb://admin:***@localhost:27017/scandy?authSource=admin".into(),
        config_file: Some("/etc/scandyctl/config.toml".into()),
        backup_dir: "/backups".into(),
    };
    let mut state = State::new(lang, install, Instant::now(), (120, 40));
    let since = chrono::Local
        .with_ymd_and_hms(2026, 11, 26, 3, 12, 5)
        .unwrap();
    update(
        &mut state,
        Action::Mongo(ConnectionState::Connected {
            info: ServerInfo {
                version: "7.0.14".into(),
                latency: Duration::from_micros(1840),
            },
            since,
        }),
    );
    update(
        &mut state,
        Action::BackupSpace(Ok(DiskSpace {
            path: "/backups".into(),
            measured: "/backups".into(),
            exists: true,
            total: 100 * GIB,
            available: 38 * GIB,
        })),
    );
    let now = chrono::Utc::now();
    update(
        &mut state,
        Action::BackupOverview(Ok(BackupOverview {
            sets: 3,
            newest: Some(SetInfo {
                id: "scandy-20261126T020000Z-full".into(),
                kind: BackupKind::Full,
                created_at: now - chrono::Duration::seconds(2 * 3600 + 30),
                size: 48 * 1024 * 1024,
                encrypted: false,
                documents: 3685,
                files: 42,
                skipped: 1,
                verification: Verification::Ok {
                    at: now - chrono::Duration::seconds(3600 + 30),
                    level: VerifyLevel::Deep,
                },
                path: "/backups/scandy-20261126T020000Z-full".into(),
            }),
            warnings: vec![Warning {
                code: "secrets-skipped",
                message: "scandy-20261126T020000Z-full skipped 1 file(s)".into(),
            }],
        })),
    );
    state
}

fn unreachable_state(lang: Lang, kind: FailureKind, detail: &str) -> State {
    let mut state = connected_state(lang);
    let now = state.now;
    update(
        &mut state,
        Action::Mongo(ConnectionState::Unreachable {
            failure: ProbeFailure {
                kind,
                detail: detail.into(),
            },
            attempt: 4,
            retry_in: Duration::from_secs(8),
            reported_at: now,
        }),
    );
    state
}

fn render(state: &State) -> String {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|frame| draw(frame, state)).unwrap();
    terminal.backend().to_string()
}

fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::De => "de",
    }
}

#[test]
fn every_tab_in_both_languages() {
    for lang in [Lang::En, Lang::De] {
        for tab in Tab::ALL {
            let mut state = connected_state(lang);
            update(&mut state, Action::SelectTab(tab));
            let name = format!("tab_{:?}_{}", tab, lang_name(lang)).to_lowercase();
            insta::assert_snapshot!(name, render(&state));
        }
    }
}

#[test]
fn help_overlay_in_both_languages() {
    for lang in [Lang::En, Lang::De] {
        let mut state = connected_state(lang);
        update(&mut state, Action::ToggleHelp);
        insta::assert_snapshot!(format!("help_{}", lang_name(lang)), render(&state));
    }
}

#[test]
fn overview_unreachable_shows_countdown_and_hint() {
    for lang in [Lang::En, Lang::De] {
        let state = unreachable_state(
            lang,
            FailureKind::Refused,
            "connection to localhost:27017 refused",
        );
        let screen = render(&state);
        insta::assert_snapshot!(format!("overview_unreachable_{}", lang_name(lang)), screen);
    }
}

#[test]
fn overview_auth_failure_names_the_env_password() {
    let state = unreachable_state(
        Lang::En,
        FailureKind::Auth,
        "SCRAM failure: Authentication failed.",
    );
    let screen = render(&state);
    assert!(screen.contains("SCRAM authentication failed"), "{screen}");
    insta::assert_snapshot!("overview_auth_failure_en", screen);
}

#[test]
fn overview_while_connecting_and_measuring() {
    let install = connected_state(Lang::En).install;
    let state = State::new(Lang::En, install, Instant::now(), (120, 40));
    let screen = render(&state);
    assert!(screen.contains("connecting (attempt 1)"), "{screen}");
    assert!(screen.contains("measuring"), "{screen}");
    assert!(screen.contains("reading the inventory"), "{screen}");
    insta::assert_snapshot!("overview_connecting_en", screen);
}

#[test]
fn background_failure_overlay_escapes_control_characters() {
    let mut state = connected_state(Lang::En);
    update(
        &mut state,
        Action::TaskFailed {
            task: "MongoDB monitor".into(),
            message: "panicked: bad \x1b[2J input".into(),
        },
    );
    let screen = render(&state);
    assert!(screen.contains("panicked: bad \\x1b[2J input"), "{screen}");
    insta::assert_snapshot!("background_failure_en", screen);
}
