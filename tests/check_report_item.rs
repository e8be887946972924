//! The monthly checklist's report item (`SCY-RPT-001`): it writes last month's report in
//! Markdown and HTML into the report directory and says which sections are missing.

mod backup_support;
mod common;

use backup_support::Fixture;
use chrono::Utc;
use scandyctl::checks::model::Severity;
use scandyctl::checks::report::{ReportKind, ReportPeriod};
use scandyctl::checks::report_item::{REPORT_ID, report_item};
use scandyctl::checks::run::{CheckContext, record_run, run_item};
use scandyctl::checks::settings::ChecklistSettings;
use scandyctl::checks::state::{ChecklistsState, load_state};
use scandyctl::config::Config;
use scandyctl::i18n::Lang;

#[tokio::test(flavor = "multi_thread")]
async fn the_report_item_writes_last_months_report_in_both_formats() {
    let fx = Fixture::new("check_report_item").await;
    let mut config = Config::default();
    config.scandy.root = fx.root.clone();
    config.mongo.uri = fx.uri.clone();
    config.mongo.database = fx.database.clone();
    config.backup.dir = fx.backups.clone();
    let state_dir = fx.dir.path().join("state");
    for lang in [Lang::En, Lang::De] {
        let ctx = CheckContext {
            config: config.clone(),
            config_file: None,
            state_dir: state_dir.clone(),
            settings: ChecklistSettings::default(),
            lang,
        };
        let run = run_item(&ctx, &report_item(), &ChecklistsState::default()).await;
        let result = run.result.clone();
        let label = ReportPeriod::last_complete(ReportKind::Monthly, Utc::now()).label;
        assert_eq!(result.id, REPORT_ID);
        assert_eq!(
            result.summary,
            format!("report for {label} written"),
            "{result:#?}"
        );
        // No `watch` history in a fresh state directory: the report says so, as info.
        assert_eq!(result.severity, Severity::Info, "{result:#?}");
        let md = state_dir.join(format!("reports/scandy-report-{label}.md"));
        let html = state_dir.join(format!("reports/scandy-report-{label}.html"));
        assert_eq!(
            result.evidence[..2],
            [md.display().to_string(), html.display().to_string()]
        );
        assert!(
            result.evidence[2..]
                .iter()
                .any(|w| w.contains("scandyctl watch")),
            "{result:#?}"
        );
        let md_text = std::fs::read_to_string(&md).unwrap();
        let html_text = std::fs::read_to_string(&html).unwrap();
        assert!(md_text.contains(&label) && html_text.contains(&label));
        assert!(
            html_text
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("<!doctype html>")
        );
        let heading = md_text.lines().next().unwrap();
        match lang {
            Lang::En => assert!(heading.contains("report"), "{heading}"),
            Lang::De => assert!(heading.contains("bericht"), "{heading}"),
        }
        assert!(!record_run(&ctx, &report_item(), run).unwrap());
    }
    let state = load_state(&state_dir).unwrap();
    let round = &state.rounds[&scandyctl::checks::Cadence::Monthly];
    assert_eq!(round.results[REPORT_ID].severity, Severity::Info);
}
