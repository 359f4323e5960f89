//! Properties of one type group kept apart: values of two properties of the same group
//! (`nationality` and `country`, `owner` and `asset`) are indexed once in the group field,
//! and every query on one property must still see only that property's values — exact
//! terms, filters with several values, exclusions, patterns, keyword ranges, presence,
//! facets and sorts — on both backends, in an index of two segments.

#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use common::{
    Backend, TestIndex, all_hits, doc, empty_index, entity, facet_counts, ids, matching, run,
};

async fn index(b: &Backend) -> TestIndex {
    let index = empty_index(b).await;
    index
        .index(vec![
            doc(
                1,
                entity(
                    "Person",
                    "a",
                    &[("name", "Anna"), ("nationality", "ru"), ("country", "de")],
                ),
            ),
            doc(
                1,
                entity(
                    "Person",
                    "b",
                    &[("name", "Boris"), ("nationality", "de"), ("country", "ru")],
                ),
            ),
        ])
        .await
        .unwrap();
    index.commit().await.unwrap();
    index
        .index(vec![
            doc(
                1,
                entity("Person", "c", &[("name", "Clara"), ("nationality", "fr")]),
            ),
            doc(
                1,
                entity(
                    "Ownership",
                    "o",
                    &[("owner", "a"), ("asset", "b"), ("role", "director")],
                ),
            ),
            doc(
                1,
                entity("Ownership", "p", &[("owner", "b"), ("asset", "a")]),
            ),
        ])
        .await
        .unwrap();
    index.commit().await.unwrap();
    index
}

async fn terms_and_filters(b: Backend) {
    let index = index(&b).await;
    assert_eq!(matching(&index, "properties.nationality:de").await, ["b"]);
    assert_eq!(matching(&index, "properties.country:de").await, ["a"]);
    assert_eq!(matching(&index, "countries:de").await, ["a", "b"]);
    assert_eq!(matching(&index, "properties.owner:a").await, ["o"]);
    assert_eq!(matching(&index, "properties.asset:a").await, ["p"]);
    assert_eq!(matching(&index, "entities:a").await, ["o", "p"]);
    assert_eq!(
        matching(&index, "properties.nationality:(de OR fr)").await,
        ["b", "c"]
    );
    assert_eq!(matching(&index, "properties.role:director").await, ["o"]);
    let f = |pairs: &'static [(&'static str, &'static str)]| all_hits(&index, pairs);
    assert_eq!(f(&[("filter:properties.nationality", "ru")]).await, ["a"]);
    assert_eq!(
        f(&[
            ("filter:properties.nationality", "ru"),
            ("filter:properties.nationality", "fr"),
        ])
        .await,
        ["a", "c"]
    );
    assert_eq!(
        f(&[
            ("filter:schema", "Person"),
            ("exclude:properties.country", "ru"),
        ])
        .await,
        ["a", "c"]
    );
    assert!(f(&[("filter:properties.asset", "c")]).await.is_empty());
}

async fn patterns_ranges_presence(b: Backend) {
    let index = index(&b).await;
    assert_eq!(matching(&index, "properties.nationality:d?").await, ["b"]);
    assert_eq!(matching(&index, "properties.country:d*").await, ["a"]);
    assert_eq!(matching(&index, "properties.nationality:/f./").await, ["c"]);
    assert_eq!(matching(&index, "properties.country:ra~1").await, ["b"]);
    assert_eq!(
        matching(&index, "properties.nationality:[e TO g]").await,
        ["c"]
    );
    assert_eq!(matching(&index, "properties.country:[a TO e]").await, ["a"]);
    assert_eq!(
        matching(&index, "_exists_:properties.country").await,
        ["a", "b"]
    );
    assert_eq!(
        matching(&index, "_exists_:properties.nationality").await,
        ["a", "b", "c"]
    );
    assert_eq!(
        all_hits(
            &index,
            &[
                ("filter:schema", "Person"),
                ("empty:properties.country", "true")
            ]
        )
        .await,
        ["c"]
    );
}

async fn facets_and_sort(b: Backend) {
    let index = index(&b).await;
    let result = run(
        &index,
        &[
            ("filter:schema", "Person"),
            ("facet", "properties.nationality"),
            ("facet", "properties.country"),
            ("facet", "countries"),
        ],
    )
    .await;
    let names = |v: Vec<(String, u64, bool)>| -> Vec<(String, u64)> {
        v.into_iter().map(|(id, n, _)| (id, n)).collect()
    };
    let pair = |id: &str, n: u64| (id.to_string(), n);
    assert_eq!(
        names(facet_counts(&result, "properties.nationality")),
        [pair("de", 1), pair("fr", 1), pair("ru", 1)]
    );
    assert_eq!(
        names(facet_counts(&result, "properties.country")),
        [pair("de", 1), pair("ru", 1)]
    );
    assert_eq!(
        names(facet_counts(&result, "countries")),
        [pair("de", 2), pair("ru", 2), pair("fr", 1)]
    );
    let sorted = run(
        &index,
        &[
            ("filter:schema", "Person"),
            ("sort", "properties.nationality:desc"),
        ],
    )
    .await;
    assert_eq!(ids(&sorted), ["a", "c", "b"]);
    let sorted = run(
        &index,
        &[
            ("filter:schema", "Person"),
            ("sort", "properties.country:asc"),
        ],
    )
    .await;
    assert_eq!(ids(&sorted), ["a", "b", "c"]);
}

backend_tests!(terms_and_filters, patterns_ranges_presence, facets_and_sort);
