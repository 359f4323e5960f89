//! vCard: the file becomes `PlainText` (its text as `bodyText`), and each card a `Person`
//! with `proof` pointing at the file. As in ingest-file, a card's id comes from its
//! (first) email address, so the same person found in several address books, or as an
//! email sender, is one entity; a card without an email gets an id from the file and
//! its position.
//!
//! Fields: `FN` (or the parts of `N`) → `name`, `N`'s honorific prefix → `title`, `TITLE`
//! (a job title) → `position`, `EMAIL`, `TEL` → `phone`, `BDAY` → `birthDate`, `GENDER`,
//! `NOTE` → `notes`, `CATEGORIES` → `keywords`, `NICKNAME` → `weakAlias`, `ADR` →
//! `address`, `URL` → `website`.

use std::path::Path;

use ftm::Entity;

use super::contentline::{self, Component};
use super::dates::ical_date;
use super::plain::{read_text, set_body_text};
use super::{entity_id, narrow};
use crate::{Context, IngestError, Sink, child_id};

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let (text, encoding) = read_text(path, ctx)?;
    narrow(entity, "PlainText")?;
    entity.add("encoding", &encoding.to_ascii_lowercase())?;
    set_body_text(entity, &text, ctx)?;
    let doc_id = entity_id(entity)?;
    let root = contentline::parse(&text);
    let cards: Vec<&Component> = root
        .walk()
        .into_iter()
        .filter(|c| c.name == "VCARD")
        .collect();
    if cards.is_empty() {
        return Err(IngestError::corrupt(
            "The vCard file holds no BEGIN:VCARD block",
        ));
    }
    for (n, card) in cards.into_iter().enumerate() {
        if let Some(person) = person(card, &doc_id, n)? {
            sink.entity(person)?;
        }
    }
    Ok(())
}

/// The `Person` a card describes; `None` for a card with neither a name nor an email.
fn person(card: &Component, doc_id: &str, n: usize) -> Result<Option<Entity>, IngestError> {
    let emails: Vec<String> = card
        .all("EMAIL")
        .map(|l| l.text().trim().to_string())
        .filter(|e| !e.is_empty())
        .collect();
    let id = match emails.first() {
        Some(email) => ftm::make_id(None, &[email.to_lowercase()]),
        None => None,
    }
    .unwrap_or_else(|| child_id(doc_id, &format!("card:{n}")));
    let mut person = Entity::with_id("Person", id)?;
    person.add_cleaned("proof", doc_id)?;

    let structured = card.get("N").map(|l| l.parts()).unwrap_or_default();
    let part = |i: usize| {
        structured
            .get(i)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    };
    let full_name = card
        .get("FN")
        .map(|l| l.text())
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            // Prefix, given, additional, family, suffix.
            let ordered: Vec<&str> = [part(3), part(1), part(2), part(0), part(4)]
                .into_iter()
                .flatten()
                .collect();
            (!ordered.is_empty()).then(|| ordered.join(" "))
        });
    if let Some(name) = &full_name {
        person.add("name", name)?;
    }
    if let Some(prefix) = part(3) {
        person.add("title", prefix)?;
    }
    for email in &emails {
        person.add("email", email)?;
    }
    let simple = [
        ("TEL", "phone"),
        ("TITLE", "position"),
        ("GENDER", "gender"),
        ("NOTE", "notes"),
        ("NICKNAME", "weakAlias"),
        ("URL", "website"),
    ];
    for (field, prop) in simple {
        for line in card.all(field) {
            let value = line.text();
            // `TEL;VALUE=uri:tel:+1-555` and `GENDER:M;…` carry a prefix or a tail.
            let value = value.strip_prefix("tel:").unwrap_or(&value);
            let value = if field == "GENDER" {
                value.split(';').next().unwrap_or("")
            } else {
                value
            };
            person.add(prop, value.trim())?;
        }
    }
    for line in card.all("BDAY") {
        if let Some(date) = ical_date(&line.text()) {
            person.add("birthDate", &date)?;
        }
    }
    for line in card.all("CATEGORIES") {
        for keyword in line.text().split(',') {
            person.add("keywords", keyword.trim())?;
        }
    }
    for line in card.all("ADR") {
        let address: Vec<String> = line
            .parts()
            .into_iter()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        if !address.is_empty() {
            person.add("address", &address.join(", "))?;
        }
    }
    if full_name.is_none() && emails.is_empty() {
        return Ok(None);
    }
    Ok(Some(person))
}
