//! Spreadsheets (`.xlsx`/`.xlsm`, `.xlsb`, `.xls`, `.ods`) with `calamine`: a `Workbook`
//! with one `Table` per sheet.
//!
//! The reader is chosen from the file's bytes, not its name. XLSX and XLSB sheets are
//! streamed cell by cell; calamine reads XLS and ODS sheets whole, so those take memory in
//! proportion to the largest sheet (such files are rarely large: XLS stops at 65,536 rows).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use calamine::{Data, DataRef, Ods, OdsError, Reader, Xls, XlsError, Xlsb, Xlsx};
use ftm::Entity;

use super::super::{entity_id, schema};
use super::{TableWriter, sheet_table};
use crate::{Context, IngestError, Sink};

type Source = BufReader<File>;

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let kind = sniff(path)?;
    let source = BufReader::new(File::open(path)?);
    entity.set_schema(schema("Workbook")?);
    let workbook_id = entity_id(entity)?;
    let mut book = Book::open(kind, source)?;
    let names = book.sheet_names();
    if names.len() as u64 > ctx.limits.max_members {
        return Err(IngestError::limit(format!(
            "workbook has more than {} sheets",
            ctx.limits.max_members
        )));
    }
    for name in names {
        let mut table = sheet_table(&workbook_id, &name)?;
        let mut writer = TableWriter::new(ctx, table.id().unwrap_or_default())?;
        book.write_sheet(&name, &mut writer)?;
        writer.finish(&mut table, None, sink)?;
        sink.entity(table)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Xls,
    Xlsx,
    Xlsb,
    Ods,
}

/// Which spreadsheet format the bytes hold. An encrypted OOXML workbook is a compound file
/// holding an `EncryptedPackage` stream.
fn sniff(path: &Path) -> Result<Kind, IngestError> {
    let mut head = [0u8; 8];
    let got = File::open(path)?.read(&mut head)?;
    let head = &head[..got];
    if head.starts_with(&[0xd0, 0xcf, 0x11, 0xe0]) {
        let cfb = cfb::open(path)
            .map_err(|e| IngestError::corrupt(format!("not a readable spreadsheet: {e}")))?;
        if cfb.is_stream("/EncryptedPackage") || cfb.is_stream("/EncryptionInfo") {
            return Err(IngestError::encrypted("spreadsheet"));
        }
        return Ok(Kind::Xls);
    }
    if head.starts_with(b"PK") {
        let zip = zip::ZipArchive::new(BufReader::new(File::open(path)?))
            .map_err(|e| IngestError::corrupt(format!("not a readable spreadsheet: {e}")))?;
        let has = |name: &str| zip.index_for_name(name).is_some();
        if has("xl/workbook.bin") {
            return Ok(Kind::Xlsb);
        }
        if has("xl/workbook.xml") {
            return Ok(Kind::Xlsx);
        }
        if has("content.xml") {
            return Ok(Kind::Ods);
        }
    }
    Err(IngestError::corrupt(
        "not a spreadsheet this reader knows (XLS, XLSX, XLSB or ODS)",
    ))
}

enum Book {
    Xls(Xls<Source>),
    Xlsx(Xlsx<Source>),
    Xlsb(Xlsb<Source>),
    Ods(Ods<Source>),
}

impl Book {
    fn open(kind: Kind, source: Source) -> Result<Book, IngestError> {
        Ok(match kind {
            Kind::Xls => Book::Xls(Xls::new(source).map_err(xls_error)?),
            Kind::Xlsx => Book::Xlsx(Xlsx::new(source).map_err(|e| corrupt(&e))?),
            Kind::Xlsb => Book::Xlsb(Xlsb::new(source).map_err(|e| corrupt(&e))?),
            Kind::Ods => Book::Ods(Ods::new(source).map_err(ods_error)?),
        })
    }

    fn sheet_names(&self) -> Vec<String> {
        match self {
            Book::Xls(b) => b.sheet_names(),
            Book::Xlsx(b) => b.sheet_names(),
            Book::Xlsb(b) => b.sheet_names(),
            Book::Ods(b) => b.sheet_names(),
        }
    }

    fn write_sheet(&mut self, name: &str, writer: &mut TableWriter) -> Result<(), IngestError> {
        match self {
            Book::Xlsx(b) => {
                let mut cells = b.worksheet_cells_reader(name).map_err(|e| corrupt(&e))?;
                let mut rows = RowAssembler::default();
                while let Some(cell) = cells.next_cell().map_err(|e| corrupt(&e))? {
                    let (row, col) = cell.get_position();
                    rows.cell(row, col, ref_text(cell.get_value()), writer)?;
                }
                rows.finish(writer)
            }
            Book::Xlsb(b) => {
                let mut cells = b.worksheet_cells_reader(name).map_err(|e| corrupt(&e))?;
                let mut rows = RowAssembler::default();
                while let Some(cell) = cells.next_cell().map_err(|e| corrupt(&e))? {
                    let (row, col) = cell.get_position();
                    rows.cell(row, col, ref_text(cell.get_value()), writer)?;
                }
                rows.finish(writer)
            }
            Book::Xls(b) => write_range(b.worksheet_range(name).map_err(xls_error)?, writer),
            Book::Ods(b) => write_range(b.worksheet_range(name).map_err(ods_error)?, writer),
        }
    }
}

fn write_range(range: calamine::Range<Data>, writer: &mut TableWriter) -> Result<(), IngestError> {
    for row in range.rows() {
        let cells: Vec<String> = row.iter().map(data_text).collect();
        writer.row(&cells)?;
    }
    Ok(())
}

/// Builds rows from cells that arrive in row order, each with its position.
#[derive(Default)]
struct RowAssembler {
    row: Option<u32>,
    cells: Vec<String>,
}

impl RowAssembler {
    fn cell(
        &mut self,
        row: u32,
        col: u32,
        text: String,
        writer: &mut TableWriter,
    ) -> Result<(), IngestError> {
        if self.row != Some(row) {
            self.flush(writer)?;
            self.row = Some(row);
        }
        let col = col as usize;
        // A cell far to the right in a forged sheet must not allocate a huge row.
        if col >= 16_384 {
            return Ok(());
        }
        if self.cells.len() <= col {
            self.cells.resize(col + 1, String::new());
        }
        self.cells[col] = text;
        Ok(())
    }

    fn flush(&mut self, writer: &mut TableWriter) -> Result<(), IngestError> {
        if !self.cells.is_empty() {
            writer.row(&self.cells)?;
            self.cells.clear();
        }
        Ok(())
    }

    fn finish(mut self, writer: &mut TableWriter) -> Result<(), IngestError> {
        self.flush(writer)
    }
}

fn ref_text(value: &DataRef<'_>) -> String {
    match value {
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::String(s) => s.clone(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => float_text(*f),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => datetime_text(dt),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(_) | DataRef::Empty => String::new(),
    }
}

fn data_text(value: &Data) -> String {
    match value {
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => datetime_text(dt),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

/// Whole numbers without a trailing `.0` (spreadsheets store every number as a float).
fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// Dates as ISO 8601 (a date alone when there is no time of day), as Aleph converts them.
fn datetime_text(dt: &calamine::ExcelDateTime) -> String {
    if dt.is_duration() {
        return float_text(dt.as_f64());
    }
    match dt.as_datetime() {
        Some(value) => match super::super::iso_utc(value.and_utc().timestamp()) {
            Some(text) => text
                .strip_suffix("T00:00:00")
                .map(str::to_string)
                .unwrap_or(text),
            None => float_text(dt.as_f64()),
        },
        None => float_text(dt.as_f64()),
    }
}

fn xls_error(err: XlsError) -> IngestError {
    match err {
        XlsError::Password => IngestError::encrypted("spreadsheet"),
        other => corrupt(&other),
    }
}

fn ods_error(err: OdsError) -> IngestError {
    match err {
        OdsError::Password => IngestError::encrypted("spreadsheet"),
        other => corrupt(&other),
    }
}

fn corrupt(err: &dyn std::fmt::Display) -> IngestError {
    IngestError::corrupt(format!("cannot read spreadsheet: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_a_person_wrote_them() {
        assert_eq!(float_text(42.0), "42");
        assert_eq!(float_text(-3.5), "-3.5");
        assert_eq!(float_text(0.1), "0.1");
    }
}
