//! The job queue and ledger in SQLite. The single writer makes each operation atomic: a
//! claim picks its jobs and marks them running inside one immediate transaction, so no
//! two claims can take the same job.

use std::collections::BTreeSet;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

use super::{collections, ids_json, opt_time, time};
use crate::jobs::{
    Arg, Condition, Dialect, PreparedJob, Transition, expire, hands_over, micros, parse_payload,
    settle, stored_count,
};
use crate::time::to_micros;
use crate::{
    Completion, Job, JobFilter, JobOutcome, JobState, Page, RECENT_WINDOW, Recovery, Result, Stage,
    StageCounts, StoreError, Timestamp,
};

const COLUMNS: &str = "id, collection_id, stage, entity_id, path, payload, state, priority, \
    attempts, max_attempts, run_after, lease_owner, lease_expires_at, heartbeat_at, \
    error_class, error_message, processor_version, created_at, started_at, finished_at, \
    updated_at";

fn read(row: &Row<'_>) -> Result<Job> {
    Ok(Job {
        id: row.get(0)?,
        collection_id: row.get(1)?,
        stage: Stage::stored(row.get(2)?)?,
        entity_id: row.get(3)?,
        path: row.get(4)?,
        payload: parse_payload(&row.get::<_, String>(5)?)?,
        state: JobState::parse(&row.get::<_, String>(6)?)?,
        priority: row.get(7)?,
        attempts: stored_count(row.get(8)?, "attempts")?,
        max_attempts: stored_count(row.get(9)?, "max_attempts")?,
        run_after: time(row.get(10)?)?,
        lease_owner: row.get(11)?,
        lease_expires_at: opt_time(row.get(12)?)?,
        heartbeat_at: opt_time(row.get(13)?)?,
        error_class: row.get(14)?,
        error_message: row.get(15)?,
        processor_version: row.get(16)?,
        created_at: time(row.get(17)?)?,
        started_at: opt_time(row.get(18)?)?,
        finished_at: opt_time(row.get(19)?)?,
        updated_at: time(row.get(20)?)?,
    })
}

fn values(args: Vec<Arg>) -> Vec<Value> {
    args.into_iter()
        .map(|a| match a {
            Arg::Int(i) => Value::Integer(i),
            Arg::Text(t) => Value::Text(t),
            // The SQLite dialect passes lists as one JSON text.
            Arg::Texts(list) => Value::Text(serde_json::to_string(&list).unwrap_or_default()),
        })
        .collect()
}

fn fetch(conn: &Connection, sql: &str, args: &[Value]) -> Result<Vec<Job>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query(params_from_iter(args.iter()))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(read(row)?);
    }
    Ok(out)
}

pub(super) fn get(conn: &Connection, id: i64) -> Result<Job> {
    let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1");
    fetch(conn, &sql, &[Value::Integer(id)])?
        .pop()
        .ok_or_else(|| StoreError::not_found("job", id))
}

pub(super) fn enqueue(conn: &Connection, jobs: &[PreparedJob], now: Timestamp) -> Result<Vec<i64>> {
    let mut checked = BTreeSet::new();
    for job in jobs {
        if checked.insert(job.collection_id) {
            collections::get(conn, job.collection_id, false)?;
        }
    }
    let ts = to_micros(now);
    let mut stmt = conn.prepare_cached(
        "INSERT INTO jobs (collection_id, stage, entity_id, path, payload, state, priority,
             attempts, max_attempts, run_after, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, 0, ?7, ?8, ?9, ?9)
         ON CONFLICT (collection_id, stage, entity_id)
             WHERE state = 'queued' AND entity_id IS NOT NULL
         DO UPDATE SET priority = max(priority, excluded.priority),
             run_after = min(run_after, excluded.run_after), updated_at = excluded.updated_at
         RETURNING id",
    )?;
    let mut ids = Vec::with_capacity(jobs.len());
    for job in jobs {
        let id: i64 = stmt.query_row(
            params![
                job.collection_id,
                job.stage,
                job.entity_id,
                job.path,
                job.payload,
                job.priority,
                job.max_attempts,
                job.run_after.map(to_micros).unwrap_or(ts),
                ts,
            ],
            |r| r.get(0),
        )?;
        ids.push(id);
    }
    Ok(ids)
}

/// One stage's best queued jobs, from that stage's range of the claim index.
pub(super) const CLAIM_CANDIDATES: &str = "SELECT priority, run_after, id FROM jobs
    WHERE state = 'queued' AND stage = ?1 AND run_after <= ?2
    ORDER BY priority DESC, run_after, id LIMIT ?3";

pub(super) fn claim(
    conn: &Connection,
    worker: &str,
    stages: &[String],
    limit: u32,
    lease_us: i64,
    now: Timestamp,
) -> Result<Vec<Job>> {
    let ts = to_micros(now);
    // Each stage's best candidates come from its own range of the claim index; the best
    // of those are the best overall.
    let mut candidates: Vec<(i32, i64, i64)> = Vec::new();
    let mut stmt = conn.prepare_cached(CLAIM_CANDIDATES)?;
    for stage in stages {
        let mut rows = stmt.query(params![stage, ts, limit])?;
        while let Some(row) = rows.next()? {
            candidates.push((row.get(0)?, row.get(1)?, row.get(2)?));
        }
    }
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    candidates.truncate(limit as usize);
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let order: Vec<i64> = candidates.iter().map(|c| c.2).collect();
    let sql = format!(
        "UPDATE jobs SET state = 'running', lease_owner = ?2, lease_expires_at = ?3,
             heartbeat_at = ?4, started_at = ?4, attempts = attempts + 1, updated_at = ?4
         WHERE id IN (SELECT value FROM json_each(?1))
         RETURNING {COLUMNS}"
    );
    let mut jobs = fetch(
        conn,
        &sql,
        &[
            Value::Text(ids_json(&order)),
            Value::Text(worker.to_string()),
            Value::Integer(ts.saturating_add(lease_us)),
            Value::Integer(ts),
        ],
    )?;
    jobs.sort_by_key(|j| order.iter().position(|&id| id == j.id));
    Ok(jobs)
}

/// Whether another job for the same entity and stage is queued, so this one must not be.
fn queued_twin(
    conn: &Connection,
    id: i64,
    collection_id: i64,
    stage: &str,
    entity_id: Option<&str>,
) -> Result<bool> {
    let Some(entity_id) = entity_id else {
        return Ok(false);
    };
    let found: Option<i64> = conn
        .prepare_cached(
            "SELECT id FROM jobs WHERE collection_id = ?1 AND stage = ?2 AND entity_id = ?3
             AND state = 'queued' AND id <> ?4",
        )?
        .query_row(params![collection_id, stage, entity_id, id], |r| r.get(0))
        .optional()?;
    Ok(found.is_some())
}

fn apply(conn: &Connection, id: i64, t: &Transition, now: Timestamp) -> Result<()> {
    let ts = to_micros(now);
    let version = t.processor_version.clone();
    let version_key = t.version_key();
    conn.prepare_cached(
        "UPDATE jobs SET state = ?2, error_class = ?3, error_message = ?4,
             processor_version = CASE WHEN ?5 THEN ?6 ELSE processor_version END,
             processor_version_key = CASE WHEN ?5 THEN ?7 ELSE processor_version_key END,
             run_after = COALESCE(?8, run_after),
             finished_at = ?9,
             lease_owner = CASE WHEN ?2 = 'queued' THEN NULL ELSE lease_owner END,
             lease_expires_at = NULL, updated_at = ?10
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        t.state.as_str(),
        t.error_class,
        t.error_message,
        version.is_some(),
        version.flatten(),
        version_key.flatten(),
        t.retry_in.map(|d| ts.saturating_add(micros(d))),
        t.state.is_finished().then_some(ts),
        ts,
    ])?;
    Ok(())
}

struct Held {
    state: String,
    owner: Option<String>,
    attempts: i32,
    max_attempts: i32,
    collection_id: i64,
    stage: String,
    entity_id: Option<String>,
}

fn held(row: &Row<'_>) -> rusqlite::Result<(i64, Held)> {
    Ok((
        row.get(0)?,
        Held {
            state: row.get(1)?,
            owner: row.get(2)?,
            attempts: row.get(3)?,
            max_attempts: row.get(4)?,
            collection_id: row.get(5)?,
            stage: row.get(6)?,
            entity_id: row.get(7)?,
        },
    ))
}

const HELD: &str =
    "id, state, lease_owner, attempts, max_attempts, collection_id, stage, entity_id";

pub(super) fn recover(conn: &Connection, now: Timestamp) -> Result<Recovery> {
    // Every claim runs this first, so it must stay an index search: sorting in SQL would
    // make SQLite prefer a scan of the whole table in rowid order.
    let mut expired: Vec<(i64, Held)> = {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {HELD} FROM jobs WHERE state = 'running' AND lease_expires_at < ?1"
        ))?;
        stmt.query_map([to_micros(now)], held)?
            .collect::<rusqlite::Result<_>>()?
    };
    expired.sort_by_key(|(id, _)| *id);
    let mut done = Recovery::default();
    for (id, job) in expired {
        let attempts = stored_count(job.attempts, "attempts")?;
        let max = stored_count(job.max_attempts, "max_attempts")?;
        let mut t = expire(attempts, max, job.owner.as_deref());
        if t.state == JobState::Queued
            && queued_twin(
                conn,
                id,
                job.collection_id,
                &job.stage,
                job.entity_id.as_deref(),
            )?
        {
            t = t.superseded();
        }
        match t.state {
            JobState::Queued => done.requeued += 1,
            JobState::Dead => done.dead += 1,
            _ => done.superseded += 1,
        }
        apply(conn, id, &t, now)?;
    }
    Ok(done)
}

pub(super) fn heartbeat(
    conn: &Connection,
    worker: &str,
    ids: &[i64],
    lease_us: i64,
    now: Timestamp,
) -> Result<Vec<i64>> {
    let ts = to_micros(now);
    let mut stmt = conn.prepare_cached(
        "UPDATE jobs SET lease_expires_at = ?3, heartbeat_at = ?4, updated_at = ?4
         WHERE id IN (SELECT value FROM json_each(?1)) AND state = 'running'
           AND lease_owner = ?2
         RETURNING id",
    )?;
    let mut held: Vec<i64> = stmt
        .query_map(
            params![ids_json(ids), worker, ts.saturating_add(lease_us), ts],
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    held.sort_unstable();
    Ok(held)
}

/// Record `worker`'s outcome for a job it holds and queue `next` with it (see
/// `Store::complete_with`); nothing changes when it does not hold the job.
pub(super) fn complete(
    conn: &Connection,
    worker: &str,
    id: i64,
    outcome: &JobOutcome,
    next: &[PreparedJob],
    now: Timestamp,
) -> Result<Completion> {
    let found = conn
        .prepare_cached(&format!("SELECT {HELD} FROM jobs WHERE id = ?1"))?
        .query_row([id], held)
        .optional()?;
    let Some((_, job)) = found else {
        return Ok(Completion::NotHeld);
    };
    if job.state != JobState::Running.as_str() || job.owner.as_deref() != Some(worker) {
        return Ok(Completion::NotHeld);
    }
    let attempts = stored_count(job.attempts, "attempts")?;
    let max = stored_count(job.max_attempts, "max_attempts")?;
    let mut t = settle(attempts, max, outcome)?;
    if t.state == JobState::Queued
        && queued_twin(
            conn,
            id,
            job.collection_id,
            &job.stage,
            job.entity_id.as_deref(),
        )?
    {
        t = t.superseded();
    }
    if hands_over(&t) && !next.is_empty() {
        enqueue(conn, next, now)?;
    }
    apply(conn, id, &t, now)?;
    Ok(Completion::Recorded(t.state))
}

pub(super) fn cancel(
    conn: &Connection,
    collection_id: i64,
    stage: Option<&str>,
    now: Timestamp,
) -> Result<u64> {
    let n = conn
        .prepare_cached(
            "UPDATE jobs SET state = 'cancelled', finished_at = ?3, lease_expires_at = NULL,
                 updated_at = ?3
             WHERE collection_id = ?1 AND (?2 IS NULL OR stage = ?2)
               AND state IN ('queued', 'running')",
        )?
        .execute(params![collection_id, stage, to_micros(now)])?;
    Ok(n as u64)
}

pub(super) fn counts(
    conn: &Connection,
    collection_id: Option<i64>,
    now: Timestamp,
) -> Result<Vec<StageCounts>> {
    let since = to_micros(now).saturating_sub(micros(RECENT_WINDOW));
    let filter = if collection_id.is_some() {
        "WHERE collection_id = ?2"
    } else {
        "WHERE ?2 IS NULL"
    };
    let sql = format!(
        "SELECT collection_id, stage,
             SUM(state = 'queued'), SUM(state = 'running'), SUM(state = 'succeeded'),
             SUM(state = 'failed'), SUM(state = 'dead'), SUM(state = 'cancelled'),
             MIN(CASE WHEN state IN ('queued', 'running') THEN created_at END),
             MAX(updated_at),
             SUM(state IN ('succeeded', 'failed', 'dead') AND finished_at >= ?1)
         FROM jobs {filter}
         GROUP BY collection_id, stage"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![since, collection_id])?;
    let mut out = Vec::new();
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    while let Some(row) = rows.next()? {
        out.push(StageCounts {
            collection_id: row.get(0)?,
            stage: Stage::stored(row.get(1)?)?,
            queued: n(row.get(2)?),
            running: n(row.get(3)?),
            succeeded: n(row.get(4)?),
            failed: n(row.get(5)?),
            dead: n(row.get(6)?),
            cancelled: n(row.get(7)?),
            oldest_unfinished_at: opt_time(row.get(8)?)?,
            last_updated_at: time(row.get(9)?)?,
            finished_recently: n(row.get(10)?),
        });
    }
    out.sort_by(|a, b| (a.collection_id, &a.stage).cmp(&(b.collection_id, &b.stage)));
    Ok(out)
}

pub(super) fn list(conn: &Connection, filter: &JobFilter) -> Result<Page<Job>> {
    let mut cond = Condition::jobs(Dialect::Sqlite, filter, &filter.states);
    let count_sql = format!("SELECT COUNT(*) FROM jobs WHERE {}", cond.sql);
    let args = values(cond.args.clone());
    let total: i64 = conn
        .prepare_cached(&count_sql)?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
    let limit = cond.bind(Arg::Int(i64::from(filter.limit)));
    let offset = cond.bind(Arg::Int(i64::try_from(filter.offset).unwrap_or(i64::MAX)));
    let sql = format!(
        "SELECT {COLUMNS} FROM jobs WHERE {} ORDER BY id LIMIT {limit} OFFSET {offset}",
        cond.sql
    );
    let items = fetch(conn, &sql, &values(cond.args))?;
    Ok(Page {
        items,
        total: u64::try_from(total).unwrap_or(0),
    })
}

pub(super) fn retry(conn: &Connection, filter: &JobFilter, now: Timestamp) -> Result<u64> {
    let states = filter.retry_states();
    if states.is_empty() {
        return Ok(0);
    }
    let mut cond = Condition::jobs(Dialect::Sqlite, filter, &states);
    let ts = cond.bind(Arg::Int(to_micros(now)));
    let sql = format!(
        "UPDATE jobs SET state = 'queued', attempts = 0, error_class = NULL,
             error_message = NULL, lease_owner = NULL, lease_expires_at = NULL,
             heartbeat_at = NULL, started_at = NULL, finished_at = NULL, run_after = {ts},
             updated_at = {ts}
         WHERE id IN (
             SELECT id FROM (
                 SELECT id, entity_id, row_number() OVER (
                     PARTITION BY collection_id, stage, entity_id ORDER BY id DESC) AS newest
                 FROM jobs WHERE {cond})
             WHERE entity_id IS NULL OR newest = 1)
           AND (entity_id IS NULL OR NOT EXISTS (
             SELECT 1 FROM jobs q WHERE q.collection_id = jobs.collection_id
               AND q.stage = jobs.stage AND q.entity_id = jobs.entity_id
               AND q.state = 'queued'))",
        cond = cond.sql
    );
    let args = values(cond.args);
    let n = conn
        .prepare_cached(&sql)?
        .execute(params_from_iter(args.iter()))?;
    Ok(n as u64)
}
