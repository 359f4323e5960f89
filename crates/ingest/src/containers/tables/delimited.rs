//! CSV and TSV files: the encoding is guessed from a sample (then the whole file is decoded
//! as a stream), the delimiter sniffed from the decoded sample, and the rows parsed with
//! quoting (fields may hold delimiters and line breaks) and streamed into a `Table`.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use encoding_rs::{Decoder, Encoding};
use ftm::Entity;

use super::super::{entity_id, schema};
use super::TableWriter;
use crate::{Context, FileInfo, IngestError, Sink};

/// Bytes read to guess the encoding and the delimiter.
const SAMPLE_BYTES: usize = 64 * 1024;
/// Delimiters we recognise, in order of preference on a tie.
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    info: &FileInfo,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let mut sample = Vec::with_capacity(SAMPLE_BYTES);
    File::open(path)?
        .take(SAMPLE_BYTES as u64)
        .read_to_end(&mut sample)?;
    let encoding = sniff_encoding(&sample);
    let (sample_text, _, _) = encoding.decode(&sample);
    let tab_named = matches!(info.extension().as_deref(), Some("tsv" | "tab"));
    let delimiter = sniff_delimiter(&sample_text, tab_named);

    entity.set_schema(schema("Table")?);
    if !entity.has("encoding") {
        entity.add("encoding", encoding.name())?;
    }
    let id = entity_id(entity)?;
    let mut writer = TableWriter::new(ctx, &id)?;
    let decoded = DecodingReader::new(
        BufReader::with_capacity(1 << 16, File::open(path)?),
        encoding,
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(1 << 16)
        .from_reader(decoded);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {
                let cells: Vec<&str> = record.iter().collect();
                writer.row(&cells)?;
            }
            Ok(false) => break,
            Err(err) => return Err(read_error(err, writer.rows())),
        }
    }
    writer.finish(entity, None, sink)
}

fn read_error(err: csv::Error, rows: u64) -> IngestError {
    match err.into_kind() {
        csv::ErrorKind::Io(io) => io.into(),
        other => IngestError::corrupt(format!("invalid CSV after {rows} rows: {other:?}")),
    }
}

/// The encoding of a sample: a BOM, else UTF-8 if the sample is (ignoring a character
/// cut at its end), else what `crate::text::decode` guesses.
fn sniff_encoding(sample: &[u8]) -> &'static Encoding {
    if let Some((encoding, _)) = Encoding::for_bom(sample) {
        return encoding;
    }
    match std::str::from_utf8(sample) {
        Ok(_) => return encoding_rs::UTF_8,
        Err(e) if e.error_len().is_none() => return encoding_rs::UTF_8,
        Err(_) => {}
    }
    // Cut at the last line end so a split character does not sway the guess.
    let end = sample
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(sample.len(), |i| i + 1);
    let (_, name) = crate::text::decode(&sample[..end]);
    Encoding::for_label(name.as_bytes()).unwrap_or(encoding_rs::WINDOWS_1252)
}

/// The delimiter whose count per line (outside quotes) is most consistent across the
/// sample's lines; tab wins for files named `.tsv`/`.tab` when it occurs at all.
fn sniff_delimiter(sample: &str, tab_named: bool) -> u8 {
    let lines = logical_lines(sample, 50);
    if tab_named && lines.iter().any(|l| l.contains('\t')) {
        return b'\t';
    }
    let mut best = (0usize, 0usize, b',');
    for delimiter in DELIMITERS {
        let counts: Vec<usize> = lines
            .iter()
            .map(|l| count_outside_quotes(l, delimiter))
            .collect();
        // The most common non-zero count, and on how many lines it occurs.
        let mut modal = (0usize, 0usize);
        for &c in counts.iter().filter(|c| **c > 0) {
            let freq = counts.iter().filter(|x| **x == c).count();
            if (freq, c) > (modal.1, modal.0) {
                modal = (c, freq);
            }
        }
        let (count, lines_agreeing) = modal;
        if (lines_agreeing, count) > (best.0, best.1) {
            best = (lines_agreeing, count, delimiter);
        }
    }
    best.2
}

/// Up to `max` lines of the sample, joining lines broken inside quoted fields; the last
/// (possibly cut) line is dropped when there are others.
fn logical_lines(sample: &str, max: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in sample.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if c == '\n' && !quoted {
            lines.push(std::mem::take(&mut current));
            if lines.len() >= max {
                return lines;
            }
        } else if c != '\r' {
            current.push(c);
        }
    }
    if lines.is_empty() && !current.is_empty() {
        lines.push(current);
    }
    lines.retain(|l| !l.trim().is_empty());
    lines
}

fn count_outside_quotes(line: &str, delimiter: u8) -> usize {
    let mut quoted = false;
    let mut count = 0;
    for b in line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if b == delimiter && !quoted {
            count += 1;
        }
    }
    count
}

/// Decodes a byte stream of a known encoding to UTF-8 on the fly (BOM removed), so the
/// CSV parser always sees UTF-8 without the whole file ever being in memory.
struct DecodingReader<R> {
    inner: R,
    decoder: Decoder,
    input: Vec<u8>,
    start: usize,
    end: usize,
    output: Vec<u8>,
    out_pos: usize,
    eof: bool,
}

impl<R: Read> DecodingReader<R> {
    fn new(inner: R, encoding: &'static Encoding) -> DecodingReader<R> {
        DecodingReader {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            input: vec![0u8; 1 << 16],
            start: 0,
            end: 0,
            output: Vec::with_capacity(1 << 17),
            out_pos: 0,
            eof: false,
        }
    }

    /// Decode the next chunk into `output`; false at the end of the stream.
    fn refill(&mut self) -> io::Result<bool> {
        self.output.clear();
        self.out_pos = 0;
        while self.output.is_empty() {
            if self.start == self.end && !self.eof {
                let n = loop {
                    match self.inner.read(&mut self.input) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other?,
                    }
                };
                self.start = 0;
                self.end = n;
                self.eof = n == 0;
            }
            if self.eof && self.start == self.end {
                let mut tail = [0u8; 16];
                let (_, _, written, _) = self.decoder.decode_to_utf8(&[], &mut tail, true);
                self.output.extend_from_slice(&tail[..written]);
                return Ok(!self.output.is_empty());
            }
            let needed = self
                .decoder
                .max_utf8_buffer_length(self.end - self.start)
                .unwrap_or(self.input.len() * 3 + 16);
            self.output.resize(needed, 0);
            let (_, read, written, _) = self.decoder.decode_to_utf8(
                &self.input[self.start..self.end],
                &mut self.output,
                false,
            );
            self.start += read;
            self.output.truncate(written);
        }
        Ok(true)
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos >= self.output.len() && !self.refill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.output.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_sniffed() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n4,5,6\n", false), b',');
        assert_eq!(sniff_delimiter("a;b;c\n1,5;2;3\n4;5,5;6\n", false), b';');
        assert_eq!(sniff_delimiter("a\tb\n1\t2\n", false), b'\t');
        assert_eq!(
            sniff_delimiter("name|note\nx|\"a, b, c\"\ny|z\n", false),
            b'|'
        );
        assert_eq!(sniff_delimiter("one column\nonly\n", false), b',');
        assert_eq!(sniff_delimiter("a,b\tc\n1,2\t3\n", true), b'\t');
    }

    #[test]
    fn quoted_line_breaks_do_not_split_lines() {
        let lines = logical_lines("a,\"multi\nline\",c\nd,e,f\n", 10);
        assert_eq!(lines, ["a,\"multi\nline\",c", "d,e,f"]);
    }

    #[test]
    fn decoding_reader_streams_any_encoding_to_utf8() {
        let latin1: Vec<u8> = b"Gr\xfc\xdfe,M\xfcnchen\n".repeat(20_000);
        let mut out = String::new();
        DecodingReader::new(&latin1[..], encoding_rs::WINDOWS_1252)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "Grüße,München\n".repeat(20_000));

        let utf16: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain("a,ü\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let mut out = String::new();
        DecodingReader::new(&utf16[..], encoding_rs::UTF_16LE)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "a,ü\n");
    }

    #[test]
    fn encodings_are_sniffed() {
        assert_eq!(sniff_encoding("grüße".as_bytes()), encoding_rs::UTF_8);
        assert_eq!(sniff_encoding(b"\xff\xfea\x00"), encoding_rs::UTF_16LE);
        let latin1 = b"name,city\nJ\xfcrgen M\xfcller,M\xfcnchen\nFran\xe7ois,Besan\xe7on\n";
        assert_eq!(sniff_encoding(latin1), encoding_rs::WINDOWS_1252);
    }
}
