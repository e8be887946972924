//! Alert rules and the engine: thresholds, minimum duration, hysteresis, escalation,
//! per-mount incidents, yes/no metrics, the `[[alerts]]` loader.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use scandyctl::alerts::{
    ActiveAlert, AlertEngine, AlertRule, Metric, MongoSignal, Priority, Signals, default_rules,
    load_rules, parse_rules,
};

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 0)
        .single()
        .expect("time")
}

fn rule(name: &str) -> AlertRule {
    default_rules()
        .into_iter()
        .find(|r| r.name == name)
        .expect("default rule")
}

fn engine(rules: Vec<AlertRule>) -> AlertEngine {
    AlertEngine::new(rules)
}

fn disk(used: f64) -> Signals {
    Signals {
        disks: vec![(PathBuf::from("/"), used)],
        ..Signals::default()
    }
}

fn levels(alerts: &[ActiveAlert]) -> Vec<(&str, Priority)> {
    alerts.iter().map(|a| (a.id.as_str(), a.priority)).collect()
}

#[test]
fn disk_fires_above_warning_and_critical() {
    let mut e = engine(vec![rule("disk")]);
    assert!(
        e.evaluate(&disk(85.0), at(0)).is_empty(),
        "85 is not above 85"
    );
    assert_eq!(
        levels(&e.evaluate(&disk(85.1), at(1))),
        [("disk:/", Priority::Warning)]
    );
    assert_eq!(
        levels(&e.evaluate(&disk(96.0), at(2))),
        [("disk:/", Priority::Critical)]
    );
}

#[test]
fn a_condition_shorter_than_for_seconds_fires_nothing() {
    let mut e = engine(vec![rule("cpu")]); // 90 % for 300 s
    let busy = |v| Signals {
        cpu_percent: Some(v),
        ..Signals::default()
    };
    assert!(e.evaluate(&busy(99.0), at(0)).is_empty());
    assert!(e.evaluate(&busy(99.0), at(299)).is_empty());
    // A dip below the threshold restarts the timer.
    assert!(e.evaluate(&busy(50.0), at(300)).is_empty());
    assert!(e.evaluate(&busy(99.0), at(301)).is_empty());
    assert!(e.evaluate(&busy(99.0), at(600)).is_empty());
    let fired = e.evaluate(&busy(99.0), at(601));
    assert_eq!(levels(&fired), [("cpu", Priority::Warning)]);
    assert_eq!(fired[0].since, at(301), "since = when the condition began");
}

#[test]
fn hysteresis_keeps_a_flapping_alert_firing_until_below_the_margin() {
    let mut e = engine(vec![rule("disk")]); // 85, clear_margin 3
    assert_eq!(e.evaluate(&disk(85.1), at(0)).len(), 1);
    for (i, v) in [84.9, 85.1, 84.0, 83.0, 82.0, 84.9, 85.1, 82.0]
        .into_iter()
        .enumerate()
    {
        let active = e.evaluate(&disk(v), at(1 + i as i64));
        assert_eq!(
            levels(&active),
            [("disk:/", Priority::Warning)],
            "{v} keeps it firing"
        );
        assert_eq!(
            active[0].since,
            at(0),
            "one incident, not a new one per flap"
        );
    }
    assert!(
        e.evaluate(&disk(81.9), at(20)).is_empty(),
        "below 82 clears"
    );
    assert!(
        e.evaluate(&disk(84.0), at(21)).is_empty(),
        "once cleared, 84 stays quiet"
    );
}

#[test]
fn escalation_and_de_escalation() {
    let mut e = engine(vec![rule("memory")]); // 90 / 97, 120 s, margin 3
    let mem = |v| Signals {
        memory_used_percent: Some(v),
        ..Signals::default()
    };
    assert!(e.evaluate(&mem(98.0), at(0)).is_empty());
    assert_eq!(
        levels(&e.evaluate(&mem(98.0), at(120))),
        [("memory", Priority::Critical)],
        "above critical for for_seconds → critical directly"
    );
    assert_eq!(
        levels(&e.evaluate(&mem(95.0), at(130))),
        [("memory", Priority::Critical)],
        "within the margin of 97"
    );
    assert_eq!(
        levels(&e.evaluate(&mem(93.9), at(140))),
        [("memory", Priority::Warning)],
        "below 97 − 3 → warning"
    );
    assert_eq!(
        levels(&e.evaluate(&mem(98.0), at(150))),
        [("memory", Priority::Warning)],
        "escalating again needs for_seconds above critical"
    );
    let back = e.evaluate(&mem(98.0), at(270));
    assert_eq!(levels(&back), [("memory", Priority::Critical)]);
    assert_eq!(back[0].since, at(0), "the incident keeps its start");
    assert!(e.evaluate(&mem(86.9), at(280)).is_empty(), "below 90 − 3");
}

#[test]
fn each_mount_is_its_own_incident() {
    let mut e = engine(vec![rule("disk")]);
    let two = Signals {
        disks: vec![("/".into(), 50.0), ("/backups".into(), 96.0)],
        ..Signals::default()
    };
    let active = e.evaluate(&two, at(0));
    assert_eq!(levels(&active), [("disk:/backups", Priority::Critical)]);
    assert_eq!(active[0].title, "Disk /backups 96 % full");
    assert_eq!(active[0].value, Some(96.0));
    let both = Signals {
        disks: vec![("/".into(), 90.0), ("/backups".into(), 96.0)],
        ..Signals::default()
    };
    assert_eq!(
        levels(&e.evaluate(&both, at(1))),
        [
            ("disk:/backups", Priority::Critical),
            ("disk:/", Priority::Warning)
        ]
    );
    // Not sampled: the incidents stay; a mount that is gone ends its incident.
    assert_eq!(e.evaluate(&Signals::default(), at(2)).len(), 2);
    let gone = Signals {
        disks: vec![("/".into(), 90.0)],
        ..Signals::default()
    };
    assert_eq!(
        levels(&e.evaluate(&gone, at(3))),
        [("disk:/", Priority::Warning)]
    );
}

#[test]
fn yes_no_metrics_use_their_priority_and_duration() {
    let mut e = engine(vec![rule("health"), rule("mongo"), rule("mongo_auth")]);
    let down = Signals {
        health: Some(Err("connection refused".into())),
        mongo: Some(MongoSignal::AuthFailed("authentication failed".into())),
        ..Signals::default()
    };
    let now = e.evaluate(&down, at(0));
    assert_eq!(levels(&now), [("mongo_auth", Priority::Critical)]);
    assert!(now[0].summary.contains("authentication failed"));
    assert_eq!(now[0].value, None);
    let later = e.evaluate(&down, at(60));
    assert_eq!(
        levels(&later),
        [
            ("health", Priority::Critical),
            ("mongo_auth", Priority::Critical)
        ],
        "same priority: oldest first"
    );
    assert!(later[0].summary.contains("connection refused"));
    let unreachable = Signals {
        health: Some(Ok(())),
        mongo: Some(MongoSignal::Unreachable("timed out".into())),
        ..Signals::default()
    };
    assert!(e.evaluate(&unreachable, at(61)).is_empty());
    assert_eq!(
        levels(&e.evaluate(&unreachable, at(91))),
        [("mongo", Priority::Critical)]
    );
    let fine = Signals {
        mongo: Some(MongoSignal::Ok),
        ..Signals::default()
    };
    assert!(e.evaluate(&fine, at(92)).is_empty());
}

#[test]
fn verify_failed_names_the_set_and_clears_when_fine() {
    let mut e = engine(vec![rule("verify")]);
    let failed = Signals {
        verify_failed: Some("2027-01-14T02-00-00Z-full".into()),
        ..Signals::default()
    };
    let active = e.evaluate(&failed, at(0));
    assert_eq!(levels(&active), [("verify", Priority::Warning)]);
    assert!(active[0].title.contains("2027-01-14T02-00-00Z-full"));
    assert!(e.evaluate(&Signals::default(), at(1)).is_empty());
}

#[test]
fn backup_age_and_no_backup_at_all() {
    let mut e = engine(vec![rule("backup_age")]);
    let age = |hours| Signals {
        backup_age: Some(Some(Duration::hours(hours))),
        ..Signals::default()
    };
    assert!(e.evaluate(&age(25), at(0)).is_empty());
    assert_eq!(
        levels(&e.evaluate(&age(27), at(1))),
        [("backup_age", Priority::Warning)]
    );
    assert_eq!(
        levels(&e.evaluate(&age(51), at(2))),
        [("backup_age", Priority::Critical)]
    );
    assert!(e.evaluate(&age(1), at(3)).is_empty());
    let none = Signals {
        backup_age: Some(None),
        ..Signals::default()
    };
    let active = e.evaluate(&none, at(4));
    assert_eq!(levels(&active), [("backup_age", Priority::Critical)]);
    assert_eq!(active[0].title, "No backup found");
    assert_eq!(active[0].value, None);
    let json = serde_json::to_value(&active[0]).expect("json");
    assert_eq!(json["priority"], "critical");
    assert_eq!(json["id"], "backup_age");
}

#[test]
fn error_rate_needs_five_minutes() {
    let mut e = engine(vec![rule("error_rate")]);
    let rate = |v| Signals {
        errors_per_minute: Some(v),
        ..Signals::default()
    };
    assert!(e.evaluate(&rate(12.0), at(0)).is_empty());
    assert_eq!(
        levels(&e.evaluate(&rate(12.0), at(300))),
        [("error_rate", Priority::Warning)]
    );
}

#[test]
fn disabled_rules_never_fire() {
    let rules = parse_rules(
        Path::new("c.toml"),
        "[[alerts]]\nname = \"disk\"\nenabled = false\n",
    )
    .expect("rules");
    let mut e = engine(rules);
    assert!(
        e.evaluate(&disk(99.0), at(0))
            .iter()
            .all(|a| a.rule != "disk")
    );
}

#[test]
fn rules_file_merges_by_name_and_adds_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "[mongo]\ndatabase = \"scandy\"\n\n[[alerts]]\nname = \"disk\"\nwarning = 70\nclear_margin = 5\n\n\
         [[alerts]]\nname = \"data_disk_critical\"\nmetric = \"disk_used_percent\"\ncritical = 99\n\n\
         [[alerts]]\nname = \"health\"\npriority = \"warning\"\nfor_seconds = 0\n",
    )
    .expect("write");
    let rules = load_rules(Some(&path)).expect("rules");
    let find = |n: &str| rules.iter().find(|r| r.name == n).expect(n).clone();
    assert_eq!(find("disk").warning, Some(70.0));
    assert_eq!(find("disk").critical, Some(95.0));
    assert_eq!(find("disk").clear_margin, 5.0);
    assert_eq!(find("data_disk_critical").metric, Metric::DiskUsedPercent);
    assert_eq!(find("health").priority, Priority::Warning);
    assert_eq!(rules.len(), default_rules().len() + 1);
    let mut e = engine(rules);
    let active = e.evaluate(
        &Signals {
            health: Some(Err("HTTP 500".into())),
            ..disk(99.5)
        },
        at(0),
    );
    assert_eq!(
        levels(&active),
        [
            ("data_disk_critical:/", Priority::Critical),
            ("disk:/", Priority::Critical),
            ("health", Priority::Warning)
        ]
    );
}

#[test]
fn rules_file_errors_name_file_key_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    let cases = [
        (
            "[[alerts]]\nname = \"disk\"\nwarn = 3\n",
            "alerts[0].warn",
            3,
        ),
        (
            "[[alerts]]\nname = \"a\"\nmetric = \"disk_percent\"\nwarning = 3\n",
            "alerts[0].metric",
            3,
        ),
        (
            "[[alerts]]\nname = \"disk\"\n\n[[alerts]]\nname = \"cpu\"\nfor_seconds = -5\n",
            "alerts[1].for_seconds",
            6,
        ),
        (
            "[[alerts]]\nname = \"verify\"\npriority = \"urgent\"\n",
            "alerts[0].priority",
            3,
        ),
        (
            "[[alerts]]\nname = \"memory\"\nenabled = \"no\"\n",
            "alerts[0].enabled",
            3,
        ),
        (
            "[[alerts]]\nmetric = \"cpu_percent\"\n",
            "alerts[0].name",
            1,
        ),
    ];
    for (text, key, line) in cases {
        std::fs::write(&path, text).expect("write");
        let err = load_rules(Some(&path)).expect_err(text);
        assert_eq!(err.key, key, "{text}");
        assert_eq!(err.line, Some(line), "{text}");
        let message = err.to_string();
        assert!(
            message.starts_with(&format!("{}:{line}: {key}: ", path.display())),
            "{message}"
        );
    }
    let missing = load_rules(Some(&dir.path().join("nope.toml"))).expect_err("missing");
    assert!(missing.to_string().contains("nope.toml"));
}

#[test]
fn defaults_match_the_documented_values() {
    let d = |n: &str| rule(n);
    assert_eq!(
        (d("disk").warning, d("disk").critical),
        (Some(85.0), Some(95.0))
    );
    assert_eq!(
        (
            d("memory").warning,
            d("memory").critical,
            d("memory").for_seconds
        ),
        (Some(90.0), Some(97.0), 120)
    );
    assert_eq!((d("cpu").warning, d("cpu").for_seconds), (Some(90.0), 300));
    assert_eq!(
        (d("health").priority, d("health").for_seconds),
        (Priority::Critical, 60)
    );
    assert_eq!(
        (d("mongo").priority, d("mongo").for_seconds),
        (Priority::Critical, 30)
    );
    assert_eq!(d("mongo_auth").for_seconds, 0);
    assert_eq!(
        (d("backup_age").warning, d("backup_age").critical),
        (Some(26.0), Some(50.0))
    );
    assert_eq!(d("verify").priority, Priority::Warning);
    assert_eq!(
        (d("error_rate").warning, d("error_rate").for_seconds),
        (Some(10.0), 300)
    );
}
