//! `lending-orphans`: lendings pointing at missing tools or workers (list only).

use mongodb::Database;
use mongodb::bson::{Bson, Document, doc};

use super::{Found, MResult, NO_FIX_ORPHANS, coll, count_and_examples, show, text};

fn exists_lookup(from: &str, local: &str, as_field: &str) -> Document {
    doc! {
        "$lookup": {
            "from": from,
            "localField": local,
            "foreignField": "barcode",
            "pipeline": [{ "$limit": 1 }, { "$project": { "_id": 1 } }],
            "as": as_field,
        }
    }
}

pub(super) async fn lending_orphans(db: &Database) -> MResult<Found> {
    let pipeline = vec![
        exists_lookup("tools", "tool_barcode", "tool"),
        exists_lookup("workers", "worker_barcode", "worker"),
        doc! { "$match": { "$or": [{ "tool": { "$size": 0 } }, { "worker": { "$size": 0 } }] } },
    ];
    let (count, docs) = count_and_examples(
        &coll(db, "lendings"),
        pipeline,
        doc! { "_id": 1 },
        doc! {
            "tool_barcode": 1,
            "worker_barcode": 1,
            "returned_at": 1,
            "missing_tool": { "$eq": [{ "$size": "$tool" }, 0] },
            "missing_worker": { "$eq": [{ "$size": "$worker" }, 0] },
        },
    )
    .await?;
    let examples = docs
        .iter()
        .map(|d| {
            let missing = |key: &str| {
                if d.get_bool(key).unwrap_or(false) {
                    " (missing)"
                } else {
                    ""
                }
            };
            let open = match d.get("returned_at") {
                None | Some(Bson::Null) => "open",
                Some(_) => "returned",
            };
            format!(
                "lendings {}: tool {}{} → worker {}{}, {open}",
                show(d.get("_id")),
                text(d.get("tool_barcode")),
                missing("missing_tool"),
                text(d.get("worker_barcode")),
                missing("missing_worker"),
            )
        })
        .collect();
    Ok(Found {
        count,
        examples,
        fix: None,
        no_fix: Some(NO_FIX_ORPHANS.into()),
    })
}
