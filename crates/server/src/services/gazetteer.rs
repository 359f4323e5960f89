//! The instance's known people and organisations for the analyze stage
//! ([`analyze::known`]): built from every collection's matchable legal entities (a loaded
//! watchlist, a registry, entities made through the API) and rebuilt when they change.
//!
//! Entities that ingestion derived from files (the senders of e-mails, for example) are
//! left out: they are what documents mention, not a list to look for. The build reads the
//! ids from the index and the entities from the store, collection by collection, so its
//! memory is the names, not the entities. A rebuild runs in the background while analysis
//! goes on with the previous list; rebuilds are spaced by at least [`MIN_INTERVAL`] and by
//! ten times the last build's duration, so a large list does not keep a busy worker
//! rebuilding.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use analyze::known::{KnownEntity, KnownNames};
use index::{ReadScope, SearchQuery};

use crate::state::AppState;

/// The shortest time between two checks for changes.
pub const MIN_INTERVAL: Duration = Duration::from_secs(60);
/// Entities fetched from the store at once.
const FETCH: usize = 1_000;
/// The name properties looked for (not `weakAlias`: too weak to link on).
const NAME_PROPS: [&str; 3] = ["name", "alias", "previousName"];

/// What the last build saw: entity counts per collection in the index.
type Fingerprint = BTreeMap<i64, u64>;

#[derive(Default)]
struct Inner {
    built: Option<Fingerprint>,
    checked: Option<Instant>,
    interval: Duration,
    building: bool,
}

/// The current gazetteer of one process, shared by its analyze jobs.
#[derive(Default)]
pub struct Gazetteer {
    current: RwLock<Arc<KnownNames>>,
    inner: Mutex<Inner>,
    /// Told when a build ends, for the callers that wait for the first one.
    built: tokio::sync::Notify,
}

impl std::fmt::Debug for Gazetteer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gazetteer").finish_non_exhaustive()
    }
}

impl Gazetteer {
    /// The list to analyse with now. The first call builds it, and calls made while that
    /// first build runs wait for it (so the first documents are linked too, not only the
    /// one that happened to start the build); later calls start a background rebuild when
    /// one is due and the instance's entities changed, and return the current list
    /// meanwhile.
    pub async fn current(self: &Arc<Self>, state: &AppState) -> Arc<KnownNames> {
        enum Step {
            BuildNow,
            BuildInBackground,
            WaitForFirst,
            UseCurrent,
        }
        let step = {
            let mut inner = lock(&self.inner);
            let due = inner
                .checked
                .is_none_or(|at| at.elapsed() >= inner.interval.max(MIN_INTERVAL));
            if inner.building {
                if inner.built.is_none() {
                    Step::WaitForFirst
                } else {
                    Step::UseCurrent
                }
            } else if !due {
                Step::UseCurrent
            } else {
                inner.building = true;
                inner.checked = Some(Instant::now());
                if inner.built.is_none() {
                    Step::BuildNow
                } else {
                    Step::BuildInBackground
                }
            }
        };
        match step {
            Step::BuildNow => self.refresh(state).await,
            Step::BuildInBackground => {
                let this = self.clone();
                let state = state.clone();
                tokio::spawn(async move { this.refresh(&state).await });
            }
            Step::WaitForFirst => loop {
                // Created before the check, so a build ending in between still wakes it.
                let ended = self.built.notified();
                if !lock(&self.inner).building {
                    break;
                }
                ended.await;
            },
            Step::UseCurrent => {}
        }
        self.snapshot()
    }

    fn snapshot(&self) -> Arc<KnownNames> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    async fn refresh(&self, state: &AppState) {
        let started = Instant::now();
        let result = async {
            let fingerprint = state.index.collection_counts(&ReadScope::All).await?;
            if lock(&self.inner).built.as_ref() == Some(&fingerprint) {
                return Ok::<_, anyhow::Error>(None);
            }
            let known = build(state, &fingerprint).await?;
            Ok(Some((fingerprint, known)))
        }
        .await;
        match result {
            Ok(Some((fingerprint, known))) => {
                tracing::info!(
                    entities = known.len(),
                    took_ms = started.elapsed().as_millis() as u64,
                    "known-entity gazetteer rebuilt"
                );
                // The list first, then the state: whoever sees the build ended sees it.
                match self.current.write() {
                    Ok(mut g) => *g = Arc::new(known),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(known),
                }
                let mut inner = lock(&self.inner);
                inner.built = Some(fingerprint);
                inner.interval = started.elapsed() * 10;
                inner.building = false;
            }
            Ok(None) => lock(&self.inner).building = false,
            // Analysis goes on with the previous list; the next check tries again.
            Err(e) => {
                tracing::warn!(error = %e, "known-entity gazetteer not rebuilt");
                lock(&self.inner).building = false;
            }
        }
        self.built.notify_waiters();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Whether an entity came only from files (ingestion and its analysis).
fn derived_from_files(origins: &[String]) -> bool {
    !origins.is_empty()
        && origins
            .iter()
            .all(|o| o.starts_with("ingest:") || o.starts_with("analyze:"))
}

/// Build the gazetteer from the matchable legal entities of the collections in `counts`
/// (the index's per-collection counts, which the caller has read already as the
/// fingerprint of this build).
pub async fn build(state: &AppState, counts: &Fingerprint) -> anyhow::Result<KnownNames> {
    let mut items: Vec<(KnownEntity, Vec<String>)> = Vec::new();
    for &collection_id in counts.keys() {
        let params = [
            (
                "filter:collection_id".to_string(),
                collection_id.to_string(),
            ),
            ("filter:schemata".to_string(), "LegalEntity".to_string()),
        ];
        let query = SearchQuery::from_params(&params)?;
        let ids = state
            .index
            .stream_ids(&ReadScope::All, &query)
            .await?
            .collect_all()
            .await?;
        for chunk in ids.chunks(FETCH) {
            let batch = state.store.entities(collection_id, chunk).await?;
            for stored in batch.entities {
                let entity = &stored.entity;
                if derived_from_files(&stored.origins) || !entity.schema().matchable() {
                    continue;
                }
                let Some(id) = entity.id() else { continue };
                let names: Vec<String> = NAME_PROPS
                    .iter()
                    .flat_map(|p| entity.get(p).iter().cloned())
                    .collect();
                if names.is_empty() {
                    continue;
                }
                items.push((
                    KnownEntity {
                        id: id.to_owned(),
                        collection_id,
                        schema: entity.schema().name().to_owned(),
                        caption: entity.caption(),
                    },
                    names,
                ));
            }
        }
    }
    Ok(tokio::task::spawn_blocking(move || KnownNames::build(items)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_from_files_are_not_looked_for() {
        assert!(derived_from_files(&[
            "ingest:abc".into(),
            "analyze:abc".into()
        ]));
        assert!(!derived_from_files(&["bulk".into()]));
        assert!(!derived_from_files(&["ingest:abc".into(), "api".into()]));
        assert!(!derived_from_files(&[]));
    }
}
