//! The console shows the schedule: the Backups tab header and the Overview name the next
//! run and the last scheduled outcome, in English and German, errors escaped.

mod ui_support;

use chrono::{Duration, Utc};
use scandyctl::i18n::Lang;
use scandyctl::schedule::Outcome;
use scandyctl::schedule::summary::{LastRun, ScheduleGlance};
use scandyctl::ui::action::Action;
use scandyctl::ui::state::update;
use ui_support::{connected_state, key, render};

fn glance(outcome: Outcome, error: Option<&str>) -> ScheduleGlance {
    let now = Utc::now();
    ScheduleGlance {
        timezone: "Europe/Berlin".into(),
        next_run: Some(now + Duration::hours(3)),
        next_entries: vec!["daily".into(), "weekly".into()],
        next_local: Some("2026-12-06 02:00 +01:00".into()),
        last: Some(LastRun {
            entry: "daily".into(),
            started: now - Duration::hours(21),
            outcome,
            set_id: Some("scandy-20261205T010000Z-full".into()),
            error: error.map(String::from),
        }),
        missed: Vec::new(),
    }
}

#[test]
fn backups_header_and_overview_show_the_next_run_and_last_outcome() {
    let mut state = connected_state(Lang::En);
    update(
        &mut state,
        Action::Schedule(Some(Ok(glance(Outcome::Ok, None)))),
    );
    let overview = render(&state);
    assert!(overview.contains("Schedule"), "{overview}");
    assert!(
        overview.contains("2026-12-06 02:00 +01:00 (daily+weekly)"),
        "{overview}"
    );
    update(&mut state, key('4'));
    let screen = render(&state);
    assert!(
        screen.contains("Next run: 2026-12-06 02:00 (daily+weekly) · ✓"),
        "{screen}"
    );
    update(&mut state, key('1'));
    assert!(
        render(&state).contains("last scheduled: ok (21 h 0 min ago)"),
        "{overview}"
    );
    assert!(!screen.contains("not scheduled"), "{screen}");
}

#[test]
fn a_failed_run_is_shown_as_a_warning_in_german_with_the_error_escaped() {
    let mut state = connected_state(Lang::De);
    let failed = glance(Outcome::Failed, Some("MongoDB antwortet nicht \x1b[2J"));
    update(&mut state, Action::Schedule(Some(Ok(failed))));
    update(&mut state, key('4'));
    let screen = render(&state);
    assert!(
        screen.contains("Nächster Lauf: 2026-12-06 02:00"),
        "{screen}"
    );
    assert!(screen.contains("(daily+weekly) · ✗"), "{screen}");
    assert!(
        screen.contains("fehlgeschlagen: MongoDB antwortet nicht \\x1b[2J"),
        "{screen}"
    );
    update(&mut state, key('1'));
    assert!(render(&state).contains("zuletzt geplant: FEHLGESCHLAGEN"));
    update(&mut state, key('4'));
    update(&mut state, Action::Schedule(None));
    assert!(render(&state).contains("nicht geplant"));
}
