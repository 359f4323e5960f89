//! Processing status of a collection, in Aleph's shape.

use serde_json::{Value, json};

use crate::error::ApiResult;
use crate::state::AppState;

/// `{finished, running, pending, start_time, last_update, stages: [...]}`. Until the job
/// ledger records work for a collection there is nothing pending or running.
pub async fn collection_status(_state: &AppState, _collection_id: i64) -> ApiResult<Value> {
    Ok(json!({
        "finished": 0,
        "running": 0,
        "pending": 0,
        "start_time": Value::Null,
        "last_update": Value::Null,
        "stages": [],
    }))
}
