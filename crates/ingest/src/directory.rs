//! A directory becomes a `Folder`; each entry becomes a child file of its own.

use std::path::Path;

use ftm::Entity;

use crate::{Child, Context, IngestError, Sink, child_document};

/// Names of version-control and macOS metadata directories that are skipped.
const SKIP_DIRS: [&str; 3] = [".git", ".hg", "__MACOSX"];

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    _ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    entity.set_schema(schema("Folder"));
    let mut entries: Vec<_> = std::fs::read_dir(path)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if SKIP_DIRS.contains(&name.as_str()) {
            continue;
        }
        // Symlinks could point outside the tree (or loop); they are not followed.
        if entry.file_type()?.is_symlink() {
            continue;
        }
        let child = child_document(entity, &name, &name)?;
        sink.child(Child {
            path: entry.path(),
            entity: child,
        })?;
    }
    Ok(())
}

fn schema(name: &str) -> &'static ftm::Schema {
    ftm::model()
        .get(name)
        .expect("the FtM model defines every schema the ingestors use")
}
