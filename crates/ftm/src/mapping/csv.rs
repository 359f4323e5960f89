//! CSV records, read the way `ftm map` reads them: a header row, then one record per row.
//!
//! FtM opens the file in Python's text mode (every `\r\n` or lone `\r` becomes `\n`, also
//! inside quoted cells) and reads it with `csv.DictReader(skipinitialspace=True)`: spaces
//! after a delimiter are skipped, so `a, "b, c"` has two cells. [`PythonText`] does those two
//! things to the byte stream; the `csv` crate does the rest. A UTF-8 byte order mark is
//! dropped (Python would keep it in the first column name).

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use super::record::{Columns, Record, SourceError, sanitize_cell};

/// Records from CSV text. Empty cells are absent; cells are sanitised like FtM's.
pub struct CsvRecords<R: Read> {
    reader: csv::Reader<PythonText<R>>,
    columns: Arc<Columns>,
    name: String,
    row: csv::ByteRecord,
    failed: bool,
}

impl CsvRecords<BufReader<File>> {
    /// Open a CSV file by path or `file://` URL.
    pub fn open(location: &str) -> Result<Self, SourceError> {
        let path = location.strip_prefix("file://").unwrap_or(location);
        let file = File::open(Path::new(path)).map_err(|e| SourceError::Read {
            source_name: location.to_string(),
            message: format!("cannot open: {e}"),
        })?;
        CsvRecords::new(BufReader::with_capacity(1 << 20, file), location)
    }
}

impl<R: Read> CsvRecords<R> {
    /// Read CSV text from any reader; `name` labels errors.
    pub fn new(reader: R, name: &str) -> Result<Self, SourceError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(PythonText::new(reader));
        let err = |e: csv::Error| SourceError::Read {
            source_name: name.to_string(),
            message: e.to_string(),
        };
        let header = reader.byte_headers().map_err(err)?.clone();
        let names = header
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        Ok(CsvRecords {
            reader,
            columns: Arc::new(Columns::new(names)),
            name: name.to_string(),
            row: csv::ByteRecord::new(),
            failed: false,
        })
    }

    pub fn columns(&self) -> &Arc<Columns> {
        &self.columns
    }
}

impl<R: Read> Iterator for CsvRecords<R> {
    type Item = Result<Record, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.reader.read_byte_record(&mut self.row) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.row.position().map_or(0, |p| p.line());
                let mut values = Vec::with_capacity(self.columns.len());
                for cell in self.row.iter().take(self.columns.len()) {
                    let Ok(text) = std::str::from_utf8(cell) else {
                        self.failed = true;
                        return Some(Err(SourceError::Line {
                            source_name: self.name.clone(),
                            line,
                            message: "the text is not UTF-8 (convert the file first)".into(),
                        }));
                    };
                    values.push(sanitize_cell(text));
                }
                Some(Ok(Record::new(self.columns.clone(), values)))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(SourceError::Read {
                    source_name: self.name.clone(),
                    message: e.to_string(),
                }))
            }
        }
    }
}

/// Where [`PythonText`] is in the CSV syntax.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    /// At the start of a cell: spaces are skipped, a quote opens a quoted cell.
    CellStart,
    InCell,
    InQuotes,
    /// Just read a quote inside quotes: a second quote is an escaped quote.
    QuoteInQuotes,
}

/// A byte stream with Python's text-mode newline translation and `skipinitialspace`.
pub struct PythonText<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    pos: Position,
    /// The previous input byte was `\r` (so a following `\n` is dropped).
    after_cr: bool,
    at_start: bool,
}

impl<R: Read> PythonText<R> {
    pub fn new(inner: R) -> Self {
        PythonText {
            inner,
            buf: vec![0; 64 * 1024],
            start: 0,
            end: 0,
            pos: Position::CellStart,
            after_cr: false,
            at_start: true,
        }
    }
}

impl<R: Read> Read for PythonText<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.start == self.end {
                self.start = 0;
                self.end = self.inner.read(&mut self.buf)?;
                if self.end == 0 {
                    return Ok(0);
                }
                if self.at_start {
                    self.at_start = false;
                    if self.buf[..self.end].starts_with(b"\xef\xbb\xbf") {
                        self.start = 3;
                    }
                }
            }
            let mut written = 0;
            while self.start < self.end && written < out.len() {
                let mut b = self.buf[self.start];
                self.start += 1;
                if self.after_cr {
                    self.after_cr = false;
                    if b == b'\n' {
                        continue;
                    }
                }
                if b == b'\r' {
                    self.after_cr = true;
                    b = b'\n';
                }
                match (self.pos, b) {
                    (Position::CellStart, b' ') => continue,
                    (Position::CellStart, b'"') => self.pos = Position::InQuotes,
                    (Position::CellStart | Position::InCell, b',' | b'\n') => {
                        self.pos = Position::CellStart;
                    }
                    (Position::CellStart, _) => self.pos = Position::InCell,
                    (Position::InCell, _) => {}
                    (Position::InQuotes, b'"') => self.pos = Position::QuoteInQuotes,
                    (Position::InQuotes, _) => {}
                    (Position::QuoteInQuotes, b'"') => self.pos = Position::InQuotes,
                    (Position::QuoteInQuotes, b',' | b'\n') => self.pos = Position::CellStart,
                    (Position::QuoteInQuotes, _) => self.pos = Position::InCell,
                }
                out[written] = b;
                written += 1;
            }
            if written > 0 {
                return Ok(written);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<(String, String)>> {
        CsvRecords::new(text.as_bytes(), "test")
            .unwrap()
            .map(|r| {
                r.unwrap()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .collect()
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn skips_initial_spaces_before_quotes() {
        let got = rows("id, name,  note\n1, \"Smith, John\", x\n");
        assert_eq!(
            got,
            [pairs(&[
                ("id", "1"),
                ("name", "Smith, John"),
                ("note", "x")
            ])]
        );
    }

    #[test]
    fn empty_and_missing_cells_are_absent() {
        let got = rows("a,b,c\n1,,  \n2\n\n3,4,5,6\n");
        assert_eq!(
            got,
            [
                pairs(&[("a", "1")]),
                pairs(&[("a", "2")]),
                pairs(&[("a", "3"), ("b", "4"), ("c", "5")])
            ]
        );
    }

    #[test]
    fn newlines_are_translated_inside_quotes_too() {
        let got = rows("a,b\r\n\"x\r\ny\",\"q\"\"r\"\r\"z\rw\",2\r\n");
        assert_eq!(
            got,
            [
                pairs(&[("a", "x\ny"), ("b", "q\"r")]),
                pairs(&[("a", "z\nw"), ("b", "2")])
            ]
        );
    }

    #[test]
    fn drops_a_byte_order_mark_and_keeps_header_text() {
        let got = rows("\u{feff}id,name \n1,A\n");
        assert_eq!(got, [pairs(&[("id", "1"), ("name ", "A")])]);
    }

    #[test]
    fn refuses_text_that_is_not_utf8() {
        let mut records = CsvRecords::new(&b"a\n\xff\n"[..], "bad.csv").unwrap();
        let err = records.next().unwrap().unwrap_err();
        assert!(err.to_string().contains("bad.csv: line 2"), "{err}");
        assert!(records.next().is_none());
    }

    #[test]
    fn reads_through_small_buffers() {
        let text = "a,b\n".to_string() + &"1, \"2\"\r\n".repeat(20_000);
        let mut adapted = Vec::new();
        let mut reader = PythonText::new(text.as_bytes());
        let mut small = [0u8; 7];
        loop {
            let n = reader.read(&mut small).unwrap();
            if n == 0 {
                break;
            }
            adapted.extend_from_slice(&small[..n]);
        }
        assert_eq!(
            String::from_utf8(adapted).unwrap(),
            "a,b\n".to_string() + &"1,\"2\"\n".repeat(20_000)
        );
    }
}
