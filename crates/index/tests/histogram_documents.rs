//! Date histograms count entities, not dates (as OpenSearch's `date_histogram` does): an
//! entity with several dates in one period counts once there, and once in each other
//! period it has a date in. Checked with the values read one document at a time (a query
//! with text) and a block at a time (no query text), in one segment and across two.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use index::{IndexDoc, ReadScope, SearchIndex, SearchQuery, TantivyIndex, TantivyOptions};

fn event(id: &str, dates: &[&str]) -> IndexDoc {
    let mut e = ftm::Entity::with_id("Event", id).unwrap();
    e.add("name", "meeting").unwrap();
    // `date`, `startDate` and `endDate` all land in the `dates` group.
    for (prop, value) in ["date", "startDate", "endDate"].iter().zip(dates) {
        e.add(prop, value).unwrap();
    }
    IndexDoc::new(e, 1)
}

fn counts(result: &index::SearchResult) -> BTreeMap<String, u64> {
    result.facets["dates"]
        .intervals
        .as_ref()
        .unwrap()
        .iter()
        .map(|v| (v.id.clone(), v.count))
        .collect()
}

async fn histogram(index: &TantivyIndex, q: &str, unit: &str) -> BTreeMap<String, u64> {
    let params: Vec<(String, String)> = [
        ("q", q),
        ("facet", "dates"),
        ("facet_interval:dates", unit),
        ("limit", "0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let query = SearchQuery::from_params(&params).unwrap();
    counts(&index.search(&ReadScope::All, &query).await.unwrap())
}

fn expected(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entity_counts_once_per_period() {
    for segments in [1, 2] {
        let index = TantivyIndex::in_memory(TantivyOptions::default()).unwrap();
        let docs = [
            // Two days of one month, the same day twice, one date.
            event("e1", &["2020-01-05", "2020-01-20"]),
            event("e2", &["2020-01-07", "2020-01-07", "2020-01-07"]),
            event("e3", &["2020-02-01"]),
            // Spans two months and two years.
            event("e4", &["2020-12-30", "2021-01-02", "2020-12-31"]),
        ];
        let (first, second) = docs.split_at(if segments == 1 { docs.len() } else { 2 });
        index.index(first.to_vec()).await.unwrap();
        index.commit().await.unwrap();
        if !second.is_empty() {
            index.index(second.to_vec()).await.unwrap();
            index.commit().await.unwrap();
        }
        // With query text documents are collected one by one, without it in blocks.
        for q in ["meeting", ""] {
            assert_eq!(
                histogram(&index, q, "month").await,
                expected(&[
                    ("2020-01-01T00:00:00", 2),
                    ("2020-02-01T00:00:00", 1),
                    ("2020-12-01T00:00:00", 1),
                    ("2021-01-01T00:00:00", 1),
                ]),
                "q={q:?}, {segments} segment(s)"
            );
            assert_eq!(
                histogram(&index, q, "year").await,
                expected(&[("2020-01-01T00:00:00", 4), ("2021-01-01T00:00:00", 1)]),
                "q={q:?}, {segments} segment(s)"
            );
            assert_eq!(
                histogram(&index, q, "day").await,
                expected(&[
                    ("2020-01-05T00:00:00", 1),
                    ("2020-01-07T00:00:00", 1),
                    ("2020-01-20T00:00:00", 1),
                    ("2020-02-01T00:00:00", 1),
                    ("2020-12-30T00:00:00", 1),
                    ("2020-12-31T00:00:00", 1),
                    ("2021-01-02T00:00:00", 1),
                ]),
                "q={q:?}, {segments} segment(s)"
            );
        }
    }
}
