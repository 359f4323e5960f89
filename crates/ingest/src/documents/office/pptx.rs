//! PowerPoint (`.pptx`): one page per slide, in the order `ppt/presentation.xml` lists
//! them, each with the slide's text followed by its speaker notes.

use std::io::BufRead;
use std::path::Path;

use ftm::Entity;
use quick_xml::events::Event;

use super::package::{Package, resolve_target};
use super::props;
use crate::documents::markup::{attr, local, reader, reference, xml_error};
use crate::documents::pages::{PageWriter, page_limit};
use crate::{Context, IngestError, Sink};

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let mut pkg = Package::open(path, "The PowerPoint presentation", ctx)?;
    let what = pkg.what();
    let slides = slide_parts(&mut pkg)?;
    if slides.is_empty() && !pkg.has("ppt/presentation.xml") {
        return Err(IngestError::corrupt(format!(
            "{what} has no ppt/presentation.xml"
        )));
    }
    props::ooxml(&mut pkg, entity)?;
    let cap = ctx.limits.max_text_bytes;
    let mut writer = PageWriter::start(entity, ctx, sink)?;
    for slide in slides.iter().take(ctx.limits.max_pages as usize) {
        let mut text = pkg
            .with_part(slide, |r| {
                drawing_text(r, cap).map_err(|e| xml_error(what, e))
            })?
            .unwrap_or_default();
        if let Some(notes) = notes_part(&mut pkg, slide)
            && let Ok(Some(notes)) = pkg.with_part(&notes, |r| {
                drawing_text(r, cap).map_err(|e| xml_error(what, e))
            })
            && !notes.trim().is_empty()
        {
            text.push_str("\n\n");
            text.push_str(notes.trim());
        }
        writer.next_page(&text)?;
    }
    writer.finish(entity)?;
    page_limit(what, slides.len(), ctx)
}

/// Relationships of a part: (id, type, resolved target).
fn relationships(pkg: &mut Package, rels: &str, base_dir: &str) -> Vec<(String, String, String)> {
    let Ok(Some(xml)) = pkg.read(rels) else {
        return Vec::new();
    };
    let mut reader = reader(xml.as_slice());
    let mut out = Vec::new();
    let mut buf = Vec::new();
    while let Ok(event) = reader.read_event_into(&mut buf) {
        match event {
            Event::Start(e) | Event::Empty(e) if local(e.name().0) == "Relationship" => {
                let external = attr(&e, "TargetMode").as_deref() == Some("External");
                if !external
                    && let (Some(id), Some(kind), Some(target)) =
                        (attr(&e, "Id"), attr(&e, "Type"), attr(&e, "Target"))
                {
                    out.push((id, kind, resolve_target(base_dir, &target)));
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

/// The slide parts in presentation order; if the presentation part cannot say, every
/// `ppt/slides/slideN.xml` by number.
fn slide_parts(pkg: &mut Package) -> Result<Vec<String>, IngestError> {
    let rels = relationships(pkg, "ppt/_rels/presentation.xml.rels", "ppt");
    let mut order = Vec::new();
    if let Ok(Some(xml)) = pkg.read("ppt/presentation.xml") {
        let mut reader = reader(xml.as_slice());
        let mut buf = Vec::new();
        while let Ok(event) = reader.read_event_into(&mut buf) {
            match event {
                Event::Start(e) | Event::Empty(e) if local(e.name().0) == "sldId" => {
                    // `id` (a number) and `r:id` (the relationship) share a local name.
                    let rid = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.as_ref().ends_with(":id"))
                        .and_then(|a| {
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .ok()
                                .map(|v| v.into_owned())
                        });
                    if let Some(rid) = rid
                        && let Some((_, _, target)) = rels.iter().find(|(id, _, _)| *id == rid)
                    {
                        order.push(target.clone());
                    }
                }
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
    }
    if order.is_empty() {
        let mut numbered: Vec<(u32, String)> = pkg
            .names()
            .into_iter()
            .filter_map(|n| {
                let num = n
                    .strip_prefix("ppt/slides/slide")?
                    .strip_suffix(".xml")?
                    .parse()
                    .ok()?;
                Some((num, n))
            })
            .collect();
        numbered.sort();
        order = numbered.into_iter().map(|(_, n)| n).collect();
    }
    Ok(order)
}

/// The notes part of a slide, if it has one.
fn notes_part(pkg: &mut Package, slide: &str) -> Option<String> {
    let (dir, file) = slide.rsplit_once('/')?;
    let rels = relationships(pkg, &format!("{dir}/_rels/{file}.rels"), dir);
    rels.into_iter()
        .find(|(_, kind, _)| kind.ends_with("/notesSlide"))
        .map(|(_, _, target)| target)
}

/// The text of a DrawingML part (a slide or a notes page): paragraphs of `a:t` runs.
fn drawing_text(input: &mut dyn BufRead, cap: usize) -> Result<String, quick_xml::Error> {
    let mut reader = reader(input);
    let mut buf = Vec::new();
    let mut out = String::new();
    let mut in_text = false;
    let mut in_fallback = 0u32;
    loop {
        let event = reader.read_event_into(&mut buf)?;
        match &event {
            Event::Start(e) => match local(e.name().0) {
                "Fallback" => in_fallback += 1,
                "t" => in_text = true,
                _ => {}
            },
            Event::Empty(e) if in_fallback == 0 && local(e.name().0) == "br" => out.push('\n'),
            Event::End(e) => match local(e.name().0) {
                "Fallback" => in_fallback = in_fallback.saturating_sub(1),
                "t" => in_text = false,
                "p" if in_fallback == 0 && !out.is_empty() && !out.ends_with('\n') => {
                    out.push('\n')
                }
                _ => {}
            },
            Event::Text(t) if in_text && in_fallback == 0 && out.len() < cap => {
                out.push_str(&t.xml10_content())
            }
            Event::GeneralRef(r) if in_text && in_fallback == 0 && out.len() < cap => {
                out.push_str(&reference(r))
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_paragraphs_of_a_slide() {
        let xml = r#"<p:sld><p:cSld><p:spTree><p:sp><p:txBody>
            <a:p><a:r><a:t>Title &amp; more</a:t></a:r></a:p>
            <a:p><a:r><a:t>line</a:t></a:r><a:br/><a:r><a:t>two</a:t></a:r></a:p>
            </p:txBody></p:sp></p:spTree></p:cSld></p:sld>"#;
        assert_eq!(
            drawing_text(&mut xml.as_bytes(), 1000).unwrap(),
            "Title & more\nline\ntwo\n"
        );
    }
}
