//! A run: passes of sources against targets, batch by batch, with a checkpoint saved
//! with every batch.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use ftm::Entity;
use futures_util::{StreamExt, TryStreamExt};
use index::{ReadScope, SearchIndex, SearchQuery};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{
    Access, CollectionQuery, CollectionScope, EntityFilter, EntityKey, Job, JobOutcome, NewJob,
    RoleKind, Stage, Store, StoredEntity, XrefMatch, XrefQuery, XrefRun, XrefRunState,
};
use xref::{Blocker, BlockerConfig, Matcher, Prepared};

use super::candidates::{self, Route};
use super::matching::{countries, prepare, union};
use super::{
    DEFAULT_BATCH, JOB_ENTITY, KEEP_ABOVE, SCORE_CUTOFF, WATERMARK_MARGIN_SECONDS, XrefError,
};
use crate::services::notifications::{self, Event};

/// Streamed entities per batch on the index route (each asks the index once).
const INDEX_BATCH: u32 = 250;
/// Index queries in flight at once on the index route.
const INDEX_QUERIES_AT_ONCE: usize = 4;
/// Sources the in-memory route holds at once. A larger collection is matched in chunks
/// of this many sources, the targets streamed once per chunk: memory stays bounded and
/// every pair the blocker would propose is still scored, which the index route cannot
/// promise (it finds about a quarter of the pairs on crowded names, see
/// docs/benchmarks.md). `ALEPH_XREF_CHUNK` overrides it.
pub const MEMORY_CHUNK: usize = 200_000;

/// How to run.
#[derive(Clone)]
pub struct RunOptions {
    /// The collections to match against; `None` for every live collection (read
    /// permissions are applied when results are read, as Aleph does).
    pub against: Option<Vec<i64>>,
    /// Start over instead of resuming or running incrementally.
    pub full: bool,
    pub batch_size: u32,
    /// Store matches scoring above this.
    pub keep_above: f64,
    /// Stop after this many batches (the run stays resumable); `None` to finish.
    pub max_batches: Option<u64>,
    /// The search index, for the index route.
    pub index: Option<Arc<dyn SearchIndex>>,
    /// The candidate route; `None` takes the in-memory route. A resumed run keeps the
    /// route it started with.
    pub route: Option<Route>,
    /// The most sources the in-memory route holds at once (see [`MEMORY_CHUNK`]).
    pub memory_chunk: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            against: None,
            full: false,
            batch_size: DEFAULT_BATCH,
            keep_above: KEEP_ABOVE,
            max_batches: None,
            index: None,
            route: None,
            memory_chunk: std::env::var("ALEPH_XREF_CHUNK")
                .ok()
                .and_then(|v| v.parse().ok())
                .filter(|&n: &usize| n > 0)
                .unwrap_or(MEMORY_CHUNK),
        }
    }
}

/// What one call did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    /// `full`, `incremental` or `resumed`.
    pub mode: &'static str,
    /// `memory` or `index`.
    pub route: &'static str,
    pub batches: u64,
    /// Target entities streamed by this call.
    pub scanned: u64,
    /// Matches written by this call.
    pub written: u64,
    /// Sources (entities and mentions) matched from.
    pub sources: u64,
    pub completed: bool,
}

/// One pass: some sources against some targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Pass {
    /// Only sources changed at or after this (microseconds); all if `None`.
    sources_since: Option<i64>,
    targets: Vec<i64>,
    /// Only target entities changed at or after this; all if `None`.
    targets_since: Option<i64>,
}

/// Where a run stands; saved with every batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cursor {
    passes: Vec<Pass>,
    pass: usize,
    /// The target of the pass (in-memory route) or its stream (index route).
    target: usize,
    /// The last entity handled in the current target collection or stream.
    after: Option<String>,
    /// The matcher's method: a run of another method neither resumes nor continues.
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    route: Route,
    /// In-memory route: the source key the current chunk of sources starts after
    /// (`None`: the first chunk).
    #[serde(default)]
    sources_after: Option<String>,
}

impl Cursor {
    fn new(passes: Vec<Pass>, route: Route) -> Cursor {
        Cursor {
            passes,
            pass: 0,
            target: 0,
            after: None,
            method: Some(xref::METHOD.to_string()),
            route,
            sources_after: None,
        }
    }
}

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// Queue a run of a collection's xref (once: a queued run is not queued again).
pub async fn enqueue(
    store: &Arc<dyn Store>,
    collection_id: i64,
    against: Option<Vec<i64>>,
    full: bool,
) -> Result<i64, XrefError> {
    let job = NewJob::new(collection_id, Stage::XREF)
        .entity(JOB_ENTITY)
        .payload(json!({"against": against, "full": full}));
    let ids = store.enqueue(&[job]).await?;
    ids.first()
        .copied()
        .ok_or_else(|| XrefError::Invalid("the xref job was not queued".into()))
}

/// Run an `xref` job from the ledger. A retried job resumes from the checkpoint.
/// Without an index, only the in-memory route is available.
pub async fn run_job(store: &Arc<dyn Store>, job: &Job) -> JobOutcome {
    run_job_with(store, None, job).await
}

/// [`run_job`] with the search index, so that large collections take the index route.
pub async fn run_job_with(
    store: &Arc<dyn Store>,
    index: Option<Arc<dyn SearchIndex>>,
    job: &Job,
) -> JobOutcome {
    let against = job.payload.get("against").and_then(|v| {
        v.as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).collect::<Vec<_>>())
    });
    // Only the first attempt may start over: a retry continues what the crash left.
    let full = job.attempts <= 1
        && job
            .payload
            .get("full")
            .and_then(Value::as_bool)
            .unwrap_or(false);
    let route = job
        .payload
        .get("route")
        .and_then(Value::as_str)
        .and_then(Route::parse);
    let options = RunOptions {
        against,
        full,
        index,
        route,
        ..RunOptions::default()
    };
    match run(store, job.collection_id, &options).await {
        Ok(summary) => {
            tracing::info!(collection = job.collection_id, ?summary, "xref run done");
            JobOutcome::Succeeded {
                processor_version: Some(xref::METHOD.to_string()),
            }
        }
        Err(XrefError::Store(store::StoreError::NotFound { .. })) => JobOutcome::Succeeded {
            processor_version: Some(xref::METHOD.to_string()),
        },
        Err(e) => JobOutcome::Failed {
            class: "xref".to_string(),
            message: e.to_string(),
            retry: match &e {
                XrefError::Store(s) => s.is_transient(),
                XrefError::Index(_) => true,
                XrefError::Invalid(_) | XrefError::Task(_) => false,
            },
            processor_version: Some(xref::METHOD.to_string()),
        },
    }
}

/// Every live collection's id, in order.
async fn live_collections(store: &Arc<dyn Store>) -> Result<Vec<i64>, XrefError> {
    let mut ids = Vec::new();
    let mut query = CollectionQuery::new(CollectionScope::All);
    query.limit = 1000;
    loop {
        let page = store.list_collections(&query).await?;
        let n = page.items.len();
        ids.extend(page.items.into_iter().map(|c| c.id));
        if n < query.limit as usize {
            break;
        }
        query.offset += n as u64;
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The method a stored cursor was written with (`None` before methods were recorded).
fn cursor_method(cursor: &Value) -> Option<&str> {
    cursor.get("method").and_then(Value::as_str)
}

/// Run (or resume, or continue incrementally) a collection's xref. A run whose previous
/// one scored with another [`xref::METHOD`] starts over, so that every stored pair is
/// scored again by the current matcher.
pub async fn run(
    store: &Arc<dyn Store>,
    collection_id: i64,
    options: &RunOptions,
) -> Result<RunSummary, XrefError> {
    store.collection(collection_id).await?;
    let live = live_collections(store).await?;
    let against: Vec<i64> = match &options.against {
        Some(ids) => {
            let wanted: BTreeSet<i64> = ids.iter().copied().collect();
            if let Some(missing) = wanted.iter().find(|id| !live.contains(id)) {
                return Err(XrefError::Invalid(format!("no collection {missing}")));
            }
            wanted.into_iter().collect()
        }
        None => live,
    };
    let now = store::now();
    let previous = store
        .xref_run(collection_id)
        .await?
        .filter(|r| cursor_method(&r.cursor) == Some(xref::METHOD));
    let resumable = previous.as_ref().and_then(|r| {
        let cursor: Cursor = serde_json::from_value(r.cursor.clone()).ok()?;
        (r.state == XrefRunState::Running && r.against == against).then_some(cursor)
    });
    let route = options.route.unwrap_or(Route::Memory);
    let (mut run, mut cursor, mode) = match (previous, resumable) {
        (Some(run), Some(cursor)) if !options.full => (run, cursor, "resumed"),
        (Some(old), _)
            if !options.full && old.state == XrefRunState::Completed && old.watermark.is_some() =>
        {
            let since = old.watermark.map(micros);
            let kept: Vec<i64> = against
                .iter()
                .copied()
                .filter(|c| old.against.contains(c))
                .collect();
            let added: Vec<i64> = against
                .iter()
                .copied()
                .filter(|c| !old.against.contains(c))
                .collect();
            let mut passes = vec![
                Pass {
                    sources_since: since,
                    targets: kept.clone(),
                    targets_since: None,
                },
                Pass {
                    sources_since: None,
                    targets: kept,
                    targets_since: since,
                },
            ];
            if !added.is_empty() {
                passes.push(Pass {
                    sources_since: None,
                    targets: added,
                    targets_since: None,
                });
            }
            let run = new_run(collection_id, &against, now, old.watermark);
            (run, Cursor::new(passes, route), "incremental")
        }
        _ => {
            let run = new_run(collection_id, &against, now, None);
            let pass = Pass {
                sources_since: None,
                targets: against.clone(),
                targets_since: None,
            };
            (run, Cursor::new(vec![pass], route), "full")
        }
    };
    let index = match (cursor.route, &options.index) {
        (Route::Index, None) => {
            return Err(XrefError::Invalid(
                "the index route needs the search index".into(),
            ));
        }
        (_, index) => index.clone(),
    };
    if mode != "resumed" {
        run.total = estimate_total(store, collection_id, &cursor, options.memory_chunk).await?;
        run.cursor = serde_json::to_value(&cursor).unwrap_or(Value::Null);
        store.begin_xref_run(&run, mode == "full").await?;
    }

    let matcher = Arc::new(Matcher::new());
    let mut summary = RunSummary {
        mode,
        route: cursor.route.as_str(),
        batches: 0,
        scanned: 0,
        written: 0,
        sources: 0,
        completed: false,
    };
    let mut loaded: LoadedSources = None;
    let shared = StepArgs {
        store,
        matcher: &matcher,
        collection_id,
        options,
        now,
    };
    while cursor.pass < cursor.passes.len() {
        let step = match (cursor.route, &index) {
            (Route::Index, Some(index)) => index_step(&shared, index, &mut cursor).await?,
            _ => memory_step(&shared, &mut cursor, &mut loaded, &mut summary).await?,
        };
        let Some((scanned, matches)) = step else {
            continue;
        };
        run.processed += scanned;
        run.total = run.total.max(run.processed);
        run.updated_at = store::now();
        run.cursor = serde_json::to_value(&cursor).unwrap_or(Value::Null);
        let written = store.save_xref_batch(&run, &matches).await?;
        run.matches += written;
        summary.batches += 1;
        summary.scanned += scanned;
        summary.written += written;
        if options
            .max_batches
            .is_some_and(|max| summary.batches >= max)
        {
            return Ok(summary);
        }
    }
    run.state = XrefRunState::Completed;
    run.total = run.processed;
    run.updated_at = store::now();
    run.finished_at = Some(run.updated_at);
    run.watermark = Some(run.started_at - Duration::seconds(WATERMARK_MARGIN_SECONDS));
    run.cursor = serde_json::to_value(&cursor).unwrap_or(Value::Null);
    store.save_xref_batch(&run, &[]).await?;
    summary.completed = true;
    notify_finished(store, collection_id, &run).await;
    Ok(summary)
}

/// Move the cursor to the next stream (or target) of the pass, or the next pass.
fn next_target(cursor: &mut Cursor, streams: usize) {
    cursor.target += 1;
    cursor.after = None;
    if cursor.target >= streams {
        cursor.pass += 1;
        cursor.target = 0;
    }
}

/// The sources held by the in-memory route, with what they were loaded for: the pass's
/// `sources_since` and the key their chunk starts after.
type LoadedSources = Option<(Option<i64>, Option<String>, Arc<Sources>)>;

/// What every batch of a run works with, whichever the route.
struct StepArgs<'a> {
    store: &'a Arc<dyn Store>,
    matcher: &'a Arc<Matcher>,
    collection_id: i64,
    options: &'a RunOptions,
    now: DateTime<Utc>,
}

/// One batch of the in-memory route: a page of the current target through the current
/// chunk of sources. When the pass's last target is done and more sources remain, the
/// pass starts again with the next chunk. `None` when the cursor only moved on.
async fn memory_step(
    shared: &StepArgs<'_>,
    cursor: &mut Cursor,
    loaded: &mut LoadedSources,
    summary: &mut RunSummary,
) -> Result<Option<(u64, Vec<XrefMatch>)>, XrefError> {
    let pass_before = cursor.pass;
    let step = memory_chunk_step(shared, cursor, loaded, summary).await?;
    if cursor.pass != pass_before {
        // Only the chunk loaded for this pass and position says whether more follow.
        let since = cursor.passes[pass_before].sources_since;
        let next_chunk = loaded
            .as_ref()
            .filter(|(s, after, _)| *s == since && *after == cursor.sources_after)
            .and_then(|(_, _, sources)| sources.more.clone());
        match next_chunk {
            Some(after) => {
                cursor.pass = pass_before;
                cursor.target = 0;
                cursor.after = None;
                cursor.sources_after = Some(after);
            }
            None => cursor.sources_after = None,
        }
    }
    Ok(step)
}

async fn memory_chunk_step(
    shared: &StepArgs<'_>,
    cursor: &mut Cursor,
    loaded: &mut LoadedSources,
    summary: &mut RunSummary,
) -> Result<Option<(u64, Vec<XrefMatch>)>, XrefError> {
    let pass = cursor.passes[cursor.pass].clone();
    if cursor.target >= pass.targets.len() {
        cursor.pass += 1;
        cursor.target = 0;
        cursor.after = None;
        return Ok(None);
    }
    let sources = match loaded {
        Some((since, after, sources))
            if *since == pass.sources_since && *after == cursor.sources_after =>
        {
            sources.clone()
        }
        _ => {
            // Drop the previous chunk before loading the next one.
            *loaded = None;
            let sources = Arc::new(
                Sources::load(
                    shared.store,
                    shared.collection_id,
                    pass.sources_since.map(from_micros),
                    cursor.sources_after.as_deref(),
                    shared.options.memory_chunk,
                )
                .await?,
            );
            let count = sources.items.len() as u64;
            summary.sources = match cursor.sources_after {
                None => summary.sources.max(count),
                Some(_) => summary.sources + count,
            };
            *loaded = Some((
                pass.sources_since,
                cursor.sources_after.clone(),
                sources.clone(),
            ));
            sources
        }
    };
    if sources.items.is_empty() {
        // Nothing to match from: the pass is done.
        cursor.pass += 1;
        cursor.target = 0;
        cursor.after = None;
        return Ok(None);
    }
    let target = pass.targets[cursor.target];
    let mut filter = EntityFilter::collection(target);
    if let Some(since) = pass.targets_since {
        filter = filter.updated_since(from_micros(since));
    }
    let after = cursor.after.clone().map(|entity_id| EntityKey {
        collection_id: target,
        entity_id,
    });
    let page = match shared
        .store
        .entity_page(filter, after.as_ref(), shared.options.batch_size.max(1))
        .await
    {
        Ok(page) => page,
        // The target was deleted while we ran: skip it.
        Err(store::StoreError::NotFound { .. }) => {
            next_target(cursor, pass.targets.len());
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let entities = page.batch.entities;
    let scanned = entities.len() as u64;
    let matches = {
        let (sources, matcher) = (sources.clone(), shared.matcher.clone());
        let (keep_above, now) = (shared.options.keep_above, shared.now);
        tokio::task::spawn_blocking(move || {
            score_batch(&sources, &matcher, target, &entities, keep_above, now)
        })
        .await
        .map_err(|e| XrefError::Task(e.to_string()))?
    };
    match page.next {
        Some(next) => cursor.after = Some(next.entity_id),
        None => next_target(cursor, pass.targets.len()),
    }
    Ok(Some((scanned, matches)))
}

/// One batch of the index route: a page of the current stream, each entity's candidates
/// from the index, scored. `None` when the cursor only moved on.
async fn index_step(
    shared: &StepArgs<'_>,
    index: &Arc<dyn SearchIndex>,
    cursor: &mut Cursor,
) -> Result<Option<(u64, Vec<XrefMatch>)>, XrefError> {
    let pass = &cursor.passes[cursor.pass];
    let streams = candidates::streams(
        shared.collection_id,
        pass.sources_since,
        &pass.targets,
        pass.targets_since,
    );
    let Some(stream) = streams.get(cursor.target).cloned() else {
        cursor.pass += 1;
        cursor.target = 0;
        cursor.after = None;
        return Ok(None);
    };
    if stream.query.is_empty() {
        next_target(cursor, streams.len());
        return Ok(None);
    }
    let mut filter = EntityFilter::collection(stream.collection);
    if let Some(since) = stream.since {
        filter = filter.updated_since(from_micros(since));
    }
    let after = cursor.after.clone().map(|entity_id| EntityKey {
        collection_id: stream.collection,
        entity_id,
    });
    let size = shared.options.batch_size.clamp(1, INDEX_BATCH);
    let page = match shared.store.entity_page(filter, after.as_ref(), size).await {
        Ok(page) => page,
        Err(store::StoreError::NotFound { .. }) => {
            next_target(cursor, streams.len());
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    let scanned = page.batch.entities.len() as u64;
    let scope = ReadScope::collections(stream.query.iter().copied());
    // Ask the index for every entity's candidates, a few queries at a time.
    let queries: Vec<(StoredEntity, SearchQuery)> = page
        .batch
        .entities
        .into_iter()
        .filter_map(|stored| {
            let mention = stored.entity.schema().name() == "Mention";
            if stream.mentions_only && !mention {
                return None;
            }
            let query = candidates::candidate_query(&stored.entity, mention)?;
            Some((stored, query))
        })
        .collect();
    let found: Vec<(StoredEntity, Vec<index::Hit>)> = futures_util::stream::iter(queries)
        .map(|(stored, query)| {
            let (index, scope) = (index.clone(), scope.clone());
            async move {
                let hits = index.search(&scope, &query).await?.hits;
                Ok::<_, index::IndexError>((stored, hits))
            }
        })
        .buffered(INDEX_QUERIES_AT_ONCE)
        .try_collect()
        .await?;
    let matches = {
        let matcher = shared.matcher.clone();
        let (collection_id, keep_above, now) =
            (shared.collection_id, shared.options.keep_above, shared.now);
        let streamed = stream.collection;
        let own = stream.streams_own;
        tokio::task::spawn_blocking(move || {
            score_hits(
                &matcher,
                collection_id,
                streamed,
                own,
                &found,
                keep_above,
                now,
            )
        })
        .await
        .map_err(|e| XrefError::Task(e.to_string()))?
    };
    match page.next {
        Some(next) => cursor.after = Some(next.entity_id),
        None => next_target(cursor, streams.len()),
    }
    Ok(Some((scanned, matches)))
}

/// Score streamed entities against their index hits. Pairs are always stored from the
/// collection's side: when the streamed entity is the other side's, the hit is ours.
fn score_hits(
    matcher: &Matcher,
    own_collection: i64,
    streamed_collection: i64,
    streams_own: bool,
    found: &[(StoredEntity, Vec<index::Hit>)],
    keep_above: f64,
    now: DateTime<Utc>,
) -> Vec<XrefMatch> {
    let mut out = Vec::new();
    for (stored, hits) in found {
        let streamed = &stored.entity;
        let Some(streamed_id) = streamed.id() else {
            continue;
        };
        let Some((streamed_prepared, streamed_mention)) = prepare(streamed) else {
            continue;
        };
        let streamed_countries = countries(streamed);
        for hit in hits {
            if hit.collection_id == streamed_collection && hit.id == streamed_id {
                continue;
            }
            let Ok(other) = Entity::from_json(hit.entity.clone(), true) else {
                continue;
            };
            let Some((hit_prepared, hit_mention)) = prepare(&other) else {
                continue;
            };
            if streamed_mention && hit_mention {
                continue;
            }
            let (ours, ours_prepared, theirs, theirs_prepared, theirs_collection) = if streams_own {
                (
                    streamed,
                    &streamed_prepared,
                    &other,
                    &hit_prepared,
                    hit.collection_id,
                )
            } else {
                (
                    &other,
                    &hit_prepared,
                    streamed,
                    &streamed_prepared,
                    streamed_collection,
                )
            };
            let Some(scored) = matcher.score_prepared(ours_prepared, theirs_prepared) else {
                continue;
            };
            if scored.score <= keep_above {
                continue;
            }
            let hit_countries = countries(&other);
            out.push(XrefMatch {
                collection_id: own_collection,
                entity_id: ours.id().unwrap_or_default().to_string(),
                match_collection_id: theirs_collection,
                match_id: theirs.id().unwrap_or_default().to_string(),
                score: scored.score.clamp(0.0, 1.0),
                schema: theirs.schema().name().to_string(),
                countries: union(&streamed_countries, &hit_countries),
                method: scored.method.to_string(),
                explanation: serde_json::to_value(&scored).unwrap_or(Value::Null),
                created_at: now,
            });
        }
    }
    best_of_each_pair(out)
}

/// One match per pair, the best scored: a pair is found from both of its sides when
/// both are streamed (an entity and a mention of the other side), and a batch must not
/// write the same pair twice.
fn best_of_each_pair(mut matches: Vec<XrefMatch>) -> Vec<XrefMatch> {
    matches.sort_by(|a, b| {
        (&a.entity_id, a.match_collection_id, &a.match_id)
            .cmp(&(&b.entity_id, b.match_collection_id, &b.match_id))
            .then(b.score.total_cmp(&a.score))
    });
    matches.dedup_by(|later, first| {
        later.entity_id == first.entity_id
            && later.match_collection_id == first.match_collection_id
            && later.match_id == first.match_id
    });
    matches
}

/// Tell the collection's writers (its creator and those granted write access, directly
/// or through a group) that its cross-referencing finished, each with the number of
/// matches they can see: only matches into collections that user can read are counted,
/// so a count never reveals matches in a collection hidden from them. Failures are
/// logged, never fatal to the run.
async fn notify_finished(store: &Arc<dyn Store>, collection_id: i64, run: &XrefRun) {
    let result: Result<u64, String> = async {
        let err = |e: store::StoreError| e.to_string();
        let mut roles: Vec<i64> = store
            .permissions(collection_id)
            .await
            .map_err(err)?
            .into_iter()
            .filter(|p| p.access == Access::Write)
            .map(|p| p.role_id)
            .collect();
        let collection = store.collection(collection_id).await.map_err(err)?;
        roles.extend(collection.creator_id);
        let mut users = BTreeSet::new();
        for role_id in roles {
            let role = match store.role(role_id).await {
                Ok(role) => role,
                Err(store::StoreError::NotFound { .. }) => continue,
                Err(e) => return Err(e.to_string()),
            };
            let members = match role.kind {
                RoleKind::User => vec![role],
                RoleKind::Group => store.members_of(role.id).await.map_err(err)?,
                RoleKind::System => Vec::new(),
            };
            users.extend(
                members
                    .into_iter()
                    .filter(|m| m.kind == RoleKind::User && !m.is_blocked)
                    .map(|m| m.id),
            );
        }
        let mut told = 0;
        for user in users {
            let role_set = store.role_set(user).await.map_err(err)?;
            let readable = store.access_sets(&role_set).await.map_err(err)?.readable;
            let mut query = XrefQuery::collection(collection_id);
            query.match_collections = Some(readable.into_iter().collect());
            query.min_score = Some(SCORE_CUTOFF);
            query.limit = 1;
            let shown = store.xref_matches(&query).await.map_err(err)?.total;
            let params = json!({"matches": shown, "written": run.matches})
                .as_object()
                .cloned()
                .unwrap_or_default();
            told += notifications::notify_roles(
                store,
                &[user],
                collection_id,
                None,
                Event::XrefFinished,
                params,
            )
            .await
            .map_err(|e| e.message)?;
        }
        Ok(told)
    }
    .await;
    if let Err(message) = result {
        tracing::warn!(collection_id, "cannot notify that xref finished: {message}");
    }
}

fn new_run(
    collection_id: i64,
    against: &[i64],
    now: DateTime<Utc>,
    watermark: Option<DateTime<Utc>>,
) -> XrefRun {
    XrefRun {
        collection_id,
        state: XrefRunState::Running,
        against: against.to_vec(),
        cursor: Value::Null,
        processed: 0,
        total: 0,
        matches: 0,
        started_at: now,
        updated_at: now,
        finished_at: None,
        watermark,
    }
}

/// The entities the passes will stream, where that is known in advance (streams of
/// changed entities only are counted as they go).
async fn estimate_total(
    store: &Arc<dyn Store>,
    collection_id: i64,
    cursor: &Cursor,
    memory_chunk: usize,
) -> Result<u64, XrefError> {
    let mut total = 0;
    // Every chunk of sources streams the targets once (counted as if every entity of
    // the collection were a source: an upper bound that the run corrects as it goes).
    let chunks = match cursor.route {
        Route::Memory => store
            .count_entities(collection_id)
            .await?
            .div_ceil(memory_chunk.max(1) as u64)
            .max(1),
        Route::Index => 1,
    };
    for pass in &cursor.passes {
        match cursor.route {
            Route::Memory => {
                if pass.targets_since.is_some() {
                    continue;
                }
                for &target in &pass.targets {
                    total += store.count_entities(target).await? * chunks;
                }
            }
            Route::Index => {
                let streams = candidates::streams(
                    collection_id,
                    pass.sources_since,
                    &pass.targets,
                    pass.targets_since,
                );
                for stream in streams.iter().filter(|s| s.since.is_none()) {
                    total += store.count_entities(stream.collection).await?;
                }
            }
        }
    }
    Ok(total)
}

/// One thing matched from: an entity or a mention of the collection.
struct Source {
    id: String,
    prepared: Prepared,
    mention: bool,
    countries: Vec<String>,
}

/// The collection's side of a run (or one chunk of it), indexed by blocking keys.
struct Sources {
    collection_id: i64,
    items: Vec<Source>,
    blocker: Blocker,
    /// The key the next chunk starts after, if the collection holds more sources.
    more: Option<String>,
}

impl Sources {
    /// Up to about `chunk` sources (whole pages) in key order after `after`.
    async fn load(
        store: &Arc<dyn Store>,
        collection_id: i64,
        since: Option<DateTime<Utc>>,
        after: Option<&str>,
        chunk: usize,
    ) -> Result<Sources, XrefError> {
        let mut filter = EntityFilter::collection(collection_id);
        if let Some(since) = since {
            filter = filter.updated_since(since);
        }
        let mut items = Vec::new();
        let mut after: Option<EntityKey> = after.map(|entity_id| EntityKey {
            collection_id,
            entity_id: entity_id.to_string(),
        });
        let mut more = None;
        let page_size = DEFAULT_BATCH.min(u32::try_from(chunk.max(1)).unwrap_or(u32::MAX));
        loop {
            let page = store.entity_page(filter, after.as_ref(), page_size).await?;
            for stored in &page.batch.entities {
                if let Some((prepared, mention)) = prepare(&stored.entity) {
                    items.push(Source {
                        id: stored.entity.id().unwrap_or_default().to_string(),
                        prepared,
                        mention,
                        countries: countries(&stored.entity),
                    });
                }
            }
            match page.next {
                Some(next) if items.len() >= chunk => {
                    more = Some(next.entity_id);
                    break;
                }
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let (blocker, items) = tokio::task::spawn_blocking(move || {
            let mut blocker = Blocker::new(BlockerConfig::default());
            for item in &items {
                blocker.add(&item.prepared);
            }
            (blocker, items)
        })
        .await
        .map_err(|e| XrefError::Task(e.to_string()))?;
        Ok(Sources {
            collection_id,
            items,
            blocker,
            more,
        })
    }
}

/// Score one page of target entities against the sources.
fn score_batch(
    sources: &Sources,
    matcher: &Matcher,
    target_collection: i64,
    targets: &[StoredEntity],
    keep_above: f64,
    now: DateTime<Utc>,
) -> Vec<XrefMatch> {
    let mut out = Vec::new();
    for stored in targets {
        let entity = &stored.entity;
        let Some(target_id) = entity.id() else {
            continue;
        };
        let Some((prepared, target_mention)) = prepare(entity) else {
            continue;
        };
        let target_countries = countries(entity);
        for (index, _) in sources.blocker.query(&prepared) {
            let Some(source) = sources.items.get(index) else {
                continue;
            };
            if source.mention && target_mention {
                continue;
            }
            if target_collection == sources.collection_id && source.id == target_id {
                continue;
            }
            let Some(scored) = matcher.score_prepared(&source.prepared, &prepared) else {
                continue;
            };
            if scored.score <= keep_above {
                continue;
            }
            out.push(XrefMatch {
                collection_id: sources.collection_id,
                entity_id: source.id.clone(),
                match_collection_id: target_collection,
                match_id: target_id.to_string(),
                score: scored.score.clamp(0.0, 1.0),
                schema: entity.schema().name().to_string(),
                countries: union(&source.countries, &target_countries),
                method: scored.method.to_string(),
                explanation: serde_json::to_value(&scored).unwrap_or(Value::Null),
                created_at: now,
            });
        }
    }
    out
}

/// The progress of a collection's xref for its status: `null` without a run.
pub async fn progress(store: &Arc<dyn Store>, collection_id: i64) -> Result<Value, XrefError> {
    let Some(run) = store.xref_run(collection_id).await? else {
        return Ok(Value::Null);
    };
    Ok(progress_json(&run, Utc::now()))
}

/// A run's progress with an estimate of the time left from its rate so far.
pub fn progress_json(run: &XrefRun, now: DateTime<Utc>) -> Value {
    let running = run.state == XrefRunState::Running;
    let elapsed = (now - run.started_at).num_milliseconds().max(1) as f64 / 1000.0;
    let rate = run.processed as f64 / elapsed;
    let left = run.total.saturating_sub(run.processed);
    let eta = (running && rate > 0.0).then(|| (left as f64 / rate).round() as u64);
    let percent = if run.total == 0 {
        if running { 0.0 } else { 100.0 }
    } else {
        (run.processed as f64 * 1000.0 / run.total as f64).round() / 10.0
    };
    json!({
        "state": run.state.as_str(),
        "processed": run.processed,
        "total": run.total,
        "percent": percent,
        "matches": run.matches,
        "against": run.against.iter().map(i64::to_string).collect::<Vec<_>>(),
        "started_at": crate::serialize::datetime(&run.started_at),
        "updated_at": crate::serialize::datetime(&run.updated_at),
        "finished_at": run.finished_at.as_ref().map(crate::serialize::datetime),
        "eta_seconds": eta,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(entity: &str, matched: &str, score: f64) -> XrefMatch {
        XrefMatch {
            collection_id: 1,
            entity_id: entity.into(),
            match_collection_id: 2,
            match_id: matched.into(),
            score,
            schema: "Person".into(),
            countries: Vec::new(),
            method: xref::METHOD.into(),
            explanation: Value::Null,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn a_pair_found_twice_is_kept_once_with_its_best_score() {
        let kept = best_of_each_pair(vec![
            found("a", "x", 0.4),
            found("b", "x", 0.7),
            found("a", "x", 0.9),
            found("a", "y", 0.6),
        ]);
        let pairs: Vec<(&str, &str, f64)> = kept
            .iter()
            .map(|m| (m.entity_id.as_str(), m.match_id.as_str(), m.score))
            .collect();
        assert_eq!(pairs, [("a", "x", 0.9), ("a", "y", 0.6), ("b", "x", 0.7)]);
    }

    #[test]
    fn progress_estimates_time_left_while_running() {
        let start = Utc::now() - Duration::seconds(100);
        let mut run = new_run(1, &[2], start, None);
        run.total = 1000;
        run.processed = 250;
        let p = progress_json(&run, start + Duration::seconds(100));
        assert_eq!(p["percent"], 25.0);
        assert_eq!(p["eta_seconds"], 300);
        run.state = XrefRunState::Completed;
        assert_eq!(progress_json(&run, Utc::now())["eta_seconds"], Value::Null);
    }
}
