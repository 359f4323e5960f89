//! RIFF files: for AVI the main header (`hdrl/avih`: microseconds per frame and frame
//! count give the duration), for AVI and WAVE the `INFO` list (title, artist, software,
//! creation date). symphonia 0.6 reads a WAVE file's `INFO` list but then drops it, so
//! WAVE metadata comes from here.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::MediaInfo;
use crate::IngestError;

/// Lists read into memory only up to this size (`hdrl`, `INFO`); `movi` is skipped.
const MAX_LIST: u32 = 4 * 1024 * 1024;

pub(super) fn read(path: &Path) -> Result<Option<MediaInfo>, IngestError> {
    let mut r = BufReader::new(File::open(path)?);
    let mut header = [0u8; 12];
    if r.read_exact(&mut header).is_err()
        || &header[..4] != b"RIFF"
        || !matches!(&header[8..12], b"AVI " | b"WAVE")
    {
        return Ok(None);
    }
    let mut media = MediaInfo::default();
    let mut found = false;
    for _ in 0..1000 {
        let mut chunk = [0u8; 8];
        if r.read_exact(&mut chunk).is_err() {
            break;
        }
        let size = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
        let padded = i64::from(size) + i64::from(size & 1);
        if &chunk[..4] == b"LIST" && (4..=MAX_LIST).contains(&size) {
            let mut body = vec![0u8; size as usize];
            if r.read_exact(&mut body).is_err() {
                break;
            }
            if size & 1 == 1 && r.seek(SeekFrom::Current(1)).is_err() {
                break;
            }
            match &body[..4] {
                b"hdrl" => found |= main_header(&body[4..], &mut media),
                b"INFO" => found |= info(&body[4..], &mut media),
                _ => {}
            }
        } else if r.seek(SeekFrom::Current(padded)).is_err() {
            break;
        }
    }
    Ok(found.then_some(media))
}

/// The chunks of a list body: (id, data).
fn chunks(mut data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    std::iter::from_fn(move || {
        if data.len() < 8 {
            return None;
        }
        let id = [data[0], data[1], data[2], data[3]];
        let size = u32::from_le_bytes([data[4], data[5], data[6], data[7]]) as usize;
        let body = data.get(8..8 + size)?;
        data = data.get(8 + size + (size & 1)..).unwrap_or(&[]);
        Some((id, body))
    })
}

fn main_header(hdrl: &[u8], media: &mut MediaInfo) -> bool {
    let Some((_, avih)) = chunks(hdrl).find(|(id, _)| id == b"avih") else {
        return false;
    };
    let le = |at: usize| {
        avih.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if let (Some(us_per_frame), Some(frames)) = (le(0), le(16))
        && us_per_frame > 0
    {
        media.duration_ms = Some(u64::from(us_per_frame) * u64::from(frames) / 1000);
    }
    true
}

fn info(list: &[u8], media: &mut MediaInfo) -> bool {
    for (id, data) in chunks(list) {
        let text = String::from_utf8_lossy(data)
            .trim_matches(char::from(0))
            .trim()
            .to_string();
        if text.is_empty() {
            continue;
        }
        match &id {
            b"INAM" => media.title = Some(text),
            b"IART" => media.artist = Some(text),
            b"ISFT" => media.generator.push(text),
            b"ICRD" => media.created = Some(text),
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_duration_and_info() {
        let mut avih = Vec::new();
        for v in [40_000u32, 0, 0, 0, 250] {
            avih.extend_from_slice(&v.to_le_bytes());
        }
        avih.extend_from_slice(&[0u8; 36]);
        let mut hdrl = b"hdrlavih".to_vec();
        hdrl.extend_from_slice(&(avih.len() as u32).to_le_bytes());
        hdrl.extend_from_slice(&avih);
        let mut media = MediaInfo::default();
        assert!(main_header(&hdrl[4..], &mut media));
        // 250 frames of 40 ms.
        assert_eq!(media.duration_ms, Some(10_000));
        let mut list = b"INAM".to_vec();
        list.extend_from_slice(&5u32.to_le_bytes());
        list.extend_from_slice(b"Clip\0\0");
        info(&list, &mut media);
        assert_eq!(media.title.as_deref(), Some("Clip"));
    }
}
