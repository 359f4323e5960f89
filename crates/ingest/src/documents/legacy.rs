//! Binary office formats and other word processors.
//!
//! Word 97–2003 (`.doc`, also Word 6/95) and PowerPoint 97–2003 (`.ppt`) are read natively
//! with office_oxide: a `.doc` becomes one page (its page breaks are not kept by the
//! reader), a `.ppt` one page per slide with its notes. Their OLE summary information
//! gives title, author, subject, keywords and dates. Everything else (WordPerfect, Works,
//! Write, Visio, Publisher, Lotus, Hangul, Apple iWork…), and a Word or PowerPoint file
//! the native reader rejects, goes through LibreOffice to PDF; the PDF is kept as a blob
//! (`pdfHash`) and read like any PDF.

use std::fs::File;
use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use ftm::Entity;
use office_oxide::cfb::SummaryProperties;
use office_oxide::doc::{DocDocument, DocError};
use office_oxide::ppt::{PptDocument, PptError, TextType};

use super::dates::utc_offset;
use super::pages::{PageWriter, page_limit};
use super::{libreoffice, narrow, pdf};
use crate::{Context, FileInfo, IngestError, Sink};

const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// What an OLE compound file holds.
enum Kind {
    Word,
    PowerPoint,
    /// An OOXML file under a password, wearing a legacy name.
    EncryptedPackage,
    OtherOle,
    NotOle,
}

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    info: &FileInfo,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let extension = info.extension().unwrap_or_else(|| "bin".to_string());
    let native = match kind(path)? {
        Kind::EncryptedPackage => return Err(IngestError::encrypted("The office document")),
        Kind::Word => guarded(|| word(entity, path, ctx, sink)),
        Kind::PowerPoint => guarded(|| powerpoint(entity, path, ctx, sink)),
        Kind::OtherOle => {
            ole_metadata(path, entity)?;
            return via_pdf(entity, path, &extension, ctx, sink);
        }
        Kind::NotOle => return via_pdf(entity, path, &extension, ctx, sink),
    };
    match native {
        Ok(()) => Ok(()),
        Err(Native::Encrypted) => Err(IngestError::encrypted("The office document")),
        Err(Native::Fatal(err)) => Err(err),
        // The native reader gave up: LibreOffice may do better, if it is here.
        Err(Native::Unreadable(why)) => match ctx.libreoffice {
            Some(_) => {
                ole_metadata(path, entity)?;
                via_pdf(entity, path, &extension, ctx, sink)
            }
            None => Err(IngestError::corrupt(format!(
                "The .{extension} file could not be read: {why}"
            ))),
        },
    }
}

fn kind(path: &Path) -> Result<Kind, IngestError> {
    let mut head = [0u8; 8];
    let n = File::open(path)?.read(&mut head)?;
    if n < 8 || head != CFB_MAGIC {
        return Ok(Kind::NotOle);
    }
    let Ok(file) = cfb::open(path) else {
        return Ok(Kind::OtherOle);
    };
    Ok(if file.exists("/WordDocument") {
        Kind::Word
    } else if file.exists("/PowerPoint Document") {
        Kind::PowerPoint
    } else if file.exists("/EncryptedPackage") {
        Kind::EncryptedPackage
    } else {
        Kind::OtherOle
    })
}

/// How a native read ended, short of success.
enum Native {
    Encrypted,
    /// The reader could not parse the file.
    Unreadable(String),
    /// Something other than the file went wrong (the sink refused, a defect).
    Fatal(IngestError),
}

fn guarded(f: impl FnOnce() -> Result<(), Native>) -> Result<(), Native> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(Native::Unreadable("the reader crashed".to_string())))
}

impl From<IngestError> for Native {
    fn from(err: IngestError) -> Native {
        Native::Fatal(err)
    }
}

fn word(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), Native> {
    let doc = DocDocument::open(path).map_err(|e| match e {
        DocError::Encrypted => Native::Encrypted,
        e => Native::Unreadable(e.to_string()),
    })?;
    if let Some(props) = doc.summary_properties() {
        apply_summary(props, entity)?;
    }
    let mut writer = PageWriter::start(entity, ctx, sink)?;
    writer.next_page(&doc.plain_text())?;
    writer.finish(entity)?;
    Ok(())
}

fn powerpoint(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), Native> {
    let deck = PptDocument::open(path).map_err(|e| match e {
        PptError::Encrypted => Native::Encrypted,
        e => Native::Unreadable(e.to_string()),
    })?;
    if let Some(props) = deck.summary_properties() {
        apply_summary(props, entity)?;
    }
    let mut writer = PageWriter::start(entity, ctx, sink)?;
    let max = ctx.limits.max_pages as usize;
    for slide in deck.slides.iter().take(max) {
        let mut text = String::new();
        let mut notes = String::new();
        for run in &slide.text_runs {
            let target = if run.text_type == TextType::Notes {
                &mut notes
            } else {
                &mut text
            };
            // PowerPoint ends paragraphs with `\r` and soft returns with `\x0B`.
            target.push_str(&run.text.replace(['\r', '\u{b}'], "\n"));
            target.push('\n');
        }
        if !notes.trim().is_empty() {
            text.push('\n');
            text.push_str(notes.trim());
        }
        writer.next_page(&text)?;
    }
    writer.finish(entity)?;
    page_limit("The presentation", deck.slides.len(), ctx).map_err(Native::Fatal)
}

/// Title, author and dates from the OLE summary information streams.
fn apply_summary(props: &SummaryProperties, entity: &mut Entity) -> Result<(), IngestError> {
    let pairs = [
        ("title", &props.title),
        ("summary", &props.subject),
        ("summary", &props.comments),
        ("author", &props.author),
        ("author", &props.last_author),
        ("authoredAt", &props.created),
        ("modifiedAt", &props.modified),
    ];
    for (prop, value) in pairs {
        if let Some(v) = value {
            let v = if prop.ends_with("At") {
                utc_offset(v)
            } else {
                v.clone()
            };
            entity.add(prop, &v)?;
        }
    }
    if let Some(keywords) = &props.keywords {
        for keyword in keywords.split([',', ';']) {
            entity.add("keywords", keyword.trim())?;
        }
    }
    Ok(())
}

/// Metadata of an OLE file that LibreOffice will convert (its PDF carries none).
fn ole_metadata(path: &Path, entity: &mut Entity) -> Result<(), IngestError> {
    let props = File::open(path)
        .ok()
        .and_then(|f| office_oxide::cfb::CfbReader::new(std::io::BufReader::new(f)).ok())
        .and_then(|mut reader| {
            catch_unwind(AssertUnwindSafe(|| {
                office_oxide::cfb::oleps::read_document_properties(&mut reader)
            }))
            .ok()
            .flatten()
        });
    match props {
        Some(props) => apply_summary(&props, entity),
        None => Ok(()),
    }
}

/// Convert with LibreOffice, keep the PDF, read it.
fn via_pdf(
    entity: &mut Entity,
    path: &Path,
    extension: &str,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let pdf_path = libreoffice::convert_to_pdf(path, extension, ctx)?;
    let hash = sink.blob(&pdf_path)?;
    narrow(entity, "Pages")?;
    entity.add_cleaned("pdfHash", hash)?;
    pdf::extract(entity, &pdf_path, ctx, sink, pdf::Metadata::Skip)
}
