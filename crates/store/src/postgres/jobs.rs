//! The job queue and ledger in PostgreSQL.
//!
//! Claims lock their rows with `FOR UPDATE SKIP LOCKED`, so any number of workers on any
//! number of machines claim concurrently without waiting for each other and without
//! taking the same job. All times come from the database clock (`now()`, the start of the
//! transaction), so lease expiry does not depend on which machine's clock is right.

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{collections, query};
use crate::jobs::{
    Arg, Condition, Dialect, PreparedJob, Transition, expire, hands_over, micros, parse_payload,
    settle, settle_final, stored_count,
};
use crate::{
    Completion, Job, JobFilter, JobOutcome, JobState, Page, RECENT_WINDOW, Recovery, Result, Stage,
    StageCounts, StoreError,
};

const COLUMNS: &str = "id, collection_id, stage, entity_id, path, payload, state, priority, \
    attempts, max_attempts, run_after, lease_owner, lease_expires_at, heartbeat_at, \
    error_class, error_message, processor_version, created_at, started_at, finished_at, \
    updated_at";

/// `COLUMNS` qualified with the alias `j`.
fn columns_of_j() -> String {
    COLUMNS
        .split(", ")
        .map(|c| format!("j.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn read(row: &Row) -> Result<Job> {
    Ok(Job {
        id: row.try_get(0)?,
        collection_id: row.try_get(1)?,
        stage: Stage::stored(row.try_get(2)?)?,
        entity_id: row.try_get(3)?,
        path: row.try_get(4)?,
        payload: parse_payload(row.try_get(5)?)?,
        state: JobState::parse(row.try_get(6)?)?,
        priority: row.try_get(7)?,
        attempts: stored_count(row.try_get(8)?, "attempts")?,
        max_attempts: stored_count(row.try_get(9)?, "max_attempts")?,
        run_after: row.try_get(10)?,
        lease_owner: row.try_get(11)?,
        lease_expires_at: row.try_get(12)?,
        heartbeat_at: row.try_get(13)?,
        error_class: row.try_get(14)?,
        error_message: row.try_get(15)?,
        processor_version: row.try_get(16)?,
        created_at: row.try_get(17)?,
        started_at: row.try_get(18)?,
        finished_at: row.try_get(19)?,
        updated_at: row.try_get(20)?,
    })
}

fn boxed(args: Vec<Arg>) -> Vec<Box<dyn ToSql + Sync + Send>> {
    args.into_iter()
        .map(|a| -> Box<dyn ToSql + Sync + Send> {
            match a {
                Arg::Int(i) => Box::new(i),
                Arg::Text(t) => Box::new(t),
                Arg::Texts(list) => Box::new(list),
            }
        })
        .collect()
}

pub(super) async fn get<C: GenericClient>(c: &C, id: i64) -> Result<Job> {
    let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id = $1");
    match query(c, &sql, &[&id]).await?.first() {
        Some(row) => read(row),
        None => Err(StoreError::not_found("job", id)),
    }
}

/// One statement for the batch. Ids are drawn from the sequence first so each inserted
/// row can be matched to its input; a row that met a queued twin returns the twin's id
/// and is matched by its dedup key (unique within the batch, see `dedup_batch`).
pub(super) async fn enqueue<C: GenericClient>(c: &C, jobs: &[PreparedJob]) -> Result<Vec<i64>> {
    let collection_ids: Vec<i64> = jobs.iter().map(|j| j.collection_id).collect();
    collections::lock_live_keys(c, &collection_ids).await?;
    let n = i64::try_from(jobs.len()).unwrap_or(i64::MAX);
    let fresh: Vec<i64> = query(
        c,
        "SELECT nextval(pg_get_serial_sequence('jobs', 'id')) FROM generate_series(1, $1::bigint)",
        &[&n],
    )
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<std::result::Result<_, _>>()?;
    if fresh.len() != jobs.len() {
        return Err(StoreError::Backend("could not draw job ids".into()));
    }
    let stages: Vec<&str> = jobs.iter().map(|j| j.stage.as_str()).collect();
    let entities: Vec<Option<&str>> = jobs.iter().map(|j| j.entity_id.as_deref()).collect();
    let paths: Vec<Option<&str>> = jobs.iter().map(|j| j.path.as_deref()).collect();
    let payloads: Vec<&str> = jobs.iter().map(|j| j.payload.as_str()).collect();
    let priorities: Vec<i32> = jobs.iter().map(|j| j.priority).collect();
    let max_attempts: Vec<i32> = jobs.iter().map(|j| j.max_attempts).collect();
    let run_after: Vec<Option<crate::Timestamp>> = jobs.iter().map(|j| j.run_after).collect();
    let rows = query(
        c,
        "INSERT INTO jobs (id, collection_id, stage, entity_id, path, payload, state, priority,
             attempts, max_attempts, run_after, created_at, updated_at)
         SELECT u.id, u.collection_id, u.stage, u.entity_id, u.path, u.payload, 'queued',
             u.priority, 0, u.max_attempts, COALESCE(u.run_after, now()), now(), now()
         FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                     $6::text[], $7::int[], $8::int[], $9::timestamptz[])
             AS u (id, collection_id, stage, entity_id, path, payload, priority,
                   max_attempts, run_after)
         ON CONFLICT (collection_id, stage, entity_id)
             WHERE state = 'queued' AND entity_id IS NOT NULL
         DO UPDATE SET priority = GREATEST(jobs.priority, EXCLUDED.priority),
             run_after = LEAST(jobs.run_after, EXCLUDED.run_after),
             updated_at = EXCLUDED.updated_at
         RETURNING id, collection_id, stage, entity_id",
        &[
            &fresh,
            &collection_ids,
            &stages,
            &entities,
            &paths,
            &payloads,
            &priorities,
            &max_attempts,
            &run_after,
        ],
    )
    .await?;
    let by_fresh: HashMap<i64, usize> = fresh.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let by_key: HashMap<(i64, &str, &str), usize> = jobs
        .iter()
        .enumerate()
        .filter_map(|(i, j)| j.key().map(|k| (k, i)))
        .collect();
    let mut ids: Vec<Option<i64>> = vec![None; jobs.len()];
    for row in &rows {
        let id: i64 = row.try_get(0)?;
        let slot = match by_fresh.get(&id) {
            Some(&i) => Some(i),
            None => {
                let collection_id: i64 = row.try_get(1)?;
                let stage: &str = row.try_get(2)?;
                let entity: Option<&str> = row.try_get(3)?;
                entity.and_then(|e| by_key.get(&(collection_id, stage, e)).copied())
            }
        };
        if let Some(i) = slot {
            ids[i] = Some(id);
        }
    }
    ids.into_iter()
        .map(|id| id.ok_or_else(|| StoreError::Backend("an enqueued job got no id".into())))
        .collect()
}

/// Each stage's best candidates are locked (skipping rows other claimers hold) from its
/// own range of the claim index, and the best of those are taken; the rest are released
/// at commit. One statement, so it needs no transaction of its own.
pub(super) async fn claim<C: GenericClient>(
    c: &C,
    worker: &str,
    stages: &[String],
    limit: u32,
    lease_us: i64,
) -> Result<Vec<Job>> {
    let limit = i64::from(limit);
    let sql = format!(
        "WITH picked AS (
             SELECT cand.id FROM unnest($1::text[]) AS s (stage)
             CROSS JOIN LATERAL (
                 SELECT id, priority, run_after FROM jobs
                 WHERE state = 'queued' AND stage = s.stage AND run_after <= now()
                 ORDER BY priority DESC, run_after, id
                 LIMIT $2
                 FOR UPDATE SKIP LOCKED) AS cand
             ORDER BY cand.priority DESC, cand.run_after, cand.id
             LIMIT $2)
         UPDATE jobs j SET state = 'running', lease_owner = $3,
             lease_expires_at = now() + $4::bigint * interval '1 microsecond',
             heartbeat_at = now(), started_at = now(), attempts = j.attempts + 1,
             updated_at = now()
         FROM picked WHERE j.id = picked.id
         RETURNING {}",
        columns_of_j()
    );
    let mut jobs = query(c, &sql, &[&stages, &limit, &worker, &lease_us])
        .await?
        .iter()
        .map(read)
        .collect::<Result<Vec<_>>>()?;
    jobs.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(a.run_after.cmp(&b.run_after))
            .then(a.id.cmp(&b.id))
    });
    Ok(jobs)
}

async fn queued_twin<C: GenericClient>(
    c: &C,
    id: i64,
    collection_id: i64,
    stage: &str,
    entity_id: Option<&str>,
) -> Result<bool> {
    let Some(entity_id) = entity_id else {
        return Ok(false);
    };
    let rows = query(
        c,
        "SELECT id FROM jobs WHERE collection_id = $1 AND stage = $2 AND entity_id = $3
         AND state = 'queued' AND id <> $4 LIMIT 1",
        &[&collection_id, &stage, &entity_id, &id],
    )
    .await?;
    Ok(!rows.is_empty())
}

/// Apply a transition to a job, only if `holder` (when given) still holds it; returns
/// whether it did.
async fn apply<C: GenericClient>(
    c: &C,
    id: i64,
    t: &Transition,
    holder: Option<&str>,
) -> Result<bool> {
    let set_version = t.processor_version.is_some();
    let version = t.processor_version.clone().flatten();
    let version_key = t.version_key().flatten();
    let retry_in = t.retry_in.map(micros);
    let finished = t.state.is_finished();
    let stmt = c
        .prepare_cached(
            "UPDATE jobs SET state = $2, error_class = $3, error_message = $4,
             processor_version = CASE WHEN $5 THEN $6 ELSE processor_version END,
             processor_version_key = CASE WHEN $5 THEN $7 ELSE processor_version_key END,
             run_after = CASE WHEN $8::bigint IS NULL THEN run_after
                              ELSE now() + $8::bigint * interval '1 microsecond' END,
             finished_at = CASE WHEN $9 THEN now() ELSE NULL END,
             lease_owner = CASE WHEN $2 = 'queued' THEN NULL ELSE lease_owner END,
             lease_expires_at = NULL, updated_at = now()
         WHERE id = $1
           AND ($10::text IS NULL OR (state = 'running' AND lease_owner = $10))",
        )
        .await?;
    let n = c
        .execute(
            &stmt,
            &[
                &id,
                &t.state.as_str(),
                &t.error_class,
                &t.error_message,
                &set_version,
                &version,
                &version_key,
                &retry_in,
                &finished,
                &holder,
            ],
        )
        .await?;
    Ok(n == 1)
}

const HELD: &str =
    "id, state, lease_owner, attempts, max_attempts, collection_id, stage, entity_id";

struct Held {
    id: i64,
    state: String,
    owner: Option<String>,
    attempts: u32,
    max_attempts: u32,
    collection_id: i64,
    stage: String,
    entity_id: Option<String>,
}

fn held(row: &Row) -> Result<Held> {
    Ok(Held {
        id: row.try_get(0)?,
        state: row.try_get(1)?,
        owner: row.try_get(2)?,
        attempts: stored_count(row.try_get(3)?, "attempts")?,
        max_attempts: stored_count(row.try_get(4)?, "max_attempts")?,
        collection_id: row.try_get(5)?,
        stage: row.try_get(6)?,
        entity_id: row.try_get(7)?,
    })
}

/// Expired leases, locked so that concurrent recoveries (every claim runs one) share the
/// work instead of waiting for each other.
pub(super) async fn recover<C: GenericClient>(c: &C) -> Result<Recovery> {
    let sql = format!(
        "SELECT {HELD} FROM jobs WHERE state = 'running' AND lease_expires_at < now()
         ORDER BY id FOR UPDATE SKIP LOCKED"
    );
    let expired = query(c, &sql, &[])
        .await?
        .iter()
        .map(held)
        .collect::<Result<Vec<_>>>()?;
    let mut done = Recovery::default();
    for job in expired {
        let mut t = expire(job.attempts, job.max_attempts, job.owner.as_deref());
        if t.state == JobState::Queued
            && queued_twin(
                c,
                job.id,
                job.collection_id,
                &job.stage,
                job.entity_id.as_deref(),
            )
            .await?
        {
            t = t.superseded();
        }
        match t.state {
            JobState::Queued => done.requeued += 1,
            JobState::Dead => done.dead += 1,
            _ => done.superseded += 1,
        }
        apply(c, job.id, &t, None).await?;
    }
    Ok(done)
}

pub(super) async fn heartbeat<C: GenericClient>(
    c: &C,
    worker: &str,
    ids: &[i64],
    lease_us: i64,
) -> Result<Vec<i64>> {
    let mut held: Vec<i64> = query(
        c,
        "UPDATE jobs SET lease_expires_at = now() + $3::bigint * interval '1 microsecond',
             heartbeat_at = now(), updated_at = now()
         WHERE id = ANY($1) AND state = 'running' AND lease_owner = $2
         RETURNING id",
        &[&ids, &worker, &lease_us],
    )
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<std::result::Result<_, _>>()?;
    held.sort_unstable();
    Ok(held)
}

/// Record an outcome that does not depend on the attempts made in one statement, which
/// is its own transaction; `None` when the outcome needs [`complete`].
pub(super) async fn complete_final<C: GenericClient>(
    c: &C,
    worker: &str,
    id: i64,
    outcome: &JobOutcome,
) -> Option<Result<Completion>> {
    let t = match settle_final(outcome)? {
        Ok(t) => t,
        Err(e) => return Some(Err(e)),
    };
    Some(match apply(c, id, &t, Some(worker)).await {
        Ok(true) => Ok(Completion::Recorded(t.state)),
        Ok(false) => Ok(Completion::NotHeld),
        Err(e) => Err(e),
    })
}

/// Whether any lease has expired: one index probe, so claims only start a recovery
/// transaction when there is something to recover.
pub(super) async fn any_expired<C: GenericClient>(c: &C) -> Result<bool> {
    let rows = query(
        c,
        "SELECT 1 FROM jobs WHERE state = 'running' AND lease_expires_at < now() LIMIT 1",
        &[],
    )
    .await?;
    Ok(!rows.is_empty())
}

/// Record `worker`'s outcome for a job it holds and queue `next` with it (see
/// `Store::complete_with`); nothing changes when it does not hold the job. The collections
/// of `next` are locked before the job row, in the order a collection's deletion takes
/// them (collection, then its jobs), so the two cannot deadlock.
pub(super) async fn complete<C: GenericClient>(
    c: &C,
    worker: &str,
    id: i64,
    outcome: &JobOutcome,
    next: &[PreparedJob],
) -> Result<Completion> {
    let live = if next.is_empty() {
        Ok(())
    } else {
        let collection_ids: Vec<i64> = next.iter().map(|j| j.collection_id).collect();
        match collections::lock_live_keys(c, &collection_ids).await {
            Err(e @ StoreError::NotFound { .. }) => Err(e),
            Err(e) => return Err(e),
            Ok(()) => Ok(()),
        }
    };
    let sql = format!("SELECT {HELD} FROM jobs WHERE id = $1 FOR UPDATE");
    let Some(row) = query(c, &sql, &[&id]).await?.into_iter().next() else {
        return Ok(Completion::NotHeld);
    };
    let job = held(&row)?;
    if job.state != JobState::Running.as_str() || job.owner.as_deref() != Some(worker) {
        return Ok(Completion::NotHeld);
    }
    // A deleted collection cancelled its jobs, so a job still held whose next jobs have
    // nowhere to go is a caller's mistake, reported only now that the lease is checked.
    live?;
    let mut t = settle(job.attempts, job.max_attempts, outcome)?;
    if t.state == JobState::Queued
        && queued_twin(
            c,
            id,
            job.collection_id,
            &job.stage,
            job.entity_id.as_deref(),
        )
        .await?
    {
        t = t.superseded();
    }
    if hands_over(&t) && !next.is_empty() {
        enqueue(c, next).await?;
    }
    apply(c, id, &t, None).await?;
    Ok(Completion::Recorded(t.state))
}

pub(super) async fn cancel<C: GenericClient>(
    c: &C,
    collection_id: i64,
    stage: Option<&str>,
) -> Result<u64> {
    Ok(c.execute(
        "UPDATE jobs SET state = 'cancelled', finished_at = now(), lease_expires_at = NULL,
             updated_at = now()
         WHERE collection_id = $1 AND ($2::text IS NULL OR stage = $2)
           AND state IN ('queued', 'running')",
        &[&collection_id, &stage],
    )
    .await?)
}

pub(super) async fn counts<C: GenericClient>(
    c: &C,
    collection_id: Option<i64>,
) -> Result<Vec<StageCounts>> {
    let window = micros(RECENT_WINDOW);
    let filter = if collection_id.is_some() {
        "WHERE collection_id = $2"
    } else {
        "WHERE $2::bigint IS NULL"
    };
    let sql = format!(
        "SELECT collection_id, stage,
             COUNT(*) FILTER (WHERE state = 'queued'),
             COUNT(*) FILTER (WHERE state = 'running'),
             COUNT(*) FILTER (WHERE state = 'succeeded'),
             COUNT(*) FILTER (WHERE state = 'failed'),
             COUNT(*) FILTER (WHERE state = 'dead'),
             COUNT(*) FILTER (WHERE state = 'cancelled'),
             MIN(created_at) FILTER (WHERE state IN ('queued', 'running')),
             MAX(updated_at),
             COUNT(*) FILTER (WHERE state IN ('succeeded', 'failed', 'dead')
                 AND finished_at >= now() - $1::bigint * interval '1 microsecond')
         FROM jobs {filter}
         GROUP BY collection_id, stage"
    );
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    let mut out = query(c, &sql, &[&window, &collection_id])
        .await?
        .iter()
        .map(|row| {
            Ok(StageCounts {
                collection_id: row.try_get(0)?,
                stage: Stage::stored(row.try_get(1)?)?,
                queued: n(row.try_get(2)?),
                running: n(row.try_get(3)?),
                succeeded: n(row.try_get(4)?),
                failed: n(row.try_get(5)?),
                dead: n(row.try_get(6)?),
                cancelled: n(row.try_get(7)?),
                oldest_unfinished_at: row.try_get(8)?,
                last_updated_at: row.try_get(9)?,
                finished_recently: n(row.try_get(10)?),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort_by(|a, b| (a.collection_id, &a.stage).cmp(&(b.collection_id, &b.stage)));
    Ok(out)
}

pub(super) async fn list<C: GenericClient>(c: &C, filter: &JobFilter) -> Result<Page<Job>> {
    let mut cond = Condition::jobs(Dialect::Postgres, filter, &filter.states);
    let count_args = boxed(cond.args.clone());
    let refs: Vec<&(dyn ToSql + Sync)> = count_args.iter().map(|a| &**a as _).collect();
    let total: i64 = query(
        c,
        &format!("SELECT COUNT(*) FROM jobs WHERE {}", cond.sql),
        &refs,
    )
    .await?
    .first()
    .map(|r| r.try_get(0))
    .transpose()?
    .unwrap_or(0);
    let limit = cond.bind(Arg::Int(i64::from(filter.limit)));
    let offset = cond.bind(Arg::Int(i64::try_from(filter.offset).unwrap_or(i64::MAX)));
    let sql = format!(
        "SELECT {COLUMNS} FROM jobs WHERE {} ORDER BY id LIMIT {limit} OFFSET {offset}",
        cond.sql
    );
    let args = boxed(cond.args);
    let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| &**a as _).collect();
    let items = query(c, &sql, &refs)
        .await?
        .iter()
        .map(read)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        items,
        total: u64::try_from(total).unwrap_or(0),
    })
}

pub(super) async fn retry<C: GenericClient>(c: &C, filter: &JobFilter) -> Result<u64> {
    let states = filter.retry_states();
    if states.is_empty() {
        return Ok(0);
    }
    let cond = Condition::jobs(Dialect::Postgres, filter, &states);
    // The outer state test makes a row that changed under us (re-checked after its lock
    // is released) drop out instead of being queued twice.
    let sql = format!(
        "UPDATE jobs SET state = 'queued', attempts = 0, error_class = NULL,
             error_message = NULL, lease_owner = NULL, lease_expires_at = NULL,
             heartbeat_at = NULL, started_at = NULL, finished_at = NULL, run_after = now(),
             updated_at = now()
         WHERE state IN ('succeeded', 'failed', 'dead', 'cancelled')
           AND id IN (
             SELECT m.id FROM (
                 SELECT id, entity_id, row_number() OVER (
                     PARTITION BY collection_id, stage, entity_id ORDER BY id DESC) AS newest
                 FROM jobs WHERE {cond}) AS m
             WHERE m.entity_id IS NULL OR m.newest = 1)
           AND (entity_id IS NULL OR NOT EXISTS (
             SELECT 1 FROM jobs q WHERE q.collection_id = jobs.collection_id
               AND q.stage = jobs.stage AND q.entity_id = jobs.entity_id
               AND q.state = 'queued'))",
        cond = cond.sql
    );
    let args = boxed(cond.args);
    let refs: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| &**a as _).collect();
    let stmt = c.prepare_cached(&sql).await?;
    Ok(c.execute(&stmt, &refs).await?)
}
