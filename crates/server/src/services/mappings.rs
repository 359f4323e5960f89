//! Loading a mapping into a collection: the records of a query become entities, signed
//! with the collection's namespace and written under one fragment origin, which a re-run
//! replaces (what the mapping no longer produces disappears from the store and the index).
//!
//! The same entity is usually made from many rows (a company with many directors), and the
//! store keeps one fragment per entity and origin, so the fragments of a run are merged
//! first. That happens through an on-disk sort by id, not a map in memory: memory stays
//! flat on any number of rows. A row that cannot be mapped (an id that cannot be signed or
//! stored) is reported and skipped; the rest of the run goes on.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ftm::export::extsort::{ExternalSorter, Merge};
use ftm::mapping::{QueryMapping, Record, SourceError};
use ftm::{Entity, Namespace};
use index::SearchIndex;
use store::{Collection, MAX_ENTITY_ID_LEN, Store};

use crate::error::{ApiError, ApiResult};
use crate::services::entities::{sync_index, write_uncommitted};

/// Bytes of mapped entities sorted in memory before a run is spilled to disk.
const SORT_MEMORY: usize = 64 * 1024 * 1024;
/// Entities written per store transaction.
const WRITE_BATCH: usize = 5000;
/// Row errors kept for the report; the rest are only counted.
const KEPT_ERRORS: usize = 100;

/// The origin of the fragments a mapping writes.
pub fn mapping_origin(name: &str) -> String {
    format!("mapping:{name}")
}

/// A row that produced no entities because of an error.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RowError {
    /// The row's number in the source, from 1.
    pub row: u64,
    pub message: String,
}

/// What a mapping run did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct MappingReport {
    pub rows: u64,
    /// Entity fragments made from the rows.
    pub fragments: u64,
    /// Distinct entities written.
    pub entities: u64,
    /// Values the property types refused, and entities skipped for want of an id or a
    /// required value (FtM's warnings).
    pub warnings: u64,
    pub error_count: u64,
    /// The first errors, in row order.
    pub errors: Vec<RowError>,
}

impl MappingReport {
    fn error(&mut self, row: u64, message: String) {
        self.error_count += 1;
        if self.errors.len() < KEPT_ERRORS {
            self.errors.push(RowError { row, message });
        }
    }
}

/// Mapped entities sorted by id, ready to be written.
pub struct MappedRun {
    merge: Merge,
    _tmp: TempDir,
    pub report: MappingReport,
}

/// Map every record (blocking: run it off the async executor). `proof` is added to every
/// Thing (Aleph points mapped entities at the table they came from).
pub fn map_records(
    query: &QueryMapping,
    records: impl Iterator<Item = Result<Record, SourceError>>,
    collection: &Collection,
    proof: Option<&str>,
    tmp_parent: &Path,
) -> ApiResult<MappedRun> {
    let tmp = TempDir::new(tmp_parent)?;
    let namespace = Namespace::new(&collection.foreign_id);
    let filter = matches!(query.source(), ftm::mapping::SourceSpec::Csv { .. });
    let mut sorter = ExternalSorter::new(&tmp.0, SORT_MEMORY);
    let mut report = MappingReport::default();
    for (n, record) in records.enumerate() {
        let row = n as u64 + 1;
        let record = record.map_err(|e| ApiError::bad_request(format!("row {row}: {e}")))?;
        report.rows += 1;
        if filter && !query.check_filters(&record) {
            continue;
        }
        let mut warnings = 0u64;
        let entities = query.map(&record, &mut |_| warnings += 1);
        report.warnings += warnings;
        match sign_all(entities, &namespace, proof) {
            Ok(lines) => {
                for line in lines {
                    report.fragments += 1;
                    sorter.push(line).map_err(internal)?;
                }
            }
            Err(message) => report.error(row, message),
        }
    }
    let merge = sorter.finish().map_err(internal)?;
    Ok(MappedRun {
        merge,
        _tmp: tmp,
        report,
    })
}

/// The sort lines (`id \t entity JSON`) of one row's entities, or why the row fails.
fn sign_all(
    entities: Vec<Entity>,
    namespace: &Namespace,
    proof: Option<&str>,
) -> Result<Vec<Vec<u8>>, String> {
    let mut lines = Vec::with_capacity(entities.len());
    for entity in entities {
        let plain = entity.id().unwrap_or_default().to_string();
        let mut signed = namespace
            .apply(&entity)
            .map_err(|e| format!("{} {plain:?}: {e}", entity.schema().name()))?;
        let Some(id) = signed.id().map(str::to_string) else {
            return Err(format!(
                "the id {plain:?} of a {} is not a valid entity id (letters, digits, dots \
                 and dashes)",
                entity.schema().name()
            ));
        };
        if id.len() > MAX_ENTITY_ID_LEN {
            return Err(format!(
                "the id of a {} is longer than {MAX_ENTITY_ID_LEN} bytes",
                entity.schema().name()
            ));
        }
        if let Some(proof) = proof
            && signed.schema().is_a(
                ftm::model()
                    .get("Thing")
                    .ok_or_else(|| "the model has no Thing schema".to_string())?,
            )
        {
            signed.add("proof", proof).map_err(|e| e.to_string())?;
        }
        let mut line = id.into_bytes();
        line.push(b'\t');
        let json = serde_json::to_vec(&signed.to_json()).map_err(|e| e.to_string())?;
        line.extend_from_slice(&json);
        lines.push(line);
    }
    Ok(lines)
}

/// Replace what `origin` wrote into the collection with the mapped entities, fragments of
/// one id merged, and bring the index in line. Returns the report with `entities` set.
pub async fn write_run(
    store: &Arc<dyn Store>,
    index: &Arc<dyn SearchIndex>,
    collection: &Collection,
    origin: &str,
    mut run: MappedRun,
) -> ApiResult<MappingReport> {
    let previous = store.origin_entity_ids(collection.id, origin).await?;
    store.delete_origin(collection.id, origin).await?;
    let mut batch: Vec<Entity> = Vec::with_capacity(WRITE_BATCH);
    let mut current: Option<Entity> = None;
    let mut written = 0u64;
    while let Some(line) = run.merge.next_line().map_err(internal)? {
        let entity = parse_sorted(&line)?;
        match current.as_mut() {
            Some(open) if open.id() == entity.id() => {
                if let Err(e) = open.merge(&entity) {
                    // Two mapping entities with one id and unrelated schemata: FtM would
                    // refuse to merge them too. The first one stays.
                    run.report
                        .error(0, format!("{}: {e}", entity.id().unwrap_or_default()));
                }
            }
            _ => {
                if let Some(done) = current.replace(entity) {
                    batch.push(done);
                }
            }
        }
        if batch.len() >= WRITE_BATCH {
            write_uncommitted(store, index, collection.id, origin, &batch).await?;
            written += batch.len() as u64;
            batch.clear();
        }
    }
    batch.extend(current);
    write_uncommitted(store, index, collection.id, origin, &batch).await?;
    written += batch.len() as u64;
    // Entities of the previous run: re-indexed from what is left of them, or removed.
    sync_index(store, index, collection.id, &previous).await?;
    index.commit().await?;
    store.touch_collection(collection.id).await?;
    run.report.entities = written;
    Ok(run.report)
}

fn parse_sorted(line: &[u8]) -> ApiResult<Entity> {
    let json = line
        .iter()
        .position(|b| *b == b'\t')
        .map(|tab| &line[tab + 1..])
        .ok_or_else(|| internal("a sorted mapping line without an id"))?;
    let value: serde_json::Value = serde_json::from_slice(json).map_err(internal)?;
    Entity::from_json(value, true).map_err(internal)
}

/// A directory of sorted runs, removed with the run.
struct TempDir(PathBuf);

impl TempDir {
    fn new(parent: &Path) -> ApiResult<TempDir> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "mapping-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = parent.join(name);
        std::fs::create_dir_all(&path).map_err(internal)?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("mapping: {e}"))
}
