//! Reading `data/model.json` and resolving inheritance into a [`Model`].

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::{Edge, Model, Property, Schema};
use crate::PropertyType;

#[derive(Deserialize)]
struct ModelFile {
    version: String,
    types: BTreeMap<String, TypeFile>,
    schemata: BTreeMap<String, SchemaFile>,
}

#[derive(Deserialize)]
struct TypeFile {
    label: String,
    plural: String,
    #[serde(default)]
    values: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemaFile {
    label: String,
    plural: String,
    #[serde(default)]
    extends: Vec<String>,
    #[serde(default, rename = "abstract")]
    is_abstract: bool,
    #[serde(default)]
    matchable: bool,
    #[serde(default)]
    generated: bool,
    #[serde(default)]
    hidden: bool,
    #[serde(default)]
    deprecated: bool,
    #[serde(default)]
    featured: Vec<String>,
    #[serde(default)]
    required: Vec<String>,
    #[serde(default)]
    caption: Vec<String>,
    #[serde(default)]
    edge: Option<EdgeFile>,
    #[serde(default)]
    temporal_start: Vec<String>,
    #[serde(default)]
    temporal_end: Vec<String>,
    properties: BTreeMap<String, PropertyFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EdgeFile {
    source: String,
    target: String,
    label: String,
    directed: bool,
    #[serde(default)]
    caption: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PropertyFile {
    label: String,
    #[serde(rename = "type")]
    type_name: String,
    #[serde(default)]
    range: Option<String>,
    #[serde(default)]
    reverse: Option<String>,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    stub: bool,
    #[serde(default)]
    hidden: bool,
    #[serde(default)]
    deprecated: bool,
    #[serde(default)]
    matchable: Option<bool>,
    #[serde(default)]
    max_length: Option<usize>,
}

/// Label, plural and (for enumerations) the labelled values of a property type.
pub(super) struct TypeData {
    pub label: String,
    pub plural: String,
    pub values: Option<Vec<(String, String)>>,
}

/// What can be wrong with a model file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("model file is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Invalid(String),
}

pub(super) fn load(text: &str) -> Result<Model, LoadError> {
    let file: ModelFile = serde_json::from_str(text)?;
    let invalid = |msg: String| LoadError::Invalid(msg);
    if file.schemata.len() > 128 {
        return Err(invalid(
            "more than 128 schemata do not fit the ancestry bit set".into(),
        ));
    }
    let by_name: HashMap<String, usize> = file
        .schemata
        .keys()
        .enumerate()
        .map(|(i, n)| (n.clone(), i))
        .collect();

    // Own properties first, so that every property has a stable index.
    let mut properties = Vec::new();
    let mut own: Vec<Vec<usize>> = Vec::with_capacity(by_name.len());
    for (schema_index, (schema_name, schema)) in file.schemata.iter().enumerate() {
        let mut mine = Vec::new();
        for (name, p) in &schema.properties {
            let type_ = PropertyType::from_name(&p.type_name).ok_or_else(|| {
                invalid(format!(
                    "{schema_name}:{name}: unknown type {}",
                    p.type_name
                ))
            })?;
            let range =
                match &p.range {
                    Some(r) => Some(*by_name.get(r).ok_or_else(|| {
                        invalid(format!("{schema_name}:{name}: unknown range {r}"))
                    })?),
                    None => None,
                };
            mine.push(properties.len());
            properties.push(Property {
                index: properties.len(),
                schema: schema_index,
                name: leak(name),
                qname: format!("{schema_name}:{name}"),
                label: p.label.clone(),
                type_,
                range,
                reverse: p.reverse.clone(),
                format: p.format.clone(),
                stub: p.stub,
                hidden: p.hidden,
                deprecated: p.deprecated,
                matchable: p.matchable.unwrap_or(type_.matchable()),
                max_length: p.max_length.unwrap_or(type_.max_length()),
            });
        }
        own.push(mine);
    }

    let mut schemata: Vec<Schema> = Vec::with_capacity(by_name.len());
    for (index, (name, s)) in file.schemata.iter().enumerate() {
        let extends = s
            .extends
            .iter()
            .map(|p| {
                by_name
                    .get(p)
                    .copied()
                    .ok_or_else(|| invalid(format!("{name}: unknown parent {p}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        schemata.push(Schema {
            index,
            name: leak(name),
            label: s.label.clone(),
            plural: s.plural.clone(),
            extends,
            ancestry: 1u128 << index,
            descendants: Vec::new(),
            is_abstract: s.is_abstract,
            matchable: s.matchable,
            generated: s.generated,
            hidden: s.hidden,
            deprecated: s.deprecated,
            featured: s.featured.clone(),
            required: s.required.clone(),
            caption: s.caption.clone(),
            edge: s.edge.as_ref().map(|e| Edge {
                source: e.source.clone(),
                target: e.target.clone(),
                label: e.label.clone(),
                directed: e.directed,
                caption: e.caption.clone(),
            }),
            temporal_start: s.temporal_start.clone(),
            temporal_end: s.temporal_end.clone(),
            own_properties: own[index].clone(),
            properties: HashMap::new(),
            sorted_properties: Vec::new(),
            matchable_schemata: Vec::new(),
        });
    }

    let mut done = vec![false; schemata.len()];
    let mut visiting = vec![false; schemata.len()];
    for i in 0..schemata.len() {
        resolve(i, &mut schemata, &properties, &mut done, &mut visiting)?;
    }

    // Descendants and matchable schemata need every ancestry to be known.
    for i in 0..schemata.len() {
        let ancestry = schemata[i].ancestry;
        for (j, other) in schemata.iter_mut().enumerate() {
            if j != i && ancestry & (1u128 << j) != 0 {
                other.descendants.push(i);
            }
        }
    }
    for i in 0..schemata.len() {
        if !schemata[i].matchable {
            continue;
        }
        let me = &schemata[i];
        let mut candidates = me.ancestry;
        for &d in &me.descendants {
            candidates |= 1u128 << d;
        }
        let matchable: Vec<usize> = (0..schemata.len())
            .filter(|&j| candidates & (1u128 << j) != 0 && schemata[j].matchable)
            .collect();
        schemata[i].matchable_schemata = matchable;
    }

    for s in &schemata {
        check_schema(s, &properties).map_err(invalid)?;
    }

    let type_labels = file
        .types
        .into_iter()
        .map(|(name, t)| {
            let type_ = PropertyType::from_name(&name)
                .ok_or_else(|| invalid(format!("unknown type {name}")))?;
            let values = t.values.map(|v| v.into_iter().collect());
            Ok((
                type_,
                TypeData {
                    label: t.label,
                    plural: t.plural,
                    values,
                },
            ))
        })
        .collect::<Result<HashMap<_, _>, LoadError>>()?;

    Ok(Model {
        version: file.version,
        schemata,
        properties,
        by_name,
        type_labels,
    })
}

/// FtM's `Schema.generate`: inherit parents' properties, ancestry and temporal extent.
fn resolve(
    i: usize,
    schemata: &mut [Schema],
    properties: &[Property],
    done: &mut [bool],
    visiting: &mut [bool],
) -> Result<(), LoadError> {
    if done[i] {
        return Ok(());
    }
    if visiting[i] {
        return Err(LoadError::Invalid(format!(
            "inheritance cycle through {}",
            schemata[i].name
        )));
    }
    visiting[i] = true;
    let mut props: HashMap<String, usize> = schemata[i]
        .own_properties
        .iter()
        .map(|&p| (properties[p].name.to_string(), p))
        .collect();
    let mut ancestry = schemata[i].ancestry;
    let mut temporal_start = None;
    let mut temporal_end = None;
    for parent in schemata[i].extends.clone() {
        resolve(parent, schemata, properties, done, visiting)?;
        let p = &schemata[parent];
        for (name, &prop) in &p.properties {
            props.entry(name.clone()).or_insert(prop);
        }
        ancestry |= p.ancestry;
        if temporal_start.is_none() && !p.temporal_start.is_empty() {
            temporal_start = Some(p.temporal_start.clone());
        }
        if temporal_end.is_none() && !p.temporal_end.is_empty() {
            temporal_end = Some(p.temporal_end.clone());
        }
    }
    let s = &mut schemata[i];
    if s.temporal_start.is_empty() {
        s.temporal_start = temporal_start.unwrap_or_default();
    }
    if s.temporal_end.is_empty() {
        s.temporal_end = temporal_end.unwrap_or_default();
    }
    let mut sorted: Vec<usize> = props.values().copied().collect();
    sorted.sort_by(|&a, &b| properties[a].name.cmp(properties[b].name));
    s.properties = props;
    s.sorted_properties = sorted;
    s.ancestry = ancestry;
    visiting[i] = false;
    done[i] = true;
    Ok(())
}

/// The consistency checks FtM applies when it loads its YAML.
fn check_schema(s: &Schema, properties: &[Property]) -> Result<(), String> {
    let has = |name: &str| s.properties.contains_key(name);
    for name in s.featured.iter().chain(&s.required) {
        if !has(name) {
            return Err(format!(
                "{}: missing featured/required property {name}",
                s.name
            ));
        }
    }
    for name in &s.caption {
        match s.properties.get(name) {
            None => return Err(format!("{}: missing caption property {name}", s.name)),
            Some(&p) if properties[p].type_ == PropertyType::Entity => {
                return Err(format!("{}: caption cannot be an entity: {name}", s.name));
            }
            Some(_) => {}
        }
    }
    if let Some(edge) = &s.edge {
        for name in [&edge.source, &edge.target] {
            if !has(name) {
                return Err(format!("{}: missing edge property {name}", s.name));
            }
        }
    }
    Ok(())
}

/// Names live as long as the process-wide model; leaking them once lets every schema and
/// property hand out `&'static str` without lifetimes on every caller.
fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}
