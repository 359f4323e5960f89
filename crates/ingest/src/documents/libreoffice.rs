//! Converting an office file to PDF with headless LibreOffice, as Aleph does for formats
//! that have no reader of their own here (WordPerfect, Works, Visio, Publisher, Apple
//! iWork…) and for legacy Word or PowerPoint files the native readers reject.
//!
//! Every call gets its own user profile directory: LibreOffice refuses to run twice on
//! one profile, and a profile left corrupt by a killed run must not poison the next one.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{scratch_path, tool};
use crate::{Context, IngestError};

/// Most bytes of LibreOffice's chatter kept.
const MAX_OUTPUT: usize = 64 * 1024;

/// Convert `input` to PDF; `extension` (without the dot) is the file's original one,
/// which LibreOffice uses to choose an import filter when the content alone does not
/// tell. Returns the PDF's path in the work directory.
pub(crate) fn convert_to_pdf(
    input: &Path,
    extension: &str,
    ctx: &Context,
) -> Result<PathBuf, IngestError> {
    let soffice = ctx.libreoffice.as_ref().ok_or_else(|| {
        IngestError::tool(format!(
            "LibreOffice is needed to read this format (.{extension}) but is not installed"
        ))
    })?;
    let dir = scratch_path(ctx, "-soffice")?;
    std::fs::create_dir_all(&dir)?;
    let dir = dir.canonicalize()?;
    let result = run(soffice, input, extension, &dir, ctx);
    // The profile and the copy of the input are of no further use.
    let _ = std::fs::remove_dir_all(dir.join("profile"));
    let _ = std::fs::remove_dir_all(dir.join("in"));
    result
}

fn run(
    soffice: &Path,
    input: &Path,
    extension: &str,
    dir: &Path,
    ctx: &Context,
) -> Result<PathBuf, IngestError> {
    let (profile, in_dir, out_dir) = (dir.join("profile"), dir.join("in"), dir.join("out"));
    for d in [&profile, &in_dir, &out_dir] {
        std::fs::create_dir_all(d)?;
    }
    let safe_ext: String = extension
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    let source = in_dir.join(format!(
        "document.{}",
        if safe_ext.is_empty() {
            "bin"
        } else {
            &safe_ext
        }
    ));
    if std::fs::hard_link(input, &source).is_err() {
        std::fs::copy(input, &source)?;
    }
    let out = tool::run(
        Command::new(soffice)
            .arg(format!("-env:UserInstallation={}", file_url(&profile)))
            .args([
                "--headless",
                "--invisible",
                "--nocrashreport",
                "--nodefault",
                "--nofirststartwizard",
                "--nolockcheck",
                "--nologo",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
            ])
            .arg(&out_dir)
            .arg(&source)
            .env("HOME", dir),
        ctx.limits.tool_timeout,
        MAX_OUTPUT,
    )?;
    let pdf = out_dir.join("document.pdf");
    if pdf.is_file() && std::fs::metadata(&pdf)?.len() > 0 {
        return Ok(pdf);
    }
    let said = format!("{} {}", String::from_utf8_lossy(&out.stdout), out.stderr);
    if said.contains("could not be loaded") {
        return Err(IngestError::corrupt(format!(
            "LibreOffice could not open the .{extension} file (damaged or not what its name says)"
        )));
    }
    Err(IngestError::tool(format!(
        "LibreOffice did not convert the .{extension} file to PDF (exit status {}): {}",
        out.status,
        tool::last_line(said.trim())
    )))
}

/// A `file://` URL for an absolute path, with the bytes URLs cannot hold escaped.
fn file_url(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut url = String::from("file://");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_escape_odd_bytes() {
        assert_eq!(
            file_url(Path::new("/tmp/a b/ü")),
            "file:///tmp/a%20b/%C3%BC"
        );
    }
}
