//! Starting a detached worker: `scandyctl job-worker --job FILE` re-executed in a session of
//! its own (no controlling terminal, so a closed terminal or SSH connection does not reach it),
//! stdio to a log beside the job file, the console's effective configuration on a pipe.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use color_eyre::eyre::{Result, WrapErr};

use super::detached::{
    WORKER_SUBCOMMAND, WorkerRef, apply_retention, job_path, log_path, new_key, write_job,
};
use super::job_file::{DetachedSpec, JobFile};
use crate::backup::lock::host_name;
use crate::config::Config;
use crate::state::ensure_dir;

/// Starts workers for one console.
#[derive(Debug, Clone)]
pub struct Launcher {
    /// The jobs directory.
    pub dir: PathBuf,
    /// The scandyctl binary to run.
    pub exe: PathBuf,
}

impl Launcher {
    /// A launcher for this process's binary and `dir`.
    pub fn for_this_binary(dir: PathBuf) -> Result<Launcher> {
        let exe = std::env::current_exe().wrap_err("cannot find the scandyctl binary")?;
        Ok(Launcher { dir, exe })
    }

    /// Starts a worker for `spec` with `config` and writes its job file; the worker runs on
    /// when this process ends.
    pub fn launch(&self, spec: &DetachedSpec, config: &Config) -> Result<WorkerRef> {
        ensure_dir(&self.dir)?;
        let _ = apply_retention(&self.dir, chrono::Utc::now());
        let key = new_key(spec.kind());
        let path = job_path(&self.dir, &key);
        let log = log_path(&self.dir, &key);
        let log_file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&log)
            .wrap_err_with(|| format!("cannot create the worker log {}", log.display()))?;
        let config_json = serde_json::to_vec(config).wrap_err("cannot encode the configuration")?;
        let mut command = Command::new(&self.exe);
        command
            .arg(WORKER_SUBCOMMAND)
            .arg("--job")
            .arg(&path)
            .env("SCANDYCTL_STATE_DIR", crate::state::state_dir())
            .stdin(Stdio::piped())
            .stdout(
                log_file
                    .try_clone()
                    .wrap_err("cannot share the worker log")?,
            )
            .stderr(log_file);
        // SAFETY: setsid(2) is async-signal-safe; the child only calls it before exec.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = command
            .spawn()
            .wrap_err_with(|| format!("cannot start {} {WORKER_SUBCOMMAND}", self.exe.display()))?;
        let host = host_name();
        let file = JobFile::new(&key, spec.clone(), child.id(), &host, log.clone());
        if let Err(err) = write_job(&path, &file) {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_file(&log);
            return Err(err);
        }
        let mut stdin = child.stdin.take();
        // Hands over the configuration, then reaps the worker if it ends while we live (a
        // zombie would look alive); when this process ends first, init adopts it.
        std::thread::spawn(move || {
            if let Some(pipe) = stdin.as_mut() {
                let _ = pipe.write_all(&config_json);
            }
            drop(stdin);
            let _ = child.wait();
        });
        Ok(WorkerRef {
            key,
            pid: file.pid,
            host,
            log,
        })
    }
}
