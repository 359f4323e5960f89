//! Document properties: OOXML's `docProps/core.xml` and `docProps/app.xml`, OpenDocument's
//! `meta.xml`, mapped as ingest-file maps them (creator and last editor → `author`,
//! description → `summary`, created → `authoredAt`, modified → `modifiedAt`).

use ftm::Entity;

use super::package::Package;
use crate::IngestError;
use crate::documents::dates::utc_offset;
use crate::documents::markup::leaf_fields;

/// Metadata never fails a document: an unreadable properties part is skipped.
fn fields(pkg: &mut Package, name: &str) -> Vec<(String, String)> {
    match pkg.read(name) {
        Ok(Some(xml)) => leaf_fields(&xml),
        _ => Vec::new(),
    }
}

fn add_keywords(entity: &mut Entity, value: &str) -> Result<(), IngestError> {
    for keyword in value.split([',', ';']) {
        entity.add("keywords", keyword.trim())?;
    }
    Ok(())
}

/// OOXML core and application properties.
pub(super) fn ooxml(pkg: &mut Package, entity: &mut Entity) -> Result<(), IngestError> {
    for (name, value) in fields(pkg, "docProps/core.xml") {
        match name.as_str() {
            "title" => entity.add("title", &value)?,
            "subject" | "description" => entity.add("summary", &value)?,
            "creator" | "lastModifiedBy" => entity.add("author", &value)?,
            "keywords" => add_keywords(entity, &value)?,
            "created" => entity.add("authoredAt", &utc_offset(&value))?,
            "modified" => entity.add("modifiedAt", &utc_offset(&value))?,
            "language" => entity.add("language", &value)?,
            _ => {}
        }
    }
    let app = fields(pkg, "docProps/app.xml");
    if let Some((_, application)) = app.iter().find(|(n, _)| n == "Application") {
        entity.add("generator", application)?;
    }
    Ok(())
}

/// OpenDocument `meta.xml`.
pub(super) fn odf(pkg: &mut Package, entity: &mut Entity) -> Result<(), IngestError> {
    for (name, value) in fields(pkg, "meta.xml") {
        match name.as_str() {
            "title" => entity.add("title", &value)?,
            "subject" | "description" => entity.add("summary", &value)?,
            "initial-creator" | "creator" => entity.add("author", &value)?,
            "keyword" => add_keywords(entity, &value)?,
            "creation-date" => entity.add("authoredAt", &utc_offset(&value))?,
            "date" => entity.add("modifiedAt", &utc_offset(&value))?,
            "language" => entity.add("language", &value)?,
            "generator" => entity.add("generator", &value)?,
            _ => {}
        }
    }
    Ok(())
}
