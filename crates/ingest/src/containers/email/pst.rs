//! Outlook PST/OST stores, through Debian's `readpst` (pst-utils) as a subprocess, as
//! Aleph does: it writes the store's folder tree with one `.eml` per message (plus vCards
//! and calendar entries), which becomes a `Package` of `Folder`s and child files.
//!
//! Why not the `outlook-pst` crate: it reads the store's structures and MAPI properties,
//! but turning those into messages (recipient tables, bodies, attachments, embedded
//! messages, named properties) is a second `.msg` reader on another container, and
//! `readpst` has done that job over many Outlook versions for years. What a subprocess adds
//! is isolation: a store that crashes or hangs the parser costs only the subprocess,
//! which is killed at `ctx.limits.tool_timeout`. Whatever it wrote before failing is still
//! reported, then the failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ftm::Entity;

use super::super::archive::Unpacker;
use super::super::{entity_id, work_subdir};
use crate::{Context, ErrorClass, IngestError, Sink};

/// The `readpst` executable; found on `PATH`.
const READPST: &str = "readpst";

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let id = entity_id(entity)?;
    let out_dir = work_subdir(ctx, &id, "pst")?;
    let log = out_dir.with_extension("log");
    let ran = run_readpst(path, &out_dir, &log, ctx.limits.tool_timeout);
    let mut unpacker = Unpacker::new(entity, path, ctx, sink)?;
    let walked = walk(&out_dir, &out_dir, &mut unpacker);
    let members = unpacker.member_count();
    unpacker.finish(entity)?;
    walked?;
    match ran {
        Ok(()) if members == 0 => Err(IngestError::corrupt(format!(
            "no messages could be read from this Outlook store{}",
            log_tail(&log)
        ))),
        Ok(()) => Ok(()),
        Err(err) => Err(err),
    }
}

/// Run `readpst` into `out_dir`: one `.eml` per message (`-e`), deleted items too (`-D`),
/// UTF-8 bodies where the store has them (`-8`), contacts as vCards (`-cv`), no RTF body
/// copies as attachments (`-b`).
fn run_readpst(
    pst: &Path,
    out_dir: &Path,
    log: &Path,
    timeout: Duration,
) -> Result<(), IngestError> {
    let log_file = std::fs::File::create(log)?;
    let mut child = Command::new(READPST)
        .args(["-e", "-D", "-8", "-cv", "-b", "-q", "-o"])
        .arg(out_dir)
        .arg(pst)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log_file))
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                IngestError::tool("readpst is not installed (Debian package pst-utils); Outlook stores cannot be read")
            }
            _ => IngestError::tool(format!("could not start readpst: {e}")),
        })?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(IngestError::limit(format!(
                "reading the Outlook store took longer than {} s and was stopped; messages read until then are kept",
                timeout.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if status.success() {
        return Ok(());
    }
    Err(IngestError::new(
        ErrorClass::Corrupt,
        format!(
            "readpst could not read this Outlook store ({status}){}",
            log_tail(log)
        ),
    ))
}

/// The last lines `readpst` wrote to its log, to make a failure readable.
fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return String::new();
    }
    let start = lines.len().saturating_sub(3);
    format!(": {}", lines[start..].join(" / "))
}

/// Report the tree `readpst` wrote under `root`: directories as Folders, files as children.
pub(super) fn walk(
    root: &Path,
    dir: &Path,
    unpacker: &mut Unpacker<'_>,
) -> Result<(), IngestError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path: PathBuf = entry.path();
        let rel = path
            .strip_prefix(root)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            continue;
        }
        if kind.is_dir() {
            unpacker.directory(&rel)?;
            walk(root, &path, unpacker)?;
        } else {
            unpacker.adopt(&rel, path)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CollectingSink;

    /// The tree readpst writes (folders named after the store's folders, one file per
    /// item) becomes Folders and child files with the right parents.
    #[test]
    fn readpst_output_becomes_folders_and_children() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        let inbox = out.join("Personal Folders").join("Inbox");
        let contacts = out.join("Personal Folders").join("Contacts");
        std::fs::create_dir_all(&inbox).unwrap();
        std::fs::create_dir_all(&contacts).unwrap();
        std::fs::write(inbox.join("1.eml"), b"Subject: one\r\n\r\nx").unwrap();
        std::fs::write(inbox.join("2.eml"), b"Subject: two\r\n\r\ny").unwrap();
        std::fs::write(contacts.join("1.vcf"), b"BEGIN:VCARD\r\nEND:VCARD\r\n").unwrap();
        let store = root.path().join("store.pst");
        std::fs::write(&store, b"placeholder").unwrap();

        let ctx = Context::new(root.path().join("work"));
        let mut entity = Entity::with_id("Document", "pst-under-test").unwrap();
        let mut sink = CollectingSink::default();
        let mut unpacker = Unpacker::new(&mut entity, &store, &ctx, &mut sink).unwrap();
        walk(&out, &out, &mut unpacker).unwrap();
        drop(unpacker);

        assert_eq!(entity.schema().name(), "Package");
        let folder = |name: &str| {
            sink.entities
                .iter()
                .find(|e| e.schema().name() == "Folder" && e.first("fileName") == Some(name))
                .unwrap()
        };
        let personal = folder("Personal Folders");
        assert_eq!(personal.get("parent"), ["pst-under-test"]);
        let inbox_folder = folder("Inbox");
        assert_eq!(inbox_folder.get("parent"), [personal.id().unwrap()]);
        assert_eq!(folder("Contacts").get("parent"), [personal.id().unwrap()]);
        let names: Vec<_> = sink
            .children
            .iter()
            .map(|c| c.entity.first("fileName").unwrap())
            .collect();
        assert_eq!(names, ["1.vcf", "1.eml", "2.eml"]);
        assert_eq!(
            sink.children[1].entity.get("parent"),
            [inbox_folder.id().unwrap()]
        );
        assert_eq!(sink.children[1].path, inbox.join("1.eml"));
    }
}
