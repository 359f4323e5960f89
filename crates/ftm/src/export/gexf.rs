//! GEXF 1.2 for Gephi, with the graph of `ftm export-gexf`.
//!
//! GEXF declares every attribute before the first node, and a node that several entities
//! mention must appear once. So nodes and edges go to temporary files as they come, each
//! line keyed by element id; at the end the files are sorted on disk and the first line of
//! each id is kept: for entity nodes the last fragment of the entity (FtM overwrites the
//! node), for stubs and value nodes the first sighting, for edges the last one. Only the
//! attribute declarations (a few hundred property names) are held in memory.

use std::io::Write;
use std::path::Path;

use super::extsort::{ExternalSorter, Merge};
use super::graph::{EdgeTypes, EntityGraph, Node};
use super::pytext::float_repr;
use super::{ExportError, Exporter, PropertyColumns, join_values};
use crate::Entity;

/// Bytes of lines held in memory per sorter before a run is written to disk.
const SORT_MEMORY: usize = 32 * 1024 * 1024;

/// Attribute titles and their GEXF ids, in order of first use.
#[derive(Default)]
struct Attributes(Vec<(String, usize)>);

impl Attributes {
    fn id(&mut self, title: &str, next: &mut usize) -> usize {
        if let Some((_, id)) = self.0.iter().find(|(t, _)| t == title) {
            return *id;
        }
        let id = *next;
        *next += 1;
        self.0.push((title.to_string(), id));
        id
    }
}

pub struct GexfExporter<W: Write> {
    out: W,
    _tmp: tempfile::TempDir,
    edge_types: EdgeTypes,
    columns: PropertyColumns,
    nodes: Option<ExternalSorter>,
    edges: Option<ExternalSorter>,
    node_attributes: Attributes,
    edge_attributes: Attributes,
    next_attribute: usize,
    sequence: u64,
}

impl<W: Write> GexfExporter<W> {
    /// Temporary files go to a new directory under `tmp_parent` (the system's temporary
    /// directory if `None`), removed when the exporter is dropped.
    pub fn new(
        out: W,
        edge_types: EdgeTypes,
        tmp_parent: Option<&Path>,
    ) -> Result<Self, ExportError> {
        let tmp = match tmp_parent {
            Some(parent) => tempfile::Builder::new()
                .prefix("gexf-")
                .tempdir_in(parent)?,
            None => tempfile::Builder::new().prefix("gexf-").tempdir()?,
        };
        let nodes_dir = tmp.path().join("nodes");
        let edges_dir = tmp.path().join("edges");
        std::fs::create_dir_all(&nodes_dir)?;
        std::fs::create_dir_all(&edges_dir)?;
        Ok(GexfExporter {
            out,
            edge_types,
            columns: PropertyColumns::new(false),
            nodes: Some(ExternalSorter::new(&nodes_dir, SORT_MEMORY)),
            edges: Some(ExternalSorter::new(&edges_dir, SORT_MEMORY)),
            node_attributes: Attributes::default(),
            edge_attributes: Attributes::default(),
            next_attribute: 0,
            sequence: 0,
            _tmp: tmp,
        })
    }

    fn node_line(&mut self, node: &Node<'_>) -> Vec<u8> {
        let mut values: Vec<(usize, String)> = Vec::new();
        if let Some(entity) = node.entity {
            for prop in self.columns.of(entity.schema()).iter() {
                let value = join_values(prop.type_(), entity.get(prop.name()));
                if !value.is_empty() {
                    let id = self
                        .node_attributes
                        .id(prop.name(), &mut self.next_attribute);
                    values.push((id, value));
                }
            }
        }
        let schema = match node.schema {
            Some(schema) if node.is_entity() => schema.name(),
            _ => node.type_.name(),
        };
        let id = self.node_attributes.id("schema", &mut self.next_attribute);
        values.push((id, schema.to_string()));

        // Sort key: the node id, then the preference among lines of the same id.
        self.sequence += 1;
        let rank = if node.entity.is_some() {
            format!("0{:016x}", u64::MAX - self.sequence)
        } else {
            format!("1{:016x}", self.sequence)
        };
        let xml_id = escape(&node.id);
        let mut line = format!(
            "{xml_id}\0{rank}\0      <node id=\"{xml_id}\" label=\"{}\">",
            escape(&node.caption())
        );
        push_attvalues(&mut line, &values);
        line.push_str("</node>");
        line.into_bytes()
    }
}

fn push_attvalues(line: &mut String, values: &[(usize, String)]) {
    if values.is_empty() {
        return;
    }
    line.push_str("<attvalues>");
    for (id, value) in values {
        line.push_str(&format!(
            "<attvalue for=\"{id}\" value=\"{}\" />",
            escape(value)
        ));
    }
    line.push_str("</attvalues>");
}

/// Text for an XML attribute value: markup escaped, line breaks and tabs as character
/// references, and characters XML 1.0 cannot carry dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
            _ => out.push(c),
        }
    }
    out
}

impl<W: Write> Exporter for GexfExporter<W> {
    fn write(&mut self, entity: &Entity) -> Result<(), ExportError> {
        let edge_types = self.edge_types.clone();
        let graph = EntityGraph::of(entity, &edge_types);
        for node in &graph.nodes {
            let line = self.node_line(node);
            if let Some(sorter) = &mut self.nodes {
                sorter.push(line)?;
            }
        }
        for edge in &graph.edges {
            let mut values: Vec<(usize, String)> = Vec::new();
            if let Some(e) = edge.entity {
                for prop in self.columns.of(e.schema()).iter() {
                    let value = join_values(prop.type_(), e.get(prop.name()));
                    if !value.is_empty() {
                        let id = self
                            .edge_attributes
                            .id(prop.name(), &mut self.next_attribute);
                        values.push((id, value));
                    }
                }
            }
            let id = self.edge_attributes.id("schema", &mut self.next_attribute);
            values.push((id, edge.type_name().to_string()));
            self.sequence += 1;
            let xml_id = escape(&edge.id);
            let mut line = format!(
                "{xml_id}\0{:016x}\0      <edge id=\"{xml_id}\" source=\"{}\" target=\"{}\" weight=\"{}\">",
                u64::MAX - self.sequence,
                escape(&edge.source),
                escape(&edge.target),
                float_repr(edge.weight)
            );
            push_attvalues(&mut line, &values);
            line.push_str("</edge>");
            if let Some(sorter) = &mut self.edges {
                sorter.push(line.into_bytes())?;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), ExportError> {
        let (Some(nodes), Some(edges)) = (self.nodes.take(), self.edges.take()) else {
            return Ok(());
        };
        let out = &mut self.out;
        writeln!(out, "<?xml version='1.0' encoding='utf-8'?>")?;
        writeln!(
            out,
            "<gexf xmlns=\"http://www.gexf.net/1.2draft\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd\" version=\"1.2\">"
        )?;
        writeln!(
            out,
            "  <meta lastmodifieddate=\"{}\">\n    <creator>aleph</creator>\n  </meta>",
            today()
        )?;
        writeln!(
            out,
            "  <graph defaultedgetype=\"directed\" mode=\"static\" name=\"\">"
        )?;
        for (class, attributes) in [
            ("node", &self.node_attributes),
            ("edge", &self.edge_attributes),
        ] {
            writeln!(out, "    <attributes mode=\"static\" class=\"{class}\">")?;
            for (title, id) in &attributes.0 {
                writeln!(
                    out,
                    "      <attribute id=\"{id}\" title=\"{}\" type=\"string\" />",
                    escape(title)
                )?;
            }
            writeln!(out, "    </attributes>")?;
        }
        writeln!(out, "    <nodes>")?;
        write_first_of_each(out, nodes.finish()?)?;
        writeln!(out, "    </nodes>\n    <edges>")?;
        write_first_of_each(out, edges.finish()?)?;
        writeln!(out, "    </edges>\n  </graph>\n</gexf>")?;
        out.flush()?;
        Ok(())
    }
}

/// Write the element of the first line of each key (`key \0 rank \0 element`).
fn write_first_of_each(out: &mut dyn Write, mut merge: Merge) -> Result<(), ExportError> {
    let mut last_key: Option<Vec<u8>> = None;
    while let Some(line) = merge.next_line()? {
        let mut parts = line.splitn(3, |b| *b == 0);
        let (Some(key), Some(_rank), Some(element)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if last_key.as_deref() == Some(key) {
            continue;
        }
        out.write_all(element)?;
        out.write_all(b"\n")?;
        last_key = Some(key.to_vec());
    }
    Ok(())
}

/// Today's date (UTC) as `YYYY-MM-DD`.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date((secs / 86_400) as i64)
}

/// The date `days` after 1970-01-01 (Howard Hinnant's days-to-civil conversion).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(json: &str) -> Entity {
        Entity::from_json(serde_json::from_str(json).unwrap(), true).unwrap()
    }

    #[test]
    fn writes_each_node_once_preferring_the_entity_over_stubs() {
        let mut out = Vec::new();
        {
            let mut exporter = GexfExporter::new(&mut out, EdgeTypes::default(), None).unwrap();
            for line in [
                r#"{"id":"own-1","schema":"Ownership","properties":{"owner":["per-1"],"asset":["com-1"],"percentage":["50"]}}"#,
                r#"{"id":"per-1","schema":"Person","properties":{"name":["Ann <&> \"Q\""]}}"#,
                r#"{"id":"own-1","schema":"Ownership","properties":{"owner":["per-1"],"asset":["com-1"],"percentage":["60"]}}"#,
            ] {
                exporter.write(&entity(line)).unwrap();
            }
            exporter.finish().unwrap();
        }
        let xml = String::from_utf8(out).unwrap();
        assert_eq!(xml.matches("<node ").count(), 2, "{xml}");
        assert!(
            xml.contains("<node id=\"entity:per-1\" label=\"Ann &lt;&amp;&gt; &quot;Q&quot;\">")
        );
        assert!(xml.contains("<node id=\"entity:com-1\" label=\"com-1\">"));
        // The later fragment of the edge wins.
        assert_eq!(xml.matches("<edge ").count(), 1);
        assert!(xml.contains("value=\"60\""));
        assert!(!xml.contains("value=\"50\""));
        assert!(xml.contains("title=\"percentage\""));
        assert!(xml.contains("weight=\"1.0\""));
    }

    #[test]
    fn dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(59), "1970-03-01");
        assert_eq!(civil_date(19_723), "2024-01-01");
        assert_eq!(civil_date(19_782), "2024-02-29");
        assert_eq!(civil_date(-1), "1969-12-31");
    }
}
