//! Processing status, failures and retries: Aleph's `/status` and our fuller
//! `/collections/{id}/processing`, `/retry` and `/reingest`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Value, json};
use store::{EntityFilter, JobFilter, JobState, Stage};

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::paging::{Envelope, PageRequest};
use crate::params::Params;
use crate::routes::collections::{readable, writable};
use crate::routes::ingest::ORIGIN_UPLOAD;
use crate::serialize::Serializer;
use crate::services::status;
use crate::state::AppState;

/// `GET /api/2/collections/{id}/status`.
pub async fn collection_status(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let collection = readable(&state, &actor, &id).await?;
    Ok(Json(
        status::collection_status(&state, collection.id).await?,
    ))
}

/// `DELETE /api/2/collections/{id}/status`: cancel the collection's queued and running work.
pub async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let collection = writable(&state, &actor, &id).await?;
    state.store.cancel_jobs(collection.id, None).await?;
    Ok(Json(
        status::collection_status(&state, collection.id).await?,
    ))
}

/// `GET /api/2/status`: the active collections the caller can read, and the collections
/// being deleted that they may follow (with a `deletion` object).
pub async fn dashboard(State(state): State<AppState>, actor: Actor) -> ApiResult<Json<Value>> {
    actor.logged_in_user()?;
    let counts = state.store.job_counts(None).await?;
    let mut by_collection: std::collections::BTreeMap<i64, Vec<store::StageCounts>> =
        Default::default();
    for c in counts {
        if actor.can_read(c.collection_id) {
            by_collection.entry(c.collection_id).or_default().push(c);
        }
    }
    let mut ser = Serializer::new(&state, &actor).await?;
    let mut results = Vec::new();
    for (collection_id, counts) in by_collection {
        if counts.iter().all(|c| c.unfinished() == 0) {
            continue;
        }
        let mut item = status::aleph_status(&counts);
        if let Some(c) = ser.collection_by_id(collection_id).await {
            item["collection"] = c;
        }
        results.push(item);
    }
    // Collections being deleted: to administrators and to whoever deleted them.
    results.extend(crate::services::purge::deletions(&state, &actor).await?);
    // A rebuild of the embedded index: searches see part of the data until it ends.
    results.extend(status::index_rebuild_item(&state, actor.is_admin));
    Ok(Json(json!({"results": results, "total": results.len()})))
}

fn job_filter(params: &Params, collection_id: i64) -> ApiResult<JobFilter> {
    let mut filter = JobFilter::collection(collection_id);
    for stage in params.all("stage") {
        filter
            .stages
            .push(Stage::new(stage).map_err(|e| ApiError::invalid("stage", e.to_string()))?);
    }
    for s in params.all("state") {
        let state = JobState::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| ApiError::invalid("state", format!("unknown state: {s}")))?;
        filter.states.push(state);
    }
    filter.error_class = params.get("error_class").map(str::to_string);
    filter.processor_version_before = params.get("before_version").map(str::to_string);
    Ok(filter)
}

/// `GET /api/2/collections/{id}/processing`: counts by stage and state, throughput, an
/// estimate of the time left, and the failed files (filterable; `format=csv` exports them).
pub async fn processing(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let collection = readable(&state, &actor, &id).await?;
    let mut filter = job_filter(&params, collection.id)?;
    if filter.states.is_empty() {
        filter.states = vec![JobState::Failed, JobState::Dead];
    }
    if params.get("format") == Some("csv") {
        filter.limit = u32::MAX;
        let (jobs, _) = status::failures(&state, &filter).await?;
        let csv = status::failures_csv(&jobs);
        let name = format!("{}-failures.csv", collection.foreign_id);
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    super::archive::content_disposition(&name),
                ),
            ],
            csv,
        )
            .into_response());
    }
    let page = PageRequest::from_params_with(&params, 50)?;
    filter.limit = page.limit as u32;
    filter.offset = page.offset as u64;
    let counts = state.store.job_counts(Some(collection.id)).await?;
    let (jobs, total) = status::failures(&state, &filter).await?;
    let mut body = Envelope {
        results: jobs.iter().map(status::job_json).collect(),
        total,
        page,
        path: &format!("api/2/collections/{}/processing", collection.id),
        params: &params,
        ui_url: &state.settings.ui_url,
    }
    .into_json();
    body.insert("summary".into(), status::processing_report(&counts));
    Ok(Json(body).into_response())
}

/// `POST /api/2/collections/{id}/retry`: queue again what failed (filters: `stage`,
/// `error_class`, `state`, `before_version` — the last also re-runs files that an older
/// version of the pipeline handled). `stage=analyze` also re-analyses processed files
/// (see [`crate::services::pipeline::retry`]).
pub async fn retry(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let collection = writable(&state, &actor, &id).await?;
    let filter = job_filter(&params, collection.id)?;
    let queued = crate::services::pipeline::retry(&*state.store, &filter).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"status": "accepted", "queued": queued})),
    )
        .into_response())
}

/// `POST /api/2/collections/{id}/reingest`: process every uploaded file again.
pub async fn reingest(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let collection = writable(&state, &actor, &id).await?;
    let index = params.bool("index", true)?;
    let mut stream = store::stream_entities(
        state.store.clone(),
        EntityFilter::collection(collection.id),
        1000,
    );
    let mut batch = Vec::new();
    let mut queued = 0u64;
    while let Some(item) = stream.next().await {
        let Ok(stored) = item else { continue };
        if !stored.origins.iter().any(|o| o == ORIGIN_UPLOAD) || !stored.entity.has("contentHash") {
            continue;
        }
        let Some(entity_id) = stored.entity.id() else {
            continue;
        };
        let path = stored
            .entity
            .first("fileName")
            .unwrap_or(entity_id)
            .to_string();
        batch.push(
            store::NewJob::new(collection.id, Stage::PROCESS)
                .entity(entity_id)
                .path(path)
                .payload(json!({"index": index})),
        );
        if batch.len() >= 1000 {
            queued += state
                .store
                .enqueue(&std::mem::take(&mut batch))
                .await?
                .len() as u64;
        }
    }
    if !batch.is_empty() {
        queued += state.store.enqueue(&batch).await?.len() as u64;
    }
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"status": "accepted", "queued": queued})),
    )
        .into_response())
}
