//! Cross-referencing runs: a collection's entities and mentions against other
//! collections, as a job of the ledger, batch by batch.
//!
//! A run keeps the collection's matchable entities and its mentions (the *sources*) in an
//! in-memory [`xref::Blocker`], then streams each target collection through it in key
//! order, one page of entities per batch. Streaming the targets rather than indexing them
//! keeps memory proportional to the collection being xref'ed, however large the
//! watchlists it is matched against. Each batch's matches are saved together with the
//! run's cursor (the last target entity handled), so a run that dies resumes at the next
//! batch.
//!
//! Runs are incremental: once a run has completed, the next one only matches what changed
//! since it started (sources against every target, every source against changed
//! targets, and everything against collections that were not there before); `full`
//! starts over.
//!
//! Mentions go both ways: a mention in the collection is a source matched against the
//! targets' entities, and a mention in a target is matched against the collection's
//! entities. Two mentions are never paired (neither is a fact about anyone).

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use ftm::{Entity, PropertyType};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use store::{
    CollectionQuery, CollectionScope, EntityFilter, EntityKey, Job, JobOutcome, NewJob, Stage,
    Store, StoredEntity, XrefMatch, XrefRun, XrefRunState,
};
use xref::{Blocker, BlockerConfig, Matcher, Prepared, fold_mentions};

/// Aleph's `SCORE_CUTOFF`: listings hide matches at or below it unless asked.
pub const SCORE_CUTOFF: f64 = 0.5;
/// Matches at or below this are not stored at all.
pub const KEEP_ABOVE: f64 = 0.3;
/// The job entity of a collection's xref run: one queued run per collection.
pub const JOB_ENTITY: &str = "xref";
/// Target entities per batch (and checkpoint).
pub const DEFAULT_BATCH: u32 = 1000;
/// Entities written while a run was starting may carry a slightly earlier time: the next
/// incremental run looks back this far before the start.
const WATERMARK_MARGIN_SECONDS: i64 = 60;

/// What can stop a run.
#[derive(Debug, thiserror::Error)]
pub enum XrefError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("{0}")]
    Invalid(String),
    #[error("scoring failed: {0}")]
    Task(String),
}

/// How to run.
#[derive(Debug, Clone)]
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
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            against: None,
            full: false,
            batch_size: DEFAULT_BATCH,
            keep_above: KEEP_ABOVE,
            max_batches: None,
        }
    }
}

/// What one call did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    /// `full`, `incremental` or `resumed`.
    pub mode: &'static str,
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
    target: usize,
    /// The last target entity handled in the current target collection.
    after: Option<String>,
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
pub async fn run_job(store: &Arc<dyn Store>, job: &Job) -> JobOutcome {
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
    let options = RunOptions {
        against,
        full,
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
            retry: matches!(e, XrefError::Store(ref s) if s.is_transient()),
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

/// Run (or resume, or continue incrementally) a collection's xref.
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
    let previous = store.xref_run(collection_id).await?;
    let resumable = previous.as_ref().and_then(|r| {
        let cursor: Cursor = serde_json::from_value(r.cursor.clone()).ok()?;
        (r.state == XrefRunState::Running && r.against == against).then_some(cursor)
    });
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
            let cursor = Cursor {
                passes,
                pass: 0,
                target: 0,
                after: None,
            };
            (run, cursor, "incremental")
        }
        _ => {
            let run = new_run(collection_id, &against, now, None);
            let cursor = Cursor {
                passes: vec![Pass {
                    sources_since: None,
                    targets: against.clone(),
                    targets_since: None,
                }],
                pass: 0,
                target: 0,
                after: None,
            };
            (run, cursor, "full")
        }
    };
    if mode != "resumed" {
        run.total = estimate_total(store, &cursor).await?;
        run.cursor = serde_json::to_value(&cursor).unwrap_or(Value::Null);
        store.begin_xref_run(&run, mode == "full").await?;
    }

    let matcher = Arc::new(Matcher::new());
    let mut summary = RunSummary {
        mode,
        batches: 0,
        scanned: 0,
        written: 0,
        sources: 0,
        completed: false,
    };
    let mut loaded: Option<(Option<i64>, Arc<Sources>)> = None;
    while cursor.pass < cursor.passes.len() {
        let pass = cursor.passes[cursor.pass].clone();
        if cursor.target >= pass.targets.len() {
            cursor.pass += 1;
            cursor.target = 0;
            cursor.after = None;
            continue;
        }
        let sources = match &loaded {
            Some((since, sources)) if *since == pass.sources_since => sources.clone(),
            _ => {
                let sources = Arc::new(
                    Sources::load(store, collection_id, pass.sources_since.map(from_micros))
                        .await?,
                );
                summary.sources = summary.sources.max(sources.items.len() as u64);
                loaded = Some((pass.sources_since, sources.clone()));
                sources
            }
        };
        if sources.items.is_empty() {
            // Nothing to match from: the pass is done.
            cursor.pass += 1;
            cursor.target = 0;
            cursor.after = None;
            continue;
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
        let page = match store
            .entity_page(filter, after.as_ref(), options.batch_size.max(1))
            .await
        {
            Ok(page) => page,
            // The target was deleted while we ran: skip it.
            Err(store::StoreError::NotFound { .. }) => {
                cursor.target += 1;
                cursor.after = None;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let entities = page.batch.entities;
        let scanned = entities.len() as u64;
        let matches = {
            let (sources, matcher) = (sources.clone(), matcher.clone());
            let keep_above = options.keep_above;
            tokio::task::spawn_blocking(move || {
                score_batch(&sources, &matcher, target, &entities, keep_above, now)
            })
            .await
            .map_err(|e| XrefError::Task(e.to_string()))?
        };
        match page.next {
            Some(next) => cursor.after = Some(next.entity_id),
            None => {
                cursor.target += 1;
                cursor.after = None;
            }
        }
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
    Ok(summary)
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

/// The target entities the passes will stream, where that is known in advance (passes
/// over changed entities only are counted as they go).
async fn estimate_total(store: &Arc<dyn Store>, cursor: &Cursor) -> Result<u64, XrefError> {
    let mut total = 0;
    for pass in &cursor.passes {
        if pass.targets_since.is_some() {
            continue;
        }
        for &target in &pass.targets {
            total += store.count_entities(target).await?;
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

/// The collection's side of a run, indexed by blocking keys.
struct Sources {
    collection_id: i64,
    items: Vec<Source>,
    blocker: Blocker,
}

impl Sources {
    async fn load(
        store: &Arc<dyn Store>,
        collection_id: i64,
        since: Option<DateTime<Utc>>,
    ) -> Result<Sources, XrefError> {
        let mut filter = EntityFilter::collection(collection_id);
        if let Some(since) = since {
            filter = filter.updated_since(since);
        }
        let mut items = Vec::new();
        let mut after: Option<EntityKey> = None;
        loop {
            let page = store
                .entity_page(filter, after.as_ref(), DEFAULT_BATCH)
                .await?;
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
        })
    }
}

/// An entity prepared for matching, and whether it is a mention; `None` for what cannot
/// be matched (documents, pages, things without names or identifiers).
fn prepare(entity: &Entity) -> Option<(Prepared, bool)> {
    if entity.schema().name() == "Mention" {
        let group = fold_mentions(std::iter::once(entity))
            .ok()?
            .into_iter()
            .next()?;
        let prepared = group.prepare();
        return prepared.is_matchable().then_some((prepared, true));
    }
    if !entity.schema().matchable() {
        return None;
    }
    let prepared = Prepared::new(entity);
    prepared.is_matchable().then_some((prepared, false))
}

/// Lowercase country codes of an entity, sorted and distinct.
pub fn countries(entity: &Entity) -> Vec<String> {
    let mut out: Vec<String> = entity
        .properties()
        .filter(|(p, _)| p.type_() == PropertyType::Country)
        .flat_map(|(_, values)| values.iter().map(|v| v.to_ascii_lowercase()))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn union(a: &[String], b: &[String]) -> Vec<String> {
    let mut out: Vec<String> = a.iter().chain(b).cloned().collect();
    out.sort();
    out.dedup();
    out
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

/// Score one entity against candidates (query by example): best first, above
/// `keep_above`, with explanations.
pub fn match_example(
    example: &Entity,
    candidates: &[Entity],
    keep_above: f64,
) -> Vec<(usize, xref::Match)> {
    let matcher = Matcher::new();
    let Some((query, _)) = prepare(example) else {
        return Vec::new();
    };
    let mut scored: Vec<(usize, xref::Match)> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.id() != example.id() || example.id().is_none())
        .filter_map(|(i, c)| {
            let (prepared, mention) = prepare(c)?;
            if mention {
                return None;
            }
            let m = matcher.score_prepared(&query, &prepared)?;
            (m.score > keep_above).then_some((i, m))
        })
        .collect();
    scored.sort_by(|a, b| b.1.score.total_cmp(&a.1.score).then(a.0.cmp(&b.0)));
    scored
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

    fn entity(value: Value) -> Entity {
        Entity::from_json(value, false).unwrap()
    }

    #[test]
    fn mentions_and_entities_are_prepared_documents_are_not() {
        let person = entity(json!({"id": "p", "schema": "Person",
            "properties": {"name": ["Vladimir Putin"], "nationality": ["RU"]}}));
        let (_, mention) = prepare(&person).unwrap();
        assert!(!mention);
        assert_eq!(countries(&person), ["ru"]);
        let m = entity(json!({"id": "m", "schema": "Mention", "properties": {
            "name": ["Vladimir Putin"], "resolved": ["r1"], "document": ["d"],
            "detectedSchema": ["Person"]}}));
        assert!(prepare(&m).unwrap().1);
        let doc = entity(json!({"id": "d", "schema": "Document",
            "properties": {"title": ["Putin"]}}));
        assert!(prepare(&doc).is_none());
    }

    #[test]
    fn query_by_example_ranks_and_explains() {
        let example = entity(json!({"schema": "Person",
            "properties": {"name": ["Vladimir Putin"], "birthDate": ["1952-10-07"]}}));
        let candidates = [
            entity(json!({"id": "a", "schema": "Person",
                "properties": {"name": ["Angela Merkel"]}})),
            entity(json!({"id": "b", "schema": "Person",
                "properties": {"name": ["PUTIN, Vladimir"], "birthDate": ["1952-10-07"]}})),
            entity(json!({"id": "c", "schema": "Company",
                "properties": {"name": ["Vladimir Putin"]}})),
        ];
        let found = match_example(&example, &candidates, KEEP_ABOVE);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, 1);
        assert!(found[0].1.score > 0.9);
        assert!(found[0].1.feature("name").is_some());
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

// --- the API's side ------------------------------------------------------------------------

pub use api::{decide, export_xlsx, list, match_entity, profile, trigger};

mod api {
    use std::collections::HashMap;

    use ftm::Entity;
    use serde_json::{Map, Value, json};
    use store::{NewDecision, PairJudgement, XrefItem, XrefQuery};

    use super::{KEEP_ABOVE, SCORE_CUTOFF, XrefError};
    use crate::auth::Actor;
    use crate::error::{ApiError, ApiResult};
    use crate::paging::{Envelope, PageRequest};
    use crate::params::Params;
    use crate::serialize::{EntityView, Serializer, datetime};
    use crate::state::AppState;

    impl From<XrefError> for ApiError {
        fn from(err: XrefError) -> ApiError {
            match err {
                XrefError::Store(e) => e.into(),
                XrefError::Invalid(msg) => ApiError::bad_request(msg),
                XrefError::Task(msg) => ApiError::internal(msg),
            }
        }
    }

    fn score_param(params: &Params, key: &str) -> ApiResult<Option<f64>> {
        params
            .get(key)
            .map(|v| {
                v.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .ok_or_else(|| ApiError::invalid(key, format!("not a number: {v:?}")))
            })
            .transpose()
    }

    fn int_values(params: &Params, key: &str) -> ApiResult<Vec<i64>> {
        params
            .all(key)
            .into_iter()
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.parse()
                    .map_err(|_| ApiError::invalid(key, format!("not a collection id: {v:?}")))
            })
            .collect()
    }

    /// The listing query from Aleph's parameters, narrowed to what the caller may read.
    fn query(actor: &Actor, collection_id: i64, params: &Params) -> ApiResult<XrefQuery> {
        let page = PageRequest::from_params(params)?;
        let mut q = XrefQuery::collection(collection_id);
        q.offset = page.offset as u64;
        q.limit = page.limit as u64;
        let wanted = int_values(params, "filter:match_collection_id")?;
        q.match_collections = if actor.is_admin {
            (!wanted.is_empty()).then_some(wanted)
        } else if wanted.is_empty() {
            Some(actor.readable.iter().copied().collect())
        } else {
            Some(
                wanted
                    .into_iter()
                    .filter(|c| actor.readable.contains(c))
                    .collect(),
            )
        };
        for key in ["filter:schema", "filter:schemata", "filter:match.schema"] {
            q.schemata
                .extend(params.all(key).into_iter().map(str::to_string));
        }
        for key in ["filter:countries", "filter:country"] {
            q.countries
                .extend(params.all(key).into_iter().map(str::to_string));
        }
        q.entity_ids = params
            .all("filter:entity_id")
            .into_iter()
            .map(str::to_string)
            .collect();
        let gt = score_param(params, "filter:gt:score")?;
        // Scores are continuous: "at least x" is "above a hair below x".
        let gte = score_param(params, "filter:gte:score")?.map(|v| v - 1e-9);
        q.min_score = match (gt, gte) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
        .or(Some(SCORE_CUTOFF));
        let lte = score_param(params, "filter:lte:score")?;
        let lt = score_param(params, "filter:lt:score")?.map(|v| v - 1e-9);
        q.max_score = match (lte, lt) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match params.get("sort") {
            None | Some("") | Some("score") | Some("score:desc") => {}
            Some(other) => {
                return Err(ApiError::invalid(
                    "sort",
                    format!("cross-reference results sort by score only, not {other}"),
                ));
            }
        }
        Ok(q)
    }

    /// An item's id: the same pair always has the same one.
    fn item_id(item: &XrefItem) -> String {
        use sha2::{Digest, Sha256};
        let m = &item.matched;
        let mut h = Sha256::new();
        h.update(format!(
            "{}\u{0}{}\u{0}{}\u{0}{}",
            m.collection_id, m.entity_id, m.match_collection_id, m.match_id
        ));
        hex::encode(&h.finalize()[..20])
    }

    /// The entities of some items, by (collection, id).
    async fn resolve(
        state: &AppState,
        items: &[XrefItem],
    ) -> ApiResult<HashMap<(i64, String), store::StoredEntity>> {
        let mut wanted: HashMap<i64, Vec<String>> = HashMap::new();
        for item in items {
            let m = &item.matched;
            wanted
                .entry(m.collection_id)
                .or_default()
                .push(m.entity_id.clone());
            wanted
                .entry(m.match_collection_id)
                .or_default()
                .push(m.match_id.clone());
        }
        let mut out = HashMap::new();
        for (collection_id, mut ids) in wanted {
            ids.sort();
            ids.dedup();
            let batch = state.store.entities(collection_id, &ids).await?;
            for stored in batch.entities {
                let id = stored.entity.id().unwrap_or_default().to_string();
                out.insert((collection_id, id), stored);
            }
        }
        Ok(out)
    }

    /// Serialise items in Aleph's shape; items whose entities are gone are dropped.
    async fn items_json(
        state: &AppState,
        actor: &Actor,
        items: &[XrefItem],
    ) -> ApiResult<Vec<Value>> {
        let entities = resolve(state, items).await?;
        let mut ser = Serializer::new(state, actor).await?;
        let empty = HashMap::new();
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let m = &item.matched;
            let (Some(entity), Some(matched)) = (
                entities.get(&(m.collection_id, m.entity_id.clone())),
                entities.get(&(m.match_collection_id, m.match_id.clone())),
            ) else {
                continue;
            };
            let entity = ser.entity(&EntityView::from_stored(entity), &empty).await;
            let matched = ser.entity(&EntityView::from_stored(matched), &empty).await;
            out.push(json!({
                "id": item_id(item),
                "score": m.score,
                "doubt": null,
                "method": m.method,
                "schema": m.schema,
                "collection_id": m.collection_id.to_string(),
                "match_collection_id": m.match_collection_id.to_string(),
                "countries": m.countries,
                "created_at": datetime(&m.created_at),
                "entity": entity,
                "match": matched,
                "judgement": item.judgement.map_or("no_judgement", PairJudgement::as_str),
                "profile_id": item.profile_id,
                "explanation": m.explanation,
                "writeable": actor.can_write(m.collection_id),
            }));
        }
        Ok(out)
    }

    /// `GET /collections/{id}/xref`: a page of matches, best first, only into collections
    /// the caller can read. The caller must be able to read the collection.
    pub async fn list(
        state: &AppState,
        actor: &Actor,
        collection_id: i64,
        params: &Params,
    ) -> ApiResult<Map<String, Value>> {
        actor.check_read(collection_id)?;
        let page = PageRequest::from_params(params)?;
        let q = query(actor, collection_id, params)?;
        let listing = state.store.xref_matches(&q).await?;
        let results = items_json(state, actor, &listing.items).await?;
        let path = format!("api/2/collections/{collection_id}/xref");
        Ok(Envelope {
            results,
            total: listing.total,
            page,
            path: &path,
            params,
            ui_url: &state.settings.ui_url,
        }
        .into_json())
    }

    /// `POST /collections/{id}/xref`: queue a run (WRITE). The body may name the
    /// collections to match against (`against_collection_ids`) and ask to start over
    /// (`full`).
    pub async fn trigger(
        state: &AppState,
        actor: &Actor,
        collection_id: i64,
        body: &Value,
    ) -> ApiResult<Value> {
        actor.check_write(collection_id)?;
        let against = match body.get("against_collection_ids") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => {
                let mut ids = Vec::new();
                for v in items {
                    let id = v
                        .as_i64()
                        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                        .ok_or_else(|| {
                            ApiError::invalid("against_collection_ids", "not a collection id")
                        })?;
                    // Matching against what one cannot read would leak through scores.
                    actor.check_read(id)?;
                    ids.push(id);
                }
                Some(ids)
            }
            Some(_) => {
                return Err(ApiError::invalid(
                    "against_collection_ids",
                    "a list of collection ids",
                ));
            }
        };
        let full = body.get("full").and_then(Value::as_bool).unwrap_or(false);
        super::enqueue(&state.store, collection_id, against, full).await?;
        Ok(json!({"status": "accepted"}))
    }

    fn body_str<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
        body.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    fn body_id(body: &Value, key: &str) -> ApiResult<Option<i64>> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .map(Some)
                .ok_or_else(|| ApiError::invalid(key, "not a collection id")),
        }
    }

    /// The collection an entity lives in: given, or found through the index.
    async fn entity_collection(
        state: &AppState,
        actor: &Actor,
        entity_id: &str,
        given: Option<i64>,
    ) -> ApiResult<i64> {
        let collection_id = match given {
            Some(c) => c,
            None => {
                // Found through the index, as Aleph does.
                let query = index::SearchQuery::from_params(&[
                    ("filter:id".to_string(), entity_id.to_string()),
                    ("limit".to_string(), "1".to_string()),
                ])?;
                let found = state.index.search(&actor.scope(), &query).await?;
                found
                    .hits
                    .first()
                    .map(|h| h.collection_id)
                    .ok_or_else(ApiError::not_found)?
            }
        };
        actor.check_read(collection_id)?;
        if state
            .store
            .entity(collection_id, entity_id)
            .await?
            .is_none()
        {
            return Err(ApiError::not_found());
        }
        Ok(collection_id)
    }

    /// `POST /profiles/_pairwise`: judge a pair `{entity_id, match_id, judgement}`. WRITE
    /// on the entity's collection, READ on the match's. A negative pair is never proposed
    /// again; positive pairs join a profile.
    pub async fn decide(state: &AppState, actor: &Actor, body: &Value) -> ApiResult<Value> {
        let user = actor.user()?;
        let entity_id = body_str(body, "entity_id")
            .ok_or_else(|| ApiError::invalid("entity_id", "required"))?;
        let match_id =
            body_str(body, "match_id").ok_or_else(|| ApiError::invalid("match_id", "required"))?;
        let judgement = body_str(body, "judgement").unwrap_or("no_judgement");
        let judgement = PairJudgement::parse(judgement)
            .map_err(|e| ApiError::invalid("judgement", e.to_string()))?;
        let collection_id =
            entity_collection(state, actor, entity_id, body_id(body, "collection_id")?).await?;
        actor.check_write(collection_id)?;
        let match_collection_id = entity_collection(
            state,
            actor,
            match_id,
            body_id(body, "match_collection_id")?,
        )
        .await?;
        let decision = state
            .store
            .decide(&NewDecision {
                collection_id,
                entity_id: entity_id.to_string(),
                match_collection_id,
                match_id: match_id.to_string(),
                judgement,
                role_id: Some(user.id),
            })
            .await?;
        Ok(json!({
            "status": "ok",
            "profile_id": decision.and_then(|d| d.profile_id),
        }))
    }

    /// `GET /profiles/{id}`: the entities judged the same, merged, as far as the caller
    /// can read them: `{id, merged, entities, writeable}`.
    pub async fn profile(state: &AppState, actor: &Actor, profile_id: &str) -> ApiResult<Value> {
        let decisions = state.store.profile_decisions(profile_id).await?;
        let mut members: Vec<(i64, String)> = decisions
            .iter()
            .map(|d| (d.collection_id, d.entity_id.clone()))
            .filter(|(c, _)| actor.can_read(*c))
            .collect();
        members.sort();
        members.dedup();
        if members.is_empty() {
            return Err(ApiError::not_found());
        }
        let mut merged: Option<Entity> = None;
        let mut collection = None;
        let mut ids = Vec::new();
        for (collection_id, entity_id) in &members {
            let Some(stored) = state.store.entity(*collection_id, entity_id).await? else {
                continue;
            };
            ids.push(entity_id.clone());
            collection.get_or_insert(*collection_id);
            merged = Some(match merged {
                None => stored.entity,
                Some(mut m) => {
                    // Schemata that cannot be merged keep the first entity's view.
                    let _ = m.merge(&stored.entity);
                    m
                }
            });
        }
        let (Some(mut merged), Some(collection_id)) = (merged, collection) else {
            return Err(ApiError::not_found());
        };
        merged.set_id(Some(profile_id.to_string()));
        let mut ser = Serializer::new(state, actor).await?;
        let collection = ser.collection_by_id(collection_id).await;
        Ok(json!({
            "id": profile_id,
            "collection": collection,
            "merged": merged.to_json(),
            "entities": ids,
            "writeable": actor.can_write(collection_id),
        }))
    }

    /// `POST /match`: score an example entity against candidates from the index, within
    /// what the caller can read (and `collection_ids`, if given): a paging envelope of
    /// entities, best first, each with its `score` and `explanation`.
    pub async fn match_entity(
        state: &AppState,
        actor: &Actor,
        params: &Params,
        body: &Value,
    ) -> ApiResult<Map<String, Value>> {
        let mut json_entity = body.clone();
        if let Some(obj) = json_entity.as_object_mut() {
            obj.entry("id").or_insert(Value::Null);
        }
        let example = Entity::from_json(json_entity, false)
            .map_err(|e| ApiError::bad_request(format!("not an entity: {e}")))?;
        let page = PageRequest::from_params(params)?;
        let wanted = int_values(params, "collection_ids")?;
        let scope = if wanted.is_empty() {
            actor.scope()
        } else {
            index::ReadScope::collections(wanted.into_iter().filter(|c| actor.can_read(*c)))
        };
        // Candidates: the index's best hits for each name and identifier.
        let mut terms: Vec<String> = example
            .type_values(ftm::PropertyType::Name, true)
            .into_iter()
            .map(str::to_string)
            .collect();
        terms.extend(
            example
                .type_values(ftm::PropertyType::Identifier, true)
                .into_iter()
                .map(|v| format!("\"{}\"", v.replace('"', ""))),
        );
        let mut hits: Vec<index::Hit> = Vec::new();
        for term in terms.iter().take(20) {
            let cleaned: String = term
                .chars()
                .map(|c| {
                    if c.is_alphanumeric() || c == '"' {
                        c
                    } else {
                        ' '
                    }
                })
                .collect();
            if cleaned.trim().is_empty() {
                continue;
            }
            let mut q = vec![
                ("q".to_string(), cleaned),
                ("limit".to_string(), "50".to_string()),
            ];
            for schema in example.schema().matchable_schemata() {
                q.push(("filter:schemata".to_string(), schema.name().to_string()));
            }
            let query = index::SearchQuery::from_params(&q)?;
            let found = state.index.search(&scope, &query).await?;
            for hit in found.hits {
                if !hits.iter().any(|h| h.entity["id"] == hit.entity["id"]) {
                    hits.push(hit);
                }
            }
        }
        let (positions, candidates): (Vec<usize>, Vec<Entity>) = hits
            .iter()
            .enumerate()
            .filter_map(|(i, h)| Some((i, Entity::from_json(h.entity.clone(), true).ok()?)))
            .unzip();
        let scored = super::match_example(&example, &candidates, KEEP_ABOVE);
        let total = scored.len() as u64;
        let mut ser = Serializer::new(state, actor).await?;
        let empty = HashMap::new();
        let mut results = Vec::new();
        for (index, m) in scored.into_iter().skip(page.offset).take(page.limit) {
            let Some(hit) = positions.get(index).and_then(|&i| hits.get(i)) else {
                continue;
            };
            let view = EntityView::from_hit(hit.clone());
            let mut value = ser.entity(&view, &empty).await;
            value["score"] = json!(m.score);
            value["explanation"] = serde_json::to_value(&m).unwrap_or(Value::Null);
            results.push(value);
        }
        Ok(Envelope {
            results,
            total,
            page,
            path: "api/2/match",
            params,
            ui_url: &state.settings.ui_url,
        }
        .into_json())
    }

    /// `GET /collections/{id}/xref.xlsx`: every readable match above the cutoff (or the
    /// listing's filters) as a spreadsheet.
    pub async fn export_xlsx(
        state: &AppState,
        actor: &Actor,
        collection_id: i64,
        params: &Params,
    ) -> ApiResult<Vec<u8>> {
        use rust_xlsxwriter::{Format, Workbook};
        actor.check_read(collection_id)?;
        let mut q = query(actor, collection_id, &params.without(&["offset", "limit"]))?;
        q.limit = 1000;
        let mut items = Vec::new();
        // Excel's sheet holds a little over a million rows.
        while items.len() < 1_000_000 {
            let page = state.store.xref_matches(&q).await?;
            let n = page.items.len();
            items.extend(page.items);
            if (n as u64) < q.limit {
                break;
            }
            q.offset += n as u64;
        }
        let mut ser = Serializer::new(state, actor).await?;
        let mut labels: HashMap<i64, String> = HashMap::new();
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let sheet = workbook.add_worksheet();
        let xlsx = |e: rust_xlsxwriter::XlsxError| ApiError::internal(format!("xlsx: {e}"));
        sheet.set_name("Cross-reference").map_err(xlsx)?;
        let headers = [
            "Score",
            "Judgement",
            "Entity",
            "Entity type",
            "Match",
            "Match type",
            "Match collection",
            "Countries",
            "Entity link",
            "Match link",
        ];
        for (col, h) in headers.iter().enumerate() {
            sheet
                .write_string_with_format(0, col as u16, *h, &bold)
                .map_err(xlsx)?;
        }
        let mut row = 1u32;
        for chunk in items.chunks(500) {
            let entities = resolve(state, chunk).await?;
            for item in chunk {
                let m = &item.matched;
                let (Some(entity), Some(matched)) = (
                    entities.get(&(m.collection_id, m.entity_id.clone())),
                    entities.get(&(m.match_collection_id, m.match_id.clone())),
                ) else {
                    continue;
                };
                if let std::collections::hash_map::Entry::Vacant(slot) =
                    labels.entry(m.match_collection_id)
                {
                    let label = ser
                        .collection_by_id(m.match_collection_id)
                        .await
                        .and_then(|c| c["label"].as_str().map(str::to_string))
                        .unwrap_or_default();
                    slot.insert(label);
                }
                let caption = |e: &store::StoredEntity| e.entity.caption().to_string();
                let url = |id: &str| state.settings.url(&format!("entities/{id}"));
                let cells = [
                    caption(entity),
                    entity.entity.schema().name().to_string(),
                    caption(matched),
                    matched.entity.schema().name().to_string(),
                    labels
                        .get(&m.match_collection_id)
                        .cloned()
                        .unwrap_or_default(),
                    m.countries.join(", "),
                    url(&m.entity_id),
                    url(&m.match_id),
                ];
                sheet.write_number(row, 0, m.score).map_err(xlsx)?;
                let judgement = item.judgement.map_or("", PairJudgement::as_str);
                sheet.write_string(row, 1, judgement).map_err(xlsx)?;
                for (i, cell) in cells.iter().enumerate() {
                    sheet.write_string(row, i as u16 + 2, cell).map_err(xlsx)?;
                }
                row += 1;
            }
        }
        workbook.save_to_buffer().map_err(xlsx)
    }
}
