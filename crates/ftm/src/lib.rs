//! The FollowTheMoney (FtM) data model, as the `followthemoney` Python package defines it.
//!
//! - [`model`]: the 71 schemata and their properties, loaded once from `data/model.json`;
//! - [`types`]: the 20 property types and how each cleans a raw value;
//! - [`entity`]: entities (id, schema, multi-valued properties), merging and captions;
//! - [`ids`]: `make_id` and Aleph's HMAC signing of ids;
//! - [`jsonl`]: streaming FtM JSON-lines input and output;
//! - [`mapping`]: FtM's mapping YAML, structured records into entities;
//! - [`export`]: entity streams out as CSV, Excel, Cypher, Neo4j CSV, GEXF and RDF.

pub mod entity;
pub mod export;
pub mod ids;
pub mod jsonl;
pub mod mapping;
pub mod model;
pub mod names;
pub mod types;

pub use entity::{AddOptions, Entity, EntityError};
pub use ids::{Namespace, make_id};
pub use model::{Model, ModelError, Property, Schema, model};
pub use types::{CleanOptions, PropertyType};
