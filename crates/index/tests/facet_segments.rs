//! Facet counts and date histograms over an index written in several commits (so over
//! several segments), with deleted entities and with a permission scope that leaves out a
//! collection, checked against counts worked out here from the documents themselves.

#![allow(clippy::unwrap_used)]

#[macro_use]
mod common;

use std::collections::BTreeMap;

use common::{Backend, TestIndex, doc, empty_index, entity, facet_counts, params};
use index::{IndexDoc, ReadScope, SearchResult};

const PEOPLE: usize = 90;
const BATCH: usize = 30;
/// Removed after the last commit.
const DELETED: [usize; 4] = [3, 10, 47, 88];

/// One generated person: collection, e-mails and birth date.
struct Person {
    id: String,
    collection: i64,
    emails: Vec<String>,
    birth: (i32, u32, u32),
}

fn people() -> Vec<Person> {
    (0..PEOPLE)
        .map(|i| {
            // A few e-mails shared by many people across every commit, plus one of their
            // own for every fifth person (many values counted once).
            let mut emails = vec![format!("shared{}@example.com", (i * 7) % 11)];
            if i % 5 == 0 {
                emails.push(format!("own{i}@example.com"));
            }
            Person {
                id: format!("p{i}"),
                collection: 1 + (i % 3) as i64,
                emails,
                birth: (
                    1950 + ((i * 13) % 40) as i32,
                    1 + (i % 12) as u32,
                    1 + (i % 28) as u32,
                ),
            }
        })
        .collect()
}

fn index_doc(p: &Person) -> IndexDoc {
    let (y, m, d) = p.birth;
    let birth = format!("{y:04}-{m:02}-{d:02}");
    let mut props: Vec<(&str, &str)> = vec![("name", "Some Person"), ("birthDate", &birth)];
    for e in &p.emails {
        props.push(("email", e));
    }
    doc(p.collection, entity("Person", &p.id, &props))
}

async fn several_segments(b: &Backend) -> TestIndex {
    let index = without_deletes(b).await;
    index
        .delete_entities(DELETED.iter().map(|i| format!("p{i}")).collect())
        .await
        .unwrap();
    index.commit().await.unwrap();
    index
}

async fn without_deletes(b: &Backend) -> TestIndex {
    let index = empty_index(b).await;
    let people = people();
    for batch in people.chunks(BATCH) {
        index
            .index(batch.iter().map(index_doc).collect())
            .await
            .unwrap();
        index.commit().await.unwrap();
    }
    index
}

/// The people a scope can see, deleted ones left out.
fn visible(scope: &ReadScope) -> Vec<Person> {
    people()
        .into_iter()
        .enumerate()
        .filter(|(i, p)| !DELETED.contains(i) && scope.can_read(p.collection))
        .map(|(_, p)| p)
        .collect()
}

/// Counts per value, most frequent first, ties by value.
fn ranked(counts: BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut list: Vec<(String, u64)> = counts.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    list
}

fn email_counts(people: &[Person]) -> Vec<(String, u64)> {
    let mut counts = BTreeMap::new();
    for p in people {
        for e in &p.emails {
            *counts.entry(e.clone()).or_insert(0) += 1;
        }
    }
    ranked(counts)
}

async fn search(index: &TestIndex, scope: &ReadScope, pairs: &[(&str, &str)]) -> SearchResult {
    index.search(scope, &params(pairs)).await.unwrap()
}

fn intervals(result: &SearchResult, facet: &str) -> Vec<(String, u64)> {
    result.facets[facet]
        .intervals
        .as_ref()
        .unwrap()
        .iter()
        .map(|v| (v.id.clone(), v.count))
        .collect()
}

fn scopes() -> [ReadScope; 2] {
    [ReadScope::All, ReadScope::collections([1, 3])]
}

async fn value_counts_add_up_across_segments(b: Backend) {
    let index = several_segments(&b).await;
    for scope in scopes() {
        let people = visible(&scope);
        let expected = email_counts(&people);
        for size in [1usize, 4, 200] {
            let size_text = size.to_string();
            let r = search(
                &index,
                &scope,
                &[
                    ("facet", "emails"),
                    ("facet_size:emails", &size_text),
                    ("facet_total:emails", "true"),
                    ("limit", "0"),
                ],
            )
            .await;
            assert_eq!(r.total, people.len() as u64, "{scope:?}");
            let want: Vec<(String, u64, bool)> = expected
                .iter()
                .take(size)
                .map(|(v, n)| (v.clone(), *n, false))
                .collect();
            assert_eq!(facet_counts(&r, "emails"), want, "{scope:?} size {size}");
            assert_eq!(
                r.facets["emails"].total,
                Some(expected.len() as u64),
                "{scope:?}"
            );
        }
    }
}

async fn active_value_outside_the_top_keeps_its_count(b: Backend) {
    let index = several_segments(&b).await;
    for scope in scopes() {
        let people = visible(&scope);
        let expected = email_counts(&people);
        // The least frequent visible value, far below the top 3.
        let (rare, rare_count) = expected.last().unwrap().clone();
        let r = search(
            &index,
            &scope,
            &[
                ("facet", "emails"),
                ("facet_size:emails", "3"),
                ("filter:emails", &rare),
                ("limit", "0"),
            ],
        )
        .await;
        let mut want = vec![(rare.clone(), rare_count, true)];
        want.extend(expected.iter().take(3).map(|(v, n)| (v.clone(), *n, false)));
        assert_eq!(facet_counts(&r, "emails"), want, "{scope:?}");
        assert_eq!(r.total, rare_count, "{scope:?}");
    }
}

async fn histograms_add_up_across_segments(b: Backend) {
    let index = several_segments(&b).await;
    for scope in scopes() {
        let people = visible(&scope);
        let mut years: BTreeMap<String, u64> = BTreeMap::new();
        let mut months: BTreeMap<String, u64> = BTreeMap::new();
        let mut bounded: BTreeMap<String, u64> = BTreeMap::new();
        for p in &people {
            let (y, m, _) = p.birth;
            *years.entry(format!("{y:04}-01-01T00:00:00")).or_insert(0) += 1;
            *months
                .entry(format!("{y:04}-{m:02}-01T00:00:00"))
                .or_insert(0) += 1;
            if (1960..=1979).contains(&y) {
                *bounded.entry(format!("{y:04}-01-01T00:00:00")).or_insert(0) += 1;
            }
        }
        let r = search(
            &index,
            &scope,
            &[
                ("facet", "dates"),
                ("facet_interval:dates", "year"),
                ("limit", "0"),
            ],
        )
        .await;
        assert_eq!(
            intervals(&r, "dates"),
            years.into_iter().collect::<Vec<_>>(),
            "{scope:?}"
        );
        let r = search(
            &index,
            &scope,
            &[
                ("facet", "dates"),
                ("facet_interval:dates", "month"),
                ("limit", "0"),
            ],
        )
        .await;
        assert_eq!(
            intervals(&r, "dates"),
            months.into_iter().collect::<Vec<_>>(),
            "{scope:?}"
        );
        let r = search(
            &index,
            &scope,
            &[
                ("facet", "dates"),
                ("facet_interval:dates", "year"),
                ("filter:gte:dates", "1960"),
                ("filter:lte:dates", "1979"),
                ("limit", "0"),
            ],
        )
        .await;
        let bounded_total: u64 = bounded.values().sum();
        assert_eq!(r.total, bounded_total, "{scope:?}");
        assert_eq!(
            intervals(&r, "dates"),
            bounded.into_iter().collect::<Vec<_>>(),
            "{scope:?}"
        );
    }
}

/// Without query text every match ranks the same and the id decides: pages follow the ids
/// across segments, with and without deleted entities (Tantivy reads ids a block at a time
/// when nothing is deleted, one by one otherwise).
async fn paging_without_query_follows_ids(b: Backend) {
    for deletes in [false, true] {
        let index = if deletes {
            several_segments(&b).await
        } else {
            without_deletes(&b).await
        };
        for scope in scopes() {
            let mut expected: Vec<String> = people()
                .into_iter()
                .enumerate()
                .filter(|(i, p)| !(deletes && DELETED.contains(i)) && scope.can_read(p.collection))
                .map(|(_, p)| p.id)
                .collect();
            expected.sort();
            let mut seen = Vec::new();
            for offset in (0..expected.len() + 7).step_by(7) {
                let offset_text = offset.to_string();
                let r = search(&index, &scope, &[("limit", "7"), ("offset", &offset_text)]).await;
                assert_eq!(r.total, expected.len() as u64);
                seen.extend(r.hits.iter().map(|h| h.id.clone()));
            }
            assert_eq!(seen, expected, "deletes {deletes}, {scope:?}");
        }
    }
}

backend_tests!(
    paging_without_query_follows_ids,
    value_counts_add_up_across_segments,
    active_value_outside_the_top_keeps_its_count,
    histograms_add_up_across_segments,
);
