//! Checklist and report cost on a seeded Scandy install of `BENCH_DOCS` documents (default
//! 200,000) with Scandy's rotating log set (`app.log` + `.1` … `.10`, 1 MiB each):
//! - `scandyctl report monthly --out x.html` and `--out x.md` (usage statistics from the
//!   database, error analysis, backups, maintenance log) side by side with the tool an
//!   admin would write instead: a pymongo script computing the usage numbers alone,
//! - `scandyctl check daily --nagios` side by side with the same look by hand: `grep` +
//!   `sort | uniq -c` over the logs, `df`, `ls` of the backup directory and its newest
//!   set's `verify.json`.
//!
//! Run: `cargo bench --bench checklists` (smoke: `BENCH_DOCS=20000`); `BENCH_RUNS` (default 5)
//! runs of each, the median is reported.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use chrono::{Datelike, Local};
use mongodb::bson::{Document, doc};
use scandyctl::mongo::local_server::{LocalMongoServer, python_for_tests};

#[allow(dead_code)]
#[path = "support/child_run.rs"]
mod child_run;
use child_run::{Run, run};

#[path = "support/backup_fixture.rs"]
mod backup_fixture;
use backup_fixture::*;

/// The pymongo script an admin would write for the report's usage numbers.
const PYMONGO_USAGE: &str = r#"
import sys, datetime
from pymongo import MongoClient
uri, name, year, month = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
db = MongoClient(uri)[name]
start = datetime.datetime(year, month, 1)
end = datetime.datetime(year + (month == 12), month % 12 + 1, 1)
span = {"$gte": start, "$lt": end}
lent = db.lendings.count_documents({"lent_at": span})
returned = db.lendings.count_documents({"returned_at": span})
opened = db.tickets.count_documents({"created_at": span})
closed = db.tickets.count_documents({"status": {"$in": ["geschlossen", "erledigt"]}, "updated_at": span})
tools = db.tools.count_documents({"deleted": {"$ne": True}})
workers = db.workers.count_documents({})
top = list(db.lendings.aggregate([{"$match": {"lent_at": span}}, {"$group": {"_id": "$tool_barcode", "n": {"$sum": 1}}}, {"$sort": {"n": -1}}, {"$limit": 10}]))
used = list(db.consumable_usages.aggregate([{"$match": {"used_at": span, "quantity": {"$lt": 0}}}, {"$group": {"_id": "$consumable_barcode", "n": {"$sum": {"$multiply": ["$quantity", -1]}}}}, {"$sort": {"n": -1}}, {"$limit": 5}]))
overdue = db.lendings.count_documents({"returned_at": None, "lent_at": {"$lt": end - datetime.timedelta(days=14)}})
print("| lent | returned | opened | closed | tools | workers | overdue |")
print("|---|---|---|---|---|---|---|")
print(f"| {lent} | {returned} | {opened} | {closed} | {tools} | {workers} | {overdue} |")
for t in top: print(f"- {t['_id']}: {t['n']}")
for u in used: print(f"- {u['_id']}: {u['n']}")
"#;

/// Writes Scandy's rotation set: `app.log` and `app.log.1` … `.10`, 1 MiB each, the
/// newest file ending now, one entry in 40 an error and one in 15 a warning.
fn write_logs(root: &Path) {
    let dir = root.join("app/logs");
    std::fs::create_dir_all(&dir).expect("log dir");
    let mut at = Local::now().naive_local() - chrono::Duration::hours(20);
    let mut n = 0u64;
    for file in (0..=10).rev() {
        let name = if file == 0 {
            "app.log".to_string()
        } else {
            format!("app.log.{file}")
        };
        let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join(name)).expect("log"));
        let mut written = 0usize;
        while written < 1 << 20 {
            n += 1;
            at += chrono::Duration::milliseconds(600);
            let stamp = at.format("%Y-%m-%d %H:%M:%S,%3f");
            let line = match n % 40 {
                0 => format!(
                    "{stamp} - ERROR - Fehler beim Laden von Werkzeug {}: timeout\n",
                    n % 97
                ),
                20 => format!("{stamp} - ERROR - Datenbankverbindung verloren\n"),
                _ if n.is_multiple_of(15) => format!(
                    "{stamp} - WARNING - Statische Datei nicht gefunden: /static/js/x{}.js - IP: 10.0.0.{}\n",
                    n % 7,
                    n % 200
                ),
                _ => format!(
                    "{stamp} - INFO - Request: GET http://10.0.0.5:5000/tools/{} - IP: 10.0.0.{}\n",
                    n % 5000,
                    n % 200
                ),
            };
            out.write_all(line.as_bytes()).expect("write log");
            written += line.len();
        }
    }
}

/// The median wall time of `runs` runs of `make()`, and the last run.
fn median(
    runs: u64,
    what: &str,
    mut make: impl FnMut() -> std::process::Command,
) -> (Duration, Run) {
    let mut walls = Vec::new();
    let mut last = Run::default();
    for _ in 0..runs {
        sync_disk();
        last = run(what, &mut make());
        walls.push(last.wall);
    }
    walls.sort();
    (walls[walls.len() / 2], last)
}

fn main() {
    let target_docs = env_u64("BENCH_DOCS", 200_000);
    let runs = env_u64("BENCH_RUNS", 5).max(1);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = python_for_tests(repo).expect("python with SecantusDB (.venv)");
    let work_dir = tempfile::Builder::new()
        .prefix("bench-checklists-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("work dir");
    let work = work_dir.path().to_path_buf();
    let rt = runtime();
    let server = LocalMongoServer::start(&python, &work.join("mongo"), &[]).expect("SecantusDB");
    let uri = server.uri();
    let database = "bench_checklists";
    let install = Install::new(&work, "chk", &uri, database);
    let mut config = std::fs::read_to_string(&install.config).expect("config");
    config.push_str(
        "[logs]\nfiles = [\"app/logs/*.log\"]\n[web]\nhealth_url = \"\"\n\
         [checklists]\ndisk_warn_percent = 1\ndisk_fail_percent = 0\n",
    );
    std::fs::write(&install.config, config).expect("config");
    let state = install.home.join("state");
    let cmd = |args: &[&str]| {
        let mut c = install.cmd(args);
        c.env("SCANDYCTL_STATE_DIR", &state);
        c
    };
    let (total_docs, _) = install.seed(&rt, &uri, database, target_docs, 0);
    write_logs(&install.root);
    let backup = run("backup", &mut cmd(&["backup", "--type", "full"]));
    let id = set_id_of(&backup);
    run("verify", &mut cmd(&["verify", &id]));

    // The month holding the newest lending: the report has numbers to gather.
    let (year, month) = rt.block_on(async {
        let db = client(&uri).await.database(database);
        let newest = db
            .collection::<Document>("lendings")
            .find_one(doc! {})
            .sort(doc! { "lent_at": -1 })
            .await
            .expect("newest lending")
            .and_then(|d| d.get_datetime("lent_at").ok().copied())
            .and_then(|t| chrono::DateTime::from_timestamp_millis(t.timestamp_millis()))
            .unwrap_or_else(chrono::Utc::now);
        (newest.year(), newest.month())
    });
    let label = format!("{year:04}-{month:02}");
    log(format!(
        "{total_docs} documents, report month {label}, {runs} runs each"
    ));

    let html = work.join("report.html");
    let md = work.join("report.md");
    let (report_html, _) = median(runs, "report html", || {
        cmd(&[
            "report",
            "monthly",
            "--month",
            &label,
            "--out",
            html.to_str().unwrap(),
        ])
    });
    let (report_md, _) = median(runs, "report md", || {
        cmd(&[
            "report",
            "monthly",
            "--month",
            &label,
            "--out",
            md.to_str().unwrap(),
        ])
    });
    let (pymongo, py_run) = median(runs, "pymongo usage script", || {
        let mut c = std::process::Command::new(&python);
        c.args([
            "-c",
            PYMONGO_USAGE,
            &uri,
            database,
            &year.to_string(),
            &month.to_string(),
        ]);
        c
    });
    log(format!(
        "pymongo script printed {} lines",
        py_run.stdout.lines().count()
    ));

    // The checklist exits 1 or 2 on findings (the generated log has errors): the wrapper
    // keeps the child runner from taking that for a failed run.
    let (check, check_run) = median(runs, "check daily", || {
        let c = cmd(&["check", "daily", "--nagios"]);
        let program = c.get_program().to_os_string();
        let args: Vec<_> = c.get_args().map(|a| a.to_os_string()).collect();
        let mut wrapped = sh("\"$0\" \"$@\" || true");
        wrapped.current_dir(&install.home);
        wrapped.arg(program).args(args);
        for (key, value) in c.get_envs() {
            match value {
                Some(value) => wrapped.env(key, value),
                None => wrapped.env_remove(key),
            };
        }
        wrapped
    });
    log(format!("check daily: {}", check_run.stdout.trim()));
    let by_hand = format!(
        "cd {root} && grep -hE ' - (ERROR|WARNING) - ' app/logs/app.log* \
         | sed -E 's/^[^-]+-[^-]+-[^-]+- //; s/[0-9]+/<n>/g' | sort | uniq -c | sort -rn | head -20; \
         df -h {root} {backups}; newest=$(ls -t {backups} | head -1); cat {backups}/$newest/verify.json",
        root = quote(&install.root),
        backups = quote(&install.backups)
    );
    let (shell, _) = median(runs, "by hand", || sh(&by_hand));

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("| | scandyctl | instead | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| monthly report, {total_docs} documents: HTML (all sections) vs a pymongo script (usage numbers only) | {:.0} ms | {:.0} ms | {:.2}x |",
        ms(report_html),
        ms(pymongo),
        ms(report_html) / ms(pymongo)
    );
    println!(
        "| monthly report, Markdown vs the pymongo script | {:.0} ms | {:.0} ms | {:.2}x |",
        ms(report_md),
        ms(pymongo),
        ms(report_md) / ms(pymongo)
    );
    println!(
        "| daily checklist (5 items, 11 MiB of logs) vs grep/sort/df/ls by hand | {:.0} ms | {:.0} ms | {:.2}x |",
        ms(check),
        ms(shell),
        ms(check) / ms(shell)
    );
    drop(server);
}
