//! The Backups tab's own state (filter, sort, selection, scroll) and its pure updates.

use crate::backup::inventory::{SetInfo, Verification};
use crate::backup::manifest::BackupKind;
use crate::backup::snapshot::BackupsSnapshot;
use crate::ui::widgets::table::{
    Movement, SortDirection, SortKey, SortSpec, clamp_selection, move_selection, scroll_offset,
    sort_order,
};

/// Which kinds of set the table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KindFilter {
    /// Every set.
    #[default]
    All,
    /// Only full backups.
    Full,
    /// Only safety backups taken before a restore.
    PreRestore,
}

impl KindFilter {
    /// The next filter in the cycle all → full → pre-restore → all.
    pub fn next(self) -> KindFilter {
        match self {
            KindFilter::All => KindFilter::Full,
            KindFilter::Full => KindFilter::PreRestore,
            KindFilter::PreRestore => KindFilter::All,
        }
    }

    /// Whether a set of `kind` passes the filter.
    pub fn matches(self, kind: BackupKind) -> bool {
        match self {
            KindFilter::All => true,
            KindFilter::Full => kind == BackupKind::Full,
            KindFilter::PreRestore => kind == BackupKind::PreRestore,
        }
    }
}

/// The columns of the inventory table, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackupColumn {
    /// Set id.
    Id,
    /// Kind (with the ★ of the newest good set).
    Type,
    /// Creation time, UTC.
    Time,
    /// Age of the set.
    Age,
    /// Bytes on disk.
    Size,
    /// Parent set.
    Parent,
    /// Encrypted or not.
    Encryption,
    /// Last verification.
    Verification,
    /// Skipped files.
    Skipped,
}

impl BackupColumn {
    /// All columns in display order.
    pub const ALL: [BackupColumn; 9] = [
        BackupColumn::Id,
        BackupColumn::Type,
        BackupColumn::Time,
        BackupColumn::Age,
        BackupColumn::Size,
        BackupColumn::Parent,
        BackupColumn::Encryption,
        BackupColumn::Verification,
        BackupColumn::Skipped,
    ];

    /// The order in which `s` cycles through the sortable columns.
    pub const SORT_CYCLE: [BackupColumn; 8] = [
        BackupColumn::Time,
        BackupColumn::Size,
        BackupColumn::Verification,
        BackupColumn::Skipped,
        BackupColumn::Type,
        BackupColumn::Id,
        BackupColumn::Parent,
        BackupColumn::Encryption,
    ];

    /// Position in [`BackupColumn::ALL`].
    pub fn index(self) -> usize {
        BackupColumn::ALL
            .iter()
            .position(|c| *c == self)
            .unwrap_or(0)
    }

    /// The next column in [`BackupColumn::SORT_CYCLE`].
    pub fn next_sort(self) -> BackupColumn {
        let cycle = BackupColumn::SORT_CYCLE;
        let at = cycle.iter().position(|c| *c == self).unwrap_or(0);
        cycle[(at + 1) % cycle.len()]
    }

    /// The direction a fresh sort on this column starts with (newest, biggest, worst first).
    pub fn default_direction(self) -> SortDirection {
        match self {
            BackupColumn::Time | BackupColumn::Age | BackupColumn::Size | BackupColumn::Skipped => {
                SortDirection::Descending
            }
            _ => SortDirection::Ascending,
        }
    }

    /// The sort key of `set` in this column.
    pub fn sort_key(self, set: &SetInfo, snapshot: &BackupsSnapshot) -> SortKey {
        match self {
            BackupColumn::Id => SortKey::Text(set.id.clone()),
            BackupColumn::Type => SortKey::Text(set.kind.as_str().to_string()),
            BackupColumn::Time | BackupColumn::Age => {
                SortKey::Number(i128::from(set.created_at.timestamp_millis()))
            }
            BackupColumn::Size => SortKey::Number(i128::from(set.size)),
            BackupColumn::Parent => SortKey::Text(
                snapshot
                    .detail(&set.id)
                    .and_then(|d| d.manifest.parent.clone())
                    .unwrap_or_default(),
            ),
            BackupColumn::Encryption => SortKey::Number(i128::from(set.encrypted)),
            BackupColumn::Verification => SortKey::Number(match &set.verification {
                Verification::Failed { .. } => 0,
                Verification::Never => 1,
                Verification::Ok { at, .. } => 2 + i128::from(at.timestamp_millis()),
            }),
            BackupColumn::Skipped => SortKey::Number(set.skipped as i128),
        }
    }
}

/// A key press meant for the Backups tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackupsAction {
    /// Move the selection.
    Move(Movement),
    /// Cycle the type filter.
    CycleFilter,
    /// Sort by the next column.
    CycleSort,
    /// Reverse the sort direction.
    FlipSort,
}

/// Filter, sort, selection and scroll position of the Backups tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupsView {
    /// Which kinds are shown.
    pub filter: KindFilter,
    /// Sort column.
    pub sort_column: BackupColumn,
    /// Sort direction.
    pub direction: SortDirection,
    /// Selected row, an index into [`visible_sets`].
    pub selected: Option<usize>,
    /// First row on screen.
    pub offset: usize,
}

impl Default for BackupsView {
    fn default() -> BackupsView {
        BackupsView {
            filter: KindFilter::All,
            sort_column: BackupColumn::Time,
            direction: SortDirection::Descending,
            selected: None,
            offset: 0,
        }
    }
}

impl BackupsView {
    /// The sort as the table widget marks it.
    pub fn sort_spec(&self) -> SortSpec {
        SortSpec {
            column: self.sort_column.index(),
            direction: self.direction,
        }
    }

    /// Applies a key action; `page` is the number of table rows on screen.
    /// Returns whether anything visible changed.
    pub fn apply(
        &mut self,
        action: BackupsAction,
        snapshot: Option<&BackupsSnapshot>,
        page: usize,
    ) -> bool {
        let before = self.clone();
        let keep = snapshot.and_then(|s| self.selected_id(s));
        match action {
            BackupsAction::Move(movement) => {
                let len = snapshot.map_or(0, |s| visible_sets(s, self).len());
                self.selected = move_selection(self.selected, len, movement, page);
            }
            BackupsAction::CycleFilter => self.filter = self.filter.next(),
            BackupsAction::CycleSort => {
                self.sort_column = self.sort_column.next_sort();
                self.direction = self.sort_column.default_direction();
            }
            BackupsAction::FlipSort => self.direction = self.direction.flipped(),
        }
        if !matches!(action, BackupsAction::Move(_)) {
            self.reselect(snapshot, keep.as_deref());
        }
        self.scroll(snapshot, page);
        *self != before
    }

    /// Follows a new scan: the selected set stays selected when it still exists.
    pub fn rescan(
        &mut self,
        old: Option<&BackupsSnapshot>,
        new: Option<&BackupsSnapshot>,
        page: usize,
    ) {
        let keep = old.and_then(|s| self.selected_id(s));
        self.reselect(new, keep.as_deref());
        self.scroll(new, page);
    }

    /// The id of the selected set in `snapshot`.
    pub fn selected_id(&self, snapshot: &BackupsSnapshot) -> Option<String> {
        self.selected_set(snapshot).map(|s| s.id.clone())
    }

    /// The selected set in `snapshot`.
    pub fn selected_set<'a>(&self, snapshot: &'a BackupsSnapshot) -> Option<&'a SetInfo> {
        visible_sets(snapshot, self).get(self.selected?).copied()
    }

    fn reselect(&mut self, snapshot: Option<&BackupsSnapshot>, keep: Option<&str>) {
        let Some(snapshot) = snapshot else {
            self.selected = None;
            return;
        };
        let visible = visible_sets(snapshot, self);
        let found = keep.and_then(|id| visible.iter().position(|s| s.id == id));
        self.selected = match found {
            Some(index) => Some(index),
            None if keep.is_some() => clamp_selection(Some(0), visible.len()),
            None => clamp_selection(self.selected, visible.len()),
        };
    }

    fn scroll(&mut self, snapshot: Option<&BackupsSnapshot>, page: usize) {
        let len = snapshot.map_or(0, |s| visible_sets(s, self).len());
        self.offset = scroll_offset(self.selected, self.offset, len, page);
    }
}

/// The sets the table shows, filtered and sorted as `view` says.
pub fn visible_sets<'a>(snapshot: &'a BackupsSnapshot, view: &BackupsView) -> Vec<&'a SetInfo> {
    let sets: Vec<&SetInfo> = snapshot
        .inventory
        .sets
        .iter()
        .filter(|s| view.filter.matches(s.kind))
        .collect();
    let keys: Vec<SortKey> = sets
        .iter()
        .map(|s| view.sort_column.sort_key(s, snapshot))
        .collect();
    sort_order(&keys, view.direction)
        .into_iter()
        .map(|i| sets[i])
        .collect()
}

/// Lines of the tab body above the table: directory and space, last backup and next run,
/// warnings.
pub const HEADER_LINES: u16 = 3;

/// Table rows on screen for a tab body of `body_height` lines and `rows` rows to show;
/// the detail pane gets the rest.
pub fn table_rows(body_height: u16, rows: usize) -> usize {
    let room = usize::from(body_height.saturating_sub(HEADER_LINES + 2));
    rows.max(1).min((room / 3).max(3)).min(room)
}

/// Table rows on screen for a terminal of `size` (tab bar and status line excluded).
pub fn page_rows(size: (u16, u16), rows: usize) -> usize {
    table_rows(size.1.saturating_sub(2), rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::inventory::Inventory;
    use crate::backup::verify::VerifyLevel;
    use chrono::{Duration, Utc};
    use std::collections::BTreeMap;

    fn set(id: &str, kind: BackupKind, hours_ago: i64, size: u64, v: Verification) -> SetInfo {
        SetInfo {
            id: id.into(),
            kind,
            created_at: Utc::now() - Duration::hours(hours_ago),
            size,
            encrypted: false,
            documents: 0,
            files: 0,
            skipped: 0,
            verification: v,
            path: format!("/backups/{id}").into(),
        }
    }

    fn snapshot(sets: Vec<SetInfo>) -> BackupsSnapshot {
        BackupsSnapshot {
            legacy: Default::default(),
            legacy_verify: Default::default(),
            window: Default::default(),
            dir: "/backups".into(),
            scanned_at: Utc::now(),
            inventory: Inventory {
                sets,
                ..Inventory::default()
            },
            details: BTreeMap::new(),
            warnings: Vec::new(),
        }
    }

    fn four() -> BackupsSnapshot {
        let ok = Verification::Ok {
            at: Utc::now(),
            level: VerifyLevel::Deep,
        };
        let failed = Verification::Failed {
            at: Utc::now(),
            level: VerifyLevel::Quick,
            findings: 2,
        };
        snapshot(vec![
            set("a-full", BackupKind::Full, 1, 300, Verification::Never),
            set("b-pre", BackupKind::PreRestore, 5, 100, ok.clone()),
            set("c-full", BackupKind::Full, 26, 400, failed),
            set("d-full", BackupKind::Full, 50, 200, ok),
        ])
    }

    fn ids(snapshot: &BackupsSnapshot, view: &BackupsView) -> Vec<String> {
        visible_sets(snapshot, view)
            .iter()
            .map(|s| s.id.clone())
            .collect()
    }

    #[test]
    fn a_first_scan_selects_the_newest_set() {
        let s = four();
        let mut view = BackupsView::default();
        view.rescan(None, Some(&s), 10);
        assert_eq!(view.selected, Some(0));
        assert_eq!(view.selected_id(&s).as_deref(), Some("a-full"));
        view.rescan(Some(&s), Some(&snapshot(Vec::new())), 10);
        assert_eq!(view.selected, None, "no rows, no selection");
    }

    #[test]
    fn selection_stays_within_the_visible_rows() {
        let s = four();
        let mut view = BackupsView::default();
        view.rescan(None, Some(&s), 2);
        assert!(!view.apply(BackupsAction::Move(Movement::Up), Some(&s), 2));
        assert!(view.apply(BackupsAction::Move(Movement::End), Some(&s), 2));
        assert_eq!(view.selected, Some(3));
        assert_eq!(view.offset, 2, "scrolled so the last row is visible");
        assert!(!view.apply(BackupsAction::Move(Movement::Down), Some(&s), 2));
        view.apply(BackupsAction::Move(Movement::PageUp), Some(&s), 2);
        assert_eq!(view.selected, Some(1));
        assert_eq!(view.offset, 1);
        view.apply(BackupsAction::Move(Movement::Home), Some(&s), 2);
        assert_eq!((view.selected, view.offset), (Some(0), 0));
        let mut empty = BackupsView::default();
        empty.apply(BackupsAction::Move(Movement::Down), None, 2);
        assert_eq!(empty.selected, None);
    }

    #[test]
    fn the_filter_cycles_and_keeps_the_selected_set_when_it_stays_visible() {
        let s = four();
        let mut view = BackupsView::default();
        view.rescan(None, Some(&s), 10);
        view.apply(BackupsAction::Move(Movement::End), Some(&s), 10);
        assert_eq!(view.selected_id(&s).as_deref(), Some("d-full"));
        view.apply(BackupsAction::CycleFilter, Some(&s), 10);
        assert_eq!(view.filter, KindFilter::Full);
        assert_eq!(ids(&s, &view), ["a-full", "c-full", "d-full"]);
        assert_eq!(view.selected_id(&s).as_deref(), Some("d-full"));
        view.apply(BackupsAction::CycleFilter, Some(&s), 10);
        assert_eq!(ids(&s, &view), ["b-pre"]);
        assert_eq!(
            view.selected,
            Some(0),
            "hidden selection falls back to the first row"
        );
        view.apply(BackupsAction::CycleFilter, Some(&s), 10);
        assert_eq!(view.filter, KindFilter::All);
        assert_eq!(ids(&s, &view).len(), 4);
    }

    #[test]
    fn sort_cycles_columns_and_flips_direction() {
        let s = four();
        let mut view = BackupsView::default();
        view.rescan(None, Some(&s), 10);
        assert_eq!(ids(&s, &view), ["a-full", "b-pre", "c-full", "d-full"]);
        view.apply(BackupsAction::CycleSort, Some(&s), 10);
        assert_eq!(view.sort_column, BackupColumn::Size);
        assert_eq!(view.direction, SortDirection::Descending);
        assert_eq!(ids(&s, &view), ["c-full", "a-full", "d-full", "b-pre"]);
        assert_eq!(
            view.selected_id(&s).as_deref(),
            Some("a-full"),
            "selection follows the set"
        );
        view.apply(BackupsAction::FlipSort, Some(&s), 10);
        assert_eq!(ids(&s, &view), ["b-pre", "d-full", "a-full", "c-full"]);
        view.apply(BackupsAction::CycleSort, Some(&s), 10);
        assert_eq!(view.sort_column, BackupColumn::Verification);
        assert_eq!(view.direction, SortDirection::Ascending);
        assert_eq!(
            ids(&s, &view)[..2],
            ["c-full", "a-full"],
            "failed, then never"
        );
        for _ in 0..BackupColumn::SORT_CYCLE.len() - 2 {
            view.apply(BackupsAction::CycleSort, Some(&s), 10);
        }
        assert_eq!(
            view.sort_column,
            BackupColumn::Time,
            "the cycle wraps around"
        );
    }

    #[test]
    fn a_rescan_keeps_the_selected_set() {
        let s = four();
        let mut view = BackupsView::default();
        view.rescan(None, Some(&s), 10);
        view.apply(BackupsAction::Move(Movement::Down), Some(&s), 10);
        let mut newer = four();
        newer
            .inventory
            .sets
            .insert(0, set("z-new", BackupKind::Full, 0, 1, Verification::Never));
        view.rescan(Some(&s), Some(&newer), 10);
        assert_eq!(view.selected_id(&newer).as_deref(), Some("b-pre"));
        assert_eq!(view.selected, Some(2));
    }

    #[test]
    fn the_table_leaves_room_for_the_detail_pane() {
        assert_eq!(table_rows(38, 4), 4);
        assert_eq!(table_rows(38, 40), 11);
        assert_eq!(table_rows(38, 0), 1);
        assert_eq!(table_rows(6, 40), 1);
        assert_eq!(page_rows((120, 40), 40), 11);
    }
}
