//! The Database tab: snapshot tests of its views (EN/DE) and the pure behaviour of its keys —
//! selections that survive new samples, confirmations before every change, reIndex offered
//! only on a standalone server, health fixes shown before they run.

mod ui_support;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use scandyctl::i18n::Lang;
use scandyctl::jobs::{DbOutcome, DbTask, JobResult, JobSpec, JobStatus};
use scandyctl::mongo::health::{CheckResult, CheckState, FixPlan};
use scandyctl::mongo::indexes::{
    FindingKind, IndexFinding, IndexInfo, IndexUsage, Severity, findings_for,
};
use scandyctl::mongo::maintenance::{Operation, ValidateReport};
use scandyctl::mongo::probe::FailureKind;
use scandyctl::mongo::sample::DatabaseSample;
use scandyctl::mongo::stats::{
    Availability, CollectionKind, CollectionStats, Connections, DatabaseOverview, DbTotals, Memory,
    OpCounters, ReplicaMember, ServerOverview, StatsSource, StorageStats, Topology, TtlIndex,
    UnavailableReason,
};
use scandyctl::ui::action::{Action, Command};
use scandyctl::ui::dialogs::Dialog;
use scandyctl::ui::state::{State, update};
use scandyctl::ui::tabs::database::view::DbPane;
use ui_support::*;

fn available<T>(value: T) -> Availability<T> {
    Availability::Available { value }
}

fn collection(name: &str, count: u64, size: u64, nindexes: u64) -> CollectionStats {
    CollectionStats {
        name: name.into(),
        kind: CollectionKind::Collection,
        view_on: None,
        count: Some(count),
        storage: Some(available(StorageStats {
            size,
            storage_size: size / 2,
            avg_obj_size: size / count.max(1),
            nindexes,
            total_index_size: nindexes * 16 * 1024,
        })),
        source: Some(StatsSource::CollStatsCommand),
        ttl: Vec::new(),
    }
}

fn index(collection: &str, name: &str, keys: &str, ops: u64) -> IndexInfo {
    IndexInfo {
        collection: collection.into(),
        name: name.into(),
        keys: keys.into(),
        unique: false,
        sparse: false,
        ttl_secs: None,
        partial_filter: None,
        size: available(20 * 1024),
        usage: available(IndexUsage {
            ops,
            since: Some("2026-11-20T08:00:00Z".into()),
        }),
        unused: ops == 0,
    }
}

fn operation(opid: i64, secs: u64, op: &str, ns: &str, summary: &str) -> Operation {
    Operation {
        opid,
        op: op.into(),
        namespace: ns.into(),
        client: Some("10.0.0.5:51234".into()),
        description: Some(format!("conn{opid}")),
        app_name: Some("gunicorn".into()),
        secs_running: Some(secs),
        active: true,
        waiting_for_lock: false,
        summary: summary.into(),
    }
}

/// A replica-set server with Scandy's database: a missing expected index and the legacy
/// `barcode_1` on tools, one unused index, three operations.
fn sample(topology: Topology) -> DatabaseSample {
    let mut workers = collection("workers", 145, 30_000, 2);
    workers.ttl.push(TtlIndex {
        index: "delete_at_1".into(),
        field: "delete_at".into(),
        expire_after_secs: 0,
    });
    let mut legacy = index("tools", "barcode_1", "{barcode: 1}", 12);
    legacy.unique = true;
    let mut ttl = index("workers", "delete_at_1", "{delete_at: 1}", 0);
    ttl.ttl_secs = Some(0);
    let members = matches!(topology, Topology::ReplicaSet { .. }).then(|| {
        available(vec![ReplicaMember {
            name: "db1:27017".into(),
            state: 1,
            state_str: "PRIMARY".into(),
            health: Some(1.0),
            is_self: true,
            optime: None,
            lag_secs: None,
        }])
    });
    let mut slow = operation(
        4711,
        95,
        "query",
        "scandy.lendings",
        "find: \"lendings\", filter: {returned_at: null}\u{1b}[2J",
    );
    slow.waiting_for_lock = true;
    DatabaseSample {
        sampled_at: scanned_at(),
        server: ServerOverview {
            version: available("7.0.14".into()),
            uptime_secs: available(3 * 86_400 + 4 * 3600),
            storage_engine: available("wiredTiger".into()),
            connections: available(Connections {
                current: 12,
                available: 826,
            }),
            opcounters: available(OpCounters::default()),
            memory: available(Memory {
                resident_mb: 312,
                virtual_mb: 1800,
            }),
            topology: available(topology),
            members,
        },
        database: DatabaseOverview {
            name: "scandy".into(),
            totals: available(DbTotals {
                collections: 4,
                objects: 1708,
                data_size: 420_000,
                storage_size: 210_000,
                indexes: 9,
                index_size: 147_456,
            }),
            collections: vec![
                collection("lendings", 863, 150_000, 3),
                collection("tools", 500, 170_000, 3),
                workers,
                collection("consumables", 200, 70_000, 1),
            ],
        },
        indexes: vec![
            index("lendings", "_id_", "{_id: 1}", 900),
            index("lendings", "tool_barcode_1", "{tool_barcode: 1}", 311),
            index("lendings", "old_lookup_1", "{old_lookup: 1}", 0),
            index("tools", "_id_", "{_id: 1}", 40),
            legacy,
            index("tools", "name_1", "{name: 1}", 7),
            index("workers", "_id_", "{_id: 1}", 80),
            ttl,
            index("consumables", "_id_", "{_id: 1}", 3),
        ],
        findings: vec![
            IndexFinding {
                kind: FindingKind::MissingExpected,
                severity: Severity::Warning,
                collection: "tools".into(),
                index: "department_1_barcode_1".into(),
                keys: "{department: 1, barcode: 1}".into(),
                message: "Scandy expects index department_1_barcode_1 on tools".into(),
                fix: Some(
                    "db.tools.createIndex({department: 1, barcode: 1}, {unique: true, sparse: true})"
                        .into(),
                ),
                fix_commands: Vec::new(),
            },
            IndexFinding {
                kind: FindingKind::LegacyBarcode,
                severity: Severity::Warning,
                collection: "tools".into(),
                index: "barcode_1".into(),
                keys: "{barcode: 1}".into(),
                message: "legacy unique barcode_1 blocks equal barcodes in two departments"
                    .into(),
                fix: Some("db.tools.dropIndex(\"barcode_1\")".into()),
                fix_commands: Vec::new(),
            },
            IndexFinding {
                kind: FindingKind::Unused,
                severity: Severity::Info,
                collection: "lendings".into(),
                index: "old_lookup_1".into(),
                keys: "{old_lookup: 1}".into(),
                message: "old_lookup_1 was not used since 2026-11-20".into(),
                fix: None,
                fix_commands: Vec::new(),
            },
        ],
        operations: available(vec![
            slow,
            operation(4712, 2, "update", "scandy.tools", "update: \"tools\""),
            operation(4713, 0, "command", "admin.$cmd", "hello: 1"),
        ]),
        ops_per_sec: Some(42.5),
    }
}

fn replica_set() -> Topology {
    Topology::ReplicaSet {
        set_name: "rs0".into(),
        hosts: vec!["db1:27017".into()],
        primary: Some("db1:27017".into()),
        me: Some("db1:27017".into()),
    }
}

fn on_database(lang: Lang, topology: Topology) -> State {
    let mut state = connected_state(lang);
    let commands = update(&mut state, key('5'));
    assert_eq!(
        commands,
        vec![Command::RefreshDatabase],
        "opening samples at once"
    );
    update(
        &mut state,
        Action::DatabaseSampled(Ok(Box::new(sample(topology)))),
    );
    state
}

fn press(state: &mut State, code: KeyCode) -> Vec<Command> {
    update(state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn health_results() -> Vec<CheckResult> {
    vec![
        CheckResult {
            id: "tool-status",
            title: "Tool status matches the open lendings".into(),
            count: 2,
            examples: vec![
                "tools 6561… (T-0042 Akkuschrauber): status ausgeliehen, no open lending".into(),
                "tools 6562… (T-0043 Bohrhammer\u{1b}]0;x\u{7}): status verfügbar, open lending"
                    .into(),
            ],
            fix: Some(FixPlan {
                description: "set status from the open lendings (2 tools)".into(),
                mongosh: "db.tools.updateMany({_id: {$in: [...]}}, {$set: {status: \"verfügbar\"}})\ndb.tools.updateMany({_id: {$in: [...]}}, {$set: {status: \"ausgeliehen\"}})".into(),
            }),
            no_fix: None,
            informational: false,
            state: CheckState::Findings,
        },
        CheckResult {
            id: "lending-orphans",
            title: "Lendings point at existing tools and workers".into(),
            count: 0,
            examples: Vec::new(),
            fix: None,
            no_fix: None,
            informational: false,
            state: CheckState::Ok,
        },
        CheckResult {
            id: "ttl-due",
            title: "Users and workers the TTL index deletes within 30 days".into(),
            count: 1,
            examples: vec!["workers 6563… (W-0007 Erika Muster): deleted 2026-12-01".into()],
            fix: None,
            no_fix: Some("informational: the TTL index deletes these documents on purpose".into()),
            informational: true,
            state: CheckState::Findings,
        },
    ]
}

#[test]
fn collections_view_with_index_findings_en_de() {
    for lang in [Lang::En, Lang::De] {
        let mut state = on_database(lang, replica_set());
        // Sorted by documents (largest first): lendings, tools, …; select tools.
        update(&mut state, key('j'));
        assert_eq!(state.database_view.collection.as_deref(), Some("tools"));
        let screen = render(&state);
        assert!(
            screen.contains("db.tools.dropIndex(\"barcode_1\")"),
            "{screen}"
        );
        insta::assert_snapshot!(format!("database_collections_{}", lang_name(lang)), screen);
    }
}

#[test]
fn operations_view_escapes_commands_en_de() {
    for lang in [Lang::En, Lang::De] {
        let mut state = on_database(lang, replica_set());
        update(&mut state, key('o'));
        assert_eq!(state.database_view.pane, DbPane::Operations);
        let screen = render(&state);
        assert!(
            !screen.contains('\u{1b}'),
            "escape sequences never reach the screen"
        );
        assert!(screen.contains("\\x1b[2J"), "{screen}");
        insta::assert_snapshot!(format!("database_operations_{}", lang_name(lang)), screen);
    }
}

#[test]
fn health_view_shows_examples_and_the_fix_en_de() {
    for lang in [Lang::En, Lang::De] {
        let mut state = on_database(lang, replica_set());
        let commands = update(&mut state, key('H'));
        assert_eq!(commands, vec![Command::RunHealthChecks]);
        assert_eq!(state.database_view.pane, DbPane::Health);
        update(
            &mut state,
            Action::HealthChecked {
                results: Ok(health_results()),
                at: scanned_at(),
            },
        );
        let screen = render(&state);
        assert!(!screen.contains('\u{1b}') && !screen.contains('\u{7}'));
        insta::assert_snapshot!(format!("database_health_{}", lang_name(lang)), screen);
    }
}

#[test]
fn unavailable_values_and_auth_failure_en_de() {
    for lang in [Lang::En, Lang::De] {
        let mut state = connected_state(lang);
        update(&mut state, key('5'));
        let mut restricted = sample(Topology::Standalone);
        let not_permitted = || UnavailableReason::NotPermitted;
        restricted.server.uptime_secs = Availability::Unavailable {
            reason: not_permitted(),
        };
        restricted.server.connections = Availability::Unavailable {
            reason: not_permitted(),
        };
        restricted.server.opcounters = Availability::Unavailable {
            reason: not_permitted(),
        };
        restricted.server.memory = Availability::Unavailable {
            reason: not_permitted(),
        };
        restricted.ops_per_sec = None;
        restricted.operations = Availability::Unavailable {
            reason: UnavailableReason::NotSupported,
        };
        update(
            &mut state,
            Action::DatabaseSampled(Ok(Box::new(restricted))),
        );
        update(&mut state, key('o'));
        insta::assert_snapshot!(
            format!("database_restricted_{}", lang_name(lang)),
            render(&state)
        );

        let mut state = unreachable_state(
            lang,
            FailureKind::Auth,
            "SCRAM authentication failed, storedKey mismatch",
        );
        update(&mut state, key('5'));
        let screen = render(&state);
        assert!(screen.contains("SCRAM"), "{screen}");
        insta::assert_snapshot!(format!("database_auth_failed_{}", lang_name(lang)), screen);
    }
}

#[test]
fn compact_asks_first_and_its_failure_is_kept_in_the_job_list() {
    for lang in [Lang::En, Lang::De] {
        let mut state = on_database(lang, replica_set());
        update(&mut state, key('j'));
        assert!(
            press(&mut state, KeyCode::Char('C')).is_empty(),
            "nothing runs yet"
        );
        let Some(Dialog::Confirm(confirmation)) = &state.dialog else {
            panic!("compact asks first: {:?}", state.dialog);
        };
        assert_eq!(
            confirmation.spec,
            JobSpec::Db(DbTask::Compact {
                collection: "tools".into()
            })
        );
        insta::assert_snapshot!(
            format!("database_compact_confirm_{}", lang_name(lang)),
            render(&state)
        );
        let commands = update(&mut state, key('y'));
        let [Command::StartJob { id, spec }] = commands.as_slice() else {
            panic!("{commands:?}");
        };
        assert_eq!(
            spec,
            &JobSpec::Db(DbTask::Compact {
                collection: "tools".into()
            })
        );
        let at = state.now;
        let refresh = update(
            &mut state,
            Action::JobFinished {
                id: *id,
                status: JobStatus::Failed("compact on tools: not supported by this server".into()),
                at,
            },
        );
        assert_eq!(refresh, vec![Command::RefreshDatabase]);
        let commands = update(&mut state, key('v'));
        let [Command::StartJob { id, .. }] = commands.as_slice() else {
            panic!("{commands:?}");
        };
        update(
            &mut state,
            Action::JobFinished {
                id: *id,
                status: JobStatus::Succeeded(JobResult::Db(DbOutcome::Validated {
                    reports: vec![ValidateReport {
                        collection: "tools".into(),
                        full: false,
                        valid: true,
                        records: Some(500),
                        indexes: Some(3),
                        invalid_documents: Some(0),
                        errors: Vec::new(),
                        warnings: Vec::new(),
                    }],
                    unavailable: Vec::new(),
                })),
                at,
            },
        );
        let screen = render(&state);
        assert!(screen.contains("not supported by this server") || lang == Lang::De);
        insta::assert_snapshot!(format!("database_jobs_{}", lang_name(lang)), screen);
    }
}

#[test]
fn reindex_is_offered_only_on_a_standalone_server() {
    let mut state = on_database(Lang::En, replica_set());
    update(&mut state, key('j'));
    assert!(update(&mut state, key('I')).is_empty());
    assert!(state.dialog.is_none(), "no reIndex on a replica set");
    assert!(
        state
            .database_notice
            .as_deref()
            .is_some_and(|n| n.contains("standalone")),
        "{:?}",
        state.database_notice
    );
    assert!(render(&state).contains("reIndex only runs on a standalone server"));
    update(&mut state, key('j'));
    assert!(
        state.database_notice.is_none(),
        "the notice goes with the next key"
    );

    let mut state = on_database(Lang::En, Topology::Standalone);
    update(&mut state, key('j'));
    update(&mut state, key('I'));
    let Some(Dialog::Confirm(confirmation)) = &state.dialog else {
        panic!("{:?}", state.dialog);
    };
    assert!(
        confirmation
            .warning
            .as_deref()
            .unwrap()
            .contains("deprecated since MongoDB 6.0")
    );
    assert_eq!(
        confirmation.statements,
        vec!["db.tools.reIndex()".to_string()]
    );
    assert!(update(&mut state, key('n')).is_empty());
    assert!(
        state.dialog.is_none() && state.jobs.is_empty(),
        "n changes nothing"
    );
}

#[test]
fn kill_op_and_missing_indexes_show_the_exact_statements() {
    let mut state = on_database(Lang::En, replica_set());
    update(&mut state, key('K'));
    assert!(
        state.dialog.is_none(),
        "K works in the Operations view only"
    );
    update(&mut state, key('o'));
    update(&mut state, key('K'));
    let Some(Dialog::Confirm(confirmation)) = &state.dialog else {
        panic!("{:?}", state.dialog);
    };
    assert_eq!(confirmation.statements, vec!["db.killOp(4711)".to_string()]);
    assert_eq!(
        confirmation.spec,
        JobSpec::Db(DbTask::KillOperation { opid: 4711 })
    );
    press(&mut state, KeyCode::Esc);
    assert!(state.dialog.is_none());

    update(&mut state, key('m'));
    let Some(Dialog::Confirm(confirmation)) = &state.dialog else {
        panic!("{:?}", state.dialog);
    };
    assert_eq!(
        confirmation.statements,
        vec![
            "db.tools.createIndex({department: 1, barcode: 1}, {unique: true, sparse: true})"
                .to_string()
        ]
    );
    assert_eq!(confirmation.spec, JobSpec::Db(DbTask::CreateMissingIndexes));
}

/// A sample of a fresh install: only `_id_` indexes, findings from the real engine.
fn fresh_install_sample() -> DatabaseSample {
    let mut sample = sample(replica_set());
    sample.indexes = ["lendings", "tools", "consumables", "workers"]
        .into_iter()
        .map(|c| index(c, "_id_", "{_id: 1}", 10))
        .collect();
    sample.findings = findings_for(&sample.indexes);
    sample
}

#[test]
fn fresh_install_names_the_scandy_defect_and_keeps_pending_indexes_apart_en_de() {
    for lang in [Lang::En, Lang::De] {
        let mut state = on_database(lang, replica_set());
        update(
            &mut state,
            Action::DatabaseSampled(Ok(Box::new(fresh_install_sample()))),
        );
        update(&mut state, key('j'));
        assert_eq!(state.database_view.collection.as_deref(), Some("tools"));
        let screen = render(&state);
        let (defect, missing, pending) = match lang {
            Lang::En => (
                "Scandy defect: its index setup failed",
                "23 expected missing (m creates them)",
                "31 wait for their collection",
            ),
            Lang::De => (
                "Scandy-Fehler: Indexanlage gescheitert",
                "23 erwartete fehlen (m legt sie an)",
                "31 warten auf ihre Sammlung",
            ),
        };
        for needle in [
            defect,
            missing,
            pending,
            "⚠ Scandy created none of its indexes (23 missing on existing collections)",
            "`scandyctl db indexes --create-missing`",
            "db.tools.createIndex({department: 1, barcode: 1}",
        ] {
            assert!(screen.contains(needle), "{needle} missing:\n{screen}");
        }
        assert!(!screen.contains("db.messages"), "{screen}");
        insta::assert_snapshot!(
            format!("database_fresh_install_{}", lang_name(lang)),
            screen
        );
    }
}

#[test]
fn create_missing_offers_only_indexes_of_existing_collections() {
    let mut state = on_database(Lang::En, replica_set());
    let fresh = fresh_install_sample();
    let expected: Vec<String> = fresh
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::MissingExpected)
        .filter_map(|f| f.fix.clone())
        .collect();
    update(&mut state, Action::DatabaseSampled(Ok(Box::new(fresh))));
    update(&mut state, key('m'));
    let Some(Dialog::Confirm(confirmation)) = &state.dialog else {
        panic!("{:?}", state.dialog);
    };
    assert_eq!(confirmation.statements.len(), 23);
    assert_eq!(confirmation.statements, expected);
    for statement in &confirmation.statements {
        assert!(
            [
                "db.lendings.",
                "db.tools.",
                "db.consumables.",
                "db.workers."
            ]
            .iter()
            .any(|prefix| statement.starts_with(prefix)),
            "{statement}"
        );
    }
    assert_eq!(confirmation.spec, JobSpec::Db(DbTask::CreateMissingIndexes));
}

#[test]
fn health_fix_is_confirmed_then_the_checks_run_again() {
    let mut state = on_database(Lang::En, replica_set());
    update(&mut state, key('h'));
    update(&mut state, key('F'));
    assert!(state.dialog.is_none(), "no results, nothing to fix");
    assert!(state.database_notice.is_some());
    update(&mut state, key('H'));
    update(
        &mut state,
        Action::HealthChecked {
            results: Ok(health_results()),
            at: scanned_at(),
        },
    );
    update(&mut state, key('j'));
    update(&mut state, key('j'));
    update(&mut state, key('F'));
    assert!(state.dialog.is_none(), "the TTL notice has no fix");
    assert!(
        state
            .database_notice
            .as_deref()
            .is_some_and(|n| n.starts_with("informational")),
        "{:?}",
        state.database_notice
    );
    press(&mut state, KeyCode::Home);
    update(&mut state, key('F'));
    let Some(Dialog::Confirm(confirmation)) = &state.dialog else {
        panic!("{:?}", state.dialog);
    };
    assert_eq!(confirmation.statements.len(), 2);
    assert!(confirmation.statements[0].starts_with("db.tools.updateMany("));
    let commands = update(&mut state, key('y'));
    let [Command::StartJob { id, spec }] = commands.as_slice() else {
        panic!("{commands:?}");
    };
    assert_eq!(
        spec,
        &JobSpec::Db(DbTask::HealthFix {
            check: "tool-status".into()
        })
    );
    let at = state.now;
    let after = update(
        &mut state,
        Action::JobFinished {
            id: *id,
            status: JobStatus::Failed("x".into()),
            at,
        },
    );
    assert_eq!(
        after,
        vec![Command::RefreshDatabase, Command::RunHealthChecks]
    );
}

#[test]
fn selection_and_sort_survive_new_samples() {
    let mut state = on_database(Lang::En, replica_set());
    update(&mut state, key('j'));
    assert_eq!(state.database_view.collection.as_deref(), Some("tools"));
    update(&mut state, key('s'));
    update(&mut state, key('s'));
    // Sorted by data size, largest first: tools (170 000) before lendings (150 000).
    assert_eq!(state.database_view.collection.as_deref(), Some("tools"));
    let mut next = sample(replica_set());
    next.database
        .collections
        .retain(|c| c.name != "consumables");
    update(&mut state, Action::DatabaseSampled(Ok(Box::new(next))));
    assert_eq!(state.database_view.collection.as_deref(), Some("tools"));
    let mut gone = sample(replica_set());
    gone.database.collections.retain(|c| c.name != "tools");
    update(&mut state, Action::DatabaseSampled(Ok(Box::new(gone))));
    assert_eq!(
        state.database_view.collection.as_deref(),
        Some("lendings"),
        "a vanished collection gives way to the first row"
    );
    update(
        &mut state,
        Action::DatabaseSampled(Err("no complete answer within 20 s".into())),
    );
    assert!(render(&state).contains("no complete answer within 20 s"));
}
