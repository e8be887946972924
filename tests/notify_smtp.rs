//! E-mail notifications delivered to a real SMTP server (aiosmtpd) on loopback, and
//! `scandyctl notify test` end to end.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use chrono::TimeZone;
use scandyctl::notify::{
    ChannelConfig, ChannelKind, Notification, NotificationStatus, Priority, SecretSource,
    SmtpConfig, SmtpSecurity, send,
};

/// aiosmtpd behind a tiny script: every message lands in `<dir>/NNNN.json`.
const SERVER_SCRIPT: &str = r#"
import json, logging, os, sys, threading, warnings
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, outdir = int(sys.argv[1]), sys.argv[2]
user = os.environ.get("SMTP_TEST_USER", "")
password = os.environ.get("SMTP_TEST_PASSWORD", "")
lock = threading.Lock()

class Handler:
    async def handle_DATA(self, server, session, envelope):
        with lock:
            n = len([f for f in os.listdir(outdir) if f.endswith(".json")])
            path = os.path.join(outdir, "%04d.json" % n)
            with open(path + ".tmp", "w") as f:
                json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                           "data": envelope.content.decode("utf-8", "replace"),
                           "authenticated": bool(session.authenticated)}, f)
            os.rename(path + ".tmp", path)
        return "250 OK"

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
          and auth_data.password == password.encode())
    return AuthResult(success=ok, handled=False)

kwargs = {}
if user:
    kwargs = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
controller = Controller(Handler(), hostname="127.0.0.1", port=port, **kwargs)
controller.start()
print("READY", flush=True)
threading.Event().wait()
"#;

/// The python that has aiosmtpd (`SCANDYCTL_SECANTUS_PYTHON` or the repo's `.venv`).
fn python() -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = scandyctl::mongo::local_server::python_for_tests(repo)
        .unwrap_or_else(|e| panic!("no python for the tests: {e:?}"));
    let has_aiosmtpd = Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has_aiosmtpd,
        "{} has no aiosmtpd: run {} -m pip install -r assets/secantus-requirements.txt",
        python.display(),
        python.display()
    );
    python
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A running aiosmtpd; killed on drop.
struct SmtpServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    fn start(login: Option<(&str, &str)>) -> SmtpServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("server.py");
        std::fs::write(&script, SERVER_SCRIPT).expect("write server script");
        let mail_dir = dir.path().join("mail");
        std::fs::create_dir(&mail_dir).expect("mail dir");
        let port = free_port();
        let mut cmd = Command::new(python());
        cmd.arg(&script)
            .arg(port.to_string())
            .arg(&mail_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some((user, password)) = login {
            cmd.env("SMTP_TEST_USER", user)
                .env("SMTP_TEST_PASSWORD", password);
        }
        // SAFETY: prctl only; the server must not outlive a crashed test binary.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("start aiosmtpd");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read aiosmtpd");
        assert_eq!(line.trim(), "READY", "aiosmtpd did not start");
        SmtpServer {
            child: Some(child),
            port,
            dir,
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn messages(&self) -> Vec<serde_json::Value> {
        let mail_dir = self.dir.path().join("mail");
        let mut names: Vec<PathBuf> = std::fs::read_dir(&mail_dir)
            .expect("mail dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_slice(&std::fs::read(p).expect("read mail")).expect("json"))
            .collect()
    }

    fn wait_for(&self, count: usize) -> Vec<serde_json::Value> {
        let start = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= count || start.elapsed() > Duration::from_secs(10) {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn channel(port: u16, login: Option<(&str, SecretSource)>) -> ChannelConfig {
    let (username, password) = match login {
        Some((user, source)) => (Some(user.to_string()), Some(source)),
        None => (None, None),
    };
    ChannelConfig {
        name: "mail".to_string(),
        kind: ChannelKind::Smtp(SmtpConfig {
            host: "127.0.0.1".to_string(),
            port,
            security: SmtpSecurity::None,
            username,
            password,
            from: "Scandy <scandy@example.org>".to_string(),
            to: vec![
                "admin@example.org".to_string(),
                "Werkstatt <werkstatt@example.org>".to_string(),
            ],
        }),
    }
}

fn notification(status: NotificationStatus) -> Notification {
    Notification {
        incident: "disk:/backups".to_string(),
        priority: Priority::Critical,
        status,
        title: "Disk /backups 91 % full".to_string(),
        summary: "Only 9 % of /backups is free; the next backup may fail.".to_string(),
        host: "werkstatt-01".to_string(),
        at: chrono::Utc
            .with_ymd_and_hms(2026, 11, 26, 13, 4, 5)
            .unwrap(),
    }
}

/// The header value of `name` in a raw message (unfolded).
fn header(data: &str, name: &str) -> Option<String> {
    let head = data.split("\r\n\r\n").next().unwrap_or(data);
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name)
            .then(|| value.trim().to_string())
    })
}

fn body(data: &str) -> String {
    data.split_once("\r\n\r\n")
        .map(|(_, b)| b.replace("\r\n", "\n"))
        .unwrap_or_default()
}

/// Sets the password variables once, before any test reads them.
fn password_env() -> (&'static str, &'static str) {
    static SET: Once = Once::new();
    SET.call_once(|| {
        // SAFETY: set once, early; only these tests read these variables.
        unsafe {
            std::env::set_var("NOTIFY_SMTP_TEST_GOOD", "s3cret-Passw0rd");
            std::env::set_var("NOTIFY_SMTP_TEST_BAD", "wr0ng-Passw0rd");
        }
    });
    ("NOTIFY_SMTP_TEST_GOOD", "NOTIFY_SMTP_TEST_BAD")
}

#[tokio::test]
async fn firing_and_resolved_mails_arrive_with_exact_headers() {
    let server = SmtpServer::start(None);
    let mail = channel(server.port, None);
    send(&mail, &notification(NotificationStatus::Firing))
        .await
        .expect("firing mail");
    send(&mail, &notification(NotificationStatus::Resolved))
        .await
        .expect("resolved mail");
    let messages = server.wait_for(2);
    assert_eq!(messages.len(), 2, "{messages:?}");

    let first = &messages[0];
    assert_eq!(first["mail_from"], "scandy@example.org");
    assert_eq!(
        first["rcpt_tos"],
        serde_json::json!(["admin@example.org", "werkstatt@example.org"])
    );
    let data = first["data"].as_str().unwrap();
    assert_eq!(
        header(data, "From").as_deref(),
        Some("Scandy <scandy@example.org>"),
        "{data}"
    );
    assert_eq!(
        header(data, "To").as_deref(),
        Some("admin@example.org, Werkstatt <werkstatt@example.org>"),
        "{data}"
    );
    assert_eq!(
        header(data, "Subject").as_deref(),
        Some("[Scandy CRITICAL] Disk /backups 91 % full"),
        "{data}"
    );
    let text = body(data);
    for part in [
        "Only 9 % of /backups is free; the next backup may fail.",
        "Status:   open",
        "Priority: critical",
        "Host:     werkstatt-01",
        "Time:     2026-11-26 13:04:05 UTC",
        "Incident: disk:/backups",
    ] {
        assert!(text.contains(part), "missing {part:?} in:\n{text}");
    }

    let data = messages[1]["data"].as_str().unwrap();
    assert_eq!(
        header(data, "Subject").as_deref(),
        Some("[Scandy RESOLVED] Disk /backups 91 % full"),
        "{data}"
    );
    assert!(body(data).contains("Status:   resolved"), "{data}");
}

#[tokio::test]
async fn login_with_password_from_environment_works() {
    let (good, _) = password_env();
    let server = SmtpServer::start(Some(("scandy", "s3cret-Passw0rd")));
    let mail = channel(
        server.port,
        Some(("scandy", SecretSource::Env(good.to_string()))),
    );
    send(&mail, &notification(NotificationStatus::Firing))
        .await
        .expect("authenticated mail");
    let messages = server.wait_for(1);
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["authenticated"], true);
}

#[tokio::test]
async fn wrong_password_is_refused_without_showing_it() {
    let (_, bad) = password_env();
    let server = SmtpServer::start(Some(("scandy", "s3cret-Passw0rd")));
    let mail = channel(
        server.port,
        Some(("scandy", SecretSource::Env(bad.to_string()))),
    );
    let err = send(&mail, &notification(NotificationStatus::Firing))
        .await
        .expect_err("wrong password must fail");
    let text = err.to_string();
    assert!(text.starts_with("mail: "), "{text}");
    assert!(text.contains("refused the login of scandy"), "{text}");
    assert!(text.contains("535"), "{text}");
    assert!(!text.contains("wr0ng-Passw0rd"), "{text}");
    assert!(!text.contains("s3cret-Passw0rd"), "{text}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn missing_password_variable_is_named() {
    let mail = channel(
        free_port(),
        Some((
            "scandy",
            SecretSource::Env("NOTIFY_SMTP_TEST_UNSET".to_string()),
        )),
    );
    let err = send(&mail, &notification(NotificationStatus::Firing))
        .await
        .expect_err("no password");
    assert_eq!(
        err.to_string(),
        "mail: environment variable NOTIFY_SMTP_TEST_UNSET is not set"
    );
}

#[tokio::test]
async fn dead_server_gives_connection_refused() {
    let port = free_port();
    let err = send(
        &channel(port, None),
        &notification(NotificationStatus::Firing),
    )
    .await
    .expect_err("nobody listens");
    assert_eq!(
        err.to_string(),
        format!("mail: cannot connect to 127.0.0.1:{port}: connection refused")
    );
}

/// A sandbox with a config file whose `[notify]` points at `port`.
fn cli_sandbox(port: u16) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("scandyctl.toml");
    let text = format!(
        "[scandy]\nroot = \"{root}\"\n[mongo]\nuri = \"mongodb://127.0.0.1:1\"\ndatabase = \"scandy\"\n\
         [backup]\ndir = \"{backups}\"\n\n[notify]\nrepeat_minutes = 30\n\
         [notify.escalation]\ncritical = [\"mail\"]\n\n\
         [[notify.channels]]\nname = \"mail\"\nkind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {port}\n\
         security = \"none\"\nusername = \"scandy\"\npassword_env = \"NOTIFY_CLI_PASSWORD\"\n\
         from = \"Scandy <scandy@example.org>\"\nto = [\"admin@example.org\"]\n",
        root = dir.path().join("scandy").display(),
        backups = dir.path().join("backups").display(),
    );
    std::fs::write(&config, text).expect("write config");
    (dir, config)
}

fn scandyctl(dir: &Path, config: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scandyctl"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("MONGODB_URI")
        .env_remove("MONGODB_DB")
        .env_remove("SCANDYCTL_CONFIG")
        .env("HOME", dir)
        .env("NOTIFY_CLI_PASSWORD", "cli-S3cret-pw")
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run scandyctl")
}

#[test]
fn cli_notify_test_sends_a_test_mail() {
    let server = SmtpServer::start(Some(("scandy", "cli-S3cret-pw")));
    let (dir, config) = cli_sandbox(server.port);
    let out = scandyctl(dir.path(), &config, &["notify", "test"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("mail") && stdout.trim_end().ends_with("ok"),
        "{stdout}"
    );
    let messages = server.wait_for(1);
    assert_eq!(messages.len(), 1);
    let data = messages[0]["data"].as_str().unwrap();
    let subject = header(data, "Subject").unwrap_or_default();
    assert!(
        subject.starts_with("[Scandy TEST] Test message from scandyctl on "),
        "{subject}"
    );
    assert!(body(data).contains("Incident: test"), "{data}");

    let json = scandyctl(
        dir.path(),
        &config,
        &["notify", "test", "--channel", "mail", "--json"],
    );
    assert_eq!(json.status.code(), Some(0));
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json output");
    assert_eq!(
        rows,
        serde_json::json!([{"channel": "mail", "kind": "smtp", "ok": true, "error": null}])
    );

    let unknown = scandyctl(
        dir.path(),
        &config,
        &["notify", "test", "--channel", "pager"],
    );
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("no channel named \"pager\"") && stderr.contains("channels: mail"),
        "{stderr}"
    );
}

#[test]
fn cli_notify_test_with_server_down_exits_1_without_password() {
    let mut server = SmtpServer::start(Some(("scandy", "cli-S3cret-pw")));
    let (dir, config) = cli_sandbox(server.port);
    server.stop();
    let out = scandyctl(dir.path(), &config, &["notify", "test"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let expected = format!(
        "cannot connect to 127.0.0.1:{}: connection refused",
        server.port
    );
    assert!(stdout.contains(&expected), "{stdout}");
    assert!(stderr.contains("1 of 1 channel(s) failed"), "{stderr}");
    assert!(!stdout.contains("cli-S3cret-pw") && !stderr.contains("cli-S3cret-pw"));
}

#[test]
fn cli_bad_notify_section_is_a_config_error() {
    let (dir, config) = cli_sandbox(free_port());
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("kind = \"smtp\"", "kind = \"pigeon\"");
    std::fs::write(&config, text).unwrap();
    let out = scandyctl(dir.path(), &config, &["notify", "test"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("notify.channels[0].kind") && stderr.contains("pigeon"),
        "{stderr}"
    );
}
