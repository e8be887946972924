//! Launches a local SecantusDB (MongoDB wire protocol) server for tests and the demo.
//!
//! SecantusDB is a Python package: [`ensure_venv`] builds a private virtualenv with the
//! pinned requirements from `assets/secantus-requirements.txt`, and [`LocalMongoServer`]
//! runs `python -m secantus` on a free loopback port until it is dropped.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use color_eyre::eyre::{self, WrapErr, bail, eyre};
use mongodb::bson::doc;

mod venv;
pub use venv::{REQUIREMENTS, default_venv_dir, ensure_venv, python_for_tests};

/// How long a fresh server may take to answer `hello`.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long SIGTERM may take before SIGKILL. SecantusDB joins its listener for up to
/// 2 s and then closes WiredTiger, so a 2 s grace would cut the checkpoint short.
const STOP_GRACE: Duration = Duration::from_secs(8);
/// How many ports to try when another process grabs the chosen one first.
const START_ATTEMPTS: usize = 5;
/// How many trailing lines of a tool's output go into an error message.
const TAIL_LINES: usize = 25;

/// A running SecantusDB child process; dropping it stops the server.
pub struct LocalMongoServer {
    child: Option<Child>,
    port: u16,
    log_path: PathBuf,
    keeper: Option<Keeper>,
}

impl LocalMongoServer {
    /// Starts `python -m secantus` on a free loopback port and waits until it answers.
    pub fn start(python: &Path, storage_dir: &Path, extra_args: &[&str]) -> eyre::Result<Self> {
        fs::create_dir_all(storage_dir)
            .wrap_err_with(|| format!("cannot create {}", storage_dir.display()))?;
        let log_path = storage_dir.join("secantus.log");
        let mut keeper = Some(Keeper::new().wrap_err("cannot start the server keeper thread")?);
        let deadline = Instant::now() + READY_TIMEOUT;
        for _ in 0..START_ATTEMPTS {
            let port = free_port()?;
            let log = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log_path)
                .wrap_err_with(|| format!("cannot open {}", log_path.display()))?;
            let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
            let command = server_command(python, storage_dir, port, extra_args, log)?;
            let child = keeper
                .as_ref()
                .map(|k| k.spawn(command))
                .unwrap_or_else(|| Err(io::Error::other("keeper thread missing")))
                .wrap_err_with(|| format!("cannot run {} -m secantus", python.display()))?;
            let mut server = LocalMongoServer {
                child: Some(child),
                port,
                log_path: log_path.clone(),
                keeper: None,
            };
            match server.wait_ready(deadline, log_start) {
                Ok(()) => {
                    server.keeper = keeper.take();
                    return Ok(server);
                }
                Err(StartFailure::AddressInUse) => continue,
                Err(StartFailure::Failed(err)) => return Err(err),
            }
        }
        bail!(
            "SecantusDB could not bind a free port in {START_ATTEMPTS} attempts (log: {})",
            log_path.display()
        )
    }

    /// Returns the connection string, `mongodb://127.0.0.1:PORT`.
    pub fn uri(&self) -> String {
        format!("mongodb://127.0.0.1:{}", self.port)
    }

    /// Returns the loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Returns the process id of the server.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Returns the file that receives the server's stdout and stderr.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Polls until the child answers `hello`, exits, or the deadline passes.
    fn wait_ready(&mut self, deadline: Instant, log_start: u64) -> Result<(), StartFailure> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let mut last_error = String::from("the port never accepted a connection");
        loop {
            if let Some(status) = self.exited() {
                let log = read_log_from(&self.log_path, log_start);
                if log.contains("Address already in use") || log.contains("Errno 98") {
                    return Err(StartFailure::AddressInUse);
                }
                return Err(StartFailure::Failed(eyre!(
                    "SecantusDB exited ({status}) before it was ready; {}:\n{}",
                    self.log_path.display(),
                    tail_lines(&log, TAIL_LINES)
                )));
            }
            let now = Instant::now();
            if now >= deadline {
                let log = read_log_from(&self.log_path, log_start);
                return Err(StartFailure::Failed(eyre!(
                    "SecantusDB on port {} not ready after {}s ({last_error}); {}:\n{}",
                    self.port,
                    READY_TIMEOUT.as_secs(),
                    self.log_path.display(),
                    tail_lines(&log, TAIL_LINES)
                )));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(250)).is_ok() {
                let budget = (deadline - now).min(Duration::from_secs(5));
                match hello(&self.uri(), budget) {
                    // A ping answered by someone else's server would leave our child dead.
                    Ok(()) if self.exited().is_none() => return Ok(()),
                    Ok(()) => continue,
                    Err(err) => last_error = format!("hello failed: {err:#}"),
                }
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Returns the exit status if the child has ended.
    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }
}

impl Drop for LocalMongoServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop_child(&mut child);
        }
        if let Some(keeper) = self.keeper.take() {
            keeper.finish();
        }
    }
}

impl std::fmt::Debug for LocalMongoServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalMongoServer")
            .field("pid", &self.pid())
            .field("port", &self.port)
            .field("log_path", &self.log_path)
            .finish()
    }
}

/// Why one start attempt failed.
enum StartFailure {
    /// Someone else bound the port between our probe and the child's bind.
    AddressInUse,
    /// Anything else: reported to the caller.
    Failed(eyre::Report),
}

type Job = Box<dyn FnOnce() + Send>;

/// A thread that forks the server and lives exactly as long as it.
///
/// `PR_SET_PDEATHSIG` fires when the *thread* that forked the child ends, not the
/// process. Test threads end after each test, so the fork happens here instead.
struct Keeper {
    jobs: mpsc::Sender<Job>,
    thread: thread::JoinHandle<()>,
}

impl Keeper {
    fn new() -> io::Result<Self> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let thread = thread::Builder::new()
            .name("secantus-keeper".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
            })?;
        Ok(Keeper { jobs, thread })
    }

    fn spawn(&self, mut command: Command) -> io::Result<Child> {
        let (tx, rx) = mpsc::channel();
        let gone = || io::Error::other("the keeper thread is gone");
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(command.spawn());
            }))
            .map_err(|_| gone())?;
        rx.recv().map_err(|_| gone())?
    }

    fn finish(self) {
        drop(self.jobs);
        let _ = self.thread.join();
    }
}

fn server_command(
    python: &Path,
    storage_dir: &Path,
    port: u16,
    extra_args: &[&str],
    log: File,
) -> eyre::Result<Command> {
    let stdout = log
        .try_clone()
        .wrap_err("cannot duplicate the log file handle")?;
    let mut command = Command::new(python);
    command
        .args(["-m", "secantus", "--host", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .arg("--storage-path")
        .arg(storage_dir)
        .args(extra_args)
        // A `./secantusd.toml` in the caller's directory must not change the server.
        .current_dir(storage_dir)
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(log)
        // Ctrl-C in the terminal goes to us, and we stop the server in order.
        .process_group(0);
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure only calls async-signal-safe functions (prctl, getppid).
    unsafe {
        command.pre_exec(move || {
            #[cfg(target_os = "linux")]
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(io::Error::last_os_error());
            }
            if libc::getppid() != parent {
                return Err(io::Error::other("the parent exited before exec"));
            }
            Ok(())
        });
    }
    Ok(command)
}

/// Sends SIGTERM, waits up to [`STOP_GRACE`], then SIGKILLs and reaps.
fn stop_child(child: &mut Child) {
    if !matches!(child.try_wait(), Ok(None)) {
        return;
    }
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: plain kill(2) on our own, not yet reaped child.
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }
    let deadline = Instant::now() + STOP_GRACE;
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(None) => thread::sleep(Duration::from_millis(25)),
            _ => return,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Asks the server `hello` and `ping` through the real driver, on a private runtime.
fn hello(uri: &str, timeout: Duration) -> eyre::Result<()> {
    let uri = uri.to_owned();
    let probe = thread::spawn(move || -> eyre::Result<()> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .wrap_err("cannot build a tokio runtime")?;
        runtime.block_on(async {
            let mut options = mongodb::options::ClientOptions::parse(&uri).await?;
            options.server_selection_timeout = Some(timeout);
            options.connect_timeout = Some(timeout);
            let client = mongodb::Client::with_options(options)?;
            let admin = client.database("admin");
            admin.run_command(doc! { "hello": 1 }).await?;
            admin.run_command(doc! { "ping": 1 }).await?;
            client.shutdown().await;
            Ok(())
        })
    });
    probe
        .join()
        .map_err(|_| eyre!("the hello probe thread panicked"))?
}

fn free_port() -> eyre::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .wrap_err("cannot bind 127.0.0.1:0 to find a free port")?;
    let port = listener
        .local_addr()
        .wrap_err("cannot read the probe socket address")?
        .port();
    Ok(port)
}

fn read_log_from(path: &Path, offset: u64) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path) {
        let mut bytes = Vec::new();
        if file.seek(SeekFrom::Start(offset)).is_ok() && file.read_to_end(&mut bytes).is_ok() {
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
    }
    text
}

/// Returns the last `n` lines of `text` (or a placeholder when it is blank).
pub(crate) fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    let tail = lines[start..].join("\n");
    if tail.trim().is_empty() {
        "(no output)".into()
    } else {
        tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail_lines("  \n", 2), "(no output)");
    }
}
