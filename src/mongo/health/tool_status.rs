//! `tool-status`: tool `status` out of step with the open lendings (automatic fix).

use chrono::NaiveDateTime;
use futures::TryStreamExt;
use mongodb::Database;
use mongodb::bson::{Bson, Document, doc};

use super::mongosh::{mongosh_doc, mongosh_pipeline, mongosh_value};
use super::{FixPlan, Found, MAX_EXAMPLES, MResult, bson_date, coll, count_and_examples, label};

/// One direction of the tool-status check.
struct StatusRule {
    /// Status of the inconsistent tools.
    from: &'static str,
    /// Status the fix sets.
    to: &'static str,
    /// Whether the inconsistent tools have an open lending.
    has_open: bool,
    /// Example suffix.
    problem: &'static str,
}

const STATUS_RULES: [StatusRule; 2] = [
    StatusRule {
        from: "ausgeliehen",
        to: "verfügbar",
        has_open: false,
        problem: "status ausgeliehen but no open lending",
    },
    StatusRule {
        from: "verfügbar",
        to: "ausgeliehen",
        has_open: true,
        problem: "status verfügbar but an open lending",
    },
];

/// Tools with `rule.from` whose open lendings contradict it (soft-deleted tools are ignored).
fn status_pipeline(rule: &StatusRule) -> Vec<Document> {
    let open = if rule.has_open {
        doc! { "open_lendings.0": { "$exists": true } }
    } else {
        doc! { "open_lendings": { "$size": 0 } }
    };
    vec![
        doc! { "$match": { "status": rule.from, "deleted": { "$ne": true } } },
        doc! {
            "$lookup": {
                "from": "lendings",
                "localField": "barcode",
                "foreignField": "tool_barcode",
                "pipeline": [
                    { "$match": { "returned_at": null } },
                    { "$limit": 1 },
                    { "$project": { "_id": 1 } },
                ],
                "as": "open_lendings",
            }
        },
        doc! { "$match": open },
    ]
}

fn status_update(rule: &StatusRule, now: NaiveDateTime) -> Document {
    doc! { "$set": { "status": rule.to, "modified_at": bson_date(now) } }
}

fn tool_status_plan(now: NaiveDateTime) -> FixPlan {
    let mut lines = Vec::new();
    for (i, rule) in STATUS_RULES.iter().enumerate() {
        let mut pipeline = status_pipeline(rule);
        pipeline.push(doc! { "$project": { "_id": 1 } });
        let var = format!("ids{}", i + 1);
        lines.push(format!(
            "const {var} = db.tools.aggregate({}).toArray().map(d => d._id);",
            mongosh_pipeline(&pipeline)
        ));
        lines.push(format!(
            "db.tools.updateMany({{ _id: {{ $in: {var} }}, status: {} }}, {});",
            mongosh_value(&Bson::String(rule.from.into())),
            mongosh_doc(&status_update(rule, now))
        ));
    }
    FixPlan {
        description: "set status verfügbar on tools marked ausgeliehen without an open lending \
             and ausgeliehen on tools marked verfügbar with an open lending (modified_at = now)"
            .into(),
        mongosh: lines.join("\n"),
    }
}

pub(super) async fn tool_status(db: &Database, now: NaiveDateTime) -> MResult<Found> {
    let tools = coll(db, "tools");
    let mut count = 0;
    let mut examples = Vec::new();
    for rule in &STATUS_RULES {
        let (n, docs) = count_and_examples(
            &tools,
            status_pipeline(rule),
            doc! { "_id": 1 },
            doc! { "barcode": 1, "name": 1 },
        )
        .await?;
        count += n;
        examples.extend(
            docs.iter()
                .map(|d| format!("{}: {}", label("tools", d), rule.problem)),
        );
    }
    examples.truncate(MAX_EXAMPLES);
    Ok(Found {
        count,
        examples,
        fix: Some(tool_status_plan(now)),
        no_fix: None,
    })
}

pub(super) async fn fix_tool_status(db: &Database, now: NaiveDateTime) -> MResult<u64> {
    let tools = coll(db, "tools");
    let mut modified = 0;
    for rule in &STATUS_RULES {
        let mut pipeline = status_pipeline(rule);
        pipeline.push(doc! { "$project": { "_id": 1 } });
        // Only the _ids of the inconsistent tools are held, never whole documents.
        let ids: Vec<Bson> = tools
            .aggregate(pipeline)
            .await?
            .try_filter_map(|d| async move { Ok(d.get("_id").cloned()) })
            .try_collect()
            .await?;
        for chunk in ids.chunks(1000) {
            let result = tools
                .update_many(
                    doc! { "_id": { "$in": chunk.to_vec() }, "status": rule.from },
                    status_update(rule, now),
                )
                .await?;
            modified += result.modified_count;
        }
    }
    Ok(modified)
}
