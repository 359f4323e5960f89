//! Debian's poppler-utils as a second opinion: `pdftotext` when the in-process reader
//! cannot read a PDF, `pdfinfo` for its metadata then, and `pdftoppm` to render a page
//! without a text layer for OCR.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::info::Info;
use crate::documents::{scratch_path, tool};
use crate::{Context, IngestError};

/// Most bytes of `pdfinfo` output read.
const MAX_INFO: usize = 64 * 1024;

/// Turn a failed poppler run into the right error: a password prompt is `Encrypted`,
/// anything else means poppler could not read the file either.
fn failure(what: &str, out: &tool::Output) -> IngestError {
    if out.stderr.contains("Incorrect password") {
        return IngestError::encrypted("The PDF");
    }
    let detail = tool::last_line(&out.stderr);
    IngestError::corrupt(format!("{what} could not read the PDF: {detail}"))
}

/// Extract the text of pages `1..=last` with `pdftotext` and hand each page (number from
/// 1, text) to `each`. Returns the number of pages.
pub(super) fn text_pages(
    path: &Path,
    last: u32,
    ctx: &Context,
    mut each: impl FnMut(u32, &str) -> Result<(), IngestError>,
) -> Result<u32, IngestError> {
    let out_path = scratch_path(ctx, ".txt")?;
    let out = tool::run(
        Command::new("pdftotext")
            .args(["-enc", "UTF-8", "-f", "1", "-l", &last.to_string()])
            .arg(path)
            .arg(&out_path),
        ctx.limits.tool_timeout,
        0,
    )?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&out_path);
        return Err(failure("pdftotext", &out));
    }
    let result = read_pages(&out_path, &mut each);
    let _ = std::fs::remove_file(&out_path);
    result
}

/// Split pdftotext's output on the form feed it ends every page with.
fn read_pages(
    path: &Path,
    each: &mut impl FnMut(u32, &str) -> Result<(), IngestError>,
) -> Result<u32, IngestError> {
    let reader = BufReader::new(std::fs::File::open(path)?);
    let mut count = 0;
    for chunk in reader.split(b'\x0c') {
        let chunk = chunk?;
        // Every page ends with a form feed; what follows the last one is not a page.
        count += 1;
        each(count, &String::from_utf8_lossy(&chunk))?;
    }
    // The segment after the final form feed is empty and was counted above.
    Ok(count.saturating_sub(1))
}

/// The metadata `pdfinfo` reads.
pub(super) fn info(path: &Path, ctx: &Context) -> Result<Info, IngestError> {
    let out = tool::run(
        Command::new("pdfinfo")
            .args(["-isodates", "-enc", "UTF-8"])
            .arg(path),
        ctx.limits.tool_timeout,
        MAX_INFO,
    )?;
    if !out.status.success() {
        return Err(failure("pdfinfo", &out));
    }
    Ok(Info::from_pdfinfo(&String::from_utf8_lossy(&out.stdout)))
}

/// Render page `page` (from 1) as a grey-scale PGM at `dpi`; returns the image's path,
/// which the caller removes.
pub(super) fn render_page(
    path: &Path,
    page: u32,
    dpi: u32,
    ctx: &Context,
) -> Result<PathBuf, IngestError> {
    let prefix = scratch_path(ctx, "-page")?;
    let n = page.to_string();
    let out = tool::run(
        Command::new("pdftoppm")
            .args([
                "-r",
                &dpi.to_string(),
                "-f",
                &n,
                "-l",
                &n,
                "-singlefile",
                "-gray",
            ])
            .arg(path)
            .arg(&prefix),
        ctx.limits.tool_timeout,
        0,
    )?;
    let image = prefix.with_extension("pgm");
    if !out.status.success() || !image.is_file() {
        let _ = std::fs::remove_file(&image);
        return Err(IngestError::tool(format!(
            "pdftoppm could not render page {page}: {}",
            tool::last_line(&out.stderr)
        )));
    }
    Ok(image)
}
