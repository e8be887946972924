//! Health probes against a hand-written HTTP/1.1 server on loopback.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use scandyctl::system::http_probe::{HealthProbe, probe_client, probe_health};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const TIMEOUT: Duration = Duration::from_secs(5);

/// A server that answers every request with `status` and `body`; the request heads go to the channel.
async fn serve(
    status: &'static str,
    body: &'static [u8],
) -> (SocketAddr, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tx.send(String::from_utf8_lossy(&head).into_owned());
                let mut answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                answer.extend_from_slice(body);
                let _ = socket.write_all(&answer).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (addr, rx)
}

async fn probe_at(addr: SocketAddr) -> HealthProbe {
    probe_health(&probe_client(), &format!("http://{addr}/health"), TIMEOUT).await
}

#[tokio::test]
async fn healthy_answer_is_healthy() {
    let (addr, mut requests) = serve("200 OK", br#"{"status":"healthy","database":"ok"}"#).await;
    let probe = probe_at(addr).await;
    assert!(probe.healthy, "{probe:?}");
    assert_eq!(probe.status, Some(200));
    assert_eq!(probe.detail, "healthy");
    assert!(probe.latency > Duration::ZERO);
    let head = requests.recv().await.unwrap();
    assert!(head.starts_with("GET /health HTTP/1.1\r\n"), "{head}");
    let lower = head.to_ascii_lowercase();
    assert!(
        lower.contains(&format!(
            "user-agent: scandyctl/{}",
            env!("CARGO_PKG_VERSION")
        )),
        "{head}"
    );
    let json = serde_json::to_value(&probe).unwrap();
    assert!(json["latency"].as_f64().unwrap() > 0.0);
    assert_eq!(json["status"], 200);
}

#[tokio::test]
async fn unavailable_answer_shows_status_and_body() {
    let (addr, _requests) = serve(
        "503 Service Unavailable",
        br#"{"status":"unhealthy","database":"down"}"#,
    )
    .await;
    let probe = probe_at(addr).await;
    assert!(!probe.healthy);
    assert_eq!(probe.status, Some(503));
    assert_eq!(
        probe.detail,
        r#"503 Service Unavailable: {"status":"unhealthy","database":"down"}"#
    );
}

#[tokio::test]
async fn degraded_status_is_unhealthy() {
    let (addr, _requests) = serve("200 OK", br#"{"status":"degraded"}"#).await;
    let probe = probe_at(addr).await;
    assert!(!probe.healthy);
    assert_eq!(probe.status, Some(200));
    assert_eq!(probe.detail, r#"200 OK: {"status":"degraded"}"#);
}

#[tokio::test]
async fn answer_without_json_is_healthy() {
    let (addr, _requests) = serve("200 OK", b"<html>ok</html>").await;
    let probe = probe_at(addr).await;
    assert!(probe.healthy);
    assert_eq!(probe.detail, "200 OK (no JSON)");
}

#[tokio::test]
async fn control_bytes_in_the_body_are_escaped_and_long_bodies_cut() {
    let (addr, _requests) = serve("500 Internal Server Error", b"\x1b[2Jboom\x07").await;
    let probe = probe_at(addr).await;
    assert!(!probe.healthy);
    assert_eq!(probe.detail, "500 Internal Server Error: \\x1b[2Jboom\\x07");

    static LONG: [u8; 5000] = [b'y'; 5000];
    let (addr, _requests) = serve("502 Bad Gateway", &LONG).await;
    let probe = probe_at(addr).await;
    let excerpt = probe.detail.strip_prefix("502 Bad Gateway: ").unwrap();
    assert_eq!(excerpt.chars().count(), 200);
}

#[tokio::test]
async fn silent_server_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let started = Instant::now();
    let probe = probe_health(
        &probe_client(),
        &format!("http://{addr}/health"),
        Duration::from_millis(300),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(!probe.healthy);
    assert_eq!(probe.status, None);
    assert_eq!(probe.detail, "timed out after 300 ms");
}

#[tokio::test]
async fn closed_port_is_connection_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let probe = probe_at(addr).await;
    assert!(!probe.healthy);
    assert_eq!(probe.status, None);
    assert_eq!(probe.detail, "connection refused");
}

#[tokio::test]
async fn password_in_the_url_is_sent_but_never_shown() {
    let client = probe_client();
    let (addr, mut requests) = serve("200 OK", br#"{"status":"healthy"}"#).await;
    let url = format!("http://admin:s3cret@{addr}/health");
    let probe = probe_health(&client, &url, TIMEOUT).await;
    assert!(probe.healthy, "{probe:?}");
    let head = requests.recv().await.unwrap().to_ascii_lowercase();
    // base64("admin:s3cret")
    assert!(
        head.contains("authorization: basic ywrtaw46cznjcmv0"),
        "{head}"
    );

    let (addr, _requests) = serve(
        "503 Service Unavailable",
        br#"{"status":"unhealthy","note":"s3cret"}"#,
    )
    .await;
    let failures = [
        format!("http://admin:s3cret@{addr}/health"),
        "http://admin:s3cret@[::1/health".to_string(),
        "ftp://admin:s3cret@127.0.0.1/health".to_string(),
        "http://admin:s3cret@127.0.0.1:1/health".to_string(),
    ];
    for url in failures {
        let probe = probe_health(&client, &url, Duration::from_millis(500)).await;
        assert!(!probe.healthy, "{url}");
        assert!(!probe.detail.contains("s3cret"), "{}", probe.detail);
        assert!(!format!("{probe:?}").contains("s3cret"));
        assert!(!serde_json::to_string(&probe).unwrap().contains("s3cret"));
    }
}

#[tokio::test]
async fn invalid_url_says_so() {
    let probe = probe_health(&probe_client(), "not a url", TIMEOUT).await;
    assert!(!probe.healthy);
    assert!(
        probe.detail.starts_with("invalid URL: "),
        "{}",
        probe.detail
    );
}
