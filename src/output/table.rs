//! Tables for people that fit the terminal: one line per row, never wrapped.
//! When the table is wider than the terminal, the columns give way in the
//! order their tables rank them (least important first): a column is cut
//! with `…` down to a minimum width, or dropped whole. A cell is never
//! broken across lines, and only columns that allow it are ever cut.

use std::io::{self, Write};

use anyhow::Result;

/// How many columns a table may take: `None` for no limit.
///
/// `COLUMNS` when it is set (to pin the width, even through a pipe), else
/// the width of the terminal on stdout; no limit when stdout is not a
/// terminal, so that a pipe or a file gets the whole table.
pub fn width() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or_else(crate::sys::stdout_columns)
}

/// What a column does when the table is too wide. Lower ranks give way
/// first; a column may be cut at one rank and dropped at a later one.
#[derive(Clone, Debug, Default)]
pub struct Column {
    header: &'static str,
    /// Cut with `…` at each rank to no less than its width.
    cuts: Vec<(u8, usize)>,
    keep: Keep,
    /// Dropped whole at this rank.
    drop: Option<u8>,
}

/// Which end of a cut cell stays: the start of a name, the end of a path.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Keep {
    #[default]
    Start,
    End,
}

impl Column {
    /// A column that always shows in full.
    pub fn new(header: &'static str) -> Column {
        Column {
            header,
            ..Column::default()
        }
    }

    /// Cut with `…` at RANK to no less than MIN characters (nor the header's
    /// width), keeping KEEP; a column may be cut further at a later rank.
    pub fn cut(mut self, rank: u8, min: usize, keep: Keep) -> Column {
        let min = min.max(self.header.chars().count()).max(2);
        self.cuts.push((rank, min));
        self.keep = keep;
        self
    }

    /// Dropped at RANK.
    pub fn drop(mut self, rank: u8) -> Column {
        self.drop = Some(rank);
        self
    }
}

/// How a cell looks on a terminal with colour.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Style {
    #[default]
    Plain,
    /// Faint: finished or untouched.
    Dim,
    /// Red: gone or broken.
    Alarm,
    /// Bold yellow: waiting for the person.
    Attention,
    Bold,
}

impl Style {
    fn sgr(self) -> Option<&'static str> {
        match self {
            Style::Plain => None,
            Style::Dim => Some("2"),
            Style::Alarm => Some("31"),
            Style::Attention => Some("1;33"),
            Style::Bold => Some("1"),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Cell {
    text: String,
    style: Style,
}

impl Cell {
    /// A cell of TEXT on one line: control characters, line breaks
    /// included, are spelled out.
    pub fn new(text: impl AsRef<str>) -> Cell {
        Cell {
            text: super::printable(text.as_ref()),
            style: Style::Plain,
        }
    }

    pub fn style(mut self, style: Style) -> Cell {
        self.style = style;
        self
    }
}

impl<S: AsRef<str>> From<S> for Cell {
    fn from(text: S) -> Cell {
        Cell::new(text)
    }
}

/// A table: columns, rows, and, for `list`, a marked row (`*` in a first
/// column of its own).
pub struct Table {
    columns: Vec<Column>,
    headers: bool,
    marks: Option<Vec<bool>>,
    rows: Vec<Vec<Cell>>,
}

/// Between two columns.
const GAP: &str = "  ";

impl Table {
    pub fn new(columns: Vec<Column>) -> Table {
        Table {
            columns,
            headers: true,
            marks: None,
            rows: Vec::new(),
        }
    }

    /// No header line (for `config`, whose lines are TOML).
    pub fn without_headers(mut self) -> Table {
        self.headers = false;
        self
    }

    /// Adds COLUMN at the end, CELLS its value in each row so far.
    pub fn with_column(mut self, column: Column, cells: Vec<Cell>) -> Table {
        debug_assert_eq!(cells.len(), self.rows.len());
        self.columns.push(column);
        for (row, cell) in self.rows.iter_mut().zip(cells) {
            row.push(cell);
        }
        self
    }

    /// Adds a row of CELLS, one per column.
    pub fn row(&mut self, cells: Vec<Cell>) {
        debug_assert_eq!(cells.len(), self.columns.len());
        self.rows.push(cells);
    }

    /// Adds a row with a marker column: `*` when MARKED.
    pub fn marked_row(&mut self, marked: bool, cells: Vec<Cell>) {
        self.marks.get_or_insert_with(Vec::new).push(marked);
        self.row(cells);
    }

    /// The table's lines, within WIDTH columns when it can (`None`: no
    /// limit), coloured when COLOUR.
    pub fn lines(&self, width: Option<usize>, colour: bool) -> Vec<String> {
        let widths = self.fit(width);
        let mut lines = Vec::new();
        if self.headers {
            let header: Vec<Cell> = self.columns.iter().map(|c| Cell::new(c.header)).collect();
            lines.push(self.line(None, &header, &widths, false));
        }
        for (i, row) in self.rows.iter().enumerate() {
            let mark = self.marks.as_ref().map(|m| m[i]);
            lines.push(self.line(mark, row, &widths, colour));
        }
        lines
    }

    /// Prints the table to stdout: to the terminal's width unless WIDE.
    pub fn print(&self, wide: bool) -> Result<()> {
        let width = if wide { None } else { width() };
        let mut out = io::stdout().lock();
        for line in self.lines(width, super::colour_on_stdout()) {
            writeln!(out, "{line}")?;
        }
        Ok(())
    }

    /// Each column's width, `None` for a dropped one.
    fn fit(&self, limit: Option<usize>) -> Vec<Option<usize>> {
        let mut widths: Vec<Option<usize>> = (0..self.columns.len())
            .map(|i| {
                let header = if self.headers {
                    chars(self.columns[i].header)
                } else {
                    0
                };
                let cells = self.rows.iter().map(|r| chars(&r[i].text));
                Some(cells.fold(header, usize::max))
            })
            .collect();
        let Some(limit) = limit else {
            return widths;
        };
        let natural: Vec<usize> = widths.iter().flatten().copied().collect();
        let total = |widths: &[Option<usize>]| {
            let shown: Vec<usize> = widths.iter().flatten().copied().collect();
            let marker = if self.marked() { 2 } else { 0 };
            marker + shown.iter().sum::<usize>() + GAP.len() * shown.len().saturating_sub(1)
        };
        // Every step, least important first; at one rank, cuts before drops.
        // (rank, dropped, column, width to cut to)
        let mut steps: Vec<(u8, bool, usize, usize)> = Vec::new();
        for (i, column) in self.columns.iter().enumerate() {
            for &(rank, min) in &column.cuts {
                steps.push((rank, false, i, min));
            }
            // A droppable column with nothing to say (every cell `-`) goes
            // before any other gives way.
            let says_nothing = !self.rows.is_empty() && self.rows.iter().all(|r| r[i].text == "-");
            if let Some(rank) = column.drop {
                steps.push((if says_nothing { 0 } else { rank }, true, i, 0));
            }
        }
        steps.sort();
        for &(_, drop, i, min) in &steps {
            let over = total(&widths).saturating_sub(limit);
            if over == 0 {
                break;
            }
            if drop {
                widths[i] = None;
            } else if let Some(now) = widths[i] {
                widths[i] = Some(now.saturating_sub(over).max(min).min(now));
            }
        }
        // A column cut before a later one was dropped gets back what is
        // left, the most important first.
        for &(_, _, i, _) in steps.iter().rev().filter(|step| !step.1) {
            let room = limit.saturating_sub(total(&widths));
            if let Some(now) = widths[i] {
                widths[i] = Some((now + room).min(natural[i]));
            }
        }
        widths
    }

    /// Whether a row is marked: only then is there a marker column.
    fn marked(&self) -> bool {
        self.marks.as_ref().is_some_and(|m| m.contains(&true))
    }

    fn line(
        &self,
        mark: Option<bool>,
        cells: &[Cell],
        widths: &[Option<usize>],
        colour: bool,
    ) -> String {
        let mut line = match mark {
            Some(true) => "* ".to_string(),
            _ if self.marked() => "  ".to_string(),
            _ => String::new(),
        };
        let shown: Vec<usize> = (0..cells.len()).filter(|&i| widths[i].is_some()).collect();
        for (n, &i) in shown.iter().enumerate() {
            let width = widths[i].unwrap_or_default();
            let text = cut(&cells[i].text, width, self.columns[i].keep);
            let pad = width - chars(&text);
            match cells[i].style.sgr() {
                Some(sgr) if colour => line.push_str(&format!("\x1b[{sgr}m{text}\x1b[0m")),
                _ => line.push_str(&text),
            }
            if n + 1 < shown.len() {
                line.push_str(&" ".repeat(pad));
                line.push_str(GAP);
            }
        }
        line.trim_end().to_string()
    }
}

/// Characters, as a terminal counts columns for the text tables hold.
fn chars(text: &str) -> usize {
    text.chars().count()
}

/// TEXT in at most WIDTH characters: cut with `…`, keeping KEEP's end.
pub fn cut(text: &str, width: usize, keep: Keep) -> String {
    let count = chars(text);
    if count <= width {
        return text.to_string();
    }
    let kept = width.saturating_sub(1);
    match keep {
        Keep::Start => format!("{}…", text.chars().take(kept).collect::<String>()),
        Keep::End => format!("…{}", text.chars().skip(count - kept).collect::<String>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut table = Table::new(vec![
            Column::new("NAME").cut(9, 5, Keep::Start),
            Column::new("AGE").drop(2),
            Column::new("PATH").cut(1, 6, Keep::End).drop(3),
        ]);
        table.marked_row(
            true,
            vec!["alpha-beta".into(), "3h".into(), "~/w/alpha-beta".into()],
        );
        table.marked_row(false, vec!["b".into(), "10d".into(), "~/w/b".into()]);
        table
    }

    #[test]
    fn a_table_that_fits_is_shown_whole() {
        assert_eq!(
            table().lines(None, false),
            [
                "  NAME        AGE  PATH",
                "* alpha-beta  3h   ~/w/alpha-beta",
                "  b           10d  ~/w/b",
            ]
        );
    }

    #[test]
    fn columns_give_way_in_rank_order() {
        // The path is cut first, as far as needed.
        let lines = table().lines(Some(30), false);
        assert_eq!(lines[1], "* alpha-beta  3h   …alpha-beta");
        // Then the age goes, and the path gets back the room left.
        let lines = table().lines(Some(21), false);
        assert_eq!(lines[1], "* alpha-beta  …a-beta");
        // Then the path goes.
        let lines = table().lines(Some(12), false);
        assert_eq!(lines, ["  NAME", "* alpha-beta", "  b"]);
        // The name is cut last, and never below its minimum.
        let lines = table().lines(Some(3), false);
        assert_eq!(lines[1], "* alph…");
    }

    #[test]
    fn a_column_of_dashes_gives_way_first() {
        let mut table = Table::new(vec![
            Column::new("NAME"),
            Column::new("PORT").drop(1),
            Column::new("LOCKED").drop(9),
        ]);
        table.row(vec!["alpha".into(), "4100".into(), "-".into()]);
        table.row(vec!["beta".into(), "4101".into(), "-".into()]);
        assert_eq!(
            table.lines(Some(12), false),
            ["NAME   PORT", "alpha  4100", "beta   4101"]
        );
    }

    #[test]
    fn colour_wraps_the_text_not_the_padding() {
        let mut table = Table::new(vec![Column::new("A"), Column::new("B")]);
        table.row(vec![Cell::new("x").style(Style::Dim), "y".into()]);
        assert_eq!(table.lines(None, true)[1], "\x1b[2mx\x1b[0m  y");
    }

    #[test]
    fn cells_stay_on_one_line() {
        let mut table = Table::new(vec![Column::new("A")]).without_headers();
        table.row(vec!["two\nlines".into()]);
        assert_eq!(table.lines(None, false), ["two\\nlines"]);
    }
}
