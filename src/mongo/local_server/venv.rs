//! The private Python virtualenv that holds SecantusDB.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use color_eyre::eyre::{self, WrapErr, bail};

use super::tail_lines;

/// How many trailing lines of a tool's output go into an error message.
const TAIL_LINES: usize = 25;

/// The pinned SecantusDB requirements (`pip freeze` of a fresh venv).
pub const REQUIREMENTS: &str = include_str!("../../../assets/secantus-requirements.txt");

/// Returns the venv for the demo: `$SCANDYCTL_SECANTUS_VENV`, else the user cache dir.
pub fn default_venv_dir() -> PathBuf {
    if let Some(dir) = env_nonempty("SCANDYCTL_SECANTUS_VENV") {
        return PathBuf::from(dir);
    }
    let cache = env_nonempty("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| env_nonempty("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    cache.join("scandyctl").join("secantus-venv")
}

/// Returns the python for tests: `$SCANDYCTL_SECANTUS_PYTHON`, else `repo_root/.venv`.
pub fn python_for_tests(repo_root: &Path) -> eyre::Result<PathBuf> {
    match env_nonempty("SCANDYCTL_SECANTUS_PYTHON") {
        Some(python) => Ok(PathBuf::from(python)),
        None => ensure_venv(&repo_root.join(".venv")),
    }
}

/// Creates (once, across processes) a venv with SecantusDB and returns its python.
pub fn ensure_venv(venv_dir: &Path) -> eyre::Result<PathBuf> {
    let python = venv_dir.join("bin").join("python");
    if imports_secantus(&python) {
        return Ok(python);
    }
    if let Some(parent) = venv_dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)
            .wrap_err_with(|| format!("cannot create {}", parent.display()))?;
    }
    let lock_path = lock_path_for(venv_dir);
    let _lock = crate::state::StateLock::acquire(&lock_path)?;
    // Another process may have finished the job while we waited for the lock.
    if imports_secantus(&python) {
        return Ok(python);
    }
    if !python.exists() {
        if venv_dir.exists() {
            fs::remove_dir_all(venv_dir).wrap_err_with(|| {
                format!("cannot remove the broken venv {}", venv_dir.display())
            })?;
        }
        let mut venv = Command::new("python3");
        venv.arg("-m").arg("venv").arg(venv_dir);
        run_checked(
            venv,
            &format!("python3 -m venv {}", venv_dir.display()),
            "install python3 and python3-venv (Debian: apt-get install python3-venv)",
        )?;
    }
    let mut requirements = tempfile::Builder::new()
        .prefix("secantus-requirements-")
        .suffix(".txt")
        .tempfile()
        .wrap_err("cannot create a temporary requirements file")?;
    requirements
        .write_all(REQUIREMENTS.as_bytes())
        .and_then(|()| requirements.flush())
        .wrap_err_with(|| format!("cannot write {}", requirements.path().display()))?;
    let mut pip = Command::new(&python);
    pip.args(["-m", "pip", "install", "--disable-pip-version-check"])
        .args(["--no-input", "--quiet", "-r"])
        .arg(requirements.path());
    run_checked(
        pip,
        &format!(
            "{} -m pip install -r secantus-requirements.txt",
            python.display()
        ),
        "check the network access to PyPI (or set SCANDYCTL_SECANTUS_PYTHON)",
    )?;
    if !imports_secantus(&python) {
        bail!(
            "{} -c 'import secantus' still fails after pip install",
            python.display()
        );
    }
    Ok(python)
}

fn imports_secantus(python: &Path) -> bool {
    python.exists()
        && Command::new(python)
            .args(["-c", "import secantus"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

/// Runs a setup command; on failure the error shows the last lines of its output.
fn run_checked(mut command: Command, what: &str, hint: &str) -> eyre::Result<()> {
    let output = match command.stdin(Stdio::null()).output() {
        Ok(output) => output,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            bail!("cannot run {what}: program not found; {hint}")
        }
        Err(err) => return Err(err).wrap_err_with(|| format!("cannot run {what}")),
    };
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    bail!(
        "{what} failed ({}); {hint}. Last output:\n{}",
        output.status,
        tail_lines(&text, TAIL_LINES)
    )
}

fn lock_path_for(venv_dir: &Path) -> PathBuf {
    let mut name = venv_dir
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "venv".into());
    name.push(".lock");
    venv_dir.with_file_name(name)
}

fn env_nonempty(name: &str) -> Option<std::ffi::OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_path_is_a_sibling() {
        assert_eq!(
            lock_path_for(Path::new("/a/b/venv")),
            PathBuf::from("/a/b/venv.lock")
        );
    }

    #[test]
    fn pip_failure_shows_pips_last_lines() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let venv = dir.path().join("venv");
        let python = venv.join("bin/python");
        fs::create_dir_all(python.parent().unwrap()).unwrap();
        // A venv whose python cannot import secantus and whose pip fails like offline pip.
        fs::write(
            &python,
            "#!/bin/sh\n[ \"$1\" = -c ] && exit 1\n\
             echo 'ERROR: No matching distribution found for SecantusDB==0.7.0b3' >&2\nexit 1\n",
        )
        .unwrap();
        fs::set_permissions(&python, fs::Permissions::from_mode(0o755)).unwrap();
        let err = format!("{:#}", ensure_venv(&venv).unwrap_err());
        assert!(err.contains("pip install"), "{err}");
        assert!(err.contains("No matching distribution found"), "{err}");
        assert!(dir.path().join("venv.lock").exists());
    }
}
