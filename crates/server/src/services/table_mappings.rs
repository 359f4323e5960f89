//! Mappings saved on a collection (Aleph's mapping API): a query in the JSON form of one
//! FtM mapping query, applied to the rows of an ingested `Table` of the same collection.
//!
//! A run is a ledger job (`loadmapping`) executed by a worker that owns the index writer.
//! It writes under the fragment origin `mapping:<id>`, so a re-run replaces exactly what
//! the previous run made and a flush (`flushmapping`, also run on deletion) removes it.
//! Rows that cannot be mapped are reported in the run's report and skipped; only a
//! mapping that cannot run at all (no table, a broken query) fails.
//!
//! The table's rows are the CSV the ingestor kept under `csvHash`: normalised, with no
//! header line. Its column names come from the table's `columns` property, so a header
//! line made from them is put in front of the rows before they are read.

use std::io::{Cursor, Read};
use std::path::Path;

use ftm::mapping::csv::CsvRecords;
use ftm::mapping::{MappingFile, QueryMapping};
use serde_json::{Map, Value, json};
use store::{
    Collection, Job, JobOutcome, Judgement, Mapping, MappingRun, MappingStatus, NewEntitySetItem,
    NewJob, NewMapping, Stage,
};

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::serialize::{Serializer, clean, datetime};
use crate::services::mappings::{MappingReport, map_records, mapping_origin, write_run};
use crate::state::AppState;

/// The stage of a mapping run, named as Aleph names the operation in collection status.
pub const LOAD_STAGE: &str = "loadmapping";
/// The stage that removes what a mapping wrote.
pub const FLUSH_STAGE: &str = "flushmapping";
/// Query keys that choose a source: the source of an API mapping is always its table.
const SOURCE_KEYS: [&str; 6] = [
    "csv_url", "csv_urls", "database", "table", "tables", "joins",
];

pub fn load_stage() -> Stage {
    Stage::new(LOAD_STAGE).unwrap_or(Stage::INDEX)
}

pub fn flush_stage() -> Stage {
    Stage::new(FLUSH_STAGE).unwrap_or(Stage::INDEX)
}

/// The fragment origin of a mapping's entities.
pub fn origin(mapping_id: i64) -> String {
    mapping_origin(&mapping_id.to_string())
}

/// A mapping of this collection that the caller can read.
pub async fn readable(
    state: &AppState,
    actor: &Actor,
    collection_id: i64,
    raw_id: &str,
) -> ApiResult<Mapping> {
    let id = raw_id.parse::<i64>().map_err(|_| ApiError::not_found())?;
    actor.check_read(collection_id)?;
    let mapping = state.store.mapping(id).await?;
    if mapping.collection_id != collection_id {
        return Err(ApiError::not_found());
    }
    Ok(mapping)
}

/// A mapping of this collection that the caller can change.
pub async fn writable(
    state: &AppState,
    actor: &Actor,
    collection_id: i64,
    raw_id: &str,
) -> ApiResult<Mapping> {
    let mapping = readable(state, actor, collection_id, raw_id).await?;
    actor.user()?;
    actor.check_write(collection_id)?;
    Ok(mapping)
}

/// Read `MappingCreate` (`table_id`, `mapping_query`, `entityset_id`) and check that the
/// query compiles and the table is a table of the collection.
pub async fn parse_create(
    state: &AppState,
    collection: &Collection,
    actor: &Actor,
    body: &Map<String, Value>,
) -> ApiResult<NewMapping> {
    let table_id = match body.get("table_id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        _ => return Err(ApiError::invalid("table_id", "a table id is required")),
    };
    let query = match body.get("mapping_query") {
        Some(Value::Object(map)) => map.clone(),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(map)) => map,
            _ => return Err(ApiError::invalid("mapping_query", "must be a JSON object")),
        },
        _ => return Err(ApiError::invalid("mapping_query", "must be a JSON object")),
    };
    let entityset_id = match body.get("entityset_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(
            s.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::invalid("entityset_id", "not an id"))?,
        ),
        Some(Value::Number(n)) => Some(
            n.as_i64()
                .ok_or_else(|| ApiError::invalid("entityset_id", "not an id"))?,
        ),
        Some(_) => return Err(ApiError::invalid("entityset_id", "not an id")),
    };
    compile(&query, &collection.foreign_id)
        .map_err(|e| ApiError::invalid("mapping_query", e.message))?;
    table(state, collection, &table_id)
        .await
        .map_err(|e| ApiError::invalid("table_id", e.message))?;
    Ok(NewMapping {
        collection_id: collection.id,
        role_id: actor.id(),
        table_id,
        entityset_id,
        query,
    })
}

/// Compile an API mapping query against its table's rows. The source keys of the query,
/// if any, are ignored; `include` (which reads files on the server) is refused.
pub fn compile(query: &Map<String, Value>, key_prefix: &str) -> ApiResult<QueryMapping> {
    if has_include(&Value::Object(query.clone())) {
        return Err(ApiError::bad_request(
            "a mapping query cannot include other files",
        ));
    }
    let mut query = query.clone();
    for key in SOURCE_KEYS {
        query.remove(key);
    }
    query.insert("csv_url".into(), json!("table.csv"));
    // JSON is YAML: the mapping file reader gives the query FtM's semantics.
    let file = json!({ "mapping": { "queries": [Value::Object(query)] } });
    let file = MappingFile::from_str(&file.to_string(), Path::new("/nonexistent"))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let config = file
        .datasets
        .first()
        .and_then(|d| d.queries.first())
        .ok_or_else(|| ApiError::bad_request("the mapping has no query"))?;
    QueryMapping::new(config, Some(key_prefix), None)
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

fn has_include(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.contains_key("include") || map.values().any(has_include),
        Value::Array(items) => items.iter().any(has_include),
        _ => false,
    }
}

/// What a run needs of the table: its column names and the hash of its rows (none for a
/// table without rows).
struct TableSource {
    columns: Vec<String>,
    csv_hash: Option<String>,
}

async fn table(
    state: &AppState,
    collection: &Collection,
    table_id: &str,
) -> ApiResult<TableSource> {
    let batch = state
        .store
        .entities(collection.id, &[table_id.to_string()])
        .await?;
    let entity = batch
        .entities
        .into_iter()
        .next()
        .map(|s| s.entity)
        .ok_or_else(|| ApiError::bad_request(format!("no table {table_id:?} in the collection")))?;
    let is_table = ftm::model()
        .get("Table")
        .is_some_and(|t| entity.schema().is_a(t));
    if !is_table {
        return Err(ApiError::bad_request(format!(
            "{table_id:?} is a {}, not a Table",
            entity.schema().name()
        )));
    }
    let columns = entity
        .get("columns")
        .first()
        .and_then(|c| serde_json::from_str::<Vec<String>>(c).ok())
        .unwrap_or_default();
    let csv_hash = entity.get("csvHash").first().cloned();
    if columns.is_empty() && csv_hash.is_some() {
        return Err(ApiError::bad_request("the table has no column names"));
    }
    Ok(TableSource { columns, csv_hash })
}

/// The CSV header line for the stored rows: every name quoted, as the rows are.
fn header_line(columns: &[String]) -> Vec<u8> {
    let mut line = columns
        .iter()
        .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line.into_bytes()
}

/// Queue a run of the mapping and mark it pending.
pub async fn trigger(state: &AppState, mapping: &Mapping) -> ApiResult<()> {
    enqueue(state, mapping.collection_id, load_stage(), mapping.id).await?;
    state
        .store
        .set_mapping_run(
            mapping.id,
            MappingRun {
                status: MappingStatus::Pending,
                err_msg: None,
                report: mapping.last_run_report.clone(),
            },
        )
        .await?;
    Ok(())
}

/// Queue the removal of what a mapping wrote.
pub async fn queue_flush(state: &AppState, collection_id: i64, mapping_id: i64) -> ApiResult<()> {
    enqueue(state, collection_id, flush_stage(), mapping_id).await
}

async fn enqueue(
    state: &AppState,
    collection_id: i64,
    stage: Stage,
    mapping_id: i64,
) -> ApiResult<()> {
    let mut job = NewJob::new(collection_id, stage).entity(format!("mapping:{mapping_id}"));
    job.payload = json!({ "mapping_id": mapping_id });
    job.max_attempts = 1;
    state.store.enqueue(&[job]).await?;
    Ok(())
}

/// Run a `loadmapping` or `flushmapping` job.
pub async fn run_job(state: &AppState, job: &Job) -> JobOutcome {
    let Some(mapping_id) = job.payload.get("mapping_id").and_then(Value::as_i64) else {
        return failed("the job names no mapping".into());
    };
    if job.stage.as_str() == FLUSH_STAGE {
        return match flush(state, job.collection_id, mapping_id).await {
            Ok(()) => succeeded(),
            Err(e) => failed(e.message),
        };
    }
    let mapping = match state.store.mapping(mapping_id).await {
        Ok(m) => m,
        // Deleted since it was queued: nothing to run.
        Err(store::StoreError::NotFound { .. }) => return succeeded(),
        Err(e) => return failed(e.to_string()),
    };
    let (run, outcome) = match load(state, &mapping).await {
        Ok(report) => {
            let err_msg = (report.error_count > 0).then(|| {
                let first = report
                    .errors
                    .first()
                    .map(|e| format!(": row {}: {}", e.row, e.message))
                    .unwrap_or_default();
                format!("{} rows failed{first}", report.error_count)
            });
            let run = MappingRun {
                status: MappingStatus::Successful,
                err_msg,
                report: serde_json::to_value(&report).ok(),
            };
            (run, succeeded())
        }
        Err(e) => {
            let run = MappingRun {
                status: MappingStatus::Failed,
                err_msg: Some(e.message.clone()),
                report: None,
            };
            (run, failed(e.message))
        }
    };
    if let Err(e) = state.store.set_mapping_run(mapping.id, run).await {
        tracing::warn!(mapping = mapping.id, "cannot record the mapping run: {e}");
    }
    outcome
}

fn succeeded() -> JobOutcome {
    JobOutcome::Succeeded {
        processor_version: None,
    }
}

fn failed(message: String) -> JobOutcome {
    JobOutcome::Failed {
        class: "mapping".into(),
        message,
        retry: false,
        processor_version: None,
    }
}

/// Map the table's rows and replace what the mapping wrote before.
async fn load(state: &AppState, mapping: &Mapping) -> ApiResult<MappingReport> {
    let collection = state.store.collection(mapping.collection_id).await?;
    let source = table(state, &collection, &mapping.table_id).await?;
    let query = compile(&mapping.query, &collection.foreign_id)?;
    let path =
        match &source.csv_hash {
            Some(hash) => {
                Some(state.archive.local_path(hash).await.map_err(|e| {
                    ApiError::internal(format!("cannot read the table's rows: {e}"))
                })?)
            }
            None => None,
        };
    let tmp = state.settings.data_dir.join("tmp");
    let proof = mapping.table_id.clone();
    let blocking_collection = collection.clone();
    let run = tokio::task::spawn_blocking(move || {
        let header = header_line(&source.columns);
        let rows: Box<dyn Read + Send> = match &path {
            Some(path) => Box::new(std::io::BufReader::with_capacity(
                1 << 20,
                std::fs::File::open(path).map_err(|e| {
                    ApiError::internal(format!("cannot read the table's rows: {e}"))
                })?,
            )),
            None => Box::new(std::io::empty()),
        };
        let records = CsvRecords::new(Cursor::new(header).chain(rows), "table")
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        map_records(&query, records, &blocking_collection, Some(&proof), &tmp)
    })
    .await
    .map_err(|e| ApiError::internal(format!("mapping: {e}")))??;
    let origin = origin(mapping.id);
    let report = write_run(&state.store, &state.index, &collection, &origin, run).await?;
    let ids = state
        .store
        .origin_entity_ids(collection.id, &origin)
        .await?;
    if let Some(set) = mapping.entityset_id {
        for id in &ids {
            let item = NewEntitySetItem {
                entity_id: id.clone(),
                collection_id: collection.id,
                judgement: Judgement::Positive,
                compared_to_entity_id: None,
                added_by_id: mapping.role_id,
            };
            state.store.judge_entityset_item(set, item).await?;
        }
    }
    crate::services::alerts::after_index(&state.store, &state.index, collection.id, &ids).await;
    Ok(report)
}

/// Remove what a mapping wrote: its fragments, and the index entries of the entities
/// nothing else holds.
pub async fn flush(state: &AppState, collection_id: i64, mapping_id: i64) -> ApiResult<()> {
    let origin = origin(mapping_id);
    let previous = state
        .store
        .origin_entity_ids(collection_id, &origin)
        .await?;
    if previous.is_empty() {
        return Ok(());
    }
    state.store.delete_origin(collection_id, &origin).await?;
    crate::services::entities::sync_index(&state.store, &state.index, collection_id, &previous)
        .await?;
    state.index.commit().await?;
    state.store.touch_collection(collection_id).await?;
    Ok(())
}

/// A mapping in Aleph's shape, with its table and entity set where the caller can see them.
pub async fn mapping_json(
    state: &AppState,
    ser: &mut Serializer<'_>,
    actor: &Actor,
    mapping: &Mapping,
) -> Value {
    let id = mapping.id.to_string();
    let scope = actor.scope();
    let table = match crate::services::entitysets::find_entities(
        state,
        &scope,
        std::slice::from_ref(&mapping.table_id),
    )
    .await
    {
        Ok(found) => match found.get(&mapping.table_id) {
            Some(view) => Some(ser.entity(view, &Default::default()).await),
            None => None,
        },
        Err(_) => None,
    };
    let entityset = match mapping.entityset_id {
        Some(set_id) => match state.store.entityset(set_id).await {
            Ok(set) => Some(crate::services::entitysets::set_json(state, ser, actor, &set).await),
            Err(_) => None,
        },
        None => None,
    };
    clean(json!({
        "id": id,
        "query": Value::Object(mapping.query.clone()),
        "role_id": mapping.role_id.map(|r| r.to_string()),
        "collection_id": mapping.collection_id.to_string(),
        "table_id": mapping.table_id,
        "table": table,
        "entityset_id": mapping.entityset_id.map(|s| s.to_string()),
        "entityset": entityset,
        "last_run_status": mapping.last_run_status.map(MappingStatus::as_str),
        "last_run_err_msg": mapping.last_run_err_msg,
        "last_run_report": mapping.last_run_report,
        "links": {
            "self": state.settings.url(&format!(
                "api/2/collections/{}/mappings/{id}",
                mapping.collection_id
            )),
        },
        "writeable": actor.can_write(mapping.collection_id),
        "created_at": datetime(&mapping.created_at),
        "updated_at": datetime(&mapping.updated_at),
    }))
}
