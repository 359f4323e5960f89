//! Images and sound for tests: a JPEG with an EXIF block, a PNG of rendered text, a WAV
//! file and an MP3 file with an ID3 tag.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Cursor;

use exif::experimental::Writer;
use exif::{Field, In, Tag, Value};
use image::{GrayImage, ImageFormat, Luma};

/// A small JPEG whose EXIF says it came from `make model` at `taken`.
pub fn jpeg_with_exif(make: &str, model: &str, taken: &str) -> Vec<u8> {
    let img = GrayImage::from_fn(64, 48, |x, y| Luma([((x * 4 + y * 2) % 256) as u8]));
    let mut jpeg = Vec::new();
    img.write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
        .unwrap();

    let fields = [
        Field {
            tag: Tag::Make,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![make.as_bytes().to_vec()]),
        },
        Field {
            tag: Tag::Model,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![model.as_bytes().to_vec()]),
        },
        Field {
            tag: Tag::DateTimeOriginal,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![taken.as_bytes().to_vec()]),
        },
        Field {
            tag: Tag::Artist,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![b"Photo Grapher".to_vec()]),
        },
    ];
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = Cursor::new(Vec::new());
    writer.write(&mut tiff, false).unwrap();
    let tiff = tiff.into_inner();

    // APP1 right after the start-of-image marker.
    let mut segment = b"Exif\0\0".to_vec();
    segment.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((segment.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&segment);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A small PNG file claiming `width` × `height` pixels (a decompression bomb's shape:
/// the header promises far more than the data holds).
pub fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = width.to_be_bytes().to_vec();
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 0, 0, 0, 0]);
    for (kind, data) in [
        (&b"IHDR"[..], header.as_slice()),
        (b"IDAT", &[0x78, 0x9C, 0x03, 0x00][..]),
        (b"IEND", &[][..]),
    ] {
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(data);
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&chunk);
        out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG of grey pixels.
pub fn png(width: u32, height: u32, pixels: Vec<u8>) -> Vec<u8> {
    let img = GrayImage::from_raw(width, height, pixels).unwrap();
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    out
}

/// A mono 16-bit WAV of `seconds` of silence at `rate`, with a RIFF INFO title.
pub fn wav(rate: u32, seconds: u32, title: &str) -> Vec<u8> {
    let samples = rate * seconds;
    let data_len = samples * 2;
    let mut info = b"INFO".to_vec();
    let mut name = title.as_bytes().to_vec();
    name.push(0);
    if name.len() % 2 == 1 {
        name.push(0);
    }
    info.extend_from_slice(b"INAM");
    info.extend_from_slice(&(name.len() as u32).to_le_bytes());
    info.extend_from_slice(&name);

    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(4 + 24 + 8 + info.len() as u32 + 8 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"LIST");
    out.extend_from_slice(&(info.len() as u32).to_le_bytes());
    out.extend_from_slice(&info);
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.resize(out.len() + data_len as usize, 0);
    out
}

/// An MP3 of `frames` silent MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz, 26 ms each)
/// behind an ID3v2.3 tag with a title and an artist.
pub fn mp3(frames: usize, title: &str, artist: &str) -> Vec<u8> {
    let mut tag_frames = Vec::new();
    for (id, text) in [(b"TIT2", title), (b"TPE1", artist)] {
        let mut body = vec![3u8]; // UTF-8
        body.extend_from_slice(text.as_bytes());
        tag_frames.extend_from_slice(id);
        tag_frames.extend_from_slice(&(body.len() as u32).to_be_bytes());
        tag_frames.extend_from_slice(&[0, 0]);
        tag_frames.extend_from_slice(&body);
    }
    let size = tag_frames.len() as u32;
    // ID3 sizes are "synchsafe": 7 bits per byte.
    let synchsafe = [
        (size >> 21) as u8 & 0x7F,
        (size >> 14) as u8 & 0x7F,
        (size >> 7) as u8 & 0x7F,
        size as u8 & 0x7F,
    ];
    let mut out = b"ID3\x03\x00\x00".to_vec();
    out.extend_from_slice(&synchsafe);
    out.extend_from_slice(&tag_frames);
    // 144 * 128000 / 44100 = 417 bytes per frame (no padding).
    for _ in 0..frames {
        let mut frame = vec![0xFF, 0xFB, 0x90, 0x64];
        frame.resize(417, 0);
        out.extend_from_slice(&frame);
    }
    out
}

fn mp4_box(kind: &[u8], body: &[u8]) -> Vec<u8> {
    let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(body);
    b
}

/// An MP4 file: `ftyp`, some media data, then the movie box with its header (created
/// at `created_unix`, lasting `millis`) and an iTunes-style title.
pub fn mp4(created_unix: u32, millis: u32, title: &str) -> Vec<u8> {
    const EPOCH_1904: u32 = 2_082_844_800;
    let mut mvhd = vec![0u8; 4];
    for v in [
        created_unix + EPOCH_1904,
        created_unix + EPOCH_1904,
        1000,
        millis,
    ] {
        mvhd.extend_from_slice(&v.to_be_bytes());
    }
    mvhd.extend_from_slice(&[0u8; 80]);
    let mut data = vec![0, 0, 0, 1, 0, 0, 0, 0];
    data.extend_from_slice(title.as_bytes());
    let ilst = mp4_box(
        b"ilst",
        &mp4_box(&[0xA9, b'n', b'a', b'm'], &mp4_box(b"data", &data)),
    );
    let mut meta = vec![0u8; 4];
    meta.extend_from_slice(&mp4_box(b"hdlr", &[0u8; 25]));
    meta.extend_from_slice(&ilst);
    let moov = mp4_box(
        b"moov",
        &[
            mp4_box(b"mvhd", &mvhd),
            mp4_box(b"udta", &mp4_box(b"meta", &meta)),
        ]
        .concat(),
    );
    let mut ftyp = b"isom".to_vec();
    ftyp.extend_from_slice(&[0, 0, 2, 0]);
    ftyp.extend_from_slice(b"isomiso2mp41");
    [
        mp4_box(b"ftyp", &ftyp),
        mp4_box(b"mdat", &[0u8; 1000]),
        moov,
    ]
    .concat()
}
