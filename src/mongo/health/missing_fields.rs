//! `missing-fields`: documents without `department` or `created_at` (automatic fix for
//! `created_at`, taken from the ObjectId).

use futures::TryStreamExt;
use mongodb::Database;
use mongodb::bson::{Bson, Document, doc};

use super::mongosh::update_many_statement;
use super::{
    CREATED_AT_COLLECTIONS, DEPARTMENT_COLLECTIONS, FixPlan, Found, MAX_EXAMPLES, MResult,
    NO_FIX_DEPARTMENT, coll, label,
};

/// `missing`, `null` or an empty string.
fn missing_filter(field: &str) -> Document {
    doc! { field: { "$in": [Bson::Null, ""] } }
}

fn created_at_fix_filter() -> Document {
    doc! { "created_at": null, "_id": { "$type": "objectId" } }
}

fn created_at_fix_update() -> Vec<Document> {
    vec![doc! { "$set": { "created_at": { "$toDate": "$_id" } } }]
}

pub(super) async fn missing_fields(db: &Database) -> MResult<Found> {
    let mut count = 0;
    let mut examples = Vec::new();
    let mut department_missing = 0;
    let mut fix_collections = Vec::new();
    let checks = DEPARTMENT_COLLECTIONS
        .iter()
        .map(|&c| (c, "department", missing_filter("department")))
        .chain(
            CREATED_AT_COLLECTIONS
                .iter()
                .map(|&c| (c, "created_at", doc! { "created_at": null })),
        );
    for (name, field, filter) in checks {
        let collection = coll(db, name);
        let n = collection.count_documents(filter.clone()).await?;
        if n == 0 {
            continue;
        }
        count += n;
        if field == "department" {
            department_missing += n;
        } else if collection.count_documents(created_at_fix_filter()).await? > 0 {
            fix_collections.push(name);
        }
        if examples.len() < MAX_EXAMPLES {
            let mut cursor = collection
                .find(filter)
                .sort(doc! { "_id": 1 })
                .limit((MAX_EXAMPLES - examples.len()) as i64)
                .projection(doc! { "barcode": 1, "name": 1, "username": 1, "title": 1, "firstname": 1, "lastname": 1 })
                .await?;
            while let Some(d) = cursor.try_next().await? {
                examples.push(format!("{}: no {field}", label(name, &d)));
            }
        }
    }
    let fix = (!fix_collections.is_empty()).then(|| FixPlan {
        description: format!(
            "set created_at from the ObjectId's creation time in {} (the ObjectId holds UTC, \
             Scandy's other dates are local time: may be off by the UTC offset)",
            fix_collections.join(", ")
        ),
        mongosh: fix_collections
            .iter()
            .map(|c| update_many_statement(c, &created_at_fix_filter(), &created_at_fix_update()))
            .collect::<Vec<_>>()
            .join("\n"),
    });
    Ok(Found {
        count,
        examples,
        fix,
        no_fix: (department_missing > 0).then(|| NO_FIX_DEPARTMENT.to_string()),
    })
}

pub(super) async fn fix_created_at(db: &Database) -> MResult<u64> {
    let mut modified = 0;
    for name in CREATED_AT_COLLECTIONS {
        let collection = coll(db, name);
        if collection.count_documents(created_at_fix_filter()).await? == 0 {
            continue;
        }
        let result = collection
            .update_many(created_at_fix_filter(), created_at_fix_update())
            .await?;
        modified += result.modified_count;
    }
    Ok(modified)
}
