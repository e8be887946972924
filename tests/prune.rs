//! `scandyctl prune` end to end: the real binary on backup sets written by hand (no MongoDB).

mod pty_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

/// A backup directory with hand-written sets and a config file pointing at it.
struct Sandbox {
    dir: tempfile::TempDir,
    backups: PathBuf,
    config: PathBuf,
}

impl Sandbox {
    fn new(extra_backup: &str) -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let backups = dir.path().join("backups");
        std::fs::create_dir_all(&backups).unwrap();
        let config = dir.path().join("scandyctl.toml");
        let sandbox = Sandbox {
            dir,
            backups,
            config,
        };
        sandbox.write_config(extra_backup);
        sandbox
    }

    fn write_config(&self, extra_backup: &str) {
        let text = format!(
            "[scandy]\nroot = \"{}\"\n[mongo]\nuri = \"mongodb://127.0.0.1:1\"\ndatabase = \"scandy\"\n\
             [backup]\ndir = \"{}\"\n{extra_backup}\n[ui]\nlanguage = \"en\"\n",
            self.dir.path().join("scandy").display(),
            self.backups.display()
        );
        std::fs::write(&self.config, text).unwrap();
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_scandyctl"));
        cmd.arg("--config").arg(&self.config).args(args);
        cmd.env_remove("MONGODB_URI")
            .env_remove("MONGODB_DB")
            .env_remove("SCANDYCTL_CONFIG")
            .env("HOME", self.dir.path())
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run scandyctl")
    }

    /// Writes a complete-looking set: a manifest and one 1000-byte member.
    fn write_set(&self, created_at: DateTime<Utc>, kind: &str) -> String {
        let id = format!("scandy-{}-{kind}", created_at.format("%Y%m%dT%H%M%SZ"));
        write_set_at(&self.backups.join(&id), &id, created_at, kind);
        id
    }

    /// Records a failed verification for `id`.
    fn fail_verification(&self, id: &str) {
        let record = json!({
            "id": id,
            "checked_at": Utc::now(),
            "level": "quick",
            "ok": false,
            "findings": [{"subject": "mongo.archive.zst", "message": "size differs"}],
            "checked": {},
        });
        std::fs::write(
            self.backups.join(id).join("verify.json"),
            serde_json::to_string_pretty(&record).unwrap(),
        )
        .unwrap();
    }

    /// Names in the backup directory, sorted, without the lock file.
    fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.backups)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name != scandyctl::backup::lock::LOCK_FILE)
            .collect();
        names.sort();
        names
    }

    fn listed_ids(&self) -> Vec<String> {
        let out = self.run(&["list", "--json"]);
        assert_ok(&out, "list");
        let sets: Value = serde_json::from_slice(&out.stdout).unwrap();
        sets.as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    }
}

fn write_set_at(path: &Path, id: &str, created_at: DateTime<Utc>, kind: &str) {
    std::fs::create_dir_all(path).unwrap();
    std::fs::write(path.join("mongo.archive.zst"), vec![7u8; 1000]).unwrap();
    let manifest = json!({
        "format": 1,
        "id": id,
        "type": kind,
        "parent": null,
        "created_at": created_at,
        "finished_at": created_at + Duration::minutes(1),
        "host": "test-host",
        "scandyctl_version": "0.1.0",
        "scandy_root": "/opt/scandy",
        "database": {
            "database": "scandy",
            "server_version": "7.0.14",
            "uri_redacted": "mongodb://localhost:27017",
            "collections": [],
        },
        "files": {"files": 0, "bytes": 0, "included": [], "skipped": []},
        "members": [{
            "name": "mongo.archive.zst",
            "content": "mongo-archive",
            "size": 1000,
            "sha256": "0".repeat(64),
            "encrypted": false,
        }],
        "recipients": [],
    });
    std::fs::write(
        path.join("manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({:?}):\nstdout: {}\nstderr: {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// Ten daily full sets (the newest failed verification) and two pre-restore sets.
struct Scenario {
    sandbox: Sandbox,
    /// Full sets, newest first (`full[0]` failed its verification).
    full: Vec<String>,
    /// Pre-restore set 2 days old (kept: newest pre-restore, young).
    young_pre: String,
    /// Pre-restore set 10 days old (removed).
    old_pre: String,
}

impl Scenario {
    fn new(extra_backup: &str) -> Scenario {
        let sandbox = Sandbox::new(extra_backup);
        let now = Utc::now();
        let full: Vec<String> = (0..10)
            .map(|d| sandbox.write_set(now - Duration::days(d) - Duration::hours(1), "full"))
            .collect();
        sandbox.fail_verification(&full[0]);
        let young_pre = sandbox.write_set(now - Duration::days(2), "pre-restore");
        let old_pre = sandbox.write_set(
            now - Duration::days(10) - Duration::minutes(30),
            "pre-restore",
        );
        Scenario {
            sandbox,
            full,
            young_pre,
            old_pre,
        }
    }

    /// Under 3 daily slots and no weekly or monthly ones.
    fn expected_kept(&self) -> Vec<String> {
        let mut kept = self.full[..4].to_vec();
        kept.insert(2, self.young_pre.clone());
        kept
    }

    fn expected_removed(&self) -> Vec<String> {
        let mut removed = self.full[4..].to_vec();
        removed.push(self.old_pre.clone());
        removed
    }
}

const THREE_DAYS: [&str; 6] = [
    "--keep-daily",
    "3",
    "--keep-weekly",
    "0",
    "--keep-monthly",
    "0",
];

fn with_policy<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["prune"];
    all.extend_from_slice(args);
    all.extend_from_slice(&THREE_DAYS);
    all
}

fn ids(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn dry_run_lists_exactly_the_planned_sets_and_deletes_nothing() {
    let sc = Scenario::new("");
    let before = sc.sandbox.entries();

    let out = sc.sandbox.run(&with_policy(&["--dry-run", "--json"]));
    assert_ok(&out, "prune --dry-run --json");
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ids(&plan["keep"]), sc.expected_kept());
    assert_eq!(ids(&plan["remove"]), sc.expected_removed());
    assert_eq!(plan["bytes_freed"], 7000);
    let reasons = |id: &str| -> Vec<String> {
        plan["keep"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == id)
            .unwrap()["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .collect()
    };
    let newest = reasons(&sc.full[0]);
    assert_eq!(newest[0], "newest");
    assert!(newest[1].contains("verification failed"), "{newest:?}");
    assert_eq!(reasons(&sc.full[1])[0], "newest good");
    assert_eq!(
        reasons(&sc.young_pre),
        ["newest pre-restore", "pre-restore younger than 7 days"]
    );
    assert_eq!(plan["remove"][0]["type"], "full");
    assert_eq!(plan["remove"][6]["type"], "pre-restore");
    assert_eq!(plan["remove"][0]["size"], 1000);

    let out = sc.sandbox.run(&with_policy(&["--dry-run"]));
    assert_ok(&out, "prune --dry-run");
    let stdout = text(&out.stdout);
    let removed: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("remove "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(removed, sc.expected_removed());
    let kept: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("keep   "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(kept, sc.expected_kept());
    assert!(
        stdout.contains("retention: 3 daily, 0 weekly, 0 monthly (UTC); pre-restore sets 7 days"),
        "{stdout}"
    );
    assert!(
        stdout.contains("would remove 7 backup set(s), freeing"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("remove ") && l.contains(" d ") && l.contains(" old ")),
        "{stdout}"
    );
    assert_eq!(
        sc.sandbox.entries(),
        before,
        "a dry run changed the directory"
    );
}

#[test]
fn prune_with_yes_removes_exactly_the_planned_directories() {
    let sc = Scenario::new("");
    let out = sc.sandbox.run(&with_policy(&["--yes"]));
    assert_ok(&out, "prune --yes");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("will remove 7 backup set(s)"), "{stdout}");
    assert!(
        stdout.contains("removed 7 backup set(s), freed"),
        "{stdout}"
    );
    let mut kept = sc.expected_kept();
    kept.sort();
    assert_eq!(sc.sandbox.entries(), kept);
    let mut listed = sc.sandbox.listed_ids();
    listed.sort();
    assert_eq!(listed, kept);

    // A second run finds nothing to remove and needs no confirmation.
    let out = sc.sandbox.run(&with_policy(&[]));
    assert_ok(&out, "prune with nothing to remove");
    assert!(text(&out.stdout).contains("nothing to remove"));
    assert_eq!(sc.sandbox.entries(), kept);
}

#[test]
fn json_outcome_lists_the_removed_sets() {
    let sc = Scenario::new("");
    let out = sc.sandbox.run(&with_policy(&["--yes", "--json"]));
    assert_ok(&out, "prune --yes --json");
    let outcome: Value = serde_json::from_slice(&out.stdout).unwrap();
    let removed: Vec<String> = outcome["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(removed, sc.expected_removed());
    assert_eq!(outcome["bytes_freed"], 7000);
}

#[test]
fn the_configured_retention_keys_are_used_and_flags_override_them() {
    let sc = Scenario::new("keep_daily = 3\nkeep_weekly = 0\nkeep_monthly = 0\n");
    let out = sc.sandbox.run(&["prune", "--dry-run", "--json"]);
    assert_ok(&out, "prune --dry-run --json");
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ids(&plan["remove"]), sc.expected_removed());

    // --keep-daily 5 keeps two more days; --keep-pre-restore-days 11 the old pre-restore set.
    let out = sc.sandbox.run(&[
        "prune",
        "--dry-run",
        "--json",
        "--keep-daily",
        "5",
        "--keep-pre-restore-days",
        "11",
    ]);
    assert_ok(&out, "prune with flags");
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ids(&plan["remove"]), sc.full[6..].to_vec());

    // All three slots 0 from the flags is a usage error.
    let out = sc.sandbox.run(&["prune", "--dry-run", "--keep-daily", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("would all be 0"),
        "{}",
        text(&out.stderr)
    );
    // Out of range flags are refused by the parser.
    let out = sc
        .sandbox
        .run(&["prune", "--dry-run", "--keep-daily", "-1"]);
    assert_eq!(out.status.code(), Some(2));
    let out = sc
        .sandbox
        .run(&["prune", "--dry-run", "--keep-weekly", "10001"]);
    assert_eq!(out.status.code(), Some(2));

    // A bad config value is a configuration error naming file, line and key.
    sc.sandbox.write_config("keep_monthly = -3\n");
    let out = sc.sandbox.run(&["prune", "--dry-run"]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(&format!(
            "backup.keep_monthly from config file {} (line 8): must be a whole number from 0 to 10000, found -3",
            sc.sandbox.config.display()
        )),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn without_a_terminal_and_without_yes_nothing_is_deleted() {
    let sc = Scenario::new("");
    let before = sc.sandbox.entries();
    let out = sc.sandbox.run(&with_policy(&[]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(
            "prune needs a typed confirmation: run it on a terminal or pass --yes; nothing was changed"
        ),
        "{}",
        text(&out.stderr)
    );
    // The plan was still shown.
    assert!(text(&out.stdout).contains("will remove 7 backup set(s)"));
    assert_eq!(sc.sandbox.entries(), before);
}

#[test]
fn a_held_lock_is_busy_and_nothing_is_deleted() {
    let sc = Scenario::new("");
    let before = sc.sandbox.entries();
    // This test process is alive on this host: its lock is not stale.
    let lock = scandyctl::backup::lock::acquire(&sc.sandbox.backups, "backup").unwrap();
    let out = sc.sandbox.run(&with_policy(&["--yes"]));
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("is busy: backup"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(sc.sandbox.entries(), before);
    // A dry run needs no lock.
    let out = sc.sandbox.run(&with_policy(&["--dry-run"]));
    assert_ok(&out, "dry run while locked");
    drop(lock);
    let out = sc.sandbox.run(&with_policy(&["--yes"]));
    assert_ok(&out, "prune after the lock was released");
    // prune released its own lock.
    assert!(
        !sc.sandbox
            .backups
            .join(scandyctl::backup::lock::LOCK_FILE)
            .exists()
    );
}

#[test]
fn a_leftover_deleting_directory_is_never_listed_and_is_removed() {
    let sc = Scenario::new("");
    // What an interrupted prune leaves: a renamed set that still holds a valid manifest.
    let gone = "scandy-20200101T020000Z-full";
    let leftover = sc.sandbox.backups.join(format!("{gone}.deleting"));
    write_set_at(
        &leftover,
        gone,
        "2020-01-01T02:00:00Z".parse().unwrap(),
        "full",
    );
    let listed = sc.sandbox.listed_ids();
    assert_eq!(listed.len(), 12);
    assert!(!listed.iter().any(|id| id.contains("2020")), "{listed:?}");
    let out = sc.sandbox.run(&["status", "--json"]);
    assert_ok(&out, "status");
    assert!(!text(&out.stdout).contains(gone), "{}", text(&out.stdout));
    let out = sc.sandbox.run(&with_policy(&["--dry-run", "--json"]));
    assert!(!text(&out.stdout).contains(gone));

    let out = sc.sandbox.run(&with_policy(&["--yes"]));
    assert_ok(&out, "prune --yes");
    assert!(
        text(&out.stderr).contains(&format!(
            "note: removed {gone}.deleting: what was left of a set an interrupted prune was removing"
        )),
        "{}",
        text(&out.stderr)
    );
    assert!(!leftover.exists());
    let mut kept = sc.expected_kept();
    kept.sort();
    assert_eq!(sc.sandbox.entries(), kept);
}

#[test]
fn an_empty_or_missing_backup_directory_has_nothing_to_prune() {
    let sandbox = Sandbox::new("");
    std::fs::remove_dir(&sandbox.backups).unwrap();
    let out = sandbox.run(&["prune", "--dry-run", "--json"]);
    assert_ok(&out, "prune of a missing directory");
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan, json!({"keep": [], "remove": [], "bytes_freed": 0}));
    let out = sandbox.run(&["prune"]);
    assert_ok(&out, "prune of a missing directory");
    assert!(text(&out.stdout).contains("no backup sets"));
}

fn prune_on_a_terminal(answer: &str) -> (Scenario, u32, String) {
    let sc = Scenario::new("keep_daily = 3\nkeep_weekly = 0\nkeep_monthly = 0\n");
    let config = sc.sandbox.config.display().to_string();
    let mut session =
        pty_support::PtySession::spawn(&["--config", &config, "prune"], sc.sandbox.dir.path(), &[]);
    session.wait_for_text(
        "Type yes to delete 7 backup set(s):",
        std::time::Duration::from_secs(20),
    );
    session.send(format!("{answer}\r").as_bytes());
    let code = session.wait_exit(std::time::Duration::from_secs(20));
    (sc, code, session.screen())
}

#[test]
fn on_a_terminal_typing_yes_deletes_and_anything_else_keeps_everything() {
    let (sc, code, screen) = prune_on_a_terminal("y");
    assert_eq!(code, 1, "{screen}");
    assert!(
        screen.contains("not confirmed; nothing was deleted"),
        "{screen}"
    );
    assert_eq!(sc.sandbox.entries().len(), 12);

    let (sc, code, screen) = prune_on_a_terminal("yes");
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("removed 7 backup set(s), freed"),
        "{screen}"
    );
    let mut kept = sc.expected_kept();
    kept.sort();
    assert_eq!(sc.sandbox.entries(), kept);
}
