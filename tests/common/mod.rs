//! Shared test harness: one real MongoDB-wire server per test binary.
//!
//! `MONGODB_TEST_URI` selects an existing server (e.g. a real `mongod`); otherwise a
//! SecantusDB child is started on a free loopback port and lives until the test
//! binary exits (an `atexit` hook kills it and removes its storage; if the binary
//! dies hard, `PR_SET_PDEATHSIG` still ends the server).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use scandyctl::mongo::local_server::{LocalMongoServer, python_for_tests};

/// The server every test in this binary talks to.
#[allow(dead_code)]
pub struct TestMongo {
    /// Connection string without a database path.
    pub uri: String,
}

/// What the exit hook cleans up: server pid and storage directory.
static CLEANUP: Mutex<Option<(u32, PathBuf)>> = Mutex::new(None);

extern "C" fn cleanup_at_exit() {
    let taken = CLEANUP.lock().ok().and_then(|mut guard| guard.take());
    if let Some((pid, dir)) = taken {
        if let Ok(pid) = libc::pid_t::try_from(pid) {
            // SAFETY: our own child; the test data does not need a clean shutdown.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Returns the process-wide test server, starting it on first use.
#[allow(dead_code)]
pub fn test_mongo() -> &'static TestMongo {
    static MONGO: OnceLock<TestMongo> = OnceLock::new();
    MONGO.get_or_init(|| {
        if let Some(uri) = std::env::var("MONGODB_TEST_URI")
            .ok()
            .filter(|u| !u.trim().is_empty())
        {
            return TestMongo { uri };
        }
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let python = python_for_tests(repo)
            .unwrap_or_else(|e| panic!("no python with SecantusDB for the tests: {e:?}"));
        let storage = tempfile::Builder::new()
            .prefix("secantus-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("cannot create the test server storage dir")
            .keep();
        let started = std::time::Instant::now();
        let server = LocalMongoServer::start(&python, &storage, &[])
            .unwrap_or_else(|e| panic!("cannot start the SecantusDB test server: {e:?}"));
        eprintln!(
            "test server: {} (pid {}) ready in {:.2?}",
            server.uri(),
            server.pid(),
            started.elapsed()
        );
        let uri = server.uri();
        *CLEANUP.lock().expect("cleanup lock") = Some((server.pid(), storage));
        // SAFETY: registering a plain extern "C" function without captured state.
        unsafe {
            libc::atexit(cleanup_at_exit);
        }
        // The server must outlive every test: never drop it, the exit hook ends it.
        std::mem::forget(server);
        TestMongo { uri }
    })
}

/// Returns a database name unique to this test and process (valid, at most 60 bytes).
#[allow(dead_code)]
pub fn unique_db_name(test: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let suffix = format!("_{}_{n}", std::process::id());
    let clean: String = test
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(60 - suffix.len())
        .collect();
    format!("{clean}{suffix}")
}

/// Returns a driver client for the test server.
#[allow(dead_code)]
pub async fn client() -> mongodb::Client {
    let uri = &test_mongo().uri;
    mongodb::Client::with_uri_str(uri)
        .await
        .unwrap_or_else(|e| panic!("cannot create a client for {uri}: {e}"))
}

/// Returns `uri` with `db` as its default database (keeps options, adds
/// `authSource=admin` when credentials would otherwise authenticate against `db`).
#[allow(dead_code)]
pub fn uri_with_db(uri: &str, db: &str) -> String {
    let (base, query) = match uri.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (uri, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let hosts_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{db}", &base[..hosts_end]);
    let mut params: Vec<String> = query
        .map(|q| {
            q.split('&')
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    let has_credentials = base[scheme_end..hosts_end].contains('@');
    if has_credentials && !params.iter().any(|p| p.starts_with("authSource=")) {
        params.push("authSource=admin".into());
    }
    if !params.is_empty() {
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// Whether the test server is a standalone `mongod` (no replica set, so no oplog).
#[allow(dead_code)]
pub async fn test_mongo_is_standalone() -> bool {
    let hello = client()
        .await
        .database("admin")
        .run_command(mongodb::bson::doc! { "hello": 1 })
        .await
        .expect("hello");
    !hello.contains_key("setName")
}

/// A stand-in for Scandy's web app on loopback: answers every request with `status`
/// (e.g. `200 OK`) and the JSON `body` until the test binary ends; returns the `/health` URL.
#[allow(dead_code)]
pub fn web_stand_in(status: &'static str, body: &'static str) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/health", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 2048];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

/// [`web_stand_in`] answering healthy like Scandy (`{"status": "healthy", …}`).
#[allow(dead_code)]
pub fn healthy_stand_in() -> String {
    web_stand_in(
        "200 OK",
        "{\"status\": \"healthy\", \"database\": \"connected\"}",
    )
}
