//! From a detected format to the extractor that reads it, with panics contained.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use ftm::Entity;

use crate::{Context, FileInfo, Format, IngestError, Sink, detect, directory};

/// Ingest the file at `path` into `entity` (its `Document` entity, whose schema the
/// extractor narrows), reporting derived entities and child files to `sink`. Returns the
/// detected format. A panic inside an extractor becomes an [`IngestError`] of class
/// `internal` for this file only.
pub fn ingest(
    entity: &mut Entity,
    path: &Path,
    info: &FileInfo,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<Format, IngestError> {
    let format = detect(path, info)?;
    if !entity.has("mimeType") {
        entity.add("mimeType", &detect::mime_type_of(path, format))?;
    }
    let size = std::fs::metadata(path)?.len();
    if size > ctx.limits.max_file_bytes {
        return Err(IngestError::limit(format!(
            "file of {size} bytes exceeds the limit of {} bytes",
            ctx.limits.max_file_bytes
        )));
    }
    if ctx.depth > ctx.limits.max_depth {
        return Err(IngestError::limit(format!(
            "nested more than {} containers deep",
            ctx.limits.max_depth
        )));
    }
    let run = AssertUnwindSafe(|| extract(format, entity, path, info, ctx, sink));
    match catch_unwind(run) {
        Ok(result) => result.map(|()| format),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(IngestError::new(
                crate::ErrorClass::Internal,
                format!("extractor crashed: {what}"),
            ))
        }
    }
}

fn extract(
    format: Format,
    entity: &mut Entity,
    path: &Path,
    info: &FileInfo,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    match format {
        Format::Directory => directory::ingest(entity, path, ctx, sink),
        // Stored and listed, never parsed: it keeps its Document schema.
        Format::Ignore => Ok(()),
        Format::Unknown => Err(IngestError::unsupported()),
        Format::Pdf
        | Format::Docx
        | Format::Pptx
        | Format::OpenDocument
        | Format::LegacyOffice
        | Format::Rtf
        | Format::PlainText
        | Format::Html
        | Format::Xml
        | Format::Svg
        | Format::Json
        | Format::Image
        | Format::Audio
        | Format::Video
        | Format::VCard
        | Format::Calendar => crate::documents::ingest(format, entity, path, info, ctx, sink),
        Format::Zip
        | Format::Tar
        | Format::Gzip
        | Format::Bzip2
        | Format::Xz
        | Format::SevenZip
        | Format::Rar
        | Format::Eml
        | Format::Emlx
        | Format::OutlookMsg
        | Format::Mbox
        | Format::Pst
        | Format::Csv
        | Format::Spreadsheet
        | Format::Sqlite
        | Format::Dbf => crate::containers::ingest(format, entity, path, info, ctx, sink),
    }
}
