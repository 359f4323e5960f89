//! `GET /entities/{id}/rows`: a page of a Table's stored CSV (`csvHash`), so that the web
//! interface never downloads and parses a big table whole. The CSV is streamed from the
//! archive; only the asked-for rows are kept in memory. Per-column "contains" filters
//! (`col:<index>=text`, case-insensitive) are applied on the server.

use serde_json::{Value, json};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};

use crate::error::{ApiError, ApiResult};
use crate::params::Params;
use crate::state::AppState;

pub const DEFAULT_ROWS: usize = 50;
pub const MAX_ROWS: usize = 500;
/// A field longer than this is cut: a broken quote must not pull a whole file into memory.
const MAX_FIELD: usize = 64 * 1024;

/// Reads RFC 4180 rows (quoted fields, doubled quotes, line breaks inside quotes, CRLF or
/// LF) from a byte stream, one row at a time.
pub struct RowReader<R> {
    inner: R,
    done: bool,
}

impl<R: AsyncBufRead + Unpin> RowReader<R> {
    pub fn new(inner: R) -> Self {
        RowReader { inner, done: false }
    }

    pub async fn next_row(&mut self) -> std::io::Result<Option<Vec<String>>> {
        if self.done {
            return Ok(None);
        }
        let mut row: Vec<String> = Vec::new();
        let mut field: Vec<u8> = Vec::new();
        let mut quoted = false;
        // After a closing quote: a second quote is a literal one.
        let mut after_quote = false;
        let mut any = false;
        loop {
            let buf = self.inner.fill_buf().await?;
            if buf.is_empty() {
                self.done = true;
                if any {
                    row.push(String::from_utf8_lossy(&field).into_owned());
                    return Ok(Some(row));
                }
                return Ok(None);
            }
            let mut used = 0;
            let mut finished = false;
            for &b in buf {
                used += 1;
                any = true;
                if quoted {
                    if b == b'"' {
                        quoted = false;
                        after_quote = true;
                    } else if field.len() < MAX_FIELD {
                        field.push(b);
                    }
                    continue;
                }
                match b {
                    b'"' if after_quote => {
                        if field.len() < MAX_FIELD {
                            field.push(b'"');
                        }
                        quoted = true;
                        after_quote = false;
                    }
                    b'"' if field.is_empty() => quoted = true,
                    b',' => {
                        row.push(String::from_utf8_lossy(&field).into_owned());
                        field.clear();
                        after_quote = false;
                    }
                    b'\r' => {}
                    b'\n' => {
                        row.push(String::from_utf8_lossy(&field).into_owned());
                        finished = true;
                        break;
                    }
                    _ => {
                        after_quote = false;
                        if field.len() < MAX_FIELD {
                            field.push(b);
                        }
                    }
                }
            }
            self.inner.consume(used);
            if finished {
                return Ok(Some(row));
            }
        }
    }
}

/// The page: `{status, columns, offset, limit, total, unfiltered, results: [[cell…]…]}`.
/// `total` counts the rows that pass the filters, `unfiltered` all data rows.
pub async fn rows(state: &AppState, csv_hash: &str, params: &Params) -> ApiResult<Value> {
    let number = |key: &str, default: usize| -> ApiResult<usize> {
        match params.get(key) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse::<usize>()
                .map_err(|_| ApiError::invalid(key, format!("not an integer: {raw:?}"))),
        }
    };
    let offset = number("offset", 0)?;
    let limit = number("limit", DEFAULT_ROWS)?.min(MAX_ROWS);
    let mut filters: Vec<(usize, String)> = Vec::new();
    for (key, value) in &params.0 {
        if let Some(index) = key.strip_prefix("col:") {
            let index = index
                .parse::<usize>()
                .map_err(|_| ApiError::invalid(key, "not a column number"))?;
            let text = value.trim().to_lowercase();
            if !text.is_empty() {
                filters.push((index, text));
            }
        }
    }
    let reader = state.archive.open(csv_hash).await?;
    let mut rows = RowReader::new(BufReader::with_capacity(64 * 1024, reader));
    let read_error = |e: std::io::Error| ApiError::internal(format!("cannot read the table: {e}"));
    let columns = rows
        .next_row()
        .await
        .map_err(read_error)?
        .unwrap_or_default();
    let mut total = 0usize;
    let mut unfiltered = 0usize;
    let mut page = Vec::new();
    while let Some(row) = rows.next_row().await.map_err(read_error)? {
        unfiltered += 1;
        let keep = filters.iter().all(|(i, text)| {
            row.get(*i)
                .is_some_and(|cell| cell.to_lowercase().contains(text.as_str()))
        });
        if !keep {
            continue;
        }
        if total >= offset && page.len() < limit {
            page.push(row);
        }
        total += 1;
    }
    Ok(json!({
        "status": "ok",
        "columns": columns,
        "offset": offset,
        "limit": limit,
        "total": total,
        "unfiltered": unfiltered,
        "results": page,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn parse(text: &str) -> Vec<Vec<String>> {
        let mut reader = RowReader::new(BufReader::with_capacity(3, text.as_bytes()));
        let mut out = Vec::new();
        while let Some(row) = reader.next_row().await.unwrap() {
            out.push(row);
        }
        out
    }

    #[tokio::test]
    async fn rows_follow_rfc_4180_across_buffer_boundaries() {
        let rows = parse("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\"two\nlines\",\n3,4").await;
        assert_eq!(
            rows,
            vec![
                vec!["a", "b"],
                vec!["x, y", "say \"hi\""],
                vec!["two\nlines", ""],
                vec!["3", "4"],
            ]
        );
        assert!(parse("").await.is_empty());
        assert_eq!(parse("only\n").await, vec![vec!["only"]]);
    }
}
