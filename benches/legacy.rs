//! Reading Scandy's own JSON backup, side by side with the way Scandy reads it, in one run.
//!
//! A Scandy JSON v2 backup of generated Scandy data at `BENCH_LEGACY_SCALE` (default
//! 70,000: about 500,000 documents) is written as Scandy's exporter writes it
//! (`to_scandy_json_v2`). Then, each warmed once and timed on its second run:
//! 1. `scandyctl verify ID --deep` (stream, every document parsed, types recovered, counts,
//!    duplicate `_id`s) against Python's `json.load` with Scandy's type conversion
//!    (`__type__` markers and `_id` strings back to datetimes and ObjectIds), which is
//!    what Scandy's restore does before its `insert_many`.
//! 2. `scandyctl import --legacy ID` (the conversion into a verified set: archive,
//!    zstd, SHA256SUMS, deep verify of the new set) for information.
//!
//! No database is needed: MongoDB is configured unreachable (the live comparison is
//! skipped and says so). Ends with a markdown table. `BENCH_KEEP=1` keeps the work dir.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use scandyctl::datagen::{GenOptions, generate, to_scandy_json_v2};
use scandyctl::mongo::local_server::python_for_tests;

#[path = "support/child_run.rs"]
mod child_run;
use child_run::{Run, run};

const SCANDYCTL: &str = env!("CARGO_BIN_EXE_scandyctl");
const NAME: &str = "scandy_backup_20261202_051315.json";

/// Scandy's restore side: `json.load` with its conversion of markers and `_id` strings.
const PYTHON_LOAD: &str = r#"
import json, sys, datetime
from bson import ObjectId
def hook(obj):
    t = obj.get("__type__")
    if t == "datetime" and len(obj) == 2:
        return datetime.datetime.fromisoformat(obj["value"])
    if t == "ObjectId" and len(obj) == 2:
        return ObjectId(obj["value"])
    i = obj.get("_id")
    if isinstance(i, str) and len(i) == 24:
        try:
            obj["_id"] = ObjectId(i)
        except Exception:
            pass
    return obj
with open(sys.argv[1], encoding="utf-8") as f:
    backup = json.load(f, object_hook=hook)
print(sum(len(docs) for docs in backup["data"].values()))
"#;

fn log(msg: impl AsRef<str>) {
    eprintln!("[bench legacy] {}", msg.as_ref());
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn scandyctl(work: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(SCANDYCTL);
    cmd.arg("--config")
        .arg(work.join("scandyctl.toml"))
        .args(args)
        .env_remove("MONGODB_URI")
        .env_remove("MONGODB_DB")
        .env_remove("SCANDYCTL_CONFIG")
        // An admin's shell has no RUST_BACKTRACE: with it every error (here: MongoDB
        // unreachable) resolves a backtrace, which costs 170 MB and 0.3 s.
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .env("HOME", work)
        .env("XDG_STATE_HOME", work.join("state"))
        .current_dir(work);
    cmd
}

/// Runs `cmd` twice (page cache warm) and returns the second run.
fn warm(what: &str, make: &dyn Fn() -> Command) -> Run {
    run(what, &mut make());
    run(what, &mut make())
}

fn main() {
    let scale = env_u64("BENCH_LEGACY_SCALE", 70_000);
    let tmp = tempfile::tempdir().expect("work dir");
    let work: PathBuf = tmp.path().to_path_buf();
    let root = work.join("scandy");
    let backups = root.join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    std::fs::write(
        work.join("scandyctl.toml"),
        format!(
            "[scandy]\nroot = \"{}\"\n[mongo]\nuri = \"mongodb://127.0.0.1:1/scandy\"\n\
             database = \"scandy\"\n[backup]\ndir = \"{}\"\n",
            root.display(),
            work.join("sets").display()
        ),
    )
    .unwrap();

    log(format!("generating scale {scale}"));
    let data = generate(&GenOptions {
        scale: scale as usize,
        seed: 11,
        now: NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .unwrap(),
        ..GenOptions::default()
    });
    let documents = data.total_documents() as u64;
    let created = NaiveDate::from_ymd_opt(2026, 12, 2)
        .and_then(|d| d.and_hms_opt(5, 13, 15))
        .unwrap();
    let json = to_scandy_json_v2(&data, created);
    drop(data);
    let path = backups.join(NAME);
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    serde_json::to_writer(file, &json).unwrap();
    drop(json);
    let bytes = std::fs::metadata(&path).unwrap().len();
    log(format!("{documents} documents, {} MB of JSON", bytes >> 20));

    let list = run("list", &mut scandyctl(&work, &["list", "--json"]));
    let rows: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    let id = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "legacy")
        .expect("the backup is listed")["id"]
        .as_str()
        .unwrap()
        .to_string();

    log("scandyctl verify --deep");
    let verify = warm("verify --deep", &|| {
        scandyctl(&work, &["verify", &id, "--deep", "--json"])
    });
    let report: serde_json::Value = serde_json::from_str(&verify.stdout).unwrap();
    let counted: u64 = report[0]["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["documents"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, documents, "verify counted other documents");

    log("python json.load + Scandy's conversion");
    let python = python_for_tests(Path::new(env!("CARGO_MANIFEST_DIR")))
        .expect("the .venv python with pymongo");
    let load = warm("python json.load", &|| {
        let mut cmd = Command::new(&python);
        cmd.arg("-c").arg(PYTHON_LOAD).arg(&path);
        cmd
    });
    assert_eq!(load.stdout.trim(), documents.to_string());

    log("scandyctl import --legacy");
    let convert = run(
        "import --legacy",
        &mut scandyctl(&work, &["import", "--legacy", &id]),
    );

    let mb = bytes as f64 / (1024.0 * 1024.0);
    println!(
        "\n{documents} documents in {} collections, {mb:.0} MB of Scandy JSON v2\n",
        report[0]["collections"].as_array().unwrap().len()
    );
    println!("| benchmark | scandyctl | Scandy's way (Python `json.load` + conversion) | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| read every document, types recovered | {:.2} s ({:.0} MB/s, CPU {:.2} s) | {:.2} s (CPU {:.2} s) | {:.2}x |",
        verify.secs(),
        mb / verify.secs(),
        verify.cpu(),
        load.secs(),
        load.cpu(),
        verify.secs() / load.secs()
    );
    println!(
        "| peak memory | {:.0} MB | {:.0} MB | {:.2}x |",
        verify.rss_mb(),
        load.rss_mb(),
        verify.rss_mb() / load.rss_mb()
    );
    println!(
        "| convert into a verified set (`import --legacy`) | {:.2} s, {:.0} MB peak | — | — |",
        convert.secs(),
        convert.rss_mb()
    );
    if std::env::var_os("BENCH_KEEP").is_some() {
        let kept = tmp.keep();
        log(format!("kept {}", kept.display()));
    }
}
