//! Applying oplog entries to restored (staging) collections: inserts, deletes, replacement
//! and operator updates, and the two update-diff layouts — mongod's `$v: 2` diff
//! (`u`/`i`/`d`/`s<field>`, arrays with `a`/`l`/`u<n>`/`s<n>`) and the change-stream style
//! one (`updatedFields`/`removedFields`/`truncatedArrays`). Entries are applied in oplog
//! order; each is idempotent, as mongorestore's oplog replay relies on.

use std::collections::{BTreeSet, HashMap};

use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use mongodb::Database;
use mongodb::bson::{Bson, Document, doc};
use serde::Serialize;

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReplayReport {
    /// Entries applied.
    pub applied: u64,
    /// Collections the entries named that the restored set does not hold (not recreated).
    pub skipped_collections: BTreeSet<String>,
    /// Commands that were not replayed (index and option changes come from the base).
    pub commands_not_replayed: Vec<String>,
}

impl ReplayReport {
    /// The outcome's notes: what was replayed, collections created after the base (those
    /// the base holds but the restore left out with `--collections` are no news), commands
    /// not replayed.
    pub fn notes(
        &self,
        slices: usize,
        at: chrono::DateTime<chrono::Utc>,
        base: &str,
        in_base: &[&str],
    ) -> Vec<String> {
        let mut notes = vec![format!(
            "replayed {} oplog entries from {slices} slice(s) up to {}",
            self.applied,
            at.format("%Y-%m-%d %H:%M:%S UTC")
        )];
        let created: Vec<&str> = self
            .skipped_collections
            .iter()
            .map(String::as_str)
            .filter(|name| !in_base.contains(name))
            .collect();
        if !created.is_empty() {
            notes.push(format!(
                "not restored: collection(s) created after {base}: {}",
                created.join(", ")
            ));
        }
        if !self.commands_not_replayed.is_empty() {
            notes.push(format!(
                "commands not replayed (indexes and options are those of {base}): {}",
                self.commands_not_replayed.join("; ")
            ));
        }
        notes
    }
}

/// Where the entries go: the restored collections under their staging names.
pub struct Target<'a> {
    /// The database being restored into.
    pub db: &'a Database,
    /// The live database the oplog names.
    pub source_db: &'a str,
    /// Collection name to the staging collection holding it.
    pub staging: &'a HashMap<String, String>,
}

/// Applies one oplog entry (a transaction's operations in order).
pub async fn apply_entry(
    target: &Target<'_>,
    entry: &Document,
    report: &mut ReplayReport,
) -> Result<()> {
    let op = entry.get_str("op").unwrap_or("");
    let ns = entry.get_str("ns").unwrap_or("");
    match op {
        "n" | "" => return Ok(()),
        "c" => return Box::pin(apply_command(target, ns, entry, report)).await,
        _ => {}
    }
    let Some(collection) = ns
        .strip_prefix(target.source_db)
        .and_then(|r| r.strip_prefix('.'))
    else {
        return Ok(());
    };
    let Some(staging) = target.staging.get(collection) else {
        report.skipped_collections.insert(collection.to_string());
        return Ok(());
    };
    let coll = target.db.collection::<Document>(staging);
    let o = entry
        .get_document("o")
        .map_err(|_| eyre!("an oplog entry of {ns} without its document"))?;
    let context = || format!("cannot apply an oplog entry ({op}) to {collection}");
    match op {
        "i" => {
            let id = o
                .get("_id")
                .cloned()
                .ok_or_else(|| eyre!("insert into {ns} without _id"))?;
            coll.replace_one(doc! { "_id": id }, o.clone())
                .upsert(true)
                .await
                .wrap_err_with(context)?;
        }
        "d" => {
            let id = o
                .get("_id")
                .cloned()
                .ok_or_else(|| eyre!("delete in {ns} without _id"))?;
            coll.delete_one(doc! { "_id": id })
                .await
                .wrap_err_with(context)?;
        }
        "u" => {
            let id = entry
                .get_document("o2")
                .ok()
                .and_then(|o2| o2.get("_id").cloned())
                .ok_or_else(|| eyre!("update in {ns} without o2._id"))?;
            let filter = doc! { "_id": id };
            if let Ok(diff) = o.get_document("diff") {
                let Some(mut current) =
                    coll.find_one(filter.clone()).await.wrap_err_with(context)?
                else {
                    report.applied += 1;
                    return Ok(()); // deleted later in the oplog: nothing to update
                };
                apply_diff_any(&mut current, diff).wrap_err_with(context)?;
                coll.replace_one(filter, current)
                    .await
                    .wrap_err_with(context)?;
            } else if o.keys().any(|k| k.starts_with('$') && k != "$v") {
                let mut update = o.clone();
                update.remove("$v");
                coll.update_one(filter, update)
                    .await
                    .wrap_err_with(context)?;
            } else {
                coll.replace_one(filter, o.clone())
                    .upsert(true)
                    .await
                    .wrap_err_with(context)?;
            }
        }
        other => bail!("unknown oplog operation {other:?} in {ns}"),
    }
    report.applied += 1;
    Ok(())
}

async fn apply_command(
    target: &Target<'_>,
    ns: &str,
    entry: &Document,
    report: &mut ReplayReport,
) -> Result<()> {
    let Ok(o) = entry.get_document("o") else {
        return Ok(());
    };
    if let Ok(ops) = o.get_array("applyOps") {
        for inner in ops {
            if let Bson::Document(inner) = inner {
                apply_entry(target, inner, report).await?;
            }
        }
        return Ok(());
    }
    if ns != format!("{}.$cmd", target.source_db) && !o.contains_key("renameCollection") {
        return Ok(());
    }
    if let Some((name, _)) = o.iter().next() {
        report
            .commands_not_replayed
            .push(format!("{name} {}", o.get_str(name).unwrap_or_default()));
    }
    Ok(())
}

/// Applies either update-diff layout to `doc`.
pub fn apply_diff_any(doc: &mut Document, diff: &Document) -> Result<()> {
    if diff.contains_key("updatedFields")
        || diff.contains_key("removedFields")
        || diff.contains_key("truncatedArrays")
    {
        apply_field_changes(doc, diff)
    } else {
        apply_v2_diff(doc, diff)
    }
}

/// mongod's `$v: 2` document diff.
pub fn apply_v2_diff(doc: &mut Document, diff: &Document) -> Result<()> {
    for (key, value) in diff {
        match key.as_str() {
            "u" | "i" => {
                for (field, v) in as_doc(value, key)? {
                    doc.insert(field.clone(), v.clone());
                }
            }
            "d" => {
                for (field, _) in as_doc(value, key)? {
                    doc.remove(field);
                }
            }
            _ if key.starts_with('s') && key.len() > 1 => {
                let field = &key[1..];
                let sub = as_doc(value, key)?;
                match doc.get_mut(field) {
                    Some(Bson::Document(inner)) => apply_v2_diff(inner, sub)?,
                    Some(Bson::Array(items)) => apply_array_diff(items, sub)?,
                    _ => {
                        bail!("the diff changes {field}, which is neither a document nor an array")
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn apply_array_diff(items: &mut Vec<Bson>, diff: &Document) -> Result<()> {
    if let Some(len) = diff.get("l") {
        let len = as_index(len)?;
        items.resize(len, Bson::Null);
    }
    for (key, value) in diff {
        let Some(index) = key.get(1..).and_then(|i| i.parse::<usize>().ok()) else {
            continue;
        };
        if key.starts_with('u') {
            if index >= items.len() {
                items.resize(index + 1, Bson::Null);
            }
            items[index] = value.clone();
        } else if key.starts_with('s') {
            let sub = as_doc(value, key)?;
            match items.get_mut(index) {
                Some(Bson::Document(inner)) => apply_v2_diff(inner, sub)?,
                Some(Bson::Array(inner)) => apply_array_diff(inner, sub)?,
                _ => bail!(
                    "the diff changes element {index}, which is neither a document nor an array"
                ),
            }
        }
    }
    Ok(())
}

/// The change-stream style layout: dotted paths set, removed, arrays truncated.
pub fn apply_field_changes(doc: &mut Document, diff: &Document) -> Result<()> {
    if let Ok(truncated) = diff.get_array("truncatedArrays") {
        for t in truncated {
            let t = as_doc(t, "truncatedArrays")?;
            let field = t
                .get_str("field")
                .map_err(|_| eyre!("truncatedArrays without field"))?;
            let size = as_index(t.get("newSize").unwrap_or(&Bson::Int32(0)))?;
            if let Some(Bson::Array(items)) = get_path_mut(doc, field) {
                items.truncate(size);
            }
        }
    }
    if let Ok(removed) = diff.get_array("removedFields") {
        for path in removed {
            if let Bson::String(path) = path {
                unset_path(doc, path);
            }
        }
    }
    if let Ok(updated) = diff.get_document("updatedFields") {
        for (path, value) in updated {
            set_path(doc, path, value.clone())?;
        }
    }
    Ok(())
}

fn get_path_mut<'a>(doc: &'a mut Document, path: &str) -> Option<&'a mut Bson> {
    let mut parts = path.split('.');
    let mut current = doc.get_mut(parts.next()?)?;
    for part in parts {
        current = match current {
            Bson::Document(d) => d.get_mut(part)?,
            Bson::Array(a) => a.get_mut(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

fn set_path(doc: &mut Document, path: &str, value: Bson) -> Result<()> {
    match path.split_once('.') {
        None => {
            doc.insert(path, value);
            Ok(())
        }
        Some((head, rest)) => {
            let child = doc
                .entry(head.to_string())
                .or_insert_with(|| Bson::Document(Document::new()));
            set_in(child, rest, value)
        }
    }
}

fn set_in(node: &mut Bson, path: &str, value: Bson) -> Result<()> {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    match node {
        Bson::Document(d) => match rest {
            None => {
                d.insert(head, value);
                Ok(())
            }
            Some(rest) => set_in(
                d.entry(head.to_string())
                    .or_insert_with(|| Bson::Document(Document::new())),
                rest,
                value,
            ),
        },
        Bson::Array(items) => {
            let index: usize = head
                .parse()
                .map_err(|_| eyre!("field {head} of an array"))?;
            if index >= items.len() {
                items.resize(index + 1, Bson::Null);
            }
            match rest {
                None => {
                    items[index] = value;
                    Ok(())
                }
                Some(rest) => set_in(&mut items[index], rest, value),
            }
        }
        _ => bail!("cannot set {path} inside a scalar"),
    }
}

fn unset_path(doc: &mut Document, path: &str) {
    match path.rsplit_once('.') {
        None => {
            doc.remove(path);
        }
        Some((parent, last)) => match get_path_mut(doc, parent) {
            Some(Bson::Document(d)) => {
                d.remove(last);
            }
            Some(Bson::Array(items)) => {
                if let Ok(i) = last.parse::<usize>()
                    && i < items.len()
                {
                    items[i] = Bson::Null;
                }
            }
            _ => {}
        },
    }
}

fn as_doc<'a>(value: &'a Bson, key: &str) -> Result<&'a Document> {
    match value {
        Bson::Document(d) => Ok(d),
        _ => bail!("the diff's {key} is not a document"),
    }
}

fn as_index(value: &Bson) -> Result<usize> {
    match value {
        Bson::Int32(v) => usize::try_from(*v).map_err(|_| eyre!("negative array length")),
        Bson::Int64(v) => usize::try_from(*v).map_err(|_| eyre!("negative array length")),
        Bson::Double(v) if *v >= 0.0 => Ok(*v as usize),
        _ => bail!("an array length that is not a number"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mongod_v2_diffs_apply_to_fields_subdocuments_and_arrays() {
        let mut d = doc! { "a": 1, "b": { "c": 1, "x": 0 }, "arr": [1, 2, 3], "gone": true };
        let diff = doc! {
            "u": { "a": 2 },
            "i": { "neu": "ja" },
            "d": { "gone": false },
            "sb": { "u": { "c": 5 }, "d": { "x": false } },
            "sarr": { "a": true, "l": 2, "u1": 9, "u3": 4 },
        };
        apply_diff_any(&mut d, &diff).unwrap();
        assert_eq!(
            d,
            doc! { "a": 2, "b": { "c": 5 }, "arr": [1, 9, Bson::Null, 4], "neu": "ja" }
        );
    }

    #[test]
    fn change_stream_style_diffs_apply_by_dotted_path() {
        let mut d = doc! { "a": 1, "b": { "c": 1 }, "arr": [1, 2, 3, 4], "gone": 1 };
        let diff = doc! {
            "updatedFields": { "a": 2, "b.c": 3, "b.n.m": 1, "arr.0": 7 },
            "removedFields": ["gone"],
            "truncatedArrays": [ { "field": "arr", "newSize": 2 } ],
        };
        apply_diff_any(&mut d, &diff).unwrap();
        assert_eq!(
            d,
            doc! { "a": 2, "b": { "c": 3, "n": { "m": 1 } }, "arr": [7, 2] }
        );
    }
}
