//! Process list: which processes belong to Scandy or MongoDB, with secrets kept out of command lines.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use sysinfo::{Pid, Process, System};

use crate::sanitize::escape_controls;

/// Longest command line shown, in characters.
const COMMAND_MAX_CHARS: usize = 120;
/// What replaces a secret.
const MASK: &str = "****";

/// Which part of a Scandy installation a process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ProcessRole {
    /// The web app (gunicorn or python running Scandy).
    Scandy,
    /// The database server `mongod`.
    MongoDb,
}

/// One process as the System tab shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcessInfo {
    /// Process id.
    pub pid: u32,
    /// Short process name (the kernel's `comm`).
    pub name: String,
    /// Command line, shortened to about 120 characters, secrets replaced by `****`.
    pub command: String,
    /// CPU use since the previous sample; 100 means one full core.
    pub cpu_percent: f32,
    /// Resident memory in bytes.
    pub memory_bytes: u64,
    /// Scandy or MongoDB, when the process is one of them.
    pub role: Option<ProcessRole>,
}

/// Scandy: gunicorn/python processes whose command line mentions scandy or `app:app`/`wsgi`; MongoDB: `mongod`.
pub fn process_role(name: &str, command: &str) -> Option<ProcessRole> {
    let argv0 = command
        .split_whitespace()
        .next()
        .map(|first| first.rsplit('/').next().unwrap_or(first))
        .unwrap_or("");
    if name == "mongod" || argv0 == "mongod" {
        return Some(ProcessRole::MongoDb);
    }
    let runner = |s: &str| {
        let s = s.to_ascii_lowercase();
        s.starts_with("gunicorn") || s.starts_with("python") || s.starts_with("uwsgi")
    };
    // scandyctl's own paths (its cache, its test server) are not Scandy.
    let lower = command.to_ascii_lowercase().replace("scandyctl", "");
    let runs_python = runner(name) || runner(argv0) || lower.contains("gunicorn");
    let is_scandy = lower.contains("scandy") || lower.contains("app:app") || lower.contains("wsgi");
    (runs_python && is_scandy).then_some(ProcessRole::Scandy)
}

/// Redacts secrets in a whitespace-separated command line (URI passwords, `--password X`, `-p X`, `*PASSWORD*=`, `*_KEY=`, `*SECRET*=`).
pub fn redact_command(command: &str) -> String {
    redact_args(command.split_whitespace()).join(" ")
}

/// Redacts secrets in a command given as separate arguments.
fn redact_args<'a>(args: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut out = Vec::new();
    let mut hide_next = false;
    for arg in args {
        if hide_next {
            out.push(MASK.to_string());
            hide_next = false;
            continue;
        }
        if arg.contains(char::is_whitespace) {
            // A whole shell command in one argument (`sh -c "… --password x"`).
            out.push(redact_command(arg));
            continue;
        }
        if let Some((key, _)) = arg.split_once('=')
            && is_secret_key(key)
        {
            out.push(format!("{key}={MASK}"));
            continue;
        }
        if arg.starts_with('-') && (arg == "-p" || is_secret_key(arg)) {
            hide_next = true;
            out.push(arg.to_string());
            continue;
        }
        out.push(redact_uri_passwords(arg));
    }
    out
}

/// Whether an option or variable name (`--password`, `MONGO_PASSWORD`, `SECRET_KEY`) names a secret.
fn is_secret_key(key: &str) -> bool {
    let name = key.trim_start_matches('-').to_ascii_lowercase();
    if name.is_empty() {
        return false;
    }
    name.contains("password")
        || name.contains("passwd")
        || name.contains("secret")
        || name.contains("token")
        || name == "pass"
        || name == "key"
        || name.ends_with("_key")
        || name.ends_with("-key")
        || name.ends_with("apikey")
}

/// Replaces the password in every `scheme://user:password@` inside `text`.
fn redact_uri_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let authority_end = tail.find(['/', '?', '#', ' ']).unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..colon]);
                        out.push(':');
                        out.push_str(MASK);
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

/// Shortens `text` to at most `max` characters, ending in `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// What is remembered about a process between samples.
#[derive(Debug, Clone)]
struct Known {
    start_time: u64,
    /// The kernel name as read, to notice an `exec` under the same pid.
    raw_name: String,
    name: String,
    command: String,
    role: Option<ProcessRole>,
}

/// Remembers command lines and roles so each process's cmdline is read only once.
#[derive(Debug, Default)]
pub(crate) struct ProcessTracker {
    known: HashMap<Pid, Known>,
}

impl ProcessTracker {
    /// Picks the top `n` by CPU and by memory plus every Scandy/MongoDB process from a refreshed `System`.
    pub(crate) fn collect(&mut self, system: &System, n: usize) -> Vec<ProcessInfo> {
        let processes = system.processes();
        self.known.retain(|pid, _| processes.contains_key(pid));
        for (pid, process) in processes {
            let name = process.name().to_string_lossy();
            let fresh = self
                .known
                .get(pid)
                .is_some_and(|k| k.start_time == process.start_time() && k.raw_name == name);
            if !fresh {
                self.known.insert(*pid, describe(*pid, process, &name));
            }
        }
        let mut by_cpu: Vec<(&Pid, &Process)> = processes.iter().collect();
        by_cpu.sort_by(|a, b| b.1.cpu_usage().total_cmp(&a.1.cpu_usage()));
        let mut by_memory = by_cpu.clone();
        by_memory.sort_by_key(|(_, p)| std::cmp::Reverse(p.memory()));
        let mut chosen: HashSet<Pid> = HashSet::new();
        chosen.extend(by_cpu.iter().take(n).map(|(pid, _)| **pid));
        chosen.extend(by_memory.iter().take(n).map(|(pid, _)| **pid));
        chosen.extend(
            self.known
                .iter()
                .filter(|(_, k)| k.role.is_some())
                .map(|(pid, _)| *pid),
        );
        let mut list: Vec<ProcessInfo> = chosen
            .into_iter()
            .filter_map(|pid| {
                let process = processes.get(&pid)?;
                let known = self.known.get(&pid)?;
                Some(ProcessInfo {
                    pid: pid.as_u32(),
                    name: known.name.clone(),
                    command: known.command.clone(),
                    cpu_percent: process.cpu_usage(),
                    memory_bytes: process.memory(),
                    role: known.role,
                })
            })
            .collect();
        list.sort_by(|a, b| {
            b.cpu_percent
                .total_cmp(&a.cpu_percent)
                .then(b.memory_bytes.cmp(&a.memory_bytes))
                .then(a.pid.cmp(&b.pid))
        });
        list
    }
}

/// Reads a process's command line once and derives its display form and role.
fn describe(pid: Pid, process: &Process, name: &str) -> Known {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let args: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let joined = args.join(" ");
    let command = if args.is_empty() {
        format!("[{name}]")
    } else {
        let redacted = redact_args(args.iter().map(String::as_str)).join(" ");
        shorten(&escape_controls(&redacted), COMMAND_MAX_CHARS)
    };
    Known {
        start_time: process.start_time(),
        raw_name: name.to_string(),
        name: escape_controls(name).into_owned(),
        command,
        role: process_role(name, &joined),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_uri_passwords() {
        assert_eq!(
            redact_command("mongosh mongodb://admin:s3cr%40t@db:27017/scandy?authSource=admin"),
            "mongosh mongodb://admin:****@db:27017/scandy?authSource=admin"
        );
        assert_eq!(
            redact_command("MONGODB_URI=mongodb://u:p@h/db"),
            "MONGODB_URI=mongodb://u:****@h/db"
        );
        assert_eq!(redact_command("curl https://host/x"), "curl https://host/x");
        assert_eq!(
            redact_command("git clone https://tok@github.com/a"),
            "git clone https://tok@github.com/a"
        );
    }

    #[test]
    fn redacts_password_options_and_variables() {
        assert_eq!(
            redact_command("mongodump --username admin --password hunter2 --db scandy"),
            "mongodump --username admin --password **** --db scandy"
        );
        assert_eq!(
            redact_command("mysql -p hunter2 -u root"),
            "mysql -p **** -u root"
        );
        assert_eq!(
            redact_command("tool --password=hunter2"),
            "tool --password=****"
        );
        assert_eq!(
            redact_command(
                "env MONGO_PASSWORD=hunter2 SECRET_KEY=abc API_KEY=k MY_SECRET_THING=s PATH=/bin"
            ),
            "env MONGO_PASSWORD=**** SECRET_KEY=**** API_KEY=**** MY_SECRET_THING=**** PATH=/bin"
        );
        assert_eq!(
            redact_command("x --token abc --port 5"),
            "x --token **** --port 5"
        );
        assert_eq!(redact_command("trailing --password"), "trailing --password");
        assert_eq!(
            redact_args(["sh", "-c", "mongodump --password hunter2 --out /b"]),
            vec!["sh", "-c", "mongodump --password **** --out /b"]
        );
    }

    #[test]
    fn keeps_ordinary_commands() {
        let cmd = "/usr/bin/python3 /opt/scandy/venv/bin/gunicorn --workers 2 --bind 0.0.0.0:5000 app:app";
        assert_eq!(redact_command(cmd), cmd);
    }

    #[test]
    fn shortens_long_commands() {
        let long = "x".repeat(300);
        let short = shorten(&long, COMMAND_MAX_CHARS);
        assert_eq!(short.chars().count(), COMMAND_MAX_CHARS);
        assert!(short.ends_with('…'));
        assert_eq!(shorten("abc", 120), "abc");
    }

    #[test]
    fn detects_roles() {
        use ProcessRole::*;
        assert_eq!(
            process_role("mongod", "/usr/bin/mongod --config /etc/mongod.conf"),
            Some(MongoDb)
        );
        assert_eq!(process_role("sleep", "mongod 30"), Some(MongoDb));
        assert_eq!(process_role("mongosh", "mongosh"), None);
        assert_eq!(
            process_role(
                "gunicorn",
                "/opt/scandy/venv/bin/python3 /opt/scandy/venv/bin/gunicorn -w 2 app:app"
            ),
            Some(Scandy)
        );
        assert_eq!(
            process_role("python3", "python3 -m gunicorn wsgi:application"),
            Some(Scandy)
        );
        assert_eq!(
            process_role("python3", "python3 /srv/Scandy/run.py"),
            Some(Scandy)
        );
        assert_eq!(process_role("python3", "python3 other.py"), None);
        assert_eq!(
            process_role(
                "python",
                "/root/.cache/scandyctl/secantus-venv/bin/python -m secantus --port 1"
            ),
            None,
            "scandyctl's own test server is not Scandy"
        );
        assert_eq!(process_role("vim", "vim /opt/scandy/app.py"), None);
        assert_eq!(process_role("gunicorn", "gunicorn other:server"), None);
    }
}
