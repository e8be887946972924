//! `scandyctl schedule` end to end: the real binary, the real test MongoDB, real files and
//! a real HTTP server on loopback for the failure notification.

mod backup_support;
mod common;
mod schedule_support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use backup_support::{Fixture, assert_success};
use schedule_support::{
    DAILY_UTC, RecordingServer, dead_port, last_two_am, read_state, sets, state_dir,
    write_state_daily_ran_days_ago,
};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Keep one daily set only, so the prune step has something to remove.
const KEEP_ONE: &str = "keep_daily = 1\nkeep_weekly = 0\nkeep_monthly = 0\n";

#[tokio::test(flavor = "multi_thread")]
async fn catch_up_after_three_days_runs_one_verified_backup_and_prunes() {
    let fx = Fixture::new("sched_catchup").await;
    fx.write_config(&format!("{KEEP_ONE}{DAILY_UTC}"));
    let old = fx.backup();
    write_state_daily_ran_days_ago(&fx, 3, None);

    let out = fx.run(&["schedule", "run", "--once"]);
    assert_success(&out, "schedule run --once");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("verified (quick)"), "{stdout}");
    // The daily slot is incremental: the old full becomes its parent, and prune keeps the
    // base of the chain it would otherwise remove (keep_daily = 1).
    assert!(stdout.contains("running incremental backup"), "{stdout}");
    assert!(stdout.contains("prune removed 0 set(s)"), "{stdout}");

    let now = sets(&fx);
    assert_eq!(now.len(), 2, "the new incremental and its base: {now:?}");
    let new = now.iter().find(|s| s.ends_with("-incremental")).unwrap();
    assert!(
        now.contains(&old),
        "the base stays while the incremental needs it"
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fx.set_dir(new).join("manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["parent"], old.as_str());
    assert!(fx.set_dir(new).join("verify.json").is_file(), "verified");

    let state = read_state(&fx);
    let daily = &state["entries"]["daily"];
    assert_eq!(daily["outcome"], "ok", "{state:#}");
    assert_eq!(daily["set_id"], new.as_str());
    let mark: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(daily["watermark"].clone()).unwrap();
    assert_eq!(mark, last_two_am(chrono::Utc::now()));
    let next: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(daily["next_run"].clone()).unwrap();
    assert!(next > chrono::Utc::now());
    assert!(daily["last_size_bytes"].as_u64().unwrap() > 0);

    // Nothing is due any more: a second pass writes nothing.
    let again = fx.run(&["schedule", "run", "--once"]);
    assert_success(&again, "second pass");
    assert!(
        text(&again.stdout).contains("nothing due"),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(sets(&fx), now);

    // `schedule show` names the last run and five next runs in local time and UTC.
    let show = fx.run(&["schedule", "show"]);
    assert_success(&show, "schedule show");
    let shown = text(&show.stdout);
    assert_eq!(shown.matches("  next  ").count(), 5, "{shown}");
    assert!(shown.contains(&format!("ok  {new}")), "{shown}");
    assert!(
        shown.contains("runs as incremental (a full when backup.max_chain"),
        "{shown}"
    );
    let json = fx.run(&["schedule", "show", "--json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["entries"][0]["next"].as_array().unwrap().len(), 5);
    assert_eq!(value["entries"][0]["last"]["outcome"], "ok");
    assert_eq!(value["timezone"], "UTC");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_passes_started_at_once_make_one_backup() {
    let fx = Fixture::new("sched_twice").await;
    fx.write_config(DAILY_UTC);
    write_state_daily_ran_days_ago(&fx, 3, None);
    let spawn = || {
        fx.command(&["schedule", "run", "--once"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_success(&a, "first pass");
    assert_success(&b, "second pass");
    assert_eq!(sets(&fx).len(), 1, "{:?}", sets(&fx));
    let said = format!("{}{}", text(&a.stdout), text(&b.stdout));
    assert_eq!(said.matches("written").count(), 1, "{said}");
    assert_eq!(said.matches("nothing due").count(), 1, "{said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn mongodb_stopped_records_the_failure_and_notifies() {
    let fx = Fixture::new("sched_fail").await;
    let hook = RecordingServer::start();
    let notify = format!(
        "{DAILY_UTC}\n[notify]\n[[notify.channels]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"http://127.0.0.1:{}/scandy\"\nformat = \"json\"\n",
        hook.port
    );
    fx.write_config_with_uri(&format!("mongodb://127.0.0.1:{}", dead_port()), &notify);
    write_state_daily_ran_days_ago(&fx, 3, None);

    let out = fx.run(&["schedule", "run", "--once"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("scheduled backup failed"), "{stdout}");
    assert!(stdout.contains("notify hook: firing sent"), "{stdout}");
    assert!(sets(&fx).is_empty());

    let state = read_state(&fx);
    let daily = &state["entries"]["daily"];
    assert_eq!(daily["outcome"], "failed", "{state:#}");
    let error = daily["error"].as_str().unwrap();
    assert!(error.contains("127.0.0.1"), "{error}");

    let requests = hook.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(requests[0].0.starts_with("POST /scandy"), "{requests:?}");
    let body: serde_json::Value = serde_json::from_str(&requests[0].1).unwrap();
    let all = body.to_string();
    assert!(all.contains("backup-failed"), "{all}");
    assert!(
        all.contains("127.0.0.1"),
        "the error text is in the message: {all}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_backup_directory_defers_the_run_until_it_frees() {
    let fx = Fixture::new("sched_busy").await;
    fx.write_config(DAILY_UTC);
    write_state_daily_ran_days_ago(&fx, 1, None);
    std::fs::create_dir_all(&fx.backups).unwrap();
    let held = scandyctl::backup::lock::acquire(&fx.backups, "restore").unwrap();
    let child = fx
        .command(&["schedule", "run", "--once"])
        .env("SCANDYCTL_SCHEDULE_RETRY_SECONDS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let path = state_dir(&fx).join("schedule.json");
        let deferred = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .is_some_and(|s| s["entries"]["daily"]["outcome"] == "deferred");
        if deferred {
            break;
        }
        assert!(Instant::now() < deadline, "the run never deferred");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(sets(&fx).is_empty(), "nothing runs while the lock is held");
    let state = read_state(&fx);
    assert!(
        state["entries"]["daily"]["error"]
            .as_str()
            .unwrap()
            .contains("is busy: restore"),
        "{state:#}"
    );
    drop(held);
    let out = child.wait_with_output().unwrap();
    assert_success(&out, "deferred pass");
    assert!(
        text(&out.stdout).contains("deferred"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(sets(&fx).len(), 1);
    assert_eq!(read_state(&fx)["entries"]["daily"]["outcome"], "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vanished_backup_directory_fails_and_is_not_recreated() {
    let fx = Fixture::new("sched_vanished").await;
    fx.write_config(DAILY_UTC);
    write_state_daily_ran_days_ago(&fx, 1, Some(&fx.backups));
    assert!(!fx.backups.exists());
    let out = fx.run(&["schedule", "run", "--once"]);
    assert_eq!(out.status.code(), Some(1));
    let state = read_state(&fx);
    let error = state["entries"]["daily"]["error"].as_str().unwrap();
    assert!(error.contains("has vanished"), "{error}");
    assert!(!fx.backups.exists(), "the backup directory was created");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_state_file_is_set_aside_and_bad_entries_are_named() {
    let fx = Fixture::new("sched_corrupt").await;
    fx.write_config(DAILY_UTC);
    std::fs::create_dir_all(state_dir(&fx)).unwrap();
    std::fs::write(state_dir(&fx).join("schedule.json"), b"\x00garbage{").unwrap();
    let out = fx.run(&["schedule", "show"]);
    assert_success(&out, "show with a corrupt state");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("moved it to"), "{stderr}");
    assert!(!stderr.contains('\x00'), "control bytes escaped");
    let aside: Vec<String> = std::fs::read_dir(state_dir(&fx))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("schedule.json.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1);

    fx.write_config("[schedule]\nmonthly = { cron = \"0 0 31 2 *\" }\n");
    let out = fx.run(&["schedule", "show"]);
    assert_eq!(out.status.code(), Some(5));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("schedule.monthly.cron"), "{stderr}");
    assert!(stderr.contains("never fires"), "{stderr}");

    fx.write_config("");
    let out = fx.run(&["schedule", "run", "--once"]);
    assert_eq!(out.status.code(), Some(5), "no entries: nothing to run");
}

#[tokio::test(flavor = "multi_thread")]
async fn config_shows_the_schedule_and_refuses_a_bad_entry_naming_it() {
    let fx = Fixture::new("sched_config").await;
    fx.write_config(DAILY_UTC);
    let out = fx.run(&["config"]);
    assert_success(&out, "config");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("[schedule]"), "{stdout}");
    assert!(stdout.contains("daily    0 2 * * *"), "{stdout}");
    let out = fx.run(&["config", "--json"]);
    assert_success(&out, "config --json");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["schedule"][0]["name"], "daily");
    assert_eq!(json["schedule"][0]["cron"], "0 2 * * *");

    fx.write_config("[schedule]\nweekly = { cron = \"0 2 * * 0\", verfy = \"deep\" }\n");
    let out = fx.run(&["config"]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("schedule.weekly"), "{stderr}");
    assert!(stderr.contains("verify"), "no suggestion: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn jitter_delays_the_run_within_its_bound_and_the_run_still_happens() {
    let fx = Fixture::new("sched_jitter").await;
    fx.write_config(&format!("{DAILY_UTC}jitter_seconds = 2\n"));
    write_state_daily_ran_days_ago(&fx, 1, None);
    let out = fx.run(&["schedule", "run", "--once"]);
    assert_success(&out, "schedule run --once with jitter");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    let waited: u64 = all
        .lines()
        .find_map(|l| {
            l.split("waiting ")
                .nth(1)?
                .strip_suffix(" s (jitter_seconds)")?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no jitter line: {all}"));
    assert!(waited <= 2, "waited {waited} s with jitter_seconds = 2");
    assert_eq!(sets(&fx).len(), 1, "the run after the jitter made one set");
    assert_eq!(read_state(&fx)["entries"]["daily"]["outcome"], "ok");
}
