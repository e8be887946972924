//! Settings and the many small collections (timesheets, canteen, mail config, ...).

use chrono::{Datelike, Duration};
use mongodb::bson::{Binary, Bson, Document, doc, spec::BinarySubtype};

use super::Ctx;
use super::people::People;
use super::rng::{bson_date, bson_date_opt, decimal};

const DAY: i64 = 86_400;

/// Generates settings and every remaining collection.
pub fn generate(
    ctx: &mut Ctx,
    people: &People,
    consumables: &[(String, String)],
) -> Vec<(&'static str, Vec<Document>)> {
    let staff: Vec<String> = people
        .users_with(&["admin", "mitarbeiter"])
        .iter()
        .map(|u| u.username.clone())
        .collect();
    vec![
        ("settings", settings(ctx)),
        ("custom_fields", custom_fields(ctx)),
        ("feature_settings", feature_settings(ctx)),
        ("user_groups", user_groups(ctx, people)),
        ("software", software(ctx)),
        ("jobs", jobs(ctx, &staff)),
        ("timesheets", timesheets(ctx, people)),
        ("homepage_notices", notices(ctx, &staff)),
        ("notifications", notifications(ctx, people)),
        ("canteen_meals", canteen(ctx)),
        ("email_config", email_config(ctx)),
        ("import_jobs", import_jobs(ctx, &staff)),
        ("system_locks", system_locks(ctx)),
        ("experiences", experiences(ctx, people)),
        ("consumptions", consumptions(ctx, people, consumables)),
        ("system_logs", system_logs(ctx, &staff)),
    ]
}

fn stamp(ctx: &mut Ctx, min_days: i64, max_days: i64) -> (Bson, chrono::NaiveDateTime) {
    let at = ctx.rng.before(ctx.now, min_days * DAY, max_days * DAY);
    (bson_date(at), at)
}

fn settings(ctx: &mut Ctx) -> Vec<Document> {
    let mut docs = Vec::new();
    let departments: Vec<Bson> = ctx.departments.iter().cloned().map(Bson::String).collect();
    let globals: Vec<(&str, Bson)> = vec![
        ("departments", Bson::Array(departments)),
        ("label_tools_name", "Werkzeuge".into()),
        ("label_consumables_name", "Verbrauchsmaterial".into()),
        ("label_tickets_name", "Aufträge".into()),
        ("system_name", "Scandy".into()),
        ("auto_backup_enabled", true.into()),
        ("auto_backup_times", Bson::Array(vec!["02:00".into()])),
    ];
    for (key, value) in globals {
        let (at, _) = stamp(ctx, 100, 700);
        docs.push(doc! {
            "_id": ctx.rng.object_id(ctx.now - Duration::days(100)),
            "key": key, "value": value, "created_at": at.clone(), "updated_at": at,
        });
    }
    for department in ctx.departments.clone() {
        let per_department: Vec<(&str, Bson)> = vec![
            ("primary_color", "#5b69a7".into()),
            ("lending_max_days", Bson::Int32(14)),
            ("tickets_enabled", true.into()),
            ("quickscan_enabled", (department != "Verwaltung").into()),
        ];
        for (key, value) in per_department {
            let (at, _) = stamp(ctx, 30, 500);
            docs.push(doc! {
                "_id": ctx.rng.object_id(ctx.now - Duration::days(30)),
                "key": key, "value": value, "department": &department,
                "created_at": at.clone(), "updated_at": at,
            });
        }
    }
    docs
}

fn custom_fields(ctx: &mut Ctx) -> Vec<Document> {
    let fields = [
        ("Prüfdatum DGUV V3", "date", "tools", vec![]),
        (
            "Zustand",
            "select",
            "tools",
            vec!["neu", "gut", "gebraucht"],
        ),
        ("Lieferant", "text", "consumables", vec![]),
        ("Gefahrstoff", "checkbox", "consumables", vec![]),
    ];
    let mut docs = Vec::new();
    for (i, (name, field_type, target, options)) in fields.into_iter().enumerate() {
        let (at, t) = stamp(ctx, 60, 400);
        let options: Vec<Bson> = options.into_iter().map(Bson::from).collect();
        docs.push(doc! {
            "_id": ctx.rng.object_id(t), "name": name, "field_type": field_type,
            "target_type": target, "options": options, "required": i == 0,
            "department": ctx.department(i), "created_at": at,
        });
    }
    docs
}

fn feature_settings(ctx: &mut Ctx) -> Vec<Document> {
    let features = [
        "tools",
        "consumables",
        "tickets",
        "canteen",
        "jobs",
        "timesheets",
        "software",
    ];
    let mut docs = Vec::new();
    for department in ctx.departments.clone() {
        for feature in features {
            let (at, t) = stamp(ctx, 10, 300);
            docs.push(doc! {
                "_id": ctx.rng.object_id(t), "feature_name": feature,
                "enabled": feature != "canteen" || department == "Verwaltung",
                "department": &department, "created_at": at.clone(), "updated_at": at,
            });
        }
    }
    docs
}

fn user_groups(ctx: &mut Ctx, people: &People) -> Vec<Document> {
    let groups = [
        ("Ausbilder", "mitarbeiter"),
        ("Teilnehmende", "teilnehmer"),
        ("Büro", "anwender"),
    ];
    let mut docs = Vec::new();
    for (i, (name, role)) in groups.into_iter().enumerate() {
        let members: Vec<Bson> = people
            .users_with(&[role])
            .iter()
            .map(|u| Bson::String(u.username.clone()))
            .collect();
        let (at, t) = stamp(ctx, 30, 300);
        docs.push(doc! {
            "_id": ctx.rng.object_id(t), "name": name, "description": format!("Gruppe {name}"),
            "members": members, "department": ctx.department(i), "created_at": at,
        });
    }
    docs
}

fn software(ctx: &mut Ctx) -> Vec<Document> {
    let list = [
        ("LibreOffice", "24.2"),
        ("GIMP", "2.10.38"),
        ("FreeCAD", "0.21"),
        ("KiCad", "8.0"),
        ("Firefox ESR", "128.1"),
        ("Thunderbird", "128.0"),
        ("Inkscape", "1.3"),
        ("Arduino IDE", "2.3.2"),
    ];
    list.iter()
        .enumerate()
        .map(|(i, (name, version))| {
            let (at, t) = stamp(ctx, 20, 500);
            doc! {
                "_id": ctx.rng.object_id(t), "name": *name, "version": *version,
                "license_type": "Open Source", "seats": ctx.rng.range(1, 40) as i32,
                "department": ctx.department(i), "created_at": at,
            }
        })
        .collect()
}

fn jobs(ctx: &mut Ctx, staff: &[String]) -> Vec<Document> {
    let list = [
        ("Tischler/in (m/w/d)", "Möbelbau Schäfer GmbH", "Leipzig"),
        (
            "Elektroniker/in für Betriebstechnik",
            "Stadtwerke Musterstadt",
            "Halle (Saale)",
        ),
        (
            "Kaufmann/-frau für Büromanagement",
            "Bäckerei Müller & Söhne",
            "Markkleeberg",
        ),
        (
            "Fachkraft für Lagerlogistik",
            "Logistikzentrum Nord",
            "Schkeuditz",
        ),
        ("Metallbauer/in", "Stahlbau König", "Taucha"),
        ("Maler/in und Lackierer/in", "Malerbetrieb Weiß", "Leipzig"),
    ];
    list.iter()
        .map(|(title, company, place)| {
            let (at, t) = stamp(ctx, 1, 200);
            doc! {
                "_id": ctx.rng.object_id(t), "title": *title, "company": *company,
                "location": *place, "job_type": "Vollzeit", "is_active": ctx.rng.chance(0.7),
                "description": "Wir suchen Verstärkung für unser Team.",
                "views": ctx.rng.range(0, 300) as i32,
                "created_by": ctx.rng.pick(staff).as_str(), "created_at": at,
            }
        })
        .collect()
}

fn timesheets(ctx: &mut Ctx, people: &People) -> Vec<Document> {
    let mut docs = Vec::new();
    let days = ["montag", "dienstag", "mittwoch", "donnerstag", "freitag"];
    for user in people.users_with(&["mitarbeiter"]) {
        let weeks = ctx.rng.range(3, 9);
        for k in 0..weeks {
            let monday = ctx.now - Duration::days(7 * k);
            let week = monday.date().iso_week();
            let mut day_docs = Document::new();
            let mut quarter_hours = 0i64;
            for day in days {
                let q = ctx.rng.range(24, 36);
                quarter_hours += q;
                // 07:30 start, q quarter hours of work, 30 minutes break.
                let end = 7 * 60 + 30 + q * 15 + 30;
                day_docs.insert(
                    day,
                    doc! {
                        "start": "07:30",
                        "ende": format!("{:02}:{:02}", end / 60, end % 60),
                        "pause_minuten": 30,
                        "taetigkeit": "Anleitung der Teilnehmenden in der Werkstatt",
                    },
                );
            }
            docs.push(doc! {
                "_id": ctx.rng.object_id(monday),
                "user_id": user.id.to_hex(),
                "year": week.year(),
                "kw": week.week() as i32,
                "tage": day_docs,
                "stunden": decimal(quarter_hours * 25, 2),
                "created_at": bson_date(monday),
                "updated_at": bson_date(monday),
            });
        }
    }
    docs
}

fn notices(ctx: &mut Ctx, staff: &[String]) -> Vec<Document> {
    let list = [
        (
            "Betriebsferien",
            "Vom 23.12. bis 01.01. bleibt die Werkstatt geschlossen.",
            2,
        ),
        (
            "Neue Ausleihregeln",
            "Werkzeuge bitte spätestens nach 14 Tagen zurückgeben.",
            1,
        ),
        (
            "Wartung",
            "Am Freitag ab 15 Uhr ist Scandy kurz nicht erreichbar.",
            3,
        ),
    ];
    list.iter()
        .map(|(title, content, priority)| {
            let (at, t) = stamp(ctx, 1, 90);
            doc! {
                "_id": ctx.rng.object_id(t), "title": *title, "content": *content,
                "priority": *priority, "is_active": *priority != 3, "department": Bson::Null,
                "created_by": ctx.rng.pick(staff).as_str(), "created_at": at.clone(), "updated_at": at,
            }
        })
        .collect()
}

fn notifications(ctx: &mut Ctx, people: &People) -> Vec<Document> {
    (0..ctx.share(10, 5))
        .map(|_| {
            let user = ctx.rng.pick(&people.users).username.clone();
            let (at, t) = stamp(ctx, 0, 60);
            doc! {
                "_id": ctx.rng.object_id(t), "username": user, "title": "Ausleihe überfällig",
                "message": "Ein Werkzeug ist seit über 14 Tagen ausgeliehen.",
                "type": if ctx.rng.chance(0.3) { "warning" } else { "info" },
                "is_read": ctx.rng.chance(0.6), "created_at": at,
            }
        })
        .collect()
}

fn canteen(ctx: &mut Ctx) -> Vec<Document> {
    let meals = [
        "Linseneintopf",
        "Schnitzel mit Bratkartoffeln",
        "Gemüselasagne",
        "Königsberger Klopse",
        "Käsespätzle",
    ];
    (0..10)
        .map(|i| {
            let day = (ctx.now - Duration::days(i))
                .date()
                .and_hms_opt(0, 0, 0)
                .unwrap_or(ctx.now);
            let meal = meals[i as usize % meals.len()];
            doc! {
                "_id": ctx.rng.object_id(day), "date": bson_date(day), "meal": meal,
                "vegetarian": matches!(meal, "Linseneintopf" | "Gemüselasagne" | "Käsespätzle"),
                "price": 3.5 + (i % 3) as f64 * 0.75, "created_at": bson_date(day),
            }
        })
        .collect()
}

fn email_config(ctx: &mut Ctx) -> Vec<Document> {
    let (at, t) = stamp(ctx, 30, 200);
    // A Fernet-style token: bytes, not text, as Scandy stores the encrypted password.
    let mut token = b"gAAAAAB".to_vec();
    token.extend(ctx.rng.bytes(57));
    vec![doc! {
        "_id": ctx.rng.object_id(t),
        "mail_server": "smtp.bildungswerk-beispiel.de",
        "mail_port": 587,
        "mail_use_tls": true,
        "mail_username": "scandy@bildungswerk-beispiel.de",
        "mail_password_encrypted": Binary { subtype: BinarySubtype::Generic, bytes: token },
        "enabled": false,
        "created_at": at.clone(),
        "updated_at": at,
    }]
}

fn import_jobs(ctx: &mut Ctx, staff: &[String]) -> Vec<Document> {
    [
        ("werkzeuge_import.xlsx", "abgeschlossen"),
        ("material_2025.xlsx", "fehlgeschlagen"),
    ]
    .iter()
    .map(|(file, status)| {
        let (at, t) = stamp(ctx, 5, 120);
        let errors: Vec<Bson> = if *status == "fehlgeschlagen" {
            vec![
                "Zeile 17: Barcode fehlt".into(),
                "Zeile 23: unbekannte Kategorie „Kleinteile“".into(),
            ]
        } else {
            vec![]
        };
        doc! {
            "_id": ctx.rng.object_id(t), "filename": *file, "status": *status,
            "total_rows": 42, "imported_rows": if errors.is_empty() { 42 } else { 0 },
            "errors": errors, "created_by": ctx.rng.pick(staff).as_str(),
            "started_at": at, "finished_at": bson_date(t + Duration::seconds(3)),
        }
    })
    .collect()
}

fn system_locks(ctx: &mut Ctx) -> Vec<Document> {
    // TTL 3600 s on created_at: a lock from five minutes ago survives the demo.
    let t = ctx.now - Duration::minutes(5);
    vec![doc! {
        "_id": ctx.rng.object_id(t), "key": "auto_backup_lock",
        "owner": format!("gunicorn-worker pid {}", ctx.rng.range(1_000, 60_000)),
        "created_at": bson_date(t),
    }]
}

fn experiences(ctx: &mut Ctx, people: &People) -> Vec<Document> {
    let teilnehmer = people.users_with(&["teilnehmer"]);
    (0..5)
        .map(|i| {
            let user = ctx.rng.pick(&teilnehmer);
            let (at, t) = stamp(ctx, 1, 200);
            doc! {
                "_id": ctx.rng.object_id(t), "user_id": user.id.to_hex(),
                "title": format!("Praktikum Woche {}", i + 1),
                "description": "Habe gelernt, eine Steckdose fachgerecht anzuschließen.",
                "category": "Praktikum", "tags": ["Elektro", "Praxis"], "created_at": at,
            }
        })
        .collect()
}

fn consumptions(ctx: &mut Ctx, people: &People, consumables: &[(String, String)]) -> Vec<Document> {
    (0..ctx.share(50, 8))
        .map(|_| {
            let (barcode, department) = ctx.rng.pick(consumables).clone();
            let worker = ctx.rng.pick(&people.workers_in(&department)).barcode.clone();
            let (at, t) = stamp(ctx, 0, 90);
            doc! {
                "_id": ctx.rng.object_id(t), "consumable_barcode": barcode, "worker_barcode": worker,
                "quantity": ctx.rng.range(1, 6) as i32, "department": department,
                "cost": ctx.rng.range(50, 3_000) as f64 / 100.0, "consumed_at": at,
            }
        })
        .collect()
}

fn system_logs(ctx: &mut Ctx, staff: &[String]) -> Vec<Document> {
    let events = [
        ("INFO", "Benutzer angemeldet"),
        ("INFO", "Backup erstellt"),
        ("WARNING", "Fehlgeschlagener Login-Versuch"),
        (
            "ERROR",
            "E-Mail-Versand fehlgeschlagen: Verbindung abgelehnt",
        ),
    ];
    (0..ctx.share(25, 10))
        .map(|_| {
            let (level, message) = *ctx.rng.pick(&events);
            let (at, t) = stamp(ctx, 0, 30);
            let user = (level != "ERROR").then(|| ctx.rng.pick(staff).clone());
            doc! {
                "_id": ctx.rng.object_id(t), "level": level, "message": message,
                "source": "scandy.app", "user": user.map_or(Bson::Null, Bson::String),
                "ip": format!("192.168.178.{}", ctx.rng.range(20, 90)),
                "timestamp": at, "timestamp_ms": Bson::Int64(t.and_utc().timestamp_millis()),
                "resolved_at": bson_date_opt(None),
            }
        })
        .collect()
}
