//! Backups that fail half-way: MongoDB dying mid-dump, a full disk, unreadable files.
//! Each must exit non-zero, say what failed and leave no set and no `.partial` behind.

mod backup_support;
mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backup_support::Fixture;
use backup_support::tmpfs::Tmpfs;
use mongodb::bson::{Document, doc};
use scandyctl::mongo::local_server::{LocalMongoServer, python_for_tests};

/// File that ends a `SCANDYCTL_TEST_PAUSE` pause early (see `create::test_pause`).
const RESUME_FILE: &str = ".scandyctl-test-resume";

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts what every failed backup must leave: nothing in the backup directory (no set,
/// no `.partial`, no lock) and an empty `list`.
fn assert_nothing_kept(fx: &Fixture, what: &str) {
    assert_eq!(
        fx.backup_dir_entries(),
        Vec::<String>::new(),
        "{what}: the backup directory must be empty"
    );
    let list = fx.run(&["list", "--json"]);
    assert!(list.status.success(), "{what}: list: {}", stderr(&list));
    assert_eq!(stdout(&list).trim(), "[]", "{what}: list --json");
}

/// Asserts a failed backup: exit 1 (runtime error), the engine's "nothing was kept"
/// summary, no set id on stdout, and every one of `needles` in stderr.
fn assert_failed(out: &Output, what: &str, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what}: exit code; stderr:\n{err}"
    );
    assert!(
        err.contains("failed; nothing was kept"),
        "{what}: no 'nothing was kept' in stderr:\n{err}"
    );
    assert_eq!(
        stdout(out).trim(),
        "",
        "{what}: a failed backup prints no id"
    );
    for needle in needles {
        assert!(
            err.contains(needle),
            "{what}: {needle:?} not in stderr:\n{err}"
        );
    }
    backup_support::assert_no_secret(out);
}

/// A running `scandyctl backup` whose stderr is collected by a thread.
struct Running {
    child: Child,
    stderr: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    fn spawn(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn scandyctl");
        let mut pipe = child.stderr.take().expect("stderr pipe");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Running {
            child,
            stderr,
            reader: Some(reader),
        }
    }

    fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Waits until stderr contains `needle`; panics if the process ends first or on timeout.
    fn wait_for_stderr(&mut self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if self.stderr_text().contains(needle) {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(200)); // let the reader drain
                panic!(
                    "backup ended ({status}) before {needle:?}; stderr:\n{}",
                    self.stderr_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} after {timeout:?}; stderr:\n{}",
                self.stderr_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the exit (killing the process after `timeout`) and returns its output.
    fn finish(mut self, timeout: Duration) -> Output {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "backup still running after {timeout:?}; stderr:\n{}",
                    self.stderr_text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        let mut stdout = Vec::new();
        if let Some(mut pipe) = self.child.stdout.take() {
            pipe.read_to_end(&mut stdout).unwrap();
        }
        Output {
            status,
            stdout,
            stderr: std::mem::take(&mut *self.stderr.lock().unwrap()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Only reached with the process still alive when a test panicked.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Collections (then views) of `database` in the order the dump reads them.
async fn dump_order(uri: &str, database: &str) -> Vec<(String, bool)> {
    use futures::TryStreamExt;
    let client = mongodb::Client::with_uri_str(uri).await.unwrap();
    let specs: Vec<Document> = client
        .database(database)
        .run_cursor_command(doc! { "listCollections": 1 })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let mut order: Vec<(String, bool)> = specs
        .iter()
        .map(|s| {
            (
                s.get_str("name").unwrap().to_string(),
                s.get_str("type").unwrap_or("collection") == "view",
            )
        })
        .filter(|(name, _)| !name.starts_with("system."))
        .collect();
    order.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    order
}

#[tokio::test(flavor = "multi_thread")]
async fn mongodb_dying_mid_dump_fails_and_keeps_nothing() {
    let python = python_for_tests(Path::new(env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("no python with SecantusDB: {e:?}"));
    let storage = tempfile::Builder::new()
        .prefix("secantus-dumpfail-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let server = tokio::task::spawn_blocking({
        let storage = storage.path().to_path_buf();
        move || LocalMongoServer::start(&python, &storage, &[])
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("cannot start a private SecantusDB: {e:?}"));
    let port = server.port();
    let fx = Fixture::with_server("dumpfail", &server.uri(), 200).await;

    // The dump pauses after the first collection; the second is the one it cannot read.
    let order = dump_order(&server.uri(), &fx.database).await;
    assert!(order.len() >= 2, "need two collections: {order:?}");
    let (second, second_is_view) = &order[1];
    assert!(
        !second_is_view,
        "the second dumped item is a view: {order:?}"
    );

    let mut run = Running::spawn({
        let mut cmd = fx.command(&["backup", "--type", "full"]);
        cmd.env("SCANDYCTL_TEST_PAUSE", "during-dump");
        cmd
    });
    run.wait_for_stderr("paused at during-dump", Duration::from_secs(120));
    let partials: Vec<String> = fx
        .backup_dir_entries()
        .into_iter()
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert_eq!(partials.len(), 1, "a .partial set while paused");
    assert!(
        fx.backups
            .join(&partials[0])
            .join("mongo.archive.zst")
            .is_file(),
        "the database member is being written"
    );

    let pid = libc::pid_t::try_from(server.pid()).unwrap();
    assert!(pid > 0, "server pid");
    // SAFETY: our own child process; it is meant to die without a clean shutdown.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0, "kill server");
    let gone = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < gone, "the killed server still accepts");
        std::thread::sleep(Duration::from_millis(50));
    }

    std::fs::write(fx.backups.join(RESUME_FILE), b"").unwrap();
    let resumed = Instant::now();
    let out = run.finish(Duration::from_secs(90));
    assert!(
        stderr(&out).contains("resumed at during-dump"),
        "the pause did not end on the resume file:\n{}",
        stderr(&out)
    );
    assert!(
        resumed.elapsed() < Duration::from_secs(45),
        "the failing backup took {:?} after the resume",
        resumed.elapsed()
    );
    assert_failed(
        &out,
        "MongoDB killed mid-dump",
        &[
            &format!("cannot dump database {}", fx.database),
            &format!("cannot read {}.{second}", fx.database),
        ],
    );
    assert_nothing_kept(&fx, "MongoDB killed mid-dump");
    drop(server);
}

/// Writes `size` bytes from /dev/urandom (incompressible) to `path`.
fn write_random(path: &Path, size: u64) {
    let mut data = Vec::new();
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .take(size)
        .read_to_end(&mut data)
        .unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_fails_the_backup_and_keeps_nothing() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: mounting a small tmpfs as the backup directory needs root");
        return;
    }
    let fx = Fixture::with_server("diskfull", &common::test_mongo().uri, 1200).await;
    for n in 1..=2 {
        write_random(
            &fx.root
                .join(format!("app/static/uploads/scans/scan-{n}.bin")),
            1 << 20,
        );
    }
    // A backup on the roomy disk first: the sizes the members need.
    let id = fx.backup();
    let mongo_size = std::fs::metadata(fx.set_dir(&id).join("mongo.archive.zst"))
        .unwrap()
        .len();
    let files_size = std::fs::metadata(fx.set_dir(&id).join("files.tar.zst"))
        .unwrap()
        .len();
    std::fs::remove_dir_all(fx.set_dir(&id)).unwrap();
    assert!(
        mongo_size > 256 * 1024,
        "the database member ({mongo_size} bytes) must not fit into 256 KiB"
    );
    assert!(files_size > 2 << 20, "files member {files_size} bytes");
    assert_eq!(fx.backup_dir_entries(), Vec::<String>::new());

    let tmpfs = match Tmpfs::mount(&fx.backups, "256k") {
        Ok(tmpfs) => tmpfs,
        Err(why) => {
            eprintln!("skipped: cannot mount a tmpfs as the backup directory: {why}");
            return;
        }
    };
    assert_eq!(tmpfs.capacity(), 256 * 1024, "tmpfs size");

    // 256 KiB: the database member does not fit.
    let out = fx
        .command(&["backup", "--type", "full"])
        .env("SCANDYCTL_TEST_NO_PREFLIGHT", "1")
        .output()
        .unwrap();
    eprintln!("disk full during the dump:\n{}", stderr(&out));
    assert_failed(
        &out,
        "disk full during the dump",
        &[
            "No space left on device",
            &format!("{}/", fx.backups.display()),
            ".partial/mongo.archive.zst",
        ],
    );
    assert_nothing_kept(&fx, "disk full during the dump");

    // Room for the database member, not for the 2 MiB of random uploads.
    let room = (mongo_size + 256 * 1024).div_ceil(4096) * 4096;
    tmpfs.resize(&room.to_string());
    assert_eq!(tmpfs.capacity(), room, "tmpfs size after remount");
    let out = fx
        .command(&["backup", "--type", "full"])
        .env("SCANDYCTL_TEST_NO_PREFLIGHT", "1")
        .output()
        .unwrap();
    eprintln!("disk full during the files:\n{}", stderr(&out));
    assert_failed(
        &out,
        "disk full during the files",
        &[
            "No space left on device",
            &format!("{}/", fx.backups.display()),
            ".partial/files.tar.zst",
        ],
    );
    assert!(
        !stderr(&out).contains("mongo.archive.zst"),
        "the database member fitted: {}",
        stderr(&out)
    );
    assert_nothing_kept(&fx, "disk full during the files");
    drop(tmpfs);
}

/// Fails against the current engine: when the archive writer thread hits ENOSPC while the
/// reader is still sending, `dump_database_into` reports the reader's "the archive writer
/// stopped early" and drops the writer's error, so neither "No space left" nor the member
/// path reaches the user. Un-ignore once dump.rs prefers the writer's error in that case.
#[tokio::test(flavor = "multi_thread")]
async fn a_disk_filling_up_while_the_dump_streams_names_enospc() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: mounting a small tmpfs as the backup directory needs root");
        return;
    }
    // 24 MiB of incompressible documents: the compressed database member reaches the disk
    // while the dump is still reading, so the write fails mid-stream, not at the finish.
    let fx = Fixture::new("diskfull_stream").await;
    let blobs = common::client()
        .await
        .database(&fx.database)
        .collection::<Document>("blobs");
    for n in 0..64 {
        let mut data = Vec::new();
        std::fs::File::open("/dev/urandom")
            .unwrap()
            .take(1 << 20)
            .read_to_end(&mut data)
            .unwrap();
        let bytes = mongodb::bson::Binary {
            subtype: mongodb::bson::spec::BinarySubtype::Generic,
            bytes: data,
        };
        blobs
            .insert_one(doc! { "n": n, "data": bytes })
            .await
            .unwrap();
    }
    std::fs::create_dir_all(&fx.backups).unwrap();
    let tmpfs = match Tmpfs::mount(&fx.backups, "256k") {
        Ok(tmpfs) => tmpfs,
        Err(why) => {
            eprintln!("skipped: cannot mount a tmpfs as the backup directory: {why}");
            return;
        }
    };
    let out = fx
        .command(&["backup", "--type", "full"])
        .env("SCANDYCTL_TEST_NO_PREFLIGHT", "1")
        .output()
        .unwrap();
    eprintln!("disk full while the dump streams:\n{}", stderr(&out));
    assert_failed(
        &out,
        "disk full while the dump streams",
        &[
            "No space left on device",
            &format!("{}/", fx.backups.display()),
            ".partial/mongo.archive.zst",
        ],
    );
    assert_nothing_kept(&fx, "disk full while the dump streams");
    drop(tmpfs);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_directory_in_config_files_fails_naming_it() {
    let fx = Fixture::new("configdir").await;
    let dir = fx.root.join("conf.d");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("scandy.conf"), b"x = 1\n").unwrap();
    fx.write_config("config_files = [\".env\", \"docker-compose.yml\", \"conf.d\"]");
    let out = fx.run(&["backup", "--type", "full"]);
    assert_failed(
        &out,
        "directory in config_files",
        &[&format!(
            "cannot read {}: is a directory, not a file",
            dir.display()
        )],
    );
    assert_nothing_kept(&fx, "directory in config_files");
}

/// The uid/gid the unreadable-file test drops to when it runs as root.
const NOBODY: u32 = 65534;

#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_upload_fails_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;

    let fx = Fixture::new("unreadable").await;
    let file = fx
        .root
        .join("app/static/uploads/tickets/1/Prüfbericht Säge.pdf");
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        // Root reads every file: run scandyctl as nobody, owning the whole fixture.
        let status = Command::new("chown")
            .args(["-R", &format!("{NOBODY}:{NOBODY}")])
            .arg(fx.dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "chown the fixture to nobody");
    }
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut cmd = fx.command(&["backup", "--type", "full"]);
    if root {
        cmd.uid(NOBODY).gid(NOBODY);
    }
    let out = cmd.output().unwrap();
    assert_failed(
        &out,
        "unreadable upload",
        &[&format!(
            "cannot read {}: permission denied",
            file.display()
        )],
    );
    assert_nothing_kept(&fx, "unreadable upload");
}
