//! The pre-flight space check on a real small filesystem (a 1 MiB tmpfs): a manual and a
//! scheduled backup are both refused with the figures, and nothing is started.

mod backup_support;
mod common;
mod schedule_support;

use std::path::Path;

use backup_support::Fixture;
use backup_support::tmpfs::Tmpfs;
use schedule_support::{DAILY_UTC, read_state, write_state_daily_ran_days_ago};

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_that_does_not_fit_is_refused_with_the_figures() {
    let fx = Fixture::new("preflight").await;
    std::fs::create_dir_all(&fx.backups).unwrap();
    let _tmpfs = match Tmpfs::mount(&fx.backups, "1m") {
        Ok(tmpfs) => tmpfs,
        Err(why) => {
            eprintln!("skipped: cannot mount a tmpfs as the backup directory: {why}");
            return;
        }
    };
    // Leave about 120 KiB free: less than the database and files plus 10 % of 1 MiB.
    std::fs::write(fx.backups.join("filler"), vec![0u8; 900 * 1024]).unwrap();
    fx.write_config(DAILY_UTC);

    let out = fx.run(&["backup", "--type", "full"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not enough space for a backup in"),
        "{stderr}"
    );
    assert!(stderr.contains("free of 1.0 MiB"), "{stderr}");
    assert!(
        stderr.contains("no full set yet: database data size"),
        "{stderr}"
    );
    assert!(stderr.contains("(10 %) must stay free"), "{stderr}");
    assert!(stderr.contains("nothing was started"), "{stderr}");
    assert_eq!(entries(&fx.backups), ["filler"], "nothing was written");

    write_state_daily_ran_days_ago(&fx, 1, None);
    let out = fx.run(&["schedule", "run", "--once"]);
    assert_eq!(out.status.code(), Some(1));
    let state = read_state(&fx);
    let error = state["entries"]["daily"]["error"].as_str().unwrap();
    assert!(error.contains("not enough space"), "{error}");
    assert_eq!(state["entries"]["daily"]["outcome"], "failed");
    assert_eq!(entries(&fx.backups), ["filler"], "nothing was written");

    // With room (the filler gone, no reserve) the same backup goes through.
    std::fs::remove_file(fx.backups.join("filler")).unwrap();
    fx.write_config("min_free_percent = 0\n");
    let out = fx.run(&["backup", "--type", "full"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
