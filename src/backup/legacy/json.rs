//! Scandy's JSON backups (`scandy_backup_<ts>.json`), read as a stream: one document in
//! memory at a time, whatever the file's size.
//!
//! Version 2.0 wraps datetimes and ObjectIds as `{"__type__": ..., "value": ...}`; version 1.0
//! and older files have no markers and hold dates as strings. `_id`s are plain 24-hex strings
//! in both. Type recovery (unless `keep_types`) turns those strings back into ObjectIds and,
//! for files without markers, date strings into dates; every change is counted.

use std::io::Read;

use chrono::NaiveDateTime;
use color_eyre::Result;
use color_eyre::eyre::eyre;
use mongodb::bson::{self, Bson, Document, RawDocumentBuf, oid::ObjectId};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

pub use super::dates::parse_date_string;
use super::{Conversions, LegacyFile, LegacyFormat, LegacySink, ReadOptions, ReaderNote};
use crate::backup::archive::CollectionMetadata;

/// What a JSON backup declares about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonInfo {
    /// v1 (also older files without metadata) or v2.
    pub format: LegacyFormat,
    /// `metadata.version`, if present.
    pub version: Option<String>,
    /// `metadata.created_at` (Scandy's local time), if present and readable.
    pub created_at: Option<NaiveDateTime>,
    /// Declared collections with their counts (v1 declares counts; v2 only names).
    pub declared: Vec<(String, Option<u64>)>,
}

/// Whether the first bytes of a file are a Scandy JSON backup, and which version.
pub fn sniff_json(head: &[u8]) -> Option<LegacyFormat> {
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let text = String::from_utf8_lossy(text);
    let rest = text.trim_start().strip_prefix('{')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let (key, after) = rest.split_once('"')?;
    let value = after.trim_start().strip_prefix(':')?.trim_start();
    let v2 = text.contains("\"__type__\"") || declares_version_2(&text);
    match key {
        "metadata" if value.starts_with('{') => Some(if v2 {
            LegacyFormat::ScandyJsonV2
        } else {
            LegacyFormat::ScandyJsonV1
        }),
        // Older files: collections at the top level, each an array of documents.
        _ if value.starts_with('[') => Some(if v2 {
            LegacyFormat::ScandyJsonV2
        } else {
            LegacyFormat::ScandyJsonV1
        }),
        "data" if value.starts_with('{') => Some(if v2 {
            LegacyFormat::ScandyJsonV2
        } else {
            LegacyFormat::ScandyJsonV1
        }),
        _ => None,
    }
}

fn declares_version_2(text: &str) -> bool {
    let Some(at) = text.find("\"version\"") else {
        return false;
    };
    let value = text[at + "\"version\"".len()..]
        .trim_start()
        .strip_prefix(':')
        .map(str::trim_start)
        .unwrap_or_default();
    value.starts_with("\"2") || value.starts_with('2')
}

/// Reads only what the backup declares (its metadata), stopping right after it.
pub fn read_json_info<R: Read>(input: R, source: &str) -> Result<JsonInfo> {
    let mut sink = NullSink;
    let opts = ReadOptions::default();
    let mut ctx = Context::new(&opts, &mut sink, true);
    let mut de = serde_json::Deserializer::from_reader(input);
    let result = (&mut de).deserialize_map(TopVisitor { ctx: &mut ctx });
    match result {
        Ok(()) => {}
        Err(_) if ctx.stopped => {}
        Err(e) => return Err(ctx.error(e, source)),
    }
    Ok(ctx.info())
}

/// Streams every collection of the backup into `sink`; returns what it declared.
pub fn read_json<R: Read>(
    input: R,
    source: &str,
    opts: &ReadOptions,
    sink: &mut dyn LegacySink,
) -> Result<JsonInfo> {
    let mut ctx = Context::new(opts, sink, false);
    let mut de = serde_json::Deserializer::from_reader(input);
    if let Err(e) = (&mut de).deserialize_map(TopVisitor { ctx: &mut ctx }) {
        return Err(ctx.error(e, source));
    }
    de.end()
        .map_err(|e| eyre!("{source}: unexpected bytes after the backup's JSON object: {e}"))?;
    let info = ctx.info();
    compare_declared(&info, &ctx.found, source, ctx.sink);
    Ok(info)
}

/// Notes collections the metadata declares but the data lacks, and v1 counts that differ.
fn compare_declared(
    info: &JsonInfo,
    found: &[(String, u64)],
    source: &str,
    sink: &mut dyn LegacySink,
) {
    if found.is_empty() {
        sink.note(ReaderNote {
            kind: "no-collections".into(),
            entry: Some(source.to_string()),
            message: "the backup holds no collection at all".into(),
        });
    }
    for (name, count) in &info.declared {
        match found.iter().find(|(n, _)| n == name) {
            None => sink.note(ReaderNote {
                kind: "count-mismatch".into(),
                entry: Some(name.clone()),
                message: format!("the metadata names {name}, but the data does not hold it"),
            }),
            Some((_, got)) if count.is_some_and(|c| c != *got) => sink.note(ReaderNote {
                kind: "count-mismatch".into(),
                entry: Some(name.clone()),
                message: format!(
                    "the metadata declares {} document(s) of {name}, the data holds {got}",
                    count.unwrap_or_default()
                ),
            }),
            Some(_) => {}
        }
    }
}

struct NullSink;

impl LegacySink for NullSink {
    fn begin_collection(&mut self, _: &str, _: Option<&CollectionMetadata>) -> Result<()> {
        Ok(())
    }
    fn document(&mut self, _: RawDocumentBuf) -> Result<()> {
        Ok(())
    }
    fn end_collection(&mut self, _: &Conversions) -> Result<()> {
        Ok(())
    }
    fn file(&mut self, _: &LegacyFile, _: &mut dyn Read) -> Result<()> {
        Ok(())
    }
    fn note(&mut self, _: ReaderNote) {}
}

/// The error text that stops [`read_json_info`] right after the metadata.
const STOP: &str = "scandyctl: metadata read";

struct Context<'s> {
    keep_types: bool,
    info_only: bool,
    stopped: bool,
    sink: &'s mut dyn LegacySink,
    version: Option<String>,
    created_at: Option<NaiveDateTime>,
    declared: Vec<(String, Option<u64>)>,
    markers_seen: bool,
    /// The collection being read and how many of its documents were read.
    current: Option<(String, u64)>,
    conversions: Conversions,
    found: Vec<(String, u64)>,
    sink_error: Option<color_eyre::Report>,
}

impl<'s> Context<'s> {
    fn new(opts: &ReadOptions, sink: &'s mut dyn LegacySink, info_only: bool) -> Self {
        Context {
            keep_types: opts.keep_types,
            info_only,
            stopped: false,
            sink,
            version: None,
            created_at: None,
            declared: Vec::new(),
            markers_seen: false,
            current: None,
            conversions: Conversions::default(),
            found: Vec::new(),
            sink_error: None,
        }
    }

    fn is_v2(&self) -> bool {
        self.version.as_deref().is_some_and(|v| v.starts_with('2')) || self.markers_seen
    }

    /// Whether plain strings that look like dates are dates (files without markers).
    fn recovers_dates(&self) -> bool {
        !self.keep_types && !self.is_v2()
    }

    fn info(&self) -> JsonInfo {
        JsonInfo {
            format: if self.is_v2() {
                LegacyFormat::ScandyJsonV2
            } else {
                LegacyFormat::ScandyJsonV1
            },
            version: self.version.clone(),
            created_at: self.created_at,
            declared: self.declared.clone(),
        }
    }

    fn error(&mut self, err: serde_json::Error, source: &str) -> color_eyre::Report {
        if let Some(report) = self.sink_error.take() {
            return report;
        }
        match &self.current {
            Some((name, read)) => eyre!(
                "{source}: not a complete JSON backup: collection {name}, after {read} \
                 document(s): {err}"
            ),
            None => eyre!("{source}: not a complete JSON backup: {err}"),
        }
    }

    fn sink_failed<E: de::Error>(&mut self, report: color_eyre::Report) -> E {
        let text = format!("{report:#}");
        self.sink_error = Some(report);
        E::custom(text)
    }

    fn metadata(&mut self, value: &Value) {
        let Some(meta) = value.as_object() else {
            return;
        };
        self.version = match meta.get("version") {
            Some(Value::String(v)) => Some(v.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        self.created_at = meta
            .get("created_at")
            .and_then(Value::as_str)
            .and_then(parse_date_string)
            .map(|t| t.naive_utc());
        if let Some(Value::Array(items)) = meta.get("collections") {
            for item in items {
                match item {
                    Value::String(name) => self.declared.push((name.clone(), None)),
                    Value::Object(entry) => {
                        if let Some(name) = entry.get("name").and_then(Value::as_str) {
                            let count = entry.get("count").and_then(Value::as_u64);
                            self.declared.push((name.to_string(), count));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

struct TopVisitor<'c, 's> {
    ctx: &'c mut Context<'s>,
}

impl<'de> Visitor<'de> for TopVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object with the backup's metadata and collections")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut first = true;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "metadata" => {
                    let value: Value = map.next_value()?;
                    self.ctx.metadata(&value);
                    if self.ctx.info_only {
                        self.ctx.stopped = true;
                        return Err(de::Error::custom(STOP));
                    }
                }
                _ if self.ctx.info_only && first => {
                    // An old file without metadata: nothing declared.
                    self.ctx.stopped = true;
                    return Err(de::Error::custom(STOP));
                }
                "data" => map.next_value_seed(DataSeed { ctx: self.ctx })?,
                _ => map.next_value_seed(MaybeCollection {
                    ctx: self.ctx,
                    name: key,
                })?,
            }
            first = false;
        }
        Ok(())
    }
}

/// `data`: an object of collections (or, in an old file, a collection named `data`).
struct DataSeed<'c, 's> {
    ctx: &'c mut Context<'s>,
}

impl<'de> DeserializeSeed<'de> for DataSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DataSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object of collections")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(name) = map.next_key::<String>()? {
            map.next_value_seed(MaybeCollection {
                ctx: self.ctx,
                name,
            })?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        read_collection(self.ctx, "data".into(), seq)
    }
}

/// A top-level value: a collection when it is an array, anything else is skipped.
struct MaybeCollection<'c, 's> {
    ctx: &'c mut Context<'s>,
    name: String,
}

impl<'de> DeserializeSeed<'de> for MaybeCollection<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MaybeCollection<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a collection (an array of documents)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        read_collection(self.ctx, self.name, seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

fn read_collection<'de, A: SeqAccess<'de>>(
    ctx: &mut Context<'_>,
    name: String,
    mut seq: A,
) -> Result<(), A::Error> {
    if let Err(report) = ctx.sink.begin_collection(&name, None) {
        return Err(ctx.sink_failed(report));
    }
    ctx.current = Some((name.clone(), 0));
    ctx.conversions = Conversions::default();
    while let Some(value) = seq.next_element_seed(ValueSeed { ctx, depth: 0 })? {
        let read = ctx.current.as_ref().map_or(0, |c| c.1) + 1;
        let Bson::Document(mut doc) = value else {
            return Err(de::Error::custom(format!(
                "entry {read} of collection {name} is not an object"
            )));
        };
        recover_id(ctx, &mut doc);
        let raw = RawDocumentBuf::from_document(&doc).map_err(|e| {
            de::Error::custom(format!(
                "document {read} of collection {name} cannot be stored as BSON: {e}"
            ))
        })?;
        if let Err(report) = ctx.sink.document(raw) {
            return Err(ctx.sink_failed(report));
        }
        if let Some(current) = ctx.current.as_mut() {
            current.1 = read;
        }
    }
    let read = ctx.current.take().map_or(0, |c| c.1);
    let conversions = std::mem::take(&mut ctx.conversions);
    if let Err(report) = ctx.sink.end_collection(&conversions) {
        return Err(ctx.sink_failed(report));
    }
    ctx.found.push((name, read));
    Ok(())
}

/// A 24-hex `_id` string becomes the ObjectId it was (unless types are kept).
fn recover_id(ctx: &mut Context<'_>, doc: &mut Document) {
    if ctx.keep_types {
        return;
    }
    if let Some(Bson::String(id)) = doc.get("_id")
        && id.len() == 24
        && let Ok(oid) = ObjectId::parse_str(id)
    {
        doc.insert("_id", oid);
        ctx.conversions.id_strings += 1;
    }
}

/// One JSON value, converted into BSON on the fly (markers decoded, dates recovered).
struct ValueSeed<'c, 's> {
    ctx: &'c mut Context<'s>,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = Bson;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Bson, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = Bson;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Bson, E> {
        Ok(Bson::Boolean(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Bson, E> {
        Ok(match i32::try_from(v) {
            Ok(small) => Bson::Int32(small),
            Err(_) => Bson::Int64(v),
        })
    }

    fn visit_u64<E>(self, v: u64) -> Result<Bson, E> {
        Ok(match i64::try_from(v) {
            Ok(signed) => match i32::try_from(signed) {
                Ok(small) => Bson::Int32(small),
                Err(_) => Bson::Int64(signed),
            },
            Err(_) => Bson::Double(v as f64),
        })
    }

    fn visit_f64<E>(self, v: f64) -> Result<Bson, E> {
        Ok(Bson::Double(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Bson, E> {
        if self.ctx.recovers_dates()
            && let Some(at) = parse_date_string(v)
        {
            self.ctx.conversions.date_strings += 1;
            return Ok(Bson::DateTime(bson::DateTime::from_millis(
                at.timestamp_millis(),
            )));
        }
        Ok(Bson::String(v.to_string()))
    }

    fn visit_unit<E>(self) -> Result<Bson, E> {
        Ok(Bson::Null)
    }

    fn visit_none<E>(self) -> Result<Bson, E> {
        Ok(Bson::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Bson, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(ValueSeed {
            ctx: self.ctx,
            depth: self.depth + 1,
        })? {
            items.push(item);
        }
        Ok(Bson::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Bson, A::Error> {
        let mut doc = Document::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(ValueSeed {
                ctx: self.ctx,
                depth: self.depth + 1,
            })?;
            doc.insert(key, value);
        }
        decode_marker(self.ctx, doc).map_err(de::Error::custom)
    }
}

/// `{"__type__": "datetime"|"ObjectId", "value": ...}` becomes its BSON value.
fn decode_marker(ctx: &mut Context<'_>, doc: Document) -> Result<Bson, String> {
    if doc.len() != 2 {
        return Ok(Bson::Document(doc));
    }
    let (Some(Bson::String(kind)), Some(value)) = (doc.get("__type__"), doc.get("value")) else {
        return Ok(Bson::Document(doc));
    };
    let decoded = match (kind.as_str(), value) {
        ("datetime", Bson::String(text)) => parse_date_string(text)
            .map(|at| Bson::DateTime(bson::DateTime::from_millis(at.timestamp_millis())))
            .ok_or_else(|| format!("a datetime marker holds {text:?}, which is no date"))?,
        ("datetime", Bson::DateTime(at)) => Bson::DateTime(*at),
        ("ObjectId", Bson::String(hex)) => ObjectId::parse_str(hex)
            .map(Bson::ObjectId)
            .map_err(|_| format!("an ObjectId marker holds {hex:?}, which is no ObjectId"))?,
        _ => return Ok(Bson::Document(doc)),
    };
    ctx.markers_seen = true;
    ctx.conversions.markers += 1;
    Ok(decoded)
}

/// Reads a JSON backup held inside a container (`source` names the entry), buffered.
pub fn read_json_entry(
    input: impl Read,
    source: &str,
    opts: &ReadOptions,
    sink: &mut dyn LegacySink,
) -> Result<JsonInfo> {
    read_json(
        std::io::BufReader::with_capacity(1 << 20, input),
        source,
        opts,
        sink,
    )
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
