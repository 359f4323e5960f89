//! Opening the embedded (Tantivy) index, and rebuilding it from the store when this build
//! cannot read it.
//!
//! The index is derived data: when a new release changes its on-disk format or layout, the
//! writer rebuilds it from the store at its next open (`aleph upgrade`, or the start of
//! `aleph serve`) instead of refusing to start. The old directory is set aside until the
//! new one is complete, and a marker in the new directory makes a rebuild that was cut
//! short (a crash, a kill) start over at the next open rather than serve a partial index.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use index::{IndexError, MergeMode, SearchIndex, TantivyIndex, TantivyOptions};
use store::Store;

use crate::IndexMode;
use crate::config::Settings;
use crate::services::reindex;

/// Present in the index directory while a rebuild fills it.
const REBUILDING: &str = "aleph-rebuilding";

/// The embedded index in its directory, with the writer or read-only; a writer rebuilds
/// an index of an older format or layout from `store` first.
pub(crate) async fn open(
    settings: &Settings,
    mode: IndexMode,
    store: &Arc<dyn Store>,
) -> anyhow::Result<Arc<TantivyIndex>> {
    let path = &settings.index_path;
    std::fs::create_dir_all(path)?;
    let interrupted = path.join(REBUILDING).exists();
    match open_dir(path, mode) {
        Ok(index) if !interrupted => return Ok(Arc::new(index)),
        Err(e) if !needs_rebuild(&e) => return Err(explain(path, e)),
        _ if mode == IndexMode::ReadOnly => {
            anyhow::bail!(
                "the index {} was written by another version of aleph (or its rebuild was \
                 interrupted): run `aleph upgrade` (or start `aleph serve`) to rebuild it \
                 from the store",
                path.display()
            )
        }
        // Outdated, or a rebuild that did not finish: (re)build it.
        _ => {}
    }
    let aside = set_aside(path, interrupted)?;
    std::fs::create_dir_all(path)?;
    std::fs::write(path.join(REBUILDING), b"")?;
    let index = Arc::new(open_dir(path, mode).map_err(|e| explain(path, e))?);
    tracing::warn!(
        index = %path.display(),
        "the search index was written in a format this version cannot read: rebuilding it \
         from the store"
    );
    let entities = fill(store, index.clone()).await?;
    std::fs::remove_file(path.join(REBUILDING))?;
    if let Some(aside) = aside {
        std::fs::remove_dir_all(&aside)?;
    }
    tracing::warn!(entities, "the search index was rebuilt");
    Ok(index)
}

/// What `aleph upgrade` would do with the embedded index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// None yet: the first start creates it.
    Missing,
    Current,
    /// Written in a format or layout this build cannot read, or a rebuild was cut short:
    /// the next writer rebuilds it from the store.
    Rebuild,
}

/// Looks at the embedded index without creating, locking or changing anything.
pub fn check(settings: &Settings) -> Check {
    let path = &settings.index_path;
    if path.join(REBUILDING).exists() {
        return Check::Rebuild;
    }
    if !path.join("meta.json").exists() {
        return Check::Missing;
    }
    match TantivyIndex::open_read_only(path, TantivyOptions::default()) {
        Err(e) if needs_rebuild(&e) => Check::Rebuild,
        _ => Check::Current,
    }
}

/// Whether an index that failed to open is one this build rebuilds rather than refuses.
fn needs_rebuild(e: &IndexError) -> bool {
    matches!(
        e,
        IndexError::OutdatedFormat { .. } | IndexError::IncompatibleLayout { .. }
    )
}

fn open_dir(path: &Path, mode: IndexMode) -> Result<TantivyIndex, IndexError> {
    match mode {
        IndexMode::Writer => TantivyIndex::open(path, TantivyOptions::default()),
        IndexMode::BulkWriter(heap) => TantivyIndex::open(
            path,
            TantivyOptions {
                writer_heap_bytes: heap,
                merges: MergeMode::Deferred,
                ..TantivyOptions::default()
            },
        ),
        // Creates a missing index without taking the writer lock.
        IndexMode::ReadOnly => TantivyIndex::open_read_only(path, TantivyOptions::default()),
    }
}

fn explain(path: &Path, e: IndexError) -> anyhow::Error {
    if e.to_string().contains("LockBusy") {
        anyhow::anyhow!(
            "the index {} is in use by another process (a running `aleph serve`?); \
             stop it or use the API",
            path.display()
        )
    } else {
        anyhow::anyhow!("cannot open the index {}: {e}", path.display())
    }
}

/// Moves the unreadable index out of the way (kept until the new one is complete); after
/// an interrupted rebuild the partial index goes and the earlier copy stays aside.
fn set_aside(path: &Path, interrupted: bool) -> std::io::Result<Option<PathBuf>> {
    let mut name = path.as_os_str().to_owned();
    name.push(".outdated");
    let aside = PathBuf::from(name);
    if interrupted {
        std::fs::remove_dir_all(path)?;
    } else {
        if aside.exists() {
            std::fs::remove_dir_all(&aside)?;
        }
        std::fs::rename(path, &aside)?;
    }
    Ok(aside.exists().then_some(aside))
}

/// Every live collection's entities from the store into the (empty) index.
async fn fill(store: &Arc<dyn Store>, index: Arc<TantivyIndex>) -> anyhow::Result<u64> {
    let index: Arc<dyn SearchIndex> = index;
    let done = reindex::all(store, &index, |_, _| {})
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    index.commit().await?;
    Ok(done.entities)
}
