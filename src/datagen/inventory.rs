//! Tools, consumables, lendings, consumable usages and the reference lists.

use chrono::{Duration, NaiveDateTime};
use mongodb::bson::{Bson, Document, doc};

use super::Ctx;
use super::names::{CONSUMABLES, LOCATIONS, TOOLS};
use super::people::People;
use super::rng::{bson_date, bson_date_opt, decimal};

const DAY: i64 = 86_400;

/// Inventory collections plus what other generators refer to.
pub struct Inventory {
    /// `(collection, documents)` pairs.
    pub collections: Vec<(&'static str, Vec<Document>)>,
    /// `(barcode, department)` of every consumable.
    pub consumable_barcodes: Vec<(String, String)>,
}

/// Generates tools with a consistent lending history, then consumables and their usage.
pub fn generate(ctx: &mut Ctx, people: &People) -> Inventory {
    let (tools, lendings) = tools_and_lendings(ctx, people);
    let (consumables, consumable_barcodes) = consumables(ctx);
    let usages = usages(ctx, people, &consumable_barcodes);
    let (categories, locations) = reference_lists(ctx);
    Inventory {
        collections: vec![
            ("tools", tools),
            ("consumables", consumables),
            ("lendings", lendings),
            ("consumable_usages", usages),
            ("categories", categories),
            ("locations", locations),
        ],
        consumable_barcodes,
    }
}

fn lending(
    ctx: &mut Ctx,
    tool: &str,
    worker: &str,
    department: &str,
    lent_at: NaiveDateTime,
    returned_at: Option<NaiveDateTime>,
) -> Document {
    doc! {
        "_id": ctx.rng.object_id(lent_at),
        "tool_barcode": tool,
        "worker_barcode": worker,
        "department": department,
        "lent_at": bson_date(lent_at),
        "returned_at": bson_date_opt(returned_at),
        "created_at": bson_date(lent_at),
        "updated_at": bson_date(returned_at.unwrap_or(lent_at)),
    }
}

fn tools_and_lendings(ctx: &mut Ctx, people: &People) -> (Vec<Document>, Vec<Document>) {
    let now = ctx.now;
    let mut tools = Vec::with_capacity(ctx.scale);
    let mut lendings = Vec::with_capacity(ctx.scale * 2);
    for i in 0..ctx.scale {
        let department = ctx.department(i).to_string();
        let (name, category) = *ctx.rng.pick(TOOLS);
        let barcode = format!("1{i:05}");
        let created_at = ctx.rng.before(now, 45 * DAY, 4 * 365 * DAY);
        let deleted = ctx.rng.chance(0.04);
        let defect = !deleted && ctx.rng.chance(0.05);
        let workers = people.workers_in(&department);

        // Past lendings, one after the other, all returned.
        let mut t = created_at;
        let mut last_change = created_at;
        for _ in 0..ctx.rng.range(0, 4) {
            let lent_at = ctx.rng.after(t, 3_600, 30 * DAY);
            let returned_at = ctx.rng.after(lent_at, 1_800, 12 * DAY);
            if returned_at >= now - Duration::days(2) {
                break;
            }
            let worker = &ctx.rng.pick(&workers).barcode;
            lendings.push(lending(
                ctx,
                &barcode,
                worker,
                &department,
                lent_at,
                Some(returned_at),
            ));
            t = returned_at;
            last_change = returned_at;
        }
        // About one tool in six is out right now.
        let lent_now = !deleted && !defect && ctx.rng.chance(0.17);
        if lent_now {
            let earliest = t.max(now - Duration::days(21));
            let span = (now - earliest).num_seconds() - 600;
            let lent_at = ctx.rng.after(earliest, 60, span.max(61));
            let worker = &ctx.rng.pick(&workers).barcode;
            lendings.push(lending(ctx, &barcode, worker, &department, lent_at, None));
            last_change = lent_at;
        }
        let status = if lent_now {
            "ausgeliehen"
        } else if defect {
            "defekt"
        } else {
            "verfügbar"
        };
        let modified_at = ctx
            .rng
            .after(last_change, 0, (now - last_change).num_seconds().min(DAY));
        let serial = if ctx.rng.chance(0.85) {
            Bson::String(format!("SN-{}", ctx.rng.hex(10).to_uppercase()))
        } else {
            Bson::Null
        };
        let description = match ctx.rng.below(4) {
            0 => String::new(),
            1 => "Nach Gebrauch reinigen und zurück ins Fach legen.".into(),
            2 => format!("Gehört zur Ausstattung {department}, Prüfung jährlich."),
            _ => "Mit Koffer und Zubehör; Akku separat laden.".into(),
        };
        let mut tool = doc! {
            "_id": ctx.rng.object_id(created_at),
            "name": name,
            "barcode": &barcode,
            "description": description,
            "category": category,
            "location": *ctx.rng.pick(LOCATIONS),
            "status": status,
            "serial_number": serial,
            "department": &department,
            "created_at": bson_date(created_at),
            "modified_at": bson_date(modified_at),
            "updated_at": bson_date(modified_at),
            "deleted": deleted,
        };
        if deleted {
            let deleted_at =
                ctx.rng
                    .after(modified_at, 0, (now - modified_at).num_seconds().max(1));
            tool.insert("deleted_at", bson_date(deleted_at));
        }
        tools.push(tool);
    }
    (tools, lendings)
}

fn consumables(ctx: &mut Ctx) -> (Vec<Document>, Vec<(String, String)>) {
    let now = ctx.now;
    let n = ctx.share(5, ctx.departments.len());
    let mut docs = Vec::with_capacity(n);
    let mut barcodes = Vec::with_capacity(n);
    for i in 0..n {
        let department = ctx.department(i).to_string();
        let (name, unit, category, cents) = CONSUMABLES[i % CONSUMABLES.len()];
        let barcode = format!("2{i:05}");
        let created_at = ctx.rng.before(now, 30 * DAY, 3 * 365 * DAY);
        let min_quantity = ctx.rng.range(2, 30) as i32;
        let quantity = if ctx.rng.chance(0.1) {
            0
        } else {
            ctx.rng.range(0, 250) as i32
        };
        docs.push(doc! {
            "_id": ctx.rng.object_id(created_at),
            "name": name,
            "barcode": &barcode,
            "description": format!("{name} – Standardartikel"),
            "category": category,
            "location": *ctx.rng.pick(LOCATIONS),
            "quantity": quantity,
            "min_quantity": min_quantity,
            "unit": unit,
            "price": decimal(cents, 2),
            "department": &department,
            "deleted": false,
            "created_at": bson_date(created_at),
            "updated_at": bson_date(ctx.rng.before(now, 0, 30 * DAY)),
        });
        barcodes.push((barcode, department));
    }
    (docs, barcodes)
}

fn usages(ctx: &mut Ctx, people: &People, consumables: &[(String, String)]) -> Vec<Document> {
    let now = ctx.now;
    let n = ctx.scale * 2;
    let mut docs = Vec::with_capacity(n);
    for _ in 0..n {
        let (barcode, department) = ctx.rng.pick(consumables).clone();
        let workers = people.workers_in(&department);
        let worker = ctx.rng.pick(&workers).barcode.clone();
        let used_at = ctx.rng.before(now, 60, 365 * DAY);
        // Negative quantities are withdrawals, positive ones restocking.
        let quantity = if ctx.rng.chance(0.1) {
            ctx.rng.range(10, 100) as i32
        } else {
            -(ctx.rng.range(1, 12) as i32)
        };
        docs.push(doc! {
            "_id": ctx.rng.object_id(used_at),
            "consumable_barcode": barcode,
            "worker_barcode": worker,
            "quantity": quantity,
            "department": department,
            "used_at": bson_date(used_at),
            "created_at": bson_date(used_at),
            "updated_at": bson_date(used_at),
        });
    }
    docs
}

fn reference_lists(ctx: &mut Ctx) -> (Vec<Document>, Vec<Document>) {
    let now = ctx.now;
    let mut categories = Vec::new();
    let mut locations = Vec::new();
    let mut tool_categories: Vec<&str> = TOOLS.iter().map(|(_, c)| *c).collect();
    tool_categories.sort_unstable();
    tool_categories.dedup();
    let mut consumable_categories: Vec<&str> = CONSUMABLES.iter().map(|c| c.2).collect();
    consumable_categories.sort_unstable();
    consumable_categories.dedup();
    for department in ctx.departments.clone() {
        for (kind, list) in [
            ("tools", &tool_categories),
            ("consumables", &consumable_categories),
        ] {
            for name in list.iter() {
                let created = ctx.rng.before(now, 90 * DAY, 3 * 365 * DAY);
                categories.push(doc! {
                    "_id": ctx.rng.object_id(created),
                    "name": *name,
                    "type": kind,
                    "department": &department,
                    "deleted": false,
                    "created_at": bson_date(created),
                    "updated_at": bson_date(created),
                });
            }
        }
        for name in LOCATIONS {
            let created = ctx.rng.before(now, 90 * DAY, 3 * 365 * DAY);
            locations.push(doc! {
                "_id": ctx.rng.object_id(created),
                "name": *name,
                "department": &department,
                "deleted": false,
                "created_at": bson_date(created),
                "updated_at": bson_date(created),
            });
        }
    }
    (categories, locations)
}
