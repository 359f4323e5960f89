//! Small helpers over quick-xml shared by the XML-based formats (OOXML, OpenDocument,
//! XML, SVG): a lenient reader, names without their namespace prefix, attribute values,
//! entity references, and the text of simple metadata elements.

use std::io::BufRead;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::IngestError;

/// A pull reader that tolerates what real files get wrong (mismatched end tags, stray
/// ampersands) and never expands entities beyond XML's five and character references,
/// so an entity bomb has nothing to expand.
pub(crate) fn reader<R: BufRead>(input: R) -> Reader<R> {
    let mut reader = Reader::from_reader(input);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
    reader
}

/// The part of a qualified name after its prefix (`w:t` → `t`).
pub(crate) fn local(name: &str) -> &str {
    match name.find(':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// The value of the attribute whose local name is `name`.
pub(crate) fn attr(element: &BytesStart<'_>, name: &str) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| local(a.key.as_ref()) == name)
        .and_then(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The text an entity or character reference stands for; unknown entities (declared in a
/// DTD we do not read) stay as they were written.
pub(crate) fn reference(r: &BytesRef<'_>) -> String {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return c.to_string();
    }
    let name = r.xml10_content();
    match quick_xml::escape::resolve_predefined_entity(&name) {
        Some(s) => s.to_string(),
        None => format!("&{name};"),
    }
}

/// Map a reader error: an over-long part is a limit, anything else damage.
pub(crate) fn xml_error(what: &str, err: quick_xml::Error) -> IngestError {
    if let quick_xml::Error::Io(io) = &err
        && io.kind() == std::io::ErrorKind::FileTooLarge
    {
        return IngestError::limit(format!("{what}: {io}"));
    }
    IngestError::corrupt(format!("{what} is not valid XML: {err}"))
}

/// The text of every element that holds text directly, as (local name, text) pairs in
/// document order: enough for metadata parts such as `docProps/core.xml` or `meta.xml`.
pub(crate) fn leaf_fields(xml: &[u8]) -> Vec<(String, String)> {
    let mut reader = reader(xml);
    let mut fields = Vec::new();
    let mut current: Option<(String, String)> = None;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                current = Some((local(e.name().0).to_string(), String::new()));
            }
            Ok(Event::Text(t)) => {
                if let Some((_, text)) = current.as_mut() {
                    text.push_str(&t.xml10_content());
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if let Some((_, text)) = current.as_mut() {
                    text.push_str(&reference(&r));
                }
            }
            Ok(Event::End(_)) => {
                if let Some((name, text)) = current.take() {
                    let text = text.trim();
                    if !text.is_empty() {
                        fields.push((name, text.to_string()));
                    }
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
        buf.clear();
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_leaf_fields_with_references() {
        let xml = br#"<?xml version="1.0"?><cp:coreProperties xmlns:cp="x" xmlns:dc="y">
            <dc:title>Tom &amp; Jerry &#x263A;</dc:title><dc:creator>Ann</dc:creator>
            <cp:keywords></cp:keywords></cp:coreProperties>"#;
        let fields = leaf_fields(xml);
        assert_eq!(
            fields,
            vec![
                ("title".to_string(), "Tom & Jerry ☺".to_string()),
                ("creator".to_string(), "Ann".to_string())
            ]
        );
    }
}
