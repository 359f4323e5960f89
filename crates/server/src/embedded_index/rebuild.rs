//! Filling a new embedded index from the store, in the background or before serving, with
//! a marker in the index directory that says how far it got.
//!
//! The store is read one live collection at a time in key order (collection id, then
//! entity id). Every [`COMMIT_BATCHES`] batches the index is committed and the marker
//! records the last key written, so a rebuild that is stopped resumes after it at the next
//! start. What was written after the last commit is read again; the rebuild replaces by
//! id, so reading twice is harmless.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use index::SearchIndex;
use serde::{Deserialize, Serialize};
use store::{EntityFilter, EntityKey, Store};

use super::fenced::FencedIndex;
use crate::services::entities::index_doc;
use crate::services::reindex;

/// Batches written between two commits (and marker checkpoints), at most.
const COMMIT_BATCHES: u64 = 25;
/// Time between two checkpoints, at most: searches see the rebuild's progress at each.
const COMMIT_EVERY: Duration = Duration::from_secs(1);

/// How a rebuild runs: batch size, and a pause between batches that leaves the machine
/// to searches (`ALEPH_INDEX_REBUILD_BATCH`, `ALEPH_INDEX_REBUILD_PAUSE_MS`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pace {
    pub batch: u32,
    pub pause: Duration,
}

impl Pace {
    pub(crate) fn from_env() -> Pace {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        Pace {
            batch: var("ALEPH_INDEX_REBUILD_BATCH")
                .and_then(|b| u32::try_from(b).ok())
                .filter(|b| *b > 0)
                .unwrap_or(2000),
            pause: Duration::from_millis(var("ALEPH_INDEX_REBUILD_PAUSE_MS").unwrap_or(0)),
        }
    }
}

/// How far a rebuild is: entities written of those the store had when it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RebuildProgress {
    pub indexed: u64,
    pub total: u64,
}

impl RebuildProgress {
    /// Whole percent done, below 100 until the rebuild ends.
    pub fn percent(&self) -> u64 {
        if self.total == 0 {
            return 0;
        }
        (self.indexed.min(self.total) * 100 / self.total).min(99)
    }
}

/// The marker's content: progress, and the last key whose document is committed.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(crate) struct Marker {
    #[serde(default)]
    pub indexed: u64,
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub after: Option<Checkpoint>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    pub collection_id: i64,
    pub entity_id: String,
}

impl Marker {
    /// The marker in `path`; an empty or unreadable one (an older release wrote it empty)
    /// means "from the start".
    pub(crate) fn read(path: &Path) -> Marker {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Replaces the marker whole: a crash leaves the old one or the new one.
    pub(crate) fn write(&self, path: &Path) -> std::io::Result<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, serde_json::to_vec(self).unwrap_or_default())?;
        std::fs::rename(&tmp, path)
    }
}

/// The progress the server's own rebuild publishes.
#[derive(Debug, Default)]
pub(crate) struct LiveProgress {
    indexed: AtomicU64,
    total: AtomicU64,
    running: AtomicBool,
}

impl LiveProgress {
    /// A rebuild about to start: searches are partial from the first moment.
    pub(crate) fn starting() -> LiveProgress {
        LiveProgress {
            running: AtomicBool::new(true),
            ..LiveProgress::default()
        }
    }
}

/// Where to learn whether the embedded index is being rebuilt and how far it is: from
/// the rebuild in this process, or from its marker (a worker or `aleph status` next to
/// the server that rebuilds).
#[derive(Debug, Clone, Default)]
pub struct RebuildWatch(Watch);

#[derive(Debug, Clone, Default)]
enum Watch {
    #[default]
    None,
    Live(Arc<LiveProgress>),
    Marker(PathBuf),
}

impl RebuildWatch {
    pub(crate) fn live(progress: Arc<LiveProgress>) -> RebuildWatch {
        RebuildWatch(Watch::Live(progress))
    }

    pub(crate) fn marker(path: PathBuf) -> RebuildWatch {
        RebuildWatch(Watch::Marker(path))
    }

    /// `Some` while a rebuild is under way (searches answer from part of the data).
    pub fn current(&self) -> Option<RebuildProgress> {
        match &self.0 {
            Watch::None => None,
            Watch::Live(p) => p.running.load(Ordering::Relaxed).then(|| RebuildProgress {
                indexed: p.indexed.load(Ordering::Relaxed),
                total: p.total.load(Ordering::Relaxed),
            }),
            Watch::Marker(path) => path.exists().then(|| {
                let m = Marker::read(path);
                RebuildProgress {
                    indexed: m.indexed,
                    total: m.total,
                }
            }),
        }
    }
}

/// Fill `index` from the store, starting after the marker's checkpoint; at the end,
/// commit, lift the fence, remove the marker and the directory set aside. Returns the
/// entities written by this run.
pub(crate) async fn run(
    store: &Arc<dyn Store>,
    index: &FencedIndex,
    progress: &LiveProgress,
    marker_path: &Path,
    aside: Option<&Path>,
    pace: Pace,
) -> anyhow::Result<u64> {
    let mut marker = Marker::read(marker_path);
    let mut collections = reindex::live_collections(store)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    collections.sort_by_key(|c| c.id);
    let mut total = 0;
    for c in &collections {
        total += store.count_entities(c.id).await?;
    }
    marker.total = total;
    progress.total.store(total, Ordering::Relaxed);
    progress.indexed.store(marker.indexed, Ordering::Relaxed);
    progress.running.store(true, Ordering::Relaxed);
    marker.write(marker_path)?;
    let resume = marker.after.clone();
    match &resume {
        Some(r) => tracing::warn!(
            collection = r.collection_id,
            after = %r.entity_id,
            total,
            "resuming the rebuild of the search index"
        ),
        None => tracing::warn!(total, "rebuilding the search index from the store"),
    }
    let mut committed_at = Instant::now();
    let mut written = 0u64;
    let mut batches = 0u64;
    let mut last: Option<EntityKey> = None;
    for c in &collections {
        let mut after = match &resume {
            Some(r) if c.id < r.collection_id => continue,
            Some(r) if c.id == r.collection_id => Some(EntityKey {
                collection_id: r.collection_id,
                entity_id: r.entity_id.clone(),
            }),
            _ => None,
        };
        loop {
            let page = store
                .entity_page(EntityFilter::collection(c.id), after.as_ref(), pace.batch)
                .await?;
            let mut docs = Vec::with_capacity(page.batch.entities.len());
            for broken in &page.batch.broken {
                tracing::warn!("not indexed: {}", broken.to_error());
                last = last.max(Some(broken.key.clone()));
            }
            for stored in page.batch.entities {
                last = last.max(Some(stored.key()));
                docs.push(index_doc(stored));
            }
            let read = docs.len() as u64;
            written += index.write_rebuilt(docs).await? as u64;
            marker.indexed += read;
            progress.indexed.store(marker.indexed, Ordering::Relaxed);
            batches += 1;
            if batches.is_multiple_of(COMMIT_BATCHES) || committed_at.elapsed() >= COMMIT_EVERY {
                checkpoint(index, &mut marker, last.as_ref(), marker_path).await?;
                committed_at = Instant::now();
            }
            after = page.next;
            if after.is_none() {
                break;
            }
            if !pace.pause.is_zero() {
                tokio::time::sleep(pace.pause).await;
            }
        }
    }
    index.commit().await?;
    index.lift().await;
    // The copy aside first: a marker without it resumes after the last checkpoint, a
    // copy aside without a marker would start over.
    if let Some(aside) = aside
        && aside.exists()
    {
        std::fs::remove_dir_all(aside)?;
    }
    std::fs::remove_file(marker_path)?;
    progress.running.store(false, Ordering::Relaxed);
    Ok(written)
}

/// Commit, then record how far the committed part goes.
async fn checkpoint(
    index: &FencedIndex,
    marker: &mut Marker,
    last: Option<&EntityKey>,
    path: &Path,
) -> anyhow::Result<()> {
    index.commit().await?;
    if let Some(key) = last {
        marker.after = Some(Checkpoint {
            collection_id: key.collection_id,
            entity_id: key.entity_id.clone(),
        });
    }
    marker.write(path)?;
    Ok(())
}
