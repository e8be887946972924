//! The files of a native Scandy install: `.env`, app code, uploads, sessions, backups.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDateTime, Timelike};
use color_eyre::eyre::{self, WrapErr};
use mongodb::bson::Bson;
use rand::Rng as _;

use super::png::tiny_png;
use crate::datagen::{Dataset, GenOptions, generate, to_scandy_json_v2};

/// Writes `bytes` to `path`, creating parent directories; errors name the path.
pub fn write_file(path: &Path, bytes: &[u8]) -> eyre::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .wrap_err_with(|| format!("cannot create {}", parent.display()))?;
    }
    fs::write(path, bytes).wrap_err_with(|| format!("cannot write {}", path.display()))
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(buf.as_mut_slice());
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `.env` with fresh random secrets unless one exists (then it is kept).
pub fn write_env(root: &Path, uri: &str, database: &str) -> eyre::Result<PathBuf> {
    let path = root.join(".env");
    if path.exists() {
        return Ok(path);
    }
    let text = format!(
        "# Scandy – Demo-Installation (erzeugt von scandyctl demo)\n\
         MONGODB_URI={uri}\n\
         MONGODB_DB={database}\n\
         SECRET_KEY={secret}\n\
         WEB_PORT=5000\n\
         SYSTEM_NAME=Scandy\n\
         TICKET_SYSTEM_NAME=Aufgaben\n\
         TOOL_SYSTEM_NAME=Werkzeuge\n\
         CONSUMABLE_SYSTEM_NAME=Verbrauchsmaterial\n\
         MAIL_SERVER=smtp.bildungswerk-beispiel.de\n\
         MAIL_USERNAME=scandy@bildungswerk-beispiel.de\n\
         MAIL_PASSWORD={mail}\n\
         SESSION_COOKIE_SECURE=False\n",
        secret = random_hex(32),
        mail = random_hex(12),
    );
    write_file(&path, text.as_bytes())?;
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600))
        .wrap_err_with(|| format!("cannot restrict the permissions of {}", path.display()))?;
    Ok(path)
}

const APP_INIT: &str = r#""""Scandy – Flask-Anwendung (Demo-Stub von scandyctl)."""
import os
from flask import Flask
from flask_session import Session


def create_app():
    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY")
    app.config["SESSION_TYPE"] = "filesystem"
    app.config["SESSION_FILE_DIR"] = os.path.join(os.path.dirname(__file__), "flask_session")
    Session(app)
    return app
"#;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n\
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\n\
trailer<</Root 1 0 R>>\n%%EOF\n";

/// Writes `app/__init__.py`, the empty `app/flask_session/` with a few session files.
pub fn write_app(root: &Path) -> eyre::Result<()> {
    write_file(&root.join("app/__init__.py"), APP_INIT.as_bytes())?;
    let sessions = root.join("app/flask_session");
    fs::create_dir_all(&sessions)
        .wrap_err_with(|| format!("cannot create {}", sessions.display()))?;
    for _ in 0..3 {
        // cachelib's FileSystemCache: md5-named files, expiry + pickled session.
        let mut bytes = vec![0x00, 0x00, 0x00, 0x00, 0x80, 0x04, 0x95];
        bytes.extend_from_slice(
            b"}\x94(\x8c\n_permanent\x94\x88\x8c\x04user\x94\x8c\x05admin\x94u.",
        );
        write_file(&sessions.join(random_hex(16)), &bytes)?;
    }
    Ok(())
}

fn ids(data: &Dataset, coll: &str, n: usize) -> Vec<String> {
    data.get(coll)
        .unwrap_or_default()
        .iter()
        .filter_map(|d| match d.get("_id") {
            Some(Bson::ObjectId(oid)) => Some(oid.to_hex()),
            _ => None,
        })
        .take(n)
        .collect()
}

/// Writes `app/static/uploads/<entity>/<id>/...` and `uploads/logos`; returns the file count.
pub fn write_uploads(root: &Path, data: &Dataset) -> eyre::Result<usize> {
    let uploads = root.join("app/static/uploads");
    let mut count = 0;
    let mut put = |rel: PathBuf, bytes: &[u8]| -> eyre::Result<()> {
        count += 1;
        write_file(&uploads.join(rel), bytes)
    };
    for (i, id) in ids(data, "tools", 8).iter().enumerate() {
        put(
            PathBuf::from(format!("tools/{id}/foto_1.png")),
            &tiny_png(16, 16, i as u8),
        )?;
        put(
            PathBuf::from(format!("tools/{id}/bedienungsanleitung.pdf")),
            PDF,
        )?;
    }
    for id in ids(data, "consumables", 5) {
        put(
            PathBuf::from(format!("consumables/{id}/datenblatt.pdf")),
            PDF,
        )?;
    }
    for (i, id) in ids(data, "tickets", 6).iter().enumerate() {
        put(
            PathBuf::from(format!("tickets/{id}/schaden.png")),
            &tiny_png(24, 16, 40 + i as u8),
        )?;
        put(
            PathBuf::from(format!("tickets/{id}/notiz.txt")),
            "Foto vom Schaden, aufgenommen in Halle 2. Größe ca. 3 × 4 cm.\n".as_bytes(),
        )?;
    }
    for (i, id) in ids(data, "users", 4).iter().enumerate() {
        put(
            PathBuf::from(format!("users/{id}/profilbild.png")),
            &tiny_png(8, 8, 90 + i as u8),
        )?;
    }
    put(PathBuf::from("logos/logo.png"), &tiny_png(32, 32, 200))?;
    put(
        PathBuf::from("logos/logo_dunkel.png"),
        &tiny_png(32, 32, 13),
    )?;
    Ok(count)
}

/// Returns the times of the last `n` nightly 02:00:01 backups before `now`, newest first.
pub fn nightly_times(now: NaiveDateTime, n: usize) -> Vec<NaiveDateTime> {
    let today = now
        .date()
        .and_hms_opt(2, 0, 1)
        .unwrap_or(now - Duration::hours(now.hour() as i64));
    let newest = if today <= now {
        today
    } else {
        today - Duration::days(1)
    };
    (0..n as i64).map(|d| newest - Duration::days(d)).collect()
}

/// Writes `backups/scandy_backup_<ts>.json` (JSON v2) for the last two nightly runs.
pub fn write_backups(root: &Path, opts: &GenOptions) -> eyre::Result<Vec<PathBuf>> {
    let dir = root.join("backups");
    let mut written = Vec::new();
    for (age, at) in nightly_times(opts.now, 2).into_iter().enumerate() {
        let path = dir.join(format!("scandy_backup_{}.json", at.format("%Y%m%d_%H%M%S")));
        if path.exists() {
            written.push(path);
            continue;
        }
        // The older backup holds an older, slightly smaller state of the database.
        let state = generate(&GenOptions {
            now: at,
            scale: opts.scale.saturating_sub(age * opts.scale / 20).max(1),
            ..opts.clone()
        });
        let json = to_scandy_json_v2(&state, at);
        let bytes = serde_json::to_vec_pretty(&json)
            .wrap_err_with(|| format!("cannot serialise {}", path.display()))?;
        write_file(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}
