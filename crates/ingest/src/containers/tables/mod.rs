//! Tables: CSV/TSV and DBF become a `Table`; spreadsheets and SQLite databases a
//! `Workbook` with one `Table` per sheet or database table.
//!
//! Every table goes through a [`TableWriter`], which does what Aleph's ingest-file does
//! with rows: it skips empty rows, writes the rest to a normalised CSV (UTF-8, every field
//! quoted, `\n` line ends, no header line) kept with `sink.blob` as `csvHash`, and sets
//! `rowCount` and `columns`. The rows are streamed to that file, never held; of their text
//! only the distinct cell values of each run of [`WINDOW_ROWS`] rows are kept, as
//! `indexText`, until `ctx.limits.max_text_bytes` is spent (see the crate doc of
//! `containers` for what that means for huge tables).

pub(super) mod dbf;
pub(super) mod delimited;
pub(super) mod spreadsheet;
pub(super) mod sqlite;

use std::collections::HashSet;
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use ftm::Entity;

use super::work_subdir;
use crate::{Context, IngestError, Sink};

/// Rows whose distinct cell values are pooled into one `indexText` value (Aleph's
/// fragment size).
pub(super) const WINDOW_ROWS: u64 = 10_000;

/// Streams the rows of one table to its normalised CSV and keeps its searchable text.
pub(super) struct TableWriter {
    path: PathBuf,
    csv: csv::Writer<BufWriter<File>>,
    rows: u64,
    width: usize,
    window: HashSet<String>,
    window_bytes: usize,
    window_rows: u64,
    text: Vec<String>,
    text_bytes: usize,
    max_text_bytes: usize,
}

impl TableWriter {
    /// A writer for the table entity `table_id`, its CSV in the work directory.
    pub(super) fn new(ctx: &Context, table_id: &str) -> Result<TableWriter, IngestError> {
        let dir = work_subdir(ctx, table_id, "table")?;
        let path = dir.join("rows.csv");
        let csv = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Always)
            .terminator(csv::Terminator::Any(b'\n'))
            .flexible(true)
            .from_writer(BufWriter::with_capacity(1 << 16, File::create(&path)?));
        Ok(TableWriter {
            path,
            csv,
            rows: 0,
            width: 0,
            window: HashSet::new(),
            window_bytes: 0,
            window_rows: 0,
            text: Vec::new(),
            text_bytes: 0,
            max_text_bytes: ctx.limits.max_text_bytes,
        })
    }

    /// Add one row; a row whose cells are all empty once cleaned is skipped.
    pub(super) fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), IngestError> {
        let mut clean: Vec<String> = Vec::with_capacity(cells.len());
        let mut any = false;
        for cell in cells {
            let value = clean_cell(cell.as_ref());
            any |= !value.is_empty();
            clean.push(value);
        }
        if !any {
            return Ok(());
        }
        self.csv.write_record(&clean).map_err(csv_error)?;
        self.rows += 1;
        self.width = self.width.max(clean.len());
        self.collect_text(clean);
        Ok(())
    }

    /// Pool a row's distinct values into the current window, while the budget lasts.
    fn collect_text(&mut self, cells: Vec<String>) {
        if self.text_bytes + self.window_bytes >= self.max_text_bytes {
            return;
        }
        for cell in cells {
            if cell.is_empty() || self.window.contains(&cell) {
                continue;
            }
            self.window_bytes += cell.len() + 1;
            self.window.insert(cell);
        }
        self.window_rows += 1;
        if self.window_rows >= WINDOW_ROWS
            || self.text_bytes + self.window_bytes >= self.max_text_bytes
        {
            self.close_window();
        }
    }

    fn close_window(&mut self) {
        if self.window.is_empty() {
            return;
        }
        let mut values: Vec<String> = self.window.drain().collect();
        values.sort();
        let mut fragment = values.join("\n");
        let room = self.max_text_bytes.saturating_sub(self.text_bytes);
        crate::text::truncate(&mut fragment, room);
        self.text_bytes += fragment.len();
        if !fragment.is_empty() {
            self.text.push(fragment);
        }
        self.window_bytes = 0;
        self.window_rows = 0;
    }

    /// How many rows were written so far.
    pub(super) fn rows(&self) -> u64 {
        self.rows
    }

    /// Finish the table: keep its CSV, and set `csvHash`, `rowCount`, `columns` and
    /// `indexText` on `table`. `columns` are the column names when the source has them;
    /// otherwise Aleph's `Column 1`, `Column 2`… up to the widest row.
    pub(super) fn finish(
        mut self,
        table: &mut Entity,
        columns: Option<Vec<String>>,
        sink: &mut dyn Sink,
    ) -> Result<(), IngestError> {
        self.close_window();
        self.csv.flush()?;
        let TableWriter {
            path,
            csv,
            rows,
            width,
            text,
            ..
        } = self;
        drop(csv);
        if rows > 0 {
            let hash = sink.blob(&path)?;
            table.add("csvHash", &hash)?;
        }
        table.add("rowCount", &rows.to_string())?;
        let columns =
            columns.unwrap_or_else(|| (1..=width).map(|i| format!("Column {i}")).collect());
        if !columns.is_empty() {
            table.add(
                "columns",
                &serde_json::to_string(&columns)
                    .map_err(|e| IngestError::new(crate::ErrorClass::Internal, e.to_string()))?,
            )?;
        }
        for fragment in text {
            table.add("indexText", &fragment)?;
        }
        Ok(())
    }
}

/// A cell as Aleph keeps it: control characters dropped, all-blank cells empty.
pub(super) fn clean_cell(raw: &str) -> String {
    if raw.trim().is_empty() {
        return String::new();
    }
    if raw
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return raw
            .chars()
            .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
            .collect();
    }
    raw.to_string()
}

fn csv_error(err: csv::Error) -> IngestError {
    match err.into_kind() {
        csv::ErrorKind::Io(io) => io.into(),
        other => IngestError::corrupt(format!("cannot write table rows: {other:?}")),
    }
}

/// A sheet or database table of a workbook: a `Table` entity whose id derives from the
/// workbook and the table's name, with `title` and `parent`.
pub(super) fn sheet_table(workbook_id: &str, name: &str) -> Result<Entity, IngestError> {
    let mut table = Entity::with_id("Table", crate::child_id(workbook_id, name))?;
    table.add("title", name)?;
    table.add("parent", workbook_id)?;
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CollectingSink;

    #[test]
    fn cells_lose_control_characters() {
        assert_eq!(clean_cell("  "), "");
        assert_eq!(clean_cell("a\u{0}b\u{7}c"), "abc");
        assert_eq!(clean_cell("line\nbreak"), "line\nbreak");
    }

    #[test]
    fn rows_become_a_quoted_csv_and_bounded_text() {
        let dir = tempfile::tempdir().unwrap();
        let mut ctx = Context::new(dir.path());
        ctx.limits.max_text_bytes = 40;
        let mut table = Entity::with_id("Table", "t1").unwrap();
        let mut sink = CollectingSink::default();
        let mut writer = TableWriter::new(&ctx, "t1").unwrap();
        writer.row(&["name", "city"]).unwrap();
        writer.row(&["", " "]).unwrap();
        writer
            .row(&["Acme \"Holdings\"", "Valletta\nMalta"])
            .unwrap();
        for i in 0..100 {
            writer
                .row(&[format!("company number {i}"), "x".to_string()])
                .unwrap();
        }
        writer.finish(&mut table, None, &mut sink).unwrap();

        assert_eq!(table.get("rowCount"), ["102"]);
        assert_eq!(table.get("columns"), [r#"["Column 1","Column 2"]"#]);
        let (hash, blob) = &sink.blobs[0];
        assert_eq!(table.get("csvHash"), [hash.as_str()]);
        let csv = std::fs::read_to_string(blob).unwrap();
        assert!(
            csv.starts_with("\"name\",\"city\"\n\"Acme \"\"Holdings\"\"\",\"Valletta\nMalta\"\n"),
            "{csv}"
        );
        let text: usize = table.get("indexText").iter().map(String::len).sum();
        assert!(text <= 40, "{text} bytes of text kept");
        assert!(table.get("indexText").iter().any(|t| t.contains("Acme")));
    }
}
