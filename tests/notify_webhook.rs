//! Webhook notifications captured by a real HTTP server on loopback: every format's
//! request asserted exactly, error answers and dead ports explained without secrets.

use std::sync::{Arc, Mutex};

use chrono::TimeZone;
use scandyctl::notify::{
    ChannelConfig, ChannelKind, Notification, NotificationStatus, Priority, SecretSource,
    WebhookConfig, WebhookFormat, send,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Captured {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Captured {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A hand-written HTTP/1.1 server that records every request and answers `status`.
struct HookServer {
    port: u16,
    seen: Arc<Mutex<Vec<Captured>>>,
}

impl HookServer {
    async fn start(status: u16, answer: &'static str) -> HookServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let record = record.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let head_end = loop {
                        let n = stream.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break pos;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let mut lines = head.split("\r\n");
                    let request_line = lines.next().unwrap_or_default().to_string();
                    let mut parts = request_line.split(' ');
                    let method = parts.next().unwrap_or_default().to_string();
                    let path = parts.next().unwrap_or_default().to_string();
                    let headers: Vec<(String, String)> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                        .collect();
                    let length: usize = headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or(0);
                    let mut body = buf[head_end + 4..].to_vec();
                    while body.len() < length {
                        let n = stream.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        body.extend_from_slice(&chunk[..n]);
                    }
                    record.lock().unwrap().push(Captured {
                        method,
                        path,
                        headers,
                        body: String::from_utf8_lossy(&body).to_string(),
                    });
                    let reason = match status {
                        200 => "OK",
                        401 => "Unauthorized",
                        500 => "Internal Server Error",
                        _ => "Whatever",
                    };
                    let response = format!(
                        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        HookServer { port, seen }
    }

    fn url(&self, path: &str) -> reqwest::Url {
        reqwest::Url::parse(&format!("http://127.0.0.1:{}{path}", self.port)).expect("url")
    }

    fn only(&self) -> Captured {
        let seen = self.seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        seen[0].clone()
    }
}

fn hook(
    name: &str,
    url: reqwest::Url,
    format: WebhookFormat,
    token: Option<SecretSource>,
) -> ChannelConfig {
    ChannelConfig {
        name: name.to_string(),
        kind: ChannelKind::Webhook(WebhookConfig {
            url,
            format,
            token,
            body_template: None,
            content_type: "text/plain; charset=utf-8".to_string(),
        }),
    }
}

/// A token in a file (the file variant of `token_env`).
fn token_file(dir: &tempfile::TempDir, token: &str) -> SecretSource {
    let path = dir.path().join("token");
    std::fs::write(&path, format!("{token}\n")).expect("write token");
    SecretSource::File(path)
}

fn notification(status: NotificationStatus, priority: Priority) -> Notification {
    Notification {
        incident: "disk:/backups".to_string(),
        priority,
        status,
        title: "Disk /backups 91 % full".to_string(),
        summary: "Only 9 % of /backups is free.".to_string(),
        host: "werkstatt-01".to_string(),
        at: chrono::Utc
            .with_ymd_and_hms(2026, 11, 26, 13, 4, 5)
            .unwrap(),
    }
}

#[tokio::test]
async fn json_posts_the_notification() {
    let server = HookServer::start(200, "").await;
    let channel = hook("hook", server.url("/scandy"), WebhookFormat::Json, None);
    send(
        &channel,
        &notification(NotificationStatus::Firing, Priority::Warning),
    )
    .await
    .expect("json webhook");
    let got = server.only();
    assert_eq!(got.method, "POST");
    assert_eq!(got.path, "/scandy");
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(got.header("authorization"), None);
    let body: serde_json::Value = serde_json::from_str(&got.body).expect("json body");
    assert_eq!(
        body,
        serde_json::json!({
            "incident": "disk:/backups",
            "priority": "warning",
            "status": "firing",
            "title": "Disk /backups 91 % full",
            "summary": "Only 9 % of /backups is free.",
            "host": "werkstatt-01",
            "at": "2026-11-26T13:04:05Z",
        })
    );
}

#[tokio::test]
async fn ntfy_sends_title_priority_tags_and_bearer() {
    let server = HookServer::start(200, "{}").await;
    let dir = tempfile::tempdir().unwrap();
    let channel = hook(
        "phone",
        server.url("/scandy-werkstatt"),
        WebhookFormat::Ntfy,
        Some(token_file(&dir, "tk_ntfy123")),
    );
    send(
        &channel,
        &notification(NotificationStatus::Firing, Priority::Critical),
    )
    .await
    .expect("ntfy");
    let got = server.only();
    assert_eq!(
        (got.method.as_str(), got.path.as_str()),
        ("POST", "/scandy-werkstatt")
    );
    assert_eq!(got.header("title"), Some("Disk /backups 91 % full"));
    assert_eq!(got.header("priority"), Some("urgent"));
    assert_eq!(got.header("tags"), Some("rotating_light,scandy"));
    assert_eq!(got.header("authorization"), Some("Bearer tk_ntfy123"));
    assert_eq!(
        got.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(got.body, "Only 9 % of /backups is free.");
}

#[tokio::test]
async fn ntfy_resolved_is_quiet_and_marked() {
    let server = HookServer::start(200, "").await;
    let channel = hook("phone", server.url("/t"), WebhookFormat::Ntfy, None);
    send(
        &channel,
        &notification(NotificationStatus::Resolved, Priority::Critical),
    )
    .await
    .expect("ntfy resolved");
    let got = server.only();
    assert_eq!(
        got.header("title"),
        Some("Resolved: Disk /backups 91 % full")
    );
    assert_eq!(got.header("priority"), Some("default"));
    assert_eq!(got.header("tags"), Some("white_check_mark,scandy"));
    assert_eq!(got.header("authorization"), None);
}

#[tokio::test]
async fn gotify_sends_json_and_app_key() {
    let server = HookServer::start(200, "{}").await;
    let dir = tempfile::tempdir().unwrap();
    let channel = hook(
        "gotify",
        server.url("/message"),
        WebhookFormat::Gotify,
        Some(token_file(&dir, "AppTok.en42")),
    );
    send(
        &channel,
        &notification(NotificationStatus::Firing, Priority::Warning),
    )
    .await
    .expect("gotify");
    let got = server.only();
    assert_eq!(got.path, "/message");
    assert_eq!(got.header("x-gotify-key"), Some("AppTok.en42"));
    assert_eq!(got.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&got.body).expect("json");
    assert_eq!(
        body,
        serde_json::json!({
            "title": "Disk /backups 91 % full",
            "message": "Only 9 % of /backups is free.\n\nHost: werkstatt-01\nTime: 2026-11-26 13:04:05 UTC",
            "priority": 5,
        })
    );
}

#[tokio::test]
async fn slack_sends_text() {
    let server = HookServer::start(200, "ok").await;
    let mut url = server.url("/hooks/abc");
    url.set_username("alice").unwrap();
    url.set_password(Some("pw")).unwrap();
    let channel = hook("chat", url, WebhookFormat::Slack, None);
    send(
        &channel,
        &notification(NotificationStatus::Repeat, Priority::Critical),
    )
    .await
    .expect("slack");
    let got = server.only();
    assert_eq!(got.path, "/hooks/abc");
    assert_eq!(got.header("content-type"), Some("application/json"));
    // userinfo in the URL becomes Basic auth (alice:pw → YWxpY2U6cHc=).
    assert_eq!(got.header("authorization"), Some("Basic YWxpY2U6cHc="));
    let body: serde_json::Value = serde_json::from_str(&got.body).expect("json");
    assert_eq!(
        body,
        serde_json::json!({"text": "*Still open: Disk /backups 91 % full*\nOnly 9 % of /backups is free."})
    );
}

#[tokio::test]
async fn sms_fills_the_template_with_its_content_type() {
    let server = HookServer::start(200, "queued").await;
    let channel = ChannelConfig {
        name: "sms".to_string(),
        kind: ChannelKind::Webhook(WebhookConfig {
            url: server.url("/api/send"),
            format: WebhookFormat::Sms,
            token: None,
            body_template: Some(
                "to=%2B491701234567&text={priority}: {title} - {summary} ({host}, {status})"
                    .to_string(),
            ),
            content_type: "application/x-www-form-urlencoded".to_string(),
        }),
    };
    send(
        &channel,
        &notification(NotificationStatus::Firing, Priority::Critical),
    )
    .await
    .expect("sms");
    let got = server.only();
    assert_eq!(got.path, "/api/send");
    assert_eq!(
        got.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        got.body,
        "to=%2B491701234567&text=critical: Disk%20%2Fbackups%2091%20%25%20full - \
         Only%209%20%25%20of%20%2Fbackups%20is%20free. (werkstatt-01, firing)"
    );
}

#[tokio::test]
async fn error_answer_names_channel_and_status_without_secrets() {
    let server = HookServer::start(500, "token tk_SECRET_9 rejected").await;
    let dir = tempfile::tempdir().unwrap();
    let mut url = server.url("/notify?apikey=QUERYSECRET");
    url.set_username("bob").unwrap();
    url.set_password(Some("USERINFOSECRET")).unwrap();
    let channel = hook(
        "phone",
        url,
        WebhookFormat::Ntfy,
        Some(token_file(&dir, "tk_SECRET_9")),
    );
    let err = send(
        &channel,
        &notification(NotificationStatus::Firing, Priority::Critical),
    )
    .await
    .expect_err("500 must fail");
    let text = err.to_string();
    assert_eq!(
        text,
        format!(
            "phone: ntfy at http://127.0.0.1:{}/notify answered 500 Internal Server Error: token *** rejected",
            server.port
        )
    );
    for secret in ["tk_SECRET_9", "USERINFOSECRET", "QUERYSECRET"] {
        assert!(!text.contains(secret), "{text}");
    }
    // The request did carry the credentials: the token wins over the URL's userinfo.
    let got = server.only();
    let auth: Vec<&(String, String)> = got
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .collect();
    assert_eq!(auth.len(), 1, "{auth:?}");
    assert_eq!(got.header("authorization"), Some("Bearer tk_SECRET_9"));
}

#[tokio::test]
async fn unauthorized_is_reported() {
    let server = HookServer::start(401, "").await;
    let channel = hook("phone", server.url("/t"), WebhookFormat::Ntfy, None);
    let err = send(
        &channel,
        &notification(NotificationStatus::Firing, Priority::Info),
    )
    .await
    .expect_err("401 must fail");
    assert_eq!(
        err.to_string(),
        format!(
            "phone: ntfy at http://127.0.0.1:{}/t answered 401 Unauthorized",
            server.port
        )
    );
}

#[tokio::test]
async fn dead_port_gives_connection_refused() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = reqwest::Url::parse(&format!("http://bob:PW_SECRET@127.0.0.1:{port}/x")).unwrap();
    let channel = hook("chat", url, WebhookFormat::Slack, None);
    let err = send(
        &channel,
        &notification(NotificationStatus::Firing, Priority::Info),
    )
    .await
    .expect_err("nobody listens");
    assert_eq!(
        err.to_string(),
        format!("chat: cannot connect to 127.0.0.1:{port}: connection refused")
    );
}
