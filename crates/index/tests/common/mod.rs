//! Test fixtures: small indexes on either backend, and the macro that runs one suite
//! against both (Tantivy always; OpenSearch when `ALEPH_TEST_OPENSEARCH_URL` names a node).

#![allow(dead_code)]

use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Once};

use chrono::{DateTime, TimeZone, Utc};
use index::{
    IndexDoc, OpenSearchIndex, OpenSearchOptions, ReadScope, SearchIndex, SearchQuery,
    SearchResult, TantivyIndex, TantivyOptions,
};
use tempfile::TempDir;

/// Which backend a suite runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    Tantivy,
    /// A node at this URL (from `ALEPH_TEST_OPENSEARCH_URL`).
    OpenSearch(String),
}

static UNSET_WARNING: Once = Once::new();

impl Backend {
    /// The OpenSearch node to test against, or `None` (with a loud note on stderr, which
    /// the test harness does not capture) when `ALEPH_TEST_OPENSEARCH_URL` is unset. When it
    /// is set, an unreachable node fails the tests: CI always sets it.
    pub fn opensearch() -> Option<Backend> {
        match std::env::var("ALEPH_TEST_OPENSEARCH_URL") {
            Ok(url) if !url.trim().is_empty() => Some(Backend::OpenSearch(url)),
            _ => {
                UNSET_WARNING.call_once(|| {
                    let _ = writeln!(
                        std::io::stderr(),
                        "\n*** ALEPH_TEST_OPENSEARCH_URL is not set: the OpenSearch half of the \
                         index suite is NOT RUN. Start a node with \
                         `eval \"$(scripts/opensearch-test-node.sh start)\"` ***\n"
                    );
                });
                None
            }
        }
    }
}

/// Runs each named `async fn(Backend)` as a test on Tantivy and one on OpenSearch.
#[allow(unused_macros)] // not every test file runs the two-backend suite
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod tantivy_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Tantivy).await
                }
            )*
        }
        mod opensearch_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(backend) = $crate::common::Backend::opensearch() {
                        super::$name(backend).await
                    }
                }
            )*
        }
    };
}

/// An index on one backend; a Tantivy one lives in a temporary directory removed when
/// dropped, an OpenSearch one under a fresh alias.
pub struct TestIndex {
    pub index: Arc<dyn SearchIndex>,
    _dir: Option<TempDir>,
}

impl std::ops::Deref for TestIndex {
    type Target = dyn SearchIndex;
    fn deref(&self) -> &(dyn SearchIndex + 'static) {
        self.index.as_ref()
    }
}

/// Anything the helpers can search: a [`TestIndex`] or a bare backend.
pub trait AsIndex {
    fn as_index(&self) -> &dyn SearchIndex;
}

impl AsIndex for TestIndex {
    fn as_index(&self) -> &dyn SearchIndex {
        self.index.as_ref()
    }
}

impl AsIndex for OpenSearchIndex {
    fn as_index(&self) -> &dyn SearchIndex {
        self
    }
}

impl AsIndex for TantivyIndex {
    fn as_index(&self) -> &dyn SearchIndex {
        self
    }
}

pub fn options() -> TantivyOptions {
    TantivyOptions {
        writer_heap_bytes: 32 << 20,
        writer_threads: 1,
        search_threads: 2,
        stream_batch: 3,
        ..TantivyOptions::default()
    }
}

/// Small batches, so that the tests go through several bulk requests and stream pages.
pub fn opensearch_options(alias: String) -> OpenSearchOptions {
    OpenSearchOptions {
        index: alias,
        bulk_docs: 5,
        stream_batch: 3,
        ..OpenSearchOptions::default()
    }
}

/// A fresh alias name for one test.
pub fn unique_alias() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "aleph-test-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

pub fn tantivy_index() -> (TantivyIndex, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let index = TantivyIndex::open(dir.path(), options()).unwrap();
    (index, dir)
}

pub async fn empty_index(backend: &Backend) -> TestIndex {
    match backend {
        Backend::Tantivy => {
            let (index, dir) = tantivy_index();
            TestIndex {
                index: Arc::new(index),
                _dir: Some(dir),
            }
        }
        Backend::OpenSearch(url) => {
            let index = OpenSearchIndex::connect(url, opensearch_options(unique_alias()))
                .await
                .unwrap_or_else(|e| {
                    panic!("ALEPH_TEST_OPENSEARCH_URL={url} is set but unusable: {e}")
                });
            TestIndex {
                index: Arc::new(index),
                _dir: None,
            }
        }
    }
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

pub async fn fixture(backend: &Backend) -> TestIndex {
    let index = empty_index(backend).await;
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

pub async fn run(index: &impl AsIndex, pairs: &[(&str, &str)]) -> SearchResult {
    index
        .as_index()
        .search(&ReadScope::All, &params(pairs))
        .await
        .unwrap()
}

pub fn ids(result: &SearchResult) -> Vec<&str> {
    result.hits.iter().map(|h| h.id.as_str()).collect()
}

pub fn sorted(mut ids: Vec<&str>) -> Vec<&str> {
    ids.sort_unstable();
    ids
}

/// The ids of every hit of a request (sorted); the total must count exactly those hits.
pub async fn all_hits(index: &impl AsIndex, pairs: &[(&str, &str)]) -> Vec<String> {
    let mut with_limit: Vec<(&str, &str)> = pairs.to_vec();
    with_limit.push(("limit", "100"));
    let result = run(index, &with_limit).await;
    assert_eq!(
        result.total as usize,
        result.hits.len(),
        "total for {pairs:?}"
    );
    let mut ids: Vec<String> = result.hits.iter().map(|h| h.id.clone()).collect();
    ids.sort();
    ids
}

/// The ids matching `q` (all of them, sorted).
pub async fn matching(index: &impl AsIndex, q: &str) -> Vec<String> {
    all_hits(index, &[("q", q)]).await
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

/// The buckets of a date histogram facet: (start, count, active).
pub fn interval_counts(result: &SearchResult, name: &str) -> Vec<(String, u64, bool)> {
    result.facets[name]
        .intervals
        .as_ref()
        .unwrap()
        .iter()
        .map(|v| (v.id.clone(), v.count, v.active))
        .collect()
}
