//! Word (`.docx`): the text of `word/document.xml`, split into pages at explicit page
//! breaks (`<w:br w:type="page"/>` and paragraphs marked "page break before"); Word's own
//! pagination is not in the file, so a document without explicit breaks is one page.
//! Headers, footers, footnotes, endnotes and comments follow on the last page.

use std::io::BufRead;
use std::path::Path;

use ftm::Entity;
use quick_xml::events::{BytesStart, Event};

use super::package::Package;
use super::props;
use crate::documents::markup::{attr, local, reader, reference, xml_error};
use crate::documents::pages::{PageWriter, PagedText, page_limit};
use crate::{Context, IngestError, Sink};

const BODY: &str = "word/document.xml";

pub(crate) fn ingest(
    entity: &mut Entity,
    path: &Path,
    ctx: &Context,
    sink: &mut dyn Sink,
) -> Result<(), IngestError> {
    let mut pkg = Package::open(path, "The Word document", ctx)?;
    let cap = ctx.limits.max_text_bytes;
    let mut text = PagedText::new(cap);
    let what = pkg.what();
    let found = pkg.with_part(BODY, |r| {
        word_text(r, &mut text, true).map_err(|e| xml_error(what, e))
    })?;
    if found.is_none() {
        return Err(IngestError::corrupt(format!("{what} has no {BODY}")));
    }
    let mut extras: Vec<String> = pkg
        .names()
        .into_iter()
        .filter(|n| is_extra_part(n))
        .collect();
    extras.sort();
    for name in extras {
        let mut extra = PagedText::new(cap);
        // A damaged header or footnote part costs only its own text.
        if pkg
            .with_part(&name, |r| {
                word_text(r, &mut extra, false).map_err(|e| xml_error(what, e))
            })
            .is_ok()
        {
            for page in extra.into_pages() {
                text.append_to_last(&page);
            }
        }
    }
    props::ooxml(&mut pkg, entity)?;
    let mut writer = PageWriter::start(entity, ctx, sink)?;
    let total = text.emit(&mut writer, ctx)?;
    writer.finish(entity)?;
    page_limit(what, total, ctx)
}

fn is_extra_part(name: &str) -> bool {
    let Some(file) = name.strip_prefix("word/") else {
        return false;
    };
    if file.contains('/') || !file.ends_with(".xml") {
        return false;
    }
    ["header", "footer", "footnotes", "endnotes", "comments"]
        .iter()
        .any(|p| file.starts_with(p))
}

/// Whether a `w:val`-style switch is on (absent means on).
fn is_on(e: &BytesStart<'_>) -> bool {
    !matches!(attr(e, "val").as_deref(), Some("0" | "false" | "off"))
}

/// Collect the text of a WordprocessingML part; `breaks` honours page breaks.
fn word_text(
    input: &mut dyn BufRead,
    out: &mut PagedText,
    breaks: bool,
) -> Result<(), quick_xml::Error> {
    let mut reader = reader(input);
    let mut buf = Vec::new();
    let mut in_text = false;
    // Tab-stop definitions (`w:tabs/w:tab`) are not tabs; fallback copies of drawings
    // (`mc:Fallback`) repeat text already read from `mc:Choice`.
    let mut in_tabs = 0u32;
    let mut in_fallback = 0u32;
    loop {
        let event = reader.read_event_into(&mut buf)?;
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(event, Event::Empty(_));
                match local(e.name().0) {
                    "Fallback" if !empty => in_fallback += 1,
                    "tabs" if !empty => in_tabs += 1,
                    _ if in_fallback > 0 => {}
                    "t" if !empty => in_text = true,
                    "tab" if in_tabs == 0 => out.push('\t'),
                    "br" => {
                        if breaks && attr(e, "type").as_deref() == Some("page") {
                            out.page_break();
                        } else {
                            out.push('\n');
                        }
                    }
                    "cr" => out.push('\n'),
                    "noBreakHyphen" => out.push('-'),
                    "pageBreakBefore" if breaks && is_on(e) => out.page_break(),
                    _ => {}
                }
            }
            Event::End(e) => match local(e.name().0) {
                "Fallback" => in_fallback = in_fallback.saturating_sub(1),
                "tabs" => in_tabs = in_tabs.saturating_sub(1),
                _ if in_fallback > 0 => {}
                "t" => in_text = false,
                "p" => out.newline(),
                "tc" => out.push('\t'),
                _ => {}
            },
            Event::Text(t) if in_text && in_fallback == 0 => out.push_str(&t.xml10_content()),
            Event::CData(t) if in_text && in_fallback == 0 => out.push_str(&t[..]),
            Event::GeneralRef(r) if in_text && in_fallback == 0 => out.push_str(&reference(r)),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(xml: &str) -> Vec<String> {
        let mut out = PagedText::new(1 << 20);
        word_text(&mut xml.as_bytes(), &mut out, true).unwrap();
        out.into_pages()
    }

    #[test]
    fn splits_at_explicit_page_breaks_only() {
        let xml = r#"<w:document xmlns:w="w"><w:body>
            <w:p><w:pPr><w:tabs><w:tab w:val="left"/></w:tabs></w:pPr><w:r><w:t>One</w:t><w:tab/><w:t xml:space="preserve">&amp; a</w:t></w:r></w:p>
            <w:p><w:r><w:br w:type="page"/><w:t>Two</w:t></w:r></w:p>
            <w:p><w:pPr><w:pageBreakBefore/></w:pPr><w:r><w:t>Three</w:t><w:br/><w:t>lines</w:t></w:r></w:p>
            <w:p><w:pPr><w:pageBreakBefore w:val="0"/></w:pPr><w:r><w:t>still three</w:t></w:r></w:p>
            </w:body></w:document>"#;
        let pages = pages(xml);
        assert_eq!(pages.len(), 3, "{pages:?}");
        assert_eq!(pages[0].trim(), "One\t& a");
        assert_eq!(pages[1].trim(), "Two");
        assert_eq!(pages[2].trim(), "Three\nlines\nstill three");
    }

    #[test]
    fn skips_fallback_copies() {
        let xml = r#"<w:p><mc:AlternateContent><mc:Choice><w:t>box</w:t></mc:Choice><mc:Fallback><w:t>box</w:t></mc:Fallback></mc:AlternateContent></w:p>"#;
        assert_eq!(pages(xml), vec!["box\n".to_string()]);
    }
}
