use std::ops::Bound;

use super::*;
use crate::query::values::parse_date;

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn read(pairs: &[(&str, &str)]) -> SearchQuery {
    SearchQuery::from_params(&params(pairs)).unwrap()
}

fn fails(pairs: &[(&str, &str)]) -> QueryError {
    SearchQuery::from_params(&params(pairs)).unwrap_err()
}

#[test]
fn defaults() {
    let q = read(&[]);
    assert_eq!(q.query, Node::All);
    assert_eq!(
        q.page,
        Page {
            offset: 0,
            limit: 20,
            requested_limit: 20
        }
    );
    assert!(q.highlight.is_none());
    assert!(q.facets.is_empty());
}

#[test]
fn paging_caps_follow_aleph() {
    assert_eq!(
        read(&[("limit", "50"), ("offset", "100")]).page,
        Page {
            offset: 100,
            limit: 50,
            requested_limit: 50
        }
    );
    // limit <= 9999
    assert_eq!(read(&[("limit", "20000")]).page.limit, 9999);
    // offset + limit <= 9999, and the asked limit is still reported
    assert_eq!(
        read(&[("limit", "100"), ("offset", "9950")]).page,
        Page {
            offset: 9950,
            limit: 49,
            requested_limit: 100
        }
    );
    // offset <= 9999
    assert_eq!(
        read(&[("offset", "50000")]).page,
        Page {
            offset: 9999,
            limit: 0,
            requested_limit: 20
        }
    );
    assert_eq!(read(&[("limit", "-5")]).page.limit, 0);
    assert_eq!(read(&[("limit", "0")]).page.limit, 0);
    assert_eq!(
        read(&[("limit", "10"), ("next_limit", "30")])
            .page
            .requested_limit,
        30
    );
    assert!(
        matches!(fails(&[("limit", "ten")]), QueryError::InvalidParam { param, .. } if param == "limit")
    );
    assert!(matches!(
        fails(&[("offset", "1.5")]),
        QueryError::InvalidParam { .. }
    ));
}

#[test]
fn q_syntax_errors_are_errors() {
    match fails(&[("q", "(unclosed")]) {
        QueryError::Syntax(e) => assert_eq!(e.position, 0),
        other => panic!("{other:?}"),
    }
    assert_eq!(read(&[("q", "  ")]).query, Node::All);
    assert_eq!(read(&[("q", " putin ")]).text(), Some("putin"));
}

#[test]
fn filters_repeat_within_a_field() {
    let q = read(&[
        ("filter:countries", "RU"),
        ("filter:countries", "ua"),
        ("filter:collection_id", "12"),
        ("filter:properties.email", "x@y.org"),
    ]);
    assert_eq!(
        q.filters[&Field::Group("countries")],
        vec![
            FilterValue::Keyword("ru".into()),
            FilterValue::Keyword("ua".into())
        ]
    );
    assert_eq!(
        q.filters[&Field::CollectionId],
        vec![FilterValue::Integer(12)]
    );
    assert_eq!(
        q.filters[&Field::Property("email")],
        vec![FilterValue::Keyword("x@y.org".into())]
    );
    assert_eq!(q.filter_text(Field::Group("countries")), ["ru", "ua"]);
}

#[test]
fn filter_values_are_checked() {
    assert!(matches!(
        fails(&[("filter:collection_id", "abc")]),
        QueryError::InvalidParam { .. }
    ));
    assert!(matches!(
        fails(&[("filter:mutable", "maybe")]),
        QueryError::InvalidParam { .. }
    ));
    assert!(matches!(
        fails(&[("filter:numeric.amount", "lots")]),
        QueryError::InvalidParam { .. }
    ));
    assert!(matches!(
        fails(&[("filter:created_at", "yesterday")]),
        QueryError::InvalidParam { .. }
    ));
    assert_eq!(
        fails(&[("filter:nonsense", "x")]),
        QueryError::UnknownField {
            param: "filter:nonsense".into(),
            field: "nonsense".into()
        }
    );
    assert!(matches!(
        fails(&[("exclude:properties.nope", "x")]),
        QueryError::UnknownField { .. }
    ));
    assert_eq!(
        read(&[("filter:mutable", "yes")]).filters[&Field::Mutable],
        vec![FilterValue::Bool(true)]
    );
}

#[test]
fn schema_and_schemata() {
    let q = read(&[
        ("filter:schemata", "LegalEntity"),
        ("filter:schema", "Company"),
    ]);
    assert_eq!(
        q.schema.iter().map(|s| s.name()).collect::<Vec<_>>(),
        ["Company"]
    );
    assert!(q.schemata.is_empty(), "filter:schema wins");
    let q = read(&[("filter:schemata", "Thing")]);
    assert_eq!(
        q.schemata.iter().map(|s| s.name()).collect::<Vec<_>>(),
        ["Thing"]
    );
    assert!(matches!(
        fails(&[("filter:schema", "Unicorn")]),
        QueryError::InvalidParam { .. }
    ));
}

#[test]
fn ids_excludes_empties() {
    let q = read(&[
        ("filter:id", "a"),
        ("filter:_id", "b"),
        ("exclude:schema", "Page"),
        ("empty:properties.parent", "true"),
        ("empty:properties.ancestors", "false"),
    ]);
    assert_eq!(q.ids, ["a", "b"]);
    assert_eq!(
        q.excludes[&Field::Schema],
        vec![FilterValue::Keyword("Page".into())]
    );
    assert_eq!(
        q.empties.iter().copied().collect::<Vec<_>>(),
        [Field::Property("parent")]
    );
}

#[test]
fn ranges_read_dates_as_periods() {
    let q = read(&[
        ("filter:gte:dates", "2010"),
        ("filter:lte:dates", "2012-06"),
        ("filter:gt:numeric.amount", "1,000"),
        ("filter:lt:properties.incorporationDate", "2015-01-01"),
    ]);
    let y2010 = parse_date("2010").unwrap();
    let m2012 = parse_date("2012-06").unwrap();
    let d2015 = parse_date("2015-01-01").unwrap();
    assert_eq!(
        q.ranges,
        vec![
            (
                Field::Numeric("dates"),
                RangeBounds::Numeric {
                    lower: Bound::Included(y2010.start as f64),
                    upper: Bound::Unbounded
                }
            ),
            (
                Field::Numeric("dates"),
                RangeBounds::Numeric {
                    lower: Bound::Unbounded,
                    upper: Bound::Excluded(m2012.end as f64)
                }
            ),
            (
                Field::Numeric("amount"),
                RangeBounds::Numeric {
                    lower: Bound::Excluded(1000.0),
                    upper: Bound::Unbounded
                }
            ),
            (
                Field::Numeric("incorporationDate"),
                RangeBounds::Numeric {
                    lower: Bound::Unbounded,
                    upper: Bound::Excluded(d2015.start as f64)
                }
            ),
        ]
    );
    // gt on a date starts after the whole period
    let q = read(&[("filter:gt:dates", "2010")]);
    assert_eq!(
        q.ranges[0].1,
        RangeBounds::Numeric {
            lower: Bound::Included(y2010.end as f64),
            upper: Bound::Unbounded
        }
    );
    assert!(matches!(
        fails(&[("filter:gte:dates", "soon")]),
        QueryError::InvalidParam { .. }
    ));
    assert!(matches!(
        fails(&[("filter:gte:mutable", "true")]),
        QueryError::InvalidParam { .. }
    ));
}

#[test]
fn facets_and_their_options() {
    let q = read(&[
        ("facet", "countries"),
        ("facet", "dates"),
        ("facet", "countries"),
        ("facet_size:countries", "5"),
        ("facet_total:countries", "true"),
        ("facet_interval:dates", "year"),
        ("facet_size:other", "x"),
    ]);
    assert_eq!(
        q.facets,
        vec![
            FacetRequest {
                name: "countries".into(),
                field: Field::Group("countries"),
                size: 5,
                total: true,
                values: true,
                interval: None
            },
            FacetRequest {
                name: "dates".into(),
                field: Field::Group("dates"),
                size: 20,
                total: false,
                values: false,
                interval: Some(DateUnit::Year)
            },
        ]
    );
    assert!(matches!(
        fails(&[("facet", "dates"), ("facet_interval:dates", "decade")]),
        QueryError::InvalidParam { .. }
    ));
    assert!(matches!(
        fails(&[("facet", "countries"), ("facet_interval:countries", "year")]),
        QueryError::InvalidParam { .. }
    ));
    assert!(matches!(
        fails(&[("facet", "text")]),
        QueryError::InvalidParam { .. }
    ));
    assert!(matches!(
        fails(&[("facet", "bogus")]),
        QueryError::UnknownField { .. }
    ));
    let q = read(&[
        ("facet", "dates"),
        ("facet_interval:dates", "month"),
        ("facet_values:dates", "1"),
    ]);
    assert!(q.facets[0].values);
}

#[test]
fn highlight_options() {
    let q = read(&[("highlight", "true")]);
    assert_eq!(
        q.highlight,
        Some(Highlight {
            text: None,
            length: 120,
            count: 3
        })
    );
    let q = read(&[
        ("highlight", "on"),
        ("highlight_text", "bank"),
        ("highlight_length", "50"),
        ("highlight_count", "0"),
    ]);
    assert_eq!(
        q.highlight,
        Some(Highlight {
            text: Some("bank".into()),
            length: 50,
            count: 0
        })
    );
    assert!(
        read(&[("highlight", "false"), ("highlight_count", "2")])
            .highlight
            .is_none()
    );
    assert!(matches!(
        fails(&[("highlight", "perhaps")]),
        QueryError::InvalidParam { .. }
    ));
}

#[test]
fn sorts() {
    let q = read(&[
        ("sort", "dates:desc"),
        ("sort", "label"),
        ("sort", "score"),
        ("sort", "properties.incorporationDate:asc"),
        ("sort", "created_at:desc"),
    ]);
    assert_eq!(
        q.sort,
        vec![
            Sort {
                key: SortKey::Field(Field::Group("dates")),
                order: Order::Desc
            },
            Sort {
                key: SortKey::Field(Field::Caption),
                order: Order::Asc
            },
            Sort {
                key: SortKey::Score,
                order: Order::Desc
            },
            Sort {
                key: SortKey::Field(Field::Property("incorporationDate")),
                order: Order::Asc
            },
            Sort {
                key: SortKey::Field(Field::CreatedAt),
                order: Order::Desc
            },
        ]
    );
    assert!(matches!(
        fails(&[("sort", "caption:sideways")]),
        QueryError::InvalidParam { .. }
    ));
    assert!(matches!(
        fails(&[("sort", "nonsense")]),
        QueryError::UnknownField { .. }
    ));
    assert!(matches!(
        fails(&[("sort", "properties.bodyText")]),
        QueryError::InvalidParam { .. }
    ));
}

#[test]
fn unknown_parameters_are_ignored() {
    let q = read(&[
        ("api_key", "x"),
        ("facet_type:collection_id", "collection"),
        ("_", "1"),
    ]);
    assert_eq!(q, SearchQuery::default());
}
