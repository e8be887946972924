//! The confirmations of the follow-ups an item offers once it ran: what exactly will
//! happen (the statements, the file and its content), worded when they open.

use super::view::{FollowUpPlan, FollowUpWork};
use crate::i18n::Msg;
use crate::jobs::{DbTask, JobSpec};
use crate::mongo::indexes::FindingKind;
use crate::ui::state::State;

/// Compacting `collections` one after the other.
pub fn compact_plan(state: &State, collections: Vec<String>) -> FollowUpPlan {
    let lang = state.lang;
    FollowUpPlan {
        title: Msg::CkCompactTitle.fill(
            lang,
            &[&collections.len().to_string(), &state.install.database],
        ),
        lines: vec![
            Msg::DbCompactText.text(lang).to_string(),
            Msg::CkCompactOneByOne.text(lang).to_string(),
        ],
        warning: Some(Msg::DbCompactWarning.text(lang).to_string()),
        statements: collections
            .iter()
            .map(|c| format!("db.runCommand({{ compact: \"{c}\" }})"))
            .collect(),
        work: FollowUpWork::Compact(collections),
    }
}

/// Creating Scandy's missing indexes: the statements when the Database tab has sampled
/// them, else what the selected item found.
pub fn create_indexes_plan(state: &State) -> FollowUpPlan {
    let lang = state.lang;
    let statements: Vec<String> = state
        .sample()
        .map(|sample| {
            sample
                .findings
                .iter()
                .filter(|f| f.kind == FindingKind::MissingExpected)
                .filter_map(|f| f.fix.clone())
                .collect()
        })
        .unwrap_or_default();
    let (title, statements) = if statements.is_empty() {
        let view = &state.checklists;
        let found = view
            .selected_item()
            .and_then(|def| view.result(def.cadence, &def.id))
            .map(|r| r.evidence)
            .unwrap_or_default();
        (Msg::CkIndexesTitle.text(lang).to_string(), found)
    } else {
        let count = statements.len().to_string();
        (Msg::DbCreateIndexesTitle.fill(lang, &[&count]), statements)
    };
    FollowUpPlan {
        title,
        lines: vec![Msg::DbCreateIndexesText.text(lang).to_string()],
        warning: None,
        statements,
        work: FollowUpWork::Job(JobSpec::Db(DbTask::CreateMissingIndexes)),
    }
}

/// Writing the logrotate rule (shown in full) to its file; `None` when there is no rule.
pub fn logrotate_plan(state: &State) -> Option<FollowUpPlan> {
    let lang = state.lang;
    let (path, text) = state.checklists.logrotate.as_ref()?;
    let shown = path.display().to_string();
    Some(FollowUpPlan {
        title: Msg::CkLogrotateTitle.fill(lang, &[&shown]),
        lines: vec![Msg::CkLogrotateText.fill(lang, &[&shown])],
        warning: Some(Msg::CkLogrotateWarning.text(lang).to_string()),
        statements: text.lines().map(str::to_string).collect(),
        work: FollowUpWork::WriteLogrotate,
    })
}
