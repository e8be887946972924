//! A sink that records what a reader streamed, for the readers' unit tests.

use std::io::Read;

use color_eyre::Result;
use mongodb::bson::{Document, RawDocumentBuf};

use super::{Conversions, LegacyFile, LegacySink, ReaderNote};
use crate::backup::archive::CollectionMetadata;

/// One collection as the reader streamed it.
#[derive(Debug, Default)]
pub struct Recorded {
    pub name: String,
    pub metadata: Option<CollectionMetadata>,
    pub docs: Vec<Document>,
    pub conversions: Conversions,
    pub ended: bool,
}

/// Records collections, files and notes; fails when a collection opens inside another.
#[derive(Debug, Default)]
pub struct RecordingSink {
    pub collections: Vec<Recorded>,
    pub files: Vec<(LegacyFile, Vec<u8>)>,
    pub notes: Vec<ReaderNote>,
}

impl RecordingSink {
    /// The collection named `name`.
    pub fn collection(&self, name: &str) -> &Recorded {
        self.collections
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no collection {name} in {:?}", self.names()))
    }

    /// Collection names in the order they came.
    pub fn names(&self) -> Vec<&str> {
        self.collections.iter().map(|c| c.name.as_str()).collect()
    }

    /// Whether a note of `kind` was made.
    pub fn noted(&self, kind: &str) -> bool {
        self.notes.iter().any(|n| n.kind == kind)
    }
}

impl LegacySink for RecordingSink {
    fn begin_collection(
        &mut self,
        name: &str,
        metadata: Option<&CollectionMetadata>,
    ) -> Result<()> {
        if self.collections.last().is_some_and(|c| !c.ended) {
            color_eyre::eyre::bail!("{name} began inside another collection");
        }
        self.collections.push(Recorded {
            name: name.to_string(),
            metadata: metadata.cloned(),
            ..Recorded::default()
        });
        Ok(())
    }

    fn document(&mut self, doc: RawDocumentBuf) -> Result<()> {
        let current = self
            .collections
            .last_mut()
            .filter(|c| !c.ended)
            .ok_or_else(|| color_eyre::eyre::eyre!("a document outside a collection"))?;
        current.docs.push(doc.to_document()?);
        Ok(())
    }

    fn end_collection(&mut self, conversions: &Conversions) -> Result<()> {
        let current = self
            .collections
            .last_mut()
            .ok_or_else(|| color_eyre::eyre::eyre!("an end without a collection"))?;
        current.conversions = *conversions;
        current.ended = true;
        Ok(())
    }

    fn file(&mut self, file: &LegacyFile, data: &mut dyn Read) -> Result<()> {
        let mut bytes = Vec::new();
        data.read_to_end(&mut bytes)?;
        self.files.push((file.clone(), bytes));
        Ok(())
    }

    fn note(&mut self, note: ReaderNote) {
        self.notes.push(note);
    }
}
