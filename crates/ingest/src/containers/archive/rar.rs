//! RAR archives (v4 and v5) through libarchive (`compress-tools`, Debian's `libarchive-dev`).
//!
//! Why libarchive: the only pure-Rust-callable alternative, the `unrar` crate, bundles
//! RARLAB's C++ source under a licence that is not open source; libarchive reads RAR
//! (stored and compressed, v4 and v5) under a BSD licence and is a stock Debian package.
//! What it cannot do: multi-volume sets (`.part1.rar`…) and encrypted members, which fail
//! as `Corrupt` and `Encrypted`. libarchive reads many formats; only files that carry the
//! RAR signature are handed to it here.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use compress_tools::{ArchiveContents, ArchiveIteratorBuilder};
use ftm::Entity;

use super::{OpenMember, SkipReason, Unpacker, conclude};
use crate::{Context, IngestError, Sink};

const RAR4_MAGIC: &[u8] = b"Rar!\x1a\x07\x00";
const RAR5_MAGIC: &[u8] = b"Rar!\x1a\x07\x01\x00";
const S_IFMT: u32 = 0o170000;
const S_IFDIR: u32 = 0o040000;
const S_IFLNK: u32 = 0o120000;
const S_IFREG: u32 = 0o100000;

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let mut head = [0u8; 8];
    let got = File::open(path)?.take(8).read(&mut head)?;
    if !(head[..got].starts_with(RAR4_MAGIC) || head[..got].starts_with(RAR5_MAGIC)) {
        return Err(IngestError::corrupt("not a RAR archive (no RAR signature)"));
    }
    let file = BufReader::new(File::open(path)?);
    let iter = ArchiveIteratorBuilder::new(file)
        .decoder(decode_name)
        .mtree_format(false)
        .build()
        .map_err(|e| classify(&e.to_string(), 0))?;
    let mut unpacker = Unpacker::new(entity, path, ctx, sink)?;
    let walked = walk(iter, &mut unpacker);
    conclude(unpacker, entity, walked, "RAR archive")
}

fn walk(
    iter: compress_tools::ArchiveIterator<BufReader<File>>,
    unpacker: &mut Unpacker<'_>,
) -> Result<(), IngestError> {
    let mut current: Option<OpenMember> = None;
    for content in iter {
        match content {
            ArchiveContents::StartOfEntry(name, stat) => {
                let mode = stat.st_mode & S_IFMT;
                if mode == S_IFDIR {
                    unpacker.directory(&name)?;
                } else if mode == S_IFLNK {
                    unpacker.skip(&name, SkipReason::Link);
                } else if mode == S_IFREG || mode == 0 {
                    current = unpacker.open_file(&name, None)?;
                }
            }
            ArchiveContents::DataChunk(chunk) => {
                if let Some(member) = current.as_mut()
                    && let Err(err) = unpacker.write(member, &chunk)
                {
                    if let Some(member) = current.take() {
                        unpacker.abandon(member);
                    }
                    return Err(err);
                }
            }
            ArchiveContents::EndOfEntry => {
                if let Some(member) = current.take() {
                    unpacker.close_file(member)?;
                }
            }
            ArchiveContents::Err(err) => {
                if let Some(member) = current.take() {
                    unpacker.abandon(member);
                }
                return Err(classify(&err.to_string(), unpacker.member_count()));
            }
        }
    }
    if let Some(member) = current.take() {
        unpacker.close_file(member)?;
    }
    Ok(())
}

/// libarchive reports everything as text; encryption is told apart by its wording.
fn classify(message: &str, members: u64) -> IngestError {
    let lower = message.to_ascii_lowercase();
    if lower.contains("encrypt") || lower.contains("passphrase") || lower.contains("password") {
        return IngestError::encrypted("RAR archive");
    }
    if members == 0 {
        IngestError::corrupt(format!("not a readable RAR archive: {message}"))
    } else {
        IngestError::corrupt(format!(
            "RAR archive is damaged ({message}); only the members before the damage were unpacked"
        ))
    }
}

fn decode_name(raw: &[u8]) -> compress_tools::Result<String> {
    Ok(match std::str::from_utf8(raw) {
        Ok(name) => name.to_string(),
        Err(_) => crate::text::decode(raw).0,
    })
}
