//! Restore drills against the test MongoDB with a database of more than 50,000 documents:
//! `kill -9` of a headless restore at 20 random moments (two drills of 10, side by side)
//! across its whole run (safety
//! backup, load and index build, swap of collections and files), and a restore whose
//! terminal is closed in the middle of the load. After each, the live database equals,
//! collection by collection (raw BSON per `_id`, indexes, options), either its state
//! before the restore or the backup's, the files likewise, and the journal's account
//! matches which one.

mod backup_support;
mod common;
mod restore_support;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use backup_support::{Fixture, assert_success};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use restore_support::{
    DbImage, DrillRng, FilesImage, change_everything, current_phase, db_image, files_image,
    journal_dir, journals, kill9, merged, poll_until, scale_for, staging_collections, staging_dirs,
};
use scandyctl::mongo::local_server::{LocalMongoServer, python_for_tests};
use serde_json::Value;

/// Documents the drill database holds at least.
const DRILL_DOCUMENTS: usize = 50_000;
/// Delay per journaled step (insert batch, index, rename, file entry), so that every
/// phase lasts long enough to be hit.
const STEP_MS: &str = "5";
/// Longest a single restore may take before the drill gives up.
const RUN_TIMEOUT: Duration = Duration::from_secs(300);

/// One state the install can be in: database and files.
#[derive(Clone)]
struct InstallImage {
    db: DbImage,
    files: FilesImage,
}

/// The drill install: two sets (the original state A and the changed state C) and the
/// exact images a restore of each must leave.
struct Drill {
    fx: Fixture,
    /// A client of the server the install's database is on.
    client: mongodb::Client,
    /// The private server of this drill (none with `MONGODB_TEST_URI`).
    _server: Option<LocalMongoServer>,
    /// (set id, the install after restoring it) for A and C.
    sets: [(String, InstallImage); 2],
}

impl Drill {
    /// Seeds the install; `private` gives it a SecantusDB server of its own (so that two
    /// drills run side by side on two cores), unless `MONGODB_TEST_URI` names a server.
    async fn new(name: &str, private: bool) -> Drill {
        let scale = scale_for(DRILL_DOCUMENTS);
        let seeded = Instant::now();
        let shared = std::env::var("MONGODB_TEST_URI").is_ok_and(|u| !u.trim().is_empty());
        let server = (private && !shared).then(private_server);
        let uri = match &server {
            Some(server) => server.uri(),
            None => common::test_mongo().uri.clone(),
        };
        let client = mongodb::Client::with_uri_str(&uri).await.expect("client");
        let fx = Fixture::with_server(name, &uri, scale).await;
        fx.write_config("[restore]\nparallel_collections = 4");
        let a_db = db_image(&client, &fx.database).await;
        assert!(
            a_db.documents() >= DRILL_DOCUMENTS,
            "the drill database has {} documents",
            a_db.documents()
        );
        assert!(a_db.collections.len() >= 5, "{:?}", a_db.collections.keys());
        let a_files = files_image(&fx.root);
        let set_a = fx.backup();
        change_everything(&client, &fx).await;
        let c = InstallImage {
            db: db_image(&client, &fx.database).await,
            files: files_image(&fx.root),
        };
        assert!(
            c.db.difference(&a_db).is_some(),
            "the change changed nothing"
        );
        let set_c = fx.backup();
        eprintln!(
            "drill install: {} documents in {} collections, sets {set_a} and {set_c}, ready in {:.1?}",
            a_db.documents(),
            a_db.collections.len(),
            seeded.elapsed()
        );
        // Restoring A over C merges A's files over C's (C only added and changed files).
        let a = InstallImage {
            db: a_db,
            files: merged(&c.files, &a_files),
        };
        Drill {
            fx,
            client,
            _server: server,
            sets: [(set_a, a), (set_c, c)],
        }
    }

    /// The install as it is now.
    async fn image(&self) -> InstallImage {
        InstallImage {
            db: db_image(&self.client, &self.fx.database).await,
            files: files_image(&self.fx.root),
        }
    }

    /// Which of the two images `now` is (index into `sets`), with the differences otherwise.
    fn which(&self, now: &InstallImage) -> Result<usize, String> {
        let mut why = Vec::new();
        for (i, (id, image)) in self.sets.iter().enumerate() {
            match (image.db.difference(&now.db), image.files == now.files) {
                (None, true) => return Ok(i),
                (db, files) => why.push(format!(
                    "not the state of {id}: database {}, files {}",
                    db.unwrap_or_else(|| "equal".into()),
                    if files { "equal" } else { "differ" }
                )),
            }
        }
        Err(why.join("; "))
    }

    /// Starts a headless restore of set `index` over the live install.
    fn start_restore(&self, index: usize) -> Child {
        self.fx
            .command(&["restore", &self.sets[index].0, "--yes"])
            .env("SCANDYCTL_TEST_RESTORE_STEP_MS", STEP_MS)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start restore")
    }

    /// `status --json` (which finishes or undoes an interrupted restore first).
    fn status(&self) -> Value {
        let out = self.fx.run(&["status", "--json"]);
        assert_success(&out, "status");
        serde_json::from_slice(&out.stdout).expect("status json")
    }

    /// Asserts that nothing of a restore is left behind: staging collections and staging
    /// directories (a stale lock of a killed run is taken over by the next one, which the
    /// next drill proves).
    async fn assert_nothing_left(&self, what: &str) {
        assert_eq!(
            staging_collections(&self.client, &self.fx.database).await,
            Vec::<String>::new(),
            "{what}: staging collections left"
        );
        assert_eq!(
            staging_dirs(&self.fx.root),
            Vec::<std::path::PathBuf>::new(),
            "{what}: staging directories left"
        );
    }
}

/// Phase transitions of one run, in time since its start (polled from its journal).
fn watch_phases(drill: &Drill, child: &mut Child) -> Vec<(String, Duration)> {
    let started = Instant::now();
    let mut seen: Vec<(String, Duration)> = Vec::new();
    loop {
        if let Some(phase) = current_phase(&drill.fx)
            && seen.last().is_none_or(|(p, _)| *p != phase)
        {
            seen.push((phase, started.elapsed()));
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            assert!(status.success(), "the calibration restore failed: {status}");
            seen.push(("exited".into(), started.elapsed()));
            return seen;
        }
        assert!(started.elapsed() < RUN_TIMEOUT, "restore hangs: {seen:?}");
        std::thread::sleep(Duration::from_millis(3));
    }
}

/// A SecantusDB server of one drill's own.
fn private_server() -> LocalMongoServer {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = python_for_tests(repo).expect("python with SecantusDB");
    let storage = tempfile::Builder::new()
        .prefix("secantus-drill-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("storage dir")
        .keep();
    LocalMongoServer::start(&python, &storage, &[]).expect("start a private SecantusDB")
}

// 20 kills in all, in two drills of 10 that run side by side, each on its own server.

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_at_10_random_moments_a() {
    kill_drill("restore_kill_drill_a", [2, 4, 3, 1]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_at_10_random_moments_b() {
    kill_drill("restore_kill_drill_b", [2, 5, 3, 0]).await;
}

/// Kills a headless restore `counts` times in the safety backup, the staging, the swap
/// and anywhere in the run (at a random moment of that phase's calibrated window), and
/// asserts after each that the install is exactly in the state before or the backup's,
/// as its journal says.
async fn kill_drill(name: &str, counts: [usize; 4]) {
    let drill = Drill::new(name, true).await;
    let mut rng = DrillRng::from_env();

    // Calibration: one complete restore of A over C, timed phase by phase.
    let mut child = drill.start_restore(0);
    let phases = watch_phases(&drill, &mut child);
    eprintln!("calibration run phases: {phases:?}");
    let now = drill.image().await;
    assert_eq!(
        drill.which(&now),
        Ok(0),
        "a complete restore gives the backup's state"
    );
    drill.assert_nothing_left("calibration").await;
    assert!(
        journals(&drill.fx).is_empty(),
        "a completed restore leaves no journal"
    );
    let window = |name: &str| -> Duration {
        let start = phases.iter().position(|(p, _)| p == name);
        let start = start.unwrap_or_else(|| panic!("phase {name} not seen: {phases:?}"));
        phases[start + 1].1 - phases[start].1
    };
    let total = phases.last().unwrap().1;
    let plan: Vec<(&str, Duration)> = ["safety-backup", "staging", "swap", "any"]
        .into_iter()
        .zip(counts)
        .flat_map(|(phase, n)| {
            let span = if phase == "any" { total } else { window(phase) };
            std::iter::repeat_n((phase, span), n)
        })
        .collect();

    let mut current = 0; // the install is in A's state now
    let mut outcomes = Vec::new();
    for (n, (phase, span)) in plan.into_iter().enumerate() {
        let target = 1 - current;
        let offset = Duration::from_millis(rng.below(span.as_millis().max(1) as u64));
        let mut child = drill.start_restore(target);
        let started = Instant::now();
        if phase != "any" {
            let reached = poll_until(RUN_TIMEOUT, || {
                if current_phase(&drill.fx).as_deref() == Some(phase) {
                    return Some(true);
                }
                child.try_wait().ok().flatten().map(|_| false)
            });
            assert_eq!(
                reached,
                Some(true),
                "drill {n}: phase {phase} never reached"
            );
        }
        std::thread::sleep(offset);
        let at = current_phase(&drill.fx).unwrap_or_else(|| "no journal".into());
        kill9(child.id());
        let exit = child.wait().expect("wait");
        let killed_after = started.elapsed();

        let status = drill.status();
        let restores = status["restores"].as_array().cloned().unwrap_or_default();
        assert!(restores.len() <= 1, "drill {n}: {restores:?}");
        let state = restores
            .first()
            .map(|r| r["state"].as_str().unwrap_or("?").to_string());
        let now = drill.image().await;
        let which = drill.which(&now).unwrap_or_else(|why| {
            panic!("drill {n} ({phase} +{offset:?}, journal at {at}): the install is in neither state: {why}")
        });
        match state.as_deref() {
            Some("rolled-back") => assert_eq!(
                which, current,
                "drill {n}: the journal says rolled back, the install holds the backup"
            ),
            Some("rolled-forward") => assert_eq!(
                which, target,
                "drill {n}: the journal says rolled forward, the install holds the old state"
            ),
            None => {}
            Some(other) => panic!("drill {n}: unexpected restore state {other}: {restores:?}"),
        }
        if let Some(entry) = restores.first() {
            let recovery = &entry["journal"]["recovery"];
            if state.as_deref() == Some("rolled-forward") {
                let swapped = recovery["swapped"].as_array().map_or(0, Vec::len);
                let moved = recovery["files_moved"].as_array().map_or(0, Vec::len);
                assert!(
                    swapped + moved > 0 || at == "swap",
                    "drill {n}: a roll forward that moved nothing: {recovery}"
                );
            }
            let id = entry["id"].as_str().unwrap().to_string();
            let ack = drill.fx.run(&["restore", "--ack", &id]);
            assert_success(&ack, "restore --ack");
        }
        drill.assert_nothing_left(&format!("drill {n}")).await;
        assert!(
            journals(&drill.fx).is_empty(),
            "drill {n}: journal left after --ack"
        );
        eprintln!(
            "drill {n:2}: {phase:<13} +{:>5} ms, killed at {:>6} ms in {at:<13} ({exit}) → {} ({})",
            offset.as_millis(),
            killed_after.as_millis(),
            drill.sets[which].0,
            state.as_deref().unwrap_or("no journal")
        );
        outcomes.push((at, which == target));
        current = which;
    }
    let rolled_forward = outcomes.iter().filter(|(_, forward)| *forward).count();
    eprintln!(
        "{rolled_forward} of {} drills ended in the backup's state, the others in the state before",
        outcomes.len()
    );
    for phase in ["safety-backup", "staging", "swap"] {
        assert!(
            outcomes.iter().any(|(at, _)| at == phase),
            "no kill landed in phase {phase}: {outcomes:?}"
        );
    }
    let pre_restore = drill
        .fx
        .backup_dir_entries()
        .into_iter()
        .filter(|e| e.ends_with("-pre-restore"))
        .count();
    assert!(pre_restore > 0, "no safety backup was ever completed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_headless_restore_completes_when_its_terminal_hangs_up() {
    let drill = Drill::new("restore_hangup_drill", false).await;
    let target = 0; // the install holds C: restore A
    let pty = native_pty_system();
    let pair = pty
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("open pty");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_scandyctl"));
    cmd.args([
        "--config",
        drill.fx.config.to_str().unwrap(),
        "restore",
        &drill.sets[target].0,
        "--yes",
    ]);
    cmd.cwd(drill.fx.dir.path());
    cmd.env_clear();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.env("HOME", drill.fx.dir.path());
    cmd.env("TERM", "xterm-256color");
    cmd.env("SCANDYCTL_STATE_DIR", drill.fx.dir.path().join("state"));
    cmd.env("SCANDYCTL_TEST_RESTORE_STEP_MS", STEP_MS);
    let mut child = pair.slave.spawn_command(cmd).expect("spawn restore");
    drop(pair.slave);
    // Drain the terminal from the master's own descriptor (a cloned reader would keep
    // the master open and the hang-up would never happen).
    let fd = pair.master.as_raw_fd().expect("master fd");
    let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (sink, stop_reading) = (output.clone(), stop.clone());
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while !stop_reading.load(std::sync::atomic::Ordering::Relaxed) {
            let mut poll = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd; fd stays open until this thread is joined.
            if unsafe { libc::poll(&mut poll, 1, 50) } <= 0 {
                continue;
            }
            // SAFETY: reading into a live buffer of its length.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n as usize]);
        }
    });

    // Hang up in the middle of the load: staging phase with documents loaded.
    let loading = poll_until(RUN_TIMEOUT, || {
        journals(&drill.fx).into_iter().find(|j| {
            j["phase"] == "staging" && j["progress"]["items"].as_u64().is_some_and(|n| n > 0)
        })
    })
    .expect("the restore never reached the load");
    let pid = loading["pid"].as_u64().unwrap() as u32;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    reader.join().expect("reader");
    drop(pair.master); // the last descriptor of the terminal closes: the kernel hangs up
    let hung_up = Instant::now();

    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the restore never ended");
        std::thread::sleep(Duration::from_millis(20));
    };
    let shown = String::from_utf8_lossy(&output.lock().unwrap()).to_string();
    assert!(
        status.success(),
        "the restore (pid {pid}) did not complete after the hang-up: {status:?}\n{shown}"
    );
    eprintln!(
        "restore completed {:.1?} after the hang-up",
        hung_up.elapsed()
    );
    let now = drill.image().await;
    assert_eq!(
        drill.which(&now),
        Ok(target),
        "the database equals the backup"
    );
    drill.assert_nothing_left("hang-up").await;

    // The journal stays so that the admin learns what happened while away.
    let status = drill.status();
    let restores = status["restores"].as_array().unwrap();
    assert_eq!(restores.len(), 1, "{restores:?}");
    assert_eq!(restores[0]["state"], "completed-unattended", "{restores:?}");
    assert_eq!(restores[0]["journal"]["terminal_lost"], true);
    let message = restores[0]["message"].as_str().unwrap();
    assert!(
        message.contains("after its terminal went away"),
        "{message}"
    );
    let text = drill.fx.run(&["status"]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("after its terminal went away"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
    let id = restores[0]["id"].as_str().unwrap();
    assert_success(&drill.fx.run(&["restore", "--ack", id]), "restore --ack");
    assert!(
        !journal_dir(&drill.fx).join(format!("{id}.json")).exists(),
        "journal kept after --ack"
    );
}
