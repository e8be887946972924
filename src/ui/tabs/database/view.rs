//! The Database tab's own state (pane, sort, selections) and its pure updates. Selections
//! are kept by name / opid so that they survive a new sample that reorders the rows.

use crate::mongo::health::CheckResult;
use crate::mongo::maintenance::Operation;
use crate::mongo::sample::DatabaseSample;
use crate::mongo::stats::CollectionStats;
use crate::ui::widgets::table::{
    Movement, SortDirection, SortKey, SortSpec, move_selection, scroll_offset, sort_order,
};

/// The three views of the Database tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DbPane {
    /// Collection table with the selected collection's indexes.
    #[default]
    Collections,
    /// Current operations.
    Operations,
    /// Scandy data health checks.
    Health,
}

impl DbPane {
    /// Every pane in display order.
    pub const ALL: [DbPane; 3] = [DbPane::Collections, DbPane::Operations, DbPane::Health];

    /// The pane to the right (wrapping).
    pub fn next(self) -> DbPane {
        let i = DbPane::ALL.iter().position(|p| *p == self).unwrap_or(0);
        DbPane::ALL[(i + 1) % DbPane::ALL.len()]
    }

    /// The pane to the left (wrapping).
    pub fn previous(self) -> DbPane {
        let i = DbPane::ALL.iter().position(|p| *p == self).unwrap_or(0);
        DbPane::ALL[(i + DbPane::ALL.len() - 1) % DbPane::ALL.len()]
    }
}

/// Columns of the collection table, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CollectionColumn {
    /// Name (views marked).
    Name,
    /// Documents.
    Documents,
    /// Uncompressed data size.
    Size,
    /// Allocated storage.
    Storage,
    /// Average document size.
    AvgObject,
    /// Number of indexes.
    Indexes,
    /// Total index size.
    IndexSize,
    /// TTL index (field and expiry).
    Ttl,
}

impl CollectionColumn {
    /// Every column in display order.
    pub const ALL: [CollectionColumn; 8] = [
        CollectionColumn::Name,
        CollectionColumn::Documents,
        CollectionColumn::Size,
        CollectionColumn::Storage,
        CollectionColumn::AvgObject,
        CollectionColumn::Indexes,
        CollectionColumn::IndexSize,
        CollectionColumn::Ttl,
    ];

    /// Position in [`CollectionColumn::ALL`].
    pub fn index(self) -> usize {
        CollectionColumn::ALL
            .iter()
            .position(|c| *c == self)
            .unwrap_or(0)
    }

    /// The sort key of `collection` in this column.
    pub fn key(self, collection: &CollectionStats) -> SortKey {
        let storage = collection.storage.as_ref().and_then(|s| s.value()).cloned();
        let number = |value: Option<u64>| SortKey::Number(value.map_or(-1, i128::from));
        match self {
            CollectionColumn::Name => SortKey::Text(collection.name.to_lowercase()),
            CollectionColumn::Documents => number(collection.count),
            CollectionColumn::Size => number(storage.as_ref().map(|s| s.size)),
            CollectionColumn::Storage => number(storage.as_ref().map(|s| s.storage_size)),
            CollectionColumn::AvgObject => number(storage.as_ref().map(|s| s.avg_obj_size)),
            CollectionColumn::Indexes => number(storage.as_ref().map(|s| s.nindexes)),
            CollectionColumn::IndexSize => number(storage.as_ref().map(|s| s.total_index_size)),
            CollectionColumn::Ttl => number(collection.ttl.first().map(|t| t.expire_after_secs)),
        }
    }
}

/// Filter-free navigation and sorting keys of the Database tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseAction {
    /// Move the selection of the current pane.
    Move(Movement),
    /// Show a pane.
    Show(DbPane),
    /// Show the next pane.
    NextPane,
    /// Show the previous pane.
    PreviousPane,
    /// Sort the collection table by the next column.
    CycleSort,
    /// Reverse the collection table's sort.
    FlipSort,
}

/// Pane, sort, selections and scroll offsets of the Database tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseView {
    /// The pane shown.
    pub pane: DbPane,
    /// Column and direction of the collection table.
    pub sort: SortSpec,
    /// The selected collection, by name.
    pub collection: Option<String>,
    /// First collection row shown.
    pub collection_offset: usize,
    /// The selected operation, by opid.
    pub operation: Option<i64>,
    /// First operation row shown.
    pub operation_offset: usize,
    /// The selected health check (index into the results).
    pub check: usize,
}

impl Default for DatabaseView {
    fn default() -> Self {
        DatabaseView {
            pane: DbPane::Collections,
            sort: SortSpec {
                column: CollectionColumn::Documents.index(),
                direction: SortDirection::Descending,
            },
            collection: None,
            collection_offset: 0,
            operation: None,
            operation_offset: 0,
            check: 0,
        }
    }
}

/// The collections of `sample` in the order of `sort`.
pub fn sorted_collections(sample: &DatabaseSample, sort: SortSpec) -> Vec<&CollectionStats> {
    let column = CollectionColumn::ALL
        .get(sort.column)
        .copied()
        .unwrap_or(CollectionColumn::Name);
    let all = &sample.database.collections;
    let keys: Vec<(SortKey, SortKey)> = all
        .iter()
        .map(|c| (column.key(c), SortKey::Text(c.name.clone())))
        .collect();
    sort_order(&keys, sort.direction)
        .into_iter()
        .map(|i| &all[i])
        .collect()
}

/// The operations of `sample` (empty when currentOp was unavailable).
pub fn operations(sample: &DatabaseSample) -> &[Operation] {
    sample.operations.value().map(Vec::as_slice).unwrap_or(&[])
}

impl DatabaseView {
    /// Index of the selected collection in `sorted`, if it is there.
    pub fn collection_index(&self, sorted: &[&CollectionStats]) -> Option<usize> {
        let name = self.collection.as_deref()?;
        sorted.iter().position(|c| c.name == name)
    }

    /// Index of the selected operation in `ops`, if it is there.
    pub fn operation_index(&self, ops: &[Operation]) -> Option<usize> {
        let opid = self.operation?;
        ops.iter().position(|o| o.opid == opid)
    }

    /// The selected collection of `sample`, if any.
    pub fn selected_collection<'a>(
        &self,
        sample: &'a DatabaseSample,
    ) -> Option<&'a CollectionStats> {
        let name = self.collection.as_deref()?;
        sample.database.collections.iter().find(|c| c.name == name)
    }

    /// The selected operation of `sample`, if any.
    pub fn selected_operation<'a>(&self, sample: &'a DatabaseSample) -> Option<&'a Operation> {
        let ops = operations(sample);
        self.operation_index(ops).map(|i| &ops[i])
    }

    /// Keeps the selections valid after a new sample: a vanished collection or operation
    /// gives way to the first row; `page` rows fit on screen.
    pub fn resample(&mut self, sample: &DatabaseSample, page: usize) {
        let sorted = sorted_collections(sample, self.sort);
        if self.collection_index(&sorted).is_none() {
            self.collection = sorted.first().map(|c| c.name.clone());
        }
        let selected = self.collection_index(&sorted);
        self.collection_offset =
            scroll_offset(selected, self.collection_offset, sorted.len(), page);
        let ops = operations(sample);
        if self.operation_index(ops).is_none() {
            self.operation = ops.first().map(|o| o.opid);
        }
        let selected = self.operation_index(ops);
        self.operation_offset = scroll_offset(selected, self.operation_offset, ops.len(), page);
    }

    /// Applies a navigation key; `checks` are the health results shown, `page` the rows on
    /// screen. Returns whether anything changed.
    pub fn apply(
        &mut self,
        action: DatabaseAction,
        sample: Option<&DatabaseSample>,
        checks: &[CheckResult],
        page: usize,
    ) -> bool {
        let before = self.clone();
        match action {
            DatabaseAction::Show(pane) => self.pane = pane,
            DatabaseAction::NextPane => self.pane = self.pane.next(),
            DatabaseAction::PreviousPane => self.pane = self.pane.previous(),
            DatabaseAction::CycleSort => {
                self.sort.column = (self.sort.column + 1) % CollectionColumn::ALL.len();
                self.sort.direction = if self.sort.column == CollectionColumn::Name.index() {
                    SortDirection::Ascending
                } else {
                    SortDirection::Descending
                };
            }
            DatabaseAction::FlipSort => self.sort.direction = self.sort.direction.flipped(),
            DatabaseAction::Move(movement) => self.move_selection(movement, sample, checks, page),
        }
        if let Some(sample) = sample {
            self.resample(sample, page);
        }
        *self != before
    }

    fn move_selection(
        &mut self,
        movement: Movement,
        sample: Option<&DatabaseSample>,
        checks: &[CheckResult],
        page: usize,
    ) {
        match self.pane {
            DbPane::Collections => {
                let Some(sample) = sample else { return };
                let sorted = sorted_collections(sample, self.sort);
                let next =
                    move_selection(self.collection_index(&sorted), sorted.len(), movement, page);
                self.collection = next.map(|i| sorted[i].name.clone());
            }
            DbPane::Operations => {
                let Some(sample) = sample else { return };
                let ops = operations(sample);
                let next = move_selection(self.operation_index(ops), ops.len(), movement, page);
                self.operation = next.map(|i| ops[i].opid);
            }
            DbPane::Health => {
                self.check =
                    move_selection(Some(self.check), checks.len(), movement, page).unwrap_or(0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_cycle_both_ways() {
        assert_eq!(DbPane::Collections.next(), DbPane::Operations);
        assert_eq!(DbPane::Health.next(), DbPane::Collections);
        assert_eq!(DbPane::Collections.previous(), DbPane::Health);
    }

    #[test]
    fn sort_cycles_through_every_column_names_ascending() {
        let mut view = DatabaseView::default();
        assert_eq!(view.sort.column, CollectionColumn::Documents.index());
        for _ in 0..CollectionColumn::ALL.len() - 1 {
            view.apply(DatabaseAction::CycleSort, None, &[], 10);
            assert_ne!(view.sort.column, CollectionColumn::Documents.index());
        }
        view.apply(DatabaseAction::CycleSort, None, &[], 10);
        assert_eq!(view.sort.column, CollectionColumn::Documents.index());
        while view.sort.column != CollectionColumn::Name.index() {
            view.apply(DatabaseAction::CycleSort, None, &[], 10);
        }
        assert_eq!(view.sort.direction, SortDirection::Ascending);
        assert!(view.apply(DatabaseAction::FlipSort, None, &[], 10));
        assert_eq!(view.sort.direction, SortDirection::Descending);
    }
}
