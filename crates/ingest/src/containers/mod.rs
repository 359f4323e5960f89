//! Containers and tables: archives, email and mailboxes, CSV, spreadsheets, databases.
//!
//! Each family lives in its own module; this one only routes a detected [`Format`] to it.
//!
//! - [`archive`]: zip, tar, gzip/bzip2/xz (alone or around a tar), 7z and RAR become a
//!   `Package`; directories inside become `Folder` entities and files become child files.
//! - [`email`]: `.eml`, `.emlx`, Outlook `.msg` become an `Email`; mbox and PST/OST become a
//!   `Package` of messages.
//! - [`tables`]: CSV/TSV and DBF become a `Table`; spreadsheets and SQLite databases become a
//!   `Workbook` with one `Table` per sheet or table.
//!
//! How a huge table is made searchable: the rows are streamed into a normalised CSV blob
//! (kept whole, for the table viewer), while the distinct cell values go into `indexText`
//! only until `ctx.limits.max_text_bytes` is spent. The rest of a table past that budget is
//! viewable but not full-text searchable: one entity's text has to fit in the worker's
//! memory and in one index document, and a table big enough to pass the budget is better
//! searched through a mapping (its rows as entities) than as one blob of text.

mod archive;
mod email;
mod tables;

use std::path::Path;

use ftm::Entity;

use crate::{Context, ErrorClass, FileInfo, Format, IngestError, Sink};

pub(crate) fn ingest(
    format: Format,
    entity: &mut Entity,
    path: &Path,
    info: &FileInfo,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    match format {
        Format::Zip => archive::zip::ingest(entity, path, ctx, sink),
        Format::Tar => archive::tar::ingest(entity, path, ctx, sink),
        Format::Gzip | Format::Bzip2 | Format::Xz => {
            archive::compressed::ingest(format, entity, path, info, ctx, sink)
        }
        Format::SevenZip => archive::sevenz::ingest(entity, path, ctx, sink),
        Format::Rar => archive::rar::ingest(entity, path, ctx, sink),
        Format::Eml => email::rfc822::ingest_eml(entity, path, ctx, sink),
        Format::Emlx => email::rfc822::ingest_emlx(entity, path, ctx, sink),
        Format::OutlookMsg => email::outlook_msg::ingest(entity, path, ctx, sink),
        Format::Mbox => email::mbox::ingest(entity, path, ctx, sink),
        Format::Pst => email::pst::ingest(entity, path, ctx, sink),
        Format::Csv => tables::delimited::ingest(entity, path, info, ctx, sink),
        Format::Spreadsheet => tables::spreadsheet::ingest(entity, path, ctx, sink),
        Format::Sqlite => tables::sqlite::ingest(entity, path, ctx, sink),
        Format::Dbf => tables::dbf::ingest(entity, path, ctx, sink),
        _ => Err(IngestError::unsupported()),
    }
}

/// A schema of the FtM model by name; a missing one is our defect, not the file's.
fn schema(name: &str) -> Result<&'static ftm::Schema, IngestError> {
    ftm::model().get(name).ok_or_else(|| {
        IngestError::new(
            ErrorClass::Internal,
            format!("FtM model has no schema {name}"),
        )
    })
}

/// The id of an entity we were handed; every file entity has one.
fn entity_id(entity: &Entity) -> Result<String, IngestError> {
    entity
        .id()
        .map(str::to_string)
        .ok_or_else(|| IngestError::new(ErrorClass::Internal, "file entity has no id"))
}

/// A directory of its own under the work directory for what one file produces, named
/// from the file entity's id so nested containers never share one.
fn work_subdir(
    ctx: &Context,
    entity_id: &str,
    purpose: &str,
) -> Result<std::path::PathBuf, IngestError> {
    let dir = ctx
        .work_dir
        .join(format!("{purpose}-{}", crate::child_id(entity_id, purpose)));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A short, safe file-name suffix (`.pdf`) taken from an untrusted name, so the bytes we
/// write keep a telling extension without the name ever choosing the path.
fn safe_extension(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && !ext.is_empty()
                && ext.len() <= 8
                && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            format!(".{}", ext.to_ascii_lowercase())
        }
        _ => String::new(),
    }
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC for a Unix timestamp; `None` outside years 1000–9999.
fn iso_utc(timestamp: i64) -> Option<String> {
    let days = timestamp.div_euclid(86_400);
    let secs = timestamp.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(1000..=9999).contains(&year) {
        return None;
    }
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_format_in_utc() {
        assert_eq!(iso_utc(0).as_deref(), Some("1970-01-01T00:00:00"));
        assert_eq!(
            iso_utc(1_709_209_845).as_deref(),
            Some("2024-02-29T12:30:45")
        );
        assert_eq!(iso_utc(-62_000_000_000), None);
    }

    #[test]
    fn extensions_are_short_and_plain() {
        assert_eq!(safe_extension("report.PDF"), ".pdf");
        assert_eq!(safe_extension("archive.tar.gz"), ".gz");
        assert_eq!(safe_extension(".bashrc"), "");
        assert_eq!(safe_extension("evil.p/df"), "");
        assert_eq!(safe_extension("x.verylongextension"), "");
        assert_eq!(safe_extension("noext"), "");
    }
}
