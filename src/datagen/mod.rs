//! A deterministic generator of Scandy-like data for tests and the demo.
//!
//! [`generate`] builds every collection Scandy knows with the document shapes of the
//! real app (German values, naive local timestamps as BSON dates), [`seed`] writes it
//! to a database with Scandy's own indexes, and [`to_scandy_json_v2`] renders it in
//! Scandy's JSON backup format.

mod indexes;
mod inventory;
mod json_v2;
mod misc;
mod names;
mod people;
/// Deterministic random source shared with the demo's log generator.
pub(crate) mod rng;
mod tickets;

use chrono::{NaiveDate, NaiveDateTime};
use mongodb::bson::Document;

pub use indexes::{IndexSpec, SeedReport, expected_indexes, seed};
pub use json_v2::{bson_to_scandy_json, to_scandy_json_v2};

/// Every collection Scandy uses, in the order of `scandy-facts.md`.
pub const COLLECTIONS: &[&str] = &[
    "tools",
    "consumables",
    "workers",
    "lendings",
    "consumable_usages",
    "users",
    "settings",
    "tickets",
    "ticket_messages",
    "ticket_notes",
    "ticket_assignments",
    "ticket_history",
    "messages",
    "ticket_categories",
    "auftrag_details",
    "auftrag_material",
    "auftrag_arbeit",
    "categories",
    "locations",
    "custom_fields",
    "feature_settings",
    "user_groups",
    "software",
    "jobs",
    "timesheets",
    "homepage_notices",
    "notifications",
    "canteen_meals",
    "email_config",
    "import_jobs",
    "system_locks",
    "experiences",
    "consumptions",
    "system_logs",
];

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenOptions {
    /// Seed of the random source: same seed, same dataset.
    pub seed: u64,
    /// Roughly the number of tools; the other collections grow in proportion.
    pub scale: usize,
    /// Department names (`department` fields, `allowed_departments`).
    pub departments: Vec<String>,
    /// "Now" for the data: every timestamp lies before it, TTL dates after it.
    pub now: NaiveDateTime,
    /// Whether [`seed`] callers want the legacy unique `barcode_1` index on tools.
    pub include_legacy_barcode_index: bool,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            seed: 42,
            scale: 500,
            departments: ["Werkstatt", "Elektro", "Verwaltung"]
                .map(String::from)
                .to_vec(),
            now: NaiveDate::from_ymd_opt(2025, 7, 31)
                .and_then(|d| d.and_hms_opt(21, 0, 0))
                .unwrap_or_default(),
            include_legacy_barcode_index: false,
        }
    }
}

/// A generated database: collection name and its documents, in [`COLLECTIONS`] order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dataset {
    /// `(collection, documents)` pairs.
    pub collections: Vec<(String, Vec<Document>)>,
}

impl Dataset {
    /// Returns the documents of one collection, if it exists.
    pub fn get(&self, collection: &str) -> Option<&[Document]> {
        self.collections
            .iter()
            .find(|(name, _)| name == collection)
            .map(|(_, docs)| docs.as_slice())
    }

    /// Returns the number of documents per collection.
    pub fn counts(&self) -> Vec<(String, usize)> {
        self.collections
            .iter()
            .map(|(name, docs)| (name.clone(), docs.len()))
            .collect()
    }

    /// Returns the number of documents over all collections.
    pub fn total_documents(&self) -> usize {
        self.collections.iter().map(|(_, docs)| docs.len()).sum()
    }
}

/// Shared state of one generator run.
pub(crate) struct Ctx {
    /// The run's random source.
    pub rng: rng::Rng,
    /// "Now" of the dataset.
    pub now: NaiveDateTime,
    /// Number of tools.
    pub scale: usize,
    /// Department names (never empty).
    pub departments: Vec<String>,
}

impl Ctx {
    /// Returns the department at `i` (cycling).
    pub fn department(&self, i: usize) -> &str {
        &self.departments[i % self.departments.len()]
    }

    /// Returns a random department.
    pub fn random_department(&mut self) -> String {
        let i = self.rng.below(self.departments.len());
        self.departments[i].clone()
    }

    /// Returns `scale / div`, but at least `min`.
    pub fn share(&self, div: usize, min: usize) -> usize {
        (self.scale / div.max(1)).max(min)
    }
}

/// Generates a complete Scandy database; the same options give the same dataset.
pub fn generate(opts: &GenOptions) -> Dataset {
    let departments = if opts.departments.is_empty() {
        vec!["Werkstatt".to_string()]
    } else {
        opts.departments.clone()
    };
    let mut ctx = Ctx {
        rng: rng::Rng::new(opts.seed),
        now: opts.now,
        scale: opts.scale.max(1),
        departments,
    };
    let people = people::generate(&mut ctx);
    let inventory = inventory::generate(&mut ctx, &people);
    let tickets = tickets::generate(&mut ctx, &people);
    let misc = misc::generate(&mut ctx, &people, &inventory.consumable_barcodes);

    let mut all: Vec<(&str, Vec<Document>)> = Vec::new();
    all.extend(inventory.collections);
    all.extend(people.collections);
    all.extend(tickets);
    all.extend(misc);
    let collections = COLLECTIONS
        .iter()
        .map(|&name| {
            let docs = all
                .iter_mut()
                .find(|(n, _)| *n == name)
                .map(|(_, docs)| std::mem::take(docs))
                .unwrap_or_default();
            (name.to_string(), docs)
        })
        .collect();
    Dataset { collections }
}
