//! Tar archives, read as a stream (so a `.tar.gz` never touches the disk unpacked whole).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use ftm::Entity;
use tar::EntryType;

use super::{SkipReason, Unpacker, conclude};
use crate::{Context, IngestError, Sink};

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let file = BufReader::new(File::open(path)?);
    let mut unpacker = Unpacker::new(entity, path, ctx, sink)?;
    let walked = walk(file, &mut unpacker);
    conclude(unpacker, entity, walked, "tar archive")
}

/// Unpack every member of the tar stream `reader`.
pub(super) fn walk(reader: impl Read, unpacker: &mut Unpacker<'_>) -> Result<(), IngestError> {
    let mut archive = tar::Archive::new(reader);
    let entries = archive
        .entries()
        .map_err(|e| IngestError::corrupt(format!("not a readable tar archive: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| damaged(unpacker, &e))?;
        let name = decode_name(&entry.path_bytes());
        match entry.header().entry_type() {
            EntryType::Directory => unpacker.directory(&name)?,
            EntryType::Symlink | EntryType::Link => unpacker.skip(&name, SkipReason::Link),
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                unpacker.file(&name, &mut entry, None)?;
            }
            // Devices, FIFOs and metadata records hold no document.
            _ => {}
        }
    }
    Ok(())
}

fn damaged(unpacker: &Unpacker<'_>, err: &std::io::Error) -> IngestError {
    if unpacker.member_count() == 0 {
        IngestError::corrupt(format!("not a readable tar archive: {err}"))
    } else {
        IngestError::corrupt(format!(
            "tar archive is damaged ({err}); only the members before the damage were unpacked"
        ))
    }
}

/// Tar names are bytes; modern tools write UTF-8, old ones the local code page.
fn decode_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(name) => name.to_string(),
        Err(_) => crate::text::decode(raw).0,
    }
}

/// Does this 512-byte block look like a tar header? The `ustar` magic, or (for old v7
/// archives) a correct header checksum.
pub(super) fn looks_like_tar(block: &[u8]) -> bool {
    if block.len() < 512 {
        return false;
    }
    if &block[257..262] == b"ustar" {
        return true;
    }
    let stored = std::str::from_utf8(&block[148..156])
        .ok()
        .map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '))
        .and_then(|s| u32::from_str_radix(s, 8).ok());
    let Some(stored) = stored else {
        return false;
    };
    let sum: u32 = block[..512]
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                u32::from(b' ')
            } else {
                u32::from(*b)
            }
        })
        .sum();
    // An all-zero block has a "valid" sum of 256 only by accident of the spaces.
    block[0] != 0 && sum == stored
}
