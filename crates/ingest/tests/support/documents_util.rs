//! Shared helpers for the document tests: run `ingest` on a generated file and look at
//! what came out.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use ftm::Entity;
use ingest::{CollectingSink, Context, ErrorClass, FileInfo, Format, IngestError, OcrConfig};

/// The id given to every file under test.
pub const DOC_ID: &str = "doc-under-test";

/// One ingest run: the outcome, the file's entity afterwards, what the sink received.
pub struct Run {
    pub result: Result<Format, IngestError>,
    pub entity: Entity,
    pub sink: CollectingSink,
    pub dir: tempfile::TempDir,
}

impl Run {
    /// The run succeeded; its format.
    pub fn ok(&self) -> Format {
        match &self.result {
            Ok(format) => *format,
            Err(e) => panic!("ingest failed ({}): {}", e.class, e.message),
        }
    }

    /// The run failed with `class`; its message.
    pub fn failed(&self, class: ErrorClass) -> &str {
        match &self.result {
            Err(e) if e.class == class => &e.message,
            Err(e) => panic!("expected a {class} failure, got {}: {}", e.class, e.message),
            Ok(f) => panic!("expected a {class} failure, got success ({f:?})"),
        }
    }

    pub fn schema(&self) -> &str {
        self.entity.schema().name()
    }

    pub fn first(&self, prop: &str) -> &str {
        self.entity
            .first(prop)
            .unwrap_or_else(|| panic!("document has no {prop}: {:?}", self.entity.to_json()))
    }

    /// Entities of one schema, in the order they were emitted.
    pub fn entities(&self, schema: &str) -> Vec<&Entity> {
        self.sink
            .entities
            .iter()
            .filter(|e| e.schema().name() == schema)
            .collect()
    }

    /// The `Page` entities ordered by their index.
    pub fn pages(&self) -> Vec<&Entity> {
        let mut pages = self.entities("Page");
        pages.sort_by_key(|p| {
            p.first("index")
                .and_then(|i| i.parse::<u32>().ok())
                .unwrap_or(0)
        });
        pages
    }

    /// The text of each page, by index.
    pub fn page_texts(&self) -> Vec<String> {
        self.pages()
            .iter()
            .map(|p| p.first("bodyText").unwrap_or("").to_string())
            .collect()
    }
}

/// A context whose work directory lives under `dir`.
pub fn context(dir: &Path) -> Context {
    let mut ctx = Context::new(dir.join("work"));
    ctx.limits.tool_timeout = Duration::from_secs(120);
    ctx
}

/// OCR with Debian's Tesseract (English and German), as the tests install it.
pub fn with_ocr(mut ctx: Context) -> Context {
    ctx.ocr = Some(OcrConfig {
        tesseract: PathBuf::from("tesseract"),
        languages: vec!["eng".to_string(), "deu".to_string()],
    });
    ctx
}

/// LibreOffice from Debian, as the tests install it.
pub fn with_libreoffice(mut ctx: Context) -> Context {
    ctx.libreoffice = Some(PathBuf::from("soffice"));
    ctx
}

/// Ingest `bytes` as a file called `name` with a default context.
pub fn ingest_bytes(name: &str, bytes: &[u8]) -> Run {
    ingest_bytes_with(name, bytes, context)
}

/// Ingest `bytes` as a file called `name`, with the context `make` builds for a directory.
pub fn ingest_bytes_with(name: &str, bytes: &[u8], make: impl FnOnce(&Path) -> Context) -> Run {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("upload.bin");
    std::fs::write(&path, bytes).expect("write the test file");
    let ctx = make(dir.path());
    ingest_path(&path, name, &ctx, dir)
}

/// Ingest the file at `path` as a file called `name`.
pub fn ingest_path(path: &Path, name: &str, ctx: &Context, dir: tempfile::TempDir) -> Run {
    let mut entity = Entity::with_id("Document", DOC_ID).expect("a Document entity");
    entity.add("fileName", name).expect("fileName");
    let info = FileInfo {
        file_name: Some(name.to_string()),
        mime_type: None,
    };
    let mut sink = CollectingSink::default();
    let result = ingest::ingest(&mut entity, path, &info, ctx, &mut sink);
    Run {
        result,
        entity,
        sink,
        dir,
    }
}

/// Run a command that makes a test file (LibreOffice, pdftoppm); it must succeed.
pub fn run_tool(program: &str, args: &[&std::ffi::OsStr]) {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed by this test (Debian package): {e}"));
    assert!(
        out.status.success(),
        "{program} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
