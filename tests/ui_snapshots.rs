//! Snapshot tests of the console shell at 120x40 in English and German.

mod ui_support;

use std::collections::BTreeMap;
use std::time::Instant;

use scandyctl::backup::inventory::{Inventory, status_warnings};
use scandyctl::backup::snapshot::BackupsSnapshot;
use scandyctl::i18n::Lang;
use scandyctl::mongo::probe::FailureKind;
use scandyctl::ui::action::Action;
use scandyctl::ui::state::{State, update};
use scandyctl::ui::tab::Tab;
use ui_support::*;

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

#[test]
fn backups_detail_of_a_failed_verification() {
    for lang in [Lang::En, Lang::De] {
        let mut state = connected_state(lang);
        update(&mut state, key('4'));
        update(&mut state, key('j'));
        let screen = render(&state);
        assert!(screen.contains("SHA-256 does not match"), "{screen}");
        insta::assert_snapshot!(format!("backups_failed_detail_{}", lang_name(lang)), screen);
    }
}

#[test]
fn backups_list_marks_the_newest_good_set() {
    let mut state = connected_state(Lang::En);
    update(&mut state, key('4'));
    let screen = render(&state);
    assert!(screen.contains("full ★"), "{screen}");
    assert!(screen.contains("not scheduled"), "{screen}");
    assert!(screen.contains("✗ FAILED"), "{screen}");
    assert!(screen.contains("lendings"), "{screen}");
}

#[test]
fn backups_filter_and_sort_applied() {
    for lang in [Lang::En, Lang::De] {
        let mut state = connected_state(lang);
        update(&mut state, key('4'));
        update(&mut state, key('f')); // full only
        update(&mut state, key('s')); // by size, biggest first
        update(&mut state, key('S')); // smallest first
        update(
            &mut state,
            Action::Key(crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Home,
                crossterm::event::KeyModifiers::NONE,
            )),
        );
        let screen = render(&state);
        assert!(!screen.contains("pre-restore  "), "{screen}");
        assert!(screen.contains("⚠ .env: holds secrets"), "{screen}");
        insta::assert_snapshot!(
            format!("backups_filtered_sorted_{}", lang_name(lang)),
            screen
        );
    }
}

#[test]
fn backups_empty_state_lists_partial_leftovers() {
    for lang in [Lang::En, Lang::De] {
        let mut state = connected_state(lang);
        let inventory = Inventory {
            sets: Vec::new(),
            partials: vec!["/backups/scandy-20261126T020000Z-full.partial".into()],
            unreadable: Vec::new(),
        };
        let now = scanned_at();
        let warnings = status_warnings(&inventory, Some(&disk_space()), now);
        update(
            &mut state,
            Action::BackupInventory(Ok(BackupsSnapshot {
                legacy: Default::default(),
                legacy_verify: Default::default(),
                window: Default::default(),
                dir: "/backups".into(),
                scanned_at: now,
                inventory,
                details: BTreeMap::new(),
                warnings,
            })),
        );
        update(&mut state, key('4'));
        update(&mut state, key('j'));
        let screen = render(&state);
        if lang == Lang::En {
            assert!(
                screen.contains("no backup sets in /backups — run scandyctl backup --type full"),
                "{screen}"
            );
        }
        insta::assert_snapshot!(format!("backups_empty_{}", lang_name(lang)), screen);
    }
}

#[test]
fn backups_help_lists_the_tab_keys() {
    let mut state = connected_state(Lang::En);
    update(&mut state, key('4'));
    update(&mut state, key('?'));
    let screen = render(&state);
    assert!(screen.contains("On the Backups tab"), "{screen}");
    insta::assert_snapshot!("help_backups_en", screen);
}

#[test]
fn legacy_backups_show_in_the_backups_tab_and_the_overview() {
    use scandyctl::backup::legacy::check::LegacyVerifyReport;
    use scandyctl::backup::legacy::scan::{LegacyInventory, UnknownEntry};
    use scandyctl::backup::legacy::{LegacyBackup, LegacyFormat, TimeSource};
    use scandyctl::backup::verify::VerifyLevel;
    let now = scanned_at();
    let json = LegacyBackup {
        id: "legacy-20261202T041315-0a1b2c3d".into(),
        format: LegacyFormat::ScandyJsonV2,
        path: "/opt/scandy/backups/scandy_backup_20261202_051315.json".into(),
        member: None,
        created_at: ago(now, 90),
        time_source: TimeSource::Name,
        size: 3 * 1024 * 1024,
        failed: false,
    };
    let empty = LegacyBackup {
        id: "legacy-20261201T010000-99aa88bb".into(),
        format: LegacyFormat::MongodumpDir,
        path: "/opt/scandy/backups/scandy_native_backup_20261201_020000".into(),
        created_at: ago(now, 60 * 27),
        size: 0,
        failed: true,
        ..json.clone()
    };
    let report = LegacyVerifyReport {
        id: json.id.clone(),
        format: json.format,
        path: json.path.display().to_string(),
        member: None,
        level: VerifyLevel::Deep,
        at: ago(now, 30),
        ok: true,
        collections: Vec::new(),
        files: 0,
        file_bytes: 0,
        missing_collections: Vec::new(),
        findings: Vec::new(),
    };
    for lang in [Lang::En, Lang::De] {
        let mut state = connected_state(lang);
        let inventory = Inventory {
            sets: Vec::new(),
            partials: Vec::new(),
            unreadable: Vec::new(),
        };
        update(
            &mut state,
            Action::BackupInventory(Ok(BackupsSnapshot {
                legacy: LegacyInventory {
                    dirs: vec!["/opt/scandy/backups".into()],
                    backups: vec![json.clone(), empty.clone()],
                    unknown: vec![UnknownEntry {
                        path: "/opt/scandy/backups/scandy_backup_\x1b[2J.zip".into(),
                        reason: "no readable ZIP".into(),
                    }],
                },
                legacy_verify: BTreeMap::from([(json.id.clone(), report.clone())]),
                window: Default::default(),
                dir: "/backups".into(),
                scanned_at: now,
                warnings: status_warnings(&inventory, Some(&disk_space()), now),
                inventory,
                details: BTreeMap::new(),
            })),
        );
        let overview = render(&state);
        assert!(
            overview.contains(&json.id) && overview.contains("scandy-json-v2"),
            "{overview}"
        );
        let failed = if lang == Lang::En {
            "1 FAILED (empty dump)"
        } else {
            "1 FEHLGESCHLAGEN"
        };
        assert!(overview.contains(failed), "{overview}");
        update(&mut state, key('4'));
        let tab = render(&state);
        for part in [
            json.id.as_str(),
            empty.id.as_str(),
            "scandy-json-v2",
            "mongodump-dir",
            "scandy_backup_\\x1b[2J.zip",
        ] {
            assert!(tab.contains(part), "{part} missing:\n{tab}");
        }
        assert!(!tab.contains('\x1b'), "a raw escape reached the screen");
    }
}
