//! Documents: PDF, office formats, text, markup, images, media, contacts and calendars.
//!
//! Each format family has its own module; this one only routes. What every extractor
//! emits follows Aleph's ingest-file: the file's entity narrowed to `Pages` (one `Page`
//! entity per page or slide), `PlainText`, `HyperText`, `Image`, `Audio` or `Video`, with
//! the metadata the format carries. Shared pieces: [`pages`] (emitting pages and the
//! document's searchable text), [`budget`] (the per-file text limit), [`tool`] (running
//! external converters with a timeout), [`ocr`] (Tesseract under a machine-wide budget).

use std::path::Path;

use ftm::Entity;

use crate::{Context, FileInfo, Format, IngestError, Sink};

mod budget;
mod calendar;
mod contentline;
mod dates;
mod html;
mod image;
mod json;
mod legacy;
mod libreoffice;
mod markup;
mod media;
mod ocr;
mod office;
mod pages;
mod pdf;
mod plain;
mod rtf;
mod tool;
mod vcard;
mod xml;

pub(crate) fn ingest(
    format: Format,
    entity: &mut Entity,
    path: &Path,
    info: &FileInfo,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    match format {
        Format::Pdf => pdf::ingest(entity, path, ctx, sink),
        Format::Docx => office::docx::ingest(entity, path, ctx, sink),
        Format::Pptx => office::pptx::ingest(entity, path, ctx, sink),
        Format::OpenDocument => office::odf::ingest(entity, path, ctx, sink),
        Format::LegacyOffice => legacy::ingest(entity, path, info, ctx, sink),
        Format::Rtf => rtf::ingest(entity, path, ctx, sink),
        Format::PlainText => plain::ingest(entity, path, ctx),
        Format::Html => html::ingest(entity, path, ctx),
        Format::Xml => xml::ingest(entity, path, ctx, xml::Flavour::Xml),
        Format::Svg => xml::ingest(entity, path, ctx, xml::Flavour::Svg),
        Format::Json => json::ingest(entity, path, ctx),
        Format::Image => image::ingest(entity, path, ctx),
        Format::Audio => media::ingest_audio(entity, path, info),
        Format::Video => media::ingest_video(entity, path),
        Format::VCard => vcard::ingest(entity, path, ctx, sink),
        Format::Calendar => calendar::ingest(entity, path, ctx, sink),
        _ => Err(IngestError::unsupported()),
    }
}

/// The FtM schema called `name`; every name used here is in the model, so a miss is our
/// defect, not the file's.
fn schema(name: &str) -> Result<&'static ftm::Schema, IngestError> {
    ftm::model().get(name).ok_or_else(|| {
        IngestError::new(
            crate::ErrorClass::Internal,
            format!("schema {name} is not in the FtM model"),
        )
    })
}

/// Narrow the file's entity to the schema called `name`.
fn narrow(entity: &mut Entity, name: &str) -> Result<(), IngestError> {
    entity.set_schema(schema(name)?);
    Ok(())
}

/// The id of the file's entity, which every derived entity points back to.
fn entity_id(entity: &Entity) -> Result<String, IngestError> {
    entity
        .id()
        .map(str::to_string)
        .ok_or_else(|| IngestError::new(crate::ErrorClass::Internal, "document entity has no id"))
}

/// Read at most `max` bytes of the file: text formats are cut at the text limit anyway,
/// and reading a 16 GB "text" file whole would only exhaust memory.
fn read_head(path: &Path, max: u64) -> Result<Vec<u8>, IngestError> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(path)?.take(max).read_to_end(&mut buf)?;
    Ok(buf)
}

/// A fresh path in the work directory for a temporary or derived file; `suffix` ends it
/// (`.pdf`, `.pgm`, `/` for a directory name).
fn scratch_path(ctx: &Context, suffix: &str) -> Result<std::path::PathBuf, IngestError> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    std::fs::create_dir_all(&ctx.work_dir)?;
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    Ok(ctx
        .work_dir
        .join(format!("doc-{}-{n}{suffix}", std::process::id())))
}
