//! OpenDocument text and presentations (`.odt`, `.odp` and their templates).
//!
//! Presentations and drawings give one page per `draw:page` (slide), speaker notes
//! included. Text documents are split at explicit page breaks: paragraphs whose style
//! (automatic, or named in `styles.xml`, following parent styles) says
//! `fo:break-before="page"` or `fo:break-after="page"`. The soft page breaks LibreOffice
//! records from its last layout are not used, as Word's are not.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use ftm::Entity;
use quick_xml::events::{BytesStart, Event};

use super::package::Package;
use super::props;
use crate::documents::markup::{attr, local, reader, reference, xml_error};
use crate::documents::pages::{PageWriter, PagedText, page_limit};
use crate::{Context, IngestError, Sink};

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let mut pkg = Package::open(path, "The OpenDocument file", ctx)?;
    let what = pkg.what();
    if let Ok(Some(manifest)) = pkg.read("META-INF/manifest.xml")
        && contains(&manifest, b"encryption-data")
    {
        return Err(IngestError::encrypted(what));
    }
    let mut styles = Styles::default();
    if let Ok(Some(xml)) = pkg.read("styles.xml") {
        // Named styles only; a damaged styles part just loses page breaks.
        let _ = read_content(&mut xml.as_slice(), &mut styles, &mut PagedText::new(0));
    }
    let mut text = PagedText::new(ctx.limits.max_text_bytes);
    let found = pkg.with_part("content.xml", |r| {
        read_content(r, &mut styles, &mut text).map_err(|e| xml_error(what, e))
    })?;
    if found.is_none() {
        return Err(IngestError::corrupt(format!("{what} has no content.xml")));
    }
    props::odf(&mut pkg, entity)?;
    let mut writer = PageWriter::start(entity, ctx, sink)?;
    let total = text.emit(&mut writer, ctx)?;
    writer.finish(entity)?;
    page_limit(what, total, ctx)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Paragraph styles that break the page.
#[derive(Debug, Default)]
struct Styles {
    map: HashMap<String, Style>,
}

#[derive(Debug, Default, Clone)]
struct Style {
    before: bool,
    after: bool,
    parent: Option<String>,
}

impl Styles {
    /// (break before, break after) for a paragraph of style `name`.
    fn breaks(&self, name: Option<&str>) -> (bool, bool) {
        let mut name = name.map(str::to_string);
        // Parent chains are short; the bound only guards against cycles.
        for _ in 0..16 {
            let Some(style) = name.as_deref().and_then(|n| self.map.get(n)) else {
                break;
            };
            if style.before || style.after {
                return (style.before, style.after);
            }
            name = style.parent.clone();
        }
        (false, false)
    }
}

/// Where in the document the reader is.
#[derive(Debug, Default)]
struct State {
    in_body: bool,
    /// Inside `office:presentation` or `office:drawing`: pages are slides.
    slides: bool,
    /// Open paragraphs (`text:p`, `text:h`), each with its break-after flag.
    paragraphs: Vec<bool>,
    /// Depth inside subtrees whose text is not the document's (deleted changes).
    skip: u32,
    /// The style being defined, if any.
    style: Option<(String, Style)>,
}

fn read_content(
    input: &mut dyn BufRead,
    styles: &mut Styles,
    out: &mut PagedText,
) -> Result<(), quick_xml::Error> {
    let mut reader = reader(input);
    let mut buf = Vec::new();
    let mut st = State::default();
    loop {
        let event = reader.read_event_into(&mut buf)?;
        match &event {
            Event::Start(e) => start(e, false, styles, &mut st, out),
            Event::Empty(e) => start(e, true, styles, &mut st, out),
            Event::End(e) => end(local(e.name().0), styles, &mut st, out),
            Event::Text(t) if in_paragraph(&st) => push_collapsed(out, &t.xml10_content()),
            Event::CData(t) if in_paragraph(&st) => push_collapsed(out, &t[..]),
            Event::GeneralRef(r) if in_paragraph(&st) => out.push_str(&reference(r)),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(())
}

fn in_paragraph(st: &State) -> bool {
    st.in_body && st.skip == 0 && !st.paragraphs.is_empty()
}

/// ODF collapses runs of white space in text to one space (`text:s` writes the others).
fn push_collapsed(out: &mut PagedText, text: &str) {
    let mut last_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
}

fn start(
    e: &BytesStart<'_>,
    empty: bool,
    styles: &mut Styles,
    st: &mut State,
    out: &mut PagedText,
) {
    let name = local(e.name().0);
    match name {
        "style" => {
            if let Some(style_name) = attr(e, "name") {
                let style = Style {
                    parent: attr(e, "parent-style-name"),
                    ..Style::default()
                };
                if empty {
                    styles.map.insert(style_name, style);
                } else {
                    st.style = Some((style_name, style));
                }
            }
        }
        "paragraph-properties" => {
            if let Some((_, style)) = st.style.as_mut() {
                style.before |= attr(e, "break-before").as_deref() == Some("page");
                style.after |= attr(e, "break-after").as_deref() == Some("page");
            }
        }
        "body" => st.in_body = !empty,
        "presentation" | "drawing" if st.in_body => st.slides = true,
        "tracked-changes" if !empty => st.skip += 1,
        _ if !st.in_body || st.skip > 0 => {}
        "p" | "h" => {
            let (before, after) = styles.breaks(attr(e, "style-name").as_deref());
            if before && !st.slides {
                out.page_break();
            }
            if empty {
                out.newline();
                if after && !st.slides {
                    out.page_break();
                }
            } else {
                st.paragraphs.push(after);
            }
        }
        "s" if in_paragraph(st) => {
            let n: usize = attr(e, "c").and_then(|c| c.parse().ok()).unwrap_or(1);
            for _ in 0..n.min(1000) {
                out.push(' ');
            }
        }
        "tab" if in_paragraph(st) => out.push('\t'),
        "line-break" if in_paragraph(st) => out.push('\n'),
        "page" if st.slides && empty => out.new_page(),
        _ => {}
    }
}

fn end(name: &str, styles: &mut Styles, st: &mut State, out: &mut PagedText) {
    match name {
        "style" => {
            if let Some((style_name, style)) = st.style.take() {
                styles.map.insert(style_name, style);
            }
        }
        "body" => st.in_body = false,
        "tracked-changes" => st.skip = st.skip.saturating_sub(1),
        _ if !st.in_body || st.skip > 0 => {}
        "p" | "h" => {
            if let Some(after) = st.paragraphs.pop() {
                out.newline();
                if after && !st.slides {
                    out.page_break();
                }
            }
        }
        "page" if st.slides => out.new_page(),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(xml: &str) -> Vec<String> {
        let mut out = PagedText::new(1 << 20);
        read_content(&mut xml.as_bytes(), &mut Styles::default(), &mut out).unwrap();
        out.into_pages()
    }

    #[test]
    fn text_pages_break_where_styles_say() {
        let xml = r#"<office:document-content>
            <office:automatic-styles>
              <style:style style:name="P1" style:family="paragraph" style:parent-style-name="Break"/>
              <style:style style:name="Break" style:family="paragraph"><style:paragraph-properties fo:break-before="page"/></style:style>
            </office:automatic-styles>
            <office:body><office:text>
              <text:p>First   page<text:s text:c="2"/>text &amp; more</text:p>
              <text:tracked-changes><text:changed-region><text:p>deleted</text:p></text:changed-region></text:tracked-changes>
              <text:p text:style-name="P1">Second<text:tab/>page<text:line-break/>end</text:p>
            </office:text></office:body></office:document-content>"#;
        let pages = pages(xml);
        assert_eq!(pages.len(), 2, "{pages:?}");
        assert_eq!(pages[0].trim(), "First page  text & more");
        assert_eq!(pages[1].trim(), "Second\tpage\nend");
    }

    #[test]
    fn slides_are_pages_even_when_empty() {
        let xml = r#"<office:document-content><office:body><office:presentation>
            <draw:page draw:name="1"><draw:frame><draw:text-box><text:p>Slide one</text:p></draw:text-box></draw:frame>
              <presentation:notes><draw:frame><draw:text-box><text:p>Note one</text:p></draw:text-box></draw:frame></presentation:notes></draw:page>
            <draw:page draw:name="2"/>
            <draw:page draw:name="3"><draw:frame><draw:text-box><text:p>Slide three</text:p></draw:text-box></draw:frame></draw:page>
            </office:presentation></office:body></office:document-content>"#;
        let pages = pages(xml);
        assert_eq!(pages.len(), 3, "{pages:?}");
        assert_eq!(pages[0].trim(), "Slide one\nNote one");
        assert_eq!(pages[1].trim(), "");
        assert_eq!(pages[2].trim(), "Slide three");
    }
}
