//! Workers (borrowers with a barcode card) and users (web logins).

use std::collections::HashSet;

use chrono::Duration;
use mongodb::bson::{Bson, Document, doc, oid::ObjectId};

use super::Ctx;
use super::names::{FIRST_NAMES, LAST_NAMES, ascii_fold};
use super::rng::{bson_date, bson_date_opt};

/// Mail domain of the generated people.
pub const MAIL_DOMAIN: &str = "bildungswerk-beispiel.de";

/// A worker other collections refer to by barcode.
pub struct WorkerRef {
    /// Barcode on the worker's card.
    pub barcode: String,
    /// The worker's department.
    pub department: String,
}

/// A user other collections refer to by name or id.
pub struct UserRef {
    /// The user's `_id`.
    pub id: ObjectId,
    /// Login name.
    pub username: String,
    /// `admin`, `mitarbeiter`, `anwender` or `teilnehmer`.
    pub role: &'static str,
}

/// Workers, users and their collections.
pub struct People {
    /// Every worker.
    pub workers: Vec<WorkerRef>,
    /// Every user.
    pub users: Vec<UserRef>,
    /// `workers` and `users` documents.
    pub collections: Vec<(&'static str, Vec<Document>)>,
}

impl People {
    /// Returns the workers of one department (all workers if it has none).
    pub fn workers_in(&self, department: &str) -> Vec<&WorkerRef> {
        let of_dept: Vec<&WorkerRef> = self
            .workers
            .iter()
            .filter(|w| w.department == department)
            .collect();
        if of_dept.is_empty() {
            self.workers.iter().collect()
        } else {
            of_dept
        }
    }

    /// Returns the users with one of the given roles.
    pub fn users_with(&self, roles: &[&str]) -> Vec<&UserRef> {
        self.users
            .iter()
            .filter(|u| roles.contains(&u.role))
            .collect()
    }
}

struct Person {
    first: &'static str,
    last: &'static str,
}

fn person(ctx: &mut Ctx) -> Person {
    Person {
        first: ctx.rng.pick::<&str>(FIRST_NAMES),
        last: ctx.rng.pick::<&str>(LAST_NAMES),
    }
}

fn email(first: &str, last: &str, n: usize) -> String {
    let suffix = if n == 0 { String::new() } else { n.to_string() };
    format!(
        "{}.{}{suffix}@{MAIL_DOMAIN}",
        ascii_fold(first).to_lowercase(),
        ascii_fold(last).to_lowercase()
    )
}

/// Generates users first (teilnehmer get a linked worker with the same TTL date).
pub fn generate(ctx: &mut Ctx) -> People {
    let now = ctx.now;
    let mut users = Vec::new();
    let mut user_docs = Vec::new();
    let mut taken = HashSet::new();
    let mut teilnehmer_links = Vec::new();

    let roles: Vec<&'static str> = std::iter::once("admin")
        .chain(std::iter::repeat_n(
            "admin",
            ctx.departments.len().saturating_sub(1),
        ))
        .chain(std::iter::repeat_n(
            "mitarbeiter",
            ctx.share(40, 2 * ctx.departments.len()),
        ))
        .chain(std::iter::repeat_n("anwender", ctx.share(60, 3)))
        .chain(std::iter::repeat_n("teilnehmer", ctx.share(25, 6)))
        .collect();
    let mut teilnehmer_index = 0usize;
    for (i, role) in roles.into_iter().enumerate() {
        let p = person(ctx);
        let base = if i == 0 {
            "admin".to_string()
        } else {
            format!(
                "{}.{}",
                ascii_fold(p.first).to_lowercase(),
                ascii_fold(p.last).to_lowercase()
            )
        };
        let mut username = base.clone();
        let mut n = 0;
        while !taken.insert(username.clone()) {
            n += 1;
            username = format!("{base}{n}");
        }
        let department = ctx.department(i).to_string();
        let allowed: Vec<Bson> = if role == "admin" {
            ctx.departments.iter().cloned().map(Bson::String).collect()
        } else {
            let mut list = vec![Bson::String(department.clone())];
            if ctx.rng.chance(0.2) {
                let other = ctx.random_department();
                if other != department {
                    list.push(Bson::String(other));
                }
            }
            list
        };
        // Teilnehmer vanish a year after creation; every third is due within 30 days.
        let (created_at, delete_at) = if role == "teilnehmer" {
            teilnehmer_index += 1;
            let days_ago = if teilnehmer_index % 3 == 1 {
                ctx.rng.range(336, 364)
            } else {
                ctx.rng.range(1, 330)
            };
            let created = ctx
                .rng
                .before(now, days_ago * 86_400, days_ago * 86_400 + 3_600);
            (created, Some(created + Duration::days(365)))
        } else {
            (ctx.rng.before(now, 30 * 86_400, 3 * 365 * 86_400), None)
        };
        let id = ctx.rng.object_id(created_at);
        let last_login = if ctx.rng.chance(0.8) {
            Some(
                ctx.rng
                    .after(created_at, 0, (now - created_at).num_seconds()),
            )
        } else {
            None
        };
        let mut doc = doc! {
            "_id": id,
            "username": &username,
            "password_hash": format!("scrypt:32768:8:1${}${}", ctx.rng.hex(16), ctx.rng.hex(128)),
            "role": role,
            "is_active": role == "admin" || !ctx.rng.chance(0.08),
            "email": email(p.first, p.last, n),
            "firstname": p.first,
            "lastname": p.last,
            "allowed_departments": allowed,
            "default_department": &department,
            "timesheet_enabled": role == "mitarbeiter",
            "last_login": bson_date_opt(last_login),
            "created_at": bson_date(created_at),
            "updated_at": bson_date(last_login.unwrap_or(created_at)),
        };
        if let Some(delete_at) = delete_at {
            doc.insert("delete_at", bson_date(delete_at));
            teilnehmer_links.push((p, department.clone(), created_at, delete_at));
        }
        user_docs.push(doc);
        users.push(UserRef { id, username, role });
    }

    let mut workers = Vec::new();
    let mut worker_docs = Vec::new();
    let plain_workers = ctx.share(4, 2 * ctx.departments.len());
    let total = plain_workers + teilnehmer_links.len();
    let mut links = teilnehmer_links.into_iter();
    for i in 0..total {
        let barcode = format!("9{i:05}");
        let (p, department, created_at, delete_at) =
            match (i >= plain_workers).then(|| links.next()).flatten() {
                Some((p, dept, created, delete_at)) => (p, dept, created, Some(delete_at)),
                None => {
                    let p = person(ctx);
                    let created = ctx.rng.before(now, 7 * 86_400, 4 * 365 * 86_400);
                    (p, ctx.department(i).to_string(), created, None)
                }
            };
        let email_value = if ctx.rng.chance(0.15) {
            Bson::String(String::new())
        } else {
            Bson::String(email(p.first, p.last, i % 7))
        };
        let mut doc = doc! {
            "_id": ctx.rng.object_id(created_at),
            "barcode": &barcode,
            "firstname": p.first,
            "lastname": p.last,
            "department": &department,
            "email": email_value,
            "deleted": false,
            "created_at": bson_date(created_at),
            "updated_at": bson_date(ctx.rng.after(created_at, 0, (now - created_at).num_seconds())),
        };
        if let Some(delete_at) = delete_at {
            doc.insert("delete_at", bson_date(delete_at));
        }
        worker_docs.push(doc);
        workers.push(WorkerRef {
            barcode,
            department,
        });
    }

    People {
        workers,
        users,
        collections: vec![("workers", worker_docs), ("users", user_docs)],
    }
}
