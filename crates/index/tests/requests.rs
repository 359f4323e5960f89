//! Whole search requests (filters, facets, highlight, sort, paging) against a small index.

#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

/// Request parameters of a table-driven case.
type Params<'a> = &'a [(&'a str, &'a str)];

use common::*;
use index::ReadScope;

/// The fixture's country facet over every entity, with `active` marked as filtered on.
fn all_countries(active: Option<&str>) -> Vec<(String, u64, bool)> {
    [
        ("de", 2),
        ("ru", 2),
        ("cy", 1),
        ("fr", 1),
        ("gb", 1),
        ("tz", 1),
    ]
    .into_iter()
    .map(|(id, count)| (id.to_string(), count, active == Some(id)))
    .collect()
}

async fn filters(b: Backend) {
    let index = fixture(&b).await;
    let cases: &[(Params, &[&str])] = &[
        // Repeated values of one field: any of them.
        (
            &[("filter:countries", "ru"), ("filter:countries", "DE")],
            &["p1", "p2", "p3", "p4"],
        ),
        // Different fields: all of them.
        (
            &[("filter:countries", "de"), ("filter:collection_id", "1")],
            &["p3", "p4"],
        ),
        (
            &[("filter:schema", "Person"), ("exclude:countries", "de")],
            &["p1", "p2", "p5"],
        ),
        (
            &[
                ("filter:schema", "Person"),
                ("empty:properties.birthDate", "true"),
            ],
            &["p2", "p4", "p5"],
        ),
        (&[("filter:schema", "LegalEntity")], &[]),
        (
            &[("filter:schemata", "LegalEntity")],
            &["c1", "c2", "c3", "p1", "p2", "p3", "p4", "p5"],
        ),
        (&[("filter:schemata", "Document")], &["d1", "d3"]),
        (&[("filter:schemata", "Interval")], &["o1", "pay1", "pay2"]),
        (&[("filter:id", "p1"), ("filter:_id", "c1")], &["c1", "p1"]),
        (
            &[
                ("exclude:schemata", "LegalEntity"),
                ("exclude:schemata", "Interval"),
            ],
            &["d1", "d3"],
        ),
        (&[("filter:names", "Jürgen Müller")], &["p3"]),
        (&[("filter:names", "juergen mueller")], &["p3"]),
        (&[("filter:names", "Владимир Путин")], &["p1", "p2"]),
        (&[("filter:names", "Putin")], &[]),
        (
            &[("filter:gte:dates", "2011"), ("filter:lte:dates", "2012")],
            &["o1", "pay1"],
        ),
        (&[("filter:gt:dates", "2012")], &["c3", "pay2"]),
        (&[("filter:gt:numeric.amount", "200")], &["pay1"]),
        (
            &[("filter:lte:properties.incorporationDate", "2010")],
            &["c1", "c2"],
        ),
        (&[("filter:properties.jurisdiction", "gb")], &["c1"]),
        (&[("filter:numeric.amount", "1500")], &["pay1"]),
        (&[("filter:properties.birthDate", "1970")], &["p3"]),
        (&[("filter:mutable", "true")], &[]),
        (
            &[
                ("filter:created_at", "2024-01-01"),
                ("filter:collection_id", "3"),
            ],
            &["d3", "p5"],
        ),
        (
            &[("filter:origin", "test"), ("filter:collection_id", "3")],
            &["d3", "p5"],
        ),
        (
            &[("q", "putin"), ("filter:collection_id", "2")],
            &["c2", "p2"],
        ),
        (
            &[
                ("exclude:schema", "Person"),
                ("exclude:schema", "Company"),
                ("filter:collection_id", "1"),
            ],
            &["d1", "pay1", "pay2"],
        ),
    ];
    for (pairs, expected) in cases {
        assert_eq!(all_hits(&index, pairs).await, *expected, "{pairs:?}");
    }
}

async fn facet_counts_and_options(b: Backend) {
    let index = fixture(&b).await;
    let r = run(&index, &[("facet", "countries"), ("limit", "0")]).await;
    assert_eq!(r.total, 13);
    assert!(r.hits.is_empty());
    assert_eq!(facet_counts(&r, "countries"), all_countries(None));

    let r = run(
        &index,
        &[
            ("facet", "countries"),
            ("facet_size:countries", "2"),
            ("facet_total:countries", "true"),
        ],
    )
    .await;
    assert_eq!(
        facet_counts(&r, "countries"),
        vec![("de".into(), 2, false), ("ru".into(), 2, false)]
    );
    assert_eq!(r.facets["countries"].total, Some(6));

    let r = run(
        &index,
        &[
            ("facet", "countries"),
            ("facet_values:countries", "false"),
            ("facet_total:countries", "true"),
        ],
    )
    .await;
    assert_eq!(r.facets["countries"].values, None);
    assert_eq!(r.facets["countries"].total, Some(6));

    let r = run(
        &index,
        &[
            ("facet", "collection_id"),
            ("facet", "schema"),
            ("q", "putin"),
        ],
    )
    .await;
    assert_eq!(
        facet_counts(&r, "collection_id"),
        vec![
            ("2".into(), 2, false),
            ("1".into(), 1, false),
            ("3".into(), 1, false),
        ]
    );
    assert_eq!(
        facet_counts(&r, "schema"),
        vec![
            ("Person".into(), 2, false),
            ("Company".into(), 1, false),
            ("PlainText".into(), 1, false),
        ]
    );

    let r = run(
        &index,
        &[
            ("facet", "properties.jurisdiction"),
            ("facet", "numeric.amount"),
            ("facet", "mutable"),
            ("facet", "created_at"),
        ],
    )
    .await;
    assert_eq!(
        facet_counts(&r, "properties.jurisdiction"),
        vec![("cy".into(), 1, false), ("gb".into(), 1, false),]
    );
    assert_eq!(
        facet_counts(&r, "numeric.amount"),
        vec![("1500".into(), 1, false), ("200".into(), 1, false),]
    );
    assert_eq!(
        facet_counts(&r, "mutable"),
        vec![("false".into(), 13, false)]
    );
    assert_eq!(
        facet_counts(&r, "created_at"),
        vec![("2024-01-01T12:00:00".into(), 13, false)]
    );
}

async fn a_filter_does_not_narrow_its_own_facet(b: Backend) {
    let index = fixture(&b).await;
    let r = run(
        &index,
        &[("facet", "countries"), ("filter:countries", "de")],
    )
    .await;
    assert_eq!(sorted(ids(&r)), ["p3", "p4"]);
    assert_eq!(r.total, 2);
    assert_eq!(r.facets["countries"].filters, ["de"]);
    assert_eq!(facet_counts(&r, "countries"), all_countries(Some("de")));

    // Two faceted filters: each facet is narrowed by the other filter only.
    let r = run(
        &index,
        &[
            ("facet", "countries"),
            ("facet", "collection_id"),
            ("filter:countries", "de"),
            ("filter:collection_id", "3"),
        ],
    )
    .await;
    assert_eq!(r.total, 0);
    // Countries within collection 3 (only fr); the active `de` comes first with 0.
    assert_eq!(
        facet_counts(&r, "countries"),
        vec![("de".into(), 0, true), ("fr".into(), 1, false)]
    );
    // Collections of the `de` entities (both in 1); the active `3` comes first with 0.
    assert_eq!(
        facet_counts(&r, "collection_id"),
        vec![("3".into(), 0, true), ("1".into(), 2, false)]
    );

    // An active value outside the top values is still shown, with its real count.
    let r = run(
        &index,
        &[
            ("facet", "countries"),
            ("facet_size:countries", "1"),
            ("filter:countries", "tz"),
        ],
    )
    .await;
    assert_eq!(
        facet_counts(&r, "countries"),
        vec![("tz".into(), 1, true), ("de".into(), 2, false)]
    );

    // A filter on a field that is not faceted narrows every facet.
    let r = run(
        &index,
        &[("facet", "countries"), ("filter:collection_id", "3")],
    )
    .await;
    assert_eq!(facet_counts(&r, "countries"), vec![("fr".into(), 1, false)]);
}

async fn date_histograms(b: Backend) {
    let index = fixture(&b).await;
    let r = run(
        &index,
        &[("facet", "dates"), ("facet_interval:dates", "year")],
    )
    .await;
    assert_eq!(r.facets["dates"].values, None);
    let expected: Vec<(String, u64, bool)> = [1952, 1970, 2005, 2010, 2011, 2012, 2013, 2015]
        .iter()
        .map(|y| (format!("{y}-01-01T00:00:00"), 1, false))
        .collect();
    assert_eq!(interval_counts(&r, "dates"), expected);

    // Bounded by the range filters, which are marked active.
    let r = run(
        &index,
        &[
            ("facet", "dates"),
            ("facet_interval:dates", "year"),
            ("filter:gte:dates", "2010"),
            ("filter:lte:dates", "2012"),
        ],
    )
    .await;
    assert_eq!(sorted(ids(&r)), ["c1", "o1", "pay1"]);
    assert_eq!(
        interval_counts(&r, "dates"),
        vec![
            ("2010-01-01T00:00:00".into(), 1, true),
            ("2011-01-01T00:00:00".into(), 1, true),
            ("2012-01-01T00:00:00".into(), 1, true),
        ]
    );

    let r = run(
        &index,
        &[
            ("facet", "properties.incorporationDate"),
            ("facet_interval:properties.incorporationDate", "month"),
            ("facet_values:properties.incorporationDate", "true"),
        ],
    )
    .await;
    let facet = &r.facets["properties.incorporationDate"];
    let months: Vec<&str> = facet
        .intervals
        .as_ref()
        .unwrap()
        .iter()
        .map(|v| v.id.as_str())
        .collect();
    assert_eq!(
        months,
        [
            "2005-01-01T00:00:00",
            "2010-07-01T00:00:00",
            "2015-01-01T00:00:00"
        ]
    );
    assert_eq!(facet.values.as_ref().map(Vec::len), Some(3));
}

async fn highlighting(b: Backend) {
    let index = fixture(&b).await;
    let r = run(&index, &[("q", "bribe"), ("highlight", "true")]).await;
    assert_eq!(ids(&r), ["d1"]);
    assert_eq!(
        r.hits[0].highlight,
        ["In 2012 the acme holdings paid a <em>bribe</em> to the minister of transport."]
    );

    let r = run(
        &index,
        &[
            ("q", "putin"),
            ("filter:schema", "Person"),
            ("highlight", "true"),
            ("sort", "caption"),
        ],
    )
    .await;
    assert_eq!(ids(&r), ["p1", "p2"]);
    assert_eq!(r.hits[0].highlight, ["Vladimir <em>Putin</em>"]);
    assert_eq!(r.hits[1].highlight, ["Владимир <em>Путин</em>"]);

    // highlight_text replaces q; short fragments; no highlight without asking.
    let r = run(
        &index,
        &[
            ("q", "acme"),
            ("highlight", "true"),
            ("highlight_text", "minister"),
            ("highlight_length", "30"),
            ("sort", "caption"),
        ],
    )
    .await;
    assert_eq!(ids(&r), ["c1", "d1"]);
    assert!(r.hits[0].highlight.is_empty());
    assert_eq!(r.hits[1].highlight.len(), 1);
    let fragment = &r.hits[1].highlight[0];
    assert!(fragment.contains("<em>minister</em>"), "{fragment}");
    assert!(
        fragment
            .replace("<em>", "")
            .replace("</em>", "")
            .chars()
            .count()
            <= 30,
        "{fragment}"
    );

    let r = run(&index, &[("q", "bribe")]).await;
    assert!(r.hits[0].highlight.is_empty());

    // Several values, several fragments, capped by highlight_count.
    let r = run(
        &index,
        &[
            ("q", "acme"),
            ("filter:id", "d1"),
            ("highlight", "true"),
            ("highlight_count", "1"),
        ],
    )
    .await;
    assert_eq!(r.hits[0].highlight.len(), 1);
    let r = run(
        &index,
        &[("q", "acme"), ("filter:id", "d1"), ("highlight", "true")],
    )
    .await;
    assert_eq!(r.hits[0].highlight.len(), 2);
}

async fn highlight_deep_inside_a_long_text(b: Backend) {
    let index = empty_index(&b).await;
    let mut body = "lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(180_000);
    body.push_str("Clause 7 of the secret zanzibar treaty was never published. ");
    body.push_str(&"sed do eiusmod tempor. ".repeat(100));
    assert!(body.len() > 10_000_000);
    let mut text = entity("PlainText", "big", &[("title", "Archive dump")]);
    text.add_cleaned("bodyText", body.clone()).unwrap();
    let mut pages = entity("Pages", "pages", &[("title", "Scanned volume")]);
    pages.add_cleaned("indexText", body).unwrap();
    index
        .index(vec![doc(1, text), doc(1, pages)])
        .await
        .unwrap();
    index.commit().await.unwrap();

    let r = run(
        &index,
        &[
            ("q", "zanzibar"),
            ("highlight", "true"),
            ("sort", "caption"),
        ],
    )
    .await;
    assert_eq!(ids(&r), ["big", "pages"]);
    for hit in &r.hits {
        assert_eq!(hit.highlight.len(), 1, "{}", hit.id);
        assert!(
            hit.highlight[0].contains("secret <em>zanzibar</em> treaty"),
            "{:?}",
            hit.highlight
        );
    }
    // indexText is searchable and highlighted, but not returned with the entity.
    let pages = &r.hits[1].entity;
    assert!(pages["properties"].get("indexText").is_none());
    assert_eq!(pages["properties"]["title"][0], "Scanned volume");
}

async fn sorting(b: Backend) {
    let index = fixture(&b).await;
    let cases: &[(Params, &[&str])] = &[
        (
            &[("filter:schema", "Company"), ("sort", "caption")],
            &["c1", "c3", "c2"],
        ),
        (
            &[("filter:schema", "Company"), ("sort", "label:desc")],
            &["c2", "c3", "c1"],
        ),
        // Missing values go last in both directions; ties fall back to score, then id.
        (
            &[
                ("filter:schemata", "LegalEntity"),
                ("sort", "properties.incorporationDate:desc"),
            ],
            &["c3", "c1", "c2", "p1", "p2", "p3", "p4", "p5"],
        ),
        (
            &[
                ("filter:schemata", "LegalEntity"),
                ("sort", "properties.incorporationDate"),
            ],
            &["c2", "c1", "c3", "p1", "p2", "p3", "p4", "p5"],
        ),
        (
            &[("sort", "dates"), ("limit", "100")],
            &[
                "p1", "p3", "c2", "c1", "o1", "pay1", "pay2", "c3", "d1", "d3", "p2", "p4", "p5",
            ],
        ),
        (
            &[("sort", "numeric.amount:desc"), ("limit", "3")],
            &["pay1", "pay2", "c1"],
        ),
        (
            &[
                ("sort", "collection_id:desc"),
                ("sort", "caption"),
                ("limit", "4"),
            ],
            &["p5", "d3", "o1", "c2"],
        ),
    ];
    for (pairs, expected) in cases {
        assert_eq!(ids(&run(&index, pairs).await), *expected, "{pairs:?}");
    }
    let r = run(&index, &[("q", "putin"), ("sort", "score")]).await;
    assert_eq!(r.hits.last().map(|h| h.id.as_str()), Some("d3"));
}

async fn hits_carry_the_entity_and_its_facts(b: Backend) {
    let index = fixture(&b).await;
    let r = run(&index, &[("filter:id", "c1")]).await;
    let hit = &r.hits[0];
    assert_eq!(hit.collection_id, 1);
    assert_eq!(hit.entity["id"], "c1");
    assert_eq!(hit.entity["schema"], "Company");
    assert_eq!(hit.entity["properties"]["email"][0], "info@acme.example");
    assert_eq!(hit.created_at, Some(at(2024, 1, 1)));
    assert_eq!(hit.updated_at, Some(at(2024, 1, 2)));
    assert_eq!(hit.origin, ["test"]);
    assert!(!hit.mutable);
    assert_eq!(r.page.limit, 20);
}

async fn paging_over_ties_is_deterministic(b: Backend) {
    let index = empty_index(&b).await;
    // 57 identical names, written in three commits (three segments) in a scrambled order.
    let mut ids_all: Vec<String> = (0..57).map(|i| format!("t{i:03}")).collect();
    let mut order = ids_all.clone();
    order.sort_by_key(|id| (id.as_bytes()[3] as usize * 7919) % 13);
    for chunk in order.chunks(20) {
        let docs = chunk
            .iter()
            .map(|id| doc(1, entity("Person", id, &[("name", "Same Name")])))
            .collect();
        index.index(docs).await.unwrap();
        index.commit().await.unwrap();
    }
    ids_all.sort();
    for q in ["same", ""] {
        let mut paged = Vec::new();
        for offset in (0..60).step_by(7) {
            let offset = offset.to_string();
            let r = run(&index, &[("q", q), ("offset", &offset), ("limit", "7")]).await;
            assert_eq!(r.total, 57);
            paged.extend(r.hits.iter().map(|h| h.id.clone()));
        }
        assert_eq!(paged, ids_all, "q={q:?}");
    }
}

async fn count_and_facets_only(b: Backend) {
    let index = fixture(&b).await;
    let q = params(&[("q", "putin"), ("facet", "schema")]);
    assert_eq!(index.count(&ReadScope::All, &q).await.unwrap(), 4);
    let facets = index.facets(&ReadScope::All, &q).await.unwrap();
    let schema: Vec<(String, u64)> = facets["schema"]
        .values
        .as_ref()
        .unwrap()
        .iter()
        .map(|v| (v.id.clone(), v.count))
        .collect();
    assert_eq!(
        schema,
        vec![
            ("Person".into(), 2),
            ("Company".into(), 1),
            ("PlainText".into(), 1)
        ]
    );
}

async fn sorting_on_a_property_nobody_has(b: Backend) {
    let index = fixture(&b).await;
    let r = run(
        &index,
        &[
            ("filter:schema", "Company"),
            ("sort", "properties.swiftBic:desc"),
        ],
    )
    .await;
    // Every value is missing: the id decides.
    assert_eq!(ids(&r), ["c1", "c2", "c3"]);
}

backend_tests!(
    sorting_on_a_property_nobody_has,
    filters,
    facet_counts_and_options,
    a_filter_does_not_narrow_its_own_facet,
    date_histograms,
    highlighting,
    highlight_deep_inside_a_long_text,
    sorting,
    hits_carry_the_entity_and_its_facts,
    paging_over_ties_is_deterministic,
    count_and_facets_only,
);
