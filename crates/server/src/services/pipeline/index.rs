//! The `index` stage: make a batch of documents and what was extracted from them
//! searchable, with one index commit, then run the alerts on them.

use std::time::{Duration, Instant};

use store::{Job, JobOutcome};

use super::{analyze_origin, infrastructure, ingest_origin, succeeded};
use crate::services::entities::sync_index;
use crate::state::AppState;

/// Run a batch of `index` jobs with one index commit. Returns each job's outcome.
/// Once committed, the alerts run on what the batch indexed.
pub async fn run_index(state: &AppState, jobs: &[Job]) -> Vec<JobOutcome> {
    let mut outcomes: Vec<Option<JobOutcome>> = vec![None; jobs.len()];
    let mut indexed: std::collections::BTreeMap<i64, Indexed> = Default::default();
    // Entities whose index update was deferred (written while the index was down) have
    // no document tree to follow: they are synced together, collection by collection.
    let mut deferred: std::collections::BTreeMap<i64, Vec<usize>> = Default::default();
    for (i, job) in jobs.iter().enumerate() {
        if crate::services::entities::is_deferred_index_job(job) {
            deferred.entry(job.collection_id).or_default().push(i);
        }
    }
    for (collection_id, positions) in &deferred {
        let ids: Vec<String> = positions
            .iter()
            .filter_map(|&i| jobs[i].entity_id.clone())
            .collect();
        let outcome = match sync_index(&state.store, &state.index, *collection_id, &ids).await {
            Ok(()) => {
                indexed.entry(*collection_id).or_default().ids.extend(ids);
                succeeded()
            }
            Err(e) => infrastructure(e.message),
        };
        for &i in positions {
            outcomes[i] = Some(outcome.clone());
        }
    }
    // The documents' trees are read and indexed together, collection by collection: one
    // store read and one index call per 2,000 entities instead of one per document.
    let mut trees: std::collections::BTreeMap<i64, (Vec<usize>, Vec<String>)> = Default::default();
    for (i, (job, slot)) in jobs.iter().zip(outcomes.iter_mut()).enumerate() {
        if slot.is_some() {
            continue;
        }
        match tree_ids(state, job).await {
            Ok(ids) => {
                let tree = trees.entry(job.collection_id).or_default();
                tree.0.push(i);
                tree.1.extend(ids);
            }
            Err(e) => *slot = Some(infrastructure(e)),
        }
    }
    for (collection_id, (positions, mut ids)) in trees {
        ids.sort();
        ids.dedup();
        let outcome = match sync_index(&state.store, &state.index, collection_id, &ids).await {
            Ok(()) => {
                let batch = indexed.entry(collection_id).or_default();
                for &i in &positions {
                    if let Some(entity_id) = &jobs[i].entity_id {
                        batch.origins.push(ingest_origin(entity_id));
                        batch.origins.push(analyze_origin(entity_id));
                    }
                }
                batch.ids.extend(ids);
                succeeded()
            }
            Err(e) => infrastructure(e.message),
        };
        for i in positions {
            outcomes[i] = Some(outcome.clone());
        }
    }
    let mut outcomes: Vec<JobOutcome> = outcomes.into_iter().flatten().collect();
    // One search per collection and batch, not one per document: the stale check costs
    // a query, and most batches have nothing stale at all.
    for (collection_id, batch) in &indexed {
        if let Err(e) = drop_stale(state, *collection_id, batch).await {
            let message = format!("cannot remove what an earlier run indexed: {e}");
            for (job, outcome) in jobs.iter().zip(outcomes.iter_mut()) {
                if job.collection_id == *collection_id {
                    *outcome = infrastructure(&message);
                }
            }
        }
    }
    if let Err(e) = state.index.commit().await {
        let message = format!("index commit failed: {e}");
        return jobs.iter().map(|_| infrastructure(&message)).collect();
    }
    for (collection_id, batch) in indexed {
        let ids: Vec<String> = batch.ids.into_iter().collect();
        crate::services::alerts::after_index(&state.store, &state.index, collection_id, &ids).await;
    }
    outcomes
}

/// What a batch indexed in one collection: the documents' origins and every id written.
#[derive(Default)]
struct Indexed {
    origins: Vec<String>,
    ids: std::collections::BTreeSet<String>,
}

/// What an earlier run of these documents produced and this one did not (pages of a
/// longer version of the file) is still in the index: find it by origin and drop it.
async fn drop_stale(state: &AppState, collection_id: i64, batch: &Indexed) -> anyhow::Result<()> {
    if batch.origins.is_empty() {
        return Ok(());
    }
    let params: Vec<(String, String)> = batch
        .origins
        .iter()
        .map(|o| ("filter:origin".to_string(), o.clone()))
        .collect();
    let query = index::SearchQuery::from_params(&params)?;
    let scope = index::ReadScope::collections([collection_id]);
    let found = state
        .index
        .stream_ids(&scope, &query)
        .await?
        .collect_all()
        .await?;
    let stale: Vec<String> = found
        .into_iter()
        .filter(|id| !batch.ids.contains(id))
        .collect();
    if !stale.is_empty() {
        state.index.delete_entities(stale).await?;
    }
    Ok(())
}

/// The ids of a document and of what was extracted from it.
async fn tree_ids(state: &AppState, job: &Job) -> anyhow::Result<Vec<String>> {
    let Some(entity_id) = &job.entity_id else {
        return Ok(Vec::new());
    };
    let mut ids: Vec<String> = vec![entity_id.clone()];
    for origin in [ingest_origin(entity_id), analyze_origin(entity_id)] {
        ids.extend(
            state
                .store
                .origin_entity_ids(job.collection_id, &origin)
                .await?,
        );
    }
    Ok(ids)
}

/// When the next batch of index jobs may start.
///
/// Every batch ends in an index commit, and each commit costs the same whatever it holds:
/// new segments (one per indexing thread, each with freshly allocated writer tables),
/// the replaced documents' ids looked up in every segment, and later merges of the small
/// segments. While documents stream in, a batch every second held a few dozen files and
/// the commits were most of the server's CPU; so while batches follow one another
/// without the queue running dry, the pause between their starts doubles, from `min` up
/// to `max`. That bounds how long a finished document waits to be searchable during a
/// stream (`max`, plus the batch's own time); an idle index starts a batch at once, and
/// so does one whose last batch was full (a backlog: waiting would not make the batches
/// any larger).
#[derive(Debug, Clone)]
pub struct IndexCadence {
    min: Duration,
    max: Duration,
    /// Most jobs in one batch.
    batch: usize,
    pause: Duration,
    last_start: Option<Instant>,
    /// Whether the last claim found jobs.
    streaming: bool,
}

impl IndexCadence {
    pub fn new(min: Duration, max: Duration, batch: u32) -> IndexCadence {
        IndexCadence {
            min,
            max: max.max(min),
            batch: usize::try_from(batch).unwrap_or(usize::MAX).max(1),
            pause: min,
            last_start: None,
            streaming: false,
        }
    }

    /// Whether a batch may start at `now`.
    pub fn due(&self, now: Instant) -> bool {
        self.last_start
            .is_none_or(|at| now.saturating_duration_since(at) >= self.pause)
    }

    /// A claim at `now` found `claimed` jobs (a batch starts when there are any).
    pub fn claimed(&mut self, claimed: usize, now: Instant) {
        if claimed == 0 {
            // The stream ended (or never began): the next document is indexed promptly.
            self.streaming = false;
            self.pause = self.min;
            return;
        }
        self.pause = if claimed >= self.batch {
            Duration::ZERO
        } else if self.streaming {
            (self.pause.max(self.min) * 2).min(self.max)
        } else {
            self.min
        };
        self.streaming = true;
        self.last_start = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn an_idle_index_starts_at_once() {
        let t0 = Instant::now();
        let mut c = IndexCadence::new(SEC, 5 * SEC, 500);
        assert!(c.due(t0));
        c.claimed(3, t0);
        assert!(!c.due(t0 + SEC / 2));
        assert!(c.due(t0 + SEC));
        // Nothing came for a while: the next upload is indexed at once, after the
        // shortest pause.
        c.claimed(0, t0 + SEC);
        c.claimed(1, t0 + 30 * SEC);
        assert!(!c.due(t0 + 30 * SEC + SEC / 2));
        assert!(c.due(t0 + 31 * SEC));
    }

    #[test]
    fn a_stream_doubles_the_pause_up_to_the_bound() {
        let mut c = IndexCadence::new(SEC, 5 * SEC, 500);
        let mut now = Instant::now();
        let mut pauses = Vec::new();
        for _ in 0..6 {
            c.claimed(40, now);
            let mut waited = Duration::ZERO;
            while !c.due(now + waited) {
                waited += SEC / 10;
            }
            pauses.push(waited.as_millis());
            now += waited;
        }
        assert_eq!(pauses, [1000, 2000, 4000, 5000, 5000, 5000]);
        // The queue ran dry: back to the shortest pause.
        c.claimed(0, now);
        assert!(c.due(now));
        c.claimed(2, now);
        assert!(!c.due(now + SEC / 2));
        assert!(c.due(now + SEC));
    }

    #[test]
    fn a_full_batch_starts_the_next_at_once() {
        let mut c = IndexCadence::new(SEC, 5 * SEC, 500);
        let t0 = Instant::now();
        c.claimed(40, t0);
        c.claimed(40, t0 + SEC);
        c.claimed(500, t0 + 3 * SEC);
        assert!(c.due(t0 + 3 * SEC));
        // The backlog is gone: the stream's pause takes over again.
        c.claimed(40, t0 + 4 * SEC);
        assert!(!c.due(t0 + 4 * SEC + SEC / 2));
    }
}
