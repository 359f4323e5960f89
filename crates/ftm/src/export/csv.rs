//! One CSV file per schema, every property a column, as `ftm export-csv` writes them.

use std::path::{Path, PathBuf};

use super::neo4j::csv_file;
use super::{ExportError, Exporter, PropertyColumns, join_values};
use crate::{Entity, Schema};

pub struct CsvExporter {
    dir: PathBuf,
    columns: PropertyColumns,
    files: Vec<(
        &'static Schema,
        ::csv::Writer<std::io::BufWriter<std::fs::File>>,
    )>,
}

impl CsvExporter {
    /// Write `<Schema>.csv` files into `dir` (created if needed).
    pub fn new(dir: &Path) -> Result<Self, ExportError> {
        std::fs::create_dir_all(dir)?;
        Ok(CsvExporter {
            dir: dir.to_path_buf(),
            columns: PropertyColumns::new(true),
            files: Vec::new(),
        })
    }

    /// The files written so far, in order of first use.
    pub fn files(&self) -> Vec<PathBuf> {
        self.files
            .iter()
            .map(|(s, _)| self.dir.join(format!("{}.csv", s.name())))
            .collect()
    }
}

impl Exporter for CsvExporter {
    fn write(&mut self, entity: &Entity) -> Result<(), ExportError> {
        let schema = entity.schema();
        let columns = self.columns.of(schema);
        let position = match self.files.iter().position(|(s, _)| *s == schema) {
            Some(i) => i,
            None => {
                let mut writer = csv_file(&self.dir.join(format!("{}.csv", schema.name())))?;
                let header = std::iter::once("id").chain(columns.iter().map(|p| p.name()));
                writer.write_record(header)?;
                self.files.push((schema, writer));
                self.files.len() - 1
            }
        };
        let mut row = Vec::with_capacity(columns.len() + 1);
        row.push(entity.id().unwrap_or_default().to_string());
        for prop in columns.iter() {
            row.push(join_values(prop.type_(), entity.get(prop.name())));
        }
        self.files[position].1.write_record(&row)?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), ExportError> {
        for (_, writer) in &mut self.files {
            writer.flush()?;
        }
        Ok(())
    }
}
