//! Results: the listing of a collection's matches (filtered to what the caller can read)
//! and its spreadsheet export.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value, json};
use store::{PairJudgement, XrefItem, XrefQuery};

use super::SCORE_CUTOFF;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::paging::{Envelope, PageRequest};
use crate::params::Params;
use crate::serialize::{EntityView, Serializer, datetime};
use crate::state::AppState;

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

pub(super) fn int_values(params: &Params, key: &str) -> ApiResult<Vec<i64>> {
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
async fn items_json(state: &AppState, actor: &Actor, items: &[XrefItem]) -> ApiResult<Vec<Value>> {
    let entities = resolve(state, items).await?;
    // A positive pair's profile is the profile set holding either side, looked up only
    // when the page has one (in the readable collections of its pairs).
    let profiles = if items
        .iter()
        .any(|i| i.judgement == Some(PairJudgement::Positive))
    {
        let mut collections: Vec<i64> = items
            .iter()
            .flat_map(|i| [i.matched.collection_id, i.matched.match_collection_id])
            .filter(|c| actor.can_read(*c))
            .collect();
        collections.sort_unstable();
        collections.dedup();
        let members: Vec<(i64, String)> = items
            .iter()
            .filter(|i| i.judgement == Some(PairJudgement::Positive))
            .flat_map(|i| {
                let m = &i.matched;
                [
                    (m.collection_id, m.entity_id.clone()),
                    (m.match_collection_id, m.match_id.clone()),
                ]
            })
            .collect();
        super::decisions::profile_ids(state, &collections, members).await?
    } else {
        HashMap::new()
    };
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
        let profile_id = (item.judgement == Some(PairJudgement::Positive))
            .then(|| {
                profiles
                    .get(&(m.collection_id, m.entity_id.clone()))
                    .or_else(|| profiles.get(&(m.match_collection_id, m.match_id.clone())))
                    .map(i64::to_string)
            })
            .flatten();
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
            "profile_id": profile_id,
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

/// Rows of the spreadsheet at most: Excel's sheet holds a little over a million.
const MAX_XLSX_ROWS: u32 = 1_000_000;
/// Matches read from the store per page of the export.
const XLSX_PAGE: u64 = 1000;

/// `GET /collections/{id}/xref.xlsx`: every readable match above the cutoff (or the
/// listing's filters) as a spreadsheet, written to `path`; returns the rows written.
///
/// Rows are written as the matches are read, a page at a time, and the worksheet keeps
/// them in a temporary file beside `path` (its constant-memory mode) until the workbook
/// is zipped into `path`: memory does not grow with the number of matches.
pub async fn export_xlsx(
    state: &AppState,
    actor: &Actor,
    collection_id: i64,
    params: &Params,
    path: &Path,
) -> ApiResult<u32> {
    use rust_xlsxwriter::{Format, Workbook};
    actor.check_read(collection_id)?;
    let mut q = query(actor, collection_id, &params.without(&["offset", "limit"]))?;
    q.limit = XLSX_PAGE;
    let xlsx = |e: rust_xlsxwriter::XlsxError| ApiError::internal(format!("xlsx: {e}"));
    let mut workbook = Workbook::new();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        workbook.set_tempdir(dir).map_err(xlsx)?;
    }
    let mut ser = Serializer::new(state, actor).await?;
    let mut labels: HashMap<i64, String> = HashMap::new();
    let bold = Format::new().set_bold();
    let sheet = workbook
        .add_worksheet_with_constant_memory()
        .map_err(xlsx)?;
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
    'pages: loop {
        let page = state.store.xref_matches(&q).await?;
        let n = page.items.len();
        for chunk in page.items.chunks(500) {
            let entities = resolve(state, chunk).await?;
            for item in chunk {
                if row > MAX_XLSX_ROWS {
                    break 'pages;
                }
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
        if (n as u64) < q.limit {
            break;
        }
        q.offset += n as u64;
    }
    // Zipping reads the rows back and compresses them: work for a blocking thread.
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || workbook.save(&path))
        .await
        .map_err(|e| ApiError::internal(format!("xlsx: {e}")))?
        .map_err(xlsx)?;
    Ok(row - 1)
}
