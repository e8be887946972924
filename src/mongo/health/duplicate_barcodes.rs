//! `duplicate-barcodes`: barcodes used twice within one department (list only).

use mongodb::Database;
use mongodb::bson::{Bson, doc};

use super::{
    BARCODE_COLLECTIONS, Found, MAX_EXAMPLES, MResult, NO_FIX_DUPLICATES, coll, count_and_examples,
    number, show, text,
};

pub(super) async fn duplicate_barcodes(db: &Database) -> MResult<Found> {
    let mut count = 0;
    let mut examples = Vec::new();
    for &name in BARCODE_COLLECTIONS {
        let pipeline = vec![
            doc! { "$match": { "deleted": { "$ne": true }, "barcode": { "$nin": [Bson::Null, ""] } } },
            doc! {
                "$group": {
                    "_id": { "department": "$department", "barcode": "$barcode" },
                    "n": { "$sum": 1 },
                    "ids": { "$push": "$_id" },
                }
            },
            doc! { "$match": { "n": { "$gt": 1 } } },
        ];
        let (n, groups) = count_and_examples(
            &coll(db, name),
            pipeline,
            doc! { "_id.department": 1, "_id.barcode": 1 },
            doc! { "n": 1, "ids": { "$slice": ["$ids", MAX_EXAMPLES as i32] } },
        )
        .await?;
        count += n;
        for g in groups {
            if examples.len() >= MAX_EXAMPLES {
                break;
            }
            let key = g.get_document("_id").cloned().unwrap_or_default();
            let department = match key.get("department") {
                Some(Bson::String(d)) => format!("department {d}"),
                _ => "no department".into(),
            };
            let ids: Vec<String> = g
                .get_array("ids")
                .map(|a| a.iter().map(|id| show(Some(id))).collect())
                .unwrap_or_default();
            examples.push(format!(
                "{name}: barcode {} in {department} {}× ({})",
                text(key.get("barcode")),
                number(g.get("n").unwrap_or(&Bson::Null)),
                ids.join(", ")
            ));
        }
    }
    Ok(Found {
        count,
        examples,
        fix: None,
        no_fix: Some(NO_FIX_DUPLICATES.into()),
    })
}
