//! The System tab and the alerts: snapshot tests (EN/DE) of gauges, filesystems with their
//! roles, services, `/health` and processes; the restart confirmation; alerts evaluated by
//! the console from its own state, shown on the Overview and as a badge in the tab bar.

mod ui_support;

use std::time::Duration;

use chrono::TimeZone;
use scandyctl::i18n::Lang;
use scandyctl::jobs::JobSpec;
use scandyctl::system::http_probe::{HealthProbe, ProbeVia};
use scandyctl::system::metrics::{Filesystem, MountRole, Rate, SystemSample};
use scandyctl::system::processes::{ProcessInfo, ProcessRole};
use scandyctl::system::services::{ServiceReport, ServiceStatus, ServiceTarget};
use scandyctl::ui::action::Action;
use scandyctl::ui::dialogs::Dialog;
use scandyctl::ui::state::{State, update};
use scandyctl::ui::tabs::system::view::MongoLoad;
use ui_support::*;

const GIB: u64 = 1024 * 1024 * 1024;

fn process(
    pid: u32,
    name: &str,
    cpu: f32,
    mem_mib: u64,
    role: Option<ProcessRole>,
    command: &str,
) -> ProcessInfo {
    ProcessInfo {
        pid,
        name: name.into(),
        command: command.into(),
        cpu_percent: cpu,
        memory_bytes: mem_mib * 1024 * 1024,
        role,
    }
}

fn sample(second: u32, cpu: f32, backups_used_percent: u64) -> SystemSample {
    let backups_total = 500 * GIB;
    SystemSample {
        taken_at: chrono::Utc
            .with_ymd_and_hms(2026, 11, 26, 10, 0, second)
            .unwrap(),
        cpu_total: cpu,
        cpu_per_core: vec![cpu, cpu / 2.0, 12.0, 3.0],
        memory_total: 8 * GIB,
        memory_used: 3 * GIB,
        memory_available: 5 * GIB,
        swap_total: 2 * GIB,
        swap_used: 0,
        load: [0.52, 0.40, 0.33],
        uptime_secs: 3 * 86_400 + 4 * 3600,
        filesystems: vec![
            Filesystem {
                mount: "/".into(),
                device: "/dev/sda1".into(),
                fs_type: "ext4".into(),
                total: 40 * GIB,
                available: 25 * GIB,
                roles: vec![MountRole::ScandyRoot],
            },
            Filesystem {
                mount: "/var/lib/mongodb".into(),
                device: "/dev/sdb1".into(),
                fs_type: "xfs".into(),
                total: 100 * GIB,
                available: 80 * GIB,
                roles: vec![MountRole::MongoData],
            },
            Filesystem {
                mount: "/backups".into(),
                device: "/dev/sdc1".into(),
                fs_type: "ext4".into(),
                total: backups_total,
                available: backups_total - backups_total * backups_used_percent / 100,
                roles: vec![MountRole::Backups],
            },
        ],
        disk_io: Some(Rate {
            read_per_sec: 1.5 * 1024.0 * 1024.0,
            write_per_sec: 300.0 * 1024.0,
        }),
        network: Some(Rate {
            read_per_sec: 20.0 * 1024.0,
            write_per_sec: 5.0 * 1024.0,
        }),
        processes: vec![
            process(
                4242,
                "gunicorn",
                12.5,
                180,
                Some(ProcessRole::Scandy),
                "/opt/scandy/venv/bin/gunicorn -w 2 app:app",
            ),
            process(
                1033,
                "mongod",
                4.0,
                900,
                Some(ProcessRole::MongoDb),
                "/usr/bin/mongod --config /etc/mongod.conf",
            ),
            process(
                777,
                "backup.sh",
                30.0,
                20,
                None,
                "sh backup.sh --password **** \u{1b}[2J",
            ),
        ],
    }
}

fn services() -> Vec<ServiceReport> {
    let since = chrono::Utc.with_ymd_and_hms(2026, 11, 26, 8, 0, 0).unwrap();
    vec![
        ServiceReport::Status(ServiceStatus {
            target: ServiceTarget::Systemd {
                unit: "scandy.service".into(),
            },
            state: "active".into(),
            detail: Some("running".into()),
            since: Some(since),
            restarts: Some(2),
            main_pid: Some(4242),
            health: None,
            up: true,
        }),
        ServiceReport::Status(ServiceStatus {
            target: ServiceTarget::Systemd {
                unit: "mongod.service".into(),
            },
            state: "failed".into(),
            detail: Some("dead".into()),
            since: None,
            restarts: Some(5),
            main_pid: None,
            health: None,
            up: false,
        }),
    ]
}

fn on_system(lang: Lang, backups_used_percent: u64) -> State {
    let mut state = connected_state(lang);
    update(&mut state, key('3'));
    for second in 0..30 {
        let cpu = 10.0 + (second % 7) as f32 * 9.0;
        update(
            &mut state,
            Action::SystemSampled(Box::new(sample(second, cpu, backups_used_percent))),
        );
    }
    update(&mut state, Action::ServicesChecked(services()));
    update(
        &mut state,
        Action::MongoLoad(MongoLoad {
            connections: Some((12, 838)),
            ops_per_sec: Some(42.5),
        }),
    );
    for ms in [12, 15, 11] {
        update(
            &mut state,
            Action::HealthProbed(HealthProbe {
                healthy: true,
                status: Some(200),
                latency: Duration::from_millis(ms),
                detail: "healthy".into(),
                rate_limited: false,
                retry_after: None,
                via: ProbeVia::Request,
            }),
        );
    }
    state
}

#[test]
fn system_tab_en_de() {
    for lang in [Lang::En, Lang::De] {
        let state = on_system(lang, 40);
        let screen = render(&state);
        assert!(!screen.contains('\u{1b}'), "{screen}");
        if lang == Lang::En {
            assert!(
                screen.contains("connections 12 / 838 · 42.5 ops/s"),
                "{screen}"
            );
        }
        insta::assert_snapshot!(format!("system_{}", lang_name(lang)), screen);
    }
}

#[test]
fn restart_asks_first_with_the_exact_command() {
    let mut state = on_system(Lang::En, 40);
    update(&mut state, key('j'));
    update(&mut state, key('R'));
    let Some(Dialog::Confirm(confirmation)) = &state.dialog else {
        panic!("{:?}", state.dialog);
    };
    assert_eq!(
        confirmation.statements,
        ["systemctl restart mongod.service"]
    );
    assert_eq!(
        confirmation.spec,
        JobSpec::RestartService {
            target: ServiceTarget::Systemd {
                unit: "mongod.service".into()
            }
        }
    );
    insta::assert_snapshot!("system_restart_confirm_en", render(&state));
    update(&mut state, key('n'));
    assert!(state.jobs.is_empty(), "n restarts nothing");
}

#[test]
fn a_full_backup_disk_raises_an_alert_on_the_overview_and_the_tab_bar_en_de() {
    for lang in [Lang::En, Lang::De] {
        let mut state = on_system(lang, 97);
        let disk = state
            .alerts
            .iter()
            .find(|a| a.id.contains("/backups"))
            .unwrap_or_else(|| panic!("{:?}", state.alerts));
        assert_eq!(format!("{:?}", disk.priority), "Critical");
        update(&mut state, key('1'));
        let screen = render(&state);
        assert!(screen.lines().next().unwrap().contains('⚠'), "{screen}");
        insta::assert_snapshot!(format!("overview_alerts_{}", lang_name(lang)), screen);
        // Back under 95 - 3 % the alert clears (hysteresis), at 93 % it stays critical.
        update(
            &mut state,
            Action::SystemSampled(Box::new(sample(40, 10.0, 93))),
        );
        assert!(state.alerts.iter().any(|a| a.id.contains("/backups")));
        update(
            &mut state,
            Action::SystemSampled(Box::new(sample(41, 10.0, 50))),
        );
        assert!(
            !state.alerts.iter().any(|a| a.id.contains("/backups")),
            "{:?}",
            state.alerts
        );
    }
}
