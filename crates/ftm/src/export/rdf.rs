//! RDF N-Triples, as `ftm export-rdf` writes them: entities as `<e:ID>`, predicates
//! `https://schema.followthemoney.tech/#Schema:prop`, typed values as URIs (countries as
//! Library of Congress URIs, emails as `mailto:`…), dates as `xsd:date`/`xsd:dateTime`.
//!
//! Where FtM's RDF library refuses a URI with spaces or quotes (and drops the whole entity),
//! we percent-encode those characters instead.

use std::io::Write;

use super::{ExportError, Exporter};
use crate::{Entity, PropertyType};

const NS: &str = "https://schema.followthemoney.tech/#";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const SKOS_PREF_LABEL: &str = "http://www.w3.org/2004/02/skos/core#prefLabel";
const XSD_DATE: &str = "http://www.w3.org/2001/XMLSchema#date";
const XSD_DATETIME: &str = "http://www.w3.org/2001/XMLSchema#dateTime";

/// The URI prefix of a typed value, if the type's values are URIs.
fn type_prefix(t: PropertyType) -> Option<&'static str> {
    Some(match t {
        PropertyType::Checksum => "hash:",
        PropertyType::Country => "http://id.loc.gov/vocabulary/countries/",
        PropertyType::Email => "mailto:",
        PropertyType::Entity => "e:",
        PropertyType::Gender => "gender:",
        PropertyType::Ip => "ip:",
        PropertyType::Identifier => "id:",
        PropertyType::Language => "http://lexvo.org/id/iso639-3/",
        PropertyType::Mimetype => "urn:mimetype:",
        PropertyType::Phone => "tel:",
        PropertyType::Topic => "ftm:topic:",
        _ => return None,
    })
}

pub struct RdfExporter<W: Write> {
    out: W,
    qualified: bool,
    line: String,
}

impl<W: Write> RdfExporter<W> {
    /// `qualified`: predicates are full schema URIs and captions are written as
    /// `skos:prefLabel`; otherwise predicates are bare property names.
    pub fn new(out: W, qualified: bool) -> Self {
        RdfExporter {
            out,
            qualified,
            line: String::new(),
        }
    }
}

/// `<uri>`, with the characters N-Triples forbids in IRIs percent-encoded.
fn push_uri(out: &mut String, uri: &str) {
    out.push('<');
    for c in uri.chars() {
        match c {
            '\u{0}'..=' ' | '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`' => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            _ => out.push(c),
        }
    }
    out.push('>');
}

/// `"text"` with N-Triples escapes, and a datatype if given.
fn push_literal(out: &mut String, text: &str, datatype: Option<&str>) {
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
    out.push('"');
    if let Some(dt) = datatype {
        out.push_str("^^");
        push_uri(out, dt);
    }
}

impl<W: Write> Exporter for RdfExporter<W> {
    fn write(&mut self, entity: &Entity) -> Result<(), ExportError> {
        let Some(id) = entity.id() else {
            return Ok(());
        };
        let line = &mut self.line;
        line.clear();
        let mut subject = String::new();
        push_uri(&mut subject, &format!("e:{id}"));
        let schema = entity.schema();
        let triple = |line: &mut String, predicate: &str, object: &str| {
            line.push_str(&subject);
            line.push(' ');
            push_uri(line, predicate);
            line.push(' ');
            line.push_str(object);
            line.push_str(" .\n");
        };
        let mut object = String::new();
        push_uri(&mut object, &format!("{NS}{}", schema.name()));
        triple(line, RDF_TYPE, &object);
        if self.qualified {
            let caption = entity.caption();
            if caption != schema.label() {
                object.clear();
                push_literal(&mut object, &caption, None);
                triple(line, SKOS_PREF_LABEL, &object);
            }
        }
        for (prop, value) in entity.values() {
            object.clear();
            let t = prop.type_();
            if let Some(prefix) = type_prefix(t) {
                let uri = match (t, prop.format()) {
                    (PropertyType::Identifier, Some(format)) => format!("{prefix}{format}:{value}"),
                    _ => format!("{prefix}{value}"),
                };
                push_uri(&mut object, &uri);
            } else if t == PropertyType::Date {
                if value.len() < 13 {
                    push_literal(&mut object, value, Some(XSD_DATE));
                } else {
                    // A minute-precision time in the canonical form (seconds added).
                    let canonical = if value.len() == 16 {
                        format!("{value}:00")
                    } else {
                        value.to_string()
                    };
                    push_literal(&mut object, &canonical, Some(XSD_DATETIME));
                }
            } else if t == PropertyType::Url {
                push_uri(&mut object, value);
            } else {
                push_literal(&mut object, value, None);
            }
            if self.qualified {
                triple(line, &format!("{NS}{}", prop.qname()), &object);
            } else {
                triple(line, prop.name(), &object);
            }
        }
        self.out.write_all(line.as_bytes())?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), ExportError> {
        self.out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_typed_triples() {
        let e = Entity::from_json(
            serde_json::from_str(
                r#"{"id":"x1","schema":"Person","properties":{"name":["A \"q\" \\ b\nc"],"birthDate":["2020-01-01T10:00"],"country":["de"],"sourceUrl":["http://x.com/a b"]}}"#,
            )
            .unwrap(),
            true,
        )
        .unwrap();
        let mut out = Vec::new();
        let mut exporter = RdfExporter::new(&mut out, true);
        exporter.write(&e).unwrap();
        exporter.finish().unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "<e:x1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://schema.followthemoney.tech/#Person> ."
        );
        assert!(lines.contains(
            &r#"<e:x1> <https://schema.followthemoney.tech/#Thing:name> "A \"q\" \\ b\nc" ."#
        ));
        assert!(lines.contains(&"<e:x1> <https://schema.followthemoney.tech/#Person:birthDate> \"2020-01-01T10:00:00\"^^<http://www.w3.org/2001/XMLSchema#dateTime> ."));
        assert!(lines.contains(&"<e:x1> <https://schema.followthemoney.tech/#Thing:country> <http://id.loc.gov/vocabulary/countries/de> ."));
        assert!(lines.contains(
            &"<e:x1> <https://schema.followthemoney.tech/#Thing:sourceUrl> <http://x.com/a%20b> ."
        ));
    }
}
