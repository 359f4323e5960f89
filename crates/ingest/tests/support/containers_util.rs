//! Shared helpers for the container tests: run `ingest` on a generated file and look at
//! what came out.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use ftm::Entity;
use ingest::{CollectingSink, Context, FileInfo, Format, IngestError};

/// One ingest run: the outcome, the file's entity afterwards, what the sink received, and
/// the temporary directories (kept alive as long as the run).
pub struct Run {
    pub result: Result<Format, IngestError>,
    pub entity: Entity,
    pub sink: CollectingSink,
    pub root: tempfile::TempDir,
    pub work_dir: PathBuf,
}

impl Run {
    pub fn format(&self) -> Format {
        match &self.result {
            Ok(format) => *format,
            Err(err) => panic!("ingest failed: {:?} {}", err.class, err.message),
        }
    }

    pub fn error(&self) -> &IngestError {
        match &self.result {
            Ok(format) => panic!("expected a failure, got success as {format:?}"),
            Err(err) => err,
        }
    }

    pub fn schema(&self) -> &str {
        self.entity.schema().name()
    }

    pub fn id(&self) -> &str {
        self.entity.id().unwrap()
    }

    /// The derived entities of one schema.
    pub fn entities(&self, schema: &str) -> Vec<&Entity> {
        self.sink
            .entities
            .iter()
            .filter(|e| e.schema().name() == schema)
            .collect()
    }

    /// The derived entity of `schema` whose `prop` is `value`.
    pub fn entity_where(&self, schema: &str, prop: &str, value: &str) -> &Entity {
        self.entities(schema)
            .into_iter()
            .find(|e| e.get(prop).iter().any(|v| v == value))
            .unwrap_or_else(|| {
                panic!(
                    "no {schema} with {prop}={value} among {:?}",
                    self.sink.entities
                )
            })
    }

    /// The `fileName`s of the child files, in order.
    pub fn child_names(&self) -> Vec<String> {
        self.sink
            .children
            .iter()
            .map(|c| c.entity.first("fileName").unwrap_or_default().to_string())
            .collect()
    }

    /// The child file called `name`.
    pub fn child(&self, name: &str) -> &ingest::Child {
        self.sink
            .children
            .iter()
            .find(|c| c.entity.first("fileName") == Some(name))
            .unwrap_or_else(|| panic!("no child {name} among {:?}", self.child_names()))
    }

    /// The bytes of the child file called `name`.
    pub fn child_bytes(&self, name: &str) -> Vec<u8> {
        std::fs::read(&self.child(name).path).unwrap()
    }
}

/// Ingest the file at `path` as if uploaded under `name`, with limits adjusted by `tune`.
pub fn ingest_path(path: &Path, name: &str, tune: impl FnOnce(&mut Context)) -> Run {
    let root = tempfile::tempdir().unwrap();
    let work_dir = root.path().join("work");
    std::fs::create_dir_all(&work_dir).unwrap();
    let mut ctx = Context::new(&work_dir);
    tune(&mut ctx);
    let mut entity = Entity::with_id("Document", "file-under-test").unwrap();
    entity.add("fileName", name).unwrap();
    let info = FileInfo {
        file_name: Some(name.to_string()),
        mime_type: None,
    };
    let mut sink = CollectingSink::default();
    let result = ingest::ingest(&mut entity, path, &info, &ctx, &mut sink);
    Run {
        result,
        entity,
        sink,
        root,
        work_dir,
    }
}

/// Ingest `bytes` as a file called `name`.
pub fn ingest_bytes(name: &str, bytes: &[u8]) -> Run {
    ingest_bytes_with(name, bytes, |_| {})
}

/// Ingest `bytes` as a file called `name`, with limits adjusted by `tune`.
pub fn ingest_bytes_with(name: &str, bytes: &[u8], tune: impl FnOnce(&mut Context)) -> Run {
    let input = tempfile::tempdir().unwrap();
    let path = input.path().join("input");
    std::fs::write(&path, bytes).unwrap();
    let run = ingest_path(&path, name, tune);
    drop(input);
    run
}

/// Every regular file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out
}

/// The process's peak resident memory (VmHWM) in bytes.
pub fn peak_rss() -> u64 {
    status_kb("VmHWM:") * 1024
}

/// Reset the peak-memory mark to the current resident size, so a later [`peak_rss`]
/// measures only what happened since.
pub fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    // The reset must have worked, or later measurements would compare against an old peak.
    let (peak, now) = (status_kb("VmHWM:"), status_kb("VmRSS:"));
    assert!(
        peak <= now + 4096,
        "peak RSS not reset: VmHWM {peak} kB, VmRSS {now} kB"
    );
}

fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The id the extractors derive for something inside `parent`.
pub fn child_id(parent: &str, key: &str) -> String {
    ftm::make_id(None, &[parent, key]).unwrap()
}
