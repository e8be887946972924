//! `scandyctl schedule install`: the units written with this binary's real path, the config
//! file, the writable paths and the timer's calendar times; `systemd-analyze verify`
//! accepts them without a single remark (skipped with a message where it is missing).

use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_scandyctl");

fn scandyctl(config: &Path, state: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .env("SCANDYCTL_STATE_DIR", state)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `systemd-analyze verify` on `units`; `None` (with a message) where it is missing.
fn analyze(units: &[std::path::PathBuf]) -> Option<Output> {
    let found = Command::new("systemd-analyze")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        eprintln!("SKIPPED: systemd-analyze is not installed; the units were not verified");
        return None;
    }
    Some(
        Command::new("systemd-analyze")
            .arg("verify")
            .args(units)
            .output()
            .unwrap(),
    )
}

#[test]
fn units_are_written_with_real_paths_and_pass_systemd_analyze() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("scandyctl.toml");
    let backups = tmp.path().join("backups");
    let state = tmp.path().join("state");
    std::fs::write(
        &config,
        format!(
            "[backup]\ndir = \"{}\"\n[metrics]\ntextfile_dir = \"{}\"\n[schedule]\ndaily = {{ cron = \"0 2 * * *\" }}\nweekly = {{ cron = \"0 2 * * 0\", verify = \"deep\" }}\nmonthly = {{ cron = \"15 4 1 * *\" }}\n",
            backups.display(),
            tmp.path().join("prom").display()
        ),
    )
    .unwrap();
    let units = tmp.path().join("units");
    let binary = Path::new(BIN).canonicalize().unwrap();

    // --dry-run prints and writes nothing.
    let out = scandyctl(
        &config,
        &state,
        &[
            "schedule",
            "install",
            "--timer",
            "--dry-run",
            "--unit-dir",
            units.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(
        printed.contains("# ") && printed.contains("scandyctl-backup.timer"),
        "{printed}"
    );
    assert!(
        printed.contains("systemctl enable --now scandyctl-backup.timer"),
        "{printed}"
    );
    assert!(!units.exists(), "dry run wrote files");

    let out = scandyctl(
        &config,
        &state,
        &[
            "schedule",
            "install",
            "--timer",
            "--unit-dir",
            units.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("systemctl daemon-reload"), "{said}");
    let service = std::fs::read_to_string(units.join("scandyctl-backup.service")).unwrap();
    assert!(
        service.contains(&format!(
            "ExecStart={} --config {} schedule run --once\n",
            binary.display(),
            config.display()
        )),
        "{service}"
    );
    assert!(
        service.contains(&format!(
            "ReadWritePaths=-{} -{} -{}\n",
            backups.display(),
            state.display(),
            tmp.path().join("prom").display()
        )),
        "{service}"
    );
    assert!(service.contains("ProtectSystem=strict") && service.contains("NoNewPrivileges=true"));
    let timer = std::fs::read_to_string(units.join("scandyctl-backup.timer")).unwrap();
    assert!(
        timer.contains("OnCalendar=*-*-* 02:00:00\nOnCalendar=*-*-* 04:15:00\nPersistent=true\n"),
        "{timer}"
    );

    let out = scandyctl(
        &config,
        &state,
        &[
            "schedule",
            "install",
            "--service",
            "--unit-dir",
            units.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("is installed too"),
        "{}",
        text(&out.stderr)
    );
    let daemon = std::fs::read_to_string(units.join("scandyctl-schedule.service")).unwrap();
    assert!(
        daemon.contains(" schedule run\n") && daemon.contains("Restart=on-failure"),
        "{daemon}"
    );

    let files: Vec<_> = [
        "scandyctl-backup.service",
        "scandyctl-backup.timer",
        "scandyctl-schedule.service",
    ]
    .iter()
    .map(|n| units.join(n))
    .collect();
    if let Some(out) = analyze(&files) {
        assert!(
            out.status.success() && out.stderr.is_empty() && out.stdout.is_empty(),
            "systemd-analyze verify: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
    // The shipped files as they are (with /usr/local/bin/scandyctl) parse too.
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/systemd");
    let copy = tmp.path().join("shipped");
    std::fs::create_dir_all(&copy).unwrap();
    let mut copies = Vec::new();
    for name in [
        "scandyctl-backup.service",
        "scandyctl-backup.timer",
        "scandyctl-schedule.service",
    ] {
        let text = std::fs::read_to_string(shipped.join(name))
            .unwrap()
            .replace("/usr/local/bin/scandyctl", binary.to_str().unwrap());
        std::fs::write(copy.join(name), text).unwrap();
        copies.push(copy.join(name));
    }
    if let Some(out) = analyze(&copies) {
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{}",
            text(&out.stderr)
        );
    }
}
