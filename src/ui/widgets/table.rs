//! A generic sortable, scrollable table: columns, styled cells, a selected row and a sort marker.
//!
//! The pure helpers ([`move_selection`], [`scroll_offset`], [`sort_order`]) hold the logic and
//! are unit-tested; [`render`] only draws a [`TableView`] borrowed from the console state.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// Direction of a sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortDirection {
    /// Smallest first.
    Ascending,
    /// Largest first.
    Descending,
}

impl SortDirection {
    /// The other direction.
    pub fn flipped(self) -> SortDirection {
        match self {
            SortDirection::Ascending => SortDirection::Descending,
            SortDirection::Descending => SortDirection::Ascending,
        }
    }

    /// The marker drawn after the sorted column's title.
    pub fn marker(self) -> char {
        match self {
            SortDirection::Ascending => '▲',
            SortDirection::Descending => '▼',
        }
    }
}

/// Which column a table is sorted by, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SortSpec {
    /// Index into the table's columns.
    pub column: usize,
    /// Direction.
    pub direction: SortDirection,
}

/// A sort key for one cell: numbers compare as numbers, text as text, numbers before text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    /// A numeric key (sizes, timestamps, counts, ranks).
    Number(i128),
    /// A textual key.
    Text(String),
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Header title.
    pub title: String,
    /// Width constraint, resolved like a ratatui horizontal layout.
    pub width: Constraint,
    /// Alignment of the title and cells.
    pub align: Alignment,
}

impl Column {
    /// A left-aligned column.
    pub fn new(title: impl Into<String>, width: Constraint) -> Column {
        Column {
            title: title.into(),
            width,
            align: Alignment::Left,
        }
    }

    /// The same column, right-aligned (numbers, sizes, ages).
    pub fn right(mut self) -> Column {
        self.align = Alignment::Right;
        self
    }
}

/// One cell: text and its style.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// What is shown (truncated with `…` when the column is narrower).
    pub text: String,
    /// How it is shown.
    pub style: Style,
}

impl Cell {
    /// A cell with a style.
    pub fn styled(text: impl Into<String>, style: Style) -> Cell {
        Cell {
            text: text.into(),
            style,
        }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::styled(text, Style::new())
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::styled(text, Style::new())
    }
}

/// A row of cells, one per column.
pub type Row = Vec<Cell>;

/// Everything [`render`] needs, borrowed from the console state.
#[derive(Debug, Clone)]
pub struct TableView<'a> {
    /// The columns.
    pub columns: &'a [Column],
    /// The rows, already filtered and sorted.
    pub rows: &'a [Row],
    /// The selected row, an index into `rows`.
    pub selected: Option<usize>,
    /// The first row shown (adjusted so that the selection stays visible).
    pub offset: usize,
    /// The sort, marked in the header.
    pub sort: Option<SortSpec>,
    /// An optional frame around the table.
    pub block: Option<Block<'a>>,
    /// Shown below the header when there are no rows.
    pub empty: Option<Line<'a>>,
}

/// Style of the header row.
fn header_style() -> Style {
    Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
}

/// Style added to the selected row.
fn selected_style() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

/// Gap between columns.
pub const COLUMN_SPACING: u16 = 1;

/// Draws `view` into `area`. Never blocks and changes nothing but the frame.
pub fn render(frame: &mut Frame, area: Rect, view: &TableView) {
    let inner = match &view.block {
        Some(block) => {
            let inner = block.inner(area);
            frame.render_widget(block.clone(), area);
            inner
        }
        None => area,
    };
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let cells = Layout::horizontal(view.columns.iter().map(|c| c.width))
        .spacing(COLUMN_SPACING)
        .split(inner);
    let buf = frame.buffer_mut();
    for (i, (column, rect)) in view.columns.iter().zip(cells.iter()).enumerate() {
        let mut title = column.title.clone();
        if let Some(sort) = view.sort.filter(|s| s.column == i) {
            title = format!("{title}{}", sort.direction.marker());
        }
        draw_cell(buf, *rect, inner.y, &title, header_style(), column.align);
    }
    let body_height = usize::from(inner.height - 1);
    if view.rows.is_empty() {
        if let Some(empty) = &view.empty
            && inner.height > 1
        {
            let line_area = Rect {
                y: inner.y + 1,
                height: 1,
                ..inner
            };
            frame.render_widget(Paragraph::new(empty.clone()), line_area);
        }
        return;
    }
    let offset = scroll_offset(view.selected, view.offset, view.rows.len(), body_height);
    let buf = frame.buffer_mut();
    for (line, (index, row)) in view
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(body_height)
        .enumerate()
    {
        let y = inner.y + 1 + line as u16;
        let selected = view.selected == Some(index);
        if selected {
            buf.set_style(
                Rect {
                    y,
                    height: 1,
                    ..inner
                },
                selected_style(),
            );
        }
        for ((column, rect), cell) in view.columns.iter().zip(cells.iter()).zip(row) {
            let style = if selected {
                cell.style.patch(selected_style())
            } else {
                cell.style
            };
            draw_cell(buf, *rect, y, &cell.text, style, column.align);
        }
    }
}

fn draw_cell(buf: &mut Buffer, rect: Rect, y: u16, text: &str, style: Style, align: Alignment) {
    let width = usize::from(rect.width);
    let text = truncate(text, width);
    let used = text_width(&text);
    let x = match align {
        Alignment::Right => rect.x + (width - used) as u16,
        Alignment::Center => rect.x + ((width - used) / 2) as u16,
        Alignment::Left => rect.x,
    };
    buf.set_stringn(x, y, &text, width, style);
}

/// Display width of `text` in terminal cells.
pub fn text_width(text: &str) -> usize {
    Span::raw(text).width()
}

/// `text` cut to at most `width` cells, ending in `…` when something was cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text_width(text) <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let w = text_width(ch.encode_utf8(&mut [0; 4]));
        if used + w > width - 1 {
            break;
        }
        out.push(ch);
        used += w;
    }
    out.push('…');
    out
}

/// A selection movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Movement {
    /// One row up.
    Up,
    /// One row down.
    Down,
    /// One page up.
    PageUp,
    /// One page down.
    PageDown,
    /// The first row.
    Home,
    /// The last row.
    End,
}

/// The selection after `movement` in a table of `len` rows showing `page` rows at a time.
pub fn move_selection(
    selected: Option<usize>,
    len: usize,
    movement: Movement,
    page: usize,
) -> Option<usize> {
    if len == 0 {
        return None;
    }
    let last = len - 1;
    let page = page.max(1);
    let current = selected.unwrap_or(0).min(last);
    let next = match (selected, movement) {
        (None, Movement::End) => last,
        (None, _) => 0,
        (_, Movement::Up) => current.saturating_sub(1),
        (_, Movement::Down) => (current + 1).min(last),
        (_, Movement::PageUp) => current.saturating_sub(page),
        (_, Movement::PageDown) => (current + page).min(last),
        (_, Movement::Home) => 0,
        (_, Movement::End) => last,
    };
    Some(next)
}

/// A selection kept inside a table of `len` rows (first row when nothing was selected).
pub fn clamp_selection(selected: Option<usize>, len: usize) -> Option<usize> {
    match len {
        0 => None,
        _ => Some(selected.unwrap_or(0).min(len - 1)),
    }
}

/// The first visible row so that `selected` is on screen, moving `offset` as little as
/// possible, for `len` rows in a body of `height` rows.
pub fn scroll_offset(selected: Option<usize>, offset: usize, len: usize, height: usize) -> usize {
    let max_offset = len.saturating_sub(height.max(1));
    let offset = offset.min(max_offset);
    match selected {
        Some(sel) if sel < offset => sel,
        Some(sel) if height > 0 && sel >= offset + height => sel + 1 - height,
        _ => offset,
    }
    .min(max_offset)
}

/// Row indices ordered by `keys` in `direction`; equal keys keep their original order.
pub fn sort_order<K: Ord>(keys: &[K], direction: SortDirection) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| {
        let ord = keys[a].cmp(&keys[b]);
        match direction {
            SortDirection::Ascending => ord,
            SortDirection::Descending => ord.reverse(),
        }
    });
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    #[test]
    fn selection_stays_in_bounds() {
        use Movement::*;
        assert_eq!(move_selection(None, 0, Down, 5), None);
        assert_eq!(move_selection(None, 3, Down, 5), Some(0));
        assert_eq!(move_selection(None, 3, End, 5), Some(2));
        assert_eq!(move_selection(Some(0), 3, Up, 5), Some(0));
        assert_eq!(move_selection(Some(2), 3, Down, 5), Some(2));
        assert_eq!(move_selection(Some(1), 30, PageDown, 10), Some(11));
        assert_eq!(move_selection(Some(25), 30, PageDown, 10), Some(29));
        assert_eq!(move_selection(Some(5), 30, PageUp, 10), Some(0));
        assert_eq!(move_selection(Some(5), 30, Home, 10), Some(0));
        assert_eq!(
            move_selection(Some(9), 4, Up, 10),
            Some(2),
            "stale index clamps"
        );
        assert_eq!(
            move_selection(Some(3), 30, PageDown, 0),
            Some(4),
            "page of 0 moves 1"
        );
    }

    #[test]
    fn clamping_follows_the_row_count() {
        assert_eq!(clamp_selection(Some(7), 3), Some(2));
        assert_eq!(clamp_selection(None, 3), Some(0));
        assert_eq!(clamp_selection(Some(1), 0), None);
    }

    #[test]
    fn scrolling_keeps_the_selection_visible_with_minimal_movement() {
        assert_eq!(scroll_offset(Some(0), 0, 20, 5), 0);
        assert_eq!(scroll_offset(Some(4), 0, 20, 5), 0);
        assert_eq!(scroll_offset(Some(5), 0, 20, 5), 1);
        assert_eq!(scroll_offset(Some(12), 3, 20, 5), 8);
        assert_eq!(scroll_offset(Some(6), 8, 20, 5), 6);
        assert_eq!(
            scroll_offset(Some(7), 6, 20, 5),
            6,
            "still visible: no move"
        );
        assert_eq!(
            scroll_offset(Some(2), 10, 4, 5),
            0,
            "short tables never scroll"
        );
        assert_eq!(scroll_offset(None, 50, 20, 5), 15);
    }

    #[test]
    fn sorting_is_stable_in_both_directions() {
        let keys = [
            SortKey::Number(2),
            SortKey::Number(1),
            SortKey::Number(2),
            SortKey::Text("a".into()),
        ];
        assert_eq!(
            sort_order(&keys, SortDirection::Ascending),
            vec![1, 0, 2, 3]
        );
        assert_eq!(
            sort_order(&keys, SortDirection::Descending),
            vec![3, 0, 2, 1]
        );
        assert_eq!(
            SortDirection::Ascending.flipped(),
            SortDirection::Descending
        );
    }

    #[test]
    fn truncation_ends_in_an_ellipsis() {
        assert_eq!(truncate("abcdef", 6), "abcdef");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abcdef", 0), "");
        assert_eq!(truncate("★ full", 3), "★ …");
    }

    #[test]
    fn renders_header_marker_alignment_and_scrolled_rows() {
        let columns = [
            Column::new("Name", Constraint::Length(6)),
            Column::new("Size", Constraint::Length(5)).right(),
        ];
        let rows: Vec<Row> = (0..6)
            .map(|i| vec![Cell::from(format!("row{i}")), Cell::from(format!("{i}"))])
            .collect();
        let view = TableView {
            columns: &columns,
            rows: &rows,
            selected: Some(4),
            offset: 0,
            sort: Some(SortSpec {
                column: 1,
                direction: SortDirection::Descending,
            }),
            block: None,
            empty: None,
        };
        let mut terminal = Terminal::new(TestBackend::new(12, 4)).unwrap();
        terminal
            .draw(|frame| render(frame, frame.area(), &view))
            .unwrap();
        let screen = terminal.backend().to_string();
        let lines: Vec<&str> = screen.lines().collect();
        assert_eq!(lines[0], "\"Name   Size▼\"");
        assert_eq!(lines[1], "\"row2       2\"");
        assert_eq!(lines[3], "\"row4       4\"");
    }
}
