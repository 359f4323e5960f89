//! Bytes in, entities and child files out.
//!
//! [`ingest`] takes one file on disk and the FtM entity that stands for it (a `Document`
//! created at upload), detects the format, and hands it to the extractor of that format
//! family. The extractor turns the entity into its final schema (`Pages`, `Email`, `Table`…),
//! sets metadata and text on it, and reports what it found through a [`Sink`]:
//! derived entities (one `Page` per page, the `Person` behind an email address), child files
//! (archive members, attachments) that are ingested as files of their own, and derived blobs
//! (the normalised CSV of a table) that the archive must keep.
//!
//! This crate knows nothing of databases, queues or the network. Limits that need a process
//! boundary (wall-clock timeouts, memory caps, surviving a hang) are the worker's job; this
//! crate enforces the limits it can check itself (sizes, counts, ratios, depth) and reports
//! every failure as an [`IngestError`] with a class the ledger can filter on.

mod containers;
pub mod detect;
mod directory;
mod dispatch;
mod documents;
pub mod error;
pub mod remote;
pub mod sink;
pub mod text;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use detect::{Format, detect};
pub use dispatch::ingest;
pub use error::{ErrorClass, IngestError};
pub use sink::{Child, CollectingSink, Sink, SinkError};

/// The name and version written to `processingAgent`.
pub const AGENT: &str = concat!("aleph-rs ingest ", env!("CARGO_PKG_VERSION"));

/// Bounds that keep one hostile or enormous file from exhausting the machine.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Largest file accepted at all.
    pub max_file_bytes: u64,
    /// Largest total of bytes unpacked from one archive.
    pub max_unpacked_bytes: u64,
    /// Largest unpacked/packed ratio of one archive member (zip bombs).
    pub max_ratio: u64,
    /// Most members taken from one archive or mailbox.
    pub max_members: u64,
    /// Deepest nesting of containers (an archive in an archive in…).
    pub max_depth: u32,
    /// Most pages read from one document.
    pub max_pages: u32,
    /// Largest image (in pixels) decoded or OCRed.
    pub max_image_pixels: u64,
    /// Most text kept from one file (in bytes); the rest is cut, and the cut is noted.
    pub max_text_bytes: usize,
    /// Time allowed to an external converter (LibreOffice, Tesseract) per call.
    pub tool_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 16 * 1024 * 1024 * 1024,
            max_unpacked_bytes: 32 * 1024 * 1024 * 1024,
            max_ratio: 200,
            max_members: 1_000_000,
            max_depth: 12,
            max_pages: 100_000,
            max_image_pixels: 200_000_000,
            max_text_bytes: 30 * 1024 * 1024,
            tool_timeout: Duration::from_secs(300),
        }
    }
}

/// OCR settings: which Tesseract to run and with which languages.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct OcrConfig {
    /// The `tesseract` executable.
    pub tesseract: PathBuf,
    /// Tesseract language codes (`eng`, `deu`…), joined with `+` on the command line.
    pub languages: Vec<String>,
}

/// Everything an extractor may use besides the file itself.
#[derive(Debug, Clone)]
pub struct Context {
    pub limits: Limits,
    /// `None` when OCR is off or Tesseract is not installed; scans then keep no text.
    pub ocr: Option<OcrConfig>,
    /// Where extractors may write temporary and child files; the caller removes it.
    pub work_dir: PathBuf,
    /// How deep in nested containers this file sits (0 for an uploaded file).
    pub depth: u32,
    /// `soffice` for legacy office formats, when installed.
    pub libreoffice: Option<PathBuf>,
}

impl Context {
    /// A context with default limits, no OCR and no LibreOffice.
    pub fn new(work_dir: impl Into<PathBuf>) -> Context {
        Context {
            limits: Limits::default(),
            ocr: None,
            work_dir: work_dir.into(),
            depth: 0,
            libreoffice: None,
        }
    }
}

/// What is known about the file besides its bytes.
#[derive(Debug, Clone, Default)]
pub struct FileInfo {
    /// The original file name (`fileName`), if any.
    pub file_name: Option<String>,
    /// A MIME type declared by the uploader or the container, if any.
    pub mime_type: Option<String>,
}

impl FileInfo {
    /// The lower-cased extension of the file name, without the dot.
    pub fn extension(&self) -> Option<String> {
        let name = self.file_name.as_deref()?;
        let ext = Path::new(name).extension()?.to_str()?;
        Some(ext.to_ascii_lowercase())
    }
}

/// The `Document` entity of a file found inside `parent`: its id is derived from the
/// parent's id and `key` (the member's path inside the container), so ingesting the same
/// container twice yields the same ids.
pub fn child_document(
    parent: &ftm::Entity,
    key: &str,
    file_name: &str,
) -> Result<ftm::Entity, IngestError> {
    let parent_id = parent
        .id()
        .ok_or_else(|| IngestError::new(ErrorClass::Internal, "parent entity has no id"))?;
    let mut child = ftm::Entity::with_id("Document", child_id(parent_id, key))?;
    child.add_cleaned("fileName", file_name)?;
    child.add_cleaned("parent", parent_id)?;
    Ok(child)
}

/// The id of something derived from the entity `parent_id` (a page, a member, a sender).
pub fn child_id(parent_id: &str, key: &str) -> String {
    ftm::make_id(None, &[parent_id, key]).unwrap_or_else(|| parent_id.to_string())
}
