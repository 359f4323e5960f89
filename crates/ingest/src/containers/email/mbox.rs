//! Unix mailboxes: a `Package` with one child file per message, each an `.eml` that is
//! then ingested as an `Email` of its own (as Aleph does). The mailbox is read line by
//! line and each message written out as soon as it ends, so a mailbox of any size takes
//! little memory.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use ftm::Entity;

use super::super::{entity_id, schema, work_subdir};
use crate::{Child, Context, IngestError, Sink, child_document};

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let mut reader = BufReader::new(File::open(path)?);
    entity.set_schema(schema("Package")?);
    let mbox_id = entity_id(entity)?;
    let dir = work_subdir(ctx, &mbox_id, "messages")?;
    let mut splitter = Splitter {
        mbox: entity.clone(),
        dir,
        max: ctx.limits.max_members,
        count: 0,
        current: None,
    };

    let mut line = Vec::with_capacity(1024);
    let mut previous_blank = true;
    let mut seen_any = false;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let is_separator = previous_blank && line.starts_with(b"From ");
        if is_separator {
            splitter.finish(sink)?;
            splitter.start()?;
            seen_any = true;
        } else if !seen_any {
            if line.iter().all(u8::is_ascii_whitespace) || line.starts_with(b"\xef\xbb\xbf") {
                continue;
            }
            return Err(IngestError::corrupt(
                "not an mbox mailbox: it does not start with a \"From \" line",
            ));
        } else {
            splitter.write(&line)?;
        }
        previous_blank = line == b"\n" || line == b"\r\n";
    }
    splitter.finish(sink)?;
    if !seen_any {
        return Err(IngestError::corrupt("empty mailbox: no messages found"));
    }
    Ok(())
}

/// Writes one message file at a time and reports each when it is complete.
struct Splitter {
    mbox: Entity,
    dir: PathBuf,
    max: u64,
    count: u64,
    current: Option<(PathBuf, BufWriter<File>)>,
}

impl Splitter {
    fn start(&mut self) -> Result<(), IngestError> {
        if self.count >= self.max {
            return Err(IngestError::limit(format!(
                "mailbox has more than {} messages; the rest were not read",
                self.max
            )));
        }
        self.count += 1;
        let path = self.dir.join(format!("{:07}.eml", self.count));
        let out = BufWriter::new(File::create(&path)?);
        self.current = Some((path, out));
        Ok(())
    }

    fn write(&mut self, line: &[u8]) -> Result<(), IngestError> {
        if let Some((_, out)) = self.current.as_mut() {
            out.write_all(line)?;
        }
        Ok(())
    }

    fn finish(&mut self, sink: &mut dyn Sink) -> Result<(), IngestError> {
        let Some((path, mut out)) = self.current.take() else {
            return Ok(());
        };
        out.flush()?;
        drop(out);
        let name = format!("{}.eml", self.count);
        let mut child = child_document(&self.mbox, &format!("message/{}", self.count), &name)?;
        child.set_schema(schema("Email")?);
        child.add("mimeType", "message/rfc822")?;
        sink.child(Child {
            path,
            entity: child,
        })?;
        Ok(())
    }
}
