//! The overview lines of the Database tab: server, database totals, index check.

use ratatui::text::{Line, Span};

use super::available_text;
use crate::backup::inventory::human_age;
use crate::i18n::{Lang, Msg};
use crate::mongo::indexes::FindingKind;
use crate::mongo::sample::DatabaseSample;
use crate::mongo::stats::{ReplicaMember, Topology};
use crate::sanitize::escape_controls;
use crate::system::disk::human_bytes;
use crate::ui::theme;

/// The four overview lines for `sample`.
pub fn lines(lang: Lang, sample: &DatabaseSample) -> Vec<Line<'static>> {
    vec![
        server_line(lang, sample),
        load_line(lang, sample),
        database_line(lang, sample),
        index_line(lang, sample),
    ]
}

fn label(text: &str) -> Span<'static> {
    Span::styled(format!("{text:<10}"), theme::label())
}

fn server_line(lang: Lang, sample: &DatabaseSample) -> Line<'static> {
    let server = &sample.server;
    let version = available_text(lang, &server.version, |v| format!("MongoDB {v}"));
    let engine = available_text(lang, &server.storage_engine, Clone::clone);
    let uptime = available_text(lang, &server.uptime_secs, |secs| {
        Msg::DbUptime.fill(
            lang,
            &[&human_age(chrono::Duration::seconds(
                i64::try_from(*secs).unwrap_or(i64::MAX),
            ))],
        )
    });
    let topology = available_text(lang, &server.topology, |t| topology_text(lang, t, sample));
    Line::from(vec![
        label(Msg::DbServer.text(lang)),
        Span::raw(
            escape_controls(&format!("{version} · {engine} · {uptime} · {topology}")).into_owned(),
        ),
    ])
}

fn topology_text(lang: Lang, topology: &Topology, sample: &DatabaseSample) -> String {
    match topology {
        Topology::Standalone => Msg::DbStandalone.text(lang).to_string(),
        Topology::Sharded => Msg::DbRouter.text(lang).to_string(),
        Topology::ReplicaSet { set_name, .. } => {
            let members = match &sample.server.members {
                Some(members) => available_text(lang, members, |m| members_text(lang, m)),
                None => String::new(),
            };
            Msg::DbReplicaSet.fill(lang, &[set_name, &members])
        }
    }
}

/// "1 member(s): PRIMARY" or "3 member(s): PRIMARY, SECONDARY (lag 2 s), …".
fn members_text(lang: Lang, members: &[ReplicaMember]) -> String {
    let states: Vec<String> = members
        .iter()
        .map(|m| match m.lag_secs {
            Some(lag) if lag > 0 => format!("{} (lag {lag} s)", m.state_str),
            _ => m.state_str.clone(),
        })
        .collect();
    Msg::DbMembers.fill(lang, &[&members.len().to_string(), &states.join(", ")])
}

fn load_line(lang: Lang, sample: &DatabaseSample) -> Line<'static> {
    let server = &sample.server;
    let connections = available_text(lang, &server.connections, |c| {
        Msg::DbConnections.fill(
            lang,
            &[
                &c.current.to_string(),
                &(c.current + c.available).to_string(),
            ],
        )
    });
    let ops = match (sample.ops_per_sec, server.opcounters.value()) {
        (Some(rate), _) => Msg::DbOpsPerSec.fill(lang, &[&format!("{rate:.1}")]),
        (None, Some(_)) => Msg::DbOpsPerSec.fill(lang, &["…"]),
        (None, None) => available_text(lang, &server.opcounters, |_| String::new()),
    };
    let memory = available_text(lang, &server.memory, |m| {
        let resident = human_bytes(m.resident_mb * 1024 * 1024);
        if m.virtual_mb > 0 {
            Msg::DbMemoryVirtual.fill(lang, &[&resident, &human_bytes(m.virtual_mb * 1024 * 1024)])
        } else {
            Msg::DbMemory.fill(lang, &[&resident])
        }
    });
    Line::from(vec![
        label(""),
        Span::raw(format!("{connections} · {ops} · {memory}")),
    ])
}

fn database_line(lang: Lang, sample: &DatabaseSample) -> Line<'static> {
    let database = &sample.database;
    let totals = available_text(lang, &database.totals, |t| {
        Msg::DbTotals.fill(
            lang,
            &[
                &t.collections.to_string(),
                &t.objects.to_string(),
                &human_bytes(t.data_size),
                &human_bytes(t.storage_size),
                &t.indexes.to_string(),
                &human_bytes(t.index_size),
            ],
        )
    });
    Line::from(vec![
        label(Msg::DbDatabase.text(lang)),
        Span::styled(escape_controls(&database.name).into_owned(), theme::label()),
        Span::raw(format!(" · {totals}")),
    ])
}

fn index_line(lang: Lang, sample: &DatabaseSample) -> Line<'static> {
    let count = |kind: FindingKind| sample.findings.iter().filter(|f| f.kind == kind).count();
    let defect = count(FindingKind::ScandyIndexDefect);
    let missing = count(FindingKind::MissingExpected);
    let legacy = count(FindingKind::LegacyBarcode);
    let differ = count(FindingKind::OptionsDiffer);
    let unused = count(FindingKind::Unused);
    let pending = count(FindingKind::PendingCollection);
    let mut parts = Vec::new();
    if defect > 0 {
        parts.push(Span::styled(
            Msg::DbIndexesScandyDefect.text(lang),
            theme::bad(),
        ));
    }
    if missing > 0 {
        parts.push(Span::styled(
            Msg::DbIndexesMissing.fill(lang, &[&missing.to_string()]),
            theme::warn(),
        ));
    }
    if legacy > 0 {
        parts.push(Span::styled(Msg::DbIndexLegacy.text(lang), theme::bad()));
    }
    if differ > 0 {
        parts.push(Span::styled(
            Msg::DbIndexesDiffer.fill(lang, &[&differ.to_string()]),
            theme::warn(),
        ));
    }
    if unused > 0 {
        parts.push(Span::styled(
            Msg::DbIndexesUnused.fill(lang, &[&unused.to_string()]),
            theme::muted(),
        ));
    }
    if parts.is_empty() {
        parts.push(Span::styled(Msg::DbIndexesOk.text(lang), theme::ok()));
    }
    if pending > 0 {
        parts.push(Span::styled(
            Msg::DbIndexesPending.fill(lang, &[&pending.to_string()]),
            theme::muted(),
        ));
    }
    let mut spans = vec![label(Msg::DbIndexCheck.text(lang))];
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" · "));
        }
        spans.push(part);
    }
    spans.push(Span::styled(
        format!(
            "   {}",
            Msg::DbSampledAt.fill(
                lang,
                &[&sample.sampled_at.format("%H:%M:%S UTC").to_string()]
            )
        ),
        theme::muted(),
    ));
    Line::from(spans)
}
