//! No search, count, facet, stream or total reveals an entity outside the read scope.

#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use std::collections::BTreeMap;

use common::*;
use index::ReadScope;

fn scope(ids: &[i64]) -> ReadScope {
    ReadScope::collections(ids.iter().copied())
}

async fn hits_and_totals_stay_inside_the_scope(b: Backend) {
    let index = fixture(&b).await;
    let only_1 = scope(&[1]);
    let r = index
        .search(&only_1, &params(&[("q", "putin")]))
        .await
        .unwrap();
    assert_eq!(ids(&r), ["p1"]);
    assert_eq!(r.total, 1);

    let everything = params(&[("limit", "100")]);
    let r = index.search(&only_1, &everything).await.unwrap();
    assert_eq!(r.total, 8);
    assert!(r.hits.iter().all(|h| h.collection_id == 1));

    // Asking for another collection explicitly does not widen the scope.
    for pairs in [
        &[("filter:collection_id", "2")][..],
        &[("q", "collection_id:2")][..],
        &[
            ("q", "collection_id:[0 TO 9]"),
            ("filter:collection_id", "3"),
        ][..],
        &[("filter:id", "p2")][..],
        &[("q", "NOT collection_id:1")][..],
    ] {
        let r = index.search(&only_1, &params(pairs)).await.unwrap();
        assert_eq!(r.total, 0, "{pairs:?}");
        assert!(r.hits.is_empty(), "{pairs:?}");
        assert_eq!(
            index.count(&only_1, &params(pairs)).await.unwrap(),
            0,
            "{pairs:?}"
        );
    }
}

async fn facet_counts_stay_inside_the_scope(b: Backend) {
    let index = fixture(&b).await;
    let only_1 = scope(&[1]);
    let r = index
        .search(
            &only_1,
            &params(&[
                ("facet", "countries"),
                ("facet", "collection_id"),
                ("facet_total:countries", "true"),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(
        facet_counts(&r, "collection_id"),
        vec![("1".into(), 8, false)]
    );
    assert_eq!(
        facet_counts(&r, "countries"),
        vec![
            ("de".into(), 2, false),
            ("gb".into(), 1, false),
            ("ru".into(), 1, false),
            ("tz".into(), 1, false),
        ]
    );
    assert_eq!(r.facets["countries"].total, Some(4));

    // Drill-down drops the facet's own filter, never the scope.
    let q = params(&[("facet", "collection_id"), ("filter:collection_id", "2")]);
    let r = index.search(&only_1, &q).await.unwrap();
    assert_eq!(r.total, 0);
    assert_eq!(
        facet_counts(&r, "collection_id"),
        vec![("2".into(), 0, true), ("1".into(), 8, false)]
    );
    let facets = index.facets(&only_1, &q).await.unwrap();
    assert_eq!(facets, r.facets);

    let r = index
        .search(
            &scope(&[2, 3]),
            &params(&[("facet", "schema"), ("q", "putin")]),
        )
        .await
        .unwrap();
    assert_eq!(
        facet_counts(&r, "schema"),
        vec![
            ("Company".into(), 1, false),
            ("Person".into(), 1, false),
            ("PlainText".into(), 1, false),
        ]
    );
}

async fn an_empty_scope_sees_nothing(b: Backend) {
    let index = fixture(&b).await;
    let none = ReadScope::collections([]);
    assert!(none.is_empty());
    let q = params(&[("facet", "countries"), ("filter:countries", "ru")]);
    let r = index.search(&none, &q).await.unwrap();
    assert_eq!(r.total, 0);
    assert!(r.hits.is_empty());
    assert_eq!(facet_counts(&r, "countries"), vec![("ru".into(), 0, true)]);
    assert_eq!(index.count(&none, &params(&[])).await.unwrap(), 0);
    assert!(
        index
            .stream_ids(&none, &params(&[]))
            .await
            .unwrap()
            .collect_all()
            .await
            .unwrap()
            .is_empty()
    );
    assert!(index.collection_counts(&none).await.unwrap().is_empty());
    // A scope of collections that hold nothing is just as empty.
    assert_eq!(index.count(&scope(&[99]), &params(&[])).await.unwrap(), 0);
}

async fn streams_and_collection_counts_respect_the_scope(b: Backend) {
    let index = fixture(&b).await;
    let mut streamed = index
        .stream_ids(&scope(&[2]), &params(&[]))
        .await
        .unwrap()
        .collect_all()
        .await
        .unwrap();
    streamed.sort();
    assert_eq!(streamed, ["c2", "o1", "p2"]);

    let mut all = index
        .stream_ids(&ReadScope::All, &params(&[("q", "putin")]))
        .await
        .unwrap()
        .collect_all()
        .await
        .unwrap();
    all.sort();
    assert_eq!(all, ["c2", "d3", "p1", "p2"]);

    assert_eq!(
        index.collection_counts(&ReadScope::All).await.unwrap(),
        BTreeMap::from([(1, 8), (2, 3), (3, 2)])
    );
    assert_eq!(
        index.collection_counts(&scope(&[1, 3])).await.unwrap(),
        BTreeMap::from([(1, 8), (3, 2)])
    );
}

backend_tests!(
    hits_and_totals_stay_inside_the_scope,
    facet_counts_stay_inside_the_scope,
    an_empty_scope_sees_nothing,
    streams_and_collection_counts_respect_the_scope,
);
