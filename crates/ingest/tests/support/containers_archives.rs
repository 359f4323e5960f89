//! Builders for the archives the tests feed in: zip, tar, 7z and a minimal RAR.
#![allow(dead_code)]

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;

/// A member of a test archive: a directory (name ends with `/`) or a file with content.
pub enum Member<'a> {
    Dir(&'a str),
    File(&'a str, &'a [u8]),
}

/// The tree the nesting tests use: `readme.txt`, `docs/report.txt`,
/// `docs/2024/minutes.txt` and an empty directory `empty/`.
pub fn nested_tree() -> Vec<Member<'static>> {
    vec![
        Member::File("readme.txt", b"top level readme"),
        Member::Dir("docs/"),
        Member::File("docs/report.txt", b"quarterly report on shell companies"),
        Member::Dir("docs/2024/"),
        Member::File("docs/2024/minutes.txt", b"minutes of the board meeting"),
        Member::Dir("empty/"),
    ]
}

pub fn zip_bytes(members: &[Member<'_>], options: SimpleFileOptions) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for member in members {
        match member {
            Member::Dir(name) => writer.add_directory(*name, options).unwrap(),
            Member::File(name, data) => {
                writer.start_file(*name, options).unwrap();
                writer.write_all(data).unwrap();
            }
        }
    }
    writer.finish().unwrap().into_inner()
}

pub fn tar_bytes(members: &[Member<'_>]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for member in members {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        match member {
            Member::Dir(name) => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
                builder
                    .append_data(&mut header, name, std::io::empty())
                    .unwrap();
            }
            Member::File(name, data) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(data.len() as u64);
                builder.append_data(&mut header, name, *data).unwrap();
            }
        }
    }
    builder.into_inner().unwrap()
}

/// A tar entry whose name is written as given, bypassing the builder's own path checks
/// (which refuse `..`), the way a hostile archive would be made.
pub fn raw_tar_entry(
    out: &mut Vec<u8>,
    name: &str,
    kind: tar::EntryType,
    link: Option<&str>,
    data: &[u8],
) {
    let mut header = tar::Header::new_old();
    {
        let old = header.as_old_mut();
        old.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(link) = link {
            old.linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
    }
    header.set_mode(0o644);
    header.set_entry_type(kind);
    header.set_size(data.len() as u64);
    header.set_cksum();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    let pad = (512 - data.len() % 512) % 512;
    out.extend(std::iter::repeat_n(0u8, pad));
}

/// Close a hand-made tar stream with its two zero blocks.
pub fn end_tar(out: &mut Vec<u8>) {
    out.extend(std::iter::repeat_n(0u8, 1024));
}

pub fn sevenz_bytes(members: &[Member<'_>]) -> Vec<u8> {
    let mut writer = sevenz_rust2::ArchiveWriter::new(Cursor::new(Vec::new())).unwrap();
    for member in members {
        match member {
            Member::Dir(name) => {
                let entry = sevenz_rust2::ArchiveEntry::new_directory(name.trim_end_matches('/'));
                writer.push_archive_entry::<&[u8]>(entry, None).unwrap();
            }
            Member::File(name, data) => {
                let entry = sevenz_rust2::ArchiveEntry::new_file(name);
                writer.push_archive_entry(entry, Some(*data)).unwrap();
            }
        }
    }
    writer.finish().unwrap().into_inner()
}

/// A RAR 4 archive with stored (uncompressed) members, built field by field from the
/// published format notes: marker block, archive header, one file header per member
/// (Unix host, so the attributes are a Unix mode), end-of-archive block.
pub fn rar4_stored(members: &[Member<'_>]) -> Vec<u8> {
    let mut out = b"Rar!\x1a\x07\x00".to_vec();
    let mut main = vec![0x73, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0];
    push_with_crc(&mut out, &mut main);
    for member in members {
        let (name, data, flags, attr): (&str, &[u8], u16, u32) = match member {
            Member::Dir(name) => (name.trim_end_matches('/'), b"", 0x8000 | 0x00e0, 0o040755),
            Member::File(name, data) => (name, data, 0x8000, 0o100644),
        };
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let mut head = vec![0x74];
        head.extend_from_slice(&flags.to_le_bytes());
        head.extend_from_slice(&((32 + name.len()) as u16).to_le_bytes());
        head.extend_from_slice(&(data.len() as u32).to_le_bytes());
        head.extend_from_slice(&(data.len() as u32).to_le_bytes());
        head.push(3); // host OS: Unix
        head.extend_from_slice(&crc.sum().to_le_bytes());
        head.extend_from_slice(&0x5a6b_3c21u32.to_le_bytes()); // DOS timestamp
        head.push(20); // version needed: 2.0
        head.push(0x30); // method: store
        head.extend_from_slice(&(name.len() as u16).to_le_bytes());
        head.extend_from_slice(&attr.to_le_bytes());
        head.extend_from_slice(name.as_bytes());
        push_with_crc(&mut out, &mut head);
        out.extend_from_slice(data);
    }
    out.extend_from_slice(&[0xc4, 0x3d, 0x7b, 0x00, 0x40, 0x07, 0x00]);
    out
}

/// Prefix a RAR block (from its type byte on) with the low 16 bits of its CRC-32.
fn push_with_crc(out: &mut Vec<u8>, block: &mut Vec<u8>) {
    let mut crc = flate2::Crc::new();
    crc.update(block);
    out.extend_from_slice(&((crc.sum() & 0xffff) as u16).to_le_bytes());
    out.append(block);
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

pub fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

pub fn xz(data: &[u8]) -> Vec<u8> {
    let mut enc = lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::default()).unwrap();
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}
