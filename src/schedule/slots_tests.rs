use std::path::Path;

use chrono::TimeZone as _;

use super::*;
use crate::schedule::config::parse_schedule;

const GUIDE: &str = r#"[schedule]
daily   = { cron = "0 2 * * *", type = "incremental" }
weekly  = { cron = "0 2 * * 0", type = "full", verify = "deep" }
monthly = { cron = "0 2 1 * *", type = "full", verify = "deep" }
"#;

fn config(text: &str) -> ScheduleConfig {
    parse_schedule(text, Path::new("test.toml")).unwrap()
}

fn berlin() -> Zone {
    Zone::Named(chrono_tz::Europe::Berlin)
}

/// A UTC instant from "YYYY-MM-DD HH:MM".
fn utc(text: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(&NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap())
}

fn marks(pairs: &[(&str, &str)]) -> Watermarks {
    pairs
        .iter()
        .map(|(name, at)| (name.to_string(), utc(at)))
        .collect()
}

#[test]
fn a_sunday_that_is_the_first_runs_one_full_deep_backup() {
    // 2026-11-01 is a Sunday; 02:00 in Berlin (CET) is 01:00 UTC.
    let slots = upcoming(&config(GUIDE), berlin(), utc("2026-10-31 12:00"), 3);
    assert_eq!(slots[0].at, utc("2026-11-01 01:00"));
    assert_eq!(slots[0].entries, ["daily", "weekly", "monthly"]);
    assert_eq!(slots[0].kind, ScheduledType::Full);
    assert_eq!(slots[0].verify, VerifyLevel::Deep);
    assert_eq!(slots[1].at, utc("2026-11-02 01:00"));
    assert_eq!(slots[1].entries, ["daily"]);
    assert_eq!(slots[1].kind, ScheduledType::Incremental);
    assert_eq!(slots[1].verify, VerifyLevel::Quick);
}

#[test]
fn weekly_and_daily_merge_on_an_ordinary_sunday() {
    // 2026-11-08 is a Sunday, not the 1st.
    let slots = upcoming(&config(GUIDE), berlin(), utc("2026-11-07 12:00"), 1);
    assert_eq!(slots[0].entries, ["daily", "weekly"]);
    assert_eq!(slots[0].kind, ScheduledType::Full);
    assert_eq!(slots[0].verify, VerifyLevel::Deep);
}

#[test]
fn entries_a_minute_apart_do_not_merge() {
    let text = "[schedule]\ndaily = { cron = \"0 2 * * *\" }\nweekly = { cron = \"1 2 * * *\", verify = \"deep\" }\n";
    let slots = upcoming(&config(text), berlin(), utc("2026-11-07 12:00"), 2);
    assert_eq!(slots[0].entries, ["daily"]);
    assert_eq!(slots[1].entries, ["weekly"]);
    assert_eq!(slots[1].at - slots[0].at, Duration::minutes(1));
}

const HALF_PAST_TWO: &str = "[schedule]\ndaily = { cron = \"30 2 * * *\" }\n";

#[test]
fn spring_forward_runs_a_skipped_time_once() {
    // 2026-03-29 02:30 does not exist in Berlin: it runs at 03:00 CEST (01:00 UTC), once.
    let slots = upcoming(&config(HALF_PAST_TWO), berlin(), utc("2026-03-28 12:00"), 3);
    let times: Vec<DateTime<Utc>> = slots.iter().map(|s| s.at).collect();
    assert_eq!(
        times,
        [
            utc("2026-03-29 01:00"),
            utc("2026-03-30 00:30"),
            utc("2026-03-31 00:30")
        ]
    );
}

#[test]
fn fall_back_runs_a_repeated_time_once() {
    // 2026-10-25 02:30 happens twice in Berlin (CEST, then CET): only the first counts.
    let schedule = config(HALF_PAST_TWO);
    let slots = upcoming(&schedule, berlin(), utc("2026-10-24 12:00"), 2);
    assert_eq!(slots[0].at, utc("2026-10-25 00:30"));
    assert_eq!(slots[1].at, utc("2026-10-26 01:30"));
    // Minute by minute through the night, a daemon finds it due exactly once.
    let mut marks = Watermarks::new();
    marks.insert("daily".into(), utc("2026-10-24 00:30"));
    let mut runs = Vec::new();
    let mut now = utc("2026-10-24 22:00");
    while now < utc("2026-10-25 06:00") {
        if let Some((slot, settles)) = due(&schedule, berlin(), &marks, now) {
            runs.push(slot.at);
            marks.extend(settles);
        }
        now += Duration::minutes(1);
    }
    assert_eq!(runs, [utc("2026-10-25 00:30")]);
}

#[test]
fn spring_forward_night_minute_by_minute_runs_once() {
    let schedule = config(HALF_PAST_TWO);
    let mut marks = marks(&[("daily", "2026-03-28 01:30")]);
    let mut runs = Vec::new();
    let mut now = utc("2026-03-28 22:00");
    while now < utc("2026-03-29 06:00") {
        if let Some((slot, settles)) = due(&schedule, berlin(), &marks, now) {
            runs.push((now, slot.at));
            marks.extend(settles);
        }
        now += Duration::minutes(1);
    }
    assert_eq!(runs, [(utc("2026-03-29 01:00"), utc("2026-03-29 01:00"))]);
}

#[test]
fn catch_up_after_three_days_down_runs_once() {
    let schedule = config(GUIDE);
    // Last daily ran on Monday 2026-11-23 02:00 CET; the host comes back on Thursday 10:00.
    let mut marks = marks(&[
        ("daily", "2026-11-23 01:00"),
        ("weekly", "2026-11-22 01:00"),
        ("monthly", "2026-11-01 01:00"),
    ]);
    let now = utc("2026-11-26 09:00");
    let (slot, settles) = due(&schedule, berlin(), &marks, now).expect("due");
    assert_eq!(slot.entries, ["daily"]);
    assert_eq!(settles["daily"], utc("2026-11-26 01:00"));
    assert_eq!(
        missed(&schedule, berlin(), &marks, now),
        [("daily".to_string(), utc("2026-11-26 01:00"))]
    );
    marks.extend(settles);
    assert_eq!(due(&schedule, berlin(), &marks, now), None);
    assert_eq!(
        due(&schedule, berlin(), &marks, now + Duration::hours(5)),
        None
    );
    assert!(missed(&schedule, berlin(), &marks, now).is_empty());
    assert_eq!(
        next_wake(&schedule, berlin(), now),
        Some(utc("2026-11-27 01:00"))
    );
}

#[test]
fn catch_up_over_a_sunday_merges_into_one_full_run() {
    let schedule = config(GUIDE);
    let marks = marks(&[
        ("daily", "2026-11-06 01:00"),
        ("weekly", "2026-11-01 01:00"),
        ("monthly", "2026-11-01 01:00"),
    ]);
    let (slot, _) = due(&schedule, berlin(), &marks, utc("2026-11-10 09:00")).unwrap();
    assert_eq!(slot.entries, ["daily", "weekly"]);
    assert_eq!(slot.kind, ScheduledType::Full);
    assert_eq!(slot.verify, VerifyLevel::Deep);
}

#[test]
fn a_clock_jumping_backwards_never_runs_a_slot_twice() {
    let schedule = config(GUIDE);
    let mut marks = marks(&[
        ("daily", "2026-11-25 01:00"),
        ("weekly", "2026-11-22 01:00"),
        ("monthly", "2026-11-01 01:00"),
    ]);
    let (_, settles) = due(&schedule, berlin(), &marks, utc("2026-11-26 01:00")).unwrap();
    marks.extend(settles);
    // The clock is set back by two days, then runs forward again.
    let mut runs = Vec::new();
    let mut now = utc("2026-11-24 00:00");
    while now < utc("2026-11-26 12:00") {
        if let Some((slot, settles)) = due(&schedule, berlin(), &marks, now) {
            runs.push(slot.at);
            marks.extend(settles);
        }
        now += Duration::minutes(10);
    }
    assert!(runs.is_empty(), "{runs:?}");
    assert!(due(&schedule, berlin(), &marks, utc("2026-11-27 01:00")).is_some());
}

#[test]
fn a_new_entry_runs_a_slot_just_past_but_not_an_old_one() {
    let schedule = config(GUIDE);
    let none = Watermarks::new();
    // A timer fires at 02:00:30 local.
    let (slot, _) = due(
        &schedule,
        berlin(),
        &none,
        utc("2026-11-26 01:00") + Duration::seconds(30),
    )
    .unwrap();
    assert_eq!(slot.entries, ["daily"]);
    // A daemon installed at noon waits for the next night.
    assert_eq!(
        due(&schedule, berlin(), &none, utc("2026-11-26 11:00")),
        None
    );
    assert!(missed(&schedule, berlin(), &none, utc("2026-11-26 11:00")).is_empty());
}

#[test]
fn entry_next_and_prev_are_consistent_in_utc() {
    let schedule = config("[schedule]\ndaily = { cron = \"0 2 * * *\" }\n");
    let entry = &schedule.entries[0];
    let zone = Zone::Named(chrono_tz::UTC);
    assert_eq!(
        entry_next(entry, zone, utc("2026-11-26 02:00")),
        Some(utc("2026-11-27 02:00"))
    );
    assert_eq!(
        entry_prev(entry, zone, utc("2026-11-26 02:00")),
        Some(utc("2026-11-26 02:00"))
    );
    assert_eq!(
        entry_upcoming(entry, zone, utc("2026-11-26 03:00"), 5).len(),
        5
    );
}
