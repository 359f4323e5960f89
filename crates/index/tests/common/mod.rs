//! Test fixtures: small indexes in temporary directories.

#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use index::{
    IndexDoc, ReadScope, SearchIndex, SearchQuery, SearchResult, TantivyIndex, TantivyOptions,
};
use tempfile::TempDir;

/// An index in a temporary directory, removed when dropped.
pub struct TestIndex {
    pub index: TantivyIndex,
    _dir: TempDir,
}

impl std::ops::Deref for TestIndex {
    type Target = TantivyIndex;
    fn deref(&self) -> &TantivyIndex {
        &self.index
    }
}

pub fn options() -> TantivyOptions {
    TantivyOptions {
        writer_heap_bytes: 32 << 20,
        writer_threads: 1,
        search_threads: 2,
        stream_batch: 3,
    }
}

pub fn empty_index() -> TestIndex {
    let dir = tempfile::tempdir().unwrap();
    let index = TantivyIndex::open(dir.path(), options()).unwrap();
    TestIndex { index, _dir: dir }
}

pub fn entity(schema: &str, id: &str, props: &[(&str, &str)]) -> ftm::Entity {
    let mut e = ftm::Entity::with_id(schema, id).unwrap();
    for (p, v) in props {
        e.add(p, v).unwrap();
    }
    e
}

pub fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 12, 0, 0).unwrap()
}

pub fn doc(collection: i64, entity: ftm::Entity) -> IndexDoc {
    IndexDoc {
        entity,
        collection_id: collection,
        created_at: at(2024, 1, 1),
        updated_at: at(2024, 1, 2),
        mutable: false,
        origin: vec!["test".to_string()],
        role_id: None,
    }
}

/// The shared fixture: people, companies, an ownership, payments and documents in three
/// collections.
pub fn fixture_docs() -> Vec<IndexDoc> {
    vec![
        doc(
            1,
            entity(
                "Person",
                "p1",
                &[
                    ("name", "Vladimir Putin"),
                    ("nationality", "ru"),
                    ("birthDate", "1952-10-07"),
                ],
            ),
        ),
        doc(
            2,
            entity(
                "Person",
                "p2",
                &[("name", "Владимир Путин"), ("country", "ru")],
            ),
        ),
        doc(
            1,
            entity(
                "Person",
                "p3",
                &[
                    ("name", "Jürgen Müller"),
                    ("country", "de"),
                    ("birthDate", "1970"),
                ],
            ),
        ),
        doc(
            1,
            entity(
                "Person",
                "p4",
                &[("name", "Hans Mueller"), ("country", "de")],
            ),
        ),
        doc(
            3,
            entity(
                "Person",
                "p5",
                &[("name", "Anna Muller"), ("country", "fr")],
            ),
        ),
        doc(
            1,
            entity(
                "Company",
                "c1",
                &[
                    ("name", "Acme Holdings Ltd"),
                    ("jurisdiction", "gb"),
                    ("incorporationDate", "2010-07-15"),
                    ("email", "info@acme.example"),
                ],
            ),
        ),
        doc(
            2,
            entity(
                "Company",
                "c2",
                &[
                    ("name", "Putin Shipping Co"),
                    ("jurisdiction", "cy"),
                    ("incorporationDate", "2005-01-01"),
                ],
            ),
        ),
        doc(
            1,
            entity(
                "Company",
                "c3",
                &[
                    ("name", "Bank of Zanzibar"),
                    ("country", "tz"),
                    ("incorporationDate", "2015"),
                ],
            ),
        ),
        doc(
            2,
            entity(
                "Ownership",
                "o1",
                &[("owner", "p1"), ("asset", "c2"), ("startDate", "2011")],
            ),
        ),
        doc(
            1,
            entity(
                "Payment",
                "pay1",
                &[("amount", "1500"), ("payer", "c1"), ("date", "2012-03-04")],
            ),
        ),
        doc(
            1,
            entity(
                "Payment",
                "pay2",
                &[("amount", "200"), ("payer", "c3"), ("date", "2013-05-06")],
            ),
        ),
        doc(
            1,
            entity(
                "PlainText",
                "d1",
                &[
                    ("title", "Report on Acme"),
                    (
                        "bodyText",
                        "In 2012 the acme holdings paid a bribe to the minister of transport.",
                    ),
                ],
            ),
        ),
        doc(
            3,
            entity(
                "PlainText",
                "d3",
                &[
                    ("title", "Meeting notes"),
                    ("bodyText", "Vladimir Putin met the bankers in Zurich."),
                ],
            ),
        ),
    ]
}

pub async fn fixture() -> TestIndex {
    let index = empty_index();
    index.index(fixture_docs()).await.unwrap();
    index.commit().await.unwrap();
    index
}

pub fn params(pairs: &[(&str, &str)]) -> SearchQuery {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    SearchQuery::from_params(&pairs).unwrap()
}

pub async fn run(index: &TantivyIndex, pairs: &[(&str, &str)]) -> SearchResult {
    index.search(&ReadScope::All, &params(pairs)).await.unwrap()
}

pub fn ids(result: &SearchResult) -> Vec<&str> {
    result.hits.iter().map(|h| h.id.as_str()).collect()
}

pub fn sorted(mut ids: Vec<&str>) -> Vec<&str> {
    ids.sort_unstable();
    ids
}

/// The ids matching `q` (all of them, sorted).
pub async fn matching(index: &TantivyIndex, q: &str) -> Vec<String> {
    let result = run(index, &[("q", q), ("limit", "100")]).await;
    assert_eq!(result.total as usize, result.hits.len(), "total for {q}");
    let mut ids: Vec<String> = result.hits.iter().map(|h| h.id.clone()).collect();
    ids.sort();
    ids
}

pub fn facet_counts(result: &SearchResult, name: &str) -> Vec<(String, u64, bool)> {
    result.facets[name]
        .values
        .as_ref()
        .unwrap()
        .iter()
        .map(|v| (v.id.clone(), v.count, v.active))
        .collect()
}
