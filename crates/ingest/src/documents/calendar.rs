//! iCalendar: the file becomes `PlainText` (its text as `bodyText`, the calendar's
//! `PRODID` as `generator`), and each `VEVENT` an `Event` with `proof` pointing at the
//! file: `SUMMARY` → `name`, `DESCRIPTION`, `LOCATION`, `URL` → `sourceUrl`, `DTSTART` →
//! `startDate`, `DTEND` → `endDate`, `CREATED` → `date`, `LAST-MODIFIED` → `modifiedAt`.
//! The organizer and attendees become `Person` entities (name from `CN`, the email
//! address, an id from the address as for email senders) linked as `organizer` and
//! `involved`. As in ingest-file, an event with a `UID` takes its id from it, so the
//! same meeting in two calendars is one event.

use std::collections::HashSet;
use std::path::Path;

use ftm::Entity;

use super::contentline::{self, Component, Line};
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
    let components = root.walk();
    if !components.iter().any(|c| c.name == "VCALENDAR") {
        return Err(IngestError::corrupt(
            "The calendar file holds no BEGIN:VCALENDAR block",
        ));
    }
    let mut people_seen = HashSet::new();
    for (n, component) in components.into_iter().enumerate() {
        match component.name.as_str() {
            "VCALENDAR" => {
                if let Some(prodid) = component.get("PRODID") {
                    entity.add("generator", &prodid.text())?;
                }
            }
            "VEVENT" => event(component, &doc_id, n, &mut people_seen, sink)?,
            _ => {}
        }
    }
    Ok(())
}

fn event(
    c: &Component,
    doc_id: &str,
    n: usize,
    people_seen: &mut HashSet<String>,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let uid = c
        .get("UID")
        .map(Line::text)
        .filter(|u| !u.trim().is_empty());
    let id = uid
        .and_then(|uid| ftm::make_id(None, &[uid.trim()]))
        .unwrap_or_else(|| child_id(doc_id, &format!("event:{n}")));
    let mut event = Entity::with_id("Event", id)?;
    event.add_cleaned("proof", doc_id)?;
    for (field, prop) in [
        ("SUMMARY", "name"),
        ("DESCRIPTION", "description"),
        ("LOCATION", "location"),
        ("URL", "sourceUrl"),
    ] {
        if let Some(line) = c.get(field) {
            event.add(prop, &line.text())?;
        }
    }
    for (field, prop) in [
        ("DTSTART", "startDate"),
        ("DTEND", "endDate"),
        ("CREATED", "date"),
        ("LAST-MODIFIED", "modifiedAt"),
    ] {
        if let Some(date) = c.get(field).and_then(|l| ical_date(&l.text())) {
            event.add(prop, &date)?;
        }
    }
    if let Some(line) = c.get("ORGANIZER")
        && let Some(person) = address_person(line)?
    {
        event.add_cleaned("organizer", person.id().unwrap_or_default())?;
        emit_person(person, people_seen, sink)?;
    }
    for line in c.all("ATTENDEE") {
        if let Some(person) = address_person(line)? {
            event.add_cleaned("involved", person.id().unwrap_or_default())?;
            emit_person(person, people_seen, sink)?;
        }
    }
    sink.entity(event)?;
    Ok(())
}

/// The person behind a `mailto:` address (`CN` gives the name).
fn address_person(line: &Line) -> Result<Option<Entity>, IngestError> {
    let value = line.text();
    let email = value.trim();
    let email = email
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("mailto:"))
        .map_or(email, |_| &email[7..])
        .trim();
    if !email.contains('@') {
        return Ok(None);
    }
    let Some(id) = ftm::make_id(None, &[email.to_lowercase()]) else {
        return Ok(None);
    };
    let mut person = Entity::with_id("Person", id)?;
    person.add("email", email)?;
    if let Some(name) = line.param("CN").filter(|n| !n.trim().is_empty()) {
        person.add("name", name)?;
    } else {
        person.add("name", email)?;
    }
    Ok(Some(person))
}

fn emit_person(
    person: Entity,
    seen: &mut HashSet<String>,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    if let Some(id) = person.id()
        && seen.insert(id.to_string())
    {
        sink.entity(person)?;
    }
    Ok(())
}
