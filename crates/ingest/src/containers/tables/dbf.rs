//! dBase/FoxPro tables (`.dbf`): a `Table` with the field names as columns.
//!
//! Our own reader rather than the `dbase` crate: that crate refuses a whole file when one
//! field has a type it does not know (FoxPro `G`eneral, `0` null flags, dBase 7 types),
//! and needs the memo file beside the table. Here unknown fields read as text, memo fields
//! (whose content lives in a separate `.dbt`/`.fpt` file that travels apart from the
//! `.dbf`) are left empty, and records are streamed one at a time.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use encoding_rs::Encoding;
use ftm::Entity;

use super::super::{entity_id, schema};
use super::TableWriter;
use crate::{Context, IngestError, Sink};

struct Field {
    name: String,
    kind: u8,
    length: usize,
}

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let mut reader = BufReader::new(File::open(path)?);
    let mut header = [0u8; 32];
    reader
        .read_exact(&mut header)
        .map_err(|_| IngestError::corrupt("not a DBF table: header is truncated"))?;
    let version = header[0];
    let records = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    let header_len = usize::from(u16::from_le_bytes([header[8], header[9]]));
    let record_len = usize::from(u16::from_le_bytes([header[10], header[11]]));
    if header_len < 33 || record_len < 2 {
        return Err(IngestError::corrupt(
            "not a DBF table: impossible header or record length",
        ));
    }
    let mut rest = vec![0u8; header_len - 32];
    reader
        .read_exact(&mut rest)
        .map_err(|_| IngestError::corrupt("not a DBF table: field list is truncated"))?;

    let mut fields = Vec::new();
    for descriptor in rest.chunks_exact(32) {
        if descriptor[0] == 0x0d {
            break;
        }
        let name_end = descriptor[..11].iter().position(|b| *b == 0).unwrap_or(11);
        fields.push(Field {
            name: String::from_utf8_lossy(&descriptor[..name_end])
                .trim()
                .to_string(),
            kind: descriptor[11].to_ascii_uppercase(),
            length: usize::from(descriptor[16]),
        });
    }
    let fields_len: usize = fields.iter().map(|f| f.length).sum();
    if fields.is_empty() || fields_len + 1 > record_len {
        return Err(IngestError::corrupt(
            "not a DBF table: field list does not match the record length",
        ));
    }
    let encoding = language_driver_encoding(header[29]);
    let foxpro = matches!(version, 0x30..=0x32);

    entity.set_schema(schema("Table")?);
    let id = entity_id(entity)?;
    let mut writer = TableWriter::new(ctx, &id)?;
    let visible: Vec<usize> = (0..fields.len())
        .filter(|i| fields[*i].kind != b'0')
        .collect();
    let columns: Vec<String> = visible.iter().map(|i| fields[*i].name.clone()).collect();
    let mut record = vec![0u8; record_len];
    let mut read = 0u32;
    let encoding = match encoding {
        Some(encoding) => encoding,
        None => guess_encoding(path, header_len)?,
    };
    while read < records {
        match reader.read_exact(&mut record) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                // Fewer records than the header says: keep what is there, as others do.
                break;
            }
            Err(e) => return Err(e.into()),
        }
        read += 1;
        if record[0] == 0x1a {
            break;
        }
        // Records marked deleted are gone for every dBase reader; skip them too.
        if record[0] == b'*' {
            continue;
        }
        let mut cells = Vec::with_capacity(visible.len());
        let mut offset = 1;
        let mut values = Vec::with_capacity(fields.len());
        for field in &fields {
            let raw = &record[offset..offset + field.length];
            offset += field.length;
            values.push(field_text(field, raw, encoding, foxpro));
        }
        for i in &visible {
            cells.push(std::mem::take(&mut values[*i]));
        }
        writer.row(&cells)?;
    }
    writer.finish(entity, Some(columns), sink)
}

/// The text of one field value.
fn field_text(field: &Field, raw: &[u8], encoding: &'static Encoding, foxpro: bool) -> String {
    let ascii = || {
        String::from_utf8_lossy(raw)
            .trim_matches(|c: char| c == ' ' || c == '\0')
            .to_string()
    };
    match field.kind {
        b'C' => {
            let end = raw
                .iter()
                .rposition(|b| *b != b' ' && *b != 0)
                .map_or(0, |i| i + 1);
            encoding.decode(&raw[..end]).0.into_owned()
        }
        b'N' | b'F' => ascii(),
        b'D' => {
            let text = ascii();
            if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
                format!("{}-{}-{}", &text[..4], &text[4..6], &text[6..])
            } else {
                text
            }
        }
        b'L' => match raw.first() {
            Some(b'T' | b't' | b'Y' | b'y') => "true".to_string(),
            Some(b'F' | b'f' | b'N' | b'n') => "false".to_string(),
            _ => String::new(),
        },
        b'I' if raw.len() == 4 => i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]).to_string(),
        b'Y' if raw.len() == 8 => {
            let units = i64::from_le_bytes(raw.try_into().unwrap_or([0; 8]));
            format!("{}.{:04}", units / 10_000, (units % 10_000).abs())
        }
        b'B' if foxpro && raw.len() == 8 => {
            f64::from_le_bytes(raw.try_into().unwrap_or([0; 8])).to_string()
        }
        b'O' if raw.len() == 8 => f64::from_le_bytes(raw.try_into().unwrap_or([0; 8])).to_string(),
        b'T' if raw.len() == 8 => foxpro_datetime(raw),
        // Memo, general and picture fields point into a separate memo file.
        b'M' | b'G' | b'P' | b'B' => String::new(),
        _ => ascii(),
    }
}

/// A FoxPro datetime: a Julian day number and milliseconds since midnight.
fn foxpro_datetime(raw: &[u8]) -> String {
    let day = i64::from(u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]));
    let millis = i64::from(u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]));
    if day == 0 {
        return String::new();
    }
    // Julian day 2440588 is 1970-01-01.
    let seconds = (day - 2_440_588) * 86_400 + millis / 1000;
    super::super::iso_utc(seconds).unwrap_or_default()
}

/// The code page a DBF's language driver byte names, when it names one.
fn language_driver_encoding(ldid: u8) -> Option<&'static Encoding> {
    let page: u16 = match ldid {
        0x01 => 437,
        0x02 => 850,
        0x03 | 0x57 | 0x58 | 0x59 => 1252,
        0x26 | 0x65 => 866,
        0x64 => 852,
        0x66 => 865,
        0x6a => 737,
        0x7d => 1255,
        0x7e => 1256,
        0x13 | 0x7b => 932,
        0x4d | 0x7a => 936,
        0x4e | 0x79 => 949,
        0x4f | 0x78 => 950,
        0x7c => 874,
        0x96 => 10007,
        0xc8 => 1250,
        0xc9 => 1251,
        0xca => 1254,
        0xcb => 1253,
        0xcc => 1257,
        _ => return None,
    };
    codepage::to_encoding(page)
}

/// When the header names no code page: guess from the first 64 KiB of records.
fn guess_encoding(path: &Path, header_len: usize) -> Result<&'static Encoding, IngestError> {
    let mut file = File::open(path)?;
    std::io::copy(
        &mut (&mut file).take(header_len as u64),
        &mut std::io::sink(),
    )?;
    let mut sample = Vec::new();
    file.take(64 * 1024).read_to_end(&mut sample)?;
    let (_, name) = crate::text::decode(&sample);
    Ok(Encoding::for_label(name.as_bytes()).unwrap_or(encoding_rs::WINDOWS_1252))
}
