//! [`SearchQuery`]: a whole search request, read from Aleph's HTTP parameters.
//!
//! Every value is checked here, so that a backend only ever sees a well-formed request and
//! a client gets a precise error (`limit=ten` → "limit: not an integer") instead of an empty
//! page. Parameters this layer does not know (`api_key`, `facet_type:*`, `_`…) are ignored:
//! they belong to the HTTP layer.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use ftm::Schema;

use super::field::{Field, ValueKind};
use super::parser::{self, Node, SyntaxError};
use super::values::{DateSpan, DateUnit, parse_date, parse_number};

/// Aleph's `MAX_PAGE`, and Elasticsearch's result window: no page reaches past it.
pub const MAX_WINDOW: usize = 9999;
pub const DEFAULT_LIMIT: usize = 20;
pub const DEFAULT_FACET_SIZE: usize = 20;
/// The most facet buckets one request may ask for.
pub const MAX_FACET_SIZE: usize = 10_000;
pub const DEFAULT_HIGHLIGHT_LENGTH: usize = 120;
pub const DEFAULT_HIGHLIGHT_COUNT: usize = 3;
/// The most sort criteria one request may give.
pub const MAX_SORTS: usize = 6;

/// A search request that cannot be run as given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    #[error("invalid query text: {0}")]
    Syntax(#[from] SyntaxError),
    #[error("{param}: {message}")]
    InvalidParam { param: String, message: String },
    #[error("{param}: unknown field '{field}'")]
    UnknownField { param: String, field: String },
}

impl QueryError {
    fn invalid(param: &str, message: impl Into<String>) -> QueryError {
        QueryError::InvalidParam {
            param: param.to_string(),
            message: message.into(),
        }
    }
}

/// A checked value for an exact-match filter.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterValue {
    Keyword(String),
    Integer(i64),
    Bool(bool),
    /// A date matches every instant of the period it names.
    Span(DateSpan),
    Number(f64),
    /// Words that must appear in order in a full-text field.
    Text(String),
}

/// One side of a range, as a number (dates in seconds since the epoch) or a keyword.
#[derive(Debug, Clone, PartialEq)]
pub enum RangeBounds {
    Numeric {
        lower: Bound<f64>,
        upper: Bound<f64>,
    },
    Keyword {
        lower: Bound<String>,
        upper: Bound<String>,
    },
}

/// A comparison operator of `filter:<op>:<field>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

/// One sort criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Score,
    Field(Field),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub order: Order,
}

/// A facet to compute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetRequest {
    /// The name the facet was asked for, which is the key of the response.
    pub name: String,
    pub field: Field,
    /// How many values to return (`facet_size:<f>`).
    pub size: usize,
    /// Whether to count distinct values (`facet_total:<f>`).
    pub total: bool,
    /// Whether to return values at all (`facet_values:<f>`).
    pub values: bool,
    /// Date histogram unit (`facet_interval:<f>`).
    pub interval: Option<DateUnit>,
}

/// Highlighting options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Highlight {
    /// What to highlight, when it is not `q` (`highlight_text`).
    pub text: Option<String>,
    /// Fragment length in characters.
    pub length: usize,
    /// Fragments per hit; 0 means each matching value whole.
    pub count: usize,
}

/// The slice of results to return, after Aleph's caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Page {
    pub offset: usize,
    /// How many hits to return: the asked limit cut so that `offset + limit <= 9999`.
    pub limit: usize,
    /// The limit the client asked for (`next_limit`, else `limit`, within `[0, 9999]`), which
    /// Aleph reports as the page's `limit` and uses for paging links.
    pub requested_limit: usize,
}

impl Page {
    /// A page after Aleph's caps: limit in `[0, 9999]`, offset at most 9999, and together
    /// at most 9999.
    pub fn new(offset: usize, limit: usize) -> Page {
        let offset = offset.min(MAX_WINDOW);
        let requested = limit.min(MAX_WINDOW);
        Page {
            offset,
            limit: requested.min(MAX_WINDOW - offset),
            requested_limit: requested,
        }
    }
}

impl Default for Page {
    fn default() -> Page {
        Page::new(0, DEFAULT_LIMIT)
    }
}

/// A complete search request. Build it with [`SearchQuery::from_params`] (or
/// [`SearchQuery::parse`] for just a `q`); run it with a backend, which also requires a
/// [`crate::ReadScope`].
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    pub(crate) text: Option<String>,
    pub(crate) query: Node,
    pub(crate) prefix: Option<String>,
    pub(crate) schema: Vec<&'static Schema>,
    pub(crate) schemata: Vec<&'static Schema>,
    pub(crate) ids: Vec<String>,
    pub(crate) filters: BTreeMap<Field, Vec<FilterValue>>,
    /// The filter values as given, to mark facet values active.
    pub(crate) filter_text: BTreeMap<Field, Vec<String>>,
    pub(crate) ranges: Vec<(Field, RangeBounds)>,
    pub(crate) excludes: BTreeMap<Field, Vec<FilterValue>>,
    pub(crate) empties: BTreeSet<Field>,
    pub(crate) facets: Vec<FacetRequest>,
    pub(crate) highlight: Option<Highlight>,
    pub(crate) sort: Vec<Sort>,
    pub(crate) page: Page,
}

impl Default for SearchQuery {
    fn default() -> SearchQuery {
        SearchQuery {
            text: None,
            query: Node::All,
            prefix: None,
            schema: Vec::new(),
            schemata: Vec::new(),
            ids: Vec::new(),
            filters: BTreeMap::new(),
            filter_text: BTreeMap::new(),
            ranges: Vec::new(),
            excludes: BTreeMap::new(),
            empties: BTreeSet::new(),
            facets: Vec::new(),
            highlight: None,
            sort: Vec::new(),
            page: Page::default(),
        }
    }
}

/// Aleph's (banal's) reading of a boolean parameter.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" | "enabled" => Some(true),
        "0" | "false" | "f" | "no" | "n" | "off" | "disabled" | "" => Some(false),
        _ => None,
    }
}

fn parse_usize(param: &str, value: &str) -> Result<usize, QueryError> {
    let n: i64 = value
        .trim()
        .parse()
        .map_err(|_| QueryError::invalid(param, format!("'{value}' is not an integer")))?;
    Ok(usize::try_from(n.max(0)).unwrap_or(0))
}

fn field_of(param: &str, name: &str) -> Result<Field, QueryError> {
    Field::parse(name).ok_or_else(|| QueryError::UnknownField {
        param: param.to_string(),
        field: name.to_string(),
    })
}

/// Reads a filter value for `field`, refusing what the field cannot hold.
pub(crate) fn filter_value(
    param: &str,
    field: Field,
    raw: &str,
) -> Result<FilterValue, QueryError> {
    let value = raw.trim();
    Ok(match field.value_kind() {
        ValueKind::Keyword if field.lowercase_values() => {
            FilterValue::Keyword(value.to_lowercase())
        }
        ValueKind::Keyword => FilterValue::Keyword(value.to_string()),
        ValueKind::Text => FilterValue::Text(value.to_string()),
        ValueKind::Integer => FilterValue::Integer(
            value
                .parse()
                .map_err(|_| QueryError::invalid(param, format!("'{value}' is not an integer")))?,
        ),
        ValueKind::Bool => FilterValue::Bool(
            parse_bool(value)
                .ok_or_else(|| QueryError::invalid(param, format!("'{value}' is not a boolean")))?,
        ),
        ValueKind::Timestamp | ValueKind::DateNumber => FilterValue::Span(
            parse_date(value)
                .ok_or_else(|| QueryError::invalid(param, format!("'{value}' is not a date")))?,
        ),
        ValueKind::Number => FilterValue::Number(
            parse_number(value)
                .ok_or_else(|| QueryError::invalid(param, format!("'{value}' is not a number")))?,
        ),
    })
}

/// Reads range bounds for `field` (already mapped with [`Field::range_field`]). Dates are
/// read as periods: a lower bound starts where its period starts (or, exclusive, after it
/// ends); an upper bound ends where its period ends (or, exclusive, before it starts).
pub(crate) fn range_bounds(
    field: Field,
    lower: Bound<&str>,
    upper: Bound<&str>,
) -> Result<RangeBounds, String> {
    let kind = field.value_kind();
    match kind {
        ValueKind::Keyword | ValueKind::Text => Ok(RangeBounds::Keyword {
            lower: lower.map(str::to_string),
            upper: upper.map(str::to_string),
        }),
        ValueKind::Bool => Err(format!("{field} cannot be compared")),
        ValueKind::Integer | ValueKind::Number => {
            let num = |v: &str| parse_number(v).ok_or_else(|| format!("'{v}' is not a number"));
            Ok(RangeBounds::Numeric {
                lower: map_bound(lower, num)?,
                upper: map_bound(upper, num)?,
            })
        }
        ValueKind::Timestamp | ValueKind::DateNumber => {
            let span = |v: &str| parse_date(v).ok_or_else(|| format!("'{v}' is not a date"));
            let lower = match lower {
                Bound::Included(v) => Bound::Included(span(v)?.start as f64),
                Bound::Excluded(v) => Bound::Included(span(v)?.end as f64),
                Bound::Unbounded => Bound::Unbounded,
            };
            let upper = match upper {
                Bound::Included(v) => Bound::Excluded(span(v)?.end as f64),
                Bound::Excluded(v) => Bound::Excluded(span(v)?.start as f64),
                Bound::Unbounded => Bound::Unbounded,
            };
            Ok(RangeBounds::Numeric { lower, upper })
        }
    }
}

fn map_bound<T>(
    bound: Bound<&str>,
    f: impl Fn(&str) -> Result<T, String>,
) -> Result<Bound<T>, String> {
    Ok(match bound {
        Bound::Included(v) => Bound::Included(f(v)?),
        Bound::Excluded(v) => Bound::Excluded(f(v)?),
        Bound::Unbounded => Bound::Unbounded,
    })
}

impl SearchQuery {
    /// A request for everything, first page.
    pub fn match_all() -> SearchQuery {
        SearchQuery::default()
    }

    /// A request with just a `q`.
    pub fn parse(q: &str) -> Result<SearchQuery, QueryError> {
        SearchQuery::from_params(&[("q".to_string(), q.to_string())])
    }

    /// Reads a request from HTTP-style parameters, in order; repeated keys repeat.
    pub fn from_params(params: &[(String, String)]) -> Result<SearchQuery, QueryError> {
        let mut query = SearchQuery::default();
        let mut offset = 0;
        let mut limit = DEFAULT_LIMIT;
        let mut next_limit = None;
        let mut facet_names: Vec<String> = Vec::new();
        let mut facet_options: Vec<(&str, &str, &str)> = Vec::new();
        let mut highlight = false;
        let mut highlight_opts = Highlight {
            text: None,
            length: DEFAULT_HIGHLIGHT_LENGTH,
            count: DEFAULT_HIGHLIGHT_COUNT,
        };
        let mut schema = Vec::new();
        let mut schemata = Vec::new();

        for (key, value) in params {
            let (key, value) = (key.as_str(), value.as_str());
            match key {
                "q" => {
                    let text = value.trim();
                    query.query = parser::parse(text)?;
                    query.text = (!text.is_empty()).then(|| text.to_string());
                }
                "prefix" => {
                    let text = value.trim();
                    query.prefix = (!text.is_empty()).then(|| text.to_string());
                }
                "offset" => offset = parse_usize(key, value)?,
                "limit" => limit = parse_usize(key, value)?,
                "next_limit" => next_limit = Some(parse_usize(key, value)?),
                "facet" => {
                    if !facet_names.iter().any(|f| f == value) {
                        facet_names.push(value.to_string());
                    }
                }
                "highlight" => {
                    highlight = parse_bool(value)
                        .ok_or_else(|| QueryError::invalid(key, "not a boolean"))?;
                }
                "highlight_text" => {
                    let text = value.trim();
                    highlight_opts.text = (!text.is_empty()).then(|| text.to_string());
                }
                "highlight_length" => highlight_opts.length = parse_usize(key, value)?.max(1),
                "highlight_count" => highlight_opts.count = parse_usize(key, value)?,
                "sort" => {
                    if query.sort.len() >= MAX_SORTS {
                        return Err(QueryError::invalid(
                            key,
                            format!("at most {MAX_SORTS} sorts"),
                        ));
                    }
                    query.sort.push(parse_sort(value)?);
                }
                _ => {
                    if let Some(rest) = key.strip_prefix("filter:") {
                        query.add_filter(key, rest, value, &mut schema, &mut schemata)?;
                    } else if let Some(name) = key.strip_prefix("exclude:") {
                        let field = field_of(key, name)?;
                        let v = filter_value(key, field, value)?;
                        query.excludes.entry(field).or_default().push(v);
                    } else if let Some(name) = key.strip_prefix("empty:") {
                        let field = field_of(key, name)?;
                        let wanted = parse_bool(value)
                            .ok_or_else(|| QueryError::invalid(key, "not a boolean"))?;
                        if wanted || value.trim().is_empty() {
                            query.empties.insert(field);
                        }
                    } else if let Some((option, name)) = key.split_once(':')
                        && matches!(
                            option,
                            "facet_size" | "facet_total" | "facet_values" | "facet_interval"
                        )
                    {
                        facet_options.push((option, name, value));
                    }
                }
            }
        }

        // `filter:schema` wins over `filter:schemata`, as in Aleph.
        if !schema.is_empty() {
            query.schema = schema;
        } else {
            query.schemata = schemata;
        }
        for name in facet_names {
            let request = facet_request(&name, &facet_options)?;
            query.facets.push(request);
        }
        if highlight {
            query.highlight = Some(highlight_opts);
        }
        let mut page = Page::new(offset, limit);
        if let Some(n) = next_limit {
            page.requested_limit = n.min(MAX_WINDOW);
        }
        query.page = page;
        Ok(query)
    }

    fn add_filter(
        &mut self,
        key: &str,
        rest: &str,
        value: &str,
        schema: &mut Vec<&'static Schema>,
        schemata: &mut Vec<&'static Schema>,
    ) -> Result<(), QueryError> {
        let op = match rest.split_once(':') {
            Some(("gt", name)) => Some((RangeOp::Gt, name)),
            Some(("gte", name)) => Some((RangeOp::Gte, name)),
            Some(("lt", name)) => Some((RangeOp::Lt, name)),
            Some(("lte", name)) => Some((RangeOp::Lte, name)),
            _ => None,
        };
        if let Some((op, name)) = op {
            let field = field_of(key, name)?.range_field();
            let v = value.trim();
            let (lower, upper) = match op {
                RangeOp::Gt => (Bound::Excluded(v), Bound::Unbounded),
                RangeOp::Gte => (Bound::Included(v), Bound::Unbounded),
                RangeOp::Lt => (Bound::Unbounded, Bound::Excluded(v)),
                RangeOp::Lte => (Bound::Unbounded, Bound::Included(v)),
            };
            let bounds =
                range_bounds(field, lower, upper).map_err(|m| QueryError::invalid(key, m))?;
            self.ranges.push((field, bounds));
            return Ok(());
        }
        match rest {
            "schema" | "schemata" => {
                let found = ftm::model()
                    .get(value.trim())
                    .ok_or_else(|| QueryError::invalid(key, format!("unknown schema '{value}'")))?;
                let list = if rest == "schema" { schema } else { schemata };
                if !list.contains(&found) {
                    list.push(found);
                }
            }
            "id" | "_id" => self.ids.push(value.trim().to_string()),
            name => {
                let field = field_of(key, name)?;
                let v = filter_value(key, field, value)?;
                self.filters.entry(field).or_default().push(v);
                let text = if field.lowercase_values() {
                    value.trim().to_lowercase()
                } else {
                    value.trim().to_string()
                };
                self.filter_text.entry(field).or_default().push(text);
            }
        }
        Ok(())
    }

    /// The parsed `q`.
    pub fn query(&self) -> &Node {
        &self.query
    }

    /// The query text as given (normalised), for Aleph's `query_text`.
    pub fn text(&self) -> Option<&str> {
        self.text.as_deref()
    }

    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    pub fn page(&self) -> Page {
        self.page
    }

    pub fn facets(&self) -> &[FacetRequest] {
        &self.facets
    }

    pub fn sort(&self) -> &[Sort] {
        &self.sort
    }

    pub fn highlight(&self) -> Option<&Highlight> {
        self.highlight.as_ref()
    }

    /// The exact-match filters (`filter:<field>`), by field; values of one field are
    /// alternatives.
    pub fn filters(&self) -> &BTreeMap<Field, Vec<FilterValue>> {
        &self.filters
    }

    /// The values of `filter:<field>`, as given (lower-cased where the field is).
    pub fn filter_text(&self, field: Field) -> &[String] {
        self.filter_text.get(&field).map_or(&[], Vec::as_slice)
    }

    pub fn ranges(&self) -> &[(Field, RangeBounds)] {
        &self.ranges
    }

    pub fn excludes(&self) -> &BTreeMap<Field, Vec<FilterValue>> {
        &self.excludes
    }

    pub fn empties(&self) -> &BTreeSet<Field> {
        &self.empties
    }

    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// The schemata that must match exactly (`filter:schema`).
    pub fn schema_filter(&self) -> &[&'static Schema] {
        &self.schema
    }

    /// The schemata that must match with their descendants (`filter:schemata`).
    pub fn schemata_filter(&self) -> &[&'static Schema] {
        &self.schemata
    }

    /// The same request for another page.
    pub fn with_page(mut self, offset: usize, limit: usize) -> SearchQuery {
        self.page = Page::new(offset, limit);
        self
    }
}

fn parse_sort(value: &str) -> Result<Sort, QueryError> {
    let (name, order) = match value.rsplit_once(':') {
        Some((name, "asc")) => (name, Some(Order::Asc)),
        Some((name, "desc")) => (name, Some(Order::Desc)),
        Some((_, other)) => {
            return Err(QueryError::invalid(
                "sort",
                format!("'{other}' is not a direction (asc or desc)"),
            ));
        }
        None => (value, None),
    };
    let key = match name.trim() {
        "score" | "_score" => SortKey::Score,
        "label" | "caption" => SortKey::Field(Field::Caption),
        other => SortKey::Field(field_of("sort", other)?),
    };
    if let SortKey::Field(f) = key
        && matches!(f.value_kind(), ValueKind::Text)
    {
        return Err(QueryError::invalid("sort", format!("cannot sort on {f}")));
    }
    // Aleph's default direction is ascending; for relevance only descending makes sense.
    let order = order.unwrap_or(if key == SortKey::Score {
        Order::Desc
    } else {
        Order::Asc
    });
    Ok(Sort { key, order })
}

fn facet_request(name: &str, options: &[(&str, &str, &str)]) -> Result<FacetRequest, QueryError> {
    let param = format!("facet={name}");
    let field = field_of(&param, name)?;
    if field.value_kind() == ValueKind::Text {
        return Err(QueryError::invalid(
            &param,
            format!("cannot facet on {field}"),
        ));
    }
    let mut request = FacetRequest {
        name: name.to_string(),
        field,
        size: DEFAULT_FACET_SIZE,
        total: false,
        values: true,
        interval: None,
    };
    let mut values_given = false;
    for (option, target, value) in options {
        if *target != name {
            continue;
        }
        let key = format!("{option}:{target}");
        match *option {
            "facet_size" => request.size = parse_usize(&key, value)?.min(MAX_FACET_SIZE),
            "facet_total" => {
                request.total =
                    parse_bool(value).ok_or_else(|| QueryError::invalid(&key, "not a boolean"))?;
            }
            "facet_values" => {
                request.values =
                    parse_bool(value).ok_or_else(|| QueryError::invalid(&key, "not a boolean"))?;
                values_given = true;
            }
            "facet_interval" => {
                let unit = DateUnit::parse(value.trim()).ok_or_else(|| {
                    QueryError::invalid(
                        &key,
                        format!("'{value}' is not year, month, week, day or hour"),
                    )
                })?;
                let kind = field.range_field().value_kind();
                if !matches!(kind, ValueKind::DateNumber | ValueKind::Timestamp) {
                    return Err(QueryError::invalid(
                        &key,
                        format!("{field} does not hold dates"),
                    ));
                }
                request.interval = Some(unit);
            }
            _ => {}
        }
    }
    // A histogram replaces the value list unless values are asked for explicitly.
    if request.interval.is_some() && !values_given {
        request.values = false;
    }
    Ok(request)
}

#[cfg(test)]
mod tests;
