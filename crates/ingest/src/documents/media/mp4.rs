//! MP4 and QuickTime: the movie header (`moov/mvhd`: creation and modification time,
//! duration) and the title and encoder from the user data (`©nam`, `©too`, in QuickTime
//! or iTunes form).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::MediaInfo;
use crate::IngestError;
use crate::documents::dates::from_unix;

/// The movie box is read into memory only up to this size.
const MAX_MOOV: u64 = 64 * 1024 * 1024;

/// Seconds from 1904-01-01 (the MP4 epoch) to 1970-01-01.
const EPOCH_1904: i64 = 2_082_844_800;

/// Boxes that only contain other boxes.
const CONTAINERS: [&[u8; 4]; 7] = [
    b"moov", b"udta", b"ilst", b"trak", b"mdia", b"minf", b"meta",
];

pub(super) fn read(path: &Path) -> Result<Option<MediaInfo>, IngestError> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut pos = 0u64;
    // Top-level boxes: find `moov` (it may come after the media data).
    for _ in 0..10_000 {
        if pos + 8 > len {
            break;
        }
        file.seek(SeekFrom::Start(pos))?;
        let mut header = [0u8; 16];
        file.read_exact(&mut header[..8])?;
        let mut size = u64::from(u32::from_be_bytes([
            header[0], header[1], header[2], header[3],
        ]));
        let kind = [header[4], header[5], header[6], header[7]];
        let mut header_len = 8;
        if size == 1 {
            file.read_exact(&mut header[8..16])?;
            size = u64::from_be_bytes(header[8..16].try_into().unwrap_or([0; 8]));
            header_len = 16;
        } else if size == 0 {
            size = len - pos;
        }
        if size < header_len {
            break;
        }
        if &kind == b"moov" {
            let body_len = size - header_len;
            if body_len > MAX_MOOV {
                return Ok(None);
            }
            let mut body = vec![0u8; usize::try_from(body_len).unwrap_or(0)];
            if file.read_exact(&mut body).is_err() {
                return Ok(None);
            }
            let mut media = MediaInfo::default();
            walk(&body, &mut media, 0);
            return Ok(Some(media));
        }
        pos = pos.saturating_add(size);
    }
    Ok(None)
}

/// The boxes in `data`: (type, body).
fn boxes(data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.len() < 8 {
            return None;
        }
        let size = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let kind = [rest[4], rest[5], rest[6], rest[7]];
        let (size, header) = match size {
            0 => (rest.len(), 8),
            1 if rest.len() >= 16 => (
                usize::try_from(u64::from_be_bytes(rest[8..16].try_into().ok()?)).ok()?,
                16,
            ),
            s => (s, 8),
        };
        if size < header || size > rest.len() {
            return None;
        }
        let body = &rest[header..size];
        rest = &rest[size..];
        Some((kind, body))
    })
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn walk(data: &[u8], media: &mut MediaInfo, depth: u32) {
    if depth > 8 {
        return;
    }
    for (kind, body) in boxes(data) {
        match &kind {
            b"mvhd" => movie_header(body, media),
            // ISO `meta` is a full box (4 bytes of version and flags); QuickTime's is not.
            b"meta" if body.get(4..8) == Some(&b"hdlr"[..]) || body.len() < 8 => {
                walk(body, media, depth + 1)
            }
            b"meta" => walk(&body[4..], media, depth + 1),
            k if CONTAINERS.contains(&k) => walk(body, media, depth + 1),
            [0xA9, b'n', b'a', b'm'] => {
                if let Some(t) = user_text(body) {
                    media.title.get_or_insert(t);
                }
            }
            [0xA9, b'A', b'R', b'T'] => {
                if let Some(t) = user_text(body) {
                    media.artist.get_or_insert(t);
                }
            }
            [0xA9, b't', b'o', b'o'] | [0xA9, b's', b'w', b'r'] => {
                if let Some(t) = user_text(body) {
                    media.generator.push(t);
                }
            }
            _ => {}
        }
    }
}

fn movie_header(body: &[u8], media: &mut MediaInfo) {
    let Some(&version) = body.first() else { return };
    let fields = if version == 1 {
        (
            be_u64(body, 4),
            be_u64(body, 12),
            be_u32(body, 20),
            be_u64(body, 24),
        )
    } else {
        (
            be_u32(body, 4).map(u64::from),
            be_u32(body, 8).map(u64::from),
            be_u32(body, 12),
            be_u32(body, 16).map(u64::from),
        )
    };
    let (created, modified, timescale, duration) = fields;
    // Zero means "not set".
    let time = |t: u64| {
        i64::try_from(t)
            .ok()
            .filter(|t| *t > 0)
            .and_then(|t| from_unix(t - EPOCH_1904))
    };
    media.created = created.and_then(time);
    media.modified = modified.and_then(time);
    if let (Some(scale), Some(duration)) = (timescale.filter(|s| *s > 0), duration)
        && duration != u64::MAX
        && duration != u64::from(u32::MAX)
    {
        media.duration_ms = u64::try_from(u128::from(duration) * 1000 / u128::from(scale)).ok();
    }
}

/// A user-data string: iTunes style (a `data` box: type, locale, UTF-8) or QuickTime
/// style (16-bit length, 16-bit language, text).
fn user_text(body: &[u8]) -> Option<String> {
    if let Some((_, data)) = boxes(body).find(|(k, _)| k == b"data") {
        let text = String::from_utf8_lossy(data.get(8..)?).trim().to_string();
        return (!text.is_empty()).then_some(text);
    }
    let len = usize::from(u16::from_be_bytes(body.get(0..2)?.try_into().ok()?));
    let text = String::from_utf8_lossy(body.get(4..4 + len)?)
        .trim()
        .to_string();
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mp4_box(kind: &[u8], body: &[u8]) -> Vec<u8> {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    }

    #[test]
    fn reads_movie_header_and_title() {
        let mut mvhd = vec![0u8; 4];
        // 2020-01-01T00:00:00Z in MP4 time, modification, timescale 1000, 90.5 s.
        let created = (1_577_836_800i64 + EPOCH_1904) as u32;
        for v in [created, created, 1000, 90_500] {
            mvhd.extend_from_slice(&v.to_be_bytes());
        }
        mvhd.extend_from_slice(&[0u8; 80]);
        let mut title = vec![0, 5, 0x55, 0xC4];
        title.extend_from_slice(b"Hello");
        let udta = mp4_box(b"udta", &mp4_box(&[0xA9, b'n', b'a', b'm'], &title));
        let moov = [mp4_box(b"mvhd", &mvhd), udta].concat();
        let mut media = MediaInfo::default();
        walk(&moov, &mut media, 0);
        assert_eq!(media.duration_ms, Some(90_500));
        assert_eq!(media.created.as_deref(), Some("2020-01-01T00:00:00+00:00"));
        assert_eq!(media.title.as_deref(), Some("Hello"));
    }
}
