//! Backup engine throughput, side by side with the plain tools, in one run.
//!
//! 1. Files: a generated upload tree (`BENCH_FILES_MB`, default 1024 MB: many 1–64 KiB
//!    files in `<entity>/<id>/` plus some 20–100 MB files, half random, half text) and an
//!    almost empty database; `scandyctl backup --type full` against
//!    `tar -cf - -C ROOT app/static/uploads | zstd -T0 -3`.
//! 2. Database: `BENCH_DOCS` (default 500,000) generated Scandy documents in a fresh
//!    SecantusDB; `scandyctl backup` (dump) and `scandyctl restore --only db --to-db`
//!    against draining every cursor with the Rust driver and against a pymongo + json
//!    backup as Scandy does it (`benches/scandy_json_backup.py`); the restore also one
//!    collection at a time (`restore.parallel_collections = 1`), and the time of its swap
//!    phase alone (`timings.database_swap_s` of `restore --json`).
//! 3. Verify: `scandyctl verify ID` against `sha256sum` of the set's members; `--deep`
//!    for information.
//!
//! Each external command runs once to warm the page cache and is timed on its second run
//! (the database commands run once after a warm-up drain). Wall and CPU time come from `wait4`,
//! peak RSS from polling `VmHWM` in `/proc` every 20 ms. Ends with a markdown table.
//!
//! Run: `cargo bench --bench backup` (smoke: `BENCH_FILES_MB=50 BENCH_DOCS=20000`).
//! `BENCH_KEEP=1` keeps the work directory.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use mongodb::bson::doc;
use scandyctl::datagen::seed;
use scandyctl::mongo::local_server::{LocalMongoServer, python_for_tests};

const JSON_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/scandy_json_backup.py");

#[path = "support/child_run.rs"]
mod child_run;
use child_run::{Run, run};

#[path = "support/backup_fixture.rs"]
mod backup_fixture;
use backup_fixture::*;

// ---------------------------------------------------------------------------------------
// Report.

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

/// `baseline / scandyctl` as "N.NNx faster", or "… slower" below 1.
fn faster(speedup: f64) -> String {
    if speedup >= 1.0 {
        format!("{speedup:.2}x faster")
    } else {
        format!("{speedup:.2}x faster (= {:.2}x slower)", 1.0 / speedup)
    }
}

fn secs(r: &Run) -> String {
    format!("{:.2} s", r.secs())
}

fn detail_row(out: &mut String, what: &str, r: &Run) {
    let server = r
        .server_cpu
        .map(|c| format!("{c:.1} ({:.0}%)", 100.0 * c / r.secs().max(1e-9)));
    let _ = writeln!(
        out,
        "| {what} | {:.2} | {:.2} | {:.2} | {:.0}% | {:.1} | {} |",
        r.secs(),
        r.user,
        r.sys,
        100.0 * r.cpu() / r.secs().max(1e-9),
        r.rss_mb(),
        server.as_deref().unwrap_or("–")
    );
}

/// Runs `cmd` like [`run`] and records the server's CPU time meanwhile.
fn run_with_server(what: &str, cmd: &mut Command, server_pid: u32) -> Run {
    let before = process_cpu(server_pid);
    let mut r = run(what, cmd);
    r.server_cpu = Some(process_cpu(server_pid) - before);
    r
}

fn command_output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn mem_total_gib() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map(|kib| kib / 1024.0 / 1024.0)
        .unwrap_or(0.0)
}

// ---------------------------------------------------------------------------------------

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let files_mb = env_u64("BENCH_FILES_MB", 1024);
    let target_docs = env_u64("BENCH_DOCS", 500_000);
    let keep = std::env::var("BENCH_KEEP").is_ok_and(|v| v == "1");
    let bench_started = Instant::now();
    let load_start = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();

    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = python_for_tests(repo).expect("python with SecantusDB and pymongo (.venv)");
    let work_dir = tempfile::Builder::new()
        .prefix("bench-backup-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("work dir");
    let work = work_dir.path().to_path_buf();
    log(format!(
        "work dir {} ; files {files_mb} MB, documents {target_docs}",
        work.display()
    ));
    let rt = runtime();

    // ---------------------------------------------------------------- 1. files
    let files_server = LocalMongoServer::start(&python, &work.join("mongo-files"), &[])
        .expect("SecantusDB (files)");
    let server_version = rt.block_on(async {
        let c = client(&files_server.uri()).await;
        let info = c
            .database("admin")
            .run_command(doc! { "buildInfo": 1 })
            .await
            .expect("buildInfo");
        info.get_str("version").unwrap_or("?").to_string()
    });
    let files_install = Install::new(&work, "files", &files_server.uri(), "bench_files");
    rt.block_on(async {
        let c = client(&files_server.uri()).await;
        c.database("bench_files")
            .collection("settings")
            .insert_one(doc! { "key": "bench", "value": "almost empty database" })
            .await
            .expect("insert");
    });
    let uploads = files_install.root.join("app/static/uploads");
    let gen_started = Instant::now();
    let tree = generate_uploads(&uploads, files_mb * MIB);
    sync_disk();
    log(format!(
        "generated {} files ({} small, {} large), {:.0} MiB in {:.1?}",
        tree.files,
        tree.small_files,
        tree.large_files,
        tree.bytes as f64 / MIB as f64,
        gen_started.elapsed()
    ));
    let tree_mb = tree.bytes as f64 / 1e6;

    let tar_out = work.join("files/x.tar.zst");
    let tar_script = format!(
        "tar -cf - -C {} app/static/uploads | zstd -q -T0 -3 > {}",
        quote(&files_install.root),
        quote(&tar_out)
    );
    let tar_sync_script = format!("{tar_script} && sync {}", quote(&tar_out));

    // Warm-up: one run of each, outputs removed.
    log("files: warm-up runs");
    let (_, warm_id) = files_install.backup();
    std::fs::remove_dir_all(files_install.backups.join(&warm_id)).expect("remove warm-up set");
    run("tar | zstd", &mut sh(&tar_script));
    std::fs::remove_file(&tar_out).expect("remove warm-up tar");
    sync_disk();

    log("files: timed runs");
    let (files_backup, files_id) = files_install.backup();
    let files_set = files_install.backups.join(&files_id);
    let files_set_bytes = dir_size(&files_set);
    sync_disk();
    let tar_run = run("tar | zstd", &mut sh(&tar_script));
    let tar_bytes = std::fs::metadata(&tar_out).map(|m| m.len()).unwrap_or(0);
    std::fs::remove_file(&tar_out).expect("remove tar");
    sync_disk();
    let tar_sync_run = run("tar | zstd + sync", &mut sh(&tar_sync_script));
    std::fs::remove_file(&tar_out).expect("remove tar");
    sync_disk();
    log(format!(
        "files: scandyctl {:.2} s, tar|zstd {:.2} s, tar|zstd+sync {:.2} s",
        files_backup.secs(),
        tar_run.secs(),
        tar_sync_run.secs()
    ));

    // ---------------------------------------------------------------- 3. verify (files set)
    log("verify: warm-up runs");
    let sha_script = format!(
        "cd {} && sha256sum mongo.archive.zst files.tar.zst manifest.json > /dev/null",
        quote(&files_set)
    );
    run(
        "scandyctl verify",
        &mut files_install.cmd(&["verify", &files_id]),
    );
    run("sha256sum", &mut sh(&sha_script));
    log("verify: timed runs");
    let verify_run = run(
        "scandyctl verify",
        &mut files_install.cmd(&["verify", &files_id]),
    );
    let sha_run = run("sha256sum", &mut sh(&sha_script));
    let deep_run = run(
        "scandyctl verify --deep",
        &mut files_install.cmd(&["verify", "--deep", &files_id]),
    );
    let verify_bytes: u64 = ["mongo.archive.zst", "files.tar.zst", "manifest.json"]
        .iter()
        .map(|m| {
            std::fs::metadata(files_set.join(m))
                .map(|m| m.len())
                .unwrap_or(0)
        })
        .sum();
    log(format!(
        "verify: quick {:.2} s, sha256sum {:.2} s, deep {:.2} s",
        verify_run.secs(),
        sha_run.secs(),
        deep_run.secs()
    ));
    drop(files_server);
    if !keep {
        let _ = std::fs::remove_dir_all(work.join("files"));
        let _ = std::fs::remove_dir_all(work.join("mongo-files"));
    }

    // ---------------------------------------------------------------- 2. database
    let db_server =
        LocalMongoServer::start(&python, &work.join("mongo-db"), &[]).expect("SecantusDB (db)");
    let uri = db_server.uri();
    let db_install = Install::new(&work, "db", &uri, "bench_db");
    let data = dataset_for(target_docs);
    let total_docs = data.total_documents() as u64;
    let collections = data.collections.len();
    log(format!(
        "database: seeding {total_docs} documents in {collections} collections"
    ));
    let seed_report = rt.block_on(async {
        let c = client(&uri).await;
        seed(&c.database("bench_db"), &data, false)
            .await
            .expect("seed")
    });
    drop(data);
    log(format!("database: seeded in {:.1?}", seed_report.elapsed));

    let (warm, _, _) = rt.block_on(drain(&uri, "bench_db"));
    log(format!("database: warm-up drain {:.2?}", warm));
    let server_pid = db_server.pid();
    let load_before_db = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let dump_run = run_with_server(
        "scandyctl backup",
        &mut db_install.cmd(&["backup", "--type", "full"]),
        server_pid,
    );
    let db_id = set_id_of(&dump_run);
    let db_set = db_install.backups.join(&db_id);
    let archive_bytes = std::fs::metadata(db_set.join("mongo.archive.zst"))
        .map(|m| m.len())
        .unwrap_or(0);
    log(format!(
        "database: dump {:.2} s ({})",
        dump_run.secs(),
        db_id
    ));
    let cpu_before = process_cpu(server_pid);
    let (drain_time, drained_docs, drained_bytes) = rt.block_on(drain(&uri, "bench_db"));
    let drain_server_cpu = process_cpu(server_pid) - cpu_before;
    assert_eq!(
        drained_docs, total_docs,
        "drain saw a different number of documents"
    );
    log(format!("database: drain {:.2?}", drain_time));
    let cpu_before = process_cpu(server_pid);
    let planning_started = Instant::now();
    let planning = rt.block_on(planning_commands(&uri, "bench_db"));
    let planning_time = planning_started.elapsed().as_secs_f64();
    let planning_server_cpu = process_cpu(server_pid) - cpu_before;
    log(format!("database: planning commands {planning:?}"));
    sync_disk();
    let restore_run = run_with_server(
        "scandyctl restore",
        &mut db_install.cmd(&[
            "restore",
            &db_id,
            "--only",
            "db",
            "--to-db",
            "bench_restored",
            "--yes",
            "--json",
        ]),
        server_pid,
    );
    let restored = rt.block_on(count_documents(&uri, "bench_restored"));
    assert_eq!(
        restored, total_docs,
        "restore wrote a different number of documents"
    );
    let restore_json: serde_json::Value =
        serde_json::from_str(restore_run.stdout.trim()).expect("restore --json output");
    let swap_s = restore_json["timings"]["database_swap_s"]
        .as_f64()
        .expect("timings.database_swap_s");
    log(format!(
        "database: restore {:.2} s (swap {swap_s:.3} s)",
        restore_run.secs()
    ));
    // Today's sequential load (one collection at a time) for comparison.
    sync_disk();
    let sequential_config = db_install
        .config
        .with_file_name("scandyctl-sequential.toml");
    let config_text = std::fs::read_to_string(&db_install.config).expect("config");
    std::fs::write(
        &sequential_config,
        format!("{config_text}[restore]\nparallel_collections = 1\n"),
    )
    .expect("sequential config");
    let sequential_run = run_with_server(
        "scandyctl restore (sequential)",
        &mut scandyctl(
            &sequential_config,
            &db_install.home,
            &[
                "restore",
                &db_id,
                "--only",
                "db",
                "--to-db",
                "bench_restored_seq",
                "--yes",
            ],
        ),
        server_pid,
    );
    assert_eq!(
        rt.block_on(count_documents(&uri, "bench_restored_seq")),
        total_docs,
        "the sequential restore wrote a different number of documents"
    );
    log(format!(
        "database: sequential restore {:.2} s",
        sequential_run.secs()
    ));
    sync_disk();
    // Like the restore, the JSON import goes into a fresh database (delete_many finds nothing;
    // insert_many maintains only `_id`). The restore also builds Scandy's indexes: the script
    // then creates them too, timed apart (`index_s`), for an equal end state.
    let json_path = work.join("db/scandy_backup.json");
    let json_run = run_with_server(
        "scandy_json_backup.py",
        Command::new(&python)
            .arg(JSON_SCRIPT)
            .args([
                "--uri",
                &uri,
                "--db",
                "bench_db",
                "--import-db",
                "bench_json",
                "--indexes-from",
                "bench_db",
                "--out",
            ])
            .arg(&json_path),
        server_pid,
    );
    let load_after_db = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let json: serde_json::Value =
        serde_json::from_str(json_run.stdout.trim()).expect("python JSON output");
    let jf = |k: &str| json[k].as_f64().unwrap_or(f64::NAN);
    let (json_export, json_import) = (jf("export_s"), jf("import_s"));
    assert_eq!(
        json["documents_exported"].as_u64(),
        Some(total_docs),
        "python exported a different count"
    );
    assert_eq!(
        json["documents_imported"].as_u64(),
        Some(total_docs),
        "python imported a different count"
    );
    log(format!(
        "database: JSON export {json_export:.2} s, import {json_import:.2} s"
    ));
    let secantus_pkg = command_output(
        &python.display().to_string(),
        &[
            "-c",
            "import importlib.metadata as m; print(m.version('SecantusDB'))",
        ],
    );
    drop(db_server);

    // ---------------------------------------------------------------- report
    let mut t = String::new();
    let _ = writeln!(t, "\n## Backup benchmark (`cargo bench --bench backup`)\n");
    let _ = writeln!(
        t,
        "Files: {} files ({} of 1–64 KiB in `<entity>/<id>/`, {} of 20–100 MB), {:.0} MB, half random / half text. \
         Database: {} generated Scandy documents in {} collections ({:.0} MB raw BSON) with Scandy's indexes. \
         Times are wall clock of the second (warm page cache) run; ratios are scandyctl / baseline unless marked \"faster\".\n",
        tree.files,
        tree.small_files,
        tree.large_files,
        tree_mb,
        total_docs,
        collections,
        drained_bytes as f64 / 1e6
    );
    let _ = writeln!(
        t,
        "| Benchmark | scandyctl | Baseline | Ratio | Target | Result |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|");
    let files_ratio = files_backup.secs() / tar_run.secs();
    let _ = writeln!(
        t,
        "| Files backup, {:.0} MB | {} ({:.0} MB/s) | `tar \\| zstd -T0 -3`: {} ({:.0} MB/s) | {:.2}x | ≤ 1.2x | {} |",
        tree_mb,
        secs(&files_backup),
        tree_mb / files_backup.secs(),
        secs(&tar_run),
        tree_mb / tar_run.secs(),
        files_ratio,
        verdict(files_ratio <= 1.2)
    );
    let _ = writeln!(
        t,
        "| Files backup (info: baseline + `sync` of its output) | {} | {} | {:.2}x | – | info |",
        secs(&files_backup),
        secs(&tar_sync_run),
        files_backup.secs() / tar_sync_run.secs()
    );
    let _ = writeln!(
        t,
        "| Files backup output size | {:.0} MB (set) | {:.0} MB (`x.tar.zst`) | {:.2}x | – | info |",
        files_set_bytes as f64 / 1e6,
        tar_bytes as f64 / 1e6,
        files_set_bytes as f64 / tar_bytes.max(1) as f64
    );
    let _ = writeln!(
        t,
        "| Files backup peak RSS | {:.1} MB | {:.1} MB (largest of sh/tar/zstd) | – | – | info |",
        files_backup.rss_mb(),
        tar_run.rss_mb()
    );
    let dump_vs_export = json_export / dump_run.secs();
    let _ = writeln!(
        t,
        "| DB dump (`backup`, empty uploads), {} docs | {} ({:.0} docs/s) | JSON export (pymongo + `json.dump`): {:.2} s | {} | ≥ 1.5x faster | {} |",
        total_docs,
        secs(&dump_run),
        total_docs as f64 / dump_run.secs(),
        json_export,
        faster(dump_vs_export),
        verdict(dump_vs_export >= 1.5)
    );
    let dump_vs_drain = dump_run.secs() / drain_time.as_secs_f64();
    let _ = writeln!(
        t,
        "| DB dump vs server limit | {} | drain all cursors (Rust driver, raw BSON, batch {DRAIN_BATCH}): {:.2} s | {:.2}x | ≤ 1.2x | {} |",
        secs(&dump_run),
        drain_time.as_secs_f64(),
        dump_vs_drain,
        verdict(dump_vs_drain <= 1.2)
    );
    let restore_vs_import = json_import / restore_run.secs();
    let _ = writeln!(
        t,
        "| DB restore (`restore --only db --to-db`) | {} ({:.0} docs/s) | JSON import (`json.load` + `delete_many` + `insert_many`): {:.2} s | {} | ≥ 1.5x faster | {} |",
        secs(&restore_run),
        total_docs as f64 / restore_run.secs(),
        json_import,
        faster(restore_vs_import),
        verdict(restore_vs_import >= 1.5)
    );
    let parallel_vs_sequential = sequential_run.secs() / restore_run.secs();
    let _ = writeln!(
        t,
        "| DB restore, 4 collections in parallel vs one at a time (`restore.parallel_collections = 1`) | {} | {} | {} | – | info |",
        secs(&restore_run),
        secs(&sequential_run),
        faster(parallel_vs_sequential)
    );
    let _ = writeln!(
        t,
        "| Swap phase alone ({collections} collections renamed into place) | {swap_s:.3} s | – | – | < 1 s | {} |",
        verdict(swap_s < 1.0)
    );
    let import_and_indexes = json_import + jf("index_s");
    let _ = writeln!(
        t,
        "| DB restore vs JSON import + creating the same {} indexes (info: equal end state) | {} | {:.2} s + {:.2} s = {:.2} s | {} | – | info |",
        json["indexes"].as_u64().unwrap_or(0),
        secs(&restore_run),
        json_import,
        jf("index_s"),
        import_and_indexes,
        faster(import_and_indexes / restore_run.secs())
    );
    let _ = writeln!(
        t,
        "| DB dump peak RSS | {:.1} MB | Python export+import: {:.1} MB | – | < 200 MB | {} |",
        dump_run.rss_mb(),
        json_run.rss_mb(),
        verdict(dump_run.rss_mb() < 200.0)
    );
    let _ = writeln!(
        t,
        "| DB restore peak RSS | {:.1} MB | – | – | < 200 MB | {} |",
        restore_run.rss_mb(),
        verdict(restore_run.rss_mb() < 200.0)
    );
    let _ = writeln!(
        t,
        "| DB output size | {:.1} MB (`mongo.archive.zst`) | {:.1} MB (JSON) | {:.2}x | – | info |",
        archive_bytes as f64 / 1e6,
        jf("json_bytes") / 1e6,
        archive_bytes as f64 / jf("json_bytes")
    );
    let verify_ratio = verify_run.secs() / sha_run.secs();
    let _ = writeln!(
        t,
        "| Verify (quick), {:.0} MB set | {} ({:.0} MB/s) | `sha256sum` of the members: {} ({:.0} MB/s) | {:.2}x | ≤ 1.2x | {} |",
        verify_bytes as f64 / 1e6,
        secs(&verify_run),
        verify_bytes as f64 / 1e6 / verify_run.secs(),
        secs(&sha_run),
        verify_bytes as f64 / 1e6 / sha_run.secs(),
        verify_ratio,
        verdict(verify_ratio <= 1.2)
    );
    let _ = writeln!(
        t,
        "| Verify `--deep` (decompress + parse everything) | {} ({:.0} MB/s of source data) | – | – | – | info |",
        secs(&deep_run),
        tree_mb / deep_run.secs()
    );

    let _ = writeln!(
        t,
        "\nPer process (CPU from wait4 rusage, summed over a pipeline's processes; peak RSS = largest VmHWM of the process tree, polled every 20 ms):\n"
    );
    let _ = writeln!(
        t,
        "| Run | wall s | user s | sys s | CPU/wall | peak RSS MB | server CPU s |"
    );
    let _ = writeln!(t, "|---|---|---|---|---|---|---|");
    detail_row(&mut t, "scandyctl backup (files)", &files_backup);
    detail_row(&mut t, "tar \\| zstd -T0 -3", &tar_run);
    detail_row(&mut t, "tar \\| zstd -T0 -3 + sync", &tar_sync_run);
    detail_row(&mut t, "scandyctl verify", &verify_run);
    detail_row(&mut t, "sha256sum", &sha_run);
    detail_row(&mut t, "scandyctl verify --deep", &deep_run);
    detail_row(&mut t, "scandyctl backup (db dump)", &dump_run);
    detail_row(&mut t, "scandyctl restore --only db", &restore_run);
    detail_row(&mut t, "scandy_json_backup.py (export + import)", &json_run);
    let _ = writeln!(
        t,
        "| drain (in-process) | {:.2} | – | – | – | – | {:.1} ({:.0}%) |",
        drain_time.as_secs_f64(),
        drain_server_cpu,
        100.0 * drain_server_cpu / drain_time.as_secs_f64()
    );
    let _ = writeln!(
        t,
        "| metadata commands for progress totals (in-process) | {:.2} | – | – | – | – | {:.1} ({:.0}%) |",
        planning_time,
        planning_server_cpu,
        100.0 * planning_server_cpu / planning_time.max(1e-9)
    );
    let _ = writeln!(
        t,
        "\nDrain (in-process, Rust driver): {:.2} s, {:.0} docs/s, {:.0} MB/s raw BSON. \
         Seeding (insert + {} indexes, setup only): {:.1} s. \
         Metadata commands for progress totals (per collection listIndexes {:.2} s, estimatedDocumentCount x2 {:.2} s, \
         collStats {:.2} s; a backup sends the last two only when stderr is a terminal, this benchmark runs it headless): {:.2} s. \
         JSON import parts: load {:.2} s, delete_many {:.2} s, insert_many {:.2} s; then create_index {:.2} s.",
        drain_time.as_secs_f64(),
        total_docs as f64 / drain_time.as_secs_f64(),
        drained_bytes as f64 / 1e6 / drain_time.as_secs_f64(),
        seed_report.indexes,
        seed_report.elapsed.as_secs_f64(),
        planning.list_indexes,
        planning.count,
        planning.coll_stats,
        planning_time,
        jf("import_load_s"),
        jf("import_delete_s"),
        jf("import_insert_s"),
        jf("index_s")
    );
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let _ = writeln!(
        t,
        "\nMachine: {nproc} CPUs ({}), {:.0} GiB RAM, Linux {}; SecantusDB {} (reports MongoDB {}), \
         Python {}, {}, scandyctl {} (release). Load average (1/5/15 min) at start {}, before the database part {}, after it {}. Bench total {:.0} s.",
        cpu_model(),
        mem_total_gib(),
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim(),
        secantus_pkg,
        server_version,
        command_output(
            &python.display().to_string(),
            &["-c", "import platform; print(platform.python_version())"]
        ),
        command_output("zstd", &["--version"])
            .trim_start_matches("*** ")
            .trim_end_matches(" ***"),
        env!("CARGO_PKG_VERSION"),
        load_start
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        load_before_db
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        load_after_db
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        bench_started.elapsed().as_secs_f64()
    );
    println!("{t}");

    if keep {
        let kept = work_dir.keep();
        log(format!("kept {}", kept.display()));
    }
}
