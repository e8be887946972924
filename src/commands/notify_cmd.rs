//! `scandyctl notify test`: sends a test notification through every channel (or one).

use color_eyre::eyre::Result;

use crate::cli::GlobalArgs;
use crate::config::{LoadContext, load};
use crate::notify::{ChannelConfig, ChannelKind, Notification, load_notify, send};

/// The name of this machine, for the `host` of notifications.
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that much.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc == 0 {
        let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
        let name = String::from_utf8_lossy(&buf[..end]).trim().to_string();
        if !name.is_empty() {
            return name;
        }
    }
    "localhost".to_string()
}

fn kind_name(channel: &ChannelConfig) -> &'static str {
    match &channel.kind {
        ChannelKind::Smtp(_) => "smtp",
        ChannelKind::Webhook(hook) => match hook.format {
            crate::notify::WebhookFormat::Json => "webhook",
            crate::notify::WebhookFormat::Ntfy => "ntfy",
            crate::notify::WebhookFormat::Gotify => "gotify",
            crate::notify::WebhookFormat::Slack => "slack",
            crate::notify::WebhookFormat::Sms => "sms",
            crate::notify::WebhookFormat::Alertmanager => "alertmanager",
        },
    }
}

/// `scandyctl notify test [--channel NAME] [--json]`: exit 0 when every channel delivered,
/// 1 when any failed, 2 for an unknown channel, 5 for a bad `[notify]` section.
pub async fn run_test(global: &GlobalArgs, channel: Option<String>, json: bool) -> Result<i32> {
    let loaded = load(&global.overrides(), &LoadContext::from_process())?;
    let config = match load_notify(loaded.file.as_deref()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!(
                "scandyctl: error: {}",
                crate::sanitize::escape_controls_keep_lines(&err.to_string())
            );
            return Ok(crate::exit::CONFIG);
        }
    };
    let file_text = loaded
        .file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "no config file found".to_string());
    if config.channels.is_empty() {
        eprintln!(
            "scandyctl: error: no notification channels in [notify] ({})",
            crate::sanitize::escape_controls(&file_text)
        );
        return Ok(crate::exit::CONFIG);
    }
    let targets: Vec<&ChannelConfig> = match &channel {
        Some(name) => match config.channel(name) {
            Some(found) => vec![found],
            None => {
                let names: Vec<&str> = config.channels.iter().map(|c| c.name.as_str()).collect();
                eprintln!(
                    "scandyctl: error: no channel named \"{name}\" in [notify]; channels: {}",
                    names.join(", ")
                );
                return Ok(crate::exit::USAGE);
            }
        },
        None => config.channels.iter().collect(),
    };
    let notification = Notification::test(&host_name(), chrono::Utc::now());
    let results = futures::future::join_all(targets.iter().map(|c| send(c, &notification))).await;
    let failed = results.iter().filter(|r| r.is_err()).count();
    if json {
        let rows: Vec<serde_json::Value> = targets
            .iter()
            .zip(&results)
            .map(|(c, r)| {
                serde_json::json!({
                    "channel": c.name,
                    "kind": kind_name(c),
                    "ok": r.is_ok(),
                    "error": r.as_ref().err().map(|e| e.message.clone()),
                })
            })
            .collect();
        println!("{}", crate::sanitize::to_json_pretty(&rows)?);
    } else {
        let width = targets.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for (c, r) in targets.iter().zip(&results) {
            match r {
                Ok(()) => println!("{:<width$}  {:<7}  ok", c.name, kind_name(c)),
                Err(err) => println!(
                    "{:<width$}  {:<7}  FAILED: {}",
                    c.name,
                    kind_name(c),
                    err.message
                ),
            }
        }
    }
    if failed > 0 {
        eprintln!("scandyctl: {failed} of {} channel(s) failed", targets.len());
        return Ok(crate::exit::ERROR);
    }
    Ok(crate::exit::OK)
}
