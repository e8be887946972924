//! Site-specific command items: `sh -c COMMAND`, exit 0/1/2 = ok/warning/failed (anything
//! else failed), killed with its process group after the timeout; the last lines of its
//! output are the evidence.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;

use super::model::{ItemResult, Severity};

/// Output lines kept as evidence.
const EVIDENCE_LINES: usize = 20;
/// Output bytes read at most (the rest is discarded).
const MAX_OUTPUT: usize = 64 * 1024;

/// Runs `command` for item `id` within `timeout`.
pub async fn run_command(id: &str, command: &str, timeout: Duration) -> ItemResult {
    let mut child = match tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            return ItemResult::new(id, Severity::Unknown, format!("cannot run sh: {e}"));
        }
    };
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let read_all = async {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let read_out = async {
            if let Some(s) = stdout.as_mut() {
                let _ = s.take(MAX_OUTPUT as u64).read_to_end(&mut out).await;
            }
        };
        let read_err = async {
            if let Some(s) = stderr.as_mut() {
                let _ = s.take(MAX_OUTPUT as u64).read_to_end(&mut err).await;
            }
        };
        tokio::join!(read_out, read_err);
        out.extend_from_slice(&err);
        out
    };
    let waited = tokio::time::timeout(timeout, async {
        let output = read_all.await;
        let status = child.wait().await;
        (output, status)
    })
    .await;
    let (output, status) = match waited {
        Ok(done) => done,
        Err(_) => {
            if let Some(pid) = child.id() {
                // SAFETY: kill(2) on the child's own process group, which it leads.
                unsafe {
                    libc::kill(-(pid as i32), libc::SIGKILL);
                }
            }
            let _ = child.wait().await;
            return ItemResult::new(
                id,
                Severity::Failed,
                format!(
                    "the command did not finish within {} s and was killed",
                    timeout.as_secs()
                ),
            )
            .with(format!("command: {command}"));
        }
    };
    let text = String::from_utf8_lossy(&output);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let (severity, summary) = match status.ok().and_then(|s| s.code()) {
        Some(0) => (Severity::Ok, "exit 0 (ok)".to_string()),
        Some(1) => (Severity::Warning, "exit 1 (warning)".to_string()),
        Some(2) => (Severity::Failed, "exit 2 (failed)".to_string()),
        Some(code) => (
            Severity::Failed,
            format!("exit {code} (not 0, 1 or 2: failed)"),
        ),
        None => (Severity::Failed, "killed by a signal".to_string()),
    };
    let summary = match lines.first() {
        Some(first) => format!("{summary}: {first}"),
        None => summary,
    };
    let mut result = ItemResult::new(id, severity, summary);
    let skip = lines.len().saturating_sub(EVIDENCE_LINES);
    result.evidence = lines[skip..].iter().map(|l| l.to_string()).collect();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn exit_codes_decide_and_a_timeout_kills() {
        let t = Duration::from_secs(10);
        assert_eq!(
            run_command("A", "echo fine", t).await.severity,
            Severity::Ok
        );
        let w = run_command("A", "echo 'USV: Akku 60 %'; exit 1", t).await;
        assert_eq!(w.severity, Severity::Warning);
        assert_eq!(w.summary, "exit 1 (warning): USV: Akku 60 %");
        assert_eq!(
            run_command("A", "exit 2", t).await.severity,
            Severity::Failed
        );
        assert_eq!(
            run_command("A", "exit 7", t).await.severity,
            Severity::Failed
        );
        let slow = run_command("A", "sleep 30 & sleep 30", Duration::from_secs(1)).await;
        assert_eq!(slow.severity, Severity::Failed);
        assert!(slow.summary.contains("within 1 s"), "{}", slow.summary);
    }
}
