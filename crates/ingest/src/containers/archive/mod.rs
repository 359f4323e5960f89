//! Archives: the file becomes a `Package`, its directories `Folder` entities and its files
//! child files, whatever the archive format.
//!
//! Every format module walks its archive and hands members to an [`Unpacker`], which owns
//! the rules that keep a hostile archive harmless:
//! - member names never choose where bytes are written: each member goes to a numbered
//!   file in a directory of its own under the work directory, and the name only becomes the
//!   child's `fileName`;
//! - names that climb out of the archive (`..`) and links (symbolic or hard) are skipped and
//!   listed in the package's `notes`; absolute paths and drive letters are read as relative;
//! - unpacking stops *at* a limit, not after it: the copy checks the member count, the total
//!   of unpacked bytes and the unpacked/packed ratio before every chunk it writes.

pub(super) mod compressed;
pub(super) mod rar;
pub(super) mod sevenz;
pub(super) mod tar;
pub(super) mod zip;

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use ftm::Entity;

use super::{entity_id, safe_extension, schema, work_subdir};
use crate::{Child, Context, IngestError, Limits, Sink, child_document, child_id};

/// Below this many unpacked bytes a member is never blamed for its compression ratio: small
/// runs of blank space or repeated lines compress far beyond any sane ratio and are harmless.
const RATIO_FLOOR: u64 = 16 * 1024 * 1024;

/// How many skipped names the package's note lists before it only counts them.
const NOTED_NAMES: usize = 20;

/// Why a member was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SkipReason {
    /// `..` in the path would put it outside the archive.
    Traversal,
    /// A symbolic or hard link: following it could read or write outside the archive.
    Link,
    /// The name is empty once cleaned.
    NoName,
    /// Password-protected member.
    Encrypted,
    /// Its bytes could not be read (damaged or unsupported compression).
    Unreadable,
}

impl SkipReason {
    fn describe(self) -> &'static str {
        match self {
            SkipReason::Traversal => "path leaves the archive",
            SkipReason::Link => "link",
            SkipReason::NoName => "no usable name",
            SkipReason::Encrypted => "encrypted",
            SkipReason::Unreadable => "unreadable",
        }
    }
}

/// Split a member name into clean path components, or say why it must be skipped.
/// Both `/` and `\` separate; `.` and empty components vanish; a leading root or drive
/// letter (`C:`) is dropped, so `/etc/x` is read as `etc/x` inside the archive.
pub(super) fn member_components(raw: &str) -> Result<Vec<String>, SkipReason> {
    let mut parts = Vec::new();
    for (i, part) in raw.split(['/', '\\']).enumerate() {
        let part = part.trim_matches('\0');
        if part.is_empty() || part == "." {
            continue;
        }
        if part == ".." {
            return Err(SkipReason::Traversal);
        }
        if i == 0
            && part.len() == 2
            && part.ends_with(':')
            && part.as_bytes()[0].is_ascii_alphabetic()
        {
            continue;
        }
        parts.push(part.to_string());
    }
    if parts.is_empty() {
        return Err(SkipReason::NoName);
    }
    Ok(parts)
}

/// A member being written to disk.
pub(super) struct OpenMember {
    key: String,
    name: String,
    parent_id: String,
    path: PathBuf,
    out: BufWriter<File>,
    written: u64,
    packed: Option<u64>,
}

/// Turns archive members into Folder entities and child files, within the limits.
pub(super) struct Unpacker<'a> {
    package_id: String,
    out_dir: PathBuf,
    limits: &'a Limits,
    archive_bytes: u64,
    members: u64,
    unpacked: u64,
    folders: HashSet<String>,
    skipped: Vec<(String, SkipReason)>,
    skipped_count: usize,
    encrypted: usize,
    sink: &'a mut dyn Sink,
}

impl<'a> Unpacker<'a> {
    /// Make `entity` a `Package` and prepare to unpack the archive at `path` into it.
    pub(super) fn new(
        entity: &mut Entity,
        path: &Path,
        ctx: &'a Context,
        sink: &'a mut dyn Sink,
    ) -> Result<Unpacker<'a>, IngestError> {
        entity.set_schema(schema("Package")?);
        let package_id = entity_id(entity)?;
        let out_dir = work_subdir(ctx, &package_id, "members")?;
        Ok(Unpacker {
            archive_bytes: std::fs::metadata(path)?.len(),
            package_id,
            out_dir,
            limits: &ctx.limits,
            members: 0,
            unpacked: 0,
            folders: HashSet::new(),
            skipped: Vec::new(),
            skipped_count: 0,
            encrypted: 0,
            sink,
        })
    }

    /// Note a member that is left out on purpose.
    pub(super) fn skip(&mut self, raw_name: &str, reason: SkipReason) {
        if reason == SkipReason::Encrypted {
            self.encrypted += 1;
        }
        self.skipped_count += 1;
        if self.skipped.len() < NOTED_NAMES {
            self.skipped.push((raw_name.to_string(), reason));
        }
    }

    /// How many members were skipped as encrypted.
    pub(super) fn encrypted_count(&self) -> usize {
        self.encrypted
    }

    /// How many members (files and folders) were taken so far.
    pub(super) fn member_count(&self) -> u64 {
        self.members
    }

    fn count_member(&mut self) -> Result<(), IngestError> {
        if self.members >= self.limits.max_members {
            return Err(IngestError::limit(format!(
                "archive has more than {} members; the rest were not unpacked",
                self.limits.max_members
            )));
        }
        self.members += 1;
        Ok(())
    }

    /// Make sure a Folder entity exists for every directory in `dirs` (outermost first)
    /// and return the id of the innermost one (the package itself when `dirs` is empty).
    fn ensure_folders(&mut self, dirs: &[String]) -> Result<String, IngestError> {
        let mut parent = self.package_id.clone();
        let mut key = String::new();
        for dir in dirs {
            if !key.is_empty() {
                key.push('/');
            }
            key.push_str(dir);
            let id = child_id(&self.package_id, &key);
            if !self.folders.contains(&key) {
                self.count_member()?;
                let mut folder = Entity::with_id("Folder", id.clone())?;
                folder.add("fileName", dir)?;
                folder.add("parent", &parent)?;
                self.sink.entity(folder)?;
                self.folders.insert(key.clone());
            }
            parent = id;
        }
        Ok(parent)
    }

    /// A directory entry of the archive (also implied by the paths of its files).
    pub(super) fn directory(&mut self, raw_name: &str) -> Result<(), IngestError> {
        match member_components(raw_name) {
            Ok(parts) => self.ensure_folders(&parts).map(|_| ()),
            Err(reason) => {
                if reason != SkipReason::NoName {
                    self.skip(raw_name, reason);
                }
                Ok(())
            }
        }
    }

    /// Start writing a file member; `None` when it is skipped (and noted). `packed` is its
    /// compressed size when the format tells it, for the ratio check.
    pub(super) fn open_file(
        &mut self,
        raw_name: &str,
        packed: Option<u64>,
    ) -> Result<Option<OpenMember>, IngestError> {
        let parts = match member_components(raw_name) {
            Ok(parts) => parts,
            Err(reason) => {
                self.skip(raw_name, reason);
                return Ok(None);
            }
        };
        let (name, dirs) = parts
            .split_last()
            .ok_or_else(|| IngestError::corrupt("empty member name"))?;
        let parent_id = self.ensure_folders(dirs)?;
        self.count_member()?;
        let path = self
            .out_dir
            .join(format!("{:07}{}", self.members, safe_extension(name)));
        let out = BufWriter::new(File::create(&path)?);
        Ok(Some(OpenMember {
            key: parts.join("/"),
            name: name.clone(),
            parent_id,
            path,
            out,
            written: 0,
            packed,
        }))
    }

    /// Append bytes to an open member, refusing any chunk that would pass a limit.
    pub(super) fn write(
        &mut self,
        member: &mut OpenMember,
        chunk: &[u8],
    ) -> Result<(), IngestError> {
        let len = chunk.len() as u64;
        let total = self.unpacked + len;
        if total > self.limits.max_unpacked_bytes {
            return Err(IngestError::limit(format!(
                "archive unpacks to more than {} bytes; unpacking stopped at {}",
                self.limits.max_unpacked_bytes, member.key
            )));
        }
        let written = member.written + len;
        let ratio = self.limits.max_ratio;
        if let Some(packed) = member.packed
            && written > RATIO_FLOOR
            && written > packed.max(1).saturating_mul(ratio)
        {
            return Err(IngestError::limit(format!(
                "member {} expands more than {ratio} times (a zip bomb?); unpacking stopped",
                member.key
            )));
        }
        if total > RATIO_FLOOR && total > self.archive_bytes.max(1).saturating_mul(ratio) {
            return Err(IngestError::limit(format!(
                "archive expands more than {ratio} times its size (a zip bomb?); unpacking stopped at {}",
                member.key
            )));
        }
        member.out.write_all(chunk)?;
        member.written = written;
        self.unpacked = total;
        Ok(())
    }

    /// Finish a member and report it as a child file.
    pub(super) fn close_file(&mut self, member: OpenMember) -> Result<(), IngestError> {
        let OpenMember {
            key,
            name,
            parent_id,
            path,
            mut out,
            ..
        } = member;
        out.flush()?;
        drop(out);
        let mut child = child_document_for(&self.package_id, &key, &name)?;
        child.set("parent", [parent_id.as_str()])?;
        self.sink.child(Child {
            path,
            entity: child,
        })?;
        Ok(())
    }

    /// Drop a member that could not be finished; its partial bytes are removed.
    pub(super) fn abandon(&mut self, member: OpenMember) {
        let OpenMember { path, out, .. } = member;
        drop(out);
        // Best effort: the work directory is removed by the caller anyway.
        let _ = std::fs::remove_file(path);
    }

    /// Copy a whole member from `reader`. A read error means the archive is damaged there:
    /// the member is dropped and the error returned as `Corrupt`.
    pub(super) fn file(
        &mut self,
        raw_name: &str,
        reader: &mut dyn Read,
        packed: Option<u64>,
    ) -> Result<(), IngestError> {
        let Some(mut member) = self.open_file(raw_name, packed)? else {
            return Ok(());
        };
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match read_some(reader, &mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) => {
                    let key = member.key.clone();
                    self.abandon(member);
                    return Err(read_error(&key, &err));
                }
            };
            if let Err(err) = self.write(&mut member, &buf[..n]) {
                self.abandon(member);
                return Err(err);
            }
        }
        self.close_file(member)
    }

    /// Report a file an external tool already wrote into the work directory (`readpst`
    /// output) as the member `raw_name`, under the same limits as unpacked bytes.
    pub(super) fn adopt(&mut self, raw_name: &str, path: PathBuf) -> Result<(), IngestError> {
        let parts = match member_components(raw_name) {
            Ok(parts) => parts,
            Err(reason) => {
                self.skip(raw_name, reason);
                return Ok(());
            }
        };
        let (name, dirs) = parts
            .split_last()
            .ok_or_else(|| IngestError::corrupt("empty member name"))?;
        let parent_id = self.ensure_folders(dirs)?;
        self.count_member()?;
        let len = std::fs::metadata(&path)?.len();
        if self.unpacked + len > self.limits.max_unpacked_bytes {
            return Err(IngestError::limit(format!(
                "contents exceed {} bytes; stopped at {}",
                self.limits.max_unpacked_bytes,
                parts.join("/")
            )));
        }
        self.unpacked += len;
        let mut child = child_document_for(&self.package_id, &parts.join("/"), name)?;
        child.set("parent", [parent_id.as_str()])?;
        self.sink.child(Child {
            path,
            entity: child,
        })?;
        Ok(())
    }

    /// Write the notes about skipped members onto the package entity.
    pub(super) fn finish(self, entity: &mut Entity) -> Result<(), IngestError> {
        if self.skipped_count == 0 {
            return Ok(());
        }
        let mut note = format!(
            "{} archive member{} not unpacked: ",
            self.skipped_count,
            if self.skipped_count == 1 { "" } else { "s" }
        );
        let listed: Vec<String> = self
            .skipped
            .iter()
            .map(|(name, reason)| format!("{name} ({})", reason.describe()))
            .collect();
        note.push_str(&listed.join(", "));
        if self.skipped_count > listed.len() {
            note.push_str(&format!(" and {} more", self.skipped_count - listed.len()));
        }
        entity.add("notes", &note)?;
        Ok(())
    }
}

fn child_document_for(package_id: &str, key: &str, name: &str) -> Result<Entity, IngestError> {
    let parent = Entity::with_id("Package", package_id)?;
    child_document(&parent, key, name)
}

/// `read`, retrying on interruption.
fn read_some(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// A failure to read a member's bytes: the archive is damaged (or uses something we
/// cannot decode) at that member.
fn read_error(key: &str, err: &io::Error) -> IngestError {
    let text = err.to_string();
    if text.to_ascii_lowercase().contains("password")
        || text.to_ascii_lowercase().contains("encrypt")
    {
        return IngestError::encrypted(&format!("archive member {key}"));
    }
    IngestError::corrupt(format!("archive is damaged at member {key}: {text}"))
}

/// Combine the outcome of walking an archive with what the walk noted: a walk error wins
/// (members before it are already reported); otherwise encrypted members fail the file.
pub(super) fn conclude(
    unpacker: Unpacker<'_>,
    entity: &mut Entity,
    walked: Result<(), IngestError>,
    what: &str,
) -> Result<(), IngestError> {
    let encrypted = unpacker.encrypted_count();
    let members = unpacker.member_count();
    unpacker.finish(entity)?;
    walked?;
    if encrypted > 0 {
        let message = if members == 0 {
            format!("{what} is encrypted or password-protected")
        } else {
            format!(
                "{what} is partly encrypted: {encrypted} password-protected members were not unpacked"
            )
        };
        return Err(IngestError::new(crate::ErrorClass::Encrypted, message));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_are_cleaned_or_refused() {
        assert_eq!(member_components("a/b/c.txt").unwrap(), ["a", "b", "c.txt"]);
        assert_eq!(
            member_components("./a//b\\c.txt").unwrap(),
            ["a", "b", "c.txt"]
        );
        assert_eq!(member_components("/etc/passwd").unwrap(), ["etc", "passwd"]);
        assert_eq!(
            member_components("C:\\Windows\\x.dll").unwrap(),
            ["Windows", "x.dll"]
        );
        assert_eq!(
            member_components("../../etc/passwd"),
            Err(SkipReason::Traversal)
        );
        assert_eq!(member_components("a/../../b"), Err(SkipReason::Traversal));
        assert_eq!(member_components("./"), Err(SkipReason::NoName));
    }
}
