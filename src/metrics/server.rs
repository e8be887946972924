//! A tiny HTTP server for `GET /metrics` (std `TcpListener`, one thread, one request per
//! connection): what Prometheus scrapes from `scandyctl watch --metrics-listen`.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr};

/// The content type of the Prometheus text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The text served at `/metrics`; the caller replaces it after every evaluation.
pub type MetricsText = Arc<Mutex<String>>;

/// Binds `addr` and serves `text` at `/metrics` in a background thread; returns the bound
/// address (port 0 picks a free port).
pub fn serve_metrics(addr: &str, text: MetricsText) -> Result<SocketAddr> {
    let listener = TcpListener::bind(addr)
        .wrap_err_with(|| format!("cannot listen on {addr} for /metrics"))?;
    let bound = listener
        .local_addr()
        .wrap_err("cannot read the bound address")?;
    std::thread::Builder::new()
        .name("metrics-http".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = answer(stream, &text);
            }
        })
        .wrap_err("cannot start the /metrics thread")?;
    Ok(bound)
}

fn answer(stream: TcpStream, text: &MetricsText) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    // Skip the headers (at most 100 lines, 8 KiB each): the answer never depends on them.
    for _ in 0..100 {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut parts = request.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, kind, body) = match (method, path) {
        ("GET" | "HEAD", "/metrics") => (
            "200 OK",
            CONTENT_TYPE,
            text.lock().map(|t| t.clone()).unwrap_or_default(),
        ),
        ("GET" | "HEAD", _) => ("404 Not Found", "text/plain", "try /metrics\n".into()),
        _ => ("405 Method Not Allowed", "text/plain", "GET only\n".into()),
    };
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        out.write_all(body.as_bytes())?;
    }
    out.flush()
}
