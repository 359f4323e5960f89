//! 7z archives (`sevenz-rust2`, pure Rust: LZMA/LZMA2, BCJ, PPMd, bzip2, AES detection).
//!
//! A solid 7z packs many members into one compressed block, so a member has no packed size
//! of its own; the archive-wide ratio check of the [`Unpacker`] covers bombs there.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use ftm::Entity;
use sevenz_rust2::{ArchiveReader, EntryDecision, Error as SevenZipError, Password};

use super::{SkipReason, Unpacker, conclude};
use crate::{Context, IngestError, Sink};

/// Most memory a decoder may ask for (dictionaries, PPMd models), in KiB: a forged header
/// must not make us allocate gigabytes.
const MEMORY_LIMIT_KB: usize = 1024 * 1024;

/// Unix file-type bits carried in the high half of the attributes by p7zip and 7-Zip.
const UNIX_EXTENSION: u32 = 0x8000;
const S_IFMT: u32 = 0o170000;
const S_IFLNK: u32 = 0o120000;

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let file = BufReader::new(File::open(path)?);
    let mut reader = ArchiveReader::new_with_memory_limit(file, Password::empty(), MEMORY_LIMIT_KB)
        .map_err(|e| classify(e, "7z archive", 0))?;
    reader.set_thread_count(1);
    let mut unpacker = Unpacker::new(entity, path, ctx, sink)?;
    let mut stopped: Option<IngestError> = None;
    let result = reader.for_each_entries_with_decision(|entry, data| {
        let name = entry.name.clone();
        let outcome = if entry.is_anti_item {
            Ok(())
        } else if entry.is_directory {
            unpacker.directory(&name)
        } else if is_symlink(entry.has_windows_attributes, entry.windows_attributes) {
            unpacker.skip(&name, SkipReason::Link);
            Ok(())
        } else {
            let packed = (entry.compressed_size > 0).then_some(entry.compressed_size);
            unpacker.file(&name, data, packed)
        };
        match outcome {
            Ok(()) => Ok(EntryDecision::Continue),
            Err(err) => {
                stopped = Some(err);
                Ok(EntryDecision::Stop)
            }
        }
    });
    let walked = match (stopped, result) {
        (Some(err), _) => Err(err),
        (None, Err(err)) => Err(classify(err, "7z archive", unpacker.member_count())),
        (None, Ok(())) => Ok(()),
    };
    conclude(unpacker, entity, walked, "7z archive")
}

fn is_symlink(has_attributes: bool, attributes: u32) -> bool {
    has_attributes && attributes & UNIX_EXTENSION != 0 && (attributes >> 16) & S_IFMT == S_IFLNK
}

/// Turn a 7z error into our classes; `members` says how much was read before it.
fn classify(err: SevenZipError, what: &str, members: u64) -> IngestError {
    match err {
        SevenZipError::PasswordRequired | SevenZipError::MaybeBadPassword(_) => {
            IngestError::encrypted(what)
        }
        SevenZipError::MaxMemLimited { .. } => IngestError::limit(format!(
            "{what} needs more memory to decode than allowed: {err}"
        )),
        SevenZipError::UnsupportedCompressionMethod(method) => IngestError::new(
            crate::ErrorClass::Unsupported,
            format!("{what} uses an unsupported compression method: {method}"),
        ),
        SevenZipError::Io(ref io, _) | SevenZipError::FileOpen(ref io, _)
            if io.kind() == std::io::ErrorKind::PermissionDenied =>
        {
            IngestError::new(crate::ErrorClass::Io, err.to_string())
        }
        other if members == 0 => IngestError::corrupt(format!("not a readable {what}: {other}")),
        other => IngestError::corrupt(format!(
            "{what} is damaged ({other}); only the members before the damage were unpacked"
        )),
    }
}
