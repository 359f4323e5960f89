//! Opening the embedded (Tantivy) index, and rebuilding it from the store when this build
//! cannot read it.
//!
//! The index is derived data: when a new release changes its on-disk format or layout, the
//! writer rebuilds it from the store at its next open instead of refusing to start. The
//! old directory is set aside (`index.outdated`) until the new one is complete, and a
//! marker in the new directory (`aleph-rebuilding`, with the progress and the last key
//! committed) makes a rebuild that was stopped resume at the next open.
//!
//! `aleph serve` rebuilds in the background ([`Rebuild::Background`]): it serves at once,
//! searches answer from what is indexed so far (and say so: [`RebuildWatch`]), and live
//! writes go through a fence ([`fenced`]) so that the rebuild never brings back an entity
//! deleted, or an older copy of one edited, while it ran. Other writers (`aleph upgrade`,
//! `aleph load-entities`, admin commands) finish the rebuild before they go on. Readers
//! (`aleph worker`, `aleph status`, `aleph search` next to the server) open a rebuilding
//! index as it is and read the progress from the marker.

mod fenced;
mod rebuild;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use index::{IndexError, MergeMode, SearchIndex, TantivyIndex, TantivyOptions};
use store::Store;

use crate::IndexMode;
use crate::config::Settings;
use fenced::FencedIndex;
use rebuild::{LiveProgress, Pace};
pub use rebuild::{RebuildProgress, RebuildWatch};

/// Present in the index directory while a rebuild fills it.
const REBUILDING: &str = "aleph-rebuilding";

/// How long a background rebuild that failed waits before it resumes.
const RETRY: std::time::Duration = std::time::Duration::from_secs(30);

/// Where a writer that finds the index outdated (or a rebuild unfinished) rebuilds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rebuild {
    /// Before `open` returns.
    Foreground,
    /// In a task of its own: `open` returns at once with a partial index.
    Background,
}

/// The embedded index as opened, and where to see a rebuild's progress.
pub struct Opened {
    pub index: Arc<dyn SearchIndex>,
    pub rebuild: RebuildWatch,
}

/// The embedded index in its directory, with the writer or read-only; a writer rebuilds
/// an index of an older format or layout from `store` (or finishes a rebuild that was
/// stopped), before returning or in the background.
pub(crate) async fn open(
    settings: &Settings,
    mode: IndexMode,
    store: &Arc<dyn Store>,
    when: Rebuild,
) -> anyhow::Result<Opened> {
    let path = &settings.index_path;
    std::fs::create_dir_all(path)?;
    let marker = path.join(REBUILDING);
    let aside = aside_path(path);
    // A marker, or a directory set aside without its marker yet (stopped in between).
    let unfinished = marker.exists() || aside.exists();
    let plain = |index: TantivyIndex| Opened {
        index: Arc::new(index),
        rebuild: RebuildWatch::default(),
    };
    let index = match open_dir(path, mode) {
        Ok(index) if !unfinished => return Ok(plain(index)),
        // A rebuild under way (by the server) or stopped: readers read what is there.
        Ok(index) if mode == IndexMode::ReadOnly => {
            return Ok(Opened {
                index: Arc::new(index),
                rebuild: RebuildWatch::marker(marker),
            });
        }
        // Readable but unfinished: resume.
        Ok(index) => {
            if !marker.exists() {
                std::fs::write(&marker, b"")?;
            }
            index
        }
        Err(e) if !needs_rebuild(&e) => return Err(explain(path, e)),
        Err(_) if mode == IndexMode::ReadOnly => {
            anyhow::bail!(
                "the index {} was written by another version of aleph: run `aleph upgrade` \
                 (or start `aleph serve`) to rebuild it from the store",
                path.display()
            )
        }
        // Outdated: set it aside (or drop an unreadable partial rebuild, keeping the
        // copy already aside) and start from an empty index.
        Err(_) => {
            if aside.exists() {
                std::fs::remove_dir_all(path)?;
            } else {
                std::fs::rename(path, &aside)?;
            }
            std::fs::create_dir_all(path)?;
            std::fs::write(&marker, b"")?;
            tracing::warn!(
                index = %path.display(),
                "the search index was written in a format this version cannot read: \
                 rebuilding it from the store"
            );
            open_dir(path, mode).map_err(|e| explain(path, e))?
        }
    };
    let fenced = Arc::new(FencedIndex::new(Arc::new(index)));
    let progress = Arc::new(LiveProgress::starting());
    let pace = Pace::from_env();
    let aside = aside.exists().then_some(aside);
    match when {
        Rebuild::Foreground => {
            let n =
                rebuild::run(store, &fenced, &progress, &marker, aside.as_deref(), pace).await?;
            tracing::warn!(entities = n, "the search index was rebuilt");
            Ok(plain_arc(fenced.inner().clone()))
        }
        Rebuild::Background => {
            let task = (store.clone(), fenced.clone(), progress.clone());
            tokio::spawn(async move {
                let (store, fenced, progress) = task;
                // A failure (the store away for a while) is retried from the last
                // checkpoint; until it succeeds the index stays partial and says so.
                loop {
                    match rebuild::run(&store, &fenced, &progress, &marker, aside.as_deref(), pace)
                        .await
                    {
                        Ok(n) => {
                            tracing::warn!(entities = n, "the search index was rebuilt");
                            break;
                        }
                        Err(e) => {
                            tracing::error!(
                                "the search index rebuild stopped, retrying in {} s: {e:#}",
                                RETRY.as_secs()
                            );
                            tokio::time::sleep(RETRY).await;
                        }
                    }
                }
            });
            Ok(Opened {
                index: fenced,
                rebuild: RebuildWatch::live(progress),
            })
        }
    }
}

fn plain_arc(index: Arc<TantivyIndex>) -> Opened {
    Opened {
        index,
        rebuild: RebuildWatch::default(),
    }
}

fn aside_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".outdated");
    PathBuf::from(name)
}

/// What `aleph upgrade` would do with the embedded index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// None yet: the first start creates it.
    Missing,
    Current,
    /// Written in a format or layout this build cannot read: the next writer rebuilds it
    /// from the store.
    Rebuild,
    /// A rebuild is under way (by a running server) or was stopped: the next writer
    /// resumes it.
    Unfinished,
}

/// Looks at the embedded index without creating, locking or changing anything.
pub fn check(settings: &Settings) -> Check {
    let path = &settings.index_path;
    let unfinished = path.join(REBUILDING).exists() || aside_path(path).exists();
    if !path.join("meta.json").exists() {
        return if unfinished {
            Check::Unfinished
        } else {
            Check::Missing
        };
    }
    match TantivyIndex::open_read_only(path, TantivyOptions::default()) {
        Err(e) if needs_rebuild(&e) => Check::Rebuild,
        _ if unfinished => Check::Unfinished,
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
        // One indexing thread: the server's writer takes batches of a few hundred documents
        // while workers share the cores, and each commit makes one new segment per thread
        // (a fixed cost, replaced ids looked up in each, later merges); with one thread the
        // server spent about a quarter less CPU on the ingest corpus (docs/benchmarks.md).
        IndexMode::Writer => TantivyIndex::open(
            path,
            TantivyOptions {
                writer_threads: 1,
                ..TantivyOptions::default()
            },
        ),
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
