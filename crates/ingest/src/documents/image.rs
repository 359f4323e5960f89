//! Images: `Image` with EXIF metadata (camera make and model as `generator`, the time
//! the picture was taken as `authoredAt`, the file's last change as `modifiedAt`, the
//! artist as `author`, the description as `summary`) and, when OCR is on, the text
//! Tesseract reads as `bodyText`. Images larger than `max_image_pixels` are refused
//! (`Limit`) before anything is decoded.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use exif::{In, Tag, Value};
use ftm::Entity;
use image::{ImageFormat, ImageReader};

use super::dates::exif_date;
use super::{narrow, ocr, plain::set_body_text, scratch_path};
use crate::{Context, IngestError};

/// Images narrower or lower than this (in pixels) are not worth a Tesseract run.
const MIN_OCR_SIDE: u32 = 24;

pub(crate) fn ingest(entity: &mut Entity, path: &Path, ctx: &Context) -> Result<(), IngestError> {
    narrow(entity, "Image")?;
    let mut reader = ImageReader::open(path)?.with_guessed_format()?;
    // Reading the size allocates nothing; our own limit is checked just below.
    reader.no_limits();
    let format = reader.format();
    // Only the header is read here: the size decides whether decoding is safe.
    let size = reader.into_dimensions();
    if let Ok((w, h)) = size {
        let pixels = u64::from(w) * u64::from(h);
        if pixels > ctx.limits.max_image_pixels {
            return Err(IngestError::limit(format!(
                "The image has {w}×{h} pixels, more than the limit of {}",
                ctx.limits.max_image_pixels
            )));
        }
    }
    exif_metadata(path, entity)?;
    let Some(config) = ctx.ocr.as_ref() else {
        return Ok(());
    };
    let Ok((w, h)) = size else {
        // Neither we nor (in all likelihood) Tesseract can decode it.
        return Err(IngestError::corrupt("The image could not be decoded"));
    };
    if w < MIN_OCR_SIDE || h < MIN_OCR_SIDE {
        // Icons and spacers hold no readable text.
        return Ok(());
    }
    let (input, converted) = ocr_input(path, format, ctx)?;
    let text = ocr::recognise(config, &input, ctx);
    if let Some(tmp) = converted {
        let _ = std::fs::remove_file(tmp);
    }
    set_body_text(entity, &text?, ctx)
}

/// Tesseract reads PNG, JPEG, TIFF, BMP and PNM itself; anything else is converted to PNG
/// first. Returns the file to read and, if made here, the temporary file to remove.
fn ocr_input(
    path: &Path,
    format: Option<ImageFormat>,
    ctx: &Context,
) -> Result<(PathBuf, Option<PathBuf>), IngestError> {
    if matches!(
        format,
        Some(
            ImageFormat::Png
                | ImageFormat::Jpeg
                | ImageFormat::Tiff
                | ImageFormat::Bmp
                | ImageFormat::Pnm
        )
    ) {
        return Ok((path.to_path_buf(), None));
    }
    let image = ImageReader::open(path)?
        .with_guessed_format()?
        .decode()
        .map_err(|e| IngestError::corrupt(format!("The image could not be decoded: {e}")))?;
    let png = scratch_path(ctx, ".png")?;
    image
        .save_with_format(&png, ImageFormat::Png)
        .map_err(|e| {
            IngestError::new(
                crate::ErrorClass::Io,
                format!("cannot write an image for OCR: {e}"),
            )
        })?;
    Ok((png.clone(), Some(png)))
}

/// The first text value of an EXIF tag in the main image.
fn text(exif: &exif::Exif, tag: Tag) -> Option<String> {
    let field = exif.get_field(tag, In::PRIMARY)?;
    let Value::Ascii(parts) = &field.value else {
        return None;
    };
    let value = String::from_utf8_lossy(parts.first()?)
        .trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .to_string();
    (!value.is_empty()).then_some(value)
}

/// EXIF metadata never fails an image: a damaged block is ignored.
fn exif_metadata(path: &Path, entity: &mut Entity) -> Result<(), IngestError> {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut BufReader::new(File::open(path)?))
    else {
        return Ok(());
    };
    let camera = [text(&exif, Tag::Make), text(&exif, Tag::Model)];
    let camera: Vec<String> = camera.into_iter().flatten().collect();
    if !camera.is_empty() {
        // Models often repeat the make ("Canon" + "Canon EOS 5D").
        let generator = match camera.as_slice() {
            [make, model] if model.starts_with(make.as_str()) => model.clone(),
            parts => parts.join(" "),
        };
        entity.add("generator", &generator)?;
    }
    if let Some(software) = text(&exif, Tag::Software) {
        entity.add("generator", &software)?;
    }
    if let Some(d) = text(&exif, Tag::DateTimeOriginal)
        .as_deref()
        .and_then(exif_date)
    {
        entity.add("authoredAt", &d)?;
    }
    if let Some(d) = text(&exif, Tag::DateTime).as_deref().and_then(exif_date) {
        entity.add("modifiedAt", &d)?;
    }
    if let Some(artist) = text(&exif, Tag::Artist) {
        entity.add("author", &artist)?;
    }
    if let Some(description) = text(&exif, Tag::ImageDescription) {
        entity.add("summary", &description)?;
    }
    Ok(())
}
