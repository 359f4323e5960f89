//! Reading a mapping file: YAML (or JSON) into typed query, entity and property settings.
//!
//! The file is `{dataset name: {queries: [QUERY, ...]}}` (`query:` also works), with
//! `include: other.yml` anywhere merging another file's keys in, as `ftm map` does. Scalars
//! are read the way FtM reads them after PyYAML: strings are stripped, numbers become their
//! decimal text, booleans accept `yes`/`on`/`1`.

use std::path::{Path, PathBuf};

use serde_yaml_ng::Value;

use super::MappingError;
use super::record::float_text;

/// A whole mapping file.
#[derive(Debug, Clone)]
pub struct MappingFile {
    pub datasets: Vec<DatasetConfig>,
}

/// The queries of one dataset. The dataset name salts the ids, names the dataset of every
/// emitted entity and keys the signatures.
#[derive(Debug, Clone)]
pub struct DatasetConfig {
    pub name: String,
    pub queries: Vec<QueryConfig>,
}

/// One query: a source, its filters and the entities made from each record.
#[derive(Debug, Clone)]
pub struct QueryConfig {
    pub source: SourceSpec,
    pub filters: Vec<Filter>,
    pub entities: Vec<EntityConfig>,
}

/// Where a query's records come from.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSpec {
    /// CSV files: paths, `file://` or `http(s)://` URLs, read one after the other.
    Csv { urls: Vec<String> },
    /// A database query over one or more tables.
    Sql(SqlSpec),
}

/// The SQL side of a query: a connection string, the tables and how they join.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlSpec {
    pub database: String,
    pub tables: Vec<TableRef>,
    pub joins: Vec<Join>,
}

/// A table of a SQL query and the alias its columns are referred to by.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRef {
    pub table: String,
    pub alias: String,
}

/// An equality join between two columns (`alias.column` or a bare column name).
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    pub left: String,
    pub right: String,
}

/// A scalar filter value, kept with its YAML type: a CSV cell (always text) only ever
/// equals a text value, while SQL compares numbers as numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    Text(String),
    Integer(String),
    Float(String),
    Bool(bool),
    Null,
}

/// `filters` (keep rows whose column has one of the values) or `filters_not` (drop them).
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub column: String,
    pub values: Vec<FilterValue>,
    /// Given as a list (SQL: `IN`) rather than a single value (SQL: `=`).
    pub list: bool,
    /// `filters_not`.
    pub negate: bool,
}

/// One entity made per record.
#[derive(Debug, Clone)]
pub struct EntityConfig {
    /// The local name other entities of the query refer to it by.
    pub name: String,
    pub schema: Option<String>,
    pub keys: Vec<String>,
    pub key_literal: Option<String>,
    pub id_column: Option<String>,
    pub properties: Vec<(String, PropertyConfig)>,
}

/// How one property gets its values.
#[derive(Debug, Clone, Default)]
pub struct PropertyConfig {
    pub columns: Vec<String>,
    pub literals: Vec<String>,
    pub join: Option<String>,
    pub split: Option<String>,
    pub template: Option<String>,
    pub entity: Option<String>,
    pub format: Option<String>,
    pub fuzzy: bool,
    pub required: bool,
}

impl MappingFile {
    /// Read a mapping file, following `include`s.
    pub fn load(path: &Path) -> Result<MappingFile, MappingError> {
        let value = load_value(path)?;
        MappingFile::from_value(value)
    }

    /// Read a mapping from YAML text; `include`s are resolved against `base_dir`.
    pub fn from_str(text: &str, base_dir: &Path) -> Result<MappingFile, MappingError> {
        let mut value = parse_yaml(text, Path::new("<mapping>"))?;
        resolve_includes(&mut value, base_dir)?;
        MappingFile::from_value(value)
    }

    fn from_value(value: Value) -> Result<MappingFile, MappingError> {
        let mut datasets = Vec::new();
        let Value::Mapping(top) = value else {
            if value.is_null() {
                return Ok(MappingFile { datasets });
            }
            return Err(invalid(
                "a mapping file is a map of dataset names to queries",
            ));
        };
        for (name, meta) in top {
            let name = scalar_text(&name)
                .ok_or_else(|| invalid("a dataset name must be a non-empty text"))?;
            let mut queries = Vec::new();
            for query in keys_values(&meta, &["queries", "query"]) {
                queries
                    .push(parse_query(query).map_err(|e| e.context(&format!("dataset {name:?}")))?);
            }
            datasets.push(DatasetConfig { name, queries });
        }
        Ok(MappingFile { datasets })
    }
}

fn invalid(message: impl Into<String>) -> MappingError {
    MappingError::Invalid(message.into())
}

fn load_value(path: &Path) -> Result<Value, MappingError> {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let text = std::fs::read_to_string(&path).map_err(|source| MappingError::Read {
        path: path.clone(),
        source,
    })?;
    let mut value = parse_yaml(&text, &path)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    resolve_includes(&mut value, &dir)?;
    Ok(value)
}

fn parse_yaml(text: &str, path: &Path) -> Result<Value, MappingError> {
    let mut value: Value = serde_yaml_ng::from_str(text).map_err(|source| MappingError::Yaml {
        path: path.to_path_buf(),
        message: source.to_string(),
    })?;
    // `<<: *defaults` merge keys, which PyYAML applies while loading.
    value.apply_merge().map_err(|source| MappingError::Yaml {
        path: path.to_path_buf(),
        message: source.to_string(),
    })?;
    Ok(value)
}

/// `include: path` (or a list of paths) in any map merges those files' top-level keys into
/// that map; paths are relative to the including file's directory.
fn resolve_includes(value: &mut Value, dir: &Path) -> Result<(), MappingError> {
    match value {
        Value::Sequence(items) => {
            for item in items {
                resolve_includes(item, dir)?;
            }
        }
        Value::Mapping(map) => {
            if let Some(include) = map.remove("include") {
                let names: Vec<String> = match include {
                    Value::Sequence(items) => items.iter().filter_map(scalar_text).collect(),
                    other => scalar_text(&other).into_iter().collect(),
                };
                let paths: Vec<PathBuf> = names.iter().map(|p| dir.join(p)).collect();
                for path in paths {
                    if let Value::Mapping(included) = load_value(&path)? {
                        for (k, v) in included {
                            map.insert(k, v);
                        }
                    }
                }
            }
            for (_, v) in map.iter_mut() {
                resolve_includes(v, dir)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// FtM's `stringify` of a YAML scalar: text stripped (empty is nothing), numbers as
/// decimal text, booleans as Python writes them.
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => {
            let s = py_strip(s);
            (!s.is_empty()).then(|| s.to_string())
        }
        Value::Number(n) => Some(number_text(n)),
        Value::Bool(b) => Some(super::record::bool_text(*b).to_string()),
        Value::Tagged(tagged) => scalar_text(&tagged.value),
        Value::Null | Value::Sequence(_) | Value::Mapping(_) => None,
    }
}

/// Python's `str.strip()`: Unicode white space and the ASCII separators U+001C..U+001F.
pub(crate) fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// A scalar as a value (not stripped): literals and separators keep their spaces.
fn raw_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Tagged(tagged) => raw_text(&tagged.value),
        other => scalar_text(other),
    }
}

fn number_text(n: &serde_yaml_ng::Number) -> String {
    if n.is_f64() {
        float_text(n.as_f64().unwrap_or_default())
    } else {
        n.to_string()
    }
}

/// banal's `as_bool`: `true`, `1`, `yes`, `y`, `t`, `on`, `enabled` (any case) are true.
fn as_bool(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(v) => scalar_text(v).is_some_and(|t| {
            matches!(
                t.to_lowercase().as_str(),
                "1" | "yes" | "y" | "t" | "true" | "on" | "enabled"
            )
        }),
        None => false,
    }
}

/// banal's `keys_values`: the values under any of `keys`, lists flattened, nulls dropped.
fn keys_values<'a>(data: &'a Value, keys: &[&str]) -> Vec<&'a Value> {
    let mut out = Vec::new();
    let Value::Mapping(map) = data else {
        return out;
    };
    for key in keys {
        match map.get(*key) {
            Some(Value::Sequence(items)) => out.extend(items.iter().filter(|v| !v.is_null())),
            Some(Value::Null) | None => {}
            Some(v) => out.push(v),
        }
    }
    out
}

fn key_texts(data: &Value, keys: &[&str]) -> Vec<String> {
    keys_values(data, keys)
        .into_iter()
        .filter_map(raw_text)
        .collect()
}

fn get<'a>(data: &'a Value, key: &str) -> Option<&'a Value> {
    match data {
        Value::Mapping(map) => map.get(key).filter(|v| !v.is_null()),
        _ => None,
    }
}

/// `$NAME` and `${NAME}` replaced by environment variables; unknown names stay as they are
/// (Python's `os.path.expandvars`).
pub fn expand_vars(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (name, len) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        match (len, std::env::var(name)) {
            (1.., Ok(value)) if !name.is_empty() => out.push_str(&value),
            _ => out.push_str(&rest[pos..pos + 1 + len]),
        }
        rest = &rest[pos + 1 + len..];
    }
    out.push_str(rest);
    out
}

fn parse_query(data: &Value) -> Result<QueryConfig, MappingError> {
    if !matches!(data, Value::Mapping(_)) {
        return Err(invalid("a query must be a map"));
    }
    let mut entities = Vec::new();
    if let Some(Value::Mapping(map)) = get(data, "entities") {
        for (name, edata) in map {
            let name = scalar_text(name).ok_or_else(|| invalid("an entity name must be a text"))?;
            let entity = parse_entity(&name, edata)?;
            entities.push(entity);
        }
    }
    let source = if get(data, "database").is_some() {
        SourceSpec::Sql(parse_sql(data)?)
    } else if get(data, "csv_url").is_some() || get(data, "csv_urls").is_some() {
        let mut urls: Vec<String> = Vec::new();
        for url in key_texts(data, &["csv_url", "csv_urls"]) {
            let url = expand_vars(&url);
            if !urls.contains(&url) {
                urls.push(url);
            }
        }
        if urls.is_empty() {
            return Err(invalid("No CSV URLs are specified."));
        }
        SourceSpec::Csv { urls }
    } else {
        return Err(invalid(
            "Cannot determine mapping type: a query needs csv_url(s) or a database",
        ));
    };
    let mut filters = parse_filters(get(data, "filters"), false)?;
    filters.extend(parse_filters(get(data, "filters_not"), true)?);
    Ok(QueryConfig {
        source,
        filters,
        entities,
    })
}

fn parse_sql(data: &Value) -> Result<SqlSpec, MappingError> {
    let database = get(data, "database")
        .and_then(raw_text)
        .map(|d| expand_vars(&d))
        .ok_or_else(|| invalid("No database in SQL mapping!"))?;
    let mut tables = Vec::new();
    for table in keys_values(data, &["table", "tables"]) {
        let (name, alias) = match table {
            Value::Mapping(_) => {
                let name = get(table, "table")
                    .and_then(raw_text)
                    .ok_or_else(|| invalid("Query has no table!"))?;
                let alias = get(table, "alias").and_then(raw_text);
                (name.clone(), alias.unwrap_or(name))
            }
            other => {
                let name = raw_text(other).ok_or_else(|| invalid("Query has no table!"))?;
                (name.clone(), name)
            }
        };
        tables.push(TableRef { table: name, alias });
    }
    if tables.is_empty() {
        return Err(invalid("Query has no table!"));
    }
    let mut joins = Vec::new();
    for join in keys_values(data, &["joins"]) {
        let side = |key| {
            get(join, key)
                .and_then(raw_text)
                .ok_or_else(|| invalid(format!("a join needs `left` and `right`: {join:?}")))
        };
        joins.push(Join {
            left: side("left")?,
            right: side("right")?,
        });
    }
    Ok(SqlSpec {
        database,
        tables,
        joins,
    })
}

fn filter_value(value: &Value) -> FilterValue {
    match value {
        Value::String(s) => FilterValue::Text(s.clone()),
        Value::Number(n) if n.is_f64() => FilterValue::Float(number_text(n)),
        Value::Number(n) => FilterValue::Integer(n.to_string()),
        Value::Bool(b) => FilterValue::Bool(*b),
        Value::Tagged(t) => filter_value(&t.value),
        Value::Null | Value::Sequence(_) | Value::Mapping(_) => FilterValue::Null,
    }
}

fn parse_filters(data: Option<&Value>, negate: bool) -> Result<Vec<Filter>, MappingError> {
    let Some(data) = data else {
        return Ok(Vec::new());
    };
    let Value::Mapping(map) = data else {
        return Err(invalid("filters must be a map of column to value(s)"));
    };
    let mut out = Vec::new();
    for (column, value) in map {
        let column =
            scalar_text(column).ok_or_else(|| invalid("a filter column must be a text"))?;
        let (values, list) = match value {
            Value::Sequence(items) => (items.iter().map(filter_value).collect(), true),
            other => (vec![filter_value(other)], false),
        };
        out.push(Filter {
            column,
            values,
            list,
            negate,
        });
    }
    Ok(out)
}

fn parse_entity(name: &str, data: &Value) -> Result<EntityConfig, MappingError> {
    if !matches!(data, Value::Mapping(_)) {
        return Err(invalid(format!("entity {name:?} must be a map")));
    }
    let mut properties = Vec::new();
    if let Some(props) = get(data, "properties") {
        let Value::Mapping(props) = props else {
            return Err(invalid(format!(
                "the properties of entity {name:?} must be a map"
            )));
        };
        for (prop, pdata) in props {
            let prop =
                scalar_text(prop).ok_or_else(|| invalid("a property name must be a text"))?;
            let config = parse_property(pdata)
                .map_err(|e| e.context(&format!("entity {name:?}, property {prop:?}")))?;
            properties.push((prop, config));
        }
    }
    Ok(EntityConfig {
        name: name.to_string(),
        schema: get(data, "schema").and_then(scalar_text),
        keys: key_texts(data, &["key", "keys"]),
        key_literal: get(data, "key_literal").and_then(scalar_text),
        id_column: get(data, "id_column").and_then(scalar_text),
        properties,
    })
}

fn parse_property(data: &Value) -> Result<PropertyConfig, MappingError> {
    if !matches!(data, Value::Mapping(_)) {
        return Err(invalid(
            "a property mapping must be a map (column, literal, template or entity)",
        ));
    }
    let split = get(data, "split").and_then(raw_text);
    if split.as_deref() == Some("") {
        return Err(invalid("`split` needs a non-empty separator"));
    }
    Ok(PropertyConfig {
        columns: key_texts(data, &["column", "columns"]),
        literals: key_texts(data, &["literal", "literals"]),
        join: get(data, "join").and_then(raw_text),
        split,
        template: get(data, "template")
            .and_then(raw_text)
            .and_then(|t| super::record::sanitize_cell(&t)),
        entity: get(data, "entity").and_then(scalar_text),
        format: get(data, "format").and_then(scalar_text),
        fuzzy: as_bool(get(data, "fuzzy")),
        required: as_bool(get(data, "required")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> MappingFile {
        MappingFile::from_str(text, Path::new(".")).unwrap()
    }

    #[test]
    fn reads_queries_entities_and_properties_in_order() {
        let file = load(
            r#"
demo:
  queries:
    - csv_url: data.csv
      filters: {status: [active, ~], year: 2020}
      filters_not: {kind: x}
      entities:
        b: {schema: Person, key: id, properties: {name: {column: n, required: yes}}}
        a:
          schema: Company
          keys: [id, "x "]
          key_literal: "  lit "
          properties:
            name: {columns: [a, b], join: " "}
            notes: {template: " {{a}} ", literal: 5}
"#,
        );
        let ds = &file.datasets[0];
        assert_eq!(ds.name, "demo");
        let q = &ds.queries[0];
        assert_eq!(
            q.source,
            SourceSpec::Csv {
                urls: vec!["data.csv".into()]
            }
        );
        assert_eq!(q.entities[0].name, "b");
        assert_eq!(q.entities[0].keys, ["id"]);
        assert!(q.entities[0].properties[0].1.required);
        let a = &q.entities[1];
        assert_eq!(a.keys, ["id", "x "]);
        assert_eq!(a.key_literal.as_deref(), Some("lit"));
        assert_eq!(a.properties[0].1.join.as_deref(), Some(" "));
        assert_eq!(a.properties[1].1.template.as_deref(), Some("{{a}}"));
        assert_eq!(a.properties[1].1.literals, ["5"]);
        assert_eq!(q.filters.len(), 3);
        assert_eq!(
            q.filters[0].values,
            [FilterValue::Text("active".into()), FilterValue::Null]
        );
        assert!(q.filters[0].list && !q.filters[0].negate);
        assert_eq!(q.filters[1].values, [FilterValue::Integer("2020".into())]);
        assert!(q.filters[2].negate && !q.filters[2].list);
    }

    #[test]
    fn reads_sql_sources() {
        let file = load(
            r#"
db:
  query:
    database: sqlite:///x.db
    tables: [people, {table: companies, alias: c}]
    joins: [{left: people.cid, right: c.id}]
    entities: {p: {schema: Person, id_column: id}}
"#,
        );
        let SourceSpec::Sql(sql) = &file.datasets[0].queries[0].source else {
            panic!("not sql");
        };
        assert_eq!(sql.database, "sqlite:///x.db");
        assert_eq!(
            sql.tables,
            [
                TableRef {
                    table: "people".into(),
                    alias: "people".into()
                },
                TableRef {
                    table: "companies".into(),
                    alias: "c".into()
                }
            ]
        );
        assert_eq!(sql.joins[0].right, "c.id");
    }

    #[test]
    fn refuses_queries_without_a_source_and_bad_properties() {
        let err = MappingFile::from_str("d: {query: {entities: {}}}", Path::new(".")).unwrap_err();
        assert!(
            err.to_string().contains("Cannot determine mapping type"),
            "{err}"
        );
        let err = MappingFile::from_str(
            "d: {query: {csv_url: x, entities: {a: {schema: Person, key: k, properties: {name: n}}}}}",
            Path::new("."),
        )
        .unwrap_err();
        assert!(err.to_string().contains("must be a map"), "{err}");
    }

    #[test]
    fn merge_keys_and_includes() {
        let dir = std::env::temp_dir().join(format!("ftm-mapping-include-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("part.yml"),
            "entities: {p: {schema: Person, key: id}}\n",
        )
        .unwrap();
        let file = MappingFile::from_str(
            "base: &base {csv_url: a.csv}\nd:\n  query:\n    <<: *base\n    include: part.yml\n",
            &dir,
        )
        .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let d = file.datasets.iter().find(|d| d.name == "d").unwrap();
        assert_eq!(d.queries[0].entities[0].name, "p");
        assert_eq!(
            d.queries[0].source,
            SourceSpec::Csv {
                urls: vec!["a.csv".into()]
            }
        );
    }

    #[test]
    fn expands_environment_variables_like_python() {
        // Changing the environment is unsafe in edition 2024: use PATH, which is always set,
        // and a name that is not.
        let name = "FTM_MAPPING_TEST_UNSET_VARIABLE";
        let home = std::env::var("PATH").unwrap();
        assert_eq!(expand_vars("$PATH/x"), format!("{home}/x"));
        assert_eq!(expand_vars("${PATH}x"), format!("{home}x"));
        assert_eq!(expand_vars(&format!("${name}/a")), format!("${name}/a"));
        assert_eq!(expand_vars("a$"), "a$");
        assert_eq!(expand_vars("${unclosed"), "${unclosed");
    }
}
