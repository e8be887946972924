use super::*;

fn parse(text: &str) -> Result<ScheduleConfig, ScheduleConfigError> {
    parse_schedule(text, Path::new("/etc/scandyctl/config.toml"))
}

const GUIDE: &str = r#"[backup]
dir = "/backups"

[schedule]
daily   = { cron = "0 2 * * *", type = "incremental" }
weekly  = { cron = "0 2 * * 0", type = "full", verify = "deep" }
monthly = { cron = "0 2 1 * *", type = "full", verify = "deep" }
after   = ["verify", "prune"]
jitter_seconds = 0
timezone = "Europe/Berlin"
"#;

#[test]
fn the_guides_schedule_parses() {
    let config = parse(GUIDE).unwrap();
    let names: Vec<&str> = config.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["daily", "weekly", "monthly"]);
    assert_eq!(config.entries[0].kind, ScheduledType::Incremental);
    assert_eq!(config.entries[0].verify, VerifyLevel::Quick);
    assert_eq!(config.entries[1].verify, VerifyLevel::Deep);
    assert_eq!(config.entries[2].line, 7);
    assert_eq!(config.after, [AfterStep::Verify, AfterStep::Prune]);
    assert_eq!(config.timezone, Some(chrono_tz::Europe::Berlin));
}

#[test]
fn no_section_schedules_nothing() {
    let config = parse("[backup]\ndir = \"/b\"\n").unwrap();
    assert!(config.is_empty());
    assert!(load_schedule(None).unwrap().is_empty());
}

#[test]
fn a_never_firing_expression_names_the_entry() {
    let text = GUIDE.replace("0 2 1 * *", "0 0 31 2 *");
    let err = parse(&text).unwrap_err();
    assert_eq!(err.key, "schedule.monthly.cron");
    assert_eq!(err.line, Some(7));
    assert!(err.message.contains("never fires"), "{err}");
    assert!(
        err.to_string().contains("/etc/scandyctl/config.toml"),
        "{err}"
    );
}

#[test]
fn leap_day_is_a_valid_expression() {
    let text = GUIDE.replace("0 2 1 * *", "0 2 29 2 *");
    assert!(parse(&text).is_ok());
}

#[test]
fn bad_cron_names_the_field() {
    let text = GUIDE.replace("0 2 * * 0", "0 25 * * 0");
    let err = parse(&text).unwrap_err();
    assert_eq!(err.key, "schedule.weekly.cron");
    assert_eq!(err.line, Some(6));
    let text = GUIDE.replace("0 2 * * 0", "0 2 * *");
    assert_eq!(parse(&text).unwrap_err().key, "schedule.weekly.cron");
}

#[test]
fn typos_get_suggestions() {
    let err = parse(&GUIDE.replace("daily   =", "dayly =")).unwrap_err();
    assert_eq!(err.key, "schedule.dayly");
    assert_eq!(err.line, Some(5));
    assert!(
        err.message.contains("did you mean schedule.daily?"),
        "{err}"
    );

    let err = parse(&GUIDE.replace("jitter_seconds", "jiter_seconds")).unwrap_err();
    assert!(err.message.contains("schedule.jitter_seconds"), "{err}");

    let err = parse(&GUIDE.replace("2 * * 0\", type", "2 * * 0\", typ")).unwrap_err();
    assert_eq!(err.key, "schedule.weekly.typ");
    assert!(err.message.contains("did you mean type?"), "{err}");

    let err = parse(&GUIDE.replace("Europe/Berlin", "Europe/Berln")).unwrap_err();
    assert_eq!(err.key, "schedule.timezone");
    assert!(err.message.contains("\"Europe/Berlin\""), "{err}");

    let err = parse(&GUIDE.replace("\"prune\"]", "\"prnue\"]")).unwrap_err();
    assert_eq!(err.key, "schedule.after[1]");
    assert!(err.message.contains("did you mean \"prune\""), "{err}");
}

#[test]
fn bad_values_are_named() {
    let err = parse(&GUIDE.replace("\"incremental\"", "\"differential\"")).unwrap_err();
    assert_eq!(err.key, "schedule.daily.type");
    let err = parse(&GUIDE.replace(
        "verify = \"deep\" }\nmonthly",
        "verify = \"slow\" }\nmonthly",
    ))
    .unwrap_err();
    assert_eq!(err.key, "schedule.weekly.verify");
    let err = parse(&GUIDE.replace("jitter_seconds = 0", "jitter_seconds = 7200")).unwrap_err();
    assert_eq!(err.line, Some(9));
    let err = parse(&GUIDE.replace("\"verify\", \"prune\"", "\"verify\", \"copy\"")).unwrap_err();
    assert!(err.message.contains("off-site"), "{err}");
    let err = parse(&GUIDE.replace("{ cron = \"0 2 * * *\", type", "{ type")).unwrap_err();
    assert_eq!(err.key, "schedule.daily.cron");
    assert!(err.message.contains("missing"), "{err}");
    let err = parse(&GUIDE.replace("cron = \"0 2 * * *\"", "cron = 2")).unwrap_err();
    assert_eq!(err.key, "schedule.daily.cron");
    assert!(err.message.contains("a string"), "{err}");
}
