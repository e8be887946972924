//! Tickets (Aufträge) and everything hanging off them.

use chrono::{Datelike, Duration, NaiveDateTime};
use mongodb::bson::{Bson, Document, doc};

use super::Ctx;
use super::names::{
    FIRST_NAMES, LAST_NAMES, PRIORITIES, TICKET_CATEGORIES, TICKET_STATUS, TICKET_TITLES,
};
use super::people::People;
use super::rng::{bson_date, bson_date_opt, decimal};

const DAY: i64 = 86_400;

const MESSAGES: &[&str] = &[
    "Ich schaue mir das morgen früh an.",
    "Ersatzteil ist bestellt, Lieferung voraussichtlich nächste Woche.",
    "Bitte kurz Rückmeldung, ob das Problem noch besteht.",
    "Erledigt – bitte prüfen.",
    "Können wir das in der Teamsitzung besprechen?",
];

const MATERIALS: &[(&str, i64)] = &[
    ("Leimholzplatte Buche 18 mm", 3490),
    ("Schrauben 4×40 Torx", 1290),
    ("Holzlasur farblos 750 ml", 1599),
    ("Kabel NYM-J 3×1,5", 95),
    ("Scharnier verzinkt", 245),
];

/// One generated ticket other documents point at.
struct TicketRef {
    id_hex: String,
    created_at: NaiveDateTime,
    status: &'static str,
    is_auftrag: bool,
}

/// Generates tickets, their messages, notes, assignments, history and order details.
pub fn generate(ctx: &mut Ctx, people: &People) -> Vec<(&'static str, Vec<Document>)> {
    let now = ctx.now;
    let creators = people.users_with(&["anwender", "mitarbeiter", "teilnehmer", "admin"]);
    let staff = people.users_with(&["mitarbeiter", "admin"]);
    let n = ctx.share(5, 6);
    let mut tickets = Vec::with_capacity(n);
    let mut refs = Vec::with_capacity(n);
    let mut assignments = Vec::new();
    for i in 0..n {
        let created_at = ctx.rng.before(now, 600, 400 * DAY);
        let age_days = (now - created_at).num_days();
        // Old tickets are mostly done, recent ones mostly open.
        let status = if age_days > 60 && ctx.rng.chance(0.85) {
            "erledigt"
        } else {
            *ctx.rng.pick(TICKET_STATUS)
        };
        let category = if i % 6 == 0 {
            "Auftrag"
        } else {
            *ctx.rng.pick(TICKET_CATEGORIES)
        };
        let creator = ctx.rng.pick(&creators).username.clone();
        let assignee = if status == "offen" && i > 0 && ctx.rng.chance(0.5) {
            None
        } else {
            Some(ctx.rng.pick(&staff).username.clone())
        };
        let id = ctx.rng.object_id(created_at);
        let updated_at = ctx.rng.after(created_at, 60, (age_days * DAY).max(61));
        let updated_at = updated_at.min(now);
        let due = ctx
            .rng
            .chance(0.6)
            .then(|| created_at + Duration::days(ctx.rng.range(3, 30)));
        let resolved = (status == "erledigt").then_some(updated_at);
        tickets.push(doc! {
            "_id": id,
            "title": *ctx.rng.pick(TICKET_TITLES),
            "description": "Bitte bis zum angegebenen Termin erledigen. Details siehe Nachrichten.",
            "category": category,
            "priority": *ctx.rng.pick(PRIORITIES),
            "status": status,
            "created_by": &creator,
            "assigned_to": assignee.as_deref().map_or(Bson::Null, |a| Bson::String(a.into())),
            "ticket_number": format!("{}-{:04}", created_at.year(), i + 1),
            "department": ctx.department(i),
            "due_date": bson_date_opt(due),
            "resolved_at": bson_date_opt(resolved),
            "created_at": bson_date(created_at),
            "updated_at": bson_date(updated_at),
        });
        if let Some(assignee) = assignee {
            let at = ctx.rng.after(created_at, 60, DAY);
            assignments.push(doc! {
                "_id": ctx.rng.object_id(at),
                "ticket_id": id.to_hex(),
                "assigned_to": assignee,
                "assigned_by": ctx.rng.pick(&staff).username.as_str(),
                "assigned_at": bson_date(at),
                "created_at": bson_date(at),
            });
        }
        refs.push(TicketRef {
            id_hex: id.to_hex(),
            created_at,
            status,
            is_auftrag: category == "Auftrag",
        });
    }

    let mut ticket_messages = Vec::new();
    let mut notes = Vec::new();
    let mut history = Vec::new();
    let mut messages = Vec::new();
    for (i, t) in refs.iter().enumerate() {
        for _ in 0..ctx.rng.range(0, 4) {
            let at = ctx.rng.after(t.created_at, 60, 5 * DAY).min(now);
            let sender = ctx.rng.pick(&creators);
            ticket_messages.push(doc! {
                "_id": ctx.rng.object_id(at),
                "ticket_id": &t.id_hex,
                "message": *ctx.rng.pick(MESSAGES),
                "sender": &sender.username,
                "is_admin": sender.role == "admin",
                "created_at": bson_date(at),
            });
        }
        if ctx.rng.chance(0.4) || i == 0 {
            let at = ctx.rng.after(t.created_at, 60, 3 * DAY).min(now);
            notes.push(doc! {
                "_id": ctx.rng.object_id(at),
                "ticket_id": &t.id_hex,
                "note": "Interne Notiz: Rücksprache mit der Werkstattleitung gehalten.",
                "created_by": &ctx.rng.pick(&staff).username,
                "is_private": true,
                "created_at": bson_date(at),
            });
        }
        let mut previous = "offen";
        let mut last = t.created_at;
        for next in ["in_bearbeitung", "erledigt"] {
            if previous == t.status {
                break;
            }
            let at = ctx.rng.after(last, 600, 5 * DAY).min(now);
            last = at;
            history.push(doc! {
                "_id": ctx.rng.object_id(at),
                "ticket_id": &t.id_hex,
                "field": "status",
                "old_value": previous,
                "new_value": next,
                "changed_by": &ctx.rng.pick(&staff).username,
                "created_at": bson_date(at),
            });
            previous = next;
        }
        if ctx.rng.chance(0.25) || i == 0 {
            let at = ctx.rng.after(t.created_at, 60, 2 * DAY).min(now);
            messages.push(doc! {
                "_id": ctx.rng.object_id(at),
                "ticket_id": &t.id_hex,
                "sender": &ctx.rng.pick(&creators).username,
                "content": "Gibt es schon einen Termin?",
                "read": ctx.rng.chance(0.7),
                "created_at": bson_date(at),
            });
        }
    }

    let (details, material, arbeit) = auftraege(ctx, &refs);
    let categories = TICKET_CATEGORIES
        .iter()
        .map(|name| {
            let at = ctx.rng.before(now, 300 * DAY, 600 * DAY);
            doc! {
                "_id": ctx.rng.object_id(at),
                "name": *name,
                "description": format!("Tickets der Kategorie {name}"),
                "is_active": true,
                "created_at": bson_date(at),
            }
        })
        .collect();
    vec![
        ("tickets", tickets),
        ("ticket_messages", ticket_messages),
        ("ticket_notes", notes),
        ("ticket_assignments", assignments),
        ("ticket_history", history),
        ("messages", messages),
        ("ticket_categories", categories),
        ("auftrag_details", details),
        ("auftrag_material", material),
        ("auftrag_arbeit", arbeit),
    ]
}

/// Order details (with nested contact and address), material and labour lines.
fn auftraege(ctx: &mut Ctx, refs: &[TicketRef]) -> (Vec<Document>, Vec<Document>, Vec<Document>) {
    let now = ctx.now;
    let mut details = Vec::new();
    let mut material = Vec::new();
    let mut arbeit = Vec::new();
    for t in refs.iter().filter(|t| t.is_auftrag) {
        let at = ctx.rng.after(t.created_at, 60, 3_600).min(now);
        let mut total_cents = 0i64;
        for _ in 0..ctx.rng.range(1, 4) {
            let (name, cents) = *ctx.rng.pick(MATERIALS);
            let menge = ctx.rng.range(1, 20) as f64 / 2.0;
            total_cents += (cents as f64 * menge).round() as i64;
            material.push(doc! {
                "_id": ctx.rng.object_id(at),
                "ticket_id": &t.id_hex,
                "material": name,
                "menge": menge,
                "einzelpreis": decimal(cents, 2),
                "created_at": bson_date(at),
            });
        }
        for _ in 0..ctx.rng.range(1, 3) {
            let hours = ctx.rng.range(1, 33) as f64 * 0.25;
            total_cents += (hours * 4_500.0).round() as i64;
            arbeit.push(doc! {
                "_id": ctx.rng.object_id(at),
                "ticket_id": &t.id_hex,
                "arbeit": "Zuschnitt, Montage und Oberflächenbehandlung",
                "arbeitsstunden": hours,
                "leistungskategorie": "Werkstattleistung",
                "created_at": bson_date(at),
            });
        }
        let first = *ctx.rng.pick(FIRST_NAMES);
        let last = *ctx.rng.pick(LAST_NAMES);
        let extern_ = ctx.rng.chance(0.5);
        details.push(doc! {
            "_id": ctx.rng.object_id(at),
            "ticket_id": &t.id_hex,
            "auftraggeber_intern": !extern_,
            "auftraggeber_extern": extern_,
            "auftraggeber_name": format!("{first} {last}"),
            "kontakt": {
                "name": format!("{first} {last}"),
                "telefon": format!("0{} {}", ctx.rng.range(30, 999), ctx.rng.range(100_000, 999_999)),
                "email": format!("auftrag{}@beispiel-kunde.de", ctx.rng.range(1, 999)),
            },
            "adresse": {
                "strasse": "Hauptstraße 12",
                "plz": "04109",
                "ort": "Leipzig",
            },
            "bereich": "Holzwerkstatt",
            "auftragsbeschreibung": "Gartenbank aus Lärche nach Skizze fertigen.",
            "ausgefuehrte_arbeiten": if t.status == "erledigt" { "Bank gefertigt und geölt." } else { "" },
            "fertigstellungstermin": bson_date(t.created_at + Duration::days(14)),
            "gesamtsumme": decimal(total_cents, 2),
            "created_at": bson_date(at),
            "updated_at": bson_date(at),
        });
    }
    (details, material, arbeit)
}
