//! A PDF's document information dictionary (`/Info`) and catalog language (`/Lang`) as
//! document metadata, the way ingest-file maps them: `title`, `author`, `generator`
//! (creator and producer), `summary` (subject), `keywords`, `authoredAt` (creation
//! date), `modifiedAt`, `language`.

use ftm::Entity;
use pdf_oxide::document::PdfDocument;
use pdf_oxide::object::Object;

use crate::IngestError;
use crate::documents::dates::pdf_date;

/// Metadata fields as read from either the PDF itself or `pdfinfo`.
#[derive(Debug, Default)]
pub(super) struct Info {
    pub(super) title: Option<String>,
    pub(super) author: Option<String>,
    pub(super) subject: Option<String>,
    pub(super) keywords: Option<String>,
    pub(super) creator: Option<String>,
    pub(super) producer: Option<String>,
    /// ISO 8601 (offsets allowed).
    pub(super) created: Option<String>,
    pub(super) modified: Option<String>,
    pub(super) language: Option<String>,
    /// The number of pages, where known.
    pub(super) pages: Option<u32>,
}

impl Info {
    /// Read `/Info` and `/Lang` from an open document; parts that cannot be read are
    /// left out (metadata never fails a document).
    pub(super) fn read(doc: &PdfDocument) -> Info {
        let mut info = Info::default();
        let dict = doc
            .trailer()
            .as_dict()
            .and_then(|t| t.get("Info"))
            .and_then(|obj| doc.resolve_object(obj).ok());
        if let Some(dict) = dict.as_ref().and_then(Object::as_dict) {
            let text = |key: &str| -> Option<String> {
                let value = doc.resolve_object(dict.get(key)?).ok()?;
                let decoded = decode_text_string(value.as_string()?);
                let trimmed = decoded.trim();
                (!trimmed.is_empty()).then(|| trimmed.to_string())
            };
            info.title = text("Title");
            info.author = text("Author");
            info.subject = text("Subject");
            info.keywords = text("Keywords");
            info.creator = text("Creator");
            info.producer = text("Producer");
            info.created = text("CreationDate").as_deref().and_then(pdf_date);
            info.modified = text("ModDate").as_deref().and_then(pdf_date);
        }
        if let Ok(catalog) = doc.catalog() {
            info.language = catalog
                .as_dict()
                .and_then(|c| c.get("Lang"))
                .and_then(|l| doc.resolve_object(l).ok())
                .and_then(|l| l.as_string().map(decode_text_string));
        }
        info
    }

    /// Parse the output of `pdfinfo -isodates -enc UTF-8`.
    pub(super) fn from_pdfinfo(output: &str) -> Info {
        let mut info = Info::default();
        for line in output.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let value = Some(value.to_string());
            match key.trim() {
                "Title" => info.title = value,
                "Author" => info.author = value,
                "Subject" => info.subject = value,
                "Keywords" => info.keywords = value,
                "Creator" => info.creator = value,
                "Producer" => info.producer = value,
                "CreationDate" => info.created = value.map(full_offset),
                "ModDate" => info.modified = value.map(full_offset),
                "Pages" => info.pages = value.and_then(|v| v.parse().ok()),
                _ => {}
            }
        }
        info
    }

    /// Set the metadata on the document entity.
    pub(super) fn apply(&self, entity: &mut Entity) -> Result<(), IngestError> {
        let mut add = |prop: &str, value: &Option<String>| -> Result<(), IngestError> {
            if let Some(v) = value {
                entity.add(prop, v)?;
            }
            Ok(())
        };
        add("title", &self.title)?;
        add("author", &self.author)?;
        add("summary", &self.subject)?;
        add("generator", &self.creator)?;
        add("generator", &self.producer)?;
        add("authoredAt", &self.created)?;
        add("modifiedAt", &self.modified)?;
        add("language", &self.language)?;
        if let Some(keywords) = &self.keywords {
            for keyword in keywords.split([',', ';']) {
                entity.add("keywords", keyword.trim())?;
            }
        }
        Ok(())
    }
}

/// `pdfinfo` writes offsets as `+01`; ISO 8601 parsers want `+01:00`.
fn full_offset(date: String) -> String {
    let b = date.as_bytes();
    let n = b.len();
    if n > 3
        && matches!(b[n - 3], b'+' | b'-')
        && b[n - 2..].iter().all(u8::is_ascii_digit)
        && date.contains('T')
    {
        format!("{date}:00")
    } else {
        date
    }
}

/// A PDF text string: UTF-16BE (or, seen in the wild, UTF-16LE) with a byte-order mark,
/// UTF-8 with a mark (PDF 2.0), else PDFDocEncoding.
pub(super) fn decode_text_string(bytes: &[u8]) -> String {
    let utf16 = |le: bool| {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match bytes {
        [0xFE, 0xFF, ..] => utf16(false),
        [0xFF, 0xFE, ..] => utf16(true),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        _ => bytes.iter().map(|&b| pdf_doc_char(b)).collect(),
    }
}

/// PDFDocEncoding is Latin-1 except for a few ranges.
fn pdf_doc_char(b: u8) -> char {
    const LOW: [char; 8] = ['˘', 'ˇ', 'ˆ', '˙', '˝', '˛', '˚', '˜'];
    const HIGH: [char; 33] = [
        '•', '†', '‡', '…', '—', '–', 'ƒ', '⁄', '‹', '›', '−', '‰', '„', '“', '”', '‘', '’', '‚',
        '™', 'ﬁ', 'ﬂ', 'Ł', 'Œ', 'Š', 'Ÿ', 'Ž', 'ı', 'ł', 'œ', 'š', 'ž', '\u{FFFD}', '€',
    ];
    match b {
        0x18..=0x1F => LOW[usize::from(b - 0x18)],
        0x80..=0xA0 => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pdf_text_strings() {
        assert_eq!(decode_text_string(b"Caf\xe9 \x93x"), "Café ﬁx");
        assert_eq!(
            decode_text_string(&[0xFE, 0xFF, 0x00, 0x41, 0x04, 0x14]),
            "AД"
        );
        assert_eq!(decode_text_string("\u{feff}Grüße".as_bytes()), "Grüße");
    }

    #[test]
    fn parses_pdfinfo_output() {
        let info = Info::from_pdfinfo(
            "Title:           A report\nAuthor:          Jane Doe\nCreationDate:    2023-01-02T15:04:05+01\nPages:          3\n",
        );
        assert_eq!(info.title.as_deref(), Some("A report"));
        assert_eq!(info.author.as_deref(), Some("Jane Doe"));
        assert_eq!(info.created.as_deref(), Some("2023-01-02T15:04:05+01:00"));
    }
}
