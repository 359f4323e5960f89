//! Records: one row of source data, column name → value, as a mapping sees it.
//!
//! A record holds only non-empty values (FtM drops a cell that is empty after
//! `sanitize_text`). Rows of one source share their column list, so a record is a vector of
//! optional values beside a shared, indexed header.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::{CleanOptions, PropertyType};

/// The column names of a source, with an index for lookups by name.
#[derive(Debug, Default)]
pub struct Columns {
    names: Vec<String>,
    index: HashMap<String, usize>,
}

impl Columns {
    /// Columns in source order. When a name repeats, the last column of that name is the
    /// one a lookup finds (a CSV header read into a Python dict behaves the same way).
    pub fn new(names: Vec<String>) -> Columns {
        let mut index = HashMap::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            index.insert(name.clone(), i);
        }
        Columns { names, index }
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// One row: a value (or nothing) per column.
#[derive(Clone)]
pub struct Record {
    columns: Arc<Columns>,
    values: Vec<Option<String>>,
}

impl Record {
    /// A record over `columns`; missing trailing values are absent, extra ones ignored.
    pub fn new(columns: Arc<Columns>, mut values: Vec<Option<String>>) -> Record {
        values.resize(columns.len(), None);
        Record { columns, values }
    }

    /// A record from (column, value) pairs, for tests and small sources. Values are kept
    /// as given: call [`sanitize_cell`] first if they come from outside.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Record {
        let (names, values): (Vec<String>, Vec<Option<String>>) = pairs
            .into_iter()
            .map(|(k, v)| (k.into(), Some(v.into())))
            .unzip();
        Record::new(Arc::new(Columns::new(names)), values)
    }

    /// The value of a column, if the row has one.
    pub fn get(&self, column: &str) -> Option<&str> {
        let i = self.columns.position(column)?;
        self.values.get(i)?.as_deref()
    }

    pub fn columns(&self) -> &Arc<Columns> {
        &self.columns
    }

    /// The (column, value) pairs that are present.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.columns
            .names()
            .iter()
            .zip(&self.values)
            .filter_map(|(k, v)| v.as_deref().map(|v| (k.as_str(), v)))
    }
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Why a source could not produce its next record.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{source_name}: {message}")]
    Read {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: line {line}: {message}")]
    Line {
        source_name: String,
        line: u64,
        message: String,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Where records come from: a CSV file, a database query, a download. Implementations
/// yield records in source order and stop at the first error they cannot skip.
pub trait RecordSource: Iterator<Item = Result<Record, SourceError>> + Send {}

impl<T: Iterator<Item = Result<Record, SourceError>> + Send> RecordSource for T {}

/// A raw cell as FtM keeps it: `sanitize_text` (NFC, unsafe characters removed, white
/// space stripped); `None` when nothing is left.
pub fn sanitize_cell(raw: &str) -> Option<String> {
    PropertyType::String.clean(raw, CleanOptions::default())
}

/// A floating point number as FtM's `sanitize_text` writes it: three decimals, trailing
/// zeros and a trailing point removed (`1.5`, `2`, `0.333`).
pub fn float_text(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0');
    text.strip_suffix('.').unwrap_or(text).to_string()
}

/// A boolean as Python's `str(bool)` writes it.
pub fn bool_text(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_find_the_last_column_of_a_name() {
        let columns = Arc::new(Columns::new(vec!["a".into(), "b".into(), "a".into()]));
        let record = Record::new(columns, vec![Some("1".into()), None, Some("3".into())]);
        assert_eq!(record.get("a"), Some("3"));
        assert_eq!(record.get("b"), None);
        assert_eq!(record.get("c"), None);
        let short = Record::new(
            Arc::new(Columns::new(vec!["x".into(), "y".into()])),
            vec![Some("1".into())],
        );
        assert_eq!(short.get("y"), None);
    }

    #[test]
    fn floats_are_written_like_ftm() {
        assert_eq!(float_text(1.5), "1.5");
        assert_eq!(float_text(2.0), "2");
        assert_eq!(float_text(100.0), "100");
        assert_eq!(float_text(1.0 / 3.0), "0.333");
        assert_eq!(float_text(0.0001), "0");
        assert_eq!(float_text(-2.25), "-2.25");
        assert_eq!(float_text(f64::NAN), "nan");
    }

    #[test]
    fn cells_are_sanitized() {
        assert_eq!(sanitize_cell("  a b \u{0} "), Some("a b".to_string()));
        assert_eq!(sanitize_cell(" \t "), None);
    }
}
