//! `GET /entities/{id}/rows`: a page of a Table's stored CSV (`csvHash`), so that the web
//! interface never downloads and parses a big table whole. Only the asked-for rows are kept
//! in memory. Per-column "contains" filters (`col:<index>=text`, case-insensitive) are
//! applied on the server and read the whole table.
//!
//! The first read of a table also records where every [`STRIDE`]th row starts (a sparse
//! row index, saved under the data directory; blobs never change, so it never goes stale).
//! Later unfiltered pages seek to the nearest recorded row instead of reading from the
//! start, so paging deep into a table of millions of rows costs the same as the first page.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncSeekExt, BufReader};

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
    /// Bytes consumed so far: where the next row starts, counted from where reading began.
    position: u64,
}

impl<R: AsyncBufRead + Unpin> RowReader<R> {
    pub fn new(inner: R) -> Self {
        RowReader::starting_at(inner, 0)
    }

    /// A reader over a stream that begins at byte `position` of the file.
    pub fn starting_at(inner: R, position: u64) -> Self {
        RowReader {
            inner,
            done: false,
            position,
        }
    }

    /// The byte offset where the next row starts.
    pub fn position(&self) -> u64 {
        self.position
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
            self.position += used as u64;
            if finished {
                return Ok(Some(row));
            }
        }
    }
}

/// Rows between two recorded offsets: a deep page reads at most this many rows before its
/// first one.
pub const STRIDE: u64 = 1000;
const INDEX_MAGIC: &[u8; 8] = b"ALROWS01";

/// Where data rows `0, STRIDE, 2·STRIDE…` of a table start, and how many data rows it has.
#[derive(Debug, Clone, PartialEq)]
pub struct RowIndex {
    /// The CSV's size in bytes: an index for another size is not for this file.
    size: u64,
    rows: u64,
    offsets: Vec<u64>,
}

impl RowIndex {
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 * (4 + self.offsets.len()));
        out.extend_from_slice(INDEX_MAGIC);
        for n in [STRIDE, self.size, self.rows] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        for n in &self.offsets {
            out.extend_from_slice(&n.to_le_bytes());
        }
        out
    }

    /// The index in `bytes` if it is whole and made for a file of `size` bytes with this
    /// build's stride; anything else is rebuilt.
    fn from_bytes(bytes: &[u8], size: u64) -> Option<RowIndex> {
        let rest = bytes.strip_prefix(INDEX_MAGIC)?;
        if rest.len() % 8 != 0 {
            return None;
        }
        let mut numbers = rest
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()));
        let (stride, file_size, rows) = (numbers.next()?, numbers.next()?, numbers.next()?);
        let offsets: Vec<u64> = numbers.collect();
        let whole = offsets.len() as u64 == rows.div_ceil(STRIDE)
            && offsets.is_sorted()
            && offsets.last().is_none_or(|&o| o < size);
        (stride == STRIDE && file_size == size && whole).then_some(RowIndex {
            size,
            rows,
            offsets,
        })
    }
}

/// `<data dir>/cache/table-rows/ab/<hash>.rows`.
fn index_path(data_dir: &Path, csv_hash: &str) -> PathBuf {
    let shard = csv_hash.get(0..2).unwrap_or("__");
    data_dir
        .join("cache")
        .join("table-rows")
        .join(shard)
        .join(format!("{csv_hash}.rows"))
}

async fn load_index(path: &Path, size: u64) -> Option<RowIndex> {
    let bytes = tokio::fs::read(path).await.ok()?;
    RowIndex::from_bytes(&bytes, size)
}

/// Written to a temporary file and renamed, so a reader never sees half an index.
async fn save_index(path: &Path, index: &RowIndex) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let temp = path.with_extension(format!("{}.part", rand::random::<u32>()));
    tokio::fs::write(&temp, index.to_bytes()).await?;
    tokio::fs::rename(&temp, path).await
}

struct PageRequest {
    offset: usize,
    limit: usize,
    filters: Vec<(usize, String)>,
}

/// The page: `{status, columns, offset, limit, total, unfiltered, results: [[cell…]…]}`.
/// `total` counts the rows that pass the filters, `unfiltered` all data rows.
pub async fn rows(state: &AppState, csv_hash: &str, params: &Params) -> ApiResult<Value> {
    let request = page_request(params)?;
    let path = state.archive.local_path(csv_hash).await?;
    let size = tokio::fs::metadata(&path)
        .await
        .map_err(|e| ApiError::internal(format!("cannot read the table: {e}")))?
        .len();
    let index_file = index_path(&state.settings.data_dir, csv_hash);
    let index = match request.filters.is_empty() {
        true => load_index(&index_file, size).await,
        false => None,
    };
    let read_error = |e: std::io::Error| ApiError::internal(format!("cannot read the table: {e}"));
    let (columns, page) = match index {
        Some(index) => seek_page(&path, &index, &request)
            .await
            .map_err(read_error)?,
        None => {
            let scan = scan(&path, size, &request).await.map_err(read_error)?;
            if let Err(e) = save_index(&index_file, &scan.index).await {
                tracing::warn!("cannot save the row index of {csv_hash}: {e}");
            }
            scan.page
        }
    };
    Ok(json!({
        "status": "ok",
        "columns": columns,
        "offset": request.offset,
        "limit": request.limit,
        "total": page.total,
        "unfiltered": page.unfiltered,
        "results": page.rows,
    }))
}

fn page_request(params: &Params) -> ApiResult<PageRequest> {
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
    Ok(PageRequest {
        offset,
        limit,
        filters,
    })
}

struct Page {
    rows: Vec<Vec<String>>,
    total: u64,
    unfiltered: u64,
}

struct Scan {
    page: (Vec<String>, Page),
    index: RowIndex,
}

async fn open_rows(path: &Path, at: u64) -> std::io::Result<RowReader<BufReader<tokio::fs::File>>> {
    let mut file = tokio::fs::File::open(path).await?;
    if at > 0 {
        file.seek(std::io::SeekFrom::Start(at)).await?;
    }
    Ok(RowReader::starting_at(
        BufReader::with_capacity(64 * 1024, file),
        at,
    ))
}

/// Read the whole table: the page, the counts, and the row index on the way.
async fn scan(path: &Path, size: u64, request: &PageRequest) -> std::io::Result<Scan> {
    let mut reader = open_rows(path, 0).await?;
    let columns = reader.next_row().await?.unwrap_or_default();
    let mut offsets = Vec::new();
    let mut page = Page {
        rows: Vec::new(),
        total: 0,
        unfiltered: 0,
    };
    loop {
        let start = reader.position();
        let Some(row) = reader.next_row().await? else {
            break;
        };
        if page.unfiltered.is_multiple_of(STRIDE) {
            offsets.push(start);
        }
        page.unfiltered += 1;
        let keep = request.filters.iter().all(|(i, text)| {
            row.get(*i)
                .is_some_and(|cell| cell.to_lowercase().contains(text.as_str()))
        });
        if !keep {
            continue;
        }
        if page.total >= request.offset as u64 && page.rows.len() < request.limit {
            page.rows.push(row);
        }
        page.total += 1;
    }
    let index = RowIndex {
        size,
        rows: page.unfiltered,
        offsets,
    };
    Ok(Scan {
        page: (columns, page),
        index,
    })
}

/// An unfiltered page through the index: the header, then from the nearest recorded row.
async fn seek_page(
    path: &Path,
    index: &RowIndex,
    request: &PageRequest,
) -> std::io::Result<(Vec<String>, Page)> {
    let columns = open_rows(path, 0)
        .await?
        .next_row()
        .await?
        .unwrap_or_default();
    let mut page = Page {
        rows: Vec::new(),
        total: index.rows,
        unfiltered: index.rows,
    };
    let offset = request.offset as u64;
    let nearest = usize::try_from(offset / STRIDE).unwrap_or(usize::MAX);
    let Some(&start) = index.offsets.get(nearest) else {
        return Ok((columns, page));
    };
    let mut reader = open_rows(path, start).await?;
    for _ in 0..offset % STRIDE {
        if reader.next_row().await?.is_none() {
            return Ok((columns, page));
        }
    }
    while page.rows.len() < request.limit {
        match reader.next_row().await? {
            Some(row) => page.rows.push(row),
            None => break,
        }
    }
    Ok((columns, page))
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

    fn request(offset: usize, limit: usize) -> PageRequest {
        PageRequest {
            offset,
            limit,
            filters: Vec::new(),
        }
    }

    /// A table of `n` rows; every 7th row has a line break inside quotes, so row starts
    /// cannot be found by counting lines.
    fn table(n: u64) -> (tempfile::TempDir, PathBuf, u64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let mut csv = String::from("n,note\r\n");
        for i in 0..n {
            if i % 7 == 0 {
                csv.push_str(&format!("{i},\"line one\nline \"\"two\"\"\"\r\n"));
            } else {
                csv.push_str(&format!("{i},plain\r\n"));
            }
        }
        std::fs::write(&path, &csv).unwrap();
        (dir, path, csv.len() as u64)
    }

    #[tokio::test]
    async fn pages_through_the_index_match_a_full_read() {
        let n = 3 * STRIDE + 17;
        let (_dir, path, size) = table(n);
        let scan = scan(&path, size, &request(0, 10)).await.unwrap();
        assert_eq!(scan.index.rows, n);
        assert_eq!(scan.index.offsets.len(), 4);
        let saved = RowIndex::from_bytes(&scan.index.to_bytes(), size).unwrap();
        assert_eq!(saved, scan.index);
        for (offset, limit) in [
            (0, 5),
            (999, 3),
            (1000, 2),
            (2500, 50),
            (3010, 50),
            (5000, 5),
        ] {
            let (columns, page) = seek_page(&path, &saved, &request(offset, limit))
                .await
                .unwrap();
            let (_, full) = scan_page(&path, size, offset, limit).await;
            assert_eq!(columns, vec!["n", "note"]);
            assert_eq!(page.rows, full.rows, "offset {offset}");
            assert_eq!((page.total, page.unfiltered), (n, n));
        }
        // The last rows, straight from the index.
        let (_, tail) = seek_page(&path, &saved, &request(3015, 50)).await.unwrap();
        assert_eq!(
            tail.rows,
            vec![vec!["3015", "plain"], vec!["3016", "plain"]]
        );
        let (_, quoted) = seek_page(&path, &saved, &request(2002, 1)).await.unwrap();
        assert_eq!(quoted.rows, vec![vec!["2002", "line one\nline \"two\""]]);
    }

    async fn scan_page(path: &Path, size: u64, offset: usize, limit: usize) -> (Vec<String>, Page) {
        scan(path, size, &request(offset, limit))
            .await
            .unwrap()
            .page
    }

    #[test]
    fn an_index_for_another_file_or_cut_short_is_refused() {
        let index = RowIndex {
            size: 500,
            rows: 2500,
            offsets: vec![10, 200, 400],
        };
        let bytes = index.to_bytes();
        assert_eq!(RowIndex::from_bytes(&bytes, 500), Some(index.clone()));
        assert_eq!(RowIndex::from_bytes(&bytes, 501), None);
        assert_eq!(RowIndex::from_bytes(&bytes[..bytes.len() - 8], 500), None);
        assert_eq!(RowIndex::from_bytes(&bytes[..bytes.len() - 1], 500), None);
        assert_eq!(RowIndex::from_bytes(b"garbage", 500), None);
        let empty = RowIndex {
            size: 9,
            rows: 0,
            offsets: vec![],
        };
        assert_eq!(RowIndex::from_bytes(&empty.to_bytes(), 9), Some(empty));
    }
}
