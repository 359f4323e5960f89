//! Neo4j bulk import files, as `ftm export-neo4j-bulk` writes them: `<Schema>.csv` for the
//! nodes of each entity schema and the edges of each relationship schema, `_nodes.csv` for
//! value nodes, `_links.csv` for property edges, and `neo4j_import.sh` calling
//! `neo4j-admin import` with all of them.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::graph::{EdgeTypes, EntityGraph, Node};
use super::pytext::float_repr;
use super::{ExportError, Exporter, PropertyColumns, SeenSet, const_case, join_values};
use crate::{Entity, Schema};

type CsvOut = ::csv::Writer<BufWriter<File>>;

/// A CSV file quoted the way Python's `csv.unix_dialect` quotes: every field.
pub(super) fn csv_file(path: &Path) -> Result<CsvOut, ExportError> {
    let file = File::create(path)?;
    Ok(::csv::WriterBuilder::new()
        .quote_style(::csv::QuoteStyle::Always)
        .terminator(::csv::Terminator::Any(b'\n'))
        .flexible(true)
        .from_writer(BufWriter::with_capacity(256 * 1024, file)))
}

pub struct Neo4jExporter {
    dir: PathBuf,
    edge_types: EdgeTypes,
    columns: PropertyColumns,
    links: CsvOut,
    nodes: CsvOut,
    /// Value nodes already in `_nodes.csv`.
    nodes_seen: SeenSet,
    /// One file per schema, in order of first use.
    schemata: Vec<(&'static Schema, CsvOut)>,
}

impl Neo4jExporter {
    /// Create the directory (if needed) and the two shared files.
    pub fn new(dir: &Path, edge_types: EdgeTypes) -> Result<Self, ExportError> {
        std::fs::create_dir_all(dir)?;
        let mut links = csv_file(&dir.join("_links.csv"))?;
        links.write_record([":TYPE", ":START_ID", ":END_ID", "weight"])?;
        let mut nodes = csv_file(&dir.join("_nodes.csv"))?;
        nodes.write_record(["id:ID", ":LABEL", "caption"])?;
        Ok(Neo4jExporter {
            dir: dir.to_path_buf(),
            edge_types,
            columns: PropertyColumns::new(false),
            links,
            nodes,
            nodes_seen: SeenSet::default(),
            schemata: Vec::new(),
        })
    }

    fn schema_writer(&mut self, schema: &'static Schema) -> Result<&mut CsvOut, ExportError> {
        let position = match self.schemata.iter().position(|(s, _)| *s == schema) {
            Some(i) => i,
            None => {
                let mut writer = csv_file(&self.dir.join(format!("{}.csv", schema.name())))?;
                let mut header: Vec<&str> = if schema.edge().is_some() {
                    vec!["id", ":TYPE", ":START_ID", ":END_ID"]
                } else {
                    vec!["id:ID", ":LABEL", "caption"]
                };
                let columns = self.columns.of(schema);
                header.extend(columns.iter().map(|p| p.name()));
                writer.write_record(&header)?;
                self.schemata.push((schema, writer));
                self.schemata.len() - 1
            }
        };
        Ok(&mut self.schemata[position].1)
    }

    fn write_node(&mut self, node: &Node<'_>) -> Result<(), ExportError> {
        if !node.is_entity() && self.nodes_seen.insert(&node.id) {
            self.nodes
                .write_record([node.id.as_str(), node.type_.name(), &node.caption()])?;
        }
        let (Some(entity), Some(schema)) = (node.entity, node.schema) else {
            return Ok(());
        };
        let mut row = vec![node.id.clone(), node.labels().join(";"), node.caption()];
        for prop in self.columns.of(schema).iter() {
            row.push(join_values(prop.type_(), entity.get(prop.name())));
        }
        self.schema_writer(schema)?.write_record(&row)?;
        Ok(())
    }
}

impl Exporter for Neo4jExporter {
    fn write(&mut self, entity: &Entity) -> Result<(), ExportError> {
        let graph = EntityGraph::of(entity, &self.edge_types);
        for node in &graph.nodes {
            self.write_node(node)?;
        }
        for edge in &graph.edges {
            if let Some(prop) = edge.prop {
                self.links.write_record([
                    const_case(prop.name()).as_str(),
                    &edge.source,
                    &edge.target,
                    &float_repr(edge.weight),
                ])?;
            }
            if let Some(e) = edge.entity {
                let schema = e.schema();
                let mut row = vec![
                    e.id().unwrap_or_default().to_string(),
                    const_case(schema.name()),
                    edge.source.clone(),
                    edge.target.clone(),
                ];
                for prop in self.columns.of(schema).iter() {
                    row.push(join_values(prop.type_(), e.get(prop.name())));
                }
                self.schema_writer(schema)?.write_record(&row)?;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), ExportError> {
        self.links.flush()?;
        self.nodes.flush()?;
        for (_, writer) in &mut self.schemata {
            writer.flush()?;
        }
        let admin = std::env::var("NEO4J_ADMIN_PATH").unwrap_or_else(|_| "neo4j-admin".into());
        let database = std::env::var("NEO4J_DATABASE_NAME").unwrap_or_else(|_| "graph.db".into());
        let mut script = format!(
            "{admin} import --id-type=STRING --database={database} \\\n\t--multiline-fields=true \\\n\t--relationships=_links.csv \\\n\t--nodes=_nodes.csv"
        );
        for (schema, _) in &self.schemata {
            let kind = if schema.edge().is_some() {
                "relationships"
            } else {
                "nodes"
            };
            script.push_str(&format!(" \\\n\t--{kind}={}.csv", schema.name()));
        }
        script.push('\n');
        let mut file = File::create(self.dir.join("neo4j_import.sh"))?;
        file.write_all(script.as_bytes())?;
        Ok(())
    }
}
