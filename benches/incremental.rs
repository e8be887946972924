//! Incremental backups against what they replace, in one run: a Scandy database of
//! `BENCH_DOCS` documents (default 520,000) and an upload tree of `BENCH_FILES_MB` (default
//! 1024 MB) in one install; a full; then 1 % of the documents updated and 1 % of the files
//! rewritten; then
//! - `backup --type incremental --scan` (what a standalone server does: every document read
//!   once, only changes written): its database phase against a bare cursor drain of the same
//!   database (Rust driver), its files phase against the full's files phase, its size
//!   against the full's;
//! - `backup --type incremental --parent FULL` on the replica set (the oplog names the
//!   changed documents): its database phase against the full's database phase;
//! - `restore` of the chain's last point (full + incremental replayed) against `restore` of
//!   a full of the same state (`flatten` of that point), database and files;
//! - peak RSS of every scandyctl run.
//!
//! Run: `cargo bench --bench incremental` (smoke: `BENCH_FILES_MB=50 BENCH_DOCS=20000`;
//! `BENCH_RESTORE=0` leaves out the two restores, the longest part).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use futures::TryStreamExt;
use mongodb::bson::{Bson, Document, doc};
use scandyctl::mongo::local_server::{LocalMongoServer, python_for_tests};

#[allow(dead_code)]
#[path = "support/child_run.rs"]
mod child_run;
use child_run::{Run, run};

#[path = "support/backup_fixture.rs"]
mod backup_fixture;
use backup_fixture::*;

/// Runs a scandyctl command with `--json` and returns the run and its parsed output.
fn json_run(what: &str, install: &Install, args: &[&str]) -> (Run, serde_json::Value) {
    let r = run(what, &mut install.cmd(args));
    let value = serde_json::from_str(r.stdout.trim())
        .unwrap_or_else(|e| panic!("{what}: no JSON on stdout ({e}): {}", r.stdout));
    (r, value)
}

fn timing(value: &serde_json::Value, key: &str) -> f64 {
    value["timings"][key]
        .as_f64()
        .unwrap_or_else(|| panic!("no timings.{key} in {value}"))
}

/// Updates every 100th document of every collection; returns how many.
async fn change_documents(uri: &str, database: &str) -> u64 {
    let client = client(uri).await;
    let db = client.database(database);
    let mut changed = 0;
    for name in db.list_collection_names().await.expect("collections") {
        if name.starts_with("system.") {
            continue;
        }
        let coll = db.collection::<Document>(&name);
        let ids: Vec<Bson> = coll
            .find(doc! {})
            .projection(doc! { "_id": 1 })
            .await
            .expect("find")
            .try_collect::<Vec<Document>>()
            .await
            .expect("ids")
            .into_iter()
            .step_by(100)
            .filter_map(|d| d.get("_id").cloned())
            .collect();
        for chunk in ids.chunks(1000) {
            let result = coll
                .update_many(
                    doc! { "_id": { "$in": chunk.to_vec() } },
                    doc! { "$set": { "bench_geaendert": true } },
                )
                .await
                .expect("update");
            changed += result.modified_count;
        }
    }
    changed
}

/// Rewrites every 100th file (sorted by path) with other bytes of the same length; returns
/// the files and bytes rewritten.
fn change_files(root: &Path) -> (u64, u64) {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let (mut count, mut bytes) = (0, 0);
    for path in files.iter().step_by(100) {
        let mut content = std::fs::read(path).expect("read");
        content.iter_mut().for_each(|b| *b = b.wrapping_add(1));
        std::fs::write(path, &content).expect("write");
        count += 1;
        bytes += content.len() as u64;
    }
    (count, bytes)
}

fn ratio_row(t: &mut String, what: &str, ours: f64, theirs: (&str, f64), target: &str, ok: bool) {
    let _ = writeln!(
        t,
        "| {what} | {ours:.2} s | {}: {:.2} s | {:.2}x | {target} | {} |",
        theirs.0,
        theirs.1,
        ours / theirs.1,
        if ok { "met" } else { "missed" }
    );
}

fn main() {
    let files_mb = env_u64("BENCH_FILES_MB", 1024);
    let target_docs = env_u64("BENCH_DOCS", 520_000);
    let started = Instant::now();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = python_for_tests(repo).expect("python with SecantusDB (.venv)");
    let work_dir = tempfile::Builder::new()
        .prefix("bench-incremental-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("work dir");
    let work = work_dir.path().to_path_buf();
    let rt = runtime();
    let server = LocalMongoServer::start(&python, &work.join("mongo"), &[]).expect("SecantusDB");
    let uri = server.uri();
    let install = Install::new(&work, "inc", &uri, "bench_inc");

    let (total_docs, tree) = install.seed(&rt, &uri, "bench_inc", target_docs, files_mb);
    let uploads = install.root.join("app/static/uploads");

    let (warm, _, _) = rt.block_on(drain(&uri, "bench_inc"));
    log(format!("warm-up drain {warm:.2?}"));
    let (full_run, full) = json_run("full", &install, &["backup", "--type", "full", "--json"]);
    let full_id = full["id"].as_str().expect("id").to_string();
    let full_size = dir_size(&install.backups.join(&full_id));
    let (drain_time, _, _) = rt.block_on(drain(&uri, "bench_inc"));
    log(format!(
        "full {:.2} s, drain {:.2} s",
        full_run.secs(),
        drain_time.as_secs_f64()
    ));

    let changed_docs = rt.block_on(change_documents(&uri, "bench_inc"));
    let (changed_files, changed_bytes) = change_files(&uploads);
    sync_disk();
    log(format!(
        "changed {changed_docs} documents, {changed_files} files"
    ));

    let (scan_run, scan) = json_run(
        "incremental (scan)",
        &install,
        &["backup", "--type", "incremental", "--scan", "--json"],
    );
    let scan_id = scan["id"].as_str().expect("id").to_string();
    assert_eq!(scan["manifest"]["increment"]["method"], "scan");
    let scan_size = dir_size(&install.backups.join(&scan_id));
    let (oplog_run, oplog) = json_run(
        "incremental (oplog)",
        &install,
        &[
            "backup",
            "--type",
            "incremental",
            "--parent",
            &full_id,
            "--json",
        ],
    );
    assert_eq!(oplog["manifest"]["increment"]["method"], "oplog");
    let oplog_id = oplog["id"].as_str().expect("id").to_string();
    let oplog_size = dir_size(&install.backups.join(&oplog_id));

    let flat_run = run("flatten", &mut install.cmd(&["flatten", &scan_id]));
    let flat_id = set_id_of(&flat_run);
    sync_disk();
    let restore = |what: &str, id: &str, db: &str| {
        let files_to = work.join(format!("restored-{db}"));
        let r = run(
            what,
            &mut install.cmd(&[
                "restore",
                id,
                "--to-db",
                db,
                "--files-to",
                files_to.to_str().expect("utf-8 path"),
                "--yes",
            ]),
        );
        let _ = std::fs::remove_dir_all(&files_to);
        sync_disk();
        r
    };
    let restores = (env_u64("BENCH_RESTORE", 1) != 0).then(|| {
        let chain = restore("restore chain", &scan_id, "bench_chain");
        let flat = restore("restore flat", &flat_id, "bench_flat");
        assert_eq!(
            rt.block_on(count_documents(&uri, "bench_chain")),
            total_docs
        );
        assert_eq!(rt.block_on(count_documents(&uri, "bench_flat")), total_docs);
        (chain, flat)
    });

    let mut t = String::new();
    let _ = writeln!(
        t,
        "\n## Incremental backups ({total_docs} documents, {} files / {:.0} MB; {changed_docs} documents and {changed_files} files ({:.1} MB) changed)\n",
        tree.files,
        tree.bytes as f64 / 1e6,
        changed_bytes as f64 / 1e6
    );
    let _ = writeln!(t, "| What | scandyctl | Compared with | Ratio | Target | |");
    let _ = writeln!(t, "|---|---|---|---|---|---|");
    let size_ratio = scan_size as f64 / full_size as f64;
    let _ = writeln!(
        t,
        "| Incremental size (scan) | {:.1} MB | full: {:.1} MB | {:.3}x | < 0.05x | {} |",
        scan_size as f64 / 1e6,
        full_size as f64 / 1e6,
        size_ratio,
        if size_ratio < 0.05 { "met" } else { "missed" }
    );
    let _ = writeln!(
        t,
        "| Incremental size (oplog) | {:.1} MB | full: {:.1} MB | {:.3}x | < 0.05x | {} |",
        oplog_size as f64 / 1e6,
        full_size as f64 / 1e6,
        oplog_size as f64 / full_size as f64,
        if (oplog_size as f64) < 0.05 * full_size as f64 {
            "met"
        } else {
            "missed"
        }
    );
    let files_ratio = timing(&scan, "files_s") / timing(&full, "files_s");
    ratio_row(
        &mut t,
        "Files phase (incremental)",
        timing(&scan, "files_s"),
        ("full's files phase", timing(&full, "files_s")),
        "< 0.10x",
        files_ratio < 0.10,
    );
    let drain_s = drain_time.as_secs_f64();
    ratio_row(
        &mut t,
        "Database phase, scan",
        timing(&scan, "database_s"),
        ("bare cursor drain", drain_s),
        "≤ 1.2x",
        timing(&scan, "database_s") / drain_s <= 1.2,
    );
    ratio_row(
        &mut t,
        "Database phase, oplog",
        timing(&oplog, "database_s"),
        ("full's database phase", timing(&full, "database_s")),
        "< 0.10x",
        timing(&oplog, "database_s") / timing(&full, "database_s") < 0.10,
    );
    let mut runs = vec![
        ("backup --type full", &full_run),
        ("backup --type incremental --scan", &scan_run),
        ("backup --type incremental (oplog)", &oplog_run),
        ("flatten", &flat_run),
    ];
    if let Some((chain_restore, flat_restore)) = &restores {
        ratio_row(
            &mut t,
            "Restore of the chain's last point (db + files)",
            chain_restore.secs(),
            ("restore of a full of the same state", flat_restore.secs()),
            "≤ 1.3x",
            chain_restore.secs() / flat_restore.secs() <= 1.3,
        );
        runs.push(("restore (chain)", chain_restore));
        runs.push(("restore (flat full)", flat_restore));
    }
    let peak = runs.iter().map(|(_, r)| r.rss_mb()).fold(0.0, f64::max);
    let _ = writeln!(
        t,
        "| Peak RSS of any scandyctl run | {peak:.0} MB | – | – | < 200 MB | {} |",
        if peak < 200.0 { "met" } else { "missed" }
    );
    let _ = writeln!(t, "\n| Run | wall s | user s | sys s | peak RSS MB |");
    let _ = writeln!(t, "|---|---|---|---|---|");
    for (what, r) in &runs {
        let _ = writeln!(
            t,
            "| {what} | {:.2} | {:.2} | {:.2} | {:.0} |",
            r.secs(),
            r.user,
            r.sys,
            r.rss_mb()
        );
    }
    let _ = writeln!(
        t,
        "\nFull: database {:.2} s, files {:.2} s. Oplog incremental: reading the oplog {:.2} s of its database phase. Bench total {:.0} s.",
        timing(&full, "database_s"),
        timing(&full, "files_s"),
        timing(&oplog, "oplog_s"),
        started.elapsed().as_secs_f64()
    );
    println!("{t}");
    drop(server);
}
