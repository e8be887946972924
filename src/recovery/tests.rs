//! Unit tests of the recovery engine's pure parts: thresholds, scopes, reports, settings.

use chrono::Utc;

use super::detect::{compare_collections, files_finding};
use super::model::{
    CheckLevel, Diagnosis, FilesState, Finding, IncidentKind, LostCollection, MongoState,
    PointSource, Reference,
};
use super::point::RecoveryPoint;
use super::scope::scope_for;
use super::wizard::{Step, Wizard};
use crate::config::Config;
use crate::notify::Priority;

fn reference(collections: &[(&str, u64)]) -> Reference {
    Reference {
        id: "scandy-20261204T020000Z-full".into(),
        source: PointSource::Set,
        created_at: Utc::now(),
        collections: collections
            .iter()
            .map(|(n, c)| (n.to_string(), *c))
            .collect(),
        upload_files: Some(10),
    }
}

fn diagnosis(incidents: Vec<IncidentKind>, lost: &[(&str, u64, Option<u64>)]) -> Diagnosis {
    Diagnosis {
        at: Utc::now(),
        database: "scandy".into(),
        findings: vec![
            Finding::new("SCY-REC-MONGO", CheckLevel::Ok, "MongoDB answers")
                .with("\u{1b}[31mred\u{7} <script>alert(1)</script> | pipe"),
        ],
        incidents,
        severity: Priority::Critical,
        mongo: MongoState::Reachable {
            version: "7.0".into(),
            latency_ms: 1,
        },
        reference: None,
        lost_collections: lost
            .iter()
            .map(|(n, e, l)| LostCollection {
                name: n.to_string(),
                expected: *e,
                live: *l,
            })
            .collect(),
        files: None,
        top_errors: Vec::new(),
    }
}

#[test]
fn a_collection_is_lost_past_the_threshold_missing_or_empty() {
    let config = Config::default();
    let r = reference(&[
        ("tools", 100),
        ("workers", 100),
        ("users", 100),
        ("empty", 0),
    ]);
    let live = [("tools", 79u64), ("workers", 80), ("empty", 0)]
        .into_iter()
        .map(|(n, c)| (n.to_string(), c))
        .collect();
    let (finding, lost, all) = compare_collections(&config, &live, Some(&r), 20);
    assert_eq!(finding.level, CheckLevel::Failed);
    let names: Vec<&str> = lost.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["tools", "users"]);
    assert_eq!(lost[1].live, None);
    assert!(!all);
    let nothing = Default::default();
    let (finding, lost, all) = compare_collections(&config, &nothing, Some(&r), 20);
    assert!(all && lost.len() == 3, "{finding:?}");
    assert!(finding.title.contains("is lost"));
}

#[test]
fn files_are_lost_when_a_directory_is_gone_or_far_fewer_remain() {
    let state = |present, missing: &[&str]| FilesState {
        expected: Some(10),
        present,
        missing_dirs: missing.iter().map(|s| s.to_string()).collect(),
    };
    assert!(!files_finding(&state(8, &[]), 20).1);
    assert!(files_finding(&state(7, &[]), 20).1);
    assert!(files_finding(&state(10, &["/srv/scandy/app/static/uploads"]), 20).1);
    let unknown = FilesState {
        expected: None,
        present: 0,
        missing_dirs: Vec::new(),
    };
    assert!(!files_finding(&unknown, 20).1);
}

#[test]
fn the_scope_holds_exactly_what_was_lost() {
    let r = reference(&[("tools", 10), ("workers", 5)]);
    let d = diagnosis(
        vec![IncidentKind::CollectionsLost, IncidentKind::FilesLost],
        &[("tools", 10, Some(0)), ("orders", 3, None)],
    );
    let scope = scope_for(IncidentKind::CollectionsLost, &d, &r, true);
    assert_eq!(scope.collections, ["tools"]);
    assert_eq!(scope.not_in_backup, ["orders"]);
    assert!(scope.missing_files && !scope.whole_database);
    let request = scope.request("set", true, None);
    assert_eq!(request.only, None);
    assert_eq!(request.collections, Some(vec!["tools".to_string()]));
    assert!(request.missing_files_only && request.safety_backup);
    let scope = scope_for(IncidentKind::CollectionsLost, &d, &r, false);
    assert_eq!(
        scope.request("set", false, None).only,
        Some(crate::backup::restore::RestorePart::Db)
    );
    let d = diagnosis(vec![IncidentKind::DatabaseLost], &[]);
    assert_eq!(
        scope_for(IncidentKind::DatabaseLost, &d, &r, true).describe(),
        "the whole database"
    );
}

#[test]
fn reports_escape_what_came_from_files_and_servers() {
    let mut w = Wizard::start(Utc::now());
    let d = diagnosis(vec![IncidentKind::DatabaseLost], &[]);
    w.incident = d.proposed();
    w.diagnosis = Some(d);
    w.point = Some(RecoveryPoint {
        reference: reference(&[("tools", 1)]),
        verified_at: Utc::now(),
        skipped: Vec::new(),
    });
    w.prevention = "Backups \u{1b}]0;title\u{7} täglich prüfen".into();
    w.log("anna", "note with \u{1b}[2J");
    let md = super::report::render_markdown(&w);
    let html = super::report::render_html(&w);
    for text in [&md, &html] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
    }
    assert!(md.contains("\\x1b[31mred"), "{md}");
    assert!(md.contains("\\| pipe"), "{md}");
    assert!(
        html.contains("&lt;script&gt;") && !html.contains("<script>"),
        "{html}"
    );
    assert!(md.contains("täglich prüfen"));
    assert!(md.contains("| Detection | anna |"), "{md}");
}

#[test]
fn the_example_config_recovery_section_parses() {
    let text = include_str!("../../assets/scandyctl.example.toml");
    let start = text.find("# [recovery]").expect("example has [recovery]");
    let section: Vec<&str> = text[start..]
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .collect();
    let settings =
        super::settings::parse_recovery(&section.join("\n"), std::path::Path::new("example"))
            .expect("parses");
    assert_eq!(settings.drop_threshold, 20);
    assert_eq!(settings.contacts.len(), 1);
    assert!(!settings.notes.is_empty());
}

#[test]
fn the_proposal_follows_the_urgency_order() {
    assert_eq!(Step::Detection.next(), Step::Reaction);
    let order = IncidentKind::ALL;
    assert!(
        order.iter().position(|k| *k == IncidentKind::DatabaseLost)
            < order.iter().position(|k| *k == IncidentKind::ServiceDown)
    );
    for kind in order {
        assert_eq!(IncidentKind::parse(kind.as_str()), Some(kind));
    }
}
