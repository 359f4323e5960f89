//! An Excel workbook with one sheet per schema, as `ftm export-excel` writes it, in
//! `rust_xlsxwriter`'s constant-memory mode (each sheet streams to a temporary file).
//!
//! Excel allows 1,048,576 rows a sheet and 32,767 characters a cell: a schema with more
//! rows continues on a sheet named `<plural> (2)`, and longer cells are cut (FtM writes
//! them whole, which Excel then refuses to open).

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Format, Workbook};

use super::{ExportError, Exporter, PropertyColumns, join_values};
use crate::{Entity, Schema};

const MAX_ROWS: u32 = 1_048_576;
const MAX_CELL: usize = 32_767;
const MAX_SHEET_NAME: usize = 31;

fn excel_error(e: rust_xlsxwriter::XlsxError) -> ExportError {
    ExportError::Excel(e.to_string())
}

struct Sheet {
    schema: &'static Schema,
    index: usize,
    next_row: u32,
    part: usize,
}

pub struct ExcelExporter {
    path: PathBuf,
    workbook: Workbook,
    header: Format,
    columns: PropertyColumns,
    sheets: Vec<Sheet>,
    count: usize,
}

impl ExcelExporter {
    /// Write the workbook to `path` when finished; sheets buffer in `tmp_dir` (the
    /// system's temporary directory if `None`).
    pub fn new(path: &Path, tmp_dir: Option<&Path>) -> Result<Self, ExportError> {
        let mut workbook = Workbook::new();
        if let Some(dir) = tmp_dir {
            workbook.set_tempdir(dir).map_err(excel_error)?;
        }
        Ok(ExcelExporter {
            path: path.to_path_buf(),
            workbook,
            header: Format::new()
                .set_bold()
                .set_font_color(0xFFFFFF)
                .set_background_color(0x982022),
            columns: PropertyColumns::new(false),
            sheets: Vec::new(),
            count: 0,
        })
    }

    /// Start a sheet (or a continuation sheet) for a schema; returns its position.
    fn add_sheet(&mut self, schema: &'static Schema, part: usize) -> Result<usize, ExportError> {
        let base: String = schema.plural().chars().take(MAX_SHEET_NAME).collect();
        let name = if part == 1 {
            base
        } else {
            let suffix = format!(" ({part})");
            let keep = MAX_SHEET_NAME - suffix.chars().count();
            format!("{}{suffix}", base.chars().take(keep).collect::<String>())
        };
        let columns = self.columns.of(schema);
        let sheet = self
            .workbook
            .add_worksheet_with_constant_memory()
            .map_err(excel_error)?;
        sheet.set_name(&name).map_err(excel_error)?;
        sheet.set_freeze_panes(1, 0).map_err(excel_error)?;
        sheet
            .write_string_with_format(0, 0, "ID", &self.header)
            .map_err(excel_error)?;
        for (i, prop) in columns.iter().enumerate() {
            sheet
                .write_string_with_format(0, (i + 1) as u16, prop.label(), &self.header)
                .map_err(excel_error)?;
        }
        sheet
            .autofilter(0, 0, 0, columns.len() as u16)
            .map_err(excel_error)?;
        self.sheets.push(Sheet {
            schema,
            index: self.count,
            next_row: 1,
            part,
        });
        self.count += 1;
        Ok(self.sheets.len() - 1)
    }
}

fn cell(text: &str) -> &str {
    match text.char_indices().nth(MAX_CELL) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}

impl Exporter for ExcelExporter {
    fn write(&mut self, entity: &Entity) -> Result<(), ExportError> {
        let schema = entity.schema();
        // The newest sheet of this schema.
        let position = match self.sheets.iter().rposition(|s| s.schema == schema) {
            Some(i) if self.sheets[i].next_row < MAX_ROWS => i,
            Some(i) => {
                let part = self.sheets[i].part + 1;
                self.add_sheet(schema, part)?
            }
            None => self.add_sheet(schema, 1)?,
        };
        let columns = self.columns.of(schema);
        let (index, row) = {
            let s = &mut self.sheets[position];
            s.next_row += 1;
            (s.index, s.next_row - 1)
        };
        let sheet = self
            .workbook
            .worksheet_from_index(index)
            .map_err(excel_error)?;
        sheet
            .write_string(row, 0, cell(entity.id().unwrap_or_default()))
            .map_err(excel_error)?;
        for (i, prop) in columns.iter().enumerate() {
            let value = join_values(prop.type_(), entity.get(prop.name()));
            if !value.is_empty() {
                sheet
                    .write_string(row, (i + 1) as u16, cell(&value))
                    .map_err(excel_error)?;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), ExportError> {
        self.workbook.save(&self.path).map_err(excel_error)?;
        Ok(())
    }
}
