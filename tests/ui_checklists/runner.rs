//! The checklist runner on real files: items run in tokio tasks and come back as actions,
//! results land in `checklists.json` and the maintenance log, the logrotate follow-up
//! writes its rule once and never over an existing file.

use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use scandyctl::checks::CheckContext;
use scandyctl::config::Config;
use scandyctl::ui::checklist_runner::ChecklistRunner;

use super::*;

/// Waits (bounded) for the runner's next report.
async fn next_event(rx: &mut UnboundedReceiver<Action>) -> ChecklistsEvent {
    loop {
        let action = tokio::time::timeout(Duration::from_secs(60), rx.recv())
            .await
            .expect("the runner reports within 60 s")
            .expect("the channel is open");
        if let Action::Checklists(event) = action {
            return event;
        }
    }
}

fn runner_in(state_dir: &Path, config_text: &str) -> (ChecklistRunner, UnboundedReceiver<Action>) {
    let file = state_dir.join("config.toml");
    let settings = parse_checklists(config_text, &file).unwrap();
    let mut config = Config::default();
    config.scandy.root = state_dir.join("scandy");
    let context = CheckContext {
        config,
        config_file: None,
        state_dir: state_dir.join("state"),
        settings,
        lang: Lang::En,
    };
    let (tx, rx) = unbounded_channel();
    (ChecklistRunner::new(context, tx), rx)
}

#[tokio::test]
async fn items_run_in_the_background_and_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let config = "[checklists]\n\
        [[checklists.items]]\nid = \"SITE-A-001\"\ncadence = \"weekly\"\ntitle = \"A\"\ncommand = \"echo fine\"\n\
        [[checklists.items]]\nid = \"SITE-B-002\"\ncadence = \"weekly\"\ntitle = \"B\"\ncommand = \"echo 'disk 91 %'; exit 1\"\n\
        [[checklists.items]]\nid = \"SITE-C-003\"\ncadence = \"weekly\"\ntitle = \"C\"\n";
    let (runner, mut rx) = runner_in(dir.path(), config);
    let ids: Vec<String> = runner
        .items()
        .into_iter()
        .filter(|d| d.cadence == Cadence::Weekly && d.id.starts_with("SITE-") && d.is_automatic())
        .map(|d| d.id)
        .collect();
    assert_eq!(ids, ["SITE-A-001", "SITE-B-002"]);
    runner.run(ChecklistsCommand::Run {
        cadence: Cadence::Weekly,
        ids: ids.clone(),
    });
    for id in &ids {
        assert_eq!(
            next_event(&mut rx).await,
            ChecklistsEvent::ItemStarted(id.clone())
        );
        let ChecklistsEvent::ItemDone {
            id: done,
            outcome,
            snapshot,
        } = next_event(&mut rx).await
        else {
            panic!("expected the item's result");
        };
        assert_eq!(&done, id);
        let (result, completed) = outcome.expect("recorded");
        assert!(!completed, "the manual item is still open");
        let snapshot = snapshot.expect("the state read afterwards");
        let round = &snapshot.state.rounds[&Cadence::Weekly];
        assert_eq!(round.results[id].severity, result.severity);
    }
    runner.run(ChecklistsCommand::Confirm {
        id: "SITE-C-003".into(),
        comment: Some("done by hand".into()),
    });
    let ChecklistsEvent::ItemDone {
        outcome, snapshot, ..
    } = next_event(&mut rx).await
    else {
        panic!("expected the confirmation");
    };
    let (result, _) = outcome.expect("confirmed");
    assert_eq!(result.comment.as_deref(), Some("done by hand"));
    let snapshot = snapshot.expect("the state read afterwards");
    let round = &snapshot.state.rounds[&Cadence::Weekly];
    assert_eq!(round.results["SITE-A-001"].severity, Severity::Ok);
    assert_eq!(round.results["SITE-B-002"].severity, Severity::Warning);
    assert_eq!(
        round.results["SITE-B-002"].summary,
        "exit 1 (warning): disk 91 %"
    );
    let titles: Vec<&str> = snapshot.entries.iter().map(|e| e.title.as_str()).collect();
    assert!(
        titles.iter().any(|t| t.contains("SITE-B-002 warning")),
        "{titles:?}"
    );
    runner.run(ChecklistsCommand::Run {
        cadence: Cadence::Weekly,
        ids: vec!["SITE-NOPE-404".into()],
    });
    let ChecklistsEvent::ItemDone { outcome, .. } = next_event(&mut rx).await else {
        panic!("expected a refusal");
    };
    assert!(outcome.unwrap_err().contains("SITE-NOPE-404"));
}

#[tokio::test]
async fn the_logrotate_follow_up_writes_its_rule_once() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("logrotate.d");
    std::fs::create_dir_all(&rules).unwrap();
    let config = format!("[checklists]\nlogrotate_dir = \"{}\"\n", rules.display());
    let (runner, mut rx) = runner_in(dir.path(), &config);
    runner.run(ChecklistsCommand::WriteLogrotate);
    let ChecklistsEvent::FileWritten(written) = next_event(&mut rx).await else {
        panic!("expected the file report");
    };
    let path = written.expect("written");
    assert_eq!(path, rules.join("scandy"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(&format!(
            "{}/app/logs/*.log",
            dir.path().join("scandy").display()
        )),
        "{text}"
    );
    let entries = scandyctl::maintenance_log::read_entries(&dir.path().join("state"));
    assert!(entries.iter().any(|e| e.kind == "logrotate"), "{entries:?}");
    runner.run(ChecklistsCommand::WriteLogrotate);
    let ChecklistsEvent::FileWritten(again) = next_event(&mut rx).await else {
        panic!("expected the file report");
    };
    assert!(again.unwrap_err().contains("exists already"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "never overwritten"
    );
}
