//! Matroska and WebM: the segment's `Info` element (title, muxing and writing
//! application, date, duration). Elements before it are skipped by their sizes; the
//! clusters of media data come after it, so little of the file is read.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::MediaInfo;
use crate::IngestError;
use crate::documents::dates::from_unix;

const EBML: u32 = 0x1A45_DFA3;
const SEGMENT: u32 = 0x1853_8067;
const INFO: u32 = 0x1549_A966;
const CLUSTER: u32 = 0x1F43_B675;
const TIMECODE_SCALE: u32 = 0x2A_D7B1;
const DURATION: u32 = 0x4489;
const DATE_UTC: u32 = 0x4461;
const TITLE: u32 = 0x7BA9;
const MUXING_APP: u32 = 0x4D80;
const WRITING_APP: u32 = 0x5741;

/// Largest `Info` element read.
const MAX_INFO: u64 = 1024 * 1024;

/// Seconds from 1970-01-01 to 2001-01-01, Matroska's epoch.
const EPOCH_2001: i64 = 978_307_200;

pub(super) fn read(path: &Path) -> Result<Option<MediaInfo>, IngestError> {
    let mut r = BufReader::new(File::open(path)?);
    let Some((id, size)) = element(&mut r) else {
        return Ok(None);
    };
    if id != EBML {
        return Ok(None);
    }
    let Some(size) = size else { return Ok(None) };
    if r.seek_relative(i64::try_from(size).unwrap_or(i64::MAX))
        .is_err()
    {
        return Ok(None);
    }
    let Some((SEGMENT, _)) = element(&mut r) else {
        return Ok(None);
    };
    // The segment's children, up to `Info`.
    for _ in 0..1000 {
        let Some((id, size)) = element(&mut r) else {
            break;
        };
        match (id, size) {
            (INFO, Some(size)) if size <= MAX_INFO => {
                let mut body = vec![0u8; usize::try_from(size).unwrap_or(0)];
                if r.read_exact(&mut body).is_err() {
                    return Ok(None);
                }
                return Ok(Some(info(&body)));
            }
            (CLUSTER, _) | (_, None) => break,
            (_, Some(size)) => {
                if r.seek(SeekFrom::Current(i64::try_from(size).unwrap_or(i64::MAX)))
                    .is_err()
                {
                    break;
                }
            }
        }
    }
    Ok(None)
}

/// Read an element header: its id (marker bits kept, as ids are written) and its size
/// (`None` when "unknown").
fn element(r: &mut impl Read) -> Option<(u32, Option<u64>)> {
    let (id, id_len) = vint(r, false)?;
    if id_len > 4 {
        return None;
    }
    let (size, size_len) = vint(r, true)?;
    let unknown = size == (1u64 << (7 * size_len)) - 1;
    Some((u32::try_from(id).ok()?, (!unknown).then_some(size)))
}

/// An EBML variable-length integer; `strip` removes the length marker (for sizes).
fn vint(r: &mut impl Read, strip: bool) -> Option<(u64, u32)> {
    let mut first = [0u8; 1];
    r.read_exact(&mut first).ok()?;
    let len = first[0].leading_zeros() + 1;
    if len > 8 {
        return None;
    }
    let mut value = u64::from(first[0]);
    if strip {
        value &= (1u64 << (8 - len)) - 1;
    }
    for _ in 1..len {
        let mut b = [0u8; 1];
        r.read_exact(&mut b).ok()?;
        value = (value << 8) | u64::from(b[0]);
    }
    Some((value, len))
}

fn info(mut body: &[u8]) -> MediaInfo {
    let mut media = MediaInfo::default();
    let mut scale = 1_000_000u64;
    let mut duration = None;
    while let Some((id, Some(size))) = element(&mut body) {
        let Ok(size) = usize::try_from(size) else {
            break;
        };
        if size > body.len() {
            break;
        }
        let (value, rest) = body.split_at(size);
        body = rest;
        let uint = || value.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let text = || {
            let s = String::from_utf8_lossy(value)
                .trim_matches(char::from(0))
                .trim()
                .to_string();
            (!s.is_empty()).then_some(s)
        };
        match id {
            TIMECODE_SCALE => scale = uint().max(1),
            DURATION => {
                duration = match size {
                    4 => value
                        .try_into()
                        .ok()
                        .map(|b| f64::from(f32::from_be_bytes(b))),
                    8 => value.try_into().ok().map(f64::from_be_bytes),
                    _ => None,
                }
            }
            DATE_UTC if size == 8 => {
                let ns = i64::from_be_bytes(value.try_into().unwrap_or([0; 8]));
                media.created = from_unix(EPOCH_2001 + ns.div_euclid(1_000_000_000));
            }
            TITLE => media.title = text(),
            MUXING_APP | WRITING_APP => media.generator.extend(text()),
            _ => {}
        }
    }
    if let Some(d) = duration.filter(|d| d.is_finite() && *d > 0.0) {
        // Duration counts timecode ticks of `scale` nanoseconds.
        let ms = d * scale as f64 / 1e6;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let ms = ms.round() as u64;
        media.duration_ms = Some(ms);
    }
    media
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(id: &[u8], body: &[u8]) -> Vec<u8> {
        let mut v = id.to_vec();
        v.push(0x80 | body.len() as u8);
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn reads_segment_info() {
        let mut info_body = el(&[0x2A, 0xD7, 0xB1], &1_000_000u32.to_be_bytes());
        info_body.extend(el(&[0x44, 0x89], &12_345.0f64.to_be_bytes()));
        info_body.extend(el(&[0x7B, 0xA9], b"Interview"));
        info_body.extend(el(&[0x4D, 0x80], b"libebml"));
        let mut file = el(&[0x1A, 0x45, 0xDF, 0xA3], &el(&[0x42, 0x82], b"webm"));
        let segment_body = [
            el(&[0x11, 0x4D, 0x9B, 0x74], b"seekhead"),
            el(&[0x15, 0x49, 0xA9, 0x66], &info_body),
        ]
        .concat();
        file.extend([
            0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ]);
        file.extend(segment_body);
        let dir = std::env::temp_dir().join(format!("mkv-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.webm");
        std::fs::write(&path, &file).unwrap();
        let media = read(&path).unwrap().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(media.title.as_deref(), Some("Interview"));
        assert_eq!(media.duration_ms, Some(12_345));
        assert_eq!(media.generator, vec!["libebml".to_string()]);
    }
}
