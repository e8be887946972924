//! Console states for snapshot tests: a connected install with four backup sets.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use chrono::TimeZone;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::BTreeMap;

use scandyctl::backup::inventory::{
    BackupOverview, Inventory, SetInfo, Verification, Warning, status_warnings,
};
use scandyctl::backup::manifest::{
    BackupKind, CollectionEntry, DatabasePart, FilesPart, Manifest, MemberContent, MemberEntry,
    SkippedItem,
};
use scandyctl::backup::snapshot::{BackupsSnapshot, SetDetail};
use scandyctl::backup::verify::{Finding, VerifyLevel, VerifyReport};
use scandyctl::config::ValueSource;
use scandyctl::i18n::Lang;
use scandyctl::mongo::probe::{ConnectionState, FailureKind, ProbeFailure, ServerInfo};
use scandyctl::system::disk::DiskSpace;
use scandyctl::ui::action::Action;
use scandyctl::ui::render::draw;
use scandyctl::ui::state::{InstallKindLabel, InstallSummary, State, update};

pub const GIB: u64 = 1024 * 1024 * 1024;

pub fn connected_state(lang: Lang) -> State {
    let install = InstallSummary {
        kind: InstallKindLabel::Native,
        root: "/opt/scandy".into(),
        root_source: ValueSource::Discovery {
            detail: "scandy.service WorkingDirectory=/opt/scandy".into(),
        },
        database: "scandy".into(),
        uri_redacted: "mongodb://admin:***@localhost:27017/scandy?authSource=admin".into(),
        config_file: Some("/etc/scandyctl/config.toml".into()),
        backup_dir: "/backups".into(),
    };
    let mut state = State::new(lang, install, Instant::now(), (120, 40));
    let since = chrono::Local
        .with_ymd_and_hms(2026, 11, 26, 3, 12, 5)
        .unwrap();
    update(
        &mut state,
        Action::Mongo(ConnectionState::Connected {
            info: ServerInfo {
                version: "7.0.14".into(),
                latency: Duration::from_micros(1840),
            },
            since,
        }),
    );
    update(
        &mut state,
        Action::BackupSpace(Ok(DiskSpace {
            path: "/backups".into(),
            measured: "/backups".into(),
            exists: true,
            total: 100 * GIB,
            available: 38 * GIB,
        })),
    );
    let now = chrono::Utc::now();
    update(
        &mut state,
        Action::BackupOverview(Ok(BackupOverview {
            sets: 3,
            newest: Some(SetInfo {
                id: "scandy-20261126T020000Z-full".into(),
                kind: BackupKind::Full,
                created_at: now - chrono::Duration::seconds(2 * 3600 + 30),
                size: 48 * 1024 * 1024,
                encrypted: false,
                documents: 3685,
                files: 42,
                skipped: 1,
                verification: Verification::Ok {
                    at: now - chrono::Duration::seconds(3600 + 30),
                    level: VerifyLevel::Deep,
                },
                path: "/backups/scandy-20261126T020000Z-full".into(),
            }),
            warnings: vec![Warning {
                code: "secrets-skipped",
                message: "scandy-20261126T020000Z-full skipped 1 file(s)".into(),
                args: Vec::new(),
            }],
        })),
    );
    update(
        &mut state,
        Action::BackupInventory(Ok(four_sets(&disk_space()))),
    );
    state
}

pub const MIB: u64 = 1024 * 1024;

pub fn disk_space() -> DiskSpace {
    DiskSpace {
        path: "/backups".into(),
        measured: "/backups".into(),
        exists: true,
        total: 100 * GIB,
        available: 38 * GIB,
    }
}

/// The moment the hand-built inventory was scanned; the Backups tab measures ages from the scan,
/// so both times and ages render stably.
pub fn scanned_at() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(2026, 11, 26, 4, 0, 0).unwrap()
}

pub fn ago(now: chrono::DateTime<chrono::Utc>, minutes: i64) -> chrono::DateTime<chrono::Utc> {
    now - chrono::Duration::minutes(minutes)
}

pub fn manifest(
    id: &str,
    kind: BackupKind,
    created_at: chrono::DateTime<chrono::Utc>,
    files_mib: u64,
    encrypted: bool,
    skipped: &[(&str, &str)],
) -> Manifest {
    let collection = |name: &str, documents: u64, bytes: u64| CollectionEntry {
        name: name.into(),
        kind: "collection".into(),
        documents,
        bytes,
        crc64: "0".into(),
        options: serde_json::json!({}),
        indexes: Vec::new(),
    };
    let suffix = if encrypted { ".age" } else { "" };
    Manifest {
        format: 1,
        id: id.into(),
        kind,
        parent: None,
        created_at,
        finished_at: created_at + chrono::Duration::seconds(74),
        host: "scandy-lxc".into(),
        scandyctl_version: "0.1.0".into(),
        scandy_root: "/opt/scandy".into(),
        database: DatabasePart {
            database: "scandy".into(),
            server_version: "7.0.14".into(),
            uri_redacted: "mongodb://admin:***@localhost:27017/scandy".into(),
            collections: vec![
                collection("users", 42, 21 * 1024),
                collection("tools", 1250, 900 * 1024),
                collection("lendings", 2310, 1400 * 1024),
                collection("consumables", 83, 60 * 1024),
            ],
        },
        files: FilesPart {
            files: 42,
            bytes: 61 * MIB,
            included: vec!["/opt/scandy/app/uploads".into()],
            skipped: skipped
                .iter()
                .map(|(item, reason)| SkippedItem {
                    item: item.to_string(),
                    reason: reason.to_string(),
                })
                .collect(),
            upload_files: Some(40),
        },
        members: vec![
            MemberEntry {
                name: format!("mongo.archive.zst{suffix}"),
                content: MemberContent::MongoArchive,
                size: 3 * MIB,
                sha256: "0".repeat(64),
                encrypted,
            },
            MemberEntry {
                name: format!("files.tar.zst{suffix}"),
                content: MemberContent::FilesTar,
                size: files_mib * MIB,
                sha256: "0".repeat(64),
                encrypted,
            },
        ],
        recipients: if encrypted {
            vec!["age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq".into()]
        } else {
            Vec::new()
        },
        source: None,
        parent_sha256: None,
        increment: None,
        oplog: None,
        oplog_from: None,
        full_reason: None,
        synthetic: false,
        synthesized_from: Vec::new(),
    }
}

/// Four sets, newest first: full verified ok, full whose verification failed, a pre-restore
/// safety backup, and an old full one never verified that skipped secrets.
pub fn four_sets(space: &DiskSpace) -> BackupsSnapshot {
    let now = scanned_at();
    type Spec<'a> = (
        &'a str,
        BackupKind,
        i64,
        u64,
        bool,
        &'a [(&'a str, &'a str)],
    );
    let specs: [Spec; 4] = [
        (
            "scandy-20261126T020000Z-full",
            BackupKind::Full,
            120,
            45,
            true,
            &[],
        ),
        (
            "scandy-20261125T020000Z-full",
            BackupKind::Full,
            1560,
            44,
            false,
            &[],
        ),
        (
            "scandy-20261124T231500Z-pre-restore",
            BackupKind::PreRestore,
            1725,
            9,
            false,
            &[],
        ),
        (
            "scandy-20261123T020000Z-full",
            BackupKind::Full,
            4440,
            38,
            false,
            &[
                (
                    ".env",
                    "holds secrets; set [backup] recipients to include it encrypted",
                ),
                (
                    "config/mail.json",
                    "holds secrets; set [backup] recipients to include it encrypted",
                ),
            ],
        ),
    ];
    let mut sets = Vec::new();
    let mut details = BTreeMap::new();
    for (i, (id, kind, minutes, files_mib, encrypted, skipped)) in specs.into_iter().enumerate() {
        let created_at = ago(now, minutes);
        let manifest = manifest(id, kind, created_at, files_mib, encrypted, skipped);
        let verify = match i {
            0 => Some(VerifyReport {
                id: id.into(),
                checked_at: ago(now, 60),
                level: VerifyLevel::Deep,
                ok: true,
                findings: Vec::new(),
                checked: BTreeMap::from([
                    ("documents".to_string(), 3685),
                    ("tar entries".to_string(), 42),
                ]),
            }),
            1 => Some(VerifyReport {
                id: id.into(),
                checked_at: ago(now, 1200),
                level: VerifyLevel::Quick,
                ok: false,
                findings: vec![
                    Finding {
                        subject: "files.tar.zst".into(),
                        message: "SHA-256 does not match SHA256SUMS".into(),
                    },
                    Finding {
                        subject: "files.tar.zst".into(),
                        message: "size 47185920 differs from the manifest (47185936)".into(),
                    },
                ],
                checked: BTreeMap::new(),
            }),
            2 => Some(VerifyReport {
                id: id.into(),
                checked_at: ago(now, 1700),
                level: VerifyLevel::Quick,
                ok: true,
                findings: Vec::new(),
                checked: BTreeMap::new(),
            }),
            _ => None,
        };
        let verification = match &verify {
            None => Verification::Never,
            Some(r) if r.ok => Verification::Ok {
                at: r.checked_at,
                level: r.level,
            },
            Some(r) => Verification::Failed {
                at: r.checked_at,
                level: r.level,
                findings: r.findings.len(),
            },
        };
        sets.push(SetInfo {
            id: id.into(),
            kind,
            created_at,
            size: manifest.members_size(),
            encrypted,
            documents: manifest.database.total_documents(),
            files: manifest.files.files,
            skipped: skipped.len(),
            verification,
            path: format!("/backups/{id}").into(),
        });
        details.insert(id.to_string(), SetDetail { manifest, verify });
    }
    let inventory = Inventory {
        sets,
        partials: Vec::new(),
        unreadable: Vec::new(),
    };
    let warnings = status_warnings(&inventory, Some(space), now);
    BackupsSnapshot {
        legacy: Default::default(),
        legacy_verify: Default::default(),
        window: Default::default(),
        dir: "/backups".into(),
        scanned_at: now,
        inventory,
        details,
        warnings,
    }
}

pub fn key(c: char) -> Action {
    Action::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    ))
}

pub fn unreachable_state(lang: Lang, kind: FailureKind, detail: &str) -> State {
    let mut state = connected_state(lang);
    let now = state.now;
    update(
        &mut state,
        Action::Mongo(ConnectionState::Unreachable {
            failure: ProbeFailure {
                kind,
                detail: detail.into(),
            },
            attempt: 4,
            retry_in: Duration::from_secs(8),
            reported_at: now,
        }),
    );
    state
}

pub fn render(state: &State) -> String {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|frame| draw(frame, state)).unwrap();
    terminal.backend().to_string()
}

pub fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::De => "de",
    }
}

/// The screen of `state` drawn at `width` x `height` (the state's size is set to match).
pub fn render_at(state: &mut State, width: u16, height: u16) -> String {
    state.size = (width, height);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| draw(frame, state)).unwrap();
    terminal.backend().to_string()
}
