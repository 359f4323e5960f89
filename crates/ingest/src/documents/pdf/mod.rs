//! PDF: `Pages` with one `Page` per page, metadata from the information dictionary.
//!
//! The file is parsed by pdf_oxide in process (forgiving with damaged files: it rebuilds a
//! broken cross-reference table and reads what is left of a truncated file). A page's text
//! comes from our own assembler over pdf_oxide's content parser and fonts (`text.rs`: one
//! pass over the content, about 17 times cheaper than pdf_oxide's `extract_text`); a page
//! it is not sure of goes to `extract_text`, and where that fails — on the whole file or on
//! single pages — poppler's `pdftotext` is asked instead. A page that has marks but no text (a scan) is rendered with `pdftoppm` and
//! read by Tesseract when OCR is on. A PDF that needs a password fails as `Encrypted`
//! (one with an empty user password, merely restricted, is read); one that neither reader
//! can read fails as `Corrupt`. Only the first `max_pages` pages are read: the pages are
//! kept, and the file then fails as `Limit` so the cut shows in the ledger.

mod info;
mod poppler;
pub(crate) mod text;

#[cfg(test)]
mod test_pdf;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use ftm::Entity;
use pdf_oxide::document::PdfDocument;
use pdf_oxide::error::Error as OxideError;

use super::ocr;
use super::pages::{PageWriter, page_limit};
use crate::{Context, ErrorClass, IngestError, Sink};
use info::Info;

/// Whether pages are read by our own assembler (`text.rs`) before pdf_oxide's
/// `extract_text`. Off, it is the reading of session 8 exactly.
const FAST_TEXT: bool = true;

/// After this many unreadable pages in a row from the start, pdf_oxide is given up on.
const GIVE_UP_AFTER: usize = 50;

/// Resolution used to render a page for OCR, unless the page is too large for it.
const OCR_DPI: u32 = 300;

/// Whether the PDF's own metadata describes the document (no, for a PDF that LibreOffice
/// made from an office file: its metadata would only name LibreOffice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Metadata {
    Read,
    Skip,
}

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    extract(entity, path, ctx, sink, Metadata::Read)
}

/// Extract the PDF at `path` into `entity` (narrowed to `Pages`).
pub(crate) fn extract(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
    metadata: Metadata,
) -> Result<(), IngestError> {
    let doc = match guarded(|| PdfDocument::open(path)) {
        Ok(doc) => doc,
        Err(Failure::Encrypted) => return Err(IngestError::encrypted("The PDF")),
        Err(Failure::Other(why)) => return with_poppler(entity, path, ctx, sink, metadata, &why),
    };
    if doc.is_encrypted() && !doc.is_authenticated() {
        return Err(IngestError::encrypted("The PDF"));
    }
    let count = match guarded(|| doc.page_count()) {
        Ok(0) => return with_poppler(entity, path, ctx, sink, metadata, "no pages found"),
        Ok(n) => n,
        Err(Failure::Encrypted) => return Err(IngestError::encrypted("The PDF")),
        Err(Failure::Other(why)) => return with_poppler(entity, path, ctx, sink, metadata, &why),
    };
    if metadata == Metadata::Read {
        Info::read(&doc).apply(entity)?;
    }
    with_oxide(&doc, count, entity, path, ctx, sink, metadata)
}

/// Read the pages with pdf_oxide, asking pdftotext for those it cannot read.
fn with_oxide(
    doc: &PdfDocument,
    count: usize,
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
    metadata: Metadata,
) -> Result<(), IngestError> {
    let wanted = count.min(ctx.limits.max_pages as usize);
    let mut writer = PageWriter::start(entity, ctx, sink)?;
    let mut ocr_errors = OcrErrors::default();
    let mut failed: Vec<u32> = Vec::new();
    let mut first_error = None;
    // Our own assembler where it is sure of the text; pdf_oxide's where not, or where
    // ours fails on the document (then for the rest of it).
    let mut fast = (FAST_TEXT && !doc.is_encrypted()).then(|| text::Assembler::new(doc));
    for i in 0..wanted {
        let number = page_number(i);
        if let Some(assembler) = fast.as_mut() {
            match catch_unwind(AssertUnwindSafe(|| assembler.page(i))) {
                Ok(Ok(text)) => {
                    let text = with_ocr(text, number, Some((doc, i)), path, ctx, &mut ocr_errors);
                    writer.page(number, &text)?;
                    continue;
                }
                Ok(Err(_)) => {}
                Err(_) => fast = None,
            }
        }
        match guarded(|| doc.extract_text(i)) {
            Ok(text) => {
                let text = with_ocr(text, number, Some((doc, i)), path, ctx, &mut ocr_errors);
                writer.page(number, &text)?;
            }
            Err(Failure::Encrypted) => return Err(IngestError::encrypted("The PDF")),
            Err(Failure::Other(why)) => {
                first_error.get_or_insert(why);
                failed.push(number);
                if writer.count() == 0 && failed.len() >= GIVE_UP_AFTER {
                    break;
                }
            }
        }
    }
    if writer.count() == 0 && failed.len() >= GIVE_UP_AFTER.min(wanted) {
        // Nothing readable: let poppler have the whole file.
        drop(writer);
        let why = first_error.unwrap_or_default();
        return with_poppler(entity, path, ctx, sink, metadata, &why);
    }
    let mut count = count;
    if !failed.is_empty() {
        // Fill the pages pdf_oxide could not read from pdftotext's reading of the file.
        let last = failed.last().copied().unwrap_or(1);
        let mut missing = failed.iter().copied().peekable();
        let filled = poppler::text_pages(path, last, ctx, |number, text| {
            if missing.peek() == Some(&number) {
                missing.next();
                let text = with_ocr(
                    text.to_string(),
                    number,
                    Some((doc, number as usize - 1)),
                    path,
                    ctx,
                    &mut ocr_errors,
                );
                writer.page(number, &text)?;
            }
            Ok(())
        });
        match filled {
            // pdftotext ran out of pages first: the page tree overstated the count.
            Ok(seen) if seen < last => {
                count = count.min(writer.count() as usize).max(seen as usize)
            }
            Ok(_) => {}
            // Pages neither reader could read still exist; they stay empty.
            Err(_) => {
                for number in missing {
                    writer.page(number, "")?;
                }
            }
        }
    }
    writer.finish(entity)?;
    ocr_errors.into_result()?;
    page_limit("The PDF", count, ctx)
}

/// Read the whole file with poppler; `why` is what pdf_oxide said.
fn with_poppler(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
    metadata: Metadata,
    why: &str,
) -> Result<(), IngestError> {
    let unreadable = |err: IngestError| -> IngestError {
        match err.class {
            ErrorClass::Encrypted | ErrorClass::Limit => err,
            _ => IngestError::corrupt(format!("The PDF could not be read ({why}; {err})")),
        }
    };
    let info = poppler::info(path, ctx).map_err(unreadable)?;
    if metadata == Metadata::Read {
        info.apply(entity)?;
    }
    let mut writer = PageWriter::start(entity, ctx, sink)?;
    let mut ocr_errors = OcrErrors::default();
    let count = poppler::text_pages(path, ctx.limits.max_pages, ctx, |number, text| {
        let text = with_ocr(text.to_string(), number, None, path, ctx, &mut ocr_errors);
        writer.page(number, &text)
    })
    .map_err(unreadable)?;
    if count == 0 {
        return Err(IngestError::corrupt(format!(
            "The PDF has no readable pages ({why})"
        )));
    }
    writer.finish(entity)?;
    ocr_errors.into_result()?;
    page_limit(
        "The PDF",
        info.pages.map_or(count as usize, |p| p as usize),
        ctx,
    )
}

fn page_number(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

/// A page whose text layer is empty is OCRed when OCR is on and the page shows anything.
fn with_ocr(
    text: String,
    number: u32,
    oxide: Option<(&PdfDocument, usize)>,
    path: &Path,
    ctx: &Context,
    errors: &mut OcrErrors,
) -> String {
    let Some(config) = ctx.ocr.as_ref() else {
        return text;
    };
    if !text.trim().is_empty() {
        return text;
    }
    if let Some((doc, index)) = oxide
        && !has_marks(doc, index)
    {
        return text;
    }
    let size = oxide.and_then(|(doc, index)| doc.get_page_media_box(index).ok());
    let dpi = render_dpi(size, ctx.limits.max_image_pixels);
    let result = poppler::render_page(path, number, dpi, ctx).and_then(|image| {
        let text = ocr::recognise(config, &image, ctx);
        let _ = std::fs::remove_file(&image);
        text
    });
    match result {
        Ok(text) => text,
        Err(err) => {
            errors.add(number, err);
            text
        }
    }
}

/// Whether a page draws anything at all: an image or other object, or a non-empty content
/// stream. Blank pages are not worth a Tesseract run.
fn has_marks(doc: &PdfDocument, index: usize) -> bool {
    let xobjects = guarded(|| doc.get_page(index)).ok().and_then(|page| {
        let resources = page.as_dict()?.get("Resources")?.clone();
        let resources = guarded(|| doc.resolve_object(&resources)).ok()?;
        let xobjects = resources.as_dict()?.get("XObject")?.clone();
        let xobjects = guarded(|| doc.resolve_object(&xobjects)).ok()?;
        xobjects.as_dict().map(|d| !d.is_empty())
    });
    if xobjects == Some(true) {
        return true;
    }
    guarded(|| doc.get_page_content_data(index))
        .map_or(true, |data| data.iter().any(|b| !b.is_ascii_whitespace()))
}

/// The resolution at which a page of `size` (PDF points) stays within `max_pixels`.
fn render_dpi(size: Option<(f32, f32, f32, f32)>, max_pixels: u64) -> u32 {
    let Some((x0, y0, x1, y1)) = size else {
        return OCR_DPI;
    };
    let (w, h) = (
        f64::from((x1 - x0).abs()) / 72.0,
        f64::from((y1 - y0).abs()) / 72.0,
    );
    if !(w > 0.0 && h > 0.0 && w.is_finite() && h.is_finite()) {
        return OCR_DPI;
    }
    let fit = (max_pixels as f64 / (w * h)).sqrt();
    // A bounded float converted to an integer: truncation is intended.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let fit = fit.clamp(1.0, f64::from(OCR_DPI)) as u32;
    fit.min(OCR_DPI)
}

/// OCR failures are collected so that one bad page does not lose the others; the file
/// then fails as `Tool` (after its pages were kept) and can be retried.
#[derive(Default)]
struct OcrErrors {
    pages: Vec<u32>,
    first: Option<IngestError>,
}

impl OcrErrors {
    fn add(&mut self, page: u32, err: IngestError) {
        self.pages.push(page);
        self.first.get_or_insert(err);
    }

    fn into_result(self) -> Result<(), IngestError> {
        match self.first {
            None => Ok(()),
            Some(first) => Err(IngestError::new(
                first.class,
                format!(
                    "OCR failed on {} page(s), first page {}: {}",
                    self.pages.len(),
                    self.pages[0],
                    first.message
                ),
            )),
        }
    }
}

/// Why pdf_oxide could not do something.
enum Failure {
    Encrypted,
    Other(String),
}

/// Run a pdf_oxide call, turning a panic inside it into an error: a damaged file must not
/// take the whole document down when pdftotext might still read it.
fn guarded<T>(f: impl FnOnce() -> Result<T, OxideError>) -> Result<T, Failure> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(OxideError::EncryptedPdf)) => Err(Failure::Encrypted),
        Ok(Err(err)) => Err(Failure::Other(err.to_string())),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(Failure::Other(format!("PDF reader crashed: {what}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CollectingSink;

    /// A one-object-per-line PDF with two pages of text and a title.
    fn two_page_pdf() -> Vec<u8> {
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
            "<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 /MediaBox [0 0 612 792] >>".to_string(),
            "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 7 0 R >> >> /Contents 4 0 R >>".to_string(),
            super::test_pdf::stream_body("", "BT /F1 12 Tf 72 700 Td (First page from poppler) Tj ET"),
            "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 7 0 R >> >> /Contents 6 0 R >>".to_string(),
            super::test_pdf::stream_body("", "BT /F1 12 Tf 72 700 Td (Second page from poppler) Tj ET"),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
            "<< /Title (Fallback title) >>".to_string(),
        ];
        super::test_pdf::from_objects(&objects, " /Info 8 0 R")
    }

    #[test]
    fn poppler_reads_what_pdf_oxide_cannot() {
        // The fallback path on its own: pdftotext pages and pdfinfo metadata.
        let dir = std::env::temp_dir().join(format!("pdf-poppler-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("two.pdf");
        std::fs::write(&path, two_page_pdf()).unwrap();
        let ctx = Context::new(dir.join("work"));
        let mut entity = Entity::with_id("Document", "doc").unwrap();
        let mut sink = CollectingSink::default();
        with_poppler(
            &mut entity,
            &path,
            &ctx,
            &mut sink,
            Metadata::Read,
            "pretend failure",
        )
        .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(entity.schema().name(), "Pages");
        assert_eq!(entity.first("title"), Some("Fallback title"));
        let texts: Vec<&str> = sink
            .entities
            .iter()
            .map(|p| p.first("bodyText").unwrap_or(""))
            .collect();
        assert_eq!(
            texts,
            ["First page from poppler", "Second page from poppler"]
        );
    }

    #[test]
    fn render_resolution_keeps_within_the_pixel_limit() {
        // A4 at 300 dpi is 8.7 million pixels.
        assert_eq!(render_dpi(Some((0.0, 0.0, 595.0, 842.0)), 200_000_000), 300);
        let dpi = render_dpi(Some((0.0, 0.0, 595.0, 842.0)), 1_000_000);
        let pixels = (595.0 / 72.0 * f64::from(dpi)) * (842.0 / 72.0 * f64::from(dpi));
        assert!(pixels <= 1_000_000.0 && dpi > 50, "{dpi}");
        assert_eq!(render_dpi(None, 1000), 300);
    }
}
