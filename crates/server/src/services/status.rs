//! Processing status, computed from the job table alone: nothing is counted anywhere else,
//! so the status cannot drift from the work that is really queued, running or done.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use store::{Job, JobFilter, JobState, StageCounts};

use crate::error::ApiResult;
use crate::serialize::datetime;
use crate::state::AppState;

/// Aleph's collection status: `{finished, running, pending, start_time, last_update,
/// stages: [{job_id, stage, pending, running, finished}]}`. Like Aleph, only stages with
/// work queued or running are listed; an idle collection shows zeros and null times.
/// `finished` counts everything that stage has finished (succeeded, failed or dead).
/// Our `process` stage shows as Aleph's `ingest` (see [`processing_report`] for the
/// real stages).
/// A collection that was cross-referenced also gets `xref`: the run's state, progress
/// and estimated time left.
pub async fn collection_status(state: &AppState, collection_id: i64) -> ApiResult<Value> {
    let counts = state.store.job_counts(Some(collection_id)).await?;
    let mut status = aleph_status(&counts);
    // Exports are not jobs (a search export has no collection), but a collection's
    // cross-reference export shows as Aleph's `exportxref` stage while it is pending.
    let (waiting, held) = state.store.export_counts(collection_id).await?;
    if waiting + held > 0 {
        add_stage(&mut status, "exportxref", waiting, held);
    }
    // Cross-referencing runs in batches of one job: its own progress says how far it is.
    let xref = crate::services::xref::progress(&state.store, collection_id).await?;
    if !xref.is_null() {
        status["xref"] = xref;
    }
    Ok(status)
}

/// Add a stage with unfinished work to an [`aleph_status`] object and its totals.
fn add_stage(status: &mut Value, stage: &str, pending: u64, running: u64) {
    for (key, n) in [("pending", pending), ("running", running)] {
        status[key] = json!(status[key].as_u64().unwrap_or(0) + n);
    }
    if let Some(stages) = status["stages"].as_array_mut() {
        stages.push(json!({
            "job_id": "",
            "stage": stage,
            "pending": pending,
            "running": running,
            "finished": 0,
        }));
    }
}

/// The stage Aleph's clients and UI know for one of ours: `process` (extraction and
/// analysis in one job) is Aleph's `ingest`, where Aleph also analyses.
fn aleph_stage(stage: &store::Stage) -> &str {
    if *stage == store::Stage::PROCESS {
        store::Stage::INGEST.as_str()
    } else {
        stage.as_str()
    }
}

pub fn aleph_status(counts: &[StageCounts]) -> Value {
    let active: Vec<&StageCounts> = counts.iter().filter(|c| c.unfinished() > 0).collect();
    // Aleph's stage names, in first-seen order, each with pending, running and finished:
    // `process` and the `ingest` of jobs queued before it show as one `ingest`.
    let mut shown: Vec<(&str, [u64; 3])> = Vec::new();
    let (mut pending, mut running, mut finished) = (0u64, 0u64, 0u64);
    let mut start: Option<DateTime<Utc>> = None;
    let mut last: Option<DateTime<Utc>> = None;
    for c in &active {
        let done = c.succeeded + c.failed + c.dead;
        pending += c.queued;
        running += c.running;
        finished += done;
        let name = aleph_stage(&c.stage);
        let at = match shown.iter().position(|(n, _)| *n == name) {
            Some(at) => at,
            None => {
                shown.push((name, [0; 3]));
                shown.len() - 1
            }
        };
        let sums = &mut shown[at].1;
        sums[0] += c.queued;
        sums[1] += c.running;
        sums[2] += done;
        if let Some(t) = c.oldest_unfinished_at {
            start = Some(start.map_or(t, |s| s.min(t)));
        }
        last = Some(last.map_or(c.last_updated_at, |l| l.max(c.last_updated_at)));
    }
    let stages: Vec<Value> = shown
        .into_iter()
        .map(|(stage, [pending, running, finished])| {
            json!({
                "job_id": "",
                "stage": stage,
                "pending": pending,
                "running": running,
                "finished": finished,
            })
        })
        .collect();
    json!({
        "finished": finished,
        "running": running,
        "pending": pending,
        "start_time": start.as_ref().map(datetime),
        "last_update": last.as_ref().map(datetime),
        "stages": stages,
    })
}

/// Our fuller view of a collection's processing: every stage with counts by state,
/// throughput over the last ten minutes, an estimate of the time left, and whether
/// anything is still to do.
pub fn processing_report(counts: &[StageCounts]) -> Value {
    let window_minutes = store::RECENT_WINDOW.as_secs_f64() / 60.0;
    let mut stages = Vec::new();
    let (mut unfinished, mut recent) = (0u64, 0u64);
    for c in counts {
        unfinished += c.unfinished();
        recent += c.finished_recently;
        let mut states = serde_json::Map::new();
        for s in JobState::ALL {
            states.insert(s.as_str().into(), json!(c.count(s)));
        }
        stages.push(json!({
            "stage": c.stage.as_str(),
            "counts": states,
            "finished_last_10_minutes": c.finished_recently,
            "oldest_unfinished": c.oldest_unfinished_at.as_ref().map(datetime),
            "last_update": datetime(&c.last_updated_at),
        }));
    }
    let per_minute = recent as f64 / window_minutes;
    let eta_seconds = (unfinished > 0 && per_minute > 0.0)
        .then(|| (unfinished as f64 / per_minute * 60.0).round() as u64);
    let total = |f: fn(&StageCounts) -> u64| counts.iter().map(f).sum::<u64>();
    json!({
        "active": unfinished > 0,
        "unfinished": unfinished,
        "failed": total(|c| c.failed),
        "dead": total(|c| c.dead),
        "jobs_per_minute": (per_minute * 10.0).round() / 10.0,
        "eta_seconds": eta_seconds,
        "stages": stages,
    })
}

/// One ledger row as the failure list shows it.
pub fn job_json(job: &Job) -> Value {
    json!({
        "id": job.id.to_string(),
        "stage": job.stage.as_str(),
        "state": job.state.as_str(),
        "entity_id": job.entity_id,
        "path": job.path,
        "error_class": job.error_class,
        "error_message": job.error_message,
        "attempts": job.attempts,
        "processor_version": job.processor_version,
        "created_at": datetime(&job.created_at),
        "finished_at": job.finished_at.as_ref().map(datetime),
    })
}

/// The failed and dead jobs of a collection (or those a filter names).
pub async fn failures(state: &AppState, filter: &JobFilter) -> ApiResult<(Vec<Job>, u64)> {
    let page = state.store.list_jobs(filter).await?;
    Ok((page.items, page.total))
}

/// CSV of failures: path, stage, state, class, message, attempts, version, time.
pub fn failures_csv(jobs: &[Job]) -> String {
    fn field(s: &str) -> String {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }
    let mut out = String::from(
        "path,stage,state,error_class,error_message,attempts,processor_version,finished_at,entity_id\n",
    );
    for j in jobs {
        let row = [
            j.path.clone().unwrap_or_default(),
            j.stage.as_str().to_string(),
            j.state.as_str().to_string(),
            j.error_class.clone().unwrap_or_default(),
            j.error_message.clone().unwrap_or_default(),
            j.attempts.to_string(),
            j.processor_version.clone().unwrap_or_default(),
            j.finished_at.as_ref().map(datetime).unwrap_or_default(),
            j.entity_id.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = row.iter().map(|f| field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// What users are told while the embedded index is rebuilt: how far it is in percent, and
/// to administrators the entity counts (everyone else would learn how many entities the
/// instance holds, readable or not). `None` when no rebuild runs.
pub fn index_rebuild(state: &AppState, admin: bool) -> Option<Value> {
    let p = state.index_rebuild.current()?;
    let mut out = json!({"percent": p.percent()});
    if admin {
        out["indexed"] = json!(p.indexed);
        out["total"] = json!(p.total);
    }
    Some(out)
}

/// The system status item of a rebuild of the index: a running `reindex` task, with
/// `index_rebuild` saying how far it is.
pub fn index_rebuild_item(state: &AppState, admin: bool) -> Option<Value> {
    let progress = index_rebuild(state, admin)?;
    Some(json!({
        "finished": 0,
        "running": 1,
        "pending": 0,
        "start_time": null,
        "last_update": null,
        "stages": [{"job_id": "", "stage": "reindex", "pending": 0, "running": 1, "finished": 0}],
        "index_rebuild": progress,
    }))
}
