//! Streaming FtM JSON lines: one entity per line in, one per line out, in constant memory.

use std::io::{self, BufRead, Write};

use crate::entity::{Entity, EntityError, EntityJsonError};

/// Why one line could not be read as an entity.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("line {line}: invalid JSON: {source}")]
    Json {
        line: u64,
        source: serde_json::Error,
    },
    #[error("line {line}: {source}")]
    Entity { line: u64, source: EntityError },
    #[error("line {line}: entity has no id")]
    MissingId { line: u64 },
}

impl LineError {
    pub fn line(&self) -> u64 {
        match self {
            LineError::Json { line, .. }
            | LineError::Entity { line, .. }
            | LineError::MissingId { line } => *line,
        }
    }
}

/// Parse one line (without its newline) as an entity.
pub fn parse_line(line_no: u64, bytes: &[u8], cleaned: bool) -> Result<Entity, LineError> {
    Entity::from_json_slice(bytes, cleaned).map_err(|e| match e {
        EntityJsonError::Json(source) => LineError::Json {
            line: line_no,
            source,
        },
        EntityJsonError::Entity(source) => LineError::Entity {
            line: line_no,
            source,
        },
    })
}

/// Reads entities from FtM JSON lines, one line at a time. Blank lines are skipped.
/// Yields `Err` for a bad line and carries on with the next one; I/O errors end the stream.
pub struct EntityReader<R> {
    reader: R,
    buf: Vec<u8>,
    line: u64,
    cleaned: bool,
}

impl<R: BufRead> EntityReader<R> {
    /// `cleaned == false` cleans every value by its type while reading.
    pub fn new(reader: R, cleaned: bool) -> Self {
        EntityReader {
            reader,
            buf: Vec::with_capacity(4096),
            line: 0,
            cleaned,
        }
    }

    /// The next raw line with its number, or `None` at the end. Lets callers parse lines
    /// on other threads (see [`parse_line`]).
    pub fn next_line(&mut self) -> io::Result<Option<(u64, &[u8])>> {
        loop {
            self.buf.clear();
            if self.reader.read_until(b'\n', &mut self.buf)? == 0 {
                return Ok(None);
            }
            self.line += 1;
            let trimmed = trim_ascii(&self.buf);
            if !trimmed.is_empty() {
                let (start, len) = (
                    trimmed.as_ptr() as usize - self.buf.as_ptr() as usize,
                    trimmed.len(),
                );
                return Ok(Some((self.line, &self.buf[start..start + len])));
            }
        }
    }
}

impl<R: BufRead> Iterator for EntityReader<R> {
    type Item = io::Result<Result<Entity, LineError>>;

    fn next(&mut self) -> Option<Self::Item> {
        let cleaned = self.cleaned;
        match self.next_line() {
            Ok(Some((line, bytes))) => Some(Ok(parse_line(line, bytes, cleaned))),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

/// Write one entity as a JSON line. Entities without an id cannot be written.
pub fn write_entity<W: Write>(out: &mut W, entity: &Entity) -> io::Result<()> {
    if entity.id().is_none() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "cannot write an entity without an id",
        ));
    }
    serde_json::to_writer(&mut *out, entity)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lines_and_reports_bad_ones_with_numbers() {
        let input = b"{\"id\":\"a\",\"schema\":\"Person\",\"properties\":{\"name\":[\"Ann\"]}}\n\
            \n\
            not json\n\
            {\"id\":\"b\",\"schema\":\"Nope\"}\n\
            {\"id\":\"c\",\"schema\":\"Company\",\"properties\":{\"name\":\"ACME\"}}";
        let results: Vec<_> = EntityReader::new(&input[..], true)
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(results.len(), 4);
        assert_eq!(results[0].as_ref().unwrap().id(), Some("a"));
        assert_eq!(results[1].as_ref().unwrap_err().line(), 3);
        assert!(matches!(results[2], Err(LineError::Entity { line: 4, .. })));
        assert_eq!(results[3].as_ref().unwrap().get("name"), ["ACME"]);
    }

    #[test]
    fn round_trips_with_context() {
        let line = br#"{"id":"a","schema":"Person","collection_id":"12","properties":{"name":["Ann"]},"datasets":["d"]}"#;
        let e = parse_line(1, line, true).unwrap();
        let mut out = Vec::new();
        write_entity(&mut out, &e).unwrap();
        let back = parse_line(1, out.trim_ascii_end(), true).unwrap();
        assert_eq!(e, back);
        assert_eq!(back.context["collection_id"], "12");
        assert_eq!(back.datasets, ["d"]);
    }
}
