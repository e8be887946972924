//! `string-types`: string `_id`s (reported) and date fields holding strings (fixed:
//! parseable strings become BSON dates, empty ones null, the rest stay as they are).

use futures::TryStreamExt;
use mongodb::Database;
use mongodb::bson::{Bson, Document, doc};

use super::mongosh::update_many_statement;
use super::{
    CORE_COLLECTIONS, DATE_FIELDS, FixPlan, Found, MAX_EXAMPLES, MResult, NO_FIX_STRING_IDS, coll,
    label, number, show,
};

/// `{field: {$type: "string"}}`.
fn string_type(field: &str) -> Document {
    doc! { field: { "$type": "string" } }
}

/// 1 when `field` is a string, else 0 (for `$sum`).
fn is_string_expr(field: &str) -> Document {
    doc! { "$cond": [{ "$eq": [{ "$type": format!("${field}") }, "string"] }, 1, 0] }
}

/// Date fields whose empty string the fix leaves alone: Scandy reads a lending whose
/// `returned_at` is null as still open, so null would reopen it.
const KEEP_BLANK: [&str; 1] = ["returned_at"];

/// The update pipeline for a string date `field`: an empty (or blank) string becomes
/// null (except in [`KEEP_BLANK`] fields), a parseable one a BSON date, anything else
/// stays unchanged. Only applied to documents where `field` is a string (see [`string_type`]).
fn string_date_update(field: &str) -> Vec<Document> {
    let value = format!("${field}");
    let blank = if KEEP_BLANK.contains(&field) {
        Bson::String(value.clone())
    } else {
        Bson::Null
    };
    vec![doc! {
        "$set": {
            field: {
                "$cond": [
                    { "$eq": [{ "$trim": { "input": &value } }, ""] },
                    blank,
                    { "$dateFromString": { "dateString": &value, "onError": &value } },
                ]
            }
        }
    }]
}

/// Whether `value` is an empty or blank string (what the fix turns into null).
fn is_blank(value: &Bson) -> bool {
    matches!(value, Bson::String(s) if s.trim().is_empty())
}

/// String values per collection: `(collection, string _ids, [(date field, count)])`.
type StringCounts = Vec<(&'static str, u64, Vec<(&'static str, u64)>)>;

/// Counts string `_id`s and string dates with one aggregation per collection.
async fn string_counts(db: &Database, examples: &mut Vec<String>) -> MResult<StringCounts> {
    let mut out = Vec::new();
    for &name in CORE_COLLECTIONS {
        let mut or: Vec<Document> = vec![string_type("_id")];
        or.extend(DATE_FIELDS.iter().map(|f| string_type(f)));
        let mut group = doc! { "_id": Bson::Null, "id_string": { "$sum": is_string_expr("_id") } };
        for field in DATE_FIELDS {
            group.insert(*field, doc! { "$sum": is_string_expr(field) });
        }
        let mut project = doc! { "barcode": 1, "name": 1, "username": 1, "title": 1, "firstname": 1, "lastname": 1 };
        for field in DATE_FIELDS {
            project.insert(*field, 1);
        }
        let pipeline = vec![
            doc! { "$match": { "$or": or } },
            doc! {
                "$facet": {
                    "counts": [{ "$group": group }],
                    "examples": [{ "$sort": { "_id": 1 } }, { "$limit": MAX_EXAMPLES as i64 }, { "$project": project }],
                }
            },
        ];
        let mut cursor = coll(db, name).aggregate(pipeline).await?;
        let Some(result) = cursor.try_next().await? else {
            continue;
        };
        let Some(counts) = result
            .get_array("counts")
            .ok()
            .and_then(|a| a.first())
            .and_then(Bson::as_document)
        else {
            continue;
        };
        let ids = counts.get("id_string").map_or(0, number);
        let dates: Vec<(&'static str, u64)> = DATE_FIELDS
            .iter()
            .map(|f| (*f, counts.get(f).map_or(0, number)))
            .filter(|(_, n)| *n > 0)
            .collect();
        for d in result
            .get_array("examples")
            .map(|a| a.iter().filter_map(Bson::as_document).collect::<Vec<_>>())
            .unwrap_or_default()
        {
            if examples.len() >= MAX_EXAMPLES {
                break;
            }
            let mut problems = Vec::new();
            if matches!(d.get("_id"), Some(Bson::String(_))) {
                problems.push("_id is a string".to_string());
            }
            for field in DATE_FIELDS {
                match d.get(field) {
                    Some(value) if is_blank(value) => {
                        problems.push(format!("{field} {} is an empty string", show(Some(value))))
                    }
                    Some(value @ Bson::String(_)) => {
                        problems.push(format!("{field} {} is a string", show(Some(value))))
                    }
                    _ => {}
                }
            }
            examples.push(format!("{}: {}", label(name, d), problems.join(", ")));
        }
        if ids > 0 || !dates.is_empty() {
            out.push((name, ids, dates));
        }
    }
    Ok(out)
}

/// `(collection, date field)` of every field holding strings.
fn string_dates_statements(counts: &StringCounts) -> Vec<(&'static str, &'static str)> {
    counts
        .iter()
        .flat_map(|(c, _, dates)| dates.iter().map(move |(f, _)| (*c, *f)))
        .collect()
}

/// Counts string `_id`s and string dates; the fix converts the dates.
pub(super) async fn string_types(db: &Database) -> MResult<Found> {
    let mut examples = Vec::new();
    let counts = string_counts(db, &mut examples).await?;
    let count = counts
        .iter()
        .map(|(_, ids, dates)| ids + dates.iter().map(|(_, n)| n).sum::<u64>())
        .sum();
    let string_ids: u64 = counts.iter().map(|(_, ids, _)| ids).sum();
    let pairs = string_dates_statements(&counts);
    let keeps_blank = pairs.iter().any(|(_, f)| KEEP_BLANK.contains(f));
    let fix = (!pairs.is_empty()).then(|| FixPlan {
        description: format!(
            "convert date strings to BSON dates with $dateFromString ({}); empty strings \
             become null, strings it cannot parse stay unchanged{}",
            pairs
                .iter()
                .map(|(c, f)| format!("{c}.{f}"))
                .collect::<Vec<_>>()
                .join(", "),
            if keeps_blank {
                "; an empty returned_at stays as it is (null would reopen the lending)"
            } else {
                ""
            }
        ),
        mongosh: pairs
            .iter()
            .map(|(c, f)| update_many_statement(c, &string_type(f), &string_date_update(f)))
            .collect::<Vec<_>>()
            .join("\n"),
    });
    Ok(Found {
        count,
        examples,
        fix,
        no_fix: (string_ids > 0).then(|| NO_FIX_STRING_IDS.to_string()),
    })
}

/// Converts the string dates (see [`string_date_update`]); returns the modified count.
pub(super) async fn fix_string_dates(db: &Database) -> MResult<u64> {
    let counts = string_counts(db, &mut Vec::new()).await?;
    let mut modified = 0;
    for (name, field) in string_dates_statements(&counts) {
        let result = coll(db, name)
            .update_many(string_type(field), string_date_update(field))
            .await?;
        modified += result.modified_count;
    }
    Ok(modified)
}
