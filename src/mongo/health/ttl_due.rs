//! `ttl-due`: users and workers the TTL index deletes soon (informational).

use chrono::{Duration, NaiveDateTime};
use futures::TryStreamExt;
use mongodb::Database;
use mongodb::bson::doc;

use super::{
    Found, MAX_EXAMPLES, MResult, NO_FIX_TTL, TTL_WINDOW_DAYS, bson_date, coll, naive, text,
};

pub(super) async fn ttl_due(db: &Database, now: NaiveDateTime) -> MResult<Found> {
    let limit = now + Duration::days(TTL_WINDOW_DAYS);
    let filter = doc! { "delete_at": { "$lte": bson_date(limit) } };
    let mut count = 0;
    let mut found: Vec<(i64, String)> = Vec::new();
    for name in ["users", "workers"] {
        let collection = coll(db, name);
        count += collection.count_documents(filter.clone()).await?;
        let mut cursor = collection
            .find(filter.clone())
            .sort(doc! { "delete_at": 1, "_id": 1 })
            .limit(MAX_EXAMPLES as i64)
            .projection(doc! { "username": 1, "role": 1, "barcode": 1, "firstname": 1, "lastname": 1, "delete_at": 1 })
            .await?;
        while let Some(d) = cursor.try_next().await? {
            let Ok(at) = d.get_datetime("delete_at") else {
                continue;
            };
            let when = naive(at).map_or_else(
                || at.to_string(),
                |t| {
                    let days = (t - now).num_days();
                    let relative = if t < now {
                        format!("overdue by {} day(s)", (now - t).num_days())
                    } else {
                        format!("in {days} day(s)")
                    };
                    format!("{} ({relative})", t.format("%Y-%m-%d %H:%M"))
                },
            );
            let who = match name {
                "users" => format!(
                    "users {} {} ({} {})",
                    text(d.get("role")),
                    text(d.get("username")),
                    text(d.get("firstname")),
                    text(d.get("lastname"))
                ),
                _ => format!(
                    "workers {} {} {}",
                    text(d.get("barcode")),
                    text(d.get("firstname")),
                    text(d.get("lastname"))
                ),
            };
            found.push((at.timestamp_millis(), format!("{who}: delete_at {when}")));
        }
    }
    found.sort();
    let examples = found
        .into_iter()
        .take(MAX_EXAMPLES)
        .map(|(_, line)| line)
        .collect();
    Ok(Found {
        count,
        examples,
        fix: None,
        no_fix: Some(NO_FIX_TTL.into()),
    })
}
