//! XML and SVG as `HyperText` with their text as `bodyText`: for XML all text content
//! (element text and CDATA), for SVG only what it shows as text (`text`, `tspan`,
//! `textPath`) and its `title` and `desc`. Entities other than XML's own are never
//! expanded (no DTD is read), so neither external entities nor entity bombs reach us.
//! A file that breaks off or turns invalid keeps the text read up to that point.

use std::io::BufReader;
use std::path::Path;

use ftm::Entity;
use quick_xml::events::Event;

use super::budget::TextBudget;
use super::markup::{local, reader, reference};
use super::narrow;
use crate::{Context, IngestError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavour {
    Xml,
    Svg,
}

/// SVG elements whose content is visible (or spoken) text.
const SVG_TEXT: [&str; 5] = ["text", "tspan", "textPath", "title", "desc"];

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    flavour: Flavour,
) -> Result<(), IngestError> {
    let input = BufReader::new(std::fs::File::open(path)?);
    let mut reader = reader(input);
    let mut budget = TextBudget::new(ctx.limits.max_text_bytes);
    let mut text = String::new();
    let mut buf = Vec::new();
    // For SVG: depth inside text elements, and inside script/style which never show.
    let mut in_text = 0u32;
    let mut hidden = 0u32;
    let mut saw_element = false;
    let mut failure = None;
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(err) => {
                failure = Some(err);
                break;
            }
        };
        let collect = match flavour {
            Flavour::Xml => hidden == 0,
            Flavour::Svg => in_text > 0 && hidden == 0,
        };
        match &event {
            Event::Start(e) => {
                saw_element = true;
                let name = local(e.name().0);
                if matches!(name, "script" | "style") {
                    hidden += 1;
                } else if SVG_TEXT.contains(&name) {
                    in_text += 1;
                }
            }
            Event::Empty(_) => saw_element = true,
            Event::End(e) => {
                let name = local(e.name().0);
                if matches!(name, "script" | "style") {
                    hidden = hidden.saturating_sub(1);
                } else if SVG_TEXT.contains(&name) {
                    in_text = in_text.saturating_sub(1);
                }
                if collect && !text.ends_with('\n') && !text.is_empty() {
                    text.push('\n');
                }
            }
            Event::Text(t) if collect => push_text(&mut text, &t.xml10_content(), &mut budget),
            Event::CData(t) if collect => push_text(&mut text, &t[..], &mut budget),
            Event::GeneralRef(r) if collect => push_text(&mut text, &reference(r), &mut budget),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
        if budget.is_spent() {
            break;
        }
    }
    if !saw_element {
        let why = failure
            .map(|e| e.to_string())
            .unwrap_or_else(|| "no elements".to_string());
        return Err(IngestError::corrupt(format!(
            "The file is not readable XML: {why}"
        )));
    }
    narrow(entity, "HyperText")?;
    let text = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    if !text.is_empty() {
        entity.add("bodyText", &text)?;
    }
    budget.note_cut(entity)
}

fn push_text(out: &mut String, text: &str, budget: &mut TextBudget) {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return;
    }
    if !out.is_empty() && !out.ends_with(['\n', ' ']) && text.starts_with(char::is_whitespace) {
        out.push(' ');
    }
    out.push_str(budget.take(trimmed));
    if text.ends_with(char::is_whitespace) {
        out.push(' ');
    }
}
