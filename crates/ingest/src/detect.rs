//! What kind of file is this? Magic bytes first, then the declared MIME type, then the
//! extension — so a PDF renamed to `.docx` is still read as a PDF, and a CSV (which has
//! no magic) is recognised by its name.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha1::{Digest, Sha1};

use crate::FileInfo;

/// The formats we tell apart; each is handled by one extractor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A directory (crawls and archives).
    Directory,
    /// Empty files and system junk (`.DS_Store`, `Thumbs.db`): recorded, not parsed.
    Ignore,
    /// Nothing we can read.
    Unknown,

    Pdf,
    /// Word (`.docx`, `.docm`, `.dotx`).
    Docx,
    /// PowerPoint (`.pptx`, `.ppsx`, `.potx`).
    Pptx,
    /// OpenDocument text and presentations (`.odt`, `.odp`).
    OpenDocument,
    /// Binary office formats and other word processors (`.doc`, `.ppt`, `.wpd`…).
    LegacyOffice,
    Rtf,
    PlainText,
    Html,
    Xml,
    Svg,
    Json,
    Image,
    Audio,
    Video,
    VCard,
    Calendar,

    Zip,
    Tar,
    Gzip,
    Bzip2,
    Xz,
    SevenZip,
    Rar,
    Eml,
    Emlx,
    OutlookMsg,
    Mbox,
    Pst,

    Csv,
    /// Excel and OpenDocument workbooks (`.xls`, `.xlsx`, `.xlsb`, `.ods`).
    Spreadsheet,
    Sqlite,
    Dbf,
}

impl Format {
    /// The MIME type to record when the file did not come with one.
    pub fn mime_type(self) -> Option<&'static str> {
        Some(match self {
            Format::Directory => "inode/directory",
            Format::Pdf => "application/pdf",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            Format::Rtf => "application/rtf",
            Format::PlainText => "text/plain",
            Format::Html => "text/html",
            Format::Xml => "text/xml",
            Format::Svg => "image/svg+xml",
            Format::Json => "application/json",
            Format::VCard => "text/vcard",
            Format::Calendar => "text/calendar",
            Format::Zip => "application/zip",
            Format::Tar => "application/x-tar",
            Format::Gzip => "application/gzip",
            Format::Bzip2 => "application/x-bzip2",
            Format::Xz => "application/x-xz",
            Format::SevenZip => "application/x-7z-compressed",
            Format::Rar => "application/vnd.rar",
            Format::Eml => "message/rfc822",
            Format::Emlx => "message/x-emlx",
            Format::OutlookMsg => "application/vnd.ms-outlook",
            Format::Mbox => "application/mbox",
            Format::Pst => "application/vnd.ms-outlook-pst",
            Format::Csv => "text/csv",
            Format::Sqlite => "application/vnd.sqlite3",
            Format::Dbf => "application/x-dbf",
            _ => return None,
        })
    }
}

impl Format {
    /// The FtM schema a file of this format becomes; a file that fails to be read keeps
    /// it too (as Aleph, where the ingestor picks the schema before parsing).
    pub fn schema(self) -> &'static str {
        match self {
            Format::Directory => "Folder",
            Format::Ignore | Format::Unknown | Format::Json => "Document",
            Format::Pdf
            | Format::Docx
            | Format::Pptx
            | Format::OpenDocument
            | Format::LegacyOffice
            | Format::Rtf => "Pages",
            Format::PlainText | Format::VCard | Format::Calendar => "PlainText",
            Format::Html | Format::Xml | Format::Svg => "HyperText",
            Format::Image => "Image",
            Format::Audio => "Audio",
            Format::Video => "Video",
            Format::Zip
            | Format::Tar
            | Format::Gzip
            | Format::Bzip2
            | Format::Xz
            | Format::SevenZip
            | Format::Rar
            | Format::Mbox
            | Format::Pst => "Package",
            Format::Eml | Format::Emlx | Format::OutlookMsg => "Email",
            Format::Csv | Format::Dbf => "Table",
            Format::Spreadsheet | Format::Sqlite => "Workbook",
        }
    }
}

/// The MIME type to record for a file of `format` at `path` that came without one: the
/// format's own type, else what the magic bytes say.
pub fn mime_type_of(path: &Path, format: Format) -> String {
    if let Some(mime) = format.mime_type() {
        return mime.to_string();
    }
    if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
        return "application/x-empty".to_string();
    }
    file_format::FileFormat::from_file(path)
        .map(|f| f.media_type().to_ascii_lowercase())
        .unwrap_or_else(|_| "application/octet-stream".to_string())
}

/// Names of files that are stored but never parsed.
const JUNK_NAMES: [&str; 4] = [".ds_store", "thumbs.db", "desktop.ini", ".localized"];

/// Decide the format of the file at `path`.
pub fn detect(path: &Path, info: &FileInfo) -> io::Result<Format> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Ok(Format::Directory);
    }
    let name = info.file_name.as_deref().unwrap_or_default().to_lowercase();
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    if meta.len() == 0 || JUNK_NAMES.contains(&base) || base.starts_with("._") {
        return Ok(Format::Ignore);
    }
    let magic = file_format::FileFormat::from_file(path)?;
    let sniffed = magic.media_type().to_ascii_lowercase();
    let ext = info.extension();
    let declared = info
        .mime_type
        .as_deref()
        .map(|m| m.split(';').next().unwrap_or(m).trim().to_ascii_lowercase());

    if let Some(format) = from_mime(&sniffed).filter(|_| !is_generic(&sniffed)) {
        // Magic knows a container (zip, CFB) only as such; the name may say what is inside.
        return Ok(refine(format, ext.as_deref()));
    }
    if let Some(format) = declared
        .as_deref()
        .filter(|m| !is_generic(m))
        .and_then(from_mime)
    {
        return Ok(refine(format, ext.as_deref()));
    }
    if let Some(format) = ext.as_deref().and_then(from_extension) {
        return Ok(format);
    }
    // Text has no magic: look inside before settling for plain text.
    if sniffed.starts_with("text/") || looks_like_text(path)? {
        return sniff_text(path);
    }
    if let Some(format) = from_mime(&sniffed) {
        return Ok(format);
    }
    Ok(Format::Unknown)
}

/// MIME types that say little about the content.
fn is_generic(mime: &str) -> bool {
    matches!(
        mime,
        "application/octet-stream"
            | "text/plain"
            | "application/x-empty"
            | "application/zip"
            | "application/x-cfb"
            | "application/x-ole-storage"
    )
}

/// Magic (or a declared type) says "zip", "compound file" or "Outlook"; the extension may
/// name the real format.
fn refine(format: Format, ext: Option<&str>) -> Format {
    match (format, ext.and_then(from_extension)) {
        (
            Format::Zip,
            Some(f @ (Format::Docx | Format::Pptx | Format::OpenDocument | Format::Spreadsheet)),
        ) => f,
        // `application/vnd.ms-outlook` is what MIME tables give both single messages
        // (.msg) and whole stores (.pst, .ost).
        (Format::OutlookMsg, Some(Format::Pst)) => Format::Pst,
        _ => format,
    }
}

fn from_mime(mime: &str) -> Option<Format> {
    Some(match mime {
        "inode/directory" => Format::Directory,
        "application/pdf" | "application/x-pdf" => Format::Pdf,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.ms-word.document.macroenabled.12"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.template" => Format::Docx,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        | "application/vnd.openxmlformats-officedocument.presentationml.slideshow"
        | "application/vnd.openxmlformats-officedocument.presentationml.template" => Format::Pptx,
        "application/vnd.oasis.opendocument.text"
        | "application/vnd.oasis.opendocument.presentation"
        | "application/vnd.oasis.opendocument.text-template"
        | "application/vnd.oasis.opendocument.presentation-template" => Format::OpenDocument,
        "application/msword"
        | "application/vnd.ms-powerpoint"
        | "application/vnd.wordperfect"
        | "application/wordperfect"
        | "application/vnd.ms-works"
        | "application/x-hwp" => Format::LegacyOffice,
        "application/rtf" | "text/rtf" => Format::Rtf,
        "text/plain" => Format::PlainText,
        "text/html" | "application/xhtml+xml" => Format::Html,
        "text/xml" | "application/xml" => Format::Xml,
        "image/svg+xml" => Format::Svg,
        "application/json" | "text/json" => Format::Json,
        "text/vcard" | "text/x-vcard" | "text/directory" => Format::VCard,
        "text/calendar" => Format::Calendar,
        "application/zip" | "application/x-zip-compressed" => Format::Zip,
        "application/x-tar" | "application/x-gtar" => Format::Tar,
        "application/gzip" | "application/x-gzip" => Format::Gzip,
        "application/x-bzip2" | "application/x-bzip" => Format::Bzip2,
        "application/x-xz" => Format::Xz,
        "application/x-7z-compressed" => Format::SevenZip,
        "application/vnd.rar" | "application/x-rar-compressed" | "application/x-rar" => Format::Rar,
        "message/rfc822" => Format::Eml,
        "message/x-emlx" => Format::Emlx,
        "application/vnd.ms-outlook" => Format::OutlookMsg,
        "application/mbox" => Format::Mbox,
        "application/vnd.ms-outlook-pst" => Format::Pst,
        "text/csv" | "text/tab-separated-values" => Format::Csv,
        "application/vnd.ms-excel"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        | "application/vnd.ms-excel.sheet.macroenabled.12"
        | "application/vnd.ms-excel.sheet.binary.macroenabled.12"
        | "application/vnd.oasis.opendocument.spreadsheet" => Format::Spreadsheet,
        "application/vnd.sqlite3" | "application/x-sqlite3" => Format::Sqlite,
        "application/x-dbf" | "application/dbase" => Format::Dbf,
        m if m.starts_with("image/") => Format::Image,
        m if m.starts_with("audio/") => Format::Audio,
        m if m.starts_with("video/") => Format::Video,
        _ => return None,
    })
}

fn from_extension(ext: &str) -> Option<Format> {
    Some(match ext {
        "pdf" => Format::Pdf,
        "docx" | "docm" | "dotx" | "dotm" => Format::Docx,
        "pptx" | "pptm" | "ppsx" | "potx" => Format::Pptx,
        "odt" | "ott" | "odp" | "otp" => Format::OpenDocument,
        "doc" | "dot" | "ppt" | "pps" | "pot" | "wpd" | "wps" | "wri" | "hwp" | "lwp" | "pages"
        | "key" | "vsd" | "pub" => Format::LegacyOffice,
        "rtf" => Format::Rtf,
        "txt" | "text" | "md" | "rst" | "nfo" | "log" | "asc" => Format::PlainText,
        "html" | "htm" | "xhtml" | "shtml" => Format::Html,
        "xml" => Format::Xml,
        "svg" => Format::Svg,
        "json" | "geojson" => Format::Json,
        "vcf" | "vcard" => Format::VCard,
        "ics" | "ical" | "ifb" => Format::Calendar,
        "jpg" | "jpeg" | "jpe" | "png" | "gif" | "bmp" | "tif" | "tiff" | "webp" | "pbm"
        | "pgm" | "ppm" => Format::Image,
        "mp3" | "wav" | "flac" | "ogg" | "oga" | "opus" | "m4a" | "aac" | "wma" => Format::Audio,
        "mp4" | "m4v" | "mov" | "avi" | "mkv" | "webm" | "mpg" | "mpeg" | "wmv" => Format::Video,
        "zip" => Format::Zip,
        "tar" => Format::Tar,
        "gz" | "tgz" => Format::Gzip,
        "bz2" | "tbz2" => Format::Bzip2,
        "xz" | "txz" => Format::Xz,
        "7z" => Format::SevenZip,
        "rar" => Format::Rar,
        "eml" | "rfc822" | "email" => Format::Eml,
        "emlx" => Format::Emlx,
        "msg" => Format::OutlookMsg,
        "mbox" | "mbx" => Format::Mbox,
        "pst" | "ost" => Format::Pst,
        "csv" | "tsv" | "tab" => Format::Csv,
        "xls" | "xlsx" | "xlsm" | "xlsb" | "xlt" | "xltx" | "ods" | "ots" => Format::Spreadsheet,
        "sqlite" | "sqlite3" | "db" => Format::Sqlite,
        "dbf" => Format::Dbf,
        _ => return None,
    })
}

/// Read the first 8 KiB and decide whether it is text: no NUL bytes and mostly valid UTF-8
/// or printable single-byte text.
fn looks_like_text(path: &Path) -> io::Result<bool> {
    let head = read_head(path, 8192)?;
    if head.is_empty() || head.contains(&0) {
        return Ok(false);
    }
    let valid_utf8 = match std::str::from_utf8(&head) {
        Ok(_) => true,
        // A multi-byte character cut at the end of the window is still UTF-8.
        Err(e) => e.error_len().is_none(),
    };
    if valid_utf8 {
        return Ok(true);
    }
    let control = head
        .iter()
        .filter(|b| **b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    Ok(control * 100 < head.len())
}

/// Text without a telling name: look for an email header block, a mailbox, or markup.
fn sniff_text(path: &Path) -> io::Result<Format> {
    let head = read_head(path, 4096)?;
    let text = String::from_utf8_lossy(&head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("from ") && lower.contains("\nfrom:") {
        return Ok(Format::Mbox);
    }
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
        return Ok(Format::Html);
    }
    if lower.starts_with("<?xml") {
        return Ok(if lower.contains("<svg") {
            Format::Svg
        } else {
            Format::Xml
        });
    }
    if lower.starts_with("begin:vcard") {
        return Ok(Format::VCard);
    }
    if lower.starts_with("begin:vcalendar") {
        return Ok(Format::Calendar);
    }
    let header_lines = trimmed
        .lines()
        .take(20)
        .take_while(|l| !l.is_empty())
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            [
                "from:",
                "to:",
                "subject:",
                "date:",
                "message-id:",
                "received:",
                "mime-version:",
            ]
            .iter()
            .any(|h| l.starts_with(h))
        })
        .count();
    if header_lines >= 2 {
        return Ok(Format::Eml);
    }
    Ok(Format::PlainText)
}

fn read_head(path: &Path, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(n);
    File::open(path)?.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// The hex SHA-1 of a file's bytes, as Aleph's archive keys blobs.
pub fn sha1_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha1::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect_bytes(name: &str, bytes: &[u8]) -> Format {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, bytes).unwrap();
        let info = FileInfo {
            file_name: Some(name.to_string()),
            mime_type: None,
        };
        detect(&path, &info).unwrap()
    }

    #[test]
    fn magic_beats_a_wrong_extension() {
        assert_eq!(detect_bytes("report.docx", b"%PDF-1.4\n%..."), Format::Pdf);
        assert_eq!(detect_bytes("x.txt", b"%PDF-1.7\n"), Format::Pdf);
    }

    #[test]
    fn text_formats_by_name_and_content() {
        assert_eq!(detect_bytes("a.csv", b"a,b\n1,2\n"), Format::Csv);
        assert_eq!(detect_bytes("a.json", b"{\"a\": 1}"), Format::Json);
        assert_eq!(
            detect_bytes("notes", b"just some words\n"),
            Format::PlainText
        );
        assert_eq!(
            detect_bytes(
                "message",
                b"From: a@b.org\nTo: c@d.org\nSubject: hi\n\nbody"
            ),
            Format::Eml
        );
        assert_eq!(
            detect_bytes("page", b"<!DOCTYPE html><html></html>"),
            Format::Html
        );
    }

    #[test]
    fn junk_and_empty_files_are_ignored() {
        assert_eq!(detect_bytes(".DS_Store", b"\0\0\0\x01Bud1"), Format::Ignore);
        assert_eq!(detect_bytes("Thumbs.db", b"xyz"), Format::Ignore);
        assert_eq!(detect_bytes("empty.pdf", b""), Format::Ignore);
    }

    #[test]
    fn an_outlook_store_declared_as_outlook_is_still_a_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"!BDN an Outlook store").unwrap();
        let as_declared = |name: &str| {
            let info = FileInfo {
                file_name: Some(name.to_string()),
                mime_type: Some("application/vnd.ms-outlook".to_string()),
            };
            detect(&path, &info).unwrap()
        };
        assert_eq!(as_declared("mail.pst"), Format::Pst);
        assert_eq!(as_declared("offline.OST"), Format::Pst);
        assert_eq!(as_declared("message.msg"), Format::OutlookMsg);
    }

    #[test]
    fn binary_without_a_clue_is_unknown() {
        assert_eq!(
            detect_bytes("blob", &[0u8, 1, 2, 3, 200, 201, 0, 9]),
            Format::Unknown
        );
    }

    #[test]
    fn sha1_matches_known_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            sha1_file(&path).unwrap(),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }
}
